"""Clocks for the queue domain: injected so tests can run a whole day in a second."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def centre_timezone(name: str = "Asia/Ho_Chi_Minh") -> tzinfo:
    """The centre's time zone; Vietnam has no DST, so a fixed UTC+7 is a safe fallback."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=7), "ICT")


log = logging.getLogger(__name__)

CLOCK_BACK_S = 2.0  # the wall clock read earlier than at the last action by more than this: a step back
CLOCK_FORWARD_S = 60.0  # it moved this much further than the time that really passed: a jump forward


class Clock(Protocol):
    tz: tzinfo

    def now(self) -> float:
        """Seconds since the epoch."""


class SystemClock:
    """The wall clock."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        self.tz = tz or centre_timezone()

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        """Time that really passed (never steps): what a wall-clock step is measured against."""
        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to.

    ``advance`` and ``set`` are time passing (a move back is the wall clock stepping back: the monotonic
    reading stays); ``step`` moves the wall clock alone, as NTP or an operator setting the time does.
    """

    def __init__(self, start: float | datetime = 1_790_000_000.0, tz: tzinfo | None = None) -> None:
        self.tz = tz or centre_timezone()
        self._t = start.timestamp() if isinstance(start, datetime) else float(start)
        self._mono = 0.0

    def now(self) -> float:
        return self._t

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._t += seconds
        self._mono += max(0.0, seconds)

    def set(self, when: float | datetime) -> None:
        self.advance((when.timestamp() if isinstance(when, datetime) else float(when)) - self._t)

    def step(self, seconds: float) -> None:
        self._t += seconds


class ClockWatch:
    """Notices the wall clock stepping between two queue actions, and logs a warning.

    Back: the clock reads more than CLOCK_BACK_S earlier than at the last action (beyond the time that passed,
    where the clock has a ``monotonic`` reading). Forward: it moved more than CLOCK_FORWARD_S further than the
    time that really passed; only a clock with a ``monotonic`` reading can tell this from a quiet hour. The
    queue's order does not depend on the clock (ticket ids, kiosk/queue/priorities.py); the times recorded
    are what the clock reads, so waits across a step are off by the step, and the warning says so.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._monotonic: Callable[[], float] | None = getattr(clock, "monotonic", None)
        self._last: tuple[float, float | None] | None = None
        self._lock = threading.Lock()

    def check(self) -> float:
        """Read the clock, compare with the last reading, warn on a step; returns the drift (s) seen."""
        with self._lock:
            wall = self.clock.now()
            mono = self._monotonic() if self._monotonic is not None else None
            last, self._last = self._last, (wall, mono)
        if last is None:
            return 0.0
        drift = wall - last[0]
        if mono is not None and last[1] is not None:
            drift -= mono - last[1]
        if drift < -CLOCK_BACK_S:
            log.warning("system clock stepped back by %.0f s between queue actions; queue order is kept "
                        "(by ticket sequence), waits across the step are off by it", -drift)
        elif mono is not None and drift > CLOCK_FORWARD_S:
            log.warning("system clock jumped forward by %.0f s between queue actions; queue order is kept "
                        "(by ticket sequence), waits across the step are off by it", drift)
        return drift


def local_datetime(clock: Clock, at: float | None = None) -> datetime:
    return datetime.fromtimestamp(clock.now() if at is None else at, clock.tz)


def local_day(clock: Clock, at: float | None = None) -> str:
    """The centre's calendar day (YYYY-MM-DD): ticket numbers restart on it."""
    return local_datetime(clock, at).date().isoformat()


def day_bounds(clock: Clock, day: str) -> tuple[float, float]:
    """Epoch seconds of the start and end of a local calendar day."""
    d = date.fromisoformat(day)
    start = datetime(d.year, d.month, d.day, tzinfo=clock.tz)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def iso(at: float | None, tz: tzinfo) -> str | None:
    """ISO 8601 with the centre's offset, as the API shows times."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")
