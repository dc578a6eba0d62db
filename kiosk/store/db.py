"""Connections to the SQLite file: one per OS thread, writes serialised and durable.

Under gevent (``kiosk serve``) every greenlet of the server runs in one OS thread and shares that
thread's connection: a connection per greenlet would open one per client connection and never close it.
Sharing is safe because a transaction never yields to another greenlet (the engine runs plain SQL between
BEGIN IMMEDIATE and COMMIT and publishes its events after the commit), and writers queue on a
greenlet-aware lock.

``write(fn)`` (what the queue engine uses) runs one transaction on the store's own writer thread when the
server runs on gevent: the fsync of a durable COMMIT takes milliseconds, and in the event loop's thread
it would stop every connection for that long; meanwhile only the calling greenlet waits. Without gevent
it runs in the caller's thread like ``transaction()``.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from kiosk.store.migrations import migrate

DB_FILE = "kiosk.db"
T = TypeVar("T")


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a write transaction takes the
    # write lock up front and two counters can never read the same "next" ticket.
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an acknowledged ticket survives power loss, not only a killed process.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def _os_thread_local() -> threading.local:
    """threading.local of the OS thread, also when gevent has made threading.local per greenlet."""
    if _under_gevent():
        from gevent import monkey

        return monkey.get_original("_thread", "_local")()
    return threading.local()


def _os_thread_id() -> int:
    if _under_gevent():
        from gevent import monkey

        return monkey.get_original("_thread", "get_ident")()
    return threading.get_ident()


class Store:
    """The data directory's database, shared by the threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = _os_thread_local()
        self._write_lock = threading.RLock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._writer: Any = None  # gevent: a pool of one real thread that runs write()
        self._writer_thread: int | None = None
        if _under_gevent():
            from gevent.threadpool import ThreadPool

            self._writer = ThreadPool(1)

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (for reads, or inside `transaction`)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def db(self) -> sqlite_utils.Database:
        """This thread's connection wrapped by sqlite-utils."""
        return sqlite_utils.Database(self.conn())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all or nothing, one writer at a time."""
        if self._writer_thread is not None and _os_thread_id() == self._writer_thread:
            # inside write(fn) on the writer thread: the calling greenlet holds the lock for it
            with self._begin() as conn:
                yield conn
            return
        with self._write_lock, self._begin() as conn:
            yield conn

    @contextmanager
    def _begin(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn()
        if conn.in_transaction:  # nested: join the outer transaction
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(conn)`` in one write transaction, on the writer thread under gevent (see the module doc)."""
        if self._writer is None or self.conn().in_transaction:  # no gevent, or nested in a transaction
            with self.transaction() as conn:
                return fn(conn)
        with self._write_lock:
            return self._writer.apply(self._write_here, (fn,))

    def _write_here(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._writer_thread = _os_thread_id()
        with self._begin() as conn:
            return fn(conn)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.kill()  # no write is running: close() comes after every part stopped
            self._writer = None
        with self._all_lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = _os_thread_local()


def open_store(data_dir: Path) -> Store:
    """Open (and create or migrate) the store in a data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / DB_FILE)
    with store.transaction() as conn:
        migrate(sqlite_utils.Database(conn))
    return store
