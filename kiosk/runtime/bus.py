"""The in-process event bus: domain events in, delivered in order to subscribers on one thread.

Publishing never blocks the caller (an HTTP request or a pager button): the dispatcher thread
does the slow fan-out (Socket.IO rooms, voice, pager, LED boards).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.runtime.workers import QueueWorker, WorkerClosed

log = logging.getLogger(__name__)
Subscriber = Callable[[Any], None]


@dataclass(frozen=True)
class CatalogChanged:
    """Services, counters or queue settings were edited (screens refresh at once)."""

    what: str


class EventBus:
    name = "event-bus"

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._worker: QueueWorker[Any] = QueueWorker("event-bus", self._deliver)

    def subscribe(self, fn: Subscriber) -> None:
        self._subscribers.append(fn)

    def start(self) -> None:
        self._worker.start()

    def publish(self, event: Any) -> None:
        """Hand an event over; never fails the caller, whose state change is already committed."""
        try:
            self._worker.put(event)
        except WorkerClosed:
            # Stopping: the event is in the store; screens get the state from the next snapshot.
            log.warning("event %s published after the bus stopped; not fanned out", type(event).__name__)

    def _deliver(self, event: Any) -> None:
        for fn in list(self._subscribers):
            try:
                fn(event)
            except Exception:  # one broken screen or device must not stop the others
                log.exception("event subscriber %r failed on %s", fn, type(event).__name__)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every published event was delivered (for tests and orderly shutdown)."""
        return self._worker.wait_idle(timeout)

    def stop(self, deadline: float | None = None) -> int:
        """Deliver what was published, then stop; returns how many events were left undelivered."""
        return self._worker.stop(deadline)
