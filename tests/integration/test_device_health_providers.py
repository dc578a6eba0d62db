"""The hub's devices on the health board, against the simulators on ptys: a base station that refuses
the session is a fault, not an outage; the LED bus is online after a write that went through and offline
after one that failed; the PC printer's states are covered in test_devices_printer.py."""
from __future__ import annotations

from devices_support import *  # noqa: F403
from devices_support import bearer, issue, wait_for

from hardware.pager.messages import NakCode


def _row(client, tokens, device_id: str) -> dict:
    rows = client.get("/api/v1/devices", headers=bearer(tokens["manager"])).json
    return next(r for r in rows if r["id"] == device_id)


def test_a_base_station_that_refuses_the_session_is_a_fault(devices_app, client, tokens, sims):
    pager = sims["pager"]
    assert _row(client, tokens, "pager:base")["state"] == "online"
    pager.refuse_hello = NakCode.UNSUPPORTED_VERSION
    pager.reboot()  # a new boot id: the driver opens a new session, and is refused
    assert wait_for(lambda: _row(client, tokens, "pager:base")["state"] == "fault", timeout=15)
    row = _row(client, tokens, "pager:base")
    assert row["detail"].startswith("Trạm gốc báo lỗi") and "phiên bản" in row["detail"]
    alerts = client.get("/api/v1/devices/alerts", headers=bearer(tokens["manager"])).json
    assert [(a["id"], a["state"]) for a in alerts] == [("pager:base", "fault")]

    pager.refuse_hello = None
    assert wait_for(lambda: _row(client, tokens, "pager:base")["state"] == "online", timeout=20)
    assert client.get("/api/v1/devices/alerts", headers=bearer(tokens["manager"])).json == []


def test_the_led_bus_follows_its_last_write(devices_app, client, tokens, sims):
    kiosk = devices_app.extensions["kiosk"]
    row = _row(client, tokens, "led:bus")
    assert (row["state"], row["last_seen"]) == ("online", None)  # nothing written yet, the adapter is there
    issue(client, tokens["kiosk"])
    assert client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"])).status_code == 200
    assert sims["led"].wait_for_frames(1)
    assert wait_for(lambda: _row(client, tokens, "led:bus")["last_seen"] is not None)
    assert _row(client, tokens, "led:bus")["state"] == "online"

    sims["led"].stop()  # the adapter is pulled out
    officer = bearer(tokens["officer1"])
    assert client.post("/api/v1/counters/1/no-show", headers=officer).status_code == 200
    issue(client, tokens["kiosk"])
    assert client.post("/api/v1/counters/1/next", headers=officer).json["ticket"] is not None
    assert kiosk.bus.wait_idle(5)
    assert wait_for(lambda: _row(client, tokens, "led:bus")["state"] == "offline")
    assert "Không gửi được" in _row(client, tokens, "led:bus")["detail"]
