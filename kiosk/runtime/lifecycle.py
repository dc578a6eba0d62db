"""One supervisor starts every background part in a fixed order and stops them in the reverse order.

Parts are added in the order they depend on each other (drivers before what feeds them, the event bus
before its publishers' inputs), so stopping in reverse first closes the inputs (vision, periodic tasks),
then drains what was accepted through the bus into the devices (announcements, prints, pages), and
closes the drivers and the store last. Every stop shares one deadline: systemd waits 5 s.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

Stopper = Callable[[float], object]  # stop(deadline): finish accepted work until time.monotonic() >= deadline


@dataclass(frozen=True)
class Part:
    """A background part: how to start it and how to stop it before a deadline."""

    name: str
    start: Callable[[], object]
    stop: Stopper


def _nothing() -> None:
    return None


class Supervisor:
    """Starts parts in the order added; stops them in reverse, each within what is left of the deadline."""

    def __init__(self) -> None:
        self._parts: list[Part] = []
        self._started: list[Part] = []
        self._running = False
        self.stopped = False

    @property
    def names(self) -> list[str]:
        return [p.name for p in self._parts]

    def add(self, name: str, stop: Stopper, start: Callable[[], object] = _nothing) -> None:
        """Add a part; parts added after ``start()`` are started at once."""
        part = Part(name, start, stop)
        self._parts.append(part)
        if self._running:
            self._start_one(part)

    def start(self) -> None:
        """Start every part in order; if one fails, stop those already started and re-raise."""
        self._running = True
        for part in self._parts:
            if part not in self._started:
                self._start_one(part)

    def _start_one(self, part: Part) -> None:
        try:
            part.start()
        except BaseException:
            log.error("part %s failed to start; stopping the others", part.name)
            self.stop(timeout=3.0)
            raise
        self._started.append(part)

    def stop(self, timeout: float = 4.0) -> None:
        """Stop every part (started or only built) in reverse order, sharing one deadline."""
        if self.stopped:
            return
        self.stopped = True
        deadline = time.monotonic() + timeout
        for part in reversed(self._parts):
            try:
                part.stop(deadline)
            except Exception:
                log.exception("part %s failed to stop cleanly", part.name)
        late = time.monotonic() - deadline
        if late > 0:
            log.warning("shutdown ran %.1f s past its deadline", late)
