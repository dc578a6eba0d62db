"""A simulated base station with N radio pager cards, speaking the real protocol over a pty or TCP.

Used by the tests, the bench and ``kiosk serve --demo``. Faults (drop, corrupt, duplicate, delay) are
applied to whole wire frames in both directions; ``unplug`` closes the port (and by default reboots the
base station, which is what losing USB power does) and ``replug`` opens a new one.

    sim = PagerSimulator(cards=4).start()
    driver = PagerDriver(sim.url, on_button=...).start()
    sim.press(2, "next"); sim.pages(2)
"""
from __future__ import annotations

import heapq
import itertools
import logging
import os
import random
import select
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import config_keys
from .errors import BadValueError, FrameError, PagerError
from .messages import (
    BUTTONS_BY_NAME,
    FLAG_FROM_BASE,
    NODE_BASE,
    NODE_BROADCAST,
    PAGE_FLAG_RECALL,
    PAGE_FLAG_TEST,
    PAIR_WINDOW_DEFAULT,
    PROTOCOL_VERSION,
    BaseInfo,
    Button,
    ButtonPress,
    CardStatus,
    DeliveryStatus,
    Frame,
    Heartbeat,
    Hello,
    MsgType,
    NakBody,
    NakCode,
    Page,
    PageStatus,
    PairResult,
    PairResultCode,
    PairStart,
    encode_frame,
    on_the_wire,
)
from .protocol import FrameProtocol
from .reliable import DedupRing, Outgoing, TxWindow
from .transports import PtyEnd, TcpEnd

log = logging.getLogger(__name__)
KEEP_PAGES = 50  # pages each simulated card remembers

FW_VERSION = (1, 1, 0)  # implements serial_protocol.md v1.1


@dataclass
class FaultConfig:
    """Per-frame fault probabilities, applied independently in each direction."""

    drop: float = 0.0
    corrupt: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    delay_s: float = 0.05
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("drop", "corrupt", "duplicate", "delay"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault probability {name} must be in 0..1, got {value!r}")
        if self.delay_s < 0:
            raise ValueError(f"delay_s must be >= 0, got {self.delay_s!r}")


@dataclass(frozen=True)
class ReceivedPage:
    """A page as shown on a card."""

    page_id: int
    ticket: str
    counter: int
    text: str
    recall: bool
    test: bool
    received_at: float


@dataclass
class SimCard:
    """One radio pager card: what it shows and the button presses the PC has not yet confirmed."""

    card_id: int
    in_range: bool = True
    battery_pct: int = 90
    serial: int = 0
    pages: list[ReceivedPage] = field(default_factory=list)
    seen_page_ids: OrderedDict[int, None] = field(default_factory=OrderedDict)
    next_press_id: int = field(default_factory=lambda: random.getrandbits(16))
    unconfirmed: OrderedDict[int, int] = field(default_factory=OrderedDict)
    confirmed: list[int] = field(default_factory=list)

    def receive(self, page: Page) -> bool:
        """Show ``page`` unless this page id was already shown; True when it was new."""
        if page.page_id in self.seen_page_ids:
            return False
        self.seen_page_ids[page.page_id] = None
        while len(self.seen_page_ids) > 16:
            self.seen_page_ids.popitem(last=False)
        self.pages.append(ReceivedPage(page.page_id, page.ticket, page.counter, page.text,
                                       bool(page.flags & PAGE_FLAG_RECALL), bool(page.flags & PAGE_FLAG_TEST),
                                       time.monotonic()))
        del self.pages[:-KEEP_PAGES]  # a demo runs for months: keep the recent pages only
        return True


class _SimProtocol(FrameProtocol):
    def __init__(self, sim: PagerSimulator) -> None:
        super().__init__()
        self.sim = sim

    def handle_frame(self, frame: Frame) -> None:
        self.sim._handle_frame(frame)


class PagerSimulator:
    """Base station + cards. Thread-safe; ``start()`` opens the port, ``stop()`` closes everything."""

    def __init__(self, cards: int | Iterable[int] = 4, *, transport: str = "pty",
                 link_path: str | os.PathLike[str] | None = None, host: str = "127.0.0.1", port: int = 0,
                 faults: FaultConfig | None = None, heartbeat_s: float = 0.5, ack_timeout: float = 0.2,
                 radio_delay_s: float = 0.005, radio_retry_s: float = 0.05, queue_slots: int = 8,
                 window: int = 4, site_id: int = 1) -> None:
        card_ids = range(1, cards + 1) if isinstance(cards, int) else list(cards)
        if transport == "pty":
            self._end: PtyEnd | TcpEnd = PtyEnd(link_path)
        elif transport == "tcp":
            self._end = TcpEnd(host, port)
        else:
            raise ValueError(f"transport must be 'pty' or 'tcp', got {transport!r}")
        self.cards: dict[int, SimCard] = {}
        for card_id in card_ids:
            if not 1 <= card_id <= 0xFFFE:
                raise ValueError(f"card ids must be in 1..65534, got {card_id!r}")
            self.cards[card_id] = SimCard(card_id, serial=0x5A000000 + card_id)
        self.faults = faults or FaultConfig()
        self.heartbeat_s = heartbeat_s
        self.ack_timeout = ack_timeout
        self.radio_delay_s = radio_delay_s
        self.radio_retry_s = radio_retry_s
        self.queue_slots = queue_slots
        self.window = window
        self.site_id = site_id
        self.frame_hook: Callable[[Frame, float], Any] | None = None
        # a NAK code (e.g. NakCode.UNSUPPORTED_VERSION) to answer every HELLO with: a faulty base station
        self.refuse_hello: int | None = None
        self.stats = {"rx_frames": 0, "rx_bad": 0, "rx_duplicates": 0, "dropped": 0, "corrupted": 0,
                      "duplicated": 0, "delayed": 0, "reboots": 0, "unplugs": 0}

        self._rng = random.Random(self.faults.seed)
        self._lock = threading.RLock()
        self._io_lock = threading.Lock()
        self._rx_lock = threading.Lock()  # one receiver: the I/O thread and line_noise() take turns
        self._cond = threading.Condition(threading.Lock())
        self._timers: list[tuple[float, int, int, Callable[[], None]]] = []
        self._timer_ids = itertools.count()
        self._tx_release = 0.0
        self._running = False
        self._threads: list[threading.Thread] = []
        self._wake_r, self._wake_w = -1, -1
        self._plugged = False
        self._want_plugged = True
        self._reboot_on_plug = False
        self._rx_buffer = bytearray()
        self._protocol = _SimProtocol(self)
        self._config: dict[tuple[int, int], int] = {}
        self._boot()

    # ---- lifecycle --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The URL a PagerDriver opens: the pty symlink path or ``socket://host:port``."""
        return self._end.url

    def start(self) -> PagerSimulator:
        """Open the port and start the I/O and timer threads; returns self."""
        if self._running:
            raise PagerError("simulator already started")
        self._running = True
        self._wake_r, self._wake_w = os.pipe()
        with self._io_lock:
            self._end.open()
            self._plugged = True
        self._protocol.connection_made(self._end)
        for target, name in ((self._io_loop, "pager-sim-io"), (self._timer_loop, "pager-sim-timer")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(thread)
            thread.start()
        self._send_boot()
        self._at(time.monotonic() + self.heartbeat_s, self._heartbeat)
        return self

    def stop(self) -> None:
        """Stop the threads and close the port."""
        if not self._running:
            return
        self._running = False
        self._wake()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(3.0)
        self._threads.clear()
        with self._io_lock:
            self._end.dispose()
            self._plugged = False
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)

    def __enter__(self) -> PagerSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def unplug(self, duration_s: float | None = None, reboot: bool = True) -> None:
        """Pull the USB cable: close the port now; replug after ``duration_s`` if given.

        ``reboot`` (the default, as a USB-powered base station loses power) makes the base station come
        back with a new boot id and empty queues; the cards keep their own state.
        """
        self.stats["unplugs"] += 1
        self._want_plugged = False
        self._reboot_on_plug = reboot
        self._wake()
        if duration_s is not None:
            self._at(time.monotonic() + duration_s, self.replug)

    def replug(self) -> None:
        """Plug the cable back in."""
        self._want_plugged = True
        self._wake()

    @property
    def plugged(self) -> bool:
        """True while the port is open."""
        return self._plugged

    def reboot(self) -> None:
        """Reset the base station (new boot id, queues and dedup memory lost) and announce it with BOOT."""
        with self._lock:
            self._boot()
        self._send_boot()

    def line_noise(self, data: bytes, to_pc: bool = False) -> None:
        """Line noise: ``data`` reaches the base station's receiver as if it came down the wire (or, with
        ``to_pc``, goes out on the wire to the PC) without any delimiter of its own."""
        if to_pc:
            self._write(bytes(data))
        else:
            with self._rx_lock:
                self._protocol.data_received(bytes(data))

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault configuration (e.g. turn faults off to let the test drain)."""
        self.faults = faults
        if faults.seed is not None:
            self._rng = random.Random(faults.seed)

    # ---- cards ------------------------------------------------------------------------------------

    def press(self, card_id: int, button: str | int) -> int:
        """Press a button on a card (next, recall, no_show, finish); returns the card's press id."""
        if isinstance(button, str):
            if button not in BUTTONS_BY_NAME:
                raise ValueError(f"unknown button {button!r}; known: {', '.join(BUTTONS_BY_NAME)}")
            code = int(BUTTONS_BY_NAME[button])
        else:
            code = int(Button(button))
        with self._lock:
            card = self._card(card_id)
            press_id = card.next_press_id
            card.next_press_id = (card.next_press_id + 1) & 0xFFFF
            card.unconfirmed[press_id] = code
            if card.in_range:
                self._queue_press_locked(card, press_id, code)
            wires = self._take_new_locked()
        self._send_all(wires)
        return press_id

    def pages(self, card_id: int) -> list[ReceivedPage]:
        """Pages shown on a card, oldest first."""
        with self._lock:
            return list(self._card(card_id).pages)

    def set_in_range(self, card_id: int, in_range: bool) -> None:
        """Move a card out of (or back into) radio range; presses made out of range go when it returns."""
        with self._lock:
            card = self._card(card_id)
            card.in_range = in_range
            if in_range:
                for press_id, code in card.unconfirmed.items():
                    self._queue_press_locked(card, press_id, code)
            # offline: battery and RSSI unknown (serial_protocol.md section 4, CARD_STATUS)
            status = CardStatus(1, card.battery_pct, -60) if in_range else CardStatus(0)
            self._queue_locked(MsgType.CARD_STATUS, card_id, status.pack())
            wires = self._take_new_locked()
        self._send_all(wires)

    @property
    def pairing(self) -> tuple[int, float] | None:
        """The open pairing window: (card id, seconds left), or None."""
        with self._lock:
            if self._pairing is None:
                return None
            return self._pairing[0], self._pairing[1] - time.monotonic()

    def join_card(self, card_serial: int) -> int | None:
        """A new card asks to pair: it gets the id of the open pairing window (None if none is open)."""
        with self._lock:
            if self._pairing is None:
                return None
            card_id = self._pairing[0]
            self._pairing = None
            card = self.cards[card_id] = SimCard(card_id, serial=card_serial)
            self._queue_locked(MsgType.PAIR_RESULT, card_id, PairResult(PairResultCode.PAIRED, card_serial).pack())
            # first heard after pairing: online (serial_protocol.md section 4, CARD_STATUS)
            self._queue_locked(MsgType.CARD_STATUS, card_id, CardStatus(1, card.battery_pct, -60).pack())
            wires = self._take_new_locked()
        self._send_all(wires)
        return card_id

    def wait_until(self, predicate: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
        """Wait (sleeping ``step`` between checks) until ``predicate()`` is true; False on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(step)
        return True

    @property
    def boot_id(self) -> int:
        """The current boot id."""
        return self._boot_id

    @property
    def idle(self) -> bool:
        """True when nothing is queued or waiting for an ACK and no card has an unconfirmed press."""
        with self._lock:
            return (not self._tx.queue and not self._tx.outstanding and not self._radio_jobs
                    and not any(card.unconfirmed for card in self.cards.values()))

    def _card(self, card_id: int) -> SimCard:
        card = self.cards.get(card_id)
        if card is None:
            raise PagerError(f"no card {card_id} in the simulator (cards: {sorted(self.cards)})")
        return card

    # ---- base-station state -----------------------------------------------------------------------

    def _boot(self) -> None:
        self._boot_id = random.getrandbits(32)
        self._booted_at = time.monotonic()
        self._generation = getattr(self, "_generation", 0) + 1
        self._session: int | None = None
        self._rx_ring = DedupRing()
        self._tx = TxWindow(flags=FLAG_FROM_BASE, window=self.window, first_seq=random.getrandbits(8))
        # pages waiting for radio delivery (the page slots): job id -> [card id, page id, radio attempts]
        self._radio_jobs: dict[int, list[int]] = {}
        self._pairing: tuple[int, float] | None = None
        if self._generation > 1:
            self.stats["reboots"] += 1
        # The cards still hold their unconfirmed presses and send them again to the new base station.
        for card in self.cards.values():
            if card.in_range:
                for press_id, code in card.unconfirmed.items():
                    self._queue_press_locked(card, press_id, code)

    def _base_info(self) -> BaseInfo:
        return BaseInfo(self._boot_id, *FW_VERSION, window=self.window, max_text=96, site_id=self.site_id)

    def _queue_press_locked(self, card: SimCard, press_id: int, code: int) -> None:
        self._queue_locked(MsgType.BUTTON, card.card_id, ButtonPress(press_id, code).pack(),
                           context=("press", card.card_id, press_id))

    def _queue_locked(self, msg_type: int, node: int, body: bytes, context: Any = None) -> None:
        self._tx.submit(Outgoing(type=msg_type, node=node, body=body, context=context))

    def _take_new_locked(self) -> list[bytes]:
        # No reliable frame before a PC session exists: the PC could not tell them from the last boot's.
        if self._session is None or not self._plugged:
            return []
        started = self._tx.take_new(time.monotonic(), self.ack_timeout)
        if started:
            self._at(min(item.due for item in started), self._retransmit)
        return [item.wire for item in started]

    def _config_value(self, node: int, name: str) -> int:
        key = config_keys.lookup_key(name)
        return self._config.get((node, key.code), key.default)

    def _send_boot(self) -> None:
        self._send_all([encode_frame(Frame(type=MsgType.BOOT, body=self._base_info().pack(),
                                           flags=FLAG_FROM_BASE))])

    def _heartbeat(self) -> None:
        if not self._running:
            return
        with self._lock:
            free = max(0, self.queue_slots - len(self._radio_jobs))
            body = Heartbeat(self._boot_id, int(time.monotonic() - self._booted_at), free).pack()
        self._send_all([encode_frame(Frame(type=MsgType.HEARTBEAT, body=body, flags=FLAG_FROM_BASE))])
        self._at(time.monotonic() + self.heartbeat_s, self._heartbeat)

    def _retransmit(self) -> None:
        now = time.monotonic()
        with self._lock:
            if not self._plugged or self._session is None:
                return
            wires = []
            for item in self._tx.due(now):
                item.attempts += 1
                # Back off to at most 1 s but never give up: a button press must reach the PC.
                item.due = now + min(self.ack_timeout * 2 ** min(item.attempts - 1, 5), 1.0)
                wires.append(item.wire)
            deadline = self._tx.next_deadline()
        if deadline is not None:
            self._at(deadline, self._retransmit)
        self._send_all(wires)

    # ---- frames in --------------------------------------------------------------------------------

    def _handle_frame(self, frame: Frame) -> None:
        now = time.monotonic()
        self.stats["rx_frames"] += 1
        if self.frame_hook is not None:
            self.frame_hook(frame, time.perf_counter())
        if frame.from_base:
            return  # our own frame echoed back (a loop-back or a misconfigured port): never answered
        with self._lock:
            wires: list[bytes] = []
            if frame.version != PROTOCOL_VERSION:
                if frame.reliable:  # not acted on, so not stored in the ring: the answer is the same anyway
                    wires.append(self._nak(frame, NakCode.UNSUPPORTED_VERSION))
            elif frame.type in (MsgType.ACK, MsgType.NAK):
                wires += self._handle_answer_locked(frame)
            elif frame.type in (MsgType.HEARTBEAT, MsgType.BOOT):
                pass  # the PC's heartbeat only says it is alive; the base keeps its session regardless
            elif frame.type == MsgType.HELLO:
                # Idempotent, so never looked up in nor stored in the ring: a new session's HELLO may reuse
                # a sequence number the old session's ring still holds (section 7.1).
                answer, opened = self._hello_locked(frame)
                wires.append(answer)
                if opened:
                    wires += self._resend_outstanding_locked(now)
            elif self._session is None:
                wires.append(self._nak(frame, NakCode.NOT_READY))
            else:
                cached = self._rx_ring.lookup(frame.seq)
                if cached is not None:
                    self.stats["rx_duplicates"] += 1
                    wires.append(cached)
                else:
                    answer, cache = self._handle_request_locked(frame, now)
                    if cache:
                        self._rx_ring.store(frame.seq, answer)
                    wires.append(answer)
            wires += self._take_new_locked()
        self._send_all(wires)

    def _hello_locked(self, frame: Frame) -> tuple[bytes, bool]:
        """Answer a HELLO; returns the answer and whether a session is open now."""
        if len(frame.body) != 6:
            return self._nak(frame, NakCode.BAD_LENGTH), False
        session_id, version, window = struct.unpack(Hello.FMT, frame.body)
        if version != PROTOCOL_VERSION:
            return self._nak(frame, NakCode.UNSUPPORTED_VERSION), False
        if not 1 <= window <= 16:
            return self._nak(frame, NakCode.BAD_VALUE), False
        if self.refuse_hello is not None:
            return self._nak(frame, self.refuse_hello), False
        if session_id != self._session:
            self._session = session_id
            self._rx_ring.clear()
        self._tx.window = min(self.window, window)
        return self._ack(frame, self._base_info().pack()), True

    def _nak(self, frame: Frame, code: int) -> bytes:
        return encode_frame(Frame(type=MsgType.NAK, node=frame.node, seq=frame.seq, body=NakBody(code).pack(),
                                  flags=FLAG_FROM_BASE))

    def _ack(self, frame: Frame, body: bytes = b"") -> bytes:
        return encode_frame(Frame(type=MsgType.ACK, node=frame.node, seq=frame.seq, body=body,
                                  flags=FLAG_FROM_BASE))

    def _resend_outstanding_locked(self, now: float) -> list[bytes]:
        wires = []
        for item in self._tx.outstanding.values():
            item.due = now + self.ack_timeout
            wires.append(item.wire)
        if wires:
            self._at(now + self.ack_timeout, self._retransmit)
        return wires

    def _handle_answer_locked(self, frame: Frame) -> list[bytes]:
        item = self._tx.outstanding.get(frame.seq)
        if item is None or item.node != frame.node:
            return []
        if frame.type == MsgType.NAK:
            try:
                code = NakBody.unpack(frame.body).code
            except FrameError:
                return []
            if code in (NakCode.BUSY, NakCode.NOT_READY):
                return []  # retransmitted by the timer
            log.warning("PC refused %s to node %d: NAK %d", MsgType(item.type).name, item.node, code)
        self._tx.resolve(frame.seq)
        if isinstance(item.context, tuple) and item.context[0] == "press":
            _, card_id, press_id = item.context
            card = self.cards.get(card_id)
            if card is not None and card.unconfirmed.pop(press_id, None) is not None:
                card.confirmed.append(press_id)
        return []

    def _handle_request_locked(self, frame: Frame, now: float) -> tuple[bytes, bool]:
        """Act on one new reliable frame of the open session; returns the answer and whether to cache it.

        Checks in the order of serial_protocol.md section 6.1: type, body layout (BAD_LENGTH), values and
        node (BAD_VALUE), pairing (UNKNOWN_NODE), room (BUSY).
        """
        handlers = {MsgType.PAGE: self._page_locked, MsgType.CONFIG_GET: self._config_get_locked,
                    MsgType.CONFIG_SET: self._config_set_locked, MsgType.PAIR_START: self._pair_start_locked,
                    MsgType.UNPAIR: self._unpair_locked}
        handler = handlers.get(frame.type)
        if handler is None:  # unknown, or a type the base sends and never receives
            return self._nak(frame, NakCode.UNKNOWN_TYPE), True
        try:
            code, body = handler(frame, now)
        except BadValueError:
            code, body = NakCode.BAD_VALUE, b""
        except FrameError:
            code, body = NakCode.BAD_LENGTH, b""
        if code is None:
            return self._ack(frame, body), True
        return self._nak(frame, code), code not in (NakCode.BUSY, NakCode.NOT_READY)

    @staticmethod
    def _card_node(node: int) -> None:
        if node in (NODE_BASE, NODE_BROADCAST):
            raise BadValueError(f"node {node} is not a card id")

    def _page_locked(self, frame: Frame, now: float) -> tuple[int | None, bytes]:
        page = Page.unpack(frame.body)  # reserved page flag bits are ignored, like header flag bits
        self._card_node(frame.node)
        if frame.node not in self.cards:
            return NakCode.UNKNOWN_NODE, b""
        if len(self._radio_jobs) >= self.queue_slots:
            return NakCode.BUSY, b""
        job = next(self._timer_ids)
        self._radio_jobs[job] = [frame.node, page.page_id, 0]
        self._at(now + self.radio_delay_s, lambda: self._radio_send(job, page, frame.node, 1))
        return None, b""

    def _config_key_locked(self, node: int, key: config_keys.ConfigKey) -> int | None:
        if key.scope == "base":
            if node != NODE_BASE:
                raise BadValueError(f"{key.name} is a base setting, sent to node {node}")
            return None
        self._card_node(node)
        return None if node in self.cards else NakCode.UNKNOWN_NODE

    def _config_get_locked(self, frame: Frame, now: float) -> tuple[int | None, bytes]:
        key = config_keys.unpack_config_get(frame.body)
        error = self._config_key_locked(frame.node, key)
        if error is not None:
            return error, b""
        return None, config_keys.pack_config_value(key.code, self._config_value(frame.node, key.name))

    def _config_set_locked(self, frame: Frame, now: float) -> tuple[int | None, bytes]:
        key, value = config_keys.unpack_config_value(frame.body)
        error = self._config_key_locked(frame.node, key)
        if error is not None:
            return error, b""
        if key.name in ("card_id_min", "card_id_max"):
            low = value if key.name == "card_id_min" else self._config_value(0, "card_id_min")
            high = value if key.name == "card_id_max" else self._config_value(0, "card_id_max")
            if low > high:
                raise BadValueError("card_id_min would be greater than card_id_max")
        if key.name == "site_id" and value != self._config_value(0, "site_id") and self.cards:
            raise BadValueError("site_id cannot change while cards are paired")  # their labels name the site
        self._config[(frame.node, key.code)] = value
        return None, b""

    def _pair_start_locked(self, frame: Frame, now: float) -> tuple[int | None, bytes]:
        start = PairStart.unpack(frame.body)
        self._card_node(frame.node)
        low, high = self._config_value(0, "card_id_min"), self._config_value(0, "card_id_max")
        if not low <= frame.node <= high or frame.node in self.cards:
            raise BadValueError(f"card id {frame.node} is outside {low}..{high} or already paired")
        window = self._config_value(0, "pairing_window_s") if start.window_s == PAIR_WINDOW_DEFAULT else start.window_s
        if self._pairing is not None and self._pairing[0] != frame.node:
            # One window at a time: the newer request wins, the older one ends as TIMEOUT (no card joined).
            self._queue_locked(MsgType.PAIR_RESULT, self._pairing[0], PairResult(PairResultCode.TIMEOUT).pack())
        self._pairing = (frame.node, now + window)
        self._at(now + window, lambda: self._pairing_timeout(frame.node))
        return None, b""

    def _unpair_locked(self, frame: Frame, now: float) -> tuple[int | None, bytes]:
        if frame.body:
            raise FrameError("UNPAIR body must be empty")
        self._card_node(frame.node)
        if self.cards.pop(frame.node, None) is None:
            return NakCode.UNKNOWN_NODE, b""
        for key in [key for key in self._config if key[0] == frame.node]:
            del self._config[key]  # its pending card settings go with it
        for job, (card_id, page_id, attempts) in list(self._radio_jobs.items()):
            if card_id == frame.node:  # every accepted page still gets its one PAGE_STATUS, at once
                del self._radio_jobs[job]
                self._queue_locked(MsgType.PAGE_STATUS, card_id,
                                   PageStatus(page_id, DeliveryStatus.UNREACHABLE, attempts, -128).pack())
        return None, b""

    def _radio_send(self, job: int, page: Page, card_id: int, attempt: int) -> None:
        with self._lock:
            if job not in self._radio_jobs:
                return  # lost with a reboot, or ended by an UNPAIR
            self._radio_jobs[job][2] = attempt
            card = self.cards.get(card_id)
            retries = self._config_value(0, "page_radio_retries")
            if card is not None and card.in_range:
                card.receive(page)
                status = DeliveryStatus.DELIVERED
            elif card is not None and attempt <= retries:
                self._at(time.monotonic() + self.radio_retry_s,
                         lambda: self._radio_send(job, page, card_id, attempt + 1))
                return
            else:  # out of range after every retry, or unpaired meanwhile: one report either way
                status = DeliveryStatus.UNREACHABLE
            del self._radio_jobs[job]
            rssi = -60 if status == DeliveryStatus.DELIVERED else -128
            self._queue_locked(MsgType.PAGE_STATUS, card_id, PageStatus(page.page_id, status, attempt, rssi).pack())
            wires = self._take_new_locked()
        self._send_all(wires)

    def _pairing_timeout(self, card_id: int) -> None:
        with self._lock:
            if self._pairing is None or self._pairing[0] != card_id or self._pairing[1] > time.monotonic() + 0.001:
                return  # joined, replaced, restarted for longer, or lost with a reboot
            self._pairing = None
            self._queue_locked(MsgType.PAIR_RESULT, card_id, PairResult(PairResultCode.TIMEOUT).pack())
            wires = self._take_new_locked()
        self._send_all(wires)

    # ---- wire, with faults ------------------------------------------------------------------------

    def _send_all(self, wires: list[bytes]) -> None:
        if not wires:
            return
        out = bytearray()
        delay = 0.0
        faults = self.faults
        for wire in wires:
            copies = self._mangle(wire)
            if copies and faults.delay and self._rng.random() < faults.delay:
                self.stats["delayed"] += 1
                delay = faults.delay_s
            out += on_the_wire(copies)
        if not out:
            return
        data = bytes(out)
        with self._cond:
            now = time.monotonic()
            # A delayed frame holds back everything after it: a serial line delays, it never reorders.
            release = max(now + delay, self._tx_release)
            if release > now:
                self._tx_release = release
                heapq.heappush(self._timers, (release, next(self._timer_ids), 0, lambda: self._write(data)))
                self._cond.notify()
                return
        self._write(data)

    def _mangle(self, wire: bytes) -> list[bytes]:
        """Apply drop / corrupt / duplicate to one wire frame; returns the copies that go out."""
        faults = self.faults
        rng = self._rng
        if faults.drop and rng.random() < faults.drop:
            self.stats["dropped"] += 1
            return []
        if faults.corrupt and rng.random() < faults.corrupt:
            self.stats["corrupted"] += 1
            data = bytearray(wire)
            position = rng.randrange(len(data) - 1)  # keep the delimiter so the damage stays in one frame
            data[position] ^= rng.randrange(1, 256)
            wire = bytes(data)
        if faults.duplicate and rng.random() < faults.duplicate:
            self.stats["duplicated"] += 1
            return [wire, wire]
        return [wire]

    def _write(self, data: bytes) -> None:
        with self._io_lock:
            if self._plugged:
                self._end.write(data)

    def _feed(self, data: bytes) -> None:
        """Split incoming bytes into frames and apply the receive faults before decoding."""
        self._rx_buffer += data
        while True:
            end = self._rx_buffer.find(0)
            if end < 0:
                if len(self._rx_buffer) > 4096:
                    self._rx_buffer.clear()
                return
            wire = bytes(self._rx_buffer[:end + 1])
            del self._rx_buffer[:end + 1]
            if len(wire) == 1:  # the leading 0x00 of a frame, or idle fill: nothing to damage
                self._protocol.data_received(wire)
                continue
            for copy in self._mangle(wire):
                self._protocol.data_received(copy)

    # ---- threads ----------------------------------------------------------------------------------

    def _wake(self) -> None:
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    def _io_loop(self) -> None:
        while self._running:
            self._apply_plug_state()
            with self._io_lock:
                fds = self._end.read_fds() if self._plugged else []
            try:
                ready, _, _ = select.select(fds + [self._wake_r], [], [], 1.0)
            except (OSError, ValueError):
                continue  # an fd closed under us by an unplug; the next round sees the new state
            if self._wake_r in ready:
                os.read(self._wake_r, 4096)
            for fd in ready:
                if fd == self._wake_r:
                    continue
                with self._io_lock:
                    data = self._end.readable(fd) if self._plugged else b""
                if data:
                    with self._rx_lock:
                        self._feed(data)

    def _apply_plug_state(self) -> None:
        if self._want_plugged == self._plugged:
            return
        if not self._want_plugged:
            with self._io_lock:
                self._end.close()
                self._plugged = False
            self._rx_buffer.clear()
            log.info("simulator unplugged")
            return
        with self._lock:
            if self._reboot_on_plug:
                self._boot()
                self._reboot_on_plug = False
        with self._io_lock:
            self._end.open()
            self._plugged = True
        log.info("simulator plugged in at %s", self.url)
        self._send_boot()
        now = time.monotonic()
        with self._lock:
            wires = self._resend_outstanding_locked(now) if self._session is not None else []
        self._send_all(wires)

    def _at(self, when: float, callback: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._timers, (when, next(self._timer_ids), 0, callback))
            self._cond.notify()

    def _timer_loop(self) -> None:
        while self._running:
            with self._cond:
                now = time.monotonic()
                if not self._timers or self._timers[0][0] > now:
                    timeout = self._timers[0][0] - now if self._timers else 1.0
                    self._cond.wait(min(timeout, 1.0))
                    continue
                _, _, _, callback = heapq.heappop(self._timers)
            try:
                callback()
            except Exception:
                log.exception("simulator timer job failed")
