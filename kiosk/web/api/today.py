"""Today's picture for staff: the manager's alerts, the day's last events (the monitor's activity feed
when it opens) and an officer's own figures (the console)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from kiosk.queue import events as ev
from kiosk.queue.alert_watch import alerts_payload
from kiosk.queue.clock import day_bounds, local_day
from kiosk.queue.stats import officer_day
from kiosk.web.errors import ApiError
from kiosk.web.security import principal_from_request, require, services

bp = Blueprint("api_today", __name__, url_prefix="/api/v1")
FEED_MAX = 100


@bp.get("/alerts")
@require("manager")
def alerts():
    kiosk = services()
    found = kiosk.alerts.alerts() if kiosk.alerts is not None else []
    return jsonify(alerts_payload(found, kiosk.clock.now()))


@bp.get("/events/today")
@require("manager")
def events_today():
    """The newest ``limit`` events of today (newest first), in the shape of GET /events."""
    text = request.args.get("limit", "15")
    if not text.isdigit() or not 1 <= int(text) <= FEED_MAX:
        raise ApiError(422, "invalid", f"limit must be a whole number from 1 to {FEED_MAX}")
    kiosk = services()
    start, end = day_bounds(kiosk.clock, local_day(kiosk.clock))
    # ORDER BY at: walks the events_at index backwards from now, never the history before today
    rows = kiosk.store.conn().execute(
        "SELECT * FROM events WHERE at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?",
        [start, end, int(text)]).fetchall()
    return jsonify([{"id": r["id"], **ev.event_from_row(r).payload()} for r in rows])


@bp.get("/me/today")
@require("officer")
def my_day():
    """The signed-in officer's figures for today; a counter's device token has no officer (404)."""
    principal = principal_from_request()
    if principal.kind != "user":
        raise ApiError(404, "not_found", "only an officer's login has figures of its own")
    kiosk = services()
    return jsonify(officer_day(kiosk.store.conn(), kiosk.clock, principal.id))
