"""Is the store sound and writable? Checked before the service starts, then by ``/healthz``.

Two checks: a **write probe** (one small durable transaction: a read-only data dir, a full disk or a
file the service may not write fails it) and SQLite's ``PRAGMA quick_check`` (the b-trees and pages of
the file: bytes overwritten in the middle of ``kiosk.db`` fail it). The probe is cheap and runs on every
``/healthz``; quick_check reads the whole file (about a second per few hundred MB), so it runs at start
and then every ``QUICK_CHECK_EVERY_S`` in the background, and ``/healthz`` reports its last answer.

A store that fails at start is refused with ``StoreUnusable``: one paragraph saying what is wrong and what
to do (restore from a backup, free space, fix permissions), never a traceback.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.store.db import DB_FILE, Store, open_store

log = logging.getLogger(__name__)

QUICK_CHECK_EVERY_S = 6 * 3600
PROBE_KEY = "health_probe"


class StoreUnusable(RuntimeError):
    """The data directory's database cannot be used; the message says what to do."""


def _restore_hint(data_dir: Path) -> str:
    return (f"Restore it from the latest backup (kiosk restore FILE --data-dir {data_dir}) or move it "
            f"away to start an empty centre; the citizens' key file stays where it is.")


def open_checked(data_dir: Path) -> Store:
    """``open_store`` (create or migrate), then both checks; raises StoreUnusable with a clear message."""
    data_dir = Path(data_dir)
    path = data_dir / DB_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnusable(f"The data directory {data_dir} cannot be created: {exc.strerror or exc}.") from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise StoreUnusable(f"The data directory {data_dir} is not writable by this user: the service keeps "
                            f"every ticket there. Give it back write permission (chown/chmod) and start again.")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreUnusable(f"The database {path} is not readable and writable by this user. "
                            f"Fix its owner or mode and start again.")
    try:
        store = open_store(data_dir)
    except sqlite3.DatabaseError as exc:
        raise StoreUnusable(f"The database {path} cannot be opened ({exc}): it is damaged or not a kiosk "
                            f"database. {_restore_hint(data_dir)}") from None
    problems = StoreHealth(store).check(quick=True)
    if problems:
        store.close()
        raise StoreUnusable(f"The database {path} failed its checks: {'; '.join(problems)}. "
                            f"{_restore_hint(data_dir)}")
    return store


@dataclass
class StoreHealth:
    """The checks of one store, and the last answer of the slow one."""

    store: Store
    clock: object = time.time
    quick_problem: str | None = None
    quick_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def probe_write(self) -> str | None:
        """One durable write; None when it went through, else what failed."""
        try:
            self.store.write(lambda conn: conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [PROBE_KEY, repr(time.time())]))
        except sqlite3.Error as exc:
            return f"the database cannot be written ({exc})"
        except OSError as exc:
            return f"the database cannot be written ({exc.strerror or exc})"
        return None

    def quick_check(self) -> str | None:
        """``PRAGMA quick_check`` now; None when the file is sound. The answer is kept for ``status``."""
        try:
            rows = [r[0] for r in self.store.conn().execute("PRAGMA quick_check(5)")]
            problem = None if rows == ["ok"] else "the file is damaged (" + "; ".join(map(str, rows)) + ")"
        except sqlite3.DatabaseError as exc:
            problem = f"the file is damaged ({exc})"
        with self._lock:
            self.quick_problem, self.quick_at = problem, self.clock()
        if problem:
            log.error("store check: %s", problem)
        return problem

    def check(self, quick: bool = False) -> list[str]:
        """The problems found now (the write probe, and quick_check when ``quick``)."""
        found = [p for p in (self.quick_check() if quick else self.last_quick(), self.probe_write()) if p]
        return found

    def last_quick(self) -> str | None:
        with self._lock:
            return self.quick_problem

    def status(self) -> dict[str, object]:
        """``/healthz``'s body: the write probe now, quick_check's last answer."""
        write = self.probe_write()
        with self._lock:
            quick, quick_at = self.quick_problem, self.quick_at
        problems = [p for p in (write, quick) if p]
        return {"ok": not problems, "problems": problems,
                "checks": {"write": write is None, "quick_check": quick is None, "quick_check_at": quick_at}}
