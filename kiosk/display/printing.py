"""Printing a ticket at the kiosk when it is issued, and telling the screens when the printer cannot.

A bus subscriber queues every ``ticket_issued`` event of channel "kiosk"; one worker thread
renders and prints them (rendering takes tens of milliseconds, which must not delay the pagers
and the hall voice on the bus thread). When the printer is out of paper, open, offline or fails,
nothing is lost: the ticket is already issued, and ``device_status`` tells the kiosk (which then
shows the ticket on screen, with its tracking link) and the monitor.

A reprint (kiosk.terminals.reprint) goes through the same worker as a :class:`Reprint` job: the same ticket,
its current place in the queue, and ``COPY_LABEL`` at the top of the slip.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hardware.printer.escpos_printer import PrinterMonitor, PrinterUnavailableError, TicketPrinter
from hardware.printer.status import StatusReport
from hardware.printer.ticket_data import TicketData, TicketDataError
from kiosk.queue.events import TicketIssued
from kiosk.queue.model import PRIORITY_LABELS_VI
from kiosk.runtime.workers import QueueWorker

log = logging.getLogger(__name__)

Notifier = Callable[[str, dict[str, Any], "int | None"], object]

COPY_LABEL = "BẢN IN LẠI"  # printed at the top of a reprint: the same number, not a new ticket


@dataclass(frozen=True)
class Reprint:
    """A copy of a ticket already issued, asked for at ``terminal`` (``copy``: 1 for the first copy)."""

    ticket_id: int
    terminal: int | None
    copy: int
    position: int = 1  # used only when the ticket is no longer waiting (its place is then unknown)


def printer_status_payload(report: StatusReport, unprinted: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``device_status`` payload for the printer."""
    payload: dict[str, Any] = {"device": "printer", **report.as_dict()}
    if unprinted is not None:
        payload["unprinted"] = unprinted
    return payload


class TicketPrintService:
    """Prints kiosk tickets from the event bus on its own thread."""

    def __init__(self, engine, centre_name: str, printer: TicketPrinter, monitor: PrinterMonitor,
                 tracking_url: Callable[[int], str], notify: Notifier | None = None) -> None:
        self.engine = engine
        self.centre_name = centre_name
        self.printer = printer
        self.monitor = monitor
        self.tracking_url = tracking_url
        self.notify = notify or (lambda name, payload, counter: None)
        self.counts = {"printed": 0, "not_printed": 0}
        self._worker: QueueWorker[Any] = QueueWorker("ticket-printer", self.print_event)
        monitor.add_listener(self._on_status)

    def __call__(self, event: Any) -> None:
        """Bus subscriber: queue kiosk-issued tickets for printing."""
        if not isinstance(event, TicketIssued) or event.channel != "kiosk":
            return
        self._worker.put(event)

    def reprint(self, job: Reprint) -> None:
        """Queue a copy of a ticket (the rule of who may have one is kiosk.terminals.reprint's)."""
        self._worker.put(job)

    def start(self) -> None:
        self._worker.start()

    def stop(self, deadline: float | None = None) -> int:
        """Print what is queued (until ``deadline``), then stop; returns how many were left unprinted."""
        return self._worker.stop(deadline)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued ticket was printed or reported (tests, shutdown)."""
        return self._worker.wait_idle(timeout)

    def ticket_data(self, event: TicketIssued | Reprint) -> TicketData:
        """What is printed for the issued ticket of ``event`` (a reprint: marked as a copy)."""
        ticket = self.engine.ticket(event.ticket_id)
        service = self.engine.service(ticket.service)
        place = self.engine.position(ticket.id)
        position, wait_s = place if place else (event.position, 0)
        label = PRIORITY_LABELS_VI.get(ticket.priority, "")
        return TicketData(
            centre_name=self.centre_name,
            service_name=service.name,
            ticket_number=ticket.number,
            people_ahead=max(0, position - 1),
            estimated_wait_min=min(24 * 60, math.ceil(wait_s / 60)),
            issued_at=datetime.fromtimestamp(ticket.issued_at, self.engine.clock.tz),
            qr_url=self.tracking_url(ticket.id),
            priority_label=f"Ưu tiên: {label[:1].lower()}{label[1:]}" if ticket.priority != "normal" else "",
            copy_label=COPY_LABEL if isinstance(event, Reprint) else "",
        )

    def print_event(self, event: TicketIssued | Reprint) -> bool:
        """Print the ticket of ``event`` now; False (and a device_status) when it did not print."""
        try:
            data = self.ticket_data(event)
        except TicketDataError as exc:
            log.error("ticket %s cannot be printed: %s", event.ticket_id, exc)
            self.counts["not_printed"] += 1
            return False
        try:
            report = self.printer.print_ticket(data)
        except PrinterUnavailableError as exc:
            self.counts["not_printed"] += 1
            unprinted = {"ticket_id": event.ticket_id, "number": data.ticket_number,
                         "service_name": data.service_name, "people_ahead": data.people_ahead,
                         "estimated_wait_min": data.estimated_wait_min, "tracking_url": data.qr_url,
                         "terminal": event.terminal, "copy": isinstance(event, Reprint)}
            log.warning("ticket %s not printed: %s", data.ticket_number, exc.report.status.value)
            self.monitor.update(exc.report)  # screens learn of a new fault at once (listener)
            self.notify("device_status", printer_status_payload(exc.report, unprinted), None)
            return False
        self.counts["printed"] += 1
        if isinstance(event, Reprint):
            self.counts["reprinted"] = self.counts.get("reprinted", 0) + 1
        self.monitor.update(report)
        return True

    def _on_status(self, new: StatusReport, old: StatusReport | None) -> None:
        self.notify("device_status", printer_status_payload(new), None)
