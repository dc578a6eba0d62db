"""The live picture of the queue: waiting per service, each counter's state and current ticket."""
from __future__ import annotations

from typing import Any

from kiosk.queue.clock import iso, local_day
from kiosk.queue.engine import QueueEngine


def queue_snapshot(engine: QueueEngine, waiting_list: int = 10) -> dict[str, Any]:
    """What the display, monitor and consoles show; times ISO with the centre's offset."""
    now = engine.clock.now()
    tz = engine.clock.tz
    conn = engine.store.conn()
    waiting = engine.waiting()
    services = []
    for svc in engine.services():
        mine = [t for t in waiting if t.service == svc.code]
        services.append({
            "code": svc.code, "name": svc.name, "prefix": svc.prefix, "is_open": svc.is_open,
            "waiting": len(mine),
            "priority_waiting": sum(t.is_priority for t in mine),
            "longest_wait_s": round(now - mine[0].issued_at) if mine else 0,
            "over_sla": sum(now - t.issued_at > svc.sla_minutes * 60 for t in mine),
            "next": [{"id": t.id, "number": t.number, "priority": t.priority,
                      "issued_at": iso(t.issued_at, tz)} for t in mine[:waiting_list]],
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
    day = local_day(engine.clock, now)
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
        "today": {"issued": row["issued"] or 0, "served": row["served"] or 0, "no_show": row["no_show"] or 0,
                  "waiting": len(waiting)},
    }
