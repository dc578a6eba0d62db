"""Who is asking (session or bearer token), role checks, and CSRF protection for forms."""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request, session

from kiosk.accounts.registry import Principal, token_principal, token_principal_by_id, user_principal
from kiosk.web.errors import ApiError

CSRF_HEADER = "X-CSRF-Token"


def services():
    return current_app.extensions["kiosk"]


def principal_from_request() -> Principal | None:
    """The principal of this request: a bearer token first, then the login session."""
    if "principal" in g:
        return g.principal
    conn = services().store.conn()
    principal: Principal | None = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "Authorization must be 'Bearer TOKEN'")
        principal = token_principal(conn, token.strip())
        if principal is None:
            raise ApiError(401, "unauthorized", "unknown or revoked token")
        g.via_token = True
    elif "uid" in session:
        principal = user_principal(conn, int(session["uid"]))
    elif "tid" in session:
        principal = token_principal_by_id(conn, int(session["tid"]))
    g.principal = principal
    return principal


def require(*roles: str) -> Callable:
    """Allow only these roles (admin is always allowed); checks CSRF on session-authenticated writes."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            principal = principal_from_request()
            if principal is None:
                raise ApiError(401, "unauthorized", "log in or send a bearer token")
            if principal.role != "admin" and principal.role not in roles:
                raise ApiError(403, "forbidden", f"role {principal.role} may not do this")
            if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("via_token"):
                check_csrf()
            return view(*args, **kwargs)

        return wrapper

    return decorate


def require_counter(principal: Principal, counter: int) -> None:
    """Officers act only on their own counter."""
    if principal.role == "admin":
        return
    if principal.role != "officer" or principal.counter != counter:
        raise ApiError(403, "forbidden", f"you may act only on your own counter, not counter {counter}")


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        raise ApiError(403, "csrf", "missing or wrong CSRF token; reload the page")


def login_session(principal: Principal) -> None:
    session.clear()
    if principal.kind == "user":
        session["uid"] = principal.id
    else:
        session["tid"] = principal.id
    session.permanent = True
    csrf_token()
