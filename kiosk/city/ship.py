"""Shipping one centre's events to the city's PostgreSQL: one pass of batches, resumable, restore-aware.

A pass (`Shipper.ship_once`):
1. Event batches, each ONE PostgreSQL transaction: lock the site's row (``SELECT … FOR UPDATE``: two
   shippers of one site never overlap; the second waits, then starts from where the first ended), check
   that the centre still holds, at ``high_water``, the very event the city has (its hash equals
   ``last_hash``; else the centre was restored from a backup, or another centre uses this site code:
   `RestoreDetected`, nothing written), read the next ``batch_size`` events after ``high_water`` from the
   centre's SQLite, insert them (``ON CONFLICT DO NOTHING`` by (site, epoch, id); a conflicting row with
   another hash is refused as well), and move ``high_water``, ``last_hash``, ``last_shipment_at`` and
   ``last_event_at`` in the same transaction. A shipper killed, or a PostgreSQL stopped, in the middle of
   a batch leaves nothing of it: the next pass starts from the committed ``high_water``.
2. One last transaction (the same lock and check): rating scores after the city's newest rating of the
   site and epoch, the catalogue (services, counters) as upserts, and the heartbeat (the city's clock and
   the centre's).

The centre's SQLite is read through a read-only connection (``mode=ro``, ``query_only``), one short
statement per read: a WAL reader never blocks the service's writes, and no read keeps a snapshot open
while PostgreSQL works. What leaves is decided in kiosk/city/extract.py.

Epochs: `Shipper.new_epoch` (``kiosk ship --new-epoch``, after the operator confirms a restore) moves the
site to epoch + 1 with ``high_water`` 0: the restored centre's events are shipped again under the new
epoch, the old epoch's rows stay as they are. How the city counts them once: docs/city.md (Epochs).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from kiosk.city.extract import COLUMNS, Extractor, row_hash

log = logging.getLogger(__name__)


class RestoreDetected(RuntimeError):
    """The centre's history no longer continues the city's copy: refused, nothing written."""


class ShipError(RuntimeError):
    """Shipping cannot go on for a reason the operator must fix (the message says what)."""


class CentreReader:
    """The centre's SQLite, read-only: events, ratings and the catalogue, one short statement per read."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(db_path)
        if not self.path.exists():
            raise ShipError(f"no centre database at {self.path} (is --data-dir the centre's data directory?)")
        self._conn: sqlite3.Connection | None = None

    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(f"file:{quote(str(self.path.resolve()))}?mode=ro", uri=True,
                                   isolation_level=None, check_same_thread=False, timeout=5)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only = ON")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    _EVENT = "SELECT id, at, type, ticket_id, counter_number, officer_id, service_code, data FROM events"

    def max_event_id(self) -> int:
        return self.conn().execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]

    def event(self, event_id: int) -> sqlite3.Row | None:
        return self.conn().execute(f"{self._EVENT} WHERE id = ?", [event_id]).fetchone()

    def events_after(self, after: int, limit: int) -> list[sqlite3.Row]:
        return self.conn().execute(f"{self._EVENT} WHERE id > ? ORDER BY id LIMIT ?", [after, limit]).fetchall()

    def ratings_after(self, after: int, limit: int) -> list[sqlite3.Row]:
        return self.conn().execute(
            "SELECT id, at, score, service_code, counter_number FROM ratings WHERE id > ? ORDER BY id LIMIT ?",
            [after, limit]).fetchall()

    def services(self) -> list[sqlite3.Row]:
        return self.conn().execute("SELECT code, name, prefix, sla_minutes FROM services ORDER BY code").fetchall()

    def counters(self) -> list[sqlite3.Row]:
        return self.conn().execute("SELECT number, name FROM counters ORDER BY number").fetchall()


@dataclass
class PassResult:
    events: int = 0
    batches: int = 0
    ratings: int = 0
    epoch: int = 1
    high_water: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        rate = f", {self.events / self.seconds:,.0f} events/s" if self.seconds > 0 and self.events else ""
        return (f"shipped {self.events:,} events in {self.batches} batches and {self.ratings:,} ratings "
                f"(epoch {self.epoch}, high water {self.high_water:,}) in {self.seconds:.2f} s{rate}")


@dataclass
class SiteState:
    epoch: int
    high_water: int
    last_hash: str | None


_COPY = f"COPY ship_events ({', '.join(COLUMNS)}) FROM STDIN"


class Shipper:
    """Ships one centre (READER, rows made by EXTRACTOR) as site SITE to a city database connection."""

    def __init__(self, reader: CentreReader, extractor: Extractor, site_name: str, timezone: str,
                 batch_size: int = 5000, clock: Callable[[], float] = time.time,
                 offload: Callable[..., Any] | None = None) -> None:
        """``offload(fn, *args)`` runs the SQLite reads and the extraction (kiosk.runtime.blocking.run_blocking
        under `kiosk serve`: off the event loop, so a catch-up never stalls a hall screen)."""
        self.reader, self.extractor = reader, extractor
        self.site = extractor.site
        self.site_name, self.timezone = site_name, timezone
        self.batch_size, self.clock = batch_size, clock
        self.offload = offload or (lambda fn, *args: fn(*args))

    # -- the site's row, locked ------------------------------------------------------------------
    def _lock(self, conn: psycopg.Connection) -> SiteState:
        conn.execute("INSERT INTO sites (site, name, timezone) VALUES (%s, %s, %s) ON CONFLICT (site) DO NOTHING",
                     [self.site, self.site_name, self.timezone])
        row = conn.execute("SELECT epoch, high_water, last_hash FROM sites WHERE site = %s FOR UPDATE",
                           [self.site]).fetchone()
        return SiteState(*row)

    def _check(self, state: SiteState) -> None:
        """Refuse when the centre's event at high_water is not the one the city holds."""
        if state.high_water == 0:
            return
        newest, mine = self.offload(self._hash_at, state.high_water, state.epoch)
        if state.high_water > newest:
            raise RestoreDetected(
                f"site {self.site!r}: the city already holds this centre's events up to id {state.high_water:,} "
                f"(epoch {state.epoch}), but the centre's newest event is {newest:,}. The centre's database was "
                f"restored from an older backup (or another centre uses site_code {self.site!r}). Nothing was "
                f"shipped. Once the restore is confirmed, run `kiosk ship --new-epoch` to start epoch "
                f"{state.epoch + 1}.")
        if mine != state.last_hash:
            raise RestoreDetected(
                f"site {self.site!r}: the centre's event {state.high_water:,} differs from the one the city "
                f"received (epoch {state.epoch}): the centre's database was restored from a backup and has "
                f"reused event ids since (or another centre uses site_code {self.site!r}, or the centre's key "
                f"file changed). Nothing was shipped. Once the restore is confirmed, run "
                f"`kiosk ship --new-epoch` to start epoch {state.epoch + 1}; the city keeps epoch "
                f"{state.epoch}'s events.")

    def _hash_at(self, event_id: int, epoch: int) -> tuple[int, str | None]:
        """The centre's newest event id, and the shipped hash of its event EVENT_ID (None: no such event)."""
        row = self.reader.event(event_id)
        return self.reader.max_event_id(), (self.extractor.event(row, epoch)["hash"] if row is not None else None)

    def _rows_after(self, after: int, epoch: int) -> list[dict[str, Any]]:
        return [self.extractor.event(r, epoch) for r in self.reader.events_after(after, self.batch_size)]

    def _ratings_after(self, after: int, epoch: int) -> list[dict[str, Any]]:
        return [self.extractor.rating(r, epoch) for r in self.reader.ratings_after(after, self.batch_size)]

    def _catalogue(self) -> tuple[list[tuple], list[tuple]]:
        return ([(self.site, s["code"], s["name"], s["prefix"], s["sla_minutes"]) for s in self.reader.services()],
                [(self.site, c["number"], c["name"]) for c in self.reader.counters()])

    @contextmanager
    def _site(self, conn: psycopg.Connection) -> Iterator[SiteState]:
        with conn.transaction():
            state = self._lock(conn)
            self._check(state)
            yield state

    # -- a pass ------------------------------------------------------------------------------------
    def ship_once(self, conn: psycopg.Connection, stopping: Callable[[], bool] | None = None,
                  max_batches: int | None = None) -> PassResult:
        """Ship what the city lacks (event batches until the centre's newest, then ratings, catalogue,
        heartbeat). Raises RestoreDetected (nothing written), psycopg errors (the batch rolled back)."""
        started = time.monotonic()
        result = PassResult()
        self._prepare(conn)
        while not (stopping and stopping()) and (max_batches is None or result.batches < max_batches):
            shipped, state = self._batch(conn)
            result.epoch, result.high_water = state.epoch, state.high_water
            if shipped == 0:
                break
            result.events += shipped
            result.batches += 1
            if shipped < self.batch_size:
                break
        if not (stopping and stopping()):
            result.ratings = self._tail(conn)
        result.seconds = time.monotonic() - started
        return result

    def _prepare(self, conn: psycopg.Connection) -> None:
        # rows of a batch are COPYed here first (fast), then inserted idempotently into events
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS ship_events (LIKE events INCLUDING DEFAULTS) "
                     "ON COMMIT DELETE ROWS")
        conn.commit()

    def _batch(self, conn: psycopg.Connection) -> tuple[int, SiteState]:
        with self._site(conn) as state:
            shipped = self.offload(self._rows_after, state.high_water, state.epoch)
            if not shipped:
                return 0, state
            with conn.cursor() as cur:
                with cur.copy(_COPY) as copy:
                    for r in shipped:
                        copy.write_row([json.dumps(r["data"], ensure_ascii=False) if k == "data" else r[k]
                                        for k in COLUMNS])
                cur.execute("INSERT INTO events SELECT * FROM ship_events ON CONFLICT DO NOTHING")
                if cur.rowcount != len(shipped):
                    differ = cur.execute(
                        "SELECT count(*) FROM ship_events s JOIN events e USING (site, epoch, id) "
                        "WHERE e.hash <> s.hash").fetchone()[0]
                    if differ:
                        raise RestoreDetected(
                            f"site {self.site!r}: {differ} of the centre's events {shipped[0]['id']:,}.."
                            f"{shipped[-1]['id']:,} differ from those the city already holds under epoch "
                            f"{state.epoch}; nothing was shipped. Run `kiosk ship --new-epoch` once the "
                            f"restore is confirmed.")
            last = shipped[-1]
            conn.execute("UPDATE sites SET high_water = %s, last_hash = %s, last_shipment_at = now(), "
                         "last_event_at = %s WHERE site = %s", [last["id"], last["hash"], last["at"], self.site])
            state.high_water, state.last_hash = last["id"], last["hash"]
            return len(shipped), state

    def _tail(self, conn: psycopg.Connection) -> int:
        """Ratings, the catalogue and the heartbeat, in one transaction under the site's lock."""
        shipped = 0
        with self._site(conn) as state:
            after = conn.execute("SELECT COALESCE(MAX(id), 0) FROM ratings WHERE site = %s AND epoch = %s",
                                 [self.site, state.epoch]).fetchone()[0]
            while True:
                rows = self.offload(self._ratings_after, after, state.epoch)
                if not rows:
                    break
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO ratings (site, epoch, id, at, day, service, counter, score) VALUES "
                        "(%(site)s, %(epoch)s, %(id)s, %(at)s, %(day)s, %(service)s, %(counter)s, %(score)s) "
                        "ON CONFLICT DO NOTHING", rows)
                shipped += len(rows)
                after = rows[-1]["id"]
            services, counters = self.offload(self._catalogue)
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO services (site, code, name, prefix, sla_minutes) VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT (site, code) DO UPDATE SET name = EXCLUDED.name, prefix = EXCLUDED.prefix, "
                    "sla_minutes = EXCLUDED.sla_minutes",
                    services)
                cur.executemany(
                    "INSERT INTO counters (site, number, name) VALUES (%s, %s, %s) "
                    "ON CONFLICT (site, number) DO UPDATE SET name = EXCLUDED.name",
                    counters)
            conn.execute("UPDATE sites SET name = %s, timezone = %s, heartbeat_at = now(), centre_clock = %s "
                         "WHERE site = %s", [self.site_name, self.timezone, float(self.clock()), self.site])
        return shipped

    # -- a restore confirmed ---------------------------------------------------------------------
    def new_epoch(self, conn: psycopg.Connection) -> int:
        """Start the next epoch (high_water 0) when the centre's history differs from the city's; returns
        the new epoch. Refused (ShipError) when there is nothing to start: the histories agree."""
        with conn.transaction():
            state = self._lock(conn)
            try:
                self._check(state)
            except RestoreDetected:
                pass
            else:
                raise ShipError(
                    f"site {self.site!r}: the centre's events continue the city's copy (epoch {state.epoch}, "
                    f"up to id {state.high_water:,}): there is no restore to confirm, so no new epoch was "
                    f"started. Ship as usual with `kiosk ship`.")
            epoch = state.epoch + 1
            conn.execute("UPDATE sites SET epoch = %s, high_water = 0, last_hash = NULL WHERE site = %s",
                         [epoch, self.site])
        return epoch


def verify_copy(conn: psycopg.Connection, site: str, epoch: int) -> dict[str, Any]:
    """The city's copy of one site and epoch, re-hashed from its stored columns: (count, bad hashes)."""
    rows = conn.execute(
        "SELECT site, epoch, id, at, type, ticket_id, number, service, counter, officer, priority, data, hash "
        "FROM events WHERE site = %s AND epoch = %s ORDER BY id", [site, epoch]).fetchall()
    keys = ("site", "epoch", "id", "at", "type", "ticket_id", "number", "service", "counter", "officer",
            "priority", "data")
    bad = [r[2] for r in rows if row_hash(dict(zip(keys, r[:12], strict=True))) != r[12]]
    conn.commit()
    return {"count": len(rows), "bad": bad}
