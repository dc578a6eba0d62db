"""Device health in a real demo app served on a TCP port: a manager's python-socketio /monitor client
hears `device_alert` when a display token's socket disconnects and when the demo pager base station is
unplugged or stopped, and hears it cleared when the device is back; GET /api/v1/devices gives the
DESIGN.md rows to staff and devices only; a provider that raises stops nothing."""
from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio
from app_support import bearer, make_app, role_tokens
from live_app import LiveApp

from kiosk.accounts.registry import create_token

ROW_KEYS = {"id", "kind", "name", "state", "detail", "last_seen"}
ALERT_KEYS = {"id", "kind", "name", "state", "detail", "at", "active"}
WAIT_S = 20.0  # the board polls every 2 s; the machine is shared


@pytest.fixture
def live(tmp_path, seeded_demo):
    app = make_app(tmp_path, seeded_demo[0], {"demo": True, "voice": {"pace": False}, "vision": {"enabled": False}})
    kiosk = app.extensions["kiosk"]
    assert kiosk.devices.driver.wait_link(10), "the demo pager link did not come up"
    tokens = role_tokens(kiosk)
    with kiosk.store.transaction() as conn:
        tokens["hall2"] = create_token(conn, "display", label="Màn hình tầng 2")
    server = LiveApp(app).start()
    yield server, kiosk, tokens
    server.stop()
    kiosk.close()


class Listener:
    """A python-socketio client on one namespace that keeps every event it receives."""

    def __init__(self, url: str, namespace: str, token: str, events: tuple[str, ...] = ()) -> None:
        self.url, self.namespace, self.token = url, namespace, token
        self.got: list[tuple[str, object]] = []
        self._lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        for name in events:
            self.client.on(name, self._keeper(name), namespace=namespace)

    def _keeper(self, name: str):
        def keep(data) -> None:
            with self._lock:
                self.got.append((name, data))
        return keep

    def connect(self) -> Listener:
        self.client.connect(self.url, namespaces=[self.namespace], auth={"token": self.token},
                            transports=["websocket"], wait_timeout=10)
        return self

    def disconnect(self) -> None:
        self.client.disconnect()

    def events(self, name: str) -> list:
        with self._lock:
            return [data for n, data in self.got if n == name]

    def wait_for(self, name: str, predicate, timeout: float = WAIT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events(name) if predicate(e)]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no {name} matching within {timeout} s; got {self.events(name)}")


def _rows(server, token: str) -> list[dict]:
    response = requests.get(server.url + "/api/v1/devices", headers=bearer(token), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _wait_row(server, token: str, device_id: str, state: str) -> dict:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        row = next((r for r in _rows(server, token) if r["id"] == device_id), None)
        if row is not None and row["state"] == state:
            return row
        time.sleep(0.1)
    raise AssertionError(f"{device_id} never {state}: {_rows(server, token)}")


def _display_id(kiosk, token: str) -> str:
    from kiosk.accounts.registry import token_principal

    return f"display:{token_principal(kiosk.store.conn(), token).id}"


def test_alerts_reach_the_monitor_and_clear_when_devices_return(live):
    server, kiosk, tokens = live
    broken = {"calls": 0}

    def broken_provider():
        broken["calls"] += 1
        raise RuntimeError("a provider with a bug")

    kiosk.health.add_provider(broken_provider, "broken")
    monitor = Listener(server.url, "/monitor", tokens["manager"], ("device_alert", "device_health")).connect()
    hall = Listener(server.url, "/display", tokens["hall2"]).connect()
    hall_id = _display_id(kiosk, tokens["hall2"])
    row = _wait_row(server, tokens["manager"], hall_id, "online")
    assert row["name"] == "Màn hình tầng 2" and row["kind"] == "display"
    monitor.wait_for("device_health", lambda rows: any(r["id"] == hall_id and r["state"] == "online" for r in rows))

    hall.disconnect()
    alert = monitor.wait_for("device_alert", lambda a: a["id"] == hall_id and a["active"])
    assert set(alert) == ALERT_KEYS and alert["state"] == "offline" and alert["name"] == "Màn hình tầng 2"
    row = _wait_row(server, tokens["manager"], hall_id, "offline")
    assert row["last_seen"] is not None and row["last_seen"] <= time.time()
    active = requests.get(server.url + "/api/v1/devices/alerts", headers=bearer(tokens["manager"]), timeout=10).json()
    assert [a["id"] for a in active if a["id"] == hall_id] == [hall_id] and all(a["active"] for a in active)

    hall = Listener(server.url, "/display", tokens["hall2"]).connect()
    cleared = monitor.wait_for("device_alert", lambda a: a["id"] == hall_id and not a["active"])
    assert cleared["state"] == "online"

    pager = kiosk.devices.simulators["pager"]
    assert _wait_row(server, tokens["manager"], "pager:base", "online")["last_seen"] > time.time() - 10
    pager.unplug()
    alert = monitor.wait_for("device_alert", lambda a: a["id"] == "pager:base" and a["active"])
    assert alert["kind"] == "pager" and alert["state"] == "offline"
    pager.replug()
    back = monitor.wait_for("device_alert", lambda a: a["id"] == "pager:base" and not a["active"])
    assert back["at"] > alert["at"] and kiosk.devices.driver.wait_link(10)

    pager.stop()  # for good this time
    again = monitor.wait_for("device_alert", lambda a: a["id"] == "pager:base" and a["active"] and a["at"] > back["at"])
    assert again["state"] == "offline"
    assert broken["calls"] >= 3  # asked on every poll, and every other device was still watched
    hall.disconnect()
    monitor.disconnect()


def test_devices_list_shape_and_roles(live):
    server, kiosk, tokens = live
    rows = _rows(server, tokens["kiosk"])
    assert rows and all(set(r) == ROW_KEYS for r in rows)
    kinds = {r["kind"] for r in rows}
    assert {"pager", "led", "printer"} <= kinds
    order = ["kiosk", "display", "printer", "pager", "led", "camera"]
    assert [order.index(r["kind"]) for r in rows] == sorted(order.index(r["kind"]) for r in rows)
    for r in rows:
        assert r["state"] in ("online", "offline", "fault") and isinstance(r["name"], str) and r["name"]
        assert r["last_seen"] is None or isinstance(r["last_seen"], float)
    for role in ("officer1", "manager", "admin"):
        assert [r["id"] for r in _rows(server, tokens[role])] == [r["id"] for r in rows]

    def get(path, token=None):
        return requests.get(server.url + path, headers=bearer(token) if token else {}, timeout=10)

    for path in ("/api/v1/devices", "/api/v1/devices/alerts", "/api/v1/devices/summary"):
        missing = get(path)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
        refused = get(path, tokens["display"])
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    for role in ("kiosk", "officer1"):
        assert get("/api/v1/devices/alerts", tokens[role]).status_code == 403
    alerts = get("/api/v1/devices/alerts", tokens["manager"])
    assert alerts.status_code == 200 and all(set(a) == ALERT_KEYS and a["active"] for a in alerts.json())
    summary = get("/api/v1/devices/summary", tokens["kiosk"]).json()
    assert summary["pager"]["configured"] is True and summary["pager"]["link"] == "up"
    assert summary["pager"]["last_seen"] > time.time() - 10 and summary["pager"]["fault"] is None
