"""The centre's catalogue: services (lĩnh vực) and counters, with validation."""
from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from typing import Any

from kiosk.queue.errors import InvalidInput, NotFound, QueueError

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PREFIX_RE = re.compile(r"^[A-Z]{1,2}$")


def _text(value: Any, field: str, max_len: int = 120, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", text="field_text", values={"field": field})
    value = unicodedata.normalize("NFC", " ".join(value.split()))
    if required and not value:
        raise InvalidInput(f"{field} is required", text="field_required", values={"field": field})
    if len(value) > max_len:
        raise InvalidInput(f"{field} is too long ({max_len} characters at most)", text="field_too_long",
                           values={"field": field, "max_len": max_len})
    return value


def _opt_int(value: Any, field: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a whole number", text="field_whole_number", values={"field": field})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a whole number", text="field_whole_number", values={"field": field}) from None
    if not low <= number <= high:
        raise InvalidInput(f"{field} must be between {low} and {high}", text="field_between",
                           values={"field": field, "low": low, "high": high})
    return number


def save_service(conn: sqlite3.Connection, data: dict[str, Any], create: bool) -> str:
    """Create or update a service from a dict of its fields; returns its code."""
    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise InvalidInput("code must be 1-32 letters, digits, '-' or '_'", text="service_code_format")
    exists = conn.execute("SELECT 1 FROM services WHERE code = ?", [code]).fetchone() is not None
    if create and exists:
        raise QueueError(f"service {code} already exists", code="exists", text="service_exists",
                         values={"service": code})
    if not create and not exists:
        raise NotFound(f"no service with code {code!r}", text="no_service", values={"service": code})
    prefix = data.get("prefix")
    if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
        raise InvalidInput("prefix must be one or two capital letters A-Z", text="prefix_format")
    clash = conn.execute("SELECT code, name FROM services WHERE prefix = ? AND code != ?", [prefix, code]).fetchone()
    if clash:
        raise QueueError(f"prefix {prefix} is already used by service {clash[0]}", code="exists",
                         text="prefix_taken", values={"prefix": prefix, "service": clash[1]})
    row = {
        "code": code,
        "name": _text(data.get("name"), "name"),
        "name_en": _text(data.get("name_en"), "name_en", required=False),
        "prefix": prefix,
        "daily_limit": _opt_int(data.get("daily_limit"), "daily_limit", 1, 999),
        "person_daily_limit": _opt_int(data.get("person_daily_limit"), "person_daily_limit", 1, 99),
        "sla_minutes": _opt_int(data.get("sla_minutes", 30), "sla_minutes", 1, 600) or 30,
        "is_open": 1 if data.get("is_open", True) not in (False, 0, "0", "false") else 0,
        "sort": _opt_int(data.get("sort", 0), "sort", 0, 10_000) or 0,
        "max_waiting": _opt_int(data.get("max_waiting"), "max_waiting", 1, 10_000),
    }
    conn.execute(
        "INSERT INTO services (code, name, name_en, prefix, daily_limit, person_daily_limit, sla_minutes, "
        "is_open, sort, max_waiting) VALUES (:code, :name, :name_en, :prefix, :daily_limit, :person_daily_limit, "
        ":sla_minutes, :is_open, :sort, :max_waiting) ON CONFLICT(code) DO UPDATE SET name = excluded.name, "
        "name_en = excluded.name_en, prefix = excluded.prefix, daily_limit = excluded.daily_limit, "
        "person_daily_limit = excluded.person_daily_limit, sla_minutes = excluded.sla_minutes, "
        "is_open = excluded.is_open, sort = excluded.sort, max_waiting = excluded.max_waiting",
        row,
    )
    return code


def save_counter(
    conn: sqlite3.Connection, number: Any, name: Any, services: Sequence[Any], create: bool
) -> int:
    """Create or update a counter and the services it serves, in order of preference.

    `services` items are codes (rank = position) or (code, rank) pairs; equal ranks are pooled.
    """
    num = _opt_int(number, "number", 1, 999)
    if num is None:
        raise InvalidInput("number is required", text="field_required", values={"field": "number"})
    exists = conn.execute("SELECT 1 FROM counters WHERE number = ?", [num]).fetchone() is not None
    if create and exists:
        raise QueueError(f"counter {num} already exists", code="exists", text="counter_exists", values={"counter": num})
    if not create and not exists:
        raise NotFound(f"no counter number {num}", text="no_counter", values={"counter": num})
    label = _text(name, "name") if name is not None else f"Quầy {num}"
    if not isinstance(services, (list, tuple)) or not services:
        raise InvalidInput("a counter serves at least one service", text="counter_needs_service")
    ranked: list[tuple[str, int]] = []
    for i, item in enumerate(services, start=1):
        code, rank = (item[0], item[1]) if isinstance(item, (list, tuple)) else (item, i)
        if not isinstance(code, str) or conn.execute("SELECT 1 FROM services WHERE code = ?", [code]).fetchone() is None:
            raise InvalidInput(f"unknown service {code!r}", text="no_service", values={"service": code})
        ranked.append((code, _opt_int(rank, "rank", 1, 100) or 1))
    if len({c for c, _ in ranked}) != len(ranked):
        twice = next(c for c, _ in ranked if [d for d, _ in ranked].count(c) > 1)
        raise InvalidInput("a service is listed twice", text="service_listed_twice", values={"service": twice})
    if create:
        conn.execute("INSERT INTO counters (number, name) VALUES (?, ?)", [num, label])
    else:
        conn.execute("UPDATE counters SET name = ? WHERE number = ?", [label, num])
    conn.execute("DELETE FROM counter_services WHERE counter_number = ?", [num])
    conn.executemany(
        "INSERT INTO counter_services (counter_number, service_code, rank) VALUES (?, ?, ?)",
        [(num, code, rank) for code, rank in ranked],
    )
    return num
