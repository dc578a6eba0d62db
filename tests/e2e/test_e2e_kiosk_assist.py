"""The kiosk for everyone in Chromium (issue 13): spoken guidance of each screen (off by default, on for a
centre with [kiosk] voice_guidance) and "In lại phiếu", the reprint of the ticket just issued."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from e2e_helpers import open_kiosk
from e2e_server import LiveServer

from kiosk.display.tts import wav_duration

pytestmark = pytest.mark.e2e

VISION = {"demo_empty_s": 0.5, "demo_card_s": 3.0, "demo_pause_s": 300.0, "leave_s": 120.0,
          "idle_timeout_s": 120.0, "max_fps": 5.0, "preview_fps": 1.0}


def _overlapping(page, a: str, b: str) -> list[str]:
    """The visible elements matching ``b`` that overlap the element ``a`` on screen."""
    return page.evaluate("""([a, b]) => {
      const r = document.querySelector(a).getBoundingClientRect();
      return [...document.querySelectorAll(b)].filter((n) => {
        const q = n.getBoundingClientRect();
        return n !== document.querySelector(a) && q.width > 0 && r.left < q.right && q.left < r.right
          && r.top < q.bottom && q.top < r.bottom;
      }).map((n) => n.id || n.dataset.code || n.className);
    }""", [a, b])


def _until(page, expression: str, timeout_s: float = 10.0) -> None:
    """Wait until ``expression`` holds in the page (evaluated through the driver: allowed under the CSP)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def _voice_requests(page) -> list[str]:
    return page.evaluate("window.kioskVoice ? window.kioskVoice.requested.slice() : []")


def test_guidance_is_off_by_default_and_requests_no_clip(new_page, server):
    page = open_kiosk(new_page, server)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/kiosk/voice/" in r.url else None)
    page.wait_for_function("document.body.dataset.voice === 'off'")
    page.click(".tile[data-code='LD']")
    page.wait_for_selector("#screen-ticket", state="visible")
    page.wait_for_timeout(1500)
    assert asked == [] and _voice_requests(page) == []
    assert page.is_hidden("#kiosk-voice")
    page.click("#ticket-done")


def test_reprint_of_the_ticket_just_issued_twice_then_refused(new_page, server, shots):
    page = open_kiosk(new_page, server)
    assert page.is_hidden("#kiosk-reprint")
    page.click(".tile[data-code='HT']")
    page.wait_for_selector("#screen-ticket", state="visible")
    number = page.inner_text("#ticket-number")
    page.wait_for_selector("#kiosk-reprint", state="visible")
    assert page.inner_text("#kiosk-reprint").startswith("In lại phiếu")
    page.click("#kiosk-reprint")
    page.wait_for_selector("#kiosk-message.is-info", state="visible")
    assert page.inner_text("#kiosk-message-text").startswith(f"Đang in lại phiếu số {number} (bản in lại thứ 1).")
    page.screenshot(path=str(shots / "kiosk-reprint.png"))
    page.click("#kiosk-message-ok")
    page.click("#ticket-done")  # back at the start screen: the copy is still offered within the minute
    page.wait_for_selector("#screen-tiles", state="visible")
    assert page.is_visible("#kiosk-reprint")
    page.click("#kiosk-large")  # in large text too, it covers no tile and no button
    assert _overlapping(page, "#kiosk-reprint", ".tile, .chip, #kiosk-large, button") == []
    page.click("#kiosk-large")
    page.click("#kiosk-reprint")
    page.wait_for_function("document.querySelector('#kiosk-message-text').textContent.includes('bản in lại thứ 2')")
    page.wait_for_selector("#kiosk-reprint", state="hidden")  # two copies: no third offered
    queue = server.api("GET", "/tickets", server.tokens["admin"]).json()
    assert sum(1 for t in queue if t["number"] == number) == 1  # no new ticket, no new number
    ticket_id = next(t["id"] for t in queue if t["number"] == number)
    third = server.api("POST", f"/tickets/{ticket_id}/reprint", server.logins["kiosk-token"]).json()["error"]
    assert third["code"] == "reprint_limit"
    assert third["message_vi"].startswith(f"Phiếu số {number} đã được in lại 2 lần")


@pytest.fixture(scope="module")
def voice_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("e2e-voice") / "data", vision=VISION)
    srv.env["KIOSK_VOICE_GUIDANCE"] = "1"  # centre-wide: every terminal speaks
    srv.start()
    yield srv
    srv.stop()


def test_guidance_on_plays_the_clip_of_each_screen(launch_chromium, voice_server):
    chromium = launch_chromium(["--autoplay-policy=no-user-gesture-required"])
    # the enforced CSP (the player is a static script): waits poll from here, in-page polling would need eval
    ctx = chromium.new_context(bypass_csp=False, viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    ctx.set_default_timeout(10000)
    page = ctx.new_page()
    errors: list[str] = []
    clips: dict[str, tuple[int, str]] = {}
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: clips.__setitem__(r.url.split("/kiosk/voice/")[1], (r.status, r.headers.get(
        "content-type", ""))) if "/kiosk/voice/" in r.url else None)
    page.goto(f"{voice_server.url}/device?token={voice_server.logins['kiosk-token']}")
    page.wait_for_url("**/kiosk")
    _until(page, "document.body.dataset.voice === 'on'")
    assert page.is_visible("#kiosk-voice")
    for large in (False, True):  # "Nghe lại" sits beside «Chữ lớn», covering neither it nor a tile
        if large:
            page.click("#kiosk-large")
        assert _overlapping(page, "#kiosk-voice", "#kiosk-large, .tile, .chip") == []
    page.click("#kiosk-large")

    # the touch-free session's questions, as the demo card comes into view
    page.wait_for_selector("#kc-overlay:not([hidden]) .kc-tile[data-tile='consent:no']", timeout=20000)
    _until(page, "window.kioskVoice.requested.includes('/kiosk/voice/consent.wav')")
    page.click(".kc-tile[data-tile='consent:no']")
    page.wait_for_selector(".kc-tile[data-tile='priority:normal']")
    _until(page, "window.kioskVoice.requested.includes('/kiosk/voice/priority.wav')")
    page.click(".kc-tile[data-tile='priority:normal']")
    page.wait_for_selector(".kc-tile[data-tile='svc:HT']")
    _until(page, "window.kioskVoice.requested.includes('/kiosk/voice/services.wav')")
    page.click(".kc-tile[data-tile='svc:HT']")
    page.wait_for_selector(".kc-number")
    number = page.inner_text(".kc-number")
    assert re.fullmatch(r"A\d{3}", number)
    _until(page, f"window.kioskVoice.requested.includes('/kiosk/voice/ticket/{number}.wav')")
    # the session's own "In lại phiếu" tile (the camera way; touched here): a copy, said and shown
    page.click(".kc-tile[data-tile='reprint']")
    _until(page, "document.querySelector('.kc-notice').textContent.includes('Đang in lại phiếu')")
    assert f"Đang in lại phiếu số {number} (bản in lại thứ 1)." in page.inner_text(".kc-notice")
    _until(page, "window.kioskVoice.requested.includes('/kiosk/voice/reprint.wav')")
    page.click(".kc-tile[data-tile='done']")
    page.wait_for_selector("#kc-overlay", state="hidden")

    # the touch screen: its welcome, a ticket, an error; "Nghe lại" says the last one again
    page.wait_for_selector(".tile[data-code='DD']")
    page.click(".tile[data-code='DD']")
    page.wait_for_selector("#screen-ticket", state="visible")
    touch_number = page.inner_text("#ticket-number")
    _until(page, f"window.kioskVoice.requested.includes('/kiosk/voice/ticket/{touch_number}.wav')")
    page.click("#ticket-done")
    page.route("**/api/v1/tickets", lambda route: route.abort())
    page.click(".tile[data-code='DD']")
    _until(page, "window.kioskVoice.requested.includes('/kiosk/voice/error.wav')", 15)
    before = len(_voice_requests(page))
    page.click("#kiosk-voice")
    asked = _voice_requests(page)
    assert len(asked) == before + 1 and asked[-1] == asked[-2]

    assert asked[0] == "/kiosk/voice/welcome.wav"
    assert "/kiosk/voice/welcome.wav" in asked[1:]  # said again when the session gave way to the start screen
    # each clip asked for is real audio from the server, fetched with the page's own sign-in (a clip cut short by
    # the next screen is no failure: the newer sentence replaces it)
    expected = {"/kiosk/voice/" + n for n in ("welcome.wav", "consent.wav", "priority.wav", "services.wav",
                                               f"ticket/{number}.wav", f"ticket/{touch_number}.wav", "error.wav")}
    assert expected <= set(asked), asked
    for url in expected:
        r = page.request.get(voice_server.url + url)
        assert r.status == 200 and r.headers["content-type"].startswith("audio/wav"), url
        assert wav_duration(r.body()) > 0.5, url
    assert any(status == 200 for status, _ in clips.values())
    _until(page, "Boolean(document.body.dataset.voicePlayed)")  # and the browser played them
    ctx.close()
    assert not errors, errors


def test_reprint_button_covers_nothing_on_a_portrait_screen(new_page, server):
    page = new_page(1080, 1920)
    page.goto(f"{server.url}/device?token={server.logins['kiosk-token']}")
    page.wait_for_url("**/kiosk")
    page.wait_for_selector(".tile[data-code='CT']")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    page.click(".tile[data-code='CT']")
    page.wait_for_selector("#kiosk-reprint", state="visible")
    for large in (False, True):
        if large:
            page.click("#kiosk-large")
        assert _overlapping(page, "#kiosk-reprint", "button, .ticket-card") == []
    page.click("#ticket-done")
    page.wait_for_selector("#screen-tiles", state="visible")
    assert _overlapping(page, "#kiosk-reprint", ".tile, .chip, button") == []
