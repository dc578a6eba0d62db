"""A refused Socket.IO connection says why in Vietnamese, like an HTTP refusal: the client's ``connect_error``
gets ``message`` (the stable code, as before) and ``data`` ``{"code", "message_vi"}`` from the catalogue."""
from __future__ import annotations

from flask_socketio import ConnectionRefusedError

from kiosk.texts import vi


def refused(code: str, text: str | None = None) -> ConnectionRefusedError:
    """The error to raise from a connect handler (``text``: a specific sentence of kiosk/texts/vi.py REFUSALS)."""
    return ConnectionRefusedError(code, {"code": code, "message_vi": vi.error_vi(code, text)})
