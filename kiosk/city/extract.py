"""What may leave a centre (DESIGN.md "What may leave a centre"): a centre's rows -> the city's rows.

Pure: rows in, rows out; nothing here reads a file or a database. Only what is listed leaves:
- events: the columns (time, type, ticket id, number, service, counter, priority category) and, of the
  JSON data, only the keys whitelisted for the event's type in `DATA_WHITELIST`. A type not listed
  (a later release's) ships its columns with empty data. Never: officer ids (an `officer` pseudonym
  instead), citizen keys, cancel/hold/pause reasons, dossier codes and notes, comments, terminal ids or names, screen names.
- ratings: the score with its time, service and counter; never the comment, never the ticket's citizen.
- the catalogue: services (code, name, prefix, sla_minutes) and counters (number, name).

The officer pseudonym is ``o`` + 16 hex digits of HMAC-SHA256(officer key, officer id). The officer key
is derived with HKDF-SHA256 from the centre's citizens' key file (``[kiosk] key_file``), under a label of
its own, so it is one-way from that key (the city learns nothing of it) and differs from the ID-number
lookups' key. The citizens' key was chosen over the session secret because it is never rotated (a
rotated session secret would turn every officer into a new one in the city's reports), it is per centre
(the same officer id at two centres gives two codes), and the centre, which holds it, can map a code
back to its officer when the city asks about one.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

OFFICER_KEY_INFO = b"kiosk city: officer pseudonyms v1"

# event type -> the keys of its JSON data that may leave the centre (everything else stays)
DATA_WHITELIST: dict[str, tuple[str, ...]] = {
    "ticket_issued": ("channel", "position"),       # not: terminal (which kiosk), any citizen link
    "ticket_called": ("recall",),                   # not: the screen names (the catalogue has them)
    "ticket_recalled": ("recall", "recalls"),
    "ticket_started": (),
    "ticket_finished": (),
    "ticket_no_show": ("automatic", "recalls"),
    "ticket_transferred": ("from", "to", "to_counter"),  # to_counter: a counter number, nothing personal
    "ticket_held": (),                              # not: reason (free text)
    "ticket_returned": (),
    "ticket_cancelled": (),                         # not: reason (free text)
    "ticket_expired": ("was", "day"),
    "ticket_noted": (),                             # not: dossier code, note (the centre's record; free text)
    "counter_opened": (),
    "counter_paused": (),                           # not: reason (free text)
    "counter_resumed": (),
    "counter_closed": (),
}

# the city's events columns, in the order of the canonical row the hash is taken over
HASHED = ("site", "epoch", "id", "at", "type", "ticket_id", "number", "service", "counter", "officer",
          "priority", "data")
# the columns the shipper inserts (HASHED plus the derived day, and the hash itself)
COLUMNS = ("site", "epoch", "id", "at", "day", "type", "ticket_id", "number", "service", "counter",
           "officer", "priority", "data", "hash")

# a JSON value that may leave: plain scalars only (a whitelisted key never carries an object)
_SCALARS = (str, int, float, bool, type(None))


def officer_key(citizen_key: bytes) -> bytes:
    """The key of the officer pseudonyms, derived one-way from the centre's citizens' key (64 bytes)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=OFFICER_KEY_INFO).derive(citizen_key)


class Extractor:
    """Turns one centre's rows into the city's rows for SITE; holds the officer key and the timezone."""

    def __init__(self, site: str, tz: tzinfo, officer_key: bytes) -> None:
        self.site, self.tz, self._officer_key = site, tz, officer_key
        self._officers: dict[int, str] = {}  # a centre has tens of officers: each code computed once

    def officer(self, officer_id: int | None) -> str | None:
        if officer_id is None:
            return None
        code = self._officers.get(officer_id)
        if code is None:
            mac = hmac.new(self._officer_key, f"officer:{int(officer_id)}".encode(), hashlib.sha256)
            code = self._officers[officer_id] = "o" + mac.hexdigest()[:16]
        return code

    def day(self, at: float) -> date:
        return datetime.fromtimestamp(at, self.tz).date()

    def event(self, row: Mapping[str, Any], epoch: int) -> dict[str, Any]:
        """The city's events row of a centre events row (id, at, type, ticket_id, counter_number,
        officer_id, service_code, data)."""
        try:
            data = json.loads(row["data"] or "{}")
        except (TypeError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        allowed = DATA_WHITELIST.get(row["type"], ())
        kept = {k: data[k] for k in allowed if k in data and isinstance(data[k], _SCALARS)}
        number = data.get("number") if isinstance(data.get("number"), str) else None
        priority = data.get("priority") if isinstance(data.get("priority"), str) else None
        out = {
            "site": self.site,
            "epoch": int(epoch),
            "id": int(row["id"]),
            "at": float(row["at"]),
            "type": str(row["type"]),
            "ticket_id": row["ticket_id"],
            "number": number,
            "service": row["service_code"],
            "counter": row["counter_number"],
            "officer": self.officer(row["officer_id"]),
            "priority": priority,
            "data": kept,
        }
        out["day"] = self.day(out["at"])
        out["hash"] = row_hash(out)
        return out

    def rating(self, row: Mapping[str, Any], epoch: int) -> dict[str, Any]:
        """The city's ratings row: score, time, service, counter (never the comment)."""
        return {"site": self.site, "epoch": int(epoch), "id": int(row["id"]), "at": float(row["at"]),
                "day": self.day(float(row["at"])), "service": row["service_code"],
                "counter": row["counter_number"], "score": int(row["score"])}


def canonical(row: Mapping[str, Any]) -> str:
    """The canonical text of a shipped row: the HASHED fields as a JSON array, data with sorted keys.
    ``at`` is written with repr (shortest round-trip), so the centre and a re-read give the same text."""
    values = [row[k] for k in HASHED]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def row_hash(row: Mapping[str, Any]) -> str:
    """sha256 hex of `canonical(row)`: the city's events.hash, and sites.last_hash of high_water."""
    return hashlib.sha256(canonical(row).encode()).hexdigest()
