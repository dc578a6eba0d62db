"""One kiosk terminal at run time: its touch-free session, its vision worker, its camera and its printer.

A terminal is a kiosk token (kiosk.terminals.registry). When ``[vision]`` enables the touch-free kiosk
and its camera is not ``none``, it has a KioskFlow (kiosk.session.flow) fed by its own VisionWorker
process (kiosk.vision.worker.client), whose frames come from the PC's camera, the demo loop, or the kiosk
page's webcam (``browser``: frames pushed over Socket.IO through :meth:`Terminal.push_frame`). Its pages
are in the Socket.IO room ``terminal:<id>`` of /kiosk: only they receive its ``kiosk_state``,
``kiosk_preview`` and ``kiosk_rate``.

The page is told how many frames a second to send (``kiosk_rate``): ``browser_idle_fps`` while nobody
is at the kiosk, ``browser_fps`` during a session, 0 when the terminal takes no browser frames.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.terminals.frames import FrameGate, FrameRefused
from kiosk.vision.observation import Observation

log = logging.getLogger(__name__)

__all__ = ["CameraReport", "Terminal"]


@dataclass
class CameraReport:
    """What the terminal knows of its camera: ``ok`` None until anything is known."""

    ok: bool | None = None
    reason: str = ""
    last_frame: float | None = None  # wall clock
    last_frame_mono: float | None = None
    frames: int = 0
    stats: dict[str, int] = field(default_factory=dict)


class Terminal:
    """A kiosk terminal's parts (see the module docstring). ``flow``/``worker``/``live`` are None for a
    touch-only terminal."""

    def __init__(self, row: Any, *, camera: str, printer: Any, pager_prefix: str, flow: Any = None,
                 worker: Any = None, live: Any = None, idle_fps: float = 2.0, active_fps: float = 8.0,
                 lost_after_s: float = 5.0, clock: Any = time.monotonic, wall: Any = time.time) -> None:
        self.id: int = row.id
        self.name: str = row.name
        self.row = row
        self.camera = camera  # effective: browser | none | demo | a PC camera spec
        self.printer = printer  # kiosk.devices.printers.PrinterStation or None
        self.pager_prefix = pager_prefix
        self.flow = flow
        self.worker = worker
        self.live = live
        self.idle_fps = idle_fps
        self.active_fps = active_fps
        self.lost_after_s = lost_after_s
        self.clock = clock
        self.wall = wall
        self.gate = FrameGate(clock)
        self.camera_report = CameraReport()
        self.sockets: set[str] = set()
        self.last_seen: float | None = None  # wall clock of the last sign of its page
        self._rate_sent: float | None = None
        self._lock = threading.Lock()
        self._started = threading.Event()

    @property
    def browser(self) -> bool:
        return self.camera == "browser" and self.worker is not None

    @property
    def room(self) -> str:
        from kiosk.devices.printers import terminal_room

        return terminal_room(self.id)

    # -- life ------------------------------------------------------------------------------
    def start(self) -> None:
        if self.worker is not None and not self._started.is_set():
            self._started.set()
            self.worker.start()

    def stop(self, deadline: float) -> None:
        if self.worker is not None:
            self.worker.stop(max(0.2, deadline - time.monotonic()))

    # -- the page --------------------------------------------------------------------------
    def seen(self) -> None:
        self.last_seen = self.wall()

    def rate(self) -> float:
        """Frames a second the page should send now."""
        if not self.browser:
            return 0.0
        return self.active_fps if self.flow.state != "idle" else self.idle_fps

    def tell_rate(self) -> float:
        """The rate to send to a page now (one that connects or asks): the frame gate allows it from now."""
        fps = self.rate()
        with self._lock:
            self._rate_sent = fps
        self.gate.asked(fps)
        return fps

    def rate_changed(self) -> float | None:
        """The rate when it differs from the one last sent (and records it as sent), else None."""
        fps = self.rate()
        with self._lock:
            if fps == self._rate_sent:
                return None
            self._rate_sent = fps
        self.gate.asked(fps)
        return fps

    def push_frame(self, data: Any) -> bool:
        """A ``kiosk_frame`` payload from the page: True when handed to the worker, False when dropped
        (the worker is busy or down). Raises FrameRefused (nothing changes) for a frame not accepted."""
        if not self.browser:
            raise FrameRefused("camera_off", "this terminal's camera is not the browser's")
        jpeg = self.gate.check(data)
        self.seen()
        report = self.camera_report
        report.last_frame, report.last_frame_mono = self.wall(), self.clock()
        report.frames += 1
        if report.ok is not True:
            report.ok, report.reason = True, ""
        # the gate ran the worker's own cheap checks: push_jpeg does not refuse it, it may only drop it
        return self.worker.push_jpeg(jpeg, timestamp=self.clock())

    def camera_failed(self, reason: str) -> None:
        """The page cannot use its webcam (permission refused, none found, unplugged)."""
        self.seen()
        report = self.camera_report
        report.ok, report.reason = False, reason[:120]
        if self.flow is not None:
            self.flow.on_observation(Observation(self.clock(), False))

    def tick(self) -> None:
        """Once a second: a browser terminal whose frames stopped has lost its camera (touch fallback)."""
        if not self.browser:
            return
        report = self.camera_report
        now = self.clock()
        if report.ok and report.last_frame_mono is not None and now - report.last_frame_mono > self.lost_after_s:
            report.ok, report.reason = False, "no_frames"
        if report.ok is False:
            self.flow.on_observation(Observation(now, False))
        elif self.flow.state != "idle":
            self.flow.tick()

    def printer_ok(self) -> bool:
        return self.printer is None or self.printer.ok

    def status(self) -> dict[str, Any]:
        """For the admin page and the device list."""
        report = self.camera_report
        worker = self.worker
        return {
            "id": self.id, "name": self.name, "camera": self.camera, "pager_prefix": self.pager_prefix,
            "printer_url": self.printer.url if self.printer is not None else None,
            "printer_ok": self.printer_ok(), "connected": len(self.sockets), "last_seen": self.last_seen,
            "state": self.flow.state if self.flow is not None else None,
            "camera_ok": report.ok if self.browser else (None if self.flow is None else self.flow.camera_ok),
            "camera_reason": report.reason, "frames": report.frames,
            "dropped": worker.stats.get("dropped_here", 0) if worker is not None else 0,
            "refused": dict(self.gate.refused), "worker_up": bool(worker is not None and worker.alive),
        }
