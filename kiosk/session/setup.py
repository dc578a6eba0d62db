"""The parts of a terminal's touch-free kiosk, built from the ``[vision]`` table (kiosk/config/vision.py).

The terminal hub (kiosk.terminals.hub) makes, per terminal, a vision worker
(kiosk.vision.worker.client.VisionWorker: a separate process that reads the camera, or takes the page's
frames, and runs the QR ladder and the face pipeline) with ``worker_settings`` and the kiosk flow
(kiosk.session.flow) with ``build_flow``; the face gallery (``gallery_from_store``: the citizens' enrolled
templates) is one for all terminals. Nothing here imports the web layer. The web process itself never
reads a camera, nor runs zxing or dlib.

Every answer to the confirm question of a face match ("Đúng là Quý khách?") is counted in ``face_checks``
(kiosk.citizens.face_checks), without the citizen, and refreshes the centre's ``FaceCheckWatch``
(``face_check_watch``; kiosk.citizens.face_check_alarm): today's counts, and the warning that recognition is
unreliable here, pushed to the /monitor namespace as ``face_checks``.

While a ticket is on screen, a pager card's label (``PAGER:<site>:<card>``) read by the camera binds the
card to the ticket through the DeviceHub (``services.devices``, see kiosk.pager.labels).
"""
from __future__ import annotations

import logging
from typing import Any

from kiosk.config.vision import VisionConfig, vision_config
from kiosk.queue.appointments import BOOKING_QR_PREFIX
from kiosk.session.flow import FlowSettings

log = logging.getLogger(__name__)

FACE_CHECKS_EVENT = "face_checks"
#: how often the face-check warning is looked at without an answer: it clears when the day turns
FACE_CHECK_EVERY_S = 30.0

__all__ = ["VisionConfig", "build_flow", "connect_worker", "face_check_recorder", "face_check_watch",
           "gallery_from_store", "pager_callbacks", "vision_config", "watch_pager_bindings", "worker_settings"]


def gallery_from_store(citizens: Any, seen_since: float | None = None) -> Any:
    """The in-memory gallery of the enrolled citizens (seen since ``seen_since``: the gallery window),
    identity key = citizen id as text. Built in one piece (kiosk.vision.gallery.Gallery.from_blocks): a
    year's citizens in about a second; a citizen whose stored templates do not read is skipped."""
    import numpy as np

    from kiosk.vision.gallery import TEMPLATE_BYTES, Gallery, templates_from_buffer

    stored = []
    for citizen_id, size, count, body in citizens.face_templates_packed(seen_since):
        if size == TEMPLATE_BYTES:
            stored.append((citizen_id, count, body))
        else:
            log.warning("citizen %d: stored face templates are unreadable; skipped", citizen_id)
    counts = np.fromiter((c for _, c, _ in stored), dtype=np.int64, count=len(stored))
    rows, ok = templates_from_buffer(b"".join(body for _, _, body in stored))
    if not ok.all():
        owner = np.repeat(np.arange(len(stored)), counts)
        bad = np.unique(owner[~ok])
        for k in bad.tolist():
            log.warning("citizen %d: stored face templates are unreadable; skipped", stored[k][0])
        rows, counts[bad] = rows[~np.isin(owner, bad)], 0
    return Gallery.from_blocks([str(i) for i, _, _ in stored], counts, rows)


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
        watch = getattr(kiosk, "face_watch", None)
        if watch is not None:
            watch.refresh()  # the monitor hears the new counts, and a warning, at once

    return on_face_check


def face_check_watch(kiosk: Any, supervisor: Any) -> Any:
    """The centre's FaceCheckWatch over the store, at the levels of ``[vision]``, telling /monitor
    (``face_checks``); a periodic check (``FACE_CHECK_EVERY_S``) is added to ``supervisor``."""
    from kiosk.citizens.face_check_alarm import FaceCheckWatch, RejectLevel
    from kiosk.citizens.face_checks import face_check_counts
    from kiosk.queue.clock import local_day
    from kiosk.runtime.tasks import RepeatingTask

    table, resolved = kiosk.config.vision, kiosk.vision_config

    def counts() -> tuple[str, int, int]:
        day = local_day(kiosk.clock)
        today = face_check_counts(kiosk.store.conn(), day, day)
        return day, today["confirmed"], today["rejected"]

    def tell(status: dict[str, Any]) -> None:
        kiosk.socketio.emit(FACE_CHECKS_EVENT, status, namespace="/monitor")

    watch = FaceCheckWatch(counts, RejectLevel(table.face_reject_warn_share, table.face_reject_min_answers),
                           kiosk.clock.now, faces=bool(resolved and resolved.enabled and resolved.faces),
                           on_change=tell)
    watch.refresh()  # a restart on a bad day warns again at once
    task = RepeatingTask(FACE_CHECK_EVERY_S, watch.refresh, "face-check-watch")
    supervisor.add("face-check-watch", task.stop, start=task.start)
    return watch


def build_flow(kiosk: Any, settings: FlowSettings, clock: Any, vision: Any, gallery: Any = None,
               terminal_id: int | None = None, on_enrolled: Any = None) -> Any:
    """The kiosk flow wired to the store, the queue engine, the vision side, the gallery and the pager cards.

    ``vision`` gives ``templates_of(track_id)`` (a VisionWorker, or a VisionPipeline in tests); when
    it also has ``enrol(identity, templates)`` (a VisionWorker) enrolments go through it, which keeps
    the worker's gallery in sync, else straight into ``gallery``; ``on_enrolled(citizen_id, templates)``
    replaces both (the terminal hub: every terminal's worker learns of it).
    """
    from kiosk.session.flow import KioskFlow

    def enrolled(citizen_id: int, templates: list[Any]) -> None:
        if hasattr(vision, "enrol"):
            vision.enrol(str(citizen_id), templates)  # a re-enrolment replaces the old templates
        elif gallery is not None:
            gallery.replace(str(citizen_id), templates)

    bind_pager, pager_enabled = pager_callbacks(kiosk)
    flow = KioskFlow(citizens=kiosk.citizens, engine=kiosk.engine, clock=clock,
                     consent_text_version=kiosk.config.consent_text_version, settings=settings,
                     templates_of=vision.templates_of, on_enrolled=on_enrolled or enrolled,
                     appointments=kiosk.appointments, bind_pager=bind_pager, pager_enabled=pager_enabled,
                     terminal_id=terminal_id, on_face_check=face_check_recorder(kiosk, terminal_id))
    watch_pager_bindings(kiosk, flow)
    return flow


def worker_settings(cfg: VisionConfig, camera: Any = "default", pager_prefix: str | None = None) -> Any:
    """A kiosk terminal's VisionWorker settings from the ``[vision]`` table and the terminal's camera:
    "browser" (frames pushed by the page: no source, no preview), "demo" (the scripted loop), a PC camera
    spec, or "default" (the table's camera, the demo loop when it has none)."""
    from kiosk.vision.worker.client import WorkerSettings

    prefix = cfg.pager_prefix if pager_prefix is None else pager_prefix
    preview_s = (1.0 / cfg.preview_fps) if cfg.preview_fps else 0.0
    if camera == "browser":  # the page's frames are pushed; it draws its own picture: no preview back
        source, preview_s = None, 0.0
    else:
        if camera != "default":
            from dataclasses import replace

            from kiosk.vision.sources import parse_camera_spec

            cfg = replace(cfg, camera=None if camera == "demo" else parse_camera_spec(camera))
        if cfg.camera is None:  # demo mode without a camera: the scripted loop, made in the worker
            source = {"kind": "demo", "fps": cfg.max_fps, "empty_s": cfg.demo_empty_s, "card_s": cfg.demo_card_s,
                      "pause_s": cfg.demo_pause_s}
        else:
            source = {"kind": "camera", "camera": cfg.camera, "width": cfg.width, "height": cfg.height,
                      "backoff_initial_s": cfg.backoff_initial_s, "backoff_max_s": cfg.backoff_max_s}
    return WorkerSettings(source=source, faces=cfg.faces, max_fps=cfg.max_fps, presence_fps=cfg.presence_fps,
                          qr_passes=cfg.qr_passes,
                          text_prefixes=((prefix,) if prefix else ()) + (BOOKING_QR_PREFIX,),
                          preview_interval_s=preview_s, preview_max_side=cfg.preview_max_side,
                          deadline_s=cfg.worker_deadline_s)


def connect_worker(flow: Any, worker: Any, live: Any = None, after_change: Any = None) -> None:
    """Observations of ``worker`` into ``flow`` (through ``live`` when given: it also pushes the preview),
    and the flow's changes back: ``live.push_state`` (on change only) and the session flag, which keeps
    the worker's full pipeline running while a session is active."""
    worker.on_observation = live.on_observation if live is not None else flow.on_observation

    def changed() -> None:
        if live is not None:
            live.push_state()
        worker.set_session(flow.state != "idle")
        if after_change is not None:
            after_change()

    flow.on_change = changed
