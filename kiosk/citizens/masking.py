"""Masked personal data for screens, tickets and logs (DESIGN.md: ``0010******45``, ``Nguyễn V. A.``)."""

from __future__ import annotations

import unicodedata

__all__ = ["mask_id_number", "mask_name"]


def mask_id_number(number: str | None) -> str:
    """Keep the first 4 and last 2 characters of an ID number, star the rest.

    ``mask_id_number("001099012345") == "0010******45"``. A number of 6 characters or fewer is
    starred whole (showing 6 of them would show it all); None or "" gives "".
    """
    if not number:
        return ""
    number = str(number)
    if len(number) <= 6:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def mask_name(name: str | None) -> str:
    """Keep the family name (first word) and the initials of the other words, NFC.

    ``mask_name("Nguyễn Văn An") == "Nguyễn V. A."``; a one-word name is kept; None or "" gives "".
    """
    if not name:
        return ""
    words = unicodedata.normalize("NFC", str(name)).split()
    if not words:
        return ""
    return " ".join([words[0], *(word[0] + "." for word in words[1:])])
