"""The two halves of the link layer shared by the PC driver and the base-station simulator.

``TxWindow`` numbers outgoing reliable frames, keeps at most ``window`` of them unacknowledged and says
which are due for retransmission (byte-identical, same sequence number). ``DedupRing`` remembers the
answer to the last received sequence numbers so a retransmitted frame is answered again but never acted
on twice. Neither class locks or sleeps: their owner holds its own lock and runs the timers.
"""
from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .messages import Frame, encode_frame

DEDUP_RING_SIZE = 32


@dataclass
class Outgoing:
    """A reliable message waiting for its ACK or NAK."""

    type: int
    node: int
    body: bytes
    context: Any = None
    seq: int = -1
    wire: bytes = b""
    attempts: int = 0
    due: float = 0.0
    on_done: Callable[[Outgoing, Frame | None], None] | None = field(default=None, repr=False)


class TxWindow:
    """Sequence numbers, the send queue and the window of unacknowledged frames of one sender."""

    def __init__(self, flags: int, window: int = 4, first_seq: int = 0) -> None:
        self.flags = flags
        self.window = window
        self.next_seq = first_seq & 0xFF
        self.queue: deque[Outgoing] = deque()
        self.outstanding: OrderedDict[int, Outgoing] = OrderedDict()

    def submit(self, item: Outgoing, front: bool = False) -> None:
        """Queue a message; it gets a sequence number when it first goes out."""
        if front:
            self.queue.appendleft(item)
        else:
            self.queue.append(item)

    def take_new(self, now: float, timeout: float, limit: int | None = None) -> list[Outgoing]:
        """Move queued messages into the window while there is room; returns them, wire bytes ready."""
        started: list[Outgoing] = []
        room = self.window if limit is None else limit
        # At most one unanswered frame per (type, node): presses of one card reach the PC in the order
        # they were made, and pages reach a card in the order they were called, whatever gets lost.
        blocked = {(item.type, item.node) for item in self.outstanding.values()}
        kept: deque[Outgoing] = deque()
        while self.queue and len(self.outstanding) < room:
            item = self.queue.popleft()
            key = (item.type, item.node)
            if key in blocked:
                kept.append(item)
                continue
            blocked.add(key)
            started.append(self.start(item, now, timeout))
        kept.extend(self.queue)
        self.queue = kept
        return started

    def start(self, item: Outgoing, now: float, timeout: float) -> Outgoing:
        """Give ``item`` the next sequence number and mark it outstanding (even beyond the window)."""
        item.seq = self.next_seq
        self.next_seq = (self.next_seq + 1) & 0xFF
        item.wire = encode_frame(Frame(type=item.type, node=item.node, seq=item.seq, body=item.body,
                                       flags=self.flags))
        item.attempts = 1
        item.due = now + timeout
        self.outstanding[item.seq] = item
        return item

    def resolve(self, seq: int) -> Outgoing | None:
        """Remove and return the outstanding message with ``seq`` (None if unknown: a late or stray ACK)."""
        return self.outstanding.pop(seq, None)

    def due(self, now: float) -> list[Outgoing]:
        """Outstanding messages whose answer is overdue, oldest first."""
        return [item for item in self.outstanding.values() if item.due <= now]

    def next_deadline(self) -> float | None:
        """Earliest retransmission time, or None when nothing is outstanding."""
        return min((item.due for item in self.outstanding.values()), default=None)

    def clear(self) -> list[Outgoing]:
        """Drop everything (a reboot); returns what was outstanding or queued."""
        dropped = list(self.outstanding.values()) + list(self.queue)
        self.outstanding.clear()
        self.queue.clear()
        return dropped


class DedupRing:
    """Answers already given to the last ``size`` reliable frames, keyed by sequence number."""

    def __init__(self, size: int = DEDUP_RING_SIZE) -> None:
        self.size = size
        self.answers: OrderedDict[int, bytes] = OrderedDict()

    def lookup(self, seq: int) -> bytes | None:
        """The stored answer (wire bytes) to ``seq``, or None if it was not seen recently."""
        return self.answers.get(seq)

    def store(self, seq: int, answer: bytes) -> None:
        """Remember the answer to ``seq``; the oldest entry goes when the ring is full."""
        self.answers.pop(seq, None)
        self.answers[seq] = answer
        while len(self.answers) > self.size:
            self.answers.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (the peer started a new session or rebooted)."""
        self.answers.clear()
