"""The sliding-window rule and its in-memory keeper, on an injected clock."""
from __future__ import annotations

import threading

import pytest

from kiosk.queue.ratelimit import SlidingWindow, retry_after


class Tick:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_retry_after_counts_only_the_window():
    assert retry_after([], 2, 60, 100) == 0
    assert retry_after([90], 2, 60, 100) == 0
    assert retry_after([50, 90], 2, 60, 100) == 10  # the older leaves the window at 110
    assert retry_after([30, 50, 90], 2, 60, 100) == 10  # 30 is out already
    assert retry_after([95, 50, 90], 2, 60, 100) == 50  # order of the input does not matter: 90 + 60 - 100
    assert retry_after([40], 1, 60, 100) == 0  # exactly a window ago: gone


def test_take_counts_until_the_limit_then_tells_the_wait():
    clock = Tick()
    w = SlidingWindow(3, 600, clock)
    assert [w.take("a") for _ in range(3)] == [0, 0, 0]
    assert w.take("a") == 600 and w.take("b") == 0  # keys apart
    clock.t += 200
    assert w.take("a") == 400  # a refusal counts nothing: still the first event that leaves
    clock.t += 400
    assert [w.take("a") for _ in range(4)] == [0, 0, 0, 600]  # the three of t=1000 left


def test_hit_counts_whatever_the_limit_and_give_back_undoes():
    clock = Tick()
    w = SlidingWindow(2, 60, clock)
    w.hit("x")
    w.hit("x")
    assert w.retry_after("x") == 60
    w.give_back("x")
    assert w.retry_after("x") == 0
    w.give_back("x")
    w.give_back("x")  # nothing left: no error
    assert len(w) == 0


def test_memory_is_bounded_by_the_least_recently_hit():
    clock = Tick()
    w = SlidingWindow(1, 60, clock, max_keys=100)
    for i in range(1000):
        w.hit(f"k{i}")
    assert len(w) == 100 and w.retry_after("k999") > 0 and w.retry_after("k0") == 0


def test_a_parallel_burst_passes_only_the_limit():
    w = SlidingWindow(5, 3600, Tick())
    passed = []
    start = threading.Barrier(40)

    def one() -> None:
        start.wait()
        if w.take("burst") == 0:
            passed.append(1)

    threads = [threading.Thread(target=one) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(passed) == 5


@pytest.mark.parametrize("limit, window", [(0, 60), (1, 0)])
def test_nonsense_limits_are_refused(limit, window):
    with pytest.raises(ValueError):
        SlidingWindow(limit, window, Tick())
