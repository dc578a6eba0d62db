"""Accept a card at the kiosk only after two agreeing reads within a short window.

One frame's read can be wrong (a second card half in view, a misread that still parses); two reads
of the same record from different frames a moment apart are the card the citizen is holding up.
Once confirmed, the same card is not confirmed again while it stays in view, so one showing gives
one ticket flow. State is kept in memory only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.vision.cccd import CccdRecord

__all__ = ["CardConfirmer"]


class CardConfirmer:
    """Feed it every frame's read; it returns the card once, when the reads agree.

    ``reads_needed`` agreeing reads (default 2) must fall within ``window_s`` seconds (default 2.0).
    A different card read in between restarts the count with that card. After a confirmation the
    same card is ignored until it has been out of view for ``rearm_s`` seconds (default 3.0) or
    :meth:`reset` is called (e.g. when the kiosk flow ends). ``clock`` gives seconds (monotonic).
    """

    def __init__(
        self,
        *,
        reads_needed: int = 2,
        window_s: float = 2.0,
        rearm_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if reads_needed < 1:
            raise ValueError("reads_needed must be at least 1")
        if window_s <= 0 or rearm_s < 0:
            raise ValueError("window_s must be > 0 and rearm_s >= 0")
        self.reads_needed = reads_needed
        self.window_s = window_s
        self.rearm_s = rearm_s
        self._clock = clock
        self._candidate: CccdRecord | None = None
        self._times: list[float] = []
        self._confirmed: CccdRecord | None = None
        self._confirmed_last_seen = 0.0

    def __repr__(self) -> str:
        # Never the card itself: a repr can end up in a log.
        confirmed = self._confirmed is not None
        return f"CardConfirmer(reads={len(self._times)}/{self.reads_needed}, confirmed={confirmed})"

    @property
    def pending(self) -> bool:
        """True while a card has been read but not yet confirmed (the screen can say "hold still")."""
        return self._candidate is not None

    def offer(self, record: CccdRecord | None, now: float | None = None) -> CccdRecord | None:
        """Give the read of one frame (None when the frame held no valid card).

        Returns the record when this read makes it confirmed, else None.
        """
        now = self._clock() if now is None else now
        if self._confirmed is not None:
            if record == self._confirmed:
                self._confirmed_last_seen = now
                return None
            if now - self._confirmed_last_seen >= self.rearm_s:
                self._confirmed = None
        if record is None:
            self._expire(now)
            return None
        if record != self._candidate:
            self._candidate, self._times = record, []
        self._times = [t for t in self._times if now - t <= self.window_s] + [now]
        if len(self._times) >= self.reads_needed:
            self._confirmed, self._confirmed_last_seen = record, now
            self._candidate, self._times = None, []
            return record
        return None

    def _expire(self, now: float) -> None:
        self._times = [t for t in self._times if now - t <= self.window_s]
        if not self._times:
            self._candidate = None

    def reset(self) -> None:
        """Forget everything (the flow ended, or the citizen walked away)."""
        self._candidate, self._times = None, []
        self._confirmed, self._confirmed_last_seen = None, 0.0
