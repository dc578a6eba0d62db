"""The queue is ordered by a sequence (the ticket id), not the wall clock; a clock step is logged as a warning
(issue 12: A003 issued after a 1 h step back was called before A001 and A002)."""
from __future__ import annotations

import logging

import pytest

from kiosk.queue.clock import CLOCK_FORWARD_S, SystemClock

CLOCK_LOG = "kiosk.queue.clock"


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == CLOCK_LOG and r.levelno == logging.WARNING]


@pytest.mark.parametrize("policy", ["strict", "interleave", "wait_balanced"])
def test_a_clock_stepped_back_keeps_the_order_and_is_logged(engine, clock, caplog, policy):
    engine.update_settings({"policy": policy})
    caplog.set_level(logging.WARNING, logger=CLOCK_LOG)
    a1 = engine.issue_ticket("HT").ticket
    clock.advance(60)
    a2 = engine.issue_ticket("HT").ticket
    clock.advance(60)
    assert warnings(caplog) == []
    clock.step(-3600)  # NTP or an operator sets the clock back an hour
    a3 = engine.issue_ticket("HT").ticket
    assert a3.issued_at < a1.issued_at  # the wall clock says A003 is the oldest …
    logged = warnings(caplog)
    assert len(logged) == 1 and "stepped back by 3600 s" in logged[0]
    # … the queue does not
    assert [t.number for t in engine.waiting("HT")] == ["A001", "A002", "A003"]
    assert [engine.position(t.id)[0] for t in (a1, a2, a3)] == [1, 2, 3]
    called = []
    for _ in range(3):
        called.append(engine.call_next(1).number)
        engine.no_show(1)
    assert called == ["A001", "A002", "A003"]
    assert len(warnings(caplog)) == 1  # logged once, at the step


def test_wait_balanced_a_priority_ticket_gains_nothing_from_a_step_back(engine, clock):
    engine.update_settings({"policy": "wait_balanced", "priority_bonus_minutes": 5})
    engine.issue_ticket("HT")
    clock.advance(60)
    clock.step(-3600)
    late = engine.issue_ticket("HT", "elderly").ticket
    # by the wall clock it waited an hour longer than A001; it was issued a minute after: 5 min bonus
    # vs A001's extra minute, so it is next, but so it would be without the step
    assert engine.position(late.id)[0] == 1
    engine.update_settings({"priority_bonus_minutes": 0})
    assert engine.position(late.id)[0] == 2  # no bonus: the earlier ticket first, the step changes nothing
    assert engine.call_next(1).number == "A001"


def test_a_jump_forward_beyond_the_time_passed_is_logged(engine, clock, caplog):
    caplog.set_level(logging.WARNING, logger=CLOCK_LOG)
    engine.issue_ticket("HT")
    clock.advance(3 * 3600)  # a quiet three hours: time really passed
    engine.issue_ticket("HT")
    assert warnings(caplog) == []
    clock.step(CLOCK_FORWARD_S + 600)
    engine.issue_ticket("HT")
    logged = warnings(caplog)
    assert len(logged) == 1 and "jumped forward by 660 s" in logged[0]
    assert [t.number for t in engine.waiting("HT")] == ["A001", "A002", "A003"]


def test_small_steps_are_not_warned_about(engine, clock, caplog):
    caplog.set_level(logging.WARNING, logger=CLOCK_LOG)
    engine.issue_ticket("HT")
    clock.step(-1.5)  # NTP slews and small corrections
    engine.issue_ticket("HT")
    clock.step(30)
    engine.issue_ticket("HT")
    assert warnings(caplog) == []


def test_the_system_clock_measures_against_a_monotonic_reading():
    clock = SystemClock()
    assert clock.monotonic() <= clock.monotonic()
