"""Sliding-window limits: at most ``limit`` events per key within the last ``window_s`` seconds.

Pure logic over an injected clock. ``retry_after`` is the one rule (how long until one more event fits);
``SlidingWindow`` keeps the events of many keys in memory (per-address limits of the public booking, the
sign-in failures of kiosk.accounts.login_guard), and
callers that keep their events elsewhere (the per-ID limit counts the appointment rows themselves, so it
holds across restarts) call ``retry_after`` with the times they read.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable


def retry_after(times: Iterable[float], limit: int, window_s: float, now: float) -> float:
    """Seconds until one more event fits, given the times of the earlier ones (0: it fits now).

    Only events within the window count; with ``limit`` or more of them, the next one fits when the
    oldest that would still be over the limit leaves the window."""
    live = sorted(t for t in times if t > now - window_s)
    if len(live) < limit:
        return 0.0
    return max(0.0, live[len(live) - limit] + window_s - now)


class SlidingWindow:
    """The events of many keys, in memory; thread-safe. At most ``max_keys`` keys are kept (the least
    recently hit are forgotten first), so a flood of new addresses costs bounded memory."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float], max_keys: int = 50_000) -> None:
        if limit < 1 or window_s <= 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be at least 1, window_s positive")
        self.limit, self.window_s, self.clock, self.max_keys = limit, float(window_s), clock, max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and events[0] <= now - self.window_s:
            events.popleft()
        if not events:
            del self._events[key]
        return events

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may have one more event (0: now)."""
        with self._lock:
            now = self.clock()
            return retry_after(self._live(key, now), self.limit, self.window_s, now)

    def _append(self, key: str, events: deque[float], now: float) -> None:
        if key not in self._events:
            self._events[key] = events
        events.append(now)
        self._events.move_to_end(key)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)

    def hit(self, key: str) -> None:
        """Count one event of ``key`` now (a failed attempt: counted whatever the limit says)."""
        with self._lock:
            now = self.clock()
            self._append(key, self._live(key, now), now)

    def take(self, key: str) -> float:
        """Count one event of ``key`` if it fits: 0 when counted, else the seconds to wait (nothing counted).
        Check and count under one lock, so a burst of parallel requests cannot all pass the check."""
        with self._lock:
            now = self.clock()
            events = self._live(key, now)
            wait = retry_after(events, self.limit, self.window_s, now)
            if wait > 0:
                return wait
            self._append(key, events, now)
            return 0.0

    def give_back(self, key: str) -> None:
        """Take back the latest event of ``key`` (what was counted did not happen, or turned out not to count)."""
        with self._lock:
            events = self._events.get(key)
            if events:
                events.pop()
                if not events:
                    del self._events[key]

    def clear(self, key: str) -> None:
        """Forget every event of ``key`` (a success on an account; an administrator's unlock)."""
        with self._lock:
            self._events.pop(key, None)

    def __len__(self) -> int:
        return len(self._events)
