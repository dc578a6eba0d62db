"""The city's pages: /city (the centres' table, a centre's services, reports) and its login form."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from kiosk.city.dashboard.auth import check_csrf, csrf_token, current_user, db, login_session
from kiosk.city.dashboard.users import authenticate

bp = Blueprint("city_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/city/static")


@bp.get("/")
def index():
    return redirect(url_for("city_pages.city"))


@bp.get("/city")
def city():
    user = current_user()
    if user is None:
        return redirect(url_for("city_pages.login_form"))
    return render_template("city.html", user=user, csrf=csrf_token(), title=current_app.city.title)


@bp.get("/city/login")
def login_form():
    return render_template("city_login.html", csrf=csrf_token(), error=None, title=current_app.city.title)


@bp.post("/city/login")
def login():
    check_csrf()
    username = (request.form.get("username") or "").strip().lower()[:64]
    user = authenticate(db(), username, request.form.get("password") or "")
    if user is None:
        return render_template("city_login.html", csrf=csrf_token(), title=current_app.city.title,
                               error="Tên đăng nhập hoặc mật khẩu không đúng."), 401
    login_session(user)
    return redirect(url_for("city_pages.city"))


@bp.post("/city/logout")
def logout():
    check_csrf()
    session.clear()
    return redirect(url_for("city_pages.login_form"))
