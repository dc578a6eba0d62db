"""Socket.IO events and HTTP routes of the kiosk terminals (namespace /kiosk).

Every /kiosk socket is seated at one terminal when it connects (kiosk.terminals.hub): a kiosk token at its
own, an admin at ``auth: {"terminal": ID}`` (or ``?terminal=ID``) or the first. It joins that terminal's
room and receives only that terminal's events.

Server -> page:
  ``kiosk_state``    the terminal's session (kiosk.session.flow.KioskFlow.snapshot plus ``terminal``,
                     ``printer`` and the shown ticket's ``tracking_url``); sent only when it changed
  ``kiosk_preview``  ``{"jpeg": <bytes>, "w", "h"}``: a small JPEG of a PC camera's frame, a few a second
  ``kiosk_rate``     ``{"fps": number}``: frames a second the page should send (0: none; its camera is
                     not the browser's); sent on connect and whenever it changes
Page -> server:
  ``kiosk_frame``    ``{"seq": int, "jpeg": <binary JPEG>}`` (kiosk role only): acknowledged with
                     ``{"ok": true, "accepted": bool}`` (false: dropped, the worker was busy) or
                     ``{"ok": false, "error": code, "message"}`` (refused; nothing changed)
  ``kiosk_camera``   ``{"ok": false, "error": "denied"|"not_found"|"ended"|…}``: the page lost its webcam
  ``kiosk_choose``   ``{"tile": ID}`` a touch on a tile; acknowledged with ``{"ok", "state"|"error"}``
  ``kiosk_get_state`` acknowledged with the state (and the page learns its rate)
Every refused event's ack also carries ``code`` and ``message_vi``, the catalogue's Vietnamese sentence
(kiosk/texts/vi.py, as the HTTP errors' ``message_vi``), besides its ``error`` (and ``message``).

HTTP: ``GET /api/v1/kiosk/state``, ``POST /api/v1/kiosk/choose`` ``{"tile"}`` (kiosk; admin with
``?terminal=ID``); ``GET /api/v1/kiosk/terminals`` (admin, manager) and ``PUT
/api/v1/kiosk/terminals/<id>`` ``{"camera", "printer_url", "pager_prefix"}`` (admin).
HTTP (manager or admin): ``GET /api/v1/kiosk/face-checks?from=YYYY-MM-DD&to=YYYY-MM-DD`` (to: today, from: 29
days before to by default): the citizens' answers to face matches, ``{"from", "to", "confirmed", "rejected",
"by_terminal": {id: {...}}, "by_day": [...], "today": {...}}`` (``today``: the monitor's ``face_checks`` status,
kiosk.citizens.face_check_alarm.day_status).
Nothing here logs a frame, a payload or an ID.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_socketio import emit, join_room

from kiosk.accounts.registry import token_principal_by_id, user_principal
from kiosk.citizens.face_checks import face_check_counts
from kiosk.queue.clock import local_day
from kiosk.session.flow import FlowError
from kiosk.terminals import registry as terminals_db
from kiosk.terminals.frames import FrameRefused
from kiosk.terminals.live import KioskLive
from kiosk.texts import vi
from kiosk.web.body import json_body
from kiosk.web.errors import ApiError, error_response
from kiosk.web.security import principal_from_request, require

__all__ = ["KioskLive", "bp", "register_socket_handlers", "seat_socket", "unseat_socket"]

NAMESPACE = "/kiosk"
ROLES = ("kiosk", "admin")
DEFAULT_DAYS = 30  # the face-checks report without ``from``: the last 30 days up to ``to``

bp = Blueprint("kiosk_live", __name__, url_prefix="/api/v1/kiosk")


def _hub() -> Any:
    return current_app.extensions["kiosk"].terminals


def seat_socket(principal: Any, auth: Any) -> None:
    """On connect to /kiosk: join the room of the socket's terminal and tell it its frame rate."""
    wanted = auth.get("terminal") if isinstance(auth, dict) else None
    if wanted is None:
        wanted = request.args.get("terminal")
    terminal = _hub().attach(request.sid, principal, wanted) if principal is not None else None
    if terminal is None:
        return
    join_room(terminal.room)
    emit("kiosk_rate", {"fps": terminal.tell_rate() if principal.role == "kiosk" else 0.0})


def unseat_socket() -> None:
    _hub().detach(request.sid)


def _seated(kiosk_only: bool = False) -> tuple[Any, Any]:
    """(seat, terminal) of this socket, its principal checked again (a revoked token or a deactivated
    user is refused from its next event on); raises ApiError."""
    found = _hub().seat(request.sid)
    if found is None:
        raise ApiError(404, "no_terminal", "this socket is not at a kiosk terminal (no kiosk token?)")
    seat, terminal = found
    conn = current_app.extensions["kiosk"].store.conn()
    principal = (token_principal_by_id(conn, seat.principal_id) if seat.kind == "token"
                 else user_principal(conn, seat.principal_id))
    if principal is None or principal.role not in (("kiosk",) if kiosk_only else ROLES):
        raise ApiError(403, "forbidden", "only the kiosk terminal may do this", text="kiosk_only")
    return seat, terminal


def _session_of(terminal: Any) -> Any:
    if terminal.live is None:
        raise ApiError(404, "not_found", "the touch-free kiosk (camera) is not enabled at this terminal",
                       text="camera_kiosk_off")
    return terminal.live


def ack_refused(code: str, *, text: str | None = None, values: dict[str, Any] | None = None,
                **fields: Any) -> dict[str, Any]:
    """The ack of a refused event: ``fields`` as each event always sent them, with ``code`` and ``message_vi``."""
    return {"ok": False, **fields, "code": code, "message_vi": vi.error_vi(code, text, values)}


def _api_refused(exc: ApiError, **fields: Any) -> dict[str, Any]:
    return ack_refused(exc.code, text=exc.text, values=exc.values, **fields)


def _choose(terminal: Any, data: Any) -> dict[str, Any]:
    live = _session_of(terminal)
    if not isinstance(data, dict) or not isinstance(data.get("tile"), str):
        message = "send {\"tile\": ID}"
        return ack_refused("invalid", text="kiosk_choice_body", error=message)
    try:
        live.flow.choose(data["tile"], by="touch")
    except FlowError as exc:
        return ack_refused("invalid", text="kiosk_choice_unknown", error=str(exc))
    return {"ok": True, "state": live.snapshot()}


def register_socket_handlers(socketio: Any) -> None:
    """Event handlers on /kiosk next to the core's namespace class (which guards the connection)."""

    @socketio.on("kiosk_choose", namespace=NAMESPACE)
    def on_choose(data: Any = None) -> dict[str, Any]:
        try:
            _, terminal = _seated()
            return _choose(terminal, data)
        except ApiError as exc:
            return _api_refused(exc, error=exc.message)

    @socketio.on("kiosk_get_state", namespace=NAMESPACE)
    def on_get_state(data: Any = None) -> dict[str, Any]:
        try:
            seat, terminal = _seated()
            if seat.role == "kiosk":
                emit("kiosk_rate", {"fps": terminal.tell_rate()})
            return {"ok": True, "state": _session_of(terminal).snapshot()}
        except ApiError as exc:
            return _api_refused(exc, error=exc.message)

    @socketio.on("kiosk_frame", namespace=NAMESPACE)
    def on_frame(data: Any = None) -> dict[str, Any]:
        try:
            _, terminal = _seated(kiosk_only=True)
            return {"ok": True, "accepted": terminal.push_frame(data)}
        except ApiError as exc:
            return _api_refused(exc, error=exc.code, message=exc.message)
        except FrameRefused as exc:
            return ack_refused(exc.code, error=exc.code, message=str(exc))

    @socketio.on("kiosk_camera", namespace=NAMESPACE)
    def on_camera(data: Any = None) -> dict[str, Any]:
        try:
            _, terminal = _seated(kiosk_only=True)
        except ApiError as exc:
            return _api_refused(exc, error=exc.code, message=exc.message)
        if not isinstance(data, dict) or data.get("ok") is not False or not isinstance(data.get("error", ""), str):
            message = 'send {"ok": false, "error": "denied"}'
            return ack_refused("invalid", text="camera_report_body", error="invalid", message=message)
        if terminal.browser:
            terminal.camera_failed(data.get("error") or "unavailable")
        return {"ok": True}


def _terminal_of_request() -> Any:
    principal = principal_from_request()
    hub = _hub()
    if principal.role == "kiosk":
        terminal = hub.get(principal.id)
    else:
        wanted = request.args.get("terminal")
        if wanted is not None and not (wanted.isdigit() and len(wanted) < 12):
            raise ApiError(422, "invalid", "terminal must be a terminal id", text="field_whole_number",
                       values={"field": "terminal"})
        terminal = hub.get(int(wanted)) if wanted is not None else hub.first()
    if terminal is None:
        raise ApiError(404, "not_found", "no such kiosk terminal", text="terminal_missing")
    return terminal


@bp.get("/state")
@require("kiosk")
def get_state():
    return jsonify(_session_of(_terminal_of_request()).snapshot())


@bp.post("/choose")
@require("kiosk")
def post_choose():
    data = json_body()
    result = _choose(_terminal_of_request(), data)
    if not result["ok"]:
        return error_response(422, "invalid", result["error"], result["message_vi"])
    return jsonify(result["state"])


@bp.get("/terminals")
@require("admin", "manager")
def list_terminals():
    """Every active terminal: its settings as stored (null: the centre's default) and as running."""
    hub = _hub()
    conn = current_app.extensions["kiosk"].store.conn()
    rows = []
    for row in terminals_db.list_terminals(conn):
        terminal = hub.get(row.id)
        rows.append({**row.to_api(), "running": terminal.status() if terminal is not None else None})
    return jsonify({"terminals": rows, "default_camera": hub.vision.default_camera,
                    "vision": bool(hub.vision.enabled)})


@bp.put("/terminals/<int:terminal_id>")
@require("admin")
def put_terminal(terminal_id: int):
    data = json_body()
    store = current_app.extensions["kiosk"].store
    with store.transaction() as tx:
        row = terminals_db.update_terminal(tx, terminal_id, data)
    terminal = _hub().reconfigure(terminal_id)
    return jsonify({**row.to_api(), "running": terminal.status() if terminal is not None else None})


@bp.get("/face-checks")
@require("manager")
def get_face_checks():
    kiosk = current_app.extensions["kiosk"]
    today = local_day(kiosk.clock)
    day_to = request.args.get("to", today)
    day_from = request.args.get("from")
    if day_from is None:
        try:
            day_from = (date.fromisoformat(day_to) - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        except (ValueError, OverflowError):
            day_from = day_to  # refused below with the message about ``to``
    counts = face_check_counts(kiosk.store.conn(), day_from, day_to)  # bad dates: InvalidInput, a 422
    return jsonify({**counts, "today": kiosk.face_watch.refresh()})
