"""Reprint of the last ticket at a kiosk (issue 13): through the real app, the terminal's printer path and a
simulated printer on a pty. The same ticket is printed again marked "BẢN IN LẠI", at most twice, within 60 s
of its issue, at the terminal that issued it only; every copy is in the audit log (no citizen)."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from devices_support import *  # noqa: F403
from devices_support import bearer, device_config, issue, make_app, wait_for

from hardware.printer.simulator import PrinterSimulator
from kiosk.accounts.registry import create_token, token_principal
from kiosk.demo.centre import open_demo_counters
from kiosk.queue.clock import FakeClock, centre_timezone


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 12, 2, 9, 0, tzinfo=centre_timezone()))


@pytest.fixture
def app(tmp_path, seeded_store, sims, clock):
    app = make_app(tmp_path, seeded_store, device_config(sims), clock=clock)
    open_demo_counters(app.extensions["kiosk"].engine)
    yield app
    app.extensions["kiosk"].close()


def _reprint(client, token, ticket_id):
    return client.post(f"/api/v1/tickets/{ticket_id}/reprint", headers=bearer(token))


def test_reprint_prints_the_same_ticket_marked_as_a_copy_twice_within_the_window(app, sims, clock):
    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    mine = PrinterSimulator.pty().start()
    try:
        with kiosk.store.transaction() as conn:
            token, other = create_token(conn, "kiosk", label="Kiosk A"), create_token(conn, "kiosk", label="Kiosk B")
        terminal = token_principal(kiosk.store.conn(), token).id
        kiosk.terminals.get(terminal)
        kiosk.devices.printers.route(terminal, mine.url)
        first = issue(client, token)
        assert mine.wait_for_jobs(1, timeout=10)
        waiting_before = len(kiosk.engine.tickets_of_day())

        clock.advance(20)
        one = _reprint(client, token, first["id"])
        assert one.status_code == 200, one.json
        assert one.json == {"ticket_id": first["id"], "number": first["number"], "copy": 1, "copies_left": 1,
                            "window_s": 60}
        assert mine.wait_for_jobs(2, timeout=10)
        assert mine.jobs[-1].image().height > mine.jobs[0].image().height  # the boxed "BẢN IN LẠI" on top
        clock.advance(30)
        two = _reprint(client, token, first["id"])
        assert two.status_code == 200 and two.json["copy"] == 2 and two.json["copies_left"] == 0
        assert mine.wait_for_jobs(3, timeout=10)
        three = _reprint(client, token, first["id"]).json["error"]
        assert three["code"] == "reprint_limit"
        assert three["message_vi"] == (f"Phiếu số {first['number']} đã được in lại 2 lần, không in thêm được. "
                                       "Quý khách vui lòng hỏi cán bộ hướng dẫn.")
        assert len(kiosk.engine.tickets_of_day()) == waiting_before  # no new ticket, no new number
        assert sims["printer"].jobs == []  # nothing at the centre's printer

        # another terminal cannot reprint it; a ticket past the window cannot be reprinted
        assert _reprint(client, other, first["id"]).json["error"]["code"] == "reprint_not_last"
        second = issue(client, token)
        assert _reprint(client, token, first["id"]).json["error"]["code"] == "reprint_not_last"
        clock.advance(61)
        late = _reprint(client, token, second["id"])
        assert late.status_code == 409
        assert late.json["error"]["code"] == "reprint_expired"
        assert late.json["error"]["message_vi"] == (f"Đã quá 60 giây kể từ khi lấy số {second['number']} nên không "
                                                    "in lại được phiếu. Quý khách vui lòng hỏi cán bộ hướng dẫn.")
        assert _reprint(client, token, 999999).status_code == 404

        # staff see the copies in the audit log: the kiosk token, the ticket, no citizen
        entries = [e for e in client.get("/api/v1/audit", headers=bearer(_manager(kiosk))).json
                   if e["action"] == "ticket_reprint"]
        assert [json.loads(e["detail"])["copy"] for e in entries] == [2, 1]
        assert all(e["actor_id"] == terminal and e["actor_role"] == "kiosk" and e["citizen_id"] is None
                   for e in entries)
        assert all(json.loads(e["detail"])["number"] == first["number"] for e in entries)
    finally:
        mine.stop()


def test_reprint_is_refused_while_the_printer_cannot_print(app, clock):
    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    mine = PrinterSimulator.pty().start()
    try:
        with kiosk.store.transaction() as conn:
            token = create_token(conn, "kiosk", label="Kiosk A")
        terminal = token_principal(kiosk.store.conn(), token).id
        kiosk.terminals.get(terminal)
        station = kiosk.devices.printers.route(terminal, mine.url)
        ticket = issue(client, token)
        assert mine.wait_for_jobs(1, timeout=10)
        mine.set_state(paper_out=True)
        station.monitor.poll()
        assert wait_for(lambda: not station.ok, 5)
        refused = _reprint(client, token, ticket["id"]).json["error"]
        assert refused["code"] == "reprint_printer" and "chụp lại số thứ tự" in refused["message_vi"]
        mine.set_state(paper_out=False)
        station.monitor.poll()
        assert wait_for(lambda: station.ok, 5)
        assert _reprint(client, token, ticket["id"]).json["copy"] == 1  # the refused one did not count
        assert mine.wait_for_jobs(2, timeout=10)
    finally:
        mine.stop()


def test_only_a_kiosk_reprints(app):
    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    r = client.post("/api/v1/tickets/1/reprint", headers=bearer(_manager(kiosk)))
    assert r.status_code == 403
    assert client.post("/api/v1/tickets/1/reprint").status_code == 401


def _manager(kiosk) -> str:
    with kiosk.store.transaction() as conn:
        return create_token(conn, "manager", label="Lãnh đạo")


def test_presses_at_once_never_make_more_copies_than_allowed(app):
    """Six requests at the same moment (a double tap, the camera tile and the button): two copies, four refusals."""
    import threading

    from kiosk.queue.errors import QueueError
    from kiosk.terminals.reprint import Reprints

    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    with kiosk.store.transaction() as conn:
        token = create_token(conn, "kiosk", label="Kiosk A")
    terminal = token_principal(kiosk.store.conn(), token).id
    ticket = issue(client, token)
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def press():
        start.wait()
        try:
            outcomes.append(f"copy {Reprints(kiosk).reprint(ticket['id'], terminal).copy}")
        except QueueError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=press) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(outcomes) == ["copy 1", "copy 2"] + ["reprint_limit"] * 4
