"""Frame sources for the kiosk vision pipeline: a local camera or RTSP stream, and scripted sequences.

Every source gives RGB uint8 frames (H, W, 3) from ``read()``, or raises :class:`CameraLost` when no
frame can be had right now. :class:`ReconnectingSource` wraps a camera so that a lost camera is
reopened with an exponential backoff, and reports whether the camera is up, so the kiosk can fall back
to touch and pick the camera up again when it returns. A source may also have ``grab()``: take the
next frame off the device without decoding it (a camera's buffer stays fresh while the vision worker
looks at only a few frames a second).

These are read inside the vision worker process (kiosk.vision.worker), never in the web process.

Frames stay in memory: nothing here writes or logs a frame. Opening a device happens on the first
``read()``, never at import or construction.
"""
from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np

__all__ = [
    "CameraLost",
    "FrameSource",
    "OpenCVSource",
    "ReconnectingSource",
    "ScriptedSource",
    "SourceError",
    "TimedSource",
    "demo_card_frame",
    "demo_payload",
    "demo_sequence",
    "parse_camera_spec",
]


class SourceError(ValueError):
    """A frame source is misconfigured (bad device index, URL or sequence)."""


class CameraLost(RuntimeError):
    """No frame could be read right now (camera unplugged, stream down, end of a sequence)."""


class FrameSource(Protocol):
    """What the pipeline reads from."""

    def read(self) -> np.ndarray:
        """The next RGB frame; raises CameraLost when none can be had."""

    def close(self) -> None:
        """Release the device."""


def parse_camera_spec(value: Any) -> int | str:
    """A camera setting as an OpenCV device index (int >= 0) or a stream URL (rtsp/http/https/file).

    Accepts ints and digit strings ("0") for devices. Raises SourceError with a clear message otherwise.
    """
    if isinstance(value, bool):
        raise SourceError("camera must be a device index (0, 1 …) or an rtsp:// URL, not a boolean")
    if isinstance(value, int):
        if value < 0 or value > 63:
            raise SourceError(f"camera device index must be 0..63, not {value}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return parse_camera_spec(int(text))
        if text.lower().startswith(("rtsp://", "rtsps://", "http://", "https://")):
            return text
        if text.startswith("/dev/video"):
            return text
    raise SourceError(f"camera must be a device index (0, 1 …), /dev/videoN or an rtsp:// URL, not {value!r}")


class OpenCVSource:
    """A local camera (device index or /dev/videoN) or an RTSP/HTTP stream, read with OpenCV.

    The device is opened on the first ``read()``. A failed open or read raises CameraLost (and
    releases the device, so the next read reopens it). Frames are converted from OpenCV's BGR to RGB.
    """

    def __init__(self, spec: int | str, width: int | None = None, height: int | None = None) -> None:
        self.spec = parse_camera_spec(spec)
        self.width = width
        self.height = height
        self._cap: Any = None

    def __repr__(self) -> str:
        # an RTSP URL may carry a password: show only its scheme
        shown = self.spec if isinstance(self.spec, int) else str(self.spec).split("://")[0] + "://…"
        return f"OpenCVSource({shown!r})"

    def _open(self) -> Any:
        import cv2

        cap = cv2.VideoCapture(self.spec)
        if not cap.isOpened():
            cap.release()
            raise CameraLost("the camera could not be opened")
        if self.width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        return cap

    def read(self) -> np.ndarray:
        import cv2

        if self._cap is None:
            self._cap = self._open()
        ok, frame = self._cap.read()
        if not ok or frame is None or frame.ndim != 3:
            self.close()
            raise CameraLost("the camera gave no frame")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def grab(self) -> None:
        """Take the next frame off the device without decoding or converting it (blocks at the
        camera's frame rate); raises CameraLost like ``read``."""
        if self._cap is None:
            self._cap = self._open()
        if not self._cap.grab():
            self.close()
            raise CameraLost("the camera gave no frame")

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class ScriptedSource:
    """Plays a sequence of RGB frames (demo mode, tests). A ``None`` in the sequence is a lost camera.

    ``loop`` starts again at the end; otherwise the end of the sequence reads as a lost camera.
    ``read()`` returns the frames as given (callers must not modify them).
    """

    def __init__(self, frames: Iterable[np.ndarray | None], loop: bool = False) -> None:
        self.frames: list[np.ndarray | None] = list(frames)
        for i, frame in enumerate(self.frames):
            if frame is not None and (not isinstance(frame, np.ndarray) or frame.dtype != np.uint8
                                      or frame.ndim != 3 or frame.shape[2] != 3):
                raise SourceError(f"scripted frame {i} is not an RGB uint8 image (H, W, 3)")
        if not self.frames:
            raise SourceError("a scripted source needs at least one frame")
        self.loop = loop
        self.position = 0
        self._lock = threading.Lock()

    def read(self) -> np.ndarray:
        with self._lock:
            if self.position >= len(self.frames):
                if not self.loop:
                    raise CameraLost("end of the scripted sequence")
                self.position = 0
            frame = self.frames[self.position]
            self.position += 1
        if frame is None:
            raise CameraLost("scripted camera loss")
        return frame

    def close(self) -> None:
        """Nothing to release."""


class TimedSource:
    """Plays a sequence of RGB frames at ``fps`` by the clock (the demo camera): ``read()`` gives the
    frame of the current moment, however often or seldom it is called, so the loop keeps its pace
    whether the vision worker looks at 2 or 10 frames a second. A ``None`` in the sequence is a lost
    camera. ``loop`` starts again at the end; otherwise the end reads as a lost camera.
    """

    def __init__(self, frames: Iterable[np.ndarray | None], fps: float, *, loop: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not fps > 0:
            raise SourceError("a timed source needs fps > 0")
        self._scripted = ScriptedSource(frames, loop=loop)  # checks the frames
        self.frames = self._scripted.frames
        self.fps = float(fps)
        self.loop = loop
        self._clock = clock
        self._t0: float | None = None

    def read(self) -> np.ndarray:
        now = self._clock()
        if self._t0 is None:
            self._t0 = now
        index = int((now - self._t0) * self.fps)
        if index >= len(self.frames):
            if not self.loop:
                raise CameraLost("end of the timed sequence")
            index %= len(self.frames)
        frame = self.frames[index]
        if frame is None:
            raise CameraLost("scripted camera loss")
        return frame

    def close(self) -> None:
        """Nothing to release."""


class ReconnectingSource:
    """Wraps a camera: after a lost frame, waits with an exponential backoff before trying again.

    ``read()`` returns a frame or None (no frame now: lost, or waiting out the backoff; it never
    blocks for the backoff). ``available`` tells whether the last attempt gave a frame, and
    ``on_change(available)`` is called when that flips, so the kiosk can switch to touch and back.
    Backoff: ``initial_s``, doubled after each failed attempt up to ``max_s``; reset by a frame.
    """

    def __init__(self, source: FrameSource, *, initial_s: float = 0.5, max_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[bool], None] | None = None) -> None:
        if initial_s <= 0 or max_s < initial_s:
            raise SourceError("backoff needs 0 < initial_s <= max_s")
        self.source = source
        self.initial_s = initial_s
        self.max_s = max_s
        self._clock = clock
        self.on_change = on_change
        self.available: bool | None = None  # None until the first attempt
        self.delay_s = 0.0
        self.next_try = 0.0
        self.failures = 0

    def read(self) -> np.ndarray | None:
        now = self._clock()
        if now < self.next_try:
            return None
        try:
            frame = self.source.read()
        except CameraLost:
            self._failed(now)
            return None
        self.delay_s, self.next_try = 0.0, 0.0
        self._set(True)
        return frame

    @property
    def can_grab(self) -> bool:
        """The wrapped source has ``grab()`` (a camera; a scripted or timed sequence has not)."""
        return callable(getattr(self.source, "grab", None))

    def grab(self) -> bool:
        """Take a frame off the device without decoding it: True when one was taken; False when
        the source cannot grab, is lost, or waits out the backoff (like ``read``, never blocks for it)."""
        now = self._clock()
        if now < self.next_try or not self.can_grab:
            return False
        try:
            self.source.grab()  # type: ignore[attr-defined]
        except CameraLost:
            self._failed(now)
            return False
        self.delay_s, self.next_try = 0.0, 0.0
        self._set(True)
        return True

    def _failed(self, now: float) -> None:
        self.failures += 1
        self.delay_s = self.initial_s if self.delay_s == 0 else min(self.max_s, self.delay_s * 2)
        self.next_try = now + self.delay_s
        self._set(False)

    def _set(self, available: bool) -> None:
        if available != self.available:
            self.available = available
            if self.on_change is not None:
                self.on_change(available)

    def close(self) -> None:
        self.source.close()


# ------------------------------------------------------------------------------------------------
# demo: a short sequence made in memory (no camera, no test data, nothing shipped)


def demo_payload(today: datetime.date | None = None) -> str:
    """An invented 2024-card QR payload (no real person): a citizen born in 1958, so the elderly
    priority proposal shows too."""
    today = today or datetime.date.today()
    issued = min(datetime.date(2024, 7, 1), today)
    return (f"001058012345||Nguyễn Văn An|15031958|Nam|Số 1 Phố Demo, Phường Hoàn Kiếm, Hà Nội|"
            f"{issued:%d%m%Y}||||")


def _empty_room(width: int, height: int) -> np.ndarray:
    """A plain room-like RGB frame: a soft vertical gradient."""
    ramp = np.linspace(150, 95, height, dtype=np.float32)[:, None]
    base = np.repeat(ramp, width, axis=1)
    return np.clip(np.stack([base * 0.92, base * 0.96, base], axis=-1), 0, 255).astype(np.uint8)


def demo_card_frame(payload: str, *, width: int = 1280, height: int = 720, module_px: int = 5,
                    centre: tuple[float, float] = (0.5, 0.5), mirrored: bool = False) -> np.ndarray:
    """An RGB camera frame showing a card-like rectangle with *payload* as its QR code.

    For the demo and tests: a pale card with a photo box and text bars, its QR code on the right
    (as on the chip CCCD), on a plain background. ``mirrored`` flips the frame as many webcams do.
    """
    import cv2
    import qrcode
    import qrcode.constants

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=2)
    qr.add_data(payload.encode("utf-8"), optimize=0)
    qr.make(fit=True)
    modules = np.where(np.array(qr.get_matrix(), dtype=bool), 25, 235).astype(np.uint8)
    symbol = np.kron(modules, np.ones((module_px, module_px), dtype=np.uint8))
    side = symbol.shape[0]
    card_h = int(side / 0.6)
    card_w = int(card_h * 85.6 / 54)
    card = np.full((card_h, card_w, 3), (236, 232, 222), dtype=np.uint8)
    cv2.rectangle(card, (card_w // 25, card_h // 4), (card_w // 25 + card_h // 3, card_h // 4 + card_h // 2),
                  (110, 120, 135), -1)
    for row in range(5):
        y = card_h // 4 + row * card_h // 10
        cv2.rectangle(card, (card_w // 25 + card_h // 3 + 12, y),
                      (card_w // 25 + card_h // 3 + 12 + card_w // 5, y + 6), (60, 55, 50), -1)
    y0, x0 = (card_h - side) // 2, card_w - side - card_w // 30
    card[y0:y0 + side, x0:x0 + side] = symbol[:, :, None]
    frame = _empty_room(width, height)
    cx, cy = int(centre[0] * width), int(centre[1] * height)
    top, left = max(0, cy - card_h // 2), max(0, cx - card_w // 2)
    h, w = min(card_h, height - top), min(card_w, width - left)
    frame[top:top + h, left:left + w] = card[:h, :w]
    return frame[:, ::-1].copy() if mirrored else frame


def demo_sequence(width: int = 1280, height: int = 720, fps: float = 5.0,
                  today: datetime.date | None = None, *, empty_s: float = 3.0, card_s: float = 3.0,
                  pause_s: float = 25.0) -> list[np.ndarray]:
    """The demo loop: ``empty_s`` of an empty room, then a card held up for ``card_s`` (slowly
    moving), then ``pause_s`` of the room again.

    No face: the test photos may not be shipped, so the demo shows the card path; the choices are
    made by touch (or by a real camera outside demo mode). ``empty_s = 0`` starts with the card.
    """
    if min(empty_s, card_s, pause_s) < 0 or fps <= 0:
        raise ValueError("demo_sequence needs fps > 0 and durations >= 0")
    empty = _empty_room(width, height)
    payload = demo_payload(today)
    card = [demo_card_frame(payload, width=width, height=height, centre=(0.5 + 0.01 * i, 0.5))
            for i in range(4)]
    n_card = max(2, int(card_s * fps))
    seq: Sequence[np.ndarray] = [empty] * int(empty_s * fps) + [card[i % len(card)] for i in range(n_card)] + \
        [empty] * max(1, int(pause_s * fps))
    return list(seq)
