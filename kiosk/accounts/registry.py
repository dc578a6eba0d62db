"""People and devices: user accounts with hashed passwords, and hashed bearer tokens."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.accounts import sessions
from kiosk.queue.errors import InvalidInput, NotFound, QueueError
from kiosk.runtime.blocking import run_blocking

USER_ROLES = ("officer", "manager", "admin")
TOKEN_ROLES = ("kiosk", "officer", "manager", "admin", "display", "rating")  # rating: a counter's tablet (/rate)
USERNAME_RE = re.compile(r"^[a-z0-9._-]{2,40}$")
HASHES_AT_ONCE = 2  # scrypt takes a core while it runs; the centre's PC may have only two


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in person or a device token."""

    kind: str  # "user" | "token"
    id: int
    role: str
    counter: int | None
    name: str

    @property
    def officer_id(self) -> int | None:
        return self.id if self.kind == "user" else None

    def to_api(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "role": self.role, "counter": self.counter, "name": self.name}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _counter_exists(conn: sqlite3.Connection, counter: int | None) -> None:
    if counter is not None and conn.execute("SELECT 1 FROM counters WHERE number = ?", [counter]).fetchone() is None:
        raise InvalidInput(f"no counter number {counter}", text="counter_missing", values={"counter": counter})


def _check_password(password: Any) -> None:
    if not isinstance(password, str) or len(password) < 8:
        raise InvalidInput("password: at least 8 characters", text="password_short")
    if len(password) > 200:
        raise InvalidInput("password: at most 200 characters", text="password_long")


def create_user(
    conn: sqlite3.Connection, username: Any, password: Any, role: Any, full_name: Any = "",
    counter: int | None = None,
) -> int:
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise InvalidInput("username: 2-40 lower-case letters, digits, '.', '_' or '-'", text="username_format")
    _check_password(password)
    if role not in USER_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(USER_ROLES)}", text="role_unknown")
    if role == "officer" and counter is None:
        raise InvalidInput("an officer needs a counter", text="token_needs_counter", values={"role": "officer"})
    _counter_exists(conn, counter)
    if conn.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise QueueError(f"user {username} already exists", code="exists", text="user_exists")
    name = unicodedata.normalize("NFC", full_name if isinstance(full_name, str) else "")[:120]
    cur = conn.execute(
        "INSERT INTO users (username, full_name, role, password_hash, counter_number, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [username, name, role, generate_password_hash(password), counter, time.time()],
    )
    return int(cur.lastrowid)


def authenticate(conn: sqlite3.Connection, username: Any, password: Any) -> Principal | None:
    """The user for a username and password, or None (same answer for unknown user and bad password)."""
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    row = conn.execute("SELECT * FROM users WHERE username = ? AND active = 1", [username]).fetchone()
    # the same one hash either way, so the answer's time does not tell whether the user exists; on a
    # real thread, so other connections go on meanwhile
    stored = row["password_hash"] if row is not None else _dummy_hash()
    if not _hashing(check_password_hash, stored, password) or row is None:
        return None
    return _user_principal(row)


@functools.cache
def _hash_slots() -> threading.BoundedSemaphore:
    # made on first use, after gevent's monkey-patching under ``kiosk serve`` (a greenlet-aware semaphore)
    return threading.BoundedSemaphore(HASHES_AT_ONCE)


def _hashing(fn: Any, *args: Any) -> Any:
    """A password hash on a real thread, at most HASHES_AT_ONCE at a time: sign-ins from many addresses
    at once queue here instead of taking every core from the calls and screens."""
    with _hash_slots():
        return run_blocking(fn, *args)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))


def _user_principal(row: sqlite3.Row) -> Principal:
    return Principal("user", row["id"], row["role"], row["counter_number"], row["full_name"] or row["username"])


def user_principal(conn: sqlite3.Connection, user_id: int) -> Principal | None:
    row = conn.execute("SELECT * FROM users WHERE id = ? AND active = 1", [user_id]).fetchone()
    return _user_principal(row) if row else None


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, username, full_name, role, counter_number, active FROM users ORDER BY id")
    return [dict(r) for r in rows]


def set_user_active(conn: sqlite3.Connection, user_id: int, active: bool) -> None:
    """Activate or deactivate a user; a deactivated user's sessions end at once."""
    if conn.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user_id]).rowcount == 0:
        raise NotFound(f"no user with id {user_id}", text="user_missing")
    if not active:
        sessions.end_user_sessions(conn, user_id, time.time(), "deactivated")


def username_of(conn: sqlite3.Connection, user_id: int) -> str:
    row = conn.execute("SELECT username FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise NotFound(f"no user with id {user_id}", text="user_missing")
    return row["username"]


def check_user_password(conn: sqlite3.Connection, user_id: int, password: Any) -> bool:
    """Whether ``password`` is this active user's (the scrypt check, off the event loop)."""
    row = conn.execute("SELECT password_hash FROM users WHERE id = ? AND active = 1", [user_id]).fetchone()
    return (row is not None and isinstance(password, str)
            and bool(_hashing(check_password_hash, row["password_hash"], password)))


def hash_password(password: Any) -> str:
    """The stored hash of a new password (checked first; scrypt off the event loop)."""
    _check_password(password)
    return _hashing(generate_password_hash, password)


def set_password_hash(conn: sqlite3.Connection, user_id: int, password_hash: str,
                      keep_session: int | None = None) -> None:
    """Store a user's new password hash (from hash_password, made outside the write transaction); every
    session of the user ends but ``keep_session`` (the one that changed its own password)."""
    if conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id]).rowcount == 0:
        raise NotFound(f"no user with id {user_id}", text="user_missing")
    sessions.end_user_sessions(conn, user_id, time.time(), "password_changed", keep=keep_session)


def create_token(conn: sqlite3.Connection, role: Any, counter: int | None = None, label: str = "") -> str:
    """A new bearer token; only its hash is stored, so it is shown once."""
    if role not in TOKEN_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(TOKEN_ROLES)}", text="role_unknown")
    if role in ("officer", "rating") and counter is None:
        raise InvalidInput(f"{'an officer' if role == 'officer' else 'a rating'} token needs --counter",
                           text="token_needs_counter", values={"role": role})
    _counter_exists(conn, counter)
    token = "kt_" + secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO api_tokens (token_hash, role, counter_number, label, created_at) VALUES (?, ?, ?, ?, ?)",
        [_hash_token(token), role, counter, label[:80], time.time()],
    )
    if role == "kiosk":  # every kiosk token is a terminal, with the centre's default camera and printer
        conn.execute("INSERT INTO terminals (token_id, updated_at) SELECT id, created_at FROM api_tokens "
                     "WHERE token_hash = ?", [_hash_token(token)])
    return token


def token_principal(conn: sqlite3.Connection, token: str) -> Principal | None:
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        "SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", [_hash_token(token)]
    ).fetchone()
    if row is None:
        return None
    return Principal("token", row["id"], row["role"], row["counter_number"], row["label"] or f"token {row['id']}")


def token_principal_by_id(conn: sqlite3.Connection, token_id: int) -> Principal | None:
    row = conn.execute("SELECT * FROM api_tokens WHERE id = ? AND revoked_at IS NULL", [token_id]).fetchone()
    if row is None:
        return None
    return Principal("token", row["id"], row["role"], row["counter_number"], row["label"] or f"token {row['id']}")


def list_tokens(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, role, counter_number, label, created_at, revoked_at FROM api_tokens ORDER BY id")
    return [dict(r) for r in rows]


def revoke_token(conn: sqlite3.Connection, token_id: int) -> None:
    if conn.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [time.time(), token_id]
    ).rowcount == 0:
        raise NotFound(f"no active token with id {token_id}", text="token_missing")
    sessions.end_token_sessions(conn, token_id, time.time(), "token_revoked")
