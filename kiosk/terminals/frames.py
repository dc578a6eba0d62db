"""The checks a browser camera frame passes before it reaches a terminal's vision worker.

``kiosk_frame`` carries ``{"seq": int, "jpeg": <bytes>}``. A frame is refused (and changes nothing) when it
is not a JPEG, is larger than ``MAX_FRAME_BYTES`` or ``MAX_WIDTH`` x ``MAX_HEIGHT``, or comes faster than the
rate the server asked (``kiosk_rate``) allows. The rate check is a token bucket refilled at 1.5 times the
highest rate asked in the last ``RATE_MEMORY_S`` (a page learns of a lower rate a moment late), holding
``BURST`` frames. Pure Python with an injected clock; the header is parsed here, the image is decoded
only in the worker.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["BURST", "FrameGate", "FrameRefused", "MAX_FRAME_BYTES", "MAX_HEIGHT", "MAX_WIDTH", "jpeg_size"]

MAX_FRAME_BYTES = 300 * 1024
MAX_WIDTH, MAX_HEIGHT = 1280, 720
BURST = 3.0
SLACK = 1.5
RATE_MEMORY_S = 3.0


class FrameRefused(ValueError):
    """A frame that is not accepted: ``code`` is not_jpeg, too_large, too_frequent, bad_message or camera_off."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a whole JPEG from its start-of-frame header, without decoding it (the worker's
    own checks: kiosk.vision.worker.protocol.check_jpeg and presence.jpeg_size); FrameRefused("not_jpeg")."""
    from kiosk.vision.worker import presence
    from kiosk.vision.worker.protocol import FrameError, check_jpeg

    try:
        check_jpeg(data)
    except FrameError as exc:
        raise FrameRefused("not_jpeg", str(exc)) from None
    size = presence.jpeg_size(data)
    if size is None:
        raise FrameRefused("not_jpeg", "the JPEG image has no frame header")
    return size


@dataclass
class _Bucket:
    tokens: float = BURST
    at: float = 0.0


class FrameGate:
    """Checks the frames of one terminal; ``asked(fps)`` is told each rate sent to the page."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._asked: deque[tuple[float, float]] = deque()  # (since, fps)
        self._bucket = _Bucket(at=clock())
        self._lock = threading.Lock()
        self.refused: dict[str, int] = {}

    def asked(self, fps: float) -> None:
        with self._lock:
            now = self.clock()
            self._asked.append((now, float(fps)))
            while len(self._asked) > 1 and now - self._asked[1][0] > RATE_MEMORY_S:
                self._asked.popleft()

    def _allowed_fps(self, now: float) -> float:
        while len(self._asked) > 1 and now - self._asked[1][0] > RATE_MEMORY_S:
            self._asked.popleft()
        return max((fps for _, fps in self._asked), default=0.0)

    def check(self, data: Any) -> bytes:
        """The JPEG bytes of an acceptable ``kiosk_frame`` payload, or FrameRefused. Counts a refusal;
        an accepted frame takes one token of the rate bucket."""
        try:
            return self._check(data)
        except FrameRefused as exc:
            with self._lock:
                self.refused[exc.code] = self.refused.get(exc.code, 0) + 1
            raise

    def _check(self, data: Any) -> bytes:
        if not isinstance(data, dict) or set(data) - {"seq", "jpeg"}:
            raise FrameRefused("bad_message", 'send {"seq": N, "jpeg": <binary JPEG>}')
        seq, jpeg = data.get("seq"), data.get("jpeg")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**53:
            raise FrameRefused("bad_message", "seq must be a whole number")
        if not isinstance(jpeg, bytes | bytearray):
            raise FrameRefused("not_jpeg", "jpeg must be the binary JPEG image")
        if len(jpeg) > MAX_FRAME_BYTES:
            raise FrameRefused("too_large", f"a frame may be at most {MAX_FRAME_BYTES // 1024} KB, "
                                            f"not {len(jpeg) // 1024} KB")
        jpeg = bytes(jpeg)
        width, height = jpeg_size(jpeg)
        if width > MAX_WIDTH or height > MAX_HEIGHT:
            raise FrameRefused("too_large", f"a frame may be at most {MAX_WIDTH}x{MAX_HEIGHT}, not {width}x{height}")
        with self._lock:
            now = self.clock()
            fps = self._allowed_fps(now)
            if fps <= 0:
                raise FrameRefused("camera_off", "this terminal does not take browser frames now")
            b = self._bucket
            b.tokens = min(BURST, b.tokens + (now - b.at) * fps * SLACK)
            b.at = now
            if b.tokens < 1.0:
                raise FrameRefused("too_frequent", f"frames come faster than the {fps:g} a second asked")
            b.tokens -= 1.0
        return jpeg
