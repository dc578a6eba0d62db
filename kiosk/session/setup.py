"""Wiring of the touch-free kiosk (camera, CCCD, faces, consent) into the app.

``install(app, kiosk)`` is called by the app factory. It reads the ``[vision]`` table of the config,
and when the touch-free kiosk is enabled it builds the frame source, the face gallery (from the
citizens' enrolled templates, kept in sync on deletion), the vision pipeline, the kiosk flow and the
Socket.IO/HTTP layer, starts the vision thread and registers its stop hook. Nothing starts when it is
disabled: the kiosk page then works by touch alone.

The ``[vision]`` settings, their defaults and ranges: kiosk/config/vision.py (``vision_config`` and
``VisionConfig`` live there; they are imported here for the callers of this module).

While a ticket is on screen, a pager card's label (``PAGER:<site>:<card>``) read by the camera binds the
card to the ticket through the DeviceHub (``services.devices``, see kiosk.pager.labels).
"""
from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from kiosk.config.vision import VisionConfig, vision_config
from kiosk.session.flow import FlowSettings

log = logging.getLogger(__name__)

__all__ = ["VisionConfig", "build_flow", "install", "pager_callbacks", "vision_config", "watch_pager_bindings"]


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
