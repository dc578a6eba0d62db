"""The hall display's announcements: the rules (kiosk.display.notices), the admin API, and the live push
to /display inside its queue_snapshot."""
from __future__ import annotations

import time
import unicodedata

import pytest
from core_fixtures import bearer

from kiosk.display.notices import MAX_CHARS, MAX_LINES, NoticeError, parse_notices


def test_lines_are_trimmed_nfc_and_blank_ones_dropped():
    decomposed = unicodedata.normalize("NFD", "Nghỉ lễ Quốc khánh")
    assert parse_notices({"lines": ["  " + decomposed + "  ", "", "   ", "Giờ làm việc:\t07:30"]}) == [
        "Nghỉ lễ Quốc khánh", "Giờ làm việc: 07:30"]
    assert parse_notices({"lines": []}) == []


@pytest.mark.parametrize("body, vi", [
    ({"lines": ["x" * (MAX_CHARS + 1)]}, f"tối đa {MAX_CHARS} ký tự"),
    ({"lines": ["a"] * (MAX_LINES + 1)}, f"tối đa {MAX_LINES} dòng"),
    ({"lines": [1]}, "không phải là văn bản"),
    ({"lines": "a"}, "danh sách"),
    ({"text": ["a"]}, "danh sách"),
    (["a"], "danh sách"),
])
def test_refusals_say_why_in_vietnamese(body, vi):
    with pytest.raises(NoticeError) as err:
        parse_notices(body)
    assert vi in err.value.message_vi


def _display_snapshots(app):
    socketio = app.extensions["kiosk"].socketio
    return socketio.test_client(app, namespace="/display")


def test_admin_sets_them_and_the_hall_gets_them_live(app, client, tokens):
    admin, officer = bearer(tokens["admin"]), bearer(tokens["officer1"])
    assert client.get("/api/v1/admin/announcements", headers=admin).json == {"lines": []}
    display = _display_snapshots(app)
    first = [m["args"][0] for m in display.get_received("/display") if m["name"] == "queue_snapshot"]
    assert first and first[0]["notices"] == []

    line = "Trung tâm nghỉ Tết Dương lịch ngày 01/01/2027."
    r = client.put("/api/v1/admin/announcements", json={"lines": [line]}, headers=admin)
    assert r.status_code == 200 and r.json == {"lines": [line]}
    deadline, pushed = time.monotonic() + 10, []
    while time.monotonic() < deadline and not pushed:
        pushed = [m["args"][0]["notices"] for m in display.get_received("/display")
                  if m["name"] == "queue_snapshot" and m["args"][0]["notices"]]
        time.sleep(0.05)
    assert pushed == [[line]]
    assert client.get("/api/v1/admin/announcements", headers=admin).json == {"lines": [line]}

    r = client.put("/api/v1/admin/announcements", json={"lines": ["x" * 301]}, headers=admin)
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid"
    assert "300" in r.json["error"]["message_vi"]
    assert client.put("/api/v1/admin/announcements", json={"lines": []}, headers=officer).status_code == 403
    assert client.get("/api/v1/admin/announcements", headers=officer).status_code == 403
    assert client.get("/api/v1/admin/announcements", headers=admin).json == {"lines": [line]}  # nothing changed
    again = _display_snapshots(app)  # a screen switched on later gets them at once
    snap = [m["args"][0] for m in again.get_received("/display") if m["name"] == "queue_snapshot"][0]
    assert snap["notices"] == [line]
