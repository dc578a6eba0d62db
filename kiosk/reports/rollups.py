"""Daily rollups: a past day is replayed once into cells (kiosk/reports/cells.py) kept in `report_rollups`;
today is replayed live at each report.

A day is built at the first report that needs it, or by the hourly background task (`build_missing`), and
rebuilt until it is *final*: built after the day's ratings window (kiosk.queue.ratings.RATING_WINDOW_S)
closed, since a citizen may rate yesterday's visit this morning. The targets (``sla_minutes``) are those
of the catalogue when the day is built.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.queue.clock import Clock, day_bounds, local_day
from kiosk.queue.ratings import RATING_WINDOW_S
from kiosk.reports.cells import CELL_COLUMNS, DIMENSIONS, Cell
from kiosk.reports.replay import TicketFact, replay

Cells = dict[tuple[str, str], Cell]  # (dimension, key) -> cell
DEFAULT_TARGET_S = 1800  # as day_statistics, for a service no longer in the catalogue


def roll_up(facts: Iterable[TicketFact], targets: dict[str, float], until: float, clock: Clock,
            dimensions: Collection[str] = DIMENSIONS) -> Cells:
    """The cells of one day's ticket facts (pure), in DIMENSIONS (the city keeps only "service")."""
    cells: Cells = {}

    def cell(dim: str, key: str) -> Cell:
        c = cells.get((dim, key))
        if c is None:
            c = cells[(dim, key)] = Cell()
        return c

    for t in facts:
        target = targets.get(t.service, DEFAULT_TARGET_S)
        for dim, key in (("service", t.service), ("counter", _key(t.counter)), ("officer", _key(t.officer))):
            if dim not in dimensions:
                continue
            c = cell(dim, key)
            c.add_arrival(t, target, until)
            c.add_outcome(t)
        if "hour" not in dimensions:
            continue
        cell("hour", _hour(t.issued_at, clock)).add_arrival(t, target, until)
        cell("hour", _hour(t.outcome_at if t.outcome_at is not None else t.issued_at, clock)).add_outcome(t)
    return cells


def day_cells(conn: sqlite3.Connection, clock: Clock, day: str) -> Cells:
    """Replay the tickets issued on DAY (with their later events and ratings) into cells."""
    _, end = day_bounds(clock, day)
    rows = conn.execute(
        "SELECT e.type, e.at, e.ticket_id, e.counter_number, e.officer_id, e.service_code, "
        "CASE WHEN e.type = 'ticket_finished' THEN json_extract(e.data, '$.service_unknown') END AS service_unknown, "
        "CASE WHEN e.type = 'ticket_noted' THEN json_extract(e.data, '$.dossier_code') END AS dossier_code "
        "FROM tickets t JOIN events e ON e.ticket_id = t.id WHERE t.day = ? ORDER BY e.id", [day])
    ratings = dict(conn.execute(
        "SELECT r.ticket_id, r.score FROM tickets t JOIN ratings r ON r.ticket_id = t.id WHERE t.day = ?",
        [day]).fetchall())
    targets = {r[0]: r[1] * 60 for r in conn.execute("SELECT code, sla_minutes FROM services")}
    return roll_up(replay(rows, ratings), targets, min(end, clock.now()), clock)


def _key(value: int | None) -> str:
    return "" if value is None else str(value)


def _hour(at: float, clock: Clock) -> str:
    return f"{datetime.fromtimestamp(at, clock.tz).hour:02d}"


def calendar_days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _save(conn: sqlite3.Connection, day: str, cells: Cells, built_at: float, final: bool) -> None:
    conn.execute("DELETE FROM report_rollups WHERE dim IN ('service', 'counter', 'officer', 'hour') AND day = ?",
                 [day])
    columns = ("dim", "day", "key", *CELL_COLUMNS)
    conn.executemany(
        f"INSERT INTO report_rollups ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [(dim, day, key, *c.to_db().values()) for (dim, key), c in cells.items()])
    conn.execute("INSERT OR REPLACE INTO report_days (day, built_at, final) VALUES (?, ?, ?)",
                 [day, built_at, int(final)])


def build_days(store: Any, clock: Clock, days: list[str]) -> None:
    """Roll up past DAYS and keep them: replayed outside the write transaction, saved in one short one
    (one commit for many days: each commit is an fsync)."""
    now = clock.now()
    built = [(day, day_cells(store.conn(), clock, day), now >= day_bounds(clock, day)[1] + RATING_WINDOW_S)
             for day in days]

    def save(conn: sqlite3.Connection) -> None:
        for day, cells, final in built:
            _save(conn, day, cells, now, final)

    if built:
        store.write(save)


def missing_days(conn: sqlite3.Connection, clock: Clock, days: list[str]) -> list[str]:
    """Those of DAYS (YYYY-MM-DD, sorted) before today, and not before the first ticket, that have no final
    rollup."""
    today = local_day(clock)
    oldest = conn.execute("SELECT MIN(day) FROM tickets").fetchone()[0]
    past = [d for d in days if d < today and oldest is not None and d >= oldest]
    if not past:
        return []
    final = {r[0] for r in conn.execute("SELECT day FROM report_days WHERE day BETWEEN ? AND ? AND final = 1",
                                        [past[0], past[-1]])}
    return [d for d in past if d not in final]


def ensure_built(store: Any, clock: Clock, days: list[str]) -> int:
    """Build the past days among DAYS that need it; returns how many were built."""
    todo = missing_days(store.conn(), clock, days)
    build_days(store, clock, todo)
    return len(todo)


def build_missing(store: Any, clock: Clock, back_days: int = 400, batch: int = 5, pause_s: float = 0.05,
                  stopping: Callable[[], bool] = lambda: False) -> int:
    """The background task: build the past BACK_DAYS that need it, oldest first, a few days at a time with a
    pause between, so that the server's other work (one event loop under gevent) runs in between."""
    today = date.fromisoformat(local_day(clock))
    todo = missing_days(store.conn(), clock, calendar_days(today - timedelta(days=back_days), today))
    for i in range(0, len(todo), batch):
        if stopping():
            return i
        build_days(store, clock, todo[i:i + batch])
        time.sleep(pause_s)
    return len(todo)


def load(conn: sqlite3.Connection, clock: Clock, dim: str, days: list[str]) -> list[tuple[str, str, Cell]]:
    """(day, key, cell) of one dimension over DAYS: the rollups of past days, today's replayed live."""
    if dim not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dim!r}")
    if not days:
        return []
    out = [(r["day"], r["key"], Cell.from_db(r)) for r in conn.execute(
        "SELECT * FROM report_rollups WHERE dim = ? AND day BETWEEN ? AND ?", [dim, days[0], days[-1]])]
    today = local_day(clock)
    if days[0] <= today <= days[-1]:
        out = [o for o in out if o[0] != today]
        out += [(today, key, c) for (d, key), c in day_cells(conn, clock, today).items() if d == dim]
    return out
