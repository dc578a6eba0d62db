"""The manager's alerts (kiosk.queue.alerts, AlertWatch): raised by their cause, cleared when it ends;
the monitor's feed of today's events and the officer's own figures."""
from __future__ import annotations

import time

import pytest
from core_fixtures import bearer

from kiosk.config import Config, ConfigError
from kiosk.queue.alert_watch import AlertWatch
from kiosk.queue.alerts import AlertRules
from kiosk.queue.catalog import save_service
from kiosk.queue.errors import InvalidInput
from kiosk.queue.stats import officer_day

RULES = AlertRules(idle_counter_minutes=5, called_not_started_minutes=3, max_waiting=30)


def keys(watch: AlertWatch) -> set[str]:
    return {a.key for a in watch.check()}


def following(engine, watch: AlertWatch) -> AlertWatch:
    """The watch hears every event the engine publishes, as it does from the bus in the service."""
    publish = engine.publish

    def both(event):
        publish(event)
        watch(event)

    engine.publish = both
    return watch


def test_a_wait_beyond_the_target_is_raised_and_cleared_by_the_call(engine, clock):
    watch = AlertWatch(engine, RULES)
    engine.issue_ticket("HT")  # HT's target is 10 minutes
    clock.advance(9 * 60)
    assert "wait_over_target:HT" not in keys(watch)
    clock.advance(2 * 60)
    found = {a.key: a for a in watch.check()}
    alert = found["wait_over_target:HT"]
    assert alert.value == 1 and alert.service == "HT" and "Quý khách" in alert.message
    assert alert.since == pytest.approx(clock.now() - 60, abs=1)  # the target passed a minute ago
    engine.call_next(1)
    assert "wait_over_target:HT" not in keys(watch)


def test_a_queue_longer_than_the_service_standard(engine, store, clock):
    with store.transaction() as conn:
        save_service(conn, {"code": "DD", "prefix": "B", "name": "Đất đai", "max_waiting": 2}, False)
    for n in (1, 2, 3):
        engine.close_counter(n)
    watch = AlertWatch(engine, RULES)
    engine.issue_ticket("DD")
    engine.issue_ticket("DD")
    assert "queue_too_long:DD" not in keys(watch)
    engine.issue_ticket("DD")
    found = {a.key: a for a in watch.check()}
    assert found["queue_too_long:DD"].value == 3
    began = found["queue_too_long:DD"].since
    clock.advance(120)
    assert {a.key: a for a in watch.check()}["queue_too_long:DD"].since == began  # it lasts: same start
    for _ in range(3):
        engine.issue_ticket("HT")  # HT has no standard of its own: the centre's 30 applies
    assert "queue_too_long:HT" not in keys(watch)
    engine.cancel(engine.waiting("DD")[0].id)
    assert "queue_too_long:DD" not in keys(watch)


def test_a_service_standard_is_validated(engine, store):
    with store.transaction() as conn:
        with pytest.raises(InvalidInput):
            save_service(conn, {"code": "DD", "prefix": "B", "name": "Đất đai", "max_waiting": 0}, False)
        with pytest.raises(InvalidInput):
            save_service(conn, {"code": "DD", "prefix": "B", "name": "Đất đai", "max_waiting": "many"}, False)


def test_a_counter_idle_while_people_wait(engine, clock, store):
    watch = following(engine, AlertWatch(engine, RULES))
    engine.issue_ticket("HT")
    engine.call_next(1)
    engine.start(1)
    engine.finish(1)  # counter 1 is free from now on
    engine.issue_ticket("HT")
    engine.call_next(3)  # counter 3 takes it; counter 1 stays free
    engine.issue_ticket("HT")  # one waits for HT, which counters 1 and 3 serve; 3 is busy
    clock.advance(4 * 60)
    assert "counter_idle:1" not in keys(watch)
    clock.advance(2 * 60)
    found = {a.key: a for a in watch.check()}
    assert found["counter_idle:1"].value == 1
    assert "counter_idle:2" not in found  # counter 2 serves only DD, and nobody waits for DD
    engine.call_next(1)
    assert not {k for k in keys(watch) if k.startswith("counter_idle")}


def test_idle_since_is_read_from_todays_events_at_start(engine, clock):
    engine.issue_ticket("HT")
    engine.call_next(1)
    engine.start(1)
    engine.finish(1)
    clock.advance(6 * 60)
    engine.issue_ticket("HT")
    engine.close_counter(3)
    watch = AlertWatch(engine, RULES)  # made after the finish: it learns it from the events table
    assert "counter_idle:1" in keys(watch)


def test_a_call_not_started(engine, clock):
    watch = AlertWatch(engine, RULES)
    engine.issue_ticket("HT")
    engine.call_next(1)
    clock.advance(3 * 60 + 1)
    found = {a.key: a for a in watch.check()}
    assert found["called_not_started:1"].ticket == "A001"
    engine.start(1)
    assert "called_not_started:1" not in keys(watch)


def test_the_listener_hears_only_changes(engine, clock):
    heard = []
    watch = AlertWatch(engine, RULES, on_change=heard.append)
    watch.check()
    assert heard == []  # nothing to say, nothing said
    engine.issue_ticket("HT")
    clock.advance(11 * 60)
    watch.check()
    watch.check()
    assert len(heard) == 1 and heard[0][0].key == "wait_over_target:HT"
    engine.issue_ticket("HT")  # a second one past the target later changes the figure
    clock.advance(11 * 60)
    watch.check()
    assert len(heard) == 2 and heard[1][0].value == 2
    engine.call_next(1)
    engine.call_next(3)
    watch.check()
    assert heard[-1] == []


def test_disabled_alerts_say_nothing(engine, clock):
    watch = AlertWatch(engine, AlertRules(enabled=False))
    engine.issue_ticket("HT")
    clock.advance(3600)
    assert watch.check() == []


def test_bad_rules_are_refused():
    with pytest.raises(InvalidInput):
        AlertRules(idle_counter_minutes=0)
    with pytest.raises(InvalidInput):
        AlertRules(max_waiting=True)
    with pytest.raises(ConfigError, match=r"\[alerts\] max_waiting"):
        Config.from_dict({"alerts": {"max_waiting": 0}})
    with pytest.raises(ConfigError, match=r"\[alerts\] idle_counter_minute"):
        Config.from_dict({"alerts": {"idle_counter_minute": 5}})
    assert Config.from_dict({"alerts": {"max_waiting": 12}}).alerts.rules().max_waiting == 12


def test_an_officers_own_day(engine, clock, store):
    engine.issue_ticket("HT")
    engine.issue_ticket("HT")
    engine.issue_ticket("HT")
    engine.call_next(1, officer_id=7)
    engine.start(1, officer_id=7)
    clock.advance(300)
    done = engine.finish(1, officer_id=7)
    engine.call_next(1, officer_id=7)
    engine.no_show(1, officer_id=7)
    engine.issue_ticket("HT")
    engine.call_next(3, officer_id=8)  # another officer's work is not counted
    engine.start(3, officer_id=8)
    engine.finish(3, officer_id=8)
    with store.transaction() as conn:
        conn.execute("INSERT INTO ratings (ticket_id, score, service_code, counter_number, at) VALUES (?, 5, 'HT', 1, ?)",
                     [done.id, clock.now()])
    mine = officer_day(store.conn(), clock, 7)
    assert mine["served"] == 1 and mine["no_show"] == 1 and mine["mean_service_s"] == 300
    assert mine["ratings"] == 1 and mine["satisfied_rate"] == 1.0
    clock.advance(24 * 3600)
    assert officer_day(store.conn(), clock, 7)["served"] == 0  # a new day starts at zero


# -- the web layer ---------------------------------------------------------------------------------


def test_alerts_api_and_the_monitor_socket(app, client, tokens, clock):
    kiosk = app.extensions["kiosk"]
    assert client.get("/api/v1/alerts", headers=bearer(tokens["officer1"])).status_code == 403
    assert client.get("/api/v1/alerts", headers=bearer(tokens["manager"])).json["alerts"] == []
    monitor = kiosk.socketio.test_client(app, namespace="/monitor", auth={"token": tokens["manager"]})
    first = [m["args"][0] for m in monitor.get_received("/monitor") if m["name"] == "queue_alerts"]
    assert first and first[0]["alerts"] == []  # the list is sent on connect
    sla = kiosk.engine.service("HT").sla_minutes
    for c in kiosk.engine.counters():
        if c.state != "closed":
            kiosk.engine.close_counter(c.number)
    client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    clock.advance(sla * 60 + 5)
    kiosk.alerts.check()
    deadline, got = time.monotonic() + 5, []
    while time.monotonic() < deadline and not got:
        got = [m["args"][0] for m in monitor.get_received("/monitor") if m["name"] == "queue_alerts"]
        time.sleep(0.02)
    assert got and [a["key"] for a in got[-1]["alerts"]] == ["wait_over_target:HT"]
    assert got[-1]["alerts"][0]["message"].startswith("A · ")
    body = client.get("/api/v1/alerts", headers=bearer(tokens["manager"])).json
    assert [a["kind"] for a in body["alerts"]] == ["wait_over_target"]


def test_todays_events_newest_first_and_bounded(app, client, tokens, clock):
    kiosk = app.extensions["kiosk"]
    client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    clock.advance(24 * 3600)  # yesterday's events are not today's
    kiosk.engine.open_counter(1)  # the day's first action ended yesterday: its ticket expired, counters closed
    for _ in range(3):
        client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
        clock.advance(1)
    kiosk.engine.call_next(1)
    r = client.get("/api/v1/events/today?limit=3", headers=bearer(tokens["manager"]))
    assert r.status_code == 200
    got = r.json
    assert [e["type"] for e in got] == ["ticket_called", "ticket_issued", "ticket_issued"]
    assert got[0]["at"] >= got[1]["at"] >= got[2]["at"]
    everything = client.get("/api/v1/events/today?limit=100", headers=bearer(tokens["manager"])).json
    assert [e["type"] for e in everything].count("ticket_issued") == 3  # not yesterday's fourth
    assert [e["type"] for e in everything][-1] == "ticket_expired"  # yesterday's, closed this morning
    for bad in ("0", "101", "x", "-1", "1e9"):
        r = client.get(f"/api/v1/events/today?limit={bad}", headers=bearer(tokens["manager"]))
        assert r.status_code == 422 and r.json["error"]["code"] == "invalid"
    assert client.get("/api/v1/events/today", headers=bearer(tokens["officer1"])).status_code == 403


def test_my_day_for_an_officer_login_not_for_a_token(app, client, tokens):
    assert client.get("/api/v1/me/today", headers=bearer(tokens["officer1"])).status_code == 404
    page = client.get("/login")
    assert page.status_code == 200
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    r = client.post("/login", data={"username": "quay1", "password": app.logins["quay1"], "csrf_token": csrf})
    assert r.status_code == 302
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    headers = {"X-CSRF-Token": csrf}
    app.test_client().post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    assert client.post("/api/v1/counters/1/next", headers=headers).status_code == 200
    assert client.post("/api/v1/counters/1/start", headers=headers).status_code == 200
    assert client.post("/api/v1/counters/1/finish", headers=headers).status_code == 200
    mine = client.get("/api/v1/me/today").json
    assert mine["served"] == 1 and mine["no_show"] == 0 and mine["ratings"] == 0
