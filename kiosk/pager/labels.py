"""Binding a citizen's pager card to the ticket on the kiosk screen: by its QR label or its number.

The kiosk flow (kiosk.session.flow) calls :func:`bind_label` through a callback injected by
kiosk.session.setup; the touch keypad goes through ``POST /api/v1/tickets/<id>/pager`` (kiosk/web/api/devices.py).
Both end in ``PagerCards.bind`` of the DeviceHub (kiosk.devices), so the card is paged when the ticket is
called. A refusal is a :class:`PagerBindError` with a stable ``code`` and Vietnamese words for the screen
(:func:`refusal_text`). Nothing here logs the label or the card.
"""
from __future__ import annotations

import re
from typing import Any

from kiosk.queue.errors import QueueError
from kiosk.texts.vi import page_text

__all__ = ["PagerBindError", "bind_card", "bind_label", "bound_text", "label_site", "refusal_text"]

_LABEL_SITE = re.compile(r"PAGER:(\d{1,5}):\d{1,5}")

# code -> (vi, en): the Vietnamese from the catalogue (kiosk/texts/vi_pages.py "kiosk.pager.*", the keypad's
# sentences where they are the same); "{card}" and "{number}" are filled in when known.
REFUSALS: dict[str, tuple[str, str]] = {
    "not_label": (page_text("kiosk.pager.not_label"), "This QR code is not a pager card label"),
    "wrong_site": (page_text("kiosk.pager.wrong_site"), "This pager card belongs to another centre"),
    # a label read by the camera: another card, not another look at the typed number (the keypad's sentence)
    "card_out_of_range": (page_text("kiosk.pager.label_out_of_range"), "Card {card} is not a citizen's pager card"),
    "invalid": (page_text("kiosk.pager.invalid"), "Not a valid pager card number"),
    "card_busy": (page_text("kiosk.pager.card_busy"), "Pager card {card} is in use for another number"),
    "ticket_has_card": (page_text("kiosk.pager.ticket_has_card"), "Number {number} already has a pager card"),
    "ticket_over": (page_text("kiosk.pager.ticket_over"), "Number {number} is over"),
    "not_found": (page_text("kiosk.pager.not_found"), "This ticket does not exist"),
    "no_pager": (page_text("kiosk.pager.no_pager"), "There are no pager cards at this centre — please watch the screen"),
    "error": (page_text("kiosk.pager.failed"), "The pager card could not be linked — try again or ask staff"),
}


class PagerBindError(ValueError):
    """A refused binding. ``code`` is a key of :data:`REFUSALS`; ``card`` the card number when known."""

    def __init__(self, code: str, message: str, card: int | None = None) -> None:
        super().__init__(message)
        self.code = code if code in REFUSALS else "error"
        self.message = message
        self.card = card


def bound_text(card: int, number: str) -> tuple[str, str]:
    """The confirmation on screen: (vi, en)."""
    return (page_text("kiosk.pager.bound", card=card, number=number),
            f"Pager card {card} is linked to number {number} — it will vibrate when it is your turn")


def refusal_text(code: str, card: int | None = None, number: str | None = None) -> tuple[str, str]:
    """The words for a refusal: (vi, en)."""
    vi, en = REFUSALS.get(code, REFUSALS["error"])
    fill = {"card": "" if card is None else str(card), "number": number or ""}
    return vi.format(**fill).replace("  ", " "), en.format(**fill).replace("  ", " ")


def label_site(text: Any) -> int | None:
    """The site id written in a pager label, or None when the text is not shaped like one."""
    match = _LABEL_SITE.fullmatch(text.strip()) if isinstance(text, str) else None
    return int(match.group(1)) if match else None


def bind_card(hub: Any, ticket_id: int, card: Any) -> int:
    """Bind ``card`` to ``ticket_id`` through the DeviceHub; returns the card or raises PagerBindError."""
    if hub is None or getattr(hub, "driver", None) is None:
        raise PagerBindError("no_pager", "no pager base station is configured at this centre")
    try:
        return hub.cards.bind(ticket_id, card)
    except QueueError as exc:
        known = exc.code if exc.code in REFUSALS else "error"
        raise PagerBindError(known, exc.message, card if isinstance(card, int) else None) from None


def bind_label(hub: Any, ticket_id: int, text: Any) -> int:
    """Bind the card whose QR label is ``text`` (``PAGER:<site>:<card>``) to ``ticket_id``.

    A label of another site is refused (``wrong_site``): that card would never hear this base station.
    """
    from hardware.pager import FrameError, parse_pager_label

    try:
        card = parse_pager_label(text)
    except FrameError as exc:
        code = "card_out_of_range" if label_site(text) is not None else "not_label"
        raise PagerBindError(code, str(exc)) from None
    if hub is None or getattr(hub, "driver", None) is None:
        raise PagerBindError("no_pager", "no pager base station is configured at this centre", card)
    site = hub.settings.pager.site_id
    if label_site(text) != site:
        raise PagerBindError("wrong_site", f"the card belongs to site {label_site(text)}, this centre is {site}", card)
    return bind_card(hub, ticket_id, card)
