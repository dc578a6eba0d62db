"""The queue engine's state machine, numbering, limits and estimates, over a real SQLite store."""
from __future__ import annotations

import pytest

from kiosk.queue.errors import IllegalTransition, InvalidInput, LimitReached, NotFound, ServiceClosed
from kiosk.queue.events import TicketCalled, TicketFinished, TicketIssued, TicketNoShow


def event_types(engine):
    return [e.name for _, e in engine.events()]


def test_numbers_per_prefix_and_restart_next_day_keeping_history(engine, clock):
    a1 = engine.issue_ticket("HT").ticket
    b1 = engine.issue_ticket("DD").ticket
    a2 = engine.issue_ticket("HT").ticket
    assert (a1.number, b1.number, a2.number) == ("A001", "B001", "A002")
    clock.advance(24 * 3600)
    next_day = engine.issue_ticket("HT").ticket
    assert next_day.number == "A001"
    assert next_day.day != a1.day
    assert engine.ticket(a1.id).number == "A001"  # yesterday's ticket is still there


def test_issue_records_event_in_same_transaction_and_publishes_after(engine):
    issued = engine.issue_ticket("HT", "elderly")
    assert issued.position == 1
    assert event_types(engine).count("ticket_issued") == 1
    assert isinstance(engine.published[-1], TicketIssued)
    assert engine.published[-1].number == "A001" and engine.published[-1].priority == "elderly"


def test_bad_issue_input_changes_nothing(engine):
    before = event_types(engine)
    with pytest.raises(NotFound):
        engine.issue_ticket("XX")
    with pytest.raises(InvalidInput):
        engine.issue_ticket("HT", priority="vip")
    with pytest.raises(InvalidInput):
        engine.issue_ticket(123)  # type: ignore[arg-type]
    assert event_types(engine) == before
    assert engine.waiting() == []


def test_daily_limit_and_person_limit(engine):
    engine.issue_ticket("DD", citizen_key="c1")
    with pytest.raises(LimitReached) as exc:
        engine.issue_ticket("DD", citizen_key="c1")
    assert exc.value.code == "person_limit_reached"
    for _ in range(4):
        engine.issue_ticket("DD")
    with pytest.raises(LimitReached):
        engine.issue_ticket("DD")
    assert len(engine.waiting("DD")) == 5


def test_closed_service_refuses(engine, store):
    with store.transaction() as conn:
        conn.execute("UPDATE services SET is_open = 0 WHERE code = 'HT'")
    with pytest.raises(ServiceClosed):
        engine.issue_ticket("HT")


def test_full_ticket_life(engine, clock):
    t = engine.issue_ticket("HT").ticket
    clock.advance(60)
    called = engine.call_next(1, officer_id=None)
    assert called.id == t.id and called.state == "called" and called.counter == 1
    assert isinstance(engine.published[-1], TicketCalled)
    recalled = engine.recall(1)
    assert recalled.recalls == 1
    engine.start(1)
    clock.advance(300)
    done = engine.finish(1)
    assert done.state == "done" and done.finished_at - done.started_at == 300
    assert isinstance(engine.published[-1], TicketFinished)
    assert engine.counter(1).current_ticket_id is None
    assert event_types(engine)[-4:] == ["ticket_called", "ticket_recalled", "ticket_started", "ticket_finished"]


@pytest.mark.parametrize("action", ["finish", "start", "recall", "no_show", "hold"])
def test_actions_without_a_current_ticket_are_409(engine, action):
    engine.issue_ticket("HT")
    before = event_types(engine)
    with pytest.raises(IllegalTransition):
        getattr(engine, action)(1)
    assert event_types(engine) == before


def test_finish_a_ticket_never_started_is_illegal(engine):
    engine.issue_ticket("HT")
    engine.call_next(1)
    with pytest.raises(IllegalTransition, match="called"):
        engine.finish(1)
    assert engine.current_ticket(1).state == "called"


def test_call_at_paused_or_closed_counter_is_illegal(engine):
    engine.issue_ticket("HT")
    engine.pause(1, "Nghỉ giải lao")
    with pytest.raises(IllegalTransition, match="paused"):
        engine.call_next(1)
    engine.resume(1)
    engine.close_counter(1)
    with pytest.raises(IllegalTransition, match="closed"):
        engine.call_next(1)
    assert len(engine.waiting()) == 1


def test_pause_needs_reason_and_idle_counter(engine):
    with pytest.raises(InvalidInput):
        engine.pause(1, "   ")
    engine.issue_ticket("HT")
    engine.call_next(1)
    with pytest.raises(IllegalTransition, match="busy"):
        engine.pause(1, "Họp")
    assert engine.counter(1).state == "open"


def test_next_while_busy_refused_unless_finishing_served_ticket(engine):
    engine.issue_ticket("HT")
    engine.issue_ticket("HT")
    engine.call_next(1)
    with pytest.raises(IllegalTransition, match="busy"):
        engine.call_next(1)
    engine.start(1)
    with pytest.raises(IllegalTransition):
        engine.call_next(1)
    second = engine.call_next(1, finish_current=True)
    assert second.number == "A002"
    assert engine.ticket(1).state == "done"


def test_counter_preference_order(engine):
    engine.issue_ticket("DD")
    engine.issue_ticket("HT")
    # counter 1 prefers HT even though the DD ticket is older
    assert engine.call_next(1).service == "HT"
    # counter 2 serves only DD
    assert engine.call_next(2).service == "DD"
    assert engine.call_next(3) is None


def test_pooled_services_go_by_issue_time(engine, clock):
    b = engine.issue_ticket("DD").ticket
    clock.advance(5)
    engine.issue_ticket("HT")
    assert engine.call_next(3).id == b.id


def test_no_show_and_auto_no_show(engine):
    engine.issue_ticket("HT")
    engine.call_next(1)
    assert engine.no_show(1).state == "no_show"
    engine.update_settings({"auto_no_show_after_recalls": 2})
    engine.issue_ticket("HT")
    engine.call_next(1)
    engine.recall(1)
    engine.recall(1)
    third = engine.recall(1)
    assert third.state == "no_show"
    no_show = [e for _, e in engine.events() if isinstance(e, TicketNoShow)][-1]
    assert no_show.automatic is True and no_show.recalls == 2


def test_hold_and_return_keeps_place(engine, clock):
    first = engine.issue_ticket("HT").ticket
    clock.advance(10)
    engine.issue_ticket("HT")
    engine.call_next(1)
    held = engine.hold(1, reason="Thiếu giấy tờ")
    assert held.state == "held" and engine.counter(1).current_ticket_id is None
    engine.return_held(first.id, counter=1)
    assert engine.waiting("HT")[0].id == first.id
    assert engine.call_next(1).id == first.id


def test_transfer_keeps_number_and_issue_time(engine, clock):
    t = engine.issue_ticket("HT").ticket
    clock.advance(100)
    engine.issue_ticket("DD")
    engine.call_next(1)
    engine.start(1)
    moved = engine.transfer(t.id, "DD", counter=1)
    assert moved.service == "DD" and moved.number == "A001" and moved.issued_at == t.issued_at
    assert moved.state == "waiting" and engine.counter(1).current_ticket_id is None
    # it keeps its original time, so it is ahead of the DD ticket issued later
    assert engine.call_next(2).id == t.id


def test_transfer_from_another_counter_is_refused(engine):
    t = engine.issue_ticket("HT").ticket
    engine.call_next(1)
    with pytest.raises(IllegalTransition):
        engine.transfer(t.id, "DD", counter=3)
    assert engine.ticket(t.id).state == "called"


def test_cancel_only_waiting_or_held(engine):
    t = engine.issue_ticket("HT").ticket
    engine.cancel(t.id)
    with pytest.raises(IllegalTransition):
        engine.cancel(t.id)
    t2 = engine.issue_ticket("HT").ticket
    engine.call_next(1)
    with pytest.raises(IllegalTransition):
        engine.cancel(t2.id)


def test_call_specific_ticket_must_be_served_here(engine):
    a = engine.issue_ticket("HT").ticket
    engine.issue_ticket("HT")
    with pytest.raises(IllegalTransition, match="does not serve"):
        engine.call_ticket(2, a.id)
    second = engine.waiting("HT")[1]
    assert engine.call_ticket(1, second.id).id == second.id


def test_estimate_uses_recent_service_times_and_open_counters(engine, clock):
    for _ in range(3):
        engine.issue_ticket("HT")
    for _ in range(3):
        engine.call_next(1)
        engine.start(1)
        clock.advance(120)
        engine.finish(1)
    for _ in range(4):
        issued = engine.issue_ticket("HT")
    # 3 ahead, mean 120 s, counters 1 and 3 serve HT and are open
    assert issued.position == 4
    assert issued.estimated_wait_s == round(3 * 120 / 2)


def test_event_log_is_append_only(engine, store):
    engine.issue_ticket("HT")
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with store.transaction() as conn:
            conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with store.transaction() as conn:
            conn.execute("UPDATE events SET type = 'x'")
    assert len(list(engine.events())) >= 4


def test_settings_persist_across_engines(engine, store, clock):
    from kiosk.queue.engine import QueueEngine

    engine.update_settings({"policy": "interleave", "interleave_every": 2})
    again = QueueEngine(store, clock)
    assert again.settings.policy.name == "interleave" and again.settings.policy.interleave_every == 2
    with pytest.raises(InvalidInput):
        engine.update_settings({"policy": "lottery"})
    assert QueueEngine(store, clock).settings.policy.name == "interleave"
