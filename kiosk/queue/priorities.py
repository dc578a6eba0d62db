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

from kiosk.queue.errors import InvalidInput
from kiosk.queue.model import Ticket

POLICIES = ("strict", "interleave", "wait_balanced")


@dataclass(frozen=True)
class PriorityPolicy:
    name: str = "strict"
    interleave_every: int = 3
    priority_bonus_minutes: int = 15

    def __post_init__(self) -> None:
        if self.name not in POLICIES:
            raise InvalidInput(f"unknown priority policy {self.name!r}; choose one of {', '.join(POLICIES)}")
        if not 1 <= int(self.interleave_every) <= 100:
            raise InvalidInput("interleave_every must be between 1 and 100")
        if not 0 <= int(self.priority_bonus_minutes) <= 24 * 60:
            raise InvalidInput("priority_bonus_minutes must be between 0 and 1440")


# (service code, is_priority) -> the first waiting ticket of that group in queue order, or None
Head = Callable[[str, bool], "Ticket | None"]


def _fifo(tickets: Sequence[Ticket]) -> Ticket | None:
    return min(tickets, key=lambda t: t.id, default=None)


def choose_next(
    waiting: Sequence[Ticket], policy: PriorityPolicy, normal_streak: int, now: float
) -> Ticket | None:
    """The ticket to call among `waiting` (all of one preference tier of the counter)."""
    if not waiting:
        return None
    priority = [t for t in waiting if t.is_priority]
    normal = [t for t in waiting if not t.is_priority]
    if policy.name == "strict":
        return _fifo(priority) or _fifo(normal)
    if policy.name == "interleave":
        if priority and (normal_streak >= policy.interleave_every or not normal):
            return _fifo(priority)
        return _fifo(normal) or _fifo(priority)
    bonus = policy.priority_bonus_minutes * 60.0
    best: Ticket | None = None
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
    services: Iterable[tuple[str, int]], head: Head, policy: PriorityPolicy, normal_streak: int, now: float
) -> Ticket | None:
    """Who a counter calls next: `choose_next` among the candidates of its first tier of services (by
    rank, ``counter_services.rank``; equal ranks are pooled) with someone waiting.

    ``services`` are the counter's (code, rank) in rank order; ``head(code, is_priority)`` gives the first
    waiting ticket of a group. Every policy picks a group's first ticket (strict and interleave take the
    first of a group; wait_balanced adds the same bonus to a whole group, so within it the first wins),
    so the heads are all it needs: a few index lookups in the engine, a deque's front in the forecast.
    """
    tier: int | None = None
    candidates: list[Ticket] = []
    for code, rank in services:
        if tier is not None and rank > tier:
            break  # a later tier: the first one with someone waiting is found
        for is_priority in (False, True):
            ticket = head(code, is_priority)
            if ticket is not None:
                candidates.append(ticket)
                tier = rank
    return choose_next(candidates, policy, normal_streak, now)


def next_streak(called: Ticket, normal_streak: int) -> int:
    """A counter's run of normal tickets called since its last priority one (the interleave policy's count)."""
    return 0 if called.is_priority else normal_streak + 1
