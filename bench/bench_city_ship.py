"""City shipping: the catch-up rate after days offline (events/s) and the city's bytes per event.

Seeds a demo centre (`kiosk seed-history`: DAYS working days of PER_DAY tickets, real engine) into a temp
dir, starts a throwaway PostgreSQL (kiosk/city/pgtemp.py; PostgreSQL's binaries must be installed), and
ships the whole backlog once in batches of [city] batch_size (5000), as a centre back online would. Then
prints the rate and the size on disk of the city's events (table + indexes) per event.

    python bench/bench_city_ship.py [DAYS] [PER_DAY]      # default 5 days of 2,000 tickets
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

from kiosk.city.db import connect, migrate
from kiosk.city.pgtemp import PgCluster, find_pg_bin
from kiosk.city.setup import build_shipper
from kiosk.config.core import Config
from kiosk.demo.history import seed_history


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    days = int(args[0]) if args else 5
    per_day = int(args[1]) if len(args) > 1 else 2000
    bin_dir = find_pg_bin()
    if bin_dir is None:
        print("PostgreSQL not installed (apt-get install postgresql): skipped")
        return 0
    root = Path(tempfile.mkdtemp(prefix="bench-city-"))
    root.chmod(0o755)  # the server may run as nobody (kiosk/city/pgtemp.py): it must reach root/pg
    cluster = None
    try:
        data = root / "centre"
        t = time.monotonic()
        seed_history(Config.from_dict({"data_dir": str(data)}), days, per_day, 1,
                     last_day=date.today() - timedelta(days=1))
        print(f"seeded {days} days x {per_day:,} tickets in {time.monotonic() - t:.0f} s")
        cluster = PgCluster(bin_dir, root / "pg")
        cluster.start()
        cluster.wait_ready()
        cluster.admin("CREATE DATABASE city")
        dsn = cluster.dsn("city")
        config = Config.from_dict({"data_dir": str(data), "city": {
            "dsn": dsn, "site_code": "bench", "site_name": "Trung tâm bench"}})
        shipper = build_shipper(config)
        with connect(dsn) as conn:
            migrate(conn)
            if "--profile" in sys.argv:
                import cProfile
                import pstats

                prof = cProfile.Profile()
                result = prof.runcall(shipper.ship_once, conn)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(18)
            else:
                result = shipper.ship_once(conn)
        shipper.reader.close()
        print(f"catch-up: {result.line()}")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE events")
            n, total = conn.execute("SELECT count(*), pg_total_relation_size('events') FROM events").fetchone()
            ratings, rsize = conn.execute("SELECT count(*), pg_total_relation_size('ratings') FROM ratings").fetchone()
        print(f"city events: {n:,} rows, {total / 2**20:.1f} MiB with indexes = {total / n:.0f} bytes/event; "
              f"ratings: {ratings:,} rows, {rsize / max(ratings, 1):.0f} bytes/rating")
        centre_bytes = (data / "kiosk.db").stat().st_size
        print(f"centre SQLite (everything, incl. citizens): {centre_bytes / 2**20:.1f} MiB")
    finally:
        if cluster is not None and cluster.running():
            cluster.stop("fast")
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
