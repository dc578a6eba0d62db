"""The city dashboard's Flask application (`kiosk city serve`): `create_city_app(dsn, config)`.

Nothing happens at import time. The factory brings the city schema up to date (kiosk.city.db.migrate), and,
current (kiosk/city/rollups.py): requests only read the rollups, so the dashboard stays fast at hundreds of
centres; its figures are at most that interval behind the shipped events.

config keys (all optional): ``secret_key`` (else KIOSK_CITY_SECRET_KEY, else a random one: sessions end at a
restart), ``title``, ``stale_after_s`` (300), ``rollup_interval_s`` (30), ``refresh_today_s`` (60),
``session_cookie_secure`` (False), ``now`` (a clock function, for tests), ``timezone``.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from typing import Any

from flask import Flask, g

from kiosk.queue.clock import centre_timezone

log = logging.getLogger(__name__)


@dataclass
class CityServices:
    """What the views use: the database, the clock and the dashboard's settings."""
    dsn: str
    now: Callable[[], float]
    tz: tzinfo
    title: str
    stale_after_s: float
    refresh_today_s: float
    builder: RollupBuilder | None = None

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=10,
                               application_name="kiosk-city-dashboard")


@dataclass
class RollupBuilder:
    """A thread that brings the daily rollups up to date every ``interval_s``."""
    services: CityServices
    interval_s: float
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    last_error: str | None = None

    def run_once(self) -> int:
        from kiosk.city import rollups

        conn = self.services.connect()
        try:
            conn.autocommit = False
            return rollups.build(conn, self.services.now(), self.services.refresh_today_s)
        finally:
            conn.close()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.run_once()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - PostgreSQL away: try again next round, say why once
                if str(exc) != self.last_error:
                    log.warning("city rollups not built: %s", exc)
                self.last_error = str(exc)
            self.stopping.wait(self.interval_s)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="city-rollups", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)


class CityApp(Flask):
    city: CityServices


def _migrate(services: CityServices) -> None:
    """Bring the city schema up to date, as every shipper does at start (kiosk.city.db, concurrency-safe)."""
    from kiosk.city.db import migrate

    conn = services.connect()
    try:
        conn.autocommit = False
        migrate(conn)
    finally:
        conn.close()


def create_city_app(dsn: str, config: dict[str, Any] | None = None) -> CityApp:
    from kiosk.city.dashboard import api, pages
    from kiosk.web.errors import register_error_handlers
    from kiosk.web.headers import install_headers
    from kiosk.web.pages.texts import install_texts

    cfg = dict(config or {})
    services = CityServices(
        dsn=dsn, now=cfg.get("now") or time.time, tz=centre_timezone(cfg.get("timezone", "Asia/Ho_Chi_Minh")),
        title=cfg.get("title", "Trung tâm Phục vụ hành chính công thành phố"),
        stale_after_s=float(cfg.get("stale_after_s", 300)), refresh_today_s=float(cfg.get("refresh_today_s", 60)))
    _migrate(services)
    app = CityApp(__name__, static_folder=None)
    app.config.update(
        SECRET_KEY=cfg.get("secret_key") or os.environ.get("KIOSK_CITY_SECRET_KEY") or secrets.token_hex(32),
        SESSION_COOKIE_NAME="kiosk_city_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(cfg.get("session_cookie_secure", False)),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12), JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=64 * 1024)
    app.json.ensure_ascii = False
    app.city = services
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    register_error_handlers(app)
    install_headers(app)
    install_texts(app)  # the same catalogue as the centres' pages: t() and /texts/vi.js

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        conn = g.pop("city_db", None)
        if conn is not None:
            conn.close()

    interval = float(cfg.get("rollup_interval_s", 30))
    if interval > 0:
        services.builder = RollupBuilder(services, interval)
        services.builder.start()
    return app
