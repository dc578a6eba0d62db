"""Connections to the SQLite file: one per OS thread, writes serialised and durable.

Under gevent (``kiosk serve``) every greenlet of the server runs in one OS thread and shares that
thread's connection: a connection per greenlet would open one per client connection and never close it.
Sharing is safe because a transaction never yields to another greenlet (the engine runs plain SQL between
BEGIN IMMEDIATE and COMMIT and publishes its events after the commit), and writers queue on a
greenlet-aware lock.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from kiosk.store.migrations import migrate

DB_FILE = "kiosk.db"


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


def _os_thread_local() -> threading.local:
    """threading.local of the OS thread, also when gevent has made threading.local per greenlet."""
    try:
        from gevent import monkey
    except ImportError:
        return threading.local()
    if monkey.is_module_patched("threading"):
        return monkey.get_original("_thread", "_local")()
    return threading.local()


class Store:
    """The data directory's database, shared by the threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = _os_thread_local()
        self._write_lock = threading.RLock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()

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
        with self._write_lock:
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

    def close(self) -> None:
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
