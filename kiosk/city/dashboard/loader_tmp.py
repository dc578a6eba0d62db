"""TEMPORARY: copy a centre's events, ratings and catalogue into the city database in the contract's row shape,
for the dashboard's tests and demo until `kiosk ship` (kiosk/city/ship.py, the `city` work) lands; then this
file goes and they ship with it.

Only what may leave a centre is copied: event lifecycle columns (no data column: ``data`` stays ``{}``), an
officer pseudonym (HMAC of the officer id under a key of the caller's), rating scores, services, counters.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.queue.clock import centre_timezone


def _officer(key: bytes, officer_id: int | None) -> str | None:
    if officer_id is None:
        return None
    return hmac.new(key, str(officer_id).encode(), hashlib.sha256).hexdigest()[:16]


def _hash(row: list[Any]) -> str:
    return hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()


def load_centre(conn: Any, db_path: Path, site: str, name: str, epoch: int = 1, key: bytes = b"demo",
                tz_name: str = "Asia/Ho_Chi_Minh", shipped_at: float | None = None) -> int:
    """Copy the centre's rows not yet in the city (idempotent by (site, epoch, id)); events copied."""
    tz = centre_timezone(tz_name)
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        with conn.transaction():
            conn.execute("INSERT INTO sites (site, name, epoch, timezone) VALUES (%s, %s, %s, %s) "
                         "ON CONFLICT (site) DO UPDATE SET name = EXCLUDED.name", [site, name, epoch, tz_name])
            conn.execute("SELECT 1 FROM sites WHERE site = %s FOR UPDATE", [site])
            for code, sname, prefix, sla in src.execute("SELECT code, name, prefix, sla_minutes FROM services"):
                conn.execute("INSERT INTO services (site, code, name, prefix, sla_minutes) VALUES (%s,%s,%s,%s,%s) "
                             "ON CONFLICT (site, code) DO UPDATE SET name = EXCLUDED.name, "
                             "sla_minutes = EXCLUDED.sla_minutes", [site, code, sname, prefix, sla])
            for number, cname in src.execute("SELECT number, name FROM counters"):
                conn.execute("INSERT INTO counters (site, number, name) VALUES (%s, %s, %s) ON CONFLICT (site, number) "
                             "DO UPDATE SET name = EXCLUDED.name", [site, number, cname])
            high = conn.execute("SELECT coalesce(max(id), 0) FROM events WHERE site = %s AND epoch = %s",
                                [site, epoch]).fetchone()[0]
            rows = []
            for eid, at, kind, tid, counter, officer, service, number, priority in src.execute(
                    "SELECT e.id, e.at, e.type, e.ticket_id, e.counter_number, e.officer_id, e.service_code, "
                    "t.number, t.priority FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id "
                    "WHERE e.id > ? ORDER BY e.id", [high]):
                row = [site, epoch, eid, at, kind, tid, number, service, counter, _officer(key, officer), priority, {}]
                day = datetime.fromtimestamp(at, tz).date()
                rows.append([site, epoch, eid, at, day, kind, tid, number, service, counter, row[9], priority, "{}",
                             _hash(row)])
            with conn.cursor() as cur:
                with cur.copy("COPY events (site, epoch, id, at, day, type, ticket_id, number, service, counter, "
                              "officer, priority, data, hash) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            rhigh = conn.execute("SELECT coalesce(max(id), 0) FROM ratings WHERE site = %s AND epoch = %s",
                                 [site, epoch]).fetchone()[0]
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO ratings (site, epoch, id, at, day, service, counter, score) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                    [[site, epoch, rid, at, datetime.fromtimestamp(at, tz).date(), service, counter, score]
                     for rid, at, service, counter, score in src.execute(
                        "SELECT id, at, service_code, counter_number, score FROM ratings WHERE id > ? ORDER BY id",
                        [rhigh])])
            last = src.execute("SELECT max(id), max(at) FROM events").fetchone()
            conn.execute("UPDATE sites SET high_water = %s, last_event_at = %s, "
                         "last_shipment_at = to_timestamp(%s) WHERE site = %s",
                         [last[0] or 0, last[1], time.time() if shipped_at is None else shipped_at, site])
    finally:
        src.close()
    return len(rows)
