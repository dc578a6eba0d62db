"""Signed ticket-tracking links, printed as the ticket's QR: ``/t/<ticket id>/<sig>``.

``sig`` is a short HMAC-SHA256 of the ticket id under a key derived from the app's secret key, so
ticket ids cannot be enumerated: without the secret nobody can build the link of another ticket.
12 base64url characters carry 72 bits, far beyond guessing over HTTP.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

SIG_LENGTH = 12
_SIG_RE = re.compile(rf"^[A-Za-z0-9_-]{{{SIG_LENGTH}}}$")


def _key(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    # A derived key: the session-signing secret itself never signs anything else.
    return hmac.new(raw, b"kiosk ticket tracking v1", hashlib.sha256).digest()


def ticket_signature(secret: str | bytes, ticket_id: int) -> str:
    """The link signature of ``ticket_id``."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or ticket_id < 1:
        raise ValueError(f"ticket id must be a positive whole number, not {ticket_id!r}")
    mac = hmac.new(_key(secret), f"ticket:{ticket_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:SIG_LENGTH]


def verify_signature(secret: str | bytes, ticket_id: int, sig: str) -> bool:
    """True when ``sig`` is the signature of ``ticket_id`` (constant-time comparison)."""
    if not isinstance(sig, str) or not _SIG_RE.match(sig) or ticket_id < 1:
        return False
    return hmac.compare_digest(sig, ticket_signature(secret, ticket_id))


def tracking_path(secret: str | bytes, ticket_id: int) -> str:
    """The path of the tracking page of ``ticket_id``."""
    return f"/t/{ticket_id}/{ticket_signature(secret, ticket_id)}"
