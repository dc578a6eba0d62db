"""A face match is confirmed by the citizen, never assumed; a refused face consent is not asked again.

Driven like test_kiosk_flow_camera.py: Observations of kiosk_testlib.FakeVision into the real flow, over a real
store, queue engine, citizens registry and appointments; the answers to "Đúng là Quý khách?" are counted in the
store's ``face_checks`` through the flow's ``on_face_check``."""
from __future__ import annotations

from datetime import datetime, timedelta

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
    person_template,
    recognised,
    walk,
)

from kiosk.citizens.face_checks import face_check_counts
from kiosk.session.flow import FlowSettings, KioskFlow

NOT_ME = ("Xin lỗi Quý khách. Mời Quý khách đưa mã QR trên thẻ căn cước/CCCD vào camera, hoặc chạm để chọn "
          "lĩnh vực.")


def _tickets(k):
    return [dict(r) for r in k.store.conn().execute("SELECT number, service_code, priority, citizen_key FROM tickets")]


def _checks(k):
    return [dict(r) for r in k.store.conn().execute("SELECT day, terminal_id, outcome FROM face_checks ORDER BY id")]


def _last_seen(k):
    return k.store.conn().execute("SELECT last_seen_at FROM citizens").fetchone()[0]


def _book_now(k, service: str, lookup: str) -> None:
    """An appointment of ``lookup`` for ``service`` in the slot after the next quarter hour, checked in early."""
    slot = datetime.fromtimestamp(k.clock.now(), k.clock.tz).replace(second=0, microsecond=0) + timedelta(minutes=60)
    slot = slot.replace(minute=slot.minute - slot.minute % 15)
    k.flow.appointments.book(service, slot, lookup=lookup)
    k.clock.advance(slot.timestamp() - k.clock.now() - 10 * 60)


def test_a_match_asks_first_and_nothing_happens_in_that_name_before_yes(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, service="svc:HT")
    leave(k)
    lookup = k.citizens.lookup_key("079090001234")
    _book_now(k, "HT", lookup)
    seen_before = _last_seen(k)

    snap = enter_live(k, PERSON)
    assert snap["state"] == "confirm" and snap["via"] == "face"
    assert snap["prompt"] == {"vi": "Kính chào Quý khách Trần T. B. Đúng là Quý khách?",
                              "en": "Welcome, Trần T. B. Is this you?"}
    assert [(t["id"], t["label"], t["label_en"]) for t in snap["tiles"]] == [
        ("confirm:yes", "Đúng, là tôi", "Yes, it's me"), ("confirm:no", "Không phải tôi", "No, it's not me")]
    assert snap["citizen"] == {"name": "Trần T. B.", "id": "0790******34", "has_face": True, "is_new": False,
                               "propose_priority": None}
    # standing still in the neutral middle chooses nothing: no check-in, no ticket, last-seen untouched
    for _ in range(20):
        snap = k.feed(View(PERSON, CENTRE))
    assert snap["state"] == "confirm" and snap["ticket"] is None
    assert [t["number"] for t in _tickets(k)] == ["A001"]
    assert k.store.conn().execute("SELECT state FROM appointments").fetchone()[0] == "booked"
    assert _last_seen(k) == seen_before and _checks(k) == []

    # "yes" by dwell: the booked citizen is checked in at once, and the visit is counted
    snap, _ = dwell(k, PERSON, "confirm:yes", CENTRE, until="ticket")
    assert snap["state"] == "ticket" and snap["ticket"]["priority"] == "appointment"
    assert _tickets(k)[-1] == {"number": "A002", "service_code": "HT", "priority": "appointment", "citizen_key": lookup}
    assert k.store.conn().execute("SELECT state FROM appointments").fetchone()[0] == "checked_in"
    assert _last_seen(k) == pytest.approx(k.clock.now())
    assert _checks(k) == [{"day": "2026-11-23", "terminal_id": None, "outcome": "confirmed"}]


def test_not_me_forgets_the_match_and_the_face_is_not_recognised_again(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, service="svc:HT")
    leave(k)
    seen_before = _last_seen(k)

    confirm, snap, pos = recognised(k, PERSON, "confirm:no")
    assert confirm["state"] == "confirm"
    assert snap["state"] == "present" and snap["citizen"] is None and snap["via"] is None
    assert snap["notice"]["code"] == "not_me" and snap["notice"]["kind"] == "info" and snap["notice"]["vi"] == NOT_ME
    assert _checks(k) == [{"day": "2026-11-23", "terminal_id": None, "outcome": "rejected"}]
    assert _last_seen(k) == seen_before  # a false match keeps nobody's data longer

    # the same face stays in view: never greeted again during this visit
    states = set()
    for _ in range(25):
        states.add(k.feed(View(PERSON, pos))["state"])
    walk(k, PERSON, pos, CENTRE)
    assert states == {"present"} and k.flow.session.ref is None

    # the anonymous path by dwell, as for anyone: a ticket in nobody's name
    snap, _ = dwell(k, PERSON, "svc:DD", CENTRE, until="ticket")
    assert snap["state"] == "ticket" and snap["citizen"] is None
    assert _tickets(k)[-1] == {"number": "B001", "service_code": "DD", "priority": "normal", "citizen_key": None}
    assert len(_checks(k)) == 1


def test_not_me_then_the_card_of_the_person_in_front(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, service="svc:HT")
    leave(k)
    _, snap, pos = recognised(k, PERSON, "confirm:no")
    assert snap["state"] == "present"
    # someone who looked like the enrolled citizen shows their own card: their consent question
    for _ in range(3):
        snap = k.feed(View(PERSON, pos, card=CARD_ELDER))
    assert snap["state"] == "consent" and snap["via"] == "card"
    assert snap["citizen"]["name"] == "Lê V. C." and snap["notice"] is None
    # ... and on to a ticket: in the card's name, never in the name the face was taken for
    assert k.flow.choose("consent:no")["state"] == "priority"
    assert k.flow.choose("priority:normal")["state"] == "services"
    assert k.flow.choose("svc:HT")["state"] == "ticket"
    assert [t["citizen_key"] for t in _tickets(k)] == [k.citizens.lookup_key("079090001234"),
                                                       k.citizens.lookup_key("001050007777")]


def test_a_false_match_answered_no_issues_nothing_in_the_matched_name(tmp_path):
    """Another person's face taken for the enrolled citizen (the matcher's failure, made here by giving the
    citizen's gallery entry that person's template too): after "Không phải tôi" a service chosen by touch
    and by dwell, and the person's own card, each end in a ticket in nobody's or the card's name."""
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, service="svc:HT")
    leave(k)
    owner = k.citizens.lookup_key("079090001234")
    (identity,) = k.gallery.identities()
    k.gallery.add_many(identity, [person_template(OTHER)])

    for choose_by_touch in (True, False):
        confirm = enter_live(k, OTHER)
        assert confirm["state"] == "confirm" and confirm["citizen"]["name"] == "Trần T. B."
        if choose_by_touch:
            assert k.flow.choose("confirm:no")["state"] == "present"
            snap = k.flow.choose("svc:HT")
        else:
            _, pos = dwell(k, OTHER, "confirm:no", CENTRE)
            walk(k, OTHER, pos, CENTRE)
            snap, _ = dwell(k, OTHER, "svc:HT", CENTRE, until="ticket")
        assert snap["state"] == "ticket" and snap["citizen"] is None
        leave(k)
    assert enter_live(k, OTHER)["state"] == "confirm"
    assert k.flow.choose("confirm:no")["state"] == "present"
    for _ in range(3):
        snap = k.feed(View(OTHER, CENTRE, card=CARD_ELDER))
    assert snap["state"] == "consent" and snap["citizen"]["name"] == "Lê V. C."
    k.flow.choose("consent:no")
    k.flow.choose("priority:elderly")
    assert k.flow.choose("svc:HT")["state"] == "ticket"

    keys = [t["citizen_key"] for t in _tickets(k)]
    assert keys == [owner, None, None, k.citizens.lookup_key("001050007777")]
    assert [c["outcome"] for c in _checks(k)] == ["rejected"] * 3


def test_the_confirm_question_times_out_and_ends_when_the_person_leaves(tmp_path):
    k = make_kiosk(tmp_path, FlowSettings(idle_timeout_s=5.0))
    first_visit(k, PERSON, service="svc:HT")
    leave(k)
    assert enter_live(k, PERSON)["state"] == "confirm"
    states = [k.feed(View(PERSON, CENTRE))["state"] for _ in range(30)]  # 6 s without an answer
    ended = states.index("idle")
    assert set(states[:ended]) == {"confirm"} and ended >= 20  # 5 s at 0.2 s a frame
    # still in view: a new session starts, but that face is not asked again during this visit
    assert set(states[ended + 1:]) == {"present"}
    assert k.flow.session.ref is None and _checks(k) == []

    leave(k)
    assert enter_live(k, PERSON)["state"] == "confirm"
    snap = leave(k)
    assert snap["state"] == "idle" and snap["citizen"] is None
    assert [t["number"] for t in _tickets(k)] == ["A001"] and _checks(k) == []


def test_the_confirm_answer_by_touch(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, service="svc:HT")
    leave(k)
    assert enter_live(k, PERSON)["state"] == "confirm"
    snap = k.flow.choose("confirm:yes")
    assert snap["state"] == "services" and snap["prompt"]["vi"].startswith("Kính chào Quý khách Trần T. B.")
    assert k.flow.choose("svc:DD")["state"] == "ticket"
    assert _tickets(k)[-1]["citizen_key"] == k.citizens.lookup_key("079090001234")
    assert [c["outcome"] for c in _checks(k)] == ["confirmed"]


def test_a_count_that_cannot_be_kept_does_not_stop_the_citizen(tmp_path, caplog):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, service="svc:HT")
    leave(k)

    def broken(outcome: str) -> None:
        raise OSError("disk full")

    k.flow.on_face_check = broken
    enter_live(k, PERSON)
    assert k.flow.choose("confirm:yes")["state"] == "services"
    assert "face check could not be recorded" in caplog.text


def test_a_refused_consent_is_not_asked_again_until_the_text_changes(tmp_path):
    k = make_kiosk(tmp_path)
    snap, _, after = first_visit(k, PERSON, consent="consent:no", service="svc:HT")
    assert after["notice"]["code"] == "declined" and snap["state"] == "ticket"
    leave(k)
    # the next visit, the same card: straight to the services, without the question nor the "declined" notice
    for _ in range(3):
        snap = k.feed(View(PERSON, CENTRE, card=CARD))
    assert snap["state"] == "services" and snap["via"] == "card" and snap["notice"] is None
    assert k.store.conn().execute("SELECT COUNT(*) FROM consents").fetchone()[0] == 1
    k.flow.reset()
    leave(k)
    # a new consent text: asked again
    k.flow.consent_text_version = "test-v2"
    for _ in range(3):
        snap = k.feed(View(PERSON, CENTRE, card=CARD))
    assert snap["state"] == "consent"


def test_a_refused_consent_of_an_elder_goes_on_to_the_priority_question(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, card=CARD_ELDER, consent="consent:no")
    k.flow.reset()
    leave(k)
    for _ in range(3):
        snap = k.feed(View(PERSON, CENTRE, card=CARD_ELDER))
    assert snap["state"] == "priority" and snap["notice"] is None


def test_a_withdrawn_face_consent_is_asked_again(tmp_path):
    from kiosk.accounts.registry import Principal

    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, consent="consent:no", service="svc:HT")
    leave(k)
    (citizen_id,) = [r[0] for r in k.store.conn().execute("SELECT id FROM citizens")]
    k.citizens.withdraw_face_consent(citizen_id, Principal("user", 7, "officer", 1, "Cán bộ"))
    for _ in range(3):
        snap = k.feed(View(PERSON, CENTRE, card=CARD))
    assert snap["state"] == "consent"


def test_face_checks_count_per_day_and_terminal(tmp_path):
    from kiosk.citizens.face_checks import record_face_check
    from kiosk.queue.errors import InvalidInput
    from kiosk.store import open_store

    store = open_store(tmp_path / "data")
    with store.transaction() as conn:
        for day, terminal, outcome in [("2026-11-23", None, "confirmed"), ("2026-11-23", 1, "rejected"),
                                       ("2026-11-23", 1, "confirmed"), ("2026-11-24", 2, "rejected"),
                                       ("2026-11-25", 2, "confirmed")]:
            record_face_check(conn, outcome, 1.0, day, terminal)
    conn = store.conn()
    assert face_check_counts(conn, "2026-11-23", "2026-11-24") == {
        "from": "2026-11-23", "to": "2026-11-24", "confirmed": 2, "rejected": 2,
        "by_terminal": {1: {"confirmed": 1, "rejected": 1}, 2: {"confirmed": 0, "rejected": 1}},
        "by_day": [{"day": "2026-11-23", "confirmed": 2, "rejected": 1, "rejected_share": pytest.approx(1 / 3)},
                   {"day": "2026-11-24", "confirmed": 0, "rejected": 1, "rejected_share": 1.0}]}
    assert face_check_counts(conn, "2026-11-25", "2026-11-25")["by_day"] == [
        {"day": "2026-11-25", "confirmed": 1, "rejected": 0, "rejected_share": 0.0}]
    assert face_check_counts(conn, "2026-11-26", "2026-12-31") == {
        "from": "2026-11-26", "to": "2026-12-31", "confirmed": 0, "rejected": 0, "by_terminal": {}, "by_day": []}
    for bad in [("maybe", 1.0, "2026-11-23", None), ("confirmed", 1.0, "23/11/2026", None),
                ("confirmed", "now", "2026-11-23", None), ("confirmed", 1.0, "2026-11-23", "kiosk-1")]:
        with pytest.raises(InvalidInput), store.transaction() as conn:
            record_face_check(conn, *bad)
    for start, end in [("2026-11-24", "2026-11-23"), ("2026-13-01", "2026-12-31"), ("", "2026-11-23")]:
        with pytest.raises(InvalidInput):
            face_check_counts(store.conn(), start, end)
    assert store.conn().execute("SELECT COUNT(*) FROM face_checks").fetchone()[0] == 5
    columns = {r[1] for r in store.conn().execute("PRAGMA table_info(face_checks)")}
    assert columns == {"id", "at", "day", "terminal_id", "outcome"}  # nothing that points to a citizen
    store.close()


def test_a_flow_without_face_check_callback_still_confirms(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON, service="svc:HT")
    leave(k)
    flow = KioskFlow(citizens=k.citizens, engine=k.engine, clock=k.now, consent_text_version="test-v1",
                     templates_of=k.vision.templates_of)
    k.flow = flow
    assert enter_live(k, PERSON)["state"] == "confirm"
    assert flow.choose("confirm:no")["state"] == "present"
    assert _checks(k) == []
    assert k.feed(EMPTY)["state"] == "present"
