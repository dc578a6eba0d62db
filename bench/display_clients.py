"""A load generator for the benches: COUNT hall screens on `/display`, as greenlets in one process.

    python bench/display_clients.py URL COUNT

Each screen speaks the real protocols over its own TCP connection: a WebSocket upgrade (RFC 6455,
masked client frames), Engine.IO 4 (answers every ping with a pong) and Socket.IO 5 (connects to the
`/display` namespace). It reads every message the server pushes but decodes only `ticket_called`: a
full client library per screen costs more CPU than the server's work for it, and on a 2-core machine
that would measure the clients. Prints "ready N" once N screens are connected, then records when each
`ticket_called` arrives (time.monotonic(), comparable across processes on one machine) until a line
arrives on stdin, and prints the arrivals as one JSON object {number: [times]}.
"""
from gevent import monkey

monkey.patch_all()

import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402

CALLED = b'42/display,["ticket_called",'


def _frame(text: bytes) -> bytes:
    """A masked client text frame."""
    mask = os.urandom(4)
    n = len(text)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(text))


class Screen:
    def __init__(self, host: str, port: int, arrivals: dict[str, list[float]]) -> None:
        self.host, self.port, self.arrivals = host, port, arrivals
        self.sock: socket.socket | None = None
        self.buf = b""

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _message(self) -> tuple[int, bytes]:
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return b0 & 0x0F, self._read(n)

    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("no upgrade")
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
        opcode, data = self._message()
        if not data.startswith(b"0"):
            raise ConnectionError("no Engine.IO open packet")
        self.sock.sendall(_frame(b"40/display,"))
        while True:
            opcode, data = self._message()
            if data.startswith(b"40/display,"):
                break
            if data.startswith(b"44/display,"):
                raise ConnectionError(data.decode())
        self.sock.settimeout(None)

    def run(self) -> None:
        while True:
            opcode, data = self._message()
            if opcode == 8:
                return
            if data == b"2":
                self.sock.sendall(_frame(b"3"))
            elif data.startswith(CALLED):
                now = time.monotonic()
                payload = json.loads(data[len(CALLED):-1])
                key = payload["number"] + ("R" if payload["recall"] else "")
                self.arrivals.setdefault(key, []).append(now)


def main(url: str, count: int) -> None:
    parts = urlsplit(url)
    arrivals: dict[str, list[float]] = {}
    ready: list[Screen] = []

    def one() -> None:
        screen = Screen(parts.hostname, parts.port, arrivals)
        for attempt in range(5):
            try:
                screen.connect()
                break
            except (OSError, ConnectionError):
                gevent.sleep(0.5 * (attempt + 1))
        else:
            return
        ready.append(screen)
        try:
            screen.run()
        except (OSError, ConnectionError):
            pass

    jobs = [gevent.spawn(one) for _ in range(count)]
    deadline = time.monotonic() + 120
    while len(ready) + sum(j.dead for j in jobs) < count and time.monotonic() < deadline:
        gevent.sleep(0.05)
    print(f"ready {len(ready)}", flush=True)
    gevent.get_hub().threadpool.apply(sys.stdin.readline)
    print(json.dumps(arrivals), flush=True)
    os._exit(0)  # the server sees the sockets close


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
