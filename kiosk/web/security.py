"""Who is asking (session or bearer token), role checks, and CSRF protection for forms.

The signed session cookie carries only ``sid`` (a random session id, kiosk.accounts.sessions: who it stands
for, and whether it still stands, is in the store) and ``csrf`` (the forms' token). Signing in makes a new
id and a new CSRF token (no session fixation); signing out ends the id in the store, so a copy of the cookie
saved before opens nothing afterwards.
"""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request, session

from kiosk.accounts import sessions
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
    elif "sid" in session:
        found = session_principal(session.get("sid"))
        if found is None:
            session.pop("sid", None)  # ended or expired: the cookie stops naming it
        else:
            g.session_id, principal = found
    g.principal = principal
    return principal


def session_principal(raw: Any) -> tuple[int, Principal] | None:
    """(session row id, principal) of a raw session id while the session and its user or token are valid;
    marks it seen (at most once a minute)."""
    kiosk = services()
    conn, now = kiosk.store.conn(), kiosk.clock.now()
    row = sessions.find_session(conn, raw, now)
    if row is None:
        return None
    principal = (user_principal(conn, row.user_id) if row.user_id is not None
                 else token_principal_by_id(conn, row.token_id))
    if principal is None:
        return None
    if sessions.needs_touch(row, now):
        kiosk.store.write(lambda tx: sessions.touch(tx, [row.id], now))
    return row.id, principal


def require(*roles: str) -> Callable:
    """Allow only these roles (admin is always allowed); checks CSRF on session-authenticated writes."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            principal = principal_from_request()
            if principal is None:
                raise ApiError(401, "unauthorized", "log in or send a bearer token")
            if principal.role != "admin" and principal.role not in roles:
                raise ApiError(403, "forbidden", f"role {principal.role} may not do this", text="role_may_not",
                               values={"role": principal.role})
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
        raise ApiError(403, "forbidden", f"you may act only on your own counter, not counter {counter}",
                   text="not_your_counter", values={"counter": counter})


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
    """Sign in: the session this browser had (if any) ends, a new one starts with a new id and CSRF token."""
    kiosk = services()
    old, now = session.get("sid"), kiosk.clock.now()

    def start(tx) -> str:
        sessions.end_session(tx, old, now, "replaced")
        if principal.kind == "user":
            return sessions.create_session(tx, now, kiosk.session_policy, user_id=principal.id)
        return sessions.create_session(tx, now, kiosk.session_policy, token_id=principal.id)

    raw = kiosk.store.write(start)
    session.clear()
    session["sid"] = raw
    session.permanent = True
    g.pop("principal", None)
    csrf_token()


def logout_session() -> None:
    """Sign out: the session ends in the store at once, and the cookie is emptied."""
    kiosk = services()
    raw, now = session.get("sid"), kiosk.clock.now()
    if raw:
        kiosk.store.write(lambda tx: sessions.end_session(tx, raw, now, "logout"))
        kiosk.socket_watch.check_soon()
    session.clear()
