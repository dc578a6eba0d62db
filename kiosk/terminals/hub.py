"""Every kiosk terminal of the centre at run time (kiosk.terminals.terminal), and who sits at which.

``TerminalHub`` builds a Terminal for each active kiosk token at start, and one for a token made
while the service runs when its page first connects (``get``). The admin page changes a terminal's
camera, printer or pager prefix (``reconfigure``: its parts are rebuilt); a revoked token's terminal is
stopped (``drop``). One face gallery serves every terminal: an enrolment at one kiosk (or a deletion)
reaches every terminal's worker at once; it holds the citizens seen within the gallery window
(kiosk.terminals.gallery_window).

Sockets on /kiosk are *seated* at a terminal when they connect (``attach``): a kiosk token at its own,
an admin at the one it names (``auth: {"terminal": ID}``, or ``?terminal=ID``) or the first. A ticker
runs each terminal's timeouts and notices a browser camera whose frames stopped.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.runtime.tasks import RepeatingTask
from kiosk.terminals import registry
from kiosk.terminals.live import KioskLive
from kiosk.terminals.terminal import Terminal

log = logging.getLogger(__name__)

__all__ = ["Seat", "TerminalHub"]

NAMESPACE = "/kiosk"


@dataclass(frozen=True)
class Seat:
    """A /kiosk socket: the terminal it watches and who it is."""

    terminal_id: int
    kind: str  # "token" | "user"
    principal_id: int
    role: str


class TerminalHub:
    """The terminals of one centre (see the module docstring)."""

    def __init__(self, kiosk: Any, vision: Any, secret: str) -> None:
        from kiosk.terminals.gallery_window import GalleryWindow

        self.kiosk = kiosk  # kiosk.app.KioskServices
        self.vision = vision  # kiosk.config.vision.VisionConfig
        self.secret = secret
        self.window: GalleryWindow | None = None
        self.gallery = None
        if vision.enabled:
            self.window = GalleryWindow(kiosk.citizens, vision.gallery_window_days,
                                        vision.keep_templates_outside_window, put=self.enrol, remove=self.forget)
            self.gallery = self.window.load()
            kiosk.citizens.on_seen(self.window.seen)
        self.terminals: dict[int, Terminal] = {}
        self.seats: dict[str, Seat] = {}
        self._lock = threading.RLock()
        self._started = False
        self._ticker = RepeatingTask(1.0, self.tick, "kiosk-terminals")
        kiosk.citizens.on_forget(lambda citizen_id: self.forget(str(citizen_id)))
        printers = kiosk.devices.printers if kiosk.devices is not None else None
        if printers is not None:
            printers.listeners.append(self._printer_changed)

    # -- life ------------------------------------------------------------------------------
    def load(self) -> None:
        """A terminal for every active kiosk token (not started yet)."""
        for row in registry.list_terminals(self.kiosk.store.conn()):
            self._add(row)

    def start(self) -> None:
        with self._lock:
            self._started = True
            terminals = list(self.terminals.values())
        for t in terminals:
            t.start()
        self._ticker.start()

    def stop(self, deadline: float | None = None) -> None:
        deadline = time.monotonic() + 5.0 if deadline is None else deadline
        self._ticker.stop(deadline)
        with self._lock:
            self._started = False
            terminals = list(self.terminals.values())
        threads = [threading.Thread(target=t.stop, args=(deadline,), daemon=True) for t in terminals]
        for th in threads:  # every worker is asked to stop at once, not one after another
            th.start()
        for th in threads:
            th.join(max(0.5, deadline - time.monotonic() + 1.0))

    # -- the terminals ---------------------------------------------------------------------
    def get(self, terminal_id: int) -> Terminal | None:
        """The running terminal of an active kiosk token (built on first use), or None."""
        with self._lock:
            found = self.terminals.get(terminal_id)
            if found is not None:
                return found
            try:
                row = registry.get_terminal(self.kiosk.store.conn(), terminal_id)
            except Exception:
                return None
            if not row.active:
                return None
            return self._add(row)

    def first(self) -> Terminal | None:
        with self._lock:
            if self.terminals:
                return self.terminals[min(self.terminals)]
        rows = registry.list_terminals(self.kiosk.store.conn())
        return self.get(rows[0].id) if rows else None

    def all(self) -> list[Terminal]:
        with self._lock:
            return [self.terminals[k] for k in sorted(self.terminals)]

    def reconfigure(self, terminal_id: int) -> Terminal | None:
        """Rebuild a terminal from its stored settings (after the admin changed them)."""
        self.drop(terminal_id, keep_seats=True)
        terminal = self.get(terminal_id)
        if terminal is not None:
            self._announce_rate(terminal, force=True)
            if terminal.live is not None:
                terminal.live.push_state()
        return terminal

    def drop(self, terminal_id: int, keep_seats: bool = False) -> None:
        """Stop a terminal (its token was revoked, or it is being rebuilt)."""
        with self._lock:
            terminal = self.terminals.pop(terminal_id, None)
            if not keep_seats:
                for sid in [s for s, seat in self.seats.items() if seat.terminal_id == terminal_id]:
                    self.seats.pop(sid, None)
        if terminal is None:
            return
        terminal.stop(time.monotonic() + 5.0)
        printers = self.kiosk.devices.printers if self.kiosk.devices is not None else None
        if printers is not None:
            printers.unroute(terminal_id)

    def _first_id(self) -> int | None:
        row = self.kiosk.store.conn().execute(
            "SELECT MIN(id) FROM api_tokens WHERE role = 'kiosk' AND revoked_at IS NULL").fetchone()
        return row[0] if row else None

    def _add(self, row: registry.TerminalRow) -> Terminal:
        terminal = self._build(row)
        with self._lock:
            self.terminals[row.id] = terminal
            started = self._started
        if started:
            terminal.start()
        return terminal

    def _build(self, row: registry.TerminalRow) -> Terminal:
        v = self.vision
        camera = row.camera or v.default_camera
        if camera == "demo" and not self.kiosk.config.demo:
            if v.enabled:
                log.warning("terminal %d: the demo camera runs only in demo mode; the terminal works by touch",
                            row.id)
            camera = "none"
        prefix = v.pager_prefix if row.pager_prefix is None else row.pager_prefix
        printers = self.kiosk.devices.printers if self.kiosk.devices is not None else None
        station = printers.route(row.id, row.printer_url, first=row.id == self._first_id()) if printers else None
        terminal = Terminal(row, camera=camera, printer=station, pager_prefix=prefix,
                            idle_fps=v.browser_idle_fps, active_fps=v.browser_fps, lost_after_s=v.browser_lost_s)
        if v.enabled and camera != "none":
            self._vision_parts(terminal)
        return terminal

    def _vision_parts(self, terminal: Terminal) -> None:
        from kiosk.session.setup import build_flow, connect_worker, worker_settings
        from kiosk.vision.worker.client import VisionWorker

        kiosk, v = self.kiosk, self.vision

        def today() -> Any:
            return datetime.fromtimestamp(kiosk.clock.now(), kiosk.clock.tz).date()

        camera = terminal.camera
        settings = worker_settings(v, "browser" if camera == "browser" else camera, terminal.pager_prefix)
        worker = VisionWorker(settings, name=f"kiosk-{terminal.id}", gallery=self.gallery, today=today)
        flow = build_flow(kiosk, v.flow, time.monotonic, worker, self.gallery, terminal_id=terminal.id,
                          on_enrolled=lambda citizen_id, templates: self.enrol(str(citizen_id), templates))
        from kiosk.terminals.reprint import flow_reprint

        flow.reprint, flow.reprint_window_s = flow_reprint(kiosk, terminal.id), kiosk.config.reprint_window_s
        live = KioskLive(kiosk.socketio, flow, room=terminal.room, decorate=lambda snap: self._decorate(terminal, snap))
        terminal.flow, terminal.worker, terminal.live = flow, worker, live
        connect_worker(flow, worker, live, after_change=lambda: self._announce_rate(terminal))

    def _decorate(self, terminal: Terminal, snap: dict[str, Any]) -> dict[str, Any]:
        from kiosk.display.tracking import tracking_path

        snap["terminal"] = {"id": terminal.id, "name": terminal.name}
        snap["printer"] = {"ok": terminal.printer_ok()}
        if snap.get("ticket"):
            snap["ticket"] = {**snap["ticket"], "tracking_url": tracking_path(self.secret, snap["ticket"]["id"])}
        return snap

    # -- the gallery, shared by every terminal ---------------------------------------------
    def enrol(self, identity: str, templates: list[Any]) -> None:
        """A citizen's templates (an enrolment, a confirmed visit's refresh, a return into the window) in place
        of their earlier ones: the shared gallery once, then every terminal's worker."""
        if self.gallery is not None:
            self.gallery.replace(identity, templates)
        for terminal in self.all():
            if terminal.worker is not None:
                terminal.worker.enrol(identity, templates, local=False)

    def forget(self, identity: str) -> None:
        if self.gallery is not None:
            self.gallery.remove(identity)
        for terminal in self.all():
            if terminal.worker is not None:
                terminal.worker.forget(identity, local=False)

    # -- sockets ---------------------------------------------------------------------------
    def attach(self, sid: str, principal: Any, wanted: Any = None) -> Terminal | None:
        """Seat a /kiosk socket: a kiosk token at its own terminal, an admin at ``wanted`` or the first."""
        if principal.role == "kiosk":
            terminal = self.get(principal.id)
        else:
            terminal = None
            if isinstance(wanted, int) and not isinstance(wanted, bool):
                terminal = self.get(wanted)
            elif isinstance(wanted, str) and wanted.isdigit() and len(wanted) < 12:
                terminal = self.get(int(wanted))
            terminal = terminal or self.first()
        if terminal is None:
            return None
        with self._lock:
            self.seats[sid] = Seat(terminal.id, principal.kind, principal.id, principal.role)
            terminal.sockets.add(sid)
        if principal.role == "kiosk":
            terminal.seen()
        return terminal

    def detach(self, sid: str) -> None:
        with self._lock:
            seat = self.seats.pop(sid, None)
            terminal = self.terminals.get(seat.terminal_id) if seat else None
            if terminal is not None:
                terminal.sockets.discard(sid)
        if terminal is not None and seat.role == "kiosk":
            terminal.seen()

    def seat(self, sid: str) -> tuple[Seat, Terminal] | None:
        with self._lock:
            seat = self.seats.get(sid)
            terminal = self.terminals.get(seat.terminal_id) if seat else None
        if seat is None or terminal is None:
            return None
        return seat, terminal

    # -- rates and ticks -------------------------------------------------------------------
    def _announce_rate(self, terminal: Terminal, force: bool = False) -> None:
        fps = terminal.rate_changed()
        if fps is None and force:
            fps = terminal.rate()
        if fps is not None:
            self.kiosk.socketio.emit("kiosk_rate", {"fps": fps}, namespace=NAMESPACE, to=terminal.room)

    def tick(self) -> None:
        if self.window is not None:
            try:
                self.window.tick()  # citizens who left the gallery window, once a minute
            except Exception:
                log.exception("face gallery: the window check failed")
        for terminal in self.all():
            try:
                terminal.tick()
            except Exception:
                log.exception("terminal %d: tick failed", terminal.id)

    def _printer_changed(self, station: Any) -> None:
        for terminal in self.all():
            if terminal.printer is station and terminal.live is not None:
                terminal.live.push_state()
