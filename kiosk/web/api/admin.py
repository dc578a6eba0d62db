"""Admin API: services, counters, users, tokens, queue settings and the hall's announcements."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from kiosk.accounts import registry as accounts
from kiosk.display.notices import NoticeError, load_notices, parse_notices, save_notices
from kiosk.queue.catalog import save_counter, save_service
from kiosk.runtime.bus import CatalogChanged
from kiosk.web.body import field, json_body
from kiosk.web.errors import error_response
from kiosk.web.security import principal_from_request, require, services

bp = Blueprint("api_admin", __name__, url_prefix="/api/v1/admin")


@bp.after_request
def announce_change(response):
    """Every successful admin write refreshes the kiosks, displays and consoles at once."""
    if request.method != "GET" and response.status_code < 300:
        services().bus.publish(CatalogChanged(request.path.rsplit("/", 1)[-1]))
    return response


@bp.post("/services")
@require("admin")
def create_service():
    data = json_body()
    with services().store.transaction() as conn:
        code = save_service(conn, data, create=True)
    return jsonify(services().engine.service(code).to_api()), 201


@bp.put("/services/<code>")
@require("admin")
def update_service(code: str):
    data = {**json_body(), "code": code}
    with services().store.transaction() as conn:
        save_service(conn, data, create=False)
    return jsonify(services().engine.service(code).to_api())


def _counter_body():
    data = json_body()
    return data.get("name"), field(data, "services", list)


@bp.post("/counters")
@require("admin")
def create_counter():
    data = json_body()
    with services().store.transaction() as conn:
        number = save_counter(conn, field(data, "number", int), data.get("name"), field(data, "services", list),
                              create=True)
    return jsonify(services().engine.counter(number).to_api()), 201


@bp.put("/counters/<int:number>")
@require("admin")
def update_counter(number: int):
    name, served = _counter_body()
    with services().store.transaction() as conn:
        save_counter(conn, number, name, served, create=False)
    return jsonify(services().engine.counter(number).to_api())


@bp.get("/users")
@require("admin")
def users():
    return jsonify(accounts.list_users(services().store.conn()))


@bp.post("/users")
@require("admin")
def create_user():
    data = json_body()
    with services().store.transaction() as conn:
        uid = accounts.create_user(
            conn, data.get("username"), data.get("password"), data.get("role"), data.get("full_name", ""),
            field(data, "counter", int, required=False),
        )
    return jsonify({"id": uid}), 201


@bp.post("/users/<int:user_id>/active")
@require("admin")
def set_active(user_id: int):
    active = field(json_body(), "active", bool)
    with services().store.transaction() as conn:
        accounts.set_user_active(conn, user_id, active)  # a deactivated user's sessions end here
    services().socket_watch.check_soon()  # and their open pages are disconnected now
    return jsonify({"id": user_id, "active": active})


@bp.post("/users/<int:user_id>/password")
@require("admin")
def set_password(user_id: int):
    """An administrator sets a user's password: every session of that user ends (but the one asking, when
    an administrator sets their own)."""
    password_hash = accounts.hash_password(json_body().get("password"))
    me = principal_from_request()
    keep = g.get("session_id") if me.kind == "user" and me.id == user_id else None
    with services().store.transaction() as conn:
        accounts.set_password_hash(conn, user_id, password_hash, keep_session=keep)
    services().socket_watch.check_soon()
    return jsonify({"id": user_id, "sessions_ended": True})


@bp.post("/users/<int:user_id>/unlock")
@require("admin")
def unlock_user(user_id: int):
    """Forget the user's failed sign-ins (kiosk.accounts.login_guard) before the window would."""
    services().login_guard.unlock(accounts.username_of(services().store.conn(), user_id))
    return jsonify({"id": user_id, "unlocked": True})


@bp.get("/tokens")
@require("admin")
def tokens():
    return jsonify(accounts.list_tokens(services().store.conn()))


@bp.post("/tokens")
@require("admin")
def create_token():
    data = json_body()
    with services().store.transaction() as conn:
        token = accounts.create_token(conn, data.get("role"), field(data, "counter", int, required=False),
                                      field(data, "label", str, required=False, default=""))
    return jsonify({"token": token}), 201


@bp.delete("/tokens/<int:token_id>")
@require("admin")
def revoke_token(token_id: int):
    with services().store.transaction() as conn:
        accounts.revoke_token(conn, token_id)  # its devices' sessions end here
    services().socket_watch.check_soon()  # and its open sockets are disconnected now
    if services().terminals is not None:
        services().terminals.drop(token_id)  # a kiosk terminal stops with its token
    return jsonify({"id": token_id, "revoked": True})


@bp.get("/settings")
@require("manager")
def get_settings():
    return jsonify(_settings_json())


@bp.put("/settings")
@require("admin")
def put_settings():
    services().engine.update_settings(json_body())
    return jsonify(_settings_json())


def _settings_json():
    s = services().engine.settings
    return {"policy": s.policy.name, "interleave_every": s.policy.interleave_every,
            "priority_bonus_minutes": s.policy.priority_bonus_minutes,
            "auto_no_show_after_recalls": s.auto_no_show_after_recalls, "closing_time": s.closing_time,
            "no_show_min_s": s.no_show_min_s}


@bp.get("/announcements")
@require("manager")
def get_announcements():
    return jsonify({"lines": load_notices(services().store.conn())})


@bp.put("/announcements")
@require("admin")
def put_announcements():
    """The hall display's line of announcements; the write's CatalogChanged pushes it to /display."""
    try:
        lines = parse_notices(json_body())
    except NoticeError as exc:
        return error_response(422, "invalid", exc.message, exc.message_vi)
    with services().store.transaction() as conn:
        save_notices(conn, lines)
    return jsonify({"lines": lines})
