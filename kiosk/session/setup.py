"""Wiring of the touch-free kiosk (camera, CCCD, faces, consent) into the app.

``install(app, kiosk)`` is called by the app factory. It reads the ``[vision]`` table of the config,
and when the touch-free kiosk is enabled it builds the frame source, the face gallery (from the
citizens' enrolled templates, kept in sync on deletion), the vision pipeline, the kiosk flow and the
Socket.IO/HTTP layer, starts the vision thread and registers its stop hook. Nothing starts when it is
disabled: the kiosk page then works by touch alone.

``[vision]`` settings (all optional)::

    enabled = true            # default: on when `camera` is set or in demo mode; env KIOSK_VISION_ENABLED=0|1
    camera = 0                # OpenCV device index, "/dev/video0" or "rtsp://…"
    width = 1280              # asked of the camera
    height = 720
    faces = true              # face recognition (off: CCCD QR and touch only)
    camera_mirrored = false   # the camera already mirrors its image
    max_fps = 10.0
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
card to the ticket through the DeviceHub (``services.devices``, see kiosk.pager.labels).
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

__all__ = ["VisionConfig", "build_flow", "install", "pager_callbacks", "vision_config", "watch_pager_bindings"]

_FLOW_KEYS = {f.name for f in dataclasses.fields(FlowSettings)}
_OWN_KEYS = {"enabled", "camera", "width", "height", "faces", "max_fps", "qr_passes", "preview_fps",
             "preview_max_side", "backoff_initial_s", "backoff_max_s", "pager_prefix", "demo_empty_s",
             "demo_card_s", "demo_pause_s"}
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
        return bind_label(kiosk.devices, ticket_id, label)

    def pager_enabled() -> bool:
        return kiosk.devices is not None and kiosk.devices.driver is not None

    return bind_pager, pager_enabled


def watch_pager_bindings(kiosk: Any, flow: Any) -> None:
    """Confirm on the kiosk screen every binding of the ticket shown (camera label, keypad, officer):
    adds ``flow.pager_bound`` to the hub's PagerCards listeners (the devices are built first)."""
    if kiosk.devices is not None:
        kiosk.devices.cards.listeners.append(flow.pager_bound)


def build_flow(kiosk: Any, settings: FlowSettings, clock: Any, pipeline: Any, gallery: Any) -> Any:
    """The kiosk flow wired to the store, the queue engine, the pipeline, the gallery and the pager cards."""
    from kiosk.session.flow import KioskFlow

    def enrolled(citizen_id: int, templates: list[Any]) -> None:
        gallery.remove(str(citizen_id))  # a re-enrolment replaces the old templates
        gallery.add_many(str(citizen_id), templates)

    bind_pager, pager_enabled = pager_callbacks(kiosk)
    flow = KioskFlow(citizens=kiosk.citizens, engine=kiosk.engine, clock=clock,
                     consent_text_version=kiosk.config.consent_text_version, settings=settings,
                     templates_of=pipeline.templates_of, on_enrolled=enrolled,
                     appointments=kiosk.appointments, bind_pager=bind_pager, pager_enabled=pager_enabled)
    watch_pager_bindings(kiosk, flow)
    return flow


def install(app: Any, kiosk: Any) -> None:
    """Build and start the touch-free kiosk when ``[vision]`` enables it (see the module docstring)."""
    from kiosk.web.realtime import kiosk as kiosk_live

    cfg = vision_config(kiosk.config)
    app.register_blueprint(kiosk_live.bp)
    kiosk_live.register_socket_handlers(kiosk.socketio)
    kiosk.vision_config = cfg
    if not cfg.enabled:
        return

    from kiosk.vision.card_confirm import CardConfirmer
    from kiosk.vision.pipeline import PipelineSettings, VisionPipeline
    from kiosk.vision.sources import OpenCVSource, ReconnectingSource, ScriptedSource, demo_sequence

    if cfg.camera is None:  # demo mode without a camera: the scripted loop made in memory
        frames = demo_sequence(fps=cfg.max_fps, empty_s=cfg.demo_empty_s, card_s=cfg.demo_card_s,
                               pause_s=cfg.demo_pause_s)
        source: Any = ScriptedSource(frames, loop=True)
    else:
        source = OpenCVSource(cfg.camera, cfg.width, cfg.height)
    reconnecting = ReconnectingSource(source, initial_s=cfg.backoff_initial_s,
                                      max_s=max(cfg.backoff_max_s, cfg.backoff_initial_s))

    gallery = _gallery_from_store(kiosk.citizens)
    kiosk.citizens.on_forget(lambda citizen_id: gallery.remove(str(citizen_id)))
    observer = None
    if cfg.faces:
        from kiosk.vision.tracker import FaceObserver

        observer = FaceObserver(gallery)
    settings = PipelineSettings(max_fps=cfg.max_fps, qr_passes=cfg.qr_passes,
                                preview_interval_s=(1.0 / cfg.preview_fps) if cfg.preview_fps else 0.0,
                                preview_max_side=cfg.preview_max_side,
                                text_prefixes=(cfg.pager_prefix,) if cfg.pager_prefix else ())

    def today() -> Any:
        return datetime.fromtimestamp(kiosk.clock.now(), kiosk.clock.tz).date()

    pipeline = VisionPipeline(observer, confirmer=CardConfirmer(), settings=settings, source=reconnecting,
                              clock=time.monotonic, today=today)
    flow = build_flow(kiosk, cfg.flow, time.monotonic, pipeline, gallery)
    live = kiosk_live.KioskLive(kiosk.socketio, flow)
    flow.on_change = live.push_state
    pipeline.on_observation = live.on_observation
    kiosk.kiosk_live, kiosk.vision_pipeline, kiosk.kiosk_flow, kiosk.face_gallery = live, pipeline, flow, gallery
    kiosk.supervisor.add("vision", lambda deadline: pipeline.stop(), start=pipeline.start)
