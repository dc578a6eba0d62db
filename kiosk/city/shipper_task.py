"""The city shipper inside `kiosk serve` (when ``[city] dsn`` is set): a RepeatingTask every interval_s.

It never affects the service: the centre's SQLite is read through its own read-only connection, the
reads and the extraction run off the event loop (run_blocking), a city database that cannot be reached
is logged and retried with backoff (kiosk.city.follow), a refused pass (a restore) is logged at ERROR
every `REFUSED_RETRY_S` until the operator runs `kiosk ship --new-epoch`, and a failure to set the
shipper up is logged once and leaves the service running without it.
"""
from __future__ import annotations

import logging
from typing import Any

from kiosk.city.follow import ShipLoop
from kiosk.city.setup import build_shipper, safe_dsn
from kiosk.city.ship import PassResult, RestoreDetected, ShipError
from kiosk.runtime.blocking import run_blocking
from kiosk.runtime.tasks import RepeatingTask

log = logging.getLogger(__name__)


class CityShipperTask:
    """Ships the centre every ``[city] interval_s``; `last` and `loop` say how it went (for tests, status)."""

    def __init__(self, config: Any, clock: Any) -> None:
        self.config = config
        city = config.city
        shipper = build_shipper(config, clock=clock.now)
        shipper.offload = run_blocking
        self.loop = ShipLoop(city.dsn, shipper)
        self.task = RepeatingTask(city.interval_s, self.run, "city-shipper", first_after_s=min(2.0, city.interval_s))
        self.last: PassResult | None = None

    def run(self) -> None:
        try:
            result = self.loop.tick(stopping=self.task.stopping)
        except RestoreDetected as exc:
            log.error("city shipping refused: %s", exc)
            return
        if result is not None:
            self.last = result

    def start(self) -> None:
        log.info("city shipping to %s as site %s every %g s", safe_dsn(self.config.city.dsn),
                 self.config.city.site_code, self.config.city.interval_s)
        self.task.start()

    def stop(self, deadline: float | None = None) -> None:
        self.task.stop(deadline)
        self.loop.close()
        self.loop.shipper.reader.close()


def start_city_shipper(kiosk: Any, supervisor: Any) -> CityShipperTask | None:
    """Add the city shipper to the service's supervisor; None (logged) when it cannot be set up."""
    try:
        task = CityShipperTask(kiosk.config, kiosk.clock)
    except ShipError as exc:
        log.error("city shipping is off: %s", exc)
        return None
    supervisor.add("city-shipper", task.stop, start=task.start)
    return task
