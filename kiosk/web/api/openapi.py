"""The OpenAPI 3.1 document of the HTTP API, served at /api/v1/openapi.json."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)

_ERR = {"$ref": "#/components/responses/Error"}


def _op(summary: str, roles: str, body: dict | None = None, ok: str = "200", result: dict | None = None,
        params: list | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "description": f"Roles: {roles}.",
        "responses": {ok: {"description": "OK", "content": {"application/json": {"schema": result or {"type": "object"}}}},
                      "400": _ERR, "401": _ERR, "403": _ERR, "404": _ERR, "409": _ERR, "422": _ERR},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _counter_param() -> list:
    return [{"name": "n", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}]


def _ticket_param() -> list:
    return [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def _device_schema(alert: bool = False) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": ["kiosk", "display", "printer", "pager", "led", "camera"]},
        "name": {"type": "string"}, "state": {"type": "string", "enum": ["online", "offline", "fault"]},
        "detail": {"type": "string"},
    }
    if alert:
        props |= {"at": {"type": "number", "description": "epoch seconds"}, "active": {"type": "boolean"}}
    else:
        props["last_seen"] = {"type": ["number", "null"], "description": "epoch seconds"}
    return {"type": "object", "required": list(props), "properties": props}


def _report_row_schema() -> dict[str, Any]:
    """DESIGN.md's ROW (null where there is nothing to average), plus ``expired``."""
    number = {"type": ["number", "null"]}
    props: dict[str, Any] = {
        "key": {"type": ["string", "integer", "null"]}, "label": {"type": "string"},
        **{k: {"type": "integer"} for k in ("issued", "served", "no_show", "cancelled", "expired", "ratings")},
        **{k: number for k in ("wait_mean_s", "wait_p90_s", "wait_max_s", "service_mean_s", "over_sla_pct",
                               "satisfied_pct")},
    }
    required = list(props)
    props["dossiers"] = {"type": "integer", "description": "tickets with a dossier code (mã hồ sơ)"}
    return {"type": "object", "required": required, "properties": props}


_THROTTLED = {"$ref": "#/components/responses/Throttled"}
_APPOINTMENT = {"$ref": "#/components/schemas/Appointment"}


def _public_appointments(paths: dict[str, Any], code_param: list) -> None:
    """The booking page's routes: no login; limited per address, per citizen and per code (docs/booking.md)."""
    last4 = {"type": "string", "pattern": "^[0-9]{4}$", "description": "the last 4 digits of the ID number the "
             "appointment was booked with"}
    book = _op("Book an appointment", "public", ok="201", result=_APPOINTMENT, body={
                   "type": "object", "required": ["service", "slot", "id_number", "full_name"], "properties": {
                       "service": {"type": "string"}, "slot": {"type": "string", "format": "date-time"},
                       "id_number": {"type": "string", "pattern": "^[0-9]{12}$"},
                       "full_name": {"type": "string", "maxLength": 100,
                                     "description": "as on the card; compared case-folded, without diacritics "
                                                    "or extra spaces; kept only as a keyed hash"}}})
    show = _op("An appointment by its code and the last 4 ID digits", "public", result=_APPOINTMENT,
               params=[*code_param, {"name": "id_last4", "in": "query", "required": True, "schema": last4}])
    cancel = _op("Cancel an appointment by its code and the last 4 ID digits", "public", result=_APPOINTMENT,
                 params=code_param,
                 body={"type": "object", "required": ["id_last4"], "properties": {"id_last4": last4}})
    book["description"] += (" Bound to the ID number and the name as the CCCD shows them: the kiosk checks the card "
                            "in against both. 409 slot_full, or already_booked (the same ID number and name hold a "
                            "booking for the service); 429 booking_throttled (per address) or booking_id_limit "
                            "(per citizen).")
    wrong = (" 404 appointment_not_found for a wrong code and for wrong digits alike; each counts, and 429 "
             "cancel_throttled follows too many (per address, per code).")
    show["description"] += wrong
    cancel["description"] += wrong + " 409 appointment_checked_in, appointment_cancelled, appointment_expired."
    for op in (book, show, cancel):
        op["security"] = []
        op["responses"]["429"] = _THROTTLED
    paths["/public/appointments"] = {"post": book}
    paths["/public/appointments/{code}"] = {"get": show}
    paths["/public/appointments/{code}/cancel"] = {"post": cancel}


def document() -> dict[str, Any]:
    ticket_ref = {"$ref": "#/components/schemas/Ticket"}
    ticket_or_null = {"type": "object", "properties": {"ticket": {"oneOf": [ticket_ref, {"type": "null"}]}}}
    paths: dict[str, Any] = {
        "/services": {"get": _op("List services (lĩnh vực)", "any", result={
            "type": "array", "items": {"$ref": "#/components/schemas/Service"}})},
        "/counters": {"get": _op("List counters", "any", result={
            "type": "array", "items": {"$ref": "#/components/schemas/Counter"}})},
        "/queue": {"get": _op("Live snapshot: waiting per service, counters and their current tickets", "any")},
        "/me": {"get": _op("Who am I", "any")},
        "/tickets": {
            "post": _op("Issue a ticket", "kiosk, officer, admin", body={
                "type": "object", "required": ["service"], "properties": {
                    "service": {"type": "string"},
                    "priority": {"type": "string", "enum": ["normal", "elderly", "disabled", "pregnant", "merit"]}}},
                ok="201", result={"$ref": "#/components/schemas/IssuedTicket"},
                params=[{"name": "Idempotency-Key", "in": "header", "required": False,
                         "description": "A retry with the same key (same caller, same day) answers 200 with "
                                        "the ticket issued the first time and issues nothing new.",
                         "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,100}$"}}]),
            "get": _op("Today's tickets (filter ?state=)", "officer, manager, admin"),
        },
        "/tickets/{id}": {"get": _op("A ticket with its position", "any", params=_ticket_param())},
        "/tickets/{id}/transfer": {"post": _op(
            "Transfer to another service, or to one counter (only it calls the ticket, before its own queue)",
            "officer, admin",
            body={"type": "object", "minProperties": 1, "properties": {
                "service": {"type": "string", "description": "the new service (omitted: the ticket keeps its own)"},
                "counter": {"type": "integer", "minimum": 1,
                            "description": "the counter that alone calls it next; it must list the service "
                                           "(closed or paused: the ticket waits for it)"}}},
            params=_ticket_param())},
        "/tickets/{id}/cancel": {"post": _op("Cancel a waiting or held ticket", "officer, admin", params=_ticket_param())},
        "/tickets/{id}/return": {"post": _op("Return a held ticket to its queue", "officer, admin",
                                             params=_ticket_param())},
        "/stats": {"get": _op("Statistics of a day, derived from events (?day=YYYY-MM-DD)", "manager, admin")},
        "/events": {"get": _op("The append-only event log (?since=ID&limit=N)", "manager, admin")},
    }
    for action, summary in (("next", "Call the next ticket"), ("recall", "Recall the current ticket"),
                            ("start", "Start serving the called ticket"), ("finish", "Finish the current ticket"),
                            ("no-show", "Mark the called ticket as no-show"), ("hold", "Hold the current ticket")):
        body = {"type": "object", "properties": {"finish_current": {"type": "boolean"}}} if action == "next" else None
        paths[f"/counters/{{n}}/{action}"] = {"post": _op(summary, "officer of counter n, admin", body=body,
                                                          result=ticket_or_null, params=_counter_param())}
    paths["/counters/{n}/call"] = {"post": _op("Call a particular ticket", "officer of counter n, admin",
                                               body={"type": "object", "description": "ticket_id, or number: today's ticket "
                                                     "of that number (e.g. A012, typed on the console)",
                                                     "properties": {"ticket_id": {"type": "integer"},
                                                                    "number": {"type": "string"}}},
                                               result=ticket_or_null, params=_counter_param())}
    paths["/counters/{n}/pause"] = {"post": _op("Pause with a reason", "officer of counter n, admin",
                                                body={"type": "object", "required": ["reason"],
                                                      "properties": {"reason": {"type": "string", "maxLength": 200}}},
                                                params=_counter_param())}
    paths["/counters/{n}/rating"] = {"post": _op(
        "Rate the ticket just finished at counter n (its rating tablet, page /rate; once per ticket)",
        "rating token of counter n", ok="201", params=_counter_param(),
        body={"type": "object", "required": ["ticket", "score"],
              "properties": {"ticket": {"type": "integer"}, "score": {"type": "integer", "minimum": 1, "maximum": 5}}})}
    for action in ("resume", "open", "close"):
        paths[f"/counters/{{n}}/{action}"] = {"post": _op(f"{action.capitalize()} the counter",
                                                          "officer of counter n, admin", params=_counter_param())}
    for path, summary in (("/admin/services", "Create a service"), ("/admin/counters", "Create a counter"),
                          ("/admin/users", "Create a user"), ("/admin/tokens", "Create a bearer token")):
        paths[path] = {"post": _op(summary, "admin", body={"type": "object"}, ok="201")}
    code_param = [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]
    number_param = [{"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}]
    id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    obj = {"type": "object"}
    paths["/admin/services/{code}"] = {"put": _op("Edit a service", "admin", body=obj, params=code_param)}
    paths["/admin/counters/{number}"] = {"put": _op("Edit a counter and the services it serves", "admin", body={
        "type": "object", "required": ["services"], "properties": {"name": {"type": "string"},
                                                                   "services": {"type": "array"}}},
        params=number_param)}
    paths["/admin/tokens"]["get"] = _op("List tokens (never the secrets)", "admin")
    paths["/admin/tokens/{id}"] = {"delete": _op("Revoke a token", "admin", params=id_param)}
    paths["/admin/users"]["get"] = _op("List users", "admin")
    paths["/admin/users/{id}/active"] = {"post": _op("Activate or deactivate a user", "admin", body={
        "type": "object", "required": ["active"], "properties": {"active": {"type": "boolean"}}}, params=id_param)}
    paths["/admin/users/{id}/password"] = {"post": _op(
        "Set a user's password; every session of the user ends at once", "admin", body={
            "type": "object", "required": ["password"], "properties": {"password": {"type": "string", "minLength": 8}}},
        params=id_param)}
    paths["/admin/users/{id}/unlock"] = {"post": _op(
        "Forget the user's failed sign-ins (lift a sign-in lockout early)", "admin", params=id_param)}
    change = _op("Change one's own password (current one checked under the sign-in throttle); the user's other "
                 "sessions end, this one stays", "officer, manager, admin (a person's sign-in)", body={
                     "type": "object", "required": ["current_password", "new_password"],
                     "properties": {"current_password": {"type": "string"},
                                    "new_password": {"type": "string", "minLength": 8}}})
    change["responses"]["429"] = {**_ERR, "description": "too many wrong passwords: error code login_throttled, "
                                                         "a Retry-After header"}
    paths["/me/password"] = {"post": change}
    paths["/citizens/search"] = {"post": _op("Find a citizen by ID number (audited)", "officer, manager, admin", body={
        "type": "object", "required": ["id_number"], "properties": {"id_number": {"type": "string"}}})}
    paths["/citizens/{id}"] = {
        "get": _op("Read a citizen's record (audited; ?reason=)", "officer, manager, admin", params=id_param),
        "delete": _op("Delete a citizen's data on request (audited)", "officer, admin", params=id_param),
    }
    paths["/citizens/{id}/withdraw-face"] = {"post": _op("Withdraw face consent: templates deleted",
                                                         "officer, admin", params=id_param)}
    paths["/audit"] = {"get": _op("The audit log of staff access to personal data", "manager, admin")}
    paths["/public/services"] = {"get": _op("Services open for booking", "public")}
    paths["/public/slots"] = {"get": _op("Free appointment slots of a day", "public", params=[
        {"name": "service", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "day", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}}])}
    _public_appointments(paths, code_param)
    paths["/appointments/{code}/check-in"] = {"post": _op("Check in: the appointment becomes a ticket",
                                                          "kiosk, officer, admin", ok="201", params=code_param)}
    issue = paths["/tickets"]["post"]["responses"]
    issue["200"] = {**issue["201"], "description": "A retry with the same Idempotency-Key: the first ticket"}
    paths["/tickets/{id}/pager"] = {
        "post": _op("Bind a citizen's pager card to a ticket", "kiosk, officer, admin", body={
            "type": "object", "properties": {"card": {"type": "integer"}, "label": {"type": "string"}}},
            params=_ticket_param()),
        "delete": _op("Unbind the pager card of a ticket", "kiosk, officer, admin", params=_ticket_param()),
    }
    paths["/devices"] = {"get": _op("Every device's health: kiosks, displays, printers, pager base, LED bus, cameras",
                                    "kiosk, officer, manager, admin", result={
                                        "type": "array", "items": {"$ref": "#/components/schemas/Device"}})}
    paths["/devices/alerts"] = {"get": _op("Active device alerts (a device offline or faulty), oldest first",
                                           "manager, admin", result={
                                               "type": "array", "items": {"$ref": "#/components/schemas/DeviceAlert"}})}
    paths["/alerts"] = {"get": _op("The manager's alerts of the queue now (service standards)", "manager, admin")}
    paths["/events/today"] = {"get": _op("Today's newest events, newest first (the monitor's feed)", "manager, admin",
                                         params=[{"name": "limit", "in": "query", "required": False,
                                                  "schema": {"type": "integer", "minimum": 1, "maximum": 100}}])}
    paths["/me/today"] = {"get": _op("The signed-in officer's own figures for today", "officer, admin")}
    paths["/devices/summary"] = {"get": _op("Status of pager link, printer, LED boards, voice",
                                            "kiosk, officer, manager, admin")}
    paths["/devices/pager-cards"] = {"get": _op("Officer card -> counter assignments", "admin"),
                                     "put": _op("Change card assignments", "admin", body=obj)}
    paths["/kiosk/state"] = {"get": _op("The touch-free kiosk's session (masked)", "kiosk, admin")}
    paths["/kiosk/choose"] = {"post": _op("Choose a tile by touch", "kiosk, admin", body={
        "type": "object", "required": ["tile"], "properties": {"tile": {"type": "string"}}})}
    paths["/kiosk/terminals"] = {"get": _op("The kiosk terminals: settings and what runs", "manager, admin")}
    # the kiosk for everyone (kiosk/web/api/kiosk_assist.py): the WAV clips are at /kiosk/voice/, outside the API
    paths["/kiosk/assist"] = {"get": _op("This terminal's spoken guidance (on/off) and reprint window", "kiosk, admin")}
    paths["/tickets/{id}/reprint"] = {"post": _op(
        "A copy of the terminal's last ticket, marked BẢN IN LẠI (within reprint_window_s, at most "
        "reprint_max_copies)", "kiosk", params=_ticket_param())}
    paths["/kiosk/terminals/{terminal_id}"] = {"put": _op(
        "Set a terminal's camera, printer URL and pager prefix (null = the centre's default)", "admin", body={
            "type": "object", "properties": {"camera": {"type": ["string", "null"]},
                                             "printer_url": {"type": ["string", "null"]},
                                             "pager_prefix": {"type": ["string", "null"]}}},
        params=[{"name": "terminal_id", "in": "path", "required": True, "schema": {"type": "integer"}}])}
    day = {"type": "string", "format": "date"}
    paths["/kiosk/face-checks"] = {"get": _op(
        "Citizens' answers to face matches: confirmed, rejected (suspected false matches), per terminal and per "
        "day (default: the last 30 days), and today's status with the 'recognition unreliable' warning",
        "manager, admin", params=[{"name": "from", "in": "query", "required": False, "schema": day},
                                  {"name": "to", "in": "query", "required": False, "schema": day}])}
    fmt = {"name": "format", "in": "query", "required": False,
           "description": "json (default), or a download: csv (UTF-8 with BOM) or xlsx",
           "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}}
    paths["/reports"] = {"get": _op(
        "Report over a date range (at most 366 days), grouped; from daily rollups, today live",
        "manager, admin", result={"$ref": "#/components/schemas/Report"}, params=[
            {"name": "from", "in": "query", "required": True, "schema": day},
            {"name": "to", "in": "query", "required": True, "schema": day},
            {"name": "by", "in": "query", "required": False, "schema": {
                "type": "string", "enum": ["service", "counter", "officer", "day", "hour", "month"]}}, fmt])}
    paths["/reports/monthly"] = {"get": _op(
        "Monthly summary of a year: issued, served, served within the target, over target, no-show, satisfied",
        "manager, admin", params=[{"name": "year", "in": "query", "required": False,
                                   "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}}, fmt])}
    paths["/reports/tickets"] = {"get": _op(
        "One row per ticket of a period (at most 31 days): number, service, counter, officer, times, wait, "
        "service time, dossier code (mã hồ sơ) and note", "manager, admin", params=[
            {"name": "from", "in": "query", "required": True, "schema": day},
            {"name": "to", "in": "query", "required": True, "schema": day},
            {"name": "service", "in": "query", "required": False, "schema": {"type": "string"}}, fmt])}
    paths["/tickets/{id}/dossier"] = {"post": _op(
        "Write the dossier code (mã hồ sơ) and/or a note on the ticket called or served at the caller's counter, "
        "or finished there within the last 10 minutes; null or \"\" clears one, a key left out stays",
        "officer of that counter, admin", params=_ticket_param(), body={
            "type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
                "code": {"type": ["string", "null"], "maxLength": 40,
                         "pattern": "^[A-Za-z0-9]([A-Za-z0-9]|[./_-](?=[A-Za-z0-9]))*$",
                         "examples": ["000.00.12.H26-241202-0001"]},
                "note": {"type": ["string", "null"], "maxLength": 200}}},
        result={"type": "object", "properties": {"ticket_id": {"type": "integer"},
                                                  "dossier_code": {"type": ["string", "null"]},
                                                  "note": {"type": "string"}}})}
    paths["/counters/{n}/desk"] = {"get": _op(
        "The console's view of the ticket at hand: the current ticket and the one finished in the last 10 minutes, "
        "each with its dossier code, note, booked time (appointment.time, HH:MM) and the citizen's masked name "
        "(citizen.name, e.g. Nguyễn V. A.; never the full name or the ID number)",
        "officer of counter n, admin", params=_counter_param())}
    paths["/openapi.json"] = {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OK"}}}}
    paths["/admin/settings"] = {"get": _op("Queue settings", "manager, admin"),
                                "put": _op("Change the priority policy, automatic no-show or closing time (HH:MM)", "admin",
                                           body={"type": "object"})}
    paths["/admin/announcements"] = {"get": _op("The hall display's announcements", "manager, admin"),
                                     "put": _op("Set the hall display's announcements ({lines: [text]})", "admin",
                                                body={"type": "object"})}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kiosk and queue service of a one-stop-shop centre", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "responses": {"Error": {"description": "Refused; nothing changed", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}},
                          "Throttled": {"description": "Too many requests; nothing changed. Retry-After says when",
                                        "headers": {"Retry-After": {"description": "seconds to wait",
                                                                    "schema": {"type": "integer", "minimum": 1}}},
                                        "content": {"application/json": {
                                            "schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "message_vi": {"type": "string"}}}}},
                "Appointment": {"type": "object", "required": ["code", "code_display", "service", "state",
                                                               "ticket_id", "slot_start"], "properties": {
                    "code": {"type": "string", "description": "10 characters of ABCDEFGHJKLMNPQRSTUVWXYZ23456789 "
                                                              "(6 for bookings made before)"},
                    "code_display": {"type": "string", "description": "the code grouped for reading: ABCDE-FGHJK"},
                    "service": {"type": "string"},
                    "state": {"type": "string", "enum": ["booked", "checked_in", "cancelled", "expired"]},
                    "ticket_id": {"type": ["integer", "null"]},
                    "slot_start": {"type": "string", "format": "date-time"},
                    # only in the 201 of a booking (the confirmation, docs/booking.md)
                    "service_name": {"type": "string"},
                    "when_vi": {"type": "string", "description": "the slot as read: 07:30, thứ Tư 02/12/2026"},
                    "qr": {"type": "string", "description": "data:image/svg+xml;base64 QR of KIOSK-BOOKING:CODE"}}},
                "Device": _device_schema(),
                "DeviceAlert": _device_schema(alert=True),
                "Service": {"type": "object", "required": ["code", "name", "prefix"], "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"}}},
                "Counter": {"type": "object", "required": ["number", "name", "services", "state"], "properties": {
                    "number": {"type": "integer"}, "name": {"type": "string"},
                    "services": {"type": "array", "items": {"type": "string"}},
                    "state": {"type": "string", "enum": ["closed", "open", "paused"]}}},
                "IssuedTicket": {"type": "object", "required": ["id", "number", "service", "priority", "position",
                                                                "estimated_wait_s", "issued_at"], "properties": {
                    "id": {"type": "integer"}, "number": {"type": "string"}, "service": {"type": "string"},
                    "priority": {"type": "string"}, "position": {"type": "integer"},
                    "estimated_wait_s": {"type": "integer"}, "issued_at": {"type": "string", "format": "date-time"},
                    "tracking_url": {"type": "string", "description": "kiosk callers: the tracking page's path"},
                    "printer": {"type": "object", "description": "kiosk callers: {ok} of the terminal's printer"}}},
                "ReportRow": _report_row_schema(),
                "Report": {"type": "object", "required": ["from", "to", "by", "rows", "total"], "properties": {
                    "from": day, "to": day, "by": {"type": "string"},
                    "rows": {"type": "array", "items": {"$ref": "#/components/schemas/ReportRow"}},
                    "total": {"$ref": "#/components/schemas/ReportRow"},
                    "wait_distribution": {"type": "array", "items": {"type": "object"}},
                    "ratings_by_score": {"type": "object"}}},
                "Ticket": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "number": {"type": "string"}, "service": {"type": "string"},
                    "priority": {"type": "string"}, "state": {"type": "string"},
                    "counter": {"type": ["integer", "null"]},
                    "target_counter": {"type": ["integer", "null"],
                                       "description": "transferred to this counter: only it calls the ticket"},
                    "target_from": {"type": ["integer", "null"], "description": "the counter that transferred it"}}},
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi_json():
    return jsonify(document())
