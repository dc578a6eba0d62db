"""The face gallery holds the citizens seen within ``[vision] gallery_window_days``; a confirmed visit refreshes
a citizen's templates (up to ``max_templates``), a refused match never does.

Over a real store, citizens registry and Gallery: the kiosk flow driven by kiosk_testlib (FakeVision, injected
clock), and the real app's terminal hub (no terminal, so no worker process) for the wiring at start and while
the service runs."""
from __future__ import annotations

import json

import numpy as np
import pytest
from kiosk_testlib import CARD, PERSON, View, dwell, enter_live, first_visit, leave, make_kiosk, recognised

from kiosk.citizens.registry import FACE_PURPOSE, WINDOW_DROP, unpack_templates
from kiosk.config import Config, ConfigError
from kiosk.queue.clock import FakeClock
from kiosk.session.flow import FlowError, FlowSettings
from kiosk.terminals.gallery_window import GalleryWindow
from kiosk.vision.gallery import template_to_bytes

DAY = 86400.0
ID_NUMBER = "079090001234"
OTHER_CARD = {"id_number": "001088004321", "full_name": "Phạm Văn Đức", "date_of_birth": "1988-04-05"}


def _template(seed: int) -> bytes:
    return template_to_bytes(np.random.default_rng(seed).normal(0.0, 0.1, 128))


def _enrol(citizens, card: dict, seeds=(1, 2, 3), hub=None) -> int:
    """A citizen's card, consent and templates; into ``hub``'s gallery as the kiosk flow's enrolment puts them."""
    from kiosk.vision.gallery import template_from_bytes

    ref = citizens.remember_card(card)
    consent = citizens.record_consent(ref.id, True, "test-v1")
    citizens.enrol_face(ref.id, [_template(s) for s in seeds], consent)
    if hub is not None:
        hub.enrol(str(ref.id), [template_from_bytes(_template(s)) for s in seeds])
    return ref.id


def _stored(k, citizen_id: int) -> tuple[list[bytes], int]:
    row = k.store.conn().execute("SELECT face FROM citizens WHERE id = ?", [citizen_id]).fetchone()
    return unpack_templates(k.citizens.vault.open(row[0], FACE_PURPOSE))


def _window(k, keep: bool = False, days: int = 90) -> GalleryWindow:
    """A window over the kiosk's own gallery (the one FakeVision matches against), as the hub wires it."""
    window = GalleryWindow(k.citizens, days, keep, put=k.gallery.replace, remove=k.gallery.remove)
    loaded = window.load()
    k.gallery.clear()
    for identity in loaded.identities():
        k.gallery.add_many(identity, loaded.templates(identity))
    window.gallery = k.gallery
    k.citizens.on_seen(window.seen)
    return window


# -- the window --------------------------------------------------------------------------------------------


@pytest.fixture
def app_at(tmp_path):
    """An app over tmp_path with vision on and an injected clock; call it again to restart the service."""
    from kiosk_testlib import MORNING

    from kiosk.app import create_app

    apps = []
    clock = FakeClock(MORNING)

    def start(**vision):
        if apps:
            apps.pop().extensions["kiosk"].close()
        app = create_app({"data_dir": str(tmp_path / "data"), "vision": {"enabled": True, **vision}}, clock=clock)
        apps.append(app)
        return app.extensions["kiosk"]

    start.clock = clock
    yield start
    for app in apps:
        app.extensions["kiosk"].close()


def test_a_citizen_seen_100_days_ago_is_not_in_a_90_day_gallery_until_their_card_is_read(app_at):
    kiosk = app_at(keep_templates_outside_window=True, gallery_window_days=90)
    old = _enrol(kiosk.citizens, {"id_number": ID_NUMBER, "full_name": "Trần Thị Bình"})
    app_at.clock.advance(100 * DAY)
    recent = _enrol(kiosk.citizens, OTHER_CARD, seeds=(7, 8))

    kiosk = app_at(keep_templates_outside_window=True, gallery_window_days=90)  # the service starts again
    hub = kiosk.terminals
    assert hub.gallery.identities() == [str(recent)] and hub.gallery.count(str(recent)) == 2
    assert kiosk.citizens.face_templates_of(old) != []  # kept, sealed, outside the window

    kiosk.citizens.remember_card({"id_number": ID_NUMBER, "full_name": "Trần Thị Bình"})  # the card again
    assert str(old) in hub.gallery
    assert [template_to_bytes(t) for t in hub.gallery.templates(str(old))] == [_template(s) for s in (1, 2, 3)]


def test_citizens_leave_the_gallery_while_the_service_runs_and_their_templates_are_dropped(app_at):
    kiosk = app_at(gallery_window_days=90)
    hub = kiosk.terminals
    first = _enrol(kiosk.citizens, {"id_number": ID_NUMBER, "full_name": "Trần Thị Bình"}, hub=hub)
    app_at.clock.advance(50 * DAY)
    second = _enrol(kiosk.citizens, OTHER_CARD, hub=hub)
    assert set(hub.gallery.identities()) == {str(first), str(second)}

    app_at.clock.advance(39 * DAY)  # first seen 89 days ago: still in
    assert hub.window.check() == [] and str(first) in hub.gallery
    app_at.clock.advance(2 * DAY)
    assert hub.window.check() == [first]
    assert hub.gallery.identities() == [str(second)]
    row = kiosk.store.conn().execute("SELECT face, face_consent_id FROM citizens WHERE id = ?", [first]).fetchone()
    assert row["face"] is None and row["face_consent_id"] is None
    audit = [e for e in kiosk.citizens.audit_entries() if e["action"] == WINDOW_DROP]
    assert [(e["citizen_id"], e["detail"]) for e in audit] == [
        (first, "face templates dropped: outside the gallery window (90 days)")]
    consent = kiosk.store.conn().execute("SELECT granted, withdrawn_at FROM consents WHERE citizen_id = ?",
                                         [first]).fetchone()
    assert (consent["granted"], consent["withdrawn_at"]) == (1, None)  # the answer stays as given

    # the card again: no templates to bring back
    assert kiosk.citizens.remember_card({"id_number": ID_NUMBER}).has_face is False
    assert str(first) not in hub.gallery
    assert hub.window.check() == []  # nothing left twice


def test_keep_templates_outside_window_takes_them_out_of_the_gallery_only(app_at):
    kiosk = app_at(keep_templates_outside_window=True, gallery_window_days=30)
    hub = kiosk.terminals
    first = _enrol(kiosk.citizens, {"id_number": ID_NUMBER, "full_name": "Trần Thị Bình"}, hub=hub)
    app_at.clock.advance(31 * DAY)
    assert hub.window.check() == [first] and str(first) not in hub.gallery
    assert len(kiosk.citizens.face_templates_of(first)) == 3
    assert not [e for e in kiosk.citizens.audit_entries() if e["action"] == WINDOW_DROP]
    assert kiosk.citizens.remember_card({"id_number": ID_NUMBER}).has_face
    assert hub.gallery.count(str(first)) == 3
    app_at.clock.advance(31 * DAY)
    assert hub.window.check() == [first]  # and out again after another month away


def test_the_terminals_worker_follows_the_window(tmp_path, app_at):
    """A kiosk terminal's real vision worker: its gallery gets the returning citizen and loses the one who left."""
    from kiosk_testlib import until

    from kiosk.accounts.registry import create_token
    from kiosk.store import open_store

    store = open_store(tmp_path / "data")
    with store.transaction() as conn:
        create_token(conn, "kiosk")
    store.close()
    kiosk = app_at(keep_templates_outside_window=True, gallery_window_days=30)
    hub = kiosk.terminals
    worker = hub.all()[0].worker
    assert worker is not None and worker.wait_ready(120)

    def in_worker() -> int | None:
        return worker.worker_stats.get("gallery")

    first = _enrol(kiosk.citizens, {"id_number": ID_NUMBER}, hub=hub)
    second = _enrol(kiosk.citizens, OTHER_CARD, seeds=(7, 8), hub=hub)
    until(lambda: in_worker() == 5, what="both citizens in the worker's gallery")
    app_at.clock.advance(31 * DAY)
    assert sorted(hub.window.check()) == [first, second]
    until(lambda: in_worker() == 0, what="both out of the worker's gallery")
    kiosk.citizens.remember_card(OTHER_CARD)
    until(lambda: in_worker() == 2, what="the citizen whose card was read back in the worker's gallery")
    assert hub.gallery.identities() == [str(second)]


def test_the_window_is_checked_once_a_minute_from_the_hubs_ticker(tmp_path):
    k = make_kiosk(tmp_path)
    first = _enrol(k.citizens, {"id_number": ID_NUMBER})
    ticks = [0.0]
    window = GalleryWindow(k.citizens, 1, False, put=k.gallery.replace, remove=k.gallery.remove,
                           monotonic=lambda: ticks[0])
    window.load()
    k.clock.advance(2 * DAY)
    ticks[0] = 59.0
    window.tick()
    assert k.citizens.face_templates_of(first) != []  # not yet checked
    ticks[0] = 60.0
    window.tick()
    assert k.citizens.face_templates_of(first) == []


def test_a_citizen_whose_templates_were_dropped_is_asked_again_and_enrols_again(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON)
    leave(k)
    window = _window(k)
    citizen = k.store.conn().execute("SELECT id FROM citizens").fetchone()[0]
    assert str(citizen) in k.gallery
    k.clock.advance(91 * DAY)
    assert window.check() == [citizen] and str(citizen) not in k.gallery

    # recognised no longer: the card, then the consent question again (a granted answer is not a refusal)
    snap = enter_live(k, PERSON)
    assert snap["state"] == "present"
    for _ in range(3):
        snap = k.feed(View(PERSON, card=CARD))
    assert snap["state"] == "consent"
    snap, pos = dwell(k, PERSON, "consent:yes", (0.5, 0.5))
    for _ in range(5):
        if snap["state"] != "enrolling":
            break
        snap = k.feed(View(PERSON, pos))
    assert snap["state"] == "services" and k.gallery.count(str(citizen)) == 3
    granted = k.store.conn().execute("SELECT COUNT(*) FROM consents WHERE citizen_id = ? AND granted = 1",
                                     [citizen]).fetchone()[0]
    assert granted == 2


# -- templates refreshed from confirmed visits ---------------------------------------------------------------


def test_confirmed_visits_add_their_templates_up_to_max_keeping_the_enrolments(tmp_path):
    k = make_kiosk(tmp_path, FlowSettings(max_templates=6))
    first_visit(k, PERSON)
    leave(k)
    citizen = k.store.conn().execute("SELECT id FROM citizens").fetchone()[0]
    enrolled, n = _stored(k, citizen)
    assert n == 3 and len(enrolled) == 3

    seen: list[list[bytes]] = []
    for _ in range(3):
        _, snap, _ = recognised(k, PERSON, "confirm:yes")
        assert snap["state"] in ("services", "ticket")
        visit = [template_to_bytes(t) for t in k.vision.templates_of(k.vision.track.track_id)]
        seen.append(visit)
        k.flow.reset()
        leave(k)
        stored, n = _stored(k, citizen)
        assert stored[:3] == enrolled and n == 3  # the enrolment's stay first
        assert len(stored) == min(6, 3 + sum(len(v) for v in seen))
        assert stored[3:] == [t for v in seen for t in v][-(len(stored) - 3):]  # the newest of the visits
        assert [template_to_bytes(t) for t in k.gallery.templates(str(citizen))] == stored
    assert len(stored) == 6


def test_a_refused_or_unanswered_match_adds_nothing(tmp_path):
    k = make_kiosk(tmp_path)
    first_visit(k, PERSON)
    leave(k)
    citizen = k.store.conn().execute("SELECT id FROM citizens").fetchone()[0]
    before = _stored(k, citizen)

    _, snap, _ = recognised(k, PERSON, "confirm:no")
    assert snap["state"] == "present"
    leave(k)
    assert _stored(k, citizen) == before and k.gallery.count(str(citizen)) == 3

    assert enter_live(k, PERSON)["state"] == "confirm"
    leave(k)  # walked away without answering
    assert _stored(k, citizen) == before and k.gallery.count(str(citizen)) == 3


def test_no_refresh_once_the_face_consent_is_withdrawn(tmp_path):
    from kiosk.citizens.registry import SYSTEM

    k = make_kiosk(tmp_path)
    citizen = _enrol(k.citizens, {"id_number": ID_NUMBER})
    assert len(k.citizens.add_face_templates(citizen, [_template(9)], 6)) == 4
    k.citizens.withdraw_face_consent(citizen, SYSTEM)
    assert k.citizens.add_face_templates(citizen, [_template(10)], 6) is None
    assert k.citizens.face_templates_of(citizen) == []


def test_templates_sealed_before_as_json_hex_are_read_and_refreshed(tmp_path):
    k = make_kiosk(tmp_path)
    citizen = _enrol(k.citizens, {"id_number": ID_NUMBER})
    old = [_template(s) for s in (4, 5)]
    blob = k.citizens.vault.seal(json.dumps([t.hex() for t in old]).encode(), FACE_PURPOSE)
    with k.store.transaction() as conn:
        conn.execute("UPDATE citizens SET face = ? WHERE id = ?", [blob, citizen])
    assert k.citizens.face_templates() == {citizen: old}
    kept = k.citizens.add_face_templates(citizen, [_template(6)], 3)
    assert kept == [*old, _template(6)] and _stored(k, citizen) == (kept, 2)
    assert k.citizens.add_face_templates(citizen, [_template(7)], 3) == [*old, _template(7)]


# -- queries and settings ----------------------------------------------------------------------------------


def test_the_window_queries_use_the_index_of_enrolled_citizens(tmp_path):
    k = make_kiosk(tmp_path)
    conn = k.store.conn()

    def plan(sql: str, *args) -> str:
        return " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args))

    assert "citizens_face_seen" in plan("SELECT id, face FROM citizens WHERE face IS NOT NULL AND last_seen_at >= ?", 0)
    assert "citizens_face_seen" in plan("SELECT id FROM citizens WHERE face IS NOT NULL AND last_seen_at >= ? "
                                        "AND last_seen_at < ?", 0, 1)
    assert "USING COVERING INDEX consents_citizen" in plan("UPDATE consents SET citizen_id = NULL "
                                                           "WHERE citizen_id = ?", 1)


@pytest.mark.parametrize(("values", "message"), [
    ({"vision": {"gallery_window_days": 0}}, "[vision] gallery_window_days: must be between 1 and 3650, not 0"),
    ({"vision": {"gallery_window_days": 3651}}, "[vision] gallery_window_days: must be between 1 and 3650"),
    ({"vision": {"gallery_window_days": 400}},
     "[kiosk] retention_days: must be at least [vision] gallery_window_days (400), not 365"),
    ({"retention_days": 20}, "[kiosk] retention_days: must be at least [vision] gallery_window_days (30), not 20"),
    ({"vision": {"keep_templates_outside_window": "sometimes"}},
     "[vision] keep_templates_outside_window: must be true or false"),
    ({"vision": {"max_templates": 2}}, "[vision] max_templates: must be at least enrol_templates (3), not 2"),
    ({"vision": {"max_templates": 21}}, "[vision] max_templates: must be between 1 and 20, not 21"),
])
def test_bad_gallery_settings_are_refused_clearly(values, message):
    with pytest.raises(ConfigError) as err:
        Config.from_dict(values)
    assert message in str(err.value)


def test_gallery_settings_defaults_and_values():
    cfg = Config.from_dict({"retention_days": 200, "vision": {"gallery_window_days": 200, "max_templates": 4,
                                                              "keep_templates_outside_window": True}})
    assert (cfg.vision.gallery_window_days, cfg.vision.keep_templates_outside_window, cfg.vision.flow.max_templates) \
        == (200, True, 4)
    default = Config.from_dict({})
    assert (default.vision.gallery_window_days, default.vision.keep_templates_outside_window,
            default.vision.flow.max_templates) == (30, False, 6)
    with pytest.raises(FlowError, match="max_templates must be at least enrol_templates"):
        FlowSettings(enrol_templates=4, max_templates=3)
