"""The camera kiosk in Chromium: the demo server WITH its simulated camera (the demo loop starts with the
invented card), the live preview, the consent overlay with the masked name, choices by touch, the ticket,
and a pager card bound on the keypad."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from e2e_server import LiveServer

pytestmark = pytest.mark.e2e

# The demo loop shows the card almost at once and not again during the test; the session waits
# for the touches (nobody stands in front of the simulated camera).
VISION = {"demo_empty_s": 0.5, "demo_card_s": 3.0, "demo_pause_s": 300.0, "leave_s": 120.0,
          "idle_timeout_s": 120.0, "max_fps": 5.0, "preview_fps": 3.0}


@pytest.fixture(scope="module")
def camera_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("e2e-camera") / "data", vision=VISION).start()
    yield srv
    srv.stop()


@pytest.fixture
def kiosk_page(browser, camera_server):
    """The kiosk page signed in as the kiosk device; JS errors and outside requests fail the test."""
    url = camera_server.url
    errors: list[str] = []
    outside: list[str] = []

    def watch(request) -> None:
        local = (url + "/", "data:", f"blob:{url}/", f"ws://127.0.0.1:{camera_server.port}/")
        if not request.url.startswith(local):
            outside.append(request.url)

    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    ctx.set_default_timeout(8000)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", watch)
    page.goto(f"{url}/device?token={camera_server.logins['kiosk-token']}")
    page.wait_for_url("**/kiosk")
    yield page
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not outside, f"the page fetched something outside the server: {outside}"


def _preview_drawn(page) -> bool:
    """True when the preview canvas holds an image (not the empty canvas)."""
    return page.evaluate("""() => {
      const c = document.querySelector('canvas.kc-preview');
      if (!c || !c.width || !c.height) return false;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 16) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] > 60) lit++;
      return lit > 100;
    }""")


def _overlaps(page, a: str, b: str) -> list[str]:
    """Which elements matching ``b`` overlap the element ``a`` on screen (by bounding boxes)."""
    return page.evaluate("""([a, b]) => {
      const r = document.querySelector(a).getBoundingClientRect();
      return [...document.querySelectorAll(b)].filter((n) => {
        const q = n.getBoundingClientRect();
        return q.width > 0 && r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom;
      }).map((n) => n.dataset.tile || n.dataset.code || n.id || n.className);
    }""", [a, b])


def test_camera_kiosk_preview_consent_touch_ticket_and_pager_keypad(kiosk_page, camera_server, shots):
    page = kiosk_page
    # the live preview: the panel mounts and draws the demo camera's frames
    page.wait_for_selector("#kiosk-aux:not([hidden]) canvas.kc-preview")
    page.wait_for_function("document.querySelector('.kc-status').textContent.includes('Camera đang hoạt động')")
    page.wait_for_function("""() => {
      const c = document.querySelector('canvas.kc-preview');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 64) if (d[i + 3] > 0 && d[i] > 20) return true;
      return false;
    }""", timeout=10000)
    assert _preview_drawn(page)

    # the card comes into view: the consent overlay with the masked demo citizen
    page.wait_for_selector("#kc-overlay:not([hidden]) .kc-tile[data-tile='consent:no']", timeout=15000)
    assert page.inner_text(".kc-citizen") == "Nguyễn V. A. · 0010******45"
    assert "Quý khách có muốn lưu khuôn mặt" in page.inner_text(".kc-prompt")
    assert "Nguyễn Văn An" not in page.content() and "001058012345" not in page.content()
    # the preview stays in sight during the session, between the tile columns, covering no tile
    assert page.is_visible("#kiosk-aux canvas.kc-preview")
    assert _overlaps(page, "#kiosk-aux", ".kc-tile, #devices-badge") == []
    page.screenshot(path=str(shots / "kiosk-camera-consent.png"))

    # "Không đồng ý" by touch; born 1958: the elderly question (touch "Không"), then the service tiles
    page.click(".kc-tile[data-tile='consent:no']")
    page.wait_for_selector(".kc-tile[data-tile='priority:normal']")
    page.click(".kc-tile[data-tile='priority:normal']")
    page.wait_for_selector(".kc-tile[data-tile='svc:HT']")
    tiles = page.eval_on_selector_all(".kc-tile", "ns => ns.map(n => n.dataset.tile)")
    assert {"svc:HT", "svc:DD", "svc:CT"} <= set(tiles)
    page.screenshot(path=str(shots / "kiosk-camera-services.png"))

    # a touch on a tile issues the ticket, shown on screen
    page.click(".kc-tile[data-tile='svc:HT']")
    page.wait_for_selector(".kc-number")
    number = page.inner_text(".kc-number")
    assert re.fullmatch(r"A\d{3}", number)
    queue = camera_server.api("GET", "/queue", camera_server.tokens["admin"]).json()
    ht = next(s for s in queue["services"] if s["code"] == "HT")
    assert any(t["number"] == number for t in ht["next"])
    page.screenshot(path=str(shots / "kiosk-camera-ticket.png"))

    # "Nhận thẻ rung": the keypad binds card 105 of the demo base station
    page.click(".kc-tile[data-tile='pager']")
    page.wait_for_selector("#pager-keypad")
    for key in ("1", "0", "5"):
        page.click(f"#pager-keypad .kp-key[data-key='{key}']")
    assert page.inner_text(".kp-digits") == "105"
    page.screenshot(path=str(shots / "kiosk-camera-keypad.png"))
    page.click("#pager-keypad .kp-ok")
    page.wait_for_selector("#pager-keypad", state="detached")
    page.wait_for_function("document.querySelector('.kc-notice').textContent.includes('Đã gắn thẻ rung số 105')")
    assert f"Đã gắn thẻ rung số 105 với số thứ tự {number} — thẻ sẽ rung khi đến lượt" in page.inner_text(".kc-notice")
    assert "Thẻ rung số 105" in page.inner_text(".kc-ticket")
    page.screenshot(path=str(shots / "kiosk-camera-pager.png"))

    # "Xong": back to the touch screen; the preview panel covers no tile; no device status for citizens
    page.click(".kc-tile[data-tile='done']")
    page.wait_for_selector("#kc-overlay", state="hidden")
    assert _overlaps(page, "#kiosk-aux", ".tile") == []
    assert page.query_selector("#devices-badge") is None
    page.screenshot(path=str(shots / "kiosk-camera-idle.png"))


def test_touch_ticket_screen_binds_a_pager_card_on_the_keypad(new_page, server, shots):
    """The touch-only kiosk (no camera): "Nhận thẻ rung" on the ticket screen, a refusal, then card 106."""
    page = new_page(1920, 1080)
    page.goto(f"{server.url}/device?token={server.logins['kiosk-token']}")
    page.wait_for_selector(".tile[data-code='CT']")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    page.click(".tile[data-code='CT']")
    page.wait_for_selector("#ticket-pager", state="visible")
    number = page.inner_text("#ticket-number")
    page.screenshot(path=str(shots / "kiosk-touch-ticket-pager.png"))

    page.click("#ticket-pager")
    page.wait_for_selector("#pager-keypad")
    page.click("#pager-keypad .kp-key[data-key='5']")
    page.click("#pager-keypad .kp-ok")
    page.wait_for_selector("#pager-keypad .kp-message.is-error")
    assert "Thẻ số 5 không phải thẻ rung dành cho công dân" in page.inner_text(".kp-message")
    page.screenshot(path=str(shots / "kiosk-touch-keypad-refused.png"))
    page.click("#pager-keypad .kp-key[data-key='clear']")
    for key in ("1", "0", "6"):
        page.click(f"#pager-keypad .kp-key[data-key='{key}']")
    page.click("#pager-keypad .kp-ok")
    page.wait_for_selector("#pager-keypad .kp-message.is-info")
    assert f"Đã gắn thẻ rung số 106 với số thứ tự {number}" in page.inner_text(".kp-message")
    page.wait_for_selector("#pager-keypad", state="detached", timeout=6000)
    assert f"Đã gắn thẻ rung số 106 với số thứ tự {number}" in page.inner_text("#ticket-pager-note")
    assert page.is_hidden("#ticket-pager") and page.is_visible("#screen-ticket")
    page.screenshot(path=str(shots / "kiosk-touch-pager-bound.png"))
    cards = server.api("GET", "/devices/pager-cards", server.tokens["admin"]).json()
    ticket_id = cards["bindings"].get("106")
    assert ticket_id is not None
    page.click("#ticket-done")
