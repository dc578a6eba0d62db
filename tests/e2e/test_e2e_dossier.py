"""The officer's desk in Chromium against the real server (issue 13): serving a booked ticket the console shows
the booking's time and the citizen's masked name (never the full name or the ID number); the officer types the
dossier code (mã hồ sơ) and a note under the ticket; the manager's list of tickets on /reports and its CSV show
them."""
from __future__ import annotations

import csv
import io
import time
from datetime import datetime

import pytest
from e2e_helpers import login

from kiosk.citizens.keyfile import open_vault
from kiosk.citizens.registry import CitizenRegistry
from kiosk.queue.clock import SystemClock
from kiosk.store import open_store

pytestmark = pytest.mark.e2e

CODE = "000.00.12.H26-241202-0001"
FULL_NAME = "Nguyễn Văn An"
ID_NUMBER = "001099012345"


def _book_it(server, ticket_id: int) -> str:
    """Make TICKET_ID a ticket checked in from a booking by the card of FULL_NAME: the rows a card check-in at
    the kiosk leaves (kiosk.session.flow: the sealed card record, the booking checked in, the ticket's citizen
    key), written into the running centre's store. The e2e server runs on the wall clock, outside booking
    hours for most of the day, so the kiosk cannot check one in now. Returns the booked time, HH:MM."""
    clock = SystemClock()
    slot = (int(time.time()) // 900) * 900  # the quarter-hour slot of now
    store = open_store(server.data_dir)
    try:
        registry = CitizenRegistry(store, open_vault(server.data_dir / "keys" / "citizen.key", store), clock)
        ref = registry.remember_card({"id_number": ID_NUMBER, "full_name": FULL_NAME, "date_of_birth": "1980-01-02"})
        with store.transaction() as conn:
            conn.execute("INSERT INTO appointments (code, service_code, slot_start, lookup, state, ticket_id, "
                         "created_at) VALUES (?, 'KD', ?, ?, 'checked_in', ?, ?)",
                         [f"E2E{ticket_id:07d}"[:10], slot, ref.lookup, ticket_id, time.time()])
            conn.execute("UPDATE tickets SET citizen_key = ? WHERE id = ?", [ref.lookup, ticket_id])
    finally:
        store.close()
    return f"{datetime.fromtimestamp(slot, clock.tz):%H:%M}"


def test_booked_ticket_on_the_console_and_its_dossier_code_in_the_managers_list(officer_page, new_page, server,
                                                                                   shots):
    officer5, admin = server.tokens["officer5"], server.tokens["admin"]
    for action in ("open", "resume", "start", "finish"):  # whatever earlier tests left at counter 5 (refusals: fine)
        server.api("POST", f"/counters/5/{action}", officer5)
    while server.api("POST", "/counters/5/next", officer5).json().get("ticket"):  # served, not no-show: no wait
        server.api("POST", "/counters/5/start", officer5)
        server.api("POST", "/counters/5/finish", officer5)
    ticket = server.issue("KD")
    booked_at = _book_it(server, ticket["id"])

    console = officer_page(5)
    console.wait_for_selector(f"#waiting li[data-ticket='{ticket['id']}']")
    console.click("#act-next")
    console.wait_for_function(f"document.getElementById('current-number').textContent === {ticket['number']!r}")
    console.wait_for_selector("#desk-who:not([hidden])")
    assert console.inner_text("#desk-appointment") == f"Lịch hẹn {booked_at}"
    assert console.inner_text("#desk-citizen") == "Nguyễn V. A."
    html = console.content()
    assert FULL_NAME not in html and ID_NUMBER not in html and "0010" not in console.inner_text("body")

    # the dossier code under the current ticket: typed in lower case, stored as the one-door system writes it
    console.wait_for_selector("#dossier-form:not([hidden])")
    assert console.get_attribute("#dossier-form", "data-ticket") == str(ticket["id"])
    console.fill("#dossier-code", CODE.lower())
    console.fill("#dossier-note", "Thiếu bản sao giấy phép")
    console.click("#dossier-submit")
    console.wait_for_function(f"document.getElementById('dossier-code').value === {CODE!r}")
    assert console.is_hidden("#dossier-error")
    console.screenshot(path=str(shots / "counter-dossier.png"))
    # a wrong code is refused in Vietnamese, and what was stored stays
    console.fill("#dossier-code", "mã sai")
    console.click("#dossier-submit")
    console.wait_for_selector("#dossier-error:not([hidden])")
    assert console.inner_text("#dossier-error").startswith("Mã hồ sơ gồm 3 đến 40 ký tự")

    # finished: the form stays for the ticket just finished, keeping what was typed, and saves on it
    console.click("#act-start")
    console.wait_for_function("document.body.dataset.ticketState === 'serving'")
    console.click("#act-finish")
    console.wait_for_function("document.body.dataset.ticketState === 'none'")
    console.wait_for_selector("#desk-who", state="hidden")
    assert console.is_visible("#dossier-form") and console.input_value("#dossier-code") == "mã sai"
    assert console.get_attribute("#dossier-form", "data-ticket") == str(ticket["id"])
    console.fill("#dossier-code", CODE)
    console.click("#dossier-submit")
    console.wait_for_selector("#dossier-error", state="hidden")

    # the manager's list of tickets of the centre's day
    day = server.api("GET", "/queue", admin).json()["day"]
    page = new_page(1366, 900)
    login(page, server, "lanhdao", "/reports")
    page.wait_for_function("document.body.dataset.loaded === '1'", timeout=15000)
    page.fill("#report-from", day)
    page.fill("#report-to", day)
    page.select_option("#ticket-list-service", "KD")
    page.click("#ticket-list-show")
    row = page.wait_for_selector(f"#ticket-list-table tr[data-ticket='{ticket['id']}']")
    cells = row.eval_on_selector_all("td", "(cells) => cells.map((c) => c.textContent.trim())")
    assert cells[1] == ticket["number"] and cells[3] == "Quầy 5" and cells[5] == "Đã phục vụ"
    assert cells[-2:] == [CODE, "Thiếu bản sao giấy phép"]
    assert "có mã hồ sơ" in page.inner_text("#ticket-list-note")
    page.screenshot(path=str(shots / "reports-ticket-list.png"), full_page=True)
    href = page.get_attribute("#ticket-list-csv", "href")
    got = page.request.get(server.url + href)
    assert got.ok and "text/csv" in got.headers["content-type"]
    table = list(csv.reader(io.StringIO(got.body().decode("utf-8-sig"))))
    mine = [line for line in table[1:] if line[1] == ticket["number"]]
    assert mine and mine[0][table[0].index("Mã hồ sơ")] == CODE
