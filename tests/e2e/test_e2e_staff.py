"""The manager's monitor and the admin pages, in the browser against the real server."""
from __future__ import annotations

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e


def test_monitor_shows_counters_and_queues_live(new_page, server, shots):
    page = new_page(1600, 900)
    login(page, server, "lanhdao", "/monitor")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    page.wait_for_selector("#counters-table tr[data-counter='4']")
    ticket = server.issue("XD", "disabled")
    r = server.api("POST", "/counters/4/next", server.tokens["officer4"], {})
    assert r.ok and r.json()["ticket"]["number"] == ticket["number"], r.text
    row = "#counters-table tr[data-counter='4']"
    page.wait_for_function(f"document.querySelector(\"{row}\").textContent.includes({ticket['number']!r})")
    assert "Người khuyết tật" in page.inner_text(row)
    assert "Phạm Quốc Huy" in page.inner_text(row)  # the officer of counter 4 in the demo
    page.wait_for_selector("#feed li:has-text('gọi')")
    page.wait_for_function("document.getElementById('stats-at').textContent.includes('thống kê')")
    page.screenshot(path=str(shots / "monitor.png"), full_page=True)
    server.api("POST", "/counters/4/no-show", server.tokens["officer4"])


def test_admin_creates_a_service_and_a_token_shown_once(new_page, server, shots):
    page = new_page(1600, 900)
    login(page, server, "admin", "/admin")
    page.wait_for_selector("#services-table tr[data-code='HT']")
    form = "#service-form"
    page.fill(f"{form} [name=code]", "TN")
    page.fill(f"{form} [name=prefix]", "K")
    page.fill(f"{form} [name=name]", "Tài nguyên – Môi trường")
    page.fill(f"{form} [name=sla_minutes]", "25")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#services-table tr[data-code='TN']")
    svc = next(s for s in server.api("GET", "/services", server.tokens["admin"]).json() if s["code"] == "TN")
    assert svc["name"] == "Tài nguyên – Môi trường" and svc["prefix"] == "K" and svc["sla_minutes"] == 25

    # a wrong prefix is refused with the server's reason, nothing saved
    page.fill(f"{form} [name=code]", "BAD")
    page.fill(f"{form} [name=prefix]", "A")  # already used by HT
    page.fill(f"{form} [name=name]", "Trùng tiền tố")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(f"{form} .error:not([hidden])")
    assert "Không lưu được" in page.inner_text(f"{form} .error")
    assert page.locator("#services-table tr[data-code='BAD']").count() == 0

    page.click("[data-tab=tokens]")
    page.select_option("#token-form [name=role]", "display")
    page.fill("#token-form [name=label]", "Màn hình tầng 2")
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#token-once:not([hidden])")
    token = page.inner_text("#token-value").strip()
    assert token.startswith("kt_")
    assert server.api("GET", "/queue", token).status_code == 200
    page.screenshot(path=str(shots / "admin-token.png"), full_page=True)
