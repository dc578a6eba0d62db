"""The booking page in Chromium under its enforcing CSP: book with the ID number and the name, see the code
grouped, cancel it with the code and the last 4 digits; a wrong pair shows the Vietnamese refusal."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_e2e_csp import _enforcing

pytestmark = pytest.mark.e2e


def _working_day() -> str:
    day = date.today() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


def test_book_then_cancel_on_the_page(browser, server, shots):
    ctx, page, errors = _enforcing(browser, 1000, 1400)
    try:
        page.goto(server.url + "/book")
        page.wait_for_selector("#book-service option", state="attached")
        page.select_option("#book-service", "DD")
        page.fill("#book-day", _working_day())
        page.dispatch_event("#book-day", "change")
        page.click("#book-slots button.slot:not([disabled])")
        page.fill("#book-id", "0010990123")  # two digits short: the page says so in Vietnamese, sends nothing
        page.fill("#book-name", "Nguyễn Văn An")
        page.click("#book-form button[type=submit]")
        assert page.text_content("#book-result") == "Số thẻ căn cước/CCCD gồm 12 chữ số. Quý khách vui lòng kiểm tra lại."
        page.fill("#book-id", "001099012345")
        page.fill("#book-name", "Nguyễn Văn An")
        page.click("#book-form button[type=submit]")
        page.wait_for_selector("#book-done:not([hidden])")
        assert page.is_hidden("#book-result")
        shown = page.text_content("#book-code")
        assert len(shown) == 11 and shown[5] == "-"
        page.screenshot(path=str(shots / "booking-done.png"), full_page=True)

        page.fill("#cancel-code", shown.lower())
        page.fill("#cancel-last4", "9999")
        page.click("#cancel-form button[type=submit]")
        page.wait_for_selector("#cancel-result:not([hidden])")
        assert page.text_content("#cancel-result") == ("Mã hẹn hoặc 4 số cuối thẻ căn cước/CCCD không đúng. "
                                                       "Quý khách vui lòng kiểm tra lại.")
        page.fill("#cancel-last4", "2345")
        page.click("#cancel-form button[type=submit]")
        page.wait_for_selector("#cancel-done:not([hidden])")
        assert page.text_content("#cancel-done").startswith(f"Đã hủy lịch hẹn {shown}")
        assert page.is_hidden("#cancel-result")
        page.screenshot(path=str(shots / "booking-cancelled.png"), full_page=True)
        assert page.evaluate("() => window.__cspViolations") == []
        assert errors == []
    finally:
        ctx.close()
