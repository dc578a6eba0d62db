"""One day's tickets replayed from their events into one fact per ticket (pure: rows in, facts out).

The definitions are those of kiosk/queue/stats.py (day_statistics), ticket by ticket:
- a ticket belongs to its last service (a transfer moves it, keeping its issue time);
- wait = issue -> first call after its last transfer (a recall is no new call);
- service time = start -> finish (or no-show), unknown for a finish with ``service_unknown``
  (kiosk.queue.stats.service_time, the one rule);
- over the target (the service's ``sla_minutes``): a wait longer than it, or a citizen still waiting
  (at the day's end, or now for today) or closed at day end (``ticket_expired``) past it; the share is
  over those that were called, still wait, or expired;
- a counter and officer are those of the ticket's last call, finish or no-show (None: never called);
- the dossier code is that of the newest ``ticket_noted`` (None: none, or cleared).

Rows are read as plain columns, never through `event_from_row`: the rollups need no data column, and a
type this code does not know (a later release's) is skipped rather than failing a report.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.queue import events as ev
from kiosk.queue.stats import service_time

# The day end's event (the `dayend` work adds its class to kiosk/queue/events.py): a ticket still waiting
# or held at closing time; not served.
TICKET_EXPIRED = "ticket_expired"

_ISSUED, _CALLED, _RECALLED = ev.TicketIssued.name, ev.TicketCalled.name, ev.TicketRecalled.name
_STARTED, _FINISHED, _NO_SHOW = ev.TicketStarted.name, ev.TicketFinished.name, ev.TicketNoShow.name
_HELD, _RETURNED = ev.TicketHeld.name, ev.TicketReturned.name
_TRANSFERRED, _CANCELLED = ev.TicketTransferred.name, ev.TicketCancelled.name
_NOTED = ev.TicketNoted.name

# a ticket's outcome -> the ROW count it adds to (waiting, called, serving and held count as issued only)
OUTCOME_COUNTS = {"done": "served", "no_show": "no_show", "cancelled": "cancelled", "expired": "expired"}


@dataclass
class TicketFact:
    ticket_id: int
    service: str
    issued_at: float
    outcome: str = "waiting"  # waiting | called | serving | held | done | no_show | cancelled | expired
    outcome_at: float | None = None  # when it became done / no_show / cancelled / expired
    called_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    counter: int | None = None
    officer: int | None = None
    rating: int | None = None
    service_unknown: bool = False  # finished without a start of its own: no service time (kiosk.queue.stats)
    dossier_code: str | None = None  # the newest ``ticket_noted``'s code (kiosk/queue/dossier.py)

    @property
    def wait_s(self) -> float | None:
        return self.called_at - self.issued_at if self.called_at is not None else None

    @property
    def service_s(self) -> float | None:
        return service_time(self.started_at, self.finished_at, self.service_unknown)

    def target_wait(self, until: float) -> float | None:
        """The wait that is held against the service's target (None: not counted either way)."""
        if self.called_at is not None:
            return self.called_at - self.issued_at
        if self.outcome == "waiting":
            return until - self.issued_at
        if self.outcome == "expired" and self.outcome_at is not None:
            return self.outcome_at - self.issued_at
        return None


def _service_unknown(row: Mapping[str, Any]) -> bool:
    """The finish's ``service_unknown`` flag, read as its own column (the rollups select
    ``json_extract(data, '$.service_unknown')``); rows without that column: False."""
    return "service_unknown" in row.keys() and bool(row["service_unknown"])


def _dossier_code(row: Mapping[str, Any]) -> str | None:
    """A ``ticket_noted``'s code, read as its own column (``json_extract(data, '$.dossier_code')``, as the
    finish's flag above); rows without that column (the city's, which never has a code): None."""
    return row["dossier_code"] or None if "dossier_code" in row.keys() else None


def replay(rows: Iterable[Mapping[str, Any]], ratings: Mapping[int, int] | None = None) -> list[TicketFact]:
    """Facts of the tickets issued in ROWS (events in id order; events of other tickets are ignored)."""
    facts: dict[int, TicketFact] = {}
    for row in rows:
        kind, at, tid = row["type"], row["at"], row["ticket_id"]
        if kind == _ISSUED:
            facts[tid] = TicketFact(ticket_id=tid, service=row["service_code"], issued_at=at)
            continue
        t = facts.get(tid)
        if t is None:
            continue
        if kind == _RECALLED:
            continue
        if kind == _CALLED:
            t.called_at = t.called_at or at
            t.outcome = "called"
            t.counter, t.officer = row["counter_number"], row["officer_id"]
        elif kind == _STARTED:
            t.started_at, t.outcome = at, "serving"
        elif kind in (_FINISHED, _NO_SHOW):
            t.finished_at = at
            t.outcome = "done" if kind == _FINISHED else "no_show"
            t.service_unknown = kind == _FINISHED and _service_unknown(row)
            t.outcome_at = at
            t.counter = row["counter_number"] if row["counter_number"] is not None else t.counter
            t.officer = row["officer_id"] if row["officer_id"] is not None else t.officer
        elif kind == _HELD:
            t.outcome = "held"
        elif kind == _RETURNED:
            t.outcome = "waiting"
        elif kind == _TRANSFERRED:
            t.service, t.outcome = row["service_code"], "waiting"
            t.called_at = t.started_at = None
            t.counter = t.officer = None
        elif kind == _CANCELLED:
            t.outcome, t.outcome_at = "cancelled", at
        elif kind == TICKET_EXPIRED:
            t.outcome, t.outcome_at = "expired", at
        elif kind == _NOTED:
            t.dossier_code = _dossier_code(row)
    for tid, score in (ratings or {}).items():
        if tid in facts:
            facts[tid].rating = score
    return list(facts.values())
