"""The live picture of the queue: waiting per service, each counter's state and current ticket."""
from __future__ import annotations

import json
from typing import Any

from kiosk.queue.clock import day_bounds, iso, local_day
from kiosk.queue.engine import QueueEngine


def queue_snapshot(engine: QueueEngine, waiting_list: int = 10, recent_calls: int = 8) -> dict[str, Any]:
    """What the display, monitor and consoles show; times ISO with the centre's offset."""
    now = engine.clock.now()
    tz = engine.clock.tz
    conn = engine.store.conn()
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
            "SELECT id, number, priority, issued_at FROM tickets WHERE state = 'waiting' AND service_code = ? "
            "ORDER BY issued_at, id LIMIT ?", [svc.code, waiting_list]).fetchall()
        services.append({
            "code": svc.code, "name": svc.name, "name_en": svc.name_en, "prefix": svc.prefix,
            "is_open": svc.is_open, "issued_today": issued.get(svc.code, 0),
            "remaining_today": None if svc.daily_limit is None else max(0, svc.daily_limit - issued.get(svc.code, 0)),
            "waiting": row["n"] if row else 0,
            "priority_waiting": (row["prio"] or 0) if row else 0,
            "longest_wait_s": round(now - row["first"]) if row else 0,
            "over_sla": (row["over"] or 0) if row else 0,
            "next": [{"id": t["id"], "number": t["number"], "priority": t["priority"],
                      "issued_at": iso(t["issued_at"], tz)} for t in head],
        })
    officers = {r[0]: r[1] or r[2] for r in conn.execute("SELECT id, full_name, username FROM users")}
    counters = []
    for c in engine.counters():
        current = engine.ticket(c.current_ticket_id) if c.current_ticket_id else None
        counters.append({
            "number": c.number, "name": c.name, "state": c.state, "pause_reason": c.pause_reason,
            "services": list(c.services), "officer": officers.get(c.officer_id),
            "current": current.to_api(tz) if current else None,
        })
    calls = conn.execute(
        "SELECT e.at, e.type, e.counter_number, e.service_code, e.data FROM events e "
        "WHERE e.type IN ('ticket_called', 'ticket_recalled') AND e.at >= ? ORDER BY e.id DESC LIMIT ?",
        [day_bounds(engine.clock, day)[0], recent_calls],
    ).fetchall()
    row = conn.execute(
        "SELECT COUNT(*) AS issued, SUM(state = 'done') AS served, SUM(state = 'no_show') AS no_show "
        "FROM tickets WHERE day = ?", [day]
    ).fetchone()
    return {
        "at": iso(now, tz),
        "day": day,
        "services": services,
        "counters": counters,
        "held": [{"id": t.id, "number": t.number, "service": t.service, "counter": t.counter}
                 for t in engine.held()],
        "recent_calls": [
            {"number": json.loads(c["data"])["number"], "counter": c["counter_number"], "service": c["service_code"],
             "priority": json.loads(c["data"]).get("priority", "normal"), "called_at": iso(c["at"], tz),
             "recall": c["type"] == "ticket_recalled"}
            for c in calls
        ],
        "today": {"issued": row["issued"] or 0, "served": row["served"] or 0, "no_show": row["no_show"] or 0,
                  "waiting": total_waiting},
    }
