"""Pushes one terminal's kiosk state and camera preview to that terminal's pages (and no other's).

``push_state`` is the flow's ``on_change``: it runs after every observation and every touch, but emits
``kiosk_state`` only when the snapshot differs from the last one sent (compared by content, without the
flow's change counter ``version``): an empty hall sends nothing. ``states`` counts the emits,
``unchanged`` the pushes that were not sent. A page that connects asks with ``kiosk_get_state``.
``decorate(snapshot)`` adds what the terminal knows beyond the flow (its name, its printer, the
tracking link of the ticket shown).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["KioskLive"]

NAMESPACE = "/kiosk"


class KioskLive:
    """The Socket.IO side of one terminal's session (room ``room`` of /kiosk; None: every kiosk page)."""

    def __init__(self, socketio: Any, flow: Any, room: str | None = None,
                 decorate: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.socketio = socketio
        self.flow = flow
        self.room = room
        self.decorate = decorate or (lambda snap: snap)
        self.previews = 0
        self.states = 0
        self.unchanged = 0
        self._last: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> dict[str, Any]:
        """The flow's snapshot with the terminal's additions."""
        return self.decorate(self.flow.snapshot())

    def on_observation(self, obs: Any) -> None:
        """Called with each observation of the vision worker."""
        self.flow.on_observation(obs)  # the flow's on_change pushes the state
        if obs.preview is not None and obs.frame_size is not None:
            self.previews += 1
            self.socketio.emit("kiosk_preview", {"jpeg": obs.preview, "w": obs.frame_size[0],
                                                 "h": obs.frame_size[1]}, namespace=NAMESPACE, to=self.room)

    def push_state(self) -> None:
        """Send the current state to the terminal's pages, when it changed."""
        snap = self.snapshot()
        shown = {k: v for k, v in snap.items() if k != "version"}
        with self._lock:
            if shown == self._last:
                self.unchanged += 1
                return
            self._last = shown
            self.states += 1
        self.socketio.emit("kiosk_state", snap, namespace=NAMESPACE, to=self.room)
