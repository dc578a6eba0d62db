"""Bad input to every devices endpoint gets a 4xx JSON error and changes nothing; bad device
configuration stops the start with a message naming the setting; demo mode runs the simulators."""
from __future__ import annotations

import pytest
from devices_support import *  # noqa: F403
from devices_support import bearer, issue, make_app, wait_for

from kiosk.config.core import ConfigError
from kiosk.config.devices import device_settings
from kiosk.display.tracking import ticket_signature, verify_signature


def _error(response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body and body["error"]["code"] and body["error"]["message"]


def test_bind_pager_bad_input(devices_app, client, tokens):
    hub = devices_app.extensions["kiosk"].devices
    ticket = issue(client, tokens["kiosk"])
    url = f"/api/v1/tickets/{ticket['id']}/pager"
    kiosk = bearer(tokens["kiosk"])
    _error(client.post(url, json={"card": 101}), 401)
    _error(client.post(url, json={"card": 101}, headers=bearer(tokens["manager"])), 403)
    _error(client.post(url, data="card=101", headers=kiosk, content_type="text/plain"), 415)
    _error(client.post(url, data="{not json", headers=kiosk, content_type="application/json"), 400)
    _error(client.post(url, json=[101], headers=kiosk), 400)
    for body in ({}, {"card": "101"}, {"card": True}, {"card": 101.5}, {"card": 0}, {"card": 70000},
                 {"card": 2}, {"card": 999}, {"card": 101, "label": "PAGER:1:101"}, {"label": 101},
                 {"label": "PAGER:2:101"}, {"label": "hello"}, {"card": 101, "extra": 1}):
        _error(client.post(url, json=body, headers=kiosk), 422)
    _error(client.post("/api/v1/tickets/999999/pager", json={"card": 101}, headers=kiosk), 404)
    _error(client.post("/api/v1/tickets/abc/pager", json={"card": 101}, headers=kiosk), 404)
    _error(client.delete("/api/v1/tickets/999999/pager", headers=kiosk), 404)
    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    client.post("/api/v1/counters/1/finish", headers=bearer(tokens["officer1"]))  # refused: not started
    client.post("/api/v1/counters/1/no-show", headers=bearer(tokens["officer1"]))
    _error(client.post(url, json={"card": 101}, headers=kiosk), 409)  # the ticket is over
    assert hub.cards.bindings() == {}


def test_pager_cards_admin_bad_input(devices_app, client, tokens):
    hub = devices_app.extensions["kiosk"].devices
    before = hub.cards.officer_assignments()
    url = "/api/v1/devices/pager-cards"
    admin = bearer(tokens["admin"])
    _error(client.put(url, json={"cards": {"1": 2}}, headers=bearer(tokens["officer1"])), 403)
    _error(client.get(url, headers=bearer(tokens["manager"])), 403)
    for body in ({}, {"cards": []}, {"cards": {"x": 1}}, {"cards": {"1": "2"}}, {"cards": {"1": True}},
                 {"cards": {"0": 1}}, {"cards": {"105": 1}}, {"cards": {"1": 1}, "more": 1}):
        _error(client.put(url, json=body, headers=admin), 422)
    _error(client.put(url, json={"cards": {"1": 1, "7": 99}}, headers=admin), 404)  # no counter 99
    assert hub.cards.officer_assignments() == before
    ok = client.put(url, json={"cards": {"7": 1, "8": 3}}, headers=admin)
    assert ok.status_code == 200 and ok.json["cards"] == {"7": 1, "8": 3}
    assert client.get(url, headers=admin).json["cards"] == {"7": 1, "8": 3}
    assert hub.cards.counter_of(1) is None and hub.cards.officer_cards(3) == [8]


def test_public_endpoints_bad_input(devices_app, client, tokens):
    secret = devices_app.config["SECRET_KEY"]
    ticket = issue(client, tokens["kiosk"])
    good = ticket_signature(secret, ticket["id"])
    assert verify_signature(secret, ticket["id"], good)
    other_last = "y" if good.endswith("x") else "x"  # a signature ending in x would make "…x" the good one
    for path in (f"/t/{ticket['id']}/{good[:-1]}{other_last}", f"/t/{ticket['id']}/short", f"/t/{ticket['id'] + 1}/{good}",
                 f"/t/{ticket['id']}/{good}!!", f"/t/999999/{ticket_signature(secret, 999999)}"):
        _error(client.get(path), 404)
    assert client.get(f"/t/{ticket['id']}/{good}").status_code == 200
    _error(client.get("/audio/000001-deadbeef.wav"), 404)
    _error(client.get("/audio/not-a-key.wav"), 404)
    _error(client.get("/api/v1/devices"), 401)
    _error(client.get("/api/v1/devices", headers=bearer(tokens["display"])), 403)
    _error(client.get("/demo/devices", headers=bearer(tokens["admin"])), 404)  # not in demo mode
    _error(client.post("/demo/devices/press", json={"card": 1, "button": "next"}, headers=bearer(tokens["admin"])),
           404)


@pytest.mark.parametrize("extra, words", [
    ({"pager": {"url": ""}}, "[pager] url"),
    ({"pager": {"url": "/dev/x", "officer_cards": {"1": "one"}}}, "officer_cards"),
    ({"pager": {"officer_cards": {"150": 1}}}, "citizen_cards"),
    ({"pager": {"citizen_cards": [10]}}, "citizen_cards"),
    ({"pager": {"baud": 9600}}, "[pager] baud: unknown setting"),
    ({"printer": {"url": "lpt://x"}}, "[printer] url"),
    ({"printer": {"url": "dummy:", "paper_width": 70}}, "paper_width"),
    ({"led": {"url": "/dev/x", "boards": {"1": 100}}}, "[led]"),
    ({"voice": {"repeat": 9}}, "[voice] repeat"),
    ({"voice": "loud"}, "[voice] must be a table"),
    ({"devices": {"public_url": "ftp://x"}}, "public_url"),
])
def test_bad_device_config_names_the_setting(extra, words):
    with pytest.raises(ConfigError) as caught:
        device_settings(extra)
    assert words in str(caught.value)


def test_bad_config_stops_the_app_start(tmp_path, seeded_store):
    with pytest.raises(ConfigError, match=r"\[voice\] clips_dir"):
        make_app(tmp_path, seeded_store, {"voice": {"clips_dir": str(tmp_path / "missing")}})


def test_demo_mode_runs_simulators_and_demo_page(tmp_path, seeded_store):
    from kiosk.accounts.registry import create_token
    from kiosk.demo.centre import open_demo_counters

    app = make_app(tmp_path, seeded_store, {"demo": True, "voice": {"pace": False}})
    kiosk = app.extensions["kiosk"]
    try:
        hub = kiosk.devices
        open_demo_counters(kiosk.engine)
        assert hub.driver.wait_link(5)
        with kiosk.store.transaction() as conn:
            admin, kiosk_token = create_token(conn, "admin"), create_token(conn, "kiosk")
        client = app.test_client()
        assert client.get("/demo/devices", headers=bearer(admin)).status_code == 200
        ticket = issue(client, kiosk_token)
        assert client.post("/demo/devices/press", json={"card": 1, "button": "next"},
                           headers=bearer(admin)).status_code == 200
        assert wait_for(lambda: kiosk.engine.ticket(ticket["id"]).state == "called")
        for body in ({"card": 1, "button": "jump"}, {"card": "1", "button": "next"}, {}):
            _error(client.post("/demo/devices/press", json=body, headers=bearer(admin)), 422)
        _error(client.post("/demo/devices/press", json={"card": 77, "button": "next"}, headers=bearer(admin)), 404)
        _error(client.post("/demo/devices/printer", json={"paper_out": "yes"}, headers=bearer(admin)), 422)
        _error(client.post("/demo/devices/printer", json={"jam": True}, headers=bearer(admin)), 422)
        out = client.post("/demo/devices/printer", json={"paper_out": True}, headers=bearer(admin))
        assert out.status_code == 200 and out.json["status"] == "paper_out"
        assert hub.simulators["led"].wait_for_frames(1)
    finally:
        kiosk.close()
