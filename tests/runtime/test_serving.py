"""The real server (gevent) against clients that never speak, and an orderly stop in a burst.

A silent or half-open connection cannot take a slot the kiosks need and is closed after the header
deadline; SIGTERM in the middle of a burst of issues and calls exits 0 within 5 s, with every
acknowledged ticket stored, every issued kiosk ticket printed and every call paged.
"""
from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
import time

import pytest
import requests
from server_process import ServerProcess, create_token

from hardware.pager import PagerSimulator
from hardware.printer.simulator import PrinterSimulator

OFFICER_CARDS = {1: 1, 2: 2, 3: 3}


def _open(url: str, count: int, first_bytes: bytes) -> list[socket.socket]:
    host, port = url.removeprefix("http://").split(":")
    conns = []
    for _ in range(count):
        s = socket.create_connection((host, int(port)), timeout=5)
        if first_bytes:
            s.sendall(first_bytes)
        conns.append(s)
    return conns


def _closed_by_server(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        return s.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:
        return True  # reset: closed as well


def test_silent_and_half_open_clients_cannot_block_issue(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("[kiosk]\nheader_timeout_s = 2.0\n[vision]\nenabled = false\n")
    server = ServerProcess(data, extra_args=["--config", str(cfg)]).start()
    try:
        token = create_token(data, "kiosk")
        silent = _open(server.url, 300, b"")
        half = _open(server.url, 100, b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Len")
        session = requests.Session()
        started = time.monotonic()
        for _ in range(30):
            r = session.post(server.url + "/api/v1/tickets", json={"service": "HT"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=3)
            assert r.status_code == 201, r.text
        assert time.monotonic() - started < 10
        assert requests.get(server.url + "/healthz", timeout=3).ok
        # the header deadline closes every one of them (2 s here)
        assert all(_closed_by_server(s, 6) for s in half)
        assert all(_closed_by_server(s, 6) for s in silent)
        for s in silent + half:
            s.close()
    finally:
        server.stop()


@pytest.fixture
def sims():
    pager = PagerSimulator(cards=[*OFFICER_CARDS, *range(101, 111)]).start()
    printer = PrinterSimulator.pty().start()
    yield pager, printer
    pager.stop()
    printer.stop()


def test_sigterm_in_a_burst_exits_0_within_5s_with_everything_accepted_done(tmp_path, seeded_demo, sims):
    pager, printer = sims
    data = tmp_path / "data"
    shutil.copytree(seeded_demo[0], data)
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        "[vision]\nenabled = false\n"
        f"[pager]\nurl = \"{pager.url}\"\nofficer_cards = {{ 1 = 1, 2 = 2, 3 = 3 }}\ncitizen_cards = [101, 110]\n"
        f"[printer]\nurl = \"{printer.url}\"\npoll_s = 0.5\n"
        "[voice]\nrepeat = 1\n"
    )
    server = ServerProcess(data, demo=False, extra_args=["--config", str(cfg)]).start()
    kiosk = {"Authorization": f"Bearer {create_token(data, 'kiosk')}"}
    admin = {"Authorization": f"Bearer {create_token(data, 'admin')}"}
    for n in OFFICER_CARDS:
        assert requests.post(f"{server.url}/api/v1/counters/{n}/open", headers=admin, timeout=5).ok
    acked: list[dict] = []
    calls = 0
    stop = threading.Event()
    lock = threading.Lock()

    def issue() -> None:
        s = requests.Session()
        services = ["HT", "DD", "KD", "XD", "LD", "CT"]
        while not stop.is_set():
            try:
                r = s.post(server.url + "/api/v1/tickets", json={"service": services[len(acked) % 6]},
                           headers=kiosk, timeout=5)
            except requests.RequestException:
                return
            if r.status_code == 201:
                with lock:
                    acked.append(r.json())
            time.sleep(0.05)

    def call(counter: int) -> None:
        nonlocal calls
        s = requests.Session()
        while not stop.is_set():
            try:
                r = s.post(f"{server.url}/api/v1/counters/{counter}/next", json={"finish_current": True},
                           headers=admin, timeout=5)
                if r.status_code == 409:  # the called ticket must be started before the next call
                    s.post(f"{server.url}/api/v1/counters/{counter}/start", headers=admin, timeout=5)
                    continue
            except requests.RequestException:
                return
            if r.ok and r.json()["ticket"]:
                with lock:
                    calls += 1
            time.sleep(0.1)

    threads = [threading.Thread(target=issue)] + [threading.Thread(target=call, args=(n,)) for n in OFFICER_CARDS]
    for t in threads:
        t.start()
    time.sleep(2.5)
    sent = time.monotonic()
    server.proc.send_signal(15)
    rc = server.proc.wait(10)
    took = time.monotonic() - sent
    stop.set()
    for t in threads:
        t.join(10)
    assert rc == 0
    assert took <= 5.0, f"stop took {took:.1f} s"
    assert len(acked) >= 10 and calls >= 3

    conn = sqlite3.connect(data / "kiosk.db")
    stored = {row[0] for row in conn.execute("SELECT id FROM tickets WHERE channel = 'kiosk'")}
    called = conn.execute("SELECT COUNT(*) FROM events WHERE type = 'ticket_called' AND counter_number <= 3").fetchone()[0]
    conn.close()
    assert {t["id"] for t in acked} <= stored
    # every ticket issued at the kiosk was printed, every call paged to the officer's card, before the exit
    assert len(printer.jobs) == len(stored)
    assert sum(len(pager.pages(card)) for card in OFFICER_CARDS) == called


def test_a_taken_port_is_a_clear_error_not_a_traceback(tmp_path):
    import subprocess

    from server_process import KIOSK, checkout_env

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([str(KIOSK), "serve", "--demo", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
                           capture_output=True, text=True, timeout=60,
                           env=checkout_env({"KIOSK_VISION_ENABLED": "0"}))
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_a_closed_websocket_closes_its_connection_at_once(tmp_path):
    import os

    import socketio

    data = tmp_path / "data"
    data.mkdir()
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("[vision]\nenabled = false\n[devices]\nenabled = false\n")
    server = ServerProcess(data, extra_args=["--config", str(cfg)]).start()
    try:
        def fds() -> int:
            return len(os.listdir(f"/proc/{server.proc.pid}/fd"))

        before = fds()
        clients = []
        for _ in range(20):
            c = socketio.Client(reconnection=False)
            c.connect(server.url, namespaces=["/display"], transports=["websocket"])
            clients.append(c)
        assert fds() >= before + 20
        started = time.monotonic()
        for c in clients:
            c.disconnect()
        # the server closes first after the close handshake: no client waits out its own timeout
        assert time.monotonic() - started < 5.0
        deadline = time.monotonic() + 5
        while fds() > before + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert fds() <= before + 2
    finally:
        server.stop()
