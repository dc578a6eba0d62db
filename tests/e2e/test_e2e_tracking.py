"""The citizen's tracking page in a browser that enforces its CSP: it connects to /track from its static
script and shows a change of place at once (a priority ticket issued behind it is called before it under
the strict policy), with no CSP violation and no JavaScript error."""
from __future__ import annotations

import time

import pytest
from test_e2e_csp import _enforcing

pytestmark = pytest.mark.e2e


def _text_becomes(page, selector: str, want: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    got = page.inner_text(selector)
    while got != want and time.monotonic() < deadline:
        time.sleep(0.1)
        got = page.inner_text(selector)
    return got


def test_tracking_page_updates_live_under_its_csp(browser, server):
    mine = server.issue("KD")
    ctx, page, errors = _enforcing(browser, 390, 844)
    try:
        page.goto(server.url + mine["tracking_url"])
        page.wait_for_selector("body[data-connected='yes']", timeout=15000)
        ahead = int(page.inner_text("#people-ahead"))
        assert ahead == mine["position"] - 1
        server.issue("KD", "elderly")  # strict: called before me
        # what the server now forecasts (other tests' tickets on this shared server may also come first at
        # counters that serve other services too: docs/queue_order.md); the page must show it without a reload
        now = server.api("GET", f"/tickets/{mine['id']}", server.tokens["admin"]).json()["position"] - 1
        assert now > ahead
        assert _text_becomes(page, "#people-ahead", str(now)) == str(now)
        assert page.inner_text("#ticket-state") == "Đang chờ đến lượt"
        assert page.evaluate("() => window.__cspViolations") == []
        assert errors == []
    finally:
        ctx.close()
