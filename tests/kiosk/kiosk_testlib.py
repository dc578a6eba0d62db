"""Helpers of the kiosk flow tests: a real store, engine and citizens registry in tmp_path, and camera
scenes composed in memory from testdata/faces photos and generated CCCD cards."""
from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.citizens.crypto import Vault, load_or_create_key
from kiosk.citizens.registry import CitizenRegistry
from kiosk.queue.appointments import Appointments
from kiosk.queue.catalog import save_counter, save_service
from kiosk.queue.clock import FakeClock, centre_timezone
from kiosk.queue.engine import QueueEngine, QueueSettings
from kiosk.session.flow import FlowSettings, KioskFlow, face_from_cursor
from kiosk.store import open_store
from kiosk.vision import faces
from kiosk.vision.card_confirm import CardConfirmer
from kiosk.vision.gallery import Gallery
from kiosk.vision.pipeline import PipelineSettings, VisionPipeline
from kiosk.vision.sources import _empty_room, demo_card_frame
from kiosk.vision.tracker import FaceObserver

W, H = 960, 540
STEP_S = 0.2  # seconds between frames
FACE_W = 170  # face box width in the frame, px
MORNING = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=centre_timezone())

# Invented card payloads (no real person): a 1990 citizen and a 1950 one (elderly proposal).
CARD = "079090001234||Trần Thị Bình|02031990|Nữ|12 Lê Lợi, Phường Bến Nghé, TP Hồ Chí Minh|10052021"
CARD_ELDER = "001050007777|012345678|Lê Văn Cường|20101950|Nam|5 Hàng Bạc, Hoàn Kiếm, Hà Nội|01072021"


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


@dataclass
class Kiosk:
    """One kiosk over a real store: the flow driven frame by frame through the real pipeline."""

    tmp: Path
    clock: FakeClock
    store: Any
    engine: QueueEngine
    citizens: CitizenRegistry
    gallery: Gallery
    pipeline: VisionPipeline
    flow: KioskFlow
    t: float = 1000.0
    states: list[str] = field(default_factory=list)

    def feed(self, frame: np.ndarray | None) -> dict[str, Any]:
        """One frame (None: the camera gave none) at the next timestamp; returns the flow's state."""
        self.t += STEP_S
        self.clock.advance(STEP_S)
        obs = self.pipeline.lost(self.t) if frame is None else self.pipeline.process(frame, self.t)
        self.flow.on_observation(obs)
        snap = self.flow.snapshot()
        self.states.append(snap["state"])
        return snap

    def now(self) -> float:
        return self.t

    def tile_centre(self, tile_id: str) -> tuple[float, float]:
        tile = next(t for t in self.flow.tiles() if t.id == tile_id)
        cursor = ((tile.rect[0] + tile.rect[2]) / 2, (tile.rect[1] + tile.rect[3]) / 2)
        return face_from_cursor(cursor, self.flow.settings)


def make_kiosk(tmp: Path, settings: FlowSettings | None = None) -> Kiosk:
    """A fresh kiosk: two services (HT, DD with a per-person limit of 1 a day), empty gallery."""
    clock = FakeClock(MORNING)
    store = open_store(tmp / "data")
    with store.transaction() as conn:
        save_service(conn, {"code": "HT", "prefix": "A", "name": "Tư pháp – Hộ tịch"}, True)
        save_service(conn, {"code": "DD", "prefix": "B", "name": "Đất đai", "person_daily_limit": 1}, True)
        save_counter(conn, 1, "Quầy 1", ["HT", "DD"], True)
    engine = QueueEngine(store, clock, QueueSettings())
    citizens = CitizenRegistry(store, Vault(load_or_create_key(tmp / "keys" / "citizen.key")), clock)
    gallery = Gallery()
    citizens.on_forget(lambda cid: gallery.remove(str(cid)))
    pipeline = VisionPipeline(FaceObserver(gallery), confirmer=CardConfirmer(),
                              settings=PipelineSettings(preview_interval_s=0.0),
                              today=lambda: MORNING.date())
    kiosk = Kiosk(tmp, clock, store, engine, citizens, gallery, pipeline, None)  # type: ignore[arg-type]

    def enrolled(cid: int, templates: list[np.ndarray]) -> None:
        gallery.add_many(str(cid), templates)

    kiosk.flow = KioskFlow(citizens=citizens, engine=engine, clock=kiosk.now, consent_text_version="test-v1",
                           settings=settings or FlowSettings(), templates_of=pipeline.templates_of,
                           on_enrolled=enrolled, appointments=Appointments(engine))
    return kiosk


def walk(k: Kiosk, crop: np.ndarray, start: tuple[float, float], end: tuple[float, float],
         step_px: float = 30.0) -> dict[str, Any]:
    """Move the face from ``start`` to ``end`` (frame fractions) in small steps (the tracker follows)."""
    dist = np.hypot((end[0] - start[0]) * W, (end[1] - start[1]) * H)
    n = max(1, int(np.ceil(dist / step_px)))
    snap: dict[str, Any] = {}
    for i in range(1, n + 1):
        a = i / n
        snap = k.feed(scene(crop, (start[0] + (end[0] - start[0]) * a, start[1] + (end[1] - start[1]) * a)))
    return snap


def dwell(k: Kiosk, crop: np.ndarray, tile_id: str, frm: tuple[float, float], until: str | None = None,
          max_frames: int = 15) -> tuple[dict[str, Any], tuple[float, float]]:
    """Point at a tile by moving the face there and hold still until the state changes."""
    target = k.tile_centre(tile_id)
    before = k.flow.state
    snap = walk(k, crop, frm, target)
    for _ in range(max_frames):
        if snap["state"] != before and (until is None or snap["state"] == until):
            break
        snap = k.feed(scene(crop, target))
    return snap, target


def enter_live(k: Kiosk, crop: np.ndarray, points: np.ndarray, at: tuple[float, float] = (0.5, 0.5),
               frames: int = 8) -> dict[str, Any]:
    """A person steps up and turns the head a little (live)."""
    snap: dict[str, Any] = {}
    for i in range(frames):
        snap = k.feed(scene(head_turn(crop, points, i), at))
    return snap


def leave(k: Kiosk, frames: int = 25) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for _ in range(frames):
        snap = k.feed(scene())
    return snap
