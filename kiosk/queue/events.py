"""Domain events: one small frozen dataclass per state change of a ticket or a counter.

Each is written as one row of the append-only `events` table in the same transaction as the
state change, and published on the event bus after commit. Subscribers dispatch on the class
(``isinstance``, ``match``), never on the ``name`` string, which is only the row's ``type`` and the
wire's ``"type"``.

The row: columns ``at, type, ticket_id, counter_number, officer_id, service_code`` and a JSON
``data`` column with the event's other fields (``TicketTransferred.from_service`` is stored as
``"from"``, and its ``"to"`` repeats the service). `event_from_row` rebuilds the typed event from any
row written since the first release; keys a row lacks take the defaults in `_ROW_DEFAULTS`.

The wire: `Event.payload` is the flat dict of ``queue_event``, ``counter_event`` and
``GET /api/v1/events``: ``{"type", "at", "ticket_id", "counter", "officer_id", "service"}`` (None
where the event has no such field) plus the data keys. `ticket_called_payload` is the hall's
``ticket_called`` (DESIGN.md), the one builder every call fan-out uses.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import tzinfo
from typing import Any, ClassVar

from kiosk.queue.clock import iso

# dataclass field -> events table column
_COLUMNS = {"ticket_id": "ticket_id", "counter": "counter_number", "officer_id": "officer_id",
            "service": "service_code"}
# what a field missing from an old row's data means
_ROW_DEFAULTS: dict[str, Any] = {"priority": "normal", "reason": "", "recalls": 0, "automatic": False,
                                 "channel": "kiosk", "position": 1}


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of all domain events: when it happened."""

    name: ClassVar[str] = "event"
    wire_names: ClassVar[Mapping[str, str]] = {}  # field -> key in the data column and on the wire
    at: float

    def data(self) -> dict[str, Any]:
        """The fields kept in the row's JSON data column (wire names)."""
        return {self.wire_names.get(f.name, f.name): getattr(self, f.name)
                for f in fields(self) if f.name != "at" and f.name not in _COLUMNS}

    def row(self) -> dict[str, Any]:
        """The events table row."""
        return {
            "at": self.at,
            "type": self.name,
            **{column: getattr(self, name, None) for name, column in _COLUMNS.items()},
            "data": json.dumps(self.data(), ensure_ascii=False, sort_keys=True),
        }

    def payload(self) -> dict[str, Any]:
        """The flat JSON-able dict of `queue_event`, `counter_event` and GET /api/v1/events."""
        return {"at": self.at, **{name: getattr(self, name, None) for name in _COLUMNS}, **self.data(),
                "type": self.name}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        """Rebuild this event from its table row (``data`` may lack keys added later)."""
        data = json.loads(row["data"] or "{}")
        values: dict[str, Any] = {"at": row["at"]}
        for f in fields(cls):
            key = cls.wire_names.get(f.name, f.name)
            if f.name in _COLUMNS:
                values[f.name] = row[_COLUMNS[f.name]]
            elif key in data:
                values[f.name] = data[key]
            elif f.name in _ROW_DEFAULTS:
                values[f.name] = _ROW_DEFAULTS[f.name]
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"{cls.name} row lacks a field: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class TicketEvent(Event):
    """Base of the events of one ticket."""

    ticket_id: int
    number: str
    service: str


@dataclass(frozen=True, kw_only=True)
class CounterEvent(Event):
    """Base of the events of one counter."""

    counter: int
    officer_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TicketIssued(TicketEvent):
    """A ticket was issued (at a kiosk, a counter or by appointment check-in)."""

    name: ClassVar[str] = "ticket_issued"
    priority: str
    channel: str
    position: int
    terminal: int | None = None  # the kiosk terminal (token id) that issued it


@dataclass(frozen=True, kw_only=True)
class TicketCalled(TicketEvent):
    """A ticket was called to a counter (TicketRecalled, a subclass, when called again)."""

    name: ClassVar[str] = "ticket_called"
    priority: str
    counter: int
    officer_id: int | None = None
    recall: bool = False
    service_name: str | None = None  # the names at the moment of the call, for the screens
    counter_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketRecalled(TicketCalled):
    """A called ticket was called again; ``recalls`` counts the recalls so far."""

    name: ClassVar[str] = "ticket_recalled"
    recall: bool = True
    recalls: int = 1


@dataclass(frozen=True, kw_only=True)
class TicketStarted(TicketEvent):
    """The citizen reached the counter and service began."""

    name: ClassVar[str] = "ticket_started"
    counter: int
    officer_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TicketFinished(TicketEvent):
    """Service of a ticket ended."""

    name: ClassVar[str] = "ticket_finished"
    counter: int
    officer_id: int | None = None
    # finished without a start of its own (a called ticket finished at once): its service time is unknown
    service_unknown: bool = False

    def data(self) -> dict[str, Any]:
        data = super().data()
        if not self.service_unknown:  # the usual case keeps the row as it always was
            del data["service_unknown"]
        return data


@dataclass(frozen=True, kw_only=True)
class TicketNoShow(TicketEvent):
    """The citizen did not come when called (``automatic``: past the configured recalls)."""

    name: ClassVar[str] = "ticket_no_show"
    counter: int
    officer_id: int | None = None
    automatic: bool = False
    recalls: int = 0


@dataclass(frozen=True, kw_only=True)
class TicketTransferred(TicketEvent):
    """A ticket moved to ``service``'s queue (or to ``to_counter`` alone), keeping its issue time."""

    name: ClassVar[str] = "ticket_transferred"
    wire_names: ClassVar[Mapping[str, str]] = {"from_service": "from"}
    from_service: str
    counter: int | None = None
    officer_id: int | None = None
    to_counter: int | None = None  # directed to that counter alone (``counter`` is the acting one)

    def data(self) -> dict[str, Any]:
        data = {**super().data(), "to": self.service}
        if self.to_counter is None:  # a transfer to a service keeps the row as it always was
            del data["to_counter"]
        return data


@dataclass(frozen=True, kw_only=True)
class TicketHeld(TicketEvent):
    """A ticket was set aside (e.g. the citizen must fetch a document)."""

    name: ClassVar[str] = "ticket_held"
    counter: int
    officer_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketReturned(TicketEvent):
    """A held ticket went back into its queue."""

    name: ClassVar[str] = "ticket_returned"
    counter: int | None = None
    officer_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TicketCancelled(TicketEvent):
    """A waiting or held ticket was cancelled."""

    name: ClassVar[str] = "ticket_cancelled"
    officer_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketExpired(TicketEvent):
    """The day ended before a ticket was served (``was``: waiting, held, called or serving); not served."""

    name: ClassVar[str] = "ticket_expired"
    was: str
    day: str  # the ticket's own day (an earlier one when its day ended at the next day's first action)
    counter: int | None = None  # the counter that called or held it, if any
    officer_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TicketNoted(TicketEvent):
    """An officer wrote the dossier code (mã hồ sơ) and note of a ticket; the newest stands (kiosk/queue/dossier.py)."""

    name: ClassVar[str] = "ticket_noted"
    counter: int | None = None
    officer_id: int | None = None
    dossier_code: str | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class CounterOpened(CounterEvent):
    """A counter opened."""

    name: ClassVar[str] = "counter_opened"


@dataclass(frozen=True, kw_only=True)
class CounterPaused(CounterEvent):
    """A counter paused, with a reason."""

    name: ClassVar[str] = "counter_paused"
    reason: str


@dataclass(frozen=True, kw_only=True)
class CounterResumed(CounterEvent):
    """A paused counter resumed."""

    name: ClassVar[str] = "counter_resumed"


@dataclass(frozen=True, kw_only=True)
class CounterClosed(CounterEvent):
    """A counter closed."""

    name: ClassVar[str] = "counter_closed"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        TicketIssued, TicketCalled, TicketRecalled, TicketStarted, TicketFinished, TicketNoShow,
        TicketTransferred, TicketHeld, TicketReturned, TicketCancelled, TicketExpired, TicketNoted,
        CounterOpened, CounterPaused, CounterResumed, CounterClosed,
    )
}


def event_from_row(row: Mapping[str, Any]) -> Event:
    """Rebuild the typed event of an events table row."""
    try:
        cls = EVENT_TYPES[row["type"]]
    except KeyError:
        raise ValueError(f"unknown event type {row['type']!r}") from None
    return cls.from_row(row)


def ticket_called_payload(event: TicketCalled, tz: tzinfo) -> dict[str, Any]:
    """DESIGN.md's ``ticket_called`` payload (a call or a recall), plus the names for the screens.

    The one builder of it: the /display push, the snapshot's ``recent_calls`` and the devices' call
    fan-out (pagers, LED board, voice) all take this dict.
    """
    return {
        "number": event.number,
        "counter": event.counter,
        "service": event.service,
        "priority": event.priority,
        "called_at": iso(event.at, tz),
        "recall": event.recall,
        "service_name": event.service_name,
        "counter_name": event.counter_name,
        "ticket_id": event.ticket_id,
    }
