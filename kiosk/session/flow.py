"""The touch-free kiosk session: a state machine fed by vision observations and touch choices.

States (``KioskFlow.state``)::

    idle ──face in view──> present ──card confirmed──> consent ──yes──> enrolling ─┐
     ^                     ^ │  │     (a refusal of this consent text: no question) └──no──────────────┤
     │                     │ │  └──face accepted (identified + live)──> confirm ──yes─────────────────┤
     │                     │ │                                             │                           v
     │                     └─┼──────────────────"no, not me"───────────────┘   priority (age >= 60)? ──> services ──> ticket
     │                       └──dwell/touch on a service tile: anonymous ticket
     └──────────── person left, timeout, "done" ─────────────────────────────────────────────────────┘

A face match is never taken for the citizen: ``confirm`` greets with the masked name and asks whether it is
them. Nothing is issued, checked in or greeted by name before "yes"; "yes" adds the visit's templates of
that face to the citizen's stored ones (up to ``max_templates``); "no" counts a suspected false match
(``on_face_check``), forgets the citizen, and that face track is not recognised again during the visit.
A citizen whose latest answer to the current consent text (``consent_text_version``) is a refusal is not
asked again when the card is shown.

Choices are made by *dwell*: the citizen's face position (mirrored: moving right moves the cursor
right) drives a cursor over the tiles of the current state; holding it over one tile for
``dwell_s`` selects it. The same tiles accept touch (``choose``). Tile rectangles are normalised and
sent to the page with the state, so page and server agree. A tile is selectable by dwell only after
the cursor has been over no tile since the tiles appeared, so a choice never carries over into the
next question.

Pager cards: while the ticket is shown, a pager card's QR label read by the camera (``Observation.label``)
binds the card to the ticket through the injected ``bind_pager(ticket_id, label)``; the "pager" tile opens
the touch keypad on the page (which binds through the HTTP API) and holds the ticket screen meanwhile.
Either way ``pager_bound(ticket_id, card)`` confirms it on screen and keeps the ticket there a little longer.

Reprint: for ``reprint_window_s`` after this terminal issued a ticket, the ticket screen (by touch: that screen
takes no dwell) and the start screen (``present``: by dwell, the touch-free way) show the tile "In lại phiếu"
("reprint"); it calls
the injected ``reprint(ticket_id) -> (ok, vi, en, more)`` (kiosk.terminals.reprint.flow_reprint, which holds
the rule) and shows its answer as a notice; ``more`` False stops the offer (copies used up, or refused).

Pure Python: no Flask and no camera here. Collaborators are injected: the citizens registry, the
queue engine, ``templates_of(track_id)`` of the vision pipeline, and callbacks for enrolment and
for the end of a session. Time comes from the observations' timestamps and an injected clock.
Nothing here logs personal data: the session keeps a masked :class:`kiosk.citizens.registry.CitizenRef`.
"""
from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.citizens.registry import CitizenRef
from kiosk.pager.labels import PagerBindError, bound_text, refusal_text
from kiosk.queue.appointments import BOOKING_QR_PREFIX, code_from_qr
from kiosk.queue.errors import LimitReached, NotFound, QueueError, ServiceClosed
from kiosk.texts.vi import page_text

__all__ = [
    "CONSENT_TEXT",
    "DwellSelector",
    "FlowError",
    "FlowSettings",
    "KioskFlow",
    "Tile",
    "cursor_from_face",
    "face_from_cursor",
    "layout_tiles",
]

log = logging.getLogger(__name__)

IDLE, PRESENT, CONSENT, ENROLLING, CONFIRM, PRIORITY, SERVICES, TICKET = (
    "idle", "present", "consent", "enrolling", "confirm", "priority", "services", "ticket")
STATES = (IDLE, PRESENT, CONSENT, ENROLLING, CONFIRM, PRIORITY, SERVICES, TICKET)

# Shown with the consent question; bump [kiosk] consent_text_version whenever this text changes.
CONSENT_TEXT = {
    "vi": ("Quý khách có đồng ý để Trung tâm lưu mẫu khuôn mặt (dữ liệu sinh trắc học, được mã hóa) để "
           "nhận ra quý khách ở lần sau, không cần đưa thẻ? Quý khách có thể từ chối mà vẫn lấy số bình "
           "thường, và có thể yêu cầu xóa bất cứ lúc nào tại quầy."),
    "en": ("Do you agree that the centre keeps a template of your face (biometric data, encrypted) to "
           "recognise you next time without the card? You may refuse and still take a ticket, and ask "
           "for deletion at any counter at any time."),
}

# What the session shows (Vietnamese from the catalogue, kiosk/texts/vi_pages.py "kiosk.*"; English beside it).
PROMPTS = {
    IDLE: (page_text("kiosk.prompt.idle"), "Show the QR code of your ID card to the camera, or touch a service"),
    PRESENT: (page_text("kiosk.prompt.present"),
              "Show your ID card's QR code — or move your head to point at a service and hold still"),
    CONSENT: (page_text("kiosk.prompt.consent"), "Would you like to keep your face, so that next time you need no card?"),
    ENROLLING: (page_text("kiosk.prompt.enrolling"), "Please look at the camera, blink or turn your head a little"),
    # the monitor's face question quotes this one (monitor.face_question); with the masked name: see snapshot
    CONFIRM: (page_text("monitor.face_question"), "Is this you?"),
    PRIORITY: (page_text("kiosk.prompt.priority"), "You are 60 or older: would you like priority?"),
    SERVICES: (page_text("kiosk.prompt.services"), "Please choose a service"),
    TICKET: (page_text("kiosk.your_number"), "Your number"),
}
# The confirm screen greets the face matched, by its masked name ({name}); so does the services screen after "yes".
CONFIRM_PROMPT = (page_text("kiosk.prompt.confirm_name"), "Welcome, {name}. Is this you?")
SERVICES_PROMPT_NAMED = (page_text("kiosk.prompt.services_name"), "Welcome! Please choose a service")
# The ticket screen when pager cards can be bound.
PAGER_PROMPT = (page_text("kiosk.prompt.pager"),
                "Your number — have a pager card? Show its QR code to the camera or touch «Take a pager card»")

_MISREAD = (page_text("kiosk.notice.misread"), "The QR code was misread — hold the card straight and closer")
NOTICES: dict[str, tuple[str, str]] = {
    "camera_lost": (page_text("kiosk.camera_lost"), "Camera not working — please touch the screen"),
    "face_engine": (page_text("kiosk.notice.face_engine"), "Face recognition unavailable — use the ID card or touch"),
    "url": (page_text("kiosk.notice.url"), "This QR code is a web address, not an ID card"),
    "vneid_token": (page_text("kiosk.notice.vneid_token"), "This is a VNeID app code — please show the QR code printed "
                    "on the card"),
    "mojibake": _MISREAD,
    "not_utf8": _MISREAD,
    "bad_card": (page_text("kiosk.notice.bad_card"), "This QR code is not an ID card's"),
    "person_limit_reached": (page_text("kiosk.notice.person_limit_reached"),
                             "You already have the allowed tickets for this service today"),
    "limit_reached": (page_text("kiosk.notice.limit_reached"), "No more tickets for this service today"),
    "service_closed": (page_text("kiosk.notice.service_closed"), "This service is not taking tickets now"),
    "not_found": (page_text("kiosk.notice.not_found"), "Unknown service"),
    "enrolled": (page_text("kiosk.notice.enrolled"), "Your face will be recognised next time"),
    "enrol_failed": (page_text("kiosk.notice.enrol_failed"), "Your face could not be recorded — you can still take a "
                     "ticket"),
    "declined": (page_text("kiosk.notice.declined"), "Noted: your face is not kept"),
    "error": (page_text("kiosk.notice.error"), "Could not take a ticket — please try again or ask staff"),
    "pager_first": (page_text("kiosk.notice.pager_first"), "Take a number first, then show the pager card's QR code"),
    "booking_other_name": (page_text("kiosk.notice.booking_other_name"),
                           "An appointment with this ID number was booked under another name and cannot be used. "
                           "Please choose a service, or ask staff."),
    "booking_qr_read": (page_text("kiosk.notice.booking_qr_read"),
                        "Appointment code read. Please show your ID card's QR code to confirm it is you."),
    "booking_qr_unknown": (page_text("kiosk.notice.booking_qr_unknown"),
                           "This appointment code cannot be used (unknown, cancelled or checked in). Please show "
                           "your ID card, or ask staff."),
    "booking_qr_other_card": (page_text("kiosk.notice.booking_qr_other_card"),
                              "The appointment of the QR code just read was not booked with this ID card. Please "
                              "choose a service, or ask staff."),
    "booking_qr_outside_window": (page_text("kiosk.notice.booking_qr_outside_window"),
                                  "The appointment is not open for check-in now. Please choose a service, or ask "
                                  "staff."),
    "not_me": (page_text("kiosk.notice.not_me"),
               "Sorry. Please show the QR code of your ID card to the camera, or touch a service."),
}

TILE_LABELS = {
    "consent:yes": (page_text("kiosk.tile.consent_yes"), "Agree"),
    "consent:no": (page_text("kiosk.tile.consent_no"), "Do not agree"),
    "enrol:skip": (page_text("kiosk.tile.enrol_skip"), "Skip"),
    "confirm:yes": (page_text("kiosk.tile.confirm_yes"), "Yes, it's me"),
    "confirm:no": (page_text("kiosk.tile.confirm_no"), "No, it's not me"),
    "priority:elderly": (page_text("kiosk.tile.priority_elderly"), "Yes, priority"),
    "priority:normal": (page_text("kiosk.tile.priority_normal"), "No"),
    "done": (page_text("kiosk.done"), "Done"),
    "pager": (page_text("kiosk.pager.take"), "Take a pager card"),
    "reprint": (page_text("kiosk.reprint"), "Reprint ticket"),
}


class FlowError(ValueError):
    """A choice that does not exist in the current state (the message says which)."""


@dataclass(frozen=True)
class FlowSettings:
    """Timing and pointing of the touch-free flow (validated by kiosk.session.setup).

    dwell_s: hold time that selects a tile. gain_x/gain_y: cursor movement per face movement (the
    face moves little when the citizen leans). camera_mirrored: the camera already mirrors its
    image (then the face x is used as is). smoothing: weight of the new cursor position (0..1].
    leave_s: nobody in view this long ends a session. idle_timeout_s: no choice this long ends it.
    ticket_s: how long the ticket stays on screen at most (min_ticket_s at least, even if the
    citizen walks away). enrol_timeout_s: how long enrolment waits for a live face with enough
    templates. notice_s: how long a notice stays. enrol_templates: templates enrolled per citizen.
    pager_keypad_s: how long the ticket screen waits while the pager keypad is open. pager_bound_s: how
    long the ticket stays on screen after a pager card was bound (so the confirmation can be read).
    """

    dwell_s: float = 1.5
    gain_x: float = 2.2
    gain_y: float = 2.5
    camera_mirrored: bool = False
    smoothing: float = 0.6
    leave_s: float = 4.0
    idle_timeout_s: float = 60.0
    ticket_s: float = 15.0
    min_ticket_s: float = 4.0
    enrol_timeout_s: float = 20.0
    notice_s: float = 6.0
    enrol_templates: int = 3
    max_templates: int = 6
    anonymous_after_s: float = 4.0
    pager_keypad_s: float = 60.0
    pager_bound_s: float = 10.0

    def __post_init__(self) -> None:
        checks = [("dwell_s", 0.2, 10), ("gain_x", 0.5, 10), ("gain_y", 0.5, 10), ("smoothing", 0.05, 1),
                  ("leave_s", 0.5, 600), ("idle_timeout_s", 5, 3600), ("ticket_s", 1, 600),
                  ("min_ticket_s", 0, 600), ("enrol_timeout_s", 1, 600), ("notice_s", 0.5, 120),
                  ("enrol_templates", 1, 10), ("max_templates", 1, 20), ("anonymous_after_s", 0, 120), ("pager_keypad_s", 5, 600),
                  ("pager_bound_s", 1, 120)]
        for name, low, high in checks:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise FlowError(f"{name} must be a number between {low} and {high}, not {value!r}")
        if self.max_templates < self.enrol_templates:
            raise FlowError(f"max_templates must be at least enrol_templates ({self.enrol_templates}), "
                            f"not {self.max_templates}")


@dataclass(frozen=True)
class Tile:
    """A choice on screen: ``rect`` is (left, top, right, bottom) in 0..1 screen coordinates."""

    id: str
    label: str
    label_en: str
    rect: tuple[float, float, float, float]

    def contains(self, point: tuple[float, float]) -> bool:
        x, y = point
        return self.rect[0] <= x <= self.rect[2] and self.rect[1] <= y <= self.rect[3]

    def to_screen(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "label_en": self.label_en,
                "rect": [round(v, 4) for v in self.rect]}


def layout_tiles(items: list[tuple[str, str, str]], top: float = 0.3, bottom: float = 0.96) -> list[Tile]:
    """Lay tiles out in two columns, left and right, leaving a neutral band in the middle.

    The cursor starts in the middle when a citizen steps up and faces the camera, so the middle
    is never a tile: nothing is chosen by standing still. ``items`` are (id, label, label_en).
    """
    rows = max(1, math.ceil(len(items) / 2))
    gap = 0.03
    height = (bottom - top - gap * (rows - 1)) / rows
    tiles = []
    for i, (tile_id, label, label_en) in enumerate(items):
        row, col = divmod(i, 2)
        y0 = top + row * (height + gap)
        x0, x1 = (0.03, 0.40) if col == 0 else (0.60, 0.97)
        tiles.append(Tile(tile_id, label, label_en, (x0, y0, x1, y0 + height)))
    return tiles


def cursor_from_face(center: tuple[float, float], settings: FlowSettings) -> tuple[float, float]:
    """Screen cursor (0..1) from the face centre in the camera frame (0..1).

    The camera sees the citizen from the front: their right is the image's left, so x is mirrored
    (unless the camera mirrors already). Movement is amplified around the middle by the gains.
    """
    fx, fy = center
    mx = fx if settings.camera_mirrored else 1.0 - fx
    x = 0.5 + (mx - 0.5) * settings.gain_x
    y = 0.5 + (fy - 0.5) * settings.gain_y
    return (min(1.0, max(0.0, x)), min(1.0, max(0.0, y)))


def face_from_cursor(cursor: tuple[float, float], settings: FlowSettings) -> tuple[float, float]:
    """The face centre (0..1 of the frame) that points the cursor at ``cursor`` (inverse of the above)."""
    mx = 0.5 + (cursor[0] - 0.5) / settings.gain_x
    fx = mx if settings.camera_mirrored else 1.0 - mx
    return (fx, 0.5 + (cursor[1] - 0.5) / settings.gain_y)


@dataclass
class DwellSelector:
    """Selects a tile when the cursor stays over it for ``hold_s``; leaving the tile resets.

    ``armed`` is False after a selection or a change of tiles, until the cursor has been over no
    tile: a held cursor never chooses the tile that appears under it.
    """

    hold_s: float = 1.5
    hover: str | None = None
    since: float = 0.0
    armed: bool = True

    def disarm(self) -> None:
        self.hover, self.armed = None, False

    def update(self, now: float, cursor: tuple[float, float] | None, tiles: list[Tile]) -> tuple[str | None, float, str | None]:
        """Returns (tile under the cursor, progress 0..1, selected tile or None)."""
        over = None
        if cursor is not None:
            over = next((t.id for t in tiles if t.contains(cursor)), None)
        if over is None:
            self.hover, self.armed = None, True
            return None, 0.0, None
        if over != self.hover:
            self.hover, self.since = over, now
        if not self.armed:
            return over, 0.0, None
        progress = min(1.0, (now - self.since) / self.hold_s)
        if progress >= 1.0:
            self.disarm()
            return over, 1.0, over
        return over, progress, None


@dataclass
class _Session:
    ref: CitizenRef | None = None
    via: str | None = None  # "card" or "face"
    track_id: int | None = None
    priority: str = "normal"
    consent_id: int | None = None
    ticket: dict[str, Any] | None = None
    started: float = 0.0
    state_since: float = 0.0
    last_input: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class KioskFlow:
    """One kiosk's session. Thread-safe: observations come from the vision thread, touches from
    Socket.IO handlers.

    citizens: kiosk.citizens.CitizenRegistry. engine: kiosk.queue.engine.QueueEngine.
    templates_of(track_id) -> list of 128-d templates of a tracked face (the pipeline's).
    on_enrolled(citizen_id, templates): put them in the in-memory gallery in place of the citizen's earlier ones
    (an enrolment, or the stored templates refreshed by a confirmed visit).
    on_reset(): a session ended (the pipeline forgets the confirmed card).
    on_change(): the state changed (the web layer pushes it to the page).
    on_face_check(outcome): the citizen answered the confirm question of a face match: "confirmed" or
    "rejected" (a suspected false match); counted, with no citizen attached (kiosk.citizens.face_checks).
    bind_pager(ticket_id, label) -> card: bind a pager card by its QR label text; raises
    kiosk.kiosk_pager.PagerBindError. pager_enabled() -> bool: pager cards can be bound now (the
    "pager" tile is offered). Without them pager labels are ignored.
    clock(): seconds, for touches and ticks (the observations carry their own timestamps).
    """

    def __init__(self, *, citizens: Any, engine: Any, clock: Callable[[], float], consent_text_version: str,
                 settings: FlowSettings | None = None,
                 templates_of: Callable[[int], list[np.ndarray]] | None = None,
                 on_enrolled: Callable[[int, list[np.ndarray]], None] | None = None,
                 on_reset: Callable[[], None] | None = None,
                 on_change: Callable[[], None] | None = None,
                 appointments: Any = None,
                 bind_pager: Callable[[int, str], int] | None = None,
                 pager_enabled: Callable[[], bool] | None = None,
                 on_face_check: Callable[[str], None] | None = None,
                 terminal_id: int | None = None) -> None:
        if not consent_text_version or not isinstance(consent_text_version, str):
            raise FlowError("consent_text_version is required")
        self.citizens = citizens
        self.engine = engine
        self.clock = clock
        self.consent_text_version = consent_text_version
        self.settings = settings or FlowSettings()
        self.templates_of = templates_of or (lambda track_id: [])
        self.on_enrolled = on_enrolled
        self.on_reset = on_reset
        self.on_change = on_change
        self.appointments = appointments  # kiosk.queue.appointments.Appointments: booked citizens need no choice
        self.bind_pager = bind_pager
        self.pager_enabled = pager_enabled
        self.terminal_id = terminal_id  # the kiosk terminal (token id) whose tickets these are
        self.on_face_check = on_face_check
        self.state = IDLE
        self.camera_ok = True
        self.face_engine_ok = True
        self.session = _Session()
        self.dwell = DwellSelector(self.settings.dwell_s)
        self.cursor: tuple[float, float] | None = None
        self.hover: str | None = None
        self.progress = 0.0
        self.notice: dict[str, Any] | None = None
        self.overlay: dict[str, Any] = {}
        self.last_presence = -1e9
        self.present_since = 0.0
        self.version = 0
        self._spent_tracks: set[int] = set()
        self._last_track: int | None = None  # faces whose session is over: not greeted again
        self._lock = threading.RLock()
        # a copy of this terminal's last ticket (set by the wiring; None: not offered): (ok, vi, en, more)
        self.reprint: Callable[[int], tuple[bool, str, str, bool]] | None = None
        self.reprint_window_s = 0.0
        self._last_issue: dict[str, Any] | None = None  # {"id", "at", "more"} of the last ticket issued here

    # -- inputs ---------------------------------------------------------------------------
    def on_observation(self, obs: Any) -> None:
        """Feed one kiosk.vision.pipeline.Observation."""
        with self._lock:
            now = obs.timestamp
            self.overlay = obs.to_screen()
            self._camera(obs.camera_ok, now)
            if obs.camera_ok:
                self.face_engine_ok = obs.face_engine_ok
                self._see(obs, now)
            self._tick(now)
            self._changed()

    def choose(self, tile_id: Any, by: str = "touch") -> dict[str, Any]:
        """A choice by touch (or by dwell, internally). Returns the new state; raises FlowError for a
        tile that is not on screen now."""
        with self._lock:
            if not isinstance(tile_id, str):
                raise FlowError("the choice must be a tile id string")
            now = self.clock()
            if tile_id not in {t.id for t in self.tiles()}:
                raise FlowError(f"there is no tile {tile_id!r} on the {self.state} screen")
            self._choose(tile_id, now)
            self._changed()
            return self.snapshot()

    def tick(self) -> None:
        """Apply timeouts at the clock's time (the web layer calls it when no frames come)."""
        with self._lock:
            self._tick(self.clock())
            self._changed()

    def reset(self) -> None:
        """End the session now."""
        with self._lock:
            self._to_idle(self.clock())
            self._changed()

    def pager_bound(self, ticket_id: int, card: int) -> None:
        """A pager card was bound to ``ticket_id`` (by any path): confirm it when that ticket is on screen."""
        with self._lock:
            ticket = self.session.ticket
            if self.state != TICKET or ticket is None or ticket["id"] != ticket_id:
                return
            self._pager_done(card, self.clock())
            self._changed()

    # -- what the page shows --------------------------------------------------------------
    def tiles(self) -> list[Tile]:
        """The tiles of the current state."""
        if self.state in (IDLE, PRESENT, SERVICES):
            items = [(f"svc:{s.code}", s.name, s.name_en or "") for s in self._open_services()]
            if self.state == PRESENT and self._reprint_offered():
                items.append(("reprint", *TILE_LABELS["reprint"]))
        elif self.state == CONSENT:
            items = [("consent:yes", *TILE_LABELS["consent:yes"]), ("consent:no", *TILE_LABELS["consent:no"])]
        elif self.state == PRIORITY:
            items = [("priority:elderly", *TILE_LABELS["priority:elderly"]),
                     ("priority:normal", *TILE_LABELS["priority:normal"])]
        elif self.state == ENROLLING:
            items = [("enrol:skip", *TILE_LABELS["enrol:skip"])]
        elif self.state == CONFIRM:
            items = [("confirm:yes", *TILE_LABELS["confirm:yes"]), ("confirm:no", *TILE_LABELS["confirm:no"])]
        else:
            items = [("done", *TILE_LABELS["done"])]
            if self._pager_offered():
                items.insert(0, ("pager", *TILE_LABELS["pager"]))
            if self._reprint_offered():
                items.insert(0, ("reprint", *TILE_LABELS["reprint"]))
        return layout_tiles(items)

    def snapshot(self) -> dict[str, Any]:
        """The state for the page: masked citizen data only, tiles with rectangles, cursor, dwell."""
        with self._lock:
            prompt_vi, prompt_en = PROMPTS[self.state]
            ref = self.session.ref
            if self.state == CONFIRM and ref is not None:
                # a masked name ends with an initial's full stop ("Nguyễn V. A."): no second one after it
                prompt_vi, prompt_en = (text.format(name=ref.masked_name.rstrip(".")) for text in CONFIRM_PROMPT)
            if self.state == SERVICES and ref is not None:
                prompt_vi, prompt_en = SERVICES_PROMPT_NAMED[0].format(name=ref.masked_name), SERVICES_PROMPT_NAMED[1]
            if self.state == TICKET and self._pager_offered():
                prompt_vi, prompt_en = PAGER_PROMPT
            return {
                "state": self.state,
                "version": self.version,
                "mode": "camera" if self.camera_ok else "touch",
                "camera_ok": self.camera_ok,
                "face_engine_ok": self.face_engine_ok,
                "citizen": ref.to_screen() if ref is not None else None,
                "via": self.session.via,
                "priority": self.session.priority,
                "prompt": {"vi": prompt_vi, "en": prompt_en},
                "consent_text": CONSENT_TEXT if self.state == CONSENT else None,
                "notice": self.notice,
                "tiles": [t.to_screen() for t in self.tiles()],
                "cursor": None if self.cursor is None else [round(self.cursor[0], 4), round(self.cursor[1], 4)],
                "hover": self.hover,
                "progress": round(self.progress, 3),
                "dwell_s": self.settings.dwell_s,
                "ticket": self.session.ticket,
                "keypad": bool(self.session.extra.get("keypad")) and self.state == TICKET,
                "pager_card": self.session.extra.get("pager_card"),
                "overlay": self.overlay,
            }

    # -- internals ------------------------------------------------------------------------
    def _changed(self) -> None:
        self.version += 1
        if self.on_change is not None:
            self.on_change()

    def _set_notice(self, code: str, now: float, kind: str = "error", text: tuple[str, str] | None = None) -> None:
        vi, en = text or NOTICES.get(code, NOTICES["bad_card"])
        self.notice = {"code": code, "vi": vi, "en": en, "kind": kind, "until": now + self.settings.notice_s}

    def _go(self, state: str, now: float) -> None:
        if state != self.state:
            self.state = state
            self.session.state_since = now
            self.dwell.disarm()
            self.hover, self.progress = None, 0.0

    def _to_idle(self, now: float) -> None:
        if self.session.track_id is not None:
            self._spent_tracks.add(self.session.track_id)
        self.session = _Session()
        self._go(IDLE, now)
        self.cursor = None
        if self.on_reset is not None:
            self.on_reset()

    def _camera(self, ok: bool, now: float) -> None:
        if ok == self.camera_ok:
            return
        self.camera_ok = ok
        if not ok:
            self.cursor, self.hover, self.progress = None, None, 0.0
            self._set_notice("camera_lost", now)
            self.notice["until"] = None  # stays until the camera is back
        elif self.notice is not None and self.notice["code"] == "camera_lost":
            self.notice = None

    def _see(self, obs: Any, now: float) -> None:
        face = obs.primary
        if face is not None or obs.card_seen or obs.card_outline is not None:
            if self.state == IDLE or now - self.last_presence > self.settings.leave_s:
                self.present_since = now
            self.last_presence = now
        if self.state == IDLE and face is not None:
            self._go(PRESENT, now)
        if obs.card_error and self.state in (IDLE, PRESENT):
            code = obs.card_error if obs.card_error in NOTICES else "bad_card"
            self._set_notice(code, now)
            self._go(PRESENT, now)
        if obs.label is not None:
            self._label(obs.label, now)
        if obs.card is not None and self.state in (IDLE, PRESENT):
            self._card(obs.card, face, now)
        elif (obs.recognised is not None and self.state in (IDLE, PRESENT)
              and obs.recognised.track_id not in self._spent_tracks):
            self._recognised(obs.recognised, now)
        if self.state == ENROLLING:
            self._try_enrol(obs, now)
        self._point(face, now)

    def _card(self, record: Any, face: Any, now: float) -> None:
        ref = self.citizens.remember_card(record.to_json())
        booking = self.session.extra.get("booking_code")  # a booking's QR shown just before the card
        self.session = _Session(ref=ref, via="card", track_id=face.track_id if face is not None else None,
                                started=now, last_input=now)
        if booking is not None:
            self.session.extra["booking_code"] = booking
        self.notice = None
        if ref.has_face or self.citizens.declined_face(ref.id, self.consent_text_version):
            self._after_consent(now)  # enrolled already, or said no to this very text: not asked again
        else:
            self._go(CONSENT, now)

    def _reprint_offered(self) -> bool:
        last = self._last_issue
        return (self.reprint is not None and last is not None and last["more"]
                and self.clock() - last["at"] <= self.reprint_window_s)

    def _reprint(self, now: float) -> None:
        last = self._last_issue
        ok, vi, en, more = self.reprint(last["id"])
        last["more"] = more
        self._set_notice("reprinted" if ok else "reprint_refused", now, kind="info" if ok else "error", text=(vi, en))
        if self.state == TICKET:  # the answer stays readable before the ticket screen goes
            self.session.extra["hold_until"] = max(self.session.extra.get("hold_until", 0.0),
                                                   now + self.settings.min_ticket_s)

    def _pager_offered(self) -> bool:
        if self.state != TICKET or self.session.extra.get("pager_card") is not None or self.pager_enabled is None:
            return False
        try:
            return bool(self.pager_enabled())
        except Exception:  # the devices are starting or stopping: offer nothing rather than fail the frame
            return False

    def _label(self, text: str, now: float) -> None:
        """A pager card's QR label, or a booking's QR, in view."""
        s = self.session
        if text.startswith(BOOKING_QR_PREFIX):
            self._booking_qr(text, now)
            return
        if self.bind_pager is None:
            return
        if self.state in (IDLE, PRESENT):
            if self.notice is None or self.notice["code"] != "pager_first":
                self._set_notice("pager_first", now, kind="info")
            self._go(PRESENT, now)  # the overlay shows the notice
            return
        if self.state != TICKET or s.ticket is None or s.extra.get("pager_card") is not None:
            return
        if text == s.extra.get("pager_label"):
            return  # the label stays in view for many frames: one attempt each time it is shown
        s.extra["pager_label"] = text
        s.last_input = now
        try:
            card = self.bind_pager(s.ticket["id"], text)
        except PagerBindError as exc:
            self._set_notice(f"pager_{exc.code}", now, text=refusal_text(exc.code, exc.card, s.ticket["number"]))
            s.extra["hold_until"] = now + self.settings.min_ticket_s  # time to read why
            return
        self._pager_done(card, now)

    def _booking_qr(self, text: str, now: float) -> None:
        """A booking's QR (from the confirmation page) in view: it selects that booking; the card shown next
        confirms who it is (docs/booking.md, "The booking's QR"). Only before a card or face started a session."""
        if self.appointments is None or self.state not in (IDLE, PRESENT):
            return
        if text == self.session.extra.get("booking_qr"):
            return  # the same QR stays in view for many frames
        self.session.extra["booking_qr"] = text
        try:
            appt = self.appointments.get(code_from_qr(text))
        except QueueError:
            appt = None
        if appt is None or appt.state != "booked":
            self.session.extra.pop("booking_code", None)
            self._set_notice("booking_qr_unknown", now)
        else:
            self.session.extra["booking_code"] = appt.code
            self._set_notice("booking_qr_read", now, kind="info")
            self.notice["until"] = now + self.settings.idle_timeout_s
        self.session.last_input = now
        self._go(PRESENT, now)

    def _pager_done(self, card: int, now: float) -> None:
        s = self.session
        if s.ticket is None:
            return
        s.extra.update(pager_card=card, keypad=False, hold_until=now + self.settings.pager_bound_s)
        self._set_notice("pager_bound", now, kind="info", text=bound_text(card, s.ticket["number"]))
        self.notice["until"] = now + self.settings.pager_bound_s

    def _recognised(self, face: Any, now: float) -> None:
        try:
            # masked data only, and last-seen untouched: a false match must not keep someone else's data longer
            ref = self.citizens.ref(int(face.identity))
        except (NotFound, ValueError, TypeError):
            return  # deleted meanwhile (the gallery catches up through on_forget)
        booking = self.session.extra.get("booking_code")  # a booking's QR shown just before: the face confirms
        self.session = _Session(ref=ref, via="face", track_id=face.track_id, started=now, last_input=now)
        if booking is not None:
            self.session.extra["booking_code"] = booking
        self.notice = None
        self._go(CONFIRM, now)

    def _confirm(self, yes: bool, now: float) -> None:
        """The answer to "Đúng là Quý khách?"."""
        s = self.session
        self._face_check("confirmed" if yes else "rejected")
        if yes and s.ref is not None:
            try:
                s.ref = self.citizens.seen(s.ref.id)  # retention counts from a confirmed visit
            except NotFound:
                yes = False  # deleted while the question was on screen: go on as a stranger
        if yes:
            self._refresh_templates()
            self._after_consent(now)
            return
        if s.track_id is not None:
            self._spent_tracks.add(s.track_id)  # not recognised again during this visit
        self.session = _Session(track_id=s.track_id, started=s.started, last_input=now)
        self._set_notice("not_me", now, kind="info")
        self._go(PRESENT, now)

    def _refresh_templates(self) -> None:
        """The citizen confirmed the match: the templates taken of their face during this visit join their stored
        ones (kept to ``max_templates``, under a face consent that still stands), so the gallery follows how
        they look now. Only ever after "yes": a refused or unanswered match adds nothing."""
        s = self.session
        templates = self.templates_of(s.track_id) if s.track_id is not None and s.ref is not None else []
        if not templates:
            return
        from kiosk.vision.gallery import template_from_bytes, template_to_bytes

        try:
            kept = self.citizens.add_face_templates(s.ref.id, [template_to_bytes(t) for t in templates],
                                                    self.settings.max_templates)
        except Exception:  # a refresh that fails must not stop the citizen's ticket
            log.warning("kiosk flow: the confirmed visit's face templates could not be kept", exc_info=True)
            return
        if kept is not None and self.on_enrolled is not None:
            self.on_enrolled(s.ref.id, [template_from_bytes(t) for t in kept])

    def _face_check(self, outcome: str) -> None:
        if self.on_face_check is None:
            return
        try:
            self.on_face_check(outcome)
        except Exception:  # a count that cannot be kept must not stop the citizen's ticket
            log.warning("kiosk flow: the face check could not be recorded", exc_info=True)

    def _after_consent(self, now: float) -> None:
        ref = self.session.ref
        if ref is not None and self.appointments is not None and self.session.extra.get("booking_code"):
            if self._check_in_selected(ref, now):
                return
        elif ref is not None and self.appointments is not None:
            # the card's ID number and name (a face: those of the card last read), so a booking made with this
            # number under another name is not checked in here
            due = self.appointments.due(ref.lookup, ref.holder)
            if due is not None:
                try:
                    issued = self.appointments.check_in(due, citizen_key=ref.lookup)
                except QueueError:
                    pass  # e.g. the service closed meanwhile: the citizen chooses as usual
                else:
                    self._show_ticket(issued, now)
                    return
            elif self.appointments.due_in_another_name(ref.lookup, ref.holder):
                self._set_notice("booking_other_name", now, kind="info")
        self._go(PRIORITY if ref is not None and ref.proposes_elderly else SERVICES, now)

    def _check_in_selected(self, ref: CitizenRef, now: float) -> bool:
        """Check in the booking selected by its QR when the card is its citizen's (the same rule as ``due``);
        False (a notice says why) when it is not, or not now: the citizen then chooses a service."""
        code = self.session.extra.pop("booking_code")
        appt = self.appointments.selected_for_card(code, ref.lookup, ref.holder)
        if appt is None:
            self._set_notice("booking_qr_other_card", now)
            return False
        try:
            issued = self.appointments.check_in(appt, citizen_key=ref.lookup)
        except QueueError as exc:
            self._set_notice("booking_qr_outside_window" if getattr(exc, "code", "") == "outside_window"
                             else "booking_qr_unknown", now)
            return False
        self._show_ticket(issued, now)
        return True

    def _try_enrol(self, obs: Any, now: float) -> None:
        s = self.session
        face = next((f for f in obs.faces if f.track_id == s.track_id), None) if s.track_id is not None else None
        if face is None and obs.primary is not None:
            face = obs.primary  # the card was shown before the face was in view: take the citizen's face
            s.track_id = face.track_id
        if face is None or face.liveness != "live" or face.templates < self.settings.enrol_templates:
            return
        templates = self.templates_of(face.track_id)[: self.settings.enrol_templates]
        if len(templates) < self.settings.enrol_templates or s.ref is None or s.consent_id is None:
            return
        from kiosk.vision.gallery import template_to_bytes

        self.citizens.enrol_face(s.ref.id, [template_to_bytes(t) for t in templates], s.consent_id)
        if self.on_enrolled is not None:
            self.on_enrolled(s.ref.id, templates)
        self._set_notice("enrolled", now, kind="info")
        self._after_consent(now)

    def _point(self, face: Any, now: float) -> None:
        if face is None or not self.camera_ok:
            self.cursor, self.hover, self.progress = None, None, 0.0
            self.dwell.update(now, None, [])
            return
        target = cursor_from_face(face.center, self.settings)
        a = self.settings.smoothing
        self._last_track = face.track_id
        self.cursor = target if self.cursor is None else (
            a * target[0] + (1 - a) * self.cursor[0], a * target[1] + (1 - a) * self.cursor[1])
        tiles = self.tiles() if self._dwell_allowed(face, now) else []
        self.hover, self.progress, selected = self.dwell.update(now, self.cursor, tiles)
        if selected is not None:
            self._choose(selected, now)

    def _dwell_allowed(self, face: Any, now: float) -> bool:
        if self.state in (IDLE, TICKET):
            return False
        if self.state == PRESENT:
            if face.track_id in self._spent_tracks:
                return True  # said "not me" (or served already): choose like anyone else
            # a returning citizen is being recognised: do not hand out an anonymous ticket first
            if face.decision == "identified":
                return False
            return face.decision == "unknown" or now - self.present_since >= self.settings.anonymous_after_s
        return True

    def _choose(self, tile_id: str, now: float) -> None:
        s = self.session
        s.last_input = now
        if tile_id.startswith("svc:"):
            self._issue(tile_id[4:], now)
        elif tile_id in ("consent:yes", "consent:no"):
            granted = tile_id == "consent:yes"
            s.consent_id = self.citizens.record_consent(s.ref.id, granted, self.consent_text_version)
            if granted:
                self._go(ENROLLING, now)
            else:
                self._set_notice("declined", now, kind="info")
                self._after_consent(now)
        elif tile_id in ("confirm:yes", "confirm:no"):
            self._confirm(tile_id == "confirm:yes", now)
        elif tile_id == "enrol:skip":
            self._set_notice("enrol_failed", now, kind="info")
            self._after_consent(now)
        elif tile_id.startswith("priority:"):
            s.priority = tile_id.split(":", 1)[1]
            self._go(SERVICES, now)
        elif tile_id == "pager":
            # the page opens (or closes) the keypad; the ticket screen waits while it is open
            opening = not s.extra.get("keypad")
            s.extra["keypad"] = opening
            s.extra["hold_until"] = now + (self.settings.pager_keypad_s if opening else self.settings.min_ticket_s)
        elif tile_id == "reprint":
            self._reprint(now)
        elif tile_id == "done":
            self._to_idle(now)

    def _issue(self, service: str, now: float) -> None:
        s = self.session
        key = s.ref.lookup if s.ref is not None else None
        if s.ref is None and self.state == PRESENT and s.track_id is None:
            s.track_id = self._last_track  # an anonymous ticket: that face is not served again at once
        try:
            issued = self.engine.issue_ticket(service, s.priority, channel="kiosk", citizen_key=key,
                                              terminal=self.terminal_id)
        except (LimitReached, ServiceClosed, NotFound) as exc:
            self._set_notice(exc.code if exc.code in NOTICES else "error", now)
            if self.state in (IDLE, PRESENT):
                self._go(PRESENT, now)
            return
        except QueueError:
            self._set_notice("error", now)
            return
        self._show_ticket(issued, now)

    def _show_ticket(self, issued: Any, now: float) -> None:
        s = self.session
        t = issued.ticket
        try:
            svc = self.engine.service(t.service)
            names = {"service_name": svc.name, "service_name_en": svc.name_en or ""}
        except NotFound:
            names = {"service_name": t.service, "service_name_en": ""}
        s.ticket = {"id": t.id, "number": t.number, "service": t.service, "priority": t.priority,
                    "position": issued.position, "estimated_wait_s": issued.estimated_wait_s, **names}
        self._last_issue = {"id": t.id, "at": now, "more": True}
        self.notice = None
        self._go(TICKET, now)

    def _tick(self, now: float) -> None:
        if self.notice is not None and self.notice.get("until") is not None and now >= self.notice["until"]:
            self.notice = None
        st = self.settings
        s = self.session
        if self.state == IDLE:
            return
        away = now - self.last_presence
        if self.state == TICKET:
            if now < s.extra.get("hold_until", 0.0):
                return
            shown = now - s.state_since
            left = self.camera_ok and away >= st.leave_s
            if shown >= st.ticket_s or (left and shown >= st.min_ticket_s):
                self._to_idle(now)
            return
        if self.state == ENROLLING and now - s.state_since >= st.enrol_timeout_s:
            self._set_notice("enrol_failed", now, kind="info")
            self._after_consent(now)
            return
        if self.camera_ok and away >= st.leave_s:
            self._to_idle(now)
            return
        if self.state != PRESENT and now - max(s.last_input, s.state_since) >= st.idle_timeout_s:
            self._to_idle(now)

    def _open_services(self) -> list[Any]:
        try:
            return [svc for svc in self.engine.services() if svc.is_open]
        except Exception:  # the store is busy or closing: show no tiles rather than fail the frame
            log.warning("kiosk flow: services could not be read")
            return []
