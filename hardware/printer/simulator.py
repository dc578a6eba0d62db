"""A thermal ticket printer simulated over a pty or a TCP socket, for tests and ``kiosk serve --demo``.

It speaks real ESC/POS: answers DLE EOT 1..4 with the status bytes of its current state (paper
out, near end, cover open, offline, cutter error), rebuilds every GS v 0 raster image it receives,
and files a :class:`PrintedJob` at each cut. ``unplugged`` makes it silent and deaf, like a printer
whose cable was pulled; ``reply_delay_ms`` makes it answer status queries late, like a printer
busy with a job. One thread, blocked in ``select`` until the next byte or the next delayed reply.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import os
import select
import socket
import threading
import time
import tty
from dataclasses import dataclass, field

from PIL import Image

from hardware.printer.escpos_parser import EscposStreamParser, Raster, stack_rasters
from hardware.printer.status import encode_status

log = logging.getLogger(__name__)


@dataclass
class PrintedJob:
    """What came out of the printer between an init (ESC @) and a cut."""

    rasters: list[Raster] = field(default_factory=list)
    text: bytes = b""
    cut: bool = False

    def image(self) -> Image.Image:
        """All raster fragments of the job stacked as they appear on the paper."""
        return stack_rasters(self.rasters)


class PrinterSimulator:
    """A simulated ESC/POS printer. Create with :meth:`pty` or :meth:`tcp`, then :meth:`start`.

    State attributes (set them at any time, or use :meth:`set_state`): ``paper_out``,
    ``paper_near_end``, ``cover_open``, ``offline``, ``cutter_error``, ``unplugged``.
    While the printer cannot print, received jobs are discarded and counted in ``discarded_jobs``.
    ``jobs`` holds the last ``keep_jobs`` printed jobs (a demo runs for months: every job is a ticket
    image of some 70 KB), ``printed_jobs`` counts them all.
    ``reply_delay_ms`` (fault mode, default 0) sends each status reply that long after its query,
    with the state of when it was asked; a reply still pending when the printer is unplugged is lost.
    """

    def __init__(self, keep_jobs: int = 50) -> None:
        self.keep_jobs = keep_jobs
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self.offline = False
        self.cutter_error = False
        self.unplugged = False
        self.reply_delay_ms = 0
        self.jobs: list[PrintedJob] = []
        self.printed_jobs = 0
        self.discarded_jobs = 0
        self.status_queries = 0
        self.bytes_received = 0
        self.port: str | None = None  # pty slave path, for serial clients
        self.address: tuple[str, int] | None = None  # TCP address, for network clients
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = False
        self._master: int | None = None
        self._slave: int | None = None
        self._server: socket.socket | None = None
        self._conns: dict[int, socket.socket] = {}
        self._parsers: dict[int, EscposStreamParser] = {}
        self._current: dict[int, PrintedJob] = {}
        self._delayed: list[tuple[float, int, int, bytes]] = []  # heap of (due, seq, fd, reply)
        self._seq = itertools.count()

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def pty(cls) -> PrinterSimulator:
        """A simulator behind a pseudo-terminal; connect a serial client to ``sim.port``."""
        sim = cls()
        master, slave = os.openpty()
        # Raw mode: no echo, no CR/LF translation, no line buffering of binary ESC/POS data.
        tty.setraw(slave)
        sim._master, sim._slave = master, slave
        sim.port = os.ttyname(slave)
        return sim

    @classmethod
    def tcp(cls, host: str = "127.0.0.1", port: int = 0) -> PrinterSimulator:
        """A simulator listening like a network printer (port 9100 on real ones); see ``sim.url``."""
        sim = cls()
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((host, port))
        server.listen(4)
        sim._server = server
        sim.address = server.getsockname()[:2]
        return sim

    @property
    def url(self) -> str:
        """The printer URL a :class:`hardware.printer.escpos_printer.TicketPrinter` connects to."""
        if self.address is not None:
            return f"tcp://{self.address[0]}:{self.address[1]}"
        return f"serial://{self.port}"

    # -- state ----------------------------------------------------------------------------------
    def set_state(self, **flags: bool) -> None:
        """Set state flags by name, e.g. ``set_state(paper_out=True)``; unknown names raise."""
        allowed = {"paper_out", "paper_near_end", "cover_open", "offline", "cutter_error", "unplugged"}
        for name, value in flags.items():
            if name not in allowed:
                raise ValueError(f"unknown printer state {name!r}; known: {sorted(allowed)}")
            setattr(self, name, bool(value))

    @property
    def can_print(self) -> bool:
        """True when a job sent now would come out."""
        return not (self.paper_out or self.cover_open or self.offline or self.cutter_error or self.unplugged)

    def status_bytes(self) -> dict[int, int]:
        """The reply to DLE EOT 1..4 in the current state."""
        return encode_status(
            offline=self.offline,
            cover_open=self.cover_open,
            paper_out=self.paper_out,
            paper_near_end=self.paper_near_end,
            cutter_error=self.cutter_error,
        )

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` jobs were printed; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.printed_jobs >= count, timeout)

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> PrinterSimulator:
        """Start the I/O thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="printer-sim", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close every descriptor."""
        self._stopping = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for conn in list(self._conns.values()):
            conn.close()
        self._conns.clear()
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> PrinterSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- I/O ------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping:
            fds = [self._wake_r] + list(self._conns)
            if self._master is not None:
                fds.append(self._master)
            if self._server is not None:
                fds.append(self._server.fileno())
            wait = max(0.0, self._delayed[0][0] - time.monotonic()) if self._delayed else None
            try:
                ready, _, _ = select.select(fds, [], [], wait)
            except (OSError, ValueError):
                return
            self._send_due()
            for fd in ready:
                if fd == self._wake_r:
                    return
                if self._server is not None and fd == self._server.fileno():
                    conn, _ = self._server.accept()
                    self._conns[conn.fileno()] = conn
                    continue
                self._read(fd)

    def _read(self, fd: int) -> None:
        try:
            data = self._conns[fd].recv(65536) if fd in self._conns else os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            if fd in self._conns:  # the client hung up
                self._conns.pop(fd).close()
                self._parsers.pop(fd, None)
                self._current.pop(fd, None)
                # Its pending replies must not reach a later connection that gets the same fd.
                self._delayed = [item for item in self._delayed if item[2] != fd]
                heapq.heapify(self._delayed)
            else:
                time.sleep(0.01)  # pty with no client attached: avoid spinning on EOF
            return
        if self.unplugged:
            return
        self.bytes_received += len(data)
        reply = self._handle(fd, data)
        if reply and self.reply_delay_ms > 0:
            due = time.monotonic() + self.reply_delay_ms / 1000
            heapq.heappush(self._delayed, (due, next(self._seq), fd, reply))
        elif reply:
            self._write(fd, reply)

    def _send_due(self) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, fd, reply = heapq.heappop(self._delayed)
            if not self.unplugged and (fd in self._conns or fd == self._master):
                self._write(fd, reply)

    def _write(self, fd: int, data: bytes) -> None:
        try:
            if fd in self._conns:
                self._conns[fd].sendall(data)
            else:
                os.write(fd, data)
        except OSError as exc:
            log.debug("printer simulator could not reply: %s", exc)

    def _handle(self, fd: int, data: bytes) -> bytes:
        parser = self._parsers.setdefault(fd, EscposStreamParser())
        job = self._current.setdefault(fd, PrintedJob())
        reply = bytearray()
        for event in parser.feed(data):
            if event.kind == "status":
                self.status_queries += 1
                value = self.status_bytes().get(int(event.value))  # type: ignore[arg-type]
                if value is not None:
                    reply.append(value)
            elif event.kind == "init":
                job = self._current[fd] = PrintedJob()
            elif event.kind == "raster":
                job.rasters.append(event.value)  # type: ignore[arg-type]
            elif event.kind == "text":
                job.text += event.value  # type: ignore[operator]
            elif event.kind == "cut":
                job.cut = True
                with self._cond:
                    if self.can_print:
                        self.jobs.append(job)
                        self.printed_jobs += 1
                        del self.jobs[:-self.keep_jobs]
                    else:
                        self.discarded_jobs += 1
                    self._cond.notify_all()
                job = self._current[fd] = PrintedJob()
        return bytes(reply)
