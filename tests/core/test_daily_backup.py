"""The daily automatic backup: when it is due (a missed day made up), rotation keeps the last keep_days,
failures are reported without failing health, and [backup] is validated like every table."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from kiosk.app import create_app
from kiosk.config import Config, ConfigError
from kiosk.config.backup import BackupSettings
from kiosk.queue.clock import FakeClock, centre_timezone
from kiosk.runtime.backups import DailyBackup, backups_in, is_due
from kiosk.store import open_store

TZ = centre_timezone()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def test_due_once_a_day_after_the_hour_and_made_up_after_a_missed_day():
    at = 18 * 60
    assert is_due(_at(2, 9), None, at)  # never made: now
    assert not is_due(_at(2, 17, 59), _at(1, 18, 1), at)  # yesterday's made, today's not yet time
    assert is_due(_at(2, 18, 0), _at(1, 18, 1), at)
    assert not is_due(_at(2, 18, 5), _at(2, 18, 1), at)  # made today: not again
    assert not is_due(_at(3, 7, 30), _at(2, 18, 1), at)  # the next morning: yesterday's was made
    assert is_due(_at(3, 7, 30), _at(1, 18, 1), at)  # the PC was off at 18:00 yesterday: made up at start


def _daily(tmp_path, clock, **settings) -> DailyBackup:
    store = open_store(tmp_path / "data")
    with store.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('x', 'y')")
    store.close()
    return DailyBackup(BackupSettings(**settings), tmp_path / "data" / "kiosk.db", tmp_path / "backups", TZ,
                       now=clock.now)


def test_rotation_keeps_the_last_keep_days(tmp_path):
    clock = FakeClock(_at(1, 18, 0, ))
    daily = _daily(tmp_path, clock, keep_days=5)
    (tmp_path / "backups").mkdir()
    by_hand = tmp_path / "backups" / "before-upgrade.db"
    by_hand.write_bytes(b"x")
    made = []
    for day in range(20):
        clock.set(_at(1, 18, 0) + timedelta(days=day, seconds=37 * day))
        out = daily.tick()
        assert out is not None and out.exists()
        assert daily.tick() is None  # once a day
        made.append(out)
        conn = sqlite3.connect(out)
        assert conn.execute("SELECT value FROM settings WHERE key = 'x'").fetchone() == ("y",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        conn.close()
    kept = [path for _, path in backups_in(tmp_path / "backups", TZ)]
    assert kept == made[-5:]
    assert by_hand.exists()  # not one of ours: never removed
    assert daily.made == 20 and daily.failures == 0
    # a long holiday: the newest is kept even when it is older than keep_days
    clock.advance(30 * 86400)
    daily.rotate()
    assert [p for _, p in backups_in(tmp_path / "backups", TZ)] == made[-1:]


def test_a_restart_does_not_repeat_todays_backup(tmp_path):
    clock = FakeClock(_at(4, 18, 30))
    assert _daily(tmp_path, clock).tick() is not None
    again = DailyBackup(BackupSettings(), tmp_path / "data" / "kiosk.db", tmp_path / "backups", TZ, now=clock.now)
    assert again.status()["last_at"] == pytest.approx(clock.now(), abs=1)
    assert again.tick() is None


def test_a_failed_backup_is_reported_and_health_stays_ok(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    app = create_app({"data_dir": str(tmp_path / "data"), "backup": {"dir": str(blocker / "backups")}})
    kiosk = app.extensions["kiosk"]
    try:
        assert kiosk.backups.run_once() is None
        r = app.test_client().get("/healthz")
        assert r.status_code == 200
        body = r.get_json()
        assert body["ok"] is True
        check = body["checks"]["backup"]
        assert check["last_at"] is None and check["age_s"] is None
        assert check["last_error"] and check["dir"] == str(blocker / "backups")
        text = app.test_client().get("/metrics").get_data(as_text=True)
        assert "kiosk_backup_failures_total 1.0" in text
    finally:
        kiosk.close()


def test_a_backup_made_reports_its_age(tmp_path):
    clock = FakeClock(_at(5, 19, 0))
    app = create_app({"data_dir": str(tmp_path / "data")}, clock=clock)
    kiosk = app.extensions["kiosk"]
    try:
        out = kiosk.backups.run_once()
        assert out is not None and out.parent == tmp_path / "data" / "backups"
        clock.advance(3600)
        check = app.test_client().get("/healthz").get_json()["checks"]["backup"]
        assert check["age_s"] == pytest.approx(3600, abs=1) and check["last_error"] is None
        assert "kiosk_backup_last_success_timestamp_seconds" in app.test_client().get("/metrics").get_data(as_text=True)
    finally:
        kiosk.close()


@pytest.mark.parametrize("table, words", [
    ({"at": "6pm"}, '[backup] at: must be a time of day "HH:MM"'),
    ({"at": "24:00"}, "[backup] at"),
    ({"keep_days": 0}, "[backup] keep_days"),
    ({"keep_days": "14"}, "[backup] keep_days"),
    ({"dir": ""}, "[backup] dir"),
    ({"every": 1}, "[backup] every: unknown setting"),
])
def test_backup_table_is_validated(table, words):
    with pytest.raises(ConfigError) as caught:
        Config.from_dict({"backup": table})
    assert words in str(caught.value)


def test_backup_defaults():
    backup = Config.from_dict({}).backup
    assert (backup.enabled, backup.keep_days, backup.at, backup.dir) == (True, 14, "18:00", None)
