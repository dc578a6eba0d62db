"""The touch-free kiosk of a terminal, built from the ``[vision]`` table (kiosk/config/vision.py).

``build(kiosk, cfg)`` makes, when the kiosk camera is enabled, the face gallery (from the citizens'
enrolled templates, kept in sync on enrolment and deletion), the terminal's vision worker
(kiosk.vision.worker.client.VisionWorker: a separate process that reads the camera and runs the QR ladder
and the face pipeline) and the kiosk flow (kiosk.session.flow). The app factory starts and stops the worker
through the supervisor and connects the flow to the web layer (kiosk.web.realtime.kiosk); nothing here
imports the web layer. The web process itself never reads a camera, nor runs zxing or dlib.

Every answer to the confirm question of a face match ("Đúng là Quý khách?") is counted in ``face_checks``
(kiosk.citizens.face_checks), without the citizen.

While a ticket is on screen, a pager card's label (``PAGER:<site>:<card>``) read by the camera binds the
card to the ticket through the DeviceHub (``services.devices``, see kiosk.pager.labels).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.config.vision import VisionConfig, vision_config
from kiosk.session.flow import FlowSettings

log = logging.getLogger(__name__)

__all__ = ["KioskSession", "VisionConfig", "build", "build_flow", "connect_worker", "face_check_recorder",
           "pager_callbacks", "vision_config", "watch_pager_bindings", "worker_settings"]


@dataclass
class KioskSession:
    """One terminal's touch-free kiosk: its session (flow), its vision worker and the face gallery."""

    flow: Any  # kiosk.session.flow.KioskFlow
    worker: Any  # kiosk.vision.worker.client.VisionWorker
    gallery: Any  # kiosk.vision.gallery.Gallery


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

    Without the hub (or without a base station) binding is refused with ``no_pager`` and the pager tile
    is not offered.
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


def face_check_recorder(kiosk: Any, terminal_id: int | None = None) -> Any:
    """``on_face_check(outcome)`` of a terminal's flow: one row in ``face_checks`` at the centre's time."""
    from kiosk.citizens.face_checks import record_face_check
    from kiosk.queue.clock import local_day

    def on_face_check(outcome: str) -> None:
        at = kiosk.clock.now()
        with kiosk.store.transaction() as conn:
            record_face_check(conn, outcome, at, local_day(kiosk.clock, at), terminal_id)

    return on_face_check


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
                     appointments=kiosk.appointments, bind_pager=bind_pager, pager_enabled=pager_enabled,
                     on_face_check=face_check_recorder(kiosk))
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


def build(kiosk: Any, cfg: VisionConfig) -> KioskSession | None:
    """The terminal's kiosk when ``[vision]`` enables it (None: the kiosk page works by touch alone).
    Nothing is started: the worker's ``start``/``stop`` belong to the supervisor."""
    if not cfg.enabled:
        return None
    from kiosk.vision.worker.client import VisionWorker

    def today() -> Any:
        return datetime.fromtimestamp(kiosk.clock.now(), kiosk.clock.tz).date()

    gallery = _gallery_from_store(kiosk.citizens)
    worker = VisionWorker(worker_settings(cfg), name="kiosk-1", gallery=gallery, today=today)
    kiosk.citizens.on_forget(lambda citizen_id: worker.forget(str(citizen_id)))
    flow = build_flow(kiosk, cfg.flow, time.monotonic, worker, gallery)
    return KioskSession(flow, worker, gallery)
