"""The dashboard's reads over the city database: the centres' live table, a centre's services, city reports.

All figures come from the ``daily`` rollups (kiosk/city/rollups.py), read into the centre's Cell and merged
by its code, so the ROW is computed by the centre's own kiosk/reports/cells.py (the p90 wait from the merged
wait histograms).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kiosk.city.rollups import CELL_TO_DAILY, cell_from_daily, local_today
from kiosk.queue.clock import centre_timezone
from kiosk.reports import histogram
from kiosk.reports import labels as vi
from kiosk.reports.cells import Cell
from kiosk.reports.query import FORMATS, ReportError, parse_query

STALE_AFTER_S = 300.0  # no shipment nor heartbeat for 5 minutes: the centre is shown as out of touch
BY = ("site", "service")
BY_VI = {"site": "Trung tâm", "service": "Lĩnh vực"}
BY_SLUG = {"site": "trung-tam", "service": "linh-vuc"}

# Groups are summed in PostgreSQL. Float sums are ordered aggregates in the centre's order (day, then service
# code byte-wise, as its SQLite index gives them): added in the same order from the same per-day values, a
# site's figures round exactly as the centre's do. Histograms are concatenated and added up by numpy.
_ORDER = 'd.day, d.site, d.service COLLATE "C"'
_AGGREGATES = ", ".join(
    f"max(d.{c}) AS {c}" if c == "wait_max" else
    f"string_agg(d.{c}, ''::bytea) AS {c}" if c == "wait_hist" else
    f"sum(d.{c} ORDER BY {_ORDER}) AS {c}" if c in ("wait_sum", "service_sum") else
    f"sum(d.{c})::bigint AS {c}" for c in CELL_TO_DAILY.values()) + ", sum(d.waiting)::bigint AS waiting"


@dataclass(frozen=True)
class CityQuery:
    first: date
    last: date
    by: str = "site"
    format: str = "json"
    site: str | None = None


def parse_city_query(args: Mapping[str, str]) -> CityQuery:
    """The centre's date and format checks (kiosk.reports.query), then the city's groupings."""
    by = args.get("by", "site")
    if by not in BY:
        raise ReportError(f"'by' must be one of {', '.join(BY)}")
    q = parse_query({k: v for k, v in args.items() if k in ("from", "to", "format")})
    site = args.get("site") or None
    if site is not None and len(site) > 64:
        raise ReportError("'site' is too long")
    return CityQuery(q.first, q.last, by, q.format, site)


def _aggregate(conn: Any, key: str, join: str, where: str, params: list[Any]
               ) -> tuple[dict[str, tuple[Cell, int]], tuple[Cell, int]]:
    """(cell, waiting) per KEY and of all the daily rows matched.

    The total is a query of its own: its float sums are ordered over all rows (as the centre's total), and
    its histogram is the groups' added up (integers) rather than every row's blob sent a second time."""
    groups: dict[str, tuple[Cell, int]] = {}
    for r in _rows(conn, f"SELECT {key} AS key, {_AGGREGATES} FROM daily d {join} WHERE {where} GROUP BY {key}",
                   params):
        groups[r["key"]] = (cell_from_daily(r), int(r["waiting"]))
    if not groups:
        return groups, (Cell(), 0)
    scalars = _AGGREGATES.replace("string_agg(d.wait_hist, ''::bytea)", "NULL::bytea")
    r = _rows(conn, f"SELECT {scalars} FROM daily d {join} WHERE {where}", params)[0]
    total = cell_from_daily(r)
    for cell, _ in groups.values():
        histogram.merge(total.wait_hist, cell.wait_hist)
    return groups, (total, int(r["waiting"]))


def _rows(conn: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat(timespec="seconds") if ts is not None else None


def _live(cell: Cell, waiting: int) -> dict[str, Any]:
    figures = cell.row(None, "")
    return {"issued_today": cell.issued, "waiting": waiting, "served_today": cell.served,
            "wait_mean_s": figures["wait_mean_s"], "over_sla_pct": figures["over_sla_pct"],
            "satisfied_pct": figures["satisfied_pct"]}


def centres(conn: Any, now: float, stale_after_s: float = STALE_AFTER_S) -> list[dict[str, Any]]:
    """DESIGN.md's centres table, plus ``stale`` and the times it is read from.

    ``lag_s`` is the city clock's age of the newest sign of life (a shipped batch or a heartbeat), not the
    age of the newest event: a quiet centre that ships its heartbeat is fresh; an offline one is stale."""
    sites = _rows(conn, "SELECT site, name, timezone, last_shipment_at, heartbeat_at, last_event_at FROM sites "
                        "ORDER BY site", [])
    todays = {s["site"]: local_today(s["timezone"], now) for s in sites}
    figures: dict[str, tuple[Cell, int]] = {}
    if sites:
        groups, _ = _aggregate(conn, "d.site", "JOIN unnest(%s::text[], %s::date[]) AS t(site, day) "
                               "ON d.site = t.site AND d.day = t.day", "true", [list(todays), list(todays.values())])
        figures = groups
    out = []
    for s in sites:
        seen = [t for t in (s["last_shipment_at"], s["heartbeat_at"]) if t is not None]
        lag = round(now - max(seen).timestamp(), 1) if seen else None
        cell, waiting = figures.get(s["site"], (Cell(), 0))
        tz = centre_timezone(s["timezone"])
        out.append({
            "site": s["site"], "name": s["name"],
            "last_event_at": (datetime.fromtimestamp(s["last_event_at"], tz).isoformat(timespec="seconds")
                              if s["last_event_at"] is not None else None),
            "lag_s": lag, "stale": lag is None or lag > stale_after_s,
            "last_shipment_at": _iso(s["last_shipment_at"]), "heartbeat_at": _iso(s["heartbeat_at"]),
            "day": todays[s["site"]].isoformat(),
            **_live(cell, waiting),
        })
    return out


def site_services(conn: Any, site: str, now: float) -> dict[str, Any] | None:
    """One centre opened: its services today (None: no such centre)."""
    found = _rows(conn, "SELECT site, name, timezone FROM sites WHERE site = %s", [site])
    if not found:
        return None
    s = found[0]
    today = local_today(s["timezone"], now)
    by_code, _ = _aggregate(conn, "d.service", "", "d.site = %s AND d.day = %s", [site, today])
    catalogue = _rows(conn, "SELECT code, name, sla_minutes FROM services WHERE site = %s ORDER BY code", [site])
    codes = [c["code"] for c in catalogue] + sorted(set(by_code) - {c["code"] for c in catalogue})
    names = {c["code"]: c for c in catalogue}
    services = []
    for code in codes:
        cell, waiting = by_code.get(code, (Cell(), 0))
        meta = names.get(code, {})
        services.append({"code": code, "name": meta.get("name", code), "sla_minutes": meta.get("sla_minutes"),
                         **_live(cell, waiting)})
    return {"site": site, "name": s["name"], "day": today.isoformat(), "services": services}


def report(conn: Any, q: CityQuery) -> dict[str, Any]:
    """``{"from", "to", "by", "rows": [ROW], "total": ROW}`` with the centre's ROW, per site or service."""
    where, params = "d.day BETWEEN %s AND %s", [q.first, q.last]
    if q.site is not None:
        where += " AND d.site = %s"
        params.append(q.site)
    groups, total = _aggregate(conn, "d.site" if q.by == "site" else "d.service", "", where, params)
    if q.by == "site":
        names = dict(conn.execute("SELECT site, name FROM sites").fetchall())
    else:  # a service code names the same procedure in every centre; its name from the first centre having it
        names = dict(conn.execute("SELECT DISTINCT ON (code) code, name FROM services ORDER BY code, site").fetchall())
    rows = [groups[k][0].row(k, names.get(k, k)) for k in sorted(groups)]
    return {"from": q.first.isoformat(), "to": q.last.isoformat(), "by": q.by, "site": q.site, "rows": rows,
            "total": total[0].row(None, vi.TOTAL_VI)}


def report_columns(by: str) -> list[tuple[str, str]]:
    from kiosk.reports import export

    return [(k, BY_VI[by] if k == "label" else t) for k, t in export.report_columns("service")]


def report_filename(q: CityQuery) -> str:
    from kiosk.reports import export

    centre = export.report_filename("service", q.first, q.last, q.format)  # bao-cao-PERIOD.EXT
    stem, _, ext = centre.rpartition(".")
    site = f"-{q.site}" if q.site else ""
    return f"{stem.replace('bao-cao-', 'bao-cao-thanh-pho-')}{site}-theo-{BY_SLUG[q.by]}.{ext}"


__all__ = ["BY", "FORMATS", "STALE_AFTER_S", "CityQuery", "ReportError", "centres", "parse_city_query", "report",
           "report_columns", "report_filename", "site_services"]
