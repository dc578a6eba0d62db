"""The forecast (kiosk/queue/forecast.py) says what the engine then does: over random queues, preference
ranks, counter states and all three policies, each waiting ticket's forecast position is 1 + the tickets
the real engine calls before it, at counters that serve its service, when the counters keep calling in
the order the forecast assumes (open counters in turn by number, lowest first; one with nobody for it
lets its turn pass). Plus the issue's cases by hand: priority-aware places at issue, waits, the fallback
when no counter is open. Random queues include transfers to one counter (only it calls the ticket, before
its own queue), to an open, paused or closed counter."""
from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kiosk.queue.catalog import save_counter, save_service
from kiosk.queue.clock import FakeClock
from kiosk.queue.engine import QueueEngine, QueueSettings
from kiosk.queue.model import PRIORITIES
from kiosk.queue.priorities import PriorityPolicy
from kiosk.store import open_store

SERVICES = ("S1", "S2", "S3")


def build(folder, counters, policy):
    """A store with SERVICES and ``counters`` [(services [(code, rank)], state, streak)] numbered 1..n."""
    store = open_store(folder)
    store.conn().execute("PRAGMA synchronous = OFF")  # hundreds of queues: durability is not what is tested here
    with store.transaction() as conn:
        for i, code in enumerate(SERVICES):
            save_service(conn, {"code": code, "prefix": "ABC"[i], "name": f"Dịch vụ {i + 1}"}, True)
        for n, (services, _, _) in enumerate(counters, start=1):
            save_counter(conn, n, f"Quầy {n}", services, True)
    engine = QueueEngine(store, FakeClock(), QueueSettings(policy=policy))
    for n, (_, state, streak) in enumerate(counters, start=1):
        if state != "closed":
            engine.open_counter(n)
        if state == "paused":
            engine.pause(n, "Nghỉ giải lao")
        with store.transaction() as conn:
            conn.execute("UPDATE counters SET normal_streak = ? WHERE number = ?", [streak, n])
    return store, engine


def keep_calling(engine, numbers):
    """The real engine calls at ``numbers`` in turn until a round calls nobody; [(counter, ticket)]."""
    calls = []
    while True:
        called = False
        for n in sorted(numbers):
            t = engine.call_next(n)
            if t is not None:
                calls.append((n, t))
                engine.no_show(n)  # the counter is free for its next turn
                called = True
        if not called:
            return calls


def actual_positions(engine, calls, counters):
    """1 + the calls before each ticket at counters that serve its service."""
    serves = {c.number: set(c.services) for c in counters}
    return {t.id: 1 + sum(1 for n, _ in calls[:i] if t.service in serves[n]) for i, (_, t) in enumerate(calls)}


policies = st.one_of(
    st.just(PriorityPolicy("strict")),
    st.builds(lambda k: PriorityPolicy("interleave", interleave_every=k), st.integers(1, 4)),
    st.builds(lambda m: PriorityPolicy("wait_balanced", priority_bonus_minutes=m), st.sampled_from([0, 1, 5, 30])),
)
counter_spec = st.tuples(
    st.lists(st.tuples(st.sampled_from(SERVICES), st.integers(1, 3)), min_size=1, max_size=3,
             unique_by=lambda s: s[0]),
    st.sampled_from(["open", "open", "open", "paused", "closed"]),
    st.integers(0, 4),
)
ticket_spec = st.tuples(
    st.sampled_from(SERVICES),
    st.sampled_from(["normal"] * 4 + list(PRIORITIES[1:])),  # appointments included
    st.sampled_from([0, 5, 60, 300, -3600]),  # seconds before the next issue; -3600: the clock steps back
    st.sampled_from(["keep"] * 6 + ["transfer", "cancel", "direct", "direct", "transfer+direct"]),
    st.integers(0, 3),  # "direct": which of the counters that list the (new) service
)


def scenario(folder, policy, counters, tickets):
    """The engine over a new store, its queue made from ``tickets`` (deterministic: run twice, the same)."""
    store, engine = build(folder, counters, policy)
    issued = []
    for service, priority, gap, fate, pick in tickets:
        issued.append((engine.issue_ticket(service, priority).ticket, fate, pick))
        if gap < 0:
            engine.clock.step(gap)
        else:
            engine.clock.advance(gap)
    listing = {code: [n for n, (services, _, _) in enumerate(counters, start=1) if code in dict(services)]
               for code in SERVICES}
    for t, fate, pick in issued:  # a transfer keeps its place (ticket id) in the other queue
        service = SERVICES[(SERVICES.index(t.service) + 1) % len(SERVICES)] if "transfer" in fate else t.service
        if fate == "transfer":
            engine.transfer(t.id, service)
        elif fate == "cancel":
            engine.cancel(t.id)
        elif "direct" in fate and listing[service]:  # to one counter that lists the service
            engine.transfer(t.id, service if service != t.service else None,
                            to_counter=listing[service][pick % len(listing[service])])
    return store, engine


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policy=policies, counters=st.lists(counter_spec, min_size=1, max_size=4),
       tickets=st.lists(ticket_spec, min_size=1, max_size=25))
def test_forecast_position_is_what_the_engine_then_calls(tmp_path_factory, policy, counters, tickets):
    store, engine = scenario(tmp_path_factory.mktemp("fc"), policy, counters, tickets)
    try:
        waiting = engine.waiting()
        places = engine.forecast()
        assert set(places) == {t.id for t in waiting}
        for t in waiting:
            assert engine.position(t.id) == (places[t.id].position, places[t.id].estimated_wait_s)
        all_counters = engine.counters()
        open_counters = [c for c in all_counters if c.state == "open"]
        served = {s for c in open_counters for s in c.services}
        open_numbers = {c.number for c in open_counters}
        assert all(places[t.id].assumed == (t.service not in served if t.target_counter is None
                                            else t.target_counter not in open_numbers) for t in waiting)
        if any(t.target_counter is not None for t in waiting):
            event("directed tickets")
        calls = keep_calling(engine, [c.number for c in open_counters])
        actual = actual_positions(engine, calls, open_counters)
        for t in waiting:
            if not places[t.id].assumed:
                assert places[t.id].position == actual[t.id], (t.number, t.service, t.priority)
    finally:
        store.close()
    directed_stranded = sorted({t.target_counter for t in waiting
                                if t.target_counter is not None and t.target_counter not in open_numbers})
    if directed_stranded:  # waiting for a counter not open: as if it were open as well
        event("directed to a counter not open, checked")
        number = directed_stranded[0]
        store, engine = scenario(tmp_path_factory.mktemp("fc"), policy, counters, tickets)
        try:
            target = engine.counter(number)
            engine.resume(number) if target.state == "paused" else engine.open_counter(number)
            ran = open_counters + [engine.counter(number)]
            actual = actual_positions(engine, keep_calling(engine, [c.number for c in ran]), ran)
            for t in waiting:
                if t.target_counter == number:
                    assert places[t.id].position == actual[t.id], (t.number, t.service, t.target_counter)
        finally:
            store.close()
    stranded = sorted({t.service for t in waiting if t.service not in served and t.target_counter is None})
    listed = [code for code in stranded if any(code in c.services for c in all_counters)]
    if not listed:
        event("no fallback to check" if not stranded else "stranded, and no counter lists it")
        return  # nothing stranded, or no counter lists it: nothing can call it to compare with
    event("fallback checked")
    code = listed[0]
    listing = [c for c in all_counters if c.state != "open" and code in c.services]
    # the fallback, on the same queue made again: as if every counter that lists the service were open
    store, engine = scenario(tmp_path_factory.mktemp("fc"), policy, counters, tickets)
    try:
        assert engine.forecast() == places
        for c in listing:
            engine.resume(c.number) if c.state == "paused" else engine.open_counter(c.number)
        calls = keep_calling(engine, [c.number for c in open_counters + listing])
        actual = actual_positions(engine, calls, open_counters + listing)
        for t in waiting:
            if t.service == code and t.target_counter is None:
                assert places[t.id].position == actual[t.id], (t.number, t.service, t.priority)
    finally:
        store.close()


# -- the issue's cases, by hand, over the core catalogue (counter 1: HT then DD; 2: DD; 3: HT and DD pooled) --
def test_strict_a_pregnant_citizen_is_told_she_is_next(engine):
    for _ in range(5):
        engine.issue_ticket("HT")
    issued = engine.issue_ticket("HT", "pregnant")
    assert issued.position == 1 and issued.estimated_wait_s == 0
    assert engine.call_next(1).id == issued.ticket.id
    # the normal citizens' places now count her: the first normal one is next again
    first = engine.waiting("HT")[0]
    assert engine.position(first.id)[0] == 1


def test_normal_waits_count_the_priority_tickets_ahead(engine):
    normal = engine.issue_ticket("HT")
    assert normal.position == 1
    for _ in range(4):
        engine.issue_ticket("HT", "elderly")
    # counters 1 and 3 serve HT: four elderly first, the default 300 s each, shared by two counters
    assert engine.position(normal.ticket.id) == (5, round(4 * 300 / 2))


def test_interleave_places_a_priority_ticket_after_n_normal(engine):
    engine.update_settings({"policy": "interleave", "interleave_every": 2})
    engine.close_counter(3)
    for _ in range(4):
        engine.issue_ticket("HT")
    issued = engine.issue_ticket("HT", "merit")
    # counter 1 alone serves HT now: two normal, then the merit ticket
    assert issued.position == 3
    order = []
    for _ in range(3):
        order.append(engine.call_next(1).id)
        engine.no_show(1)
    assert order[2] == issued.ticket.id


def test_calls_at_a_counter_that_cannot_serve_it_do_not_count(engine):
    for _ in range(3):
        engine.issue_ticket("DD")
    ht = engine.issue_ticket("HT")
    # counter 2 calls DD meanwhile, but only counters 1 and 3 can serve HT, and both take HT first
    assert ht.position == 1


def test_preference_rank_decides_which_queue_a_counter_takes(engine):
    engine.close_counter(3)
    dd = engine.issue_ticket("DD")
    engine.close_counter(2)
    for _ in range(3):
        engine.issue_ticket("HT")
    # counter 1 prefers HT: the DD ticket waits for every HT ticket before it
    assert engine.position(dd.ticket.id)[0] == 4


def test_no_counter_open_counts_as_if_the_services_counters_were(engine):
    for n in (1, 2, 3):
        engine.close_counter(n)
    for _ in range(2):
        engine.issue_ticket("HT")
    issued = engine.issue_ticket("HT", "disabled")
    place = engine.forecast([issued.ticket.id])[issued.ticket.id]
    assert place.assumed and place.position == 1
    assert engine.position(engine.waiting("HT")[1].id)[0] == 3


def test_a_ticket_not_waiting_has_no_place(engine):
    t = engine.issue_ticket("HT").ticket
    engine.call_next(1)
    assert engine.position(t.id) is None and engine.forecast([t.id]) == {}


def test_a_replayed_issue_gives_the_place_now(engine):
    first = engine.issue_ticket("HT", request_key=("k", "1"))
    engine.issue_ticket("HT", "elderly")
    again = engine.issue_ticket("HT", request_key=("k", "1"))
    assert again.replayed and again.position == 2 and first.position == 1
