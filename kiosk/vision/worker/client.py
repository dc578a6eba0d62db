"""The service side of one vision worker process: start it, feed it, watch it, restart it.

:class:`VisionWorker` runs ``python -m kiosk.vision.worker`` (one process per kiosk terminal) and
talks to it over the child's stdin/stdout with the framed messages of kiosk.vision.worker.protocol.
It uses only subprocess pipes, threads, locks, events and queues, which gevent's monkey-patching
makes cooperative, so the same code serves a web process in plain threads (the tests) and one under
``gevent.monkey.patch_all()``; nothing in the web process calls cv2, dlib or zxing.

- ``start()`` / ``stop(timeout)``: explicit. ``start`` returns at once; the worker comes up in the
  background (the config message carries the settings, the gallery, the session flag and the date).
- **Restarts**: a worker that exits or crashes is restarted after a backoff (``restart_initial_s``
  doubling to ``restart_max_s``; back to the start once a worker has run ``healthy_after_s``).
- **Deadline**: the service pings the worker every ``heartbeat_s`` (min(1, deadline / 4)); a ping
  and a pushed frame are *outstanding* until answered. When the oldest has waited more than
  ``deadline_s`` (``[vision] worker_deadline_s``), the worker is killed (SIGKILL) and restarted. The
  worker's main thread answers the pings, so one stuck in dlib or zxing, or a stopped process, is found.
- **Fallback**: while no worker is up the kiosk session gets an ``Observation(camera_ok=False)``
  every ``lost_report_s``: the kiosk shows the camera notice and works by touch until the worker is back.
  Ticketing never waits for vision: every call here only queues a message (a writer thread writes).
- **Pushed frames** (``push_jpeg`` / ``push_rgb``): at most one in flight; one pushed while another is
  outstanding, or while no worker is up, is dropped (returns False), never queued. A frame that is not
  a JPEG, or is truncated, raises :class:`FrameError` at once; one that passes the cheap checks and does
  not decode comes back as an ``error`` message, logged (rate-limited), and the service goes on.
- **Gallery matching happens in the worker**: the service keeps the authoritative in-memory gallery
  (decrypted from the store at start), sends it whole in the config message (and again on each restart),
  and sends each enrolment (``enrol``) and deletion (``forget``) as it happens. The templates cross the
  pipe only, never a file. The tracker needs each encoding's match at once (agreement over successive
  encodings, give up after four) and the match is a matrix product over the whole gallery: both belong
  with the encoder, not in the (gevent) web process. Encodings come back only as the templates of a
  tracked face, with its observations, for enrolment after consent (``templates_of``).
- **Logs**: the worker's log records, its error messages with their full tracebacks, and every line
  it writes to stderr (a C library's complaint, a crash dump) are logged here, under
  ``kiosk.vision.worker``, through the service's handlers (kiosk.runtime.logs masks ID numbers).
  Frames and payloads are never logged.
"""
from __future__ import annotations

import itertools
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.vision.observation import Observation
from kiosk.vision.worker.protocol import (
    FrameError,
    ProtocolError,
    check_jpeg,
    check_rgb,
    decode_observation,
    pack,
    read_message,
)

__all__ = ["FrameError", "VisionWorker", "WorkerSettings"]

log = logging.getLogger("kiosk.vision.worker")

HOOKS_ENV = "KIOSK_VISION_WORKER_HOOKS"
TRACK_ID_STEP = 1_000_000  # worker process n numbers its face tracks from n * TRACK_ID_STEP + 1
_KIOSK_ROOT = str(Path(__file__).resolve().parents[3])  # the folder that holds the kiosk package


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker runs and how it is watched (kiosk.session.setup builds it from ``[vision]``).

    source: None (frames are pushed), ``{"kind": "camera", "camera": 0 | "/dev/video0" | "rtsp://…",
    "width", "height", "backoff_initial_s", "backoff_max_s"}`` or ``{"kind": "demo", "fps", "empty_s",
    "card_s", "pause_s"}``. presence_fps / presence_hold_s: the presence gate
    (kiosk.vision.worker.presence). deadline_s: see the module docstring.
    """

    source: dict[str, Any] | None = None
    faces: bool = True
    max_fps: float = 10.0
    presence_fps: float = 2.0
    presence_hold_s: float = 2.0
    qr_passes: int = 4
    text_prefixes: tuple[str, ...] = ()
    preview_interval_s: float = 0.0
    preview_max_side: int = 320
    preview_quality: int = 60
    deadline_s: float = 5.0
    start_timeout_s: float = 60.0
    restart_initial_s: float = 0.5
    restart_max_s: float = 30.0
    healthy_after_s: float = 30.0
    lost_report_s: float = 0.5

    @property
    def heartbeat_s(self) -> float:
        return min(1.0, self.deadline_s / 4)

    def config(self) -> dict[str, Any]:
        return {"source": self.source, "faces": self.faces, "max_fps": self.max_fps,
                "presence_fps": self.presence_fps, "presence_hold_s": self.presence_hold_s,
                "qr_passes": self.qr_passes, "text_prefixes": list(self.text_prefixes),
                "preview_interval_s": self.preview_interval_s, "preview_max_side": self.preview_max_side,
                "preview_quality": self.preview_quality, "heartbeat_s": self.heartbeat_s,
                "lost_report_s": self.lost_report_s}


@dataclass
class _Waiter:
    """A caller of ``process_*`` waiting for its frame's answer."""

    event: threading.Event = field(default_factory=threading.Event)
    obs: Observation | None = None
    error: str | None = None


class _Proc:
    """One worker process (one generation) and its pipes' threads."""

    def __init__(self, gen: int, popen: subprocess.Popen, clock: Callable[[], float]) -> None:
        self.gen = gen
        self.popen = popen
        self.pid = popen.pid
        self.out: queue.Queue[bytes | None] = queue.Queue()
        self.ready = threading.Event()
        self.dead = threading.Event()
        self.started_at = clock()
        self.ready_at: float | None = None
        self.pending: dict[str, float] = {}
        self.in_flight: int | None = None
        self.ping_ids = itertools.count(1)
        self.last_ping = -1e18
        self.suspect_since: float | None = None
        self.reason: str | None = None
        self.threads: list[threading.Thread] = []
        self.reaped = False

    def send(self, header: dict[str, Any], blobs: Iterable[tuple[str, bytes]] = ()) -> None:
        self.out.put(pack(header, blobs))


class VisionWorker:
    """Supervises one vision worker process (see the module docstring).

    on_observation(obs): called with every Observation, from a reader thread (or the supervisor
    thread while the worker is down). gallery: the service's kiosk.vision.gallery.Gallery (kept in
    sync by ``enrol`` / ``forget``). today(): the centre's date (the card checks use it).
    test_hooks: let the worker obey ``debug`` messages (tests only).
    """

    def __init__(self, settings: WorkerSettings | None = None, *, name: str = "kiosk-1", gallery: Any = None,
                 on_observation: Callable[[Observation], None] | None = None,
                 today: Callable[[], Any] | None = None, clock: Callable[[], float] = time.monotonic,
                 test_hooks: bool = False, python: str | None = None, env: dict[str, str] | None = None) -> None:
        from kiosk.vision.gallery import Gallery

        self.settings = settings or WorkerSettings()
        self.name = name
        self.gallery = gallery if gallery is not None else Gallery()
        self.on_observation = on_observation
        self.today = today
        self.clock = clock
        self.test_hooks = test_hooks
        self.python = python or sys.executable
        self.env = dict(env or {})
        self.stats: dict[str, Any] = {"starts": 0, "restarts": 0, "crashes": 0, "deadline_kills": 0,
                                      "frames_sent": 0, "dropped_here": 0, "observations": 0, "errors": 0}
        self.worker_stats: dict[str, Any] = {}  # the last pong's
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._proc: _Proc | None = None
        self._thread: threading.Thread | None = None
        self._gen = 0
        self._seq = itertools.count(1)
        self._waiters: dict[int, _Waiter] = {}
        self._session = False
        self._today_sent: Any = None
        self._templates: OrderedDict[int, list[np.ndarray]] = OrderedDict()
        self._face_engine_ok = True
        self._last_lost = -1e18
        self._rate: dict[str, tuple[float, int]] = {}
        self._stop_timeout = 5.0
        self.up = threading.Event()

    # -- life --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the supervisor thread, which starts the worker (returns at once)."""
        with self._lock:
            if self._thread is not None:
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._supervise, name=f"vision-supervisor-{self.name}",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the worker (asked nicely, then SIGKILL after ``timeout``) and the supervisor.
        Returns True when the worker ended by itself."""
        self._stop_timeout = timeout
        self._stopping.set()
        with self._lock:
            proc, thread = self._proc, self._thread
            self._thread = None
        clean = True
        if proc is not None and proc.popen.poll() is None:
            proc.send({"t": "stop"})
            clean = self._wait_exit(proc, timeout)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=max(1.0, timeout))
        if proc is not None:
            self._reap(proc)
        self.up.clear()
        return clean

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until a worker is up (tests and tools)."""
        return self.up.wait(timeout)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.ready.is_set() and not proc.dead.is_set() else None

    @property
    def alive(self) -> bool:
        return self.pid is not None

    # -- inputs from the service -------------------------------------------------------------
    def set_session(self, active: bool) -> None:
        """The kiosk session is active (not idle): the worker runs its full pipeline meanwhile."""
        active = bool(active)
        with self._lock:
            if active == self._session:
                return
            self._session = active
            self._send({"t": "session", "active": active})

    def reset(self) -> None:
        """The worker forgets the confirmed card before its next frame."""
        with self._lock:
            self._send({"t": "reset"})

    def enrol(self, identity: str, templates: list[Any], local: bool = True) -> None:
        """A citizen's templates (replacing any earlier ones) into the gallery, here and in the worker.
        ``local=False``: the caller updated the (shared) gallery already; only the worker is told."""
        from kiosk.vision.gallery import template_to_bytes

        with self._lock:
            if local:
                self.gallery.replace(identity, templates)
            self._send({"t": "gallery_put", "identity": identity},
                       [("templates", b"".join(template_to_bytes(t) for t in templates))])

    def forget(self, identity: str, local: bool = True) -> None:
        """A citizen's templates out of the gallery, here and in the worker (``local`` as for ``enrol``)."""
        with self._lock:
            if local:
                self.gallery.remove(identity)
            self._send({"t": "gallery_remove", "identity": identity})

    def templates_of(self, track_id: int) -> list[np.ndarray]:
        """The templates the worker encoded of a tracked face (for enrolment after consent)."""
        with self._lock:
            return [t.copy() for t in self._templates.get(track_id, [])]

    def debug(self, op: str, **args: Any) -> None:
        """A test hook message (the worker obeys it only when started with ``test_hooks``)."""
        with self._lock:
            self._send({"t": "debug", "op": op, **args})

    # -- pushed frames -----------------------------------------------------------------------
    def push_jpeg(self, data: bytes, timestamp: float | None = None) -> bool:
        """Push one JPEG frame; False when dropped (a frame is in flight, or no worker is up).
        Raises FrameError for bytes that are not a whole JPEG image."""
        data = check_jpeg(data)
        return self._push({"kind": "jpeg"}, data, timestamp, None) is not None

    def push_rgb(self, frame: np.ndarray, timestamp: float | None = None) -> bool:
        """Push one raw RGB frame (H, W, 3) uint8; False when dropped. Raises FrameError for another array."""
        frame = check_rgb(frame)
        return self._push({"kind": "rgb", "w": frame.shape[1], "h": frame.shape[0]}, frame.tobytes(),
                          timestamp, None) is not None

    def process_jpeg(self, data: bytes, timestamp: float | None = None,
                     timeout: float | None = None) -> Observation | None:
        """Push one JPEG and wait for its observation (None: dropped, skipped by the presence gate,
        or the worker died). Raises FrameError for a frame the worker cannot read."""
        return self._process({"kind": "jpeg"}, check_jpeg(data), timestamp, timeout)

    def process_rgb(self, frame: np.ndarray, timestamp: float | None = None,
                    timeout: float | None = None) -> Observation | None:
        """Push one raw RGB frame and wait for its observation (see ``process_jpeg``)."""
        frame = check_rgb(frame)
        return self._process({"kind": "rgb", "w": frame.shape[1], "h": frame.shape[0]}, frame.tobytes(),
                             timestamp, timeout)

    def _process(self, meta: dict[str, Any], data: bytes, timestamp: float | None,
                 timeout: float | None) -> Observation | None:
        waiter = _Waiter()
        if self._push(meta, data, timestamp, waiter) is None:
            return None
        if not waiter.event.wait(timeout if timeout is not None else self.settings.deadline_s * 3):
            return None
        if waiter.error is not None:
            raise FrameError(waiter.error)
        return waiter.obs

    def _push(self, meta: dict[str, Any], data: bytes, timestamp: float | None, waiter: _Waiter | None) -> int | None:
        ts = self.clock() if timestamp is None else float(timestamp)
        with self._lock:
            proc = self._proc
            if proc is None or not proc.ready.is_set() or proc.dead.is_set() or proc.in_flight is not None:
                self.stats["dropped_here"] += 1
                return None
            seq = next(self._seq)
            proc.in_flight = seq
            proc.pending[f"frame:{seq}"] = self.clock()
            if waiter is not None:
                self._waiters[seq] = waiter
            proc.send({"t": "frame", "seq": seq, "ts": ts, **meta}, [("data", data)])
            self.stats["frames_sent"] += 1
            return seq

    # -- internals: sending ------------------------------------------------------------------
    def _send(self, header: dict[str, Any], blobs: Iterable[tuple[str, bytes]] = ()) -> None:
        """To the current worker when one is up (state is re-sent whole to the next one anyway)."""
        proc = self._proc
        if proc is not None and not proc.dead.is_set():
            proc.send(header, blobs)

    def _today(self) -> str | None:
        if self.today is None:
            return None
        try:
            return self.today().isoformat()
        except Exception:  # the clock of the centre failed: the worker uses its own date
            return None

    # -- internals: the supervisor -----------------------------------------------------------
    def _spawn(self) -> _Proc:
        env = {**os.environ, **self.env}
        for pool in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(pool, "1")  # one worker per terminal is the parallelism: no pools inside it
        env["PYTHONPATH"] = os.pathsep.join([_KIOSK_ROOT, *filter(None, [env.get("PYTHONPATH")])])
        if self.test_hooks:
            env[HOOKS_ENV] = "1"
        else:
            env.pop(HOOKS_ENV, None)
        popen = subprocess.Popen([self.python, "-m", "kiosk.vision.worker"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, close_fds=True)
        with self._lock:
            self._gen += 1
            proc = _Proc(self._gen, popen, self.clock)
            today = self._today()
            self._today_sent = today
            config = {"t": "config", **self.settings.config(), "track_id_base": self._gen * TRACK_ID_STEP,
                      "session": self._session, "today": today}
            proc.send(config, [("gallery", self.gallery.to_bytes())])
            self._proc = proc
            self._templates.clear()
        for target, what in ((self._writer, "writer"), (self._reader, "reader"), (self._stderr, "stderr")):
            t = threading.Thread(target=target, args=(proc,), name=f"vision-{what}-{self.name}", daemon=True)
            t.start()
            proc.threads.append(t)
        return proc

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                proc = self._spawn()
            except OSError as exc:
                log.error("vision worker %s could not be started: %s", self.name, exc)
                proc = None
            if proc is not None:
                self.stats["starts"] += 1
                if self.stats["starts"] > 1:
                    self.stats["restarts"] += 1
                self._watch(proc)
                self._reap(proc)
                if self._stopping.is_set():
                    break
                if proc.ready_at is not None and self.clock() - proc.ready_at >= self.settings.healthy_after_s:
                    failures = 0
            s = self.settings
            delay = min(s.restart_max_s, s.restart_initial_s * (2 ** failures))
            failures += 1
            log.error("vision worker %s %s; the kiosk works by touch until it is back (restart in %.1f s)",
                      self.name, proc.reason if proc is not None else "did not start", delay)
            self._report_lost(force=True)
            until = self.clock() + delay
            while not self._stopping.is_set() and self.clock() < until:
                self._stopping.wait(min(s.lost_report_s, max(0.0, until - self.clock())))
                self._report_lost()

    def _watch(self, proc: _Proc) -> None:
        """Until the worker dies, is killed or the supervisor stops: pings, deadline, date."""
        s = self.settings
        tick = min(0.25, s.heartbeat_s / 4)
        last_tick = self.clock()
        while not self._stopping.is_set():
            if proc.dead.wait(tick):
                break
            now = self.clock()
            lag = now - last_tick - tick
            last_tick = now
            if proc.popen.poll() is not None:
                break
            if not proc.ready.is_set():
                if now - proc.started_at > max(s.start_timeout_s, s.deadline_s):
                    self._kill(proc, f"did not start within {max(s.start_timeout_s, s.deadline_s):.0f} s")
                    break
                continue
            with self._lock:
                if lag > max(0.5, s.deadline_s / 4):
                    # this process itself was stalled (an overloaded host, a blocked event loop): do not
                    # blame the worker for the time its answers could not be read
                    for key in proc.pending:
                        proc.pending[key] += lag
                if now - proc.last_ping >= s.heartbeat_s and not any(k.startswith("ping:") for k in proc.pending):
                    ping = next(proc.ping_ids)
                    proc.pending[f"ping:{ping}"] = now
                    proc.last_ping = now
                    proc.send({"t": "ping", "id": ping})
                    today = self._today()
                    if today is not None and today != self._today_sent:
                        self._today_sent = today
                        proc.send({"t": "today", "date": today})
                oldest = min(proc.pending.values(), default=None)
            if oldest is not None and now - oldest > s.deadline_s:
                if proc.suspect_since is None:
                    proc.suspect_since = now  # let the reader take any answer already in the pipe
                elif now - proc.suspect_since >= min(0.25, s.deadline_s / 4):
                    self.stats["deadline_kills"] += 1
                    self._kill(proc, f"did not answer within the deadline of {s.deadline_s:g} s: killed")
                    break
            else:
                proc.suspect_since = None

    def _kill(self, proc: _Proc, reason: str) -> None:
        proc.reason = proc.reason or reason
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _wait_exit(self, proc: _Proc, timeout: float) -> bool:
        try:
            proc.popen.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            self._kill(proc, "did not stop in time: killed")
            return False

    def _reap(self, proc: _Proc) -> None:
        """The process is gone or going: kill it if need be, close its pipes, fail its waiters."""
        with self._lock:
            if proc.reaped:
                return
            proc.reaped = True
        if proc.popen.poll() is None and proc.dead.is_set():
            try:  # its stdout closed: the process is exiting (gevent learns of it a moment later)
                proc.popen.wait(0.5)
            except subprocess.TimeoutExpired:
                pass
        if proc.popen.poll() is None:
            if not self._stopping.is_set():
                self._kill(proc, proc.reason or "stopped answering")
            else:
                self._wait_exit(proc, self._stop_timeout)
        try:
            rc = proc.popen.wait(10)
        except subprocess.TimeoutExpired:  # cannot happen after SIGKILL, short of a kernel problem
            rc = None
        if proc.reason is None:
            if self._stopping.is_set():
                proc.reason = "stopped"
            else:
                self.stats["crashes"] += 1
                proc.reason = (f"was killed by signal {-rc}" if rc is not None and rc < 0
                               else f"exited with code {rc}")
        proc.dead.set()
        proc.out.put(None)
        with self._lock:
            if self._proc is proc:
                self._proc = None
            waiters = list(self._waiters.items())
            self._waiters.clear()
        self.up.clear()
        for _, waiter in waiters:
            waiter.event.set()
        for stream in (proc.popen.stdin, proc.popen.stdout, proc.popen.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        for t in proc.threads:
            if t is not threading.current_thread():
                t.join(timeout=2)

    def _report_lost(self, force: bool = False) -> None:
        """While no worker is up: the kiosk session hears of a lost camera (and ticks its timeouts)."""
        if self._stopping.is_set() or self.on_observation is None:
            return
        now = self.clock()
        if not force and now - self._last_lost < self.settings.lost_report_s:
            return
        self._last_lost = now
        self._deliver(Observation(now, False, face_engine_ok=self._face_engine_ok))

    def _deliver(self, obs: Observation) -> None:
        self.stats["observations"] += 1
        if self.on_observation is None:
            return
        try:
            self.on_observation(obs)
        except Exception:
            log.exception("kiosk session failed on a vision observation")

    # -- internals: the pipes' threads -------------------------------------------------------
    def _writer(self, proc: _Proc) -> None:
        stdin = proc.popen.stdin
        while True:
            data = proc.out.get()
            if data is None:
                return
            try:
                stdin.write(data)  # type: ignore[union-attr]
                stdin.flush()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError, ValueError):
                return  # the worker is gone: the reader sees the end of its stdout

    def _stderr(self, proc: _Proc) -> None:
        try:
            for raw in proc.popen.stderr:  # type: ignore[union-attr]
                line = raw.decode("utf-8", errors="replace").rstrip()
                if line:
                    log.warning("vision worker %s (pid %d) stderr: %s", self.name, proc.pid, line[:2000])
        except (OSError, ValueError):
            pass

    def _reader(self, proc: _Proc) -> None:
        try:
            while True:
                msg = read_message(proc.popen.stdout)  # type: ignore[arg-type]
                if msg is None:
                    break
                self._dispatch(proc, *msg)
        except ProtocolError as exc:
            self._kill(proc, f"sent a broken message stream ({exc}): killed")
        except (OSError, ValueError):
            pass  # the pipe was closed under us: the process is being reaped
        finally:
            proc.dead.set()

    def _frame_done(self, proc: _Proc, seq: Any, obs: Observation | None = None, error: str | None = None) -> None:
        with self._lock:
            proc.pending.pop(f"frame:{seq}", None)
            if proc.in_flight == seq:
                proc.in_flight = None
            waiter = self._waiters.pop(seq, None) if isinstance(seq, int) else None
        if waiter is not None:
            waiter.obs, waiter.error = obs, error
            waiter.event.set()

    def _dispatch(self, proc: _Proc, header: dict[str, Any], blobs: dict[str, bytes]) -> None:
        t = header["t"]
        if t == "obs":
            try:
                obs, templates = decode_observation(header, blobs)
            except ProtocolError as exc:
                self.stats["errors"] += 1
                log.error("vision worker %s sent a bad observation: %s", self.name, exc)
                self._frame_done(proc, header.get("seq"))
                return
            self._face_engine_ok = obs.face_engine_ok
            if templates or obs.faces:
                self._keep_templates(obs, templates)
            self._deliver(obs)
            if "seq" in header:
                self._frame_done(proc, header["seq"], obs)
        elif t == "pong":
            with self._lock:
                proc.pending.pop(f"ping:{header.get('id')}", None)
            if isinstance(header.get("stats"), dict):
                self.worker_stats = header["stats"]
        elif t in ("dropped", "skipped"):
            self._frame_done(proc, header.get("seq"))
        elif t == "error":
            self._worker_error(proc, header)
        elif t == "log":
            level = header.get("level")
            log.log(level if isinstance(level, int) else logging.WARNING, "vision worker %s: %s",
                    self.name, header.get("msg", ""))
        elif t == "ready":
            proc.ready_at = self.clock()
            self._face_engine_ok = bool(header.get("face_engine_ok", True))
            proc.ready.set()
            self.up.set()
            log.info("vision worker %s %s (pid %d)", self.name,
                     "started" if self.stats["starts"] <= 1 else "restarted", proc.pid)
        elif t == "bye":
            pass
        else:
            log.warning("vision worker %s sent an unknown message type %r", self.name, t[:40])

    def _worker_error(self, proc: _Proc, header: dict[str, Any]) -> None:
        self.stats["errors"] += 1
        code = str(header.get("code", "error"))
        message = str(header.get("message", ""))
        if code == "bad_frame":
            now = self.clock()
            last, count = self._rate.get(code, (-1e18, 0))
            if now - last >= 10.0:
                log.warning("vision worker %s refused a pushed frame: %s%s", self.name, message,
                            f" ({count} more since the last report)" if count else "")
                self._rate[code] = (now, 0)
            else:
                self._rate[code] = (last, count + 1)
        else:
            tb = header.get("traceback")
            log.error("vision worker %s (pid %d) error %s: %s%s", self.name, proc.pid, code, message,
                      f"\n{tb.rstrip()}" if isinstance(tb, str) and tb else "")
        if "seq" in header:
            self._frame_done(proc, header["seq"], error=message or code)

    def _keep_templates(self, obs: Observation, templates: dict[int, list[np.ndarray]]) -> None:
        with self._lock:
            for tid, new in templates.items():
                self._templates.setdefault(tid, []).extend(new)
            for face in obs.faces:
                if face.track_id in self._templates:
                    self._templates.move_to_end(face.track_id)
            while len(self._templates) > 32:
                self._templates.popitem(last=False)
