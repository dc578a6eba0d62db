"""The monitor's queue alerts and activity feed in Chromium against the real server: the feed shows
today's events as soon as the page opens; a service whose queue passes its standard raises a banner line
(within the watch's check interval), which goes when the cause ends."""
from __future__ import annotations

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e

LINE = "#queue-alerts .qa-line[data-kind='queue_too_long'][data-key='queue_too_long:{code}']"


def test_monitor_feed_and_a_queue_alert(new_page, server, shots):
    admin = server.tokens["admin"]
    service = server.api("GET", "/services", admin).json()[-1]
    code = service["code"]
    issued = server.issue(code)  # before the page opens: the feed must show it at once
    page = new_page(1366, 768)
    login(page, server, "lanhdao", "/monitor")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    page.wait_for_function(
        f"[...document.querySelectorAll('#feed li')].some((li) => li.textContent.includes({issued['number']!r}))",
        timeout=10000)
    assert "cấp số" in page.inner_text("#feed")

    standard = {k: service[k] for k in ("name", "name_en", "prefix", "daily_limit", "person_daily_limit",
                                        "sla_minutes", "is_open")}
    try:
        r = server.api("PUT", f"/admin/services/{code}", admin, {**standard, "max_waiting": 1})
        assert r.status_code == 200 and r.json()["max_waiting"] == 1, r.text
        server.issue(code)  # now at least two wait: more than the standard of one
        line = LINE.format(code=code)
        page.wait_for_selector(line, timeout=20000)
        text = page.inner_text(line)
        assert "Hàng đợi dài" in text and "Quý khách đang chờ, vượt mức 1 người" in text
        assert page.get_attribute("#queue-alerts", "hidden") is None
        page.screenshot(path=str(shots / "monitor-queue-alert.png"), full_page=True)
    finally:
        server.api("PUT", f"/admin/services/{code}", admin, {**standard, "max_waiting": None})
    page.wait_for_selector(LINE.format(code=code), state="detached", timeout=20000)
