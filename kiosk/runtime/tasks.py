"""A background task repeated at an interval, sleeping on an Event (stops at once, no busy loop)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class RepeatingTask:
    def __init__(self, interval_s: float, fn: Callable[[], object], name: str,
                 first_after_s: float | None = None) -> None:
        """``first_after_s``: the first run comes this long after start (default: one interval)."""
        self.interval_s, self.fn, self.name = interval_s, fn, name
        self.first_after_s = interval_s if first_after_s is None else first_after_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        wait = self.first_after_s
        while not self._stop.wait(wait):
            wait = self.interval_s
            try:
                self.fn()
            except Exception:
                log.exception("background task %s failed", self.name)

    def stopping(self) -> bool:
        """True once stop() was called: a long run checks it to end early."""
        return self._stop.is_set()

    def stop(self, deadline: float | None = None) -> None:
        """Stop; a run in progress is waited for until ``deadline`` (monotonic; default 5 s)."""
        self._stop.set()
        if self._thread is not None:
            timeout = 5.0 if deadline is None else max(0.0, deadline - time.monotonic())
            self._thread.join(timeout)
