"""Appointments: slots, booking, capacity, check-in window, and the ticket it becomes."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from core_fixtures import MORNING, bearer

from kiosk.queue.appointments import (
    CODE_LENGTH,
    AppointmentRules,
    Appointments,
    BookingThrottled,
    NoSuchAppointment,
    clean_code,
    grouped_code,
)
from kiosk.queue.errors import IllegalTransition, InvalidInput, LimitReached
from kiosk.texts.vi import error_vi


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
    with pytest.raises(IllegalTransition) as early:
        appts.check_in(a)
    opens = (slot - timedelta(minutes=30)).astimezone(clock.tz).strftime("%H:%M")
    assert error_vi(early.value.code, early.value.text, early.value.values) == \
        f"Chưa đến giờ làm thủ tục. Quý khách vui lòng quay lại từ {opens}."
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


def _tail(digits: str):
    return lambda code: f"tail:{code}:{digits}"  # stands in for the keyed hash (kiosk.citizens.registry)


def test_a_booking_belongs_to_its_holder_not_to_the_id_number(engine, clock):
    appts = Appointments(engine, AppointmentRules(capacity=3))
    slot = MORNING + timedelta(hours=2)
    mallory = appts.book("HT", slot, lookup="id-1", holder="id-1+wrong name")
    owner = appts.book("HT", slot, lookup="id-1", holder="id-1+owner")  # not blocked by the one in another name
    with pytest.raises(LimitReached) as err:
        appts.book("HT", slot + timedelta(minutes=15), lookup="id-1", holder="id-1+owner")
    assert err.value.code == "already_booked"
    clock.set(slot - timedelta(minutes=10))
    assert appts.due("id-1", "id-1+owner").code == owner.code
    assert appts.due("id-1", "id-1+wrong name").code == mallory.code  # only a card with that name gives this
    assert appts.due("id-1", None) is None and appts.due("id-2", "id-1+owner") is None
    # a booking from before the binding (no holder) is still the ID number's, whatever the name on the card
    legacy = appts.book("DD", slot, lookup="id-3")
    assert appts.due("id-3", "id-3+anyone").code == legacy.code


def test_per_id_limit_counts_the_rows_and_holds_across_a_restart(engine, clock):
    rules = AppointmentRules(capacity=5, book_per_id=2, book_id_window_hours=24)
    appts = Appointments(engine, rules)
    slot = MORNING + timedelta(days=2, hours=2)  # a Wednesday: still ahead a day later
    first = appts.book("HT", slot, lookup="id-1", holder="h1", id_tail=_tail("2345"))
    appts.cancel(first.code, _tail("2345"))  # a cancelled booking still counts: book, cancel, book again
    clock.advance(3600)
    appts.book("HT", slot, lookup="id-1", holder="h1")
    with pytest.raises(BookingThrottled) as err:
        appts.book("DD", slot, lookup="id-1", holder="h1")
    assert err.value.status == 429 and err.value.retry_after_s == pytest.approx(23 * 3600)
    again = Appointments(engine, rules)  # a restart: nothing in memory
    with pytest.raises(BookingThrottled):
        again.book("DD", slot, lookup="id-1", holder="h1")
    assert again.book("DD", slot, lookup="id-1", holder="h2").state == "booked"  # someone else, same number
    clock.advance(23 * 3600)
    assert again.book("DD", slot, lookup="id-1", holder="h1").state == "booked"


def test_cancel_needs_the_code_and_the_id_digits_and_answers_alike(engine, clock):
    appts = Appointments(engine, AppointmentRules(capacity=5))
    slot = MORNING + timedelta(hours=2)
    a = appts.book("HT", slot, lookup="id-1", holder="h1", id_tail=_tail("2345"))
    assert len(a.code) == CODE_LENGTH and grouped_code(a.code) == f"{a.code[:5]}-{a.code[5:]}"
    other = "".join("A" if c != "A" else "B" for c in a.code)
    answers = []
    for code, digits in ((a.code, "2346"), (other, "2345"), ("nonsense", "2345"), (a.code[:6], "2345")):
        with pytest.raises(NoSuchAppointment) as err:
            appts.cancel(code, _tail(digits))
        answers.append((err.value.status, err.value.code, err.value.message))
    assert len(set(answers)) == 1 and answers[0][:2] == (404, "appointment_not_found")
    assert appts.get(a.code).state == "booked"
    typed = grouped_code(a.code).lower().replace("-", " ")  # as read aloud and typed: case and grouping ignored
    assert appts.cancel(typed, _tail("2345")).state == "cancelled"
    with pytest.raises(IllegalTransition) as err:
        appts.cancel(a.code, _tail("2345"))
    assert err.value.code == "appointment_cancelled"


def test_a_six_character_code_from_before_still_cancels(engine, clock):
    appts = Appointments(engine, AppointmentRules())
    with engine.store.transaction() as conn:  # a row as migration 012 leaves it: no holder, no tail
        conn.execute("INSERT INTO appointments (code, service_code, slot_start, lookup, created_at) "
                     "VALUES ('ABC234', 'HT', ?, 'id-9', ?)", [(MORNING + timedelta(hours=3)).timestamp(), clock.now()])
        conn.execute("INSERT INTO appointments (code, service_code, slot_start, lookup, created_at) "
                     "VALUES ('ABCDE23456', 'HT', ?, NULL, ?)", [(MORNING + timedelta(hours=3)).timestamp(), clock.now()])
    assert grouped_code("ABC234") == "ABC-234"
    assert appts.cancel("abc-234", _tail("0000")).state == "cancelled"  # its digits were never kept
    with pytest.raises(NoSuchAppointment):  # a new code whose tail was forgotten (data deleted) opens no more
        appts.cancel("ABCDE23456", _tail("0000"))
    assert clean_code("ABC-DE0-1234") == "" and clean_code(None) == ""
