"""The manager's alerts: the service standards of the centre checked against the live queue.

A plain function of the queue snapshot (kiosk.queue.snapshot), the rules and the time: nothing here
reads the store or a clock. Four kinds, each raised while its cause lasts and gone when it ends:

wait_over_target     a citizen has waited longer than the service's target (``services.sla_minutes``)
queue_too_long       more people wait for a service than its standard allows (``services.max_waiting``,
                     else the centre's ``[alerts] max_waiting``)
counter_idle         an open counter has had no ticket for ``idle_counter_minutes`` while people wait
                     for a service it serves
called_not_started   a ticket was called at a counter ``called_not_started_minutes`` ago and its
                     service has not started (the citizen did not come, or the officer forgot to press)

Each alert has a stable ``key`` (kind + service or counter): the monitor keeps one banner line per key
and beeps only for keys it has not shown yet. Messages hold no running duration (they would change every
minute); ``since`` is when the cause began, and the monitor shows for how long.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from kiosk.queue.errors import InvalidInput

KINDS = ("wait_over_target", "queue_too_long", "counter_idle", "called_not_started")


@dataclass(frozen=True)
class AlertRules:
    """The centre's thresholds (``[alerts]``); a service's own ``max_waiting`` overrides ``max_waiting``."""

    enabled: bool = True
    idle_counter_minutes: float = 5.0
    called_not_started_minutes: float = 3.0
    max_waiting: int = 30

    def __post_init__(self) -> None:
        for name, low, high in (("idle_counter_minutes", 0.5, 240), ("called_not_started_minutes", 0.5, 240)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise InvalidInput(f"{name} must be a number of minutes between {low} and {high}",
                                   text="field_minutes_between", values={"field": name, "low": low, "high": high})
        if isinstance(self.max_waiting, bool) or not isinstance(self.max_waiting, int) or not 1 <= self.max_waiting <= 10_000:
            raise InvalidInput("max_waiting must be a whole number between 1 and 10000", text="field_between",
                               values={"field": "max_waiting", "low": 1, "high": 10_000})


@dataclass(frozen=True)
class Alert:
    """One cause for the manager's attention, as long as it lasts."""

    key: str
    kind: str
    since: float  # seconds since the epoch: when the cause began (for the banner's "for 12 minutes")
    message: str
    message_en: str
    service: str | None = None
    counter: int | None = None
    ticket: str | None = None
    value: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _epoch(iso_text: str | None) -> float | None:
    return datetime.fromisoformat(iso_text).timestamp() if iso_text else None


def queue_alerts(snapshot: dict[str, Any], rules: AlertRules, now: float,
                 standards: dict[str, dict[str, Any]], idle_since: dict[int, float]) -> list[Alert]:
    """The alerts of the queue now.

    ``standards``: per service code ``{"sla_minutes", "max_waiting"}`` (max_waiting None = the centre's);
    ``idle_since``: per counter number, when it last became free (its last event); a counter without one
    is taken as free since ``now`` (no alert until it has really been idle that long).
    """
    if not rules.enabled:
        return []
    out: list[Alert] = []
    waiting_by_service: dict[str, int] = {}
    for s in snapshot["services"]:
        code, waiting = s["code"], s["waiting"]
        waiting_by_service[code] = waiting
        std = standards.get(code, {})
        label = f"{s['prefix']} · {s['name']}"
        sla_s = float(std.get("sla_minutes") or 30) * 60.0
        if waiting and s["longest_wait_s"] > sla_s:
            over = max(1, int(s.get("over_sla") or 0))
            first = _epoch(s["next"][0]["issued_at"]) if s.get("next") else now - s["longest_wait_s"]
            out.append(Alert(
                key=f"wait_over_target:{code}", kind="wait_over_target", service=code, value=over,
                since=(first or now) + sla_s,
                message=f"{label}: {over} Quý khách đã chờ quá thời gian chuẩn {int(sla_s // 60)} phút.",
                message_en=f"{label}: {over} waiting beyond the {int(sla_s // 60)} min target.",
            ))
        limit = std.get("max_waiting") or rules.max_waiting
        if waiting > limit:
            out.append(Alert(
                key=f"queue_too_long:{code}", kind="queue_too_long", service=code, value=waiting, since=now,
                message=f"{label}: {waiting} Quý khách đang chờ, vượt mức {limit} người.",
                message_en=f"{label}: {waiting} waiting, more than the standard of {limit}.",
            ))
    idle_s = rules.idle_counter_minutes * 60.0
    late_s = rules.called_not_started_minutes * 60.0
    for c in snapshot["counters"]:
        number, current = c["number"], c.get("current")
        if c["state"] != "open":
            continue
        if current is None:
            waiting = sum(waiting_by_service.get(code, 0) for code in c.get("services", ()))
            free_since = idle_since.get(number, now)
            if waiting and now - free_since >= idle_s:
                out.append(Alert(
                    key=f"counter_idle:{number}", kind="counter_idle", counter=number, value=waiting,
                    since=free_since,
                    message=f"{c['name']} không gọi số trong khi {waiting} Quý khách đang chờ.",
                    message_en=f"{c['name']} is idle while {waiting} wait.",
                ))
        elif current.get("state") == "called":
            called = _epoch(current.get("called_at"))
            if called is not None and now - called >= late_s:
                out.append(Alert(
                    key=f"called_not_started:{number}", kind="called_not_started", counter=number,
                    ticket=current.get("number"), since=called,
                    message=f"{c['name']}: số {current.get('number')} đã được gọi nhưng chưa bắt đầu phục vụ.",
                    message_en=f"{c['name']}: {current.get('number')} was called and has not started.",
                ))
    return out
