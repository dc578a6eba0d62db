"""GET /api/v1/reports and /reports/monthly: rows equal an independent recomputation from GET /api/v1/events
over random days of activity (property), past days from rollups and today live; CSV and XLSX hold the JSON's
numbers; roles; bad parameters get a 400 and change nothing."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from app_support import bearer, make_app, role_tokens
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reports_support import all_events, expected_rows, ticket_lives

from kiosk.demo.centre import DEMO_SERVICES, open_demo_counters
from kiosk.queue.clock import FakeClock, centre_timezone, day_bounds
from kiosk.queue.errors import QueueError
from kiosk.queue.ratings import rate
from kiosk.reports.histogram import error_bound

TZ = centre_timezone()
START = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)  # a Monday
TARGETS = {s["code"]: s["sla_minutes"] * 60 for s in DEMO_SERVICES}
SERVICES = ["HT", "DD", "KD", "CT"]
COUNTERS = [1, 2, 3, 5]


@pytest.fixture(scope="module")
def report_app(tmp_path_factory, seeded_demo):
    clock = FakeClock(START)
    app = make_app(tmp_path_factory.mktemp("reports"), seeded_demo[0], clock=clock)
    kiosk = app.extensions["kiosk"]
    app.officers = {r[0]: r[1] for r in kiosk.store.conn().execute(
        "SELECT counter_number, id FROM users WHERE role = 'officer'")}
    open_demo_counters(kiosk.engine, app.officers)
    app.tokens = role_tokens(kiosk)
    app.stretch = 0
    yield app
    kiosk.close()


def _next_stretch(app) -> date:
    """Each example works on days of its own, after every earlier example's, with an empty queue: what an
    earlier one left waiting is cancelled first (on its own days), and every counter is open and free."""
    engine = app.extensions["kiosk"].engine
    for c in engine.counters():
        current = engine.current_ticket(c.number)
        if current is not None:
            (engine.finish if current.state == "serving" else engine.no_show)(c.number)
        if c.state != "open":
            (engine.resume if c.state == "paused" else engine.open_counter)(c.number, app.officers.get(c.number))
    for t in engine.waiting() + engine.held():
        engine.cancel(t.id)
    app.stretch += 1
    return START.date() + timedelta(days=10 * app.stretch)


def _at(day: date, hour: int = 8) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def _morning(app, day: date, hour: int = 8) -> None:
    """A new working day: its first action ends the days before (their tickets expire, counters close), and
    the officers open their counters."""
    kiosk = app.extensions["kiosk"]
    kiosk.clock.set(_at(day, hour))
    kiosk.engine.end_day_if_due()  # as the day-end ticker would, before the officers come
    for c in kiosk.engine.counters():
        if c.state != "open":
            (kiosk.engine.resume if c.state == "paused" else kiosk.engine.open_counter)(c.number,
                                                                                       app.officers.get(c.number))


ACTIONS = st.one_of(
    # arrivals: 1-6 tickets of a service, a minute or so apart
    st.tuples(st.just("issue"), st.sampled_from(SERVICES), st.tuples(st.sampled_from(["normal", "normal", "elderly"]),
                                                                      st.integers(1, 6), st.integers(0, 120))),
    # a whole visit at a counter: call, walk, serve (the seconds of each), so that days have served tickets
    st.tuples(st.just("serve"), st.sampled_from(COUNTERS), st.tuples(st.integers(0, 120), st.integers(30, 1500))),
    st.tuples(st.sampled_from(["next", "next", "start", "finish", "finish", "no_show", "recall", "hold"]),
              st.sampled_from(COUNTERS), st.just(None)),
    st.tuples(st.sampled_from(["return", "cancel", "transfer"]), st.sampled_from(SERVICES), st.just(None)),
    st.tuples(st.just("advance"), st.integers(0, 900), st.just(None)),
    st.tuples(st.just("rate"), st.integers(1, 5), st.just(None)),
    # closing time: the day-end ticker's run (what is left expires, counters close; late tickets wait)
    st.tuples(st.just("closing"), st.just(None), st.just(None)),
)


def _act(app, action: str, arg, extra, ratings: dict[int, int]) -> None:
    kiosk = app.extensions["kiosk"]
    engine, clock = kiosk.engine, kiosk.clock
    try:
        if action == "issue":
            priority, count, gap = extra
            for _ in range(count):
                engine.issue_ticket(arg, priority)
                clock.advance(gap)
        elif action == "advance":
            clock.advance(arg)
        elif action == "closing":
            closing = _at(datetime.fromtimestamp(clock.now(), TZ).date(), 17).replace(minute=30).timestamp()
            clock.set(max(clock.now(), closing))
            engine.end_day_if_due()
        elif action == "rate":
            done = [t for t in engine.tickets_of_day() if t.state == "done" and t.id not in ratings]
            if done:
                rate(engine, done[-1].id, arg)
                ratings[done[-1].id] = arg
        elif action in ("return", "cancel", "transfer"):
            pool = engine.held() if action == "return" else engine.waiting() + engine.held()
            if pool:
                t = pool[0]
                if action == "return":
                    engine.return_held(t.id)
                elif action == "cancel":
                    engine.cancel(t.id)
                else:
                    engine.transfer(t.id, arg)
        elif action == "next":
            engine.call_next(arg, app.officers.get(arg))
        elif action == "serve":
            officer = app.officers.get(arg)
            if engine.call_next(arg, officer, finish_current=engine.current_ticket(arg) is not None and
                                engine.current_ticket(arg).state == "serving") is not None:
                clock.advance(extra[0])
                engine.start(arg, officer)
                clock.advance(extra[1])
                engine.finish(arg, officer)
        else:
            getattr(engine, action)(arg, app.officers.get(arg))
    except QueueError:
        pass  # refused by the engine (nothing to call, wrong state): changes nothing


def _report(client, token: str, first: date, last: date, by: str) -> dict:
    r = client.get(f"/api/v1/reports?from={first}&to={last}&by={by}", headers=bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def _check_against_events(app, first: date, last: date, ratings: dict[int, int]) -> None:
    client, kiosk = app.test_client(), app.extensions["kiosk"]
    token = app.tokens["manager"]
    kiosk.engine.end_day_if_due()  # what the ticker would do at this hour is done: it cannot change the days read
    now = kiosk.clock.now()
    lives = ticket_lives(all_events(client, token), TZ,
                         lambda day: min(day_bounds(kiosk.clock, day)[1], now))
    lives = {tid: t for tid, t in lives.items() if first.isoformat() <= t["day"] <= last.isoformat()}
    for by, group in (("service", lambda t: t["service"]), ("counter", lambda t: t["counter"]),
                      ("officer", lambda t: t["officer"]), ("day", lambda t: t["day"]), ("total", lambda t: None)):
        expected = expected_rows(lives, group, TARGETS, ratings)
        body = _report(client, token, first, last, "service" if by == "total" else by)
        got = {None: body["total"]} if by == "total" else {row["key"]: row for row in body["rows"]}
        if by == "total" and not lives:
            assert body["total"]["issued"] == 0 and body["total"]["wait_mean_s"] is None and not body["rows"]
            continue
        assert set(got) == set(expected), (by, sorted(got, key=str), sorted(expected, key=str))
        for key, want in expected.items():
            row = got[key]
            exact_p90 = want.pop("wait_p90_exact")
            assert {k: row[k] for k in want} == want, (by, key)
            if exact_p90 is None:
                assert row["wait_p90_s"] is None
            elif exact_p90 >= 86400:  # past the last bucket: the longest wait
                assert row["wait_p90_s"] == round(row["wait_max_s"])
            else:
                assert abs(row["wait_p90_s"] - exact_p90) <= error_bound(exact_p90) + 0.5, (by, key, exact_p90)
    # by hour: arrivals, and served at the hour they were served
    hours = {row["key"]: row for row in _report(client, token, first, last, "hour")["rows"]}
    arrivals: dict[int, int] = {}
    served: dict[int, int] = {}
    for t in lives.values():
        h = datetime.fromtimestamp(t["issued"], TZ).hour
        arrivals[h] = arrivals.get(h, 0) + 1
        if t["outcome"] == "served":
            h = datetime.fromtimestamp(t["outcome_at"], TZ).hour
            served[h] = served.get(h, 0) + 1
    assert {h: r["issued"] for h, r in hours.items() if r["issued"]} == arrivals
    assert {h: r["served"] for h, r in hours.items() if r["served"]} == served


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(days=st.lists(st.lists(ACTIONS, min_size=10, max_size=60), min_size=1, max_size=3))
def test_report_rows_equal_a_recomputation_from_the_events(report_app, days):
    clock = report_app.extensions["kiosk"].clock
    first = _next_stretch(report_app)
    ratings: dict[int, int] = {}
    for i, actions in enumerate(days):
        _morning(report_app, first + timedelta(days=i))
        for action, arg, extra in actions:
            _act(report_app, action, arg, extra, ratings)
    last = first + timedelta(days=len(days) - 1)
    event(f"ratings: {bool(ratings)}")
    expired = report_app.extensions["kiosk"].store.conn().execute(
        "SELECT COUNT(*) FROM tickets WHERE day BETWEEN ? AND ? AND state = 'expired'", [first.isoformat(),
                                                                                        last.isoformat()]).fetchone()[0]
    event(f"expired at a day end: {bool(expired)}")
    event("outcomes of the last day: " + ",".join(sorted({t.state for t in report_app.extensions["kiosk"].engine.tickets_of_day()})))
    _check_against_events(report_app, first, last, ratings)  # the last day live, the others rolled up
    clock.set(_at(last + timedelta(days=3)))
    _check_against_events(report_app, first, last, ratings)  # every day from the rollups


def test_a_rating_given_after_the_day_was_rolled_up_counts(report_app):
    kiosk = report_app.extensions["kiosk"]
    engine, clock, client = kiosk.engine, kiosk.clock, report_app.test_client()
    day = _next_stretch(report_app)
    _morning(report_app, day, 9)
    engine.issue_ticket("KD")
    clock.advance(60)
    t = engine.call_next(5, report_app.officers[5])
    engine.start(5, report_app.officers[5])
    clock.advance(300)
    engine.finish(5, report_app.officers[5])
    clock.set(_at(day + timedelta(days=1), 8))  # the next morning: yesterday is rolled up, not for good
    token = report_app.tokens["manager"]
    assert _report(client, token, day, day, "service")["total"]["ratings"] == 0
    rate(engine, t.id, 5)  # within the ratings window
    total = _report(client, token, day, day, "service")["total"]
    assert total["ratings"] == 1 and total["satisfied_pct"] == 100.0
    clock.set(_at(day + timedelta(days=3), 8))
    assert _report(client, token, day, day, "service")["total"]["ratings"] == 1
    assert kiosk.store.conn().execute("SELECT final FROM report_days WHERE day = ?", [day.isoformat()]).fetchone()[0]


def _activity(app) -> tuple[date, date]:
    """Two days of a few tickets: waits, service, a no-show, a rating."""
    kiosk = app.extensions["kiosk"]
    engine, clock = kiosk.engine, kiosk.clock
    first = _next_stretch(app)
    for i in range(2):
        _morning(app, first + timedelta(days=i))
        for code in ("HT", "DD", "HT", "KD"):
            engine.issue_ticket(code)
            clock.advance(200)
        for counter in (1, 3, 5):
            t = engine.call_next(counter, app.officers[counter])
            clock.advance(45)
            engine.start(counter, app.officers[counter])
            clock.advance(400 + 100 * counter)
            engine.finish(counter, app.officers[counter])
            if i == 0 and counter == 1:
                rate(engine, t.id, 4)
        engine.call_next(1, app.officers[1])
        engine.no_show(1, app.officers[1])
    return first, first + timedelta(days=1)


def _number(text: str):
    if text == "":
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def test_csv_and_xlsx_hold_the_same_numbers_as_the_json(report_app):
    from openpyxl import load_workbook

    client, token = report_app.test_client(), bearer(report_app.tokens["manager"])
    first, last = _activity(report_app)
    for by in ("service", "day", "officer"):
        base = f"/api/v1/reports?from={first}&to={last}&by={by}"
        body = client.get(base, headers=token).get_json()
        numbers = ["issued", "served", "no_show", "cancelled", "expired", "wait_mean_s", "wait_p90_s", "wait_max_s",
                   "service_mean_s", "over_sla_pct", "ratings", "satisfied_pct", "dossiers"]  # the files' order
        expected = [[row[k] for k in numbers] for row in [*body["rows"], body["total"]]]
        assert body["total"]["issued"] == 8 and body["total"]["ratings"] == 1

        r = client.get(base + "&format=csv", headers=token)
        assert r.status_code == 200 and r.mimetype == "text/csv"
        assert r.data.startswith(b"\xef\xbb\xbf")
        assert f"bao-cao-{first}_{last}" in r.headers["Content-Disposition"]
        table = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
        assert table[0][:3] == ["Mã", {"service": "Lĩnh vực", "day": "Ngày", "officer": "Cán bộ"}[by],
                                "Số phiếu đã cấp"]
        assert [[_number(v) for v in line[2:]] for line in table[1:]] == expected
        assert [line[1] for line in table[1:]] == [row["label"] for row in body["rows"]] + ["Tổng cộng"]

        r = client.get(base + "&format=xlsx", headers=token)
        assert r.status_code == 200 and r.headers["Content-Disposition"].endswith('.xlsx"')
        sheet = load_workbook(io.BytesIO(r.data)).active
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        centre = report_app.extensions["kiosk"].config.centre_name
        assert values[0][0] == centre
        assert values[2][0] == f"Từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"
        header = next(i for i, row in enumerate(values) if row[0] == "Mã")
        data = values[header + 1:]
        assert [row[2:] for row in data] == expected  # numbers as numbers (None stays empty)
        assert all(isinstance(v, int | float) for row in data for v in row[2:] if v is not None)
        assert data[-1][1] == "Tổng cộng"


def test_monthly_summary(report_app):
    from openpyxl import load_workbook

    client, token = report_app.test_client(), bearer(report_app.tokens["manager"])
    first, last = _activity(report_app)
    year = first.year
    body = client.get(f"/api/v1/reports/monthly?year={year}", headers=token).get_json()
    month = next(r for r in body["rows"] if r["key"] == f"{first:%Y-%m}")
    served = client.get(f"/api/v1/reports?from={first:%Y-%m}-01&to={last}&by=month", headers=token).get_json()
    assert month["issued"] == served["rows"][-1]["issued"] and month["label"] == f"Tháng {first:%m/%Y}"
    assert month["served_in_target"] + month["over_target"] <= month["issued"]
    assert month["served_in_target"] <= month["served"]
    assert body["total"]["issued"] == sum(r["issued"] for r in body["rows"])
    r = client.get(f"/api/v1/reports/monthly?year={year}&format=xlsx", headers=token)
    assert r.status_code == 200 and f"bao-cao-thang-{year}.xlsx" in r.headers["Content-Disposition"]
    values = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(values) if row[0] == "Mã")
    assert values[header][2:] == ("Số phiếu đã cấp", "Đã phục vụ", "Phục vụ đúng thời gian quy định",
                                  "Chờ quá thời gian quy định", "Vắng mặt khi được gọi", "Tỷ lệ hài lòng (%)")
    assert [row[2] for row in values[header + 1:]] == [r["issued"] for r in [*body["rows"], body["total"]]]


def test_roles(report_app):
    client, tokens = report_app.test_client(), report_app.tokens
    url = "/api/v1/reports?from=2026-03-02&to=2026-03-02&by=service"
    for role in ("officer1", "kiosk", "display"):
        for path in (url, url + "&format=xlsx", "/api/v1/reports/monthly?year=2026"):
            r = client.get(path, headers=bearer(tokens[role]))
            assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert client.get(url).status_code == 401
    for role in ("manager", "admin"):
        assert client.get(url, headers=bearer(tokens[role])).status_code == 200
    page = report_app.test_client()
    assert page.get("/reports").status_code == 302  # to the login
    page.get(f"/device?token={tokens['manager']}")
    r = page.get("/reports")
    assert r.status_code == 200 and "Báo cáo thống kê" in r.get_data(as_text=True)
    officer = report_app.test_client()
    officer.get(f"/device?token={tokens['officer1']}")
    assert officer.get("/reports").status_code == 403


@pytest.mark.parametrize("query", [
    "", "from=2026-03-02", "to=2026-03-02", "from=2026-13-01&to=2026-12-31", "from=2026-3-2&to=2026-03-02",
    "from=02/03/2026&to=2026-03-02", "from=2026-03-05&to=2026-03-02", "from=2025-01-01&to=2026-03-02",
    "from=2026-03-01&to=2026-03-02&by=week", "from=2026-03-01&to=2026-03-02&format=pdf",
    "from=0001-01-01&to=9999-12-31", "from=2026-03-01T00:00&to=2026-03-02",
])
def test_bad_parameters_get_400_and_change_nothing(report_app, query):
    client, token = report_app.test_client(), bearer(report_app.tokens["manager"])
    conn = report_app.extensions["kiosk"].store.conn()
    before = conn.execute("SELECT COUNT(*) FROM report_days").fetchone()[0]
    r = client.get(f"/api/v1/reports?{query}", headers=token)
    assert r.status_code == 400, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == "bad_request" and error["message"]
    assert conn.execute("SELECT COUNT(*) FROM report_days").fetchone()[0] == before


@pytest.mark.parametrize("query", ["year=abc", "year=1999", "year=2026&format=doc", "year=-1"])
def test_bad_monthly_parameters_get_400(report_app, query):
    r = report_app.test_client().get(f"/api/v1/reports/monthly?{query}", headers=bearer(report_app.tokens["manager"]))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
