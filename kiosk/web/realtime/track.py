"""Socket.IO ``/track``: the citizen's tracking page (``/t/<id>/<sig>``) kept up to date live.

The page connects with ``auth: {"ticket": id, "sig": sig}``, the pair of its signed link; anything else is
refused (``forbidden``) before it joins anything. A connected page is in room ``track:<id>`` and gets
``track_update`` (the body of ``kiosk.display.track_status``) at once, then whenever that ticket's place,
wait or state changes.

Cost: a bus subscriber marks the watched tickets dirty on every queue event (issue, call, transfer,
counter state …); one thread recomputes them at most every ``TRACK_INTERVAL_S``, with a single forecast
for every watched ticket (bounded by today's waiting tickets), and emits only to the rooms of the tickets
whose body changed, so a call at a counter of another service costs the pages of this service nothing
on the wire.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import current_app, request
from flask_socketio import Namespace, SocketIO, emit, join_room

from kiosk.display.track_status import track_status
from kiosk.display.tracking import verify_signature
from kiosk.queue import events as ev
from kiosk.queue.errors import NotFound
from kiosk.runtime.bus import CatalogChanged
from kiosk.web.realtime.refusals import refused

log = logging.getLogger(__name__)

NAMESPACE = "/track"
EVENT = "track_update"
TRACK_INTERVAL_S = 0.25  # coalesce a burst of calls into one recompute; still "live" to a citizen


def room(ticket_id: int) -> str:
    return f"track:{ticket_id}"


class TrackFanout:
    """Who watches which ticket, and the live updates to them."""

    def __init__(self, socketio: SocketIO, engine: Any, app: Any) -> None:
        self.socketio, self.engine, self.app = socketio, engine, app
        self._lock = threading.Lock()
        self._by_sid: dict[str, int] = {}
        self._watchers: dict[int, set[str]] = {}
        self._sent: dict[int, dict[str, Any]] = {}
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- watchers -------------------------------------------------------------------------
    def watch(self, sid: str, ticket_id: int) -> dict[str, Any]:
        """``sid`` follows ``ticket_id``; returns the ticket's body now (sent to it on connect)."""
        body = self.status(ticket_id)
        with self._lock:
            self._by_sid[sid] = ticket_id
            self._watchers.setdefault(ticket_id, set()).add(sid)
            self._sent[ticket_id] = body
        return body

    def unwatch(self, sid: str) -> None:
        with self._lock:
            ticket_id = self._by_sid.pop(sid, None)
            sids = self._watchers.get(ticket_id) if ticket_id is not None else None
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self._watchers[ticket_id]
                    self._sent.pop(ticket_id, None)

    def watched(self) -> list[int]:
        with self._lock:
            return list(self._watchers)

    # -- updates --------------------------------------------------------------------------
    def status(self, ticket_id: int) -> dict[str, Any]:
        body = self.statuses([ticket_id]).get(ticket_id)
        if body is None:
            raise NotFound(f"no ticket with id {ticket_id}", text="ticket_missing")
        return body

    def statuses(self, ticket_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The bodies of ``ticket_ids`` (those that exist), with one forecast for all of them."""
        tickets = []
        for tid in ticket_ids:
            try:
                tickets.append(self.engine.ticket(tid))
            except NotFound:
                continue
        places = self.engine.forecast([t.id for t in tickets if t.state == "waiting"])
        return {t.id: track_status(t, (places[t.id].position, places[t.id].estimated_wait_s)
                                   if t.id in places else None) for t in tickets}

    def __call__(self, event: Any) -> None:
        """Bus subscriber: any queue event may move a watched ticket."""
        if not isinstance(event, (ev.Event, CatalogChanged)):
            return
        with self._lock:
            if not self._watchers:
                return
        self._dirty.set()
        self.start()

    def push(self) -> int:
        """Emit the bodies that changed since last sent; returns how many were sent."""
        ids = self.watched()
        if not ids:
            return 0
        with self.app.app_context():
            bodies = self.statuses(ids)
        sent = 0
        for tid, body in bodies.items():
            with self._lock:
                if tid not in self._watchers or self._sent.get(tid) == body:
                    continue
                self._sent[tid] = body
            self.socketio.emit(EVENT, body, namespace=NAMESPACE, to=room(tid))
            sent += 1
        return sent

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="track-fanout", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            thread = self._thread
        self._dirty.set()
        if thread is not None:
            thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            self._dirty.clear()
            started = time.monotonic()
            try:
                self.push()
            except Exception:  # the pages fall back to polling; this thread must live on
                log.exception("tracking update failed")
            self._stop.wait(max(0.0, TRACK_INTERVAL_S - (time.monotonic() - started)))


def _ticket_of(auth: Any) -> int:
    """The ticket id of a signed ``auth`` pair, or ConnectionRefusedError."""
    if not isinstance(auth, dict):
        raise refused("forbidden", "ticket_link_missing")
    ticket, sig = auth.get("ticket"), auth.get("sig")
    if isinstance(ticket, str) and ticket.isdigit() and len(ticket) <= 18:
        ticket = int(ticket)
    if isinstance(ticket, bool) or not isinstance(ticket, int) or not 1 <= ticket < 2**63:
        raise refused("forbidden", "ticket_link_missing")
    if not verify_signature(current_app.config["SECRET_KEY"], ticket, sig):
        raise refused("forbidden", "ticket_link_missing")
    return ticket


class TrackNamespace(Namespace):
    def __init__(self, fanout: TrackFanout) -> None:
        super().__init__(NAMESPACE)
        self.fanout = fanout

    def on_connect(self, auth: Any = None) -> None:
        ticket = _ticket_of(auth)
        try:
            body = self.fanout.watch(request.sid, ticket)
        except NotFound:
            raise refused("forbidden", "ticket_link_missing") from None
        join_room(room(ticket))
        emit(EVENT, body)

    def on_disconnect(self, reason: Any = None) -> None:
        self.fanout.unwatch(request.sid)


def register_track(socketio: SocketIO, fanout: TrackFanout) -> None:
    socketio.on_namespace(TrackNamespace(fanout))
