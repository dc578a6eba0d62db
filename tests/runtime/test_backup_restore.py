"""`kiosk backup` and `kiosk restore` from outside, against the real server: a backup taken during a
burst of issues restores to a database whose events equal the source's up to the backup point; a restore
is refused while the service runs on that dir, and for a file that is not a kiosk database, of a newer
schema, or sealed under another key; /metrics answers from this PC."""
from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import requests
from click.testing import CliRunner
from server_process import KIOSK, ServerProcess, checkout_env, create_token, free_port

from kiosk.app import create_app
from kiosk.cli.main import main
from kiosk.store.backup import backup_database

CARD = {"id_number": "001099012345", "full_name": "Nguyễn Văn An", "date_of_birth": "1990-01-01", "sex": "Nam",
        "address": "Hà Nội", "issue_date": "2021-01-01"}


def _kiosk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(KIOSK), *args], capture_output=True, text=True, timeout=120, env=checkout_env())


def _events(path: Path) -> dict[int, tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0]: tuple(row) for row in conn.execute("SELECT * FROM events ORDER BY id")}
    finally:
        conn.close()


def test_backup_during_a_burst_restores_the_events_up_to_the_backup_point(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    server = ServerProcess(data).start()
    headers = {"Authorization": f"Bearer {create_token(data, 'kiosk')}"}
    acked: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()

    def burst() -> None:
        session = requests.Session()
        while not stop.is_set():
            r = session.post(server.url + "/api/v1/tickets", json={"service": "CT"}, headers=headers, timeout=10)
            if r.status_code == 201:
                with lock:
                    acked.append(r.json())

    threads = [threading.Thread(target=burst) for _ in range(4)]
    backup = tmp_path / "kiosk-backup.db"
    try:
        for t in threads:
            t.start()
        while len(acked) < 50:
            time.sleep(0.01)
        before = len(acked)
        done = _kiosk("backup", "--out", str(backup), "--data-dir", str(data))
        assert done.returncode == 0, done.stderr
        assert "backup written" in done.stdout and "integrity ok" in done.stdout
        after = len(acked)
        time.sleep(0.5)  # the burst goes on after the backup
        assert len(acked) > after > before, "tickets were issued while the backup was taken"

        # refused while the service runs on that dir, and nothing in the dir is touched
        refused = _restore(backup, data)
        assert refused.exit_code == 1
        assert "in use by the service" in refused.output and "Stop it first" in refused.output, refused.output
        assert "Traceback" not in refused.output
        assert not list(data.glob("kiosk.db.before-restore-*"))
        second = _kiosk("serve", "--data-dir", str(data), "--port", str(free_port()))
        assert second.returncode == 2 and "in use by the service" in second.stderr, second.stderr
        metrics = requests.get(server.url + "/metrics", timeout=5)  # from this PC, no token
        assert metrics.status_code == 200 and "kiosk_tickets_issued_today" in metrics.text
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        server.stop()

    source, copied = _events(data / "kiosk.db"), _events(backup)
    top = max(copied)
    assert max(source) > top  # the source went on after the backup point
    assert {i: row for i, row in source.items() if i <= top} == copied  # every event up to it, equal
    assert "key" not in {r[0] for r in sqlite3.connect(backup).execute("SELECT name FROM sqlite_master")}

    done = _restore(backup, data)
    assert done.exit_code == 0, done.output
    kept = list(data.glob("kiosk.db.before-restore-*"))
    assert [p.name for p in kept if not p.name.endswith("-wal")], "the replaced database is kept aside"
    assert _events(data / "kiosk.db") == copied
    server = ServerProcess(data, demo=False).start()  # it starts on the restored database
    try:
        health = requests.get(server.url + "/healthz", timeout=5).json()
        assert health["ok"] and "backup" in health["checks"]
        r = requests.post(server.url + "/api/v1/tickets", json={"service": "CT"}, headers=headers, timeout=5)
        assert r.status_code == 201
    finally:
        server.stop()


def _centre(data: Path, with_citizen: bool = True) -> None:
    app = create_app({"data_dir": str(data)})
    try:
        if with_citizen:
            app.extensions["kiosk"].citizens.remember_card(dict(CARD))
    finally:
        app.extensions["kiosk"].close()


def _restore(file: Path, data: Path):
    return CliRunner().invoke(main, ["restore", str(file), "--data-dir", str(data)])


def test_restore_refuses_what_is_not_a_kiosk_backup_of_this_key(tmp_path):
    source = tmp_path / "source"
    _centre(source)
    backup = tmp_path / "b.db"
    backup_database(source / "kiosk.db", backup)
    target = tmp_path / "target"
    _centre(target, with_citizen=False)  # its own, other key
    original = (target / "kiosk.db").read_bytes()

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = _restore(junk, target)
    assert result.exit_code == 1 and "not a SQLite database" in result.output

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)").connection.commit()
    result = _restore(other, target)
    assert result.exit_code == 1 and "not a kiosk database" in result.output

    newer = tmp_path / "newer.db"
    newer.write_bytes(backup.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)")
    conn.commit()
    conn.close()
    result = _restore(newer, target)
    assert result.exit_code == 1 and "newer than this program" in result.output, result.output

    result = _restore(backup, target)  # the target's key is not the backup's
    assert result.exit_code == 1
    assert "does not open the sealed data" in result.output and "Restore the key file" in result.output

    (target / "keys" / "citizen.key").unlink()  # no key at all, and the backup holds sealed data
    result = _restore(backup, target)
    assert result.exit_code == 1 and "there is no key file" in result.output, result.output

    assert (target / "kiosk.db").read_bytes() == original  # every refusal changed nothing
    assert not list(target.glob("kiosk.db.before-restore-*"))

    (target / "keys" / "citizen.key").write_bytes((source / "keys" / "citizen.key").read_bytes())
    result = _restore(backup, target)  # the backup's key restored first: accepted
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(target / "kiosk.db")
    mark = conn.execute("SELECT value FROM settings WHERE key = 'restored_from_backup'").fetchone()
    conn.close()
    assert mark and '"file": "b.db"' in mark[0]
    app = create_app({"data_dir": str(target)})
    try:
        assert app.extensions["kiosk"].citizens.remember_card(dict(CARD)).is_new is False  # found: same key
    finally:
        app.extensions["kiosk"].close()


def test_backup_failures_are_clear(tmp_path):
    data = tmp_path / "data"
    _centre(data, with_citizen=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["backup", "--out", str(blocker / "b.db"), "--data-dir", str(data)])
    assert result.exit_code == 1 and "backup failed" in result.output and "does not exist" in result.output
    result = CliRunner().invoke(main, ["backup", "--out", str(tmp_path), "--data-dir", str(data)])
    assert result.exit_code == 2 and "is a directory" in result.output  # click's own check of --out
    result = CliRunner().invoke(main, ["backup", "--out", str(tmp_path / "b.db"), "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no database" in result.output
    assert not list(tmp_path.glob(".b.db.tmp-*"))
