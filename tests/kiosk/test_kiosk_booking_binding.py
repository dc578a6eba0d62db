"""At the kiosk a booking is checked in only by a card whose ID number AND name are the booking's: someone who
booked with the citizen's number under another name neither takes their turn nor stops their own booking.
Real store, real queue engine, real citizens' registry (keyed hashes); the flow fed Observations."""
from __future__ import annotations

from datetime import datetime, timedelta

from kiosk_testlib import CARD, CENTRE, OTHER, View, dwell, enter_live, make_kiosk

ID_NUMBER = "079090001234"  # CARD: Trần Thị Bình


def _slot(k):
    slot = datetime.fromtimestamp(k.clock.now(), k.clock.tz).replace(second=0, microsecond=0) + timedelta(minutes=60)
    return slot.replace(minute=slot.minute - slot.minute % 15)


def _book(k, service: str, slot, name: str):
    citizens = k.citizens
    return k.flow.appointments.book(service, slot, lookup=citizens.lookup_key(ID_NUMBER),
                                    holder=citizens.holder_key(ID_NUMBER, name))


def _show_card(k):
    k.clock.advance(0)
    assert enter_live(k, OTHER)["state"] == "present"
    for _ in range(3):
        snap = k.feed(View(OTHER, CENTRE, card=CARD))
    assert snap["state"] == "consent"
    snap, _ = dwell(k, OTHER, "consent:no", CENTRE)
    return snap


def _states(k):
    return dict(k.store.conn().execute("SELECT service_code, state FROM appointments").fetchall())


def test_the_card_checks_in_the_booking_in_its_own_name_only(tmp_path):
    k = make_kiosk(tmp_path)
    slot = _slot(k)
    _book(k, "DD", slot, "Nguyễn Văn Giả")  # someone else, with her number
    _book(k, "HT", slot, "TRAN THI BINH")  # hers, typed without diacritics
    k.clock.advance(slot.timestamp() - k.clock.now() - 10 * 60)
    snap = _show_card(k)
    assert snap["state"] == "ticket" and snap["ticket"]["service"] == "HT"
    assert (snap.get("notice") or {}).get("code") != "booking_other_name"  # hers was found: nothing to say
    assert snap["ticket"]["priority"] == "appointment"
    assert _states(k) == {"DD": "booked", "HT": "checked_in"}


def test_a_booking_in_another_name_is_not_checked_in_by_the_card(tmp_path):
    k = make_kiosk(tmp_path)
    slot = _slot(k)
    _book(k, "DD", slot, "Nguyễn Văn Giả")
    k.clock.advance(slot.timestamp() - k.clock.now() - 10 * 60)
    snap = _show_card(k)
    assert snap["state"] == "services"  # she chooses like any walk-in; the other booking stays unused
    assert snap["notice"]["code"] == "booking_other_name" and snap["notice"]["vi"].startswith(
        "Lịch hẹn với số thẻ căn cước/CCCD này được đặt dưới một họ tên khác")
    assert _states(k) == {"DD": "booked"}
