"""The ``[alerts]`` table: the centre's service standards for the manager's alerts (kiosk.queue.alerts).

    [alerts]
    enabled = true
    idle_counter_minutes = 5          # 0.5..240: an open counter with no ticket while people wait
    called_not_started_minutes = 3    # 0.5..240: a called ticket whose service has not started
    max_waiting = 30                  # 1..10000 waiting per service (a service's own max_waiting wins)
    check_s = 5.0                     # 1..60: how often the queue is checked

A waiting citizen beyond the service's target uses each service's ``sla_minutes`` (the admin page).
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kiosk.config.base import Table
from kiosk.queue.alerts import AlertRules


class AlertSettings(Table):
    """Thresholds of the monitor's alerts, and how often they are checked."""

    table = "alerts"

    enabled: bool = True
    idle_counter_minutes: Annotated[float, Field(ge=0.5, le=240)] = 5.0
    called_not_started_minutes: Annotated[float, Field(ge=0.5, le=240)] = 3.0
    max_waiting: Annotated[int, Field(ge=1, le=10_000)] = 30
    check_s: Annotated[float, Field(ge=1, le=60)] = 5.0

    def rules(self) -> AlertRules:
        """The thresholds as the queue domain's AlertRules."""
        return AlertRules(enabled=self.enabled, idle_counter_minutes=float(self.idle_counter_minutes),
                          called_not_started_minutes=float(self.called_not_started_minutes),
                          max_waiting=self.max_waiting)
