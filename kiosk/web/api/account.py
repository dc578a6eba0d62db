"""The signed-in person's own password: ``POST /api/v1/me/password`` ``{"current_password", "new_password"}``
(the page ``/account/password``, kiosk.web.pages.account, uses the same change_own_password).

The current password is checked under the sign-in throttle (kiosk.accounts.login_guard), so this is no
way around it. On success every other session of the person ends (a stolen cookie stops working); the one
that made the change stays signed in.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from kiosk.accounts import registry as accounts
from kiosk.accounts.login_guard import Throttled
from kiosk.web.body import json_body
from kiosk.web.errors import ApiError, error_response
from kiosk.web.security import principal_from_request, require, services

bp = Blueprint("api_account", __name__, url_prefix="/api/v1")


def change_own_password(current: Any, new: Any) -> Throttled | None:
    """Change the signed-in person's password: Throttled, or None when done; ApiError / InvalidInput when
    refused (wrong current password, a new one too short)."""
    principal = principal_from_request()
    if principal is None or principal.kind != "user":
        raise ApiError(403, "forbidden", "only a person's sign-in has a password", text="password_person_only")
    kiosk = services()
    conn = kiosk.store.conn()
    outcome = kiosk.login_guard.attempt(
        accounts.username_of(conn, principal.id), request.remote_addr,
        lambda: True if accounts.check_user_password(conn, principal.id, current) else None)
    if isinstance(outcome, Throttled):
        return outcome
    if outcome is None:
        raise ApiError(403, "wrong_password", "the current password is wrong")
    password_hash = accounts.hash_password(new)
    with kiosk.store.transaction() as tx:
        accounts.set_password_hash(tx, principal.id, password_hash, keep_session=g.get("session_id"))
    kiosk.socket_watch.check_soon()
    return None


@bp.post("/me/password")
@require("officer", "manager")
def change_password():
    data = json_body()
    throttled = change_own_password(data.get("current_password"), data.get("new_password"))
    if throttled is not None:
        response = error_response(429, "login_throttled", throttled.message)
        response.headers["Retry-After"] = str(int(throttled.retry_after_s) + 1)
        return response
    return jsonify({"id": principal_from_request().id, "other_sessions_ended": True})
