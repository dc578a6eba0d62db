"""The rating tablet of a counter: page ``/rate?counter=N`` and its ``POST /api/v1/counters/N/rating``.

Signed in as a ``rating`` device token of counter N (``kiosk token create --role rating --counter N``, or the
admin page; the tablet opens ``/device?token=…`` once). The rule itself (only a ticket finished at that
counter, only while the tablet asks, once per ticket whichever of tablet or tracking link comes first) is
kiosk.queue.ratings.rate_at_counter.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from kiosk.queue.ratings import COUNTER_PROMPT_S, SCORES_VI, rate_at_counter
from kiosk.web.body import field, json_body
from kiosk.web.errors import ApiError
from kiosk.web.pages.main import _context
from kiosk.web.security import principal_from_request, require, services

bp = Blueprint("rate", __name__)


@bp.get("/rate")
def rate_page():
    principal = principal_from_request()
    if principal is None:
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
    if principal.role != "rating" or principal.counter is None:
        return render_template("forbidden.html", **_context()), 403
    if request.args.get("counter") != str(principal.counter):  # the tablet of counter N shows only N
        return redirect(url_for("rate.rate_page", counter=principal.counter))
    return render_template("rate.html", **_context(
        counter=principal.counter, scores=sorted(SCORES_VI.items(), reverse=True), timeout_s=COUNTER_PROMPT_S))


@bp.post("/api/v1/counters/<int:n>/rating")
@require("rating")
def rate_at(n: int):
    """``{"ticket": ID, "score": 1-5}`` from counter ``n``'s tablet -> 201 ``{"ticket_id", "score", "label"}``."""
    principal = principal_from_request()
    if principal.role != "rating" or principal.counter != n:
        raise ApiError(403, "wrong_tablet", f"only counter {n}'s rating tablet may rate here")
    data = json_body()
    result = rate_at_counter(services().engine, n, field(data, "ticket", int), field(data, "score", int))
    return jsonify(result), 201
