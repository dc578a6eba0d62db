"""Errors of the queue domain; the web layer maps each to an HTTP status and a stable code."""
from __future__ import annotations

from typing import Any


class QueueError(Exception):
    """A refused action. `code` is stable for clients; `message` is for people (English).

    `text` names the specific Vietnamese sentence of this refusal and `values` fill it in (the web layer
    looks them up in kiosk/texts/vi.py: REFUSALS); without them the code's sentence is shown.
    """

    status = 409
    code = "conflict"

    def __init__(self, message: str, code: str | None = None, *, text: str | None = None,
                 values: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.text = text
        self.values = dict(values or {})


class NotFound(QueueError):
    """The service, counter or ticket does not exist."""

    status = 404
    code = "not_found"


class InvalidInput(QueueError):
    """The request's values are wrong."""

    status = 422
    code = "invalid"


class IllegalTransition(QueueError):
    """The state machine forbids this action now."""

    status = 409
    code = "illegal_transition"


class LimitReached(QueueError):
    """A daily limit refuses another ticket."""

    status = 409
    code = "limit_reached"


class ServiceClosed(QueueError):
    """The service takes no tickets now."""

    status = 409
    code = "service_closed"
