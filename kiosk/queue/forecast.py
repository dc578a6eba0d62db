"""Where a waiting ticket stands: a simulation of the counters calling next, with the engine's own rule.

The position and wait given at issue, on the tracking page and on the printed ticket come from here. The
simulation picks with `next_for_counter` (kiosk/queue/priorities.py), the function the engine's
``call_next`` uses, so they follow the priority policy and each counter's order of preference
(``counter_services.rank``) and cannot drift from who is really called.

The calling order it assumes: the open counters call in turn by counter number, lowest first, one call
each per round; a counter with nobody waiting for it lets its turn pass; a ticket being served now is
not counted (as before). Counters that are paused or closed do not call. When no open counter serves a
ticket's service, its place is counted as if every counter that lists the service were open as well
(``assumed``): the order it would get when they open (a service no counter lists is counted as if one
counter served it alone).

A ticket transferred to one counter (``target``, tickets.target_counter) is in no service's queue: only that
counter calls it, before its ordinary queue (the rule's ``directed`` groups). Its position is counted as
any other's (calls before it at counters that serve its service); its wait is the service time of what its
counter alone calls before it. When that counter is not open, its place is counted as if it were
(``assumed``): the ticket waits for it.

A ticket's **position** is 1 + the tickets called before it by the simulated counters that serve its
service: the citizens who will take those counters first (a ticket called meanwhile at a counter that
cannot serve this service does not delay it). Its **estimated wait** is the service time those tickets
take (each its own service's recent mean, ``QueueEngine._mean_service_seconds``) divided across the
simulated counters that serve the ticket's service.

Pure: the engine reads the waiting tickets and counters and passes them in. Cost O(waiting tickets x
services of a counter), one pass for any number of tickets asked about.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from kiosk.queue.priorities import PriorityPolicy, next_for_counter, next_streak


class Waiting:
    """A waiting ticket as the simulation needs it (lighter than a Ticket: it reads every waiting one)."""

    __slots__ = ("id", "service", "issued_at", "is_priority", "target")

    def __init__(self, id: int, service: str, priority: str, issued_at: float,  # noqa: A002
                 target: int | None = None) -> None:
        self.id, self.service, self.issued_at, self.target = id, service, issued_at, target
        self.is_priority = priority != "normal"

    def __repr__(self) -> str:
        return f"Waiting({self.id}, {self.service!r}, priority={self.is_priority}, target={self.target})"


@dataclass(frozen=True)
class SimCounter:
    """A counter as the simulation sees it."""

    number: int
    services: tuple[tuple[str, int], ...]  # (service code, rank) in rank order, as counter_services holds them
    normal_streak: int = 0
    is_open: bool = True


@dataclass(frozen=True)
class Place:
    position: int  # 1: the next to be called for this service
    estimated_wait_s: int
    assumed: bool = False  # no open counter serves the service: counted as if its counters were open


def _simulate(
    waiting: Sequence[Waiting], counters: Sequence[SimCounter], policy: PriorityPolicy, now: float,
    mean_seconds: Callable[[str], float], targets: Collection[int] | None, assumed: bool,
) -> dict[int, Place]:
    queues: dict[str, tuple[deque[Waiting], deque[Waiting]]] = {}  # per service: (normal, priority)
    directed: dict[int, tuple[deque[Waiting], deque[Waiting]]] = {}  # per target counter: (normal, priority)
    for t in sorted(waiting, key=lambda t: t.id):  # queue order: the sequence of issue
        if t.target is not None:
            directed.setdefault(t.target, (deque(), deque()))[t.is_priority].append(t)
        else:
            queues.setdefault(t.service, (deque(), deque()))[t.is_priority].append(t)

    def head(code: str, is_priority: bool) -> Waiting | None:
        groups = queues.get(code)
        if groups is None:
            return None
        q = groups[is_priority]
        return q[0] if q else None

    def directed_head(number: int) -> Callable[[bool], Waiting | None]:
        groups = directed.get(number)
        return lambda is_priority: (groups[is_priority][0] if groups and groups[is_priority] else None)

    order = sorted(counters, key=lambda c: c.number)
    serving: dict[str, int] = {}
    for c in order:
        for code, _ in c.services:
            serving[code] = serving.get(code, 0) + 1
    means: dict[str, float] = {}
    streak = {c.number: c.normal_streak for c in order}
    ahead: dict[str, int] = {}  # per service: tickets called so far by counters that serve it
    work: dict[str, float] = {}  # per service: the service time of those tickets
    work_at: dict[int, float] = {}  # per counter: the service time of the tickets it called so far
    left = set(targets) if targets is not None else {t.id for t in waiting}
    places: dict[int, Place] = {}
    active = order
    while left and active:  # no counter left with anyone to call: nobody left that these counters serve
        done: list[SimCounter] = []
        for c in active:
            t = next_for_counter(c.services, head, policy, streak[c.number], now, directed_head(c.number))
            if t is None:
                done.append(c)  # the queues only shrink: it will never call again
                continue
            # the rule picks a group's first ticket
            (directed[c.number] if t.target is not None else queues[t.service])[t.is_priority].popleft()
            streak[c.number] = next_streak(t, streak[c.number])
            if t.id in left:
                left.discard(t.id)
                before = (work_at.get(c.number, 0.0) if t.target is not None
                          else work.get(t.service, 0.0) / serving[t.service])
                places[t.id] = Place(ahead.get(t.service, 0) + 1, int(round(before)), assumed)
            if t.service not in means:
                means[t.service] = mean_seconds(t.service)
            work_at[c.number] = work_at.get(c.number, 0.0) + means[t.service]
            for code, _ in c.services:
                ahead[code] = ahead.get(code, 0) + 1
                work[code] = work.get(code, 0.0) + means[t.service]
        if done:
            active = [c for c in active if c not in done]
    return places


def forecast(
    waiting: Sequence[Waiting], counters: Iterable[SimCounter], policy: PriorityPolicy, now: float,
    mean_seconds: Callable[[str], float], targets: Collection[int] | None = None,
) -> dict[int, Place]:
    """The place of each ticket of ``targets`` (ids; None: every waiting ticket) among ``waiting`` (every
    waiting ticket, any order). A target that is not waiting gets no entry."""
    counters = list(counters)
    open_counters = [c for c in counters if c.is_open]
    places = _simulate(waiting, open_counters, policy, now, mean_seconds, targets, assumed=False)
    wanted = {t.id for t in waiting} if targets is None else set(targets)
    served_now = {code for c in open_counters for code, _ in c.services}
    stranded: dict[str, set[int]] = {}
    waits_for: dict[int, set[int]] = {}  # a counter not open -> the tickets directed to it
    for t in waiting:
        if t.id not in wanted or t.id in places:
            continue
        if t.target is not None:
            waits_for.setdefault(t.target, set()).add(t.id)
        elif t.service not in served_now:
            stranded.setdefault(t.service, set()).add(t.id)
    for number, ids in waits_for.items():  # as if the counter it waits for were open
        target = next((c for c in counters if c.number == number), SimCounter(number, ()))
        listing = open_counters + [SimCounter(target.number, target.services, target.normal_streak)]
        places.update(_simulate(waiting, listing, policy, now, mean_seconds, ids, assumed=True))
    for code, ids in stranded.items():
        listing = [c for c in counters if not c.is_open and any(s == code for s, _ in c.services)]
        if not listing:  # no counter lists it at all: as if one counter served it alone
            listing = [SimCounter(0, ((code, 0),))]
        listing = open_counters + listing
        places.update(_simulate(waiting, listing, policy, now, mean_seconds, ids, assumed=True))
    return places


__all__ = ["Place", "SimCounter", "Waiting", "forecast"]
