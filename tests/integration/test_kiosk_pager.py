"""A citizen's pager card bound to the kiosk's ticket, by its QR label shown to the camera or by number
on the touch keypad (the HTTP API), and paged when that ticket is called.

Real parts throughout: frames made in memory with a card-like QR (qrcode), read by zxing-cpp in the
vision pipeline, the kiosk flow, the store, the pager driver talking to the simulated base station on
a pty.
"""
from __future__ import annotations

import pytest
from devices_support import *  # noqa: F403
from devices_support import bearer, issue, wait_for

from kiosk.session.flow import FlowSettings
from kiosk.session.setup import build_flow
from kiosk.vision.gallery import Gallery
from kiosk.vision.pipeline import PipelineSettings, VisionPipeline
from kiosk.vision.sources import _empty_room, demo_card_frame

W, H = 960, 540
STEP_S = 0.2
# An invented card payload (no real person), born 1990: no elderly question.
CARD = "079090001234||Trần Thị Bình|02031990|Nữ|12 Lê Lợi, Phường Bến Nghé, TP Hồ Chí Minh|10052021"


class CameraKiosk:
    """The app's kiosk flow (wired by kiosk.session.setup.build_flow) fed frame by frame through the real pipeline."""

    def __init__(self, app) -> None:
        self.kiosk = app.extensions["kiosk"]
        self.t = 1000.0
        self.pipeline = VisionPipeline(None, settings=PipelineSettings(preview_interval_s=0.0,
                                                                       text_prefixes=("PAGER:",)))
        self.flow = build_flow(self.kiosk, FlowSettings(), lambda: self.t, self.pipeline, Gallery())
        self.labels: list[str | None] = []

    def feed(self, payload: str | None = None) -> dict:
        """One frame at the next timestamp: the empty room, or a card-like object whose QR holds ``payload``."""
        self.t += STEP_S
        frame = demo_card_frame(payload, width=W, height=H, module_px=4, centre=(0.3, 0.6)) if payload \
            else _empty_room(W, H)
        obs = self.pipeline.process(frame, self.t)
        self.labels.append(obs.label)
        self.flow.on_observation(obs)
        return self.flow.snapshot()

    def show(self, payload: str, frames: int = 4) -> dict:
        snap = {}
        for _ in range(frames):
            snap = self.feed(payload)
        return snap

    def wait(self, seconds: float) -> dict:
        snap = {}
        for _ in range(round(seconds / STEP_S)):
            snap = self.feed()
        return snap

    def take_ticket(self, service: str = "svc:HT") -> dict:
        """The CCCD shown, consent declined and a service chosen by touch: the ticket on screen."""
        assert self.show(CARD)["state"] == "consent"
        assert self.flow.choose("consent:no")["state"] == "services"
        snap = self.flow.choose(service)
        assert snap["state"] == "ticket"
        return snap


@pytest.fixture
def camera(devices_app):
    return CameraKiosk(devices_app)


def test_label_shown_to_the_camera_binds_the_card_and_the_call_pages_it(camera, devices_app, client, tokens, sims):
    hub = devices_app.extensions["kiosk"].devices
    snap = camera.take_ticket()
    ticket = snap["ticket"]
    assert [t["id"] for t in snap["tiles"]] == ["pager", "done"]
    assert "thẻ rung" in snap["prompt"]["vi"] and snap["pager_card"] is None

    snap = camera.show("PAGER:1:105")
    assert hub.cards.citizen_card(ticket["id"]) == 105
    assert snap["notice"]["code"] == "pager_bound" and snap["notice"]["kind"] == "info"
    assert snap["notice"]["vi"] == (f"Đã gắn thẻ rung số 105 với số thứ tự {ticket['number']} "
                                    "— thẻ sẽ rung khi đến lượt")
    assert snap["pager_card"] == 105 and [t["id"] for t in snap["tiles"]] == ["done"]
    assert set(camera.labels[-4:]) == {"PAGER:1:105"} and "PAGER:1:105" not in repr(camera.pipeline.process(
        demo_card_frame("PAGER:1:105", width=W, height=H, module_px=4), camera.t))

    # the ticket stays on screen a little longer after binding (nobody in view: normally 4 s)
    assert camera.wait(8.0)["state"] == "ticket"
    assert camera.wait(3.0)["state"] == "idle"

    officer = bearer(tokens["officer1"])
    called = client.post("/api/v1/counters/1/next", headers=officer)
    assert called.status_code == 200 and called.json["ticket"]["number"] == ticket["number"]
    assert wait_for(lambda: sims["pager"].pages(105)), "the citizen's card was not paged"
    page = sims["pager"].pages(105)[0]
    assert page.ticket == ticket["number"] and page.text == "Mời đến quầy 1"


def test_refusals_are_explained_and_bind_nothing(camera, devices_app, client, tokens):
    hub = devices_app.extensions["kiosk"].devices
    # a label before there is a ticket: take a number first; no card error, no session
    snap = camera.show("PAGER:1:106", frames=2)
    assert snap["state"] == "present" and snap["notice"]["code"] == "pager_first"
    assert "lấy số thứ tự trước" in snap["notice"]["vi"] and hub.cards.bindings() == {}

    other = issue(client, tokens["kiosk"])
    assert client.post(f"/api/v1/tickets/{other['id']}/pager", json={"card": 107},
                       headers=bearer(tokens["kiosk"])).status_code == 200
    camera.flow.reset()
    ticket = camera.take_ticket()["ticket"]
    for label, code, words in [
        ("PAGER:2:106", "pager_wrong_site", "thuộc nơi khác"),
        ("PAGER:1:5", "pager_card_out_of_range", "Thẻ số 5 không phải thẻ rung dành cho công dân"),
        ("PAGER:1:107", "pager_card_busy", "Thẻ rung số 107 đang được dùng cho số thứ tự khác"),
        ("PAGER:1:0", "pager_card_out_of_range", "không phải thẻ rung"),
    ]:
        snap = camera.show(label, frames=3)
        assert snap["state"] == "ticket", label
        assert snap["notice"]["code"] == code and words in snap["notice"]["vi"], (label, snap["notice"])
        assert snap["notice"]["kind"] == "error"
    assert hub.cards.citizen_card(ticket["id"]) is None and hub.cards.bindings() == {107: other["id"]}
    # after the refusals, a good card still binds
    assert camera.show("PAGER:1:108")["pager_card"] == 108 and hub.cards.citizen_card(ticket["id"]) == 108


def test_keypad_path_binds_through_the_api_and_the_screen_confirms(camera, devices_app, client, tokens, sims):
    hub = devices_app.extensions["kiosk"].devices
    kiosk = bearer(tokens["kiosk"])
    ticket = camera.take_ticket()["ticket"]
    url = f"/api/v1/tickets/{ticket['id']}/pager"

    snap = camera.flow.choose("pager")  # "Nhận thẻ rung": the page opens the keypad
    assert snap["keypad"] is True
    assert camera.wait(20.0)["state"] == "ticket"  # the screen waits for the keypad

    for body, status, code in [({"card": 5}, 422, "card_out_of_range"), ({"card": 0}, 422, "invalid"),
                               ({"card": "105"}, 422, "invalid")]:
        r = client.post(url, json=body, headers=kiosk)
        assert r.status_code == status and r.json["error"]["code"] == code, (body, r.json)
    assert hub.cards.bindings() == {}

    r = client.post(url, json={"card": 109}, headers=kiosk)
    assert r.status_code == 200 and r.json == {"ticket_id": ticket["id"], "number": ticket["number"], "card": 109}
    snap = camera.flow.snapshot()
    assert snap["keypad"] is False and snap["pager_card"] == 109
    assert snap["notice"]["vi"].startswith("Đã gắn thẻ rung số 109 với số thứ tự")

    # the same card for another ticket, or a second card for this one, is refused with its own code
    other = issue(client, tokens["kiosk"])
    r = client.post(f"/api/v1/tickets/{other['id']}/pager", json={"card": 109}, headers=kiosk)
    assert r.status_code == 409 and r.json["error"]["code"] == "card_busy"
    r = client.post(url, json={"card": 110}, headers=kiosk)
    assert r.status_code == 409 and r.json["error"]["code"] == "ticket_has_card"

    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    assert wait_for(lambda: sims["pager"].pages(109)) and sims["pager"].pages(109)[0].ticket == ticket["number"]


def test_keypad_closed_without_a_card_lets_the_ticket_screen_go(camera):
    camera.take_ticket()
    assert camera.flow.choose("pager")["keypad"] is True
    assert camera.flow.choose("pager")["keypad"] is False  # closed again from the page
    assert camera.wait(5.0)["state"] == "idle"


def test_no_pager_base_station_means_no_pager_tile(tmp_path, seeded_store):
    from devices_support import make_app

    app = make_app(tmp_path, seeded_store, {"pager": {}, "printer": {}, "voice": {"enabled": False}})
    try:
        from kiosk.demo.centre import open_demo_counters

        open_demo_counters(app.extensions["kiosk"].engine)
        cam = CameraKiosk(app)
        snap = cam.take_ticket()
        assert [t["id"] for t in snap["tiles"]] == ["done"] and "thẻ rung" not in snap["prompt"]["vi"]
        snap = cam.show("PAGER:1:105", frames=2)
        assert snap["notice"]["code"] == "pager_no_pager" and "chưa có hệ thống thẻ rung" in snap["notice"]["vi"]
    finally:
        app.extensions["kiosk"].close()
