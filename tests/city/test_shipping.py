"""Shipping three centres to a real PostgreSQL: equal copies by (site, epoch, id, hash), each event once."""
from __future__ import annotations

import psycopg
import pytest
from centres import assert_city_equals_centre, centre_rows, ship

from kiosk.city.db import connect
from kiosk.city.ship import verify_copy


def test_three_centres_ship_their_events_once(city_dsn, centres):
    for site, data in centres.items():
        result = ship(data, site, city_dsn, batch_size=500)
        assert result.events == len(centre_rows(data, "events", "id")) > 0
        assert result.batches >= 1
        assert_city_equals_centre(city_dsn, data, site)
    # a second pass ships nothing and changes nothing
    for site, data in centres.items():
        assert ship(data, site, city_dsn).events == 0
        assert_city_equals_centre(city_dsn, data, site)
    with connect(city_dsn) as conn:
        for site in centres:
            check = verify_copy(conn, site, 1)
            assert check["bad"] == [] and check["count"] > 0
        sites = conn.execute("SELECT site, epoch, high_water, last_hash IS NOT NULL, heartbeat_at IS NOT NULL, "
                             "centre_clock FROM sites ORDER BY site").fetchall()
    assert [s[0] for s in sites] == sorted(centres)
    for site, epoch, high_water, hashed, beat, centre_clock in sites:
        assert epoch == 1 and hashed and beat and centre_clock > 0
        assert high_water == max(r["id"] for r in centre_rows(centres[site], "events", "id"))


def test_ratings_catalogue_and_officer_codes(city_dsn, centres):
    site, data = "ha-dong", centres["ha-dong"]
    ship(data, site, city_dsn)
    with connect(city_dsn) as conn:
        ratings = conn.execute("SELECT id, score, service, counter FROM ratings WHERE site = %s ORDER BY id",
                               [site]).fetchall()
        services = conn.execute("SELECT code, name, prefix, sla_minutes FROM services WHERE site = %s ORDER BY code",
                                [site]).fetchall()
        counters = conn.execute("SELECT number, name FROM counters WHERE site = %s ORDER BY number", [site]).fetchall()
        officers = {r[0] for r in conn.execute("SELECT DISTINCT officer FROM events WHERE officer IS NOT NULL")}
    assert [tuple(r) for r in ratings] == [
        (r["id"], r["score"], r["service_code"], r["counter_number"])
        for r in centre_rows(data, "ratings", "id, score, service_code, counter_number")]
    assert [tuple(r) for r in services] == [tuple(r) for r in centre_rows(
        data, "services", "code, name, prefix, sla_minutes")]
    assert [tuple(r) for r in counters] == [tuple(r) for r in centre_rows(data, "counters", "number, name")]
    ids = {r["officer_id"] for r in centre_rows(data, "events", "DISTINCT officer_id") if r["officer_id"]}
    assert len(officers) == len(ids) > 0  # one code per officer, never the id
    assert all(o.startswith("o") and len(o) == 17 for o in officers)
    assert not {str(i) for i in ids} & officers


def test_wrong_dsn_fails_clearly_and_writes_nothing(pg_cluster, centres):
    with pytest.raises(psycopg.OperationalError):
        ship(centres["ha-dong"], "ha-dong", f"postgresql://postgres@127.0.0.1:{pg_cluster.port}/no_such_db")


def run_cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "kiosk.cli.main", "ship", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_ships_one_pass_and_refuses_bad_settings(city_dsn, centres, tmp_path):
    data = centres["hoan-kiem"]
    done = run_cli("--city", city_dsn, "--data-dir", str(data), "--site-code", "hoan-kiem", "--site-name", "Hoàn Kiếm")
    assert done.returncode == 0, done.stderr
    assert "events/s" in done.stdout and "postgresql://postgres@127.0.0.1" in done.stdout
    bad = run_cli("--city", city_dsn, "--data-dir", str(data), "--site-code", "Hoàn Kiếm", "--site-name", "x")
    assert bad.returncode == 2 and "[city] site_code" in bad.stderr
    nodsn = run_cli("--data-dir", str(data), "--site-code", "ab", "--site-name", "x")
    assert nodsn.returncode == 2 and "--city" in nodsn.stderr
    (data / "keys" / "citizen.key").unlink()
    nokey = run_cli("--city", city_dsn, "--data-dir", str(data), "--site-code", "hoan-kiem", "--site-name", "x")
    assert nokey.returncode == 1 and "key file" in nokey.stderr
