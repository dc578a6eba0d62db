"""Kiosk terminals, each its own: three browser-camera terminals streaming frames to the real server over
python-socketio; a card in front of one of them; frames refused when they should be; the admin's settings."""
from __future__ import annotations

import re
import shutil
import threading
import time

import cv2
import numpy as np
import pytest
import socketio
from kiosk_testlib import until as _until
from server_process import ServerProcess, create_token

from kiosk.terminals.frames import FrameGate, FrameRefused, jpeg_size
from kiosk.vision.sources import _empty_room, demo_card_frame

CARD = "079090001234||Trần Thị Bình|02031990|Nữ|12 Lê Lợi, Phường Bến Nghé, TP Hồ Chí Minh|10052021"


def jpeg(rgb: np.ndarray, quality: int = 80) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


EMPTY = jpeg(_empty_room(640, 480))
CARD_FRAME = jpeg(demo_card_frame(CARD, width=640, height=480, module_px=3, centre=(0.5, 0.5)), 90)


class Terminal:
    """A kiosk page's socket: records every kiosk_state and kiosk_rate it receives, streams frames."""

    def __init__(self, url: str, token: str) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.states: list[dict] = []
        self.rates: list[float] = []
        self.acks: list[dict] = []
        self.sio.on("kiosk_state", self.states.append, namespace="/kiosk")
        self.sio.on("kiosk_rate", lambda m: self.rates.append(m["fps"]), namespace="/kiosk")
        self.sio.connect(url, namespaces=["/kiosk"], auth={"token": token}, transports=["websocket"])
        self.frame = EMPTY
        self.seq = 0
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._stream, daemon=True)

    def _stream(self) -> None:
        while not self.halt.is_set():
            fps = self.rates[-1] if self.rates else 0
            if fps <= 0:
                self.halt.wait(0.2)
                continue
            self.seq += 1
            ack = self.sio.call("kiosk_frame", {"seq": self.seq, "jpeg": self.frame}, namespace="/kiosk", timeout=10)
            self.acks.append(ack)
            self.halt.wait(1.0 / fps)

    def state(self) -> str | None:
        return self.states[-1]["state"] if self.states else None

    def close(self) -> None:
        self.halt.set()
        if self.thread.is_alive():
            self.thread.join(5)
        self.sio.disconnect()


@pytest.fixture
def server(tmp_path, seeded_demo):
    data = tmp_path / "data"
    shutil.copytree(seeded_demo[0], data)
    cfg = tmp_path / "kiosk.toml"
    # no face engine: the workers start at once; the card path is what is tested here
    cfg.write_text("[vision]\nenabled = true\nfaces = false\nbrowser_fps = 6\nbrowser_idle_fps = 3\n"
                   "[devices]\nenabled = false\n")
    tokens = [create_token(data, "kiosk") for _ in range(3)]
    srv = ServerProcess(data, demo=False, extra_args=["--config", str(cfg)]).start(timeout=60)
    srv.tokens = tokens
    yield srv
    srv.stop()


def test_three_terminals_only_the_one_with_the_card_reaches_consent(server):
    terminals = [Terminal(server.url, t) for t in server.tokens]
    try:
        for t in terminals:
            _until(lambda t=t: t.rates, what="kiosk_rate on connect")
            assert t.rates[0] == 3  # the idle rate: nobody at the kiosk
            t.sio.call("kiosk_get_state", {}, namespace="/kiosk")
            t.thread.start()
        # frames from every terminal are taken (the worker of each comes up within a few seconds)
        for t in terminals:
            _until(lambda t=t: any(a.get("accepted") for a in t.acks), 60, f"an accepted frame ({t.acks[:3]})")
        card, others = terminals[0], terminals[1:]
        card.frame = CARD_FRAME
        _until(lambda: card.state() == "consent", 60, "consent at the card's terminal")
        assert card.rates[-1] == 6  # a session: the higher rate
        time.sleep(2.0)  # the others go on streaming their empty room
        for t in others:
            assert t.state() in (None, "idle"), t.state()
            assert all(s["state"] == "idle" for s in t.states)
            assert t.rates[-1] == 3
        # nobody else ever received the card terminal's state (its masked citizen)
        card_id = card.states[-1]["terminal"]["id"]
        for t in others:
            assert all(s["terminal"]["id"] != card_id for s in t.states)
            assert all(s.get("citizen") is None for s in t.states)
        assert card.states[-1]["citizen"]["name"] != "Trần Thị Bình"  # masked
        assert all(a["ok"] for t in terminals for a in t.acks), [a for t in terminals for a in t.acks if not a["ok"]]
    finally:
        for t in terminals:
            t.close()


def test_refused_frames_change_nothing(server, seeded_demo):
    kiosk = Terminal(server.url, server.tokens[0])
    try:
        _until(lambda: kiosk.rates, what="kiosk_rate")
        before = kiosk.sio.call("kiosk_get_state", {}, namespace="/kiosk")["state"]
        call = lambda payload: kiosk.sio.call("kiosk_frame", payload, namespace="/kiosk", timeout=10)  # noqa: E731
        assert call({"seq": 1, "jpeg": b"GIF89a" + b"\0" * 100})["error"] == "not_jpeg"
        assert call({"seq": 2, "jpeg": CARD_FRAME[: len(CARD_FRAME) // 2]})["error"] == "not_jpeg"
        # over 300 KB (under the 1 MB a Socket.IO message may carry at all: a larger one closes the socket)
        big = jpeg(np.random.default_rng(1).integers(0, 255, (600, 800, 3), dtype=np.uint8), 90)
        assert 300 * 1024 < len(big) < 1_000_000
        assert call({"seq": 3, "jpeg": big})["error"] == "too_large"
        huge = jpeg(np.zeros((1080, 1920, 3), np.uint8), 50)  # small in bytes, too many pixels
        assert call({"seq": 4, "jpeg": huge})["error"] == "too_large"
        assert call({"seq": "x", "jpeg": EMPTY})["error"] == "bad_message"
        assert call("junk")["error"] == "bad_message"
        # a burst far over the 3 a second asked: the first few pass, then they are refused
        answers = [call({"seq": 10 + i, "jpeg": CARD_FRAME}) for i in range(12)]
        assert [a.get("error") for a in answers].count("too_frequent") >= 6
        time.sleep(1.5)
        after = kiosk.sio.call("kiosk_get_state", {}, namespace="/kiosk")["state"]
        assert before["state"] == "idle" and after["state"] in ("idle", "present", "consent")
        # an admin's socket (or any socket without the kiosk role) may not send frames
        import requests

        web = requests.Session()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get(server.url + "/login").text).group(1)
        r = web.post(server.url + "/login", data={"username": "admin", "password": seeded_demo[1]["admin"],
                                                  "csrf_token": csrf}, allow_redirects=False)
        assert r.status_code in (302, 303)
        admin = socketio.Client(reconnection=False, http_session=web)
        admin.connect(server.url, namespaces=["/kiosk"], transports=["websocket"])
        try:
            refused = admin.call("kiosk_frame", {"seq": 1, "jpeg": CARD_FRAME}, namespace="/kiosk", timeout=10)
            assert refused["ok"] is False and refused["error"] == "forbidden"
        finally:
            admin.disconnect()
    finally:
        kiosk.close()


def test_frame_gate_rules():
    now = [100.0]
    gate = FrameGate(lambda: now[0])
    with pytest.raises(FrameRefused) as exc:
        gate.check({"seq": 1, "jpeg": EMPTY})
    assert exc.value.code == "camera_off"  # no rate asked yet
    gate.asked(2.0)
    accepted = 0
    for _ in range(20):
        try:
            gate.check({"seq": 1, "jpeg": EMPTY})
            accepted += 1
        except FrameRefused as e:
            assert e.code == "too_frequent"
    assert accepted == 3  # the burst
    now[0] += 1.0
    gate.check({"seq": 2, "jpeg": EMPTY})  # refilled at 1.5 x 2 a second
    assert jpeg_size(EMPTY) == (640, 480)
    assert gate.refused["too_frequent"] == 17 and gate.refused["camera_off"] == 1


def test_a_named_kiosk_token_is_a_terminal_the_admin_sets_up(tmp_path, seeded_demo):
    import subprocess

    from app_support import bearer, make_app, role_tokens
    from server_process import KIOSK, checkout_env

    data = tmp_path / "data"
    shutil.copytree(seeded_demo[0], data)
    out = subprocess.run([str(KIOSK), "token", "create", "--role", "kiosk", "--name", "Kiosk tầng 2",
                          "--data-dir", str(data)], check=True, capture_output=True, text=True, env=checkout_env())
    token = out.stdout.strip()
    app = make_app(tmp_path / "app", data, {"vision": {"enabled": True, "faces": False}, "devices": {"enabled": False}})
    kiosk = app.extensions["kiosk"]
    try:
        web = app.test_client()
        admin = bearer(role_tokens(kiosk)["admin"])
        listing = web.get("/api/v1/kiosk/terminals", headers=admin).json
        named = next(t for t in listing["terminals"] if t["name"] == "Kiosk tầng 2")
        assert named["camera"] is None and listing["default_camera"] == "browser"
        assert named["running"]["camera"] == "browser" and named["running"]["worker_up"] in (True, False)
        url = f"/api/v1/kiosk/terminals/{named['id']}"
        for bad in ({"camera": "ftp://cam"}, {"camera": 99}, {"pager_prefix": "12:"}, {"colour": "red"}):
            r = web.put(url, json=bad, headers=admin)
            assert r.status_code == 422, (bad, r.json)
        again = web.get("/api/v1/kiosk/terminals", headers=admin).json["terminals"]
        assert [{k: t[k] for k in ("camera", "printer_url", "pager_prefix")} for t in again] == \
            [{k: t[k] for k in ("camera", "printer_url", "pager_prefix")} for t in listing["terminals"]]
        r = web.put(url, json={"camera": "none"}, headers=admin)
        assert r.status_code == 200 and r.json["camera"] == "none" and r.json["running"]["state"] is None
        terminal = kiosk.terminals.get(named["id"])
        assert terminal.worker is None and terminal.flow is None  # touch only: no vision worker runs for it
        state = web.get("/api/v1/kiosk/state", headers=bearer(token))
        assert state.status_code == 404
        r = web.put(url, json={"camera": "browser", "pager_prefix": "THE:"}, headers=admin)
        assert r.status_code == 200 and r.json["running"]["pager_prefix"] == "THE:"
        assert kiosk.terminals.get(named["id"]).worker is not None
        assert web.get("/api/v1/kiosk/state", headers=bearer(token)).json["terminal"]["name"] == "Kiosk tầng 2"
        # a revoked token's terminal stops
        r = web.delete(f"/api/v1/admin/tokens/{named['id']}", headers=admin)
        assert r.status_code == 200 and kiosk.terminals.get(named["id"]) is None
    finally:
        kiosk.close()
