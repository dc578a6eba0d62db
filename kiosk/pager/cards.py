"""Which pager card belongs to which counter, and which citizen's card waits for which ticket.

Both live in the ``settings`` table as JSON (keys ``pager_officer_cards`` and ``pager_bindings``),
so they survive a restart without a schema change. Officer cards start from the config's
``[pager] officer_cards`` and are changed by the admin API; a citizen's card is bound to a ticket at
the kiosk or counter and released when the ticket is over (done, no-show, cancelled) or when the
card is bound again after that.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from kiosk.queue.errors import IllegalTransition, InvalidInput, NotFound
from kiosk.queue.events import TicketCancelled, TicketExpired, TicketFinished, TicketNoShow

log = logging.getLogger(__name__)

OFFICER_KEY = "pager_officer_cards"
BINDINGS_KEY = "pager_bindings"
MAX_CARD = 0xFFFE
FINAL_STATES = ("done", "no_show", "cancelled", "expired")
BINDABLE_STATES = ("waiting", "held", "called")


def _card_id(value: Any, what: str = "card") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CARD:
        raise InvalidInput(f"{what} must be a card number 1..{MAX_CARD}", text="card_number", values={"max_card": MAX_CARD})
    return value


class PagerCards:
    """Card -> counter for officers, ticket -> card for citizens; a CardRouter for the fan-out."""

    def __init__(self, store, engine, default_officer_cards: dict[int, int] | None = None,
                 citizen_range: tuple[int, int] = (101, 999)) -> None:
        self.store = store
        self.engine = engine
        self.citizen_range = citizen_range
        self._lock = threading.Lock()
        stored = self._read(OFFICER_KEY)
        self._officer: dict[int, int] = (
            {int(k): int(v) for k, v in stored.items()} if stored is not None else dict(default_officer_cards or {})
        )
        self._bindings: dict[int, int] = {int(k): int(v) for k, v in (self._read(BINDINGS_KEY) or {}).items()}
        # Called with (ticket_id, card) after each successful bind, e.g. the kiosk screen that confirms it.
        self.listeners: list[Callable[[int, int], None]] = []

    # -- storage ----------------------------------------------------------------------------------
    def _read(self, key: str) -> dict[str, Any] | None:
        row = self.store.conn().execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def _write(self, key: str, value: dict[int, int]) -> None:
        text = json.dumps({str(k): v for k, v in sorted(value.items())})
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, text])

    # -- officer cards ----------------------------------------------------------------------------
    def officer_assignments(self) -> dict[int, int]:
        """Card -> counter of every officer card."""
        with self._lock:
            return dict(self._officer)

    def counter_of(self, card: int) -> int | None:
        """The counter an officer card acts on, or None for an unassigned card."""
        with self._lock:
            return self._officer.get(card)

    def officer_cards(self, counter: int) -> list[int]:
        """Cards of the officers at ``counter`` (CardRouter)."""
        with self._lock:
            return sorted(card for card, n in self._officer.items() if n == counter)

    def set_officer_assignments(self, cards: Any) -> dict[int, int]:
        """Replace all officer card assignments with ``{card: counter}`` (keys may be text, from JSON).

        Raises InvalidInput for a bad card or counter number or a card in the citizens' range,
        NotFound for an unknown counter; nothing changes then.
        """
        if not isinstance(cards, dict):
            raise InvalidInput("cards must be an object mapping card number to counter number", text="staff_cards_body")
        parsed: dict[int, int] = {}
        for key, counter in cards.items():
            try:
                card = int(key)
            except (TypeError, ValueError):
                raise InvalidInput(f"card {key!r} is not a number", text="staff_card_number") from None
            _card_id(card)
            if self.citizen_range[0] <= card <= self.citizen_range[1]:
                raise InvalidInput(f"card {card} is a citizen card ({self.citizen_range[0]}..{self.citizen_range[1]})",
                                   text="staff_card_is_citizens", values={"low": self.citizen_range[0],
                                                                          "high": self.citizen_range[1]})
            self.engine.counter(counter)  # InvalidInput / NotFound for a bad counter
            parsed[card] = counter
        with self._lock:
            self._write(OFFICER_KEY, parsed)
            self._officer = parsed
        return dict(parsed)

    # -- citizen cards ----------------------------------------------------------------------------
    def citizen_card(self, ticket_id: int) -> int | None:
        """The citizen card bound to ``ticket_id`` (CardRouter)."""
        with self._lock:
            for card, tid in self._bindings.items():
                if tid == ticket_id:
                    return card
        return None

    def bindings(self) -> dict[int, int]:
        """Card -> ticket id of every bound citizen card."""
        with self._lock:
            return dict(self._bindings)

    def bind(self, ticket_id: Any, card: Any) -> int:
        """Bind a citizen's card to a ticket; returns the card.

        Refused (nothing changes) for a card outside the citizens' range (code ``card_out_of_range``),
        a ticket that is over (``ticket_over``), a ticket that already has a card (``ticket_has_card``),
        or a card still bound to another live ticket (``card_busy``).
        """
        card = _card_id(card)
        low, high = self.citizen_range
        if not low <= card <= high:
            raise InvalidInput(f"card {card} is not a citizen pager card ({low}..{high})", "card_out_of_range")
        ticket = self.engine.ticket(ticket_id)  # InvalidInput / NotFound
        if ticket.state not in BINDABLE_STATES:
            raise IllegalTransition(f"ticket {ticket.number} is {ticket.state.replace('_', ' ')}: no pager needed",
                                    "ticket_over")
        with self._lock:
            live = self._live_bindings_locked()
            holder = live.get(card)
            if holder is not None and holder != ticket.id:
                raise IllegalTransition(f"card {card} is still in use for another ticket", "card_busy")
            other = next((c for c, t in live.items() if t == ticket.id and c != card), None)
            if other is not None:
                raise IllegalTransition(f"ticket {ticket.number} already has card {other}", "ticket_has_card")
            live[card] = ticket.id
            self._write(BINDINGS_KEY, live)
            self._bindings = live
        for listener in list(self.listeners):
            try:
                listener(ticket.id, card)
            except Exception:  # a screen that cannot confirm must not undo a stored binding
                log.exception("pager bind listener %r failed", listener)
        return card

    def unbind(self, ticket_id: Any) -> int | None:
        """Release the card of ``ticket_id``; returns it (None when none was bound)."""
        if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
            raise InvalidInput("ticket id must be a whole number", text="ticket_id_number")
        with self._lock:
            card = next((c for c, t in self._bindings.items() if t == ticket_id), None)
            if card is None:
                return None
            left = {c: t for c, t in self._bindings.items() if c != card}
            self._write(BINDINGS_KEY, left)
            self._bindings = left
        return card

    def _live_bindings_locked(self) -> dict[int, int]:
        live: dict[int, int] = {}
        for card, tid in self._bindings.items():
            try:
                if self.engine.ticket(tid).state not in FINAL_STATES:
                    live[card] = tid
            except NotFound:
                pass
        return live

    def release_finished(self, event: Any) -> None:
        """Bus subscriber: free the card of a ticket that is over."""
        if isinstance(event, (TicketFinished, TicketNoShow, TicketCancelled, TicketExpired)):
            if self.citizen_card(event.ticket_id) is not None:
                self.unbind(event.ticket_id)
