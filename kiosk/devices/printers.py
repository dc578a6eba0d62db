"""The ticket printers of a centre: one station per printer URL, each terminal printing at its own.

A :class:`PrinterStation` is one ESC/POS printer with its status monitor and its print worker
(kiosk.display.printing.TicketPrintService). The :class:`PrinterPool` is the bus subscriber: it sends each
kiosk ticket to the station of the terminal that issued it (``TicketIssued.terminal``; the centre's
``[printer]`` when the terminal has none of its own, or when the ticket came from no terminal). Terminals
that share a printer share its status; a terminal with its own printer is alone with its paper.

A station's ``device_status`` goes to the managers' monitor and to the kiosk rooms of the terminals it
serves; the one that says a ticket did not print goes only to the terminal that issued that ticket.
In demo mode every terminal after the first gets a simulated printer of its own (on a pty).
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.queue.events import TicketIssued

log = logging.getLogger(__name__)

__all__ = ["PrinterPool", "PrinterStation", "printer_device_id", "terminal_room"]


def terminal_room(terminal_id: int) -> str:
    """The Socket.IO room (namespace /kiosk) of one terminal's pages."""
    return f"terminal:{terminal_id}"


@dataclass
class PrinterStation:
    """One printer: its driver, status monitor and print worker."""

    url: str
    printer: Any  # hardware.printer.escpos_printer.TicketPrinter
    monitor: Any  # hardware.printer.escpos_printer.PrinterMonitor
    printing: Any  # kiosk.display.printing.TicketPrintService
    simulator: Any = None  # demo: hardware.printer.simulator.PrinterSimulator
    terminals: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """The last status says it can print (unknown counts as able: nothing says otherwise yet)."""
        latest = self.monitor.latest
        return latest is None or bool(latest.can_print)

    def start(self) -> None:
        self.monitor.start()
        self.printing.start()

    def stop(self, deadline: float | None = None) -> None:
        self.printing.stop(deadline)
        self.monitor.stop()
        self.printer.close()
        if self.simulator is not None:
            self.simulator.stop()


class PrinterPool:
    """Every printer station, and the route from a terminal to its station."""

    def __init__(self, make_station: Callable[[str, Any], PrinterStation], emit: Callable[..., Any],
                 default_url: str | None = None, demo: bool = False) -> None:
        self._make = make_station  # (url, simulator or None) -> a station, not started
        self._emit = emit  # socketio.emit
        self.default_url = default_url
        self.demo = demo
        self.stations: dict[str, PrinterStation] = {}
        self._routes: dict[int, str] = {}
        self._lock = threading.RLock()
        self._started = False
        self.listeners: list[Callable[[PrinterStation], None]] = []  # a station's status changed

    # -- building ------------------------------------------------------------------------
    def station(self, url: str, simulator: Any = None) -> PrinterStation:
        """The station of ``url``, made (and started, if the pool is) on first use."""
        with self._lock:
            found = self.stations.get(url)
            if found is None:
                found = self._make(url, simulator)
                self.stations[url] = found
                found.monitor.add_listener(lambda new, old, s=found: self._status_changed(s))
                if self._started:
                    found.start()
            return found

    def route(self, terminal_id: int, url: str | None, first: bool = False) -> PrinterStation | None:
        """Send ``terminal_id``'s tickets to ``url`` (None: the centre's printer; in demo mode a
        simulated printer of its own unless it is the ``first`` terminal). Returns its station."""
        with self._lock:
            if url is None and self.demo and not first:
                from hardware.printer.simulator import PrinterSimulator

                sim = PrinterSimulator.pty().start()
                url = sim.url
                station = self.station(url, simulator=sim)
            else:
                url = url or self.default_url
                station = self.station(url) if url else None
            old = self._routes.pop(terminal_id, None)
            if old is not None and old in self.stations:
                self.stations[old].terminals.discard(terminal_id)
            if station is not None:
                self._routes[terminal_id] = station.url
                station.terminals.add(terminal_id)
            return station

    def unroute(self, terminal_id: int) -> None:
        with self._lock:
            url = self._routes.pop(terminal_id, None)
            station = self.stations.get(url) if url else None
            if station is None:
                return
            station.terminals.discard(terminal_id)
            if station.simulator is not None and not station.terminals:
                # a demo printer of its own goes with its terminal
                self.stations.pop(url, None)
                station.stop(time.monotonic() + 2.0)

    def station_of(self, terminal_id: int | None) -> PrinterStation | None:
        with self._lock:
            url = self._routes.get(terminal_id) if terminal_id is not None else None
            url = url or self.default_url
            return self.stations.get(url) if url else None

    # -- life ----------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            self._started = True
            stations = list(self.stations.values())
        for s in stations:
            s.start()

    def stop(self, deadline: float | None = None) -> None:
        with self._lock:
            self._started = False
            stations = list(self.stations.values())
        for s in stations:
            try:
                s.stop(deadline)
            except Exception:
                log.exception("printer %s did not stop cleanly", s.url)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(s.printing.wait_idle(max(0.0, deadline - time.monotonic())) for s in list(self.stations.values()))

    # -- the bus and the screens ---------------------------------------------------------
    def __call__(self, event: Any) -> None:
        """Bus subscriber: a kiosk ticket goes to its terminal's printer."""
        if not isinstance(event, TicketIssued) or event.channel != "kiosk":
            return
        station = self.station_of(event.terminal)
        if station is not None:
            station.printing(event)

    def notify_for(self, station_url: str) -> Callable[[str, dict[str, Any], Any], None]:
        """The ``notify`` of a station's print service: to the monitor and to its terminals' rooms."""

        def notify(name: str, payload: dict[str, Any], counter: Any = None) -> None:
            payload = {**payload, "printer_url_id": printer_device_id(station_url)}
            self._emit(name, payload, namespace="/monitor")
            unprinted = payload.get("unprinted")
            if unprinted is not None and unprinted.get("terminal") is not None:
                rooms = [terminal_room(unprinted["terminal"])]
            else:
                with self._lock:
                    station = self.stations.get(station_url)
                    rooms = [terminal_room(t) for t in sorted(station.terminals)] if station else []
            for room in rooms:
                self._emit(name, payload, namespace="/kiosk", to=room)

        return notify

    def _status_changed(self, station: PrinterStation) -> None:
        for listener in list(self.listeners):
            try:
                listener(station)
            except Exception:
                log.exception("printer status listener failed")


def printer_device_id(url: str) -> str:
    """A printer's short id for the screens and the device list (its URL, a serial path, stays on the PC)."""
    return hashlib.sha1(url.encode()).hexdigest()[:8]
