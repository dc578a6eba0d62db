"""Property-based: under random action sequences no ticket is lost or served twice."""
from __future__ import annotations

import json
import threading
import time

from core_fixtures import fresh_engine, make_catalogue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.queue.errors import QueueError
from kiosk.store import open_store

ACTIONS = ["issue", "next", "next_finish", "recall", "start", "finish", "no_show", "hold", "return",
           "transfer", "direct", "cancel", "pause", "resume", "close", "open", "advance"]


def check_invariants(engine) -> None:
    conn = engine.store.conn()
    tickets = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM tickets")}
    # each ticket is current at most at one counter, and only when called/serving there
    current = [r["current_ticket_id"] for r in conn.execute("SELECT current_ticket_id FROM counters")
               if r["current_ticket_id"] is not None]
    assert len(current) == len(set(current))
    for tid in current:
        assert tickets[tid]["state"] in ("called", "serving")
    active = [t for t in tickets.values() if t["state"] in ("called", "serving")]
    assert sorted(t["id"] for t in active) == sorted(current)
    # served at most once: one finished event per ticket, and only for done tickets
    finished = [r[0] for r in conn.execute("SELECT ticket_id FROM events WHERE type = 'ticket_finished'")]
    assert len(finished) == len(set(finished))
    assert set(finished) == {t["id"] for t in tickets.values() if t["state"] == "done"}
    # nothing lost: every issued ticket exists, and the event log replays to its state
    issued = [r[0] for r in conn.execute("SELECT ticket_id FROM events WHERE type = 'ticket_issued'")]
    assert sorted(issued) == sorted(tickets)
    numbers = [(t["day"], t["number"]) for t in tickets.values()]
    assert len(numbers) == len(set(numbers))
    # a direction is only on a waiting ticket (a call fulfils it), and one directed to counter N is called by N
    assert all(t["state"] == "waiting" for t in tickets.values() if t["target_counter"] is not None)
    target: dict[int, int | None] = {}
    for r in conn.execute("SELECT type, ticket_id, counter_number, data FROM events WHERE type IN "
                          "('ticket_transferred', 'ticket_called') ORDER BY id"):
        if r["type"] == "ticket_transferred":
            target[r["ticket_id"]] = json.loads(r["data"]).get("to_counter")
        else:
            assert target.get(r["ticket_id"]) in (None, r["counter_number"])
            target[r["ticket_id"]] = None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(1, 3), st.integers(0, 40),
                                st.sampled_from(["normal", "elderly", "merit"]),
                                st.sampled_from(["strict", "interleave", "wait_balanced"])),
                      min_size=1, max_size=60))
def test_random_actions_keep_invariants(tmp_path_factory, steps):
    store, engine = fresh_engine(tmp_path_factory.mktemp("prop"))
    clock = engine.clock
    try:
        for action, counter, pick, priority, policy in steps:
            try:
                if action == "issue":
                    engine.issue_ticket(["HT", "DD"][pick % 2], priority)
                elif action == "next":
                    if pick % 7 == 0:
                        engine.update_settings({"policy": policy})
                    engine.call_next(counter)
                elif action == "next_finish":
                    engine.call_next(counter, finish_current=True)
                elif action in ("recall", "start", "finish", "no_show", "hold", "resume", "open"):
                    method = {"open": "open_counter"}.get(action, action)
                    getattr(engine, method)(counter)
                elif action == "pause":
                    engine.pause(counter, "Nghỉ")
                elif action == "close":
                    engine.close_counter(counter)
                elif action in ("return", "transfer", "direct", "cancel"):
                    ids = [r[0] for r in store.conn().execute("SELECT id FROM tickets")]
                    if not ids:
                        continue
                    tid = ids[pick % len(ids)]
                    if action == "return":
                        engine.return_held(tid)
                    elif action == "transfer":
                        engine.transfer(tid, ["HT", "DD"][pick % 2], counter=counter)
                    elif action == "direct":  # to one counter, keeping the service or not
                        engine.transfer(tid, [None, "HT", "DD"][pick % 3], counter=counter,
                                        to_counter=[1, 2, 3][(pick // 3) % 3])
                    else:
                        engine.cancel(tid)
                elif action == "advance":
                    clock.advance(pick * 30)
            except QueueError:
                pass  # refused actions must change nothing; the invariants below check it
            check_invariants(engine)
    finally:
        store.close()


def test_two_counters_calling_at_once_never_get_the_same_ticket(tmp_path):
    from kiosk.queue.clock import FakeClock
    from kiosk.queue.engine import QueueEngine

    store = open_store(tmp_path)
    make_catalogue(store)
    engine = QueueEngine(store, FakeClock())
    for n in (1, 3):
        engine.open_counter(n)
    for _ in range(200):
        engine.issue_ticket("HT")
    got: dict[int, list[int]] = {1: [], 3: []}
    barrier = threading.Barrier(2)

    def work(counter: int) -> None:
        barrier.wait()
        while True:
            t = engine.call_next(counter, finish_current=True)
            if t is None:
                return
            got[counter].append(t.id)
            engine.start(counter)
            time.sleep(0)  # let the other counter in

    threads = [threading.Thread(target=work, args=(n,)) for n in (1, 3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    all_ids = got[1] + got[3]
    assert len(all_ids) == 200 and len(set(all_ids)) == 200
    store.close()
