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
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room

from kiosk.queue import events as ev
from kiosk.queue.clock import iso
from kiosk.queue.ratings import COUNTER_PROMPT_S
from kiosk.web.realtime.namespaces import _socket_principal, _watched

log = logging.getLogger(__name__)

NAMESPACE = "/rate"
EVENT = "rate_prompt"


def room(counter: int) -> str:
    return f"rate:{counter}"


class RateNamespace(Namespace):
    def on_connect(self, auth: Any = None) -> None:
        principal, session_id = _socket_principal(auth)
        if principal is None:
            raise ConnectionRefusedError("unauthorized")
        if principal.role != "rating" or principal.counter is None:  # admins too: a rating is the citizen's
            raise ConnectionRefusedError("forbidden")
        current_app.extensions["kiosk"].socket_watch.add(request.sid, NAMESPACE, _watched(principal, session_id))
        join_room(room(principal.counter))

    def on_disconnect(self, reason: Any = None) -> None:
        current_app.extensions["kiosk"].socket_watch.remove(request.sid, NAMESPACE)


class RateFanout:
    """A bus subscriber: a finished ticket asks the tablet of its counter for a rating."""

    def __init__(self, socketio: SocketIO, engine: Any) -> None:
        self.socketio, self.engine = socketio, engine

    def __call__(self, event: Any) -> None:
        if not isinstance(event, ev.TicketFinished):
            return
        try:
            service_name = self.engine.service(event.service).name
        except Exception:  # a service deleted meanwhile: the number alone still asks
            log.warning("rate prompt: no service %s", event.service)
            service_name = ""
        self.socketio.emit(EVENT, {
            "ticket_id": event.ticket_id, "number": event.number, "service": event.service,
            "service_name": service_name, "counter": event.counter,
            "finished_at": iso(event.at, self.engine.clock.tz), "timeout_s": COUNTER_PROMPT_S,
        }, namespace=NAMESPACE, to=room(event.counter))


def register_rate(socketio: SocketIO) -> None:
    socketio.on_namespace(RateNamespace(NAMESPACE))
