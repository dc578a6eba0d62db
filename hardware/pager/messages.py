"""Frames and message bodies of the PC <-> base-station protocol (firmware_config/serial_protocol.md).

A frame on the wire is ``COBS(payload) 0x00``; the payload is

    version u8 | flags u8 | node u16 | seq u8 | type u8 | body (0..MAX_BODY bytes) | crc u16

with every multi-byte integer big-endian and the CRC-16/CCITT-FALSE computed over all bytes before it.
"""
from __future__ import annotations

import struct
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from .cobs import cobs_decode, cobs_encode
from .crc import crc16_ccitt_false
from .errors import BadValueError, FrameError

PROTOCOL_VERSION = 1
HEADER_LEN = 6
CRC_LEN = 2
MAX_BODY = 240
MAX_PAYLOAD = HEADER_LEN + MAX_BODY + CRC_LEN
# COBS of n <= 254 bytes is exactly n + 1 bytes: at most 249 for the 248-byte payload. A receiver drops a
# longer run without 0x00 as garbage (serial_protocol.md section 2).
MAX_ENCODED = MAX_PAYLOAD + MAX_PAYLOAD // 254 + 1
DELIMITER = b"\x00"

FLAG_FROM_BASE = 0x01  # set on every frame the base station sends; clear on frames from the PC

NODE_BASE = 0x0000
NODE_BROADCAST = 0xFFFF

MAX_TICKET_LEN = 8
MAX_TEXT_BYTES = 96
UNKNOWN_RSSI = -128
UNKNOWN_BATTERY = 255


class MsgType(IntEnum):
    """Message type codes (header byte 5)."""

    HELLO = 0x01
    BOOT = 0x02
    HEARTBEAT = 0x03
    ACK = 0x06
    NAK = 0x15
    PAGE = 0x10
    PAGE_STATUS = 0x11
    BUTTON = 0x20
    CARD_STATUS = 0x21
    CONFIG_GET = 0x30
    CONFIG_SET = 0x31
    PAIR_START = 0x40
    PAIR_RESULT = 0x41
    UNPAIR = 0x42


# Types that are neither acknowledged nor checked for duplicates. Frozen across protocol versions: a
# frame of an unknown version is unreliable exactly when its type is one of these four.
UNRELIABLE_TYPES = frozenset({MsgType.ACK, MsgType.NAK, MsgType.BOOT, MsgType.HEARTBEAT})


class NakCode(IntEnum):
    """Error codes carried in a NAK body."""

    UNSUPPORTED_VERSION = 0x01
    UNKNOWN_TYPE = 0x02
    BAD_LENGTH = 0x03
    BUSY = 0x04
    UNKNOWN_NODE = 0x05
    BAD_VALUE = 0x06
    NOT_READY = 0x07


# NAKs that mean "not acted upon, retry the same frame later"; receivers never cache them.
TRANSIENT_NAKS = frozenset({NakCode.BUSY, NakCode.NOT_READY})


class Button(IntEnum):
    """Card buttons."""

    NEXT = 1
    RECALL = 2
    NO_SHOW = 3
    FINISH = 4


BUTTON_NAMES = {Button.NEXT: "next", Button.RECALL: "recall", Button.NO_SHOW: "no_show", Button.FINISH: "finish"}
BUTTONS_BY_NAME = {name: button for button, name in BUTTON_NAMES.items()}


class DeliveryStatus(IntEnum):
    """Result of a page in a PAGE_STATUS report."""

    DELIVERED = 1
    UNREACHABLE = 2


class PairResultCode(IntEnum):
    """Result of a pairing window in a PAIR_RESULT report."""

    PAIRED = 0
    TIMEOUT = 1
    ID_OUT_OF_RANGE = 2


PAGE_FLAG_RECALL = 0x01
PAGE_FLAG_TEST = 0x02
PAIR_WINDOW_DEFAULT = 0  # PAIR_START window_s: use the base's pairing_window_s


@dataclass(frozen=True)
class Frame:
    """One decoded frame: header fields plus the raw body bytes."""

    type: int
    node: int = NODE_BASE
    seq: int = 0
    body: bytes = b""
    flags: int = 0
    version: int = PROTOCOL_VERSION

    @property
    def from_base(self) -> bool:
        """True when the base station sent this frame."""
        return bool(self.flags & FLAG_FROM_BASE)

    @property
    def reliable(self) -> bool:
        """True when this frame must be acknowledged and checked for duplicates."""
        return self.type not in UNRELIABLE_TYPES


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FrameError(f"{name} must be an integer in {low}..{high}, got {value!r}")


def pack_payload(frame: Frame) -> bytes:
    """Return the frame's payload: header, body and CRC (before COBS)."""
    _check_range("version", frame.version, 0, 0xFF)
    _check_range("flags", frame.flags, 0, 0xFF)
    _check_range("node", frame.node, 0, 0xFFFF)
    _check_range("seq", frame.seq, 0, 0xFF)
    _check_range("type", frame.type, 0, 0xFF)
    if len(frame.body) > MAX_BODY:
        raise FrameError(f"body is {len(frame.body)} bytes, the maximum is {MAX_BODY}")
    data = struct.pack(">BBHBB", frame.version, frame.flags, frame.node, frame.seq, frame.type) + frame.body
    return data + struct.pack(">H", crc16_ccitt_false(data))


def unpack_payload(payload: bytes) -> Frame:
    """Parse and CRC-check a payload; raises FrameError on a short frame or a CRC mismatch."""
    if len(payload) < HEADER_LEN + CRC_LEN:
        raise FrameError(f"frame is {len(payload)} bytes, shorter than header and CRC ({HEADER_LEN + CRC_LEN})")
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(f"frame is {len(payload)} bytes, longer than the maximum {MAX_PAYLOAD}")
    expected = struct.unpack(">H", payload[-CRC_LEN:])[0]
    actual = crc16_ccitt_false(payload[:-CRC_LEN])
    if expected != actual:
        raise FrameError(f"CRC mismatch: frame says 0x{expected:04X}, computed 0x{actual:04X}")
    version, flags, node, seq, msg_type = struct.unpack(">BBHBB", payload[:HEADER_LEN])
    return Frame(type=msg_type, node=node, seq=seq, body=bytes(payload[HEADER_LEN:-CRC_LEN]), flags=flags,
                 version=version)


def encode_frame(frame: Frame) -> bytes:
    """Return the bytes to put on the wire for ``frame``: COBS(payload) followed by 0x00."""
    return cobs_encode(pack_payload(frame)) + DELIMITER


def on_the_wire(wires: list[bytes]) -> bytes:
    """The bytes a sender writes for encoded frames: each one preceded by an extra 0x00 (v1.1), so line
    noise or a stale half frame in front of it ends at that 0x00 instead of swallowing the frame."""
    return b"".join(DELIMITER + wire for wire in wires)


def decode_frame(block: bytes) -> Frame:
    """Decode one wire block (the bytes between two 0x00 delimiters, delimiter excluded)."""
    if len(block) > MAX_ENCODED:
        raise FrameError(f"encoded frame is {len(block)} bytes, longer than the maximum {MAX_ENCODED}")
    return unpack_payload(cobs_decode(block))


# ---- message bodies -------------------------------------------------------------------------------


class Body(ABC):
    """A message body with a fixed binary layout; subclasses define ``pack`` and ``unpack``."""

    TYPE: ClassVar[MsgType]

    @abstractmethod
    def pack(self) -> bytes:
        """The body's bytes on the wire."""

    @classmethod
    @abstractmethod
    def unpack(cls, body: bytes) -> Body:
        """The body read back from its bytes; FrameError when they do not fit."""


def _unpack_fixed(fmt: str, body: bytes, what: str) -> tuple:
    size = struct.calcsize(fmt)
    if len(body) != size:
        raise FrameError(f"{what} body must be {size} bytes, got {len(body)}")
    return struct.unpack(fmt, body)


@dataclass(frozen=True)
class BaseInfo(Body):
    """Base-station identity: body of BOOT and of the ACK to HELLO."""

    TYPE: ClassVar[MsgType] = MsgType.BOOT
    FMT: ClassVar[str] = ">IBBBBBH"
    boot_id: int
    fw_major: int
    fw_minor: int
    fw_patch: int
    window: int
    max_text: int
    site_id: int

    def pack(self) -> bytes:
        _check_range("boot_id", self.boot_id, 0, 0xFFFFFFFF)
        _check_range("window", self.window, 1, 16)
        return struct.pack(self.FMT, self.boot_id, self.fw_major, self.fw_minor, self.fw_patch, self.window,
                           self.max_text, self.site_id)

    @classmethod
    def unpack(cls, body: bytes) -> BaseInfo:
        info = cls(*_unpack_fixed(cls.FMT, body, "BOOT/HELLO-ACK"))
        _check_range("window", info.window, 1, 16)
        return info


@dataclass(frozen=True)
class Hello(Body):
    """PC -> base: start (or confirm) a session."""

    TYPE: ClassVar[MsgType] = MsgType.HELLO
    FMT: ClassVar[str] = ">IBB"
    session_id: int
    protocol_version: int = PROTOCOL_VERSION
    window: int = 4

    def pack(self) -> bytes:
        _check_range("session_id", self.session_id, 0, 0xFFFFFFFF)
        _check_range("window", self.window, 1, 16)
        return struct.pack(self.FMT, self.session_id, self.protocol_version, self.window)

    @classmethod
    def unpack(cls, body: bytes) -> Hello:
        hello = cls(*_unpack_fixed(cls.FMT, body, "HELLO"))
        if not 1 <= hello.window <= 16:
            raise BadValueError(f"HELLO window must be in 1..16, got {hello.window}")
        return hello


@dataclass(frozen=True)
class Heartbeat(Body):
    """Both directions, every heartbeat period: who I am, how long I have run, free queue slots."""

    TYPE: ClassVar[MsgType] = MsgType.HEARTBEAT
    FMT: ClassVar[str] = ">IIB"
    sender_id: int
    uptime_s: int
    free_slots: int

    def pack(self) -> bytes:
        _check_range("sender_id", self.sender_id, 0, 0xFFFFFFFF)
        return struct.pack(self.FMT, self.sender_id, min(self.uptime_s, 0xFFFFFFFF), min(self.free_slots, 0xFF))

    @classmethod
    def unpack(cls, body: bytes) -> Heartbeat:
        return cls(*_unpack_fixed(cls.FMT, body, "HEARTBEAT"))


def _ticket_ok(ticket: str) -> bool:
    return all(ch.isascii() and (ch.isupper() or ch.isdigit() or ch == "-") for ch in ticket)


@dataclass(frozen=True)
class Page(Body):
    """PC -> base: show a called ticket on card ``node``."""

    TYPE: ClassVar[MsgType] = MsgType.PAGE
    page_id: int
    ticket: str
    counter: int = 0
    text: str = ""
    flags: int = 0

    def pack(self) -> bytes:
        _check_range("page_id", self.page_id, 1, 0xFFFFFFFF)
        _check_range("counter", self.counter, 0, 0xFF)
        _check_range("page flags", self.flags, 0, 0xFF)
        if not self.ticket or len(self.ticket) > MAX_TICKET_LEN or not _ticket_ok(self.ticket):
            raise FrameError(f"ticket must be 1..{MAX_TICKET_LEN} characters of A-Z, 0-9 or '-', got {self.ticket!r}")
        text = unicodedata.normalize("NFC", self.text).encode("utf-8")
        if len(text) > MAX_TEXT_BYTES:
            raise FrameError(f"page text is {len(text)} UTF-8 bytes, the maximum is {MAX_TEXT_BYTES}")
        ticket = self.ticket.encode("ascii")
        return (struct.pack(">IBBB", self.page_id, self.flags, self.counter, len(ticket)) + ticket
                + bytes([len(text)]) + text)

    @classmethod
    def unpack(cls, body: bytes) -> Page:
        if len(body) < 8:
            raise FrameError(f"PAGE body must be at least 8 bytes, got {len(body)}")
        page_id, flags, counter, ticket_len = struct.unpack(">IBBB", body[:7])
        end = 7 + ticket_len
        if ticket_len == 0 or ticket_len > MAX_TICKET_LEN or end + 1 > len(body):
            raise FrameError(f"PAGE ticket length {ticket_len} is invalid for a {len(body)}-byte body")
        text_len = body[end]
        if end + 1 + text_len != len(body) or text_len > MAX_TEXT_BYTES:
            raise FrameError(f"PAGE text length {text_len} does not match the {len(body)}-byte body")
        try:
            ticket = body[7:end].decode("ascii")
            text = body[end + 1:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrameError(f"PAGE has undecodable text: {exc}") from None
        if not _ticket_ok(ticket):
            raise FrameError(f"PAGE ticket {ticket!r} has characters outside A-Z, 0-9, '-'")
        if page_id == 0:
            raise BadValueError("PAGE page_id 0 is reserved")
        return cls(page_id=page_id, ticket=ticket, counter=counter, text=text, flags=flags)


@dataclass(frozen=True)
class PageStatus(Body):
    """Base -> PC: the delivery report of one page."""

    TYPE: ClassVar[MsgType] = MsgType.PAGE_STATUS
    FMT: ClassVar[str] = ">IBBb"
    page_id: int
    status: int
    attempts: int = 1
    rssi: int = UNKNOWN_RSSI

    def pack(self) -> bytes:
        _check_range("status", self.status, 1, 2)
        return struct.pack(self.FMT, self.page_id, self.status, self.attempts, self.rssi)

    @classmethod
    def unpack(cls, body: bytes) -> PageStatus:
        report = cls(*_unpack_fixed(cls.FMT, body, "PAGE_STATUS"))
        _check_range("status", report.status, 1, 2)
        return report


@dataclass(frozen=True)
class ButtonPress(Body):
    """Base -> PC: a button pressed on card ``node``; ``press_id`` is the card's own counter."""

    TYPE: ClassVar[MsgType] = MsgType.BUTTON
    FMT: ClassVar[str] = ">HBH"
    press_id: int
    button: int
    age_ms: int = 0

    def pack(self) -> bytes:
        _check_range("press_id", self.press_id, 0, 0xFFFF)
        _check_range("button", self.button, 1, 4)
        return struct.pack(self.FMT, self.press_id, self.button, min(self.age_ms, 0xFFFF))

    @classmethod
    def unpack(cls, body: bytes) -> ButtonPress:
        press = cls(*_unpack_fixed(cls.FMT, body, "BUTTON"))
        _check_range("button", press.button, 1, 4)
        return press


@dataclass(frozen=True)
class CardStatus(Body):
    """Base -> PC: a card came in or out of range, or reported its battery."""

    TYPE: ClassVar[MsgType] = MsgType.CARD_STATUS
    FMT: ClassVar[str] = ">BBb"
    online: int
    battery_pct: int = UNKNOWN_BATTERY
    rssi: int = UNKNOWN_RSSI

    def pack(self) -> bytes:
        _check_range("online", self.online, 0, 1)
        return struct.pack(self.FMT, self.online, self.battery_pct, self.rssi)

    @classmethod
    def unpack(cls, body: bytes) -> CardStatus:
        status = cls(*_unpack_fixed(cls.FMT, body, "CARD_STATUS"))
        _check_range("online", status.online, 0, 1)
        return status


@dataclass(frozen=True)
class NakBody(Body):
    """Body of a NAK: one error code."""

    TYPE: ClassVar[MsgType] = MsgType.NAK
    code: int

    def pack(self) -> bytes:
        _check_range("NAK code", self.code, 1, 0xFF)
        return bytes([self.code])

    @classmethod
    def unpack(cls, body: bytes) -> NakBody:
        if len(body) != 1:
            raise FrameError(f"NAK body must be 1 byte, got {len(body)}")
        return cls(code=body[0])


@dataclass(frozen=True)
class PairStart(Body):
    """PC -> base: open a pairing window; the next card that joins gets id ``node``.

    ``window_s`` 0 (PAIR_WINDOW_DEFAULT) means "as long as the base's ``pairing_window_s`` setting".
    """

    TYPE: ClassVar[MsgType] = MsgType.PAIR_START
    FMT: ClassVar[str] = ">H"
    window_s: int = 0

    def pack(self) -> bytes:
        if self.window_s != PAIR_WINDOW_DEFAULT:
            _check_range("window_s", self.window_s, 10, 600)
        return struct.pack(self.FMT, self.window_s)

    @classmethod
    def unpack(cls, body: bytes) -> PairStart:
        start = cls(*_unpack_fixed(cls.FMT, body, "PAIR_START"))
        if start.window_s != PAIR_WINDOW_DEFAULT and not 10 <= start.window_s <= 600:
            raise BadValueError(f"PAIR_START window_s must be 0 or 10..600, got {start.window_s}")
        return start


@dataclass(frozen=True)
class PairResult(Body):
    """Base -> PC: the outcome of a pairing window for card ``node``."""

    TYPE: ClassVar[MsgType] = MsgType.PAIR_RESULT
    FMT: ClassVar[str] = ">BI"
    result: int
    card_serial: int = 0

    def pack(self) -> bytes:
        _check_range("result", self.result, 0, 2)
        return struct.pack(self.FMT, self.result, self.card_serial)

    @classmethod
    def unpack(cls, body: bytes) -> PairResult:
        result = cls(*_unpack_fixed(cls.FMT, body, "PAIR_RESULT"))
        _check_range("result", result.result, 0, 2)
        return result


@dataclass(frozen=True)
class Empty(Body):
    """An empty body (UNPAIR, most ACKs)."""

    TYPE: ClassVar[MsgType] = MsgType.UNPAIR

    def pack(self) -> bytes:
        return b""

    @classmethod
    def unpack(cls, body: bytes) -> Empty:
        if body:
            raise FrameError(f"body must be empty, got {len(body)} bytes")
        return cls()


BODY_TYPES: dict[int, type[Body]] = {
    MsgType.HELLO: Hello,
    MsgType.BOOT: BaseInfo,
    MsgType.HEARTBEAT: Heartbeat,
    MsgType.NAK: NakBody,
    MsgType.PAGE: Page,
    MsgType.PAGE_STATUS: PageStatus,
    MsgType.BUTTON: ButtonPress,
    MsgType.CARD_STATUS: CardStatus,
    MsgType.PAIR_START: PairStart,
    MsgType.PAIR_RESULT: PairResult,
    MsgType.UNPAIR: Empty,
}
