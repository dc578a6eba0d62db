"""Pages (Vietnamese first): login, kiosk, counter console, hall display, monitor, reports, admin."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, redirect, render_template, request, url_for

from kiosk.accounts.login_guard import Throttled
from kiosk.accounts.registry import authenticate, token_principal
from kiosk.web.errors import ApiError
from kiosk.web.security import (
    check_csrf,
    csrf_token,
    login_session,
    logout_session,
    principal_from_request,
    services,
)

bp = Blueprint("pages", __name__)

PAGE_ROLES = {
    "kiosk": ("kiosk",),
    "counter": ("officer",),
    "monitor": ("manager",),
    "reports": ("manager",),
    "admin": ("admin",),
}


def _safe_next(target: str | None) -> str:
    if (not target or any(ord(ch) < 0x21 or ch == "\\" for ch in target)  # CR/LF, spaces: header injection
            or urlparse(target).netloc or not target.startswith("/") or target.startswith("//")):
        return url_for("pages.index")
    return target


def _context(**extra):
    principal = principal_from_request()
    return {"principal": principal, "csrf_token": csrf_token(), "centre_name": services().config.centre_name,
            **extra}


def _page(name: str):
    principal = principal_from_request()
    roles = PAGE_ROLES.get(name)
    if roles is not None:
        if principal is None:
            return redirect(url_for("pages.login", next=request.path))
        if principal.role != "admin" and principal.role not in roles:
            return render_template("forbidden.html", **_context()), 403
    return render_template(f"{name}.html", **_context())


@bp.get("/")
def index():
    return render_template("index.html", **_context())


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status, headers = None, 200, {}
    if request.method == "POST":
        try:
            check_csrf()
        except ApiError:
            error, status = "Phiên đăng nhập đã hết hạn, vui lòng thử lại. / Session expired, please try again.", 401
        else:
            username, password = request.form.get("username", ""), request.form.get("password", "")
            outcome = services().login_guard.attempt(
                username, request.remote_addr, lambda: authenticate(services().store.conn(), username, password))
            if isinstance(outcome, Throttled):  # refused before any password check, whoever the username
                error, status = f"{outcome.message_vi} / {outcome.message}", 429
                headers["Retry-After"] = str(int(outcome.retry_after_s) + 1)
            elif outcome is None:
                error, status = "Sai tên đăng nhập hoặc mật khẩu. / Wrong username or password.", 401
            else:
                login_session(outcome)
                default = {"officer": "/counter", "manager": "/monitor", "admin": "/admin"}[outcome.role]
                return redirect(_safe_next(request.args.get("next") or default))
    return render_template("login.html", **_context(error=error)), status, headers


@bp.post("/logout")
def logout():
    check_csrf()
    logout_session()
    return redirect(url_for("pages.login"))


@bp.get("/device")
def device_login():
    """A kiosk or display PC signs in once with its token (e.g. from its autostart URL); wrong tokens are
    throttled by address like passwords."""
    token = request.args.get("token", "")
    outcome = services().login_guard.address_attempt(
        request.remote_addr, lambda: token_principal(services().store.conn(), token))
    if isinstance(outcome, Throttled):
        error = f"{outcome.message_vi} / {outcome.message}"
        return render_template("login.html", **_context(error=error)), 429, {
            "Retry-After": str(int(outcome.retry_after_s) + 1)}
    if outcome is None:
        return render_template("login.html", **_context(error="Mã thiết bị không hợp lệ. / Invalid device token.")), 401
    login_session(outcome)
    default = {"kiosk": "/kiosk", "display": "/display", "officer": "/counter", "manager": "/monitor",
               "rating": f"/rate?counter={outcome.counter}"}
    return redirect(_safe_next(request.args.get("next") or default.get(outcome.role, "/")))


@bp.get("/kiosk")
def kiosk():
    return _page("kiosk")


@bp.get("/counter")
def counter():
    return _page("counter")


@bp.get("/display")
def display():
    if not services().config.display_public and principal_from_request() is None:
        return redirect(url_for("pages.login", next="/display"))
    return _page("display")


@bp.get("/monitor")
def monitor():
    return _page("monitor")


@bp.get("/reports")
def reports():
    return _page("reports")


@bp.get("/admin")
def admin():
    return _page("admin")


@bp.get("/healthz")
def healthz():
    """200 only when the store takes a write now and its last quick_check passed, else 503 with what is
    wrong (DESIGN.md). Public: it names no data, only the state of the store."""
    health = services().store_health
    if health is None:
        return {"ok": True, "problems": [], "checks": {}}
    status = health.status()
    if services().backups is not None:  # informs (the last backup's age, its last error); never fails health
        status["checks"]["backup"] = services().backups.status()
    return status, (200 if status["ok"] else 503)
