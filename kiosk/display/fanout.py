"""The call fan-out: one called (or recalled) ticket -> pager pages, LED board, hall announcement.

Device-agnostic: it is handed plain callables and knows nothing of Flask, the queue engine or
serial ports. Subscribe an instance to the event bus; it acts on `TicketCalled` events (a
`TicketRecalled` is one) and ignores the rest. Every sink gets the same ``ticket_called`` payload
the hall display gets (`kiosk.queue.events.ticket_called_payload`, the one builder of it): the LED
board listener the dict itself, the announcer ``Call.from_event(payload)``, the pager the fields of
`call_info(payload)`. Each sink runs on its own: a failing pager never silences the hall, and so on.

Order matters for latency: pages go first (the officer's card is the quickest feedback to the
press of a button), then the LED board (a blocking serial write of ~12 ms), and the announcement
last (``Announcer.submit`` only queues; the audio is rendered on the announcer's thread).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Protocol

from hardware.pager.errors import PagerError
from kiosk.display.announcement import AnnouncementError, Call
from kiosk.queue.clock import centre_timezone
from kiosk.queue.events import TicketCalled, ticket_called_payload

log = logging.getLogger(__name__)

MAX_PAGE_TEXT_BYTES = 96  # the pager protocol's limit (firmware_config/serial_protocol.md)


class CardRouter(Protocol):
    """Which pager cards hear a call."""

    def officer_cards(self, counter: int) -> list[int]:
        """Cards of the officers at ``counter``."""

    def citizen_card(self, ticket_id: int) -> int | None:
        """The citizen's card bound to ``ticket_id``, if any."""


# page(card_id, ticket_number, counter, text, recall) -> page id (PagerDriver.page fits via a lambda)
PageSender = Callable[[int, str, int, str, bool], int]


@dataclass(frozen=True)
class CallInfo:
    """The fields of a ``ticket_called`` payload the pager needs."""

    ticket_id: int | None
    number: str
    counter: int
    recall: bool
    service: str | None
    priority: str


@dataclass(frozen=True)
class SentPage:
    """A page handed to the pager driver for one call."""

    page_id: int
    card: int
    ticket_id: int | None
    number: str
    counter: int
    kind: str  # "officer" or "citizen"


def call_info(payload: Mapping[str, Any]) -> CallInfo | None:
    """The call in a ``ticket_called`` payload; None when it lacks a ticket number or a counter."""
    number, counter = payload.get("number"), payload.get("counter")
    if not isinstance(number, str) or isinstance(counter, bool) or not isinstance(counter, int):
        return None
    ticket_id = payload.get("ticket_id")
    return CallInfo(
        ticket_id=ticket_id if isinstance(ticket_id, int) else None,
        number=number,
        counter=counter,
        recall=bool(payload.get("recall")),
        service=payload.get("service") if isinstance(payload.get("service"), str) else None,
        priority=str(payload.get("priority") or "normal"),
    )


def citizen_page_text(counter: int) -> str:
    """What a citizen's card shows under the ticket number."""
    return f"Mời đến quầy {counter}"


def officer_page_text(info: CallInfo) -> str:
    """What the officer's card shows under the ticket number."""
    return "Gọi lại" if info.recall else ("Ưu tiên" if info.priority != "normal" else "")


class CallFanout:
    """Bus subscriber turning each call into pages, an LED frame and an announcement."""

    def __init__(self, *, announce: Callable[[Call], object] | None = None,
                 page: PageSender | None = None, router: CardRouter | None = None,
                 show: Callable[[Mapping[str, object]], object] | None = None,
                 on_page: Callable[[SentPage], object] | None = None, tz: tzinfo | None = None) -> None:
        """``announce`` queues a Call (``Announcer.submit``); ``page`` sends one page and returns its
        id; ``router`` says which cards to page; ``show`` is the LED board listener
        (``LedBus.on_ticket_called``); ``on_page`` learns of every page sent (for status reports);
        ``tz`` is the centre's time zone for the payload's ``called_at`` (the engine clock's)."""
        self.announce = announce
        self.page = page
        self.router = router
        self.show = show
        self.on_page = on_page
        self.tz = tz or centre_timezone()

    def __call__(self, event: Any) -> None:
        if isinstance(event, TicketCalled):  # a call or a recall
            self.fan_out(ticket_called_payload(event, self.tz))

    def fan_out(self, payload: Mapping[str, Any]) -> None:
        """Pages, the LED board and the announcement for one ``ticket_called`` payload."""
        info = call_info(payload)
        if info is None:
            return
        if self.page is not None and self.router is not None:
            self._pages(info)
        if self.show is not None:
            self._safe("LED board", self.show, payload)
        if self.announce is not None:
            try:
                call = Call.from_event(payload)
            except AnnouncementError as exc:
                log.warning("call %s at counter %s cannot be announced: %s", info.number, info.counter, exc)
            else:
                self._safe("announcement", self.announce, call)

    def _pages(self, info: CallInfo) -> None:
        targets: list[tuple[int, str, str]] = []
        try:
            targets += [(card, "officer", officer_page_text(info)) for card in self.router.officer_cards(info.counter)]
            if info.ticket_id is not None:
                card = self.router.citizen_card(info.ticket_id)
                if card is not None:
                    targets.append((card, "citizen", citizen_page_text(info.counter)))
        except Exception:  # a broken card table must not stop the hall announcement
            log.exception("cannot route pages for %s", info.number)
        for card, kind, text in targets:
            try:
                page_id = self.page(card, info.number, info.counter, text, info.recall)
            except (PagerError, ValueError) as exc:  # the driver refused: bad card id, over-long text
                log.warning("page of %s to %s card %d failed: %s", info.number, kind, card, exc)
                continue
            except Exception:  # a bug: the traceback says where; the other cards are still paged
                log.exception("page of %s to %s card %d failed", info.number, kind, card)
                continue
            if self.on_page is not None:
                self._safe("page listener", self.on_page,
                           SentPage(page_id, card, info.ticket_id, info.number, info.counter, kind))

    @staticmethod
    def _safe(what: str, fn: Callable[..., object], *args: object) -> None:
        try:
            fn(*args)
        except Exception:  # one failing device must not stop the others
            log.exception("%s failed", what)


__all__ = ["CallFanout", "CallInfo", "CardRouter", "SentPage", "call_info", "citizen_page_text",
           "officer_page_text"]
