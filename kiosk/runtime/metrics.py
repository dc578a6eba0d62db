"""What ``GET /metrics`` reports about the queue, the devices and the backups, read at scrape time.

Every family is computed from the store when Prometheus asks (nothing is counted on the side that could
drift from the events): today's figures come from today's events only (``id >= first_event_id`` of the
day, kiosk.queue.days) and today's tickets (index ``tickets_day``), so a scrape costs the same on the
first day and after five years. "Today" is the centre's local day: the ``*_today`` gauges restart at
midnight, as the ticket numbers do.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from kiosk.queue.clock import local_day
from kiosk.queue.days import first_event_id

#: buckets of the wait from issue to first call, in seconds (1 min .. 2 h)
WAIT_BUCKETS = (60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0, 5400.0, 7200.0)

#: event type -> the gauge that counts it today
TODAY_EVENTS = {
    "ticket_issued": ("kiosk_tickets_issued_today", "Tickets issued today, by service."),
    "ticket_finished": ("kiosk_tickets_served_today", "Tickets served (finished) today, by service."),
    "ticket_no_show": ("kiosk_tickets_no_show_today", "Tickets marked no-show today, by service."),
    "ticket_cancelled": ("kiosk_tickets_cancelled_today", "Tickets cancelled today, by service."),
    "ticket_called": ("kiosk_calls_today", "Calls of a ticket to a counter today (recalls apart), by service."),
    "ticket_recalled": ("kiosk_recalls_today", "Recalls today, by service."),
}


class CentreCollector:
    """A prometheus_client collector over one centre's KioskServices."""

    def __init__(self, kiosk: Any) -> None:
        self.kiosk = kiosk

    def describe(self) -> list:
        return []  # nothing is read at registration (the registry would otherwise call collect)

    def collect(self) -> Iterator[Any]:
        kiosk = self.kiosk
        conn = kiosk.store.conn()
        day = local_day(kiosk.clock)
        services = [s.code for s in kiosk.engine.services()]
        yield from self._today_events(conn, day, services)
        waiting = GaugeMetricFamily("kiosk_waiting", "Tickets waiting now, by service.", labels=["service"])
        counts = dict(conn.execute(
            "SELECT service_code, COUNT(*) FROM tickets WHERE state = 'waiting' GROUP BY service_code").fetchall())
        for code in sorted(set(services) | set(counts)):
            waiting.add_metric([code], counts.get(code, 0))
        yield waiting
        yield self._waits(conn, day, services)
        counters = GaugeMetricFamily("kiosk_counters", "Counters by state now.", labels=["state"])
        states = dict(conn.execute("SELECT state, COUNT(*) FROM counters GROUP BY state").fetchall())
        for state in ("open", "paused", "closed"):
            counters.add_metric([state], states.get(state, 0))
        yield counters
        yield from self._devices()
        yield from self._backups()

    def _today_events(self, conn, day: str, services: list[str]) -> Iterator[Any]:
        marks = ",".join("?" * len(TODAY_EVENTS))
        rows = conn.execute(f"SELECT type, service_code, COUNT(*) FROM events WHERE id >= ? AND type IN ({marks}) "
                            "GROUP BY type, service_code", [first_event_id(conn, day), *TODAY_EVENTS]).fetchall()
        found: dict[str, dict[str, int]] = {}
        for kind, service, count in rows:
            found.setdefault(kind, {})[service or ""] = count
        for kind, (name, doc) in TODAY_EVENTS.items():
            family = GaugeMetricFamily(name, doc, labels=["service"])
            of_kind = found.get(kind, {})
            for code in sorted(set(services) | set(of_kind)):
                family.add_metric([code], of_kind.get(code, 0))
            yield family

    def _waits(self, conn, day: str, services: list[str]) -> HistogramMetricFamily:
        """Wait from issue to first call of today's tickets called so far, by service."""
        family = HistogramMetricFamily("kiosk_wait_seconds", "Wait from issue to the first call, tickets of today "
                                       "called so far, by service.", labels=["service"])
        # one pass in SQL (a busy day has thousands of called tickets; a loop per bucket in Python costs ~100 ms)
        buckets_sql = ", ".join(f"SUM(w <= {bound!r})" for bound in WAIT_BUCKETS)
        rows = {row[0]: row[1:] for row in conn.execute(
            f"SELECT service_code, COUNT(*), TOTAL(w), {buckets_sql} FROM (SELECT service_code, "
            "MAX(0.0, called_at - issued_at) AS w FROM tickets WHERE day = ? AND called_at IS NOT NULL) "
            "GROUP BY service_code", [day])}
        for code in sorted(set(services) | set(rows)):
            count, total, *under = rows.get(code, (0, 0.0, *([0] * len(WAIT_BUCKETS))))
            buckets = [(str(bound), n or 0) for bound, n in zip(WAIT_BUCKETS, under, strict=True)]
            buckets.append(("+Inf", count))
            family.add_metric([code], buckets, sum_value=total)
        return family

    def _devices(self) -> Iterator[Any]:
        from kiosk.devices.health import KINDS, STATES

        family = GaugeMetricFamily("kiosk_devices", "Devices by kind and state now (as GET /api/v1/devices).",
                                   labels=["kind", "state"])
        board = self.kiosk.health
        counts: dict[tuple[str, str], int] = {}
        if board is not None:
            for device in board.snapshot(max_age_s=10.0):  # the board's own refresh: a scrape polls no device
                counts[(device.kind, device.state)] = counts.get((device.kind, device.state), 0) + 1
        for kind in KINDS:
            for state in STATES:
                family.add_metric([kind, state], counts.get((kind, state), 0))
        yield family

    def _backups(self) -> Iterator[Any]:
        daily = self.kiosk.backups
        if daily is None:
            return
        status = daily.status()
        failures = CounterMetricFamily("kiosk_backup_failures", "Daily backups that failed since the start.")
        failures.add_metric([], daily.failures)
        yield failures
        if status["last_at"] is not None:
            last = GaugeMetricFamily("kiosk_backup_last_success_timestamp_seconds",
                                     "When the newest daily backup was made (epoch seconds).")
            last.add_metric([], status["last_at"])
            yield last
