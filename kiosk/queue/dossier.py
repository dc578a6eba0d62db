"""The dossier code (mã hồ sơ) and the note an officer writes on a ticket: the rules of what is accepted.

A dossier code is the one-door system's number of the file received at the counter, e.g.
``000.00.12.H26-241202-0001`` (agency code, date, sequence). Provinces write the agency part differently, so
the rule is the shape every one of them shares, not one province's pattern: 3-40 characters, Latin letters
(upper case; typed lower case is accepted and raised), digits and the separators ``.`` ``-`` ``/`` ``_``,
beginning and ending with a letter or digit, no two separators in a row. The note is free text of at most
NOTE_MAX characters on one line (like a pause reason). Both stay at the centre: the city extract ships
neither (kiosk/city/extract.py), and neither is ever logged.

An officer may write them on the ticket at their counter (called or being served) and, for NOTE_WINDOW_S
after the finish, on the ticket they just finished: the code is often given by the one-door software only
once the file is saved.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from kiosk.queue.errors import InvalidInput

CODE_MIN, CODE_MAX = 3, 40
NOTE_MAX = 200
NOTE_WINDOW_S = 600  # a finished ticket can still be noted this long (10 minutes)
CODE_RE = re.compile(r"[A-Z0-9](?:[A-Z0-9]|[./_-](?=[A-Z0-9]))*")


def clean_code(code: Any) -> str | None:
    """A dossier code as stored (upper case, no blanks at the ends); None for no code ("" or null)."""
    if code is None:
        return None
    if not isinstance(code, str):
        raise InvalidInput("code must be text", code="invalid_dossier_code", text="dossier_code_invalid",
                           values={"min": CODE_MIN, "max": CODE_MAX})
    text = code.strip().upper()
    if not text:
        return None
    if not CODE_MIN <= len(text) <= CODE_MAX or not CODE_RE.fullmatch(text):
        raise InvalidInput(f"a dossier code is {CODE_MIN}-{CODE_MAX} letters, digits and . - / _ between them",
                           code="invalid_dossier_code", text="dossier_code_invalid",
                           values={"min": CODE_MIN, "max": CODE_MAX})
    return text


def clean_note(note: Any) -> str:
    """A note as stored: blanks collapsed, NFC; "" for none."""
    if note is None:
        return ""
    if not isinstance(note, str):
        raise InvalidInput("note must be text", code="invalid_note", text="note_invalid", values={"max": NOTE_MAX})
    text = unicodedata.normalize("NFC", " ".join(note.split()))
    if len(text) > NOTE_MAX or any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in text):
        raise InvalidInput(f"a note is one line of at most {NOTE_MAX} characters", code="invalid_note",
                           text="note_invalid", values={"max": NOTE_MAX})
    return text


__all__ = ["CODE_MAX", "CODE_MIN", "NOTE_MAX", "NOTE_WINDOW_S", "clean_code", "clean_note"]
