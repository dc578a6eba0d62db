"""Appointments booked in advance: slots per service, booking, cancellation, check-in at the kiosk.

A checked-in appointment becomes a ticket of priority category "appointment": it is served ahead of
walk-ins under every policy's priority rules, as a booked slot should be. Citizens are known here only
by an opaque `lookup` key (the web layer's pseudonym of an ID number), never by their data.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from kiosk.queue.clock import Clock, local_datetime
from kiosk.queue.engine import IssuedTicket, QueueEngine
from kiosk.queue.errors import IllegalTransition, InvalidInput, LimitReached, NotFound

HOURS_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed at a kiosk


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

    def __post_init__(self) -> None:
        for span in self.opening_hours:
            if not HOURS_RE.match(span):
                raise InvalidInput(f"opening hours must look like 07:30-11:30, not {span!r}")
        if not 5 <= self.slot_minutes <= 240 or not 1 <= self.capacity <= 50:
            raise InvalidInput("slot_minutes must be 5-240 and capacity 1-50")


@dataclass(frozen=True)
class Appointment:
    id: int
    code: str
    service: str
    slot_start: float
    state: str
    ticket_id: int | None

    def to_api(self, tz) -> dict[str, Any]:
        return {"code": self.code, "service": self.service, "state": self.state, "ticket_id": self.ticket_id,
                "slot_start": datetime.fromtimestamp(self.slot_start, tz).isoformat(timespec="minutes")}


def _row(row) -> Appointment:
    return Appointment(row["id"], row["code"], row["service_code"], row["slot_start"], row["state"], row["ticket_id"])


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

    def book(self, service: str, slot_start: datetime, lookup: str | None = None, contact: bytes | None = None) -> Appointment:
        """Book a slot; refuses past, unknown or full slots."""
        svc = self.engine.service(service)
        if slot_start.tzinfo is None:
            raise InvalidInput("slot start needs a time zone offset")
        today = local_datetime(self.clock).date()
        local = slot_start.astimezone(self.clock.tz)
        if not today <= local.date() <= today + timedelta(days=self.rules.book_days_ahead):
            raise InvalidInput(f"appointments can be booked up to {self.rules.book_days_ahead} days ahead")
        offered = {s["start"]: s["free"] for s in self.slots(svc.code, local.date())}
        key = local.isoformat(timespec="minutes")
        if key not in offered:
            raise InvalidInput("that time is not a bookable slot")
        with self.engine.store.transaction() as conn:
            taken = conn.execute(
                "SELECT COUNT(*) FROM appointments WHERE service_code = ? AND slot_start = ? AND state != 'cancelled'",
                [svc.code, local.timestamp()],
            ).fetchone()[0]
            if taken >= self.rules.capacity:
                raise LimitReached("that slot is full; choose another time", code="slot_full")
            if lookup and conn.execute(
                "SELECT 1 FROM appointments WHERE lookup = ? AND service_code = ? AND state = 'booked' "
                "AND slot_start >= ?", [lookup, svc.code, self.clock.now()]
            ).fetchone():
                raise LimitReached("this citizen already has an appointment for this service", code="already_booked")
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
            cur = conn.execute(
                "INSERT INTO appointments (code, service_code, slot_start, lookup, contact, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [code, svc.code, local.timestamp(), lookup, contact, self.clock.now()],
            )
            return _row(conn.execute("SELECT * FROM appointments WHERE id = ?", [cur.lastrowid]).fetchone())

    def get(self, code: str) -> Appointment:
        if not isinstance(code, str) or not code:
            raise InvalidInput("appointment code required")
        row = self.engine.store.conn().execute("SELECT * FROM appointments WHERE code = ?", [code.upper()]).fetchone()
        if row is None:
            raise NotFound("no appointment with that code")
        return _row(row)

    def cancel(self, code: str) -> Appointment:
        appt = self.get(code)
        if appt.state != "booked":
            raise IllegalTransition(f"appointment is {appt.state}")
        with self.engine.store.transaction() as conn:
            conn.execute("UPDATE appointments SET state = 'cancelled' WHERE id = ?", [appt.id])
        return self.get(code)

    def due(self, lookup: str) -> Appointment | None:
        """A booked appointment of this citizen whose check-in window is open now."""
        now = self.clock.now()
        row = self.engine.store.conn().execute(
            "SELECT * FROM appointments WHERE lookup = ? AND state = 'booked' AND slot_start BETWEEN ? AND ? "
            "ORDER BY slot_start LIMIT 1",
            [lookup, now - self.rules.late_minutes * 60, now + self.rules.early_minutes * 60],
        ).fetchone()
        return _row(row) if row else None

    def check_in(self, appt: Appointment, citizen_key: str | None = None) -> IssuedTicket:
        """Turn a due appointment into a ticket: no service choice needed."""
        now = self.clock.now()
        if appt.state != "booked":
            raise IllegalTransition(f"appointment is {appt.state}")
        if not appt.slot_start - self.rules.early_minutes * 60 <= now <= appt.slot_start + self.rules.late_minutes * 60:
            raise IllegalTransition("check-in opens 30 minutes before the slot and closes 15 minutes after it",
                                    code="outside_window")
        issued = self.engine.issue_ticket(appt.service, "appointment", channel="appointment", citizen_key=citizen_key)
        with self.engine.store.transaction() as conn:
            conn.execute("UPDATE appointments SET state = 'checked_in', ticket_id = ? WHERE id = ?",
                         [issued.ticket.id, appt.id])
        return issued
