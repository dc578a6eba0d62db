"""The city dashboard over a real PostgreSQL and two centres seeded by the real engine (kiosk seed-history):
a site's city KPIs equal that centre's own GET /api/v1/reports; reports by site and service equal an
independent recomputation from the city's events; CSV/XLSX hold the same numbers; freshness (fresh, stale,
never shipped); logins, roles, CSRF; bad parameters get a 4xx; rollups rebuild only touched days."""
from __future__ import annotations

import csv
import io
import itertools
import os
import re
import shutil
import time
from datetime import date, datetime

import psycopg
import pytest
from dash_support import PASSWORD, ROW_FIELDS, TZ, assert_city_kpis_equal_centre, expected, login, ship

from kiosk.city import rollups
from kiosk.city.app import create_city_app
from kiosk.city.dashboard.users import CityUserError, create_user
from kiosk.reports.histogram import error_bound

LAST_DAY = date(2026, 11, 24)  # a Tuesday: working days Fri 20, Mon 23, Tue 24
FIRST_DAY = date(2026, 11, 20)
SITES = [("ba-dinh", "Phường Ba Đình", 11), ("hoan-kiem", "Phường Hoàn Kiếm", 12)]
EVENING = datetime(2026, 11, 24, 19, 0, tzinfo=TZ).timestamp()  # the last day, after closing


@pytest.fixture(scope="session")
def centres(tmp_path_factory):
    """Two centres' data dirs: 3 working days x 60 tickets, different seeds (made once)."""
    from kiosk.config.core import Config
    from kiosk.demo.history import seed_history

    out = []
    for site, name, seed in SITES:
        folder = tmp_path_factory.mktemp(site) / "data"
        seed_history(Config.from_dict({"data_dir": str(folder)}), 3, 60, seed=seed, last_day=LAST_DAY)
        out.append((folder, site, name))
    return out


@pytest.fixture(scope="session")
def shipped_template(pg_cluster, city_template, centres):
    """A city database holding both centres, built, with two logins (made once; tests clone it)."""
    name = "dash_shipped"
    pg_cluster.admin(f'CREATE DATABASE "{name}" TEMPLATE "{city_template}"')
    with psycopg.connect(pg_cluster.dsn(name)) as conn:
        for folder, site, title in centres:
            ship(conn, folder, site, title)
        rollups.build(conn, now=time.time())
        create_user(conn, "quanly", PASSWORD, "city_manager")
        create_user(conn, "quantri", PASSWORD, "city_admin")
    return name


_clones = itertools.count(1)


def _clone(pg_cluster, template: str):
    name = f"dash_{os.getpid()}_{next(_clones)}"
    pg_cluster.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


@pytest.fixture
def city(pg_cluster, shipped_template):
    """This test's own copy (it may change it)."""
    name = _clone(pg_cluster, shipped_template)
    yield pg_cluster.dsn(name)
    pg_cluster.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def shared_city(pg_cluster, shipped_template):
    """A copy the read-only tests of this module share."""
    name = _clone(pg_cluster, shipped_template)
    yield pg_cluster.dsn(name)
    pg_cluster.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def client(shared_city):
    app = create_city_app(shared_city, {"rollup_interval_s": 0, "secret_key": "test"})
    c = app.test_client()
    assert login(c, "quanly").status_code == 302
    return c


def _report(client, **args):
    query = "&".join(f"{k}={v}" for k, v in {"from": FIRST_DAY, "to": LAST_DAY, **args}.items())
    r = client.get(f"/api/v1/city/reports?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


def _same_row(got: dict, want: dict, fields=ROW_FIELDS) -> None:
    assert {k: got[k] for k in fields} == {k: want[k] for k in fields}, got["key"]


# -- the property ---------------------------------------------------------------------------------
def test_a_sites_city_kpis_equal_that_centres_own_report(client, shared_city, centres, tmp_path):
    """For each centre: GET /api/v1/reports (the centre's app over its own store) by service, and the city's
    report of that site by service (through the city's API) and its row by site, hold the same ROW figures."""
    by_site = {r["key"]: r for r in _report(client, by="site").get_json()["rows"]}
    for folder, site, _ in centres:
        own = assert_city_kpis_equal_centre(shared_city, folder, site, FIRST_DAY, LAST_DAY, tmp_path / site)
        city_rows = _report(client, by="service", site=site).get_json()
        mine = {r["key"]: r for r in city_rows["rows"]}
        for row in own["rows"]:
            _same_row(mine[row["key"]], row)
        _same_row(city_rows["total"], own["total"])
        _same_row(by_site[site], own["total"])
        assert own["total"]["issued"] > 100 and own["total"]["ratings"] > 0


@pytest.mark.parametrize("by", ["site", "service"])
def test_reports_equal_an_independent_computation(client, shared_city, by):
    body = _report(client, by=by).get_json()
    assert (body["from"], body["to"], body["by"]) == (FIRST_DAY.isoformat(), LAST_DAY.isoformat(), by)
    with psycopg.connect(shared_city) as conn:
        want = expected(conn, FIRST_DAY, LAST_DAY, by)
    rows = {r["key"]: r for r in body["rows"]}
    assert set(rows) == set(want)
    exact = tuple(f for f in ROW_FIELDS if f != "wait_p90_s")
    for key, w in want.items():
        _same_row(rows[key], w, exact)
        p90 = rows[key]["wait_p90_s"]
        assert abs(p90 - w["wait_p90_exact"]) <= error_bound(w["wait_p90_exact"]) + 0.5
    assert body["total"]["issued"] == sum(w["issued"] for w in want.values())
    assert body["total"]["served"] == sum(w["served"] for w in want.values())
    assert body["total"]["label"] == "Tổng cộng"


def test_one_day_of_a_period_and_a_period_without_data(client):
    one = _report(client, by="site", **{"from": LAST_DAY}).get_json()
    whole = _report(client, by="site").get_json()
    assert 0 < one["total"]["issued"] < whole["total"]["issued"]
    empty = client.get("/api/v1/city/reports?from=2025-01-01&to=2025-01-31&by=site").get_json()
    assert empty["rows"] == [] and empty["total"]["issued"] == 0 and empty["total"]["wait_mean_s"] is None


def test_csv_and_xlsx_hold_the_same_numbers(client):
    from openpyxl import load_workbook

    body = _report(client, by="site").get_json()
    r = _report(client, by="site", format="csv")
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    assert "bao-cao-thanh-pho-2026-11-20_2026-11-24-theo-trung-tam.csv" in r.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert lines[0][1] == "Trung tâm" and lines[0][2] == "Số phiếu đã cấp"
    assert [line[0] for line in lines[1:-1]] == [row["key"] for row in body["rows"]]
    for line, row in zip(lines[1:], [*body["rows"], body["total"]], strict=True):
        assert int(line[2]) == row["issued"] and int(line[3]) == row["served"]
        assert float(line[7]) == row["wait_mean_s"] and float(line[11]) == row["over_sla_pct"]
    x = _report(client, by="service", format="xlsx")
    sheet = load_workbook(io.BytesIO(x.get_data())).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(values) if r and r[0] == "Mã")
    service_body = _report(client, by="service").get_json()
    table = values[header + 1:]
    assert len(table) == len(service_body["rows"]) + 1
    for got, row in zip(table, [*service_body["rows"], service_body["total"]], strict=True):
        assert got[2] == row["issued"] and got[3] == row["served"] and got[12] == row["ratings"]
        assert got[8] == row["wait_p90_s"] and got[13] == row["satisfied_pct"]


# -- the centres' table -----------------------------------------------------------------------------------
def test_centres_show_fresh_stale_and_never_shipped(city):
    now = EVENING
    with psycopg.connect(city) as conn:
        conn.execute("UPDATE sites SET last_shipment_at = to_timestamp(%s), heartbeat_at = NULL WHERE site = %s",
                     [now - 7200, "hoan-kiem"])  # offline for two hours
        conn.execute("UPDATE sites SET last_shipment_at = to_timestamp(%s), heartbeat_at = to_timestamp(%s) "
                     "WHERE site = %s", [now - 3600, now - 12, "ba-dinh"])  # quiet, but its heartbeat is recent
        conn.execute("INSERT INTO sites (site, name) VALUES ('thanh-xuan', 'Xã Thanh Xuân')")
        rollups.build(conn, now=now)
    app = create_city_app(city, {"rollup_interval_s": 0, "secret_key": "t", "now": lambda: now})
    c = app.test_client()
    login(c, "quanly")
    rows = {r["site"]: r for r in c.get("/api/v1/city/centres").get_json()}
    assert set(rows) == {"ba-dinh", "hoan-kiem", "thanh-xuan"}
    assert rows["ba-dinh"]["stale"] is False and rows["ba-dinh"]["lag_s"] == 12.0
    assert rows["hoan-kiem"]["stale"] is True and rows["hoan-kiem"]["lag_s"] == 7200.0
    assert rows["thanh-xuan"]["stale"] is True and rows["thanh-xuan"]["lag_s"] is None and rows["thanh-xuan"]["issued_today"] == 0
    for site in ("ba-dinh", "hoan-kiem"):  # today is the last seeded day: its figures are that day's report
        r = rows[site]
        assert set(r) >= {"site", "name", "last_event_at", "lag_s", "issued_today", "waiting", "served_today",
                          "wait_mean_s", "over_sla_pct", "satisfied_pct"}
        day = _report(c, by="site", site=site, **{"from": LAST_DAY}).get_json()["total"]
        assert (r["issued_today"], r["served_today"], r["wait_mean_s"], r["over_sla_pct"], r["satisfied_pct"]) == \
            (day["issued"], day["served"], day["wait_mean_s"], day["over_sla_pct"], day["satisfied_pct"])
        assert r["waiting"] == 0 and r["last_event_at"].startswith("2026-11-24T")
    services = c.get("/api/v1/city/centres/ba-dinh/services").get_json()
    assert services["site"] == "ba-dinh" and services["day"] == "2026-11-24"
    assert sum(s["issued_today"] for s in services["services"]) == rows["ba-dinh"]["issued_today"]
    assert all(s["name"] for s in services["services"])


def test_the_page_is_vietnamese_with_no_inline_script(client):
    r = client.get("/city")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Các trung tâm hôm nay" in page and 'lang="vi"' in page
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "<script>" not in page and "<script src=" in page
    assert client.get("/city/static/city.js").status_code == 200
    # its texts are the centres' catalogue, from the same generated script (kiosk/web/pages/texts.py)
    texts = re.search(r'<script src="(/texts/vi\.js\?v=\w+)" defer></script>', page).group(1)
    assert page.index(texts) < page.index("city.js")
    served = client.get(texts)
    assert served.status_code == 200 and '"city.centres_note": "{n} trung tâm, {stale} mất kết nối' in served.text


# -- logins -----------------------------------------------------------------------------------------------
def test_city_login_is_required(city):
    c = create_city_app(city, {"rollup_interval_s": 0, "secret_key": "t"}).test_client()
    for url in ("/api/v1/city/centres", "/api/v1/city/reports?from=2026-11-20&to=2026-11-24",
                "/api/v1/city/centres/ba-dinh/services"):
        r = c.get(url)
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    assert c.get("/city").headers["Location"].endswith("/city/login")
    assert login(c, "quanly", "wrong password!").status_code == 401
    assert c.get("/api/v1/city/centres").status_code == 401
    assert c.post("/city/login", data={"username": "quanly", "password": PASSWORD}).status_code == 403  # no CSRF
    assert login(c, "quantri").status_code == 302
    assert c.get("/api/v1/city/centres").status_code == 200


def test_a_city_manager_may_not_list_logins_an_admin_may(city):
    manager = create_city_app(city, {"rollup_interval_s": 0, "secret_key": "t"}).test_client()
    login(manager, "quanly")
    r = manager.get("/api/v1/city/users")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    admin = create_city_app(city, {"rollup_interval_s": 0, "secret_key": "t"}).test_client()
    login(admin, "quantri")
    listed = admin.get("/api/v1/city/users").get_json()
    assert [(u["username"], u["role"]) for u in listed] == [("quanly", "city_manager"), ("quantri", "city_admin")]
    assert all("password" not in key for u in listed for key in u)


def test_the_dashboard_builds_its_rollups_in_the_background(city, centres, tmp_path):
    """No explicit build: the app's thread picks up a newly shipped centre within its interval."""
    from kiosk.config.core import Config
    from kiosk.demo.history import seed_history

    folder = tmp_path / "data"
    seed_history(Config.from_dict({"data_dir": str(folder)}), 1, 20, seed=5, last_day=LAST_DAY)
    app = create_city_app(city, {"rollup_interval_s": 0.2, "secret_key": "t"})
    try:
        c = app.test_client()
        login(c, "quanly")
        with psycopg.connect(city) as conn:
            ship(conn, folder, "long-bien", "Phường Long Biên")
        deadline = time.monotonic() + 30
        while True:
            rows = {r["key"]: r for r in _report(c, by="site").get_json()["rows"]}
            if "long-bien" in rows or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert rows["long-bien"]["issued"] > 0
    finally:
        app.city.builder.stop()


def test_wrong_role_or_inactive_login_is_refused(city):
    with psycopg.connect(city) as conn:
        with pytest.raises(CityUserError):
            create_user(conn, "truongphong", PASSWORD, "manager")  # a centre's role is no city role
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO city_users (username, password_hash, role) VALUES ('x', 'h', 'officer')")
        conn.rollback()
        create_user(conn, "nghiviec", PASSWORD, "city_manager")
        conn.execute("UPDATE city_users SET active = false WHERE username = 'nghiviec'")
        conn.commit()
    c = create_city_app(city, {"rollup_interval_s": 0, "secret_key": "t"}).test_client()
    assert login(c, "nghiviec").status_code == 401
    assert c.get("/api/v1/city/centres").status_code == 401


def test_a_session_ends_when_its_user_is_deactivated(city):
    client = create_city_app(city, {"rollup_interval_s": 0, "secret_key": "t"}).test_client()
    login(client, "quanly")
    assert client.get("/api/v1/city/centres").status_code == 200
    with psycopg.connect(city) as conn:
        conn.execute("UPDATE city_users SET active = false WHERE username = 'quanly'")
    assert client.get("/api/v1/city/centres").status_code == 401


# -- bad input --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", [
    "", "from=2026-11-20", "from=2026-11-24&to=2026-11-20", "from=2026-11-20&to=2026-11-24&by=counter",
    "from=2026-11-20&to=2026-11-24&format=pdf", "from=20-11-2026&to=2026-11-24", "from=2025-01-01&to=2026-11-24",
    "from=2026-02-30&to=2026-03-01",
])
def test_bad_report_parameters_get_a_400(client, query):
    r = client.get(f"/api/v1/city/reports?{query}")
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert error["code"] == "bad_request" and error["message"] and error["message_vi"]


def test_unknown_centre_gets_a_404(client):
    assert client.get("/api/v1/city/centres/NOPE/services").status_code == 404
    r = client.get("/api/v1/city/reports?from=2026-11-20&to=2026-11-24&site=NOPE")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


# -- incremental rollups ----------------------------------------------------------------------------------
def test_rollups_rebuild_only_the_days_new_events_touch(city):
    now = time.time()
    with psycopg.connect(city) as conn:
        assert rollups.build(conn, now=now) == 0  # nothing new since the fixture's build
        before = dict(conn.execute("SELECT day, sum(cancelled) FROM daily WHERE site = 'ba-dinh' GROUP BY day"))
        built = dict(conn.execute("SELECT day, max(built_at) FROM daily WHERE site = 'ba-dinh' GROUP BY day"))
        # a late event of a ticket issued on the first day (arrives now, as from a centre catching up)
        tid, eid = conn.execute(
            "SELECT (SELECT ticket_id FROM events WHERE site = 'ba-dinh' AND day = %s AND type = 'ticket_issued' "
            "ORDER BY id LIMIT 1), (SELECT max(id) FROM events WHERE site = 'ba-dinh')", [FIRST_DAY]).fetchone()
        at = datetime(2026, 11, 25, 8, 0, tzinfo=TZ).timestamp()
        conn.execute("INSERT INTO events (site, epoch, id, at, day, type, ticket_id, service, hash) "
                     "SELECT 'ba-dinh', 1, %s, %s, '2026-11-25', 'ticket_cancelled', %s, service, 'x' FROM events "
                     "WHERE site = 'ba-dinh' AND ticket_id = %s AND type = 'ticket_issued'", [eid + 1, at, tid, tid])
        conn.commit()
        assert rollups.build(conn, now=now + 1) == 1
        after = dict(conn.execute("SELECT day, sum(cancelled) FROM daily WHERE site = 'ba-dinh' GROUP BY day"))
        rebuilt = dict(conn.execute("SELECT day, max(built_at) FROM daily WHERE site = 'ba-dinh' GROUP BY day"))
    assert after[FIRST_DAY] == before[FIRST_DAY] + 1  # its issue day, not the day the event came
    assert {d for d in rebuilt if rebuilt[d] != built[d]} == {FIRST_DAY}
    assert date(2026, 11, 25) not in after


def test_a_day_reshipped_under_a_new_epoch_counts_once(city):
    """A restored centre ships its history again as epoch 2 (kiosk ship --new-epoch): the city's figures stay
    those of the centre, each day from its newest epoch (kiosk/city/epochs.py)."""
    c = create_city_app(city, {"rollup_interval_s": 0, "secret_key": "t"}).test_client()
    login(c, "quanly")
    before = _report(c, by="site").get_json()
    with psycopg.connect(city) as conn:
        conn.execute("INSERT INTO events SELECT site, 2, id, at, day, type, ticket_id, number, service, counter, "
                     "officer, priority, data, hash FROM events WHERE site = 'ba-dinh' AND epoch = 1 AND day >= %s",
                     [date(2026, 11, 23)])  # the restored backup holds the last two days
        conn.execute("INSERT INTO ratings SELECT site, 2, id, at, day, service, counter, score FROM ratings "
                     "WHERE site = 'ba-dinh' AND day >= %s", [date(2026, 11, 23)])
        conn.execute("UPDATE sites SET epoch = 2 WHERE site = 'ba-dinh'")
        conn.commit()
        assert rollups.build(conn, now=time.time()) == 2
    after = _report(c, by="site").get_json()
    assert after["rows"] == before["rows"] and after["total"] == before["total"]


def test_a_centre_offline_for_a_day_catches_up_and_its_kpis_still_equal(city, centres, tmp_path):
    """The centre works a day more while the city is out of reach, then ships the day at once: the
    incremental build rebuilds that day only, and the city's figures equal the centre's over the period."""
    import centres as centre_days  # the city work's helper: one more working day through the real engine

    folder, site, name = centres[0]
    data = tmp_path / "centre"
    shutil.copytree(folder, data)
    centre_days.run_day(data, date(2026, 11, 25), 60, seed=3)
    with psycopg.connect(city) as conn:
        shipped = ship(conn, data, site, name)
        assert shipped > 200
        assert rollups.build(conn, now=time.time()) == 1
    assert_city_kpis_equal_centre(city, data, site, FIRST_DAY, date(2026, 11, 25), tmp_path / "copy")


# -- the page in a browser --------------------------------------------------------------------------------
@pytest.mark.e2e
def test_the_page_in_chromium_shows_freshness_and_opens_a_centre(city):
    """The real `kiosk city serve` and Debian's Chromium: log in, the centres' table with «Cập nhật … trước»
    and, in red, «Mất kết nối 2 giờ»; a click opens the centre's services; the report's rows and downloads."""
    import subprocess
    import sys

    import requests

    from kiosk.city.pgtemp import free_port

    chromium = "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        pytest.skip("Chromium not found at /usr/bin/chromium: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with psycopg.connect(city) as conn:
        conn.execute("UPDATE sites SET last_shipment_at = now() - interval '12 seconds', heartbeat_at = NULL")
        conn.execute("UPDATE sites SET last_shipment_at = now() - interval '2 hours' WHERE site = 'hoan-kiem'")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", "from kiosk.cli.main import main; main()", "city", "serve",
                               "--dsn", city, "--port", str(port), "--rollup-interval", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/city/login", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "kiosk city serve did not start"
                time.sleep(0.2)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox"])
            page = browser.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{base}/city")
            page.fill("input[name=username]", "quanly")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#centres-table tbody tr")
            fresh = page.locator("#centres-table tbody tr[data-site='ba-dinh'] td").nth(1)
            stale = page.locator("#centres-table tbody tr[data-site='hoan-kiem'] td").nth(1)
            assert fresh.inner_text().startswith("Cập nhật 1") and "giây trước" in fresh.inner_text()
            assert stale.inner_text().startswith("Mất kết nối 2 giờ")
            assert stale.get_attribute("class") == "stale" and fresh.get_attribute("class") == "fresh"
            assert page.eval_on_selector("#centres-table tbody tr[data-site='hoan-kiem'] td.stale",
                                         "e => getComputedStyle(e).color") == "rgb(192, 21, 47)"
            page.click("#centres-table tbody tr[data-site='ba-dinh']")
            page.wait_for_selector("#services-panel:not([hidden])")
            assert "Phường Ba Đình" in page.inner_text("#services-heading")
            assert page.locator("#services-table tbody tr").count() >= 5
            page.fill("#report-from", FIRST_DAY.isoformat())
            page.fill("#report-to", LAST_DAY.isoformat())
            page.click("#report-form button[type=submit]")
            page.wait_for_function("document.querySelectorAll('#report-table tbody tr').length === 2")
            total = page.inner_text("#report-table tfoot tr td:nth-child(2)")
            api = requests.Session()
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', api.get(f"{base}/city/login").text).group(1)
            api.post(f"{base}/city/login", data={"username": "quanly", "password": PASSWORD, "csrf_token": csrf})
            body = api.get(f"{base}/api/v1/city/reports?from={FIRST_DAY}&to={LAST_DAY}&by=site").json()
            assert total == f"{body['total']['issued']:,}".replace(",", ".")  # vi-VN groups with dots
            assert "format=xlsx" in page.get_attribute("#download-xlsx", "href")
            browser.close()
        assert problems == []
    finally:
        server.terminate()
        server.wait(15)


def test_after_a_restore_and_a_new_epoch_the_kpis_equal_the_restored_centre(city, centres, tmp_path):
    """The centre is restored from a backup (a day lost), goes on with reused event ids, is refused, then
    ships epoch 2 (`--new-epoch`): the days it still holds and the new one equal its own report; the lost day
    still counts at the city (from epoch 1), where nothing of it is dropped."""
    import centres as centre_days

    from kiosk.city.setup import build_shipper
    from kiosk.city.ship import RestoreDetected
    from kiosk.config.core import Config

    folder, site, name = centres[1]
    data, saved = tmp_path / "centre", tmp_path / "backup"
    shutil.copytree(folder, data)
    shutil.copytree(folder, saved)  # last night's backup (the centre is not running: a plain copy is whole)
    lost, new = date(2026, 11, 25), date(2026, 11, 26)
    centre_days.run_day(data, lost, 60, seed=31)
    with psycopg.connect(city) as conn:
        assert ship(conn, data, site, name) > 0
    shutil.rmtree(data)
    shutil.copytree(saved, data)  # the restore
    centre_days.run_day(data, new, 60, seed=32)
    shipper = build_shipper(Config.from_dict({"data_dir": str(data), "city": {"site_code": site, "site_name": name}}))
    try:
        with psycopg.connect(city) as conn:
            with pytest.raises(RestoreDetected):
                shipper.ship_once(conn)
            assert shipper.new_epoch(conn) == 2
            assert shipper.ship_once(conn).events > 0
    finally:
        shipper.reader.close()
    assert_city_kpis_equal_centre(city, data, site, FIRST_DAY, LAST_DAY, tmp_path / "c1")
    assert_city_kpis_equal_centre(city, data, site, new, new, tmp_path / "c2")
    c = create_city_app(city, {"rollup_interval_s": 0, "secret_key": "t"}).test_client()
    login(c, "quanly")
    kept = _report(c, by="site", site=site, **{"from": lost, "to": lost}).get_json()["total"]
    assert kept["issued"] > 0  # the day the restore lost at the centre is still the city's
