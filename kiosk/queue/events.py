"""Domain events: one small dataclass per state change of a ticket or a counter.

Each is written as one row of the append-only `events` table in the same transaction as the
state change, and published on the event bus after commit (Socket.IO payloads come from them).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Base of all domain events."""

    name: ClassVar[str] = "event"
    at: float
    ticket_id: int | None = None
    counter: int | None = None
    officer_id: int | None = None
    service: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The events table row."""
        return {
            "at": self.at,
            "type": self.name,
            "ticket_id": self.ticket_id,
            "counter_number": self.counter,
            "officer_id": self.officer_id,
            "service_code": self.service,
            "data": json.dumps(self.data, ensure_ascii=False, sort_keys=True),
        }

    def payload(self) -> dict[str, Any]:
        """A JSON-able dict for subscribers."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "data"}
        out.update(asdict(self)["data"])
        out["type"] = self.name
        return out


@dataclass(frozen=True)
class TicketIssued(Event):
    """A ticket was issued."""

    name: ClassVar[str] = "ticket_issued"


@dataclass(frozen=True)
class TicketCalled(Event):
    """A ticket was called to a counter."""

    name: ClassVar[str] = "ticket_called"


@dataclass(frozen=True)
class TicketRecalled(Event):
    """A called ticket was called again."""

    name: ClassVar[str] = "ticket_recalled"


@dataclass(frozen=True)
class TicketStarted(Event):
    """The citizen reached the counter and service began."""

    name: ClassVar[str] = "ticket_started"


@dataclass(frozen=True)
class TicketFinished(Event):
    """Service of a ticket ended."""

    name: ClassVar[str] = "ticket_finished"


@dataclass(frozen=True)
class TicketNoShow(Event):
    """The citizen did not come when called."""

    name: ClassVar[str] = "ticket_no_show"


@dataclass(frozen=True)
class TicketTransferred(Event):
    """A ticket was moved to another service's queue, keeping its issue time."""

    name: ClassVar[str] = "ticket_transferred"


@dataclass(frozen=True)
class TicketHeld(Event):
    """A ticket was set aside (e.g. the citizen must fetch a document)."""

    name: ClassVar[str] = "ticket_held"


@dataclass(frozen=True)
class TicketReturned(Event):
    """A held ticket went back into its queue."""

    name: ClassVar[str] = "ticket_returned"


@dataclass(frozen=True)
class TicketCancelled(Event):
    """A ticket was cancelled."""

    name: ClassVar[str] = "ticket_cancelled"


@dataclass(frozen=True)
class CounterOpened(Event):
    """A counter opened."""

    name: ClassVar[str] = "counter_opened"


@dataclass(frozen=True)
class CounterPaused(Event):
    """A counter paused, with a reason."""

    name: ClassVar[str] = "counter_paused"


@dataclass(frozen=True)
class CounterResumed(Event):
    """A paused counter resumed."""

    name: ClassVar[str] = "counter_resumed"


@dataclass(frozen=True)
class CounterClosed(Event):
    """A counter closed."""

    name: ClassVar[str] = "counter_closed"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        TicketIssued, TicketCalled, TicketRecalled, TicketStarted, TicketFinished, TicketNoShow,
        TicketTransferred, TicketHeld, TicketReturned, TicketCancelled,
        CounterOpened, CounterPaused, CounterResumed, CounterClosed,
    )
}


def event_from_row(row: dict[str, Any]) -> Event:
    """Rebuild an event from its table row."""
    cls = EVENT_TYPES[row["type"]]
    return cls(
        at=row["at"], ticket_id=row["ticket_id"], counter=row["counter_number"],
        officer_id=row["officer_id"], service=row["service_code"], data=json.loads(row["data"] or "{}"),
    )
