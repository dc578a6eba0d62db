"""The touch-free kiosk's refused touches over Socket.IO say why in Vietnamese (``message_vi``), with the
fields the page always read (``ok``, ``error``); the HTTP twin answers with the same sentence."""
from __future__ import annotations

from test_kiosk_live import _wait, demo_app  # noqa: F401 (the fixture)

from kiosk.texts import vi


def test_a_touch_on_no_tile_is_refused_in_vietnamese(demo_app):  # noqa: F811
    socketio = demo_app.extensions["kiosk"].socketio
    sio = socketio.test_client(demo_app, namespace="/kiosk", auth={"token": demo_app.kiosk_token})
    assert sio.is_connected("/kiosk")
    _wait(sio, "kiosk_state", lambda s: True)
    bad = sio.emit("kiosk_choose", {"tile": "svc:NOPE"}, namespace="/kiosk", callback=True)
    assert bad["ok"] is False and "no tile" in bad["error"] and bad["code"] == "invalid"
    assert bad["message_vi"] == vi.REFUSALS["kiosk_choice_unknown"]
    junk = sio.emit("kiosk_choose", "junk", namespace="/kiosk", callback=True)
    assert junk["ok"] is False and junk["message_vi"] == vi.REFUSALS["kiosk_choice_body"]
    r = demo_app.test_client().post("/api/v1/kiosk/choose", json={"tile": "svc:NOPE"},
                                    headers={"Authorization": f"Bearer {demo_app.kiosk_token}"})
    assert r.status_code == 422 and r.json["error"]["message_vi"] == vi.REFUSALS["kiosk_choice_unknown"]
    assert "no tile" in r.json["error"]["message"]
