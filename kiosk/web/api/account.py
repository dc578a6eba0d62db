"""The signed-in person's own password: ``POST /api/v1/me/password`` ``{"current_password", "new_password"}``
and the page ``/account/password`` (a plain form, linked from the staff header).

The current password is checked under the sign-in throttle (kiosk.accounts.login_guard), so this is no
way around it. On success every other session of the person ends (a stolen cookie stops working); the one
that made the change stays signed in.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for

from kiosk.accounts import registry as accounts
from kiosk.accounts.login_guard import Throttled
from kiosk.queue.errors import InvalidInput
from kiosk.web.body import json_body
from kiosk.web.errors import ApiError, error_response
from kiosk.web.security import check_csrf, csrf_token, principal_from_request, require, services

bp = Blueprint("api_account", __name__)


def _change(current: Any, new: Any) -> Throttled | None:
    """Change the signed-in person's password: Throttled, or None when done; ApiError / InvalidInput when
    refused (wrong current password, a new one too short)."""
    principal = principal_from_request()
    if principal is None or principal.kind != "user":
        raise ApiError(403, "forbidden", "only a person's sign-in has a password")
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


@bp.post("/api/v1/me/password")
@require("officer", "manager")
def change_password():
    data = json_body()
    throttled = _change(data.get("current_password"), data.get("new_password"))
    if throttled is not None:
        response = error_response(429, "login_throttled", throttled.message)
        response.headers["Retry-After"] = str(int(throttled.retry_after_s) + 1)
        return response
    return jsonify({"id": principal_from_request().id, "other_sessions_ended": True})


def _form(message: str | None = None, error: str | None = None, status: int = 200):
    return render_template("account.html", principal=principal_from_request(), csrf_token=csrf_token(),
                           centre_name=services().config.centre_name, message=message, error=error), status


@bp.route("/account/password", methods=["GET", "POST"])
def password_page():
    principal = principal_from_request()
    if principal is None:
        return redirect(url_for("pages.login", next=request.path))
    if principal.kind != "user":
        return _form(error="Thiết bị không có mật khẩu. / A device has no password.", status=403)
    if request.method == "GET":
        return _form()
    try:
        check_csrf()
        if request.form.get("new_password", "") != request.form.get("confirm_password", ""):
            return _form(error="Hai lần nhập mật khẩu mới không khớp. / The new passwords differ.", status=422)
        throttled = _change(request.form.get("current_password", ""), request.form.get("new_password", ""))
    except ApiError as exc:
        text = {"csrf": "Phiên làm việc đã hết hạn, vui lòng thử lại. / Session expired, please try again.",
                "wrong_password": "Mật khẩu hiện tại không đúng. / The current password is wrong."}
        return _form(error=text.get(exc.code, exc.message), status=exc.status)
    except InvalidInput:
        return _form(error="Mật khẩu mới cần ít nhất 8 ký tự. / The new password needs 8 characters or more.",
                     status=422)
    if throttled is not None:
        return _form(error=f"{throttled.message_vi} / {throttled.message}", status=429)
    return _form(message="Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc. "
                         "/ Password changed; your other sessions were signed out.")
