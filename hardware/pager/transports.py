"""The simulator's end of the wire: a pseudo-terminal (with a stable symlink, like udev gives the real
base station) or a TCP listener for ``socket://`` URLs. Both can be closed ("unplugged") and reopened.
"""
from __future__ import annotations

import errno
import os
import socket
import tempfile
import tty
from pathlib import Path


class PtyEnd:
    """The master side of a fresh pty per plug-in; ``url`` is a symlink to the current slave."""

    def __init__(self, link_path: str | os.PathLike[str] | None = None) -> None:
        if link_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="pager-sim-")
            link_path = os.path.join(self._tmpdir, "kiosk-pager")
        else:
            self._tmpdir = None
        self.link = Path(link_path)
        self.master: int | None = None
        self.slave: int | None = None

    @property
    def url(self) -> str:
        """What the driver opens: the symlink path."""
        return str(self.link)

    def open(self) -> None:
        """Plug in: create a pty in raw mode and point the symlink at its slave."""
        master, slave = os.openpty()
        # Raw mode at once: a cooked pty would echo our own frames back to us before the driver opens it.
        tty.setraw(slave)
        os.set_blocking(master, False)
        self.master, self.slave = master, slave
        tmp = self.link.with_name(self.link.name + ".new")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self.link)

    def close(self) -> None:
        """Unplug: remove the symlink and close both ends (the driver's reads then fail with EIO)."""
        if self.link.is_symlink():
            self.link.unlink()
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

    def read_fds(self) -> list[int]:
        return [self.master] if self.master is not None else []

    def readable(self, fd: int) -> bytes:
        """Read what is waiting; returns b"" when nothing is (the pty stays ours even if the peer closed)."""
        try:
            return os.read(fd, 4096)
        except BlockingIOError:
            return b""
        except OSError as exc:
            if exc.errno == errno.EIO:
                return b""
            raise

    def write(self, data: bytes) -> None:
        """Write all of ``data`` or drop the rest when nobody drains the pty (like a UART with no host)."""
        if self.master is None:
            return
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.master, view)
            except BlockingIOError:
                return
            view = view[written:]

    def dispose(self) -> None:
        """Close and remove the temporary folder of the symlink."""
        self.close()
        if self._tmpdir is not None:
            try:
                os.rmdir(self._tmpdir)
            except OSError:
                pass


class TcpEnd:
    """A TCP listener for one client at a time; unplugged means the port refuses connections."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.listener: socket.socket | None = None
        self.client: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    def open(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(1)
        self.port = listener.getsockname()[1]  # keep the same port across unplug and replug
        self.listener = listener

    def close(self) -> None:
        for sock in (self.client, self.listener):
            if sock is not None:
                sock.close()
        self.client = self.listener = None

    def read_fds(self) -> list[int]:
        return [sock.fileno() for sock in (self.listener, self.client) if sock is not None]

    def readable(self, fd: int) -> bytes:
        if self.listener is not None and fd == self.listener.fileno():
            client, _ = self.listener.accept()
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.client is not None:
                self.client.close()
            self.client = client
            return b""
        if self.client is None or fd != self.client.fileno():
            return b""
        try:
            data = self.client.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.client.close()
            self.client = None
        return data

    def write(self, data: bytes) -> None:
        if self.client is None:
            return
        try:
            self.client.sendall(data)
        except OSError:
            self.client.close()
            self.client = None

    def dispose(self) -> None:
        self.close()
