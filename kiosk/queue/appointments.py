"""Appointments booked in advance: slots per service, booking, cancellation, check-in at the kiosk.

A checked-in appointment becomes a ticket of priority category "appointment": it is served ahead of
walk-ins under every policy's priority rules, as a booked slot should be. Citizens are known here only
by opaque keys from the citizens' side, never by their data: `lookup` (the pseudonym of an ID number),
`holder` (the ID number bound to the name on its card) and `id_tail` (the last digits of the ID number,
bound to the code), each a keyed hash.

A booking with a holder is the holder's: "already booked" and the per-ID limit count the holder's rows, and
only a card that gives the same holder checks it in, so someone who books with another person's ID number
under another name neither blocks that person nor takes their place at the kiosk. Rows without a holder
(booked before migration 12) stay bound to the ID number alone. docs/booking.md.
"""
from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from kiosk.queue.clock import Clock, local_datetime
from kiosk.queue.engine import IssuedTicket, QueueEngine
from kiosk.queue.errors import IllegalTransition, InvalidInput, LimitReached, NotFound, QueueError
from kiosk.queue.ratelimit import retry_after

HOURS_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed at a kiosk
# 32 symbols, 10 of them: 50 bits. At the default 10 failed tries an hour per address, finding one of
# 10,000 live bookings by guessing takes ~10^10 address-hours; the code alone cancels nothing anyway.
CODE_LENGTH = 10
LEGACY_CODE_LENGTH = 6  # codes given before migration 12; still accepted
CODE_GROUP = 5  # shown as ABCDE-FGHJK


def clean_code(code: Any) -> str:
    """A code as typed or read: upper case, spaces and dashes of the grouping dropped; "" when not a code."""
    if not isinstance(code, str):
        return ""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    if len(text) not in (CODE_LENGTH, LEGACY_CODE_LENGTH) or any(c not in CODE_ALPHABET for c in text):
        return ""
    return text


# The booking's QR (shown on the confirmation page, read by the kiosk's camera): this prefix and the code. It
# carries nothing of the citizen; at the kiosk it only selects the booking, the card still confirms who it is.
BOOKING_QR_PREFIX = "KIOSK-BOOKING:"


def booking_qr_payload(code: str) -> str:
    """The text of a booking's QR: ``KIOSK-BOOKING:ABCDEFGHJK``."""
    return BOOKING_QR_PREFIX + code


def code_from_qr(text: Any) -> str:
    """The code of a booking QR's text, or "" when it is not one."""
    if not isinstance(text, str) or not text.startswith(BOOKING_QR_PREFIX):
        return ""
    return clean_code(text[len(BOOKING_QR_PREFIX):])


def grouped_code(code: str) -> str:
    """``ABCDEFGHJK`` -> ``ABCDE-FGHJK`` (a 6-character code: ``ABC-DEF``), for reading aloud and typing."""
    size = CODE_GROUP if len(code) > LEGACY_CODE_LENGTH else 3
    return "-".join(code[i:i + size] for i in range(0, len(code), size))


class BookingThrottled(QueueError):
    """Too many bookings: ``retry_after_s`` says when one more fits."""

    status = 429
    code = "booking_id_limit"

    def __init__(self, message: str, retry_after_s: float, code: str | None = None) -> None:
        super().__init__(message, code)
        self.retry_after_s = retry_after_s


class NoSuchAppointment(NotFound):
    """No appointment with that code and those ID digits: one answer whatever was wrong (no oracle)."""

    code = "appointment_not_found"

    def __init__(self) -> None:
        super().__init__("no appointment with that code and those last digits of the ID number")


@dataclass(frozen=True)
class AppointmentRules:
    """When and how many appointments a centre offers (the [appointments] table, kiosk/config/appointments.py)."""

    opening_hours: tuple[str, ...] = ("07:30-11:30", "13:30-17:00")
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday..Friday
    slot_minutes: int = 15
    capacity: int = 2  # appointments per slot and service
    book_days_ahead: int = 14
    early_minutes: int = 30  # check-in window around the slot start
    late_minutes: int = 15
    # Abuse limits of the public booking (why these defaults: docs/booking.md). The per-ID one is kept here,
    # over the rows; the per-address ones by the web layer, in memory.
    book_per_address: int = 5
    book_address_window_minutes: int = 60
    book_per_id: int = 3
    book_id_window_hours: int = 24
    cancel_failures_per_address: int = 10
    cancel_address_window_minutes: int = 60
    cancel_failures_per_code: int = 5
    cancel_code_window_hours: int = 24

    def __post_init__(self) -> None:
        for span in self.opening_hours:
            if not HOURS_RE.match(span):
                raise InvalidInput(f"opening hours must look like 07:30-11:30, not {span!r}", text="opening_hours_format")
        if not 5 <= self.slot_minutes <= 240 or not 1 <= self.capacity <= 50:
            raise InvalidInput("slot_minutes must be 5-240 and capacity 1-50", text="slot_settings")


@dataclass(frozen=True)
class Appointment:
    id: int
    code: str
    service: str
    slot_start: float
    state: str
    ticket_id: int | None

    def to_api(self, tz) -> dict[str, Any]:
        return {"code": self.code, "code_display": grouped_code(self.code), "service": self.service,
                "state": self.state, "ticket_id": self.ticket_id,
                "slot_start": datetime.fromtimestamp(self.slot_start, tz).isoformat(timespec="minutes")}


def _row(row) -> Appointment:
    return Appointment(row["id"], row["code"], row["service_code"], row["slot_start"], row["state"], row["ticket_id"])


_LIVE = "state = 'booked'"


class Appointments:
    def __init__(self, engine: QueueEngine, rules: AppointmentRules | None = None) -> None:
        self.engine = engine
        self.rules = rules or AppointmentRules()

    @property
    def clock(self) -> Clock:
        return self.engine.clock

    def slots(self, service: str, day: date) -> list[dict[str, Any]]:
        """Bookable slots of a day with the places left."""
        self.engine.service(service)
        if day.weekday() not in self.rules.weekdays:
            return []
        now = self.clock.now()
        starts: list[datetime] = []
        for span in self.rules.opening_hours:
            h1, m1, h2, m2 = map(int, HOURS_RE.match(span).groups())
            t = datetime.combine(day, time(h1, m1), self.clock.tz)
            end = datetime.combine(day, time(h2, m2), self.clock.tz)
            while t + timedelta(minutes=self.rules.slot_minutes) <= end:
                starts.append(t)
                t += timedelta(minutes=self.rules.slot_minutes)
        conn = self.engine.store.conn()
        out = []
        for start in starts:
            ts = start.timestamp()
            if ts <= now:
                continue
            taken = conn.execute(
                "SELECT COUNT(*) FROM appointments WHERE service_code = ? AND slot_start = ? AND state != 'cancelled'",
                [service, ts],
            ).fetchone()[0]
            out.append({"start": start.isoformat(timespec="minutes"), "free": max(0, self.rules.capacity - taken)})
        return out

    def book(self, service: str, slot_start: datetime, lookup: str | None = None, contact: bytes | None = None,
             holder: str | None = None, id_tail: Callable[[str], str] | None = None) -> Appointment:
        """Book a slot; refuses past, unknown or full slots, a second live booking of the same citizen for the
        service, and more than ``book_per_id`` bookings of one holder within ``book_id_window_hours``.

        ``holder``: the citizen's ID number bound to their name (a keyed hash); without it the booking is bound
        to ``lookup`` alone, as before migration 12. ``id_tail(code)``: the keyed hash of the ID number's last
        digits for the code given, which cancelling then asks for."""
        svc = self.engine.service(service)
        if slot_start.tzinfo is None:
            raise InvalidInput("slot start needs a time zone offset", text="slot_time_zone")
        today = local_datetime(self.clock).date()
        local = slot_start.astimezone(self.clock.tz)
        if not today <= local.date() <= today + timedelta(days=self.rules.book_days_ahead):
            raise InvalidInput(f"appointments can be booked up to {self.rules.book_days_ahead} days ahead",
                               code="too_far_ahead")
        offered = {s["start"]: s["free"] for s in self.slots(svc.code, local.date())}
        key = local.isoformat(timespec="minutes")
        if key not in offered:
            raise InvalidInput("that time is not a bookable slot", code="not_a_slot")
        now = self.clock.now()
        with self.engine.store.transaction() as conn:
            if holder:
                self._within_id_limit(conn, holder, now)
            taken = conn.execute(
                "SELECT COUNT(*) FROM appointments WHERE service_code = ? AND slot_start = ? AND state != 'cancelled'",
                [svc.code, local.timestamp()],
            ).fetchone()[0]
            if taken >= self.rules.capacity:
                raise LimitReached("that slot is full; choose another time", code="slot_full")
            # the same citizen is the same holder; only rows without one (before migration 12) meet by the ID
            # number alone, so no booking under another name, old or new, blocks the holder
            mine, of = ("holder = ?", holder) if holder else ("holder IS NULL AND lookup = ?", lookup)
            if of and conn.execute(
                f"SELECT 1 FROM appointments WHERE {mine} AND service_code = ? AND {_LIVE} AND slot_start >= ?",
                [of, svc.code, now]
            ).fetchone():
                raise LimitReached("this citizen already has an appointment for this service", code="already_booked")
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            cur = conn.execute(
                "INSERT INTO appointments (code, service_code, slot_start, lookup, contact, created_at, holder, "
                "id_tail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [code, svc.code, local.timestamp(), lookup, contact, now, holder, id_tail(code) if id_tail else None],
            )
            return _row(conn.execute("SELECT * FROM appointments WHERE id = ?", [cur.lastrowid]).fetchone())

    def _within_id_limit(self, conn, holder: str, now: float) -> None:
        """Every booking of the holder counts, cancelled ones too (book, cancel, book again is the same load),
        read from the rows, so the limit holds across restarts and in one transaction with the insert."""
        window = self.rules.book_id_window_hours * 3600
        times = [r[0] for r in conn.execute(
            "SELECT created_at FROM appointments WHERE holder = ? AND created_at > ?", [holder, now - window])]
        wait = retry_after(times, self.rules.book_per_id, window, now)
        if wait > 0:
            raise BookingThrottled(f"at most {self.rules.book_per_id} bookings per citizen within "
                                   f"{self.rules.book_id_window_hours} h", wait)

    def get(self, code: str) -> Appointment:
        """By code alone (staff, the kiosk); the public asks ``verified``."""
        text = clean_code(code)
        if not text:
            raise InvalidInput("an appointment code is 10 letters and digits (6 for older ones)", text="appointment_code_format")
        row = self.engine.store.conn().execute("SELECT * FROM appointments WHERE code = ?", [text]).fetchone()
        if row is None:
            raise NotFound("no appointment with that code", text="appointment_code_missing")
        return _row(row)

    def verified(self, code: str, id_tail: Callable[[str], str]) -> Appointment:
        """The appointment of ``code`` when ``id_tail(code)`` is the one stored with it, else NoSuchAppointment
        whatever was wrong. A booking from before migration 12 has no tail stored: its (6-character) code alone
        opens it, as it did; a newer one whose tail was forgotten (the citizen's data deleted) opens no more."""
        text = clean_code(code)
        row = self.engine.store.conn().execute("SELECT * FROM appointments WHERE code = ?", [text]).fetchone() \
            if text else None
        expected = row["id_tail"] if row is not None else None
        given = id_tail(text or "-")  # computed either way: the answer takes as long with or without a row
        if row is None:
            raise NoSuchAppointment()
        if expected is None:
            if len(text) != LEGACY_CODE_LENGTH:
                raise NoSuchAppointment()
        elif not hmac.compare_digest(expected, given):
            raise NoSuchAppointment()
        return _row(row)

    def cancel(self, code: str, id_tail: Callable[[str], str] | None = None) -> Appointment:
        """Cancel a booked appointment; with ``id_tail`` (the public) only when it matches (``verified``)."""
        appt = self.verified(code, id_tail) if id_tail is not None else self.get(code)
        if appt.state != "booked":
            raise IllegalTransition(f"appointment is {appt.state}", code=f"appointment_{appt.state}")
        with self.engine.store.transaction() as conn:
            conn.execute("UPDATE appointments SET state = 'cancelled' WHERE id = ? AND state = 'booked'", [appt.id])
        return self.get(appt.code)

    def due(self, lookup: str, holder: str | None = None) -> Appointment | None:
        """A booked appointment of this citizen whose check-in window is open now: booked with their ID number
        and, when the booking holds a name, with the name of the card they show (``holder``). A booking made
        with their number under another name is never theirs."""
        row = self._due_where("(holder IS NULL OR holder = ?)", lookup, holder)
        return _row(row) if row else None

    def selected_for_card(self, code: str, lookup: str, holder: str | None) -> Appointment | None:
        """The booking of ``code`` (read from its QR) when it is this card's: booked with its ID number and, when
        the booking holds a name, with the card's name (``due``'s rule); else None, whatever was wrong."""
        text = clean_code(code)
        row = self.engine.store.conn().execute(
            "SELECT * FROM appointments WHERE code = ? AND lookup = ? AND (holder IS NULL OR holder = ?)",
            [text, lookup, holder]).fetchone() if text else None
        return _row(row) if row else None

    def due_in_another_name(self, lookup: str, holder: str | None) -> bool:
        """A booking with this ID number under another name is due now (it is not checked in: the kiosk says
        why, so a citizen who mistyped their name knows to ask an officer, who checks it in by code)."""
        return self._due_where("holder IS NOT NULL AND holder IS NOT ?", lookup, holder) is not None

    def _due_where(self, whose: str, lookup: str, holder: str | None):
        now = self.clock.now()
        return self.engine.store.conn().execute(
            f"SELECT * FROM appointments WHERE lookup = ? AND {whose} AND {_LIVE} AND slot_start BETWEEN ? AND ? "
            "ORDER BY slot_start LIMIT 1",
            [lookup, holder, now - self.rules.late_minutes * 60, now + self.rules.early_minutes * 60],
        ).fetchone()

    def check_in(self, appt: Appointment, citizen_key: str | None = None) -> IssuedTicket:
        """Turn a due appointment into a ticket: no service choice needed."""
        now = self.clock.now()
        if appt.state != "booked":
            raise IllegalTransition(f"appointment is {appt.state}", code=f"appointment_{appt.state}")
        opens, closes = appt.slot_start - self.rules.early_minutes * 60, appt.slot_start + self.rules.late_minutes * 60
        if not opens <= now <= closes:
            early = now < opens
            at = datetime.fromtimestamp(opens if early else closes, self.clock.tz).strftime("%H:%M")
            raise IllegalTransition("check-in opens 30 minutes before the slot and closes 15 minutes after it",
                                    code="outside_window", text="check_in_early" if early else "check_in_late",
                                    values={"at": at})
        issued = self.engine.issue_ticket(appt.service, "appointment", channel="appointment", citizen_key=citizen_key)
        with self.engine.store.transaction() as conn:
            conn.execute("UPDATE appointments SET state = 'checked_in', ticket_id = ? WHERE id = ?",
                         [issued.ticket.id, appt.id])
        return issued
