"""Priority policies: which waiting ticket a counter calls next.

strict         priority categories first, each group in order of issue time
interleave     one priority ticket after every N normal ones (per counter), never idle
wait_balanced  a priority ticket counts as if it had waited N minutes longer
"""
from __future__ import annotations

from collections.abc import Sequence
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


def _fifo(tickets: Sequence[Ticket]) -> Ticket | None:
    return min(tickets, key=lambda t: (t.issued_at, t.id), default=None)


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
    return max(
        waiting,
        key=lambda t: ((now - t.issued_at) + (bonus if t.is_priority else 0.0), -t.issued_at, -t.id),
    )
