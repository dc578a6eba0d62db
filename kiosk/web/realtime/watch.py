"""Open Socket.IO connections whose sign-in no longer stands are disconnected.

Roles are checked when a socket connects; afterwards the socket would keep receiving every event. The
watch remembers what each signed-in socket stands on (a session, a user, a token) and, every
``interval_s`` and at once when told (logout, revoke, deactivate), asks the store in one query per kind
which of them are still valid; a socket whose session ended, whose user was deactivated or whose token
was revoked gets ``session_ended`` ``{"reason"}`` and is disconnected (its rooms left: nothing more reaches
it). A revoke from another process (the CLI) is caught by the periodic check. Open sockets also keep their
sessions from going idle: a console left open at a counter is in use.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from kiosk.accounts import sessions

log = logging.getLogger(__name__)

CHECK_EVERY_S = 2.0


@dataclass(frozen=True)
class SocketAuth:
    """What one socket's sign-in stands on (a session cookie, or a bearer token in its ``auth``)."""

    session_id: int | None
    user_id: int | None
    token_id: int | None


def _ids_in(conn: Any, sql: str, ids: set[int]) -> set[int]:
    found: set[int] = set()
    listed = list(ids)
    for start in range(0, len(listed), 500):
        chunk = listed[start:start + 500]
        found.update(r[0] for r in conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk))
    return found


class SocketWatch:
    def __init__(self, socketio: Any, store: Any, clock: Any, interval_s: float = CHECK_EVERY_S) -> None:
        self.socketio, self.store, self.clock, self.interval_s = socketio, store, clock, interval_s
        self._sockets: dict[tuple[str, str], SocketAuth] = {}  # (sid, namespace) -> auth
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._touched_at = -1e18

    def add(self, sid: str, namespace: str, auth: SocketAuth) -> None:
        with self._lock:
            self._sockets[(sid, namespace)] = auth

    def remove(self, sid: str, namespace: str) -> None:
        with self._lock:
            self._sockets.pop((sid, namespace), None)

    def __len__(self) -> int:
        return len(self._sockets)

    def check_soon(self) -> None:
        """Check now rather than at the next round (a session ended, a token revoked, a user deactivated)."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="socket-watch", daemon=True)
        self._thread.start()

    def stop(self, deadline: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(3.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check()
            except Exception:  # the watch must live on; the next round tries again
                log.exception("socket sign-in check failed")

    def check(self) -> int:
        """Disconnect every socket whose sign-in no longer stands; returns how many."""
        with self._lock:
            watched = dict(self._sockets)
        if not watched:
            return 0
        now = self.clock.now()
        conn = self.store.conn()
        session_ids = {a.session_id for a in watched.values() if a.session_id is not None}
        user_ids = {a.user_id for a in watched.values() if a.user_id is not None}
        token_ids = {a.token_id for a in watched.values() if a.token_id is not None}
        live_sessions = sessions.valid_session_ids(conn, session_ids, now) if session_ids else set()
        live_users = _ids_in(conn, "SELECT id FROM users WHERE active = 1 AND id IN ({marks})", user_ids)
        live_tokens = _ids_in(conn, "SELECT id FROM api_tokens WHERE revoked_at IS NULL AND id IN ({marks})",
                              token_ids)
        ended = 0
        for (sid, namespace), auth in watched.items():
            reason = ("session_ended" if auth.session_id is not None and auth.session_id not in live_sessions
                      else "user_deactivated" if auth.user_id is not None and auth.user_id not in live_users
                      else "token_revoked" if auth.token_id is not None and auth.token_id not in live_tokens
                      else None)
            if reason is not None:
                self._end(sid, namespace, reason)
                ended += 1
        if live_sessions and now - self._touched_at >= sessions.TOUCH_EVERY_S:
            self._touched_at = now
            self.store.write(lambda tx: sessions.touch(tx, live_sessions, now))
        return ended

    def _end(self, sid: str, namespace: str, reason: str) -> None:
        self.remove(sid, namespace)
        try:
            self.socketio.emit("session_ended", {"reason": reason}, to=sid, namespace=namespace)
            self.socketio.server.disconnect(sid, namespace=namespace)
        except Exception:  # already gone
            log.debug("socket %s on %s was already gone", sid, namespace, exc_info=True)
        log.info("disconnected a socket on %s: %s", namespace, reason)
