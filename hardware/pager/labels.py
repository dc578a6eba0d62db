"""The QR label on a citizen's pager card: ``PAGER:<site_id>:<card_id>``, e.g. ``PAGER:12:105``.

The kiosk reads it with the camera (or the citizen types the card number) to bind the card to a ticket.
"""
from __future__ import annotations

import re

from .errors import FrameError

_LABEL = re.compile(r"PAGER:(\d{1,5}):(\d{1,5})")


def format_pager_label(site_id: int, card_id: int) -> str:
    """The text to print as the QR code on card ``card_id`` of site ``site_id``."""
    for name, value in (("site_id", site_id), ("card_id", card_id)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 0xFFFE:
            raise FrameError(f"{name} must be an integer in 1..65534, got {value!r}")
    return f"PAGER:{site_id}:{card_id}"


def parse_pager_label(text: str, site_id: int | None = None) -> int:
    """Return the card id in a pager QR label; raises FrameError for anything else.

    With ``site_id`` given, a card of another site is refused (it would page the wrong building).
    """
    match = _LABEL.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise FrameError("not a pager card label (expected PAGER:<site>:<card>)")
    site, card = int(match.group(1)), int(match.group(2))
    if not 1 <= site <= 0xFFFE or not 1 <= card <= 0xFFFE:
        raise FrameError("pager label site or card id out of range 1..65534")
    if site_id is not None and site != site_id:
        raise FrameError(f"pager card belongs to site {site}, this kiosk is site {site_id}")
    return card
