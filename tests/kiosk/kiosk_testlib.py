"""Helpers of the kiosk flow tests: a real store, engine and citizens registry in tmp_path, and what the
camera sees, described as :class:`View` s.

Two vision back-ends turn a View into the kiosk session's input:

- :class:`FakeVision` (the default, milliseconds a frame): builds the ``Observation`` directly, with the
  contract of the vision worker: a face keeps its track id while it stays in view (a new one after a
  second away); it is encoded when its quality is good and its identity undecided, at most 4 times,
  at least 0.25 s apart, each encoding matched against a real ``Gallery`` with the real decision rule
  and agreement (kiosk.vision.tracker.agree); it is "live" after 4 frames of a moving head and never
  live as a still photo; a card goes through ``parse_cccd`` and the real two-read ``CardConfirmer``.
  Each person has a fixed invented template; encodings scatter a little around it.
- :class:`WorkerVision` (the end-to-end tests): renders the View as an image (a testdata/faces photo
  composed into a room, a generated CCCD card) and pushes it, as a raw frame, to a real vision worker
  process (zxing-cpp, dlib), which answers with the Observation.
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.citizens.crypto import Vault, load_or_create_key
from kiosk.citizens.face_checks import record_face_check
from kiosk.citizens.registry import CitizenRegistry
from kiosk.queue.appointments import Appointments
from kiosk.queue.catalog import save_counter, save_service
from kiosk.queue.clock import FakeClock, centre_timezone, local_day
from kiosk.queue.engine import QueueEngine, QueueSettings
from kiosk.session.flow import FlowSettings, KioskFlow, face_from_cursor
from kiosk.store import open_store
from kiosk.vision import faces
from kiosk.vision.card_confirm import CardConfirmer
from kiosk.vision.cccd import CccdError, parse_cccd
from kiosk.vision.gallery import Gallery
from kiosk.vision.observation import FaceView, Observation
from kiosk.vision.sources import _empty_room, demo_card_frame
from kiosk.vision.tracker import IDENTIFIED, PENDING, UNKNOWN, Match, agree

W, H = 960, 540
STEP_S = 0.2  # seconds between frames
FACE_W = 170  # face box width in the frame, px
MORNING = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=centre_timezone())

# Invented card payloads (no real person): a 1990 citizen and a 1950 one (elderly proposal).
CARD = "079090001234||Trần Thị Bình|02031990|Nữ|12 Lê Lợi, Phường Bến Nghé, TP Hồ Chí Minh|10052021"
CARD_ELDER = "001050007777|012345678|Lê Văn Cường|20101950|Nam|5 Hàng Bạc, Hoàn Kiếm, Hà Nội|01072021"

# People in front of the camera: testdata/faces photos (WorkerVision) or invented templates (FakeVision).
PERSON = "people/obama/obama.jpg"
OTHER = "people/angelina/img1.jpg"
CENTRE = (0.5, 0.5)


@dataclass(frozen=True)
class View:
    """What the camera sees in one frame: a person's face centred at ``at`` (fractions of the frame),
    live (a head moving a little) or a still photo held up, and/or a card whose QR holds ``card``."""

    person: str | None = None
    at: tuple[float, float] = CENTRE
    live: bool = True
    card: str | None = None
    card_at: tuple[float, float] = (0.2, 0.75)


EMPTY = View()


# ------------------------------------------------------------------------------------------------
# the fast back-end


def person_template(person: str) -> np.ndarray:
    """A fixed invented 128-d template per person (distinct people ~1.6 apart, far beyond 0.48)."""
    seed = int.from_bytes(hashlib.sha256(person.encode()).digest()[:8], "big")
    return np.random.default_rng(seed).normal(0.0, 0.1, 128).astype(np.float32)


@dataclass
class _FakeTrack:
    track_id: int
    person: str
    last_seen: float
    frames: int = 0
    templates: list[np.ndarray] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    last_encoded: float | None = None
    decision: str = PENDING
    identity: str | None = None


class FakeVision:
    """Views in, Observations out, with the vision worker's contract (see the module docstring)."""

    max_encodings = 4
    encode_interval_s = 0.25
    live_after_frames = 4

    def __init__(self, gallery: Gallery, today: datetime.date) -> None:
        self.gallery = gallery
        self.today = today
        self.confirmer = CardConfirmer()
        self.track: _FakeTrack | None = None
        self._ids = iter(range(1, 10**6))
        self._rng = np.random.default_rng(7)

    def observe(self, view: View | None, ts: float) -> Observation:
        if view is None:
            return Observation(ts, False)
        faces_ = self._face(view, ts)
        record = None
        card_error = None
        outline = None
        if view.card is not None:
            try:
                record = parse_cccd(view.card, today=self.today)
            except CccdError as exc:
                card_error = exc.code
            cx, cy = view.card_at
            outline = ((cx - 0.05, cy - 0.06), (cx + 0.05, cy - 0.06), (cx + 0.05, cy + 0.06), (cx - 0.05, cy + 0.06))
        confirmed = self.confirmer.offer(record, now=ts)
        return Observation(ts, True, faces_, confirmed, record is not None, self.confirmer.pending, card_error,
                           outline, (W, H), None, 1.0)

    def _face(self, view: View, ts: float) -> tuple[FaceView, ...]:
        if view.person is None:
            if self.track is not None and ts - self.track.last_seen > 1.0:
                self.track = None
            return ()
        t = self.track
        if t is None or t.person != view.person or ts - t.last_seen > 1.0:
            t = self.track = _FakeTrack(next(self._ids), view.person, ts)
        t.last_seen = ts
        t.frames += 1
        if t.decision == PENDING and (t.last_encoded is None or ts - t.last_encoded >= self.encode_interval_s):
            template = person_template(view.person) + self._rng.normal(0.0, 0.004, 128).astype(np.float32)
            match = self.gallery.match(template)
            t.templates.append(template)
            t.matches.append(match)
            t.last_encoded = ts
            decision, identity = agree(t.matches, self.gallery.rule.agreement_frames)
            if decision == IDENTIFIED:
                t.decision, t.identity = IDENTIFIED, identity
            elif len(t.matches) >= self.max_encodings:
                t.decision = UNKNOWN
        if t.frames < self.live_after_frames:
            liveness = "pending"
        else:
            liveness = "live" if view.live else "spoof"
        x, y = view.at
        hw, hh = FACE_W / W / 2, FACE_W / H / 2
        accepted = t.decision == IDENTIFIED and liveness == "live"
        return (FaceView(t.track_id, (x - hw, y - hh, x + hw, y + hh), t.decision, liveness, accepted, t.identity,
                         True, (), len(t.templates)),)

    def templates_of(self, track_id: int) -> list[np.ndarray]:
        t = self.track
        return [x.copy() for x in t.templates] if t is not None and t.track_id == track_id else []

    def enrol(self, identity: str, templates: list[np.ndarray]) -> None:
        self.gallery.remove(identity)
        self.gallery.add_many(identity, templates)


# ------------------------------------------------------------------------------------------------
# the image back-end (a real vision worker)


@functools.cache
def face_crop(root: Path, rel: str) -> tuple[np.ndarray, np.ndarray]:
    """(crop, 68 landmarks in the crop): a square around the photo's face, scaled so the face is
    FACE_W px wide."""
    img = faces.load_image(root / "faces" / rel)
    box = faces.detect_faces(img, faces.PHOTO_DETECT_MAX_SIDE, 1)[0]
    cx, cy = box.center
    half = int(box.width * 1.0)
    pad = cv2.copyMakeBorder(img, half, half, half, half, cv2.BORDER_REPLICATE)
    x0, y0 = int(cx), int(cy)
    crop = pad[y0:y0 + 2 * half, x0:x0 + 2 * half]
    scale = FACE_W / box.width
    crop = cv2.resize(crop, (round(crop.shape[1] * scale), round(crop.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    found = faces.analyse_faces(crop, faces.PHOTO_DETECT_MAX_SIDE, 1)
    assert found, f"no face in the crop of {rel}"
    crop.setflags(write=False)
    return crop, found[0].landmarks.astype(np.float64)


def head_turn(crop: np.ndarray, points: np.ndarray, i: int, n: int = 8, amp: float = 0.15) -> np.ndarray:
    """Frame ``i`` of a small head turn: the nose moves against the rest of the face (parallax)."""
    from kiosk.vision.liveness import inter_ocular

    h, w = crop.shape[:2]
    iod = inter_ocular(points)
    nose = points[30]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-((xx - nose[0]) ** 2 + (yy - nose[1]) ** 2) / (2 * (0.35 * iod) ** 2))
    shift = np.sin(np.pi * (i % n) / (n - 1)) * amp * iod
    return cv2.remap(crop, (xx - shift * bump).astype(np.float32), yy, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def scene(face: np.ndarray | None = None, at: tuple[float, float] = (0.5, 0.5), card: str | None = None,
          card_at: tuple[float, float] = (0.2, 0.75)) -> np.ndarray:
    """An RGB frame: a room, optionally a face crop centred at ``at`` (fractions of the frame) and a card
    whose QR holds ``card``."""
    frame = demo_card_frame(card, width=W, height=H, module_px=3, centre=card_at) if card else _empty_room(W, H)
    if face is not None:
        fh, fw = face.shape[:2]
        x0, y0 = int(at[0] * W - fw / 2), int(at[1] * H - fh / 2)
        sx0, sy0 = max(0, -x0), max(0, -y0)
        x1, y1 = min(W, x0 + fw), min(H, y0 + fh)
        region = face[sy0:sy0 + (y1 - max(0, y0)), sx0:sx0 + (x1 - max(0, x0))]
        if card:
            # the card is held in front of the body: keep it on top
            card_frame = frame.copy()
            frame[max(0, y0):y1, max(0, x0):x1] = region
            mask = np.any(card_frame != _empty_room(W, H), axis=-1)
            frame[mask] = card_frame[mask]
        else:
            frame[max(0, y0):y1, max(0, x0):x1] = region
    return frame


class WorkerVision:
    """Views rendered as images and pushed to a real vision worker process (raw RGB frames)."""

    def __init__(self, gallery: Gallery, today: datetime.date, testdata: Path | None, faces_on: bool = True) -> None:
        from kiosk.vision.worker.client import VisionWorker, WorkerSettings

        self.testdata = testdata
        self.frames = 0
        self.worker = VisionWorker(WorkerSettings(source=None, faces=faces_on, preview_interval_s=0.0),
                                   name="test-kiosk", gallery=gallery, today=lambda: today)
        self.worker.start()
        assert self.worker.wait_ready(120), "the vision worker did not start"

    def render(self, view: View) -> np.ndarray:
        crop = None
        if view.person is not None:
            assert self.testdata is not None, "a face scene needs testdata/faces"
            crop, pts = face_crop(self.testdata, view.person)
            if view.live:
                crop = head_turn(crop, pts, self.frames)
        return scene(crop, view.at, card=view.card, card_at=view.card_at)

    def feed(self, view: View | None, ts: float) -> None:
        """One frame; the worker's observation reaches the flow through the worker's on_observation."""
        self.frames += 1
        if view is None:
            self.worker._deliver(Observation(ts, False))  # a lost frame: what the worker reports for it
            return
        self.worker.process_rgb(self.render(view), ts, timeout=60)

    def close(self) -> None:
        self.worker.stop(5)


# ------------------------------------------------------------------------------------------------
# the kiosk


@dataclass
class Kiosk:
    """One kiosk over a real store: the flow driven view by view through a vision back-end."""

    tmp: Path
    clock: FakeClock
    store: Any
    engine: QueueEngine
    citizens: CitizenRegistry
    gallery: Gallery
    vision: Any
    flow: KioskFlow
    t: float = 1000.0
    states: list[str] = field(default_factory=list)

    def feed(self, view: View | None = EMPTY) -> dict[str, Any]:
        """One frame (None: the camera gave none) at the next timestamp; returns the flow's state."""
        self.t += STEP_S
        self.clock.advance(STEP_S)
        if isinstance(self.vision, FakeVision):
            self.flow.on_observation(self.vision.observe(view, self.t))
        else:
            self.vision.feed(view, self.t)
        snap = self.flow.snapshot()
        self.states.append(snap["state"])
        return snap

    def now(self) -> float:
        return self.t

    def tile_centre(self, tile_id: str) -> tuple[float, float]:
        tile = next(t for t in self.flow.tiles() if t.id == tile_id)
        cursor = ((tile.rect[0] + tile.rect[2]) / 2, (tile.rect[1] + tile.rect[3]) / 2)
        return face_from_cursor(cursor, self.flow.settings)

    def close(self) -> None:
        if isinstance(self.vision, WorkerVision):
            self.vision.close()


def make_kiosk(tmp: Path, settings: FlowSettings | None = None, *, worker: bool = False,
               testdata: Path | None = None, faces_on: bool = True) -> Kiosk:
    """A fresh kiosk: two services (HT, DD with a per-person limit of 1 a day), empty gallery; the answers to
    face matches are counted in the store's ``face_checks``.

    ``worker``: through a real vision worker (WorkerVision; call ``close()``), else FakeVision."""
    from kiosk.session.setup import connect_worker

    clock = FakeClock(MORNING)
    store = open_store(tmp / "data")
    with store.transaction() as conn:
        save_service(conn, {"code": "HT", "prefix": "A", "name": "Tư pháp – Hộ tịch"}, True)
        save_service(conn, {"code": "DD", "prefix": "B", "name": "Đất đai", "person_daily_limit": 1}, True)
        save_counter(conn, 1, "Quầy 1", ["HT", "DD"], True)
    engine = QueueEngine(store, clock, QueueSettings())
    citizens = CitizenRegistry(store, Vault(load_or_create_key(tmp / "keys" / "citizen.key")), clock)
    gallery = Gallery()
    vision: Any = WorkerVision(gallery, MORNING.date(), testdata, faces_on) if worker \
        else FakeVision(gallery, MORNING.date())
    forget = vision.worker.forget if worker else (lambda identity: gallery.remove(identity))
    citizens.on_forget(lambda cid: forget(str(cid)))
    kiosk = Kiosk(tmp, clock, store, engine, citizens, gallery, vision, None)  # type: ignore[arg-type]
    side = vision.worker if worker else vision

    def face_check(outcome: str) -> None:
        with store.transaction() as conn:
            record_face_check(conn, outcome, clock.now(), local_day(clock))

    kiosk.flow = KioskFlow(citizens=citizens, engine=engine, clock=kiosk.now, consent_text_version="test-v1",
                           settings=settings or FlowSettings(), templates_of=side.templates_of,
                           on_enrolled=lambda cid, templates: side.enrol(str(cid), templates),
                           appointments=Appointments(engine), on_face_check=face_check)
    if worker:
        connect_worker(kiosk.flow, vision.worker)
    return kiosk


# ------------------------------------------------------------------------------------------------
# scenario steps


def walk(k: Kiosk, person: str, start: tuple[float, float], end: tuple[float, float],
         step_px: float = 30.0) -> dict[str, Any]:
    """Move the face from ``start`` to ``end`` (frame fractions) in small steps (the tracker follows)."""
    dist = np.hypot((end[0] - start[0]) * W, (end[1] - start[1]) * H)
    n = max(1, int(np.ceil(dist / step_px)))
    snap: dict[str, Any] = {}
    for i in range(1, n + 1):
        a = i / n
        snap = k.feed(View(person, (start[0] + (end[0] - start[0]) * a, start[1] + (end[1] - start[1]) * a)))
    return snap


def dwell(k: Kiosk, person: str, tile_id: str, frm: tuple[float, float], until: str | None = None,
          max_frames: int = 15) -> tuple[dict[str, Any], tuple[float, float]]:
    """Point at a tile by moving the face there and hold still until the state changes."""
    target = k.tile_centre(tile_id)
    before = k.flow.state
    snap = walk(k, person, frm, target)
    for _ in range(max_frames):
        if snap["state"] != before and (until is None or snap["state"] == until):
            break
        snap = k.feed(View(person, target))
    return snap, target


def enter_live(k: Kiosk, person: str, at: tuple[float, float] = CENTRE, frames: int = 8) -> dict[str, Any]:
    """A person steps up and turns the head a little (live)."""
    snap: dict[str, Any] = {}
    for _ in range(frames):
        snap = k.feed(View(person, at))
    return snap


def leave(k: Kiosk, frames: int = 25) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for _ in range(frames):
        snap = k.feed(EMPTY)
    return snap


def first_visit(k: Kiosk, person: str, card: str = CARD, consent: str = "consent:yes",
                service: str = "svc:DD") -> tuple[dict[str, Any], tuple[float, float], dict[str, Any]]:
    """Idle -> face -> card (two reads) -> consent answer by dwell -> service by dwell -> ticket."""
    for _ in range(3):
        assert k.feed(EMPTY)["state"] == "idle"
    assert enter_live(k, person)["state"] == "present"
    snap: dict[str, Any] = {}
    for _ in range(3):
        snap = k.feed(View(person, CENTRE, card=card))
    assert snap["state"] == "consent"
    assert snap["consent_text"]["vi"] and {t["id"] for t in snap["tiles"]} == {"consent:yes", "consent:no"}
    snap, pos = dwell(k, person, consent, CENTRE)
    after_consent = snap
    if snap["state"] == "enrolling":
        for _ in range(5):
            snap = k.feed(View(person, pos))
            if snap["state"] != "enrolling":
                break
    if snap["state"] == "priority":
        return snap, pos, after_consent
    walk(k, person, pos, CENTRE)
    snap, pos = dwell(k, person, service, CENTRE, until="ticket")
    return snap, pos, after_consent


def recognised(k: Kiosk, person: str, answer: str = "confirm:yes", at: tuple[float, float] = CENTRE,
               until: str | None = None) -> tuple[dict[str, Any], dict[str, Any], tuple[float, float]]:
    """A returning citizen steps up: recognised, asked "Đúng là Quý khách?", answers by dwell.

    Returns (the confirm screen, the state after the answer, where the face is)."""
    confirm = enter_live(k, person, at)
    assert confirm["state"] == "confirm", confirm["state"]
    snap, pos = dwell(k, person, answer, at, until=until)
    return confirm, snap, pos


def until(pred, timeout: float = 20.0, what: str = "condition"):
    """The first true value of ``pred()``, polled every 20 ms; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {timeout} s")
