"""A consistent copy of the database taken while the service runs, and putting one back.

``backup_database`` uses SQLite's online backup API in steps of ``STEP_PAGES`` pages, inside one read
transaction held on the source: in WAL mode a reader never blocks the service's writers, and the held
snapshot means a write between two steps neither restarts the copy nor slips into it (the copy is the
database exactly as of the moment the read began). The copy is written to a temporary file beside the
output, set to a standalone journal mode, checked with ``PRAGMA integrity_check``, fsynced and renamed
over the output: a reader of FILE sees the old file or the whole new one, never half of one.

The key file is not in the database (kiosk.citizens.keyfile), so not in the copy; personal data inside it
is sealed under that key, so the copy is as safe as the database itself, and useless without the key.

``restore_database`` (``kiosk restore``) is refused while a service holds the data dir's lock
(kiosk.store.lock), checks the file (a SQLite database, sound, a kiosk schema not newer than this program,
a key in the data dir that opens its sealed data), keeps the replaced database aside as
``kiosk.db.before-restore-TIMESTAMP`` and puts the copy in place; migrations run at the next start.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.store.db import DB_FILE

STEP_PAGES = 1024  # 4 MiB a step with 4 KiB pages: each step a few ms, so a stop is noticed at once
MARK_RESTORED = "restored_from_backup"  # a settings row in a restored database: when and from what


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    pages: int
    max_event_id: int
    schema_version: int
    seconds: float


def _fsync(path: Path | str, flags: int = os.O_RDONLY) -> None:
    """Flush a file (or a folder: its entries) to the disk."""
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync(path)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return str(exc)


def _schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def _max_event_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])


def copy_checked(source: sqlite3.Connection, out: Path, stopping: Callable[[], bool] | None = None,
                 pages: int = STEP_PAGES) -> tuple[int, int]:
    """Copy the open ``source`` (its read transaction already begun) to ``out`` atomically; returns
    (pages, bytes). Raises BackupError; on any failure nothing is left at ``out`` nor beside it."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    copied = 0

    def progress(status: int, remaining: int, total: int) -> None:
        nonlocal copied
        copied = total
        if stopping is not None and stopping():
            raise BackupError("the backup was stopped (the service is stopping)")

    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        dest = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            source.backup(dest, pages=pages, progress=progress, sleep=0.0)
            # the copy carries the source's WAL flag: make it a file that stands alone
            dest.execute("PRAGMA journal_mode = DELETE")
            rows = [r[0] for r in dest.execute("PRAGMA integrity_check(5)")]
            if rows != ["ok"]:
                raise BackupError(f"the copy failed its integrity check ({'; '.join(map(str, rows))})")
            copied = copied or dest.execute("PRAGMA page_count").fetchone()[0]
        finally:
            dest.close()
        _fsync(tmp, os.O_RDWR)
        os.replace(tmp, out)
        _fsync_dir(out.parent)
        return copied, out.stat().st_size
    except BackupError:
        _discard(tmp)
        raise
    except (OSError, sqlite3.Error) as exc:
        _discard(tmp)
        raise BackupError(f"cannot write the backup {out}: {_why(exc)}") from None


def _discard(tmp: Path) -> None:
    for path in (tmp, tmp.with_name(tmp.name + "-journal")):
        with contextlib.suppress(OSError):
            path.unlink()


def backup_database(db_path: Path, out: Path, stopping: Callable[[], bool] | None = None) -> BackupResult:
    """A consistent, verified copy of the database at ``db_path`` in ``out`` (see the module doc)."""
    db_path, out = Path(db_path), Path(out)
    started = time.monotonic()
    if not db_path.is_file():
        raise BackupError(f"there is no database at {db_path} (is --data-dir right?)")
    if out.exists() and out.is_dir():
        raise BackupError(f"{out} is a folder: give the backup's file name (--out DIR/kiosk-backup.db)")
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise BackupError(f"the folder {out.parent} is not writable by this user")
    try:
        source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open the database {db_path}: {exc}") from None
    try:
        source.execute("PRAGMA busy_timeout = 30000")
        source.execute("BEGIN")  # one snapshot for every step (module doc)
        version, max_event = _schema_version(source), _max_event_id(source)
        pages, size = copy_checked(source, out, stopping)
        source.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot read the database {db_path}: {exc}") from None
    finally:
        source.close()
    return BackupResult(out, size, pages, max_event, version, time.monotonic() - started)


def inspect_backup(path: Path) -> sqlite3.Connection:
    """The backup file opened read-only after its checks (a sound kiosk database of a schema this program
    knows); raises BackupError saying what it is instead."""
    from kiosk.store.migrations import MIGRATIONS

    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head != b"SQLite format 3\x00":
        raise BackupError(f"{path} is not a SQLite database (not a kiosk backup)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
        if rows != ["ok"]:
            raise BackupError(f"{path} is damaged ({'; '.join(map(str, rows))}); take another backup")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"schema_migrations", "events", "tickets", "settings"} <= tables:
            raise BackupError(f"{path} is a SQLite database but not a kiosk database")
        version, known = _schema_version(conn), max(v for v, _, _ in MIGRATIONS)
        if version > known:
            raise BackupError(f"{path} has schema version {version}, newer than this program ({known}): "
                              f"it was taken by a later version; upgrade the program first, then restore")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BackupError(f"{path} cannot be read as a database ({exc})") from None
    except BaseException:
        conn.close()
        raise
    return conn


def restore_database(backup: Path, data_dir: Path, key_path: Path,
                     now: Callable[[], float] = time.time) -> dict[str, object]:
    """Put ``backup`` back as the data dir's database (see the module doc); returns what was done.
    Raises BackupError, or kiosk.store.lock.DataDirBusy while a service runs on ``data_dir``."""
    from kiosk.citizens.keyfile import KeyProblem, check_key_fits
    from kiosk.store.lock import hold_data_dir

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise BackupError(f"the data directory {data_dir} does not exist")
    with hold_data_dir(data_dir, purpose="restore"):  # no service starts meanwhile
        source = inspect_backup(backup)
        try:
            try:
                check_key_fits(key_path, source, backup)
            except KeyProblem as exc:
                raise BackupError(str(exc)) from None
            except sqlite3.Error as exc:  # a backup of a schema too old to hold citizens' tables
                raise BackupError(f"{backup} cannot be checked against the key file ({exc})") from None
            source.execute("BEGIN")
            max_event, version = _max_event_id(source), _schema_version(source)
            db = data_dir / DB_FILE
            stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now()))
            incoming = data_dir / f".{DB_FILE}.restoring"
            copy_checked(source, incoming)
            source.execute("COMMIT")
        finally:
            source.close()
        _mark_restored(incoming, Path(backup), now())
        _same_owner(incoming, db if db.exists() else data_dir)
        kept = None
        if db.exists():
            kept = data_dir / f"{DB_FILE}.before-restore-{stamp}"
            try:
                # the old file and its WAL keep their pairing under the new name: nothing of it is lost
                os.replace(db, kept)
                wal = db.with_name(DB_FILE + "-wal")
                if wal.exists() and wal.stat().st_size:
                    os.replace(wal, kept.with_name(kept.name + "-wal"))
                with contextlib.suppress(FileNotFoundError):
                    wal.unlink()  # empty: nothing in it
                with contextlib.suppress(FileNotFoundError):
                    db.with_name(DB_FILE + "-shm").unlink()
            except OSError as exc:
                _discard(incoming)
                raise BackupError(f"cannot move the current database aside: {_why(exc)}") from None
        os.replace(incoming, db)
        _fsync_dir(data_dir)
    return {"restored": str(db), "kept": str(kept) if kept else None, "max_event_id": max_event,
            "schema_version": version}


def _mark_restored(path: Path, backup: Path, at: float) -> None:
    """Record in the restored database when it was put back and from which file (a centre restored from a
    backup must be recognisable, e.g. by the city's shipping)."""
    import json

    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                     "value = excluded.value", [MARK_RESTORED, json.dumps({"at": at, "file": backup.name})])
    finally:
        conn.close()
    _fsync(path, os.O_RDWR)


def _same_owner(path: Path, like: Path) -> None:
    """Give the restored file the owner and mode of the database it replaces (or of the data dir): a restore
    run as root must not leave a file the service's user cannot write."""
    try:
        st = like.stat()
        if os.geteuid() == 0:
            os.chown(path, st.st_uid, st.st_gid)
        os.chmod(path, (st.st_mode & 0o666) if like.is_file() else 0o600)
    except OSError:
        pass  # not root, or another filesystem: the file keeps this user's owner and umask
