"""The application factory: create_app(config) builds one centre's service; nothing runs at import."""
from __future__ import annotations

import importlib
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_socketio import SocketIO
from werkzeug.routing import IntegerConverter

from kiosk.citizens.crypto import Vault, load_or_create_key
from kiosk.citizens.registry import CitizenRegistry
from kiosk.config.core import Config
from kiosk.queue.appointments import Appointments
from kiosk.queue.clock import Clock, SystemClock, centre_timezone
from kiosk.queue.engine import QueueEngine, QueueSettings
from kiosk.queue.priorities import PriorityPolicy
from kiosk.runtime.bus import EventBus
from kiosk.runtime.tasks import RepeatingTask
from kiosk.store import Store, open_store

# Parts wired around the core, each `install(app, kiosk)`: the touch-free kiosk (camera, CCCD,
# faces, consent) and the call fan-out to voice, pagers, printer and LED boards.
PARTS = ("kiosk.session.setup", "kiosk.devices.hub")


@dataclass
class KioskServices:
    """What the web layer, the CLI and the device drivers share for one centre."""

    config: Config
    store: Store
    clock: Clock
    engine: QueueEngine
    bus: EventBus
    socketio: SocketIO
    extras: dict[str, Any] = field(default_factory=dict)
    citizens: CitizenRegistry | None = None
    appointments: Appointments | None = None

    def close(self) -> None:
        for stop in self.extras.get("on_close", []):
            stop()
        self.bus.stop()
        self.store.close()


class BoundedInt(IntegerConverter):
    """<int:…> URL parts that fit SQLite's integers: a larger number is a 404, not an overflow."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**63 - 1,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _secret_key(data_dir: Path) -> str:
    """A random key made once and kept in the data dir (mode 600), so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def create_app(config: Config | dict[str, Any] | None = None, clock: Clock | None = None) -> Flask:
    """Build the Flask app with its store, queue engine, event bus and Socket.IO server."""
    if not isinstance(config, Config):
        config = Config.from_dict(dict(config or {}))
    clock = clock or SystemClock(centre_timezone(config.timezone))
    data_dir = Path(config.data_dir)
    store = open_store(data_dir)
    bus = EventBus()
    settings = QueueSettings(
        policy=PriorityPolicy(config.priority_policy, config.interleave_every, config.priority_bonus_minutes),
        auto_no_show_after_recalls=config.auto_no_show_after_recalls,
    )
    engine = QueueEngine(store, clock, settings, publish=bus.publish,
                         default_service_seconds=config.default_service_minutes * 60)

    app = Flask(__name__, static_folder="web/static", template_folder="web/templates")
    app.config.update(
        SECRET_KEY=config.secret_key or _secret_key(data_dir),
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    app.url_map.converters["int"] = BoundedInt
    socketio = SocketIO(app, async_mode="threading", logger=False, engineio_logger=False)
    kiosk = KioskServices(config, store, clock, engine, bus, socketio)
    app.extensions["kiosk"] = kiosk
    kiosk.citizens = CitizenRegistry(
        store, Vault(load_or_create_key(config.key_file or data_dir / "keys" / "citizen.key")), clock
    )
    kiosk.citizens.purge_expired(config.retention_days)
    purge = RepeatingTask(24 * 3600, lambda: kiosk.citizens.purge_expired(config.retention_days), "retention-purge")
    purge.start()
    kiosk.appointments = Appointments(engine, config.appointments.rules())
    kiosk.extras.setdefault("on_close", []).append(purge.stop)

    from kiosk.web.api import admin as api_admin
    from kiosk.web.api import appointments as api_appointments
    from kiosk.web.api import citizens as api_citizens
    from kiosk.web.api import openapi, ratings
    from kiosk.web.api import queue as api
    from kiosk.web.errors import register_error_handlers
    from kiosk.web.pages import main as pages
    from kiosk.web.realtime.namespaces import SocketFanout, register_namespaces

    register_error_handlers(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_admin.bp)
    app.register_blueprint(api_citizens.bp)
    app.register_blueprint(api_appointments.bp)
    app.register_blueprint(ratings.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    register_namespaces(socketio)
    fanout = SocketFanout(socketio, engine, app)
    bus.subscribe(fanout)
    kiosk.extras.setdefault("on_close", []).append(fanout.stop)
    for name in PARTS:
        importlib.import_module(name).install(app, kiosk)
    return app
