"""Helpers of the dashboard tests: seeded centres shipped into the city, a logged-in city client, and an
independent recomputation of the city's rows from the city's own events table (kiosk/reports not used)."""
from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from kiosk.queue.clock import centre_timezone

TZ = centre_timezone()
PASSWORD = "mat-khau-thanh-pho-1"


def ship(conn, data_dir, site: str, name: str) -> int:
    """Ship one centre's data dir into the city with the centre's own shipper (`kiosk ship`, one pass)."""
    from kiosk.city.setup import build_shipper
    from kiosk.config.core import Config

    shipper = build_shipper(Config.from_dict({"data_dir": str(data_dir),
                                              "city": {"site_code": site, "site_name": name}}))
    try:
        return shipper.ship_once(conn).events
    finally:
        shipper.reader.close()


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/city/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/city/login", data={"username": username, "password": password, "csrf_token": csrf})


def nearest_rank(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def lives(conn, site: str) -> dict[int, dict[str, Any]]:
    """Each ticket of SITE: its day, final service, wait, service time, outcome (from the city's events)."""
    out: dict[int, dict[str, Any]] = {}
    for kind, at, tid, service in conn.execute(
            "SELECT type, at, ticket_id, service FROM events WHERE site = %s ORDER BY id", [site]):
        if kind == "ticket_issued":
            out[tid] = {"day": datetime.fromtimestamp(at, TZ).date(), "issued": at, "service": service,
                        "called": None, "started": None, "ended": None, "outcome": "waiting", "outcome_at": None}
            continue
        t = out.get(tid)
        if t is None or kind == "ticket_recalled":
            continue
        if kind == "ticket_called":
            t["called"] = t["called"] or at
            t["outcome"] = "called"
        elif kind == "ticket_started":
            t["started"], t["outcome"] = at, "serving"
        elif kind in ("ticket_finished", "ticket_no_show"):
            t["ended"] = t["outcome_at"] = at
            t["outcome"] = "served" if kind == "ticket_finished" else "no_show"
        elif kind == "ticket_held":
            t["outcome"] = "held"
        elif kind == "ticket_returned":
            t["outcome"] = "waiting"
        elif kind == "ticket_transferred":
            t.update(service=service, outcome="waiting", called=None, started=None)
        elif kind == "ticket_cancelled":
            t["outcome"], t["outcome_at"] = "cancelled", at
        elif kind == "ticket_expired":
            t["outcome"], t["outcome_at"] = "expired", at
    return out


def expected(conn, first, last, by: str) -> dict[str, dict[str, Any]]:
    """The rows a city report over FIRST..LAST by site or service should hold (p90 exact, for a bound check)."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    targets = {(s, c): m * 60 for s, c, m in conn.execute("SELECT site, code, sla_minutes FROM services")}
    for (site,) in conn.execute("SELECT site FROM sites").fetchall():
        for t in lives(conn, site).values():
            if first <= t["day"] <= last:
                t["target"] = targets[(site, t["service"])]
                t["until"] = datetime(t["day"].year, t["day"].month, t["day"].day, tzinfo=TZ).timestamp() + 86400
                members[site if by == "site" else t["service"]].append(t)
    scores: dict[str, list[int]] = defaultdict(list)
    for site, service, score in conn.execute("SELECT site, service, score FROM ratings WHERE day BETWEEN %s AND %s",
                                             [first, last]):
        scores[site if by == "site" else service].append(score)
    out = {}
    for key, ts in members.items():
        waits = [t["called"] - t["issued"] for t in ts if t["called"] is not None]
        spent = [t["ended"] - t["started"] for t in ts if t["ended"] is not None and t["started"] is not None]
        base = over = 0
        for t in ts:
            held = (t["called"] - t["issued"] if t["called"] is not None else t["until"] - t["issued"]
                    if t["outcome"] == "waiting" else t["outcome_at"] - t["issued"] if t["outcome"] == "expired"
                    else None)
            if held is not None:
                base, over = base + 1, over + (held > t["target"])
        s = scores.get(key, [])
        out[key] = {
            "issued": len(ts), "served": sum(t["outcome"] == "served" for t in ts),
            "no_show": sum(t["outcome"] == "no_show" for t in ts),
            "cancelled": sum(t["outcome"] == "cancelled" for t in ts),
            "expired": sum(t["outcome"] == "expired" for t in ts),
            "wait_mean_s": round(sum(waits) / len(waits), 1) if waits else None,
            "wait_p90_exact": nearest_rank(waits, 0.9),
            "wait_max_s": round(max(waits), 1) if waits else None,
            "service_mean_s": round(sum(spent) / len(spent), 1) if spent else None,
            "over_sla_pct": round(100 * over / base, 1) if base else None,
            "ratings": len(s), "satisfied_pct": round(100 * sum(x >= 4 for x in s) / len(s), 1) if s else None,
        }
    return out


ROW_FIELDS = ("issued", "served", "no_show", "cancelled", "expired", "wait_mean_s", "wait_p90_s", "wait_max_s",
              "service_mean_s", "over_sla_pct", "ratings", "satisfied_pct")


def centre_report(data_dir, first, last, copy_to) -> dict[str, Any]:
    """The centre's own GET /api/v1/reports by service over FIRST..LAST (its app over a copy of DATA_DIR)."""
    import shutil

    from app_support import bearer, role_tokens

    from kiosk.app import create_app

    shutil.copytree(data_dir, copy_to)
    centre = create_app({"data_dir": str(copy_to)})
    try:
        token = role_tokens(centre.extensions["kiosk"])["manager"]
        r = centre.test_client().get(f"/api/v1/reports?from={first}&to={last}&by=service", headers=bearer(token))
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()
    finally:
        centre.extensions["kiosk"].close()


def assert_city_kpis_equal_centre(dsn: str, data_dir, site: str, first, last, copy_to) -> dict[str, Any]:
    """The city's rollups brought up to date, then SITE's city report by service (and its total) holds the
    same ROW figures as the centre's own report of the period; returns the centre's report."""
    import time

    import psycopg

    from kiosk.city import rollups
    from kiosk.city.dashboard import queries

    with psycopg.connect(dsn) as conn:
        rollups.build(conn, now=time.time())
        city = queries.report(conn, queries.CityQuery(first, last, "service", "json", site))
    own = centre_report(data_dir, first, last, copy_to)
    mine = {r["key"]: r for r in city["rows"]}
    assert sorted(mine) == sorted(r["key"] for r in own["rows"]), site
    for row in [*own["rows"], own["total"]]:
        got = mine[row["key"]] if row["key"] is not None else city["total"]
        assert {k: got[k] for k in ROW_FIELDS} == {k: row[k] for k in ROW_FIELDS}, (site, row["key"])
    return own
