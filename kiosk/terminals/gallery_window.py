"""The centre's face gallery, kept to the citizens seen within ``[vision] gallery_window_days``.

The kiosk recognises returning citizens, and every enrolled face it searches is one more that a stranger
can be mistaken for (docs/faces.md): so the gallery holds only the citizens with templates whose last-seen
(a card read, or a face match they confirmed) is within the window. ``load`` builds it at start with one
query; ``check`` (from the terminal hub's ticker, once a minute) takes out those who left the window since;
``seen`` (the citizens registry's ``on_seen``) takes a citizen back at once when their card is read again.

Outside the window the templates are deleted from the store (audited, the consent stays: the citizen is
asked again at the next visit), unless ``[vision] keep_templates_outside_window``: then they stay sealed
until the retention purge deletes the citizen, and come back with the card.

``put(identity, templates)`` and ``remove(identity)`` are the hub's: the shared gallery and every
terminal's vision worker.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["GalleryWindow"]

DAY_S = 86400.0


class GalleryWindow:
    """Which citizens the shared gallery holds (see the module docstring)."""

    def __init__(self, citizens: Any, window_days: int, keep_outside: bool, *,
                 put: Callable[[str, list[Any]], None], remove: Callable[[str], None],
                 check_every_s: float = 60.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.citizens = citizens  # kiosk.citizens.registry.CitizenRegistry (its clock is the centre's)
        self.window_s = window_days * DAY_S
        self.window_days = window_days
        self.keep_outside = keep_outside
        self.put = put
        self.remove = remove
        self.check_every_s = check_every_s
        self.monotonic = monotonic
        self.gallery: Any = None
        self._cutoff = float("-inf")
        self._last_check = float("-inf")
        self._lock = threading.Lock()

    def cutoff(self) -> float:
        """Citizens last seen before this time are outside the window."""
        return self.citizens.clock.now() - self.window_s

    def load(self) -> Any:
        """The gallery of the citizens within the window (after dropping the templates of the others)."""
        from kiosk.session.setup import gallery_from_store

        with self._lock:
            cutoff = self.cutoff()
            if not self.keep_outside:
                self._drop(cutoff)
            self.gallery = gallery_from_store(self.citizens, cutoff)
            self._cutoff = cutoff
            self._last_check = self.monotonic()
        return self.gallery

    def tick(self) -> None:
        """``check`` at most every ``check_every_s`` (the hub's ticker calls this every second)."""
        if self.monotonic() - self._last_check >= self.check_every_s:
            self.check()

    def check(self) -> list[int]:
        """Take out of the gallery the citizens who left the window since the last check; returns their ids."""
        with self._lock:
            self._last_check = self.monotonic()
            cutoff = self.cutoff()
            if cutoff <= self._cutoff:
                return []
            if self.keep_outside:
                # last-seen only grows: whoever is in the gallery was seen at or after the previous cutoff
                left = self.citizens.faces_seen_between(self._cutoff, cutoff)
            else:
                left = self._drop(cutoff)
            self._cutoff = cutoff
        for citizen_id in left:
            self.remove(str(citizen_id))
        if left:
            log.info("face gallery: %d citizen(s) left the %d-day window", len(left), self.window_days)
        return left

    def seen(self, citizen_id: int) -> None:
        """A citizen with templates was just seen (card read, match confirmed): back into the gallery if out."""
        identity = str(citizen_id)
        if self.gallery is None or identity in self.gallery:
            return
        from kiosk.vision.gallery import templates_from_bytes

        stored = self.citizens.face_templates_of(citizen_id)
        if not stored:
            return  # dropped meanwhile: the citizen is asked to enrol again
        rows, ok = templates_from_bytes(stored)
        if not ok.all():
            log.warning("citizen %d: stored face templates are unreadable; not in the gallery", citizen_id)
            return
        self.put(identity, list(rows))

    def _drop(self, cutoff: float) -> list[int]:
        return self.citizens.drop_faces_seen_before(
            cutoff, f"face templates dropped: outside the gallery window ({self.window_days} days)")
