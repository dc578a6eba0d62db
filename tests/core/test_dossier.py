"""The dossier code (mã hồ sơ) and note on a ticket (issue 13): the engine's rules, the event, the reports'
count and ticket list (which agree with the event log), and that neither leaves the centre."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from core_fixtures import fresh_engine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.city.extract import Extractor
from kiosk.queue import dossier
from kiosk.queue import events as ev
from kiosk.queue.clock import iso
from kiosk.queue.engine import KEEP
from kiosk.queue.errors import IllegalTransition, InvalidInput, QueueError
from kiosk.reports.query import ReportQuery, report
from kiosk.reports.tickets import TicketQuery, ticket_rows
from kiosk.texts.vi import error_vi

CODE = "000.00.12.H26-241202-0001"


def _vi(exc: pytest.ExceptionInfo) -> str:
    return error_vi(exc.value.code, exc.value.text, exc.value.values)


@pytest.mark.parametrize("typed, stored", [
    (CODE, CODE), ("  000.00.12.h26-241202-0001 ", CODE), ("H26.22-241202-0001", "H26.22-241202-0001"),
    ("12/2024/HS_01", "12/2024/HS_01"), ("ABC", "ABC"), ("", None), ("   ", None), (None, None),
])
def test_accepted_codes(typed, stored):
    assert dossier.clean_code(typed) == stored


@pytest.mark.parametrize("typed", [
    "AB", "A" * 41, "-ABC", "ABC.", "AB..CD", "AB-.CD", "ĐẤT-001", "AB CD", "AB;DROP", "A\u200bBC", 12, ["ABC"],
])
def test_refused_codes_say_the_rule_in_vietnamese(typed):
    with pytest.raises(InvalidInput) as exc:
        dossier.clean_code(typed)
    assert exc.value.code == "invalid_dossier_code" and exc.value.status == 422
    assert _vi(exc).startswith("Mã hồ sơ gồm 3 đến 40 ký tự")


def test_notes_are_one_clean_line():
    assert dossier.clean_note("  thiếu\n bản sao   CCCD ") == "thiếu bản sao CCCD"
    assert dossier.clean_note("Thie\u0302\u0301u") == "Thiếu"  # NFC
    assert dossier.clean_note(None) == ""
    for bad in ("x" * 201, "a\u0000b", "a\u202eb", 5):
        with pytest.raises(InvalidInput) as exc:
            dossier.clean_note(bad)
        assert exc.value.code == "invalid_note" and _vi(exc) == "Ghi chú chỉ gồm một dòng, tối đa 200 ký tự."


def _serve(engine, counter=1, service="HT"):
    t = engine.issue_ticket(service).ticket
    engine.call_ticket(counter, t.id)
    engine.start(counter)
    return t


def test_note_the_ticket_at_the_counter_then_the_one_just_finished(engine, clock):
    t = _serve(engine)
    notes = engine.note_ticket(t.id, CODE.lower(), " thiếu  tờ khai ", counter=1, officer_id=None)
    assert (notes.dossier_code, notes.note) == (CODE, "thiếu tờ khai")
    event = engine.published[-1]
    assert isinstance(event, ev.TicketNoted)
    assert (event.ticket_id, event.counter, event.dossier_code, event.note) == (t.id, 1, CODE, "thiếu tờ khai")
    # a key left out stays; null clears
    assert engine.note_ticket(t.id, note="đã bổ sung", counter=1).dossier_code == CODE
    assert engine.note_ticket(t.id, dossier_code=None, note=KEEP, counter=1) == type(notes)(None, "đã bổ sung")
    engine.finish(1)
    clock.advance(dossier.NOTE_WINDOW_S - 1)
    assert engine.last_finished(1).id == t.id
    assert engine.note_ticket(t.id, CODE, counter=1).dossier_code == CODE
    assert engine.ticket_notes(t.id).dossier_code == CODE
    clock.advance(2)
    assert engine.last_finished(1) is None
    with pytest.raises(IllegalTransition) as late:
        engine.note_ticket(t.id, "X-1-2", counter=1)
    assert late.value.code == "note_refused"
    assert _vi(late) == f"Số {t.number} đã kết thúc quá 10 phút: không còn ghi được mã hồ sơ tại quầy."
    assert engine.ticket_notes(t.id).dossier_code == CODE  # the refusal changed nothing


def test_other_counters_and_states_are_refused(engine):
    t = _serve(engine)
    with pytest.raises(IllegalTransition) as other:
        engine.note_ticket(t.id, CODE, counter=3)
    assert _vi(other).startswith(f"Số {t.number} được phục vụ tại quầy 1, không phải quầy của Quý khách")
    waiting = engine.issue_ticket("HT").ticket
    with pytest.raises(IllegalTransition) as state:
        engine.note_ticket(waiting.id, CODE, counter=1)
    assert _vi(state) == f"Không ghi được mã hồ sơ cho số {waiting.number}: số này đang chờ."
    assert engine.note_ticket(t.id, CODE).dossier_code == CODE  # an administrator: no counter check
    with pytest.raises(InvalidInput):  # bad input is refused before any transaction
        engine.note_ticket(t.id, "??", counter=1)


def test_the_event_row_round_trips_and_ships_neither_code_nor_note(engine, store):
    t = _serve(engine)
    engine.note_ticket(t.id, CODE, "bà Nguyễn Thị Hoa gọi lại sau", counter=1, officer_id=7)
    row = dict(store.conn().execute("SELECT * FROM events WHERE type = 'ticket_noted'").fetchone())
    assert ev.event_from_row(row) == engine.published[-1]
    extractor = Extractor("S1", engine.clock.tz, b"k" * 32)
    rows = [dict(r) for r in store.conn().execute("SELECT * FROM events ORDER BY id")]
    shipped = [extractor.event(r, epoch=1) for r in rows]
    noted = [s for s in shipped if s["type"] == "ticket_noted"]
    assert len(noted) == 1 and noted[0]["data"] == {} and noted[0]["officer"] != 7
    text = json.dumps(shipped, ensure_ascii=False, default=str)
    assert CODE not in text and "Hoa" not in text and "gọi lại sau" not in text


def test_reports_count_tickets_with_a_code_and_list_them_as_the_events_say(engine, store, clock):
    a = _serve(engine, 1)
    engine.note_ticket(a.id, CODE, "ghi chú", counter=1)
    clock.advance(300)
    engine.finish(1)
    b = _serve(engine, 3)
    engine.note_ticket(b.id, "B-2", counter=3)
    engine.note_ticket(b.id, dossier_code="", counter=3)  # cleared again: not counted
    clock.advance(60)
    engine.finish(3)
    c = _serve(engine, 2, "DD")
    engine.note_ticket(c.id, "DD-0003", counter=2)
    engine.issue_ticket("HT")  # still waiting
    day = datetime.fromtimestamp(clock.now(), clock.tz).date()
    body = report(store, clock, ReportQuery(day, day, "service"))
    by = {r["key"]: r["dossiers"] for r in body["rows"]}
    assert by == {"HT": 1, "DD": 1} and body["total"]["dossiers"] == 2
    assert {r["key"]: r["dossiers"] for r in report(store, clock, ReportQuery(day, day, "counter"))["rows"]} == \
        {1: 1, 2: 1, 3: 0, None: 0}

    rows = ticket_rows(store, clock, TicketQuery(day, day))
    assert [r["number"] for r in rows] == [t.number for t in engine.tickets_of_day()]
    assert [r["dossier_code"] for r in rows] == [CODE, None, "DD-0003", None]
    assert rows[0]["note"] == "ghi chú" and rows[0]["service_s"] == 300.0 and rows[0]["counter"] == 1
    assert [r["number"] for r in ticket_rows(store, clock, TicketQuery(day, day, "DD"))] == [c.number]
    # every row agrees with the event log, event by event
    log = [e for _, e in engine.events(0, 10_000)]
    for r in rows:
        mine = [e for e in log if getattr(e, "ticket_id", None) == r["id"]]
        first = {type(e): e for e in reversed(mine)}
        assert r["issued_at"] == _iso(first[ev.TicketIssued].at, clock)
        assert r["called_at"] == (_iso(first[ev.TicketCalled].at, clock) if ev.TicketCalled in first else None)
        assert r["finished_at"] == (_iso(first[ev.TicketFinished].at, clock) if ev.TicketFinished in first else None)
        noted = [e for e in mine if isinstance(e, ev.TicketNoted)]
        assert r["dossier_code"] == (noted[-1].dossier_code if noted else None)
        assert r["note"] == (noted[-1].note if noted else "")


def _iso(at, clock):
    return iso(at, clock.tz)


# weighted by repetition: a day where tickets get called and noted, not only issued
NOTE_ACTIONS = ["issue", "issue", "next", "next", "start", "finish", "no_show", "transfer", "note", "note", "note",
                "clear", "advance"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(NOTE_ACTIONS), st.integers(1, 3), st.integers(0, 700)),
                      min_size=5, max_size=50))
@example(steps=[("issue", 1, 0), ("next", 1, 0), ("note", 1, 5), ("start", 1, 0), ("advance", 1, 30),
                ("finish", 1, 0), ("issue", 1, 1), ("next", 3, 0), ("note", 3, 7), ("clear", 3, 0),
                ("advance", 1, 601), ("note", 1, 9)])
def test_random_days_the_list_and_the_count_agree_with_the_event_log(tmp_path_factory, steps):
    """Property: whatever the officers did, each row of the ticket list says what the event log says (its
    outcome is the ticket's state, its code the newest ticket_noted's), and the reports count those codes."""
    store, engine = fresh_engine(tmp_path_factory.mktemp("notes"))
    clock = engine.clock
    try:
        for action, counter, pick in steps:
            try:
                if action == "issue":
                    engine.issue_ticket(["HT", "DD"][pick % 2])
                elif action == "next":
                    engine.call_next(counter)
                elif action in ("start", "finish", "no_show"):
                    getattr(engine, action)(counter)
                elif action == "transfer":
                    current = engine.current_ticket(counter)
                    if current is not None:
                        engine.transfer(current.id, "DD" if current.service == "HT" else "HT", counter=counter)
                elif action in ("note", "clear"):
                    at = [n for n in (counter, 1, 2, 3) if engine.current_ticket(n) or engine.last_finished(n)]
                    counter = at[0] if at else counter
                    target = engine.current_ticket(counter) or engine.last_finished(counter)
                    if target is not None:
                        engine.note_ticket(target.id, f"HS-{pick}" if action == "note" else None,
                                           f"ghi chú {pick}", counter=counter)
                else:
                    clock.advance(pick)
            except QueueError:
                pass
        conn = store.conn()
        days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM tickets ORDER BY day")]
        if not days:
            return
        first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
        rows = ticket_rows(store, clock, TicketQuery(first, last))
        log = [e for _, e in engine.events(0, 100_000)]
        tickets = {r["id"]: r for r in conn.execute("SELECT id, state, dossier_code, note FROM tickets")}
        assert sorted(r["id"] for r in rows) == sorted(tickets)
        for r in rows:
            mine = [e for e in log if getattr(e, "ticket_id", None) == r["id"]]
            noted = [e for e in mine if isinstance(e, ev.TicketNoted)]
            assert r["outcome"] == tickets[r["id"]]["state"]
            assert r["dossier_code"] == (noted[-1].dossier_code if noted else None) == tickets[r["id"]]["dossier_code"]
            assert r["note"] == (noted[-1].note if noted else "")
            assert r["issued_at"] == iso(mine[0].at, clock.tz) and isinstance(mine[0], ev.TicketIssued)
            moved = [i for i, e in enumerate(mine) if isinstance(e, ev.TicketTransferred)]
            since = mine[moved[-1] + 1:] if moved else mine
            calls = [e for e in since if type(e) is ev.TicketCalled]
            assert r["called_at"] == (iso(calls[0].at, clock.tz) if calls else None)
            assert r["service"] == (mine[moved[-1]] if moved else mine[0]).service
        total = report(store, clock, ReportQuery(first, last, "service"))["total"]
        assert total["dossiers"] == sum(1 for r in rows if r["dossier_code"])
    finally:
        store.close()


def test_a_store_of_schema_14_migrates_and_its_rolled_up_days_count_no_codes(tmp_path):
    """Migration 16 over a store an older release left: its tickets and rollups stay, with no code."""
    from app_support import store_at_version

    from kiosk.store import open_store

    conn = store_at_version(tmp_path / "data", 14)
    old_rows = ("INSERT INTO services (code, name, prefix) VALUES ('HT', 'Hộ tịch', 'A')",
                          "INSERT INTO tickets (day, prefix, seq, number, service_code, priority, state, issued_at) "
                          "VALUES ('2026-11-20', 'A', 1, 'A001', 'HT', 'normal', 'done', 1.0)",
                          "INSERT INTO report_rollups (dim, day, key, issued, served, no_show, cancelled, expired, "
                          "waits, wait_sum, services, service_sum, target_base, over_target, served_in_target, "
                          "r1, r2, r3, r4, r5, wait_hist) VALUES ('service', '2026-11-20', 'HT', 1, 1, 0, 0, 0, 1, "
                          "60, 1, 300, 1, 0, 1, 0, 0, 0, 0, 0, '')")
    for sql in old_rows:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    store = open_store(tmp_path / "data")
    try:
        c = store.conn()
        assert tuple(c.execute("SELECT number, dossier_code, note FROM tickets").fetchone()) == ("A001", None, None)
        assert c.execute("SELECT dossiers FROM report_rollups").fetchone()[0] == 0
        plan = " ".join(r[3] for r in c.execute("EXPLAIN QUERY PLAN SELECT slot_start FROM appointments "
                                                "WHERE ticket_id = 1"))
        assert "appointments_ticket" in plan
    finally:
        store.close()
