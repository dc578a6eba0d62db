"""The kiosk for everyone, in Chromium: the large-text, high-contrast mode is one touch away (touch screens and
the camera overlay), it holds for the citizen's visit, and it is undone for the next citizen: after the ticket,
when the touch-free session goes idle, and after a while without a touch."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_helpers import open_kiosk
from e2e_server import LiveServer

pytestmark = pytest.mark.e2e

VISION = {"demo_empty_s": 0.5, "demo_card_s": 3.0, "demo_pause_s": 300.0, "leave_s": 120.0,
          "idle_timeout_s": 120.0, "max_fps": 5.0, "preview_fps": 3.0}


def _px(page, selector: str) -> float:
    return page.evaluate("(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", selector)


def _colours(page, selector: str) -> tuple[str, str]:
    return tuple(page.evaluate("(s) => { const c = getComputedStyle(document.querySelector(s));"
                               " return [c.color, c.backgroundColor]; }", selector))


def _kiosk(new_page, server, idle_ms: int = 90000):
    return open_kiosk(new_page, server, f"window.kioskAccessIdleMs = {idle_ms};")


def test_large_text_by_one_touch_holds_for_the_visit_and_resets_after_the_ticket(new_page, server, shots):
    page = _kiosk(new_page, server)
    name, number = ".tile[data-code='HT'] .tile-name", "#ticket-number"
    normal = _px(page, name)
    assert page.get_attribute("#kiosk-large", "aria-pressed") == "false"
    assert page.inner_text("#kiosk-large").startswith("Aa Chữ lớn")
    page.click("#kiosk-large")
    assert page.get_attribute("#kiosk-large", "aria-pressed") == "true"
    assert _px(page, name) >= normal * 1.2, (normal, _px(page, name))
    assert _colours(page, ".tile[data-code='HT']") == ("rgb(255, 255, 255)", "rgb(0, 0, 0)")  # white on black
    assert _colours(page, ".kiosk-main")[1] == "rgb(0, 0, 0)"
    page.screenshot(path=str(shots / "kiosk-large-text.png"))

    page.click(".tile[data-code='HT']")  # the mode holds on the ticket screen
    page.wait_for_selector("#screen-ticket", state="visible")
    assert page.evaluate("document.documentElement.classList.contains('kiosk-large')")
    assert page.evaluate(f"getComputedStyle(document.querySelector('{number}')).color") == "rgb(255, 235, 59)"
    page.click("#ticket-done")  # the next citizen starts with the usual screen
    page.wait_for_selector("#screen-tiles", state="visible")
    assert not page.evaluate("document.documentElement.classList.contains('kiosk-large')")
    assert _px(page, name) == normal
    assert page.get_attribute("#kiosk-large", "aria-pressed") == "false"


def test_large_text_resets_after_a_while_without_a_touch(new_page, server):
    page = _kiosk(new_page, server, idle_ms=1500)
    name = ".tile[data-code='HT'] .tile-name"
    normal = _px(page, name)
    page.click("#kiosk-large")
    page.wait_for_timeout(800)
    page.mouse.click(5, 500)  # a touch restarts the wait
    page.wait_for_timeout(900)
    assert _px(page, name) > normal  # 1.7 s since the toggle, 0.9 s since the last touch: still large
    page.wait_for_function("!document.documentElement.classList.contains('kiosk-large')", timeout=3000)
    assert _px(page, name) == normal


@pytest.fixture(scope="module")
def camera_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("e2e-access") / "data", vision=VISION).start()
    yield srv
    srv.stop()


def _camera_page(browser, srv: LiveServer):
    """The kiosk page of the camera server; (context, page, JavaScript errors)."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    ctx.set_default_timeout(8000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{srv.url}/device?token={srv.logins['kiosk-token']}")
    page.wait_for_url("**/kiosk")
    return ctx, page, errors


def test_large_text_over_the_camera_overlay_resets_when_the_session_goes_idle(browser, camera_server, shots):
    ctx, page, errors = _camera_page(browser, camera_server)
    try:
        page.wait_for_selector("#kc-overlay:not([hidden]) .kc-tile[data-tile='consent:no']", timeout=90000)  # the vision worker starts (slow on a loaded machine)
        consent = _px(page, ".kc-consent")
        assert page.is_visible("#kiosk-large")  # on top of the overlay
        page.click("#kiosk-large")
        assert _px(page, ".kc-consent") >= consent * 1.2
        assert _colours(page, ".kc-overlay")[1] == "rgb(0, 0, 0)"
        page.screenshot(path=str(shots / "kiosk-camera-large-text.png"))
        page.click(".kc-tile[data-tile='consent:no']")
        page.wait_for_selector(".kc-tile[data-tile='priority:normal']")
        page.click(".kc-tile[data-tile='priority:normal']")
        page.wait_for_selector(".kc-tile[data-tile='svc:HT']")
        assert page.evaluate("document.documentElement.classList.contains('kiosk-large')")  # the whole visit
        page.click(".kc-tile[data-tile='svc:HT']")
        page.wait_for_selector(".kc-number")
        page.click(".kc-tile[data-tile='done']")  # the session ends: idle
        page.wait_for_selector("#kc-overlay", state="hidden")
        page.wait_for_function("!document.documentElement.classList.contains('kiosk-large')", timeout=5000)
        assert errors == []
    finally:
        ctx.close()
