"""The counters' rating tablets on the health board, from their /rate Socket.IO connections.

Every active ``rating`` token is one tablet of one counter (kiosk.accounts.registry), listed whether or not it
connected since the start: a counter whose tablet is switched off is what the manager wants to see. A tablet is
online while at least one socket of its token is connected (kiosk.web.realtime.rate reports them), offline after
the last one left (last seen = that moment), offline with no last seen while it has not connected since the start.
The tokens are read from the store at each poll (a few rows), so a tablet added or revoked shows at once.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kiosk.devices.health import DeviceHealth
from kiosk.texts.vi import page_text

KIND = "rating"

TokenRows = Callable[[], Iterable[tuple[int, int, str]]]  # (token id, counter, label) of every active tablet


def tablet_id(token_id: int) -> str:
    return f"rating:{token_id}"


def active_tablets(conn) -> list[tuple[int, int, str]]:
    """(token id, counter, label) of every tablet that may sign in, by counter."""
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT id, counter_number, label FROM api_tokens WHERE role = 'rating' AND revoked_at IS NULL "
        "ORDER BY counter_number, id")]


@dataclass
class _Seen:
    sids: set[str] = field(default_factory=set)
    left_at: float | None = None


class RatingTablets:
    """Which tablets are connected now; thread-safe (Socket.IO handlers and the health board's poll)."""

    def __init__(self, tokens: TokenRows, clock: Callable[[], float] = time.time) -> None:
        self.tokens, self.clock = tokens, clock
        self._seen: dict[int, _Seen] = {}
        self._tokens_of: dict[str, int] = {}  # sid -> token id
        self._lock = threading.Lock()

    def connected(self, sid: str, token_id: int) -> None:
        with self._lock:
            self._seen.setdefault(token_id, _Seen()).sids.add(sid)
            self._tokens_of[sid] = token_id

    def disconnected(self, sid: str) -> None:
        """Socket ``sid`` left (an unknown sid is ignored)."""
        with self._lock:
            token_id = self._tokens_of.pop(sid, None)
            seen = self._seen.get(token_id) if token_id is not None else None
            if seen is None:
                return
            seen.sids.discard(sid)
            if not seen.sids:
                seen.left_at = self.clock()

    def health(self) -> list[DeviceHealth]:
        """The rows of the health board (a provider): one per active rating token."""
        now, tablets = self.clock(), list(self.tokens())  # read outside the lock: the handlers never wait on SQLite
        rows = []
        with self._lock:
            for token_id, counter, label in tablets:
                seen = self._seen.get(token_id)
                n = len(seen.sids) if seen else 0
                if n:
                    detail = page_text("devices.rating.connected", counter=counter)
                elif seen is not None and seen.left_at is not None:
                    detail = page_text("devices.rating.left", counter=counter)
                else:
                    detail = page_text("devices.rating.never", counter=counter)
                name = label or page_text("devices.rating.name", counter=counter)
                rows.append(DeviceHealth(tablet_id(token_id), KIND, name, "online" if n else "offline", detail,
                                         now if n else (seen.left_at if seen else None)))
        return rows
