"""The kiosk vision pipeline: one camera frame in, one :class:`Observation` out.

Per frame: read the CCCD QR (kiosk.vision.qr) and feed the read to the two-read confirmation
(kiosk.vision.card_confirm); detect, track, judge, check liveness of and (sparingly) encode the faces
(kiosk.vision.tracker.FaceObserver). The result is an :class:`Observation`: the faces with normalised
boxes and their identity decision (``accepted`` = identified and live), the card confirmed in this
frame (after two agreeing reads), the card outline, why a QR in view was rejected, and now and then a
small JPEG preview encoded in memory. A QR that is not a card but whose text starts with one of
``PipelineSettings.text_prefixes`` (the kiosk sets ``"PAGER:"``) is reported as ``Observation.label``,
its raw text, for the flow to interpret; nothing else of a non-card QR is reported.

This runs in the vision worker process (kiosk.vision.worker), never in the web process: zxing-cpp and
dlib block in C code and dlib holds the GIL. Tests and tools call :meth:`VisionPipeline.process`
directly. No Flask and no queue here: the kiosk flow (kiosk.session.flow) consumes the observations.
Frames, payloads and previews stay in memory; nothing is written to disk or logged.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.vision.card_confirm import CardConfirmer
from kiosk.vision.observation import FaceView, Observation, Point

__all__ = ["FaceView", "Observation", "PipelineSettings", "Point", "VisionPipeline", "encode_preview"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineSettings:
    """Tuning of the pipeline (validated by kiosk.session.setup from the [vision] config table).

    qr_passes: how many of kiosk.vision.qr.PASSES run on a frame (1 = plain zxing only).
    preview_interval_s: seconds between previews (0 = none); preview_max_side / preview_quality: size
    and JPEG quality of a preview. text_prefixes: a non-card QR whose text starts with one of these is
    reported as ``Observation.label`` (e.g. ``("PAGER:",)``); empty = none.
    """

    qr_passes: int = 4
    preview_interval_s: float = 0.3
    preview_max_side: int = 320
    preview_quality: int = 60
    text_prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for prefix in self.text_prefixes:
            # A CCCD payload starts with 12 digits: a prefix starting with a letter can never take one.
            if not isinstance(prefix, str) or not prefix[:1].isascii() or not prefix[:1].isalpha():
                raise ValueError(f"a QR text prefix must start with a letter, not {prefix!r}")


def encode_preview(rgb: np.ndarray, max_side: int = 320, quality: int = 60) -> bytes:
    """A downscaled JPEG of a frame, encoded in memory (never written anywhere)."""
    import cv2

    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("the frame could not be encoded as JPEG")
    return buf.tobytes()


def _ignored_card_error(code: str) -> bool:
    # "nothing to read" is the normal state of a frame, not something to tell the citizen
    return code in ("no_qr", "qr_unreadable")


@dataclass
class _Stats:
    frames: int = 0
    lost: int = 0
    errors: int = 0
    last_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class VisionPipeline:
    """Frames in, :class:`Observation` out, synchronously (the vision worker runs it on its own thread).

    ``process(frame, timestamp)`` handles one RGB frame. ``observer`` is a
    kiosk.vision.tracker.FaceObserver (or None for QR only); when the face engine cannot load, the
    pipeline goes on with the QR alone. ``today()`` gives the date the card checks use.
    """

    def __init__(self, observer: Any | None, *, confirmer: CardConfirmer | None = None,
                 settings: PipelineSettings | None = None, today: Callable[[], Any] | None = None) -> None:
        self.observer = observer
        self.confirmer = confirmer or CardConfirmer()
        self.settings = settings or PipelineSettings()
        self.today = today
        self.stats = _Stats()
        self.face_engine_ok = observer is not None
        self._reset = threading.Event()
        self._last_preview = -1e9

    def process(self, frame: np.ndarray, timestamp: float, *, preview: bool | None = None) -> Observation:
        """Observe one RGB frame. ``preview`` forces (True) or suppresses (False) the JPEG preview;
        by default one is made every ``preview_interval_s``."""
        from kiosk.vision.qr import read_cccd

        t0 = time.perf_counter()
        if self._reset.is_set():
            self._reset.clear()
            self.confirmer.reset()
        h, w = frame.shape[:2]
        today = self.today() if self.today else None
        scan = read_cccd(frame, today=today, passes=self.settings.qr_passes,
                         keep_prefixes=tuple(p.encode("utf-8") for p in self.settings.text_prefixes))
        confirmed = self.confirmer.offer(scan.record, now=timestamp)
        outline = None
        if scan.corners is not None:
            outline = tuple((float(x) / w, float(y) / h) for x, y in scan.corners)
        card_error = None
        if scan.error is not None and not _ignored_card_error(scan.error.code):
            card_error = scan.error.code
        views = self._faces(frame, timestamp)
        jpeg = None
        want = preview if preview is not None else (
            self.settings.preview_interval_s > 0 and timestamp - self._last_preview >= self.settings.preview_interval_s)
        if want:
            jpeg = encode_preview(frame, self.settings.preview_max_side, self.settings.preview_quality)
            self._last_preview = timestamp
        ms = (time.perf_counter() - t0) * 1000.0
        self.stats.frames += 1
        self.stats.last_ms = ms
        return Observation(timestamp, True, views, confirmed, scan.ok, self.confirmer.pending, card_error, outline,
                           (w, h), jpeg, ms, self.face_engine_ok, scan.other)

    def _faces(self, frame: np.ndarray, timestamp: float) -> tuple[FaceView, ...]:
        if self.observer is None or not self.face_engine_ok:
            return ()
        from kiosk.vision.faces import FaceEngineError

        try:
            result = self.observer.observe(frame, timestamp)
        except FaceEngineError:
            # the kiosk still works by card and touch; say it once, without any frame data
            log.error("face engine unavailable: the kiosk continues with the CCCD QR and touch only")
            self.face_engine_ok = False
            return ()
        h, w = frame.shape[:2]
        views = []
        for rep in result.faces:
            b = rep.box
            track = self.observer.tracker.tracks.get(rep.track_id)
            views.append(FaceView(rep.track_id, (b.left / w, b.top / h, b.right / w, b.bottom / h), rep.decision,
                                  rep.liveness.state, rep.accepted, rep.identity, rep.quality.ok,
                                  tuple(rep.quality.reasons), len(track.templates) if track else 0))
        return tuple(views)

    def skip(self, timestamp: float) -> None:
        """A frame the presence gate judged empty, not processed: age the card confirmation and the
        face tracks as an empty frame would (a card confirmed before re-arms after ``rearm_s`` out of
        view; a face gone for a second is a new track when it comes back)."""
        if self._reset.is_set():
            self._reset.clear()
            self.confirmer.reset()
        self.confirmer.offer(None, now=timestamp)
        if self.observer is not None:
            self.observer.tracker.update([], timestamp)

    def lost(self, timestamp: float) -> Observation:
        """The observation of a frame that could not be read."""
        self.stats.lost += 1
        return Observation(timestamp, False, face_engine_ok=self.face_engine_ok)

    def templates_of(self, track_id: int) -> list[np.ndarray]:
        """The templates encoded for a tracked face (for enrolment after consent)."""
        return self.observer.templates_of(track_id) if self.observer is not None else []

    def request_reset(self) -> None:
        """Forget the confirmed card before the next frame (the session ended): the same card can be
        shown again. Safe to call from any thread."""
        self._reset.set()
