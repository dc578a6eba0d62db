"""The day ends (kiosk/queue/dayend.py): at closing time, or at the first action of a new day when the service
was off then, tickets not served expire with one ``ticket_expired`` each, counters close, and the next day
starts with an empty queue; nothing is deleted, and ending a day twice does nothing more."""
from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta

import pytest
from app_support import bearer, make_app, role_tokens, store_at_version
from core_fixtures import MORNING, make_catalogue

from kiosk.demo.centre import open_demo_counters
from kiosk.queue import dayend
from kiosk.queue.clock import FakeClock, centre_timezone, day_bounds, local_day
from kiosk.queue.engine import QueueEngine, QueueSettings
from kiosk.queue.errors import IllegalTransition, InvalidInput
from kiosk.queue.events import CounterClosed, TicketExpired
from kiosk.queue.model import Counter, Ticket
from kiosk.queue.stats import day_statistics
from kiosk.store import open_store

TZ = centre_timezone()
CLOSING = MORNING.replace(hour=17, minute=30)


def counts(store) -> tuple[int, int]:
    conn = store.conn()
    return (conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def expired_events(engine) -> list[TicketExpired]:
    return [e for _, e in engine.events() if isinstance(e, TicketExpired)]


def a_busy_day(engine):
    """Counter 1 served one and holds another, counter 2 has one called, counter 3 is serving, one waits."""
    done = engine.issue_ticket("HT").ticket
    held = engine.issue_ticket("HT").ticket
    serving = engine.issue_ticket("HT").ticket
    called = engine.issue_ticket("DD").ticket
    waiting = engine.issue_ticket("DD").ticket
    assert engine.call_next(1).id == done.id
    engine.start(1)
    engine.finish(1)
    assert engine.call_next(1).id == held.id
    engine.hold(1)
    assert engine.call_next(3).id == serving.id
    engine.start(3)
    assert engine.call_next(2).id == called.id
    return {"done": done, "held": held, "serving": serving, "called": called, "waiting": waiting}


def test_closing_time_expires_waiting_held_and_called_with_one_event_each(engine, store, clock):
    t = a_busy_day(engine)
    clock.set(CLOSING + timedelta(seconds=20))
    before = counts(store)
    engine.published.clear()
    expired = engine.end_day_if_due()

    assert sorted(x.id for x in expired) == sorted(t[k].id for k in ("held", "called", "waiting"))
    events = expired_events(engine)
    assert sorted((e.ticket_id, e.was) for e in events) == sorted(
        (t[k].id, k) for k in ("held", "called", "waiting"))
    assert all(e.day == MORNING.date().isoformat() and e.at == clock.now() for e in events)
    for k in ("held", "called", "waiting"):
        assert engine.ticket(t[k].id).state == "expired"
    assert engine.ticket(t["done"].id).state == "done"
    assert engine.ticket(t["serving"].id).state == "serving"  # its officer finishes it
    # counters: idle ones and the one whose called ticket expired close; the one serving stays open
    assert [(c.number, c.state, c.current_ticket_id) for c in engine.counters()] == [
        (1, "closed", None), (2, "closed", None), (3, "open", t["serving"].id)]
    # published on the bus like every event (the displays and the monitor follow it)
    assert sorted(e.ticket_id for e in engine.published if isinstance(e, TicketExpired)) == sorted(
        x.id for x in expired)
    assert sorted(e.counter for e in engine.published if isinstance(e, CounterClosed)) == [1, 2]
    # nothing deleted: the same tickets, and events only added (3 expiries, 2 closings)
    assert counts(store) == (before[0], before[1] + 5)
    stats = day_statistics(store.conn(), clock)
    assert stats["totals"]["expired"] == 3 and stats["totals"]["waiting"] == 0
    assert stats["services"]["HT"]["expired"] == 1 and stats["services"]["DD"]["expired"] == 2

    # idempotent: the ticker again, the same cutoff by hand, a restarted engine: nothing more
    again = counts(store)
    assert engine.end_day_if_due() == []
    assert engine.end_day(dayend.due_cutoff(clock, clock.now(), "17:30")) == []
    assert QueueEngine(store, clock, QueueSettings()).end_day_if_due() == []
    assert counts(store) == again


def test_an_expired_ticket_takes_no_more_actions(engine, clock):
    ticket = engine.issue_ticket("HT").ticket
    clock.set(CLOSING)
    engine.end_day_if_due()
    for action in (lambda: engine.call_ticket(1, ticket.id), lambda: engine.cancel(ticket.id),
                   lambda: engine.return_held(ticket.id)):
        with pytest.raises(IllegalTransition):
            action()
    assert engine.position(ticket.id) is None


def test_late_work_after_closing_is_left_for_the_next_day(engine, clock):
    clock.set(CLOSING + timedelta(minutes=1))
    engine.end_day_if_due()  # every counter closes
    engine.open_counter(1)  # an officer stays late
    late = engine.issue_ticket("HT").ticket
    clock.advance(60)
    assert engine.end_day_if_due() == []
    assert engine.counter(1).state == "open" and engine.ticket(late.id).state == "waiting"
    clock.set(MORNING + timedelta(days=1))
    engine.end_day_if_due()  # the next day has begun: yesterday is over
    assert engine.ticket(late.id).state == "expired" and engine.counter(1).state == "closed"


def test_the_next_days_first_call_is_its_own_A001(engine, store, clock):
    """The service was off at closing: the first action of the next day ends yesterday first."""
    t = a_busy_day(engine)
    tickets, events = counts(store)
    clock.set(MORNING + timedelta(days=1))
    engine.open_counter(1)  # the first action of the day
    assert counts(store) == (tickets, events + 4 + 3 + 1)  # 4 expired, 3 counters closed, 1 opened
    old = {k: engine.ticket(v.id).state for k, v in t.items()}
    assert old == {"done": "done", "held": "expired", "serving": "expired", "called": "expired",
                   "waiting": "expired"}  # serving since yesterday: nothing of yesterday is left open
    assert [c.state for c in engine.counters()] == ["open", "closed", "closed"]
    assert engine.waiting() == [] and engine.held() == []
    today = engine.issue_ticket("HT").ticket
    assert today.number == "A001" and today.day == local_day(clock)
    called = engine.call_next(1)
    assert called.id == today.id and called.number == "A001"
    assert len(expired_events(engine)) == 4


def test_a_restart_after_a_day_with_the_service_off_expires_at_the_first_action(tmp_path):
    clock = FakeClock(MORNING)
    store = open_store(tmp_path / "data")
    make_catalogue(store)
    engine = QueueEngine(store, clock)
    engine.open_counter(1)
    left = [engine.issue_ticket("HT").ticket, engine.issue_ticket("DD").ticket]
    store.close()  # off before closing; back three days later

    clock.set(MORNING + timedelta(days=3, hours=1))
    store = open_store(tmp_path / "data")
    try:
        engine = QueueEngine(store, clock)
        assert engine.ticket(left[0].id).state == "waiting"  # reads change nothing
        first = engine.issue_ticket("HT").ticket
        assert first.number == "A001"
        assert [engine.ticket(t.id).state for t in left] == ["expired", "expired"]
        assert engine.counter(1).state == "closed"
        assert [(e.ticket_id, e.day) for e in expired_events(engine)] == [
            (t.id, MORNING.date().isoformat()) for t in left]
        # the day they belong to counts them as not served, though they expired days later
        stats = day_statistics(store.conn(), clock, MORNING.date().isoformat())
        assert stats["totals"]["expired"] == 2 and stats["totals"]["waiting"] == 0 and stats["totals"]["served"] == 0
        assert day_statistics(store.conn(), clock)["totals"]["expired"] == 0  # today's own: none
    finally:
        store.close()


def test_closing_time_setting_is_validated_and_kept(engine, store, clock):
    for bad in ("17:60", "24:00", "5:30", "1730", "", 1730, None):
        with pytest.raises(InvalidInput):
            engine.update_settings({"closing_time": bad})
    assert engine.update_settings({"closing_time": "16:00"}).closing_time == "16:00"
    assert QueueEngine(store, clock).settings.closing_time == "16:00"  # kept in the store
    ticket = engine.issue_ticket("HT").ticket
    clock.set(MORNING.replace(hour=16, minute=0, second=1))
    assert [t.id for t in engine.end_day_if_due()] == [ticket.id]


def test_due_cutoff():
    clock = FakeClock(MORNING)
    start = day_bounds(clock, "2026-11-23")[0]
    assert dayend.due_cutoff(clock, CLOSING.timestamp() - 1, "17:30") == start
    assert dayend.due_cutoff(clock, CLOSING.timestamp(), "17:30") == CLOSING.timestamp()
    assert dayend.due_cutoff(clock, CLOSING.timestamp() + 3600, "17:30") == CLOSING.timestamp()
    assert dayend.due_cutoff(clock, start - 1, "17:30") == dayend.closing_moment(clock, "2026-11-22", "17:30")


def test_the_rule_alone():
    clock = FakeClock(MORNING)
    cutoff, yesterday = CLOSING.timestamp(), (MORNING - timedelta(days=1)).date().isoformat()
    today, morning = MORNING.date().isoformat(), MORNING.timestamp()

    def ticket(tid, state, day=today, issued=morning, counter=None):
        return Ticket(id=tid, day=day, number=f"A{tid:03d}", service="HT", priority="normal", state=state,
                      channel="kiosk", issued_at=issued, counter=counter, called_at=None, started_at=None,
                      finished_at=None, recalls=0)

    def counter(number, state, current=None):
        return Counter(number=number, name=f"Quầy {number}", state=state, pause_reason=None, officer_id=None,
                       current_ticket_id=current, normal_streak=0, services=("HT",))

    tickets = [ticket(1, "waiting"), ticket(2, "held", counter=1), ticket(3, "called", counter=2),
               ticket(4, "serving", counter=3), ticket(5, "serving", day=yesterday, issued=cutoff - 86400, counter=4),
               ticket(6, "waiting", issued=cutoff + 60), ticket(7, "done")]
    counters = [(counter(1, "open"), cutoff - 60), (counter(2, "open", 3), cutoff - 60),
                (counter(3, "open", 4), cutoff - 60), (counter(4, "open", 5), cutoff - 60),
                (counter(5, "paused"), cutoff - 60), (counter(6, "open"), cutoff + 1), (counter(7, "closed"), 0.0)]
    plan = dayend.plan(clock, cutoff, tickets, counters)
    assert [t.id for t in plan.expire] == [1, 2, 3, 5]  # today's serving one and the late one stay
    assert plan.close == (1, 2, 4, 5)  # 3 serves, 6 was opened after closing, 7 is closed


def test_migration_lets_an_older_store_hold_expired_tickets(tmp_path):
    """A store made before the day end (schema 10) takes the new state; its rows and checks stay."""
    path = tmp_path / "data" / "kiosk.db"
    conn = store_at_version(path.parent, 10)
    conn.execute("INSERT INTO services (code, name, prefix) VALUES ('HT', 'Hộ tịch', 'A')")
    conn.execute("INSERT INTO tickets (day, prefix, seq, number, service_code, priority, state, issued_at) "
                 "VALUES ('2026-11-20', 'A', 1, 'A001', 'HT', 'normal', 'waiting', 1)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE tickets SET state = 'expired'")
    conn.execute("COMMIT")
    conn.close()

    store = open_store(path.parent)
    try:
        clock = FakeClock(datetime(2026, 11, 23, 8, 0, tzinfo=TZ))
        engine = QueueEngine(store, clock)
        engine.end_day_if_due()  # the day-end ticker at start
        assert engine.tickets_of_day("2026-11-20")[0].state == "expired"
        with pytest.raises(sqlite3.IntegrityError):
            with store.transaction() as c:
                c.execute("UPDATE tickets SET state = 'lost'")
        assert store.conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()


# -- through the real app: the ticker, the API, Socket.IO ------------------------------------------------
@pytest.fixture
def ticking_app(tmp_path, seeded_demo, monkeypatch):
    monkeypatch.setattr("kiosk.app.DAY_END_EVERY_S", 0.1)
    clock = FakeClock(MORNING)
    app = make_app(tmp_path, seeded_demo[0], {"closing_time": "16:45"}, clock=clock)
    kiosk = app.extensions["kiosk"]
    open_demo_counters(kiosk.engine)
    app.tokens = role_tokens(kiosk)
    yield app
    kiosk.close()


def wait_for(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_the_ticker_ends_the_day_at_closing_time_through_the_api(ticking_app):
    kiosk, client = ticking_app.extensions["kiosk"], ticking_app.test_client()
    k, o1 = bearer(ticking_app.tokens["kiosk"]), bearer(ticking_app.tokens["officer1"])
    mgr, admin = bearer(ticking_app.tokens["manager"]), bearer(ticking_app.tokens["admin"])
    monitor = kiosk.socketio.test_client(ticking_app, namespace="/monitor", auth={"token": ticking_app.tokens["manager"]})
    assert monitor.is_connected("/monitor")
    ids = [client.post("/api/v1/tickets", json={"service": "HT"}, headers=k).get_json()["id"] for _ in range(3)]
    assert client.post("/api/v1/counters/1/next", json={}, headers=o1).status_code == 200
    assert client.post("/api/v1/counters/1/start", json={}, headers=o1).status_code == 200
    assert client.post("/api/v1/counters/1/finish", json={}, headers=o1).status_code == 200
    assert client.get("/api/v1/admin/settings", headers=mgr).get_json()["closing_time"] == "16:45"  # [kiosk]
    r = client.put("/api/v1/admin/settings", json={"closing_time": "25:00"}, headers=admin)
    assert r.status_code in (400, 422) and r.get_json()["error"]["code"]
    r = client.put("/api/v1/admin/settings", json={"closing_time": "17:00"}, headers=admin)
    assert r.status_code == 200 and r.get_json()["closing_time"] == "17:00"
    monitor.get_received("/monitor")

    kiosk.clock.set(MORNING.replace(hour=17, minute=0, second=5))  # nobody acts: the ticker ends the day
    wait_for(lambda: client.get(f"/api/v1/tickets/{ids[2]}", headers=k).get_json()["state"] == "expired")
    assert client.get(f"/api/v1/tickets/{ids[1]}", headers=k).get_json()["state"] == "expired"
    assert client.get(f"/api/v1/tickets/{ids[0]}", headers=k).get_json()["state"] == "done"
    events = client.get("/api/v1/events?since=0&limit=1000", headers=mgr).get_json()
    assert sorted(e["ticket_id"] for e in events if e["type"] == "ticket_expired") == ids[1:]
    expired = [e for e in events if e["type"] == "ticket_expired"]
    assert all(e["was"] == "waiting" and e["day"] == "2026-11-23" for e in expired)
    pushed = wait_for(lambda: [m["args"][0] for m in monitor.get_received("/monitor")
                               if m["name"] == "queue_event" and m["args"][0]["type"] == "ticket_expired"])
    assert sorted(p["ticket_id"] for p in pushed) == ids[1:]
    snap = client.get("/api/v1/queue", headers=mgr).get_json()
    assert all(s["waiting"] == 0 for s in snap["services"]) and all(c["state"] == "closed" for c in snap["counters"])
    total = client.get("/api/v1/reports?from=2026-11-23&to=2026-11-23&by=service", headers=mgr).get_json()["total"]
    assert (total["issued"], total["served"], total["expired"]) == (3, 1, 2)
    stats = client.get("/api/v1/stats", headers=mgr).get_json()
    assert stats["totals"]["expired"] == 2 and stats["totals"]["waiting"] == 0
    monitor.disconnect("/monitor")

    # the next morning: yesterday's numbers are history, today's A001 is the first called
    kiosk.clock.set(MORNING + timedelta(days=1))
    assert client.post("/api/v1/counters/1/open", json={}, headers=o1).status_code == 200
    new = client.post("/api/v1/tickets", json={"service": "HT"}, headers=k).get_json()
    assert new["number"] == "A001"
    called = client.post("/api/v1/counters/1/next", json={}, headers=o1).get_json()
    assert called["ticket"]["id"] == new["id"]
    total = client.get("/api/v1/reports?from=2026-11-23&to=2026-11-23&by=service", headers=mgr).get_json()["total"]
    assert (total["issued"], total["served"], total["expired"]) == (3, 1, 2)  # from the rollup now
