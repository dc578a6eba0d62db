"""One error shape for the API: 4xx with {"error": {"code", "message"}}, never a 500 for bad input."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from kiosk.queue.errors import QueueError
from kiosk.texts import vi

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
}


# For officers and citizens: the Vietnamese sentence of each code lives in the one catalogue, kiosk/texts/vi.py.
MESSAGES_VI = vi.ERRORS


class ApiError(Exception):
    """A refusal of the web layer; ``text``/``values`` name its specific Vietnamese sentence (kiosk/texts/vi.py)."""

    def __init__(self, status: int, code: str, message: str, *, text: str | None = None,
                 values: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.text, self.values = text, dict(values or {})


def error_response(status: int, code: str, message: str, message_vi: str | None = None):
    """``message_vi``: a sentence for this answer (e.g. with the minutes to wait); else the code's."""
    response = jsonify({"error": {"code": code, "message": message,
                                  "message_vi": message_vi or vi.error_vi(code)}})
    response.status_code = status
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, vi.error_vi(exc.code, exc.text, exc.values))

    @app.errorhandler(QueueError)
    def queue_error(exc: QueueError):
        return error_response(exc.status, exc.code, exc.message, vi.error_vi(exc.code, exc.text, exc.values))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_json():
            return error_response(status, HTTP_CODES.get(status, "error"), exc.description or exc.name)
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "internal", "internal error; the request was not applied")
        return "Lỗi hệ thống / Internal error", 500
