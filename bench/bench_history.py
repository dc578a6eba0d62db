"""The hot paths after a year of history, against the real server: do they cost what they cost on day one?

    python bench/bench_history.py [--days 250] [--per-day 2000] [--cache /tmp/kiosk-bench-history]

Seeds (or reuses, in CACHE/DAYSxPER_DAY-sSEED) a year through `kiosk seed-history`, and an empty store with
the same centre (its counters, no history). For each: POST /tickets and GET /tickets/ID p50/p99, the queue
snapshot and a /display connect (Socket.IO connect until the snapshot arrives), a retention purge of 5,000
expired citizens; then the ratio year/empty. Targets: p99 <= 10 ms, snapshot and connect <= 10 ms, purge
<= 2 s, ratio <= 1.5. Also a month's and a year's report (GET /api/v1/reports, by service and by day; targets
<= 300 ms and <= 2 s) over the last days of the seeded history, and the face gallery's load from the store
(all enrolled citizens, and within the default window; target <= 2 s).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from server_process import KIOSK, ServerProcess, checkout_env, create_token  # noqa: E402
from shared_setup import SERVICES, pct  # noqa: E402

N = 300
PURGE = 5000


def seeded_year(cache: Path, days: int, per_day: int, seed: int) -> Path:
    target = cache / f"{days}x{per_day}-s{seed}"
    if target.exists():
        print(f"reusing {target}")
        return target
    tmp = cache / f"{target.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(KIOSK), "seed-history", "--data-dir", str(tmp), "--days", str(days), "--per-day",
                    str(per_day), "--seed", str(seed)], check=True, env=checkout_env())
    tmp.rename(target)
    return target


def empty_store(parent: Path, per_day: int) -> Path:
    from kiosk.config.core import Config
    from kiosk.demo.history import seed_history

    data = parent / "empty"
    seed_history(Config.from_dict({"data_dir": str(data)}), 0, per_day)
    return data


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def display_connect(url: str, n: int) -> list[float]:
    import socketio

    out = []
    for _ in range(n):
        got = threading.Event()
        c = socketio.Client(reconnection=False)
        c.on("queue_snapshot", lambda data, got=got: got.set(), namespace="/display")
        t0 = time.perf_counter()
        c.connect(url, namespaces=["/display"], transports=["websocket"])
        got.wait(5)
        out.append((time.perf_counter() - t0) * 1000)
        c.disconnect()
    return sorted(out)


def purge(data: Path) -> tuple[int, float]:
    """A retention purge of the PURGE citizens seen longest ago, on a FakeClock (rolled back: the cache stays)."""
    from kiosk.citizens.crypto import Vault, load_or_create_key
    from kiosk.citizens.registry import CitizenRegistry
    from kiosk.queue.clock import FakeClock
    from kiosk.store import open_store

    store = open_store(data)
    try:
        vault = Vault(load_or_create_key(data / "keys" / "citizen.key"))
        conn = store.conn()
        have = conn.execute("SELECT COUNT(*) FROM citizens").fetchone()[0]
        if have < PURGE:  # the empty store: 5,000 citizens met a long time ago
            old = CitizenRegistry(store, vault, FakeClock(1_600_000_000.0))
            with store.transaction():
                for i in range(PURGE - have):
                    old.remember_card({"id_number": f"0019{i:08d}", "full_name": "Nguyễn Văn A"})
        cutoff = conn.execute("SELECT last_seen_at FROM citizens ORDER BY last_seen_at LIMIT 1 OFFSET ?",
                              [PURGE - 1]).fetchone()[0]
        registry = CitizenRegistry(store, vault, FakeClock(cutoff + 1 + 30 * 86400))
        conn.execute("BEGIN IMMEDIATE")  # the purge joins this transaction, rolled back after
        t0 = time.perf_counter()
        n = registry.purge_expired(30)
        seconds = time.perf_counter() - t0
        conn.execute("ROLLBACK")
        return n, seconds
    finally:
        store.close()


def seeded_days(data: Path) -> tuple[str | None, str | None]:
    import sqlite3

    conn = sqlite3.connect(f"file:{data / 'kiosk.db'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT MIN(day), MAX(day) FROM tickets").fetchone()
    finally:
        conn.close()


def gallery_load(data: Path) -> dict[str, float]:
    """The face gallery's load from the store, as `create_app` does it: all, and within the default window (ms)."""
    from kiosk.citizens.crypto import Vault, load_or_create_key
    from kiosk.citizens.registry import CitizenRegistry
    from kiosk.config.vision import DEFAULT_GALLERY_WINDOW_DAYS
    from kiosk.queue.clock import FakeClock
    from kiosk.session.setup import gallery_from_store
    from kiosk.store import open_store

    store = open_store(data)
    try:
        vault = Vault(load_or_create_key(data / "keys" / "citizen.key"))
        last = store.conn().execute("SELECT MAX(last_seen_at) FROM citizens").fetchone()[0] or time.time()
        registry = CitizenRegistry(store, vault, FakeClock(last + 3600))
        out = {}
        for label, since in (("all", None), (f"{DEFAULT_GALLERY_WINDOW_DAYS} d", last - DEFAULT_GALLERY_WINDOW_DAYS * 86400)):
            best, size = float("inf"), 0
            for _ in range(3):
                t0 = time.perf_counter()
                g = gallery_from_store(registry, since)
                best = min(best, time.perf_counter() - t0)
                size = len(g.identities())
            out[f"gallery load, {label}"] = best * 1000
            print(f"  {data.name}: gallery {label}: {size:,} citizens")
        return out
    finally:
        store.close()


def measure(data: Path) -> dict[str, float]:
    first_day, last_day = seeded_days(data)
    server = ServerProcess(data, demo=False).start(timeout=120)
    figures: dict[str, float] = {}
    try:
        kiosk, officer = create_token(data, "kiosk"), create_token(data, "officer", counter=1)
        manager = create_token(data, "manager")
        s = requests.Session()
        k = {"Authorization": f"Bearer {kiosk}"}
        for n in range(1, 7):
            s.post(server.url + f"/api/v1/counters/{n}/open", headers={
                "Authorization": f"Bearer {create_token(data, 'officer', counter=n)}"})
        ids: list[int] = []
        i = iter(range(10**6))
        lat = timed(lambda: ids.append(s.post(server.url + "/api/v1/tickets", json={"service": SERVICES[next(i) % 6]},
                                              headers=k).json()["id"]), N)
        figures["POST /tickets p50"], figures["POST /tickets p99"] = statistics.median(lat), pct(lat, 0.99)
        for _ in range(20):
            s.post(server.url + "/api/v1/counters/1/next", json={"finish_current": True},
                   headers={"Authorization": f"Bearer {officer}"})
        j = iter(range(10**6))
        lat = timed(lambda: s.get(server.url + f"/api/v1/tickets/{ids[-1 - next(j) % 100]}", headers=k), N)
        figures["GET /tickets/ID p50"], figures["GET /tickets/ID p99"] = statistics.median(lat), pct(lat, 0.99)
        m = {"Authorization": f"Bearer {manager}"}
        lat = timed(lambda: s.get(server.url + "/api/v1/queue", headers=m), 100)
        figures["snapshot p50"], figures["snapshot p99"] = statistics.median(lat), pct(lat, 0.99)
        lat = display_connect(server.url, 30)
        figures["display connect p50"], figures["display connect p99"] = statistics.median(lat), pct(lat, 0.99)
        if last_day is not None:
            import datetime as dt

            end = dt.date.fromisoformat(last_day)
            for label, span in (("month", 30), ("year", 365)):
                start = max(dt.date.fromisoformat(first_day), end - dt.timedelta(days=span - 1)).isoformat()
                for by in ("service", "day"):
                    def get(start=start, by=by):
                        r = s.get(server.url + "/api/v1/reports", params={"from": start, "to": end.isoformat(),
                                                                          "by": by}, headers=m)
                        r.raise_for_status()
                    lat = timed(get, 5)
                    figures[f"report {label} by {by} p50"] = statistics.median(lat)
                    figures[f"report {label} by {by} max"] = max(lat)
    finally:
        server.stop()
    figures.update(gallery_load(data))
    n, seconds = purge(data)
    figures[f"purge of {n} citizens (ms)"] = seconds * 1000
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--per-day", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/kiosk-bench-history"))
    args = ap.parse_args()
    year = seeded_year(args.cache, args.days, args.per_day, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        # the server writes today's tickets: measure on a copy, so the cache stays a clean history
        work = Path(tmp) / "year"
        shutil.copytree(year, work)
        results = {"empty": measure(empty_store(Path(tmp), args.per_day)), "year": measure(work)}
    print(f"{'ms':34s} {'empty':>9s} {'year':>9s} {'year/empty':>11s}")
    for key in results["year"]:
        e, y = results["empty"].get(key), results["year"][key]
        ratio = f"{y / e:.2f}" if e else "-"
        print(f"{key:34s} {e or 0:9.2f} {y:9.2f} {ratio:>11s}")


if __name__ == "__main__":
    main()
