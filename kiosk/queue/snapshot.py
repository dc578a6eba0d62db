"""The live picture of the queue: waiting per service, each counter's state, current ticket and the
actions allowed there now."""
from __future__ import annotations

import sqlite3
from typing import Any

from kiosk.queue import events as ev
from kiosk.queue import transitions
from kiosk.queue.clock import iso, local_day
from kiosk.queue.days import first_event_id
from kiosk.queue.engine import QueueEngine
from kiosk.queue.model import Counter


def last_event_id(conn: sqlite3.Connection) -> int:
    """The id of the newest event: a snapshot reflects at least this much (pages drop older snapshots)."""
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]


def counter_view(engine: QueueEngine, c: Counter, officer: str | None, waiting_list: int = 10) -> dict[str, Any]:
    """One counter of the snapshot: state, current ticket, the actions allowed there now, and the tickets
    transferred to it (``directed``: only it calls them, before its own queue; index tickets_directed)."""
    current = engine.ticket(c.current_ticket_id) if c.current_ticket_id else None
    directed = engine.store.conn().execute(
        "SELECT id, number, service_code, priority, issued_at, target_from FROM tickets "
        "WHERE target_counter = ? AND state = 'waiting' ORDER BY id LIMIT ?", [c.number, waiting_list]).fetchall()
    return {
        "directed": [{"id": t["id"], "number": t["number"], "service": t["service_code"], "priority": t["priority"],
                      "issued_at": iso(t["issued_at"], engine.clock.tz), "from_counter": t["target_from"]}
                     for t in directed],
        "number": c.number, "name": c.name, "state": c.state, "pause_reason": c.pause_reason,
        "services": list(c.services), "officer": officer,
        "current": current.to_api(engine.clock.tz) if current else None,
        "actions": list(transitions.allowed_actions(c.state, current.state if current else None)),
    }


def queue_snapshot(engine: QueueEngine, waiting_list: int = 10, recent_calls: int = 8) -> dict[str, Any]:
    """What the display, monitor and consoles show; times ISO with the centre's offset."""
    now = engine.clock.now()
    tz = engine.clock.tz
    conn = engine.store.conn()
    event_id = last_event_id(conn)  # read first: the rest is at least as new
    day = local_day(engine.clock, now)
    issued = {r[0]: r[1] for r in conn.execute(
        "SELECT service_code, COUNT(*) FROM tickets WHERE day = ? GROUP BY service_code", [day])}
    # Aggregates in SQL: a busy afternoon has thousands waiting, and this runs several times a second.
    agg = {r["service_code"]: r for r in conn.execute(
        "SELECT t.service_code, COUNT(*) AS n, SUM(t.priority != 'normal') AS prio, MIN(t.issued_at) AS first, "
        "SUM(? - t.issued_at > s.sla_minutes * 60) AS over FROM tickets t JOIN services s ON s.code = t.service_code "
        "WHERE t.state = 'waiting' GROUP BY t.service_code", [now])}
    services = []
    total_waiting = 0
    for svc in engine.services():
        row = agg.get(svc.code)
        total_waiting += row["n"] if row else 0
        head = conn.execute(
            "SELECT id, number, priority, issued_at, target_counter FROM tickets WHERE state = 'waiting' "
            "AND service_code = ? "
            "ORDER BY id LIMIT ?", [svc.code, waiting_list]).fetchall()
        services.append({
            "code": svc.code, "name": svc.name, "name_en": svc.name_en, "prefix": svc.prefix,
            "is_open": svc.is_open, "issued_today": issued.get(svc.code, 0),
            "remaining_today": None if svc.daily_limit is None else max(0, svc.daily_limit - issued.get(svc.code, 0)),
            "waiting": row["n"] if row else 0,
            "priority_waiting": (row["prio"] or 0) if row else 0,
            "longest_wait_s": round(now - row["first"]) if row else 0,
            "over_sla": (row["over"] or 0) if row else 0,
            "next": [{"id": t["id"], "number": t["number"], "priority": t["priority"],
                      "issued_at": iso(t["issued_at"], tz), "target_counter": t["target_counter"]} for t in head],
        })
    officers = {r[0]: r[1] or r[2] for r in conn.execute("SELECT id, full_name, username FROM users")}
    counters = [counter_view(engine, c, officers.get(c.officer_id)) for c in engine.counters()]
    # today's calls by id range: bounded by the day's first event, not by a walk back through the years
    calls = conn.execute(
        "SELECT * FROM events WHERE id >= ? AND type IN (?, ?) ORDER BY id DESC LIMIT ?",
        [first_event_id(conn, day), ev.TicketCalled.name, ev.TicketRecalled.name, recent_calls],
    ).fetchall()
    row = conn.execute(
        "SELECT COUNT(*) AS issued, SUM(state = 'done') AS served, SUM(state = 'no_show') AS no_show "
        "FROM tickets WHERE day = ?", [day]
    ).fetchone()
    return {
        "at": iso(now, tz),
        "day": day,
        "event_id": event_id,
        "services": services,
        "counters": counters,
        "held": [{"id": t.id, "number": t.number, "service": t.service, "counter": t.counter}
                 for t in engine.held()],
        "recent_calls": [ev.ticket_called_payload(e, tz) for e in map(ev.event_from_row, calls)
                         if isinstance(e, ev.TicketCalled)],
        "today": {"issued": row["issued"] or 0, "served": row["served"] or 0, "no_show": row["no_show"] or 0,
                  "waiting": total_waiting},
    }
