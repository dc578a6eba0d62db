"""A name as the CCCD card shows it, reduced to what a citizen can be expected to type the same way.

The card prints the full name in upper case with Vietnamese diacritics ("NGUYỄN VĂN AN"); at home a
citizen types "Nguyễn Văn An", "nguyen van an" (a keyboard without Telex) or with two spaces. All of these
must meet the card at the kiosk, so the key is: NFC, case-folded, diacritics stripped (đ -> d, which
Unicode does not decompose), anything that is not a letter turned into a space, spaces collapsed.
Stripping diacritics makes "Ân" and "An" one name: the binding is there so that someone who only knows an
ID number cannot book, or block, in its owner's name; the name on the same card is known to whoever holds
it, so the few letters lost do not weaken that, and a refused citizen at the kiosk would.
"""
from __future__ import annotations

import unicodedata

__all__ = ["normalise_name"]

_FOLD = str.maketrans({"đ": "d", "ð": "d"})  # after casefold: Đ is đ; Icelandic ð looks the same on a card


def normalise_name(name: str) -> str:
    """``normalise_name("NGUYỄN  VĂN AN") == normalise_name("nguyen van an") == "nguyen van an"``; "" when no
    letter is left."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFC", name).casefold().translate(_FOLD))
    letters = "".join(c if c.isalpha() else " " for c in text if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", letters).split())
