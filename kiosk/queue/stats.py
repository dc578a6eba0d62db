"""Statistics of a day, all derived from the append-only events (never from current state).

wait            issue -> first call (a transferred ticket keeps its original issue time)
walk            first call -> start at the counter
service         start -> finish
idle_waiting    seconds a counter stood open with no ticket while one of its services had people waiting (a
                ticket transferred to one counter waits for that counter only: it makes no other one idle)
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from kiosk.queue import events as ev
from kiosk.queue.clock import Clock, day_bounds, local_day
from kiosk.queue.ratings import satisfaction


@dataclass
class _TicketLife:
    service: str
    issued: float
    called: float | None = None
    started: float | None = None
    finished: float | None = None
    outcome: str = "waiting"
    priority: str = "normal"
    expired: float | None = None  # when its day ended before it was served
    service_unknown: bool = False  # finished without a start of its own (kiosk.queue.events.TicketFinished)
    target: int | None = None  # transferred to this counter alone, until called (TicketTransferred.to_counter)

    @property
    def queue(self) -> str | tuple[str, int]:
        """Whose queue it waits in: its service's, or only its target counter's."""
        return self.service if self.target is None else ("counter", self.target)


@dataclass
class _CounterLife:
    state: str = "closed"
    busy: bool = False
    idle_waiting: float = 0.0
    served: int = 0
    since: float | None = None
    services: set[str] = field(default_factory=set)


def _m(values: list[float]) -> float | None:
    return round(mean(values), 1) if values else None


def day_statistics(conn: sqlite3.Connection, clock: Clock, day: str | None = None) -> dict[str, Any]:
    """Per service and per counter figures for one local day, replayed from the events table."""
    day = day or local_day(clock)
    start, end = day_bounds(clock, day)
    until = min(end, clock.now())
    sla = {r["code"]: r["sla_minutes"] * 60 for r in conn.execute("SELECT code, sla_minutes FROM services")}
    served_by: dict[int, set[str]] = defaultdict(set)
    for r in conn.execute("SELECT counter_number, service_code FROM counter_services"):
        served_by[r[0]].add(r[1])
    # Tickets transferred in from an earlier day are out of scope; a day's queue starts empty.
    tickets: dict[int, _TicketLife] = {}
    counters: dict[int, _CounterLife] = defaultdict(_CounterLife)
    waiting: dict[str | tuple[str, int], int] = defaultdict(int)  # per queue (_TicketLife.queue)

    def advance(now: float) -> None:
        for number, life in counters.items():
            if life.since is not None and life.state == "open" and not life.busy:
                if any(waiting[s] > 0 for s in served_by[number]) or waiting[("counter", number)] > 0:
                    life.idle_waiting += max(0.0, now - life.since)
            life.since = now

    rows = conn.execute(
        "SELECT * FROM events WHERE at >= ? AND at < ? ORDER BY id", [start, end]
    ).fetchall()
    for event in map(ev.event_from_row, rows):
        advance(event.at)
        if isinstance(event, ev.TicketIssued):
            tickets[event.ticket_id] = _TicketLife(service=event.service, issued=event.at, priority=event.priority)
            waiting[event.service] += 1
            continue
        if isinstance(event, ev.CounterEvent):
            c = counters[event.counter]
            match event:
                case ev.CounterOpened() | ev.CounterResumed():
                    c.state = "open"
                case ev.CounterPaused():
                    c.state = "paused"
                case ev.CounterClosed():
                    c.state = "closed"
            continue
        assert isinstance(event, ev.TicketEvent)
        number = getattr(event, "counter", None)  # None for a cancellation, or a return/transfer by an admin
        c = counters[number] if number is not None else None
        t = tickets.get(event.ticket_id)
        if t is None:  # issued on an earlier day: out of scope
            continue
        match event:
            case ev.TicketRecalled():  # before TicketCalled, its base: a recall is no new call
                pass
            case ev.TicketCalled():
                if t.outcome == "waiting":
                    waiting[t.queue] -= 1
                t.target = None  # a call fulfils a direction
                t.called = t.called or event.at
                t.outcome = "called"
                if c:
                    c.busy = True
            case ev.TicketStarted():
                t.started = event.at
                t.outcome = "serving"
            case ev.TicketFinished() | ev.TicketNoShow():
                t.finished = event.at
                t.outcome = "done" if isinstance(event, ev.TicketFinished) else "no_show"
                t.service_unknown = isinstance(event, ev.TicketFinished) and event.service_unknown
                if c:
                    c.busy = False
                    c.served += isinstance(event, ev.TicketFinished)
            case ev.TicketHeld():
                t.outcome = "held"
                if c:
                    c.busy = False
            case ev.TicketReturned():
                t.outcome = "waiting"
                waiting[t.queue] += 1
            case ev.TicketTransferred():
                if t.outcome == "waiting":
                    waiting[t.queue] -= 1
                elif t.outcome in ("called", "serving") and c:
                    c.busy = False
                t.service, t.target = event.service, event.to_counter
                t.outcome = "waiting"
                t.called = t.started = None
                waiting[t.queue] += 1
            case ev.TicketCancelled():
                if t.outcome == "waiting":
                    waiting[t.queue] -= 1
                t.outcome = "cancelled"
            case ev.TicketExpired():
                if t.outcome == "waiting":
                    waiting[t.queue] -= 1
                elif t.outcome in ("called", "serving") and c:
                    c.busy = False
                t.outcome, t.expired = "expired", event.at
    advance(until)
    # A day that ended at the next day's first action (kiosk/queue/dayend.py): its expiries come after it.
    # By the day's tickets, then each one's events (``+e.at``: never a range over every later event).
    for row in conn.execute(
        "SELECT e.ticket_id, e.at FROM tickets t JOIN events e ON e.ticket_id = t.id "
        "WHERE t.day = ? AND e.type = ? AND +e.at >= ?", [day, ev.TicketExpired.name, end]
    ):
        late = tickets.get(row["ticket_id"])
        if late is not None:
            late.outcome, late.expired = "expired", row["at"]

    per_service: dict[str, dict[str, Any]] = {}
    for code in sorted({t.service for t in tickets.values()} | set(sla)):
        mine = [t for t in tickets.values() if t.service == code]
        waits = [t.called - t.issued for t in mine if t.called is not None]
        # a start recorded with its finish is no arrival time either: both are unknown
        walks = [t.started - t.called for t in mine
                 if t.started is not None and t.called is not None and not t.service_unknown]
        services = [d for t in mine if (d := service_time(t.started, t.finished, t.service_unknown)) is not None]
        over = [w for w in waits if w > sla.get(code, 1800)]
        # a citizen still waiting past the target is a breach too
        over += [until - t.issued for t in mine if t.outcome == "waiting" and until - t.issued > sla.get(code, 1800)]
        # and so is one whose day ended before the call (closed at day end, never served)
        expired = [t for t in mine if t.outcome == "expired" and t.called is None]
        over += [t.expired - t.issued for t in expired
                 if t.expired is not None and t.expired - t.issued > sla.get(code, 1800)]
        called = [t for t in mine if t.called is not None]
        no_show = sum(t.outcome == "no_show" for t in mine)
        per_service[code] = {
            "issued": len(mine),
            "waiting": sum(t.outcome == "waiting" for t in mine),
            "served": sum(t.outcome == "done" for t in mine),
            "no_show": no_show,
            "cancelled": sum(t.outcome == "cancelled" for t in mine),
            "expired": sum(t.outcome == "expired" for t in mine),
            "mean_wait_s": _m(waits),
            "max_wait_s": round(max(waits), 1) if waits else None,
            "mean_walk_s": _m(walks),
            "mean_service_s": _m(services),
            "no_show_rate": round(no_show / len(called), 3) if called else None,
            "over_sla": len(over),
            "over_sla_rate": round(len(over) / max(1, len(waits) + sum(t.outcome == "waiting" for t in mine)
                                                   + len(expired)), 3),
        }
    per_counter = {
        number: {"served": life.served, "idle_while_waiting_s": round(life.idle_waiting, 1)}
        for number, life in sorted(counters.items())
    }
    totals = {
        key: sum(s[key] for s in per_service.values())
        for key in ("issued", "waiting", "served", "no_show", "cancelled", "expired", "over_sla")
    }
    all_waits = [t.called - t.issued for t in tickets.values() if t.called is not None]
    totals["mean_wait_s"] = _m(all_waits)
    rated = conn.execute("SELECT score, service_code, counter_number FROM ratings WHERE at >= ? AND at < ?",
                         [start, end]).fetchall()
    for code, figures in per_service.items():
        figures.update(satisfaction([r for r in rated if r["service_code"] == code]))
    for number, figures in per_counter.items():
        figures.update(satisfaction([r for r in rated if r["counter_number"] == number]))
    totals.update(satisfaction(rated))
    return {"day": day, "services": per_service, "counters": per_counter, "totals": totals}


def service_time(started: float | None, finished: float | None, unknown: bool = False) -> float | None:
    """The one rule of a ticket's service time (these statistics and kiosk/reports/replay.py): finish - start,
    unknown (None, never 0) without both or when the finish says ``service_unknown`` (a called ticket finished
    at once by the pager card: start and finish were recorded at the same instant)."""
    if unknown or started is None or finished is None:
        return None
    return finished - started


def officer_day(conn: sqlite3.Connection, clock: Clock, officer_id: int, day: str | None = None) -> dict[str, Any]:
    """One officer's own figures for a local day (the console shows them): tickets served and no-shows,
    the mean service time (start -> finish of the tickets they finished), and the ratings of those tickets.
    Read from the day's events only (an index range over ``events.at``)."""
    day = day or local_day(clock)
    start, end = day_bounds(clock, day)
    started: dict[int, float] = {}
    finished: set[int] = set()
    durations: list[float] = []
    no_show = 0
    rows = conn.execute("SELECT * FROM events WHERE at >= ? AND at < ? AND officer_id = ? ORDER BY id",
                        [start, end, officer_id]).fetchall()
    for event in map(ev.event_from_row, rows):
        match event:
            case ev.TicketStarted():
                started[event.ticket_id] = event.at
            case ev.TicketFinished():
                finished.add(event.ticket_id)
                spent = service_time(started.get(event.ticket_id), event.at, event.service_unknown)
                if spent is not None:
                    durations.append(spent)
            case ev.TicketNoShow():
                no_show += 1
    rated = [r for r in conn.execute("SELECT ticket_id, score FROM ratings WHERE at >= ? AND at < ?", [start, end])
             if r["ticket_id"] in finished]
    return {"day": day, "served": len(finished), "no_show": no_show, "mean_service_s": _m(durations),
            **satisfaction(rated)}
