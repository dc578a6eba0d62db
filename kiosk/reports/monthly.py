"""The monthly summary a centre reports upward: per month of a year, tickets issued and served, served
within the target time, over the target, no-shows and the satisfied share (from the same rollups)."""
from __future__ import annotations

from datetime import date
from typing import Any

from kiosk.queue.clock import Clock, local_day
from kiosk.reports import labels as vi
from kiosk.reports.cells import Cell
from kiosk.reports.query import ReportError, ReportQuery, grouped

FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_year(text: str | None, clock: Clock) -> int:
    if text is None or text == "":
        return date.fromisoformat(local_day(clock)).year
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise ReportError(f"'year' must be a year from {FIRST_YEAR} to {LAST_YEAR}", "report_year",
                          {"first": FIRST_YEAR, "last": LAST_YEAR})
    return int(text)


def _row(key: str | None, label: str, c: Cell) -> dict[str, Any]:
    row = c.row(key, label)
    return {"key": key, "label": label, "issued": c.issued, "served": c.served,
            "served_in_target": c.served_in_target, "over_target": c.over_target, "no_show": c.no_show,
            "expired": c.expired, "ratings": c.ratings, "satisfied_pct": row["satisfied_pct"]}


def monthly(store: Any, clock: Clock, year: int) -> dict[str, Any]:
    """``{"year", "rows": [one per month from January to this month (or December)], "total"}``."""
    today = date.fromisoformat(local_day(clock))
    if year > today.year:
        last_month = 0
    else:
        last_month = 12 if year < today.year else today.month
    cells = dict(grouped(store, clock, ReportQuery(date(year, 1, 1), date(year, 12, 31), "month"))[0])
    rows, total = [], Cell()
    for m in range(1, last_month + 1):
        key = f"{year}-{m:02d}"
        cell = cells.get(key, Cell())
        total.merge(cell)
        rows.append(_row(key, vi.month_label(key), cell))
    return {"year": year, "rows": rows, "total": _row(None, vi.TOTAL_VI, total)}
