"""The data directory's lock: held by ``kiosk serve`` for as long as it runs, and by ``kiosk restore``.

An exclusive ``flock`` on ``DATA_DIR/kiosk.lock``: the kernel drops it when the holder's process ends,
however it ends (SIGKILL, power loss), so there is never a stale lock to clear by hand. The file holds the
holder's pid and purpose, for the message of whoever is refused. The descriptor is not inherited by child
processes (vision workers are started with exec and close_fds), so a worker never keeps it.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = "kiosk.lock"


class DataDirBusy(RuntimeError):
    """Another process (a running service, or a restore) holds the data dir."""


class DataDirLock:
    def __init__(self, data_dir: Path, purpose: str = "serve") -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self.purpose = purpose
        self._fd: int | None = None

    def acquire(self) -> DataDirLock:
        """Take the lock now or raise DataDirBusy (never waits)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise DataDirBusy(_busy_message(self.path.parent, holder)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self.purpose}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode(errors="replace").strip()
    except OSError:
        return ""


def _busy_message(data_dir: Path, holder: str) -> str:
    pid, _, purpose = holder.partition(" ")
    who = {"serve": "the service (kiosk serve)", "restore": "a restore"}.get(purpose, "another kiosk process")
    pid_text = f" (pid {pid})" if pid.isdigit() else ""
    return (f"The data directory {data_dir} is in use by {who}{pid_text}. Stop it first "
            f"(systemctl stop kiosk), then try again.")


@contextlib.contextmanager
def hold_data_dir(data_dir: Path, purpose: str) -> Iterator[DataDirLock]:
    lock = DataDirLock(data_dir, purpose).acquire()
    try:
        yield lock
    finally:
        lock.release()
