"""Demo centres for the city tests: real data dirs whose days are made by the real queue engine.

`seed_centre` is `kiosk seed-history` (kiosk.demo.history); `run_day` adds one more working day to an
existing data dir through the same simulation (its `_Centre` and `_Day`), as the centre's own service
would have written it. `centre_events` reads a centre's events back the way the city must hold them.
"""
from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, datetime
from pathlib import Path

import psycopg

from kiosk.citizens.crypto import Vault, load_or_create_key
from kiosk.citizens.registry import RECORD_PURPOSE, CitizenRegistry
from kiosk.city.db import connect
from kiosk.city.extract import Extractor, officer_key
from kiosk.city.setup import build_shipper, key_path, read_citizen_key
from kiosk.config.core import Config
from kiosk.demo import history
from kiosk.queue.clock import FakeClock, centre_timezone
from kiosk.queue.engine import QueueEngine
from kiosk.store import open_store

TZ = "Asia/Ho_Chi_Minh"


def centre_config(data_dir: Path, site: str | None = None, dsn: str | None = None, **city) -> Config:
    values: dict = {"data_dir": str(data_dir)}
    if site:
        values["city"] = {"site_code": site, "site_name": f"Trung tâm {site}", **({"dsn": dsn} if dsn else {}),
                          **city}
    return Config.from_dict(values)


def seed_centre(data_dir: Path, days: int, per_day: int, seed: int, last_day: date) -> None:
    history.seed_history(centre_config(data_dir), days, per_day, seed, last_day=last_day)


def run_day(data_dir: Path, day: date, per_day: int, seed: int) -> None:
    """One more working day of the demo centre in DATA_DIR (after its last), through the real engine."""
    config = centre_config(data_dir)
    tz = centre_timezone(TZ)
    store = open_store(data_dir)
    try:
        clock = FakeClock(datetime.combine(day, datetime.min.time(), tz), tz=tz)
        engine = QueueEngine(store, clock)
        vault = Vault(load_or_create_key(key_path(config)))
        centre = history._Centre(engine, CitizenRegistry(store, vault, clock), config.consent_text_version,
                                 per_day, seed)
        with store.transaction():
            history._Day(centre, day, random.Random(f"{seed}:{day.isoformat()}")).run()
    finally:
        store.close()


def ship(data_dir: Path, site: str, dsn: str, **city):
    """One shipping pass of the centre in DATA_DIR to the city at DSN (the code `kiosk ship` runs)."""
    shipper = build_shipper(centre_config(data_dir, site, dsn, **city))
    try:
        with connect(dsn) as conn:
            return shipper.ship_once(conn)
    finally:
        shipper.reader.close()


def extractor(data_dir: Path, site: str) -> Extractor:
    config = centre_config(data_dir)
    return Extractor(site, centre_timezone(TZ), officer_key(read_citizen_key(key_path(config))))


def centre_rows(data_dir: Path, table: str, columns: str = "*") -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{data_dir / 'kiosk.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()
    finally:
        conn.close()


def expected_events(data_dir: Path, site: str, epoch: int) -> set[tuple]:
    """(site, epoch, id, hash) of every event of the centre, as the city must hold them."""
    ex = extractor(data_dir, site)
    return {(site, epoch, r["id"], ex.event(r, epoch)["hash"]) for r in centre_rows(
        data_dir, "events", "id, at, type, ticket_id, counter_number, officer_id, service_code, data")}


def city_events(dsn: str, site: str, epoch: int | None = None) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        sql = "SELECT site, epoch, id, hash FROM events WHERE site = %s"
        args: list = [site]
        if epoch is not None:
            sql += " AND epoch = %s"
            args.append(epoch)
        return [tuple(r) for r in conn.execute(sql, args)]


def assert_city_equals_centre(dsn: str, data_dir: Path, site: str, epoch: int = 1) -> int:
    """The city's copy of SITE's current epoch equals the centre's events by (site, epoch, id, hash), each
    once; returns the count."""
    rows = city_events(dsn, site, epoch)
    assert len(rows) == len(set(rows)), "an event is in the city twice"
    with psycopg.connect(dsn) as conn:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT (site, epoch, id)) FROM events WHERE site = %s", [site]).fetchone()
    assert total == distinct
    expected = expected_events(data_dir, site, epoch)
    got = set(rows)
    assert got == expected, (f"{site}: {len(expected - got)} missing, {len(got - expected)} extra "
                             f"(of {len(expected)})")
    return len(got)


def citizen_secrets(data_dir: Path) -> dict[str, set[str]]:
    """What must never reach the city from this centre: its citizens' card fields (opened with the key),
    their ID-number lookups, officers' and citizens' names, reasons, dossier codes and notes, comments, terminal
    labels."""
    config = centre_config(data_dir)
    vault = Vault(read_citizen_key(key_path(config)))
    out: dict[str, set[str]] = {"id_number": set(), "name": set(), "address": set(), "lookup": set(),
                                "reason": set(), "comment": set(), "terminal": set(), "officer_name": set(),
                                "dossier_code": set(), "note": set()}
    for row in centre_rows(data_dir, "citizens", "lookup, record"):
        card = json.loads(vault.open(row["record"], RECORD_PURPOSE))
        for key in ("id_number", "old_id_number"):
            if card.get(key):
                out["id_number"].add(card[key])
        if card.get("full_name"):
            out["name"].add(card["full_name"])
        if card.get("address"):
            out["address"].add(card["address"])
        out["lookup"].add(row["lookup"])
    for row in centre_rows(data_dir, "tickets", "citizen_key"):
        if row["citizen_key"]:
            out["lookup"].add(row["citizen_key"])
    for row in centre_rows(data_dir, "events", "data"):
        reason = json.loads(row["data"]).get("reason")
        if reason:
            out["reason"].add(reason)
    for row in centre_rows(data_dir, "tickets", "dossier_code, note"):  # the centre's records, free text
        if row["dossier_code"]:
            out["dossier_code"].add(row["dossier_code"])
        if row["note"]:
            out["note"].add(row["note"])
    for row in centre_rows(data_dir, "ratings", "comment"):
        if row["comment"]:
            out["comment"].add(row["comment"])
    for row in centre_rows(data_dir, "api_tokens", "label"):
        if row["label"]:
            out["terminal"].add(row["label"])
    for row in centre_rows(data_dir, "users", "full_name"):
        if row["full_name"]:
            out["officer_name"].add(row["full_name"])
    return out
