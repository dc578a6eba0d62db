"""Print ticket images with python-escpos and watch the printer's real-time status.

A printer is named by a URL:

- ``serial:///dev/kiosk-printer?baudrate=115200`` (or a bare device path) — RS-232 / USB-serial
- ``tcp://192.168.1.50:9100`` (``socket://`` accepted too) — network printers, raw port 9100
- ``usb://0416:5011`` (vendor:product, optional ``?in_ep=0x81&out_ep=0x03``) — needs pyusb
- ``file:///dev/usb/lp0`` — a character device such as the kernel's usblp printer (read and
  written, so status works); a regular file only collects the bytes and its status is UNKNOWN
- ``dummy:`` — nothing is sent anywhere (preview and tests)

Every ticket is sent as one write: ESC @ (init), the image as GS v 0 raster fragments, feed, cut.
"""
from __future__ import annotations

import copy
import logging
import os
import select
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from hardware.printer.status import (
    STATUS_QUERIES,
    PrinterStatus,
    StatusReport,
    decode_status,
    is_status_byte,
    status_query,
    unreachable,
)
from hardware.printer.ticket_data import TicketData
from hardware.printer.ticket_image import paper_width_dots, render_ticket

log = logging.getLogger(__name__)

DEFAULT_FRAGMENT_HEIGHT = 256  # rows per GS v 0 command; small enough for cheap printers' buffers


class PrinterError(RuntimeError):
    """A printer URL or configuration is wrong, or a driver dependency is missing."""


class PrinterUnavailableError(RuntimeError):
    """The printer cannot print now; ``report`` says why (show the ticket on screen instead)."""

    def __init__(self, report: StatusReport) -> None:
        super().__init__(f"printer unavailable: {report.status.value} ({report.detail})")
        self.report = report


@dataclass(frozen=True)
class PrinterUrl:
    """A parsed printer URL."""

    kind: str  # serial, tcp, usb, file or dummy
    target: str  # device path, host, or vendor:product
    port: int = 9100
    baudrate: int = 19200
    options: tuple[tuple[str, str], ...] = ()


def parse_printer_url(url: str) -> PrinterUrl:
    """Parse a printer URL (see the module docstring); raises PrinterError with the accepted forms."""
    if not isinstance(url, str) or not url.strip():
        raise PrinterError("printer URL must be a non-empty string")
    url = url.strip()
    if url.startswith("/"):
        return PrinterUrl("serial", url)
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    scheme = parts.scheme.lower()
    try:
        if scheme == "dummy":
            return PrinterUrl("dummy", "")
        if scheme == "serial" and parts.path:
            baud = int(query.pop("baudrate", "19200"))
            if baud not in (9600, 19200, 38400, 57600, 115200):
                raise PrinterError(f"unsupported baud rate {baud}")
            return PrinterUrl("serial", parts.path, baudrate=baud)
        if scheme in ("tcp", "socket") and parts.hostname:
            return PrinterUrl("tcp", parts.hostname, port=parts.port or 9100)
        if scheme == "usb" and parts.netloc:
            vendor, _, product = parts.netloc.partition(":")
            int(vendor, 16), int(product, 16)
            return PrinterUrl("usb", parts.netloc, options=tuple(sorted(query.items())))
        if scheme == "file" and parts.path:
            return PrinterUrl("file", parts.path)
    except ValueError as exc:
        raise PrinterError(f"bad printer URL {url!r}: {exc}") from exc
    raise PrinterError(
        f"bad printer URL {url!r}; use serial:///dev/kiosk-printer?baudrate=19200, tcp://HOST:9100, "
        "usb://VID:PID, file:///dev/usb/lp0 or dummy:"
    )


def _is_char_device(path: str) -> bool:
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def _char_device_printer(path: str):  # noqa: ANN202
    """A python-escpos printer on a character device opened read-write (usblp, tty).

    python-escpos's File printer opens write-only, which loses the status replies that usblp
    printers send back.
    """
    from escpos.escpos import Escpos

    class CharDevicePrinter(Escpos):
        def __init__(self) -> None:
            super().__init__()
            self.devfile = path
            self.fd: int | None = None

        def open(self, raise_not_found: bool = True) -> None:  # noqa: ARG002 (escpos signature)
            self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
            self.device = self.fd

        def _raw(self, msg: bytes) -> None:
            view = memoryview(msg)
            while view:
                view = view[os.write(self.device, view):]

        def close(self) -> None:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
            self._device = False

    return CharDevicePrinter()


def _make_escpos(spec: PrinterUrl, width_dots: int, timeout: float):  # noqa: ANN202 (escpos is untyped)
    """Create the python-escpos printer object for ``spec`` (not yet opened)."""
    from escpos import printer as ep  # imported here: nothing device-related at import time

    if spec.kind == "dummy":
        dev = ep.Dummy()
    elif spec.kind == "serial":
        dev = ep.Serial(devfile=spec.target, baudrate=spec.baudrate, timeout=timeout)
    elif spec.kind == "tcp":
        dev = ep.Network(host=spec.target, port=spec.port, timeout=max(timeout, 1.0))
    elif spec.kind == "file":
        dev = _char_device_printer(spec.target) if _is_char_device(spec.target) else ep.File(devfile=spec.target)
    elif spec.kind == "usb":
        if not ep.Usb.is_usable():
            raise PrinterError("usb:// printers need pyusb (pip install pyusb) and libusb-1.0-0")
        vendor, _, product = spec.target.partition(":")
        options = {k: int(v, 0) for k, v in spec.options if k in ("in_ep", "out_ep", "interface")}
        dev = ep.Usb(int(vendor, 16), int(product, 16), timeout=int(timeout * 1000), **options)
    else:  # parse_printer_url only yields the kinds above
        raise PrinterError(f"unknown printer kind {spec.kind}")
    # The default profile has no paper width; python-escpos would print a warning for every image.
    # The profile dict is shared by all instances, so copy it before setting ours.
    dev.profile.profile_data = copy.deepcopy(dev.profile.profile_data)
    dev.profile.profile_data["media"]["width"]["pixels"] = width_dots
    return dev


def write_ticket_job(dev, image: Image.Image, *, fragment_height: int = DEFAULT_FRAGMENT_HEIGHT,  # noqa: ANN001
                     cut: bool = True) -> None:
    """Send init, ``image`` as GS v 0 raster fragments, feed and cut to a python-escpos printer."""
    dev.hw("INIT")
    dev.image(image, impl="bitImageRaster", fragment_height=fragment_height, center=False)
    if cut:
        dev.cut()


def ticket_job_bytes(image: Image.Image, *, width_dots: int | None = None,
                     fragment_height: int = DEFAULT_FRAGMENT_HEIGHT, cut: bool = True) -> bytes:
    """The exact ESC/POS bytes sent for ``image`` (captured with python-escpos ``Dummy``)."""
    if image.mode != "1":
        raise ValueError(f"ticket image must be mode '1' (1-bit), got {image.mode!r}")
    dev = _make_escpos(PrinterUrl("dummy", ""), width_dots or image.width, 1.0)
    write_ticket_job(dev, image, fragment_height=fragment_height, cut=cut)
    return dev.output


class TicketPrinter:
    """A ticket printer on one URL. Thread-safe; reconnects by itself after the device comes back.

    ``paper_width`` is 58 or 80 (mm) or a width in dots; ``timeout`` bounds each status reply.
    """

    def __init__(self, url: str, *, paper_width: int = 80, timeout: float = 0.5,
                 fragment_height: int = DEFAULT_FRAGMENT_HEIGHT, font_dir: str | None = None) -> None:
        self.spec = parse_printer_url(url)
        self.url = url
        self.width_dots = paper_width_dots(paper_width)
        if not 0.01 <= timeout <= 10:
            raise PrinterError(f"status timeout must be 0.01..10 s, got {timeout}")
        if not 8 <= fragment_height <= 2400:
            raise PrinterError(f"fragment_height must be 8..2400 rows, got {fragment_height}")
        self.timeout = timeout
        self.fragment_height = fragment_height
        self.font_dir = font_dir
        self._lock = threading.RLock()
        self._dev = None
        self._owed_until: float | None = None  # a missed status reply may still arrive until then

    # -- connection -----------------------------------------------------------------------------
    def _device(self):  # noqa: ANN202
        if self._dev is None:
            self._dev = _make_escpos(self.spec, self.width_dots, self.timeout)
            self._dev.open()  # raises escpos DeviceNotFoundError when absent
        return self._dev

    def _drop(self) -> None:
        # After an I/O error the handle is useless; the next call opens the device afresh.
        dev, self._dev = self._dev, None
        self._owed_until = None  # a new connection carries no reply of the old one
        if dev is None:
            return
        try:
            dev.close()
        except Exception:  # noqa: BLE001 (closing a dead device may raise anything)
            # python-escpos flushes before closing; when that fails the port itself is still open.
            try:
                inner = getattr(dev, "_device", None)
                if hasattr(inner, "close"):
                    inner.close()
            except Exception:  # noqa: BLE001
                pass
        # Otherwise python-escpos's __del__ closes (and flushes) the dead device again later.
        dev._device = False

    def close(self) -> None:
        """Close the connection (it is reopened on the next call)."""
        with self._lock:
            self._drop()

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- status ---------------------------------------------------------------------------------
    def _read_byte(self, dev, deadline: float) -> int | None:  # noqa: ANN001
        """One byte from the printer before ``deadline``, or None."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        if self.spec.kind == "serial":
            port = dev.device
            port.timeout = remaining
            data = port.read(1)
        elif self.spec.kind == "tcp":
            sock = dev.device
            sock.settimeout(remaining)
            try:
                data = sock.recv(1)
            except TimeoutError:
                return None
            if not data:
                raise ConnectionError("printer closed the connection")
        elif self.spec.kind == "file":
            ready, _, _ = select.select([dev.device], [], [], remaining)
            data = os.read(dev.device, 1) if ready else b""
        else:  # usb
            data = bytes(dev.device.read(dev.in_ep, 1, int(remaining * 1000)))
        return data[0] if data else None

    def _discard_input(self, dev) -> None:  # noqa: ANN001
        if self.spec.kind == "serial":
            dev.device.reset_input_buffer()
        elif self.spec.kind == "tcp":
            sock = dev.device
            sock.setblocking(False)
            try:
                while sock.recv(256):
                    pass
            except (BlockingIOError, OSError):
                pass
            finally:
                sock.setblocking(True)
        elif self.spec.kind == "file":
            while select.select([dev.device], [], [], 0)[0]:
                if not os.read(dev.device, 256):
                    break

    def _settle(self, dev) -> None:  # noqa: ANN001
        """Make sure the next byte read answers the next query, not an earlier one.

        After a missed reply the printer may still send it (a printer busy with a job answers
        late): wait for it until ``_owed_until`` and discard it. Then discard whatever else is
        pending (noise, or a reply later still).
        """
        if self._owed_until is not None:
            while (value := self._read_byte(dev, self._owed_until)) is not None and not is_status_byte(value):
                pass
            self._owed_until = None
        self._discard_input(dev)

    def _read_reply(self, dev, wait: float) -> int | None:  # noqa: ANN001
        """The first status byte within ``wait`` seconds (other bytes are noise), or None."""
        deadline = time.monotonic() + wait
        while (value := self._read_byte(dev, deadline)) is not None:
            if is_status_byte(value):
                return value
        return None

    def status(self, timeout: float | None = None) -> StatusReport:
        """Query DLE EOT 1..4 and decode the replies; never raises for device trouble.

        Each query waits at most ``timeout`` (default: the printer's) and is preceded by discarding
        pending input. A query that gets no reply in time ends the poll (``unanswered`` names it):
        the reply may still come, and it must not be read as the answer to the next query, so the
        next query first waits up to twice the timeout for it and throws it away. The answers that
        did come are decoded; none at all (or a printer that cannot be opened) is OFFLINE; dummy:
        and a file:// URL naming a regular file give UNKNOWN (no back channel); a file:// device
        that vanished is OFFLINE.
        """
        wait = self.timeout if timeout is None else timeout
        if self.spec.kind == "dummy" or (self.spec.kind == "file" and os.path.isfile(self.spec.target)):
            return StatusReport(status=PrinterStatus.UNKNOWN, detail=f"{self.url} has no back channel")
        with self._lock:
            try:
                dev = self._device()
                replies: dict[int, int] = {}
                for n in STATUS_QUERIES:
                    self._settle(dev)
                    dev._raw(status_query(n))
                    value = self._read_reply(dev, wait)
                    if value is None:
                        self._owed_until = time.monotonic() + 2 * wait
                        report = decode_status(replies)
                        missed = f"no reply to DLE EOT {n}"
                        return replace(report, unanswered=n,
                                       detail=f"{report.detail}; {missed}" if replies else missed)
                    replies[n] = value
                return decode_status(replies)
            except Exception as exc:  # noqa: BLE001 (serial, socket, usb and escpos errors alike)
                self._drop()
                if _device_trouble(exc):
                    log.info("printer %s unreachable: %s", self.url, exc)
                else:  # not the device: a bug, whose traceback says where
                    log.exception("printer %s status failed", self.url)
                return unreachable(f"{type(exc).__name__}: {exc}")

    # -- printing -------------------------------------------------------------------------------
    def render(self, ticket: TicketData) -> Image.Image:
        """The exact 1-bit image :meth:`print_ticket` prints for ``ticket``."""
        return render_ticket(ticket, self.width_dots, font_dir=self.font_dir)

    def print_image(self, image: Image.Image, *, check_status: bool = True) -> StatusReport:
        """Print a 1-bit image as one job; returns the status seen before printing.

        Raises PrinterUnavailableError (with the report) when the printer cannot print or the
        write fails, and ValueError for an image of the wrong mode or width.
        """
        if image.mode != "1" or image.width > self.width_dots:
            raise ValueError(f"image must be mode '1' and at most {self.width_dots} dots wide")
        job = ticket_job_bytes(image, width_dots=self.width_dots, fragment_height=self.fragment_height)
        with self._lock:
            report = self.status() if check_status else StatusReport(status=PrinterStatus.UNKNOWN)
            if not report.can_print:
                raise PrinterUnavailableError(report)
            try:
                self._device()._raw(job)
            except Exception as exc:  # noqa: BLE001
                self._drop()
                raise PrinterUnavailableError(unreachable(f"write failed: {type(exc).__name__}: {exc}")) from exc
        return report

    def print_ticket(self, ticket: TicketData, *, check_status: bool = True) -> StatusReport:
        """Render and print ``ticket``; see :meth:`print_image` for the errors."""
        return self.print_image(self.render(ticket), check_status=check_status)


StatusListener = Callable[[StatusReport, "StatusReport | None"], None]


class PrinterMonitor:
    """Polls a :class:`TicketPrinter` and tells listeners when its status changes.

    Listeners are called as ``listener(new_report, old_report_or_None)`` from the polling thread
    (or from the caller of :meth:`poll`); a listener that raises is logged and does not stop others.
    """

    def __init__(self, printer: TicketPrinter, interval: float = 5.0) -> None:
        if not 0.05 <= interval <= 3600:
            raise PrinterError(f"poll interval must be 0.05..3600 s, got {interval}")
        self.printer = printer
        self.interval = interval
        self.latest: StatusReport | None = None
        self.latest_at: float | None = None  # epoch seconds of the latest report
        self.last_answer_at: float | None = None  # epoch seconds of the latest report the printer answered
        self._listeners: list[StatusListener] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add_listener(self, listener: StatusListener) -> None:
        """Register ``listener`` for status changes."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: StatusListener) -> None:
        """Unregister ``listener``; unknown listeners are ignored."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def poll(self) -> StatusReport:
        """Query the printer now; notify listeners if the status or any flag changed.

        A poll that lost a reply is asked once more before listeners hear of it: one slow answer
        (a printer still busy with the last job) must not flash "offline" on the screens.
        """
        report = self.printer.status()
        if report.unanswered is not None:
            report = self.printer.status()
        self.update(report)
        return report

    def update(self, report: StatusReport) -> None:
        """Take a report seen elsewhere (e.g. ``PrinterUnavailableError.report`` from a print) and
        notify listeners if it differs from the latest, so screens learn at once, not at the next poll."""
        now = time.time()
        with self._lock:
            old, self.latest, self.latest_at = self.latest, report, now
            if report.replies:
                self.last_answer_at = now
            listeners = list(self._listeners)
        if old is None or _key(old) != _key(report):
            for listener in listeners:
                try:
                    listener(report, old)
                except Exception:  # noqa: BLE001
                    log.exception("printer status listener failed")

    def start(self) -> None:
        """Poll every ``interval`` seconds in a daemon thread until :meth:`stop`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="printer-monitor", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the polling thread (waits for the poll in progress)."""
        self._stop.set()
        if self._thread is not None:
            # A poll and its repeat take at most 12 timeouts (each: a late reply awaited, 4 queries).
            self._thread.join(timeout=self.interval + 12 * self.printer.timeout + 1)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # the screens must go on hearing of the printer after one bad poll
                log.exception("printer %s poll failed", self.printer.url)
            self._stop.wait(self.interval)


def _device_trouble(exc: Exception) -> bool:
    """True for the errors a missing or failing device raises (pyserial, sockets, pyusb, escpos)."""
    from escpos.exceptions import Error as EscposError

    return isinstance(exc, (OSError, EscposError))


def _key(report: StatusReport) -> tuple[object, ...]:
    return (report.status, report.offline, report.cover_open, report.paper_out, report.paper_near_end, report.error)
