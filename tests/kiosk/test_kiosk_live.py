"""The touch-free kiosk inside the real app: the demo camera in its vision worker process, Socket.IO
events, HTTP routes, config."""
from __future__ import annotations

import time
from datetime import date

import pytest

from kiosk.accounts.registry import create_token, revoke_token
from kiosk.config.core import Config, ConfigError
from kiosk.demo.centre import open_demo_counters, seed_demo
from kiosk.session.setup import vision_config


def _wait(client, name: str, pred, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in client.get_received("/kiosk"):
            if m["name"] == name and pred(m["args"][0]):
                return m["args"][0]
        time.sleep(0.05)
    raise AssertionError(f"no {name} event in {timeout} s")


@pytest.fixture
def demo_app(tmp_path):
    from kiosk.app import create_app
    from kiosk.store import open_store

    store = open_store(tmp_path)
    seed_demo(store)
    store.close()
    app = create_app({"data_dir": str(tmp_path), "demo": True,
                      "vision": {"max_fps": 20, "preview_fps": 5, "leave_s": 30}})
    kiosk = app.extensions["kiosk"]
    open_demo_counters(kiosk.engine)
    with kiosk.store.transaction() as conn:
        app.kiosk_token = create_token(conn, "kiosk")
        app.officer_token = create_token(conn, "officer", 1)
    yield app
    kiosk.close()


def test_demo_camera_drives_the_kiosk_page_over_socketio(demo_app):
    web = demo_app.test_client()
    assert web.get(f"/device?token={demo_app.kiosk_token}").status_code == 302
    sio = demo_app.extensions["kiosk"].socketio.test_client(demo_app, namespace="/kiosk", flask_test_client=web)
    assert sio.is_connected("/kiosk")
    preview = _wait(sio, "kiosk_preview", lambda p: True)
    assert bytes(preview["jpeg"][:3]) == b"\xff\xd8\xff" and preview["w"] == 1280 and len(preview["jpeg"]) < 60_000
    state = _wait(sio, "kiosk_state", lambda s: s["state"] == "consent")
    assert state["citizen"]["name"] == "Nguyễn V. A." and state["citizen"]["id"] == "0010******45"
    assert state["overlay"]["card_outline"] is not None and len(state["overlay"]["card_outline"]) == 4
    assert "Nguyễn Văn An" not in str(state) and "001058012345" not in str(state)
    ack = sio.emit("kiosk_choose", {"tile": "consent:no"}, namespace="/kiosk", callback=True)
    assert ack["ok"] and ack["state"]["state"] == "priority"  # born 1958: the elderly proposal
    ack = sio.emit("kiosk_choose", {"tile": "priority:elderly"}, namespace="/kiosk", callback=True)
    assert ack["state"]["state"] == "services"
    ack = sio.emit("kiosk_choose", {"tile": "svc:HT"}, namespace="/kiosk", callback=True)
    assert ack["state"]["state"] == "ticket" and ack["state"]["ticket"]["priority"] == "elderly"
    bad = sio.emit("kiosk_choose", {"tile": "svc:NOPE"}, namespace="/kiosk", callback=True)
    assert bad["ok"] is False and "no tile" in bad["error"]
    assert sio.emit("kiosk_choose", "junk", namespace="/kiosk", callback=True)["ok"] is False
    conn = demo_app.extensions["kiosk"].store.conn()
    assert conn.execute("SELECT granted FROM consents").fetchall()[0][0] == 0
    assert conn.execute("SELECT COUNT(*) FROM citizens WHERE face IS NOT NULL").fetchone()[0] == 0


def test_http_routes_and_roles(demo_app):
    web = demo_app.test_client()
    headers = {"Authorization": f"Bearer {demo_app.kiosk_token}"}
    state = web.get("/api/v1/kiosk/state", headers=headers)
    assert state.status_code == 200 and state.json["state"] in ("idle", "consent", "priority", "services")
    assert web.get("/api/v1/kiosk/state").status_code == 401
    officer = {"Authorization": f"Bearer {demo_app.officer_token}"}
    assert web.get("/api/v1/kiosk/state", headers=officer).status_code == 403
    bad = web.post("/api/v1/kiosk/choose", json={"tile": "consent:maybe"}, headers=headers)
    assert bad.status_code == 422 and "no tile" in bad.json["error"]["message"]
    assert web.post("/api/v1/kiosk/choose", data="x", headers=headers).status_code in (400, 415)
    # a socket signed in with the kiosk token in its auth sits at that terminal; once the token is
    # revoked, its next event is refused
    socketio = demo_app.extensions["kiosk"].socketio
    sio = socketio.test_client(demo_app, namespace="/kiosk", auth={"token": demo_app.kiosk_token})
    assert "no tile" in sio.emit("kiosk_choose", {"tile": "done"}, namespace="/kiosk", callback=True)["error"]
    token_id = demo_app.extensions["kiosk"].store.conn().execute(
        "SELECT id FROM api_tokens WHERE role = 'kiosk'").fetchone()[0]
    with demo_app.extensions["kiosk"].store.transaction() as conn:
        revoke_token(conn, token_id)
    assert sio.emit("kiosk_choose", {"tile": "done"}, namespace="/kiosk", callback=True)["ok"] is False
    assert not socketio.test_client(demo_app, namespace="/kiosk", auth={"token": demo_app.officer_token}).is_connected(
        "/kiosk")


def test_vision_is_off_without_camera_or_demo(tmp_path):
    from kiosk.app import create_app

    app = create_app({"data_dir": str(tmp_path)})
    try:
        kiosk = app.extensions["kiosk"]
        assert kiosk.face_gallery is None and kiosk.vision_config.enabled is False
        with kiosk.store.transaction() as conn:
            token = create_token(conn, "kiosk")
        r = app.test_client().get("/api/v1/kiosk/state", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 404 and "not enabled" in r.json["error"]["message"]
    finally:
        app.extensions["kiosk"].close()


@pytest.mark.parametrize("table, words", [
    ({"camera": "ftp://x"}, "rtsp://"),
    ({"camera": -1}, "0..63"),
    ({"camera": True}, "boolean"),
    ({"dwell_s": "long"}, "dwell_s"),
    ({"dwell_s": 0}, "dwell_s"),
    ({"qr_passes": 9}, "qr_passes"),
    ({"enabled": "yes"}, "true or false"),
    ({"camra": 0}, "[vision] camra: unknown setting"),
    ({"face_reject_warn_share": 0}, "[vision] face_reject_warn_share: must be between 0.01 and 1"),
    ({"face_reject_warn_share": 1.5}, "[vision] face_reject_warn_share: must be between 0.01 and 1"),
    ({"face_reject_warn_share": "10%"}, "[vision] face_reject_warn_share: must be a number"),
    ({"face_reject_min_answers": 0}, "[vision] face_reject_min_answers: must be between 1 and 10000"),
    ({"face_reject_min_answers": 2.5}, "[vision] face_reject_min_answers: must be a whole number"),
])
def test_bad_vision_settings_get_clear_errors(table, words):
    with pytest.raises(ConfigError) as err:
        vision_config(Config.from_dict({"vision": table}), env={})
    assert words in str(err.value)


def test_vision_settings(tmp_path):
    cfg = vision_config(Config.from_dict({"vision": {"camera": "rtsp://cam.local/stream", "dwell_s": 2}}), env={})
    assert cfg.enabled and cfg.camera == "rtsp://cam.local/stream" and cfg.flow.dwell_s == 2
    assert vision_config(Config.from_dict({"vision": {"camera": "1"}}), env={}).camera == 1
    assert vision_config(Config.from_dict({"demo": True}), env={}).camera is None
    assert vision_config(Config.from_dict({"demo": True}), env={"KIOSK_VISION_ENABLED": "0"}).enabled is False
    with pytest.raises(ConfigError):
        vision_config(Config.from_dict({}), env={"KIOSK_VISION_ENABLED": "maybe"})
    with pytest.raises(ConfigError, match="table"):
        vision_config(Config.from_dict({"vision": 3}), env={})


def test_face_checks_are_counted_and_shown_to_the_manager(demo_app):
    from kiosk.queue.clock import local_day

    kiosk = demo_app.extensions["kiosk"]
    with kiosk.store.transaction() as conn:
        manager = {"Authorization": f"Bearer {create_token(conn, 'manager')}"}
    today = local_day(kiosk.clock)
    # the terminal's flow is wired to the store (kiosk.session.setup.build_flow): its answers are kept
    terminal = kiosk.terminals.first()
    for outcome in ("rejected", "confirmed", "rejected"):
        terminal.flow.on_face_check(outcome)
    web = demo_app.test_client()
    r = web.get("/api/v1/kiosk/face-checks", headers=manager)
    assert r.status_code == 200 and r.json["confirmed"] == 1 and r.json["rejected"] == 2
    assert r.json["by_terminal"] == {str(terminal.id): {"confirmed": 1, "rejected": 2}}
    # by default the last 30 days, day by day; and today's status (3 answers: below the minimum, no warning)
    assert r.json["to"] == today and (date.fromisoformat(today) - date.fromisoformat(r.json["from"])).days == 29
    assert r.json["by_day"] == [{"day": today, "confirmed": 1, "rejected": 2, "rejected_share": 2 / 3}]
    assert r.json["today"] == {"day": today, "confirmed": 1, "rejected": 2, "rejected_share": 2 / 3,
                               "warn_share": 0.15, "min_answers": 20, "faces": True, "warning": None}
    r = web.get(f"/api/v1/kiosk/face-checks?from={today}&to={today}", headers=manager)
    assert r.json["rejected"] == 2
    old = web.get("/api/v1/kiosk/face-checks?from=2020-01-01&to=2020-01-31", headers=manager).json
    assert {k: v for k, v in old.items() if k != "today"} == {
        "from": "2020-01-01", "to": "2020-01-31", "confirmed": 0, "rejected": 0, "by_terminal": {}, "by_day": []}
    assert old["today"]["rejected"] == 2  # today's status, whatever the range
    first = web.get("/api/v1/kiosk/face-checks?to=0001-01-01", headers=manager)  # no 30 days before it
    assert first.status_code == 200 and first.json["from"] == "0001-01-01"
    for query in ("from=2026-02-30", "to=yesterday", "from=2026-05-02&to=2026-05-01", "from=", "to=20260501",
                  "to=0001-01-01&from=0001-01-02", "to=0001-01-01x"):
        r = web.get(f"/api/v1/kiosk/face-checks?{query}", headers=manager)
        assert r.status_code == 422 and r.json["error"]["code"] == "invalid" and r.json["error"]["message"], query
    assert web.get("/api/v1/kiosk/face-checks").status_code == 401
    for role_token in (demo_app.kiosk_token, demo_app.officer_token):
        r = web.get("/api/v1/kiosk/face-checks", headers={"Authorization": f"Bearer {role_token}"})
        assert r.status_code == 403
    assert kiosk.store.conn().execute("SELECT COUNT(*) FROM face_checks").fetchone()[0] == 3
