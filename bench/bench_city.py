"""The city dashboard at Hà Nội's scale: the centres' table and a month's city report, <= 1 s each.

    python bench/bench_city.py [--sites 100] [--days 250] [--per-day 2000] [--event-days 2] [--runs 5]

A throwaway PostgreSQL (kiosk.city.pgtemp; shared_buffers 256 MB). Generated straight into it with COPY:
- the daily rollups of SITES centres x DAYS working days x 8 services (what the dashboard and the reports
  read), with a realistic wait histogram per row, for every day but the last EVENT_DAYS;
- the events of the last EVENT_DAYS days of every centre (PER_DAY tickets a day, 4-5 events a ticket:
  issued, called, started, finished or no-show, some recalls), from which `kiosk.city.rollups.build` makes
  those days' rollups: its rate (events replayed per second) is printed.
Then, through the dashboard's Flask app (test client, logged in; the HTTP socket is not in the figure):
GET /api/v1/city/centres, a centre's services, and the reports of the last month and the last year by site
and by service; median and max of RUNS.

A year of events (~200 M rows, ~50 GB with indexes) is more than this bench should write; the queries never
read events (only the rollups), so the figures at full rollup size hold; the rollup build is measured on the
events generated and scales with the events of the days touched.
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.city.demo import temp_postgres  # noqa: E402
from kiosk.queue.clock import centre_timezone  # noqa: E402
from kiosk.reports import histogram  # noqa: E402

TZ = centre_timezone()
SERVICES = [("HT", 15), ("DD", 20), ("KD", 30), ("CT", 20), ("LD", 30), ("XD", 45), ("TP", 20), ("BH", 30)]
WEIGHTS = [0.25, 0.15, 0.15, 0.15, 0.1, 0.08, 0.07, 0.05]
TARGET_S = 1.0


def working_days(count: int, last: date) -> list[date]:
    out, d = [], last
    while len(out) < count:
        if d.weekday() < 5:
            out.append(d)
        d -= timedelta(days=1)
    return out[::-1]


def hist_samples(rng: random.Random, n: int = 64) -> list[tuple[bytes, float, float, int]]:
    """(wait_hist, wait_sum, wait_max, waits) of 250 sampled waits each: rows pick one at random."""
    from kiosk.city.rollups import hist_to_blob

    out = []
    for _ in range(n):
        waits = [rng.expovariate(1 / rng.uniform(300, 1200)) for _ in range(250)]
        counts: dict[int, int] = {}
        for w in waits:
            histogram.add(counts, w)
        out.append((hist_to_blob(counts), sum(waits), max(waits), len(waits)))
    return out


def copy_rows(conn, sql: str, rows) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(sql) as copy:
        for r in rows:
            copy.write_row(r)
            n += 1
    return n


def gen_sites(conn, sites: list[str], now: float) -> None:
    copy_rows(conn, "COPY sites (site, name, last_shipment_at, heartbeat_at, last_event_at) FROM STDIN",
              ([s, f"Bộ phận một cửa số {i + 1}", datetime.fromtimestamp(now - 5 - (i % 7)).astimezone(),
                datetime.fromtimestamp(now - 3).astimezone() if i % 10 else None, now - 30]
               for i, s in enumerate(sites)))
    copy_rows(conn, "COPY services (site, code, name, prefix, sla_minutes) FROM STDIN",
              ([s, code, f"Lĩnh vực {code}", code[0], sla] for s in sites for code, sla in SERVICES))


def gen_daily(conn, sites: list[str], days: list[date], per_day: int, rng: random.Random) -> int:
    samples = hist_samples(rng)

    def rows():
        for s in sites:
            for d in days:
                for (code, _), w in zip(SERVICES, WEIGHTS, strict=True):
                    issued = max(1, int(per_day * w * rng.uniform(0.8, 1.2)))
                    text, wsum, wmax, n = rng.choice(samples)
                    scale = issued / n
                    served = int(issued * 0.93)
                    ratings = int(served * 0.3)
                    r = [ratings // 20, ratings // 20, ratings // 10, ratings // 3]
                    r.append(ratings - sum(r))
                    yield [s, d, code, issued, served, issued - served - 2, 1, 1, wsum * scale, issued - 1, wmax,
                           int(issued * 0.12), served * 160.0, served, ratings, r[3] + r[4], issued - 1,
                           int(served * 0.85), *r, text, 0]

    return copy_rows(conn, "COPY daily (site, day, service, issued, served, no_show, cancelled, expired, wait_sum, "
                           "wait_n, wait_max, over_sla, service_sum, service_n, ratings, satisfied, target_base, "
                           "served_in_target, r1, r2, r3, r4, r5, wait_hist, waiting) FROM STDIN", rows())


def gen_events(conn, sites: list[str], days: list[date], per_day: int, rng: random.Random, now: float) -> int:
    codes = [c for c, _ in SERVICES]

    def rows():
        for s in sites:
            eid = tid = 0
            for d in days:
                opening = datetime(d.year, d.month, d.day, 7, 30, tzinfo=TZ).timestamp()
                n = int(per_day * rng.uniform(0.8, 1.2))
                for k in range(n):
                    tid += 1
                    at = opening + k * (34200 / n)
                    code = rng.choices(codes, WEIGHTS)[0]
                    called = at + rng.expovariate(1 / 600)
                    started = called + rng.uniform(20, 120)
                    counter = rng.randint(1, 17)
                    life = [("ticket_issued", at, None), ("ticket_called", called, counter)]
                    if rng.random() < 0.1:
                        life.append(("ticket_recalled", called + 60, counter))
                    if rng.random() < 0.05:
                        life.append(("ticket_no_show", called + 180, counter))
                    else:
                        life += [("ticket_started", started, counter),
                                 ("ticket_finished", started + rng.uniform(60, 300), counter)]
                    for kind, t, c in life:
                        if t > now:  # today's tickets still in the future: not yet shipped
                            break
                        eid += 1
                        yield [s, 1, eid, t, d, kind, tid, f"{code[0]}{k + 1:03d}", code, c, None, "normal",
                               "{}", "h"]

    return copy_rows(conn, "COPY events (site, epoch, id, at, day, type, ticket_id, number, service, counter, "
                           "officer, priority, data, hash) FROM STDIN", rows())


def timed(client, url: str, runs: int) -> tuple[float, float, int]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:300])
    return statistics.median(times), max(times), len(r.get_data())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--per-day", type=int, default=2000)
    ap.add_argument("--event-days", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import psycopg

    from kiosk.city import rollups
    from kiosk.city.app import create_city_app
    from kiosk.city.dashboard.users import create_user
    from kiosk.city.db import migrate

    rng = random.Random(11)
    now = datetime.now(TZ).replace(hour=15, minute=0, second=0, microsecond=0)
    while now.weekday() >= 5:
        now -= timedelta(days=1)
    now_s = now.timestamp()
    calendar = working_days(args.days, now.date())
    rolled, evented = calendar[:-args.event_days], calendar[-args.event_days:]
    sites = [f"HN{i:03d}" for i in range(1, args.sites + 1)]

    root = Path(tempfile.mkdtemp(prefix="kiosk-bench-city-"))
    root.chmod(0o755)
    pg = temp_postgres(root / "db")
    try:
        pg.stop()  # the throwaway cluster's small footprint is for tests: a dashboard's server has more
        with open(pg.data / "postgresql.conf", "a") as conf:
            conf.write("shared_buffers = 256MB\nwork_mem = 16MB\n")
        pg.start()
        pg.admin('CREATE DATABASE "city"')
        dsn = pg.dsn("city")
        with psycopg.connect(dsn) as conn:
            migrate(conn)
            t = time.perf_counter()
            gen_sites(conn, sites, now_s)
            n_daily = gen_daily(conn, sites, rolled, args.per_day, rng)
            conn.commit()
            t_daily = time.perf_counter() - t
            t = time.perf_counter()
            n_events = gen_events(conn, sites, evented, args.per_day, rng, now_s)
            conn.commit()
            t_events = time.perf_counter() - t
            # the rollups of the generated days count as built: marks at each site's newest event
            conn.execute("INSERT INTO daily_marks (site) SELECT site FROM sites")
            conn.execute("ANALYZE")
            conn.commit()
            print(f"generated: {args.sites} centres x {len(calendar)} working days ({calendar[0]} .. "
                  f"{calendar[-1]}), {n_daily:,} daily rows in {t_daily:.1f} s; {n_events:,} events of the last "
                  f"{args.event_days} days in {t_events:.1f} s (COPY)")
            t = time.perf_counter()
            built = rollups.build(conn, now=now_s)
            t_build = time.perf_counter() - t
            print(f"rollups.build: {built} site-days from {n_events:,} events in {t_build:.1f} s "
                  f"({n_events / t_build:,.0f} events/s, {t_build / max(built, 1) * 1000:.0f} ms a site-day)")
            t = time.perf_counter()
            again = rollups.build(conn, now=now_s + 1)
            print(f"rollups.build with nothing new: {again} site-days in {(time.perf_counter() - t) * 1000:.0f} ms")
            size = conn.execute("SELECT pg_size_pretty(pg_database_size('city'))").fetchone()[0]
            create_user(conn, "bench", "bench-password-1", "city_manager")
        print(f"database size: {size}")

        app = create_city_app(dsn, {"rollup_interval_s": 0, "now": lambda: now_s, "secret_key": "bench"})
        client = app.test_client()
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "city"))
        from dash_support import login

        assert login(client, "bench", "bench-password-1").status_code == 302
        last = calendar[-1]
        month = (last - timedelta(days=30)).isoformat()
        year = calendar[0].isoformat()
        checks = [
            ("dashboard GET /api/v1/city/centres", "/api/v1/city/centres", True),
            ("a centre's services", f"/api/v1/city/centres/{sites[0]}/services", False),
            ("month report by site", f"/api/v1/city/reports?from={month}&to={last}&by=site", True),
            ("month report by service", f"/api/v1/city/reports?from={month}&to={last}&by=service", True),
            ("month report by site, XLSX", f"/api/v1/city/reports?from={month}&to={last}&by=site&format=xlsx",
             False),
            ("year report by site", f"/api/v1/city/reports?from={year}&to={last}&by=site", False),
        ]
        failed = False
        for name, url, target in checks:
            median, worst, size_b = timed(client, url, args.runs)
            verdict = ("ok" if worst <= TARGET_S else "OVER TARGET") if target else "(no target)"
            failed |= target and worst > TARGET_S
            print(f"{name:38s} median {median * 1000:7.0f} ms  max {worst * 1000:7.0f} ms  {size_b:>9,} B  {verdict}")
        print("targets (<= 1 s each): " + ("met" if not failed else "NOT met"))
    finally:
        try:
            pg.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
