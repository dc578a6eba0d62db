"""CPU-only presentation-attack check for one tracked face (printed photo, phone or tablet screen).

Two cues, both cheap (the 68 landmarks are computed for the quality check anyway):

1. Non-rigid motion over a short sequence. Every view of a flat picture, however it is moved,
   tilted or turned in front of the camera, is the same picture under a homography (a planar
   projective transform). A real head is not flat: when it turns a little, the nose moves off the
   plane of the brows, eyes and mouth corners (parallax). For each frame we fit a homography on those
   landmarks from the first frame of the window and measure how far the nose landmarks are from where
   it puts them (``parallax``). A blink, from the eye aspect ratio dropping and recovering, also
   counts as live.
2. A screen cue on a single frame: re-captured displays show moire, periodic peaks in the
   spectrum of the face region that a camera looking at skin does not produce. This cue can only veto,
   and is off by default: measured, it did not separate screens from ordinary photos.

Verdicts: "live" once non-rigid motion or a blink has been seen (and no screen veto); "spoof" when the
screen cue fires, or when the face moved as a whole (rigid motion well above landmark noise) for long
enough without any non-rigid change; otherwise "pending" (the kiosk asks the citizen to blink or turn
the head a little). What this does not stop is written in docs/faces.md.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.vision.faces import FaceBox

LIVE, SPOOF, PENDING = "live", "spoof", "pending"

_RIGHT_EYE = slice(36, 42)
_LEFT_EYE = slice(42, 48)


@dataclass(frozen=True)
class LivenessRules:
    """Thresholds of the liveness check (measured on generated sequences, see docs/faces.md).

    window_s: how far back the sequence cues look. min_frames: usable frames needed for any verdict.
    parallax_live: nose parallax (x inter-ocular distance) that counts as a real head, when reached
    in at least ``parallax_frames`` frames of the window (one noisy frame is not enough).
    rigid_motion: mean landmark displacement (x inter-ocular distance) that counts as the face moving.
    blink_ratio: EAR below this fraction of the open-eye EAR is a closed eye.
    max_abs_yaw: frames with a more turned face are skipped (landmarks too noisy).
    moire_spoof: moire score (dB) above which ``moire_frames`` frames in a row are taken for a
    screen; None disables the veto (the default: it did not separate screens from photos, docs/faces.md).
    """

    window_s: float = 3.0
    min_frames: int = 4
    parallax_live: float = 0.045
    parallax_frames: int = 2
    rigid_motion: float = 0.15
    blink_ratio: float = 0.6
    max_abs_yaw: float = 0.35
    moire_spoof: float | None = None
    moire_frames: int = 3


DEFAULT_LIVENESS_RULES = LivenessRules()


@dataclass(frozen=True)
class LivenessVerdict:
    """state: "live", "spoof" or "pending"; reason: what decided it; the measured cues."""

    state: str
    reason: str
    nonrigid: float
    motion: float
    blink: bool
    moire: float
    frames: int

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason, "nonrigid": round(self.nonrigid, 4),
                "motion": round(self.motion, 4), "blink": self.blink, "moire": round(self.moire, 2),
                "frames": self.frames}


def inter_ocular(points: np.ndarray) -> float:
    """Distance between the eye centres of 68 landmarks (pixels)."""
    return float(np.linalg.norm(points[_RIGHT_EYE].mean(axis=0) - points[_LEFT_EYE].mean(axis=0)))


def eye_aspect_ratio(points: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes (Soukupova and Cech 2016): about 0.3 open, under 0.15 closed."""
    def one(eye: np.ndarray) -> float:
        v = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
        h = np.linalg.norm(eye[0] - eye[3])
        return float(v / (2.0 * h)) if h > 0 else 0.0

    return (one(points[_RIGHT_EYE]) + one(points[_LEFT_EYE])) / 2.0


# brows, eyes and mouth corners lie close to one plane; the nose sticks out of it by 2-3 cm
_PLANE = list(range(17, 27)) + list(range(36, 48)) + [48, 54]
_NOSE = [30, 31, 32, 33, 34, 35]


def parallax(ref: np.ndarray, cur: np.ndarray) -> float:
    """How far the nose moved off the face plane between two frames (x inter-ocular distance of ref).

    A homography is fitted on the brow, eye and mouth-corner landmarks from ``ref`` to ``cur`` and the
    RMS error of the nose landmarks under it is returned. Any view of a flat picture is exactly such a
    homography, so this stays at landmark noise (about 0.01-0.03); a real head turning by 10 degrees
    moves the nose about 0.1 inter-ocular distances off the plane.
    """
    import cv2

    iod = inter_ocular(ref)
    if iod <= 1.0:
        return 0.0
    h, _ = cv2.findHomography(ref[_PLANE].astype(np.float64), cur[_PLANE].astype(np.float64), 0)
    if h is None:
        return 0.0
    proj = cv2.perspectiveTransform(ref[_NOSE].reshape(-1, 1, 2).astype(np.float64), h).reshape(-1, 2)
    return float(np.sqrt(np.mean(np.sum((proj - cur[_NOSE]) ** 2, axis=1))) / iod)


def rigid_motion(ref: np.ndarray, cur: np.ndarray) -> float:
    """Mean landmark displacement between two frames (x inter-ocular distance of ``ref``)."""
    iod = inter_ocular(ref)
    if iod <= 1.0:
        return 0.0
    return float(np.mean(np.linalg.norm(cur - ref, axis=1)) / iod)


def moire_score(rgb: np.ndarray, box: FaceBox) -> float:
    """Strength of isolated periodic peaks in the spectrum of the face's central region.

    The central half of the box, at native resolution (moire is finer than any downscale keeps), grey,
    windowed; the score is the largest high-frequency spectral peak over the median of its ring of
    frequencies, in dB. JPEG's 8-pixel block grid is masked out.
    """
    h, w = rgb.shape[:2]
    cx, cy = box.center
    half = max(16, min(box.width, box.height) // 4)
    x0, x1 = int(max(0, cx - half)), int(min(w, cx + half))
    y0, y1 = int(max(0, cy - half)), int(min(h, cy + half))
    crop = rgb[y0:y1, x0:x1].astype(np.float32)
    if crop.shape[0] < 32 or crop.shape[1] < 32:
        return 0.0
    gray = crop @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    n = min(gray.shape)
    gray = gray[:n, :n] - gray[:n, :n].mean()
    win = np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)
    spec = np.abs(np.fft.fftshift(np.fft.fft2(gray * win)))
    yy, xx = np.mgrid[0:n, 0:n]
    fy, fx = (yy - n // 2) / n, (xx - n // 2) / n
    radius = np.hypot(fx, fy)
    band = (radius > 0.15) & (radius < 0.45)
    # 8x8 JPEG blocks put peaks at multiples of 1/8 cycles per pixel on both axes
    for k in (-4, -3, -2, -1, 1, 2, 3, 4):
        band &= ~((np.abs(fx - k / 8) < 1.5 / n) | (np.abs(fy - k / 8) < 1.5 / n))
    if not band.any():
        return 0.0
    vals = spec[band]
    log = 20.0 * np.log10(vals + 1e-6)
    return float(log.max() - np.median(log))


class LivenessChecker:
    """Liveness of one tracked face, fed its landmarks (and optionally a moire score) frame by frame."""

    def __init__(self, rules: LivenessRules = DEFAULT_LIVENESS_RULES) -> None:
        self.rules = rules
        self._frames: deque[tuple[float, np.ndarray]] = deque()
        self._moire: deque[float] = deque(maxlen=max(1, rules.moire_frames))
        self._live_seen = False
        self._live_reason = ""
        self._best_nonrigid = 0.0
        self._blink = False
        self._open_ear: float | None = None
        self._closed = False
        self._verdict = LivenessVerdict(PENDING, "collecting", 0.0, 0.0, False, 0.0, 0)

    @property
    def verdict(self) -> LivenessVerdict:
        return self._verdict

    def update(self, timestamp: float, points: np.ndarray, moire: float | None = None) -> LivenessVerdict:
        """Add one frame's 68 landmarks (and optionally its moire score); return the current verdict."""
        from kiosk.vision.faces import pose_from_landmarks

        points = np.asarray(points, dtype=np.float64)
        if points.shape != (68, 2) or not np.all(np.isfinite(points)):
            raise ValueError(f"landmarks must be a finite array of shape (68, 2), not {points.shape}")
        r = self.rules
        yaw, _ = pose_from_landmarks(points)
        if abs(yaw) <= r.max_abs_yaw:
            self._frames.append((float(timestamp), points))
            self._update_blink(points)
        while self._frames and timestamp - self._frames[0][0] > r.window_s:
            self._frames.popleft()
        if moire is not None:
            self._moire.append(float(moire))
        n = len(self._frames)
        par = sorted(parallax(self._frames[0][1], p) for _, p in self._frames) if n else [0.0]
        # the k-th largest parallax: reached in at least k frames
        par_k = par[-r.parallax_frames] if len(par) >= r.parallax_frames else 0.0
        motion = max((rigid_motion(self._frames[0][1], p) for _, p in self._frames), default=0.0)
        self._best_nonrigid = max(self._best_nonrigid, par_k)
        # the screen cue needs several frames in a row: one noisy frame must not condemn a citizen
        moire_now = min(self._moire) if len(self._moire) == self._moire.maxlen else 0.0
        if n >= r.min_frames and not self._live_seen:
            if par_k >= r.parallax_live:
                self._live_seen, self._live_reason = True, "head_parallax"
            elif self._blink:
                self._live_seen, self._live_reason = True, "blink"
        if r.moire_spoof is not None and moire_now >= r.moire_spoof:
            state, reason = SPOOF, "screen_moire"
        elif self._live_seen:
            state, reason = LIVE, self._live_reason
        elif n >= r.min_frames and motion >= r.rigid_motion:
            state, reason = SPOOF, "flat_motion"
        else:
            state, reason = PENDING, "collecting" if n < r.min_frames else "no_live_motion_yet"
        self._verdict = LivenessVerdict(state, reason, self._best_nonrigid, motion, self._blink,
                                        moire_now, n)
        return self._verdict

    def _update_blink(self, points: np.ndarray) -> None:
        ear = eye_aspect_ratio(points)
        # slow running estimate of the open-eye EAR; a closed eye then an open one is a blink
        if self._open_ear is None:
            self._open_ear = ear
            return
        if ear > self._open_ear:
            self._open_ear = ear if not self._closed else max(self._open_ear, ear)
        else:
            self._open_ear = 0.9 * self._open_ear + 0.1 * ear if not self._closed else self._open_ear
        if ear < self.rules.blink_ratio * self._open_ear:
            self._closed = True
        elif self._closed and ear > 0.85 * self._open_ear:
            self._closed = False
            self._blink = True
