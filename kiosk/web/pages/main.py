"""Pages (Vietnamese first): login, kiosk, counter console, hall display, monitor, reports, admin."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, redirect, render_template, request, session, url_for

from kiosk.accounts.registry import authenticate, token_principal
from kiosk.web.errors import ApiError
from kiosk.web.security import check_csrf, csrf_token, login_session, principal_from_request, services

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
    error = None
    if request.method == "POST":
        try:
            check_csrf()
        except ApiError:
            error = "Phiên đăng nhập đã hết hạn, vui lòng thử lại. / Session expired, please try again."
        else:
            principal = authenticate(services().store.conn(), request.form.get("username", ""),
                                     request.form.get("password", ""))
            if principal is None:
                error = "Sai tên đăng nhập hoặc mật khẩu. / Wrong username or password."
            else:
                login_session(principal)
                default = {"officer": "/counter", "manager": "/monitor", "admin": "/admin"}[principal.role]
                return redirect(_safe_next(request.args.get("next") or default))
    return render_template("login.html", **_context(error=error)), (401 if error else 200)


@bp.post("/logout")
def logout():
    check_csrf()
    session.clear()
    return redirect(url_for("pages.login"))


@bp.get("/device")
def device_login():
    """A kiosk or display PC signs in once with its token (e.g. from its autostart URL)."""
    principal = token_principal(services().store.conn(), request.args.get("token", ""))
    if principal is None:
        return render_template("login.html", **_context(error="Mã thiết bị không hợp lệ. / Invalid device token.")), 401
    login_session(principal)
    default = {"kiosk": "/kiosk", "display": "/display", "officer": "/counter", "manager": "/monitor"}
    return redirect(_safe_next(request.args.get("next") or default.get(principal.role, "/")))


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
