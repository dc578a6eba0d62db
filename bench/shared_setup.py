"""What the benches share: a seeded demo data dir, a centre without daily caps, the issue-rate load."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

SERVICES = ("HT", "DD", "KD", "XD", "LD", "CT")


def seeded_data_dir(parent: Path) -> Path:
    """PARENT/data with the demo centre seeded and its counters open (as the server's --demo does)."""
    from kiosk.demo.centre import open_demo_counters, seed_demo
    from kiosk.queue.clock import SystemClock
    from kiosk.queue.engine import QueueEngine
    from kiosk.store import open_store

    data = parent / "data"
    data.mkdir()
    store = open_store(data)
    seed_demo(store)
    open_demo_counters(QueueEngine(store, SystemClock()))
    store.close()
    return data


def lift_daily_limits(url: str, admin_token: str) -> None:
    """A busy district centre: no daily caps in the way of a measurement."""
    admin = {"Authorization": f"Bearer {admin_token}"}
    for svc in requests.get(url + "/api/v1/services", headers=admin, timeout=10).json():
        svc.update(daily_limit=None, person_daily_limit=None)
        requests.put(url + f"/api/v1/admin/services/{svc['code']}", json=svc, headers=admin, timeout=10)


def issue_rate(url: str, token: str, seconds: float = 5.0, clients: int = 8) -> tuple[float, list[float], int]:
    """Tickets issued per second through POST /api/v1/tickets by CLIENTS keep-alive threads for SECONDS:
    (rate, each issue's latency in ms sorted, refusals)."""
    headers = {"Authorization": f"Bearer {token}"}
    lat: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        s = requests.Session()
        n = 0
        while time.monotonic() < stop:
            t0 = time.monotonic()
            r = s.post(url + "/api/v1/tickets", json={"service": SERVICES[(i + n) % 6]}, headers=headers, timeout=10)
            n += 1
            if r.status_code == 201:
                lat[i].append((time.monotonic() - t0) * 1000)
            else:
                errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = sorted(x for xs in lat for x in xs)
    return len(flat) / (time.monotonic() - start), flat, sum(errors)


def pct(values: list[float], p: float) -> float:
    """The p-quantile of sorted VALUES (nearest rank)."""
    return values[min(len(values) - 1, max(0, int(round(len(values) * p)) - 1))]


def socketio_displays(url: str, count: int) -> tuple[list, dict[str, list[float]], threading.Lock]:
    """COUNT python-socketio /display clients (WebSocket) in this process, recording when each
    ``ticket_called`` arrives (time.perf_counter(), by number, "R" appended for a recall)."""
    import socketio

    arrivals: dict[str, list[float]] = {}
    lock = threading.Lock()
    clients = []
    for _ in range(count):
        c = socketio.Client(reconnection=False)

        def on_called(data):
            now = time.perf_counter()
            with lock:
                arrivals.setdefault(data["number"] + ("R" if data["recall"] else ""), []).append(now)

        c.on("ticket_called", on_called, namespace="/display")
        c.connect(url, namespaces=["/display"], transports=["websocket"])
        clients.append(c)
    time.sleep(1.0)
    return clients, arrivals, lock


def slowest_screen_latency(url: str, officer_token: str, kiosk_token: str, calls: int,
                           arrivals: dict[str, list[float]], lock: threading.Lock, screens: int) -> list[float]:
    """Issue CALLS tickets, then call them one by one at counter 6 (the officer's): for each call, ms from
    the call-next response to its ``ticket_called`` at the slowest of SCREENS clients (inf if one missed it).
    ARRIVALS/LOCK are those of ``socketio_displays``."""
    s = requests.Session()
    officer = {"Authorization": f"Bearer {officer_token}"}
    for _ in range(calls):
        s.post(url + "/api/v1/tickets", json={"service": "LD"}, headers={"Authorization": f"Bearer {kiosk_token}"})
    latencies: list[float] = []
    for _ in range(calls):
        r = s.post(url + "/api/v1/counters/6/next", json={"finish_current": True}, headers=officer)
        t0 = time.perf_counter()
        number = r.json()["ticket"]["number"]
        s.post(url + "/api/v1/counters/6/start", headers=officer)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            with lock:
                if len(arrivals.get(number, [])) == screens:
                    break
            time.sleep(0.0005)
        with lock:
            got = list(arrivals.get(number, []))
        latencies.append((max(got) - t0) * 1000 if len(got) == screens else float("inf"))
    return latencies
