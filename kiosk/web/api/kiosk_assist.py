"""The kiosk for everyone (issue 13): its spoken guidance clips and the reprint of the last ticket.

- ``GET /api/v1/kiosk/assist`` (kiosk, admin): what this terminal offers: ``{"voice_guidance": bool,
  "reprint_window_s", "reprint_max_copies"}`` ([kiosk] voice_guidance / voice_guidance_terminals, reprint_*).
- ``GET /kiosk/voice/<key>.wav`` and ``GET /kiosk/voice/ticket/<number>.wav`` (kiosk, admin): a screen's
  sentence (kiosk/texts/vi.py GUIDANCE), rendered once and cached (kiosk.display.guidance); 404 for an unknown
  key or a text that is no ticket number, 503 ``voice_unavailable`` when espeak-ng is missing.
- ``POST /api/v1/tickets/<id>/reprint`` (kiosk): a copy of the terminal's last ticket, marked "BẢN IN LẠI"
  (kiosk.terminals.reprint) -> 200 ``{"ticket_id", "number", "copy", "copies_left", "window_s"}``, or 409
  with the reason (reprint_expired, reprint_limit, reprint_not_last, reprint_printer).
"""
from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, jsonify

from kiosk.display.announcement import AnnouncementError
from kiosk.display.tts import VoiceError
from kiosk.web.body import json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import principal_from_request, require, services

bp = Blueprint("kiosk_assist", __name__)
_LOCK = threading.Lock()


def _terminal_id() -> int | None:
    principal = principal_from_request()
    return principal.id if principal is not None and principal.role == "kiosk" else None


def _guidance():
    """The app's one Guidance, made on first use with the hall voice's engine (the same voice)."""
    with _LOCK:
        found = current_app.extensions.get("kiosk_guidance")
        if found is None:
            from kiosk.display.guidance import Guidance

            devices = services().devices
            hall = devices.voice if devices is not None else None
            found = Guidance(hall.engine if hall is not None else None,
                             digits=bool(hall is not None and hall.config.digits))
            current_app.extensions["kiosk_guidance"] = found
        return found


@bp.get("/api/v1/kiosk/assist")
@require("kiosk")
def assist():
    config = services().config
    return jsonify({"voice_guidance": config.guidance_on(_terminal_id()),
                    "reprint_window_s": config.reprint_window_s, "reprint_max_copies": config.reprint_max_copies})


def _wav(key: str, number: str | None = None) -> Response:
    try:
        audio = _guidance().clip(key, number)
    except (KeyError, AnnouncementError):
        raise ApiError(404, "not_found", f"no spoken guidance {key!r}", text="guidance_missing") from None
    except VoiceError as exc:
        raise ApiError(503, "voice_unavailable", f"the kiosk voice cannot speak: {exc}") from None
    response = Response(audio.wav, mimetype="audio/wav")
    response.headers["Cache-Control"] = "private, max-age=3600"  # the same sentence for every citizen
    return response


@bp.get("/kiosk/voice/<key>.wav")
@require("kiosk")
def voice_clip(key: str):
    if key == "ticket":
        raise ApiError(404, "not_found", "the ticket's sentence is /kiosk/voice/ticket/<number>.wav",
                       text="guidance_missing")
    return _wav(key)


@bp.get("/kiosk/voice/ticket/<number>.wav")
@require("kiosk")
def voice_ticket(number: str):
    if len(number) > 10:
        raise ApiError(404, "not_found", "not a ticket number", text="ticket_number_format")
    return _wav("ticket", number)


@bp.post("/api/v1/tickets/<int:ticket_id>/reprint")
@require("kiosk")
def reprint(ticket_id: int):
    json_body(allow_empty=True)
    terminal = _terminal_id()
    if terminal is None:
        raise ApiError(409, "no_terminal", "only a kiosk terminal reprints its tickets")
    from kiosk.terminals.reprint import Reprints

    return jsonify(Reprints(services()).reprint(ticket_id, terminal).to_api())
