"""Citizens' data: sealed at rest, consent before enrolment, audited reads, deletion and retention."""
from __future__ import annotations

import pytest
from core_fixtures import bearer

from kiosk.accounts.registry import Principal
from kiosk.citizens.crypto import CryptoError, Vault, load_or_create_key
from kiosk.citizens.registry import CitizenRegistry
from kiosk.queue.errors import IllegalTransition, NotFound

CARD = {"id_number": "001099012345", "old_id_number": None, "full_name": "Nguyễn Văn An",
        "date_of_birth": "1950-03-04", "sex": "Nam", "address": "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
        "issue_date": "2021-05-06"}
OFFICER = Principal("user", 7, "officer", 1, "Cán bộ")


@pytest.fixture
def registry(store, clock, tmp_path):
    return CitizenRegistry(store, Vault(load_or_create_key(tmp_path / "keys" / "citizen.key")), clock)


def test_card_is_sealed_and_screen_is_masked(registry, store, tmp_path):
    ref = registry.remember_card(CARD)
    assert ref.is_new and ref.masked_name == "Nguyễn V. A." and ref.masked_id == "0010******45"
    assert ref.proposes_elderly and ref.to_screen()["propose_priority"] == "elderly"
    store.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = (store.path).read_bytes()
    for secret in (b"001099012345", "Nguyễn Văn An".encode(), "Tràng Tiền".encode()):
        assert secret not in raw
    assert (tmp_path / "keys" / "citizen.key").stat().st_mode & 0o077 == 0
    again = registry.remember_card(CARD)
    assert again.id == ref.id and not again.is_new


def test_key_file_is_required_to_read(registry, store, tmp_path, clock):
    ref = registry.remember_card(CARD)
    other = CitizenRegistry(store, Vault(load_or_create_key(tmp_path / "other.key")), clock)
    with pytest.raises(CryptoError):
        other.read(ref.id, OFFICER)


def test_no_face_enrolment_without_granted_consent(registry):
    ref = registry.remember_card(CARD)
    declined = registry.record_consent(ref.id, granted=False, text_version="v1")
    with pytest.raises(IllegalTransition):
        registry.enrol_face(ref.id, [b"\x00" * 516], declined)
    assert registry.face_templates() == {}
    granted = registry.record_consent(ref.id, granted=True, text_version="v1")
    registry.enrol_face(ref.id, [b"\x01" * 516, b"\x02" * 516], granted)
    assert registry.face_templates() == {ref.id: [b"\x01" * 516, b"\x02" * 516]}


def test_staff_reads_are_audited_and_delete_forgets(registry, store):
    ref = registry.remember_card(CARD)
    forgotten = []
    registry.on_forget(forgotten.append)
    data = registry.read(ref.id, OFFICER, reason="hồ sơ đất đai")
    assert data["record"]["full_name"] == "Nguyễn Văn An"
    assert registry.find("001099012345", OFFICER) == ref.id
    actions = [e["action"] for e in registry.audit_entries()]
    assert actions[:2] == ["search", "read"]
    registry.delete(ref.id, OFFICER)
    assert forgotten == [ref.id]
    assert store.conn().execute("SELECT COUNT(*) FROM citizens").fetchone()[0] == 0
    assert registry.audit_entries()[0]["action"] == "delete"


def test_retention_purge(registry, clock):
    old = registry.remember_card(CARD)
    clock.advance(200 * 86400)
    fresh = registry.remember_card({**CARD, "id_number": "079201000001", "date_of_birth": "2001-01-01"})
    clock.advance(200 * 86400)
    assert registry.purge_expired(365) == 1
    ids = {r[0] for r in registry.store.conn().execute("SELECT id FROM citizens")}
    assert ids == {fresh.id} and old.id not in ids


def test_citizen_api_audits_and_needs_roles(app, client, tokens):
    registry = app.extensions["kiosk"].citizens
    ref = registry.remember_card(CARD)
    assert client.get(f"/api/v1/citizens/{ref.id}", headers=bearer(tokens["kiosk"])).status_code == 403
    r = client.get(f"/api/v1/citizens/{ref.id}?reason=ho-so", headers=bearer(tokens["officer1"]))
    assert r.status_code == 200 and r.json["record"]["id_number"] == "001099012345"
    r = client.post("/api/v1/citizens/search", json={"id_number": "12"}, headers=bearer(tokens["officer1"]))
    assert r.status_code == 422
    audit = client.get("/api/v1/audit", headers=bearer(tokens["manager"])).json
    assert audit[0]["action"] == "read" and audit[0]["actor_role"] == "officer"
    assert client.delete(f"/api/v1/citizens/{ref.id}", headers=bearer(tokens["officer1"])).status_code == 200
    assert client.get(f"/api/v1/citizens/{ref.id}", headers=bearer(tokens["officer1"])).status_code == 404


def test_log_redaction():
    from kiosk.runtime.logs import redact

    line = redact("read 001099012345|123456789|Nguyễn Văn An|04031950|Nam|Hà Nội|06052021 ok")
    assert "001099012345" not in line and "Nguyễn Văn An" not in line
    assert redact("card 001099012345 seen") == "card 001*******45 seen"


def test_log_redaction_covers_tracebacks(caplog):
    import logging

    from kiosk.runtime.logs import RedactingFilter

    logger = logging.getLogger("kiosk.test.redaction")
    handler_filter = RedactingFilter()
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(handler_filter)
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("bad card 001099012345|123456789|Nguyễn Văn An|04031950|Nam|Hà Nội|06052021")
        except ValueError:
            logger.exception("reading failed for 079090001234")
    finally:
        logger.removeHandler(handler)
    assert records and "001099012345" not in records[0] and "079090001234" not in records[0]
    assert "Nguyễn Văn An" not in records[0] and "ValueError" in records[0]


def test_a_refusal_of_face_consent_is_remembered_per_text_version(registry, clock):
    ref = registry.remember_card(CARD)
    other = registry.remember_card({**CARD, "id_number": "079201000001"})
    assert registry.declined_face(ref.id, "v1") is False  # never asked
    registry.record_consent(ref.id, granted=False, text_version="v1")
    assert registry.declined_face(ref.id, "v1") is True
    assert registry.declined_face(ref.id, "v2") is False  # a new text: asked again
    assert registry.declined_face(other.id, "v1") is False  # someone else's answer
    clock.advance(60)
    registry.record_consent(ref.id, granted=True, text_version="v1")
    assert registry.declined_face(ref.id, "v1") is False  # the latest answer counts
    clock.advance(60)
    registry.record_consent(ref.id, granted=False, text_version="v1")
    assert registry.declined_face(ref.id, "v1") is True
    # a withdrawn answer is not a refusal: withdrawing at the counter marks every open answer
    registry.withdraw_face_consent(ref.id, OFFICER)
    assert registry.declined_face(ref.id, "v1") is False


def test_same_second_answers_are_ordered_by_their_recording(registry):
    ref = registry.remember_card(CARD)
    registry.record_consent(ref.id, granted=True, text_version="v1")
    registry.record_consent(ref.id, granted=False, text_version="v1")  # the same clock tick
    assert registry.declined_face(ref.id, "v1") is True


def test_the_latest_consent_answer_is_found_by_index(registry, store):
    plan = store.conn().execute(
        "EXPLAIN QUERY PLAN SELECT granted, withdrawn_at FROM consents WHERE citizen_id = ? AND purpose = ? "
        "AND text_version = ? ORDER BY at DESC, id DESC LIMIT 1", [1, "face_recognition", "v1"]).fetchall()
    assert any("USING INDEX consents_citizen" in row["detail"] for row in plan), [row["detail"] for row in plan]


def test_a_face_match_is_shown_masked_without_touching_last_seen(registry, clock):
    ref = registry.remember_card(CARD)
    seen = registry.store.conn().execute("SELECT last_seen_at FROM citizens").fetchone()[0]
    clock.advance(3600)
    peek = registry.ref(ref.id)
    assert peek.masked_name == "Nguyễn V. A." and peek.masked_id == "0010******45" and not peek.is_new
    assert registry.store.conn().execute("SELECT last_seen_at FROM citizens").fetchone()[0] == seen
    registry.seen(ref.id)
    assert registry.store.conn().execute("SELECT last_seen_at FROM citizens").fetchone()[0] == seen + 3600
    with pytest.raises(NotFound):
        registry.ref(ref.id + 99)


def test_a_cards_holder_key_meets_the_name_as_typed_and_is_forgotten_with_the_citizen(registry, store, engine):
    from datetime import timedelta

    from core_fixtures import MORNING

    from kiosk.queue.appointments import Appointments

    ref = registry.remember_card({**CARD, "full_name": "NGUYỄN VĂN AN"})
    assert ref.holder == registry.holder_key("001099012345", "nguyen  van an")
    assert ref.holder != registry.holder_key("001099012345", "Nguyễn Văn Anh")
    assert ref.holder != registry.holder_key("001099012346", "Nguyễn Văn An") and ref.holder != ref.lookup
    assert registry.holder_key("001099012345", " .. ") is None
    assert registry.id_tail_key("ABCDE23456", "2345") != registry.id_tail_key("ABCDE23457", "2345")
    Appointments(engine).book("HT", MORNING + timedelta(hours=2), lookup=ref.lookup, holder=ref.holder,
                              id_tail=lambda code: registry.id_tail_key(code, "2345"))
    registry.delete(ref.id, OFFICER)
    row = store.conn().execute("SELECT lookup, holder, id_tail FROM appointments").fetchone()
    assert tuple(row) == (None, None, None)
