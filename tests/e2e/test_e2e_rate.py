"""The rating tablet of a counter in Chromium: signed in once with a rating token made on the admin page, it
idles with "Cảm ơn Quý khách"; the officer finishes a ticket on the console of that counter, the tablet asks
about that ticket (its number only), a tap on 5 stores the rating of that ticket, and the ticket's tracking
link is refused afterwards. A question left unanswered goes back to idle after its timeout."""
from __future__ import annotations

import pytest
import requests
from e2e_helpers import login

pytestmark = pytest.mark.e2e

COUNTER = 6  # serves LD first (kiosk/demo/centre.py)


def _tablet_token(server, counter: int) -> str:
    r = server.api("POST", "/admin/tokens", server.tokens["admin"],
                   {"role": "rating", "counter": counter, "label": f"Máy đánh giá quầy {counter}"})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def _tablet_token_from_admin(new_page, server, counter: int) -> str:
    """The admin page's Mã thiết bị tab makes the tablet's token (role rating, bound to COUNTER)."""
    page = new_page(1600, 900)
    login(page, server, "admin", "/admin")
    page.click("[data-tab=tokens]")
    page.select_option("#token-form [name=role]", "rating")
    page.wait_for_selector(f"#token-form [name=counter] option[value='{counter}']", state="attached")
    page.select_option("#token-form [name=counter]", str(counter))
    page.fill("#token-form [name=label]", f"Máy đánh giá quầy {counter}")
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#token-once:not([hidden])")
    token = page.inner_text("#token-value").strip()
    page.wait_for_selector("#tokens-table td:text('Đánh giá tại quầy')")
    page.close()
    return token


def _serving_at(server, counter: int) -> dict:
    """A ticket called and started at COUNTER (the officer's API), to be finished on the console."""
    officer = server.tokens[f"officer{counter}"]
    server.api("POST", f"/counters/{counter}/open", officer)  # already open in the demo: refused, harmless
    ticket = server.issue("LD")
    r = server.api("POST", f"/counters/{counter}/call", officer, {"ticket_id": ticket["id"]})
    assert r.status_code == 200, r.text
    assert server.api("POST", f"/counters/{counter}/start", officer).status_code == 200
    return ticket


def _open_tablet(new_page, server, token: str, install_clock: bool = False):
    tablet = new_page(1024, 600)
    if install_clock:
        tablet.clock.install()
    tablet.goto(f"{server.url}/device?token={token}")
    tablet.wait_for_url(f"**/rate?counter={COUNTER}")
    tablet.wait_for_function("document.body.dataset.connected === 'yes'", timeout=15000)
    assert tablet.get_attribute("#rate", "data-view") == "idle"
    assert "Cảm ơn Quý khách" in tablet.inner_text("#rate-idle")
    return tablet


def test_finish_at_the_counter_then_tap_5_on_its_tablet(new_page, officer_page, server, shots):
    tablet = _open_tablet(new_page, server, _tablet_token_from_admin(new_page, server, COUNTER))
    ticket = _serving_at(server, COUNTER)
    console = officer_page(COUNTER)
    console.wait_for_function("document.body.dataset.ticketState === 'serving'")
    console.keyboard.press("f")  # the console's Hoàn thành
    console.wait_for_function("document.body.dataset.ticketState === 'none'")

    tablet.wait_for_function("document.getElementById('rate').dataset.view === 'ask'", timeout=5000)
    question = tablet.inner_text("#rate-question")
    assert question.startswith("Quý khách đánh giá thế nào về") and ticket["number"] in question
    assert "Lao động" in question
    boxes = [tablet.locator(f".rate-level[data-score='{s}']").bounding_box() for s in (5, 4, 3, 2, 1)]
    assert all(b["width"] >= 120 and b["height"] >= 120 for b in boxes), boxes
    assert all(b["y"] + b["height"] <= 600 and b["x"] + b["width"] <= 1024 for b in boxes), boxes  # all in view
    labels = [tablet.inner_text(f".rate-level[data-score='{s}'] .rate-label") for s in (5, 1)]
    assert labels == ["Rất hài lòng", "Rất không hài lòng"]
    tablet.screenshot(path=str(shots / "rate-ask.png"))

    tablet.click(".rate-level[data-score='5']")
    tablet.wait_for_function("document.getElementById('rate').dataset.view === 'done'")
    assert tablet.inner_text("#rate-done-text") == "Cảm ơn Quý khách đã đánh giá!"
    link = server.url + ticket["tracking_url"]
    page = requests.get(link, headers={"Accept": "text/html"}, timeout=5).text
    assert "Cảm ơn Quý khách đã đánh giá" in page and "Rất hài lòng" in page  # stored for that very ticket
    again = requests.post(link + "/rating", json={"score": 1}, timeout=5)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    tablet.wait_for_function("document.getElementById('rate').dataset.view === 'idle'", timeout=8000)


def test_an_unanswered_question_times_out_to_idle(new_page, server):
    tablet = _open_tablet(new_page, server, _tablet_token(server, COUNTER), install_clock=True)
    ticket = _serving_at(server, COUNTER)
    assert server.api("POST", f"/counters/{COUNTER}/finish", server.tokens[f"officer{COUNTER}"]).status_code == 200
    tablet.wait_for_function("document.getElementById('rate').dataset.view === 'ask'", timeout=5000)
    assert ticket["number"] in tablet.inner_text("#rate-question")
    assert int(tablet.inner_text("#rate-left")) <= 30
    tablet.clock.run_for(31_000)
    tablet.wait_for_function("document.getElementById('rate').dataset.view === 'idle'", timeout=5000)
    assert "Cảm ơn Quý khách" in tablet.inner_text("#rate-idle")
    link = server.url + ticket["tracking_url"]  # not rated: the ticket's QR still may
    page = requests.get(link, headers={"Accept": "text/html"}, timeout=5).text
    assert "Cảm ơn Quý khách đã đánh giá" not in page


def test_a_ticket_already_rated_by_its_link_says_so_with_the_servers_sentence(new_page, server):
    tablet = new_page(1024, 600)  # the last test's question may still be open on the server: asked again here
    tablet.goto(f"{server.url}/device?token={_tablet_token(server, COUNTER)}")
    tablet.wait_for_url(f"**/rate?counter={COUNTER}")
    tablet.wait_for_function("document.body.dataset.connected === 'yes'", timeout=15000)
    ticket = _serving_at(server, COUNTER)
    assert server.api("POST", f"/counters/{COUNTER}/finish", server.tokens[f"officer{COUNTER}"]).status_code == 200
    tablet.wait_for_function("document.getElementById('rate-number').textContent === " + repr(ticket["number"]),
                             timeout=5000)
    link = server.url + ticket["tracking_url"]
    assert requests.post(link + "/rating", json={"score": 4}, timeout=5).status_code == 201  # the QR came first
    tablet.click(".rate-level[data-score='1']")
    tablet.wait_for_function("document.getElementById('rate').dataset.view === 'done'")
    # the catalogue's sentence of already_rated (kiosk/texts/vi.py), not a copy kept in rate.js
    assert tablet.inner_text("#rate-done-text") == "Lượt làm thủ tục này đã được đánh giá, cảm ơn Quý khách."


def test_the_monitor_lists_the_counters_tablet_online_then_offline(new_page, server):
    label = "Máy đánh giá quầy 6 (màn hình giám sát)"
    r = server.api("POST", "/admin/tokens", server.tokens["admin"], {"role": "rating", "counter": COUNTER, "label": label})
    assert r.status_code == 201, r.text
    monitor = new_page(1600, 1000)
    login(monitor, server, "lanhdao", "/monitor")
    tile = f"#device-tiles .device-tile[data-kind='rating']:has(.dt-name:text-is('{label}'))"
    monitor.wait_for_selector(tile + ".state-offline", timeout=15000)  # listed before it ever connects
    assert monitor.inner_text(tile + " .dt-kind").startswith("Máy đánh giá")
    tablet = new_page(1024, 600)
    tablet.goto(f"{server.url}/device?token={r.json()['token']}")
    tablet.wait_for_function("document.body.dataset.connected === 'yes'", timeout=15000)
    monitor.wait_for_selector(tile + ".state-online", timeout=15000)
    assert monitor.inner_text(tile + " .dt-state") == "Hoạt động"
    assert monitor.inner_text(tile + " .dt-detail") == f"Đang kết nối (quầy {COUNTER})"
    tablet.close()
    monitor.wait_for_selector(tile + ".state-offline", timeout=15000)
    assert monitor.inner_text(tile + " .dt-detail") == f"Máy đánh giá quầy {COUNTER} đã ngắt kết nối"
    assert monitor.inner_text(tile + " .dt-seen").startswith("cập nhật lúc ")
