"""Counter LED number boards on an RS-485 bus: the frame format, a driver and a simulated bus.

Frame (all bytes between STX and ETX are printable ASCII, so a receiver resynchronises on the
next STX after any garbage; docs/printer_led.md has the full specification)::

    STX  ADDR   CMD  PAYLOAD      CHK    ETX
    02   "03"   "D"  "A015"       "32"   03

- ADDR: two ASCII decimal digits, "01".."99" one board, "00" broadcast (no board replies).
- CMD: D show text, F show text and flash, C clear, B brightness (payload "1".."8"),
  P ping (the addressed board answers with CMD "A"); boards never answer other commands.
- PAYLOAD: 0..16 printable ASCII characters (0x20..0x7E).
- CHK: XOR of every byte of ADDR, CMD and PAYLOAD, as two upper-case hex digits.
"""
from __future__ import annotations

import logging
import os
import select
import threading
import time
import tty
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
KEEP_FRAMES = 200  # frames the simulated bus remembers

STX, ETX = 0x02, 0x03
BROADCAST = 0
MAX_PAYLOAD = 16
_MAX_BODY = 2 + 1 + MAX_PAYLOAD + 2  # ADDR + CMD + PAYLOAD + CHK

CMD_DISPLAY = "D"
CMD_FLASH = "F"
CMD_CLEAR = "C"
CMD_BRIGHTNESS = "B"
CMD_PING = "P"
CMD_ACK = "A"
COMMANDS = {CMD_DISPLAY, CMD_FLASH, CMD_CLEAR, CMD_BRIGHTNESS, CMD_PING, CMD_ACK}


class LedFrameError(ValueError):
    """A frame cannot be built or parsed (bad address, command, payload or checksum)."""


class LedBusError(RuntimeError):
    """The RS-485 adapter cannot be opened or written."""


@dataclass(frozen=True)
class LedFrame:
    """One decoded frame."""

    address: int
    command: str
    payload: str = ""


def checksum(body: bytes) -> bytes:
    """XOR of ``body`` (ADDR, CMD and PAYLOAD bytes) as two upper-case ASCII hex digits."""
    value = 0
    for byte in body:
        value ^= byte
    return f"{value:02X}".encode("ascii")


def _check_payload(payload: str) -> bytes:
    if not isinstance(payload, str):
        raise LedFrameError(f"payload must be a string, got {type(payload).__name__}")
    if len(payload) > MAX_PAYLOAD:
        raise LedFrameError(f"payload {payload!r} is longer than {MAX_PAYLOAD} characters")
    if any(not 0x20 <= ord(ch) <= 0x7E for ch in payload):
        raise LedFrameError(f"payload {payload!r} must be printable ASCII (LED boards have no diacritics)")
    return payload.encode("ascii")


def encode_frame(address: int, command: str, payload: str = "") -> bytes:
    """Build one frame; raises :class:`LedFrameError` for anything out of the format."""
    if isinstance(address, bool) or not isinstance(address, int) or not 0 <= address <= 99:
        raise LedFrameError(f"address must be 0 (broadcast) or 1..99, got {address!r}")
    if command not in COMMANDS:
        raise LedFrameError(f"unknown command {command!r}; known: {''.join(sorted(COMMANDS))}")
    if command == CMD_BRIGHTNESS and payload not in tuple("12345678"):
        raise LedFrameError(f"brightness must be '1'..'8', got {payload!r}")
    if command in (CMD_CLEAR, CMD_PING) and payload:
        raise LedFrameError(f"command {command} takes no payload")
    if command == CMD_PING and address == BROADCAST:
        raise LedFrameError("ping needs one board's address: replies from many boards would collide")
    body = f"{address:02d}{command}".encode("ascii") + _check_payload(payload)
    return bytes((STX,)) + body + checksum(body) + bytes((ETX,))


def decode_body(body: bytes) -> LedFrame:
    """Decode the bytes between STX and ETX; raises :class:`LedFrameError`."""
    if not 5 <= len(body) <= _MAX_BODY:
        raise LedFrameError(f"frame body of {len(body)} bytes (5..{_MAX_BODY})")
    content, chk = body[:-2], body[-2:]
    if checksum(content) != chk:
        raise LedFrameError(f"checksum {chk!r} != {checksum(content)!r}")
    addr, command = content[:2], chr(content[2])
    if not addr.isdigit():
        raise LedFrameError(f"address {addr!r} is not two decimal digits")
    if command not in COMMANDS:
        raise LedFrameError(f"unknown command {command!r}")
    payload = content[3:]
    if any(not 0x20 <= b <= 0x7E for b in payload):
        raise LedFrameError("payload is not printable ASCII")
    return LedFrame(int(addr), command, payload.decode("ascii"))


@dataclass
class LedFrameParser:
    """Turns a byte stream into frames; skips garbage and counts frames it had to reject."""

    rejected: int = 0
    _body: bytearray | None = None

    def feed(self, data: bytes) -> list[LedFrame]:
        """Add bytes (any chunking) and return the complete, valid frames."""
        frames: list[LedFrame] = []
        for byte in data:
            if byte == STX:
                if self._body:  # an STX inside a frame: the previous frame was cut short
                    self.rejected += 1
                self._body = bytearray()
            elif self._body is None:
                continue  # garbage between frames
            elif byte == ETX:
                try:
                    frames.append(decode_body(bytes(self._body)))
                except LedFrameError:
                    self.rejected += 1
                self._body = None
            elif len(self._body) >= _MAX_BODY or not 0x20 <= byte <= 0x7E:
                self.rejected += 1
                self._body = None
            else:
                self._body.append(byte)
        return frames


def board_text(ticket: str, width: int = 4) -> str:
    """What a board of ``width`` characters shows for ``ticket``: ASCII, right-aligned, never cut.

    Raises LedFrameError for a ticket that is not printable ASCII or longer than the board.
    """
    text = _check_payload(ticket.strip() if isinstance(ticket, str) else ticket).decode("ascii")
    if not 1 <= width <= MAX_PAYLOAD:
        raise LedFrameError(f"board width must be 1..{MAX_PAYLOAD}, got {width}")
    if len(text) > width:
        raise LedFrameError(f"{text!r} does not fit a {width}-character board")
    return text.rjust(width)


@dataclass(frozen=True)
class LedBoardConfig:
    """The LED bus: serial URL (pyserial ``serial_for_url``), line settings, counter -> address.

    ``boards`` maps counter number to board address (1..99); ``width`` is characters per board;
    ``rs485_rts`` drives the transceiver's DE pin with RTS for adapters without auto-direction.
    """

    url: str = "/dev/kiosk-led"
    baudrate: int = 9600
    boards: Mapping[int, int] = field(default_factory=dict)
    width: int = 4
    flash: bool = True
    rs485_rts: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url:
            raise LedFrameError("LED bus url must be a non-empty string")
        if self.baudrate not in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200):
            raise LedFrameError(f"unsupported baud rate {self.baudrate}")
        if not 1 <= self.width <= MAX_PAYLOAD:
            raise LedFrameError(f"board width must be 1..{MAX_PAYLOAD}, got {self.width}")
        seen: dict[int, int] = {}
        for counter, address in self.boards.items():
            if isinstance(counter, bool) or not isinstance(counter, int) or counter < 1:
                raise LedFrameError(f"counter number must be a positive integer, got {counter!r}")
            if isinstance(address, bool) or not isinstance(address, int) or not 1 <= address <= 99:
                raise LedFrameError(f"board address of counter {counter} must be 1..99, got {address!r}")
            if address in seen:
                raise LedFrameError(f"counters {seen[address]} and {counter} share board address {address}")
            seen[address] = counter

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LedBoardConfig:
        """Build from a config mapping; ``boards`` keys may be strings (from JSON/TOML)."""
        unknown = set(data) - {"url", "baudrate", "boards", "width", "flash", "rs485_rts"}
        if unknown:
            raise LedFrameError(f"unknown LED board settings: {sorted(unknown)}")
        raw_boards = data.get("boards", {})
        if not isinstance(raw_boards, Mapping):
            raise LedFrameError("boards must map counter number to board address")
        try:
            boards = {int(k): int(v) for k, v in raw_boards.items()}  # type: ignore[call-overload]
        except (TypeError, ValueError) as exc:
            raise LedFrameError(f"boards must map integers to integers: {exc}") from exc
        kwargs = {k: data[k] for k in ("url", "baudrate", "width", "flash", "rs485_rts") if k in data}
        return cls(boards=boards, **kwargs)  # type: ignore[arg-type]

    def address_of(self, counter: int) -> int:
        """Board address of ``counter``; raises LedFrameError when the counter has no board."""
        try:
            return self.boards[counter]
        except KeyError:
            raise LedFrameError(f"counter {counter!r} has no LED board configured") from None


@dataclass(frozen=True)
class BusWrite:
    """The outcome of the bus's last write: what the health board shows (boards never answer writes)."""

    ok: bool
    at: float  # epoch seconds
    error: str = ""


class LedBus:
    """Driver of the counter LED boards on one RS-485 adapter. Thread-safe; reopens after errors."""

    def __init__(self, config: LedBoardConfig) -> None:
        self.config = config
        self.last_write: BusWrite | None = None
        self.last_ok_at: float | None = None  # epoch seconds of the last write that went through
        self._port = None
        self._lock = threading.Lock()
        self._parser = LedFrameParser()

    def _open(self):  # noqa: ANN202 (pyserial objects are untyped)
        if self._port is None:
            import serial  # here, not at import: importing this module opens nothing

            try:
                port = serial.serial_for_url(self.config.url, baudrate=self.config.baudrate, timeout=0.2,
                                             write_timeout=2, do_not_open=True)
                if self.config.rs485_rts:
                    port.rs485_mode = serial.rs485.RS485Settings()
                port.open()
            except (serial.SerialException, ValueError, OSError) as exc:
                raise LedBusError(f"cannot open LED bus {self.config.url}: {exc}") from exc
            self._port = port
        return self._port

    def close(self) -> None:
        """Close the adapter; the next command reopens it."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except Exception:  # noqa: BLE001 (a vanished adapter may fail to close)
                # pyserial still thinks it is open and would close the same fd number again when
                # garbage-collected, by then perhaps the reopened port's.
                port.fd = None
                port.is_open = False

    def __enter__(self) -> LedBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, address: int, command: str, payload: str = "") -> bytes:
        """Write one frame and return its bytes; one retry after reopening a failed adapter."""
        frame = encode_frame(address, command, payload)
        with self._lock:
            for attempt in (1, 2):
                try:
                    port = self._open()
                    port.write(frame)
                    port.flush()
                    self._wrote(BusWrite(True, time.time()))
                    return frame
                except LedBusError as exc:
                    self._wrote(BusWrite(False, time.time(), str(exc)))
                    raise
                except Exception as exc:  # noqa: BLE001 (SerialException, OSError, timeouts)
                    self._close()
                    if attempt == 2:
                        error = LedBusError(f"LED bus {self.config.url} write failed: {exc}")
                        self._wrote(BusWrite(False, time.time(), str(error)))
                        raise error from exc
        raise AssertionError("unreachable")

    def _wrote(self, result: BusWrite) -> None:
        self.last_write = result
        if result.ok:
            self.last_ok_at = result.at

    def show(self, counter: int, ticket: str, *, flash: bool | None = None) -> bytes:
        """Show ``ticket`` on ``counter``'s board (flashing when configured); returns the frame."""
        text = board_text(ticket, self.config.width)
        command = CMD_FLASH if (self.config.flash if flash is None else flash) else CMD_DISPLAY
        return self.send(self.config.address_of(counter), command, text)

    def clear(self, counter: int) -> bytes:
        """Blank ``counter``'s board."""
        return self.send(self.config.address_of(counter), CMD_CLEAR)

    def clear_all(self) -> bytes:
        """Blank every board with one broadcast frame."""
        return self.send(BROADCAST, CMD_CLEAR)

    def brightness(self, counter: int, level: int) -> bytes:
        """Set ``counter``'s board brightness, 1 (dim) .. 8 (full)."""
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 8:
            raise LedFrameError(f"brightness level must be 1..8, got {level!r}")
        return self.send(self.config.address_of(counter), CMD_BRIGHTNESS, str(level))

    def ping(self, counter: int, timeout: float = 0.3) -> bool:
        """Ask ``counter``'s board to answer; True when its ACK arrives within ``timeout``."""
        address = self.config.address_of(counter)
        self.send(address, CMD_PING)
        deadline = time.monotonic() + timeout
        with self._lock:
            port = self._port
            if port is None:
                return False
            try:
                while (remaining := deadline - time.monotonic()) > 0:
                    port.timeout = remaining
                    data = port.read(1)
                    if not data:
                        break
                    if any(f.address == address and f.command == CMD_ACK for f in self._parser.feed(data)):
                        return True
            except OSError as exc:  # pyserial's errors are OSErrors: the adapter is gone or failing
                log.info("LED bus read failed: %s", exc)
                self._close()
            except Exception:
                log.exception("LED bus read failed")
                self._close()
        return False

    def on_ticket_called(self, event: Mapping[str, object]) -> bool:
        """Listener for the ``ticket_called`` event (``{"number", "counter", ...}``).

        Shows the number on the counter's board. Returns False (and logs) when the counter has no
        board or the bus fails, so one broken board never stops the rest of the call fan-out.
        """
        try:
            counter = event["counter"]
            number = event["number"]
            if not isinstance(counter, int) or not isinstance(number, str):
                raise LedFrameError("event needs an integer 'counter' and a string 'number'")
            self.show(counter, number)
            return True
        except (KeyError, LedFrameError, LedBusError) as exc:
            log.warning("LED board not updated: %s", exc)
            return False


class LedBusSimulator:
    """Boards on a simulated RS-485 bus behind a pty: parse frames, keep each board's text, ACK pings.

    ``port`` is the pty path for :class:`LedBoardConfig` ``url``. ``boards`` maps address to the
    shown text, ``flashing`` and ``brightness`` likewise; ``frames`` lists every valid frame seen.
    """

    def __init__(self, addresses: list[int]) -> None:
        self.addresses = set(addresses)
        self.boards: dict[int, str] = {a: "" for a in addresses}
        self.flashing: dict[int, bool] = {a: False for a in addresses}
        self.brightness: dict[int, int] = {a: 8 for a in addresses}
        self.frames: list[LedFrame] = []  # the last KEEP_FRAMES (a demo runs for months)
        self.frames_received = 0
        self.parser = LedFrameParser()
        self._cond = threading.Condition()
        master, slave = os.openpty()
        tty.setraw(slave)
        self._master, self._slave = master, slave
        self.port = os.ttyname(slave)
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None

    def start(self) -> LedBusSimulator:
        """Start the reader thread; returns self."""
        self._thread = threading.Thread(target=self._run, name="led-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close the pty (a second stop does nothing: a test pulls the adapter out
        before its fixture stops the bus)."""
        if self._master < 0:
            return
        os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            os.close(fd)
        self._master = self._slave = self._wake_r = self._wake_w = -1

    def __enter__(self) -> LedBusSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_frames(self, count: int, timeout: float = 2.0) -> bool:
        """Block until ``count`` valid frames were received; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.frames_received >= count, timeout)

    def _run(self) -> None:
        while True:
            ready, _, _ = select.select([self._master, self._wake_r], [], [])
            if self._wake_r in ready:
                return
            data = os.read(self._master, 4096)
            for frame in self.parser.feed(data):
                self._apply(frame)

    def _apply(self, frame: LedFrame) -> None:
        targets = self.addresses if frame.address == BROADCAST else {frame.address} & self.addresses
        for address in targets:
            if frame.command in (CMD_DISPLAY, CMD_FLASH):
                self.boards[address] = frame.payload
                self.flashing[address] = frame.command == CMD_FLASH
            elif frame.command == CMD_CLEAR:
                self.boards[address] = ""
                self.flashing[address] = False
            elif frame.command == CMD_BRIGHTNESS:
                self.brightness[address] = int(frame.payload)
            elif frame.command == CMD_PING:
                os.write(self._master, encode_frame(address, CMD_ACK, "OK"))
        with self._cond:
            self.frames.append(frame)
            self.frames_received += 1
            del self.frames[:-KEEP_FRAMES]
            self._cond.notify_all()
