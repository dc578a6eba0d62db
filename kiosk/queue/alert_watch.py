"""The thin shell around kiosk.queue.alerts: checks the live queue every few seconds and tells a listener
when the set of alerts changes (the web layer sends it to the monitors as ``queue_alerts``).

It follows the event bus for one thing the snapshot does not hold: when each counter last became free
(its last event), so that "idle while people wait" counts from the end of its last ticket. At start that
is read once from today's events (an index range over ``events.at``).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kiosk.queue import events as ev
from kiosk.queue.alerts import Alert, AlertRules, queue_alerts
from kiosk.queue.clock import day_bounds, local_day
from kiosk.queue.engine import QueueEngine
from kiosk.queue.snapshot import queue_snapshot

log = logging.getLogger(__name__)


class AlertWatch:
    """Current alerts of the queue; ``check()`` recomputes them, ``__call__(event)`` follows the bus."""

    def __init__(self, engine: QueueEngine, rules: AlertRules,
                 on_change: Callable[[list[Alert]], object] | None = None) -> None:
        self.engine = engine
        self.rules = rules
        self.on_change = on_change
        self._lock = threading.Lock()
        self._idle_since: dict[int, float] = {}
        self._day: str | None = None
        self._alerts: list[Alert] = []
        self._shown: tuple[str, ...] = ()

    def alerts(self) -> list[Alert]:
        """The alerts found by the last check."""
        with self._lock:
            return list(self._alerts)

    def __call__(self, event: Any) -> None:
        counter = getattr(event, "counter", None)
        if isinstance(event, ev.Event) and counter is not None:
            with self._lock:
                self._idle_since[int(counter)] = event.at

    def _load_day(self, day: str) -> None:
        start, end = day_bounds(self.engine.clock, day)
        rows = self.engine.store.conn().execute(
            "SELECT counter_number, MAX(at) FROM events WHERE at >= ? AND at < ? AND counter_number IS NOT NULL "
            "GROUP BY counter_number", [start, end]).fetchall()
        with self._lock:
            self._idle_since = {int(r[0]): float(r[1]) for r in rows}
            self._day = day

    def _standards(self) -> dict[str, dict[str, Any]]:
        return {s.code: {"sla_minutes": s.sla_minutes, "max_waiting": s.max_waiting} for s in self.engine.services()}

    def check(self) -> list[Alert]:
        """Recompute the alerts now; the listener hears of it when the set (kinds, keys, figures) changed."""
        now = self.engine.clock.now()
        day = local_day(self.engine.clock, now)
        if day != self._day:
            self._load_day(day)
        snap = queue_snapshot(self.engine)
        with self._lock:
            idle = dict(self._idle_since)
        found = queue_alerts(snap, self.rules, now, self._standards(), idle)
        with self._lock:
            # a cause that lasts keeps the time it began (a queue's length has no history of its own)
            before = {a.key: a.since for a in self._alerts}
            found = [replace(a, since=min(a.since, before[a.key])) if a.key in before else a for a in found]
            shown = tuple(f"{a.key}|{a.value}|{a.ticket}" for a in found)
            self._alerts = found
            changed, self._shown = shown != self._shown, shown
        if changed and self.on_change is not None:
            try:
                self.on_change(found)
            except Exception:
                log.exception("queue alert listener failed")
        return found


def alerts_payload(alerts: list[Alert], at: float) -> dict[str, Any]:
    """The ``queue_alerts`` message: every alert active now (an empty list clears the banner)."""
    return {"at": at, "alerts": [a.to_dict() for a in alerts]}
