"""The three priority policies, through the engine."""
from __future__ import annotations

import pytest

from kiosk.queue.errors import InvalidInput
from kiosk.queue.priorities import PriorityPolicy


def issue_many(engine, clock, spec: str) -> dict[str, int]:
    """spec like 'NNPN': N normal, P elderly; one minute apart. Returns number -> id."""
    out = {}
    for ch in spec:
        t = engine.issue_ticket("HT", "normal" if ch == "N" else "elderly").ticket
        out[t.number] = t.id
        clock.advance(60)
    return out


def call_order(engine, counter: int, n: int) -> list[str]:
    order = []
    for _ in range(n):
        t = engine.call_next(counter)
        order.append(t.number)
        engine.start(counter)
        engine.finish(counter)
    return order


def test_strict_serves_all_priority_first(engine, clock):
    issue_many(engine, clock, "NNPNP")
    assert call_order(engine, 1, 5) == ["A003", "A005", "A001", "A002", "A004"]


def test_interleave_one_priority_after_every_n_normal(engine, clock):
    engine.update_settings({"policy": "interleave", "interleave_every": 2})
    issue_many(engine, clock, "NNNNPP")
    # two normal, then a priority, two normal, then the last priority
    assert call_order(engine, 1, 6) == ["A001", "A002", "A005", "A003", "A004", "A006"]


def test_interleave_never_idles(engine, clock):
    engine.update_settings({"policy": "interleave", "interleave_every": 3})
    issue_many(engine, clock, "PP")
    assert call_order(engine, 1, 2) == ["A001", "A002"]


def test_wait_balanced_priority_counts_as_extra_minutes(engine, clock):
    engine.update_settings({"policy": "wait_balanced", "priority_bonus_minutes": 5})
    # normals issued at t=0..3 min, priority at t=4 min; now t=10 min
    issue_many(engine, clock, "NNNNP")
    clock.advance(5 * 60)
    # waits: A001 10, A002 9, A003 8, A004 7, A005 6+5=11 -> priority first, then A001..
    assert call_order(engine, 1, 2) == ["A005", "A001"]
    engine.update_settings({"priority_bonus_minutes": 1})
    issue_many(engine, clock, "P")
    # A006 waited ~1 min + 1 bonus; A002 waited much longer
    assert call_order(engine, 1, 1) == ["A002"]


@pytest.mark.parametrize("bad", [
    {"name": "random"}, {"name": "interleave", "interleave_every": 0},
    {"name": "wait_balanced", "priority_bonus_minutes": -1},
])
def test_bad_policy_rejected(bad):
    with pytest.raises(InvalidInput):
        PriorityPolicy(**bad)
