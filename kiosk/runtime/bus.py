"""The in-process event bus: domain events in, delivered in order to subscribers on one thread.

Publishing never blocks the caller (an HTTP request or a pager button): the dispatcher thread
does the slow fan-out (Socket.IO rooms, voice, pager, LED boards).
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
Subscriber = Callable[[Any], None]
_STOP = object()


@dataclass(frozen=True)
class CatalogChanged:
    """Services, counters or queue settings were edited (screens refresh at once)."""

    what: str


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> None:
        self._subscribers.append(fn)

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="event-bus", daemon=True)
                self._thread.start()

    def publish(self, event: Any) -> None:
        self.start()
        self._queue.put(event)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is _STOP:
                    return
                for fn in list(self._subscribers):
                    try:
                        fn(event)
                    except Exception:  # one broken screen or device must not stop the others
                        log.exception("event subscriber %r failed on %s", fn, type(event).__name__)
            finally:
                self._queue.task_done()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every published event was delivered (for tests and orderly shutdown)."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(_STOP)
                self._thread.join(timeout=5)
                self._thread = None
