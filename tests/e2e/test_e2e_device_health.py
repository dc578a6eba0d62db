"""The monitor's device tiles and alert banner in Chromium against the real server: a hall display
(a python-socketio client with a display token) is a tile; when it disconnects the banner says so (and
the page beeps, once a click unlocked audio); when it reconnects the banner clears."""
from __future__ import annotations

import pytest
import socketio
from e2e_helpers import login

pytestmark = pytest.mark.e2e

NAME = "Màn hình thử nghiệm tầng 3"


def _display(server, token: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(server.url, namespaces=["/display"], auth={"token": token}, transports=["websocket"],
                   wait_timeout=10)
    return client


def test_monitor_tiles_and_banner_follow_a_display(new_page, server, shots):
    made = server.api("POST", "/admin/tokens", server.tokens["admin"], {"role": "display", "label": NAME})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    page = new_page(1600, 900)
    login(page, server, "lanhdao", "/monitor")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    page.wait_for_selector(".device-tile[data-kind='pager']")  # the demo's base station
    assert "Trạm thẻ rung" in page.inner_text(".device-tile[data-kind='pager']")
    page.mouse.click(5, 300)  # a gesture: the page may make sound from now on

    hall = _display(server, token)
    try:
        tile = f".device-tile[data-kind='display']:has-text('{NAME}')"
        page.wait_for_selector(f"{tile}[data-state='online']", timeout=20000)
        text = page.inner_text(tile)
        assert "Màn hình" in text and "Hoạt động" in text and "cập nhật lúc" in text
    finally:
        hall.disconnect()

    banner = "#device-banner"
    page.wait_for_function(
        f"(() => {{ const b = document.querySelector('{banner}'); return !b.hidden && b.textContent.includes({NAME!r}); }})()",
        timeout=20000)
    assert "Thiết bị mất kết nối:" in page.inner_text(banner)
    page.wait_for_selector(f"{tile}[data-state='offline']")
    assert "Mất kết nối" in page.inner_text(tile)
    assert int(page.get_attribute(banner, "data-beeps")) >= 1
    assert page.get_attribute(banner, "data-sound") == "played"
    page.screenshot(path=str(shots / "monitor-device-alert.png"), full_page=True)

    hall = _display(server, token)
    try:
        page.wait_for_function(
            f"!document.querySelector('{banner}').textContent.includes({NAME!r})", timeout=20000)
        page.wait_for_selector(f"{tile}[data-state='online']")
    finally:
        hall.disconnect()
