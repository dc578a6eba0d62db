"""The kiosk terminal's own webcam in Chromium: a fake camera device plays a Y4M file rendered from a
generated CCCD card, the page captures it through the real getUserMedia path and sends its frames over
/kiosk, and the terminal's session reaches the consent question. With the camera permission denied,
the page tells the server, which falls back to touch, and the camera-lost notice shows."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from e2e_server import LiveServer

from kiosk.accounts import registry as accounts
from kiosk.session.flow import CONSENT_TEXT
from kiosk.store import open_store
from kiosk.terminals import registry as terminals
from kiosk.vision.sources import _empty_room, demo_card_frame

pytestmark = pytest.mark.e2e

# an invented citizen (no real person)
CARD = "079090001234||Trần Thị Bình|02031990|Nữ|12 Lê Lợi, Phường Bến Nghé, TP Hồ Chí Minh|10052021"
W, H, FPS = 640, 480, 10
# no face engine (the workers start at once); Kiosk 1's demo card stays away; a session is not left
# while the file loops back to its empty room
VISION = {"faces": False, "demo_empty_s": 600.0, "leave_s": 120.0, "idle_timeout_s": 120.0}
CAMERA_LOST = "Camera không hoạt động — Quý khách vui lòng chạm màn hình"


class FrameWire:
    """The page's kiosk_frame events and their acks as seen on its WebSocket (Socket.IO packets): how many
    were outstanding at most when a frame was sent (frames sent during the first HTTP long-polling moments
    are not seen)."""

    SENT = re.compile(r"^45\d+-/kiosk,(\d+)\[\"kiosk_frame\"")
    ACK = re.compile(r"^43/kiosk,(\d+)\[")

    def __init__(self) -> None:
        self.sent = 0
        self.outstanding: set[str] = set()
        self.most_outstanding = 0

    def attach(self, ws) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        m = self.SENT.match(payload) if isinstance(payload, str) else None
        if m:
            self.sent += 1
            self.outstanding.add(m.group(1))
            self.most_outstanding = max(self.most_outstanding, len(self.outstanding))

    def _received(self, payload) -> None:
        m = self.ACK.match(payload) if isinstance(payload, str) else None
        if m:
            self.outstanding.discard(m.group(1))


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = FPS) -> Path:
    """RGB frames as an uncompressed YUV 4:2:0 Y4M file (what --use-file-for-fake-video-capture plays, looped)."""
    h, w = frames[0].shape[:2]
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            fh.write(b"FRAME\n")
            fh.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())  # the Y, U and V planes
    return path


@pytest.fixture(scope="module")
def card_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 s of the empty room, then 3 s of the card held up (moving a few pixels, as a hand does)."""
    room = _empty_room(W, H)
    frames = [room] * FPS
    frames += [demo_card_frame(CARD, width=W, height=H, module_px=4, centre=(0.5 + 0.004 * (i % 5), 0.5))
               for i in range(3 * FPS)]
    return write_y4m(tmp_path_factory.mktemp("webcam") / "card.y4m", frames)


@pytest.fixture(scope="module")
def webcam_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[LiveServer]:
    """The demo centre with the camera kiosk on: Kiosk 2 (seeded) and "Kiosk 3" (made here) take the
    browser's webcam."""
    srv = LiveServer(tmp_path_factory.mktemp("e2e-webcam") / "data", vision=VISION)
    store = open_store(srv.data_dir)
    try:
        with store.transaction() as tx:
            srv.logins["kiosk-3-token"] = accounts.create_token(tx, "kiosk", label="Kiosk 3")
            third = max(row.id for row in terminals.list_terminals(tx))
            terminals.update_terminal(tx, third, {"camera": "browser"})
    finally:
        store.close()
    srv.start(timeout=60)
    yield srv
    srv.stop()


@pytest.fixture
def webcam_page(launch_chromium, webcam_server):
    """open(token, flags) -> (the kiosk page of that terminal in a Chromium launched with FLAGS, its
    FrameWire); JS errors and requests that leave the server fail the test."""
    url = webcam_server.url
    errors, outside = [], []

    def watch(request) -> None:
        local = (url + "/", "data:", f"blob:{url}/", f"ws://127.0.0.1:{webcam_server.port}/")
        if not request.url.startswith(local):
            outside.append(request.url)

    def open_page(token: str, flags: list[str]):
        page = launch_chromium(flags).new_context(bypass_csp=True, viewport={"width": 1080, "height": 1920}, locale="vi-VN").new_page()
        page.set_default_timeout(8000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", watch)
        wire = FrameWire()
        page.on("websocket", wire.attach)
        page.goto(f"{url}/device?token={token}")
        page.wait_for_url("**/kiosk")
        return page, wire

    yield open_page
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not outside, f"the page fetched something outside the server: {outside}"


def _terminal(server: LiveServer, name: str) -> dict:
    listed = server.api("GET", "/kiosk/terminals", server.tokens["admin"]).json()["terminals"]
    return next(t for t in listed if t["name"] == name)


def test_fake_webcam_card_reaches_consent(webcam_page, webcam_server, card_video, shots):
    flags = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={card_video}",
             "--use-fake-ui-for-media-stream"]
    page, wire = webcam_page(webcam_server.logins["kiosk-2-token"], flags)
    page.wait_for_function("document.body.dataset.webcam === 'on'", timeout=15000)
    assert float(page.evaluate("document.body.dataset.webcamFps")) > 0  # the server asked for frames
    page.wait_for_function("document.body.dataset.kioskFlow === 'consent'", timeout=20000)
    consent = page.locator(".kc-consent")
    assert consent.is_visible()
    assert CONSENT_TEXT["vi"] in consent.inner_text()
    assert page.inner_text(".kc-citizen") == "Trần T. B. · 0790******34"  # masked
    html = page.content()
    assert "Trần Thị Bình" not in html and "079090001234" not in html
    page.screenshot(path=str(shots / "kiosk-webcam-consent.png"))

    # the server saw the page's own frames, at the rate it asked: none refused, Kiosk 1 untouched
    kiosk2 = _terminal(webcam_server, "Kiosk 2")["running"]
    assert kiosk2["state"] == "consent" and kiosk2["camera_ok"] is True
    assert kiosk2["frames"] >= 2 and kiosk2["refused"] == {}, kiosk2
    assert kiosk2["connected"] == 1  # one socket per page: every state is sent once to it, not per script
    assert _terminal(webcam_server, "Kiosk 1")["running"]["state"] == "idle"
    # one frame in flight at a time: the next is sent only after the last one's ack
    assert wire.sent >= 1 and wire.most_outstanding == 1, (wire.sent, wire.most_outstanding)


def test_camera_permission_denied_falls_back_to_touch(webcam_page, webcam_server, card_video, shots):
    # a camera exists but the permission prompt is refused
    flags = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={card_video}",
             "--deny-permission-prompts"]
    page, wire = webcam_page(webcam_server.logins["kiosk-3-token"], flags)
    page.wait_for_function("document.body.dataset.webcam === 'failed'", timeout=15000)
    # the server learnt it (kiosk_camera) and says so: the status line and the notice over the screen
    page.wait_for_selector(".kc-status.lost")
    assert CAMERA_LOST in page.inner_text(".kc-status")
    page.wait_for_selector("#kiosk-message:not([hidden])")
    assert CAMERA_LOST in page.inner_text("#kiosk-message")
    kiosk3 = _terminal(webcam_server, "Kiosk 3")["running"]
    assert kiosk3["camera_ok"] is False and kiosk3["camera_reason"] == "denied" and kiosk3["frames"] == 0, kiosk3
    assert page.evaluate("document.body.dataset.kioskOverlay") == "off"
    assert wire.sent == 0  # no frame without a camera
    page.screenshot(path=str(shots / "kiosk-webcam-denied.png"))

    # touch works: the citizen dismisses the notice and a tile issues a ticket
    page.click("#kiosk-message-ok")
    page.wait_for_selector("#kiosk-message", state="hidden")
    page.click(".tile[data-code='CT']")
    page.wait_for_selector("#ticket-number")
    number = page.inner_text("#ticket-number")
    queue = webcam_server.api("GET", "/queue", webcam_server.tokens["admin"]).json()
    ct = next(s for s in queue["services"] if s["code"] == "CT")
    assert any(t["number"] == number for t in ct["next"])
