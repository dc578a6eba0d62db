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
