"""Plain records of the queue domain, read from store rows."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from kiosk.queue.clock import iso

PRIORITIES = ("normal", "elderly", "disabled", "pregnant", "merit", "appointment")
# chosen by the citizen at the kiosk; "appointment" only comes from a checked-in booking
CHOOSABLE_PRIORITIES = PRIORITIES[:5]
PRIORITY_LABELS_VI = {
    "normal": "Thường",
    "elderly": "Người cao tuổi",
    "disabled": "Người khuyết tật",
    "pregnant": "Phụ nữ mang thai",
    "merit": "Người có công",
    "appointment": "Đặt lịch hẹn",
}
TICKET_STATES = ("waiting", "called", "serving", "done", "no_show", "held", "cancelled", "expired")
COUNTER_STATES = ("closed", "open", "paused")


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    name_en: str
    prefix: str
    daily_limit: int | None
    person_daily_limit: int | None
    sla_minutes: int
    is_open: bool
    sort: int
    max_waiting: int | None = None  # the queue-length standard of the manager's alerts (None: the centre's)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Service:
        return cls(
            code=row["code"], name=row["name"], name_en=row["name_en"], prefix=row["prefix"],
            daily_limit=row["daily_limit"], person_daily_limit=row["person_daily_limit"],
            sla_minutes=row["sla_minutes"], is_open=bool(row["is_open"]), sort=row["sort"],
            max_waiting=row["max_waiting"],
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "code": self.code, "name": self.name, "name_en": self.name_en, "prefix": self.prefix,
            "daily_limit": self.daily_limit, "person_daily_limit": self.person_daily_limit,
            "sla_minutes": self.sla_minutes, "is_open": self.is_open, "max_waiting": self.max_waiting,
        }


@dataclass(frozen=True)
class Ticket:
    id: int
    day: str
    number: str
    service: str
    priority: str
    state: str
    channel: str
    issued_at: float
    counter: int | None
    called_at: float | None
    started_at: float | None
    finished_at: float | None
    recalls: int
    # transferred to one counter (kiosk/queue/priorities.py next_for_counter): only it calls the ticket while
    # it waits; ``target_from`` is the counter that sent it (None: an admin). Both None once it stops waiting.
    target_counter: int | None = None
    target_from: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Ticket:
        return cls(
            id=row["id"], day=row["day"], number=row["number"], service=row["service_code"],
            priority=row["priority"], state=row["state"], channel=row["channel"],
            issued_at=row["issued_at"], counter=row["counter_number"], called_at=row["called_at"],
            started_at=row["started_at"], finished_at=row["finished_at"], recalls=row["recalls"],
            target_counter=row["target_counter"], target_from=row["target_from"],
        )

    @property
    def is_priority(self) -> bool:
        return self.priority != "normal"

    def to_api(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "id": self.id, "number": self.number, "service": self.service, "priority": self.priority,
            "state": self.state, "counter": self.counter, "issued_at": iso(self.issued_at, tz),
            "called_at": iso(self.called_at, tz), "started_at": iso(self.started_at, tz),
            "finished_at": iso(self.finished_at, tz), "recalls": self.recalls,
            "target_counter": self.target_counter, "target_from": self.target_from,
        }


@dataclass(frozen=True)
class Counter:
    number: int
    name: str
    state: str
    pause_reason: str | None
    officer_id: int | None
    current_ticket_id: int | None
    normal_streak: int
    services: tuple[str, ...]

    def to_api(self) -> dict[str, Any]:
        return {
            "number": self.number, "name": self.name, "services": list(self.services),
            "state": self.state, "pause_reason": self.pause_reason, "officer_id": self.officer_id,
        }
