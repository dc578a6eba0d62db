"""Device health: every device of the centre with its state and when it was last heard of, and the
alerts raised when one goes offline or faults.

Providers are small functions next to what they watch (``kiosk/pager/health.py``,
``kiosk/devices/providers.py``, ``kiosk/devices/displays.py``) that return ``DeviceHealth`` rows; the
``HealthBoard`` polls them (a background part of the app, every ``POLL_S``), compares each device with
the last poll and tells its listeners:

- ``on_alert(DeviceAlert)`` when a device goes into offline or fault (``active`` true; again when its
  trouble changes: offline -> fault, paper out -> cover open), and when it comes back online or is gone
  (``active`` false). A device that was never online raises its alert once it has been in trouble
  for ``settle_s`` (5 s): a printer unplugged overnight is news, a pager link still coming up at the
  start or a printer not yet asked is not.
- ``on_change(list[DeviceHealth])`` when anything but ``last_seen`` changed, and every ``refresh_s``
  when only ``last_seen`` moved, so the monitor's tiles keep a fresh "cập nhật lúc".

Pure Python with an injected clock (epoch seconds): providers must be cheap and must not block (they read
what the drivers already know). A provider that raises is logged (once, then at most every
``LOG_EVERY_S``) and skipped: its devices keep their last known rows, and the board goes on.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

KINDS = ("kiosk", "display", "printer", "pager", "led", "camera", "rating")  # rating: a counter's tablet (/rate)
STATES = ("online", "offline", "fault")
POLL_S = 2.0
LOG_EVERY_S = 300.0

Provider = Callable[[], Iterable["DeviceHealth"]]


@dataclass(frozen=True)
class DeviceHealth:
    """One device as its provider sees it now; ``last_seen`` in epoch seconds, None if never heard of."""

    id: str
    kind: str
    name: str
    state: str
    detail: str
    last_seen: float | None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"device kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.state not in STATES:
            raise ValueError(f"device state must be one of {', '.join(STATES)}, got {self.state!r}")
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("a device needs an id")

    def to_api(self) -> dict[str, Any]:
        """The row of GET /api/v1/devices and of the ``device_health`` event (DESIGN.md)."""
        return {"id": self.id, "kind": self.kind, "name": self.name, "state": self.state, "detail": self.detail,
                "last_seen": None if self.last_seen is None else float(self.last_seen)}

    def _shown(self) -> tuple[str, str, str, str, str]:
        return self.id, self.kind, self.name, self.state, self.detail


@dataclass(frozen=True, kw_only=True)
class DeviceAlert:
    """A device went offline or faulty (``active``), or is back / gone (not ``active``); ``at`` is when."""

    id: str
    kind: str
    name: str
    state: str
    detail: str
    at: float
    active: bool

    @classmethod
    def of(cls, device: DeviceHealth, at: float, active: bool) -> DeviceAlert:
        return cls(id=device.id, kind=device.kind, name=device.name, state=device.state, detail=device.detail,
                   at=at, active=active)

    def payload(self) -> dict[str, Any]:
        """The ``device_alert`` event and a row of GET /api/v1/devices/alerts."""
        return {"id": self.id, "kind": self.kind, "name": self.name, "state": self.state, "detail": self.detail,
                "at": self.at, "active": self.active}


def _order(device: DeviceHealth) -> tuple[int, str, str]:
    return KINDS.index(device.kind), device.name.casefold(), device.id


@dataclass
class _Registered:
    fn: Provider
    name: str
    rows: tuple[DeviceHealth, ...] = ()
    failures: int = 0
    logged_at: float | None = None


class HealthBoard:
    """Polls the providers; keeps the devices, the active alerts, and tells listeners what changed."""

    def __init__(self, clock: Callable[[], float] = time.time, *, refresh_s: float = 10.0, settle_s: float = 5.0,
                 on_alert: Callable[[DeviceAlert], object] | None = None,
                 on_change: Callable[[list[DeviceHealth]], object] | None = None) -> None:
        self.clock = clock
        self.refresh_s = refresh_s
        self.settle_s = settle_s
        self._first_seen: dict[str, float] = {}
        self._ever_online: set[str] = set()
        self._alert_listeners = [on_alert] if on_alert else []
        self._change_listeners = [on_change] if on_change else []
        self._providers: list[_Registered] = []
        self._devices: dict[str, DeviceHealth] = {}
        self._alerts: dict[str, DeviceAlert] = {}
        self._polled_at: float | None = None
        self._sent: tuple | None = None
        self._sent_full: tuple | None = None
        self._sent_at = float("-inf")
        self._lock = threading.RLock()

    def add_provider(self, fn: Provider, name: str | None = None) -> None:
        """Add a provider: ``fn()`` returns the DeviceHealth of the devices it watches, now."""
        with self._lock:
            self._providers.append(_Registered(fn, name or getattr(fn, "__qualname__", repr(fn))))

    def add_alert_listener(self, fn: Callable[[DeviceAlert], object]) -> None:
        self._alert_listeners.append(fn)

    def add_change_listener(self, fn: Callable[[list[DeviceHealth]], object]) -> None:
        self._change_listeners.append(fn)

    # -- reading ---------------------------------------------------------------------------------------
    def snapshot(self, max_age_s: float = 1.0) -> list[DeviceHealth]:
        """Every device, sorted by kind then name; polls first when the last poll is older than
        ``max_age_s`` (or there was none), so an API answer is never staler than a poll."""
        with self._lock:
            if self._polled_at is None or self.clock() - self._polled_at > max_age_s:
                return self.poll()
            return sorted(self._devices.values(), key=_order)

    def alerts(self) -> list[DeviceAlert]:
        """The active alerts, oldest first."""
        with self._lock:
            return sorted(self._alerts.values(), key=lambda a: (a.at, a.id))

    # -- polling ---------------------------------------------------------------------------------------
    def poll(self) -> list[DeviceHealth]:
        """Ask every provider, raise and clear alerts, tell the listeners; returns the sorted devices."""
        with self._lock:
            now = self.clock()
            current: dict[str, DeviceHealth] = {}
            for provider in self._providers:
                for device in self._ask(provider, now):
                    current.setdefault(device.id, device)  # the first provider to name an id owns it
            alerts = self._transitions(current, now)
            self._devices, self._polled_at = current, now
            devices = sorted(current.values(), key=_order)
            # told under the lock: a poll from a request and the background one never cross their news
            for alert in alerts:
                self._tell(self._alert_listeners, alert)
            if self._changed(devices, now):
                self._tell(self._change_listeners, devices)
        return devices

    def _ask(self, provider: _Registered, now: float) -> tuple[DeviceHealth, ...]:
        try:
            rows = tuple(provider.fn())
            for row in rows:
                if not isinstance(row, DeviceHealth):
                    raise TypeError(f"a provider must return DeviceHealth rows, not {type(row).__name__}")
        except Exception:
            provider.failures += 1
            if provider.logged_at is None:
                log.exception("device health provider %s failed; its devices keep their last state", provider.name)
                provider.logged_at = now
            elif now - provider.logged_at >= LOG_EVERY_S:
                log.warning("device health provider %s still failing (%d times)", provider.name, provider.failures)
                provider.logged_at = now
            return provider.rows
        if provider.failures:
            log.info("device health provider %s works again after %d failures", provider.name, provider.failures)
            provider.failures, provider.logged_at = 0, None
        provider.rows = rows
        return rows

    def _transitions(self, current: dict[str, DeviceHealth], now: float) -> list[DeviceAlert]:
        out: list[DeviceAlert] = []
        for device_id, device in current.items():
            before = self._devices.get(device_id)
            was = before.state if before is not None else None
            first = self._first_seen.setdefault(device_id, now)
            if device.state == "online":
                self._ever_online.add(device_id)
                if device_id in self._alerts:
                    del self._alerts[device_id]
                    out.append(DeviceAlert.of(device, now, active=False))
                    log.info("device %s (%s) is back online", device.name, device.id)
            elif device_id not in self._ever_online and now - first < self.settle_s:
                continue  # still starting up
            elif device_id not in self._alerts or before is None or before._shown() != device._shown():
                # raised, or the trouble changed (offline -> fault, paper out -> cover open): told again
                raised = device_id not in self._alerts
                alert = DeviceAlert.of(device, now, active=True)
                self._alerts[device_id] = alert
                out.append(alert)
                if raised or was != device.state:
                    log.warning("device %s (%s) is %s: %s", device.name, device.id, device.state, device.detail)
        for device_id in [d for d in self._first_seen if d not in current]:
            del self._first_seen[device_id]
            self._ever_online.discard(device_id)
        for device_id in [d for d in self._alerts if d not in current]:
            gone = self._alerts.pop(device_id)
            out.append(DeviceAlert(id=gone.id, kind=gone.kind, name=gone.name, state=gone.state,
                                   detail=gone.detail, at=now, active=False))
        return out

    def _changed(self, devices: list[DeviceHealth], now: float) -> bool:
        shown = tuple(d._shown() for d in devices)
        full = tuple(d.to_api()["last_seen"] for d in devices)
        if shown != self._sent or (full != self._sent_full and now - self._sent_at >= self.refresh_s):
            self._sent, self._sent_full, self._sent_at = shown, full, now
            return True
        return False

    @staticmethod
    def _tell(listeners: list[Callable[[Any], object]], what: Any) -> None:
        for listener in listeners:
            try:
                listener(what)
            except Exception:  # a screen that cannot be told must not stop the board
                log.exception("device health listener %r failed", listener)
