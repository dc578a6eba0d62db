"""The presence gate of the vision worker: an empty hall costs a motion check, not the QR ladder and dlib.

With nobody in front of the camera the worker looks at ``presence_fps`` frames a second (default 2)
and on each runs only this check: the frame downscaled to 160 px wide, grey, blurred, and compared
with the previous sample; when more than ``min_fraction`` of its pixels changed by more than
``pixel_delta`` grey levels, something moved. The full pipeline (QR ladder + face detection,
tracking, liveness, encoding) then runs at ``max_fps`` on every frame, including the one that
moved, and keeps running while

- the service says a session is active (``session``: the kiosk flow is not idle), or
- anything was seen or moved within the last ``hold_s`` seconds: motion, a face, a card or its
  outline, a QR label, a card read waiting for its second read.

The first sample counts as motion, and one full frame runs every ``recheck_s`` (10 s) even when
nothing moved: a citizen who stood perfectly still while the worker (re)started is found all the
same. A citizen who walks up is seen at the next sample (<= 1 / presence_fps later); one standing
still stays in the full pipeline because the face detector keeps seeing the face.
Frames stay in memory: the gate keeps one small grey image, the previous sample.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["GateSettings", "PresenceGate", "jpeg_size", "small_from_jpeg", "small_from_rgb"]

SMALL_WIDTH = 160


@dataclass(frozen=True)
class GateSettings:
    """presence_fps: cheap checks a second while nobody is there. max_fps: full frames a second.
    hold_s: how long the full pipeline keeps running after the last thing seen. recheck_s: a full
    frame at least this often. pixel_delta / min_fraction: what counts as motion (grey levels;
    fraction of the small image's pixels)."""

    presence_fps: float = 2.0
    max_fps: float = 10.0
    hold_s: float = 2.0
    recheck_s: float = 10.0
    pixel_delta: int = 18
    min_fraction: float = 0.002


def _shrink(gray: np.ndarray) -> np.ndarray:
    import cv2

    h, w = gray.shape[:2]
    size = (SMALL_WIDTH, max(1, round(SMALL_WIDTH * h / w)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA) if (w, h) != size else gray
    return cv2.GaussianBlur(small, (5, 5), 0)


def small_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """The gate's small grey image of an RGB frame (a strided subsample first: about 0.2 ms at 1280x720)."""
    import cv2

    step = max(1, rgb.shape[1] // (2 * SMALL_WIDTH))
    sub = np.ascontiguousarray(rgb[::step, ::step])
    return _shrink(cv2.cvtColor(sub, cv2.COLOR_RGB2GRAY))


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame marker, without decoding it (None if not found)."""
    pos = 2
    n = len(data)
    while pos + 9 < n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = (data[pos + 2] << 8) | data[pos + 3]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h = (data[pos + 5] << 8) | data[pos + 6]
            w = (data[pos + 7] << 8) | data[pos + 8]
            return (w, h) if w and h else None
        pos += 2 + length
    return None


def small_from_jpeg(data: bytes) -> np.ndarray:
    """The gate's small grey image of a JPEG, decoded at a quarter of its size (libjpeg's DCT scaling:
    a few times cheaper than a full decode). Raises ValueError for bytes that do not decode."""
    import cv2

    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_4)
    if gray is None or gray.ndim != 2 or min(gray.shape) < 4:
        raise ValueError("the JPEG image could not be decoded")
    return _shrink(gray)


class PresenceGate:
    """Decides, frame by frame, whether the full pipeline runs (timestamps in seconds)."""

    def __init__(self, settings: GateSettings | None = None) -> None:
        self.settings = settings or GateSettings()
        self._prev: np.ndarray | None = None
        self._active_until = -1e18
        self._last_check = -1e18
        self._last_full = -1e18
        self.motion_fraction = 0.0
        self.checks = 0

    # -- rates ---------------------------------------------------------------------------
    def full_wanted(self, now: float, session_active: bool) -> bool:
        """True while the full pipeline should run on every frame (at max_fps)."""
        return session_active or now < self._active_until

    def period(self, now: float, session_active: bool) -> float:
        """Seconds until the next frame is wanted."""
        s = self.settings
        return 1.0 / (s.max_fps if self.full_wanted(now, session_active) else s.presence_fps)

    def due(self, now: float, session_active: bool) -> bool:
        """Whether a frame arriving now (a pushed one) should be looked at, at the current rate.

        Allows 20 % of jitter, so frames pushed at exactly the rate are not skipped."""
        last = self._last_full if self.full_wanted(now, session_active) else self._last_check
        return now - last >= 0.8 * self.period(now, session_active)

    # -- the check -----------------------------------------------------------------------
    def moved(self, small: np.ndarray, now: float) -> bool:
        """Compare the small image with the previous sample; motion extends the hold."""
        import cv2

        self.checks += 1
        self._last_check = now
        prev, self._prev = self._prev, small
        if prev is None or prev.shape != small.shape:
            self.motion_fraction = 1.0  # the first look, or another camera size: look properly
        else:
            diff = cv2.absdiff(small, prev)
            self.motion_fraction = float(np.count_nonzero(diff > self.settings.pixel_delta)) / diff.size
        moved = self.motion_fraction >= self.settings.min_fraction
        if moved:
            self.hold(now)
        elif now - self._last_full >= self.settings.recheck_s:
            self._active_until = max(self._active_until, now + 1e-6)  # this one frame, full
        return moved

    def hold(self, now: float) -> None:
        """Something is there: keep the full pipeline running for hold_s."""
        self._active_until = max(self._active_until, now + self.settings.hold_s)

    def saw(self, obs: Any, now: float) -> None:
        """After a full frame: anything in view extends the hold."""
        self._last_full = now
        if obs.faces or obs.card_seen or obs.card_outline is not None or obs.label is not None \
                or obs.card_pending or obs.card_error is not None:
            self.hold(now)

    def state(self, now: float, session_active: bool) -> str:
        return "full" if self.full_wanted(now, session_active) else "idle"
