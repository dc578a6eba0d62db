"""Today's picture for staff: the manager's alerts, the day's last events (the monitor's activity feed
when it opens) and an officer's own figures (the console)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from kiosk.queue import events as ev
from kiosk.queue.alert_watch import alerts_payload
from kiosk.queue.clock import local_day
from kiosk.queue.days import first_event_id
from kiosk.queue.stats import officer_day
from kiosk.web.body import int_param
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
    limit = int_param("limit", 15, low=1, high=FEED_MAX)
    kiosk = services()
    conn = kiosk.store.conn()
    # today's events are an id range from the day's first event (kiosk.queue.days), never older history
    rows = conn.execute("SELECT * FROM events WHERE id >= ? ORDER BY id DESC LIMIT ?",
                        [first_event_id(conn, local_day(kiosk.clock)), limit]).fetchall()
    return jsonify([{"id": r["id"], **ev.event_from_row(r).payload()} for r in rows])


@bp.get("/me/today")
@require("officer")
def my_day():
    """The signed-in officer's figures for today; a counter's device token has no officer (404)."""
    principal = principal_from_request()
    if principal.kind != "user":
        raise ApiError(404, "not_found", "only an officer's login has figures of its own",
                       text="figures_officer_only")
    kiosk = services()
    return jsonify(officer_day(kiosk.store.conn(), kiosk.clock, principal.id))
