"""The booking confirmation in Chromium under the enforcing CSP: the service's name, the slot as Vietnamese read
it ("07:30, thứ Tư 02/12/2026"), a QR that zbar decodes to the booking's payload (KIOSK-BOOKING:CODE), and the
link that leads to the cancel form with the code filled in."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from test_e2e_csp import _enforcing

pytestmark = pytest.mark.e2e

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def _working_day() -> date:
    day = date.today() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_the_confirmation_shows_the_service_the_human_time_and_a_qr_that_decodes(browser, server, shots):
    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="pyzbar (zbar) not installed")
    from PIL import Image

    day = _working_day()
    ctx, page, errors = _enforcing(browser, 1000, 1400)
    try:
        page.goto(server.url + "/book")
        page.wait_for_selector("#book-service option", state="attached")
        page.select_option("#book-service", "DD")
        page.fill("#book-day", day.isoformat())
        page.dispatch_event("#book-day", "change")
        slot = page.locator("#book-slots button.slot:not([disabled])").first
        slot_time = slot.text_content()[:5]
        slot.click()
        page.fill("#book-id", "001099054321")
        page.fill("#book-name", "Lê Thị Hoa")
        page.click("#book-form button[type=submit]")
        page.wait_for_selector("#book-done:not([hidden])")
        code = page.text_content("#book-code").replace("-", "")

        assert page.text_content("#book-service-name") == "Đất đai"
        assert page.text_content("#book-when") == f"{slot_time}, {WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}"
        page.wait_for_function("() => document.getElementById('book-qr').naturalWidth > 0")
        png = page.locator("#book-qr").screenshot()
        symbols = pyzbar.decode(Image.open(io.BytesIO(png)))
        assert [s.data.decode() for s in symbols] == [f"KIOSK-BOOKING:{code}"]
        page.screenshot(path=str(shots / "booking-confirmation.png"), full_page=True)

        page.click("#book-cancel-link")
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'cancel-last4'")
        assert page.input_value("#cancel-code").replace("-", "") == code
        page.fill("#cancel-last4", "4321")
        page.click("#cancel-form button[type=submit]")
        page.wait_for_selector("#cancel-done:not([hidden])")
        assert page.evaluate("() => window.__cspViolations") == []
        assert errors == []
    finally:
        ctx.close()
