"""Booking an appointment from home (public), and its check-in by code at the kiosk.

A public booking names the citizen's ID number and full name as the card shows them; the store keeps only
keyed hashes of them (kiosk.citizens.registry.holder_key, id_tail_key). Cancelling or looking one up asks
for the code and the last 4 digits of the ID number, and answers the same whatever of the two was wrong.
Limits per address and per code: kiosk.web.booking_guard; per citizen: kiosk.queue.appointments.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, current_app, jsonify, render_template, request

from kiosk.citizens.names import normalise_name
from kiosk.queue.appointments import BookingThrottled, NoSuchAppointment, clean_code
from kiosk.queue.errors import IllegalTransition, LimitReached
from kiosk.web.body import field, json_body
from kiosk.web.booking_confirm import confirmation
from kiosk.web.booking_guard import BookingGuard
from kiosk.web.errors import ApiError
from kiosk.web.security import require, services

bp = Blueprint("api_appointments", __name__)
MAX_NAME = 100  # the longest names on cards are around 40 characters


@bp.record_once
def _guard_of(state) -> None:
    kiosk = state.app.extensions["kiosk"]
    state.app.extensions["booking_guard"] = BookingGuard(kiosk.appointments.rules, kiosk.clock.now)


def _appointments():
    return services().appointments


def _guard() -> BookingGuard:
    return current_app.extensions["booking_guard"]


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
        raise ApiError(422, "invalid", "day must be YYYY-MM-DD", text="param_date", values={"field": "day"}) from None
    return jsonify(_appointments().slots(service, day))


def _id_number(data) -> str:
    value = data.get("id_number")
    if not isinstance(value, str) or len(value) != 12 or not value.isascii() or not value.isdigit():
        raise ApiError(422, "invalid_id_number", "id_number must be the 12 digits of the CCCD")
    return value


def _full_name(data) -> str:
    value = data.get("full_name")
    if not isinstance(value, str) or len(value) > MAX_NAME or not normalise_name(value):
        raise ApiError(422, "invalid_full_name", f"full_name must be the name on the CCCD (at most {MAX_NAME} "
                                                 "characters, with letters)")
    return value


def _id_tail(value) -> str:
    if not isinstance(value, str) or len(value) != 4 or not value.isascii() or not value.isdigit():
        raise ApiError(422, "invalid_id_tail", "id_last4 must be the last 4 digits of the ID number the "
                                               "appointment was booked with")
    return value


@bp.post("/api/v1/public/appointments")
def book():
    data = json_body()
    service = field(data, "service", str)
    try:
        start = datetime.fromisoformat(field(data, "slot", str))
    except ValueError:
        raise ApiError(422, "invalid", "slot must be an ISO time with offset, as /slots gives it",
                           text="slot_time_zone") from None
    id_number, full_name = _id_number(data), _full_name(data)
    refused = _guard().book_refused()
    if refused is not None:
        return refused
    citizens = services().citizens
    try:
        appt = _appointments().book(service, start, lookup=citizens.lookup_key(id_number),
                                    holder=citizens.holder_key(id_number, full_name),
                                    id_tail=lambda code: citizens.id_tail_key(code, id_number[-4:]))
    except BookingThrottled as exc:
        _guard().give_back_booking()
        return _guard().id_refused(exc.retry_after_s, exc.message)
    except LimitReached as exc:
        if exc.code != "already_booked":  # a probe of who has booked counts like a booking
            _guard().give_back_booking()
        raise
    except Exception:
        _guard().give_back_booking()
        raise
    tz = services().clock.tz
    name = services().engine.service(appt.service).name
    return jsonify(confirmation(appt.to_api(tz), appt.slot_start, name, tz)), 201


def _verified(code: str, id_last4, action):
    """``action(code, id_tail)`` once the code and the ID digits are one booking's; a wrong pair is counted."""
    tail = _id_tail(id_last4)
    text = clean_code(code)
    refused = _guard().cancel_refused(text)
    if refused is not None:
        return refused
    citizens = services().citizens
    try:
        appt = action(code, lambda c: citizens.id_tail_key(c, tail))
    except NoSuchAppointment:
        raise  # stays counted
    except IllegalTransition:
        _guard().proved(text)  # the right pair: the booking is just no longer cancellable
        raise
    _guard().proved(text)
    return jsonify(appt.to_api(services().clock.tz))


@bp.get("/api/v1/public/appointments/<code>")
def show(code: str):
    return _verified(code, request.args.get("id_last4"), _appointments().verified)


@bp.post("/api/v1/public/appointments/<code>/cancel")
def cancel(code: str):
    data = json_body(allow_empty=True)
    return _verified(code, data.get("id_last4"), _appointments().cancel)


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
