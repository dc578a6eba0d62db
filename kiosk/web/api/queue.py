"""The HTTP API under /api/v1 (DESIGN.md): services, counters, tickets, the live queue."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, request

from kiosk.queue.model import CHOOSABLE_PRIORITIES
from kiosk.queue.snapshot import queue_snapshot
from kiosk.queue.stats import day_statistics
from kiosk.web.body import SQLITE_INT_MAX, day_param, field, int_param, json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import principal_from_request, require, require_counter, services

bp = Blueprint("api", __name__, url_prefix="/api/v1")
ALL_ROLES = ("kiosk", "officer", "manager", "display")
# A retry of POST /tickets with the same key (same caller, same day) returns the first ticket (DESIGN.md).
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def _engine():
    return services().engine


def _tz():
    return services().clock.tz


@bp.get("/me")
@require(*ALL_ROLES)
def me():
    return jsonify(principal_from_request().to_api())


@bp.get("/services")
@require(*ALL_ROLES)
def list_services():
    return jsonify([s.to_api() for s in _engine().services()])


@bp.get("/counters")
@require(*ALL_ROLES)
def list_counters():
    return jsonify([c.to_api() for c in _engine().counters()])


@bp.get("/queue")
@require(*ALL_ROLES)
def queue():
    return jsonify(queue_snapshot(_engine()))


@bp.post("/tickets")
@require("kiosk", "officer")
def issue():
    data = json_body()
    service = field(data, "service", str)
    priority = field(data, "priority", str, required=False, default="normal")
    if priority not in CHOOSABLE_PRIORITIES:
        raise ApiError(422, "invalid", f"priority must be one of {', '.join(CHOOSABLE_PRIORITIES)}",
                       text="priority_unknown")
    principal = principal_from_request()
    channel = "kiosk" if principal.role == "kiosk" else "counter"
    request_key = None
    if "Idempotency-Key" in request.headers:
        key = request.headers["Idempotency-Key"]
        if not IDEMPOTENCY_KEY.fullmatch(key):
            raise ApiError(400, "invalid", "Idempotency-Key must be 1-100 letters, digits or -_.:",
                       text="idempotency_key_format")
        request_key = (f"{principal.kind}:{principal.id}", key)
    terminal = principal.id if principal.role == "kiosk" else None
    issued = _engine().issue_ticket(service, priority, channel=channel, request_key=request_key, terminal=terminal)
    t = issued.ticket
    body = {
        "id": t.id, "number": t.number, "service": t.service, "priority": t.priority,
        "position": issued.position, "estimated_wait_s": issued.estimated_wait_s,
        "issued_at": t.to_api(_tz())["issued_at"],
    }
    if terminal is not None:  # the kiosk shows the tracking QR on screen when its printer cannot print
        from kiosk.display.tracking import tracking_path

        body["tracking_url"] = tracking_path(current_app.config["SECRET_KEY"], t.id)
        running = services().terminals.get(terminal) if services().terminals is not None else None
        body["printer"] = {"ok": running.printer_ok() if running is not None else True}
    return jsonify(body), 200 if issued.replayed else 201


@bp.get("/tickets/<int:ticket_id>")
@require(*ALL_ROLES)
def ticket(ticket_id: int):
    t = _engine().ticket(ticket_id)
    body = t.to_api(_tz())
    place = _engine().position(ticket_id)
    body["position"], body["estimated_wait_s"] = place if place else (None, None)
    return jsonify(body)


@bp.get("/tickets")
@require("officer", "manager")
def tickets_today():
    state = request.args.get("state")
    rows = [t.to_api(_tz()) for t in _engine().tickets_of_day() if state is None or t.state == state]
    return jsonify(rows)


def _acting_counter(n: int):
    principal = principal_from_request()
    require_counter(principal, n)
    return principal


def _ticket_or_null(t):
    return jsonify({"ticket": t.to_api(_tz()) if t else None})


@bp.post("/counters/<int:n>/next")
@require("officer")
def call_next(n: int):
    who = _acting_counter(n)
    data = json_body(allow_empty=True)
    finish_current = field(data, "finish_current", bool, required=False, default=False)
    return _ticket_or_null(_engine().call_next(n, who.officer_id, finish_current=finish_current))


@bp.post("/counters/<int:n>/call")
@require("officer")
def call_ticket(n: int):
    who = _acting_counter(n)
    data = json_body()
    if "number" in data and "ticket_id" not in data:  # typed on the console: today's ticket of that number
        ticket_id = _engine().ticket_by_number(field(data, "number", str)).id
    else:
        ticket_id = field(data, "ticket_id", int)
    return _ticket_or_null(_engine().call_ticket(n, ticket_id, who.officer_id))


def _simple_counter_action(name: str):
    def view(n: int):
        who = _acting_counter(n)
        json_body(allow_empty=True)
        return _ticket_or_null(getattr(_engine(), name)(n, who.officer_id))

    view.__name__ = f"counter_{name}"
    return view


for _path, _method in (("recall", "recall"), ("start", "start"), ("finish", "finish"), ("no-show", "no_show")):
    bp.add_url_rule(f"/counters/<int:n>/{_path}", view_func=require("officer")(_simple_counter_action(_method)),
                    methods=["POST"])


@bp.post("/counters/<int:n>/hold")
@require("officer")
def hold(n: int):
    who = _acting_counter(n)
    reason = field(json_body(allow_empty=True), "reason", str, required=False, default="")
    return _ticket_or_null(_engine().hold(n, who.officer_id, reason))


def _counter_state(c):
    return jsonify({"counter": c.to_api(), "ticket": None})


@bp.post("/counters/<int:n>/pause")
@require("officer")
def pause(n: int):
    who = _acting_counter(n)
    reason = field(json_body(), "reason", str)
    return _counter_state(_engine().pause(n, reason, who.officer_id))


@bp.post("/counters/<int:n>/resume")
@require("officer")
def resume(n: int):
    who = _acting_counter(n)
    return _counter_state(_engine().resume(n, who.officer_id))


@bp.post("/counters/<int:n>/open")
@require("officer")
def open_counter(n: int):
    who = _acting_counter(n)
    return _counter_state(_engine().open_counter(n, who.officer_id))


@bp.post("/counters/<int:n>/close")
@require("officer")
def close_counter(n: int):
    who = _acting_counter(n)
    return _counter_state(_engine().close_counter(n, who.officer_id))


def _ticket_counter_scope(ticket_id: int):
    """An officer may move only waiting/held tickets or the one at their own counter."""
    principal = principal_from_request()
    t = _engine().ticket(ticket_id)
    if principal.role == "officer" and t.state in ("called", "serving") and t.counter != principal.counter:
        raise ApiError(403, "forbidden", f"ticket {t.number} is at counter {t.counter}, not yours",
                       text="ticket_at_other_counter", values={"ticket": t.number, "holder": t.counter})
    return principal


@bp.post("/tickets/<int:ticket_id>/transfer")
@require("officer")
def transfer(ticket_id: int):
    body = json_body()
    service = field(body, "service", str, required=False)
    to_counter = field(body, "counter", int, required=False)
    if service is None and to_counter is None:
        raise ApiError(422, "invalid", "'service' or 'counter' is required", text="transfer_needs_target")
    who = _ticket_counter_scope(ticket_id)
    t = _engine().transfer(ticket_id, service, counter=who.counter, officer_id=who.officer_id, to_counter=to_counter)
    return jsonify({"ticket": t.to_api(_tz())})


@bp.post("/tickets/<int:ticket_id>/cancel")
@require("officer")
def cancel(ticket_id: int):
    reason = field(json_body(allow_empty=True), "reason", str, required=False, default="")
    who = _ticket_counter_scope(ticket_id)
    return jsonify({"ticket": _engine().cancel(ticket_id, who.officer_id, reason).to_api(_tz())})


@bp.post("/tickets/<int:ticket_id>/return")
@require("officer")
def return_held(ticket_id: int):
    json_body(allow_empty=True)
    who = _ticket_counter_scope(ticket_id)
    t = _engine().return_held(ticket_id, counter=who.counter if who.role == "officer" else None,
                              officer_id=who.officer_id)
    return jsonify({"ticket": t.to_api(_tz())})


@bp.get("/stats")
@require("manager")
def stats():
    day = day_param("day")
    return jsonify(day_statistics(services().store.conn(), services().clock, day))


@bp.get("/events")
@require("manager")
def events():
    since = int_param("since", 0)
    limit = min(1000, max(1, int_param("limit", 200, low=-SQLITE_INT_MAX)))
    return jsonify([{"id": i, **e.payload()} for i, e in _engine().events(since, limit)])
