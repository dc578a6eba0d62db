"""A queue of hall announcements, said one after another and never over each other.

One worker (kiosk.runtime.workers.QueueWorker) takes calls in the order they were submitted, renders each to WAV, hands the
result to every listener (the web layer pushes it to the hall display page, which plays it in the
browser), optionally plays it on the PC's speaker, and only then moves on. Even without a
speaker the worker waits out each announcement's duration (``pace``), so the next one is never
handed to the hall page while the previous one is still being said: the browser can play what it
receives at once and nothing is cut off. A recall is a new call and is announced again.

Usage::

    announcer = Announcer(Voice(VoiceConfig(repeat=2)).render, listeners=[store.put_result])
    announcer.submit(Call("A015", 3))       # or announcer.submit(ticket_called_payload)
    ...
    announcer.close()
"""
from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kiosk.display.announcement import AnnouncementError, Call
from kiosk.display.tts import RenderedAudio, play_wav
from kiosk.runtime.workers import QueueWorker, WorkerClosed

log = logging.getLogger(__name__)

Renderer = Callable[[Call], RenderedAudio]


class AnnouncerError(RuntimeError):
    """The announcer cannot take the call (closed, or too many announcements waiting)."""


@dataclass(frozen=True)
class AnnouncementResult:
    """A rendered announcement handed to listeners, in submission order."""

    seq: int
    key: str  # URL-safe id, e.g. for /display/audio/<key>.wav
    call: Call
    audio: RenderedAudio

    @property
    def wav(self) -> bytes:
        """The WAV bytes."""
        return self.audio.wav

    @property
    def duration_s(self) -> float:
        """How long the announcement takes to say, in seconds."""
        return self.audio.duration_s


Listener = Callable[[AnnouncementResult], object]
Player = Callable[[AnnouncementResult], object]
ErrorListener = Callable[[int, Call, Exception], object]


def speaker_player(result: AnnouncementResult) -> None:
    """Play on the PC's speaker (aplay/paplay); does nothing when there is none."""
    play_wav(result.wav)


class ClockSpeaker:
    """A speaker modelled by time: "plays" an announcement by waiting out its duration.

    It records (seq, start, end) of every playback, which is what the no-overlap guarantee is
    tested against; ``time_scale`` shortens the wait for simulations and tests.
    """

    def __init__(self, time_scale: float = 1.0) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, not {time_scale!r}")
        self.time_scale = time_scale
        self.played: list[tuple[int, float, float]] = []
        self._lock = threading.Lock()
        self._never = threading.Event()

    def __call__(self, result: AnnouncementResult) -> None:
        start = time.monotonic()
        self._never.wait(result.duration_s * self.time_scale)
        with self._lock:
            self.played.append((result.seq, start, time.monotonic()))


class Announcer:
    """Says announcements one after another, in order, never overlapping (one QueueWorker)."""

    def __init__(
        self,
        render: Renderer,
        *,
        listeners: Iterable[Listener] = (),
        player: Player | None = None,
        pace: bool = True,
        time_scale: float = 1.0,
        on_error: ErrorListener | None = None,
        max_pending: int = 200,
    ) -> None:
        """``render`` turns a Call into audio (``Voice.render``); ``player`` blocks while playing
        (``speaker_player`` or a ClockSpeaker); ``pace`` also waits out each announcement's
        duration (scaled by ``time_scale``) when no player is set or the player returns early."""
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, not {time_scale!r}")
        self._render = render
        self._listeners: list[Listener] = list(listeners)
        self._player = player
        self._pace = pace
        self._time_scale = time_scale
        self._on_error = on_error
        self._worker: QueueWorker[tuple[int, Call]] = QueueWorker("announcer", self._announce, max_pending)
        self._lock = threading.Lock()
        self._submitted = 0
        self._hurry = threading.Event()  # stopping: no more pacing, hand out what is queued at once
        self._drop = threading.Event()  # close(drain=False): skip what has not started

    def add_listener(self, listener: Listener) -> None:
        """Also hand each finished announcement to ``listener`` (called on the worker thread)."""
        with self._lock:
            self._listeners.append(listener)

    def start(self) -> None:
        """Start the worker thread (``submit`` starts it too)."""
        self._worker.start()

    def submit(self, call: Call | Mapping[str, object]) -> int:
        """Queue a call (a Call or a ``ticket_called`` payload); returns its sequence number.

        Bad tickets/counters raise AnnouncementError here, in the caller, not later in the worker.
        """
        if not isinstance(call, Call):
            call = Call.from_event(call)  # type: ignore[arg-type]
        with self._lock:
            seq = self._submitted + 1
            try:
                # Queued under the lock so sequence numbers and queue order always agree.
                self._worker.put((seq, call))
            except WorkerClosed:
                raise AnnouncerError("the announcer is closed") from None
            except queue.Full:
                raise AnnouncerError(f"{self._worker._queue.maxsize} announcements already waiting") from None
            self._submitted = seq
        return seq

    def pending(self) -> int:
        """Announcements submitted and not yet finished (including the one being said)."""
        return self._worker.pending()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted announcement has finished; False on timeout."""
        return self._worker.wait_idle(3600.0 if timeout is None else timeout)

    def stop(self, deadline: float) -> int:
        """Orderly stop: the announcement being said ends, what is queued is rendered and handed to the
        hall at once (no pacing), before ``deadline``; returns how many were left unsaid."""
        self._hurry.set()
        return self._worker.stop(deadline)

    def close(self, *, drain: bool = True, timeout: float | None = 30.0) -> None:
        """Stop taking calls; with ``drain`` say what is queued first (paced), else drop what has not started."""
        if not drain:
            self._drop.set()
            self._hurry.set()
        self._worker.stop(time.monotonic() + (3600.0 if timeout is None else timeout))

    def __enter__(self) -> Announcer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ worker

    def _announce(self, item: tuple[int, Call]) -> None:
        seq, call = item
        if self._drop.is_set():
            return
        try:
            audio = self._render(call)
        except Exception as exc:  # one bad render must not stop the hall's announcements
            log.exception("announcement %d could not be rendered", seq)
            if self._on_error is not None:
                self._safe(self._on_error, seq, call, exc)
            return
        result = AnnouncementResult(seq=seq, key=f"{seq:06d}-{secrets.token_hex(4)}", call=call, audio=audio)
        start = time.monotonic()
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            self._safe(listener, result)
        if self._player is not None and not self._hurry.is_set():
            self._safe(self._player, result)
        if self._pace:
            remaining = audio.duration_s * self._time_scale - (time.monotonic() - start)
            if remaining > 0:
                self._hurry.wait(remaining)  # an Event wait, not a busy loop; a stop ends it

    @staticmethod
    def _safe(fn: Callable[..., object], *args: object) -> None:
        try:
            fn(*args)
        except Exception:  # a failing listener must not silence the others or the queue
            log.exception("announcement listener %r failed", fn)


class AudioStore:
    """The last few announcements' WAV bytes by key, for the web layer to serve to the hall page."""

    def __init__(self, max_items: int = 8) -> None:  # the hall fetches a clip within seconds of its push
        self.max_items = max_items
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def put_result(self, result: AnnouncementResult) -> None:
        """Listener: keep ``result.wav`` under ``result.key``."""
        self.put(result.key, result.wav)

    def put(self, key: str, wav: bytes) -> None:
        """Keep ``wav`` under ``key``, forgetting the oldest beyond ``max_items``."""
        with self._lock:
            self._items[key] = wav
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get(self, key: str) -> bytes | None:
        """The WAV bytes for ``key``, or None when unknown or already forgotten."""
        with self._lock:
            return self._items.get(key)


__all__ = [
    "AnnouncementError", "AnnouncementResult", "Announcer", "AnnouncerError", "AudioStore",
    "ClockSpeaker", "speaker_player",
]
