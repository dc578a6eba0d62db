"""Booking an appointment from home (public), and its check-in by code at the kiosk."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, jsonify, render_template, request

from kiosk.web.body import field, json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import require, services

bp = Blueprint("api_appointments", __name__)


def _appointments():
    return services().appointments


@bp.get("/book")
def book_page():
    return render_template("book.html", centre_name=services().config.centre_name, csrf_token="")


@bp.get("/api/v1/public/services")
def public_services():
    return jsonify([{"code": s.code, "name": s.name, "name_en": s.name_en}
                    for s in services().engine.services() if s.is_open])


@bp.get("/api/v1/public/slots")
def slots():
    service = request.args.get("service", "")
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        raise ApiError(422, "invalid", "day must be YYYY-MM-DD") from None
    return jsonify(_appointments().slots(service, day))


@bp.post("/api/v1/public/appointments")
def book():
    data = json_body()
    service = field(data, "service", str)
    try:
        start = datetime.fromisoformat(field(data, "slot", str))
    except ValueError:
        raise ApiError(422, "invalid", "slot must be an ISO time with offset, as /slots gives it") from None
    id_number = field(data, "id_number", str, required=False)
    lookup = None
    if id_number:
        if len(id_number) != 12 or not id_number.isdigit():
            raise ApiError(422, "invalid", "id_number must be 12 digits")
        lookup = services().citizens.lookup_key(id_number)
    appt = _appointments().book(service, start, lookup=lookup)
    return jsonify(appt.to_api(services().clock.tz)), 201


@bp.get("/api/v1/public/appointments/<code>")
def show(code: str):
    return jsonify(_appointments().get(code).to_api(services().clock.tz))


@bp.post("/api/v1/public/appointments/<code>/cancel")
def cancel(code: str):
    return jsonify(_appointments().cancel(code).to_api(services().clock.tz))


@bp.post("/api/v1/appointments/<code>/check-in")
@require("kiosk", "officer")
def check_in(code: str):
    json_body(allow_empty=True)
    appt = _appointments().get(code)
    issued = _appointments().check_in(appt)
    t = issued.ticket
    return jsonify({"id": t.id, "number": t.number, "service": t.service, "priority": t.priority,
                    "position": issued.position, "estimated_wait_s": issued.estimated_wait_s,
                    "issued_at": t.to_api(services().clock.tz)["issued_at"]}), 201
