"""The kiosk vision pipeline: camera frames in, observations out, on its own thread.

Per frame: read the CCCD QR (kiosk.vision.qr) and feed the read to the two-read confirmation
(kiosk.vision.card_confirm); detect, track, judge, check liveness of and (sparingly) encode the faces
(kiosk.vision.tracker.FaceObserver). The result is an :class:`Observation`: the faces with normalised
boxes and their identity decision (``accepted`` = identified and live), the card confirmed in this
frame (after two agreeing reads), the card outline, why a QR in view was rejected, and now and then a
small JPEG preview encoded in memory. A QR that is not a card but whose text starts with one of
``PipelineSettings.text_prefixes`` (the kiosk sets ``"PAGER:"``) is reported as ``Observation.label``,
its raw text, for the flow to interpret; nothing else of a non-card QR is reported.

No Flask and no queue here: the kiosk flow (kiosk.session.flow) consumes the observations.
Frames, payloads and previews stay in memory; nothing is written to disk or logged (a failure logs
only the exception type).
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
from kiosk.vision.cccd import CccdRecord
from kiosk.vision.sources import ReconnectingSource

__all__ = ["FaceView", "Observation", "PipelineSettings", "VisionPipeline", "encode_preview"]

log = logging.getLogger(__name__)

Point = tuple[float, float]


@dataclass(frozen=True)
class FaceView:
    """One tracked face in one frame, in normalised frame coordinates (0..1, camera's view).

    ``box`` is (left, top, right, bottom); ``decision`` is "pending", "identified" or "unknown";
    ``liveness`` is "pending", "live" or "spoof"; ``accepted`` = identified and live (the kiosk acts
    only on that); ``identity`` the gallery key when identified; ``templates`` how many encodings
    the observer holds for the track (for enrolment after consent).
    """

    track_id: int
    box: tuple[float, float, float, float]
    decision: str
    liveness: str
    accepted: bool
    identity: str | None
    quality_ok: bool
    quality_reasons: tuple[str, ...] = ()
    templates: int = 0

    @property
    def center(self) -> Point:
        return ((self.box[0] + self.box[2]) / 2.0, (self.box[1] + self.box[3]) / 2.0)

    def to_screen(self) -> dict[str, Any]:
        """What the page draws: the box and the state, never the identity key."""
        return {"track_id": self.track_id, "box": [round(v, 4) for v in self.box], "decision": self.decision,
                "liveness": self.liveness, "accepted": self.accepted, "quality_ok": self.quality_ok,
                "quality_reasons": list(self.quality_reasons)}


@dataclass(frozen=True, repr=False)
class Observation:
    """What one frame (or one failed read) produced.

    ``camera_ok`` False: no frame could be read (the kiosk falls back to touch). ``card`` is set in
    the one frame where a card became confirmed (two agreeing reads); ``card_seen`` whenever this frame
    held a valid card; ``card_error`` the reason code of a QR that was read but is not a card
    (``url``, ``mojibake`` …; ``no_qr`` and ``qr_unreadable`` are not reported). ``label`` the text of a
    non-card QR starting with one of the pipeline's ``text_prefixes`` (then ``card_error`` is None). ``card_outline`` is
    the QR's 4 corners, normalised. ``preview`` is a small JPEG of the frame (only now and then).
    """

    timestamp: float
    camera_ok: bool
    faces: tuple[FaceView, ...] = ()
    card: CccdRecord | None = None
    card_seen: bool = False
    card_pending: bool = False
    card_error: str | None = None
    card_outline: tuple[Point, ...] | None = None
    frame_size: tuple[int, int] | None = None
    preview: bytes | None = None
    ms: float = 0.0
    face_engine_ok: bool = True
    label: str | None = None

    def __repr__(self) -> str:
        # never the card, the label or the preview: a repr can end up in a log
        return (f"Observation(t={self.timestamp:.2f}, camera_ok={self.camera_ok}, faces={len(self.faces)}, "
                f"card={'yes' if self.card else 'no'}, card_error={self.card_error!r}, "
                f"label={'yes' if self.label else 'no'}, ms={self.ms:.1f})")

    @property
    def primary(self) -> FaceView | None:
        """The largest face: the citizen standing at the kiosk."""
        return self.faces[0] if self.faces else None

    @property
    def recognised(self) -> FaceView | None:
        """The primary face when it is accepted (identified and live)."""
        face = self.primary
        return face if face is not None and face.accepted else None

    def to_screen(self) -> dict[str, Any]:
        """The overlay data for the page: face boxes and card outline (no identity, no card data)."""
        return {"camera_ok": self.camera_ok, "faces": [f.to_screen() for f in self.faces],
                "card_outline": None if self.card_outline is None else
                [[round(x, 4), round(y, 4)] for x, y in self.card_outline],
                "card_pending": self.card_pending, "frame_size": self.frame_size}


@dataclass(frozen=True)
class PipelineSettings:
    """Tuning of the pipeline (validated by kiosk.session.setup from the [vision] config table).

    max_fps: frames processed per second at most. qr_passes: how many of kiosk.vision.qr.PASSES run
    on a frame (1 = plain zxing only). preview_interval_s: seconds between previews (0 = none);
    preview_max_side / preview_quality: size and JPEG quality of a preview. lost_report_s: how often a
    lost camera is reported. text_prefixes: a non-card QR whose text starts with one of these is
    reported as ``Observation.label`` (e.g. ``("PAGER:",)``); empty = none.
    """

    max_fps: float = 10.0
    qr_passes: int = 4
    preview_interval_s: float = 0.3
    preview_max_side: int = 320
    preview_quality: int = 60
    lost_report_s: float = 0.5
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
    """Frames in, :class:`Observation` out.

    ``process(frame, timestamp)`` handles one RGB frame synchronously (tests drive it directly);
    ``start()`` runs a thread that reads ``source`` (a :class:`ReconnectingSource`) and passes every
    observation to ``on_observation``. ``observer`` is a kiosk.vision.tracker.FaceObserver (or None
    for QR only); when the face engine cannot load, the pipeline goes on with the QR alone.
    ``clock`` gives the timestamps of the thread (seconds, monotonic).
    """

    def __init__(self, observer: Any | None, *, confirmer: CardConfirmer | None = None,
                 settings: PipelineSettings | None = None, source: ReconnectingSource | None = None,
                 on_observation: Callable[[Observation], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, today: Callable[[], Any] | None = None) -> None:
        self.observer = observer
        self.confirmer = confirmer or CardConfirmer()
        self.settings = settings or PipelineSettings()
        self.source = source
        self.on_observation = on_observation
        self.clock = clock
        self.today = today
        self.stats = _Stats()
        self.face_engine_ok = observer is not None
        self._reset = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_preview = -1e9
        self._last_lost_report = -1e9

    # -- one frame ------------------------------------------------------------------------
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

    # -- the thread -----------------------------------------------------------------------
    def step(self) -> Observation | None:
        """Read one frame from the source and observe it (None while waiting out a reconnect backoff
        between lost-camera reports)."""
        if self.source is None:
            raise RuntimeError("this pipeline has no source")
        now = self.clock()
        frame = self.source.read()
        if frame is None:
            if self.source.available is False and now - self._last_lost_report >= self.settings.lost_report_s:
                self._last_lost_report = now
                return self.lost(now)
            return None
        self._last_lost_report = -1e9
        return self.process(frame, now)

    def _run(self) -> None:
        period = 1.0 / self.settings.max_fps
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                obs = self.step()
                if obs is not None and self.on_observation is not None:
                    self.on_observation(obs)
            except Exception as exc:  # a bad frame or a bug must not stop the kiosk's camera
                self.stats.errors += 1
                log.error("vision pipeline step failed: %s", type(exc).__name__)
            # never 0: under gevent a zero wait does not yield, and the loop would starve the server
            self._stop.wait(max(0.005, period - (time.monotonic() - started)))

    def start(self) -> None:
        """Run the pipeline on a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kiosk-vision", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and release the camera."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.source is not None:
            self.source.close()
