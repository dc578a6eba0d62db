"""Wiring of the touch-free kiosk (camera, CCCD, faces, consent) into the app.

``install(app, kiosk)`` is called by the app factory. It reads the ``[vision]`` table of the config,
and when the touch-free kiosk is enabled it builds the face gallery (from the citizens' enrolled
templates, kept in sync on enrolment and deletion), the vision worker of the kiosk terminal
(kiosk.vision.worker.client.VisionWorker: a separate process that reads the camera and runs the QR
ladder and the face pipeline), the kiosk flow and the Socket.IO/HTTP layer, starts the worker's
supervisor and registers its stop in ``on_close``. Nothing starts when it is disabled: the kiosk page
then works by touch alone. The web process itself never reads a camera, nor runs zxing or dlib.

``[vision]`` settings (all optional)::

    enabled = true            # default: on when `camera` is set or in demo mode; env KIOSK_VISION_ENABLED=0|1
    camera = 0                # OpenCV device index, "/dev/video0" or "rtsp://…"
    width = 1280              # asked of the camera
    height = 720
    faces = true              # face recognition (off: CCCD QR and touch only)
    camera_mirrored = false   # the camera already mirrors its image
    max_fps = 10.0            # full frames a second while someone is there
    presence_fps = 2.0        # 0.2..30: cheap motion checks a second while nobody is (the presence gate)
    worker_deadline_s = 5.0   # 0.5..60: a vision worker that does not answer this long is killed, restarted
    qr_passes = 4             # 1..4 image fixes tried per frame (kiosk.vision.qr.PASSES)
    preview_fps = 3.0         # 0 = no live preview
    preview_max_side = 320
    dwell_s = 1.5             # and the other kiosk.kiosk_flow.FlowSettings fields
    backoff_initial_s = 0.5   # camera reconnect backoff
    backoff_max_s = 10.0
    pager_prefix = "PAGER:"   # a QR starting with this is a pager card's label ("" = ignore such QR codes)
    demo_empty_s = 3.0        # demo loop without a camera: seconds of empty room before the card,
    demo_card_s = 3.0         # seconds the invented card is held up,
    demo_pause_s = 25.0       # and seconds of empty room after it

While a ticket is on screen, a pager card's label (``PAGER:<site>:<card>``) read by the camera binds the
card to the ticket through the DeviceHub (``kiosk.extras["devices"]``, see kiosk.pager.labels).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.config.core import Config, ConfigError
from kiosk.session.flow import FlowError, FlowSettings

log = logging.getLogger(__name__)

__all__ = ["VisionConfig", "build_flow", "connect_worker", "install", "pager_callbacks", "vision_config",
           "watch_pager_bindings", "worker_settings"]

_FLOW_KEYS = {f.name for f in dataclasses.fields(FlowSettings)}
_OWN_KEYS = {"enabled", "camera", "width", "height", "faces", "max_fps", "qr_passes", "preview_fps",
             "preview_max_side", "backoff_initial_s", "backoff_max_s", "pager_prefix", "demo_empty_s",
             "demo_card_s", "demo_pause_s", "presence_fps", "worker_deadline_s"}
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,15}:")


@dataclass(frozen=True)
class VisionConfig:
    """The validated ``[vision]`` table."""

    enabled: bool
    camera: int | str | None
    width: int | None
    height: int | None
    faces: bool
    max_fps: float
    qr_passes: int
    preview_fps: float
    preview_max_side: int
    backoff_initial_s: float
    backoff_max_s: float
    flow: FlowSettings
    pager_prefix: str = "PAGER:"
    demo_empty_s: float = 3.0
    demo_card_s: float = 3.0
    demo_pause_s: float = 25.0
    presence_fps: float = 2.0
    worker_deadline_s: float = 5.0


def _number(table: dict[str, Any], key: str, default: float, low: float, high: float, integer: bool = False) -> Any:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not float(value).is_integer()):
        raise ConfigError(f"[vision] {key} must be {'an integer' if integer else 'a number'}, not {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"[vision] {key} must be between {low} and {high}, not {value!r}")
    return int(value) if integer else float(value)


def _bool(table: dict[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"[vision] {key} must be true or false, not {value!r}")
    return value


def vision_config(config: Config, env: dict[str, str] | None = None) -> VisionConfig:
    """Validate ``config.extra["vision"]``; raises ConfigError naming the bad setting."""
    from kiosk.vision.sources import SourceError, parse_camera_spec

    table = config.extra.get("vision", {})
    if not isinstance(table, dict):
        raise ConfigError("[vision] must be a table of settings")
    unknown = sorted(set(table) - _OWN_KEYS - _FLOW_KEYS)
    if unknown:
        raise ConfigError(f"[vision] unknown setting(s): {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(_OWN_KEYS | _FLOW_KEYS))}")
    camera = None
    if "camera" in table:
        try:
            camera = parse_camera_spec(table["camera"])
        except SourceError as exc:
            raise ConfigError(f"[vision] {exc}") from None
    enabled = _bool(table, "enabled", camera is not None or config.demo)
    env = os.environ if env is None else env
    switch = env.get("KIOSK_VISION_ENABLED", "").strip().lower()
    if switch:
        if switch not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
            raise ConfigError(f"KIOSK_VISION_ENABLED must be 0 or 1, not {switch!r}")
        enabled = switch in ("1", "true", "yes", "on")
    if enabled and camera is None and not config.demo:
        camera = 0
    flow_values = {k: table[k] for k in _FLOW_KEYS if k in table}
    try:
        flow = FlowSettings(**flow_values)
    except FlowError as exc:
        raise ConfigError(f"[vision] {exc}") from None
    except TypeError as exc:
        raise ConfigError(f"[vision] bad setting: {exc}") from None
    prefix = table.get("pager_prefix", "PAGER:")
    if not isinstance(prefix, str) or (prefix and not _PREFIX.fullmatch(prefix)):
        # a prefix starting with a letter can never match a CCCD payload (12 digits first)
        raise ConfigError(f"[vision] pager_prefix must be a letter, up to 15 letters/digits and ':', "
                          f"like \"PAGER:\" (or \"\" for none), not {prefix!r}")
    return VisionConfig(
        enabled=enabled,
        camera=camera,
        width=_number(table, "width", 1280, 160, 7680, integer=True),
        height=_number(table, "height", 720, 120, 4320, integer=True),
        faces=_bool(table, "faces", True),
        max_fps=_number(table, "max_fps", 10.0, 1.0, 60.0),
        qr_passes=_number(table, "qr_passes", 4, 1, 4, integer=True),
        preview_fps=_number(table, "preview_fps", 3.0, 0.0, 15.0),
        preview_max_side=_number(table, "preview_max_side", 320, 80, 1280, integer=True),
        backoff_initial_s=_number(table, "backoff_initial_s", 0.5, 0.05, 60.0),
        backoff_max_s=_number(table, "backoff_max_s", 10.0, 0.05, 600.0),
        flow=flow,
        pager_prefix=prefix,
        demo_empty_s=_number(table, "demo_empty_s", 3.0, 0.0, 600.0),
        demo_card_s=_number(table, "demo_card_s", 3.0, 0.5, 600.0),
        demo_pause_s=_number(table, "demo_pause_s", 25.0, 0.0, 3600.0),
        presence_fps=_number(table, "presence_fps", 2.0, 0.2, 30.0),
        worker_deadline_s=_number(table, "worker_deadline_s", 5.0, 0.5, 60.0),
    )


def _gallery_from_store(citizens: Any) -> Any:
    """The in-memory gallery of every enrolled citizen (identity key = citizen id as text)."""
    from kiosk.vision.gallery import Gallery, GalleryError, template_from_bytes

    gallery = Gallery()
    for citizen_id, blobs in citizens.face_templates().items():
        try:
            gallery.add_many(str(citizen_id), [template_from_bytes(b) for b in blobs])
        except GalleryError:
            log.warning("citizen %d: stored face templates are unreadable; skipped", citizen_id)
    return gallery


def pager_callbacks(kiosk: Any) -> tuple[Any, Any]:
    """(bind_pager(ticket_id, label) -> card, pager_enabled() -> bool) over the DeviceHub.

    The hub is looked up at each call: kiosk.devices is installed after this part, and without it
    (or without a base station) binding is refused with ``no_pager`` and the pager tile is not offered.
    """
    from kiosk.pager.labels import bind_label

    def bind_pager(ticket_id: int, label: str) -> int:
        return bind_label(kiosk.extras.get("devices"), ticket_id, label)

    def pager_enabled() -> bool:
        hub = kiosk.extras.get("devices")
        return hub is not None and hub.driver is not None

    return bind_pager, pager_enabled


def watch_pager_bindings(kiosk: Any, flow: Any) -> None:
    """Confirm on the kiosk screen every binding of the ticket shown (camera label, keypad, officer):
    adds ``flow.pager_bound`` to the hub's PagerCards listeners, now or once kiosk.devices is installed."""
    def attach(hub: Any) -> None:
        hub.cards.listeners.append(flow.pager_bound)

    hub = kiosk.extras.get("devices")
    if hub is not None:
        attach(hub)
    else:
        kiosk.extras.setdefault("on_devices", []).append(attach)


def build_flow(kiosk: Any, settings: FlowSettings, clock: Any, vision: Any, gallery: Any = None) -> Any:
    """The kiosk flow wired to the store, the queue engine, the vision side, the gallery and the pager cards.

    ``vision`` gives ``templates_of(track_id)`` (a VisionWorker, or a VisionPipeline in tests); when
    it also has ``enrol(identity, templates)`` (a VisionWorker) enrolments go through it, which keeps
    the worker's gallery in sync, else straight into ``gallery``.
    """
    from kiosk.session.flow import KioskFlow

    def enrolled(citizen_id: int, templates: list[Any]) -> None:
        if hasattr(vision, "enrol"):
            vision.enrol(str(citizen_id), templates)  # a re-enrolment replaces the old templates
        elif gallery is not None:
            gallery.remove(str(citizen_id))
            gallery.add_many(str(citizen_id), templates)

    bind_pager, pager_enabled = pager_callbacks(kiosk)
    flow = KioskFlow(citizens=kiosk.citizens, engine=kiosk.engine, clock=clock,
                     consent_text_version=kiosk.config.consent_text_version, settings=settings,
                     templates_of=vision.templates_of, on_enrolled=enrolled,
                     appointments=kiosk.appointments, bind_pager=bind_pager, pager_enabled=pager_enabled)
    watch_pager_bindings(kiosk, flow)
    return flow


def worker_settings(cfg: VisionConfig) -> Any:
    """The kiosk terminal's VisionWorker settings from the ``[vision]`` table (camera or demo loop)."""
    from kiosk.vision.worker.client import WorkerSettings

    if cfg.camera is None:  # demo mode without a camera: the scripted loop, made in the worker
        source = {"kind": "demo", "fps": cfg.max_fps, "empty_s": cfg.demo_empty_s, "card_s": cfg.demo_card_s,
                  "pause_s": cfg.demo_pause_s}
    else:
        source = {"kind": "camera", "camera": cfg.camera, "width": cfg.width, "height": cfg.height,
                  "backoff_initial_s": cfg.backoff_initial_s, "backoff_max_s": cfg.backoff_max_s}
    return WorkerSettings(source=source, faces=cfg.faces, max_fps=cfg.max_fps, presence_fps=cfg.presence_fps,
                          qr_passes=cfg.qr_passes,
                          text_prefixes=(cfg.pager_prefix,) if cfg.pager_prefix else (),
                          preview_interval_s=(1.0 / cfg.preview_fps) if cfg.preview_fps else 0.0,
                          preview_max_side=cfg.preview_max_side, deadline_s=cfg.worker_deadline_s)


def connect_worker(flow: Any, worker: Any, live: Any = None) -> None:
    """Observations of ``worker`` into ``flow`` (through ``live`` when given: it also pushes the preview),
    and the flow's changes back: ``live.push_state`` (on change only) and the session flag, which keeps
    the worker's full pipeline running while a session is active."""
    worker.on_observation = live.on_observation if live is not None else flow.on_observation

    def changed() -> None:
        if live is not None:
            live.push_state()
        worker.set_session(flow.state != "idle")

    flow.on_change = changed


def install(app: Any, kiosk: Any) -> None:
    """Build and start the touch-free kiosk when ``[vision]`` enables it (see the module docstring)."""
    from kiosk.web.realtime import kiosk as kiosk_live

    cfg = vision_config(kiosk.config)
    app.register_blueprint(kiosk_live.bp)
    kiosk_live.register_socket_handlers(kiosk.socketio)
    kiosk.extras["vision_config"] = cfg
    if not cfg.enabled:
        return

    from kiosk.vision.worker.client import VisionWorker

    def today() -> Any:
        return datetime.fromtimestamp(kiosk.clock.now(), kiosk.clock.tz).date()

    gallery = _gallery_from_store(kiosk.citizens)
    worker = VisionWorker(worker_settings(cfg), name="kiosk-1", gallery=gallery, today=today)
    kiosk.citizens.on_forget(lambda citizen_id: worker.forget(str(citizen_id)))
    flow = build_flow(kiosk, cfg.flow, time.monotonic, worker, gallery)
    live = kiosk_live.KioskLive(kiosk.socketio, flow)
    connect_worker(flow, worker, live)
    kiosk.extras.update(kiosk_live=live, vision_worker=worker, kiosk_flow=flow, face_gallery=gallery)
    kiosk.extras.setdefault("on_close", []).append(worker.stop)
    worker.start()
