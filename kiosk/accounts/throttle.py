"""A sliding-window attempt limiter: at most ``limit`` attempts per key within ``window_s``.

Pure logic over an injected clock (monotonic seconds), no I/O; one lock, so threads or greenlets may share
one limiter. Memory is bounded: at most ``max_keys`` keys are tracked, the least recently hit dropped first.
Used for sign-in failures (kiosk.accounts.login_guard); generic enough for any per-key limit.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class AttemptLimiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be at least 1 and window_s positive")
        self.limit, self.window_s, self.clock, self.max_keys = limit, float(window_s), clock, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            now = self.clock()
            hits = self._live(key, now)
            if hits is None or len(hits) < self.limit:
                return 0.0
            return max(0.0, hits[-self.limit] + self.window_s - now)

    def hit(self, key: str) -> None:
        """Count one attempt for ``key``."""
        with self._lock:
            now = self.clock()
            hits = self._live(key, now)
            if hits is None:
                hits = self._hits[key] = deque()
            hits.append(now)
            self._hits.move_to_end(key)
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)

    def forgive(self, key: str) -> None:
        """Take back the latest attempt of ``key`` (it turned out not to count, e.g. it succeeded)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.pop()
                if not hits:
                    del self._hits[key]

    def clear(self, key: str) -> None:
        """Forget every attempt of ``key`` (a success on an account; an administrator's unlock)."""
        with self._lock:
            self._hits.pop(key, None)

    def __len__(self) -> int:
        return len(self._hits)
