"""Officer console -> hall display, live, without reloading; the display survives a server restart."""
from __future__ import annotations

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e


def _open_display(new_page, server):
    page = new_page(1920, 1080)
    page.goto(server.url + "/display")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    # a marker that a reload would wipe out
    page.evaluate("window.__noReload = 'still-here'")
    return page


def test_officer_calls_next_and_display_shows_it_live(new_page, officer_page, server, shots):
    display = _open_display(new_page, server)
    ticket = server.issue("DD", "elderly")  # counter 3 serves Đất đai first

    console = officer_page(3)
    console.wait_for_selector(f"#waiting li[data-ticket='{ticket['id']}']")
    console.keyboard.press("n")  # the N shortcut = Gọi tiếp
    console.wait_for_function(
        f"document.getElementById('current-number').textContent === {ticket['number']!r}")
    assert console.get_attribute("body", "data-ticket-state") == "called"
    assert console.is_enabled("#act-start") and console.is_enabled("#act-recall")
    assert console.is_disabled("#act-finish") and console.is_disabled("#act-next")

    display.wait_for_function(
        f"document.getElementById('call-number').textContent === {ticket['number']!r}", timeout=5000)
    assert "Quầy 3" in display.inner_text("#call-counter")
    assert "Người cao tuổi" in display.inner_text("#call-tags")  # priority highlighted
    assert "priority" in display.get_attribute("#call-main", "class")
    tile = display.inner_text(".ctile[data-counter='3'] .cnum")
    assert tile == ticket["number"]
    assert display.evaluate("window.__noReload") == "still-here"
    display.screenshot(path=str(shots / "display-called.png"))

    # recall: marked on the display; start and finish through the console's buttons
    console.click("#act-recall")
    display.wait_for_selector("#call-tags .tag.recall")
    console.keyboard.press("s")
    console.wait_for_function("document.body.dataset.ticketState === 'serving'")
    assert console.is_enabled("#act-finish") and console.is_disabled("#act-start")
    console.screenshot(path=str(shots / "counter-serving.png"))
    console.keyboard.press("f")
    console.wait_for_function("document.body.dataset.ticketState === 'none'")
    state = server.api("GET", f"/tickets/{ticket['id']}", server.tokens["admin"]).json()
    assert state["state"] == "done"


def test_counter_pause_with_reason_and_resume(officer_page, server):
    console = officer_page(5)
    console.keyboard.press("p")
    console.wait_for_selector("#pause-dialog[open]")
    console.fill("#pause-other", "Họp giao ban")
    console.click("#pause-submit")
    console.wait_for_function("document.body.dataset.counterState === 'paused'")
    assert "Họp giao ban" in console.inner_text("#pause-note")
    assert console.is_disabled("#act-next") and console.is_enabled("#act-resume")
    counters = server.api("GET", "/counters", server.tokens["admin"]).json()
    assert next(c for c in counters if c["number"] == 5)["pause_reason"] == "Họp giao ban"
    console.keyboard.press("c")
    console.wait_for_function("document.body.dataset.counterState === 'open'")


def test_refusal_from_the_api_is_shown(officer_page, server):
    """A 409 (the ticket was called elsewhere behind the console's back) is shown in words; nothing changes."""
    ticket = server.issue("KD")
    console = officer_page(5)
    row = f"#waiting li[data-ticket='{ticket['id']}'] button"
    console.wait_for_selector(row)
    console.evaluate("window.counterUI.socket.disconnect()")  # freeze the page's view of the queue
    r = server.api("POST", "/counters/6/call", server.tokens["officer6"], {"ticket_id": ticket["id"]})
    assert r.status_code == 200, r.text
    console.click(row)
    console.wait_for_selector("#action-error", state="visible")
    text = console.inner_text("#action-error")
    assert text.startswith("Không thực hiện được:") and ticket["number"] in text
    state = server.api("GET", f"/tickets/{ticket['id']}", server.tokens["admin"]).json()
    assert state["counter"] == 6 and state["state"] == "called"
    counters = server.api("GET", "/queue", server.tokens["admin"]).json()["counters"]
    assert next(c for c in counters if c["number"] == 5)["current"] is None
    server.api("POST", "/counters/6/no-show", server.tokens["officer6"])


def test_display_recovers_after_server_restart(new_page, server, shots):
    display = _open_display(new_page, server)
    server.kill()
    display.wait_for_selector("#conn-badge", state="visible", timeout=10000)
    display.screenshot(path=str(shots / "display-offline.png"))
    server.start()
    display.wait_for_function("document.body.dataset.connected === 'yes'", timeout=15000)
    assert display.is_hidden("#conn-badge")

    ticket = server.issue("HT")
    r = server.api("POST", "/counters/1/next", server.tokens["officer1"], {})
    assert r.status_code == 200 and r.json()["ticket"]["number"] == ticket["number"], r.text
    display.wait_for_function(
        f"document.getElementById('call-number').textContent === {ticket['number']!r}", timeout=5000)
    assert display.evaluate("window.__noReload") == "still-here"
    server.api("POST", "/counters/1/no-show", server.tokens["officer1"])


def test_login_page_and_role_check(new_page, server):
    page = new_page(1280, 800)
    page.goto(server.url + "/monitor")
    page.wait_for_url("**/login?next=/monitor")
    page.fill("input[name=username]", "quay1")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "Sai tên đăng nhập" in page.inner_text(".error")
    login(page, server, "quay2", "/monitor")
    assert "Không có quyền" in page.inner_text("h1")


def test_freshly_opened_display_shows_the_days_earlier_calls(new_page, server):
    """A call whose ticket is no longer on any counter comes from the snapshot's recent_calls."""
    officer = server.tokens["officer4"]
    first, second = server.issue("XD"), server.issue("XD")  # counter 4 serves Xây dựng first
    r = server.api("POST", "/counters/4/next", officer, {})
    assert r.status_code == 200 and r.json()["ticket"]["number"] == first["number"], r.text
    server.api("POST", "/counters/4/no-show", officer)  # gone from the counter: only the call log knows it
    r = server.api("POST", "/counters/4/next", officer, {})
    assert r.status_code == 200 and r.json()["ticket"]["number"] == second["number"], r.text
    try:
        display = _open_display(new_page, server)
        display.wait_for_function(
            f"document.getElementById('call-number').textContent === {second['number']!r}", timeout=5000)
        history = display.inner_text("#call-history")
        assert first["number"] in history and "Quầy 4" in history
    finally:
        server.api("POST", "/counters/4/no-show", officer)
