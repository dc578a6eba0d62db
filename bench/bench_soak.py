"""Soak: the real demo server for N minutes under a steady load; does its memory level off?

Before the server starts, the data dir gets a few weeks of history (tickets driven through the real
QueueEngine on a simulated clock). Then, against `kiosk serve --demo` (tests/server_process.py):
50 /display Socket.IO clients (WebSocket transport), a ticket issued every second (kiosk token) and
a call every 3 s (officer tokens, the counters in turn: start the called ticket, then next with
finish_current). Every minute it prints the RSS of the server and its children (VmRSS), their
threads and open fds; at the end the RSS growth per minute after the warm-up (first 2 minutes).

    python bench/bench_soak.py [--minutes 10] [--days 15] [--per-day 200] [--churn 0] [--no-voice] [--tracemalloc]

--churn N reconnects N of the display clients every minute (a screen rebooting); --no-voice turns the
hall voice off (to tell its share of the memory from the rest); --tracemalloc runs
the server with tracemalloc and logs, every minute, the allocation sites and object types that grew
most (written next to the server log; see the path printed at the start).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from proc_stats import process_tree  # noqa: E402
from server_process import ROOT, ServerProcess  # noqa: E402

from kiosk.accounts import registry as accounts  # noqa: E402
from kiosk.demo.centre import DEMO_SERVICES, open_demo_counters, seed_demo  # noqa: E402
from kiosk.queue.clock import FakeClock, centre_timezone  # noqa: E402
from kiosk.queue.engine import QueueEngine  # noqa: E402
from kiosk.store import open_store  # noqa: E402

DISPLAYS = 50
ISSUE_EVERY_S = 1.0
CALL_EVERY_S = 3.0
SAMPLE_EVERY_S = 60.0
WARM_UP_MIN = 2.0
COUNTERS = range(1, 7)

# Loaded by the server's interpreter at start (a sitecustomize.py on its PYTHONPATH) with --tracemalloc.
TRACE_HOOK = '''
import os, sys
if os.environ.get("KIOSK_TRACEMALLOC") == "1" and "serve" in sys.argv:
    import collections, gc, threading, time, tracemalloc
    tracemalloc.start(12)
    out = open(os.environ["KIOSK_TRACE_OUT"], "a", buffering=1)

    def _types():
        return collections.Counter(type(o).__qualname__ for o in gc.get_objects())

    def _watch():
        first = prev = tracemalloc.take_snapshot()
        prev_types = _types()
        minute = 0
        while True:
            time.sleep(60)
            minute += 1
            snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
            types = _types()
            out.write(f"== pid {os.getpid()} minute {minute} (call chains: entry > ... > allocation): traced {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MiB, "
                      f"threads {threading.active_count()}\\n")
            for title, base in (("last minute", prev), ("since start", first)):
                out.write(f"-- top growth, {title}\\n")
                for stat in snap.compare_to(base, "traceback")[:8]:
                    # the thread's entry point and the allocation site, oldest first
                    picked = [*stat.traceback[3:5], *stat.traceback[-3:]]
                    frames = " > ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in picked)
                    out.write(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {frames}\\n")
            grown = sorted(((types[k] - prev_types.get(k, 0), k) for k in types), reverse=True)[:10]
            out.write("-- object types grown in the last minute: "
                      + ", ".join(f"{k} {d:+d} ({types[k]})" for d, k in grown if d > 0) + "\\n")
            prev, prev_types = snap, types

    # The app runs in this process (gevent, no fork): a real thread watches it.
    threading.Thread(target=_watch, name="tracemalloc-watch", daemon=True).start()
'''


def seed_history(data_dir: Path, days: int, per_day: int, seed: int = 1) -> int:
    """Fill ``data_dir`` with the demo centre and ``days`` working days of served tickets before today.

    Every ticket goes through the real QueueEngine (issue, call, start, finish) on a simulated clock
    from 07:30; each day ends with nobody waiting. Returns the number of tickets. (A `kiosk
    seed-history` command is planned; this is the bench's own small stand-in.)
    """
    store = open_store(data_dir)
    seed_demo(store)
    store.conn().execute("PRAGMA synchronous = OFF")  # history, not live tickets: no fsync per write
    tz = centre_timezone()
    clock = FakeClock(datetime.now(tz), tz)
    engine = QueueEngine(store, clock)
    officers = {r[0]: r[1] for r in store.conn().execute(
        "SELECT counter_number, id FROM users WHERE role = 'officer' AND counter_number IS NOT NULL")}
    rng = random.Random(seed)
    codes = [s["code"] for s in DEMO_SERVICES]
    day = datetime.now(tz).replace(hour=7, minute=30, second=0, microsecond=0)
    working: list[datetime] = []
    while len(working) < days:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            working.append(day)
    total = 0
    for start in reversed(working):
        clock.set(start)
        open_demo_counters(engine, officers)
        step = 8 * 3600 / per_day  # a working day's tickets, evenly spread
        for i in range(per_day):
            clock.set(start + timedelta(seconds=i * step))
            engine.issue_ticket(rng.choice(codes), "normal" if rng.random() > 0.15 else "elderly")
            total += 1
            _serve(engine, officers, 1 + i % 6)
        for _ in range(per_day):  # closing time: serve whoever still waits
            clock.advance(60)
            if not any([_serve(engine, officers, n) for n in COUNTERS]):
                break
        for n in COUNTERS:
            clock.advance(60)
            if engine.current_ticket(n) is not None:
                engine.finish(n, officers.get(n))
            engine.close_counter(n, officers.get(n))
    store.close()
    return total


def _serve(engine: QueueEngine, officers: dict[int, int], counter: int) -> bool:
    """Counter ``counter`` finishes its ticket and calls and starts the next; False when nobody waits."""
    officer = officers.get(counter)
    current = engine.current_ticket(counter)
    if current is not None and current.state == "called":
        engine.start(counter, officer)
    ticket = engine.call_next(counter, officer, finish_current=True)
    if ticket is not None:
        engine.start(counter, officer)
    return ticket is not None


def usage(root: int) -> tuple[float, int, int, dict[int, float]]:
    """(RSS MiB, threads, open fds) summed over the tree, and the RSS of each process."""
    rss_total, threads, fds, each = 0.0, 0, 0, {}
    for pid in process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            rss = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
            threads += int(fields["Threads"])
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, KeyError, ValueError):
            continue
        rss_total += rss
        each[pid] = rss
    return rss_total, threads, fds, each


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


class Displays:
    """``count`` /display clients; counts the ticket_called events they get."""

    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.calls = 0
        self._lock = threading.Lock()
        self.clients = [self._connect() for _ in range(count)]

    def _connect(self) -> socketio.Client:
        client = socketio.Client(reconnection=True)

        def called(_data) -> None:  # noqa: ANN001
            with self._lock:
                self.calls += 1

        client.on("ticket_called", called, namespace="/display")
        client.connect(self.url, namespaces=["/display"], transports=["websocket"], wait_timeout=10)
        return client

    def churn(self, n: int) -> None:
        for i in random.sample(range(len(self.clients)), n):
            self.clients[i].disconnect()
            self.clients[i] = self._connect()

    def close(self) -> None:
        for client in self.clients:
            client.disconnect()


def soak(server: ServerProcess, kiosk: str, officers: dict[int, str], minutes: float, churn: int) -> None:
    session = requests.Session()
    displays = Displays(server.url, DISPLAYS)
    counts = {"issued": 0, "called": 0, "refused": 0}
    samples: list[tuple[float, float]] = []
    start = time.monotonic()
    next_issue = next_call = start
    next_sample = start
    turn = 0
    rng = random.Random(2)
    codes = [s["code"] for s in DEMO_SERVICES]
    print(f"{'min':>5} {'RSS MiB':>8} {'threads':>7} {'fds':>5} {'issued':>6} {'called':>6} {'events':>7}  per process")
    try:
        while True:
            now = time.monotonic()
            if now >= next_sample:
                rss, threads, fds, each = usage(server.proc.pid)
                minute = (now - start) / 60
                samples.append((minute, rss))
                procs = " ".join(f"{rss_p:.0f}" for _, rss_p in sorted(each.items()))
                print(f"{minute:5.1f} {rss:8.1f} {threads:7d} {fds:5d} {counts['issued']:6d} {counts['called']:6d} "
                      f"{displays.calls:7d}  [{procs}]", flush=True)
                if churn and samples[1:]:
                    displays.churn(churn)
                next_sample += SAMPLE_EVERY_S
                if minute >= minutes - 1e-6:
                    break
            if now >= next_issue:
                r = session.post(server.url + "/api/v1/tickets", json={"service": rng.choice(codes)},
                                 headers={"Authorization": f"Bearer {kiosk}"}, timeout=10)
                counts["issued" if r.status_code == 201 else "refused"] += 1
                next_issue += ISSUE_EVERY_S
            if now >= next_call:
                n = COUNTERS[turn % len(COUNTERS)]
                turn += 1
                auth = {"Authorization": f"Bearer {officers[n]}"}
                session.post(server.url + f"/api/v1/counters/{n}/start", headers=auth, timeout=10)  # 409 if none
                r = session.post(server.url + f"/api/v1/counters/{n}/next", json={"finish_current": True},
                                 headers=auth, timeout=10)
                if r.status_code == 200 and r.json().get("ticket"):
                    counts["called"] += 1
                elif r.status_code != 200:
                    counts["refused"] += 1
                next_call += CALL_EVERY_S
            time.sleep(max(0.0, min(next_issue, next_call, next_sample) - time.monotonic()))
    finally:
        displays.close()
    after = [(m, r) for m, r in samples if m >= WARM_UP_MIN - 1e-6]
    print(f"issued {counts['issued']}, called {counts['called']}, refused {counts['refused']}, "
          f"ticket_called received {displays.calls} (expected {counts['called'] * DISPLAYS} at most)")
    if len(after) >= 2:
        print(f"RSS {samples[0][1]:.1f} -> {samples[-1][1]:.1f} MiB; growth after the {WARM_UP_MIN:.0f}-minute "
              f"warm-up: {slope(after):+.2f} MiB/min (least squares over {len(after)} samples, "
              f"{after[0][1]:.1f} -> {after[-1][1]:.1f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--days", type=int, default=15, help="working days of history seeded first")
    parser.add_argument("--per-day", type=int, default=200, help="tickets per seeded day")
    parser.add_argument("--churn", type=int, default=0, help="display clients reconnected every minute")
    parser.add_argument("--no-voice", action="store_true", help="run without the hall voice")
    parser.add_argument("--tracemalloc", action="store_true", help="log the server's top allocation growth")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t0 = time.monotonic()
        tickets = seed_history(data, args.days, args.per_day)
        print(f"history: {tickets} tickets over {args.days} working days in {time.monotonic() - t0:.0f} s; "
              f"database {(data / 'kiosk.db').stat().st_size / 2**20:.1f} MiB")
        store = open_store(data)
        with store.transaction() as conn:
            kiosk = accounts.create_token(conn, "kiosk", label="soak kiosk")
            admin = accounts.create_token(conn, "admin", label="soak admin")
            officers = {n: accounts.create_token(conn, "officer", counter=n, label=f"soak {n}") for n in COUNTERS}
        store.close()
        env = {"KIOSK_VISION_ENABLED": "0"}
        if args.tracemalloc:
            hook = Path(tmp) / "hook"
            hook.mkdir()
            (hook / "sitecustomize.py").write_text(TRACE_HOOK)
            trace = Path(tmp).parent / f"kiosk-soak-tracemalloc-{os.getpid()}.log"
            env.update(KIOSK_TRACEMALLOC="1", KIOSK_TRACE_OUT=str(trace),
                       PYTHONPATH=os.pathsep.join(filter(None, [str(hook), str(ROOT), os.environ.get("PYTHONPATH")])))
            print(f"tracemalloc report: {trace}")
        extra: list[str] = []
        if args.no_voice:
            config = Path(tmp) / "soak.toml"
            config.write_text("[voice]\nenabled = false\n")
            extra = ["--config", str(config)]
        server = ServerProcess(data, demo=True, env=env, extra_args=extra).start(timeout=60)
        try:
            headers = {"Authorization": f"Bearer {admin}"}
            for svc in requests.get(server.url + "/api/v1/services", headers=headers, timeout=10).json():
                svc.update(daily_limit=None, person_daily_limit=None)  # no daily cap in the way of the soak
                requests.put(server.url + f"/api/v1/admin/services/{svc['code']}", json=svc, headers=headers,
                             timeout=10)
            print(f"server pid {server.proc.pid}, {DISPLAYS} displays, a ticket every {ISSUE_EVERY_S:.0f} s, "
                  f"a call every {CALL_EVERY_S:.0f} s, {args.minutes:g} minutes, churn {args.churn}/min")
            soak(server, kiosk, officers, args.minutes, args.churn)
        finally:
            server.stop()
            print(f"server log: {server.log.name}")


if __name__ == "__main__":
    main()
