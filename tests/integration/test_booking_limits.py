"""The public booking API in the app (real SQLite, real citizens' keys, the service's clock moved by the test):
per-address, per-citizen and per-code limits with Retry-After and a Vietnamese message; the binding to ID
number and name; cancel and look-up by code + last 4 digits answering alike whatever was wrong."""
from __future__ import annotations

import unicodedata
from datetime import datetime

import pytest
from app_support import bearer, make_app, role_tokens

from kiosk.demo.centre import open_demo_counters
from kiosk.queue.clock import FakeClock, centre_timezone

TZ = centre_timezone()
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)  # a Monday
DAY = "2026-11-25"  # the Wednesday: every slot ahead for the whole test
OWNER = {"id_number": "001099012345", "full_name": "NGUYỄN VĂN AN"}


@pytest.fixture
def booking(tmp_path, seeded_demo):
    clock = FakeClock(NOW)
    app = make_app(tmp_path, seeded_demo[0], clock=clock)
    kiosk = app.extensions["kiosk"]
    open_demo_counters(kiosk.engine)
    app.clock, app.tokens = clock, role_tokens(kiosk)
    yield app
    kiosk.close()


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address  # the TCP peer the limits count by
    return client


def _slots(app, service: str = "DD") -> list[dict]:
    return _client(app, "192.0.2.250").get(f"/api/v1/public/slots?service={service}&day={DAY}").json


def _book(client, slot: str, service: str = "DD", **who):
    return client.post("/api/v1/public/appointments", json={"service": service, "slot": slot, **(who or OWNER)})


def _person(i: int) -> dict:
    return {"id_number": f"0010990{i:05d}", "full_name": f"Trần Văn Số {i}"}


def _vi(r) -> str:
    text = r.json["error"]["message_vi"]
    assert unicodedata.is_normalized("NFC", text) and "Quý khách" in text
    return text


def test_one_address_books_its_fill_then_429_with_retry_after_and_places_remain(booking, caplog):
    caplog.set_level("WARNING", logger="kiosk.web.booking_guard")
    slots = _slots(booking)
    assert sum(s["free"] for s in slots) == 60
    client = _client(booking, "198.51.100.7")
    answers = [_book(client, slots[i // 2]["start"], **_person(i)) for i in range(12)]
    assert [r.status_code for r in answers] == [201] * 5 + [429] * 7
    refused = answers[-1]
    assert refused.json["error"]["code"] == "booking_throttled"
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    assert _vi(refused).startswith("Quý khách đã đặt quá nhiều lịch hẹn") and "60 phút" in _vi(refused)
    assert sum(s["free"] for s in _slots(booking)) == 55
    warned = [r.getMessage() for r in caplog.records if r.name == "kiosk.web.booking_guard"]
    assert warned == ["public booking refused: an address reached book_per_address (5 per 60 min)"]  # once
    assert not any("198.51.100.7" in r.getMessage() for r in caplog.records)
    assert _book(_client(booking, "198.51.100.8"), slots[10]["start"], **_person(50)).status_code == 201
    booking.clock.advance(3600)  # the window slides on
    assert _book(client, slots[11]["start"], **_person(51)).status_code == 201


def test_an_ipv6_network_counts_as_one_address(booking):
    slots = _slots(booking)
    answers = [_book(_client(booking, f"2001:db8:5:7::{i + 1:x}"), slots[i // 2]["start"], **_person(i))
               for i in range(6)]
    assert [r.status_code for r in answers] == [201] * 5 + [429]  # one /64: one household's addresses
    assert _book(_client(booking, "2001:db8:5:8::1"), slots[3]["start"], **_person(7)).status_code == 201
    mapped = [_book(_client(booking, a), slots[5 + i // 2]["start"], **_person(8 + i))
              for i, a in enumerate(["198.51.100.3"] * 4 + ["::ffff:198.51.100.3"] * 2)]
    assert [r.status_code for r in mapped] == [201] * 5 + [429]  # an IPv4 address written as IPv6 is the same one


def test_refused_input_costs_nothing_but_probing_who_has_booked_does(booking):
    slots = _slots(booking)
    client = _client(booking, "198.51.100.9")
    for body in ({"id_number": "12"}, {"full_name": "An"}, {"id_number": "001099012345", "full_name": "…"}):
        assert client.post("/api/v1/public/appointments", json={"service": "DD", "slot": slots[0]["start"],
                                                                 **body}).status_code == 422
    assert _book(client, slots[0]["start"]).status_code == 201
    again = _book(client, slots[1]["start"], full_name="Nguyen Van An", id_number=OWNER["id_number"])
    assert again.status_code == 409 and again.json["error"]["code"] == "already_booked"
    assert _vi(again).startswith("Quý khách đã có một lịch hẹn")
    full = [_book(client, slots[2]["start"], **_person(i)) for i in (1, 2)] + [_book(client, slots[2]["start"],
                                                                                     **_person(3))]
    assert [r.status_code for r in full] == [201, 201, 409]  # slot_full is given back ...
    assert full[2].json["error"]["code"] == "slot_full" and _vi(full[2]).startswith("Giờ hẹn này đã hết chỗ")
    assert _book(client, slots[3]["start"], **_person(4)).status_code == 201  # ... already_booked is not: 5th
    assert _book(client, slots[3]["start"], **_person(5)).status_code == 429


def test_another_persons_id_in_another_name_blocks_nobody(booking):
    slots = _slots(booking)
    mallory = _book(_client(booking, "203.0.113.66"), slots[0]["start"], id_number=OWNER["id_number"],
                    full_name="Kẻ Mạo Danh")
    assert mallory.status_code == 201
    owner = _book(_client(booking, "198.51.100.20"), slots[1]["start"], id_number=OWNER["id_number"],
                  full_name="nguyễn  văn an")
    assert owner.status_code == 201
    # the owner's second booking for the service is refused, as before: the same number and the same name
    second = _book(_client(booking, "198.51.100.21"), slots[2]["start"], id_number=OWNER["id_number"],
                   full_name="Nguyen Van An")
    assert second.status_code == 409 and second.json["error"]["code"] == "already_booked"


def test_per_citizen_limit_is_429_and_names_the_id(booking):
    slots = _slots(booking)
    services = ["DD", "HT", "KD", "CT"]
    answers = [_book(_client(booking, f"198.51.100.{30 + i}"), slots[0]["start"], service=svc)
               for i, svc in enumerate(services)]
    assert [r.status_code for r in answers] == [201, 201, 201, 429]
    assert answers[3].json["error"]["code"] == "booking_id_limit"
    assert 86300 <= int(answers[3].headers["Retry-After"]) <= 86400
    assert "số CCCD này" in _vi(answers[3]) and "24 giờ" in _vi(answers[3])
    # the same number in another name is another holder: not limited by the owner's bookings
    assert _book(_client(booking, "198.51.100.40"), slots[0]["start"], service="CT", id_number=OWNER["id_number"],
                 full_name="Lê Thị Khác").status_code == 201


def test_cancel_and_lookup_need_code_and_last_digits_and_answer_alike(booking):
    slots = _slots(booking)
    made = _book(_client(booking, "198.51.100.50"), slots[0]["start"]).json
    code, grouped = made["code"], made["code_display"]
    assert len(code) == 10 and grouped == f"{code[:5]}-{code[5:]}"
    client = _client(booking, "203.0.113.5")
    wrong_digits = client.post(f"/api/v1/public/appointments/{code}/cancel", json={"id_last4": "0000"})
    wrong_code = client.post(f"/api/v1/public/appointments/{'A' * 10}/cancel", json={"id_last4": "2345"})
    garbage = client.post("/api/v1/public/appointments/xyz/cancel", json={"id_last4": "2345"})
    look = client.get(f"/api/v1/public/appointments/{code}?id_last4=0001")
    for r in (wrong_digits, wrong_code, garbage, look):
        assert r.status_code == 404 and r.json == wrong_digits.json
    assert wrong_digits.json["error"]["code"] == "appointment_not_found"
    assert _vi(wrong_digits) == "Mã hẹn hoặc 4 số cuối thẻ căn cước/CCCD không đúng. Quý khách vui lòng kiểm tra lại."
    r = client.post(f"/api/v1/public/appointments/{code}/cancel", json={})
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_id_tail"
    owner = _client(booking, "198.51.100.51")
    assert owner.get(f"/api/v1/public/appointments/{grouped.lower()}?id_last4=2345").json["state"] == "booked"
    done = owner.post(f"/api/v1/public/appointments/{grouped}/cancel", json={"id_last4": "2345"})
    assert done.status_code == 200 and done.json["state"] == "cancelled"
    twice = owner.post(f"/api/v1/public/appointments/{code}/cancel", json={"id_last4": "2345"})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "appointment_cancelled"
    assert sum(s["free"] for s in _slots(booking)) == 60


def test_guessing_is_throttled_per_address_and_per_code(booking):
    slots = _slots(booking)
    code = _book(_client(booking, "198.51.100.60"), slots[0]["start"]).json["code"]
    guesser = _client(booking, "203.0.113.9")
    answers = [guesser.post(f"/api/v1/public/appointments/{'B' * 9}{c}/cancel", json={"id_last4": "1111"})
               for c in "CDEFGHJKLMNP"]
    assert [r.status_code for r in answers] == [404] * 10 + [429] * 2
    assert answers[-1].json["error"]["code"] == "cancel_throttled" and int(answers[-1].headers["Retry-After"]) > 0
    assert _vi(answers[-1]).startswith("Quý khách đã nhập sai mã hẹn hoặc 4 số cuối CCCD quá nhiều lần")
    # even the right pair waits from that address, not from another
    assert guesser.post(f"/api/v1/public/appointments/{code}/cancel", json={"id_last4": "2345"}).status_code == 429
    # one known code, its digits guessed from many addresses: 5 wrong tries lock the code for a day
    for i in range(5):
        r = _client(booking, f"192.0.2.{i + 1}").post(f"/api/v1/public/appointments/{code}/cancel",
                                                       json={"id_last4": f"{i:04d}"})
        assert r.status_code == 404
    late = _client(booking, "192.0.2.99").post(f"/api/v1/public/appointments/{code}/cancel", json={"id_last4": "2345"})
    assert late.status_code == 429 and 86000 < int(late.headers["Retry-After"]) <= 86400
    booking.clock.advance(86400)
    ok = _client(booking, "192.0.2.99").post(f"/api/v1/public/appointments/{code}/cancel", json={"id_last4": "2345"})
    assert ok.status_code == 200 and ok.json["state"] == "cancelled"


def test_right_pairs_are_not_counted_as_failures(booking):
    slots = _slots(booking)
    client = _client(booking, "198.51.100.70")
    codes = [_book(client, slots[i]["start"], **_person(i)) for i in range(5)]
    for i, r in enumerate(codes):
        digits = _person(i)["id_number"][-4:]
        for _ in range(3):  # looked up again and again, then cancelled: 20 right answers, no 429
            assert client.get(f"/api/v1/public/appointments/{r.json['code']}?id_last4={digits}").status_code == 200
        assert client.post(f"/api/v1/public/appointments/{r.json['code']}/cancel",
                           json={"id_last4": digits}).status_code == 200


def test_an_old_six_character_booking_still_cancels_and_checks_in(booking):
    kiosk = booking.extensions["kiosk"]
    start = datetime.fromisoformat(_slots(booking)[0]["start"]).timestamp()
    with kiosk.store.transaction() as conn:  # rows as they were before migration 012
        for code in ("ABC234", "DEF567"):
            conn.execute("INSERT INTO appointments (code, service_code, slot_start, lookup, created_at) "
                         "VALUES (?, 'DD', ?, ?, ?)", [code, start, kiosk.citizens.lookup_key("001099099999"),
                                                       booking.clock.now()])
    client = _client(booking, "198.51.100.80")
    r = client.post("/api/v1/public/appointments/abc-234/cancel", json={"id_last4": "0000"})
    assert r.status_code == 200 and r.json["state"] == "cancelled" and r.json["code_display"] == "ABC-234"
    booking.clock.set(start - 600)
    r = client.post("/api/v1/appointments/DEF567/check-in", headers=bearer(booking.tokens["kiosk"]))
    assert r.status_code == 201 and r.json["priority"] == "appointment"


def test_nothing_of_the_citizen_is_kept_in_clear(booking):
    slots = _slots(booking)
    assert _book(_client(booking, "198.51.100.90"), slots[0]["start"]).status_code == 201
    kiosk = booking.extensions["kiosk"]
    row = dict(kiosk.store.conn().execute("SELECT * FROM appointments").fetchone())
    stored = " ".join(str(v) for v in row.values()).casefold()
    for secret in ("001099012345", "nguyễn", "nguyen", "van an"):
        assert secret not in stored
    assert row["holder"] and row["id_tail"] and row["holder"] != row["lookup"] and len(row["id_tail"]) == 64
