"""The officer's day over HTTP (issue 13): call by typed number, the no-show minimum's refusal in Vietnamese,
the queue setting, and the `[kiosk] no_show_min_s` default wired into the engine."""
from __future__ import annotations

from app_support import make_app
from core_fixtures import bearer

from kiosk.config.core import Config


def _issue(client, tokens, service="HT"):
    r = client.post("/api/v1/tickets", json={"service": service}, headers=bearer(tokens["kiosk"]))
    assert r.status_code == 201
    return r.json


def test_call_by_typed_number(client, tokens):
    h = bearer(tokens["officer1"])
    first = _issue(client, tokens)
    second = _issue(client, tokens)
    typed = second["number"].lower()[0] + str(int(second["number"][1:]))  # "a2" is not A002: exact number only
    r = client.post("/api/v1/counters/1/call", json={"number": f" {second['number'].lower()} "}, headers=h)
    assert r.status_code == 200, r.json
    assert r.json["ticket"]["id"] == second["id"] and r.json["ticket"]["state"] == "called"
    assert client.get(f"/api/v1/tickets/{first['id']}", headers=h).json["state"] == "waiting"
    client.post("/api/v1/counters/1/start", headers=h)
    client.post("/api/v1/counters/1/finish", headers=h)

    r = client.post("/api/v1/counters/1/call", json={"number": typed}, headers=h)
    assert r.status_code == 404 and r.json["error"]["code"] == "ticket_number_not_found"
    assert "hôm nay" in r.json["error"]["message_vi"]
    r = client.post("/api/v1/counters/1/call", json={"number": 12}, headers=h)
    assert r.status_code == 422
    r = client.post("/api/v1/counters/1/call", json={"number": ""}, headers=h)
    assert r.status_code == 422
    # the ticket_id form still works, and a number of a ticket already served is refused with a 409
    r = client.post("/api/v1/counters/1/call", json={"number": second["number"]}, headers=h)
    assert r.status_code == 409
    assert client.post("/api/v1/counters/1/call", json={"ticket_id": first["id"]}, headers=h).status_code == 200


def test_no_show_too_soon_is_409_with_a_vietnamese_message(app, client, tokens, clock):
    h = bearer(tokens["officer1"])
    r = client.put("/api/v1/admin/settings", json={"no_show_min_s": 60}, headers=bearer(tokens["admin"]))
    assert r.status_code == 200 and r.json["no_show_min_s"] == 60
    _issue(client, tokens)
    client.post("/api/v1/counters/1/next", headers=h)
    clock.advance(10)
    r = client.post("/api/v1/counters/1/no-show", headers=h)
    assert r.status_code == 409
    err = r.json["error"]
    assert err["code"] == "no_show_too_soon"
    assert err["message_vi"].startswith("Số này vừa được gọi") and "vắng mặt" in err["message_vi"]
    clock.advance(50)
    r = client.post("/api/v1/counters/1/no-show", headers=h)
    assert r.status_code == 200 and r.json["ticket"]["state"] == "no_show"
    bad = client.put("/api/v1/admin/settings", json={"no_show_min_s": -5}, headers=bearer(tokens["admin"]))
    assert bad.status_code == 422


def test_kiosk_setting_default_and_wiring(tmp_path, seeded_demo):
    assert Config.from_dict({}).no_show_min_s == 60
    app = make_app(tmp_path, seeded_demo[0], {"no_show_min_s": 90})
    try:
        assert app.extensions["kiosk"].engine.settings.no_show_min_s == 90
    finally:
        app.extensions["kiosk"].close()
