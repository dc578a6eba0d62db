"""Track faces across camera frames and turn them into identity decisions, encoding sparingly.

``FaceObserver.observe(frame, timestamp)`` is the per-frame entry point of the kiosk's face part:
detect on a downscaled copy, follow each face from frame to frame (``FaceTracker``, by box overlap),
judge its quality, feed its landmarks to the liveness check, and encode it only when its quality is
good and its identity is still undecided: at most ``max_encodings`` times per tracked face, at least
``encode_interval_s`` apart, never every frame. An identity is decided when ``agreement_frames``
successive encodings are accepted as the same identity by the gallery's decision rule.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.vision import faces
from kiosk.vision.faces import FaceBox, Quality, QualityRules
from kiosk.vision.gallery import DecisionRule, Gallery, Match
from kiosk.vision.liveness import DEFAULT_LIVENESS_RULES, LivenessChecker, LivenessRules, LivenessVerdict

PENDING, IDENTIFIED, UNKNOWN = "pending", "identified", "unknown"


@dataclass
class Track:
    """One face followed across frames (internal state of the tracker and observer)."""

    track_id: int
    box: FaceBox
    first_seen: float
    last_seen: float
    hits: int = 1
    landmarks: np.ndarray | None = None
    quality: Quality | None = None
    templates: list[np.ndarray] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    last_encoded: float | None = None
    decision: str = PENDING
    identity: str | None = None
    distance: float | None = None
    liveness: LivenessChecker | None = None


class FaceTracker:
    """Associates the boxes of each frame with the tracks of the previous ones (greedy, by IoU).

    A track not seen for ``max_missing_s`` is dropped; a box that overlaps no track starts a new one.
    Track ids count up from ``first_id`` (the vision worker starts each of its processes at a new
    base, so an id never comes back after a restart).
    """

    def __init__(self, min_iou: float = 0.3, max_missing_s: float = 1.0, first_id: int = 1) -> None:
        self.min_iou = min_iou
        self.max_missing_s = max_missing_s
        self.tracks: dict[int, Track] = {}
        self._ids = itertools.count(first_id)

    def update(self, boxes: list[FaceBox], timestamp: float) -> list[Track]:
        """Match ``boxes`` to tracks; returns the track of each box, in the order of ``boxes``."""
        pairs = sorted(((b.iou(t.box), i, tid) for i, b in enumerate(boxes) for tid, t in self.tracks.items()),
                       reverse=True)
        assigned: dict[int, int] = {}
        used: set[int] = set()
        for iou, i, tid in pairs:
            if iou < self.min_iou:
                break
            if i in assigned or tid in used:
                continue
            assigned[i] = tid
            used.add(tid)
        out = []
        for i, box in enumerate(boxes):
            if i in assigned:
                track = self.tracks[assigned[i]]
                track.box, track.last_seen, track.hits = box, timestamp, track.hits + 1
            else:
                track = Track(next(self._ids), box, timestamp, timestamp)
                self.tracks[track.track_id] = track
            out.append(track)
        for tid in [tid for tid, t in self.tracks.items() if timestamp - t.last_seen > self.max_missing_s]:
            del self.tracks[tid]
        return out

    def reset(self) -> None:
        """Forget every track (the kiosk calls it when a session ends)."""
        self.tracks.clear()


@dataclass(frozen=True)
class FaceReport:
    """One tracked face in one frame.

    decision: "pending" (still looking), "identified" (``identity`` is set) or "unknown" (not enrolled
    or not recognised after ``max_encodings`` tries). ``accepted`` is what the kiosk acts on: identified
    AND liveness "live". ``encoded`` tells whether this frame paid for an encoding.
    """

    track_id: int
    box: FaceBox
    quality: Quality
    decision: str
    identity: str | None
    distance: float | None
    liveness: LivenessVerdict
    encoded: bool

    @property
    def accepted(self) -> bool:
        return self.decision == IDENTIFIED and self.liveness.state == "live"

    def to_dict(self) -> dict[str, Any]:
        return {"track_id": self.track_id, "box": list(self.box.as_tuple()), "quality": self.quality.to_dict(),
                "decision": self.decision, "identity": self.identity,
                "distance": None if self.distance is None else round(self.distance, 4),
                "liveness": self.liveness.to_dict(), "accepted": self.accepted}


@dataclass(frozen=True)
class FrameResult:
    """What one frame produced: its faces (largest first) and the processing time."""

    timestamp: float
    faces: list[FaceReport]
    ms: float

    @property
    def primary(self) -> FaceReport | None:
        """The largest face: the citizen standing at the kiosk."""
        return self.faces[0] if self.faces else None


class FaceObserver:
    """Per-frame face pipeline of the kiosk: feed RGB frames with a timestamp (seconds).

    ``gallery`` may be shared with the enrolment code; it is read at each encoding, so a citizen
    enrolled during a session is found by the next encoding. ``templates_of(track_id)`` returns the
    templates taken of a tracked face, which the kiosk may enrol after the citizen's consent.
    """

    def __init__(self, gallery: Gallery, rule: DecisionRule | None = None,
                 quality_rules: QualityRules = faces.DEFAULT_QUALITY_RULES,
                 liveness_rules: LivenessRules = DEFAULT_LIVENESS_RULES,
                 detect_max_side: int | None = faces.KIOSK_DETECT_MAX_SIDE,
                 detect_upsample: int = faces.KIOSK_DETECT_UPSAMPLE,
                 max_faces: int = 3, max_encodings: int = 4, encode_interval_s: float = 0.25) -> None:
        self.gallery = gallery
        self.rule = rule or gallery.rule
        self.quality_rules = quality_rules
        self.liveness_rules = liveness_rules
        self.detect_max_side = detect_max_side
        self.detect_upsample = detect_upsample
        self.max_faces = max_faces
        self.max_encodings = max_encodings
        self.encode_interval_s = encode_interval_s
        self.tracker = FaceTracker()

    def observe(self, frame: Any, timestamp: float) -> FrameResult:
        """Process one frame; raises faces.FaceImageError for a frame that is not an image."""
        t0 = time.perf_counter()
        rgb = faces.as_rgb(frame)
        boxes = faces.detect_faces(rgb, self.detect_max_side, self.detect_upsample)[:self.max_faces]
        tracks = self.tracker.update(boxes, timestamp)
        reports = [self._follow(rgb, track, timestamp) for track in tracks]
        return FrameResult(timestamp, reports, (time.perf_counter() - t0) * 1000.0)

    def templates_of(self, track_id: int) -> list[np.ndarray]:
        """Copies of the templates encoded for a live track (empty when it is gone)."""
        track = self.tracker.tracks.get(track_id)
        return [t.copy() for t in track.templates] if track else []

    def reset(self) -> None:
        """Forget all tracks, their templates and liveness evidence."""
        self.tracker.reset()

    def _follow(self, rgb: np.ndarray, track: Track, timestamp: float) -> FaceReport:
        points = faces.landmarks68(rgb, track.box)
        quality = faces.judge_quality(rgb, track.box, points, self.quality_rules)
        track.landmarks, track.quality = points, quality
        if track.liveness is None:
            track.liveness = LivenessChecker(self.liveness_rules)
        moire = None
        if self.liveness_rules.moire_spoof is not None:
            from kiosk.vision.liveness import moire_score

            moire = moire_score(rgb, track.box)
        verdict = track.liveness.update(timestamp, points, moire)
        encoded = False
        if quality.ok and track.decision == PENDING and self._encode_due(track, timestamp):
            self._encode(rgb, track, timestamp)
            encoded = True
        return FaceReport(track.track_id, track.box, quality, track.decision, track.identity,
                          track.distance, verdict, encoded)

    def _encode_due(self, track: Track, timestamp: float) -> bool:
        return track.last_encoded is None or timestamp - track.last_encoded >= self.encode_interval_s

    def _encode(self, rgb: np.ndarray, track: Track, timestamp: float) -> None:
        template = faces.encode_face(rgb, track.box)
        match = self.gallery.match(template, self.rule)
        track.templates.append(template)
        track.matches.append(match)
        track.last_encoded = timestamp
        track.distance = match.distance
        decision, identity = agree(track.matches, self.rule.agreement_frames)
        if decision == IDENTIFIED:
            track.decision, track.identity = IDENTIFIED, identity
        elif len(track.matches) >= self.max_encodings:
            track.decision = UNKNOWN


def agree(matches: list[Match], frames: int) -> tuple[str, str | None]:
    """("identified", identity) when the last ``frames`` matches accepted the same identity,
    else ("pending", None)."""
    if frames < 1 or len(matches) < frames:
        return PENDING, None
    last = matches[-frames:]
    first = last[0].identity
    if first is not None and all(m.accepted and m.identity == first for m in last):
        return IDENTIFIED, first
    return PENDING, None
