"""The transitions table against the engine: every (situation, action) pair the table allows succeeds and
leads where the table says; every other is a 409 that changes nothing, in today's words."""
from __future__ import annotations

import pytest
from core_fixtures import fresh_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.pager.link import BUTTONS, button_plan
from kiosk.queue import transitions as tr
from kiosk.queue.errors import IllegalTransition, QueueError

TICKET_STATES = ("waiting", "called", "serving", "done", "no_show", "held", "cancelled", "expired")

# Refusals at counter 1 whose current ticket (if any) is A001, as the engine words them (unchanged by
# the table: the same words as before it).
MESSAGES = {
    (tr.CLOSED, None, "next"): "counter 1 is closed: open or resume it before calling",
    (tr.CLOSED, None, "finish_next"): "counter 1 is closed: open or resume it before calling",
    (tr.CLOSED, None, "call"): "counter 1 is closed: open or resume it before calling",
    (tr.CLOSED, None, "recall"): "counter 1 has no current ticket to recall",
    (tr.CLOSED, None, "start"): "counter 1 has no current ticket to start",
    (tr.CLOSED, None, "finish"): "counter 1 has no current ticket to finish",
    (tr.CLOSED, None, "no_show"): "counter 1 has no current ticket to mark as no-show",
    (tr.CLOSED, None, "hold"): "counter 1 has no current ticket to hold",
    (tr.CLOSED, None, "pause"): "counter 1 is closed: only an open counter can pause",
    (tr.CLOSED, None, "resume"): "counter 1 is closed, not paused",
    (tr.CLOSED, None, "close"): "counter 1 is already closed",
    (tr.OPEN, None, "recall"): "counter 1 has no current ticket to recall",
    (tr.OPEN, None, "start"): "counter 1 has no current ticket to start",
    (tr.OPEN, None, "finish"): "counter 1 has no current ticket to finish",
    (tr.OPEN, None, "no_show"): "counter 1 has no current ticket to mark as no-show",
    (tr.OPEN, None, "hold"): "counter 1 has no current ticket to hold",
    (tr.OPEN, None, "resume"): "counter 1 is open, not paused",
    (tr.OPEN, None, "open"): "counter 1 is already open",
    (tr.OPEN, "called", "next"): "counter 1 is still busy with A001: start it or mark it no-show first",
    (tr.OPEN, "called", "finish_next"): "counter 1 is still busy with A001: start it or mark it no-show first",
    (tr.OPEN, "called", "call"): "counter 1 is still busy with A001: start it or mark it no-show first",
    (tr.OPEN, "called", "finish"): "cannot finish ticket A001: it is called",
    (tr.OPEN, "called", "pause"): "counter 1 is busy with A001: finish, hold or transfer it before you pause",
    (tr.OPEN, "called", "resume"): "counter 1 is open, not paused",
    (tr.OPEN, "called", "open"): "counter 1 is already open",
    (tr.OPEN, "called", "close"): "counter 1 is busy with A001: finish, hold or transfer it before you close",
    (tr.OPEN, "serving", "next"): "counter 1 is still busy with A001: finish it first",
    (tr.OPEN, "serving", "call"): "counter 1 is still busy with A001: finish it first",
    (tr.OPEN, "serving", "recall"): "cannot recall ticket A001: it is serving",
    (tr.OPEN, "serving", "start"): "cannot start ticket A001: it is serving",
    (tr.OPEN, "serving", "no_show"): "cannot mark as no-show ticket A001: it is serving",
    (tr.OPEN, "serving", "pause"): "counter 1 is busy with A001: finish, hold or transfer it before you pause",
    (tr.OPEN, "serving", "resume"): "counter 1 is open, not paused",
    (tr.OPEN, "serving", "open"): "counter 1 is already open",
    (tr.OPEN, "serving", "close"): "counter 1 is busy with A001: finish, hold or transfer it before you close",
    (tr.PAUSED, None, "next"): "counter 1 is paused: open or resume it before calling",
    (tr.PAUSED, None, "finish_next"): "counter 1 is paused: open or resume it before calling",
    (tr.PAUSED, None, "call"): "counter 1 is paused: open or resume it before calling",
    (tr.PAUSED, None, "recall"): "counter 1 has no current ticket to recall",
    (tr.PAUSED, None, "start"): "counter 1 has no current ticket to start",
    (tr.PAUSED, None, "finish"): "counter 1 has no current ticket to finish",
    (tr.PAUSED, None, "no_show"): "counter 1 has no current ticket to mark as no-show",
    (tr.PAUSED, None, "hold"): "counter 1 has no current ticket to hold",
    (tr.PAUSED, None, "pause"): "counter 1 is paused: only an open counter can pause",
    (tr.PAUSED, None, "open"): "counter 1 is already paused",
}
TICKET_MESSAGES = {
    "call": "ticket A001 is {}, not waiting",
    "return": "ticket A001 is {}, not held",
    "cancel": "ticket A001 is {}: cannot cancel",
    "transfer": "ticket A001 is {}",
}


def dump(store) -> list:
    conn = store.conn()
    return [[tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1")]
            for t in ("tickets", "counters", "events", "counter_services")]


def situation(engine, counter: int = 1) -> tuple[str, str | None]:
    c = engine.counter(counter)
    return c.state, engine.ticket(c.current_ticket_id).state if c.current_ticket_id else None


def put_counter_in(engine, where: tuple[str, str | None]) -> None:
    """Counter 1 (open, serving HT then DD) into a situation; its current ticket is A001, and one HT ticket waits."""
    counter, current = where
    if current is not None:
        engine.issue_ticket("HT")
        engine.call_next(1)
        if current == "serving":
            engine.start(1)
    if counter == tr.PAUSED:
        engine.pause(1, "Nghỉ giải lao")
    elif counter == tr.CLOSED:
        engine.close_counter(1)
    engine.issue_ticket("HT")
    assert situation(engine) == where


def run_counter_action(engine, action: str):
    c = engine.counter(1)
    if action == "next":
        return engine.call_next(1)
    if action == "finish_next":
        return engine.call_next(1, finish_current=True)
    if action == "call":
        return engine.call_ticket(1, engine.waiting("HT")[0].id)
    if action == "transfer":  # the current ticket (the console's Chuyển); none: nothing to name
        if c.current_ticket_id is None:
            raise IllegalTransition("no current ticket")
        return engine.transfer(c.current_ticket_id, "DD", counter=1)
    if action == "pause":
        return engine.pause(1, "Họp giao ban")
    method = {"open": "open_counter", "close": "close_counter"}.get(action, action)
    return getattr(engine, method)(1)


@pytest.mark.parametrize("where", tr.SITUATIONS, ids=lambda s: f"{s[0]}-{s[1] or 'idle'}")
@pytest.mark.parametrize("action", tr.COUNTER_ACTIONS)
def test_counter_table_against_the_engine(engine, store, where, action):
    put_counter_in(engine, where)
    before = dump(store)
    current = engine.current_ticket(1)
    allowed = tr.transition(action, *where)
    assert (action in tr.allowed_actions(*where)) == (allowed is not None)
    if allowed is None:
        with pytest.raises(IllegalTransition) as refused:
            run_counter_action(engine, action)
        assert refused.value.status == 409
        assert dump(store) == before, "a refused action changed something"
        if action != "transfer":  # transfer of no current ticket is not the engine's to word
            assert refused.value.message == MESSAGES[(*where, action)]
            assert refused.value.message == tr.refusal(action, engine.counter(1), current)
        return
    result = run_counter_action(engine, action)
    assert situation(engine) == (allowed.to_counter, allowed.to_current)
    if current is not None and action != "finish_next":
        assert engine.ticket(current.id).state == tr.TICKET_TRANSITIONS[action][current.state]
    elif current is not None:  # finish_next: the served ticket is done, the waiting one is called
        assert engine.ticket(current.id).state == "done" and result.state == "called"
    if action in ("next", "finish_next", "call"):
        assert result.state == "called" and result.counter == 1


def put_ticket_in(engine, state: str) -> int:
    """Ticket A001 (HT) in ``state``, handled at counter 1; counter 3 is open and idle."""
    t = engine.issue_ticket("HT").ticket
    if state != "waiting":
        engine.call_next(1)
    if state in ("serving", "done"):
        engine.start(1)
    if state == "done":
        engine.finish(1)
    if state == "no_show":
        engine.no_show(1)
    if state in ("held", "cancelled"):
        engine.hold(1)
    if state == "cancelled":
        engine.cancel(t.id)
    if state == "expired":  # called, and the day ended (kiosk/queue/dayend.py); the counters open again
        engine.end_day(engine.clock.now() + 1)
        engine.open_counter(1)
        engine.open_counter(3)
    assert engine.ticket(t.id).state == state
    return t.id


TICKET_ACTIONS = {
    "call": lambda e, tid: e.call_ticket(3, tid),
    "transfer": lambda e, tid: e.transfer(tid, "DD"),
    "cancel": lambda e, tid: e.cancel(tid),
    "return": lambda e, tid: e.return_held(tid),
}


@pytest.mark.parametrize("state", TICKET_STATES)
@pytest.mark.parametrize("action", TICKET_ACTIONS)
def test_ticket_table_against_the_engine(engine, store, state, action):
    tid = put_ticket_in(engine, state)
    before = dump(store)
    to = tr.ticket_transition(action, state)
    if to is None:
        with pytest.raises(IllegalTransition) as refused:
            TICKET_ACTIONS[action](engine, tid)
        assert refused.value.status == 409 and dump(store) == before
        assert refused.value.message == TICKET_MESSAGES[action].format(state.replace("_", " "))
        return
    TICKET_ACTIONS[action](engine, tid)
    assert engine.ticket(tid).state == to
    if state in tr.AT_COUNTER:  # its counter is free again
        assert situation(engine) == (tr.OPEN, None)


def test_the_tables_agree():
    for t in tr.COUNTER_TRANSITIONS:
        assert (t.counter, t.current) in tr.SITUATIONS and (t.to_counter, t.to_current) in tr.SITUATIONS
        if t.current is not None:  # the counter's ticket may take this action in its state
            assert tr.ticket_transition(t.action, t.current) is not None, t
    for action, moves in tr.TICKET_TRANSITIONS.items():
        for before in moves:
            if before in tr.AT_COUNTER and action in tr.COUNTER_ACTIONS:
                assert tr.transition(action, tr.OPEN, before) is not None, (action, before)
    assert tr.allowed_actions(tr.OPEN, None) == ("next", "finish_next", "call", "pause", "close")
    assert tr.allowed_actions(tr.OPEN, "called") == ("recall", "start", "no_show", "hold", "transfer")
    assert tr.allowed_actions(tr.OPEN, "serving") == ("finish_next", "finish", "hold", "transfer")
    assert tr.allowed_actions(tr.PAUSED, None) == ("resume", "close")
    assert tr.allowed_actions(tr.CLOSED, None) == ("open",)


@pytest.mark.parametrize(("button", "where", "plan"), [
    ("next", (tr.OPEN, None), ("next",)),
    ("next", (tr.OPEN, "called"), ("start",)),  # the citizen at the counter is started, never skipped
    ("next", (tr.OPEN, "serving"), ("finish_next",)),
    ("next", (tr.PAUSED, None), ("next",)),  # refused by the engine, in its words
    ("recall", (tr.OPEN, "called"), ("recall",)),
    ("recall", (tr.OPEN, None), ("recall",)),
    ("no_show", (tr.OPEN, "called"), ("no_show",)),
    ("finish", (tr.OPEN, "serving"), ("finish",)),
    ("finish", (tr.OPEN, "called"), ("start", "finish")),  # served at once
    ("finish", (tr.OPEN, None), ("finish",)),
])
def test_pager_buttons_through_the_table(button, where, plan):
    assert button_plan(button, *where) == plan


def test_every_pager_plan_is_a_path_of_the_table():
    for button, plans in BUTTONS.items():
        for where in tr.SITUATIONS:
            plan = button_plan(button, *where)
            assert tr.follow(plan, *where) is not None or plan == plans[0], (button, where)


# -- random sequences ---------------------------------------------------------------------------
STEPS = st.lists(st.tuples(st.sampled_from([*tr.COUNTER_ACTIONS, "issue", "issue", "advance"]),
                           st.integers(1, 3), st.sampled_from(["HT", "DD"])), min_size=1, max_size=50)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_sequences_follow_the_table(tmp_path_factory, steps):
    """Before each step the table predicts whether the engine accepts it and the situation it leads to."""
    store, engine = fresh_engine(tmp_path_factory.mktemp("table"))
    clock = engine.clock
    try:
        for action, n, service in steps:
            if action == "issue":
                try:
                    engine.issue_ticket(service)
                except QueueError:
                    pass  # daily limit of DD
                continue
            if action == "advance":
                clock.advance(45)
                continue
            where = situation(engine, n)
            c = engine.counter(n)
            current = engine.current_ticket(n)
            serves = [t for t in engine.waiting() if t.service in c.services]
            allowed = tr.transition(action, *where)
            if action == "transfer" and current is None:
                continue
            before = dump(store)
            try:
                if action == "call":
                    if not serves:
                        continue
                    result = engine.call_ticket(n, serves[-1].id)
                elif action == "transfer":
                    target = "DD" if current.service == "HT" else "HT"
                    result = engine.transfer(current.id, target, counter=n)
                else:
                    result = run_counter_action_at(engine, action, n)
            except IllegalTransition as exc:
                assert allowed is None, (where, action, exc.message)
                assert dump(store) == before
                continue
            assert allowed is not None, (where, action)
            after = situation(engine, n)
            if action in ("next", "finish_next") and result is None:
                assert not serves and after == (tr.OPEN, None)  # nobody waiting for this counter
            else:
                assert after == (allowed.to_counter, allowed.to_current), (where, action)
    finally:
        store.close()


def run_counter_action_at(engine, action: str, n: int):
    if action == "next":
        return engine.call_next(n)
    if action == "finish_next":
        return engine.call_next(n, finish_current=True)
    if action == "pause":
        return engine.pause(n, "Nghỉ")
    method = {"open": "open_counter", "close": "close_counter"}.get(action, action)
    return getattr(engine, method)(n)
