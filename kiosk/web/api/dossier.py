"""The officer's desk: the dossier code and note of a ticket, and what the console shows of the ticket at hand.

POST /api/v1/tickets/ID/dossier {"code", "note"}   (officer of the counter serving it or that just finished it)
GET  /api/v1/counters/N/desk                        (officer of counter N): the current ticket and the one just
                                                    finished, with the booking's time and the masked name

The masked name is made here, on the server (kiosk.citizens.masking, as the kiosk shows it): the page never
receives a full name or an ID number. It is not in the queue snapshot, which every kiosk terminal receives.
Showing it is a staff read of personal data: audited once per staff member and ticket (kiosk.citizens.registry).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify

from kiosk.queue import dossier
from kiosk.queue.clock import iso
from kiosk.queue.engine import KEEP
from kiosk.queue.model import Ticket
from kiosk.web.body import json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import principal_from_request, require, require_counter, services

bp = Blueprint("api_dossier", __name__, url_prefix="/api/v1")


@bp.post("/tickets/<int:ticket_id>/dossier")
@require("officer")
def note_ticket(ticket_id: int):
    data = json_body()
    unknown = sorted(set(data) - {"code", "note"})
    if unknown or not ({"code", "note"} & set(data)):
        raise ApiError(422, "invalid", "send {\"code\"} and/or {\"note\"} (and nothing else)",
                       text="dossier_body")
    who = principal_from_request()
    if who.role == "officer" and who.counter is None:
        raise ApiError(403, "forbidden", "this account has no counter", text="note_no_counter")
    notes = services().engine.note_ticket(ticket_id, data.get("code", KEEP), data.get("note", KEEP),
                                          counter=who.counter if who.role == "officer" else None,
                                          officer_id=who.officer_id)
    return jsonify({"ticket_id": ticket_id, "dossier_code": notes.dossier_code, "note": notes.note})


def _desk_ticket(t: Ticket | None) -> dict[str, Any] | None:
    if t is None:
        return None
    kiosk = services()
    tz = kiosk.clock.tz
    notes = kiosk.engine.ticket_notes(t.id)
    citizen_key, booked = kiosk.engine.ticket_origin(t.id)
    name = kiosk.citizens.masked_name_of(citizen_key, principal_from_request(), t.id)
    until = t.finished_at + dossier.NOTE_WINDOW_S if t.state == "done" and t.finished_at is not None else None
    return {
        "id": t.id, "number": t.number, "service": t.service, "priority": t.priority, "state": t.state,
        "finished_at": iso(t.finished_at, tz),
        "dossier_code": notes.dossier_code, "note": notes.note, "notable_until": iso(until, tz),
        "appointment": None if booked is None else {
            "slot_start": iso(booked, tz), "time": f"{datetime.fromtimestamp(booked, tz):%H:%M}"},
        "citizen": None if name is None else {"name": name},
    }


@bp.get("/counters/<int:n>/desk")
@require("officer")
def desk(n: int):
    require_counter(principal_from_request(), n)
    engine = services().engine
    current = engine.current_ticket(n)
    return jsonify({"current": _desk_ticket(current), "recent": _desk_ticket(engine.last_finished(n)),
                    "note_window_s": dossier.NOTE_WINDOW_S, "code_max": dossier.CODE_MAX,
                    "note_max": dossier.NOTE_MAX})
