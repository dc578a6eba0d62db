"""Shipping again and again (`kiosk ship --follow`, the background task of `kiosk serve`), with backoff.

`ShipLoop.tick` runs one pass when it is due: a city database that cannot be reached, or fails in the
middle of a batch, is logged (once per failure streak at WARNING, then at DEBUG) and tried again after
1, 2, 4 … up to `MAX_BACKOFF_S` seconds; nothing of the centre waits for it. A refused pass (a restore)
is logged at ERROR and tried again after `REFUSED_RETRY_S` (the operator's `kiosk ship --new-epoch`
ends it).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import psycopg

from kiosk.city.db import connect, migrate
from kiosk.city.setup import safe_dsn
from kiosk.city.ship import PassResult, RestoreDetected, Shipper

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0
REFUSED_RETRY_S = 300.0


class ShipLoop:
    def __init__(self, dsn: str, shipper: Shipper, monotonic: Callable[[], float] = time.monotonic,
                 connect_timeout: float = 10) -> None:
        self.dsn, self.shipper, self.monotonic = dsn, shipper, monotonic
        self.connect_timeout = connect_timeout
        self.failures = 0
        self.next_try = 0.0
        self.last_error: str | None = None
        self.refused: str | None = None
        self._conn: psycopg.Connection | None = None
        self._migrated = False

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.dsn, connect_timeout=self.connect_timeout)
            if not self._migrated:
                migrate(self._conn)
                self._migrated = True
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def tick(self, stopping: Callable[[], bool] | None = None) -> PassResult | None:
        """One pass if due; None when not due or failed (the failure is logged and backed off).
        RestoreDetected propagates (nothing was written): the CLI exits, the background task logs it."""
        if self.monotonic() < self.next_try:
            return None
        try:
            result = self.shipper.ship_once(self._connection(), stopping=stopping)
        except RestoreDetected as exc:
            self.close()
            self.refused = str(exc)
            self.next_try = self.monotonic() + REFUSED_RETRY_S
            raise
        except (psycopg.Error, OSError) as exc:
            self.close()
            self.failures += 1
            delay = min(MAX_BACKOFF_S, 2.0 ** (self.failures - 1))
            self.next_try = self.monotonic() + delay
            self.last_error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            level = logging.WARNING if self.failures == 1 or self.failures % 20 == 0 else logging.DEBUG
            log.log(level, "city shipping to %s failed (%s); retrying in %.0f s (failure %d)",
                    safe_dsn(self.dsn), self.last_error, delay, self.failures)
            return None
        if self.failures:
            log.info("city shipping to %s resumed after %d failures", safe_dsn(self.dsn), self.failures)
        self.failures, self.next_try, self.last_error, self.refused = 0, 0.0, None, None
        if result.events:
            log.info("city: %s", result.line())
        return result
