"""`kiosk city create-user` and `kiosk city serve`: a login made by the CLI logs in; wrong input is refused
with a message and a non-zero status; serve answers on a real port."""
from __future__ import annotations

import subprocess
import sys
import time

import psycopg
import requests
from click.testing import CliRunner
from dash_support import login

from kiosk.city.app import create_city_app
from kiosk.city.pgtemp import free_port
from kiosk.cli.main import main


def test_create_user_then_log_in(city_dsn):
    runner = CliRunner()
    done = runner.invoke(main, ["city", "create-user", "--dsn", city_dsn, "--role", "city_manager",
                                "--password", "mat-khau-dai-du", "NguoiQuanLy"])
    assert done.exit_code == 0, done.output
    assert "Created nguoiquanly (city_manager)" in done.output
    again = runner.invoke(main, ["city", "create-user", "--dsn", city_dsn, "--password", "mat-khau-dai-du",
                                 "nguoiquanly"])
    assert again.exit_code != 0 and "exists" in again.output
    short = runner.invoke(main, ["city", "create-user", "--dsn", city_dsn, "--password", "ngan", "khac"])
    assert short.exit_code != 0 and "at least 10" in short.output
    wrong_role = runner.invoke(main, ["city", "create-user", "--dsn", city_dsn, "--role", "admin", "--password",
                                      "mat-khau-dai-du", "khac"])
    assert wrong_role.exit_code != 0
    c = create_city_app(city_dsn, {"rollup_interval_s": 0, "secret_key": "t"}).test_client()
    assert login(c, "nguoiquanly", "mat-khau-dai-du").status_code == 302
    assert c.get("/api/v1/city/centres").get_json() == []


def test_serve_answers_and_refuses_a_database_it_cannot_reach(city_dsn):
    kiosk = [sys.executable, "-c", "from kiosk.cli.main import main; main()", "city", "serve"]
    bad = subprocess.run([*kiosk, "--dsn", f"postgresql://nobody@127.0.0.1:{free_port()}/city"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "cannot open the city database" in bad.stderr
    port = free_port()
    proc = subprocess.Popen([*kiosk, "--dsn", city_dsn, "--port", str(port), "--rollup-interval", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/api/v1/city/centres", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None, "kiosk city serve did not start"
                time.sleep(0.2)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        page = requests.get(f"http://127.0.0.1:{port}/city/login", timeout=5)
        assert page.status_code == 200 and "Đăng nhập" in page.text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        with psycopg.connect(city_dsn) as conn:  # the builder thread ran: the schema is at its newest
            assert conn.execute("SELECT max(version) FROM city_migrations").fetchone()[0] >= 2
    finally:
        proc.terminate()
        proc.wait(15)
