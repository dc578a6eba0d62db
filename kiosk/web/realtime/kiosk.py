"""Socket.IO events and HTTP routes of the touch-free kiosk panel (namespace /kiosk, kiosk role).

Server -> page (namespace ``/kiosk``):
  ``kiosk_state``    the flow's state (kiosk.session.flow.KioskFlow.snapshot): state, prompt, masked
                     citizen, tiles with normalised rectangles, cursor, dwell progress, notice, ticket,
                     and ``overlay`` (face boxes and card outline of the last frame, normalised); sent
                     only when what the page shows changed (the snapshot's content, ``version`` aside)
  ``kiosk_preview``  ``{"jpeg": <bytes>, "w", "h"}``: a small JPEG of the current frame, a few a second
                     (made by the vision worker at ``[vision] preview_fps``)
Page -> server:
  ``kiosk_choose``   ``{"tile": ID}`` a touch on a tile; acknowledged with ``{"ok", "state"|"error"}``
  ``kiosk_get_state`` acknowledged with the state

HTTP (kiosk or admin role): ``GET /api/v1/kiosk/state``, ``POST /api/v1/kiosk/choose`` ``{"tile"}``.
HTTP (manager or admin): ``GET /api/v1/kiosk/face-checks?from=YYYY-MM-DD&to=YYYY-MM-DD`` (to: today, from: to by default):
the citizens' answers to face matches, ``{"confirmed", "rejected", "by_terminal": {id: {...}}}``.
Nothing here logs a frame, a payload or an ID.
"""
from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, current_app, jsonify, request, session

from kiosk.accounts.registry import token_principal_by_id, user_principal
from kiosk.citizens.face_checks import face_check_counts
from kiosk.queue.clock import local_day
from kiosk.session.flow import FlowError, KioskFlow
from kiosk.web.body import json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import require

__all__ = ["KioskLive", "bp", "register_socket_handlers"]

NAMESPACE = "/kiosk"
ROLES = ("kiosk", "admin")

bp = Blueprint("kiosk_live", __name__, url_prefix="/api/v1/kiosk")


class KioskLive:
    """Pushes the flow's state and the camera preview to the kiosk pages.

    ``push_state`` is the flow's ``on_change``: it runs after every observation and every touch, but
    emits ``kiosk_state`` only when the snapshot differs from the last one sent (compared by content,
    without the flow's change counter ``version``): an empty hall sends nothing. ``states`` counts the
    emits, ``unchanged`` the pushes that were not sent. A page that connects asks with
    ``kiosk_get_state``.
    """

    def __init__(self, socketio: Any, flow: KioskFlow) -> None:
        self.socketio = socketio
        self.flow = flow
        self.previews = 0
        self.states = 0
        self.unchanged = 0
        self._last: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def on_observation(self, obs: Any) -> None:
        """Called with each observation of the vision worker."""
        self.flow.on_observation(obs)  # the flow's on_change pushes the state
        if obs.preview is not None and obs.frame_size is not None:
            self.previews += 1
            self.socketio.emit("kiosk_preview", {"jpeg": obs.preview, "w": obs.frame_size[0],
                                                 "h": obs.frame_size[1]}, namespace=NAMESPACE)

    def push_state(self) -> None:
        """Send the current state to every kiosk page, when it changed."""
        snap = self.flow.snapshot()
        shown = {k: v for k, v in snap.items() if k != "version"}
        with self._lock:
            if shown == self._last:
                self.unchanged += 1
                return
            self._last = shown
            self.states += 1
        self.socketio.emit("kiosk_state", snap, namespace=NAMESPACE)


def _live() -> KioskLive:
    live = current_app.extensions["kiosk"].kiosk_live
    if live is None:
        raise ApiError(404, "not_found", "the touch-free kiosk (camera) is not enabled on this server")
    return live


def _socket_allowed() -> bool:
    """The principal of this socket's session (the page signs in through /device or a login)."""
    conn = current_app.extensions["kiosk"].store.conn()
    principal = None
    if "uid" in session:
        principal = user_principal(conn, int(session["uid"]))
    elif "tid" in session:
        principal = token_principal_by_id(conn, int(session["tid"]))
    return principal is not None and principal.role in ROLES


def _choose(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("tile"), str):
        return {"ok": False, "error": "send {\"tile\": ID}"}
    try:
        return {"ok": True, "state": _live().flow.choose(data["tile"], by="touch")}
    except FlowError as exc:
        return {"ok": False, "error": str(exc)}


def register_socket_handlers(socketio: Any) -> None:
    """Event handlers on /kiosk next to the core's namespace class (which guards the connection)."""

    @socketio.on("kiosk_choose", namespace=NAMESPACE)
    def on_choose(data: Any = None) -> dict[str, Any]:
        if not _socket_allowed():
            return {"ok": False, "error": "forbidden"}
        try:
            return _choose(data)
        except ApiError as exc:
            return {"ok": False, "error": exc.message}

    @socketio.on("kiosk_get_state", namespace=NAMESPACE)
    def on_get_state(data: Any = None) -> dict[str, Any]:
        if not _socket_allowed():
            return {"ok": False, "error": "forbidden"}
        try:
            return {"ok": True, "state": _live().flow.snapshot()}
        except ApiError as exc:
            return {"ok": False, "error": exc.message}


@bp.get("/state")
@require("kiosk")
def get_state():
    return jsonify(_live().flow.snapshot())


@bp.post("/choose")
@require("kiosk")
def post_choose():
    data = json_body()
    result = _choose(data)
    if not result["ok"]:
        raise ApiError(422, "invalid", result["error"])
    return jsonify(result["state"])


@bp.get("/face-checks")
@require("manager")
def get_face_checks():
    kiosk = current_app.extensions["kiosk"]
    today = local_day(kiosk.clock)
    day_to = request.args.get("to", today)
    day_from = request.args.get("from", day_to)
    return jsonify(face_check_counts(kiosk.store.conn(), day_from, day_to))  # bad dates: InvalidInput, a 422
