"""The worker-thread base and the supervisor: order, draining, deadlines, failures."""
from __future__ import annotations

import threading
import time

import pytest

from kiosk.runtime.bus import EventBus
from kiosk.runtime.lifecycle import Supervisor
from kiosk.runtime.workers import QueueWorker, WorkerClosed


def test_worker_handles_in_order_and_survives_a_failing_item():
    seen: list[int] = []

    def handle(item: int) -> None:
        if item == 3:
            raise ValueError("bad item")
        seen.append(item)

    worker: QueueWorker[int] = QueueWorker("test", handle)
    for i in range(6):
        worker.put(i)
    assert worker.wait_idle(5)
    assert seen == [0, 1, 2, 4, 5]
    assert (worker.handled, worker.failed) == (5, 1)
    assert worker.stop() == 0


def test_stop_drains_what_was_accepted_then_refuses_more():
    seen: list[int] = []
    gate = threading.Event()

    def handle(item: int) -> None:
        gate.wait(5)
        seen.append(item)

    worker: QueueWorker[int] = QueueWorker("test", handle)
    for i in range(20):
        worker.put(i)
    assert worker.pending() == 20
    threading.Timer(0.1, gate.set).start()
    assert worker.stop(time.monotonic() + 5) == 0
    assert seen == list(range(20))
    with pytest.raises(WorkerClosed):
        worker.put(99)


def test_stop_keeps_its_deadline_and_counts_what_was_left():
    def slow(item: int) -> None:
        time.sleep(0.2)

    worker: QueueWorker[int] = QueueWorker("slow", slow)
    for i in range(50):
        worker.put(i)
    started = time.monotonic()
    left = worker.stop(time.monotonic() + 0.5)
    assert time.monotonic() - started < 1.2
    assert 40 <= left <= 49


def test_supervisor_starts_in_order_and_stops_in_reverse_with_one_deadline():
    log: list[str] = []
    deadlines: list[float] = []
    sup = Supervisor()
    for name in ("store", "driver", "bus", "vision"):
        sup.add(name, start=lambda n=name: log.append(f"start {n}"),
                stop=lambda d, n=name: (log.append(f"stop {n}"), deadlines.append(d)))
    sup.start()
    sup.stop(timeout=2.0)
    assert log == ["start store", "start driver", "start bus", "start vision",
                   "stop vision", "stop bus", "stop driver", "stop store"]
    assert len(set(deadlines)) == 1
    sup.stop()  # a second stop does nothing
    assert len(log) == 8


def test_a_part_failing_to_start_stops_the_others():
    stopped: list[str] = []
    sup = Supervisor()
    sup.add("a", stop=lambda d: stopped.append("a"))

    def boom() -> None:
        raise OSError("port busy")

    sup.add("b", stop=lambda d: stopped.append("b"), start=boom)
    with pytest.raises(OSError):
        sup.start()
    assert stopped == ["b", "a"]


def test_a_part_failing_to_stop_does_not_keep_the_others_running():
    stopped: list[str] = []
    sup = Supervisor()
    sup.add("first", stop=lambda d: stopped.append("first"))

    def bad_stop(deadline: float) -> None:
        raise RuntimeError("stuck")

    sup.add("second", stop=bad_stop)
    sup.start()
    sup.stop(1.0)
    assert stopped == ["first"]


def test_bus_stop_delivers_every_published_event():
    got: list[int] = []
    bus = EventBus()
    bus.subscribe(lambda e: (time.sleep(0.001), got.append(e)))
    for i in range(200):
        bus.publish(i)
    assert bus.stop(time.monotonic() + 5) == 0
    assert got == list(range(200))
