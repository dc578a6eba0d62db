"""Clocks for the queue domain: injected so tests can run a whole day in a second."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def centre_timezone(name: str = "Asia/Ho_Chi_Minh") -> tzinfo:
    """The centre's time zone; Vietnam has no DST, so a fixed UTC+7 is a safe fallback."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=7), "ICT")


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


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float | datetime = 1_790_000_000.0, tz: tzinfo | None = None) -> None:
        self.tz = tz or centre_timezone()
        self._t = start.timestamp() if isinstance(start, datetime) else float(start)

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        self._t += seconds

    def set(self, when: float | datetime) -> None:
        self._t = when.timestamp() if isinstance(when, datetime) else float(when)


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
