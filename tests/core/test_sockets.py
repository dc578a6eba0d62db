"""Socket.IO: namespaces, role checks and the ticket_called event (Flask-SocketIO's test client)."""
from __future__ import annotations

import time

from core_fixtures import bearer


def sio(app, namespace: str, auth=None, flask_client=None):
    socketio = app.extensions["kiosk"].socketio
    return socketio.test_client(app, namespace=namespace, auth=auth, flask_test_client=flask_client)


def events_named(client, namespace: str, name: str, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    got: list[dict] = []
    while time.monotonic() < deadline:
        got += [m["args"][0] for m in client.get_received(namespace) if m["name"] == name]
        if got:
            break
        time.sleep(0.02)
    return got


def test_display_gets_ticket_called_with_design_payload(app, client, tokens):
    display = sio(app, "/display")
    assert display.is_connected("/display")
    snapshot = events_named(display, "/display", "queue_snapshot")
    assert snapshot and "counters" in snapshot[0]
    client.post("/api/v1/tickets", json={"service": "HT", "priority": "merit"}, headers=bearer(tokens["kiosk"]))
    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    called = events_named(display, "/display", "ticket_called")
    assert len(called) == 1
    payload = called[0]
    assert {"number", "counter", "service", "priority", "called_at", "recall"} <= set(payload)
    assert payload["number"] == "A001" and payload["counter"] == 1 and payload["service"] == "HT"
    assert payload["priority"] == "merit" and payload["recall"] is False
    client.post("/api/v1/counters/1/recall", headers=bearer(tokens["officer1"]))
    again = events_named(display, "/display", "ticket_called")
    assert again and again[0]["recall"] is True


def test_display_requires_auth_when_not_public(tmp_path, clock):
    from kiosk.app import create_app

    app = create_app({"data_dir": str(tmp_path), "display_public": False}, clock=clock)
    try:
        client = sio(app, "/display")
        assert not client.is_connected("/display")
        from kiosk.accounts.registry import create_token

        with app.extensions["kiosk"].store.transaction() as conn:
            token = create_token(conn, "display")
        client = sio(app, "/display", auth={"token": token})
        assert client.is_connected("/display")
    finally:
        app.extensions["kiosk"].close()


def test_namespace_roles(app, tokens):
    assert not sio(app, "/monitor").is_connected("/monitor")
    assert not sio(app, "/monitor", auth={"token": tokens["kiosk"]}).is_connected("/monitor")
    assert sio(app, "/monitor", auth={"token": tokens["manager"]}).is_connected("/monitor")
    assert not sio(app, "/counter", auth={"token": tokens["display"]}).is_connected("/counter")
    assert sio(app, "/kiosk", auth={"token": tokens["kiosk"]}).is_connected("/kiosk")
    assert not sio(app, "/kiosk", auth={"token": "kt_forged"}).is_connected("/kiosk")


def test_counter_room_gets_only_its_own_events(app, client, tokens):
    one = sio(app, "/counter", auth={"token": tokens["officer1"]})
    three = sio(app, "/counter", auth={"token": tokens["officer3"]})
    client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    got = events_named(one, "/counter", "counter_event")
    assert got and got[0]["type"] == "ticket_called" and got[0]["counter"] == 1
    assert events_named(three, "/counter", "counter_event", timeout=0.5) == []


def test_monitor_sees_every_event_and_fresh_snapshots(app, client, tokens):
    monitor = sio(app, "/monitor", auth={"token": tokens["manager"]})
    monitor.get_received("/monitor")
    client.post("/api/v1/tickets", json={"service": "DD"}, headers=bearer(tokens["kiosk"]))
    got = events_named(monitor, "/monitor", "queue_event")
    assert got and got[0]["type"] == "ticket_issued"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        snaps = [m["args"][0] for m in monitor.get_received("/monitor") if m["name"] == "queue_snapshot"]
        if snaps and snaps[-1]["today"]["issued"] == 1:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("no snapshot with the new ticket")


def test_admin_edit_pushes_catalog_changed(app, client, tokens):
    kiosk = sio(app, "/kiosk", auth={"token": tokens["kiosk"]})
    kiosk.get_received("/kiosk")
    r = client.put("/api/v1/admin/services/HT", json={"prefix": "A", "name": "Hộ tịch", "is_open": False},
                   headers=bearer(tokens["admin"]))
    assert r.status_code == 200
    got = events_named(kiosk, "/kiosk", "catalog_changed")
    assert got and got[0]["what"] == "HT"
    r = client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "service_closed"


def test_display_snapshot_is_the_hall_share(app, client, tokens):
    client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    display = sio(app, "/display")
    snap = events_named(display, "/display", "queue_snapshot")[0]
    assert snap["counters"][0]["current"]["number"] == "A001"
    assert "next" not in snap["services"][0] and "held" not in snap  # no waiting lists on the hall TV
    assert snap["recent_calls"][0]["number"] == "A001"


def test_snapshot_carries_each_counters_allowed_actions(app, client, tokens):
    """GET /queue and the pushed queue_snapshot list per counter what the transitions table allows now."""
    console = sio(app, "/counter", auth={"token": tokens["officer1"]})
    first = events_named(console, "/counter", "queue_snapshot")[0]
    mine = next(c for c in first["counters"] if c["number"] == 1)
    assert mine["actions"] == ["next", "finish_next", "call", "pause", "close"]
    client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    h = bearer(tokens["officer1"])
    assert client.post("/api/v1/counters/1/next", headers=h).status_code == 200
    snap = client.get("/api/v1/queue", headers=h).json
    counter = next(c for c in snap["counters"] if c["number"] == 1)
    assert counter["current"]["state"] == "called"
    assert counter["actions"] == ["recall", "start", "no_show", "hold", "transfer"]
    assert snap["event_id"] > first["event_id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the push that follows the call says the same
        pushed = [m["args"][0] for m in console.get_received("/counter") if m["name"] == "queue_snapshot"]
        if pushed and pushed[-1]["event_id"] == snap["event_id"]:
            assert next(c for c in pushed[-1]["counters"] if c["number"] == 1)["actions"] == counter["actions"]
            break
        time.sleep(0.05)
    else:
        raise AssertionError("no pushed snapshot after the call")
    client.post("/api/v1/counters/1/start", headers=h)
    serving = next(c for c in client.get("/api/v1/queue", headers=h).json["counters"] if c["number"] == 1)
    assert serving["actions"] == ["finish_next", "finish", "hold", "transfer"]
    display = sio(app, "/display")
    hall = events_named(display, "/display", "queue_snapshot")[0]
    assert all("actions" not in c for c in hall["counters"])  # the hall's share stays small
