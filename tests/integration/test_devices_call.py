"""A counter's call reaches every device: officer's card, the citizen's bound card, the LED board,
and the hall voice (an `announcement` event whose URL serves a playable WAV)."""
from __future__ import annotations

import io
import wave

from devices_support import *  # noqa: F403
from devices_support import bearer, issue, received, sio, wait_for


def test_call_pages_officer_and_citizen_lights_led_and_announces(devices_app, client, tokens, sims):
    pager, led = sims["pager"], sims["led"]
    display = sio(devices_app, "/display")
    counter1 = sio(devices_app, "/counter", tokens["officer1"])
    monitor = sio(devices_app, "/monitor", tokens["manager"])
    ticket = issue(client, tokens["kiosk"])
    bound = client.post(f"/api/v1/tickets/{ticket['id']}/pager", json={"label": "PAGER:1:104"},
                        headers=bearer(tokens["kiosk"]))
    assert bound.status_code == 200 and bound.json["card"] == 104

    called = client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    assert called.json["ticket"]["number"] == ticket["number"]

    assert pager.wait_until(lambda: pager.pages(1) and pager.pages(104), 5)
    officer_page, citizen_page = pager.pages(1)[0], pager.pages(104)[0]
    assert (officer_page.ticket, officer_page.counter, officer_page.recall) == (ticket["number"], 1, False)
    assert citizen_page.ticket == ticket["number"] and citizen_page.text == "Mời đến quầy 1"
    assert all(pager.pages(card) == [] for card in (2, 3, 101))  # nobody else buzzes

    assert led.wait_for_frames(1) and led.boards[1] == ticket["number"].rjust(4)

    announcement = received(display, "/display", "announcement")[0]
    assert announcement["number"] == ticket["number"] and announcement["counter"] == 1
    assert announcement["recall"] is False
    audio = client.get(announcement["url"])
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    with wave.open(io.BytesIO(audio.data)) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        assert wav.getnframes() / wav.getframerate() > 1.0  # chime + sentence

    def delivered_both(events):
        return {(e["card"], e["status"]) for e in events} >= {(1, "delivered"), (104, "delivered")}

    statuses = received(counter1, "/counter", "page_status", until=delivered_both)
    assert delivered_both(statuses)
    assert all(e["ticket"] == ticket["number"] and e["counter"] == 1 for e in statuses)
    assert delivered_both(received(monitor, "/monitor", "page_status", until=delivered_both))


def test_recall_pages_again_and_is_announced_again(devices_app, client, tokens, sims):
    pager = sims["pager"]
    display = sio(devices_app, "/display")
    ticket = issue(client, tokens["kiosk"])
    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    assert received(display, "/display", "announcement")
    client.post("/api/v1/counters/1/recall", headers=bearer(tokens["officer1"]))
    assert pager.wait_until(lambda: len(pager.pages(1)) == 2, 5)
    assert pager.pages(1)[1].recall and pager.pages(1)[1].ticket == ticket["number"]
    again = received(display, "/display", "announcement")
    assert again and again[0]["recall"] is True and again[0]["number"] == ticket["number"]


def test_citizen_card_is_released_when_ticket_is_over(devices_app, client, tokens, sims):
    hub = devices_app.extensions["kiosk"].devices
    first = issue(client, tokens["kiosk"])
    second = issue(client, tokens["kiosk"])
    assert client.post(f"/api/v1/tickets/{first['id']}/pager", json={"card": 105},
                       headers=bearer(tokens["kiosk"])).status_code == 200
    refused = client.post(f"/api/v1/tickets/{second['id']}/pager", json={"card": 105},
                          headers=bearer(tokens["kiosk"]))
    assert refused.status_code == 409 and refused.json["error"]["message"]
    officer = bearer(tokens["officer1"])
    client.post("/api/v1/counters/1/next", headers=officer)
    client.post("/api/v1/counters/1/no-show", headers=officer)
    assert wait_for(lambda: hub.cards.citizen_card(first["id"]) is None)
    assert client.post(f"/api/v1/tickets/{second['id']}/pager", json={"card": 105},
                       headers=bearer(tokens["kiosk"])).status_code == 200


def test_a_dead_led_bus_does_not_stop_pages_or_voice(tmp_path, seeded_store, sims):
    from devices_support import device_config, make_app

    from kiosk.accounts.registry import create_token
    from kiosk.demo.centre import open_demo_counters

    extra = device_config(sims)
    extra["led"] = {"url": str(tmp_path / "no-such-adapter"), "boards": {"1": 1}}
    app = make_app(tmp_path, seeded_store, extra)
    kiosk = app.extensions["kiosk"]
    try:
        open_demo_counters(kiosk.engine)
        assert kiosk.devices.driver.wait_link(5)
        with kiosk.store.transaction() as conn:
            kiosk_token, officer = create_token(conn, "kiosk"), create_token(conn, "officer", 1)
        client = app.test_client()
        display = sio(app, "/display")
        ticket = issue(client, kiosk_token)
        assert client.post("/api/v1/counters/1/next", headers=bearer(officer)).status_code == 200
        pager = sims["pager"]
        assert pager.wait_until(lambda: pager.pages(1), 5) and pager.pages(1)[0].ticket == ticket["number"]
        assert received(display, "/display", "announcement")[0]["number"] == ticket["number"]
    finally:
        kiosk.close()
