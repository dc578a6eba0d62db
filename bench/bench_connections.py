"""A centre's connections against the real server (gevent): 1,000 hall screens and 100 half-open sockets.

1. the server's RSS and thread count, idle;
2. DISPLAYS Socket.IO `/display` clients (WebSocket transport, python-socketio, spread over CLIENT_PROCS
   processes of bench/display_clients.py that run them as greenlets) plus HALF_OPEN TCP connections that send half a request head and
   wait (re-opened whenever the server drops one at its header deadline): RSS and threads again;
3. tickets issued through HTTP (8 client threads, keep-alive): rate and p50/p99 of each request;
4. calls: call-next response -> `ticket_called` at every one of the DISPLAYS clients (the slowest screen),
   p50/p99 over CALLS calls; then the same with 50 of the screens only.

Targets (issue 7): >= 300 tickets/s with p99 <= 200 ms; call -> all 1,000 screens p99 <= 250 ms, at 50 p99
<= 50 ms. The client processes share the machine's 2 cores with the server: what they spend decoding the
1,000 copies of each call is inside the figures.

    .venv/bin/python bench/bench_connections.py [--displays 1000] [--calls 100]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from server_process import ServerProcess, create_token  # noqa: E402
from shared_setup import issue_rate, lift_daily_limits, pct, seeded_data_dir  # noqa: E402

CLIENT_PROCS = 4
HALF_OPEN = 100


def _proc_status(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "Threads"):
                out[key] = int(value.split()[0])
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


def _describe(pid: int) -> str:
    s = _proc_status(pid)
    return f"RSS {s['VmRSS'] / 1024:.0f} MiB, {s['Threads']} threads, {s['fds']} open files"


class HalfOpen:
    """HALF_OPEN connections that send half a request head and never finish it; re-opened when dropped."""

    def __init__(self, url: str, count: int) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.addr = (host, int(port))
        self.count = count
        self.dropped = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._hold, daemon=True) for _ in range(count)]

    def start(self) -> HalfOpen:
        for t in self._threads:
            t.start()
        return self

    def _hold(self) -> None:
        while not self._stop.is_set():
            try:
                s = socket.create_connection(self.addr, timeout=5)
                s.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: bench\r\nContent-Ty")
                s.settimeout(1.0)
                while not self._stop.is_set():
                    try:
                        if s.recv(1024) == b"":
                            self.dropped += 1
                            break
                    except TimeoutError:
                        continue
                s.close()
            except OSError:
                time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()


def run_calls(url: str, officer: str, kiosk: str, calls: int) -> list[tuple[str, float]]:
    """Issue CALLS tickets, then call them one by one at counter 6; returns (number, response time)."""
    s = requests.Session()
    for _ in range(calls):
        s.post(url + "/api/v1/tickets", json={"service": "LD"}, headers={"Authorization": f"Bearer {kiosk}"})
    headers = {"Authorization": f"Bearer {officer}"}
    out = []
    for _ in range(calls):
        r = s.post(url + "/api/v1/counters/6/next", json={"finish_current": True}, headers=headers)
        t0 = time.monotonic()
        out.append((r.json()["ticket"]["number"], t0))
        s.post(url + "/api/v1/counters/6/start", headers=headers)
        time.sleep(0.25)  # a call every quarter second: busier than any centre
    return out


class Displays:
    """COUNT /display clients in CLIENT_PROCS processes (bench/display_clients.py)."""

    def __init__(self, url: str, count: int) -> None:
        script = Path(__file__).with_name("display_clients.py")
        per = [count // CLIENT_PROCS + (1 if i < count % CLIENT_PROCS else 0) for i in range(CLIENT_PROCS)]
        t0 = time.monotonic()
        self.procs = [subprocess.Popen([sys.executable, str(script), url, str(n)], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True) for n in per if n]
        self.connected = sum(int(proc.stdout.readline().split()[1]) for proc in self.procs)
        print(f"  {self.connected} of {count} /display clients connected in {time.monotonic() - t0:.1f} s")

    def arrivals(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for proc in self.procs:
            proc.stdin.write("stop\n")
            proc.stdin.flush()
        for proc in self.procs:
            for number, times in json.loads(proc.stdout.readline()).items():
                out.setdefault(number, []).extend(times)
            proc.wait(30)
        return out


def report_calls(displays: Displays, sent: list[tuple[str, float]]) -> None:
    arrivals = displays.arrivals()
    slowest, every = [], []
    missing = 0
    for number, t0 in sent:
        got = arrivals.get(number, [])
        missing += displays.connected - len(got)
        if got:
            slowest.append((max(got) - t0) * 1000)
            every += [(t - t0) * 1000 for t in got]
    slowest.sort()
    every.sort()
    print(f"  call -> ticket_called at all {displays.connected} screens (the slowest screen): "
          f"p50 {statistics.median(slowest):.1f} ms, p99 {pct(slowest, 0.99):.1f} ms, max {slowest[-1]:.1f} ms "
          f"over {len(sent)} calls; each delivery p99 {pct(every, 0.99):.1f} ms; {missing} deliveries missing")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--displays", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = seeded_data_dir(Path(tmp))
        cfg = Path(tmp) / "kiosk.toml"
        # the connections alone: no simulated camera or devices in this process (bench_vision_isolation and
        # bench_call_fanout measure those)
        cfg.write_text("[vision]\nenabled = false\n[devices]\nenabled = false\n")
        server = ServerProcess(data, demo=False, extra_args=["--config", str(cfg)]).start()
        pid = server.proc.pid
        try:
            kiosk = create_token(data, "kiosk")
            lift_daily_limits(server.url, create_token(data, "admin"))
            officer = create_token(data, "officer", counter=6)
            print(f"idle server: {_describe(pid)}")
            half = HalfOpen(server.url, HALF_OPEN).start()
            print(f"with {HALF_OPEN} half-open connections: {_describe(pid)}")
            print(f"{args.displays} /display clients and {HALF_OPEN} half-open connections:")
            displays = Displays(server.url, args.displays)
            print(f"  server: {_describe(pid)}")
            rate, lat, errors = issue_rate(server.url, kiosk)
            print(f"  tickets issued through HTTP: {rate:.0f} tickets/s, p50 {statistics.median(lat):.1f} ms, "
                  f"p99 {pct(lat, 0.99):.1f} ms ({errors} refused) — targets >= 300/s, p99 <= 200 ms")
            time.sleep(1.0)
            report_calls(displays, run_calls(server.url, officer, kiosk, args.calls))
            print(f"  server: {_describe(pid)}; it dropped {half.dropped} half-open connections at its header "
                  f"deadline (re-opened at once)")
            print("50 /display clients:")
            displays = Displays(server.url, 50)
            report_calls(displays, run_calls(server.url, officer, kiosk, args.calls))
            print(f"after: {_describe(pid)}")
            half.stop()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
