"""The vision worker process (``python -m kiosk.vision.worker``): camera, QR ladder, faces, out of the web process.

Started by kiosk.vision.worker.client.VisionWorker, one per kiosk terminal, it speaks the framed
protocol of kiosk.vision.worker.protocol on its stdin (messages in) and stdout (messages out). It
holds everything that is CPU-heavy or stateful per camera: the frame source (a device, an RTSP
stream or the demo loop, read here on a capture thread so no capture call ever blocks the web
process), the presence gate, the CCCD QR ladder and the two-read card confirmation, face detection,
tracking, liveness and encoding, and the gallery the encodings are matched against.

Threads: the main thread processes frames and control messages in order (it also answers pings, so
a main thread stuck in a C call stops the pongs and the service kills the process after its
deadline); a reader thread takes messages off stdin (a pushed frame that arrives while a frame is
being processed is answered ``dropped`` at once, never queued); a capture thread reads the source.

One thread of CPU work: OpenCV's pool is set to one thread and the client starts the process with
OMP/OpenBLAS pools of one (unless set otherwise), so N terminals' workers use N cores at most.

Hardening: the process makes no core dump and is not dumpable (the gallery's templates and the
frames must never reach the disk), runs at a lower CPU priority than the web process (nice +10),
ignores SIGINT (the service stops it), and ends when its stdin closes (the service is gone).
stdout carries protocol messages only: Python's and C libraries' stray output goes to stderr, which
the service logs line by line. Log records and tracebacks travel as ``log`` / ``error`` messages.
"""
from __future__ import annotations

import datetime
import faulthandler
import logging
import os
import queue
import signal
import sys
import threading
import time
import traceback
from typing import Any, BinaryIO

import numpy as np

from kiosk.vision.observation import Observation
from kiosk.vision.worker.presence import (
    GateSettings,
    PresenceGate,
    jpeg_size,
    small_from_jpeg,
    small_from_rgb,
)
from kiosk.vision.worker.protocol import FrameError, ProtocolError, encode_observation, pack, read_message

log = logging.getLogger("kiosk.vision.worker")

HOOKS_ENV = "KIOSK_VISION_WORKER_HOOKS"
NICE = 10
LOST_AFTER_S = 2.0  # no frame from a camera that had given frames: reported lost


def harden() -> None:
    """No core dumps, not dumpable, lower priority, SIGINT ignored (best effort, Linux)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4: no core dump, no ptrace by other users
    except (OSError, AttributeError):
        pass
    try:
        os.nice(NICE)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Output:
    """Writes messages to the protocol pipe; thread-safe. A closed pipe means the service is gone."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, header: dict[str, Any], blobs: Any = ()) -> None:
        data = pack(header, blobs)
        with self._lock:
            try:
                self._stream.write(data)
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                os._exit(0)

    def error(self, code: str, message: str, *, tb: str | None = None, seq: int | None = None,
              fatal: bool = False) -> None:
        header: dict[str, Any] = {"t": "error", "code": code, "message": message, "fatal": fatal}
        if tb:
            header["traceback"] = tb
        if seq is not None:
            header["seq"] = seq
        self.send(header)


class ProtocolLogHandler(logging.Handler):
    """Log records of the worker, sent to the service (which logs them through its redacting filter)."""

    def __init__(self, out: Output) -> None:
        super().__init__(logging.INFO)
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = record.getMessage()
            if record.exc_info:
                msg += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            self.out.send({"t": "log", "level": record.levelno, "name": record.name, "msg": msg})
        except Exception:  # logging must never take the worker down
            pass


class Capture:
    """Reads the frame source on its own thread; the main thread asks for a fresh frame with ``take``.

    Between requests a camera's frames are grabbed without decoding (its buffer stays fresh); a timed
    sequence (the demo) is not touched at all."""

    def __init__(self, source: Any) -> None:
        self.source = source  # kiosk.vision.sources.ReconnectingSource
        self._want = threading.Event()
        self._got = threading.Event()
        self._stop = threading.Event()
        self._frame: np.ndarray | None = None
        self._ts = 0.0
        self.thread = threading.Thread(target=self._run, name="vision-capture", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._want.is_set():
                    frame = self.source.read()  # None: lost, or waiting out the reconnect backoff
                    self._frame, self._ts = frame, time.monotonic()
                    self._want.clear()
                    self._got.set()
                    if frame is None:
                        self._stop.wait(0.05)
                elif not self.source.grab():
                    self._want.wait(0.5 if self.source.available is not False else 0.05)
            except Exception:  # a bug in a driver must not end the capture
                log.exception("frame source failed")
                self._frame = None
                self._got.set()
                self._stop.wait(0.5)

    def take(self, timeout: float) -> tuple[np.ndarray | None, float]:
        """A frame read now (None: lost, or none within ``timeout``) and its time."""
        self._got.clear()
        self._want.set()
        if not self._got.wait(timeout):
            return None, 0.0
        return self._frame, self._ts

    @property
    def available(self) -> bool | None:
        return self.source.available

    def stop(self) -> None:
        self._stop.set()
        self._want.set()
        self.source.close()


def _source_from(spec: dict[str, Any] | None, today: datetime.date) -> Any:
    from kiosk.vision.sources import OpenCVSource, ReconnectingSource, TimedSource, demo_sequence

    if spec is None:
        return None
    if spec["kind"] == "demo":
        frames = demo_sequence(fps=spec["fps"], today=today, empty_s=spec["empty_s"], card_s=spec["card_s"],
                               pause_s=spec["pause_s"])
        source: Any = TimedSource(frames, fps=spec["fps"], loop=True)
    elif spec["kind"] == "camera":
        source = OpenCVSource(spec["camera"], spec.get("width"), spec.get("height"))
    else:
        raise ValueError(f"unknown source kind {spec['kind']!r}")
    return ReconnectingSource(source, initial_s=spec.get("backoff_initial_s", 0.5),
                              max_s=max(spec.get("backoff_max_s", 10.0), spec.get("backoff_initial_s", 0.5)))


class Worker:
    """The worker's state and main loop (see the module docstring)."""

    def __init__(self, inp: BinaryIO, out: Output, hooks: bool = False) -> None:
        self.inp = inp
        self.out = out
        self.hooks = hooks
        self.inbox: queue.SimpleQueue[tuple[dict[str, Any], dict[str, bytes]]] = queue.SimpleQueue()
        self.wake = threading.Event()
        self.stopping = False
        self.session_active = False
        self._slot_lock = threading.Lock()
        self._pushed: tuple[dict[str, Any], bytes] | None = None
        self._busy = False
        self.stats = {"full": 0, "gated": 0, "lost": 0, "pushed": 0, "dropped": 0, "skipped": 0,
                      "errors": 0, "last_ms": 0.0}
        self._sent_templates: dict[int, int] = {}
        self._last_preview = -1e18
        self._last_lost = -1e18
        self._last_frame_at: float | None = None
        self._frame_size: tuple[int, int] | None = None
        self._last_ts: float | None = None
        self.capture: Capture | None = None

    # -- set-up --------------------------------------------------------------------------
    def configure(self, cfg: dict[str, Any], blobs: dict[str, bytes]) -> None:
        from kiosk.vision.card_confirm import CardConfirmer
        from kiosk.vision.gallery import Gallery
        from kiosk.vision.pipeline import PipelineSettings, VisionPipeline

        self.cfg = cfg
        self.today = datetime.date.fromisoformat(cfg["today"]) if cfg.get("today") else datetime.date.today()
        gallery = Gallery.from_bytes(blobs["gallery"]) if "gallery" in blobs else Gallery()
        observer = None
        if cfg.get("faces", True):
            from kiosk.vision.tracker import FaceObserver, FaceTracker

            observer = FaceObserver(gallery)
            observer.tracker = FaceTracker(first_id=int(cfg.get("track_id_base", 0)) + 1)
        settings = PipelineSettings(qr_passes=int(cfg.get("qr_passes", 4)),
                                    preview_interval_s=float(cfg.get("preview_interval_s", 0.0)),
                                    preview_max_side=int(cfg.get("preview_max_side", 320)),
                                    preview_quality=int(cfg.get("preview_quality", 60)),
                                    text_prefixes=tuple(cfg.get("text_prefixes", ())))
        self.pipeline = VisionPipeline(observer, confirmer=CardConfirmer(), settings=settings,
                                       today=lambda: self.today)
        self.gate = PresenceGate(GateSettings(presence_fps=float(cfg.get("presence_fps", 2.0)),
                                              max_fps=float(cfg.get("max_fps", 10.0)),
                                              hold_s=float(cfg.get("presence_hold_s", 2.0))))
        self.heartbeat_s = float(cfg.get("heartbeat_s", 1.0))
        self.lost_report_s = float(cfg.get("lost_report_s", 0.5))
        self.session_active = bool(cfg.get("session", False))
        source = _source_from(cfg.get("source"), self.today)
        self.capture = Capture(source) if source is not None else None

    def warm_up(self) -> None:
        """Load the libraries and the face models now, so the first frame meets the deadline.

        OpenCV runs single-threaded here: one worker per terminal is the unit of parallelism, and a
        thread pool per worker would only oversubscribe the cores (measured: faster even alone)."""
        import cv2
        import zxingcpp  # noqa: F401

        cv2.setNumThreads(1)

        from kiosk.vision import faces

        if self.pipeline.observer is not None:
            try:
                faces.engine()
            except faces.FaceEngineError as exc:
                log.error("face engine unavailable: the kiosk continues with the CCCD QR and touch only (%s)",
                          type(exc).__name__)
                self.pipeline.face_engine_ok = False

    # -- messages in ---------------------------------------------------------------------
    def read_loop(self) -> None:
        """The reader thread: messages off stdin into the inbox (pushed frames into the one slot)."""
        while True:
            try:
                msg = read_message(self.inp)
            except ProtocolError as exc:
                self.out.error("bad_stream", f"the service's message stream is broken: {exc}", fatal=True)
                os._exit(2)
            except Exception:  # the pipe itself failed: the service is gone
                msg = None
            if msg is None:  # stdin closed: the service stopped or died
                self.stopping = True
                self.wake.set()
                time.sleep(3.0)
                os._exit(0)
            header, blobs = msg
            if header["t"] == "frame":
                self._offer(header, blobs)
            else:
                self.inbox.put(msg)
                self.wake.set()

    def _offer(self, header: dict[str, Any], blobs: dict[str, bytes]) -> None:
        seq = header.get("seq")
        if not isinstance(seq, int) or not isinstance(header.get("ts"), int | float) \
                or header.get("kind") not in ("jpeg", "rgb") or "data" not in blobs:
            self.out.error("bad_message", "a frame message needs an integer seq, a timestamp ts, kind "
                           "\"jpeg\" or \"rgb\" and its data", seq=seq if isinstance(seq, int) else None)
            return
        with self._slot_lock:
            busy = self._busy or self._pushed is not None
            if not busy:
                self._pushed = (header, blobs["data"])
        if busy:
            self.stats["dropped"] += 1
            self.out.send({"t": "dropped", "seq": seq})
            return
        self.wake.set()

    def handle(self, header: dict[str, Any], blobs: dict[str, bytes]) -> None:
        """One control message, on the main thread, in order."""
        from kiosk.vision.gallery import Gallery, template_from_bytes

        t = header["t"]
        observer = self.pipeline.observer
        if t == "ping":
            self.out.send({"t": "pong", "id": header.get("id"), "stats": self._stats()})
        elif t == "session":
            self.session_active = bool(header.get("active"))
        elif t == "today":
            self.today = datetime.date.fromisoformat(header["date"])
        elif t == "reset":
            self.pipeline.request_reset()
        elif t == "gallery_set":
            if observer is not None:
                observer.gallery = Gallery.from_bytes(blobs.get("gallery", b""))
        elif t == "gallery_put":
            if observer is not None:
                data = blobs.get("templates", b"")
                templates = [template_from_bytes(data[i:i + 516]) for i in range(0, len(data), 516)]
                observer.gallery.remove(header["identity"])
                observer.gallery.add_many(header["identity"], templates)
        elif t == "gallery_remove":
            if observer is not None:
                observer.gallery.remove(header["identity"])
        elif t == "stop":
            self.stopping = True
        elif t == "debug" and self.hooks:
            self._debug(header)
        else:
            self.out.error("bad_message", f"unknown message type {t!r}")

    def _debug(self, header: dict[str, Any]) -> None:
        """Test hooks (only with KIOSK_VISION_WORKER_HOOKS=1): misbehave on purpose."""
        op = header.get("op")
        if op == "sleep":  # a stuck C call: the main thread answers nothing meanwhile
            time.sleep(float(header.get("s", 10)))
        elif op == "raise":
            raise RuntimeError("debug hook: an error inside the worker")
        elif op == "exit":
            os._exit(int(header.get("code", 3)))
        elif op == "garbage":
            with self.out._lock:
                self.out._stream.write(b"this is not a framed message\n")
                self.out._stream.flush()
        elif op == "log":
            log.warning("debug hook: %s", header.get("text", ""))
        elif op == "stderr":
            print(header.get("text", ""), file=sys.stderr, flush=True)

    def _stats(self) -> dict[str, Any]:
        now = self._last_ts if self._last_ts is not None else time.monotonic()  # the frames' clock
        observer = self.pipeline.observer
        return {**self.stats, "gate": self.gate.state(now, self.session_active), "checks": self.gate.checks,
                "face_engine_ok": self.pipeline.face_engine_ok,
                "gallery": len(observer.gallery) if observer is not None else 0,
                "camera": None if self.capture is None else self.capture.available}

    # -- frames --------------------------------------------------------------------------
    def _send_obs(self, obs: Observation, seq: int | None = None) -> None:
        templates: dict[int, list[np.ndarray]] = {}
        observer = self.pipeline.observer
        if observer is not None:
            for face in obs.faces:
                sent = self._sent_templates.get(face.track_id, 0)
                if face.templates > sent:
                    templates[face.track_id] = observer.templates_of(face.track_id)[sent:face.templates]
                    self._sent_templates[face.track_id] = face.templates
            for tid in [t for t in self._sent_templates if t not in observer.tracker.tracks]:
                del self._sent_templates[tid]
        header, blobs = encode_observation(obs, templates, {"seq": seq} if seq is not None else None)
        self.out.send(header, blobs)

    def observe(self, rgb: np.ndarray | None, ts: float, small: np.ndarray | None = None,
                jpeg: bytes | None = None) -> Observation:
        """Gate one frame and observe it (fully or not). ``jpeg``: decode only when the full pipeline runs."""
        from kiosk.vision.pipeline import encode_preview

        if small is None:
            small = small_from_rgb(rgb)  # type: ignore[arg-type]
        self._last_ts = ts
        self.gate.moved(small, ts)
        full = self.gate.full_wanted(ts, self.session_active)
        preview_due = self.pipeline.settings.preview_interval_s > 0 and \
            ts - self._last_preview >= self.pipeline.settings.preview_interval_s
        if (full or preview_due) and rgb is None:
            rgb = decode_jpeg(jpeg)  # type: ignore[arg-type]
        if rgb is not None:
            self._frame_size = (rgb.shape[1], rgb.shape[0])
        elif jpeg is not None:
            self._frame_size = jpeg_size(jpeg) or self._frame_size
        if preview_due:
            self._last_preview = ts
        if full:
            obs = self.pipeline.process(rgb, ts, preview=preview_due)  # type: ignore[arg-type]
            self.gate.saw(obs, ts)
            self.stats["full"] += 1
            self.stats["last_ms"] = round(obs.ms, 2)
            return obs
        self.pipeline.skip(ts)
        self.stats["gated"] += 1
        preview = None
        if preview_due:
            s = self.pipeline.settings
            preview = encode_preview(rgb, s.preview_max_side, s.preview_quality)  # type: ignore[arg-type]
        return Observation(ts, True, frame_size=self._frame_size, preview=preview,
                           face_engine_ok=self.pipeline.face_engine_ok, gated=True)

    def _sample(self) -> None:
        """One frame of the source, or a lost-camera report."""
        assert self.capture is not None
        frame, ts = self.capture.take(min(0.25, self.heartbeat_s / 2))
        now = time.monotonic()
        if frame is None:
            lost = self.capture.available is False or (
                self._last_frame_at is not None and now - self._last_frame_at > LOST_AFTER_S)
            if lost and now - self._last_lost >= self.lost_report_s:
                self._last_lost = now
                self.stats["lost"] += 1
                self._send_obs(self.pipeline.lost(now))
            return
        self._last_frame_at = now
        self._last_lost = -1e18
        self._send_obs(self.observe(frame, ts))

    def _take_pushed(self) -> tuple[dict[str, Any], bytes] | None:
        with self._slot_lock:
            item, self._pushed = self._pushed, None
            self._busy = item is not None
            return item

    def _done(self) -> None:
        with self._slot_lock:
            self._busy = False

    def process_pushed(self, header: dict[str, Any], data: bytes) -> Any:
        """Process one pushed frame; returns the reply to send once the slot is free again."""
        seq, ts = header["seq"], float(header["ts"])
        self.stats["pushed"] += 1
        if not self.gate.due(ts, self.session_active):
            self.stats["skipped"] += 1
            return lambda: self.out.send({"t": "skipped", "seq": seq})
        try:
            if header["kind"] == "jpeg":
                try:
                    small = small_from_jpeg(data)
                except ValueError:
                    raise FrameError("not a JPEG image, or a damaged one: it does not decode") from None
                obs = self.observe(None, ts, small=small, jpeg=data)
            else:
                obs = self.observe(raw_frame(header, data), ts)
        except FrameError as exc:
            self.stats["errors"] += 1
            message = str(exc)
            return lambda: self.out.error("bad_frame", message, seq=seq)
        return lambda: self._send_obs(obs, seq)

    def _pushed_step(self, pushed: tuple[dict[str, Any], bytes]) -> None:
        try:
            reply = self.process_pushed(*pushed)
        finally:
            self._done()  # free before the reply: the service may push the next frame as soon as it reads it
        reply()

    # -- the main loop -------------------------------------------------------------------
    def run(self) -> int:
        reader = threading.Thread(target=self.read_loop, name="vision-reader", daemon=True)
        reader.start()
        if self.capture is not None:
            self.capture.start()
        last_sample = -1e18
        while not self.stopping:
            self.wake.clear()
            while not self.stopping:
                try:
                    header, blobs = self.inbox.get_nowait()
                except queue.Empty:
                    break
                self._guarded(lambda h=header, b=blobs: self.handle(h, b), None)
            if self.stopping:
                break
            pushed = self._take_pushed()
            if pushed is not None:
                self._guarded(lambda p=pushed: self._pushed_step(p), pushed[0].get("seq"))
                continue
            timeout = self.heartbeat_s
            if self.capture is not None:
                now = time.monotonic()
                if now >= last_sample + self._sample_period(now):
                    last_sample = now
                    with self._slot_lock:
                        self._busy = True  # a frame pushed meanwhile is dropped, not kept waiting
                    try:
                        self._guarded(self._sample, None)
                    finally:
                        self._done()
                    now = time.monotonic()
                timeout = min(timeout, last_sample + self._sample_period(now) - now)
            self.wake.wait(max(0.0, timeout))
        if self.capture is not None:
            self.capture.stop()
        self.out.send({"t": "bye", "stats": self._stats()})
        return 0

    def _sample_period(self, now: float) -> float:
        period = self.gate.period(now, self.session_active)
        if self.capture is not None and self.capture.available is False:
            period = min(period, self.lost_report_s)  # a lost camera is tried and reported twice a second
        return period

    def _guarded(self, fn: Any, seq: int | None) -> None:
        """Run one step; an exception is reported (with its traceback) and the worker goes on."""
        try:
            fn()
        except Exception as exc:
            self.stats["errors"] += 1
            self.out.error("worker_error", f"{type(exc).__name__}: {exc}", tb=traceback.format_exc(), seq=seq)


def decode_jpeg(data: bytes) -> np.ndarray:
    """A pushed JPEG as an RGB frame; FrameError when it does not decode."""
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.ndim != 3 or min(bgr.shape[:2]) < 16:
        raise FrameError("not a JPEG image, or a damaged one: it does not decode")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def raw_frame(header: dict[str, Any], data: bytes) -> np.ndarray:
    """A pushed raw RGB frame; FrameError when its size does not match ``w`` x ``h`` x 3."""
    w, h = header.get("w"), header.get("h")
    if not isinstance(w, int) or not isinstance(h, int) or w < 16 or h < 16 or len(data) != w * h * 3:
        raise FrameError(f"a raw RGB frame of {w}x{h} needs {w}*{h}*3 bytes, got {len(data)}"
                         if isinstance(w, int) and isinstance(h, int) else "a raw frame needs integer w and h")
    return np.frombuffer(data, np.uint8).reshape(h, w, 3)


def main() -> int:
    """Entry point of ``python -m kiosk.vision.worker``; ends the process with ``os._exit`` (its reader
    thread sits in a read of stdin, which a normal interpreter shutdown would trip over)."""
    proto = os.fdopen(os.dup(1), "wb")  # the protocol keeps the real stdout ...
    os.dup2(2, 1)  # ... and anything else printed to fd 1 (Python or C) goes to stderr
    sys.stdout = sys.stderr
    harden()
    faulthandler.enable(file=sys.stderr)  # a crash in C code leaves its Python stack on stderr
    out = Output(proto)
    root = logging.getLogger()
    root.handlers[:] = [ProtocolLogHandler(out)]
    root.setLevel(logging.INFO)
    rc = _run(sys.stdin.buffer, out)
    sys.stderr.flush()
    os._exit(rc)


def _run(inp: BinaryIO, out: Output) -> int:
    worker = Worker(inp, out, hooks=os.environ.get(HOOKS_ENV) == "1")
    try:
        first = read_message(inp)
        if first is None:
            return 0
        header, blobs = first
        if header["t"] != "config":
            out.error("bad_message", f"the first message must be config, not {header['t']!r}", fatal=True)
            return 2
        worker.configure(header, blobs)
        worker.warm_up()
        out.send({"t": "ready", "pid": os.getpid(), "face_engine_ok": worker.pipeline.face_engine_ok})
        return worker.run()
    except Exception as exc:
        out.error("fatal", f"{type(exc).__name__}: {exc}", tb=traceback.format_exc(), fatal=True)
        return 1
