"""Start the real `kiosk serve` (gevent) in its own process group for tests and benches."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

KIOSK = Path(sys.executable).with_name("kiosk")
ROOT = Path(__file__).resolve().parent.parent


def checkout_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a `kiosk` subprocess that runs this checkout's code (benches use it too)."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **(extra or {})}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, data_dir: Path, port: int | None = None, demo: bool = True,
                 env: dict[str, str] | None = None, extra_args: list[str] | None = None,
                 ca: Path | None = None) -> None:
        self.data_dir, self.port, self.demo = data_dir, port or free_port(), demo
        self.extra_args = list(extra_args or [])  # e.g. ["--config", FILE]
        self.env = checkout_env(env)
        self.proc: subprocess.Popen | None = None
        # with ``ca`` (the centre CA's certificate) the server is expected to serve HTTPS, trusted through it
        self.verify: str | bool = str(ca) if ca else True
        self.url = f"{'https' if ca else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> ServerProcess:
        args = [str(KIOSK), "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        if self.demo:
            args.append("--demo")
        args += self.extra_args
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if requests.get(self.url + "/healthz", timeout=1, verify=self.verify).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s; see {self.log.name}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown of any kind."""
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


def create_token(data_dir: Path, role: str, counter: int | None = None) -> str:
    args = [str(KIOSK), "token", "create", "--role", role, "--data-dir", str(data_dir)]
    if counter is not None:
        args += ["--counter", str(counter)]
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=checkout_env()).stdout
    return out.strip()
