"""Socket.IO acks of refused events carry the catalogue's Vietnamese sentence (``message_vi``, kiosk/texts/vi.py)
beside the fields they always had (``error``, ``message``), and ``code``; the HTTP twin says the same."""
from __future__ import annotations

from core_fixtures import bearer
from test_sockets import sio

from kiosk.texts import vi


def test_kiosk_acks_say_why_in_vietnamese(app, tokens):
    kiosk = sio(app, "/kiosk", auth={"token": tokens["kiosk"]})
    assert kiosk.is_connected("/kiosk")
    # this centre's terminal has no touch-free session (vision off): choose and get_state are refused
    ack = kiosk.emit("kiosk_choose", {"tile": "svc:HT"}, namespace="/kiosk", callback=True)
    assert ack["code"] == "not_found" and "touch-free" in ack["error"]  # the English stays where it was
    assert ack["message_vi"] == vi.REFUSALS["camera_kiosk_off"]
    ack = kiosk.emit("kiosk_get_state", namespace="/kiosk", callback=True)
    assert ack["ok"] is False and ack["message_vi"] == vi.REFUSALS["camera_kiosk_off"]
    # frames: the terminal's camera is not the browser's
    ack = kiosk.emit("kiosk_frame", {"seq": 1, "jpeg": b"\xff\xd8\xff"}, namespace="/kiosk", callback=True)
    assert ack["ok"] is False and ack["error"] == ack["code"] and ack["message"]
    assert ack["message_vi"] == vi.ERRORS[ack["code"]]
    ack = kiosk.emit("kiosk_camera", "junk", namespace="/kiosk", callback=True)
    assert ack == {"ok": False, "error": "invalid", "message": 'send {"ok": false, "error": "denied"}',
                   "code": "invalid", "message_vi": vi.REFUSALS["camera_report_body"]}


def test_a_socket_that_is_no_kiosk_is_told_in_vietnamese(app, tokens):
    admin = sio(app, "/kiosk", auth={"token": tokens["admin"]})  # an admin seated at the first terminal
    assert admin.is_connected("/kiosk")
    ack = admin.emit("kiosk_frame", {"seq": 1, "jpeg": b"\xff\xd8\xff"}, namespace="/kiosk", callback=True)
    assert ack["error"] == "forbidden" and ack["code"] == "forbidden"
    assert ack["message_vi"] == vi.REFUSALS["kiosk_only"]


def test_every_refusal_code_of_the_acks_has_its_sentence():
    from kiosk.web.realtime.kiosk import ack_refused

    for code in ("not_jpeg", "too_large", "too_frequent", "bad_message", "camera_off"):
        ack = ack_refused(code, error=code, message="english")
        assert ack["message_vi"] == vi.ERRORS[code] and ack["message_vi"] != vi.GENERIC
    assert ack_refused("invalid", text="kiosk_choice_unknown")["message_vi"] == \
        "Lựa chọn này không có trên màn hình hiện tại. Quý khách vui lòng chạm lại vào ô cần chọn."


def test_the_http_choose_says_the_same(app, client, tokens):
    r = client.post("/api/v1/kiosk/choose", json={"tile": "svc:HT"}, headers=bearer(tokens["kiosk"]))
    assert r.status_code == 404 and r.json["error"]["message_vi"] == vi.REFUSALS["camera_kiosk_off"]
