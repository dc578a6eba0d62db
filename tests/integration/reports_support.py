"""Helpers of the report tests: an app on a fake clock, and an independent recomputation of report rows
from GET /api/v1/events (written apart from kiosk/reports, from the API's payloads, not the table)."""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any

from app_support import bearer

SATISFIED = (4, 5)


def all_events(client, token: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    since = 0
    while True:
        page = client.get(f"/api/v1/events?since={since}&limit=1000", headers=bearer(token)).get_json()
        if not page:
            return out
        out += page
        since = page[-1]["id"]


def ticket_lives(events: list[dict[str, Any]], tz, until_of_day) -> dict[int, dict[str, Any]]:
    """Each ticket's life: its day, final service, counter and officer, wait, service time, outcome."""
    lives: dict[int, dict[str, Any]] = {}
    for e in events:
        kind, tid = e["type"], e.get("ticket_id")
        if kind == "ticket_issued":
            lives[tid] = {"day": datetime.fromtimestamp(e["at"], tz).date().isoformat(), "issued": e["at"],
                          "service": e["service"], "called": None, "started": None, "ended": None,
                          "counter": None, "officer": None, "outcome": "waiting", "outcome_at": None}
            continue
        t = lives.get(tid)
        if t is None or kind == "ticket_recalled":
            continue
        if kind == "ticket_called":
            if t["called"] is None:
                t["called"] = e["at"]
            t["counter"], t["officer"], t["outcome"] = e["counter"], e["officer_id"], "called"
        elif kind == "ticket_started":
            t["started"], t["outcome"] = e["at"], "serving"
        elif kind in ("ticket_finished", "ticket_no_show"):
            t["ended"] = t["outcome_at"] = e["at"]
            t["outcome"] = "served" if kind == "ticket_finished" else "no_show"
            t["counter"] = e["counter"] if e["counter"] is not None else t["counter"]
            t["officer"] = e["officer_id"] if e["officer_id"] is not None else t["officer"]
        elif kind == "ticket_held":
            t["outcome"] = "held"
        elif kind == "ticket_returned":
            t["outcome"] = "waiting"
        elif kind == "ticket_transferred":
            t.update(service=e["service"], outcome="waiting", called=None, started=None, counter=None,
                     officer=None)
        elif kind == "ticket_cancelled":
            t["outcome"], t["outcome_at"] = "cancelled", e["at"]
        elif kind == "ticket_expired":
            t["outcome"], t["outcome_at"] = "expired", e["at"]
    for t in lives.values():
        t["until"] = until_of_day(t["day"])
    return lives


def nearest_rank(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def expected_rows(lives: dict[int, dict[str, Any]], group, targets: dict[str, float],
                  ratings: dict[int, int]) -> dict[Any, dict[str, Any]]:
    """Figures per group key (group(life) -> key) as the report should give them (p90 exact)."""
    groups: dict[Any, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for tid, t in lives.items():
        groups[group(t)].append((tid, t))
    out = {}
    for key, members in groups.items():
        waits = [t["called"] - t["issued"] for _, t in members if t["called"] is not None]
        spent = [t["ended"] - t["started"] for _, t in members if t["ended"] is not None and t["started"] is not None]
        base = over = 0
        for _, t in members:
            target = targets[t["service"]]
            if t["called"] is not None:
                held = t["called"] - t["issued"]
            elif t["outcome"] == "waiting":
                held = t["until"] - t["issued"]
            elif t["outcome"] == "expired":
                held = t["outcome_at"] - t["issued"]
            else:
                continue
            base += 1
            over += held > target
        scores = [ratings[tid] for tid, _ in members if tid in ratings]
        out[key] = {
            "issued": len(members),
            "served": sum(t["outcome"] == "served" for _, t in members),
            "no_show": sum(t["outcome"] == "no_show" for _, t in members),
            "cancelled": sum(t["outcome"] == "cancelled" for _, t in members),
            "expired": sum(t["outcome"] == "expired" for _, t in members),
            "wait_mean_s": round(sum(waits) / len(waits), 1) if waits else None,
            "wait_p90_exact": nearest_rank(waits, 0.9),
            "wait_max_s": round(max(waits), 1) if waits else None,
            "service_mean_s": round(sum(spent) / len(spent), 1) if spent else None,
            "over_sla_pct": round(100 * over / base, 1) if base else None,
            "ratings": len(scores),
            "satisfied_pct": round(100 * sum(s in SATISFIED for s in scores) / len(scores), 1) if scores else None,
        }
    return out
