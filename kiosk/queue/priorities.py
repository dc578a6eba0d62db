"""Priority policies: which waiting ticket a counter calls next. The one copy of that rule: the engine's
``call_next`` and the forecast's simulation (kiosk/queue/forecast.py) both call `next_for_counter`.

strict         priority categories first, each group in order of issue
interleave     one priority ticket after every N normal ones (per counter), never idle
wait_balanced  a priority ticket counts as if it had waited N minutes longer

Queue order is the ticket id (the order of issue, a sequence no clock step can change), never the
wall-clock ``issued_at``: a clock stepped back an hour must not put A003 before A001 and A002.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kiosk.queue.errors import InvalidInput

POLICIES = ("strict", "interleave", "wait_balanced")


@dataclass(frozen=True)
class PriorityPolicy:
    name: str = "strict"
    interleave_every: int = 3
    priority_bonus_minutes: int = 15

    def __post_init__(self) -> None:
        if self.name not in POLICIES:
            raise InvalidInput(f"unknown priority policy {self.name!r}; choose one of {', '.join(POLICIES)}",
                               text="policy_unknown")
        if not 1 <= int(self.interleave_every) <= 100:
            raise InvalidInput("interleave_every must be between 1 and 100", text="field_between",
                               values={"field": "interleave_every", "low": 1, "high": 100})
        if not 0 <= int(self.priority_bonus_minutes) <= 24 * 60:
            raise InvalidInput("priority_bonus_minutes must be between 0 and 1440", text="field_between",
                               values={"field": "priority_bonus_minutes", "low": 0, "high": 1440})


class Queued(Protocol):
    """What the rule reads of a waiting ticket (a `Ticket`, or the forecast's lighter record)."""

    @property
    def id(self) -> int: ...

    @property
    def issued_at(self) -> float: ...

    @property
    def is_priority(self) -> bool: ...


Q = TypeVar("Q", bound=Queued)


def choose_next(waiting: Sequence[Q], policy: PriorityPolicy, normal_streak: int, now: float) -> Q | None:
    """The ticket to call among `waiting` (all of one preference tier of the counter)."""
    first_priority: Q | None = None
    first_normal: Q | None = None
    for t in waiting:  # queue order is the id
        if t.is_priority:
            if first_priority is None or t.id < first_priority.id:
                first_priority = t
        elif first_normal is None or t.id < first_normal.id:
            first_normal = t
    if policy.name == "strict":
        return first_priority if first_priority is not None else first_normal
    if policy.name == "interleave":
        if first_priority is not None and (normal_streak >= policy.interleave_every or first_normal is None):
            return first_priority
        return first_normal if first_normal is not None else first_priority
    bonus = policy.priority_bonus_minutes * 60.0
    best: Q | None = None
    best_score = 0.0
    issued = float("-inf")
    for t in sorted(waiting, key=lambda t: t.id):
        # A later ticket never counts as issued before an earlier one (a clock stepped back would make
        # it look older): its issue time is at least every earlier candidate's.
        issued = max(issued, t.issued_at)
        score = (now - issued) + (bonus if t.is_priority else 0.0)
        if best is None or score > best_score:  # a tie goes to the earlier ticket
            best, best_score = t, score
    return best


def next_for_counter(
    services: Iterable[tuple[str, int]], head: Callable[[str, bool], Q | None], policy: PriorityPolicy,
    normal_streak: int, now: float, directed: Callable[[bool], Q | None] | None = None,
) -> Q | None:
    """Who a counter calls next. First the tickets transferred to this very counter (``directed(is_priority)``
    gives the first of its normal or priority group; ``target_counter``): `choose_next` among them, so the
    policy still puts a directed priority citizen before a directed normal one. Only when none is directed
    to it, `choose_next` among the candidates of its first tier of services (by rank,
    ``counter_services.rank``; equal ranks are pooled) with someone waiting. ``head`` gives only the ordinary
    queue: a ticket directed to a counter is in no service's queue, so no other counter ever calls it.

    ``services`` are the counter's (code, rank) in rank order; ``head(code, is_priority)`` gives the first
    waiting ticket of a group. Every policy picks a group's first ticket (strict and interleave take the
    first of a group; wait_balanced adds the same bonus to a whole group, so within it the first wins),
    so the heads are all it needs: a few index lookups in the engine, a deque's front in the forecast.
    """
    if directed is not None:
        mine = [t for t in (directed(False), directed(True)) if t is not None]
        if mine:
            return choose_next(mine, policy, normal_streak, now)
    tier: int | None = None
    candidates: list[Q] = []
    for code, rank in services:
        if tier is not None and rank > tier:
            break  # a later tier: the first one with someone waiting is found
        for is_priority in (False, True):
            ticket = head(code, is_priority)
            if ticket is not None:
                candidates.append(ticket)
                tier = rank
    return choose_next(candidates, policy, normal_streak, now)


def next_streak(called: Queued, normal_streak: int) -> int:
    """A counter's run of normal tickets called since its last priority one (the interleave policy's count)."""
    return 0 if called.is_priority else normal_streak + 1
