"""Statistics replayed from the event log."""
from __future__ import annotations

from kiosk.queue.stats import day_statistics


def test_day_statistics_from_events(engine, clock, store):
    engine.close_counter(3)
    engine.close_counter(2)
    a = engine.issue_ticket("HT").ticket
    engine.issue_ticket("HT")
    clock.advance(120)                     # counter 1 idles 120 s while two wait
    engine.call_next(1)
    clock.advance(30)
    engine.start(1)                        # walk 30 s
    clock.advance(600)
    engine.finish(1)                       # service 600 s
    engine.call_next(1)                    # second waited 750 s > SLA 600 s
    engine.no_show(1)
    stats = day_statistics(store.conn(), clock)
    ht = stats["services"]["HT"]
    assert ht["issued"] == 2 and ht["served"] == 1 and ht["no_show"] == 1
    assert ht["mean_wait_s"] == (120 + 750) / 2
    assert ht["mean_walk_s"] == 30 and ht["mean_service_s"] == 600
    assert ht["over_sla"] == 1 and ht["no_show_rate"] == 0.5
    assert stats["counters"][1]["idle_while_waiting_s"] == 120
    assert stats["totals"]["issued"] == 2
    assert a.id  # the first ticket is in history
