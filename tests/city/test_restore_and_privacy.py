"""A centre restored from its backup is refused (nothing written) until `--new-epoch`; and the city
database holds no citizen data, no reasons, no comments, no names of people."""
from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from datetime import date

import psycopg
import pytest
from centres import (
    assert_city_equals_centre,
    centre_config,
    centre_rows,
    citizen_secrets,
    extractor,
    run_day,
    ship,
)
from test_resilience import ship_cmd

from kiosk.city.db import connect
from kiosk.city.epochs import COUNTED_EVENTS_SQL
from kiosk.city.setup import build_shipper
from kiosk.city.ship import RestoreDetected, ShipError


def backup(data_dir, dest):
    """A consistent copy of the centre's database (SQLite's online backup, as `kiosk backup` takes it)."""
    src = sqlite3.connect(data_dir / "kiosk.db")
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def restore(copy, data_dir):
    for suffix in ("-wal", "-shm"):
        (data_dir / f"kiosk.db{suffix}").unlink(missing_ok=True)
    shutil.copyfile(copy, data_dir / "kiosk.db")


def city_snapshot(dsn, site):
    with psycopg.connect(dsn) as conn:
        return (conn.execute("SELECT epoch, high_water, last_hash, last_shipment_at, last_event_at, heartbeat_at, "
                             "centre_clock FROM sites WHERE site = %s", [site]).fetchone(),
                conn.execute("SELECT count(*), max(id), string_agg(hash, '' ORDER BY epoch, id) FROM events "
                             "WHERE site = %s", [site]).fetchone(),
                conn.execute("SELECT count(*) FROM ratings WHERE site = %s", [site]).fetchone())


def test_restored_centre_is_refused_then_ships_a_new_epoch(city_dsn, centres, tmp_path):
    site, data = "ha-dong", centres["ha-dong"]
    assert ship(data, site, city_dsn).events > 0
    shipper = build_shipper(centre_config(data, site, city_dsn))
    with connect(city_dsn) as conn, pytest.raises(ShipError, match="no restore to confirm"):
        shipper.new_epoch(conn)  # an operator's mistake: the histories agree, nothing to start
    shipper.reader.close()

    backup(data, tmp_path / "backup.db")
    run_day(data, date(2026, 11, 27), per_day=80, seed=21)
    shipped_after_backup = ship(data, site, city_dsn).events
    assert shipped_after_backup > 0
    epoch1 = city_snapshot(city_dsn, site)

    restore(tmp_path / "backup.db", data)  # the disk died; the operator restores last night's backup
    refused = subprocess.run(ship_cmd(data, site, city_dsn), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "restored from an older backup" in refused.stderr and "--new-epoch" in refused.stderr
    assert city_snapshot(city_dsn, site) == epoch1

    run_day(data, date(2026, 11, 30), per_day=90, seed=22)  # the centre goes on: event ids are reused
    refused = subprocess.run(ship_cmd(data, site, city_dsn), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 3
    assert "differs from the one the city received" in refused.stderr
    assert city_snapshot(city_dsn, site) == epoch1  # nothing written, not even a heartbeat
    shipper = build_shipper(centre_config(data, site, city_dsn))
    with connect(city_dsn) as conn, pytest.raises(RestoreDetected):
        shipper.ship_once(conn)
    shipper.reader.close()

    confirmed = subprocess.run(ship_cmd(data, site, city_dsn, "--new-epoch"), capture_output=True, text=True,
                               timeout=120)
    assert confirmed.returncode == 0, confirmed.stderr
    assert "epoch 2 started" in confirmed.stdout
    total = len(centre_rows(data, "events", "id"))
    assert assert_city_equals_centre(city_dsn, data, site, epoch=2) == total
    # epoch 1 is kept as it was: the events lost at the centre by the restore are still at the city
    with psycopg.connect(city_dsn) as conn:
        kept = conn.execute("SELECT count(*), max(id), string_agg(hash, '' ORDER BY id) FROM events "
                            "WHERE site = %s AND epoch = 1", [site]).fetchone()
        state = conn.execute("SELECT epoch, high_water FROM sites WHERE site = %s", [site]).fetchone()
    assert kept == epoch1[1]
    assert state == (2, max(r["id"] for r in centre_rows(data, "events", "id")))
    # the city counts each event once: a day from the newest epoch that has it (kiosk/city/epochs.py)
    with psycopg.connect(city_dsn) as conn:
        counted = dict(conn.execute(f"SELECT day::text, count(*) FROM ({COUNTED_EVENTS_SQL}) c WHERE site = %s "
                                    f"GROUP BY day", [site]).fetchall())
        lost = dict(conn.execute("SELECT day::text, count(*) FROM events WHERE site = %s AND epoch = 1 AND "
                                 "day = '2026-11-27' GROUP BY day", [site]).fetchall())
    ex = extractor(data, site)
    centre_days: dict[str, int] = {}
    for r in centre_rows(data, "events", "id, at"):
        day = ex.day(r["at"]).isoformat()
        centre_days[day] = centre_days.get(day, 0) + 1
    assert lost and "2026-11-27" not in centre_days  # the day the restore lost at the centre
    assert counted == {**centre_days, **lost}
    # and the next pass continues epoch 2 as usual
    run_day(data, date(2026, 12, 1), per_day=40, seed=23)
    assert ship(data, site, city_dsn).events > 0
    assert_city_equals_centre(city_dsn, data, site, epoch=2)


def test_city_database_holds_no_citizen_data(pg_cluster, city_dsn, centres):
    for site, data in centres.items():
        run_day(data, date(2026, 11, 27), per_day=60, seed=31)
        ship(data, site, city_dsn)
    secrets: dict[str, set[str]] = {}
    for data in centres.values():
        for kind, values in citizen_secrets(data).items():
            secrets.setdefault(kind, set()).update(values)
    # the seeded centres must hold every kind of data that must not leave, or this test proves nothing
    for kind in ("id_number", "name", "address", "lookup", "reason", "comment", "terminal", "officer_name",
                 "dossier_code", "note"):
        assert secrets.get(kind), f"the seeded centres hold no {kind}"
    dbname = city_dsn.rsplit("/", 1)[1]
    dump = subprocess.run(
        [str(pg_cluster.bin_dir / "pg_dump"), "--data-only", "-h", pg_cluster.host, "-p", str(pg_cluster.port),
         "-U", "postgres", dbname], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "COPY public.events" in dump and len(dump) > 10_000
    hits = []
    for kind, values in secrets.items():
        for value in values:
            if kind == "id_number":
                found = re.search(rf"(?<!\d){re.escape(value)}(?!\d)", dump)
            else:
                found = value in dump
            if found:
                hits.append((kind, value[:4] + "…"))
    assert not hits, f"citizen or staff data found in the city database: {hits[:10]}"
    # and no column of the city's events carries an officer id: only the pseudonyms
    with psycopg.connect(city_dsn) as conn:
        keys = {k for (k,) in conn.execute("SELECT DISTINCT jsonb_object_keys(data) FROM events")}
    assert keys <= {"channel", "position", "recall", "recalls", "automatic", "from", "to", "to_counter", "was",
                    "day"}
