"""Vietnamese on every page (issue 13): no page addresses a citizen as "bạn", and a refusal reaches the
officer's console as the server's specific Vietnamese sentence (message_vi, kiosk/texts/vi.py), with no
English inside it."""
from __future__ import annotations

import re

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e

BAN = re.compile(r"\bbạn\b", re.IGNORECASE)
ENGLISH = re.compile(r"\b(counter|ticket|service|already|not|the|has|no current)\b", re.IGNORECASE)
STAFF_PAGES = [("quay1", "/counter"), ("lanhdao", "/monitor"), ("lanhdao", "/reports"), ("admin", "/admin"),
               ("quay1", "/account/password")]


def _visible_text(page) -> str:
    page.wait_for_timeout(1200)  # the first pushes and fetches fill the page
    return page.inner_text("body")


def test_no_page_says_ban(new_page, server):
    """Every page, as its user sees it, in visible text: kiosk, console, display, monitor, admin, reports,
    booking, tracking, login."""
    seen = {}
    page = new_page(1080, 1920)
    page.goto(f"{server.url}/device?token={server.logins['kiosk-token']}")
    page.wait_for_url("**/kiosk")
    page.wait_for_selector(".tile[data-code='XD']")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    seen["/kiosk"] = _visible_text(page)
    page.click(".tile[data-code='LD']")  # the issued ticket's screen ("Số thứ tự của Quý khách", people ahead)
    page.wait_for_selector("#screen-ticket", state="visible")
    seen["/kiosk ticket"] = _visible_text(page)
    page.click("#ticket-done")
    for user, path in STAFF_PAGES:
        p = new_page(1366, 768)
        login(p, server, user, path)
        seen[path] = _visible_text(p)
    for path in ("/display", "/book", "/login", server.issue("KD")["tracking_url"]):
        p = new_page(1366, 768)
        p.goto(server.url + path)
        seen[path] = _visible_text(p)
    assert len(seen) >= 9
    for path, text in seen.items():
        assert text.strip(), f"{path} shows nothing"
        found = BAN.findall(text)
        assert not found, f"{path} addresses the reader as 'bạn': {text[:400]}"


def test_a_refusal_shows_the_specific_vietnamese_sentence_in_the_console(officer_page, server):
    """Start with no called ticket (it was marked no-show behind the console's back): the console shows
    "Quầy 4 chưa gọi số nào để bắt đầu phục vụ.", no English."""
    ticket = server.issue("XD")
    console = officer_page(4)
    r = server.api("POST", "/counters/4/call", server.tokens["officer4"], {"ticket_id": ticket["id"]})
    assert r.status_code == 200, r.text
    console.wait_for_selector("#act-start:not([disabled])")
    console.evaluate("window.counterUI.socket.disconnect()")  # freeze the page's view of the queue
    r = server.api("POST", "/counters/4/no-show", server.tokens["officer4"])
    assert r.status_code == 200, r.text
    console.click("#act-start")
    console.wait_for_selector("#action-error", state="visible")
    text = console.inner_text("#action-error")
    assert text == "Không thực hiện được: Quầy 4 chưa gọi số nào để bắt đầu phục vụ."
    assert not ENGLISH.search(text)
    api = server.api("POST", "/counters/4/start", server.tokens["officer4"]).json()["error"]
    assert api["code"] == "illegal_transition" and api["message"] == "counter 4 has no current ticket to start"
    assert api["message_vi"] == "Quầy 4 chưa gọi số nào để bắt đầu phục vụ."


# The kiosk's notices (issue 13): a sentence that asks the citizen to do something says "Quý khách vui lòng".
KIOSK_SOURCES = ["kiosk/web/templates/kiosk.html", "kiosk/web/static/js/kiosk.js",
                 "kiosk/web/static/js/kiosk_camera.js", "kiosk/web/static/js/kiosk_pager.js",
                 "kiosk/web/static/js/kiosk_webcam.js", "kiosk/web/static/js/kiosk_access.js",
                 "kiosk/web/static/js/kiosk_voice.js", "kiosk/web/static/js/kiosk_reprint.js", "kiosk/session/flow.py",
                 "kiosk/pager/labels.py"]
BARE_PLEASE = re.compile(r"(?<!Quý khách )\b[Vv]ui lòng\b")


def test_kiosk_notices_say_quy_khach_vui_long():
    """Every "vui lòng" in the kiosk's page, scripts and notices (camera, QR, pager, errors) is addressed."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bare = []
    for name in KIOSK_SOURCES:
        path = root / name
        if path.exists():
            bare += [f"{name}: {line.strip()[:120]}" for line in path.read_text(encoding="utf-8").splitlines()
                     if BARE_PLEASE.search(line)]
    assert not bare, "\n".join(bare)
    from kiosk.pager.labels import REFUSALS as PAGER
    from kiosk.session.flow import NOTICES

    for vi, _en in [*NOTICES.values(), *PAGER.values()]:
        assert not BARE_PLEASE.search(vi), vi
    assert NOTICES["camera_lost"][0] == "Camera không hoạt động — Quý khách vui lòng chạm màn hình"


def test_kiosk_error_on_screen_says_quy_khach(new_page, server):
    """The kiosk cannot reach the server when a citizen touches a tile: the message on screen asks
    "Quý khách vui lòng thử lại…", never a bare "Vui lòng"."""
    from e2e_helpers import open_kiosk

    page = open_kiosk(new_page, server)
    page.route("**/api/v1/tickets", lambda route: route.abort())
    page.click(".tile[data-code='HT']")
    page.wait_for_selector("#kiosk-message", state="visible", timeout=10000)
    text = page.inner_text("#kiosk-message-text")
    assert text.startswith("Không kết nối được máy chủ. Quý khách vui lòng thử lại"), text
    assert not BARE_PLEASE.search(text) and not BAN.search(text)
