"""Shipping when things go wrong: a centre offline for a day, a shipper killed in the middle of a batch,
PostgreSQL stopped with `-m immediate` under a shipper, two shippers of one site at once. After each, the
city's copy equals every centre's events by (site, epoch, id, hash), each once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date

import psycopg
from centres import assert_city_equals_centre, centre_rows, run_day, ship
from dash_support import assert_city_kpis_equal_centre

DAY_AFTER = date(2026, 11, 27)  # the Friday after the seeded history


def ship_cmd(data_dir, site, dsn, *extra, batch_size=100, interval_s=1):
    """argv of `kiosk ship` for one centre (a config file gives its [city] table)."""
    conf = data_dir.parent / f"{site}.toml"
    conf.write_text(f'[city]\nsite_code = "{site}"\nsite_name = "Trung tâm {site}"\n'
                    f"batch_size = {batch_size}\ninterval_s = {interval_s}\n", encoding="utf-8")
    return [sys.executable, "-m", "kiosk.cli.main", "ship", "--city", dsn, "--data-dir", str(data_dir),
            "--config", str(conf), *extra]


def site_state(dsn, site):
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT epoch, high_water, last_hash FROM sites WHERE site = %s", [site]).fetchone()


def city_ids(dsn, site):
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM events WHERE site = %s ORDER BY id", [site])]


def wait_for(predicate, timeout=60.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except psycopg.OperationalError:
            pass
        time.sleep(step)
    return False


def shipper_waits_on_lock(dsn) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kiosk' "
                            "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO events%%'").fetchone()[0] > 0


def assert_kpis_equal(dsn: str, data, site: str, copy_to) -> None:
    """The city's figures of SITE over all its days equal that centre's own report (issue 11)."""
    first, last = centre_rows(data, "tickets", "MIN(day), MAX(day)")[0]
    assert_city_kpis_equal_centre(dsn, data, site, date.fromisoformat(first), date.fromisoformat(last), copy_to)


def test_centre_offline_for_a_day_catches_up(city_dsn, centres, tmp_path):
    for site, data in centres.items():
        ship(data, site, city_dsn)
    offline = "ha-dong"
    before = len(centre_rows(centres[offline], "events", "id"))
    run_day(centres[offline], DAY_AFTER, per_day=300, seed=7)  # a whole day while the city is out of reach
    for site in ("hoan-kiem", "long-bien"):  # the others go on shipping their own days
        run_day(centres[site], DAY_AFTER, per_day=60, seed=8)
        ship(centres[site], site, city_dsn)
    backlog = len(centre_rows(centres[offline], "events", "id")) - before
    assert backlog > 1000
    result = ship(centres[offline], offline, city_dsn, batch_size=500)
    assert result.events == backlog and result.batches == -(-backlog // 500)
    for site, data in centres.items():
        assert_city_equals_centre(city_dsn, data, site)
        assert_kpis_equal(city_dsn, data, site, tmp_path / f"report-{site}")
    print(f"\ncatch-up after a day offline: {result.line()}")


def test_shipper_killed_in_the_middle_of_a_batch(city_dsn, centres, tmp_path):
    site, data = "long-bien", centres["long-bien"]
    total = len(centre_rows(data, "events", "id"))
    proc = subprocess.Popen(ship_cmd(data, site, city_dsn, "--follow", batch_size=100),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: (site_state(city_dsn, site) or (0, 0))[1] >= 300)
        # hold the events table so the shipper's next batch stops inside its transaction: the site's row is
        # locked and the batch COPYed, its INSERT waits; then SIGKILL
        with psycopg.connect(city_dsn) as blocker:
            blocker.execute("LOCK TABLE events IN SHARE MODE")
            assert wait_for(lambda: shipper_waits_on_lock(city_dsn), timeout=30)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            _, high_water, _ = site_state(city_dsn, site)
            blocker.rollback()
        assert 300 <= high_water < total
        # nothing of the killed batch: exactly the events up to the committed high water
        assert city_ids(city_dsn, site) == list(range(1, high_water + 1))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = subprocess.run(ship_cmd(data, site, city_dsn), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"shipped {total - high_water:,} events" in done.stdout
    assert_city_equals_centre(city_dsn, data, site)
    assert_kpis_equal(city_dsn, data, site, tmp_path / "report-copy")


def test_postgresql_stopped_immediately_under_a_shipper(pg_cluster, city_dsn, centres, tmp_path):
    site, data = "hoan-kiem", centres["hoan-kiem"]
    run_day(data, DAY_AFTER, per_day=100, seed=9)
    total = len(centre_rows(data, "events", "id"))
    proc = subprocess.Popen(ship_cmd(data, site, city_dsn, "--follow", batch_size=100),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: (site_state(city_dsn, site) or (0, 0))[1] >= 200)
        blocker = psycopg.connect(city_dsn)
        blocker.execute("LOCK TABLE events IN SHARE MODE")
        assert wait_for(lambda: shipper_waits_on_lock(city_dsn), timeout=30)
        pg_cluster.stop("immediate")  # a crash: the shipper's batch dies with the server
        blocker.close()
        time.sleep(1.5)  # the shipper fails and backs off meanwhile
        pg_cluster.start()
        pg_cluster.wait_ready()
        assert wait_for(lambda: site_state(city_dsn, site)[1] == max(
            r["id"] for r in centre_rows(data, "events", "id")), timeout=90)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert "failed" in out and "retrying" in out  # it saw the outage and came back by itself
    finally:
        if not pg_cluster.running():
            pg_cluster.start()
            pg_cluster.wait_ready()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert assert_city_equals_centre(city_dsn, data, site) == total
    assert_kpis_equal(city_dsn, data, site, tmp_path / "report-copy")


def test_two_shippers_of_one_site_never_overlap(city_dsn, centres, tmp_path):
    site, data = "ha-dong", centres["ha-dong"]
    run_day(data, DAY_AFTER, per_day=150, seed=11)
    total = len(centre_rows(data, "events", "id"))
    results, errors = [], []
    start = threading.Barrier(3)

    def run():
        try:
            start.wait()
            results.append(ship(data, site, city_dsn, batch_size=100))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    # every event was shipped by exactly one of them: the row lock serialised their batches
    assert sum(r.events for r in results) == total
    assert sum(1 for r in results if r.events) >= 1
    assert assert_city_equals_centre(city_dsn, data, site) == total
    assert_kpis_equal(city_dsn, data, site, tmp_path / "report-copy")


def test_two_shipper_processes_at_once(city_dsn, centres, tmp_path):
    site, data = "long-bien", centres["long-bien"]
    cmds = [ship_cmd(data, site, city_dsn, batch_size=100) for _ in range(2)]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ}) for c in cmds]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert_city_equals_centre(city_dsn, data, site)
    assert_kpis_equal(city_dsn, data, site, tmp_path / "report-copy")
