"""Login sessions kept in the store: who a session cookie stands for, and ending sessions at once.

The browser holds only a random session id (in the signed cookie, next to the form's CSRF token); the store
keeps its SHA-256, so a copy of the database opens no session. A session is valid while it is not ended,
not past its absolute end (``expires_at``) and seen within its idle limit (``idle_s``). Logout ends one;
a password change, a deactivation or a revoked token end all of that person's or device's. Times are
seconds since the epoch, passed in by the caller (the app's clock), so tests can move them.
"""
from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

# last_seen_at is written at most this often per session: one write a minute, not one per request
TOUCH_EVERY_S = 60.0
# ended and expired rows are kept this long for the record, then deleted (purge)
KEEP_ENDED_S = 30 * 24 * 3600.0


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions live. Staff: a working day, and not left signed in at an empty desk; devices
    (a kiosk or hall display signed in once with its token): weeks, ended when their token is revoked."""

    staff_max_s: float = 12 * 3600.0
    staff_idle_s: float = 2 * 3600.0
    device_max_s: float = 30 * 24 * 3600.0
    device_idle_s: float = 30 * 24 * 3600.0


@dataclass(frozen=True)
class SessionRow:
    id: int
    user_id: int | None
    token_id: int | None
    last_seen_at: float


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_session(conn: sqlite3.Connection, now: float, policy: SessionPolicy, *, user_id: int | None = None,
                   token_id: int | None = None) -> str:
    """A new session for a user or a device token; returns the raw id (for the cookie; only its hash is kept)."""
    if (user_id is None) == (token_id is None):
        raise ValueError("a session belongs to a user or to a token")
    raw = secrets.token_urlsafe(32)
    lifetime, idle = ((policy.staff_max_s, policy.staff_idle_s) if user_id is not None
                      else (policy.device_max_s, policy.device_idle_s))
    conn.execute(
        "INSERT INTO sessions (id_hash, user_id, token_id, created_at, last_seen_at, expires_at, idle_s) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [_hash(raw), user_id, token_id, now, now, now + lifetime, min(idle, lifetime)],
    )
    return raw


def find_session(conn: sqlite3.Connection, raw: object, now: float) -> SessionRow | None:
    """The valid session of a raw id, or None (unknown, ended, past its end or idle too long)."""
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        return None
    row = conn.execute(
        "SELECT id, user_id, token_id, last_seen_at FROM sessions WHERE id_hash = ? AND ended_at IS NULL "
        "AND expires_at > ? AND last_seen_at + idle_s > ?", [_hash(raw), now, now]).fetchone()
    return SessionRow(row["id"], row["user_id"], row["token_id"], row["last_seen_at"]) if row else None


def needs_touch(row: SessionRow, now: float) -> bool:
    return now - row.last_seen_at >= TOUCH_EVERY_S


def touch(conn: sqlite3.Connection, session_ids: Iterable[int], now: float) -> None:
    """Mark sessions as seen now (a request, or an open socket of theirs)."""
    ids = list(session_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        conn.execute(f"UPDATE sessions SET last_seen_at = ? WHERE ended_at IS NULL AND id IN "
                     f"({','.join('?' * len(chunk))})", [now, *chunk])


def end_session(conn: sqlite3.Connection, raw: object, now: float, reason: str = "logout") -> None:
    if isinstance(raw, str) and raw:
        conn.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id_hash = ? AND ended_at IS NULL",
                     [now, reason, _hash(raw)])


def end_user_sessions(conn: sqlite3.Connection, user_id: int, now: float, reason: str,
                      keep: int | None = None) -> int:
    """End every open session of a user (but ``keep``, a session id); returns how many ended."""
    return conn.execute(
        "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE user_id = ? AND ended_at IS NULL AND id IS NOT ?",
        [now, reason, user_id, keep]).rowcount


def end_token_sessions(conn: sqlite3.Connection, token_id: int, now: float, reason: str) -> int:
    return conn.execute(
        "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE token_id = ? AND ended_at IS NULL",
        [now, reason, token_id]).rowcount


def valid_session_ids(conn: sqlite3.Connection, session_ids: Iterable[int], now: float) -> set[int]:
    """Which of these sessions are still valid, in one query per 500 (the socket watch's check)."""
    ids, valid = list(set(session_ids)), set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        valid.update(r[0] for r in conn.execute(
            f"SELECT id FROM sessions WHERE ended_at IS NULL AND expires_at > ? AND last_seen_at + idle_s > ? "
            f"AND id IN ({','.join('?' * len(chunk))})", [now, now, *chunk]))
    return valid


def purge(conn: sqlite3.Connection, now: float) -> int:
    """Delete sessions ended or expired more than KEEP_ENDED_S ago (the table stays the size of a month)."""
    cutoff = now - KEEP_ENDED_S
    return conn.execute("DELETE FROM sessions WHERE expires_at < ? OR ended_at < ?", [cutoff, cutoff]).rowcount
