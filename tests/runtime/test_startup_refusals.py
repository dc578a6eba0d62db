"""`kiosk serve` refuses a store or a key it cannot use, from outside: exit status 2, a message that says
what to restore, no traceback, nothing written over the data; and /healthz says what the store is."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from server_process import KIOSK, ServerProcess, checkout_env, free_port

from kiosk.app import create_app
from kiosk.store.health import StoreHealth

CARD = {"id_number": "001099012345", "full_name": "Nguyễn Văn An", "date_of_birth": "1990-01-01", "sex": "Nam",
        "address": "Hà Nội", "issue_date": "2021-01-01"}


def _serve(data_dir: Path, timeout: float = 60, as_user: list[str] | None = None) -> subprocess.CompletedProcess:
    """`kiosk serve` that is expected to refuse: it must exit by itself."""
    args = [*(as_user or []), str(KIOSK), "serve", "--data-dir", str(data_dir), "--port", str(free_port())]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=checkout_env())


def _refused(result: subprocess.CompletedProcess, *words: str) -> str:
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "Traceback" not in out, out
    for w in words:
        assert w in out, out
    return out


def _centre_with_a_citizen(data_dir: Path) -> None:
    app = create_app({"data_dir": str(data_dir)})
    try:
        app.extensions["kiosk"].citizens.remember_card(dict(CARD))
    finally:
        app.extensions["kiosk"].close()


def test_a_missing_key_over_sealed_data_is_refused_and_not_replaced(tmp_path):
    data = tmp_path / "data"
    _centre_with_a_citizen(data)
    key = data / "keys" / "citizen.key"
    kept = key.read_bytes()
    key.unlink()
    out = _refused(_serve(data), "citizen.key is missing", "Restore the key file")
    assert "1 sealed records" in out
    assert not key.exists()  # never a new key over the data
    key.write_bytes(kept)
    os.chmod(key, 0o600)
    server = ServerProcess(data, demo=False).start()  # the right key back: it starts
    server.stop()


def test_another_key_is_refused(tmp_path):
    data = tmp_path / "data"
    _centre_with_a_citizen(data)
    key = data / "keys" / "citizen.key"
    key.write_bytes(os.urandom(64))
    _refused(_serve(data), "is not the key of this database", "Restore the key file")


def test_a_damaged_key_file_is_refused(tmp_path):
    data = tmp_path / "data"
    _centre_with_a_citizen(data)
    (data / "keys" / "citizen.key").write_bytes(b"short")
    _refused(_serve(data), "cannot be used", "damaged")


def _fill(data: Path, tickets: int = 400) -> None:
    app = create_app({"data_dir": str(data)})
    try:
        engine = app.extensions["kiosk"].engine
        from kiosk.queue.catalog import save_service

        with app.extensions["kiosk"].store.transaction() as conn:
            save_service(conn, {"code": "HT", "prefix": "A", "name": "Tư pháp – Hộ tịch"}, True)
        for _ in range(tickets):
            engine.issue_ticket("HT")
        app.extensions["kiosk"].store.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        app.extensions["kiosk"].close()


def test_bytes_overwritten_in_the_middle_are_refused(tmp_path):
    data = tmp_path / "data"
    _fill(data)
    db = data / "kiosk.db"
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        fh.seek(size // 2 // 4096 * 4096)
        fh.write(b"\xa5" * 4096 * 4)
    _refused(_serve(data), "kiosk.db", "Restore it from the latest backup")


def test_a_truncated_database_is_refused(tmp_path):
    data = tmp_path / "data"
    _fill(data)
    db = data / "kiosk.db"
    with open(db, "r+b") as fh:
        fh.truncate(db.stat().st_size // 3)
    _refused(_serve(data), "kiosk.db", "Restore it from the latest backup")


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "kiosk.db").write_bytes(b"this is not sqlite at all" * 100)
    _refused(_serve(data), "cannot be opened", "not a kiosk database")


def test_a_read_only_data_dir_is_refused(tmp_path):
    # pytest's own temp folders are private to root: the unprivileged user must be able to reach this one
    top = Path(tempfile.mkdtemp(prefix="kiosk-ro-"))
    try:
        _read_only_refused(top)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _read_only_refused(top: Path) -> None:
    data = top / "data"
    _fill(data, tickets=5)
    as_user: list[str] = []
    if os.geteuid() == 0:  # root writes anywhere: run the service as an unprivileged user instead
        setpriv = shutil.which("setpriv")
        probe = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", str(KIOSK), "--help"] if setpriv else []
        if not probe or subprocess.run(probe, capture_output=True, env=checkout_env()).returncode != 0:
            pytest.skip("running as root and `nobody` cannot run this checkout's kiosk: no read-only case to make")
        as_user = probe[:4]
        for path in (top, data, *data.rglob("*")):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)  # readable, writable by root only
    else:
        os.chmod(data, 0o555)
    try:
        _refused(_serve(data, as_user=as_user), "not writable")
    finally:
        os.chmod(data, 0o755)


def test_healthz_reports_both_checks(tmp_path):
    app = create_app({"data_dir": str(tmp_path / "data")})
    try:
        r = app.test_client().get("/healthz")
        assert r.status_code == 200
        assert r.json["ok"] is True and r.json["checks"]["write"] and r.json["checks"]["quick_check"]
    finally:
        app.extensions["kiosk"].close()


def test_quick_check_finds_damage_under_a_running_store_and_healthz_says_503(tmp_path):
    data = tmp_path / "data"
    _fill(data)
    app = create_app({"data_dir": str(data)})
    kiosk = app.extensions["kiosk"]
    try:
        db = data / "kiosk.db"
        with open(db, "r+b") as fh:
            fh.seek(db.stat().st_size // 2 // 4096 * 4096)
            fh.write(b"\x5a" * 4096 * 4)
        found: list = []
        # a connection of its own (another thread): this one's page cache would still hold the old pages
        thread = threading.Thread(target=lambda: found.append(StoreHealth(kiosk.store).quick_check()))
        thread.start()
        thread.join()
        assert found[0] and "damaged" in found[0]
        kiosk.store_health.quick_problem = found[0]  # what the periodic check records
        r = app.test_client().get("/healthz")
        assert r.status_code == 503 and r.json["ok"] is False and "damaged" in r.json["problems"][0]
    finally:
        kiosk.close()
