"""Typed events: rows written before the events had their own fields rebuild into typed events, keep their
wire shape, and the hall's ticket_called payload is one dict for the display and the devices."""
from __future__ import annotations

import json
import time
from dataclasses import FrozenInstanceError, fields
from datetime import datetime

import pytest
from core_fixtures import bearer

from kiosk.display.announcement import Call
from kiosk.display.fanout import CallFanout
from kiosk.queue import events as ev
from kiosk.queue.clock import centre_timezone

AT = 1_790_000_010.0


def old_row(type_: str, ticket_id, counter, officer_id, service, data: str) -> dict:
    """A row as the engine wrote it before typed events (data: the JSON text it stored)."""
    return {"id": 7, "at": AT, "type": type_, "ticket_id": ticket_id, "counter_number": counter,
            "officer_id": officer_id, "service_code": service, "data": data}


# (row, the typed event it is, the flat payload queue_event / GET /events showed for it)
OLD_ROWS = [
    (old_row("ticket_issued", 3, None, None, "HT",
             '{"channel": "kiosk", "number": "A003", "position": 2, "priority": "elderly"}'),
     ev.TicketIssued(at=AT, ticket_id=3, number="A003", service="HT", priority="elderly", channel="kiosk",
                     position=2)),
    (old_row("ticket_called", 3, 1, 11, "HT", '{"number": "A003", "priority": "elderly", "recall": false}'),
     ev.TicketCalled(at=AT, ticket_id=3, number="A003", service="HT", priority="elderly", counter=1, officer_id=11)),
    (old_row("ticket_recalled", 3, 1, 11, "HT",
             '{"number": "A003", "priority": "elderly", "recall": true, "recalls": 2}'),
     ev.TicketRecalled(at=AT, ticket_id=3, number="A003", service="HT", priority="elderly", counter=1,
                       officer_id=11, recalls=2)),
    (old_row("ticket_started", 3, 1, 11, "HT", '{"number": "A003"}'),
     ev.TicketStarted(at=AT, ticket_id=3, number="A003", service="HT", counter=1, officer_id=11)),
    (old_row("ticket_finished", 3, 1, 11, "HT", '{"number": "A003"}'),
     ev.TicketFinished(at=AT, ticket_id=3, number="A003", service="HT", counter=1, officer_id=11)),
    (old_row("ticket_no_show", 3, 1, None, "HT", '{"automatic": true, "number": "A003", "recalls": 3}'),
     ev.TicketNoShow(at=AT, ticket_id=3, number="A003", service="HT", counter=1, automatic=True, recalls=3)),
    (old_row("ticket_transferred", 3, 1, 11, "DD", '{"from": "HT", "number": "A003", "to": "DD"}'),
     ev.TicketTransferred(at=AT, ticket_id=3, number="A003", service="DD", from_service="HT", counter=1,
                          officer_id=11)),
    (old_row("ticket_held", 3, 1, 11, "HT", '{"number": "A003", "reason": "Bổ sung giấy tờ"}'),
     ev.TicketHeld(at=AT, ticket_id=3, number="A003", service="HT", counter=1, officer_id=11,
                   reason="Bổ sung giấy tờ")),
    (old_row("ticket_returned", 3, None, None, "HT", '{"number": "A003"}'),
     ev.TicketReturned(at=AT, ticket_id=3, number="A003", service="HT")),
    (old_row("ticket_cancelled", 3, None, 11, "HT", '{"number": "A003", "reason": ""}'),
     ev.TicketCancelled(at=AT, ticket_id=3, number="A003", service="HT", officer_id=11)),
    (old_row("ticket_expired", 3, 1, None, "HT", '{"day": "2026-09-21", "number": "A003", "was": "called"}'),
     ev.TicketExpired(at=AT, ticket_id=3, number="A003", service="HT", was="called", day="2026-09-21", counter=1)),
    (old_row("ticket_noted", 3, 1, 11, "HT",
             '{"dossier_code": "000.00.12.H26-241202-0001", "note": "", "number": "A003"}'),
     ev.TicketNoted(at=AT, ticket_id=3, number="A003", service="HT", counter=1, officer_id=11,
                    dossier_code="000.00.12.H26-241202-0001")),
    (old_row("counter_opened", None, 2, 12, None, "{}"), ev.CounterOpened(at=AT, counter=2, officer_id=12)),
    (old_row("counter_paused", None, 2, 12, None, '{"reason": "Nghỉ giải lao"}'),
     ev.CounterPaused(at=AT, counter=2, officer_id=12, reason="Nghỉ giải lao")),
    (old_row("counter_resumed", None, 2, 12, None, "{}"), ev.CounterResumed(at=AT, counter=2, officer_id=12)),
    (old_row("counter_closed", None, 2, None, None, "{}"), ev.CounterClosed(at=AT, counter=2)),
]


def old_payload(row: dict) -> dict:
    """The flat payload of the untyped events: the columns under their wire names, the data, the type."""
    return {"at": row["at"], "ticket_id": row["ticket_id"], "counter": row["counter_number"],
            "officer_id": row["officer_id"], "service": row["service_code"], **json.loads(row["data"]),
            "type": row["type"]}


def test_every_type_has_an_old_row_case():
    assert {row["type"] for row, _ in OLD_ROWS} == set(ev.EVENT_TYPES)


@pytest.mark.parametrize(("row", "typed"), OLD_ROWS, ids=[r["type"] for r, _ in OLD_ROWS])
def test_old_rows_rebuild_into_typed_events(row, typed):
    event = ev.event_from_row(row)
    assert event == typed and type(event) is type(typed)
    # the wire keeps every key and value it had (call events gain the screens' names, an issue the
    # terminal that issued it; None for old rows)
    payload, before = event.payload(), old_payload(row)
    assert {k: payload[k] for k in before} == before
    assert set(payload) - set(before) <= {"service_name", "counter_name", "terminal"}
    # and the row it would write now reads back as the same event
    again = ev.event_from_row({"id": 1, **event.row()})
    assert again == event
    assert json.loads(event.row()["data"]).items() >= {k: v for k, v in json.loads(row["data"]).items()}.items()


def test_rows_lacking_keys_take_the_defaults_and_unknown_types_are_refused():
    bare = ev.event_from_row(old_row("ticket_called", 3, 1, None, "HT", '{"number": "A003"}'))
    assert isinstance(bare, ev.TicketCalled) and bare.priority == "normal" and bare.recall is False
    assert ev.event_from_row(old_row("ticket_recalled", 3, 1, None, "HT", '{"number": "A003"}')).recall is True
    assert ev.event_from_row(old_row("counter_paused", None, 1, None, None, None)).reason == ""
    with pytest.raises(ValueError, match="unknown event type"):
        ev.event_from_row(old_row("ticket_teleported", 3, 1, None, "HT", "{}"))
    with pytest.raises(ValueError, match="lacks a field"):
        ev.event_from_row(old_row("ticket_started", 3, 1, None, "HT", "{}"))  # no number


def test_events_are_frozen_and_carry_only_their_own_fields():
    paused = ev.CounterPaused(at=AT, counter=1, reason="Họp")
    with pytest.raises(FrozenInstanceError):
        paused.reason = "x"  # type: ignore[misc]
    assert {f.name for f in fields(ev.CounterPaused)} == {"at", "counter", "officer_id", "reason"}
    assert {f.name for f in fields(ev.TicketIssued)} == {"at", "ticket_id", "number", "service", "priority",
                                                        "channel", "position", "terminal"}
    assert isinstance(ev.TicketRecalled(at=AT, ticket_id=1, number="A001", service="HT", priority="normal",
                                        counter=1), ev.TicketCalled)
    for cls in ev.EVENT_TYPES.values():
        assert cls.__doc__ and "\n" not in cls.__doc__.strip()  # one line each


def test_ticket_called_payload_is_design_shaped():
    call = ev.TicketRecalled(at=AT, ticket_id=3, number="A003", service="HT", priority="merit", counter=2,
                             recalls=1, service_name="Tư pháp – Hộ tịch", counter_name="Quầy 2")
    payload = ev.ticket_called_payload(call, centre_timezone())
    assert payload == {"number": "A003", "counter": 2, "service": "HT", "priority": "merit",
                       "called_at": datetime.fromtimestamp(AT, centre_timezone()).isoformat(timespec="seconds"),
                       "recall": True, "service_name": "Tư pháp – Hộ tịch", "counter_name": "Quầy 2",
                       "ticket_id": 3}


def test_display_and_devices_get_the_same_ticket_called_payload(app, client, tokens):
    """The /display push and what the LED board, the announcer and the pager are handed are one payload."""
    kiosk = app.extensions["kiosk"]
    shown, announced, pages = [], [], []
    fanout = CallFanout(announce=announced.append, show=shown.append,
                        page=lambda card, number, counter, text, recall: pages.append((number, counter, recall)) or 1,
                        router=_OneCard(), tz=kiosk.engine.clock.tz)
    kiosk.bus.subscribe(fanout)
    display = kiosk.socketio.test_client(app, namespace="/display")
    display.get_received("/display")
    client.post("/api/v1/tickets", json={"service": "HT", "priority": "merit"}, headers=bearer(tokens["kiosk"]))
    for path in ("next", "recall"):
        assert client.post(f"/api/v1/counters/1/{path}", headers=bearer(tokens["officer1"])).status_code == 200
    called = _wait_for(lambda: [m["args"][0] for m in display.get_received("/display")
                                if m["name"] == "ticket_called"], 2, shown)
    assert [p["recall"] for p in called] == [False, True]
    assert shown == called  # the LED board listener is handed the very dict the hall display gets
    assert announced == [Call.from_event(p) for p in called]
    assert pages == [(p["number"], p["counter"], p["recall"]) for p in called]
    assert called[0]["service_name"] == "Tư pháp – Hộ tịch" and called[0]["counter_name"] == "Quầy 1"
    snap = client.get("/api/v1/queue", headers=bearer(tokens["manager"])).json
    assert snap["recent_calls"] == called[::-1]  # the snapshot's recent calls are the same payloads
    display.disconnect("/display")


class _OneCard:
    def officer_cards(self, counter: int) -> list[int]:
        return [counter]

    def citizen_card(self, ticket_id: int) -> int | None:
        return None


def _wait_for(read, count: int, also: list, timeout: float = 5.0) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (len(got) < count or len(also) < count):
        got += read()
        time.sleep(0.02)
    return got
