"""The application factory: create_app(config) builds one centre's service; nothing runs at import."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_socketio import SocketIO
from werkzeug.routing import IntegerConverter

from kiosk.accounts.login_guard import LoginGuard
from kiosk.accounts.sessions import SessionPolicy
from kiosk.citizens.keyfile import KeyProblem, open_vault
from kiosk.citizens.registry import CitizenRegistry
from kiosk.config.core import Config
from kiosk.devices.hub import DeviceHub
from kiosk.queue.appointments import Appointments
from kiosk.queue.clock import Clock, SystemClock, centre_timezone
from kiosk.queue.engine import QueueEngine, QueueSettings
from kiosk.queue.priorities import PriorityPolicy
from kiosk.runtime.bus import EventBus
from kiosk.runtime.lifecycle import Supervisor
from kiosk.runtime.tasks import RepeatingTask
from kiosk.store import Store
from kiosk.store.health import QUICK_CHECK_EVERY_S, StoreHealth, open_checked

DAY_END_EVERY_S = 30.0  # how soon after closing time the day ends when nobody acts


@dataclass
class KioskServices:
    """What the web layer, the CLI and the device drivers share for one centre."""

    config: Config
    store: Store
    clock: Clock
    engine: QueueEngine
    bus: EventBus
    socketio: SocketIO
    citizens: CitizenRegistry
    appointments: Appointments
    supervisor: Supervisor = field(default_factory=Supervisor)
    devices: DeviceHub | None = None
    # the kiosk terminals (kiosk.terminals.hub): each its own session, vision worker, camera and printer
    terminals: Any = None  # kiosk.terminals.hub.TerminalHub
    vision_config: Any = None  # kiosk.config.vision.VisionConfig
    face_gallery: Any = None  # kiosk.vision.gallery.Gallery, shared by every terminal (None: no vision)
    # device health (kiosk.devices.health_setup): the board and the hall displays' connections
    health: Any = None  # kiosk.devices.health.HealthBoard
    displays: Any = None  # kiosk.devices.displays.DisplayPresence
    store_health: StoreHealth | None = None  # the write probe and quick_check behind /healthz
    alerts: Any = None  # kiosk.queue.alert_watch.AlertWatch: the manager's alerts of the queue
    # today's answers to face matches and the "recognition unreliable" warning (kiosk.citizens.face_check_alarm)
    face_watch: Any = None  # kiosk.citizens.face_check_alarm.FaceCheckWatch
    # sign-in: session lifetimes, the throttle of failed sign-ins, and the watch over open sockets' sign-ins
    session_policy: SessionPolicy = field(default_factory=SessionPolicy)
    login_guard: LoginGuard = field(default_factory=LoginGuard)
    socket_watch: Any = None  # kiosk.web.realtime.watch.SocketWatch
    backups: Any = None  # kiosk.runtime.backups.DailyBackup: the daily automatic backup and its last answer
    metrics: Any = None  # kiosk.web.metrics.Metrics: this app's Prometheus registry (GET /metrics)
    city_shipper: Any = None  # kiosk.city.shipper_task.CityShipperTask when [city] dsn is set
    rating_tablets: Any = None  # kiosk.devices.rating_tablets.RatingTablets: the counters' tablets on the board

    def close(self, timeout: float = 4.0) -> None:
        """Stop every background part in reverse start order, finishing what was accepted."""
        self.supervisor.stop(timeout)


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


def create_app(config: Config | dict[str, Any] | None = None, clock: Clock | None = None,
               async_mode: str = "threading") -> Flask:
    """Build the Flask app with its store, queue engine, event bus, devices, kiosk and Socket.IO server,
    and start their background parts. ``async_mode`` is "gevent" under ``kiosk serve`` (after monkey
    patching), "threading" in tests that run the app in-process."""
    if not isinstance(config, Config):
        config = Config.from_dict(dict(config or {}))
    clock = clock or SystemClock(centre_timezone(config.timezone))
    data_dir = Path(config.data_dir)
    store = open_checked(data_dir)  # a damaged or unwritable store is refused here, with what to do
    supervisor = Supervisor()
    supervisor.add("store", lambda deadline: store.close())  # first in, last out
    bus = EventBus()
    settings = QueueSettings(
        policy=PriorityPolicy(config.priority_policy, config.interleave_every, config.priority_bonus_minutes),
        auto_no_show_after_recalls=config.auto_no_show_after_recalls, closing_time=config.closing_time,
        no_show_min_s=config.no_show_min_s,
    )
    engine = QueueEngine(store, clock, settings, publish=bus.publish,
                         default_service_seconds=config.default_service_minutes * 60)

    policy = config.accounts.session_policy()
    app = Flask(__name__, static_folder="web/static", template_folder="web/templates")
    app.config.update(
        SECRET_KEY=config.secret_key or _secret_key(data_dir),
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        # the cookie may outlive a staff session: the store's row decides (kiosk.accounts.sessions)
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=max(policy.staff_max_s, policy.device_max_s)),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    app.url_map.converters["int"] = BoundedInt
    socketio = SocketIO(app, async_mode=async_mode, logger=False, engineio_logger=False)
    try:
        vault = open_vault(config.key_file or data_dir / "keys" / "citizen.key", store)
    except KeyProblem:
        store.close()
        raise
    citizens = CitizenRegistry(store, vault, clock)
    appointments = Appointments(engine, config.appointments.rules())
    kiosk = KioskServices(config, store, clock, engine, bus, socketio, citizens, appointments, supervisor)
    kiosk.session_policy = policy
    accounts = config.accounts
    kiosk.login_guard = LoginGuard(accounts.login_failures_per_account, accounts.login_failures_per_address,
                                   accounts.login_window_minutes * 60)
    app.extensions["kiosk"] = kiosk
    try:
        _wire(app, kiosk)
        supervisor.start()
    except BaseException:
        supervisor.stop(timeout=3.0)  # a start that fails leaves no thread or pty behind
        raise
    return app


def _wire(app: Flask, kiosk: KioskServices) -> None:
    """Every part, in start order (the supervisor stops them in reverse): devices (drivers, printers,
    voice), the event bus that feeds them, the screens' snapshot fan-out, the kiosk terminals (their
    sessions and vision workers), the device health board, the periodic tasks; then the web layer."""
    from kiosk.accounts.sessions import purge as session_purge
    from kiosk.devices.health_setup import build_health
    from kiosk.devices.hub import build_devices
    from kiosk.devices.providers import printer_health
    from kiosk.devices.rating_tablets import RatingTablets, active_tablets
    from kiosk.queue.alert_watch import AlertWatch, alerts_payload
    from kiosk.reports.rollups import build_missing
    from kiosk.session import setup as kiosk_session
    from kiosk.terminals.health import terminal_health
    from kiosk.terminals.hub import TerminalHub
    from kiosk.web.api import account as api_account
    from kiosk.web.api import admin as api_admin
    from kiosk.web.api import appointments as api_appointments
    from kiosk.web.api import citizens as api_citizens
    from kiosk.web.api import devices as api_devices
    from kiosk.web.api import dossier as api_dossier
    from kiosk.web.api import kiosk_assist, openapi, ratings
    from kiosk.web.api import queue as api_queue
    from kiosk.web.api import reports as api_reports
    from kiosk.web.api import today as api_today
    from kiosk.web.errors import register_error_handlers
    from kiosk.web.headers import install_headers
    from kiosk.web.metrics import install_metrics
    from kiosk.web.pages import account as pages_account
    from kiosk.web.pages import devices as pages_devices
    from kiosk.web.pages import main as pages
    from kiosk.web.pages import rate as pages_rate
    from kiosk.web.pages.texts import install_texts
    from kiosk.web.realtime import kiosk as kiosk_live
    from kiosk.web.realtime.namespaces import SocketFanout, register_namespaces
    from kiosk.web.realtime.rate import RateFanout, register_rate
    from kiosk.web.realtime.track import TrackFanout, register_track
    from kiosk.web.realtime.watch import SocketWatch

    config, supervisor = kiosk.config, kiosk.supervisor
    kiosk.devices = build_devices(kiosk, app.config["SECRET_KEY"], supervisor)
    supervisor.add("event-bus", kiosk.bus.stop, start=kiosk.bus.start)
    fanout = SocketFanout(kiosk.socketio, kiosk.engine, app)
    kiosk.bus.subscribe(fanout)
    supervisor.add("snapshot-fanout", lambda deadline: fanout.stop())
    tracking = TrackFanout(kiosk.socketio, kiosk.engine, app)  # the citizens' tracking pages, live
    kiosk.bus.subscribe(tracking)
    supervisor.add("track-fanout", lambda deadline: tracking.stop())
    kiosk.bus.subscribe(RateFanout(kiosk.socketio, kiosk.engine))  # the counters' rating tablets
    kiosk.vision_config = kiosk_session.vision_config(config)
    kiosk.face_watch = kiosk_session.face_check_watch(kiosk, supervisor)
    kiosk.terminals = TerminalHub(kiosk, kiosk.vision_config, app.config["SECRET_KEY"])
    kiosk.face_gallery = kiosk.terminals.gallery
    kiosk.terminals.load()
    supervisor.add("terminals", kiosk.terminals.stop, start=kiosk.terminals.start)
    kiosk.health, kiosk.displays = build_health(kiosk, supervisor)
    kiosk.health.add_provider(lambda: terminal_health(kiosk.terminals, printer_health, skip_url=(
        kiosk.devices.settings.printer.url if kiosk.devices is not None else None)), "terminals")
    kiosk.rating_tablets = RatingTablets(lambda: active_tablets(kiosk.store.conn()))
    kiosk.health.add_provider(kiosk.rating_tablets.health, "rating-tablets")
    kiosk.store_health = StoreHealth(kiosk.store)
    kiosk.store_health.quick_check()  # passed in open_checked a moment ago: this records when
    quick = RepeatingTask(QUICK_CHECK_EVERY_S, kiosk.store_health.quick_check, "store-quick-check")
    supervisor.add("store-quick-check", quick.stop, start=quick.start)
    kiosk.backups = _daily_backup(kiosk, supervisor)
    socketio = kiosk.socketio

    def alerts_changed(alerts: list) -> None:
        socketio.emit("queue_alerts", alerts_payload(alerts, kiosk.clock.now()), namespace="/monitor")

    kiosk.alerts = AlertWatch(kiosk.engine, config.alerts.rules(), on_change=alerts_changed)
    kiosk.bus.subscribe(kiosk.alerts)
    alert_task = RepeatingTask(config.alerts.check_s, kiosk.alerts.check, "queue-alerts")
    supervisor.add("queue-alerts", alert_task.stop, start=alert_task.start)
    kiosk.citizens.purge_expired(config.retention_days)
    purge = RepeatingTask(24 * 3600, lambda: kiosk.citizens.purge_expired(config.retention_days), "retention-purge")
    supervisor.add("retention-purge", purge.stop, start=purge.start)
    # the day ends at closing time even when nobody acts (kiosk/queue/dayend.py); at start too, for a
    # service that was off at closing
    day_end = RepeatingTask(DAY_END_EVERY_S, kiosk.engine.end_day_if_due, "day-end", first_after_s=1.0)
    supervisor.add("day-end", day_end.stop, start=day_end.start)
    # past days' report rollups, built ahead of the first report (a report builds what is still missing)
    rollups = RepeatingTask(3600, lambda: build_missing(kiosk.store, kiosk.clock, stopping=rollups.stopping),
                            "report-rollups", first_after_s=60)
    supervisor.add("report-rollups", rollups.stop, start=rollups.start)
    if config.city.dsn:  # the city's copy of this centre's events (kiosk/city, docs/city.md)
        from kiosk.city.shipper_task import start_city_shipper

        kiosk.city_shipper = start_city_shipper(kiosk, supervisor)

    kiosk.socket_watch = SocketWatch(kiosk.socketio, kiosk.store, kiosk.clock)
    supervisor.add("socket-watch", kiosk.socket_watch.stop, start=kiosk.socket_watch.start)
    purge_sessions = RepeatingTask(6 * 3600, lambda: kiosk.store.write(
        lambda tx: session_purge(tx, kiosk.clock.now())), "session-purge", first_after_s=120)
    supervisor.add("session-purge", purge_sessions.stop, start=purge_sessions.start)

    register_error_handlers(app)
    install_headers(app)
    kiosk.metrics = install_metrics(app, kiosk)
    install_texts(app)  # the pages' texts: t() in templates, /texts/vi.js for scripts
    # Order matters where rules overlap: the signed tracking routes of ratings before the devices' ones.
    for bp in (api_queue.bp, api_account.bp, api_today.bp, api_reports.bp, api_admin.bp, api_citizens.bp,
               api_appointments.bp, ratings.bp, openapi.bp, pages.bp, pages_account.bp, kiosk_live.bp,
               api_devices.bp, pages_devices.bp, pages_rate.bp, api_dossier.bp, kiosk_assist.bp):
        app.register_blueprint(bp)
    register_namespaces(kiosk.socketio)
    register_track(kiosk.socketio, tracking)
    register_rate(kiosk.socketio)
    kiosk_live.register_socket_handlers(kiosk.socketio)


def _daily_backup(kiosk: KioskServices, supervisor: Supervisor):
    """The daily automatic backup ([backup], kiosk.runtime.backups), asked every minute whether one is due."""
    from kiosk.runtime.backups import FIRST_TICK_S, TICK_S, DailyBackup

    settings = kiosk.config.backup
    daily = DailyBackup(settings, kiosk.store.path, settings.folder(Path(kiosk.config.data_dir)), kiosk.clock.tz,
                        now=kiosk.clock.now)
    if settings.enabled:
        task = RepeatingTask(TICK_S, daily.tick, "daily-backup", first_after_s=FIRST_TICK_S)
        daily.stopping = task.stopping  # a backup in progress at SIGTERM ends at its next step
        supervisor.add("daily-backup", task.stop, start=task.start)
    return daily
