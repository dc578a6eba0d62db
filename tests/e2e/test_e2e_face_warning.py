"""The monitor's face-recognition tile and warning banner in Chromium against the real server: today's
answers to "Đúng là Quý khách?" are written to the server's store (the demo kiosk shows a card, never a
face), a manager's GET /api/v1/kiosk/face-checks makes the server look again and push ``face_checks`` to
/monitor; the open page shows the counts and the Vietnamese warning in the banner (with one beep a day), and
clears it when the share is back at the level or the answers are gone."""
from __future__ import annotations

import pytest
from e2e_helpers import login

from kiosk.citizens.face_checks import record_face_check
from kiosk.queue.clock import SystemClock, local_day
from kiosk.store import open_store

pytestmark = pytest.mark.e2e

BANNER = "#device-banner"
FACE_LINE = "#device-banner .db-line[data-kind='faces']"


def _answers(server, confirmed: int, rejected: int) -> None:
    """Today's answers in the server's store (only these), then a manager's look that refreshes the monitor."""
    clock = SystemClock()
    store = open_store(server.data_dir)
    try:
        with store.transaction() as conn:
            conn.execute("DELETE FROM face_checks")
            for outcome, n in (("confirmed", confirmed), ("rejected", rejected)):
                for _ in range(n):
                    record_face_check(conn, outcome, clock.now(), local_day(clock))
    finally:
        store.close()
    r = server.api("GET", "/kiosk/face-checks", server.tokens["admin"])
    assert r.status_code == 200, r.text
    assert (r.json()["today"]["confirmed"], r.json()["today"]["rejected"]) == (confirmed, rejected)


def test_monitor_shows_the_face_recognition_warning(new_page, server, shots):
    page = new_page(1600, 1000)
    login(page, server, "lanhdao", "/monitor")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    page.mouse.click(5, 300)  # a gesture: the page may make sound from now on
    beeps = lambda: int(page.get_attribute(BANNER, "data-beeps") or 0)  # noqa: E731
    before = beeps()
    try:
        _answers(server, 16, 5)  # 5/21 = 24 %, above the default 15 % with more than 20 answers
        page.wait_for_selector(FACE_LINE, timeout=20000)
        assert beeps() == before + 1 and page.get_attribute(BANNER, "data-sound") == "played"
        text = page.inner_text(FACE_LINE)
        assert text.startswith("Cảnh báo: ")
        assert ("Nhận diện khuôn mặt đang không đáng tin cậy tại trung tâm: hôm nay 5/21 lượt (24%) công dân trả "
                "lời “Không phải tôi” (ngưỡng cảnh báo 15%).") in text
        assert "tắt nhận diện khuôn mặt" in text and "(từ " in text
        assert page.is_visible(BANNER)
        today = "#face-table tbody tr:first-child"
        assert page.inner_text(f"{today} .fc-confirmed") == "16"
        assert page.inner_text(f"{today} .fc-rejected") == "5"
        assert page.inner_text(f"{today} .fc-share") == "24%"
        assert page.get_attribute("#face-checks", "data-warning") == "yes"
        assert "Cảnh báo khi tỉ lệ “không” vượt 15%, với ít nhất 20 lượt trả lời trong ngày" in page.inner_text(
            "#face-level")
        assert "Hôm nay" in page.inner_text(today)
        page.screenshot(path=str(shots / "monitor-face-warning.png"), full_page=True)

        _answers(server, 17, 3)  # 3/20 = 15 %: at the level, not above it
        page.wait_for_function(f"!document.querySelector(\"{FACE_LINE}\")", timeout=20000)
        assert page.inner_text(f"{today} .fc-share") == "15%"
        assert page.get_attribute("#face-checks", "data-warning") == "no"
        _answers(server, 16, 5)  # raised again the same day: shown, but it rang once today already
        page.wait_for_selector(FACE_LINE, timeout=20000)
        assert beeps() == before + 1
    finally:
        _answers(server, 0, 0)
    page.reload()
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    assert page.query_selector(FACE_LINE) is None
