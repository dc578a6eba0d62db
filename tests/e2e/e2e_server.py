"""The real service (`kiosk serve --demo`, gunicorn) in its own process group, with known logins.

The store is seeded in this process first (kiosk.demo.seed_demo returns the demo passwords), so the
server's own --demo seeding finds it full and only opens the counters; the tests then know every login.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from kiosk import accounts
from kiosk.demo import seed_demo
from kiosk.store import open_store

SERVE = [sys.executable, "-c", "from kiosk.cli import main; main()", "serve", "--demo"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """One centre on 127.0.0.1:PORT; start(), kill() (SIGKILL, like a crash), restart()."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        store = open_store(data_dir)
        try:
            self.logins = seed_demo(store) or {}
            with store.transaction() as conn:
                self.tokens = {
                    "admin": accounts.create_token(conn, "admin", label="e2e admin"),
                    **{f"officer{n}": accounts.create_token(conn, "officer", counter=n, label=f"e2e {n}")
                       for n in range(1, 7)},
                }
        finally:
            store.close()

    def start(self, timeout: float = 30) -> LiveServer:
        log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            [*SERVE, "--data-dir", str(self.data_dir), "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            # the demo camera's session overlay would cover the tiles these tests click
            env={**os.environ, "KIOSK_VISION_ENABLED": "0"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kiosk serve exited with {self.proc.returncode}; see {log.name}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"kiosk serve did not answer within {timeout}s; see {log.name}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, sockets just drop."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def api(self, method: str, path: str, token: str, body: dict | None = None) -> requests.Response:
        """Call /api/v1 with a bearer token."""
        return requests.request(method, self.url + "/api/v1" + path, json=body, timeout=5,
                                headers={"Authorization": f"Bearer {token}"})

    def issue(self, service: str, priority: str = "normal") -> dict:
        r = self.api("POST", "/tickets", self.logins["kiosk-token"], {"service": service, "priority": priority})
        r.raise_for_status()
        return r.json()
