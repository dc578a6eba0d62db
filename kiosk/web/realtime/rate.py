"""Socket.IO ``/rate``: the rating tablet of a counter (page ``/rate?counter=N``).

Only a ``rating`` device token (bearer in ``auth: {"token": …}`` or the tablet's device session) connects;
it joins room ``rate:<its counter>`` and nothing else. When the officer finishes a ticket at that counter,
the room gets ``rate_prompt`` ``{"ticket_id", "number", "service", "service_name", "counter",
"finished_at", "timeout_s"}``: the ticket's number and service only, never a name or an ID (the tablet faces
the citizen's side of the counter, anyone passing reads it). The score goes back over HTTP
(``POST /api/v1/counters/N/rating``, kiosk.web.pages.rate), with the tracking link's once-per-ticket rule.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request
from flask_socketio import Namespace, SocketIO, emit, join_room

from kiosk.queue import events as ev
from kiosk.queue.clock import iso
from kiosk.queue.ratings import COUNTER_PROMPT_S, rating_of
from kiosk.web.realtime.namespaces import _socket_principal, _watched
from kiosk.web.realtime.refusals import refused

log = logging.getLogger(__name__)

NAMESPACE = "/rate"
EVENT = "rate_prompt"


def room(counter: int) -> str:
    return f"rate:{counter}"


def prompt(engine: Any, ticket_id: int, number: str, service: str, counter: int, finished_at: float,
           timeout_s: float = COUNTER_PROMPT_S) -> dict[str, Any]:
    """The body of ``rate_prompt``: the ticket's number and service, nothing about the citizen."""
    try:
        service_name = engine.service(service).name
    except Exception:  # a service deleted meanwhile: the number alone still asks
        log.warning("rate prompt: no service %s", service)
        service_name = ""
    return {"ticket_id": ticket_id, "number": number, "service": service, "service_name": service_name,
            "counter": counter, "finished_at": iso(finished_at, engine.clock.tz), "timeout_s": timeout_s}


def pending_prompt(engine: Any, counter: int) -> dict[str, Any] | None:
    """The question still open at COUNTER (a tablet reconnecting after a reload or a Wi-Fi drop): the last
    ticket finished there within COUNTER_PROMPT_S and not rated yet. Reads the events of those seconds only
    (index events_at), the same cost after years of history."""
    now = engine.clock.now()
    row = engine.store.conn().execute(
        "SELECT ticket_id, at FROM events WHERE at >= ? AND type = ? AND counter_number = ? ORDER BY at DESC, id DESC "
        "LIMIT 1", [now - COUNTER_PROMPT_S, ev.TicketFinished.name, counter]).fetchone()
    if row is None or rating_of(engine, row["ticket_id"]) is not None:
        return None
    ticket = engine.ticket(row["ticket_id"])
    left = max(1, round(COUNTER_PROMPT_S - (now - row["at"])))
    return prompt(engine, ticket.id, ticket.number, ticket.service, counter, row["at"], left)


class RateNamespace(Namespace):
    def on_connect(self, auth: Any = None) -> None:
        principal, session_id = _socket_principal(auth)
        if principal is None:
            raise refused("unauthorized")
        if principal.role != "rating" or principal.counter is None:  # admins too: a rating is the citizen's
            raise refused("forbidden", "rating_tablet_only")
        current_app.extensions["kiosk"].socket_watch.add(request.sid, NAMESPACE, _watched(principal, session_id))
        join_room(room(principal.counter))
        tablets = current_app.extensions["kiosk"].rating_tablets
        if tablets is not None:  # the health board's row of this tablet (GET /api/v1/devices)
            tablets.connected(request.sid, principal.id)
        try:
            pending = pending_prompt(current_app.extensions["kiosk"].engine, principal.counter)
        except Exception:  # the tablet still gets the next question
            log.exception("rate: pending prompt of counter %s", principal.counter)
            pending = None
        if pending is not None:
            emit(EVENT, pending)

    def on_disconnect(self, reason: Any = None) -> None:
        current_app.extensions["kiosk"].socket_watch.remove(request.sid, NAMESPACE)
        tablets = current_app.extensions["kiosk"].rating_tablets
        if tablets is not None:
            tablets.disconnected(request.sid)


class RateFanout:
    """A bus subscriber: a finished ticket asks the tablet of its counter for a rating."""

    def __init__(self, socketio: SocketIO, engine: Any) -> None:
        self.socketio, self.engine = socketio, engine

    def __call__(self, event: Any) -> None:
        if not isinstance(event, ev.TicketFinished):
            return
        self.socketio.emit(EVENT, prompt(self.engine, event.ticket_id, event.number, event.service, event.counter,
                                         event.at), namespace=NAMESPACE, to=room(event.counter))


def register_rate(socketio: SocketIO) -> None:
    socketio.on_namespace(RateNamespace(NAMESPACE))
