"""The daily automatic backup inside ``kiosk serve``, with rotation (settings: kiosk.config.backup).

A backup is due when none was made since the latest scheduled moment (today's ``at`` once it has passed,
else yesterday's): so it is made at ``at`` each day, and a day the PC was off at that time is made up
soon after the next start. The backups already in the folder say when the last one was (their names carry
the local time, ``kiosk-YYYYMMDD-HHMMSS.db``), so a restart neither repeats nor forgets one. After each
backup, those of days more than ``keep_days`` back are removed (one a day: the last ``keep_days`` stay);
the newest is always kept, and files of other names (a backup made by hand into the same folder) are
never touched.

A failure (a full disk, a folder that went away) is logged as a warning and kept for ``/healthz``'s
``backup`` check and the ``kiosk_backup_*`` metrics; it never stops the service, and the next tick tries
again. The copy runs on a real thread (kiosk.runtime.blocking) with its own connection, so the event loop
and the writers go on meanwhile (kiosk.store.backup).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.config.backup import BackupSettings
from kiosk.runtime.blocking import run_blocking
from kiosk.store.backup import BackupError, backup_database

log = logging.getLogger(__name__)

NAME = re.compile(r"^kiosk-(\d{8}-\d{6})\.db$")
TICK_S = 60.0  # how often "is one due?" is asked
FIRST_TICK_S = 600.0  # not in the first minutes after a start: a morning start stays quick


def backup_name(at: datetime) -> str:
    return f"kiosk-{at:%Y%m%d-%H%M%S}.db"


def backups_in(folder: Path, tz: Any) -> list[tuple[datetime, Path]]:
    """The automatic backups in ``folder``, oldest first, with the local time in their names."""
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        match = NAME.match(path.name)
        if match and path.is_file():
            try:
                found.append((datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=tz), path))
            except ValueError:
                continue
    return sorted(found)


def latest_scheduled(now: datetime, minute_of_day: int) -> datetime:
    """The latest moment at or before ``now`` at which a daily backup was scheduled."""
    today = now.replace(hour=minute_of_day // 60, minute=minute_of_day % 60, second=0, microsecond=0)
    return today if now >= today else today - timedelta(days=1)


def is_due(now: datetime, last: datetime | None, minute_of_day: int) -> bool:
    return last is None or last < latest_scheduled(now, minute_of_day)


def to_remove(backups: list[tuple[datetime, Path]], now: datetime, keep_days: int) -> list[Path]:
    """Backups of days more than ``keep_days`` back, counting today (never the newest one): one a day and
    ``keep_days = 14`` keeps the last 14, whatever the minute each was made."""
    oldest_kept = now.date() - timedelta(days=keep_days - 1)
    return [path for at, path in backups[:-1] if at.date() < oldest_kept]


@dataclass
class DailyBackup:
    """Made once a day by a RepeatingTask that calls ``tick``."""

    settings: BackupSettings
    db_path: Path
    folder: Path
    tz: Any
    now: Callable[[], float] = time.time
    stopping: Callable[[], bool] = lambda: False
    last_ok_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    failures: int = 0
    made: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        existing = backups_in(self.folder, self.tz)
        if existing:
            self.last_ok_at = existing[-1][0].timestamp()

    def _local_now(self) -> datetime:
        return datetime.fromtimestamp(self.now(), self.tz)

    def tick(self) -> Path | None:
        """Make today's backup if it is due (and rotate); returns the new file, or None."""
        if not self.settings.enabled:
            return None
        existing = backups_in(self.folder, self.tz)
        last = existing[-1][0] if existing else None
        if not is_due(self._local_now(), last, self.settings.minute_of_day()):
            return None
        return self.run_once()

    def run_once(self) -> Path | None:
        """One backup now, then rotation; a failure is logged and kept, never raised."""
        at = self._local_now()
        out = self.folder / backup_name(at)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            result = run_blocking(backup_database, self.db_path, out, self.stopping)
        except (BackupError, OSError) as exc:
            why = str(exc) if isinstance(exc, BackupError) else (exc.strerror or str(exc))
            with self._lock:
                self.failures += 1
                self.last_error, self.last_error_at = why, self.now()
            log.warning("daily backup into %s failed: %s", self.folder, why)
            return None
        with self._lock:
            self.made += 1
            self.last_ok_at, self.last_error, self.last_error_at = at.timestamp(), None, None
        log.info("daily backup written: %s (%.1f MB in %.1f s)", out, result.bytes / 1e6, result.seconds)
        self.rotate()
        return out

    def rotate(self) -> list[Path]:
        removed = []
        for path in to_remove(backups_in(self.folder, self.tz), self._local_now(), self.settings.keep_days):
            try:
                path.unlink()
                removed.append(path)
            except OSError as exc:
                log.warning("cannot remove the old backup %s: %s", path, exc.strerror or exc)
        if removed:
            log.info("removed %d backups older than %d days", len(removed), self.settings.keep_days)
        return removed

    def status(self) -> dict[str, Any]:
        """``/healthz``'s ``backup`` check: informs, never fails the health (a missed backup is no outage)."""
        with self._lock:
            last_ok, error, error_at = self.last_ok_at, self.last_error, self.last_error_at
        age = None if last_ok is None else round(max(0.0, self.now() - last_ok), 1)
        return {"enabled": self.settings.enabled, "dir": str(self.folder), "last_at": last_ok, "age_s": age,
                "keep_days": self.settings.keep_days, "at": self.settings.at, "last_error": error,
                "last_error_at": error_at}
