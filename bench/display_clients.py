"""A load generator for the benches: COUNT Socket.IO /display clients as greenlets in one process.

    python bench/display_clients.py URL COUNT

Prints "ready N" once N clients are connected, then records when each `ticket_called` arrives
(time.monotonic(), comparable across processes on one machine) until a line arrives on stdin, and
prints the arrivals as one JSON object {number: [times]}.
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import socketio  # noqa: E402


def main(url: str, count: int) -> None:
    arrivals: dict[str, list[float]] = {}
    clients = []

    def connect_one() -> None:
        c = socketio.Client(reconnection=False)

        def on_called(data):
            arrivals.setdefault(data["number"] + ("R" if data["recall"] else ""), []).append(time.monotonic())

        c.on("ticket_called", on_called, namespace="/display")
        for attempt in range(5):
            try:
                c.connect(url, namespaces=["/display"], transports=["websocket"], wait_timeout=30)
                clients.append(c)
                return
            except Exception:
                gevent.sleep(0.5 * (attempt + 1))

    gevent.joinall([gevent.spawn(connect_one) for _ in range(count)])
    print(f"ready {len(clients)}", flush=True)
    gevent.get_hub().threadpool.apply(sys.stdin.readline)
    print(json.dumps(arrivals), flush=True)
    os._exit(0)  # the server sees the sockets close; a polite disconnect of each client adds nothing here


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
