"""Socket.IO namespaces and the fan-out of domain events to them.

/display  hall display: `ticket_called`, `queue_snapshot`           (public when display_public)
/kiosk    kiosk screens: `queue_snapshot`, `catalog_changed`         (kiosk)
/counter  officer consoles: `queue_snapshot`, `counter_event`, `catalog_changed` (officer, own counter room)
/monitor  managers: `queue_snapshot`, `queue_event`, `catalog_changed` (manager)
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from flask import current_app, request, session
from flask_socketio import Namespace, SocketIO, emit, join_room

from kiosk.accounts.registry import Principal, token_principal
from kiosk.devices.displays import PUBLIC_ID, PUBLIC_NAME, token_display_id
from kiosk.display.notices import load_notices
from kiosk.queue import events as ev
from kiosk.queue.snapshot import queue_snapshot
from kiosk.runtime.bus import CatalogChanged
from kiosk.texts.vi import page_text
from kiosk.web.realtime.refusals import refused
from kiosk.web.realtime.watch import SocketAuth
from kiosk.web.security import session_principal

log = logging.getLogger(__name__)

NAMESPACE_ROLES = {
    "/display": ("display", "kiosk", "officer", "manager"),
    "/kiosk": ("kiosk",),
    "/counter": ("officer",),
    "/monitor": ("manager",),
}
# The hall display only draws snapshots, and one follows every catalogue change.
CATALOG_NAMESPACES = ("/kiosk", "/counter", "/monitor")
SNAPSHOT_INTERVAL_S = 0.5  # coalesce bursts: at most two snapshots a second
CALL_QUIET_S = 0.15
DISPLAY_INTERVAL_S = 1.0  # the hall's screens: at most one snapshot a second


def display_snapshot(snap: dict[str, Any], notices: list[str] | None = None) -> dict[str, Any]:
    """The hall's share of a snapshot: what a TV shows, a fraction of the bytes to every screen; with the
    centre's line of announcements (kiosk.display.notices), so an admin's change reaches the hall live."""
    return {
        "at": snap["at"], "day": snap["day"], "recent_calls": snap["recent_calls"],
        "services": [{k: s[k] for k in ("code", "name", "name_en", "prefix", "is_open", "waiting")}
                     for s in snap["services"]],
        "counters": [{**{k: c[k] for k in ("number", "name", "state", "pause_reason", "services")},
                      "current": c["current"] and {k: c["current"][k] for k in
                                                   ("id", "number", "service", "priority", "state", "called_at")}}
                     for c in snap["counters"]],
        "today": snap["today"],
        "notices": notices or [],
    }


def _socket_principal(auth: Any) -> tuple[Principal | None, int | None]:
    """(principal, session row id) of a connecting socket: a bearer token in ``auth``, else the session
    cookie of its handshake (kiosk.web.security)."""
    conn = current_app.extensions["kiosk"].store.conn()
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return token_principal(conn, auth["token"]), None
    found = session_principal(session.get("sid")) if "sid" in session else None
    if found is None:
        return None, None
    return found[1], found[0]


def _watched(principal: Principal, session_id: int | None) -> SocketAuth:
    return SocketAuth(session_id, principal.id if principal.kind == "user" else None,
                      principal.id if principal.kind == "token" else None)


class _GuardedNamespace(Namespace):
    def on_connect(self, auth: Any = None) -> None:
        kiosk = current_app.extensions["kiosk"]
        principal, session_id = _socket_principal(auth)
        allowed = NAMESPACE_ROLES[self.namespace]
        public = self.namespace == "/display" and kiosk.config.display_public
        if not public:
            if principal is None:
                raise refused("unauthorized")
            if principal.role != "admin" and principal.role not in allowed:
                raise refused("forbidden")
        if principal is not None:
            kiosk.socket_watch.add(request.sid, self.namespace, _watched(principal, session_id))
        if principal is not None and principal.counter is not None:
            join_room(f"counter:{principal.counter}")
        if self.namespace == "/kiosk":
            from kiosk.web.realtime.kiosk import seat_socket

            seat_socket(principal, auth)
        snap = queue_snapshot(kiosk.engine)
        emit("queue_snapshot", display_snapshot(snap, load_notices(kiosk.store.conn()))
             if self.namespace == "/display" else snap)
        if self.namespace == "/display" and kiosk.displays is not None:
            _display_connected(kiosk.displays, principal)
        if self.namespace == "/monitor" and kiosk.alerts is not None:
            from kiosk.queue.alert_watch import alerts_payload

            emit("queue_alerts", alerts_payload(kiosk.alerts.alerts(), kiosk.clock.now()))

    def on_disconnect(self, reason: Any = None) -> None:
        current_app.extensions["kiosk"].socket_watch.remove(request.sid, self.namespace)
        if self.namespace == "/kiosk":
            from kiosk.web.realtime.kiosk import unseat_socket

            unseat_socket()
        displays = current_app.extensions["kiosk"].displays
        if self.namespace == "/display" and displays is not None:
            displays.disconnected(request.sid)


def _display_connected(displays: Any, principal: Principal | None) -> None:
    """A hall display for the health board: a display token is one device, anonymous screens one more;
    staff and kiosks looking at /display are not hall displays."""
    if principal is None:
        displays.connected(request.sid, PUBLIC_ID, PUBLIC_NAME)
    elif principal.kind == "token" and principal.role == "display":
        unnamed = principal.name == f"token {principal.id}"  # a token made without a label
        displays.connected(request.sid, token_display_id(principal.id),
                           page_text("devices.display.unnamed", id=principal.id) if unnamed else principal.name)


class SocketFanout:
    """Subscribes to the event bus and pushes to the namespaces."""

    def __init__(self, socketio: SocketIO, engine, app) -> None:
        self.socketio = socketio
        self.engine = engine
        self.app = app
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_call = 0.0
        self._lock = threading.Lock()
        self._hall_shown: str | None = None
        self._hall_sent_at = -1e9

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                thread = threading.Thread(target=self._snapshots, name="snapshot-fanout", daemon=True)
                thread.start()
                self._thread = thread

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            self._dirty.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    def __call__(self, event: Any) -> None:
        if isinstance(event, CatalogChanged):
            for ns in CATALOG_NAMESPACES:
                self.socketio.emit("catalog_changed", {"what": event.what}, namespace=ns)
            self._dirty.set()
            self.start()
            return
        if not isinstance(event, ev.Event):
            return
        if isinstance(event, ev.TicketCalled):  # a call or a recall (TicketRecalled)
            self.socketio.emit("ticket_called", ev.ticket_called_payload(event, self.engine.clock.tz),
                               namespace="/display")
            self._last_call = time.monotonic()
        payload = event.payload()
        self.socketio.emit("queue_event", payload, namespace="/monitor")
        if payload["counter"] is not None:
            self.socketio.emit("counter_event", payload, namespace="/counter", to=f"counter:{payload['counter']}")
        self._dirty.set()
        self.start()

    def _snapshots(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            # Let a call go out alone first: a snapshot to every screen right behind it would delay it.
            quiet = self._last_call + CALL_QUIET_S - time.monotonic()
            if quiet > 0:
                self._stop.wait(quiet)
            self._dirty.clear()
            try:
                self._push_snapshot()
            except Exception:  # this thread is every screen's only source of snapshots: it must live on
                log.exception("queue snapshot push failed")
                self._dirty.set()  # try again after the pause
            self._stop.wait(SNAPSHOT_INTERVAL_S)

    def _push_snapshot(self) -> None:
        with self.app.app_context():
            snap = queue_snapshot(self.engine)
            notices = load_notices(self.engine.store.conn())
        for ns in NAMESPACE_ROLES:
            if ns != "/display":
                self.socketio.emit("queue_snapshot", snap, namespace=ns)
        self._to_the_hall(display_snapshot(snap, notices))

    def _to_the_hall(self, share: dict[str, Any]) -> None:
        """The hall's share, only when what a screen shows changed, at most once a DISPLAY_INTERVAL_S:
        a centre has hundreds of screens and phones on /display, each copy costs a frame to send."""
        shown = json.dumps({k: v for k, v in share.items() if k != "at"}, sort_keys=True, default=str)
        if shown == self._hall_shown:
            return
        if time.monotonic() - self._hall_sent_at < DISPLAY_INTERVAL_S:
            self._dirty.set()  # send it on a later round
            return
        self.socketio.emit("queue_snapshot", share, namespace="/display")
        self._hall_shown, self._hall_sent_at = shown, time.monotonic()


def register_namespaces(socketio: SocketIO) -> None:
    for ns in NAMESPACE_ROLES:
        socketio.on_namespace(_GuardedNamespace(ns))
