"""Appointments: slots, booking, capacity, check-in window, and the ticket it becomes."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from core_fixtures import MORNING, bearer

from kiosk.queue.appointments import AppointmentRules, Appointments
from kiosk.queue.errors import IllegalTransition, InvalidInput, LimitReached


@pytest.fixture
def appts(engine):
    return Appointments(engine, AppointmentRules(capacity=1))


def test_slots_and_capacity(appts, clock):
    day = MORNING.date()  # a Monday, now 08:00
    slots = appts.slots("HT", day)
    assert slots[0]["start"].endswith("08:15+07:00")  # past slots are not offered
    slot = datetime.fromisoformat(slots[0]["start"])
    a = appts.book("HT", slot, lookup="citizen-1")
    assert len(a.code) == 10 and a.state == "booked" and set(a.code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    with pytest.raises(LimitReached):
        appts.book("HT", slot)
    assert appts.slots("HT", day)[0]["free"] == 0
    with pytest.raises(InvalidInput):
        appts.book("HT", slot.replace(minute=17))
    assert appts.slots("HT", day + timedelta(days=5)) == []  # Saturday


def test_check_in_window_and_priority(appts, engine, clock):
    slot = MORNING + timedelta(hours=2)
    a = appts.book("HT", slot, lookup="citizen-2")
    assert appts.due("citizen-2") is None
    with pytest.raises(IllegalTransition):
        appts.check_in(a)
    engine.issue_ticket("HT")  # a walk-in who came earlier
    clock.set(slot - timedelta(minutes=20))
    due = appts.due("citizen-2")
    assert due.code == a.code
    issued = appts.check_in(due)
    assert issued.ticket.priority == "appointment"
    assert appts.get(a.code).state == "checked_in"
    assert engine.call_next(1).id == issued.ticket.id  # served before the walk-in
    with pytest.raises(IllegalTransition):
        appts.check_in(appts.get(a.code))


def test_public_booking_api_and_kiosk_check_in(app, client, tokens, clock):
    day = MORNING.date().isoformat()
    slots = client.get(f"/api/v1/public/slots?service=DD&day={day}").json
    assert slots and all(s["free"] == 2 for s in slots)
    r = client.post("/api/v1/public/appointments", json={"service": "DD", "slot": slots[0]["start"],
                                                           "id_number": "001099012345", "full_name": "Lê Văn Cường"})
    assert r.status_code == 201
    code = r.json["code"]
    assert r.json["code_display"] == f"{code[:5]}-{code[5:]}"
    assert client.post("/api/v1/public/appointments", json={"service": "DD", "slot": "tomorrow"}).status_code == 422
    assert client.post("/api/v1/public/appointments", json={"service": "DD", "slot": slots[0]["start"],
                                                             "id_number": "12x", "full_name": "A"}).status_code == 422
    for body in ({"id_number": "001099012345"}, {"full_name": "Lê Văn Cường"},
                 {"id_number": "001099012345", "full_name": "  ..  "}):
        r = client.post("/api/v1/public/appointments", json={"service": "DD", "slot": slots[0]["start"], **body})
        assert r.status_code == 422 and r.json["error"]["code"] in ("invalid_id_number", "invalid_full_name")
        assert r.json["error"]["message_vi"].startswith("Quý khách") or "CCCD" in r.json["error"]["message_vi"]
    assert client.get("/api/v1/public/slots?service=DD&day=soon").status_code == 422
    assert client.post(f"/api/v1/appointments/{code}/check-in").status_code == 401
    r = client.post(f"/api/v1/appointments/{code}/check-in", headers=bearer(tokens["kiosk"]))
    assert r.status_code == 201 and r.json["priority"] == "appointment" and r.json["number"].startswith("B")
    r = client.post("/api/v1/tickets", json={"service": "DD", "priority": "appointment"}, headers=bearer(tokens["kiosk"]))
    assert r.status_code == 422
    page = client.get("/book")
    assert page.status_code == 200 and "Đặt lịch hẹn" in page.get_data(as_text=True)
    # the booking kept no ID number in clear
    raw = app.extensions["kiosk"].store.conn().execute("SELECT lookup FROM appointments").fetchone()[0]
    assert "001099012345" not in raw
    row = app.extensions["kiosk"].store.conn().execute("SELECT * FROM appointments").fetchone()
    stored = " ".join(str(row[k]) for k in row.keys()).casefold()
    assert "cường" not in stored and "cuong" not in stored and "001099012345" not in stored
