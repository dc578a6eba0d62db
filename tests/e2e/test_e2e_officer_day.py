"""The officer's day on the console (issue 13), in Chromium against the real server: a ticket called by
typing its number, and a no-show that asks first and is refused before the minimum time since the call."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def _set_min(server, seconds: int) -> None:
    r = server.api("PUT", "/admin/settings", server.tokens["admin"], {"no_show_min_s": seconds})
    assert r.ok and r.json()["no_show_min_s"] == seconds, r.text


def test_call_by_number_and_a_confirmed_no_show_after_the_minimum(officer_page, server, shots):
    officer1 = server.tokens["officer1"]
    while server.api("POST", "/counters/1/next", officer1, {}).json()["ticket"]:  # earlier tests' leftovers
        server.api("POST", "/counters/1/no-show", officer1)
    first = server.issue("CT")
    second = server.issue("CT")
    console = officer_page(1)
    console.wait_for_selector(f"#waiting li[data-ticket='{second['id']}']")
    assert console.is_enabled("#call-number-submit")

    # typed as an officer would: lower case, without the leading zeros ("g7" is G007)
    typed = second["number"][0].lower() + str(int(second["number"][1:]))
    console.fill("#call-number", typed)
    console.click("#call-number-submit")
    console.wait_for_function(f"document.getElementById('current-number').textContent === {second['number']!r}")
    assert server.api("GET", f"/tickets/{first['id']}", officer1).json()["state"] == "waiting"
    assert console.input_value("#call-number") == ""
    console.wait_for_function("window.counterUI.state().inFlight === null")
    assert not console.is_enabled("#call-number-submit")  # busy with a called ticket: no other call

    _set_min(server, 60)
    try:
        # the no-show asks first; "Hủy" changes nothing
        console.click("#act-no-show")
        console.wait_for_selector("#no-show-dialog[open]")
        assert second["number"] in console.inner_text("#no-show-number")
        assert "Gọi lúc" in console.inner_text("#no-show-since")
        console.screenshot(path=str(shots / "counter-no-show-confirm.png"))
        console.click("#no-show-cancel")
        console.wait_for_selector("#no-show-dialog:not([open])", state="attached")
        assert server.api("GET", f"/tickets/{second['id']}", officer1).json()["state"] == "called"

        # confirmed, but within the minimum since the call: refused, shown, nothing changed
        console.keyboard.press("x")
        console.wait_for_selector("#no-show-dialog[open]")
        console.click("#no-show-confirm")
        console.wait_for_selector("#action-error:not([hidden])")
        banner = console.inner_text("#action-error")
        assert "vắng mặt" in banner or "no-show" in banner, banner
        assert server.api("GET", f"/tickets/{second['id']}", officer1).json()["state"] == "called"
        assert console.evaluate("document.body.dataset.ticketState") == "called"
    finally:
        _set_min(server, 0)

    console.click("#act-no-show")
    console.click("#no-show-dialog[open] #no-show-confirm")
    console.wait_for_function("document.body.dataset.ticketState === 'none'")
    assert server.api("GET", f"/tickets/{second['id']}", officer1).json()["state"] == "no_show"

    # a number that is not today's is refused with the server's reason
    console.wait_for_function("window.counterUI.state().inFlight === null")
    console.fill("#call-number", "Z999")
    console.click("#call-number-submit")
    console.wait_for_function("document.getElementById('action-error').textContent.includes('Z999')"
                              " || document.getElementById('action-error').textContent.includes('hôm nay')")
    server.api("POST", "/counters/1/call", officer1, {"ticket_id": first["id"]})
    server.api("POST", "/counters/1/no-show", officer1)


def _free(server, counter: int) -> None:
    """Counter ``counter`` open, with no current ticket and nothing directed to it (earlier tests' leftovers)."""
    admin = server.tokens["admin"]
    view = next(c for c in server.api("GET", "/queue", admin).json()["counters"] if c["number"] == counter)
    if view["state"] == "paused":
        server.api("POST", f"/counters/{counter}/resume", admin)
    elif view["state"] == "closed":
        server.api("POST", f"/counters/{counter}/open", admin)
    if view["current"]:
        if view["current"]["state"] == "called":
            server.api("POST", f"/counters/{counter}/start", admin)
        server.api("POST", f"/counters/{counter}/finish", admin)
    for d in view["directed"]:
        server.api("POST", f"/tickets/{d['id']}/cancel", admin)


def test_transfer_to_counter_2_which_alone_calls_it_next(officer_page, server, shots):
    """Demo catalogue: counters 1 and 2 serve HT (and CT), counter 6 serves HT as well. The officer at counter 1
    sends the citizen to counter 2 from the dialog; counter 2's console lists "Chuyển từ quầy 1" and calls it
    next, while counter 6 (same service) does not get it."""
    officer1, officer2, officer6 = (server.tokens[f"officer{n}"] for n in (1, 2, 6))
    before = server.api("GET", "/admin/settings", server.tokens["admin"]).json()["no_show_min_s"]
    _set_min(server, 0)  # the leftovers and the end are marked no-show at once
    try:
        _transfer_to_counter_2(officer_page, server, shots, officer1, officer2, officer6)
    finally:
        _set_min(server, before)


def _transfer_to_counter_2(officer_page, server, shots, officer1, officer2, officer6):
    for n in (1, 2, 6):
        _free(server, n)
    while server.api("POST", "/counters/1/next", officer1, {}).json()["ticket"]:  # earlier tests' leftovers
        server.api("POST", "/counters/1/no-show", officer1)
    sent = server.issue("HT")
    other = server.issue("HT")
    assert server.api("POST", "/counters/1/next", officer1, {}).json()["ticket"]["id"] == sent["id"]
    assert server.api("POST", "/counters/2/pause", officer2, {"reason": "Nghỉ giải lao"}).ok

    console = officer_page(1)
    console.wait_for_function(f"document.getElementById('current-number').textContent === {sent['number']!r}")
    console.wait_for_function("window.counterUI.state().inFlight === null")
    console.click("#act-transfer")
    console.wait_for_selector("#transfer-dialog[open]")
    assert console.is_visible("#transfer-service") and not console.is_visible("#transfer-counter")
    console.check("#transfer-to-counter")
    options = console.eval_on_selector_all(
        "#transfer-counter option", "os => os.map(o => [o.value, o.textContent, o.disabled])")
    by_number = {int(v): (text, off) for v, text, off in options}
    assert 1 not in by_number  # not to itself
    assert not by_number[2][1] and "Tạm dừng" in by_number[2][0]  # serves HT, its state shown
    assert by_number[3][1] and "không phục vụ" in by_number[3][0]  # DD and XD only: not offered
    console.select_option("#transfer-counter", "2")
    console.wait_for_selector("#transfer-warning:not([hidden])")
    assert "tạm dừng" in console.inner_text("#transfer-warning")  # allowed: the ticket will wait for it
    assert server.api("POST", "/counters/2/resume", officer2).ok
    console.screenshot(path=str(shots / "counter-transfer-to-counter.png"))
    console.click("#transfer-submit")
    console.wait_for_function("document.body.dataset.ticketState === 'none'")
    moved = server.api("GET", f"/tickets/{sent['id']}", officer1).json()
    assert (moved["state"], moved["target_counter"], moved["target_from"]) == ("waiting", 2, 1)
    # counter 1's own list does not offer it any more
    assert console.query_selector(f"#waiting li[data-ticket='{sent['id']}']") is None

    target = officer_page(2)
    row = target.wait_for_selector(f"#directed li[data-ticket='{sent['id']}']")
    assert "Chuyển từ quầy 1" in row.inner_text()
    target.screenshot(path=str(shots / "counter-directed-ticket.png"), full_page=True)
    # counter 6 serves HT too: its next call is another citizen, never the one sent to counter 2
    got = server.api("POST", "/counters/6/next", officer6, {}).json()["ticket"]
    assert got is None or got["id"] != sent["id"]
    target.wait_for_function("window.counterUI.state().inFlight === null")
    target.click("#act-next")
    target.wait_for_function(f"document.getElementById('current-number').textContent === {sent['number']!r}")
    assert server.api("GET", f"/tickets/{sent['id']}", officer2).json()["counter"] == 2
    target.wait_for_selector("#directed", state="detached")
    for n, token in ((2, officer2), (6, officer6)):
        server.api("POST", f"/counters/{n}/no-show", token)
    if got is None or got["id"] != other["id"]:
        server.api("POST", f"/tickets/{other['id']}/cancel", officer1)
