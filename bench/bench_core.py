"""Core service figures on this machine, against the real server (gevent, SQLite FULL sync).

1. tickets issued per second through the HTTP API (8 client threads, keep-alive)
2. p50/p99 time from a call-next HTTP response to the `ticket_called` event, at 50 connected
   /display clients (WebSocket transport)

Targets: >= 300 tickets/s; p99 <= 50 ms.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from server_process import ServerProcess, create_token  # noqa: E402
from shared_setup import (  # noqa: E402
    issue_rate,
    lift_daily_limits,
    seeded_data_dir,
    slowest_screen_latency,
    socketio_displays,
)

ISSUE_SECONDS = 5.0
CLIENTS = 8
DISPLAYS = 50
CALLS = 200


def call_latency(url: str, officer_token: str, kiosk_token: str) -> list[float]:
    clients, arrivals, lock = socketio_displays(url, DISPLAYS)
    latencies = slowest_screen_latency(url, officer_token, kiosk_token, CALLS, arrivals, lock, DISPLAYS)
    for c in clients:
        c.disconnect()
    return latencies


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # The core alone, as issue 2 measures it: the demo centre without simulated devices
        # (printing and voice are measured by bench_call_fanout.py).
        data = seeded_data_dir(Path(tmp))
        server = ServerProcess(data, demo=False).start()
        try:
            kiosk = create_token(data, "kiosk")
            lift_daily_limits(server.url, create_token(data, "admin"))
            officer = create_token(data, "officer", counter=6)
            rate, _, errors = issue_rate(server.url, kiosk, ISSUE_SECONDS, CLIENTS)
            print(f"tickets issued through HTTP: {rate:.0f} tickets/s ({CLIENTS} clients, {ISSUE_SECONDS:.0f} s, "
                  f"{errors} refused) — target >= 300")
            lat = sorted(call_latency(server.url, officer, kiosk))
            p50 = statistics.median(lat)
            p99 = lat[int(len(lat) * 0.99) - 1]
            print(f"call-next response -> ticket_called at all {DISPLAYS} /display clients: p50 {p50:.1f} ms, "
                  f"p99 {p99:.1f} ms, max {lat[-1]:.1f} ms over {CALLS} calls — target p99 <= 50 ms")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
