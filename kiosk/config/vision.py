"""The ``[vision]`` table: the touch-free kiosk's camera, vision pipeline and flow timing.

All settings are optional::

    [vision]
    enabled = true            # default: on when `camera` is set or in demo mode; env KIOSK_VISION_ENABLED=0|1
    camera = 0                # OpenCV device index 0..63 (or "0"), "/dev/video0" or "rtsp://…"; 0 when enabled outside demo
    width = 1280              # 160..7680, asked of the camera
    height = 720              # 120..4320
    faces = true              # face recognition (off: CCCD QR and touch only)
    max_fps = 10.0            # 1..60
    qr_passes = 4             # 1..4 image fixes tried per frame (kiosk.vision.qr.PASSES)
    preview_fps = 3.0         # 0..15; 0 = no live preview
    preview_max_side = 320    # 80..1280
    presence_fps = 2.0        # 0.2..30
    browser_fps = 8.0         # 1..30: frames a second a browser-camera terminal sends during a session,
    browser_idle_fps = 2.0    # 0.2..10: and while nobody is at it (kiosk_rate)
    browser_lost_s = 5.0      # 1..120: no frame this long from a browser camera = camera lost (touch)
    worker_deadline_s = 5.0   # 0.5..60
    backoff_initial_s = 0.5   # 0.05..60, camera reconnect backoff ...
    backoff_max_s = 10.0      # 0.05..600, ... at least backoff_initial_s
    pager_prefix = "PAGER:"   # a QR starting with this is a pager card's label ("" = ignore such QR codes)
    demo_empty_s = 3.0        # demo loop without a camera: seconds of empty room before the card (0..600),
    demo_card_s = 3.0         # seconds the invented card is held up (0.5..600),
    demo_pause_s = 25.0       # and seconds of empty room after it (0..3600)
    face_reject_warn_share = 0.15  # 0.01..1: above this share of "Không phải tôi" answers today ...
    face_reject_min_answers = 20   # 1..10000: ... with at least this many answers, the monitor warns (docs/faces.md)
    gallery_window_days = 30  # 1..3650, at most [kiosk] retention_days: the kiosks search only citizens seen
                              # (card read or face match confirmed) within this many days (docs/faces.md)
    keep_templates_outside_window = false  # false: templates of citizens outside the window are deleted
    # the kiosk.session.flow.FlowSettings fields, with the ranges checked there:
    dwell_s = 1.5             # 0.2..10: hold time that selects a tile
    gain_x = 2.2              # 0.5..10
    gain_y = 2.5              # 0.5..10
    camera_mirrored = false   # the camera already mirrors its image
    smoothing = 0.6           # 0.05..1
    leave_s = 4.0             # 0.5..600
    idle_timeout_s = 60.0     # 5..3600
    ticket_s = 15.0           # 1..600, at least min_ticket_s
    min_ticket_s = 4.0        # 0..600
    enrol_timeout_s = 20.0    # 1..600
    notice_s = 6.0            # 0.5..120
    enrol_templates = 3       # 1..10
    max_templates = 6         # 1..20, at least enrol_templates: templates kept per citizen (confirmed visits add)
    anonymous_after_s = 4.0   # 0..120
    pager_keypad_s = 60.0     # 5..600
    pager_bound_s = 10.0      # 1..120

``config.vision`` is the table as written (``enabled`` None = not said); ``vision_config(config)``
resolves it into the VisionConfig the kiosk part builds from (enabled, camera, flow settings).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from kiosk.config.base import ConfigError, Table, toml_value

if TYPE_CHECKING:
    from kiosk.config.core import Config
    from kiosk.session.flow import FlowSettings

__all__ = ["FLOW_KEYS", "VisionConfig", "VisionSettings", "parse_switch", "vision_config"]

SWITCH_ENV = "KIOSK_VISION_ENABLED"
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,15}:")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

#: the [vision] keys that are kiosk.session.flow.FlowSettings fields
FLOW_KEYS = ("dwell_s", "gain_x", "gain_y", "camera_mirrored", "smoothing", "leave_s", "idle_timeout_s",
             "ticket_s", "min_ticket_s", "enrol_timeout_s", "notice_s", "enrol_templates",
             "max_templates", "anonymous_after_s", "pager_keypad_s", "pager_bound_s")

#: the default gallery window; bench/bench_faces_scale.py measures what a centre's gallery size costs
DEFAULT_GALLERY_WINDOW_DAYS = 30


def _camera(value: Any) -> Any:
    from kiosk.vision.sources import SourceError, parse_camera_spec

    try:
        return parse_camera_spec(value)
    except SourceError as exc:
        raise ValueError(str(exc).removeprefix("camera ")) from None


def _prefix(value: Any) -> Any:
    # a prefix starting with a letter can never match a CCCD payload (12 digits first)
    if isinstance(value, str) and value and not _PREFIX.fullmatch(value):
        raise ValueError(f'must be a letter, up to 15 letters/digits and ":", like "PAGER:" '
                         f'(or "" for none), not {toml_value(value)}')
    return value


def _number(low: float, high: float) -> Any:
    return Annotated[float, Field(ge=low, le=high)]


def _whole(low: int, high: int) -> Any:
    return Annotated[int, Field(ge=low, le=high)]


class VisionSettings(Table):
    """The ``[vision]`` table as written."""

    table = "vision"

    enabled: bool | None = None  # None: on when `camera` is set or in demo mode
    camera: Annotated[int | str, BeforeValidator(_camera)] | None = None
    width: _whole(160, 7680) = 1280
    height: _whole(120, 4320) = 720
    faces: bool = True
    max_fps: _number(1.0, 60.0) = 10.0
    qr_passes: _whole(1, 4) = 4
    preview_fps: _number(0.0, 15.0) = 3.0
    preview_max_side: _whole(80, 1280) = 320
    presence_fps: _number(0.2, 30.0) = 2.0
    browser_fps: _number(1.0, 30.0) = 8.0
    browser_idle_fps: _number(0.2, 10.0) = 2.0
    browser_lost_s: _number(1.0, 120.0) = 5.0
    worker_deadline_s: _number(0.5, 60.0) = 5.0
    backoff_initial_s: _number(0.05, 60.0) = 0.5
    backoff_max_s: _number(0.05, 600.0) = 10.0
    pager_prefix: Annotated[str, BeforeValidator(_prefix)] = "PAGER:"
    demo_empty_s: _number(0.0, 600.0) = 3.0
    demo_card_s: _number(0.5, 600.0) = 3.0
    demo_pause_s: _number(0.0, 3600.0) = 25.0
    face_reject_warn_share: _number(0.01, 1.0) = 0.15  # read by kiosk.session.setup.face_check_watch
    face_reject_min_answers: _whole(1, 10_000) = 20
    gallery_window_days: _whole(1, 3650) = DEFAULT_GALLERY_WINDOW_DAYS
    keep_templates_outside_window: bool = False
    # FlowSettings (kiosk.session.flow), same defaults and ranges
    dwell_s: _number(0.2, 10) = 1.5
    gain_x: _number(0.5, 10) = 2.2
    gain_y: _number(0.5, 10) = 2.5
    camera_mirrored: bool = False
    smoothing: _number(0.05, 1) = 0.6
    leave_s: _number(0.5, 600) = 4.0
    idle_timeout_s: _number(5, 3600) = 60.0
    ticket_s: _number(1, 600) = 15.0
    min_ticket_s: _number(0, 600) = 4.0
    enrol_timeout_s: _number(1, 600) = 20.0
    notice_s: _number(0.5, 120) = 6.0
    enrol_templates: _whole(1, 10) = 3
    max_templates: _whole(1, 20) = 6
    anonymous_after_s: _number(0, 120) = 4.0
    pager_keypad_s: _number(5, 600) = 60.0
    pager_bound_s: _number(1, 120) = 10.0

    @model_validator(mode="after")
    def _rules(self) -> VisionSettings:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError(f"backoff_max_s: must be at least backoff_initial_s ({self.backoff_initial_s:g}), "
                             f"not {self.backoff_max_s:g}")
        if self.max_templates < self.enrol_templates:
            raise ValueError(f"max_templates: must be at least enrol_templates ({self.enrol_templates}), "
                             f"not {self.max_templates}")
        if self.ticket_s < self.min_ticket_s:
            raise ValueError(f"ticket_s: must be at least min_ticket_s ({self.min_ticket_s:g}), not {self.ticket_s:g}")
        from kiosk.session.flow import FlowError

        try:
            self.flow  # noqa: B018 (FlowSettings checks its fields once more)
        except FlowError as exc:
            raise ValueError(str(exc)) from None
        return self

    @property
    def flow(self) -> FlowSettings:
        """The kiosk flow's timing and pointing settings."""
        from kiosk.session.flow import FlowSettings

        return FlowSettings(**{key: getattr(self, key) for key in FLOW_KEYS})


@dataclass(frozen=True)
class VisionConfig:
    """The ``[vision]`` table resolved for the kiosk part: ``enabled`` and ``camera`` decided."""

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
    # a terminal's camera when it has none of its own: the table's camera, else the demo loop in demo
    # mode, else the kiosk page's webcam
    default_camera: str = "browser"
    browser_fps: float = 8.0
    browser_idle_fps: float = 2.0
    browser_lost_s: float = 5.0
    gallery_window_days: int = DEFAULT_GALLERY_WINDOW_DAYS
    keep_templates_outside_window: bool = False


def parse_switch(text: str | None) -> bool | None:
    """The value of KIOSK_VISION_ENABLED: True, False, or None when unset or empty."""
    switch = (text or "").strip().lower()
    if not switch:
        return None
    if switch not in _TRUE + _FALSE:
        raise ValueError(f"{SWITCH_ENV} must be 0 or 1 (or true/false, yes/no, on/off), not {toml_value(text)}")
    return switch in _TRUE


def vision_config(config: Config, env: Mapping[str, str] | None = None) -> VisionConfig:
    """``config.vision`` resolved: enabled (the table, else on with a camera or in demo mode, and
    KIOSK_VISION_ENABLED of ``env``, default the process environment, over both), the camera
    (0 when enabled outside demo without one) and the terminals' default camera. Raises ConfigError for a bad KIOSK_VISION_ENABLED."""
    table = config.vision
    env = os.environ if env is None else env
    try:
        switch = parse_switch(env.get(SWITCH_ENV))
    except ValueError as exc:
        raise ConfigError(f"[vision] enabled: {exc}") from None
    enabled = table.enabled if table.enabled is not None else (table.camera is not None or config.demo)
    if switch is not None:
        enabled = switch
    camera = table.camera
    default_camera = str(camera) if camera is not None else ("demo" if config.demo else "browser")
    if enabled and camera is None and not config.demo:
        camera = 0
    return VisionConfig(
        enabled=enabled, camera=camera, width=table.width, height=table.height, faces=table.faces,
        max_fps=table.max_fps, qr_passes=table.qr_passes, preview_fps=table.preview_fps,
        preview_max_side=table.preview_max_side, backoff_initial_s=table.backoff_initial_s,
        backoff_max_s=table.backoff_max_s, flow=table.flow, pager_prefix=table.pager_prefix,
        demo_empty_s=table.demo_empty_s, demo_card_s=table.demo_card_s, demo_pause_s=table.demo_pause_s,
        presence_fps=table.presence_fps, worker_deadline_s=table.worker_deadline_s,
        default_camera=default_camera, browser_fps=table.browser_fps, browser_idle_fps=table.browser_idle_fps,
        browser_lost_s=table.browser_lost_s, gallery_window_days=table.gallery_window_days,
        keep_templates_outside_window=table.keep_templates_outside_window,
    )
