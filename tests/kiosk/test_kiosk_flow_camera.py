"""The whole touch-free flow, fed Observations directly (kiosk_testlib.FakeVision, milliseconds a frame),
over a real SQLite store and the real queue engine: from "nobody there" to "ticket issued".

The same scenarios through a real vision worker (zxing-cpp, dlib on composed images) are in
test_kiosk_flow_worker.py."""
from __future__ import annotations

import logging
from datetime import datetime

import pytest
from kiosk_testlib import (
    CARD,
    CARD_ELDER,
    CENTRE,
    EMPTY,
    OTHER,
    PERSON,
    View,
    dwell,
    enter_live,
    first_visit,
    leave,
    make_kiosk,
    recognised,
    walk,
)


def _tickets(k):
    return [dict(r) for r in k.store.conn().execute("SELECT number, service_code, priority, citizen_key FROM tickets")]


def _consents(k):
    return [dict(r) for r in k.store.conn().execute("SELECT citizen_id, granted, text_version, at FROM consents")]


def test_first_visit_with_card_and_consent_then_recognised_by_face(tmp_path):
    k = make_kiosk(tmp_path)
    snap, _, after = first_visit(k, PERSON)
    assert after["state"] == "enrolling"
    assert snap["state"] == "ticket" and snap["ticket"]["number"] == "B001"
    assert snap["citizen"] == {"name": "Trần T. B.", "id": "0790******34", "has_face": False, "is_new": True,
                               "propose_priority": None}
    (citizen_id,) = [int(i) for i in k.gallery.identities()]
    assert k.gallery.count(str(citizen_id)) == 3  # three templates from different frames
    assert len(k.citizens.face_templates()[citizen_id]) == 3
    consent = _consents(k)
    assert consent == [{"citizen_id": citizen_id, "granted": 1, "text_version": "test-v1", "at": consent[0]["at"]}]
    lookup = k.citizens.lookup_key("079090001234")
    assert _tickets(k) == [{"number": "B001", "service_code": "DD", "priority": "normal", "citizen_key": lookup}]

    assert leave(k)["state"] == "idle"
    confirm, snap, pos = recognised(k, PERSON)
    assert confirm["via"] == "face" and confirm["citizen"]["name"] == "Trần T. B."
    assert confirm["prompt"]["vi"] == "Kính chào Quý khách Trần T. B. Đúng là Quý khách?"
    assert snap["state"] == "services" and snap["via"] == "face"
    assert snap["citizen"]["name"] == "Trần T. B." and snap["citizen"]["has_face"] is True
    assert snap["prompt"]["vi"].startswith("Kính chào Quý khách Trần T. B.")
    walk(k, PERSON, pos, CENTRE)
    snap, _ = dwell(k, PERSON, "svc:HT", CENTRE, until="ticket")
    assert snap["state"] == "ticket" and snap["ticket"]["number"] == "A001"
    assert _tickets(k)[1] == {"number": "A001", "service_code": "HT", "priority": "normal", "citizen_key": lookup}


def test_declined_consent_enrols_nothing_and_still_gives_a_ticket(tmp_path):
    k = make_kiosk(tmp_path)
    snap, _, after = first_visit(k, OTHER, consent="consent:no", service="svc:HT")
    assert after["state"] == "services" and after["notice"]["code"] == "declined"
    assert snap["state"] == "ticket" and snap["ticket"]["number"] == "A001"
    assert len(k.gallery) == 0 and k.citizens.face_templates() == {}
    (row,) = _consents(k)
    assert row["granted"] == 0 and row["text_version"] == "test-v1" and row["at"] == pytest.approx(k.clock.now(), abs=60)
    # next visit: the face is not known, so the kiosk is back to the card or anonymous path
    leave(k)
    snap = enter_live(k, OTHER)
    assert snap["state"] == "present" and snap["citizen"] is None


def test_per_person_daily_limit_follows_the_identity(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, service="svc:DD")
    leave(k)
    _, _, pos = recognised(k, PERSON)
    walk(k, PERSON, pos, CENTRE)
    snap, pos = dwell(k, PERSON, "svc:DD", CENTRE)
    assert snap["state"] == "services"
    assert snap["notice"]["code"] == "person_limit_reached" and "hôm nay" in snap["notice"]["vi"]
    assert [t["number"] for t in _tickets(k)] == ["B001"]
    # the same person shows the card instead of the face: the same identity, the same limit
    leave(k)
    for _ in range(3):
        k.feed(View(PERSON, CENTRE, card=CARD))
    assert k.flow.state == "services" and k.flow.session.via == "card"
    assert k.flow.choose("svc:DD")["notice"]["code"] == "person_limit_reached"
    # an anonymous ticket (no identity) is not counted against anyone
    k.flow.reset()
    snap = k.flow.choose("svc:DD")
    assert snap["state"] == "ticket" and _tickets(k)[-1]["citizen_key"] is None


def test_a_still_photo_held_up_is_not_accepted_as_the_citizen(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON)
    leave(k)
    seen_before = k.store.conn().execute("SELECT last_seen_at FROM citizens").fetchone()[0]
    # the enrolled citizen's photo moved rigidly in front of the camera: no parallax, no blink
    decisions = set()
    for i in range(14):
        snap = k.feed(View(PERSON, (0.42 + 0.012 * i, 0.5 - 0.004 * i), live=False))
        face = snap["overlay"]["faces"][0]
        decisions.add(face["decision"])
        assert face["accepted"] is False and face["liveness"] != "live"
        assert snap["state"] == "present" and snap["citizen"] is None
    assert "identified" in decisions  # it does look like the citizen: liveness is what refuses it
    assert k.store.conn().execute("SELECT last_seen_at FROM citizens").fetchone()[0] == seen_before
    assert len(_tickets(k)) == 1


def test_elderly_priority_is_proposed_and_chosen_without_touch(tmp_path):
    k = make_kiosk(tmp_path)
    snap, pos, _ = first_visit(k, OTHER, card=CARD_ELDER, consent="consent:no")
    assert snap["state"] == "priority" and snap["citizen"]["propose_priority"] == "elderly"
    walk(k, OTHER, pos, CENTRE)
    snap, pos = dwell(k, OTHER, "priority:elderly", CENTRE)
    assert snap["state"] == "services" and snap["priority"] == "elderly"
    walk(k, OTHER, pos, CENTRE)
    snap, _ = dwell(k, OTHER, "svc:HT", CENTRE, until="ticket")
    assert snap["ticket"]["priority"] == "elderly" and _tickets(k)[0]["priority"] == "elderly"


@pytest.mark.parametrize("payload, code, words", [
    ("https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", "url", "địa chỉ web"),
    (CARD_ELDER.encode("utf-8").decode("cp1252", errors="replace"), "mojibake", "sai ký tự"),
    ("079090001234||Trần Thị Bình|31021990|Nữ|12 Lê Lợi|10052021", "bad_card", "không phải mã QR"),
])
def test_bad_qr_payloads_are_refused_with_a_reason_on_screen(tmp_path, payload, code, words):
    k = make_kiosk(tmp_path)
    snap = None
    for _ in range(3):
        snap = k.feed(View(card=payload))
    assert snap["state"] == "present" and snap["citizen"] is None
    assert snap["notice"]["code"] == code and words in snap["notice"]["vi"]
    assert k.store.conn().execute("SELECT COUNT(*) FROM citizens").fetchone()[0] == 0
    # the notice goes away by itself
    for _ in range(40):
        snap = k.feed(EMPTY)
    assert snap["notice"] is None and snap["state"] == "idle"


def test_camera_lost_falls_back_to_touch_and_resumes(tmp_path):
    k = make_kiosk(tmp_path)
    assert k.feed(EMPTY)["mode"] == "camera"
    k.feed(EMPTY)
    lost = [k.feed(None) for _ in range(3)]  # what the worker reports for a lost camera, or while it is down
    snap = lost[-1]
    assert snap["mode"] == "touch" and snap["camera_ok"] is False
    assert snap["notice"]["vi"] == "Camera không hoạt động — Quý khách vui lòng chạm màn hình"
    assert snap["notice"]["until"] is None and snap["cursor"] is None
    # touch still works while the camera is away
    k.flow.reset()
    assert k.flow.choose("svc:HT")["state"] == "ticket"
    assert k.flow.choose("done")["state"] == "idle"
    snap = k.feed(EMPTY)
    assert snap["mode"] == "camera" and snap["notice"] is None and snap["camera_ok"] is True


def test_nothing_personal_reaches_the_logs_or_the_disk(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    k = make_kiosk(tmp_path)
    before = {p for p in tmp_path.rglob("*")}
    first_visit(k, PERSON)
    k.feed(View(card="https://example.invalid/x"))
    k.store.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    secrets = ["079090001234", "Trần Thị Bình", "02031990", "Lê Lợi", CARD]
    text = caplog.text
    for s in secrets:
        assert s not in text
    for record in caplog.records:
        assert "079090" not in str(record.args)
    new_files = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    assert not [p for p in new_files if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp", ".npy")]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for s in secrets:
                assert s.encode("utf-8") not in data, f"{s[:4]}… in clear in {path.name}"
            assert b"\xff\xd8\xff" not in data[:4], f"a JPEG on disk: {path.name}"


def test_booked_appointment_needs_no_choice(tmp_path):
    from datetime import timedelta

    k = make_kiosk(tmp_path)
    lookup = k.citizens.lookup_key("079090001234")
    slot = datetime.fromtimestamp(k.clock.now(), k.clock.tz).replace(second=0, microsecond=0) + timedelta(minutes=60)
    slot = slot.replace(minute=slot.minute - slot.minute % 15)
    k.flow.appointments.book("DD", slot, lookup=lookup)
    k.clock.advance(slot.timestamp() - k.clock.now() - 10 * 60)  # ten minutes early
    assert enter_live(k, OTHER)["state"] == "present"
    for _ in range(3):
        snap = k.feed(View(OTHER, CENTRE, card=CARD))
    assert snap["state"] == "consent"
    snap, _ = dwell(k, OTHER, "consent:no", CENTRE)
    assert snap["state"] == "ticket"  # straight from the consent answer to the ticket: no service choice
    assert snap["ticket"]["service"] == "DD" and snap["ticket"]["priority"] == "appointment"
    assert _tickets(k) == [{"number": "B001", "service_code": "DD", "priority": "appointment", "citizen_key": lookup}]
