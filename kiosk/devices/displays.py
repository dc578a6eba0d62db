"""The hall displays on the health board, from their /display Socket.IO connections.

The /display namespace reports every connection (``connected(sid, key, name)``) and disconnection
(``disconnected(sid)``); a display token is one device (key ``display:<token id>``, named by the
token's label), online while at least one socket of it is connected, offline after the last one left
(last seen = that moment). Anonymous screens of a public hall display (``display_public``) are one
device, ``display:public``, with the number connected in its detail. A display that never connected
since the start is not a device: nothing is known of it.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.devices.health import DeviceHealth
from kiosk.texts.vi import page_text

PUBLIC_ID = "display:public"
PUBLIC_NAME = page_text("devices.display.public_name")


def token_display_id(token_id: int) -> str:
    return f"display:{token_id}"


@dataclass
class _Display:
    name: str
    sids: set[str] = field(default_factory=set)
    left_at: float | None = None


class DisplayPresence:
    """Which displays are connected now; thread-safe (Socket.IO handlers and the health board)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._displays: dict[str, _Display] = {}
        self._keys: dict[str, str] = {}  # sid -> display key
        self._lock = threading.Lock()

    def connected(self, sid: str, key: str, name: str) -> None:
        """Socket ``sid`` of display ``key`` connected."""
        with self._lock:
            display = self._displays.setdefault(key, _Display(name))
            display.name = name or display.name
            display.sids.add(sid)
            self._keys[sid] = key

    def disconnected(self, sid: str) -> None:
        """Socket ``sid`` disconnected (unknown sids are ignored: not every socket is a display's)."""
        with self._lock:
            key = self._keys.pop(sid, None)
            display = self._displays.get(key) if key is not None else None
            if display is None:
                return
            display.sids.discard(sid)
            if not display.sids:
                display.left_at = self.clock()

    def connections(self, key: str) -> int:
        with self._lock:
            display = self._displays.get(key)
            return len(display.sids) if display else 0

    def health(self) -> list[DeviceHealth]:
        """The rows of the health board (a provider)."""
        now = self.clock()
        rows = []
        with self._lock:
            for key, display in self._displays.items():
                n = len(display.sids)
                if key == PUBLIC_ID:
                    detail = page_text("devices.display.public_connected", n=n) if n else \
                        page_text("devices.display.public_none")
                else:
                    detail = (page_text("devices.display.connected") if n == 1 else
                              page_text("devices.display.connected_windows", n=n)) if n else \
                        page_text("devices.display.left")
                rows.append(DeviceHealth(key, "display", display.name, "online" if n else "offline", detail,
                                         now if n else display.left_at))
        return rows
