"""The city's daily rollups per (site, day, service), in the ``daily`` table, with the centre's KPI rules.

A site's day is rebuilt the way the centre builds its own (kiosk/reports/rollups.py): the tickets issued on
that local day, with all their later events, are replayed by kiosk.reports.replay into ticket facts and
rolled up by kiosk.reports.rollups.roll_up (the service dimension only). One copy of the rules, so a site's
city KPIs equal that centre's GET /api/v1/reports.

Incremental: ``daily_marks`` keeps, per site, the newest (epoch, id) of the events and ratings already built;
a build replays only the days of the tickets touched by newer events (a late event — an offline centre
catching up, a call of yesterday's ticket — rebuilds the ticket's issue day), the days of newer ratings, and
the site's today at most every ``refresh_today_s`` (its waiting tickets' over-target share grows with time).

Epochs: a restored centre ships a new epoch. A day is replayed from the newest epoch that has events of it
(kiosk/city/epochs.py, the one rule; ticket ids are only unique within an epoch), so a day re-shipped under
a new epoch is not counted twice, and a day only the old epoch holds still counts.

Ratings carry no ticket in the contract's ``ratings`` table: a rating counts in its own day and service
(its service is the ticket's, as the centre records it). A rating made after midnight for yesterday's
visit therefore counts a day later than in the centre; the two agree over any period that holds both days.
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.queue.clock import centre_timezone
from kiosk.reports.cells import Cell
from kiosk.reports.histogram import BUCKETS
from kiosk.reports.replay import replay
from kiosk.reports.rollups import roll_up

# Cell field -> daily column (the contract's names where it has one)
CELL_TO_DAILY = {
    "issued": "issued", "served": "served", "no_show": "no_show", "cancelled": "cancelled", "expired": "expired",
    "waits": "wait_n", "wait_sum": "wait_sum", "wait_max": "wait_max", "services": "service_n",
    "service_sum": "service_sum", "target_base": "target_base", "over_target": "over_sla",
    "served_in_target": "served_in_target", "r1": "r1", "r2": "r2", "r3": "r3", "r4": "r4", "r5": "r5",
    "wait_hist": "wait_hist",
}
DAILY_COLUMNS = (*CELL_TO_DAILY.values(), "ratings", "satisfied", "waiting")
_LOCK_BASE = 7_311_000  # advisory lock per site (hashtext) so two builders never interleave on one site


@dataclass
class SiteDay:
    """One site's day rolled up: the service cells and how many still wait per service."""
    cells: dict[str, Cell]
    waiting: dict[str, int]


class _SiteClock:
    """The roll_up clock (only its tz is read: the service dimension needs no hour)."""

    def __init__(self, tz_name: str, now: float) -> None:
        self.tz, self._now = centre_timezone(tz_name), now

    def now(self) -> float:
        return self._now


def day_bounds(tz_name: str, day: date) -> tuple[float, float]:
    start = datetime(day.year, day.month, day.day, tzinfo=centre_timezone(tz_name))
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def local_today(tz_name: str, now: float) -> date:
    return datetime.fromtimestamp(now, centre_timezone(tz_name)).date()


def hist_to_blob(counts: dict[int, int]) -> bytes:
    """A wait histogram as little-endian uint16 (bucket, count) pairs (a count over 65,535 takes several)."""
    pairs = []
    for i, n in sorted(counts.items()):
        while n > 0:
            pairs += (i, min(n, 0xFFFF))
            n -= 0xFFFF
    return struct.pack(f"<{len(pairs)}H", *pairs)


def hist_from_blobs(blob: bytes | None) -> dict[int, int]:
    """The sum of the histograms in BLOB, one or many concatenated (string_agg of a group's rows)."""
    import numpy as np

    if not blob:
        return {}
    pairs = np.frombuffer(bytes(blob), dtype="<u2").reshape(-1, 2).astype(np.int64)
    counts = np.bincount(pairs[:, 0], weights=pairs[:, 1], minlength=BUCKETS)
    return {int(i): int(counts[i]) for i in np.flatnonzero(counts)}


def cell_from_daily(row: Any) -> Cell:
    values = {f: row[c] for f, c in CELL_TO_DAILY.items()}
    values["wait_hist"] = hist_from_blobs(values["wait_hist"])
    return Cell(**values)


def replay_day(conn: Any, site: str, day: date, tz_name: str, now: float) -> SiteDay:
    """Replay the tickets SITE issued on DAY (newest epoch of that day) into service cells (pure read)."""
    from psycopg.rows import dict_row

    epoch = conn.execute("SELECT max(epoch) FROM events WHERE site = %s AND day = %s",  # kiosk/city/epochs.py
                         [site, day]).fetchone()[0]
    if epoch is None:
        return SiteDay({}, {})
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT type, at, ticket_id, counter AS counter_number, officer AS officer_id, service AS service_code "
            "FROM events WHERE site = %s AND epoch = %s AND ticket_id IN (SELECT ticket_id FROM events "
            "WHERE site = %s AND epoch = %s AND day = %s AND type = 'ticket_issued') ORDER BY id",
            [site, epoch, site, epoch, day]).fetchall()
    facts = replay(rows)
    targets = {code: minutes * 60 for code, minutes in conn.execute(
        "SELECT code, sla_minutes FROM services WHERE site = %s AND sla_minutes IS NOT NULL", [site])}
    _, end = day_bounds(tz_name, day)
    clock = _SiteClock(tz_name, now)
    cells = {key: c for (_, key), c in roll_up(facts, targets, min(end, now), clock, ("service",)).items()}
    for service, score in conn.execute("SELECT service, score FROM ratings WHERE site = %s AND epoch = %s AND "
                                       "day = %s", [site, epoch, day]):
        c = cells.setdefault(service or "", Cell())
        setattr(c, f"r{score}", getattr(c, f"r{score}") + 1)
    waiting: dict[str, int] = {}
    for t in facts:
        if t.outcome == "waiting":
            waiting[t.service] = waiting.get(t.service, 0) + 1
    return SiteDay(cells, waiting)


def _save(conn: Any, site: str, day: date, built: SiteDay) -> None:
    conn.execute("DELETE FROM daily WHERE site = %s AND day = %s", [site, day])
    rows = []
    for service, c in built.cells.items():
        values = [getattr(c, f) for f in CELL_TO_DAILY]
        values[list(CELL_TO_DAILY).index("wait_hist")] = hist_to_blob(c.wait_hist)
        rows.append([site, day, service, *values, c.ratings, c.satisfied, built.waiting.get(service, 0)])
    if rows:
        columns = ("site", "day", "service", *DAILY_COLUMNS)
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO daily ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                            rows)


def _touched_days(conn: Any, site: str, mark: dict[str, Any], top: tuple, rtop: tuple) -> set[date]:
    """The issue days of the tickets with events in (mark, top], and the days of ratings in (mark, rtop]."""
    days: set[date] = set()
    after = (mark["event_epoch"], mark["event_id"])
    if top > after:
        if after == (0, 0):  # first build of the site: every day it issued on
            sql = ("SELECT DISTINCT day FROM events WHERE site = %s AND type = 'ticket_issued' "
                   "AND (epoch, id) <= (%s, %s)")
            params: list[Any] = [site, *top]
        else:
            sql = ("SELECT DISTINCT i.day FROM events n JOIN events i ON i.site = n.site AND i.epoch = n.epoch "
                   "AND i.ticket_id = n.ticket_id AND i.type = 'ticket_issued' WHERE n.site = %s "
                   "AND (n.epoch, n.id) > (%s, %s) AND (n.epoch, n.id) <= (%s, %s)")
            params = [site, *after, *top]
        days.update(r[0] for r in conn.execute(sql, params))
    rafter = (mark["rating_epoch"], mark["rating_id"])
    if rtop > rafter:
        days.update(r[0] for r in conn.execute(
            "SELECT DISTINCT day FROM ratings WHERE site = %s AND (epoch, id) > (%s, %s) AND (epoch, id) <= (%s, %s)",
            [site, *rafter, *rtop]))
    return days


def build_site(conn: Any, site: str, tz_name: str, now: float, refresh_today_s: float = 300.0) -> int:
    """Rebuild SITE's touched days in one transaction (under the site's advisory lock); days rebuilt."""
    from psycopg.rows import dict_row

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_BASE, site])
        with conn.cursor(row_factory=dict_row) as cur:
            mark = cur.execute("SELECT * FROM daily_marks WHERE site = %s", [site]).fetchone() or {
                "event_epoch": 0, "event_id": 0, "rating_epoch": 0, "rating_id": 0, "today": None,
                "today_built_at": None}
        top = conn.execute("SELECT epoch, id FROM events WHERE site = %s ORDER BY epoch DESC, id DESC LIMIT 1",
                           [site]).fetchone() or (0, 0)
        rtop = conn.execute("SELECT epoch, id FROM ratings WHERE site = %s ORDER BY epoch DESC, id DESC LIMIT 1",
                            [site]).fetchone() or (0, 0)
        top, rtop = tuple(top), tuple(rtop)
        days = _touched_days(conn, site, mark, top, rtop)
        today = local_today(tz_name, now)
        built_at = mark["today_built_at"].timestamp() if mark["today_built_at"] else None
        if mark["today"] == today and (built_at is None or now - built_at >= refresh_today_s):
            days.add(today)
        if mark["today"] is not None and mark["today"] < today:  # the day ended since: build it once more, final
            days.add(mark["today"])
        for day in sorted(days):
            _save(conn, site, day, replay_day(conn, site, day, tz_name, now))
        has_today = today in days or mark["today"] == today
        conn.execute(
            "INSERT INTO daily_marks (site, event_epoch, event_id, rating_epoch, rating_id, today, today_built_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, to_timestamp(%s)) ON CONFLICT (site) DO UPDATE SET "
            "event_epoch = EXCLUDED.event_epoch, event_id = EXCLUDED.event_id, rating_epoch = EXCLUDED.rating_epoch, "
            "rating_id = EXCLUDED.rating_id, today = EXCLUDED.today, today_built_at = EXCLUDED.today_built_at",
            [site, *max(top, (mark["event_epoch"], mark["event_id"])),
             *max(rtop, (mark["rating_epoch"], mark["rating_id"])),
             today if has_today else None, now if today in days else built_at])
    return len(days)


def build(conn: Any, now: float | None = None, refresh_today_s: float = 300.0) -> int:
    """Bring every site's rollups up to date (site by site, one transaction each); days rebuilt in all."""
    now = time.time() if now is None else now
    sites = conn.execute("SELECT site, timezone FROM sites ORDER BY site").fetchall()
    conn.commit()
    return sum(build_site(conn, site, tz, now, refresh_today_s) for site, tz in sites)
