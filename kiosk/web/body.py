"""Reading JSON request bodies strictly: a clear 4xx for anything that is not what we expect."""
from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

from flask import request

from kiosk.web.errors import ApiError

SQLITE_INT_MAX = 2**63 - 1
MAX_DEPTH = 32  # no body of this API nests deeper than 3; JSON 5,000 deep exhausted the C parser's stack
# The first and last days a date parameter may name: later ones overflow the centre's day arithmetic.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9998, 12, 31)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number this API takes")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _check(value: Any, depth: int = 0) -> None:
    """Refuse what JSON allows but text and numbers here cannot hold: deep nesting, lone surrogates."""
    if depth > MAX_DEPTH:
        raise ApiError(400, "bad_request", f"the body nests deeper than {MAX_DEPTH} levels", text="body_too_deep",
                       values={"depth": MAX_DEPTH})
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, "bad_request", "the body holds text that is not valid Unicode (a lone surrogate)",
                           text="body_bad_unicode") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def _nesting(raw: bytes) -> int:
    """The deepest nesting of brackets outside strings, found without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def day_param(name: str, required: bool = False) -> str | None:
    """A ``YYYY-MM-DD`` query parameter between 2000-01-01 and 9998-12-31, else 422."""
    text = request.args.get(name)
    if text is None:
        if required:
            raise ApiError(422, "invalid", f"'{name}' is required (YYYY-MM-DD)", text="field_required",
                           values={"field": name})
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ApiError(422, "invalid", f"'{name}' must be a date YYYY-MM-DD", text="param_date", values={"field": name})
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ApiError(422, "invalid", f"'{name}' must be between {FIRST_DAY} and {LAST_DAY}", text="param_date_range",
                       values={"field": name, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
    return day.isoformat()


def int_param(name: str, default: int, low: int = 0, high: int = SQLITE_INT_MAX) -> int:
    """A whole-number query parameter within [low, high], else 422."""
    text = request.args.get(name)
    if text is None:
        return default
    text = text.strip()
    if not text.lstrip("-").isdigit() or len(text) > 20 or not low <= int(text) <= high:
        raise ApiError(422, "invalid", f"'{name}' must be a whole number from {low} to {high}", text="field_between",
                       values={"field": name, "low": low, "high": high})
    return int(text)


def json_body(allow_empty: bool = False) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if allow_empty:
            return {}
        raise ApiError(400, "bad_request", "a JSON object body is required", text="body_required")
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    if _nesting(raw) > MAX_DEPTH:
        raise ApiError(400, "bad_request", f"the body nests deeper than {MAX_DEPTH} levels", text="body_too_deep",
                       values={"depth": MAX_DEPTH})
    try:
        data = json.loads(raw, parse_constant=_constant, parse_float=_finite)
    except (ValueError, RecursionError):
        raise ApiError(400, "bad_request", "the body is not valid JSON (numbers must be finite)",
                       text="body_not_json") from None
    _check(data)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object", text="body_not_object")
    return data


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], required: bool = True,
          default: Any = None) -> Any:
    if name not in data or data[name] is None:
        if required:
            raise ApiError(422, "invalid", f"'{name}' is required", text="field_required", values={"field": name})
        return default
    value = data[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    wrong = {"text": "field_wrong_type", "values": {"field": name, "kind": kinds[0].__name__}}
    if isinstance(value, bool) and kind is not bool and bool not in kinds:
        raise ApiError(422, "invalid", f"'{name}' has the wrong type", **wrong)
    if not isinstance(value, kind):
        raise ApiError(422, "invalid", f"'{name}' has the wrong type", **wrong)
    if isinstance(value, int) and not isinstance(value, bool) and not -SQLITE_INT_MAX <= value <= SQLITE_INT_MAX:
        raise ApiError(422, "invalid", f"'{name}' is out of range", text="field_out_of_range", values={"field": name})
    return value
