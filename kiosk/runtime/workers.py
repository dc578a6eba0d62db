"""One worker-thread base: a queue of items handled in order by one thread, drained on stop.

The event bus, the hall announcer and the ticket printer each need exactly this: callers hand work
over without waiting, one thread does it in order, an exception in one item never stops the next, and
an orderly stop finishes what was accepted before the deadline. Under gevent (``kiosk serve``) the
thread is a greenlet; in tests it is an OS thread; the code is the same.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class WorkerClosed(RuntimeError):
    """The worker was stopped and takes no more items."""


class _Stop:
    """Marks the end of the queue for the thread."""


_STOP = _Stop()


class QueueWorker(Generic[T]):
    """Items in, ``handle(item)`` on one thread, in order.

    ``put`` never blocks unless ``maxsize`` is reached (then it raises ``queue.Full``). ``stop(deadline)``
    refuses new items, lets the thread handle what is queued until ``deadline`` (time.monotonic), and
    reports how many items were left undone (0 when everything accepted was handled).
    """

    def __init__(self, name: str, handle: Callable[[T], object], maxsize: int = 0) -> None:
        self.name = name
        self._handle = handle
        self._queue: queue.Queue[T | _Stop] = queue.Queue(maxsize)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._abandon = threading.Event()
        self.accepted = 0
        self.handled = 0
        self.failed = 0

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def put(self, item: T) -> None:
        """Queue ``item``; starts the thread on first use."""
        with self._lock:
            if self._closed:
                raise WorkerClosed(f"{self.name} is stopped")
            self._queue.put_nowait(item)
            self.accepted += 1
        self.start()

    def pending(self) -> int:
        """Items queued and not yet handled (the one being handled included)."""
        return self._queue.unfinished_tasks

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued item was handled; False on timeout."""
        end = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= end:
                return False
            time.sleep(0.005)
        return True

    @property
    def abandoning(self) -> bool:
        """True once a stop ran out of time: handlers with long waits (pacing) should cut them short."""
        return self._abandon.is_set()

    def stop(self, deadline: float | None = None) -> int:
        """Finish the queued items until ``deadline`` (monotonic seconds; None = 5 s from now).

        Returns how many accepted items were not handled (dropped because time ran out).
        """
        deadline = time.monotonic() + 5.0 if deadline is None else deadline
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                self._abandon.set()
                thread.join(0.2)
        left = self.accepted - self.handled - self.failed
        if left:
            log.warning("%s stopped with %d item(s) not done", self.name, left)
        return left

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if isinstance(item, _Stop):
                    return
                if self._abandon.is_set():
                    continue
                self._handle(item)
                self.handled += 1
            except Exception:  # one bad item must not stop the ones behind it
                self.failed += 1
                log.exception("%s: handling an item failed", self.name)
            finally:
                self._queue.task_done()
