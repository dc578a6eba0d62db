"""The hall display read from 5 m at 1920x1080, its announcements set on /admin and shown live, and the
monitor's layout at 1366x768, in Chromium against the real server.

The display's sizing rule (app.css): body text >= 1/30 of the viewport height (36 px at 1080), ticket
numbers >= 1/15 (72 px), the newest call's number >= 1/6; at least 8 recent calls in view."""
from __future__ import annotations

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e

H = 1080
FONT_JS = "(sel) => [...document.querySelectorAll(sel)].map((e) => parseFloat(getComputedStyle(e).fontSize))"


def _fonts(page, selector: str) -> list[float]:
    sizes = page.evaluate(FONT_JS, selector)
    assert sizes, f"nothing matches {selector}"
    return sizes


def _in_view(page, selector: str) -> int:
    """How many elements matching SELECTOR lie wholly inside the viewport and are not clipped away."""
    return page.evaluate("""(sel) => [...document.querySelectorAll(sel)].filter((e) => {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || r.top < 0 || r.left < 0) return false;
        if (r.bottom > innerHeight || r.right > innerWidth) return false;
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit && (hit === e || e.contains(hit));
    }).length""", selector)


def test_display_readable_at_1920x1080_with_8_recent_calls(new_page, server, shots):
    page = new_page(1920, 1080)
    page.goto(server.url + "/display")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    officer = server.tokens["officer2"]
    numbers = []
    for _ in range(10):  # counter 2 serves Tư pháp – Hộ tịch
        ticket = server.issue("HT")
        r = server.api("POST", "/counters/2/next", officer, {})
        assert r.status_code == 200, r.text
        numbers.append(r.json()["ticket"]["number"])
        server.api("POST", "/counters/2/no-show", officer)
    assert numbers[-1] == ticket["number"]
    page.wait_for_function(f"document.getElementById('call-number').textContent === {numbers[-1]!r}")
    page.wait_for_function("document.querySelectorAll('#call-history li').length >= 8")
    page.wait_for_selector("#waiting-strip .wchip .wname")

    assert min(_fonts(page, "#waiting-strip .wname")) >= H / 30  # service names: 36 px
    assert min(_fonts(page, ".ctile .cname")) >= H / 30
    assert min(_fonts(page, "#call-history li .to")) >= H / 30
    assert min(_fonts(page, "#call-service")) >= H / 30
    assert min(_fonts(page, ".section-title")) >= H / 30
    assert min(_fonts(page, "#call-history li")) >= H / 15  # numbers: 72 px
    assert min(_fonts(page, ".ctile .cnum")) >= H / 15
    assert min(_fonts(page, "#waiting-strip .wcount")) >= H / 30
    assert _fonts(page, "#call-number")[0] >= H / 6

    assert _in_view(page, "#call-history li") >= 8
    history = page.inner_text("#call-history")
    for number in numbers[-9:-1]:  # the 8 calls before the newest, all in view
        assert number in history
    page.screenshot(path=str(shots / "display-1920x1080.png"))
    assert _in_view(page, "#waiting-strip .wchip") == 6  # every service's waiting count on screen
    assert _in_view(page, ".ctile") == page.locator(".ctile").count()
    page.screenshot(path=str(shots / "display-1920x1080.png"))


def test_announcement_set_on_admin_appears_on_display_live(new_page, server, shots):
    display = new_page(1920, 1080)
    display.goto(server.url + "/display")
    display.wait_for_function("document.body.dataset.connected === 'yes'")
    display.evaluate("window.__noReload = 1")
    assert display.is_hidden("#notice-bar")

    admin = new_page(1366, 768)
    login(admin, server, "admin", "/admin")
    admin.click("button[data-tab=notices]")
    short = "Trung tâm nghỉ Tết Dương lịch ngày 01/01/2027."
    long = ("Từ ngày 05/01/2027, Trung tâm làm việc từ 07:30 đến 11:30 và từ 13:30 đến 17:00, kể cả sáng thứ Bảy; "
            "Quý khách vui lòng mang theo thẻ căn cước/CCCD và bản chính giấy tờ cần chứng thực.")
    admin.fill("#notices-lines", f"{short}\n\n  {long}  \n")
    admin.click("#notices-form button[type=submit]")
    admin.wait_for_selector("#toasts :text('Đã lưu thông báo')")
    assert server.api("GET", "/admin/announcements", server.tokens["admin"]).json() == {"lines": [short, long]}

    display.wait_for_selector("#notice-bar:not([hidden])", timeout=5000)
    assert display.inner_text("#notice-text") == short
    assert display.evaluate("window.__noReload") == 1
    assert min(_fonts(display, "#notice-text")) >= H / 30
    bar = display.locator("#notice-bar").bounding_box()
    assert bar["y"] + bar["height"] <= H + 0.5
    display.screenshot(path=str(shots / "display-notice.png"))
    # the long one comes next and scrolls (it is wider than the screen)
    display.wait_for_function(f"document.getElementById('notice-text').textContent === {long!r}", timeout=12000)
    assert "scroll" in display.get_attribute("#notice-text", "class")

    # a refusal is in Vietnamese, nothing is changed; clearing the text hides the bar live
    r = server.api("PUT", "/admin/announcements", server.tokens["admin"], {"lines": ["x" * 301]})
    assert r.status_code == 422 and "tối đa 300" in r.json()["error"]["message_vi"], r.text
    assert server.api("PUT", "/admin/announcements", server.tokens["admin"], {"lines": "nope"}).status_code == 422
    assert server.api("PUT", "/admin/announcements", server.tokens["officer1"], {"lines": []}).status_code == 403
    admin.fill("#notices-lines", "")
    admin.click("#notices-form button[type=submit]")
    display.wait_for_selector("#notice-bar", state="hidden", timeout=5000)
    assert server.api("GET", "/admin/announcements", server.tokens["admin"]).json() == {"lines": []}


def test_monitor_layout_at_1366x768(new_page, server, shots):
    page = new_page(1366, 768)
    login(page, server, "lanhdao", "/monitor")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    page.wait_for_selector("#services-table tbody tr")
    page.wait_for_selector("#devices-badge:not([hidden])")  # the demo's pager link and printer
    chip = page.locator("#devices-badge").bounding_box()
    for table in ("#services-table", "#counters-table"):
        box = page.locator(table).bounding_box()
        apart = (chip["x"] + chip["width"] <= box["x"] or box["x"] + box["width"] <= chip["x"]
                 or chip["y"] + chip["height"] <= box["y"] or box["y"] + box["height"] <= chip["y"])
        assert apart, f"the device chip {chip} overlaps {table} {box}"
        assert box["x"] + box["width"] <= 1366, f"{table} is wider than the screen: {box}"
    assert page.evaluate("getComputedStyle(document.getElementById('devices-badge')).position") != "fixed"

    # every time and count cell on one line: its text is no taller than one line (< 1.8 font sizes)
    tall = page.evaluate("""() => [...document.querySelectorAll('#services-table td.n, #counters-table td.n')]
        .filter((td) => { const r = document.createRange(); r.selectNodeContents(td);
                          return r.getBoundingClientRect().height > 1.8 * parseFloat(getComputedStyle(td).fontSize); })
        .map((td) => td.textContent)""")
    assert not tall, f"cells on more than one line: {tall}"
    means = page.evaluate("""() => [...document.querySelectorAll('#services-table tbody tr')]
        .flatMap((tr) => [tr.cells[7].textContent, tr.cells[8].textContent])""")
    assert all(m == "—" or ("phút" not in m and "giây" not in m) for m in means), means
    page.screenshot(path=str(shots / "monitor-1366x768.png"), full_page=True)
