"""Logging set-up with a redaction filter: no ID number ever reaches a log line, even by mistake."""
from __future__ import annotations

import logging
import re

# 9 or 12 digit runs look like CMND/CCCD numbers; a QR payload has '|' separated fields.
_ID_RE = re.compile(r"(?<!\d)(\d{9}|\d{12})(?!\d)")
_PAYLOAD_RE = re.compile(r"[^|\s]*\|[^|]*\|[^|]*\|\d{8}\|[^\n]*")


def redact(text: str) -> str:
    text = _PAYLOAD_RE.sub("[qr-payload]", text)
    return _ID_RE.sub(lambda m: m.group(1)[:3] + "*" * (len(m.group(1)) - 5) + m.group(1)[-2:], text)


_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            # a traceback's exception text may quote input: format it here and redact it too
            record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
            record.exc_info = None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("engineio.server", "socketio.server", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
