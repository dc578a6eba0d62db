"""Rating a finished visit from the ticket's tracking link (the QR on the printed ticket)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request

from kiosk.display.tracking import tracking_path, verify_signature
from kiosk.queue.ratings import rate
from kiosk.web.body import field, json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import services

bp = Blueprint("ratings", __name__)


@bp.post("/t/<int:ticket_id>/<sig>/rating")
def rate_visit(ticket_id: int, sig: str):
    """JSON {"score": 1-5, "comment"} or the tracking page's form; the link's signature is the key."""
    if not verify_signature(current_app.config["SECRET_KEY"], ticket_id, sig):
        raise ApiError(404, "not_found", "no such ticket link", text="ticket_link_missing")
    if request.form:
        try:
            score = int(request.form.get("score", ""))
        except ValueError:
            raise ApiError(422, "invalid", "score must be a whole number from 1 to 5", text="score_range") from None
        rate(services().engine, ticket_id, score, request.form.get("comment", ""))
        return redirect(tracking_path(current_app.config["SECRET_KEY"], ticket_id), code=303)
    data = json_body()
    result = rate(services().engine, ticket_id, field(data, "score", int),
                  field(data, "comment", str, required=False, default=""))
    return jsonify(result), 201
