"""The page ``/account/password``: a signed-in person changes their password (a plain form, no script;
linked from the staff header). The rule is kiosk.web.api.account.change_own_password."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from kiosk.queue.errors import InvalidInput
from kiosk.web.api.account import change_own_password
from kiosk.web.errors import ApiError
from kiosk.web.security import check_csrf, csrf_token, principal_from_request, services

bp = Blueprint("pages_account", __name__)


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
        throttled = change_own_password(request.form.get("current_password", ""), request.form.get("new_password", ""))
    except ApiError as exc:
        text = {"csrf": "Phiên làm việc đã hết hạn, vui lòng thử lại. / Session expired, please try again.",
                "wrong_password": "Mật khẩu hiện tại không đúng. / The current password is wrong."}
        return _form(error=text.get(exc.code, exc.message), status=exc.status)
    except InvalidInput:
        return _form(error="Mật khẩu mới cần ít nhất 8 ký tự. / The new password needs 8 characters or more.",
                     status=422)
    if throttled is not None:
        return _form(error=f"{throttled.message_vi} / {throttled.message}", status=429)
    return _form(message="Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã kết thúc. "
                         "/ Password changed; your other sessions were signed out.")
