"""Who is asking the city dashboard (its session cookie), role checks, and CSRF on forms and writes.

The same rules as the centre's kiosk/web/security.py: a session cookie after a form login, a CSRF token
in the session checked on every write (form field or X-CSRF-Token header).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, session

from kiosk.city.dashboard.users import ROLES, CityUser, active_user
from kiosk.web.errors import ApiError
from kiosk.web.security import check_csrf, csrf_token  # one copy of the CSRF rule (the centre's)

__all__ = ["check_csrf", "csrf_token", "current_user", "db", "login_session"]

def db() -> Any:
    """This request's connection to the city database (opened on first use, closed at teardown)."""
    if "city_db" not in g:
        from flask import current_app

        g.city_db = current_app.city.connect()
    return g.city_db


def current_user() -> CityUser | None:
    if "city_user" not in g:
        name = session.get("city_user")
        g.city_user = active_user(db(), name) if isinstance(name, str) else None
    return g.city_user


def require_city(*roles: str) -> Callable:
    """Allow only logged-in city users of ROLES (no roles: any city role; city_admin always); CSRF on writes."""
    allowed = set(roles or ROLES) | {"city_admin"}

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            from flask import request

            user = current_user()
            if user is None:
                raise ApiError(401, "unauthorized", "log in to the city dashboard")
            if user.role not in allowed:
                raise ApiError(403, "forbidden", f"role {user.role} may not do this")
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                check_csrf()
            return view(*args, **kwargs)

        return wrapper

    return decorate


def login_session(user: CityUser) -> None:
    session.clear()
    session["city_user"] = user.username
    session.permanent = True
    csrf_token()
