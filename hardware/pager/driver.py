"""The PC side of the pager link: a threaded pyserial driver for the base station.

Three threads, none of them polling: the I/O thread opens the port (reconnecting with backoff) and
blocks in ``read``; the timer thread sleeps on a Condition until the next retransmission, heartbeat or
page deadline; the callback thread runs the user's callbacks so a slow callback never stalls the link.
"""
from __future__ import annotations

import logging
import queue
import random
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import serial

from . import config_keys
from .errors import FrameError, PagerError, PagerLinkError, PagerNakError
from .messages import (
    BUTTON_NAMES,
    MAX_TEXT_BYTES,
    PAGE_FLAG_RECALL,
    PAGE_FLAG_TEST,
    PAIR_WINDOW_DEFAULT,
    TRANSIENT_NAKS,
    BaseInfo,
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
    PairStart,
    encode_frame,
    on_the_wire,
)
from .ports import DEFAULT_SYMLINKS, DEFAULT_USB_IDS, find_port
from .protocol import FrameProtocol
from .reliable import DedupRing, Outgoing, TxWindow

log = logging.getLogger(__name__)

STATUS_QUEUED = "queued"
STATUS_SENT = "sent"
STATUS_DELIVERED = "delivered"
STATUS_UNREACHABLE = "unreachable"
FINAL_STATUSES = frozenset({STATUS_DELIVERED, STATUS_UNREACHABLE})
LINK_UP = "up"
LINK_DOWN = "down"
_PRESS_MEMORY = 64
_PAGE_MEMORY = 2048


@dataclass
class PageRecord:
    """What the driver knows about one page."""

    page_id: int
    card_id: int
    body: bytes
    status: str = STATUS_QUEUED
    sent_reported: bool = False
    attempts: int = 0
    report_due: float | None = None
    expires_at: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Request:
    """A config or pairing request waiting for its answer."""

    done: threading.Event = field(default_factory=threading.Event)
    answer: bytes | None = None
    error: PagerError | None = None


class _DriverProtocol(FrameProtocol):
    def __init__(self, driver: PagerDriver) -> None:
        super().__init__()
        self.driver = driver

    def handle_frame(self, frame: Frame) -> None:
        self.driver._handle_frame(frame)


class PagerDriver:
    """Talks to the pager base station; thread-safe; callbacks run on one dedicated thread.

    ``url`` is anything ``serial.serial_for_url`` opens (a device path, a udev symlink, ``socket://h:p``);
    None means "find it": the udev ``symlinks`` first, then a USB port with one of ``usb_ids``.
    Callbacks: ``on_button(card_id, button)`` with button in next/recall/no_show/finish;
    ``on_page_status(page_id, card_id, status)`` with status sent/delivered/unreachable;
    ``on_link(state)`` with state up/down; ``on_card_status(card_id, info_dict)``;
    ``on_pair_result(card_id, result_code, card_serial)``.
    """

    def __init__(self, url: str | None = None, *,
                 on_button: Callable[[int, str], Any] | None = None,
                 on_page_status: Callable[[int, int, str], Any] | None = None,
                 on_link: Callable[[str], Any] | None = None,
                 on_card_status: Callable[[int, dict], Any] | None = None,
                 on_pair_result: Callable[[int, int, int], Any] | None = None,
                 baudrate: int = 115200,
                 symlinks: Iterable[str] = DEFAULT_SYMLINKS,
                 usb_ids: Iterable[tuple[int, int]] = DEFAULT_USB_IDS,
                 window: int = 4,
                 ack_timeout: float = 0.25,
                 max_retries: int = 6,
                 heartbeat_s: float = 1.0,
                 link_timeout: float = 4.0,
                 page_timeout: float = 10.0,
                 page_attempts: int = 3,
                 page_expiry: float = 120.0,
                 busy_backoff: float = 0.1,
                 backoff_min: float = 0.05,
                 backoff_max: float = 5.0,
                 read_timeout: float = 0.5,
                 first_seq: int | None = None,
                 first_page_id: int | None = None) -> None:
        if not 1 <= window <= 16:
            raise ValueError(f"window must be in 1..16, got {window}")
        if ack_timeout <= 0 or heartbeat_s <= 0 or link_timeout <= heartbeat_s:
            raise ValueError("ack_timeout and heartbeat_s must be > 0 and link_timeout > heartbeat_s")
        self.url = url
        self.on_button = on_button
        self.on_page_status = on_page_status
        self.on_link = on_link
        self.on_card_status = on_card_status
        self.on_pair_result = on_pair_result
        self.baudrate = baudrate
        self.symlinks = tuple(symlinks)
        self.usb_ids = tuple(usb_ids)
        self.window = window
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self.heartbeat_s = heartbeat_s
        self.link_timeout = link_timeout
        self.page_timeout = page_timeout
        self.page_attempts = page_attempts
        self.page_expiry = page_expiry
        self.busy_backoff = busy_backoff
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.read_timeout = read_timeout

        self.session_id = random.getrandbits(32)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._reconnect = threading.Event()
        self._threads: list[threading.Thread] = []
        self._callbacks: queue.Queue[tuple[Callable[..., Any], tuple] | None] = queue.Queue()
        self._protocol = _DriverProtocol(self)
        self._serial: Any = None
        self._port_name: str | None = None
        self._link_up = False
        self._came_up = False
        self._hello: Outgoing | None = None
        # Random starts (section 5 and 7.2 of the protocol); fixed ones only for golden-byte tests.
        self._tx = TxWindow(flags=0, window=window,
                            first_seq=random.getrandbits(8) if first_seq is None else first_seq)
        self._rx_ring = DedupRing()
        self._base: BaseInfo | None = None
        self._boot_id: int | None = None
        self._last_rx = 0.0
        self._heard_at: float | None = None  # wall clock of the last frame from the base, for the health board
        self._fault: str | None = None
        self._next_heartbeat = 0.0
        self._started_at = time.monotonic()
        self._next_page_id = random.randint(1, 0xFFFFFFFF) if first_page_id is None else first_page_id
        self._pages: OrderedDict[int, PageRecord] = OrderedDict()
        self._presses: dict[int, OrderedDict[int, None]] = {}
        self.stats = {"connects": 0, "reboots_seen": 0, "retransmits": 0, "duplicates": 0, "bad_frames": 0,
                      "frames_in": 0}

    # ---- lifecycle --------------------------------------------------------------------------------

    def start(self) -> PagerDriver:
        """Start the I/O, timer and callback threads; returns self. The port opens in the background."""
        if self._threads:
            raise PagerError("driver already started")
        self._stop.clear()
        for target, name in ((self._io_loop, "pager-io"), (self._timer_loop, "pager-timer"),
                             (self._callback_loop, "pager-callbacks")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Stop all threads and close the port; pages not yet delivered are left as they are."""
        self._stop.set()
        self._wake_reader()
        with self._cond:
            self._cond.notify_all()
        self._callbacks.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def flush(self, deadline: float) -> int:
        """Wait until every page queued so far was accepted by the base station (or finally refused),
        or until ``deadline`` (time.monotonic()); returns how many are still waiting. For an orderly
        stop: a page accepted before the stop is not lost with the process."""
        while True:
            with self._lock:
                waiting = sum(1 for r in self._pages.values() if r.status == STATUS_QUEUED)
            if not waiting or time.monotonic() >= deadline or not self._threads:
                return waiting
            time.sleep(0.01)

    def __enter__(self) -> PagerDriver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def link_up(self) -> bool:
        """True while the port is open and the base station answered our HELLO."""
        return self._link_up

    @property
    def base_info(self) -> BaseInfo | None:
        """Identity of the base station from the last handshake."""
        return self._base

    @property
    def last_heard(self) -> float | None:
        """When (epoch seconds) the last frame from the base station arrived (a heartbeat at least every
        ``heartbeat_s`` while it is connected); None before the first."""
        return self._heard_at

    @property
    def fault(self) -> str | None:
        """Why the base station refused our session (its NAK to HELLO), until the link comes up or the
        port is gone; None when it reports nothing wrong."""
        return self._fault

    @property
    def port_name(self) -> str | None:
        """The port currently (or last) open."""
        return self._port_name

    def wait_link(self, timeout: float) -> bool:
        """Block until the link is up (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._link_up:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    # ---- public requests --------------------------------------------------------------------------

    def page(self, card_id: int, ticket: str, counter: int = 0, text: str = "", *, recall: bool = False,
             test: bool = False) -> int:
        """Queue a page of ``ticket`` (called to ``counter``) to card ``card_id``; returns its page id.

        Raises FrameError (a ValueError) for a bad card id, ticket or over-long text. The frame goes on
        the wire from this thread when the link is up and the window has room.
        """
        if not isinstance(card_id, int) or not 1 <= card_id <= 0xFFFE:
            raise FrameError(f"card_id must be an integer in 1..65534, got {card_id!r}")
        flags = (PAGE_FLAG_RECALL if recall else 0) | (PAGE_FLAG_TEST if test else 0)
        with self._lock:
            page_id = self._next_page_id
            self._next_page_id = self._next_page_id % 0xFFFFFFFF + 1
        body = Page(page_id=page_id, ticket=ticket, counter=counter, text=text, flags=flags).pack()
        now = time.monotonic()
        record = PageRecord(page_id=page_id, card_id=card_id, body=body, expires_at=now + self.page_expiry)
        with self._lock:
            self._pages[page_id] = record
            while len(self._pages) > _PAGE_MEMORY:
                oldest = next(iter(self._pages.values()))
                if oldest.status not in FINAL_STATUSES:
                    break
                self._pages.popitem(last=False)
            self._submit_page_locked(record)
            wires = self._take_new_locked(now)
        self._write_all(wires)
        return page_id

    def page_status(self, page_id: int) -> str | None:
        """Current status of a page: queued, sent, delivered, unreachable; None if unknown."""
        with self._lock:
            record = self._pages.get(page_id)
            return record.status if record else None

    def wait_page(self, page_id: int, timeout: float) -> str | None:
        """Block until the page is delivered or unreachable; returns the status (None if unknown)."""
        with self._lock:
            record = self._pages.get(page_id)
        if record is None:
            return None
        record.done.wait(timeout)
        return record.status

    def config_get(self, key: int | str, node: int = 0, timeout: float = 3.0) -> int:
        """Read one setting of the base station (node 0) or of a card; raises PagerError on failure."""
        found = config_keys.lookup_key(key)
        answer = self._request(MsgType.CONFIG_GET, node, config_keys.pack_config_get(found.code), timeout)
        got, value = config_keys.unpack_config_value(answer)
        if got.code != found.code:
            raise PagerError(f"asked for {found.name}, the base station answered {got.name}")
        return value

    def config_set(self, key: int | str, value: int, node: int = 0, timeout: float = 3.0) -> None:
        """Change one setting; raises FrameError for a bad value, PagerNakError if the base refuses."""
        self._request(MsgType.CONFIG_SET, node, config_keys.pack_config_value(key, value), timeout)

    def start_pairing(self, card_id: int, window_s: int | None = None, timeout: float = 3.0) -> None:
        """Open a pairing window for a new card that will get ``card_id``, for ``window_s`` seconds
        (10..600; None: the base station's ``pairing_window_s``); the result comes to ``on_pair_result``."""
        body = PairStart(PAIR_WINDOW_DEFAULT if window_s is None else window_s).pack()
        self._request(MsgType.PAIR_START, card_id, body, timeout)

    def unpair(self, card_id: int, timeout: float = 3.0) -> None:
        """Forget a card on the base station."""
        self._request(MsgType.UNPAIR, card_id, b"", timeout)

    def _request(self, msg_type: int, node: int, body: bytes, timeout: float) -> bytes:
        if not isinstance(node, int) or not 0 <= node <= 0xFFFE:
            raise FrameError(f"node must be an integer in 0..65534, got {node!r}")
        request = _Request()
        with self._lock:
            self._tx.submit(Outgoing(type=msg_type, node=node, body=body, context=request))
            wires = self._take_new_locked(time.monotonic())
        self._write_all(wires)
        if not request.done.wait(timeout):
            with self._lock:
                self._forget_request_locked(request)
            raise PagerLinkError(f"no answer from the base station within {timeout:.1f} s")
        if request.error is not None:
            raise request.error
        return request.answer or b""

    def _forget_request_locked(self, request: _Request) -> None:
        self._tx.queue = type(self._tx.queue)(item for item in self._tx.queue if item.context is not request)
        for seq, item in list(self._tx.outstanding.items()):
            if item.context is request:
                del self._tx.outstanding[seq]

    # ---- I/O thread -------------------------------------------------------------------------------

    def _open(self) -> Any:
        name = self.url or find_port(self.symlinks, self.usb_ids)
        if name is None:
            return None
        try:
            port = serial.serial_for_url(name, baudrate=self.baudrate, timeout=self.read_timeout,
                                         write_timeout=1.0)
        except (serial.SerialException, OSError, ValueError) as exc:
            log.debug("cannot open pager port %s: %s", name, exc)
            return None
        self._port_name = name
        sock = getattr(port, "_socket", None)  # socket:// ports: pyserial leaves Nagle on, costing ~40 ms
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        return port

    def _io_loop(self) -> None:
        delay = self.backoff_min
        while not self._stop.is_set():
            port = self._open()
            if port is None:
                self._fault = None  # no base station at all: it is missing, not faulty
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            self._connection_made(port)
            error: BaseException | None = None
            try:
                while not self._stop.is_set() and not self._reconnect.is_set():
                    data = port.read(port.in_waiting or 1)
                    if data:
                        self._protocol.data_received(data)
            except (serial.SerialException, OSError) as exc:
                error = exc
            except Exception as exc:  # a bug in decoding: log where, then start the link afresh
                log.exception("pager link on %s failed", getattr(port, "port", port))
                error = exc
            was_up = self._connection_lost(port, error)
            if was_up:
                delay = self.backoff_min
            elif not self._stop.is_set():
                # The port opened but never came up (wrong device, base booting): back off.
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_max)

    def _connection_made(self, port: Any) -> None:
        now = time.monotonic()
        with self._lock:
            self._serial = port
            self._reconnect.clear()
            self._came_up = False
            self._protocol.connection_made(port)
            self.stats["connects"] += 1
            self._last_rx = now
            self._next_heartbeat = now
            wires = self._handshake_locked(now)
            self._cond.notify_all()
        log.info("pager port %s open", self._port_name)
        self._write_all(wires)

    def _connection_lost(self, port: Any, error: BaseException | None) -> bool:
        with self._lock:
            was_up = self._came_up
            self._serial = None
            self._protocol.connection_lost(error)
            if self._hello is not None:
                self._tx.resolve(self._hello.seq)
                self._hello = None
            went_down = self._link_up
            self._link_up = False
            self._cond.notify_all()
        with self._write_lock:  # no writer may still hold the old port while it closes
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass
        if error is not None and not self._stop.is_set():
            log.warning("pager port lost: %s", error)
        if went_down:
            self._emit(self.on_link, LINK_DOWN)
        return was_up

    def _wake_reader(self) -> None:
        port = self._serial
        cancel = getattr(port, "cancel_read", None)
        if cancel is not None:
            try:
                cancel()
            except (serial.SerialException, OSError, AttributeError):
                pass

    def _force_reconnect(self, why: str) -> None:
        log.warning("pager link reset: %s", why)
        self._reconnect.set()
        self._wake_reader()

    def _write_all(self, wires: list[bytes]) -> None:
        if not wires:
            return
        with self._write_lock:
            port = self._serial
            if port is None:
                return
            try:
                port.write(on_the_wire(wires))
            except (serial.SerialException, OSError) as exc:
                self._force_reconnect(f"write failed: {exc}")

    # ---- frames in (I/O thread) -------------------------------------------------------------------

    def _handle_frame(self, frame: Frame) -> None:
        if not frame.from_base:
            return  # our own frames echoed back by a misconfigured port
        now = time.monotonic()
        wires: list[bytes] = []
        with self._lock:
            self._last_rx = now
            self._heard_at = time.time()
            self.stats["frames_in"] += 1
            if frame.version != 1:
                if frame.reliable:
                    wires.append(self._nak(frame, NakCode.UNSUPPORTED_VERSION))
            elif frame.type in (MsgType.ACK, MsgType.NAK):
                wires += self._handle_answer_locked(frame, now)
            elif frame.type in (MsgType.BOOT, MsgType.HEARTBEAT):
                wires += self._handle_presence_locked(frame, now)
            elif not self._link_up:
                # Until our HELLO is answered we cannot tell a new boot's sequence numbers from the old
                # ones in the dedup ring; stay silent and let the base station retransmit.
                pass
            else:
                cached = self._rx_ring.lookup(frame.seq)
                if cached is not None:
                    self.stats["duplicates"] += 1
                    wires.append(cached)
                else:
                    answer = self._handle_reliable_locked(frame, now)
                    self._rx_ring.store(frame.seq, answer)
                    wires.append(answer)
        self._write_all(wires)

    def _ack(self, frame: Frame, body: bytes = b"") -> bytes:
        return encode_frame(Frame(type=MsgType.ACK, node=frame.node, seq=frame.seq, body=body))

    def _nak(self, frame: Frame, code: int) -> bytes:
        return encode_frame(Frame(type=MsgType.NAK, node=frame.node, seq=frame.seq, body=NakBody(code).pack()))

    def _handle_presence_locked(self, frame: Frame, now: float) -> list[bytes]:
        try:
            if frame.type == MsgType.BOOT:
                boot_id = BaseInfo.unpack(frame.body).boot_id
            else:
                boot_id = Heartbeat.unpack(frame.body).sender_id
        except FrameError as exc:
            log.debug("ignored bad %s: %s", MsgType(frame.type).name, exc)
            return []
        if self._boot_id is not None and boot_id != self._boot_id:
            # The base station rebooted: its sequence numbers restart, and it forgot our session.
            self.stats["reboots_seen"] += 1
            self._boot_id = boot_id
            self._rx_ring.clear()
            return self._handshake_locked(now)
        if frame.type == MsgType.BOOT and self._boot_id is None:
            return self._handshake_locked(now)
        return []

    def _handshake_locked(self, now: float) -> list[bytes]:
        if self._hello is not None:
            return []
        was_up = self._link_up
        self._link_up = False
        if was_up:
            self._emit(self.on_link, LINK_DOWN)
        self._hello = Outgoing(type=MsgType.HELLO, node=0, body=Hello(self.session_id, window=self.window).pack())
        self._tx.start(self._hello, now, self.ack_timeout)
        return [self._hello.wire]

    def _handle_answer_locked(self, frame: Frame, now: float) -> list[bytes]:
        item = self._tx.outstanding.get(frame.seq)
        if item is None or item.node != frame.node:
            return []  # a late answer to a retransmission already answered
        if frame.type == MsgType.NAK:
            try:
                code = NakBody.unpack(frame.body).code
            except FrameError:
                return []
            if code in TRANSIENT_NAKS:
                # The base answered: it is alive, so this does not count towards the silence limit
                # (max_retries) that resets the link; a page may wait for a free slot for long.
                item.attempts = 1
                item.due = now + self.busy_backoff
                if code == NakCode.NOT_READY and item is not self._hello:
                    return self._handshake_locked(now)
                return []
            self._tx.resolve(frame.seq)
            if item is self._hello:
                self._hello = None
                self._fault = NakCode(code).name if code in NakCode._value2member_map_ else f"NAK 0x{code:02X}"
                log.error("base station refused HELLO: NAK 0x%02X (protocol version %d)", code, 1)
                self._force_reconnect("HELLO refused")
                return []
            self._on_refused_locked(item, code)
            return self._take_new_locked(now)
        self._tx.resolve(frame.seq)
        if item is self._hello:
            return self._on_hello_ack_locked(frame, now)
        self._on_accepted_locked(item, frame.body, now)
        return self._take_new_locked(now)

    def _on_hello_ack_locked(self, frame: Frame, now: float) -> list[bytes]:
        self._hello = None
        try:
            info = BaseInfo.unpack(frame.body)
        except FrameError as exc:
            log.warning("bad HELLO answer from the base station: %s", exc)
            return self._handshake_locked(now)
        if self._boot_id is not None and info.boot_id != self._boot_id:
            self.stats["reboots_seen"] += 1
            self._rx_ring.clear()
        self._boot_id = info.boot_id
        self._base = info
        self._tx.window = min(self.window, info.window)
        self._fault = None
        self._link_up = True
        self._came_up = True
        self._cond.notify_all()
        self._emit(self.on_link, LINK_UP)
        # Everything still unanswered goes out again, same sequence numbers: a base that did not reboot
        # answers from its dedup ring, a rebooted one acts on it for the first time.
        wires = []
        for item in self._tx.outstanding.values():
            item.attempts = 1
            item.due = now + self.ack_timeout
            wires.append(item.wire)
        return wires + self._take_new_locked(now)

    def _on_accepted_locked(self, item: Outgoing, body: bytes, now: float) -> None:
        context = item.context
        if isinstance(context, PageRecord):
            if context.status in FINAL_STATUSES:
                return
            context.status = STATUS_SENT
            context.report_due = now + self.page_timeout
            if not context.sent_reported:
                context.sent_reported = True
                self._emit(self.on_page_status, context.page_id, context.card_id, STATUS_SENT)
        elif isinstance(context, _Request):
            context.answer = body
            context.done.set()

    def _on_refused_locked(self, item: Outgoing, code: int) -> None:
        name = NakCode(code).name if code in NakCode._value2member_map_ else f"0x{code:02X}"
        context = item.context
        if isinstance(context, PageRecord):
            log.warning("base station refused page %d to card %d: %s", context.page_id, context.card_id, name)
            self._finish_page_locked(context, STATUS_UNREACHABLE)
        elif isinstance(context, _Request):
            context.error = PagerNakError(code, f"base station refused {MsgType(item.type).name}: {name}")
            context.done.set()

    def _handle_reliable_locked(self, frame: Frame, now: float) -> bytes:
        try:
            if frame.type == MsgType.PAGE_STATUS:
                self._on_page_status_locked(frame.node, PageStatus.unpack(frame.body))
            elif frame.type == MsgType.BUTTON:
                self._on_button_locked(frame.node, ButtonPress.unpack(frame.body))
            elif frame.type == MsgType.CARD_STATUS:
                status = CardStatus.unpack(frame.body)
                self._emit(self.on_card_status, frame.node, {"online": bool(status.online),
                                                             "battery_pct": status.battery_pct,
                                                             "rssi": status.rssi})
            elif frame.type == MsgType.PAIR_RESULT:
                result = PairResult.unpack(frame.body)
                self._emit(self.on_pair_result, frame.node, result.result, result.card_serial)
            else:
                return self._nak(frame, NakCode.UNKNOWN_TYPE)
        except FrameError as exc:  # no base-to-PC body has a range rule: malformed is all there is
            log.warning("bad %s body from the base station: %s", frame.type, exc)
            return self._nak(frame, NakCode.BAD_LENGTH)
        return self._ack(frame)

    def _on_page_status_locked(self, card_id: int, report: PageStatus) -> None:
        record = self._pages.get(report.page_id)
        if record is None or record.card_id != card_id or record.status in FINAL_STATUSES:
            return
        if not record.sent_reported:
            record.sent_reported = True
            self._emit(self.on_page_status, record.page_id, record.card_id, STATUS_SENT)
        status = STATUS_DELIVERED if report.status == DeliveryStatus.DELIVERED else STATUS_UNREACHABLE
        self._finish_page_locked(record, status)

    def _on_button_locked(self, card_id: int, press: ButtonPress) -> None:
        # The card numbers its presses; the same press relayed twice (a base-station reboot, a lost ACK
        # after the dedup ring moved on) is recognised here and acted on once.
        seen = self._presses.setdefault(card_id, OrderedDict())
        if press.press_id in seen:
            self.stats["duplicates"] += 1
            return
        seen[press.press_id] = None
        while len(seen) > _PRESS_MEMORY:
            seen.popitem(last=False)
        self._emit(self.on_button, card_id, BUTTON_NAMES[press.button])

    # ---- pages ------------------------------------------------------------------------------------

    def _submit_page_locked(self, record: PageRecord) -> None:
        record.attempts += 1
        record.report_due = None
        self._tx.submit(Outgoing(type=MsgType.PAGE, node=record.card_id, body=record.body, context=record))

    def _finish_page_locked(self, record: PageRecord, status: str) -> None:
        record.status = status
        record.report_due = None
        record.done.set()
        self._emit(self.on_page_status, record.page_id, record.card_id, status)

    def _take_new_locked(self, now: float) -> list[bytes]:
        if not self._link_up or self._serial is None:
            return []
        return [item.wire for item in self._tx.take_new(now, self.ack_timeout)]

    # ---- timer thread -----------------------------------------------------------------------------

    def _timer_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._timer_step()
            except Exception:  # heartbeats, retries and expiries must go on after one failure
                log.exception("pager timer failed")
                self._stop.wait(1.0)

    def _timer_step(self) -> None:
        with self._cond:
            now = time.monotonic()
            wires, deadline = self._due_locked(now)
            if not wires:
                self._cond.wait(max(0.001, min(deadline - now, 1.0)))
                return
        self._write_all(wires)

    def _due_locked(self, now: float) -> tuple[list[bytes], float]:
        wires: list[bytes] = []
        deadline = now + 1.0
        self._expire_pages_locked(now)
        for record in self._pages.values():
            if record.report_due is not None:
                deadline = min(deadline, record.report_due)
            if record.status not in FINAL_STATUSES:
                deadline = min(deadline, record.expires_at)
        if self._serial is None:
            return wires, deadline
        if now - self._last_rx > self.link_timeout:
            self._last_rx = now  # one reset per silence
            self._force_reconnect(f"nothing heard for {self.link_timeout:.1f} s")
            return wires, deadline
        deadline = min(deadline, self._last_rx + self.link_timeout + 0.01)
        if now >= self._next_heartbeat:
            uptime = int(now - self._started_at)
            wires.append(encode_frame(Frame(type=MsgType.HEARTBEAT, body=Heartbeat(self.session_id, uptime,
                                                                                  255).pack())))
            self._next_heartbeat = now + self.heartbeat_s
        deadline = min(deadline, self._next_heartbeat)
        wires += self._take_new_locked(now)
        for item in self._tx.due(now):
            if not self._link_up and item is not self._hello:
                continue
            if item.attempts > self.max_retries:
                item.due = now + self.ack_timeout
                self._force_reconnect(f"no answer to seq {item.seq} after {item.attempts} tries")
                return wires, deadline
            item.attempts += 1
            item.due = now + self.ack_timeout
            self.stats["retransmits"] += 1
            wires.append(item.wire)
        for item in self._tx.outstanding.values():
            if self._link_up or item is self._hello:
                deadline = min(deadline, item.due)
        return wires, deadline

    def _expire_pages_locked(self, now: float) -> None:
        for record in list(self._pages.values()):
            if record.status in FINAL_STATUSES:
                continue
            if now >= record.expires_at:
                self._drop_queued_page_locked(record)
                self._finish_page_locked(record, STATUS_UNREACHABLE)
            elif record.report_due is not None and now >= record.report_due:
                # Accepted but no delivery report: page again with the same page id (the card ignores a
                # page id it already shows), or give up.
                if record.attempts >= self.page_attempts:
                    self._finish_page_locked(record, STATUS_UNREACHABLE)
                else:
                    self._submit_page_locked(record)
                    self._cond.notify_all()

    def _drop_queued_page_locked(self, record: PageRecord) -> None:
        # Queued, or still being retransmitted (a base answering BUSY for two minutes): either way it
        # stops here, so a page reported unreachable never turns up on a card later.
        self._tx.queue = type(self._tx.queue)(item for item in self._tx.queue if item.context is not record)
        for seq, item in list(self._tx.outstanding.items()):
            if item.context is record:
                del self._tx.outstanding[seq]

    # ---- callbacks --------------------------------------------------------------------------------

    def _emit(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is not None:
            self._callbacks.put((callback, args))

    def _callback_loop(self) -> None:
        while True:
            job = self._callbacks.get()
            if job is None:
                return
            callback, args = job
            try:
                callback(*args)
            except Exception:  # a broken callback must not stop the link
                log.exception("pager callback %r failed", callback)


__all__ = ["PagerDriver", "PageRecord", "STATUS_SENT", "STATUS_DELIVERED", "STATUS_UNREACHABLE",
           "LINK_UP", "LINK_DOWN", "MAX_TEXT_BYTES"]
