"""The citizen kiosk: tiles with live waiting counts, a priority choice, the issued ticket, clear errors."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import pytest
from e2e_helpers import open_kiosk

pytestmark = pytest.mark.e2e


# Records the period of every setInterval the page starts (run before the page's own scripts).
RECORD_INTERVALS = """
window.__intervals = [];
const startInterval = window.setInterval.bind(window);
window.setInterval = (fn, ms, ...args) => { window.__intervals.push(ms || 0); return startInterval(fn, ms, ...args); };
"""


def _kiosk(new_page, server, init_script: str | None = None):
    return open_kiosk(new_page, server, init_script, tile="XD")


def test_kiosk_issues_a_ticket_by_clicking_a_tile(new_page, server, shots):
    page = _kiosk(new_page, server)
    page.screenshot(path=str(shots / "kiosk-tiles.png"))
    name = page.inner_text(".tile[data-code='LD'] .tile-name")
    assert name == unicodedata.normalize("NFC", "Lao động – Thương binh và Xã hội")
    before = int(page.inner_text(".tile[data-code='LD'] .waiting-count"))

    page.click("[data-priority='pregnant']")
    page.click(".tile[data-code='LD']")
    page.wait_for_selector("#screen-ticket", state="visible")
    number = page.inner_text("#ticket-number")
    assert re.fullmatch(r"E\d{3}", number)
    assert "Phụ nữ mang thai" in page.inner_text("#ticket-priority")
    assert re.match(r"\d+", page.inner_text("#ticket-position"))
    page.screenshot(path=str(shots / "kiosk-ticket.png"))

    waiting = server.api("GET", "/queue", server.tokens["admin"]).json()
    ld = next(s for s in waiting["services"] if s["code"] == "LD")
    assert any(t["number"] == number and t["priority"] == "pregnant" for t in ld["next"])

    # back to the start (the Done button; it also returns by itself after 15 s), count updated live
    page.click("#ticket-done")
    page.wait_for_selector("#screen-tiles", state="visible")
    page.wait_for_function(
        f"document.querySelector(\".tile[data-code='LD'] .waiting-count\").textContent === '{before + 1}'")
    assert page.get_attribute("[data-priority='normal']", "aria-checked") == "true"


def test_kiosk_explains_a_closed_service_in_vietnamese(new_page, server, shots):
    admin = server.tokens["admin"]
    svc = next(s for s in server.api("GET", "/services", admin).json() if s["code"] == "XD")
    page = _kiosk(new_page, server)
    r = server.api("PUT", "/admin/services/XD", admin, {**svc, "is_open": False})
    assert r.status_code == 200, r.text
    try:
        # the admin edit is pushed (catalog_changed): the tile turns closed without a reload
        page.wait_for_selector(".tile.closed[data-code='XD']", timeout=5000)
        assert "Tạm ngừng nhận hồ sơ" in page.inner_text(".tile[data-code='XD']")
        # a request that still reaches a closed service is explained in Vietnamese
        page.evaluate("window.kioskUI.issue('XD', 'normal').catch(() => null)")
        page.wait_for_selector("#kiosk-message", state="visible")
        text = page.inner_text("#kiosk-message-text")
        assert "tạm ngừng nhận hồ sơ" in text and "Xây dựng" in text
        page.screenshot(path=str(shots / "kiosk-closed.png"))
        page.click("#kiosk-message-ok")
        page.wait_for_selector("#kiosk-message", state="hidden")
    finally:
        server.api("PUT", "/admin/services/XD", admin, {**svc, "is_open": True})


def test_kiosk_ui_hooks_for_the_camera_panel(new_page, server):
    """The touch-free panel (vision issue) drives the screen through window.kioskUI."""
    page = _kiosk(new_page, server)
    rects = page.evaluate("Object.keys(window.kioskUI.tileRects())")
    assert {"HT", "DD", "KD", "XD", "LD", "CT"} <= set(rects)
    page.evaluate("window.kioskUI.selectService('CT')")
    assert "selected" in page.get_attribute(".tile[data-code='CT']", "class")
    ticket = page.evaluate("window.kioskUI.issue('CT', 'merit')")
    assert ticket["service"] == "CT" and ticket["priority"] == "merit"
    assert page.inner_text("#ticket-number") == ticket["number"]
    page.evaluate("window.kioskUI.showTiles()")
    assert page.evaluate("window.kioskUI.state().screen") == "tiles"


def test_kiosk_follows_an_admin_edit_pushed_without_polling(new_page, server):
    admin = server.tokens["admin"]
    svc = next(s for s in server.api("GET", "/services", admin).json() if s["code"] == "CT")
    page = _kiosk(new_page, server, RECORD_INTERVALS)
    api_calls: list[tuple[str, str]] = []
    page.on("request", lambda r: api_calls.append((r.method, urlsplit(r.url).path)) if "/api/" in r.url else None)
    page.wait_for_timeout(1500)
    assert api_calls == []  # nothing changed, nothing asked
    # the English name is not in the pushed snapshot's tile fields: only re-reading /services shows it
    r = server.api("PUT", "/admin/services/CT", admin, {**svc, "name_en": "Certification (e2e)"})
    assert r.status_code == 200, r.text
    try:
        page.wait_for_function(
            "document.querySelector(\".tile[data-code='CT'] .tile-name-en\").textContent === 'Certification (e2e)'",
            timeout=5000)
        page.wait_for_timeout(500)
        # one re-read, caused by catalog_changed: no poll (the old poll ran every 60 s)
        assert sorted(api_calls) == [("GET", "/api/v1/queue"), ("GET", "/api/v1/services")]
        # and no periodic timer that could poll: only the clock's and the countdown's 1 s ticks
        assert all(ms <= 1000 for ms in page.evaluate("window.__intervals"))
    finally:
        server.api("PUT", "/admin/services/CT", admin, svc)
