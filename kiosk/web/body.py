"""Reading JSON request bodies strictly: a clear 4xx for anything that is not what we expect."""
from __future__ import annotations

from typing import Any

from flask import request

from kiosk.web.errors import ApiError

SQLITE_INT_MAX = 2**63 - 1


def json_body(allow_empty: bool = False) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if allow_empty:
            return {}
        raise ApiError(400, "bad_request", "a JSON object body is required")
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "bad_request", "the body is not valid JSON")
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    return data


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], required: bool = True,
          default: Any = None) -> Any:
    if name not in data or data[name] is None:
        if required:
            raise ApiError(422, "invalid", f"'{name}' is required")
        return default
    value = data[name]
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ApiError(422, "invalid", f"'{name}' has the wrong type")
    if not isinstance(value, kind):
        raise ApiError(422, "invalid", f"'{name}' has the wrong type")
    if isinstance(value, int) and not isinstance(value, bool) and not -SQLITE_INT_MAX <= value <= SQLITE_INT_MAX:
        raise ApiError(422, "invalid", f"'{name}' is out of range")
    return value
