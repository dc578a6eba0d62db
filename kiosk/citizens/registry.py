"""Citizens' personal data: sealed at rest, consent before face enrolment, audited staff reads,
retention purge and deletion on request (Law 91/2025/QH15, Decree 356/2025; DESIGN.md).

The database holds, per citizen, an HMAC pseudonym of the ID number (`lookup`), the CCCD fields
sealed with AES-GCM, and, only after explicit consent, their face templates sealed the same way.
The key is in a file outside the database (kiosk.crypto).

Face templates are sealed per citizen as one compact blob (``pack_templates``): the templates of the
enrolment first (taken with the card in view, so they stay), then those of confirmed visits, newest
last (``add_face_templates`` keeps at most ``max_templates``). Blobs written before (a JSON list of hex
strings) are still read.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kiosk.accounts.registry import Principal
from kiosk.citizens.crypto import CryptoError, Vault
from kiosk.citizens.masking import mask_id_number, mask_name
from kiosk.citizens.names import normalise_name
from kiosk.queue.clock import Clock
from kiosk.queue.errors import IllegalTransition, InvalidInput, NotFound

log = logging.getLogger(__name__)

FACE_CONSENT_PURPOSE = "face_recognition"
ELDERLY_AGE = 60  # Luật Người cao tuổi 2009: citizens from 60 years of age
RECORD_PURPOSE = "citizen-record"
HOLDER_PURPOSE = "appointment-holder"  # an ID number bound to the name on its card (kiosk.citizens.names)
FACE_PURPOSE = "citizen-face"
SHOWN_KEPT = 10_000  # the (staff member, ticket) pairs remembered as audited: a few busy days of a centre
SYSTEM = Principal("system", 0, "system", None, "system")
FACE_BLOB_MAGIC = b"KFS1"
_FACE_HEADER = struct.Struct("<4sHH")  # magic, bytes per template, how many of them are the enrolment's
WINDOW_DROP = "face_window_drop"


def pack_templates(templates: list[bytes], enrolled: int) -> bytes:
    """A citizen's templates as one plaintext (seal it): a header, then the templates end to end, the
    ``enrolled`` enrolment templates first. Every template must have the same size."""
    size = len(templates[0]) if templates else 0
    if not templates or not 0 < size < 1 << 16 or any(len(t) != size for t in templates):
        raise InvalidInput("face templates of one size are required", text="face_templates_bad")
    return _FACE_HEADER.pack(FACE_BLOB_MAGIC, size, min(enrolled, len(templates))) + b"".join(map(bytes, templates))


def unpack_body(plain: bytes) -> tuple[int, int, int, bytes]:
    """(bytes per template, how many templates, how many are the enrolment's, the templates end to end) of
    ``pack_templates``, or of an older JSON list of hex; the gallery reads a year's citizens this way."""
    if plain.startswith(FACE_BLOB_MAGIC):
        _, size, enrolled = _FACE_HEADER.unpack_from(plain)
        body = plain[_FACE_HEADER.size:]
        if size == 0 or not body or len(body) % size:
            raise InvalidInput("damaged face templates", text="face_templates_bad")
        return size, len(body) // size, enrolled, body
    templates = [bytes.fromhex(h) for h in json.loads(plain)]
    size = len(templates[0]) if templates else 0
    if not size or any(len(t) != size for t in templates):
        raise InvalidInput("damaged face templates", text="face_templates_bad")
    return size, len(templates), len(templates), b"".join(templates)  # every template was the enrolment's


def unpack_templates(plain: bytes) -> tuple[list[bytes], int]:
    """(templates, how many are the enrolment's) of ``pack_templates``, or of an older JSON list of hex."""
    size, count, enrolled, body = unpack_body(plain)
    return [body[i * size:(i + 1) * size] for i in range(count)], enrolled


@dataclass(frozen=True)
class CitizenRef:
    """What the kiosk may show and use: masked data, never the number or the full name."""

    id: int
    lookup: str
    masked_name: str
    masked_id: str
    age: int | None
    has_face: bool
    is_new: bool
    holder: str | None = None  # keyed hash of the ID number with the card's name: whose bookings are theirs

    @property
    def proposes_elderly(self) -> bool:
        return self.age is not None and self.age >= ELDERLY_AGE

    def to_screen(self) -> dict[str, Any]:
        return {"name": self.masked_name, "id": self.masked_id, "has_face": self.has_face,
                "is_new": self.is_new, "propose_priority": "elderly" if self.proposes_elderly else None}


def _age(dob: str | None, today: date) -> int | None:
    if not dob:
        return None
    born = date.fromisoformat(dob)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class CitizenRegistry:
    """The citizens table and everything that reads or forgets it."""

    def __init__(self, store, vault: Vault, clock: Clock) -> None:
        self.store = store
        self.vault = vault
        self.clock = clock
        self._forget_listeners: list[Callable[[int], None]] = []
        self._shown: dict[tuple[str, int | None, int], None] = {}  # (actor, ticket) whose masked name was audited
        self._seen_listeners: list[Callable[[int], None]] = []

    def on_forget(self, listener: Callable[[int], None]) -> None:
        """Called with a citizen id when their data is deleted (e.g. drop them from the face gallery)."""
        self._forget_listeners.append(listener)

    def on_seen(self, listener: Callable[[int], None]) -> None:
        """Called with the id of a citizen with face templates whose last-seen was just refreshed (a card read,
        a confirmed face match): the face gallery takes them back when they were outside its window."""
        self._seen_listeners.append(listener)

    def _seen(self, ref: CitizenRef) -> None:
        if ref.has_face:
            for listener in self._seen_listeners:
                listener(ref.id)

    def lookup_key(self, id_number: str) -> str:
        return self.vault.lookup(id_number)

    def holder_key(self, id_number: Any, full_name: Any) -> str | None:
        """The keyed hash of an ID number together with a name as the card shows it (normalised, so that
        "NGUYỄN VĂN AN" on the card meets "Nguyen Van An" typed at home); None without a usable name.
        A booking holds this, never the name: it is checked in only by a card that gives the same."""
        if not isinstance(id_number, str) or not isinstance(full_name, str):
            return None
        name = normalise_name(full_name)
        return self.vault.mac(HOLDER_PURPOSE, id_number, name) if name else None

    def id_tail_key(self, code: str, id_number_tail: str) -> str:
        """The keyed hash of the last digits of an ID number, bound to one appointment code: what cancelling
        checks, without the digits (or anything that links two bookings) on disk."""
        return self.vault.mac("appointment-id-tail", code, id_number_tail)

    def _today(self) -> date:
        return datetime.fromtimestamp(self.clock.now(), self.clock.tz).date()

    def _ref(self, row: sqlite3.Row, record: dict[str, Any], is_new: bool) -> CitizenRef:
        return CitizenRef(
            id=row["id"], lookup=row["lookup"], masked_name=mask_name(record.get("full_name")),
            masked_id=mask_id_number(record.get("id_number")), age=_age(record.get("date_of_birth"), self._today()),
            has_face=row["face"] is not None, is_new=is_new,
            holder=self.holder_key(record.get("id_number"), record.get("full_name")),
        )

    def _record(self, row: sqlite3.Row) -> dict[str, Any]:
        return json.loads(self.vault.open(row["record"], RECORD_PURPOSE))

    # -- the kiosk ------------------------------------------------------------------------
    def remember_card(self, card: dict[str, Any]) -> CitizenRef:
        """Store (or refresh) the CCCD fields read at the kiosk, sealed; returns masked data."""
        id_number = card.get("id_number")
        if not isinstance(id_number, str) or len(id_number) != 12 or not id_number.isdigit():
            raise InvalidInput("a CCCD record with a 12-digit id_number is required", text="cccd_record_required")
        keep = {k: card.get(k) for k in ("id_number", "old_id_number", "full_name", "date_of_birth", "sex",
                                         "address", "issue_date")}
        sealed = self.vault.seal(json.dumps(keep, ensure_ascii=False).encode(), RECORD_PURPOSE)
        lookup = self.vault.lookup(id_number)
        now = self.clock.now()
        with self.store.transaction() as conn:
            row = conn.execute("SELECT id FROM citizens WHERE lookup = ?", [lookup]).fetchone()
            if row is None:
                conn.execute("INSERT INTO citizens (lookup, record, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                             [lookup, sealed, now, now])
                is_new = True
            else:
                conn.execute("UPDATE citizens SET record = ?, last_seen_at = ? WHERE id = ?", [sealed, now, row["id"]])
                is_new = False
            row = conn.execute("SELECT * FROM citizens WHERE lookup = ?", [lookup]).fetchone()
        ref = self._ref(row, keep, is_new)
        self._seen(ref)
        return ref

    def ref(self, citizen_id: int) -> CitizenRef:
        """Masked data of a citizen, changing nothing (a face match not yet confirmed by the citizen)."""
        row = self.store.conn().execute("SELECT * FROM citizens WHERE id = ?", [citizen_id]).fetchone()
        if row is None:
            raise NotFound(f"no citizen {citizen_id}", text="citizen_missing")
        return self._ref(row, self._record(row), False)

    def masked_name_of(self, lookup: str | None, actor: Principal, ticket_id: int) -> str | None:
        """The masked name (``Nguyễn V. A.``) of the citizen of a lookup key (a ticket's citizen key), as the
        kiosk shows it, for a staff member's screen; None when no such citizen (anonymous, or their data
        deleted). Audited (action ``masked_name``, the ticket in the detail) the first time this process shows
        it to that staff member for that ticket: the console re-reads it after every event, the log needs it
        once."""
        if not lookup:
            return None
        row = self.store.conn().execute("SELECT id, record FROM citizens WHERE lookup = ?", [lookup]).fetchone()
        if row is None:
            return None
        shown = (actor.kind, actor.id, ticket_id)
        if shown not in self._shown:
            with self.store.transaction() as conn:
                self._audit(conn, actor, "masked_name", row["id"], f"ticket {ticket_id}")
            self._shown[shown] = None
            while len(self._shown) > SHOWN_KEPT:
                self._shown.pop(next(iter(self._shown)), None)
        return mask_name(self._record(row).get("full_name")) or None

    def seen(self, citizen_id: int) -> CitizenRef:
        """A recognised face: refresh last-seen (retention counts from it) and return masked data."""
        with self.store.transaction() as conn:
            if conn.execute("UPDATE citizens SET last_seen_at = ? WHERE id = ?",
                            [self.clock.now(), citizen_id]).rowcount == 0:
                raise NotFound(f"no citizen {citizen_id}", text="citizen_missing")
            row = conn.execute("SELECT * FROM citizens WHERE id = ?", [citizen_id]).fetchone()
        ref = self._ref(row, self._record(row), False)
        self._seen(ref)
        return ref

    def record_consent(self, citizen_id: int | None, granted: bool, text_version: str,
                       purpose: str = FACE_CONSENT_PURPOSE, channel: str = "kiosk") -> int:
        """Keep the citizen's answer (yes or no) with its time and the version of the text shown."""
        if not text_version or not isinstance(text_version, str):
            raise InvalidInput("the consent text version is required", text="consent_version_required")
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO consents (citizen_id, purpose, text_version, granted, channel, at) VALUES (?, ?, ?, ?, ?, ?)",
                [citizen_id, purpose, text_version, int(bool(granted)), channel, self.clock.now()],
            )
            return int(cur.lastrowid)

    def declined_face(self, citizen_id: int, text_version: str) -> bool:
        """Whether the citizen's latest answer to face consent under ``text_version`` is a refusal.

        Such a citizen is not asked again until the consent text changes (a new version). A withdrawn
        answer is not a refusal, and answers to other versions of the text do not count.
        """
        row = self.store.conn().execute(
            "SELECT granted, withdrawn_at FROM consents WHERE citizen_id = ? AND purpose = ? AND text_version = ? "
            "ORDER BY at DESC, id DESC LIMIT 1", [citizen_id, FACE_CONSENT_PURPOSE, text_version]).fetchone()
        return row is not None and not row["granted"] and row["withdrawn_at"] is None

    def enrol_face(self, citizen_id: int, templates: list[bytes], consent_id: int) -> None:
        """Store face templates, only under a granted face consent of this citizen."""
        if not templates or not all(isinstance(t, (bytes, bytearray)) for t in templates):
            raise InvalidInput("face templates are required", text="face_templates_bad")
        with self.store.transaction() as conn:
            consent = conn.execute("SELECT * FROM consents WHERE id = ?", [consent_id]).fetchone()
            if (consent is None or consent["citizen_id"] != citizen_id or not consent["granted"]
                    or consent["purpose"] != FACE_CONSENT_PURPOSE or consent["withdrawn_at"] is not None):
                raise IllegalTransition("no granted face consent of this citizen: nothing enrolled", code="no_consent")
            blob = self._seal_face(templates, len(templates))
            conn.execute("UPDATE citizens SET face = ?, face_consent_id = ?, face_enrolled_at = ? WHERE id = ?",
                         [blob, consent_id, self.clock.now(), citizen_id])

    def _seal_face(self, templates: list[bytes], enrolled: int) -> bytes:
        return self.vault.seal(pack_templates(templates, enrolled), FACE_PURPOSE)

    def _open_face(self, blob: bytes) -> tuple[list[bytes], int]:
        return unpack_templates(self.vault.open(blob, FACE_PURPOSE))

    def add_face_templates(self, citizen_id: int, templates: list[bytes], max_templates: int) -> list[bytes] | None:
        """Add the templates of a visit the citizen confirmed ("Đúng, là tôi") to their stored ones, only while
        their face consent stands; keep the enrolment's and the newest of the visits', ``max_templates`` in
        all. Returns the templates now stored, or None when nothing was stored (no templates, no consent)."""
        if not templates or not all(isinstance(t, (bytes, bytearray)) for t in templates):
            raise InvalidInput("face templates are required", text="face_templates_bad")
        if isinstance(max_templates, bool) or not isinstance(max_templates, int) or max_templates < 1:
            raise InvalidInput("max_templates must be a whole number of at least 1", text="max_templates_min")
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT c.face FROM citizens c JOIN consents k ON k.id = c.face_consent_id WHERE c.id = ? "
                "AND c.face IS NOT NULL AND k.citizen_id = c.id AND k.purpose = ? AND k.granted = 1 "
                "AND k.withdrawn_at IS NULL", [citizen_id, FACE_CONSENT_PURPOSE]).fetchone()
            if row is None:
                return None
            stored, enrolled = self._open_face(row["face"])
            if any(len(t) != len(stored[0]) for t in templates):
                raise InvalidInput("face templates of the stored size are required", text="face_templates_bad")
            # the enrolment's templates were taken with the card in view: they stay, so a wrong "yes" can
            # never push the citizen's own face out; the visits' follow how the face looks now
            enrolled = min(enrolled, max_templates)
            room = max_templates - enrolled
            visits = (stored[enrolled:] + [bytes(t) for t in templates])[-room:] if room else []
            kept = stored[:enrolled] + visits
            conn.execute("UPDATE citizens SET face = ? WHERE id = ?", [self._seal_face(kept, enrolled), citizen_id])
        return kept

    def face_templates(self, seen_since: float | None = None) -> dict[int, list[bytes]]:
        """Every enrolled citizen's templates (of those seen since ``seen_since``), opened, for the gallery."""
        sql, args = "SELECT id, face FROM citizens WHERE face IS NOT NULL", []
        if seen_since is not None:
            sql, args = sql + " AND last_seen_at >= ?", [seen_since]
        vault_open = self.vault.open
        return {row[0]: unpack_templates(vault_open(row[1], FACE_PURPOSE))[0]
                for row in self.store.conn().execute(sql, args)}

    def face_templates_packed(self, seen_since: float | None = None) -> list[tuple[int, int, int, bytes]]:
        """``face_templates`` as (citizen id, bytes per template, how many, the templates end to end): no bytes
        object per template (a year's citizens are about 90,000 templates). A blob that does not open or
        read is left out, with a warning."""
        sql, args = "SELECT id, face FROM citizens WHERE face IS NOT NULL", []
        if seen_since is not None:
            sql, args = sql + " AND last_seen_at >= ?", [seen_since]
        vault_open, out = self.vault.open, []
        for citizen_id, blob in self.store.conn().execute(sql, args):
            try:
                size, count, _, body = unpack_body(vault_open(blob, FACE_PURPOSE))
            except (CryptoError, InvalidInput, ValueError):
                log.warning("citizen %d: stored face templates are unreadable; skipped", citizen_id)
                continue
            out.append((citizen_id, size, count, body))
        return out

    def face_templates_of(self, citizen_id: int) -> list[bytes]:
        """One citizen's stored templates (none without)."""
        row = self.store.conn().execute("SELECT face FROM citizens WHERE id = ?", [citizen_id]).fetchone()
        return [] if row is None or row["face"] is None else self._open_face(row["face"])[0]

    def faces_seen_between(self, start: float, end: float) -> list[int]:
        """Citizens with templates last seen in [start, end): those who just left a gallery window."""
        return [r[0] for r in self.store.conn().execute(
            "SELECT id FROM citizens WHERE face IS NOT NULL AND last_seen_at >= ? AND last_seen_at < ?",
            [start, end])]

    def drop_faces_seen_before(self, cutoff: float, detail: str) -> list[int]:
        """Delete the templates of citizens not seen since ``cutoff`` (outside the gallery window); the card
        record and the consent stay, and each is audited. Returns their ids (the caller updates the gallery)."""
        find = "SELECT id FROM citizens WHERE face IS NOT NULL AND last_seen_at < ?"
        if self.store.conn().execute(find + " LIMIT 1", [cutoff]).fetchone() is None:
            return []  # the usual minute: nobody left, and no write transaction for it
        with self.store.transaction() as conn:
            ids = [r[0] for r in conn.execute(find, [cutoff])]
            if ids:
                conn.executemany("UPDATE citizens SET face = NULL, face_consent_id = NULL, face_enrolled_at = NULL "
                                 "WHERE id = ?", [[i] for i in ids])
                now = self.clock.now()
                conn.executemany(
                    "INSERT INTO audit_log (at, actor_kind, actor_id, actor_role, action, citizen_id, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [[now, SYSTEM.kind, SYSTEM.id, SYSTEM.role, WINDOW_DROP, i, detail[:200]] for i in ids])
        return ids

    # -- staff ----------------------------------------------------------------------------
    def _audit(self, conn: sqlite3.Connection, actor: Principal, action: str, citizen_id: int | None,
               detail: str = "") -> None:
        conn.execute(
            "INSERT INTO audit_log (at, actor_kind, actor_id, actor_role, action, citizen_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [self.clock.now(), actor.kind, actor.id, actor.role, action, citizen_id, detail[:200]],
        )

    def read(self, citizen_id: int, actor: Principal, reason: str = "") -> dict[str, Any]:
        """A staff member reads a citizen's full record: audited, in the same transaction."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT * FROM citizens WHERE id = ?", [citizen_id]).fetchone()
            if row is None:
                raise NotFound(f"no citizen {citizen_id}", text="citizen_missing")
            self._audit(conn, actor, "read", citizen_id, reason)
        record = self._record(row)
        consents = [dict(r) for r in self.store.conn().execute(
            "SELECT id, purpose, text_version, granted, at, withdrawn_at FROM consents WHERE citizen_id = ?",
            [citizen_id])]
        return {"id": citizen_id, "record": record, "has_face": row["face"] is not None,
                "created_at": row["created_at"], "last_seen_at": row["last_seen_at"], "consents": consents}

    def find(self, id_number: str, actor: Principal) -> int | None:
        """The citizen id for an ID number (a staff search is audited too)."""
        lookup = self.vault.lookup(id_number)
        with self.store.transaction() as conn:
            row = conn.execute("SELECT id FROM citizens WHERE lookup = ?", [lookup]).fetchone()
            self._audit(conn, actor, "search", row["id"] if row else None)
        return row["id"] if row else None

    def delete(self, citizen_id: int, actor: Principal, reason: str = "request") -> None:
        """Delete a citizen's data on request: record, face, and the link from their tickets."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT lookup FROM citizens WHERE id = ?", [citizen_id]).fetchone()
            if row is None:
                raise NotFound(f"no citizen {citizen_id}", text="citizen_missing")
            self._forget(conn, citizen_id, row["lookup"])
            self._audit(conn, actor, "delete", citizen_id, reason)
        for listener in self._forget_listeners:
            listener(citizen_id)

    def withdraw_face_consent(self, citizen_id: int, actor: Principal) -> None:
        """The citizen withdraws face consent: templates go, the card record stays."""
        with self.store.transaction() as conn:
            if conn.execute("UPDATE citizens SET face = NULL, face_consent_id = NULL, face_enrolled_at = NULL "
                            "WHERE id = ?", [citizen_id]).rowcount == 0:
                raise NotFound(f"no citizen {citizen_id}", text="citizen_missing")
            conn.execute("UPDATE consents SET withdrawn_at = ? WHERE citizen_id = ? AND withdrawn_at IS NULL",
                         [self.clock.now(), citizen_id])
            self._audit(conn, actor, "withdraw_face_consent", citizen_id)
        for listener in self._forget_listeners:
            listener(citizen_id)

    @staticmethod
    def _forget(conn: sqlite3.Connection, citizen_id: int, lookup: str) -> None:
        conn.execute("UPDATE tickets SET citizen_key = NULL WHERE citizen_key = ?", [lookup])
        conn.execute("UPDATE appointments SET lookup = NULL, contact = NULL, holder = NULL, id_tail = NULL "
                     "WHERE lookup = ?", [lookup])
        conn.execute("UPDATE consents SET citizen_id = NULL WHERE citizen_id = ?", [citizen_id])
        conn.execute("DELETE FROM citizens WHERE id = ?", [citizen_id])

    def purge_expired(self, retention_days: int) -> int:
        """Delete citizens not seen for `retention_days`; returns how many."""
        cutoff = self.clock.now() - retention_days * 86400
        with self.store.transaction() as conn:
            rows = conn.execute("SELECT id, lookup FROM citizens WHERE last_seen_at < ?", [cutoff]).fetchall()
            for row in rows:
                self._forget(conn, row["id"], row["lookup"])
            if rows:
                self._audit(conn, SYSTEM, "retention_purge", None, f"{len(rows)} citizen(s), {retention_days} days")
        for row in rows:
            for listener in self._forget_listeners:
                listener(row["id"])
        return len(rows)

    def audit_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.store.conn().execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit])
        return [dict(r) for r in rows]
