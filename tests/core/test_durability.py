"""SIGKILL during a burst of ticket issues loses no acknowledged ticket; numbering never repeats."""
from __future__ import annotations

import sqlite3
import threading
import time

import requests
from server_process import ServerProcess, create_token


def test_sigkill_mid_burst_loses_no_acknowledged_ticket(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    server = ServerProcess(data).start()
    token = create_token(data, "kiosk")
    headers = {"Authorization": f"Bearer {token}"}
    acked: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()

    def burst() -> None:
        session = requests.Session()
        while not stop.is_set():
            try:
                r = session.post(server.url + "/api/v1/tickets", json={"service": "CT"}, headers=headers, timeout=5)
            except requests.RequestException:
                return  # the server is gone
            if r.status_code == 201:
                with lock:
                    acked.append(r.json())

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) >= 60

    conn = sqlite3.connect(data / "kiosk.db")
    stored = {row[0]: row[1] for row in conn.execute("SELECT id, number FROM tickets")}
    issued_events = {row[0] for row in conn.execute("SELECT ticket_id FROM events WHERE type = 'ticket_issued'")}
    conn.close()
    for ticket in acked:
        assert stored.get(ticket["id"]) == ticket["number"], f"acknowledged ticket {ticket['number']} lost"
        assert ticket["id"] in issued_events

    server = ServerProcess(data, demo=False).start()
    try:
        r = requests.post(server.url + "/api/v1/tickets", json={"service": "CT"}, headers=headers, timeout=5)
        assert r.status_code == 201
        new_number = r.json()["number"]
        assert new_number not in stored.values()
        assert int(new_number[1:]) == max(int(n[1:]) for n in stored.values()) + 1
    finally:
        server.stop()
