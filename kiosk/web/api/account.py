"""The signed-in person's own account: ``POST /api/v1/me/password`` ``{"current_password", "new_password"}``.

The current password is checked under the sign-in throttle (kiosk.accounts.login_guard), so this is no
way around it. On success every other session of the person ends (a stolen cookie stops working); the one
that made the change stays signed in.
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from kiosk.accounts import registry as accounts
from kiosk.accounts.login_guard import Throttled
from kiosk.web.body import json_body
from kiosk.web.errors import ApiError, error_response
from kiosk.web.security import principal_from_request, require, services

bp = Blueprint("api_account", __name__, url_prefix="/api/v1")


@bp.post("/me/password")
@require("officer", "manager")
def change_password():
    principal = principal_from_request()
    if principal.kind != "user":
        raise ApiError(403, "forbidden", "only a person's sign-in has a password")
    data = json_body()
    current, new = data.get("current_password"), data.get("new_password")
    kiosk = services()
    conn = kiosk.store.conn()
    username = accounts.username_of(conn, principal.id)
    outcome = kiosk.login_guard.attempt(
        username, request.remote_addr,
        lambda: True if accounts.check_user_password(conn, principal.id, current) else None)
    if isinstance(outcome, Throttled):
        response = error_response(429, "login_throttled", outcome.message)
        response.headers["Retry-After"] = str(int(outcome.retry_after_s) + 1)
        return response
    if outcome is None:
        raise ApiError(403, "wrong_password", "the current password is wrong")
    password_hash = accounts.hash_password(new)
    with kiosk.store.transaction() as tx:
        accounts.set_password_hash(tx, principal.id, password_hash, keep_session=g.get("session_id"))
    kiosk.socket_watch.check_soon()
    return jsonify({"id": principal.id, "other_sessions_ended": True})
