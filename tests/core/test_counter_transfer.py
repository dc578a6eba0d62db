"""Transfer to one counter (issue 13) in the engine: a ticket directed to counter N is called only by N, before
N's own queue; the refusals; the event; the forecast; a transfer to a service clears the direction.

Catalogue (core_fixtures): counter 1 serves HT then DD, 2 serves DD, 3 pools HT and DD; all open.
"""
from __future__ import annotations

import pytest

from kiosk.queue.errors import IllegalTransition, InvalidInput, NotFound
from kiosk.queue.events import TicketTransferred, event_from_row
from kiosk.queue.snapshot import queue_snapshot
from kiosk.reports.replay import replay


def _issue(engine, service="HT", priority="normal"):
    return engine.issue_ticket(service, priority).ticket


def test_a_directed_ticket_is_called_only_by_its_counter_and_before_its_queue(engine, clock):
    a1, a2, a3 = _issue(engine), _issue(engine), _issue(engine)
    engine.call_next(1)  # A001 at counter 1
    clock.advance(60)
    moved = engine.transfer(a1.id, counter=1, to_counter=3)  # same service, to counter 3
    assert (moved.state, moved.service, moved.target_counter, moved.target_from) == ("waiting", "HT", 3, 1)
    assert engine.counter(1).current_ticket_id is None
    # counter 1 (serves HT) never gets it: its next is A002
    assert engine.call_next(1).id == a2.id
    # counter 3 calls the directed A001 before A003, which waited in its own queue
    called = engine.call_next(3)
    assert called.id == a1.id and called.target_counter is None  # a call fulfils the direction
    assert engine.call_next(2) is None  # counter 2 serves DD only
    engine.no_show(3)
    assert engine.call_next(3).id == a3.id


def test_directed_tickets_go_in_queue_order_and_the_policy_applies_among_them(engine):
    a1, a2 = _issue(engine), _issue(engine)
    old = _issue(engine, priority="elderly")
    b1 = _issue(engine, "DD")
    for t in (b1, a2, a1, old):  # the order of the transfers does not matter: queue order is the id
        engine.transfer(t.id, to_counter=3)
    ordinary = _issue(engine, priority="elderly")
    # strict: the directed priority ticket first, then the directed in id order, then the ordinary queue
    order = []
    for _ in range(5):
        order.append(engine.call_next(3).id)
        engine.no_show(3)
    assert order == [old.id, a1.id, a2.id, b1.id, ordinary.id]


def test_a_transfer_can_change_service_and_counter_at_once(engine):
    a1 = _issue(engine)
    moved = engine.transfer(a1.id, "DD", to_counter=2)
    assert (moved.service, moved.target_counter) == ("DD", 2)
    assert engine.call_next(1) is None and engine.call_next(3) is None  # both serve DD, neither gets it
    assert engine.call_next(2).id == a1.id


def test_a_transfer_to_a_service_clears_the_direction(engine):
    a1 = _issue(engine)
    engine.transfer(a1.id, to_counter=3)
    moved = engine.transfer(a1.id, "DD")
    assert (moved.service, moved.target_counter, moved.target_from) == ("DD", None, None)
    assert engine.call_next(2).id == a1.id


def test_refusals_name_the_counter_and_change_nothing(engine):
    a1 = _issue(engine)
    with pytest.raises(NotFound) as refused:
        engine.transfer(a1.id, to_counter=9)
    assert refused.value.code == "transfer_no_counter" and refused.value.values["counter"] == 9
    with pytest.raises(InvalidInput) as refused:
        engine.transfer(a1.id, to_counter=2)  # counter 2 serves DD only
    assert refused.value.code == "transfer_counter_not_serving"
    with pytest.raises(NotFound) as refused:
        engine.transfer(a1.id, "DD", to_counter=9)
    assert refused.value.code == "transfer_no_counter"
    for bad in ("3", True, 2.0):
        with pytest.raises(InvalidInput):
            engine.transfer(a1.id, to_counter=bad)
    with pytest.raises(InvalidInput) as refused:
        engine.transfer(a1.id)
    assert refused.value.text == "transfer_needs_target"
    with pytest.raises(InvalidInput) as refused:
        engine.transfer(a1.id, "HT")  # a service alone must be another one, as before
    assert refused.value.text == "ticket_same_service"
    assert engine.ticket(a1.id).target_counter is None and engine.ticket(a1.id).state == "waiting"
    engine.transfer(a1.id, to_counter=3)
    with pytest.raises(InvalidInput) as refused:
        engine.transfer(a1.id, to_counter=3)
    assert refused.value.code == "transfer_same_counter"
    engine.call_next(3)
    with pytest.raises(InvalidInput) as refused:  # the ticket is at counter 3 now
        engine.transfer(a1.id, counter=3, to_counter=3)
    assert refused.value.code == "transfer_same_counter"


def test_another_counter_cannot_call_it_by_number(engine):
    a1 = _issue(engine)
    engine.transfer(a1.id, to_counter=3)
    with pytest.raises(IllegalTransition) as refused:
        engine.call_ticket(1, a1.id)
    assert refused.value.text == "ticket_directed_elsewhere" and refused.value.values["target"] == 3
    assert engine.call_ticket(3, a1.id).counter == 3


def test_a_closed_or_paused_target_is_allowed_and_the_ticket_waits(engine, clock):
    a1, a2 = _issue(engine), _issue(engine)
    engine.pause(3, "Nghỉ giải lao")
    engine.transfer(a1.id, to_counter=3)
    assert engine.call_next(1).id == a2.id  # nobody else takes it
    engine.no_show(1)
    assert engine.call_next(1) is None
    place = engine.forecast([a1.id])[a1.id]
    assert place.assumed and place.position == 1  # counted as if counter 3 were open: it waits for it
    engine.resume(3)
    assert not engine.forecast([a1.id])[a1.id].assumed
    assert engine.call_next(3).id == a1.id


def test_the_event_records_the_target_and_keeps_the_wire_fields(engine, store):
    a1 = _issue(engine)
    engine.transfer(a1.id, counter=1, to_counter=3, officer_id=None)
    event = engine.published[-1]
    assert isinstance(event, TicketTransferred) and event.to_counter == 3
    payload = event.payload()
    assert (payload["from"], payload["to"], payload["to_counter"], payload["counter"]) == ("HT", "HT", 3, 1)
    row = store.conn().execute("SELECT * FROM events WHERE type = 'ticket_transferred'").fetchone()
    assert event_from_row(dict(row)) == event
    engine.transfer(a1.id, "DD")
    plain = engine.published[-1]
    assert plain.to_counter is None and "to_counter" not in plain.payload()  # the old row, as it always was


def test_the_forecast_places_a_directed_ticket_at_its_counter(engine):
    a1, a2, a3 = _issue(engine), _issue(engine), _issue(engine)
    engine.transfer(a3.id, to_counter=3)
    places = engine.forecast()
    # counter 1 calls A001, counter 3 the directed A003 first; A002 goes to counter 1 in the next round
    assert places[a3.id].position == 2 and places[a3.id].estimated_wait_s == 0
    assert places[a1.id].position == 1 and places[a2.id].position == 3


def test_the_snapshot_lists_directed_tickets_at_their_counter(engine):
    a1 = _issue(engine)
    engine.call_next(1)
    engine.transfer(a1.id, counter=1, to_counter=3)
    snap = queue_snapshot(engine)
    views = {c["number"]: c for c in snap["counters"]}
    assert [(d["number"], d["from_counter"]) for d in views[3]["directed"]] == [(a1.number, 1)]
    assert views[1]["directed"] == [] and views[2]["directed"] == []
    ht = next(s for s in snap["services"] if s["code"] == "HT")
    assert ht["waiting"] == 1 and ht["next"][0]["target_counter"] == 3


def test_replay_and_stats_see_one_waited_and_served_ticket(engine, store, clock):
    a1 = _issue(engine)
    clock.advance(120)
    engine.call_next(1)
    clock.advance(30)
    engine.transfer(a1.id, counter=1, to_counter=3)
    clock.advance(60)
    engine.call_next(3)
    engine.start(3)
    clock.advance(300)
    engine.finish(3)
    rows = store.conn().execute("SELECT * FROM events ORDER BY id").fetchall()
    facts = replay([dict(r) for r in rows])
    fact = next(f for f in facts if f.ticket_id == a1.id)
    assert (fact.service, fact.outcome, fact.counter) == ("HT", "done", 3)


def test_the_city_extract_ships_the_target_counter(engine, store):
    from zoneinfo import ZoneInfo

    from kiosk.city.extract import Extractor

    a1 = _issue(engine)
    engine.transfer(a1.id, counter=1, to_counter=3, officer_id=None)
    row = store.conn().execute("SELECT * FROM events WHERE type = 'ticket_transferred'").fetchone()
    shipped = Extractor("S1", ZoneInfo("Asia/Ho_Chi_Minh"), b"k" * 32).event(dict(row), 1)
    assert shipped["data"] == {"from": "HT", "to": "HT", "to_counter": 3} and shipped["counter"] == 1


def test_a_directed_ticket_makes_only_its_counter_idle_while_waiting(engine, store, clock):
    from kiosk.queue.stats import day_statistics

    engine.pause(3, "Nghỉ giải lao")
    a1 = _issue(engine)
    engine.transfer(a1.id, to_counter=3)
    clock.advance(600)  # counter 1 (serves HT) stands open: nobody waits for it
    engine.resume(3)
    clock.advance(60)  # counter 3 stands open while its directed citizen waits
    engine.call_next(3)
    clock.advance(10)
    stats = day_statistics(store.conn(), clock)
    counters = stats["counters"]
    assert counters[1]["idle_while_waiting_s"] == 0
    assert counters[3]["idle_while_waiting_s"] == 60
    assert stats["services"]["HT"]["waiting"] == 0


def test_a_direction_ends_when_the_ticket_stops_waiting(engine, clock):
    from datetime import timedelta

    a1, a2 = _issue(engine), _issue(engine)
    for t in (a1, a2):
        engine.transfer(t.id, to_counter=3)
    assert engine.cancel(a1.id).target_counter is None
    clock.advance(timedelta(days=1).total_seconds())
    engine.issue_ticket("HT")  # the next day's first action ends the day before
    assert (engine.ticket(a2.id).state, engine.ticket(a2.id).target_counter) == ("expired", None)
