"""Reports over a date range: rows grouped by service, counter, officer, day, hour or month, and the total.

`parse_query` checks the parameters (ReportError, a 400, for anything wrong); `report` answers DESIGN.md's
``{"from", "to", "by", "rows": [ROW], "total": ROW}`` plus, for the page's charts, ``wait_distribution``
(waits per 5/10/15 minutes) and ``ratings_by_score`` (the five SIPAS levels).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.queue.clock import Clock
from kiosk.reports import histogram
from kiosk.reports import labels as vi
from kiosk.reports.cells import Cell
from kiosk.reports.rollups import calendar_days, ensure_built, load

BY = ("service", "counter", "officer", "day", "hour", "month")
FORMATS = ("json", "csv", "xlsx")
MAX_DAYS = 366  # a year (a leap one too); longer spans are the monthly summary's
# the rollup dimension each grouping reads (day and month add up the service cells of each day)
_DIMENSION = {"service": "service", "counter": "counter", "officer": "officer", "hour": "hour",
              "day": "service", "month": "service"}
WAIT_CHART_BOUNDS_S = (300, 600, 900, 1200, 1800, 2700, 3600)


class ReportError(ValueError):
    """A report asked for with wrong parameters (the API answers 400)."""


@dataclass(frozen=True)
class ReportQuery:
    first: date
    last: date
    by: str = "service"
    format: str = "json"


def _date(args: Mapping[str, str], name: str) -> date:
    text = args.get(name)
    if not text:
        raise ReportError(f"'{name}' is required (YYYY-MM-DD)")
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(f"'{name}' must be a date as YYYY-MM-DD, not {text[:20]!r}") from None


def parse_query(args: Mapping[str, str]) -> ReportQuery:
    first, last = _date(args, "from"), _date(args, "to")
    if first > last:
        raise ReportError("'from' is after 'to'")
    if (last - first).days + 1 > MAX_DAYS:
        raise ReportError(f"a report spans at most {MAX_DAYS} days; use the monthly summary for longer")
    by = args.get("by", "service")
    if by not in BY:
        raise ReportError(f"'by' must be one of {', '.join(BY)}")
    fmt = args.get("format", "json")
    if fmt not in FORMATS:
        raise ReportError(f"'format' must be one of {', '.join(FORMATS)}")
    return ReportQuery(first, last, by, fmt)


def _names(conn: sqlite3.Connection, by: str) -> dict[Any, str]:
    if by == "service":
        return {r[0]: r[1] for r in conn.execute("SELECT code, name FROM services")}
    if by == "counter":
        return {r[0]: r[1] for r in conn.execute("SELECT number, name FROM counters")}
    if by == "officer":  # the officer's own name: this report stays in the centre
        return {r[0]: r[1] or r[2] for r in conn.execute("SELECT id, full_name, username FROM users")}
    return {}


def _group_key(by: str, day: str, key: str) -> Any:
    if by == "day":
        return day
    if by == "month":
        return day[:7]
    if by in ("counter", "officer", "hour"):
        return int(key) if key else None
    return key


def _label(by: str, key: Any, names: dict[Any, str]) -> str:
    if by == "service":
        return names.get(key, key)
    if by == "counter":
        return vi.NOT_CALLED_VI if key is None else names.get(key, f"Quầy {key}")
    if by == "officer":
        return vi.NO_OFFICER_VI if key is None else names.get(key, f"Cán bộ #{key}")
    if by == "day":
        return vi.day_label(key)
    if by == "hour":
        return vi.hour_label(key)
    return vi.month_label(key)


def _order(by: str, conn: sqlite3.Connection):
    if by == "service":
        sort = {r[0]: (r[1], r[0]) for r in conn.execute("SELECT code, sort FROM services")}
        return lambda key: sort.get(key, (1 << 30, key))
    if by == "officer":
        return None  # by label
    return lambda key: (key is None, key if key is not None else 0)


def grouped(store: Any, clock: Clock, q: ReportQuery) -> tuple[list[tuple[Any, Cell]], Cell]:
    """The cells of each group, in report order, and the total cell."""
    days = calendar_days(q.first, q.last)
    ensure_built(store, clock, days)
    conn = store.conn()
    groups: dict[Any, Cell] = {}
    total = Cell()
    for day, key, cell in load(conn, clock, _DIMENSION[q.by], days):
        group = _group_key(q.by, day, key)
        groups.setdefault(group, Cell()).merge(cell)
        total.merge(cell)
    order = _order(q.by, conn)
    if order is None:
        names = _names(conn, q.by)
        keys = sorted(groups, key=lambda k: (k is None, _label(q.by, k, names)))
    else:
        keys = sorted(groups, key=order)
    return [(k, groups[k]) for k in keys], total


def _centre_row(cell: Cell, key: Any, label: str) -> dict[str, Any]:
    """The ROW plus what only the centre knows: ``dossiers``, the tickets with a dossier code."""
    return {**cell.row(key, label), "dossiers": cell.dossiers}


def report(store: Any, clock: Clock, q: ReportQuery) -> dict[str, Any]:
    rows, total = grouped(store, clock, q)
    names = _names(store.conn(), q.by)
    return {
        "from": q.first.isoformat(),
        "to": q.last.isoformat(),
        "by": q.by,
        "rows": [_centre_row(cell, key, _label(q.by, key, names)) for key, cell in rows],
        "total": _centre_row(total, None, vi.TOTAL_VI),
        "wait_distribution": histogram.coarse(total.wait_hist, WAIT_CHART_BOUNDS_S),
        "ratings_by_score": {str(s): getattr(total, f"r{s}") for s in range(1, 6)},
    }
