"""The end of a centre's day: which tickets expire and which counters close (pure; QueueEngine applies it).

A day ends at the centre's closing time (``QueueSettings.closing_time``, "HH:MM" local), run by the shell's
day-end ticker, or at the latest when the next local day begins: the engine ends the days before today at
the first action of a new day (the service may have been off at closing). Either way the end is a
*cutoff* moment, and:

- every ticket issued before the cutoff that is still waiting, held or called (never started) expires
  (``ticket_expired``, state ``expired``: not served); a ticket being served at closing time is left to its
  officer, but one still "serving" from an earlier day expires too, so the new day starts empty;
- every counter not closed that nobody touched since the cutoff closes (``counter_closed``), once its
  current ticket, if any, has expired; a counter opened or working after closing is someone working late.

Both rules look only at the state before the cutoff, so ending the same day twice changes nothing more, and
nothing is deleted: tickets keep their rows and numbers, the events say what happened.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from kiosk.queue.clock import Clock, day_bounds, local_day
from kiosk.queue.errors import InvalidInput
from kiosk.queue.model import Counter, Ticket
from kiosk.queue.transitions import CLOSED, SERVING, ticket_transition

CLOSING_TIME = "17:30"  # the default: an afternoon session of a one-stop shop ends at 17:00-17:30
EXPIRE = "expire"  # the ticket action of transitions.TICKET_TRANSITIONS
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_closing_time(value: object) -> str:
    """A closing time as "HH:MM" (00:00-23:59), or InvalidInput."""
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise InvalidInput(f'closing_time must be a time of day as "HH:MM" (00:00-23:59), not {str(value)[:20]!r}',
                           text="closing_time_format")
    return value


def closing_moment(clock: Clock, day: str, closing_time: str) -> float:
    """Epoch seconds of ``closing_time`` on the local ``day``."""
    hours, minutes = (int(part) for part in closing_time.split(":"))
    return datetime.combine(date.fromisoformat(day), time(hours, minutes), clock.tz).timestamp()


def due_cutoff(clock: Clock, now: float, closing_time: str) -> float:
    """The latest day end at or before ``now``: today's closing once it is past, else the start of today
    (the days before ended at midnight at the latest)."""
    today = local_day(clock, now)
    closing = closing_moment(clock, today, closing_time)
    return closing if now >= closing else day_bounds(clock, today)[0]


def expires(ticket: Ticket, cutoff: float, cutoff_day: str) -> bool:
    """Whether ``ticket`` expires at a day end at ``cutoff`` (on the local ``cutoff_day``)."""
    if ticket.issued_at >= cutoff or ticket_transition(EXPIRE, ticket.state) is None:
        return False
    return ticket.state != SERVING or ticket.day < cutoff_day  # served at closing: the officer finishes it


@dataclass(frozen=True)
class DayEnd:
    """What one day end does: the tickets that expire, then the counters that close (in this order)."""

    expire: tuple[Ticket, ...]
    close: tuple[int, ...]


def plan(clock: Clock, cutoff: float, tickets: Iterable[Ticket],
         counters: Iterable[tuple[Counter, float]]) -> DayEnd:
    """The day end at ``cutoff`` over the open ``tickets`` and the ``counters`` (each with its last change)."""
    cutoff_day = local_day(clock, cutoff)
    expire = tuple(t for t in tickets if expires(t, cutoff, cutoff_day))
    gone = {t.id for t in expire}
    close = tuple(
        c.number for c, updated_at in counters
        if c.state != CLOSED and updated_at < cutoff and (c.current_ticket_id is None or c.current_ticket_id in gone)
    )
    return DayEnd(expire=expire, close=close)


__all__ = ["CLOSING_TIME", "DayEnd", "closing_moment", "due_cutoff", "expires", "parse_closing_time", "plan"]
