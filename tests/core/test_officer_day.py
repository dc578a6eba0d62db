"""The officer's day in the engine (issue 13): a minimum time before a no-show, a call by typed number,
a called ticket finished at once (the pager card's "finish") that the statistics do not count as zero."""
from __future__ import annotations

import pytest

from kiosk.queue.errors import IllegalTransition, InvalidInput, NotFound
from kiosk.queue.events import TicketFinished
from kiosk.queue.stats import day_statistics, officer_day, service_time
from kiosk.reports.rollups import day_cells


def test_no_show_waits_the_minimum_since_the_last_call(engine, clock):
    engine.update_settings({"no_show_min_s": 60})
    engine.issue_ticket("HT")
    engine.call_next(1)
    clock.advance(59)
    with pytest.raises(IllegalTransition) as refused:
        engine.no_show(1)
    assert refused.value.code == "no_show_too_soon" and refused.value.status == 409
    assert engine.current_ticket(1).state == "called"  # nothing changed
    clock.advance(2)
    engine.recall(1)  # the minimum counts from the last call, a recall included
    clock.advance(30)
    with pytest.raises(IllegalTransition):
        engine.no_show(1)
    clock.advance(30)
    assert engine.no_show(1).state == "no_show"


def test_no_show_minimum_is_a_checked_setting_and_off_by_default_in_the_engine(engine):
    assert engine.settings.no_show_min_s == 0
    for bad in (-1, 3601, "60", True, None):
        with pytest.raises(InvalidInput):
            engine.update_settings({"no_show_min_s": bad})
    engine.issue_ticket("HT")
    engine.call_next(1)
    assert engine.no_show(1).state == "no_show"  # 0: at once


def test_automatic_no_show_after_recalls_is_not_held_back(engine):
    engine.update_settings({"no_show_min_s": 600, "auto_no_show_after_recalls": 1})
    engine.issue_ticket("HT")
    engine.call_next(1)
    engine.recall(1)
    assert engine.recall(1).state == "no_show"


def test_ticket_by_number_is_todays_and_forgiving_of_case_and_blanks(engine, clock):
    first = engine.issue_ticket("HT").ticket
    assert engine.ticket_by_number(" a001 ").id == first.id
    clock.advance(86400)
    with pytest.raises(NotFound) as missing:
        engine.ticket_by_number("A001")  # yesterday's number is not today's
    assert missing.value.code == "ticket_number_not_found"
    today = engine.issue_ticket("HT").ticket
    assert today.number == "A001" and engine.ticket_by_number("A001").id == today.id
    for bad in ("", "   ", 12, None, "A" * 11):
        with pytest.raises(InvalidInput):
            engine.ticket_by_number(bad)


def test_finish_unstarted_records_an_unknown_service_time(engine, clock, store):
    engine.issue_ticket("HT")
    engine.call_next(1, officer_id=None)
    clock.advance(90)
    done = engine.finish_unstarted(1)
    assert done.state == "done" and done.started_at == done.finished_at  # one instant: no duration
    assert engine._mean_service_seconds(store.conn(), "HT") == engine.default_service_seconds  # not 0
    finish = [e for _, e in engine.events() if isinstance(e, TicketFinished)][-1]
    assert finish.service_unknown is True and finish.payload()["service_unknown"] is True
    # a served one for comparison: 120 s of service
    engine.issue_ticket("HT")
    engine.call_next(1)
    engine.start(1)
    clock.advance(120)
    engine.finish(1)
    plain = [e for _, e in engine.events() if isinstance(e, TicketFinished)][-1]
    assert "service_unknown" not in plain.data()  # the usual row is unchanged

    stats = day_statistics(store.conn(), clock)["services"]["HT"]
    assert stats["served"] == 2 and stats["mean_service_s"] == 120.0  # not (0 + 120) / 2
    cells = day_cells(store.conn(), clock, "2026-11-23")
    cell = cells[("service", "HT")]
    assert cell.services == 1 and cell.service_sum == 120.0  # the report's mean: 120 s over one ticket


def test_officer_figures_leave_an_unknown_service_time_out(engine, clock, store):
    engine.issue_ticket("HT")
    engine.issue_ticket("HT")
    engine.call_next(1, officer_id=7)
    engine.finish_unstarted(1, officer_id=7)
    engine.call_next(1, officer_id=7)
    engine.start(1, officer_id=7)
    clock.advance(200)
    engine.finish(1, officer_id=7)
    mine = officer_day(store.conn(), clock, 7)
    assert mine["served"] == 2 and mine["mean_service_s"] == 200.0


def test_service_time_rule():
    assert service_time(10.0, 70.0) == 60.0
    assert service_time(10.0, 10.0, unknown=True) is None
    assert service_time(None, 70.0) is None and service_time(10.0, None) is None


def test_finish_unstarted_needs_a_called_ticket(engine):
    with pytest.raises(IllegalTransition):
        engine.finish_unstarted(1)
