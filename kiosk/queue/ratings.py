"""Citizens rate the service of a finished ticket, once (five levels, as the SIPAS index asks)."""
from __future__ import annotations

import unicodedata
from typing import Any

from kiosk.queue.engine import QueueEngine
from kiosk.queue.errors import IllegalTransition, InvalidInput, QueueError

SCORES_VI = {
    5: "Rất hài lòng",
    4: "Hài lòng",
    3: "Bình thường",
    2: "Không hài lòng",
    1: "Rất không hài lòng",
}
SATISFIED_MIN = 4  # "Hài lòng" or "Rất hài lòng": the satisfied share counts scores from here up
RATING_WINDOW_S = 24 * 3600  # a rating belongs to the visit: the same day, not weeks later
MAX_COMMENT = 300
# The counter's tablet (page /rate) asks for this long after the officer finishes, then thanks and goes idle;
# the grace lets a tap at the last second still count (the tablet's clock and the LAN).
COUNTER_PROMPT_S = 30
COUNTER_GRACE_S = 5


def _check_score(score: Any) -> None:
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES_VI:
        raise InvalidInput("score must be a whole number from 1 to 5", text="score_range")


def rate(engine: QueueEngine, ticket_id: int, score: Any, comment: Any = "") -> dict[str, Any]:
    """Record the rating of a finished ticket; refuses a second one."""
    _check_score(score)
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise InvalidInput("comment must be text", text="field_text", values={"field": "comment"})
    comment = unicodedata.normalize("NFC", " ".join(comment.split()))
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comment is too long ({MAX_COMMENT} characters at most)", text="field_too_long",
                           values={"field": "comment", "max_len": MAX_COMMENT})
    now = engine.clock.now()
    with engine.store.transaction() as conn:
        ticket = engine.ticket(ticket_id)
        if ticket.state != "done":
            raise IllegalTransition("only a finished ticket can be rated", text="rate_not_finished")
        if ticket.finished_at is not None and now - ticket.finished_at > RATING_WINDOW_S:
            raise IllegalTransition("the time to rate this visit has passed", text="rate_window_passed")
        if conn.execute("SELECT 1 FROM ratings WHERE ticket_id = ?", [ticket_id]).fetchone():
            raise QueueError("this visit has already been rated", code="already_rated")
        conn.execute(
            "INSERT INTO ratings (ticket_id, score, comment, service_code, counter_number, at) VALUES (?, ?, ?, ?, ?, ?)",
            [ticket_id, score, comment, ticket.service, ticket.counter, now],
        )
    return {"ticket_id": ticket_id, "score": score, "label": SCORES_VI[score]}


def rate_at_counter(engine: QueueEngine, counter: int, ticket_id: Any, score: Any) -> dict[str, Any]:
    """A rating from counter N's tablet: only of a ticket finished at that counter, only while the tablet
    asks; then the same record and the same once-per-ticket rule as the tracking link's (``rate``)."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise InvalidInput("ticket must be a ticket id", text="field_whole_number", values={"field": "ticket"})
    _check_score(score)
    ticket = engine.ticket(ticket_id)
    if ticket.state != "done" or ticket.counter != counter:
        raise QueueError(f"ticket {ticket.number} was not finished at counter {counter}", code="wrong_counter")
    if ticket.finished_at is not None and engine.clock.now() - ticket.finished_at > COUNTER_PROMPT_S + COUNTER_GRACE_S:
        raise QueueError("the tablet's time to rate this visit has passed", code="rating_expired")
    return rate(engine, ticket_id, score)


def rating_of(engine: QueueEngine, ticket_id: int) -> int | None:
    row = engine.store.conn().execute("SELECT score FROM ratings WHERE ticket_id = ?", [ticket_id]).fetchone()
    return row[0] if row else None


def satisfaction(rows: list[Any]) -> dict[str, Any]:
    """Mean score, count and share of satisfied (4-5) citizens of some ratings rows."""
    scores = [r["score"] for r in rows]
    if not scores:
        return {"ratings": 0, "mean_score": None, "satisfied_rate": None}
    return {"ratings": len(scores), "mean_score": round(sum(scores) / len(scores), 2),
            "satisfied_rate": round(sum(s >= SATISFIED_MIN for s in scores) / len(scores), 3)}
