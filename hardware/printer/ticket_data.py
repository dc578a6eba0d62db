"""The plain data printed on a queue ticket, validated and normalised to NFC."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

# Ticket numbers are a service prefix letter (or two) and digits, e.g. A015 (DESIGN.md "Data").
_TICKET_RE = re.compile(r"^[A-Z]{1,2}[0-9]{1,4}$")
_MAX_TEXT = 120
_MAX_URL = 300


class TicketDataError(ValueError):
    """A field of a ticket is missing, of the wrong type or out of range."""


def _text(name: str, value: object, *, required: bool = True, max_len: int = _MAX_TEXT) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise TicketDataError(f"{name} must be a string, got {type(value).__name__}")
    text = unicodedata.normalize("NFC", " ".join(value.split()))
    if required and not text:
        raise TicketDataError(f"{name} must not be empty")
    if len(text) > max_len:
        raise TicketDataError(f"{name} is too long ({len(text)} > {max_len} characters)")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise TicketDataError(f"{name} contains control characters")
    return text


def _count(name: str, value: object, upper: int) -> int:
    # bool is an int subclass; True people ahead is a caller bug, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TicketDataError(f"{name} must be an integer, got {type(value).__name__}")
    if not 0 <= value <= upper:
        raise TicketDataError(f"{name} must be between 0 and {upper}, got {value}")
    return value


@dataclass(frozen=True)
class TicketData:
    """Everything printed on one ticket.

    Text fields are normalised to NFC with runs of whitespace collapsed; construction raises
    :class:`TicketDataError` with a clear message for any bad field.

    - centre_name: the centre, e.g. "Bộ phận Một cửa UBND quận Hà Đông"
    - service_name: the service (lĩnh vực), e.g. "Hộ tịch"
    - ticket_number: e.g. "A015" (upper-case prefix letters then digits)
    - people_ahead: citizens waiting before this ticket
    - estimated_wait_min: estimated wait in whole minutes
    - issued_at: local issue time
    - qr_url: http(s) URL of the page where the citizen follows their place in the queue
    - priority_label: optional, e.g. "Ưu tiên: người cao tuổi"
    - copy_label: optional; a reprint of a ticket already issued says so at the top, e.g. "BẢN IN LẠI"
    """

    centre_name: str
    service_name: str
    ticket_number: str
    people_ahead: int
    estimated_wait_min: int
    issued_at: datetime
    qr_url: str
    priority_label: str = field(default="")
    copy_label: str = field(default="")

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen dataclass: normalise in place once
        set_(self, "centre_name", _text("centre_name", self.centre_name))
        set_(self, "service_name", _text("service_name", self.service_name))
        set_(self, "priority_label", _text("priority_label", self.priority_label, required=False))
        set_(self, "copy_label", _text("copy_label", self.copy_label, required=False, max_len=40))
        number = _text("ticket_number", self.ticket_number, max_len=6).upper()
        if not _TICKET_RE.match(number):
            raise TicketDataError(f"ticket_number must look like A015 (letters then digits), got {number!r}")
        set_(self, "ticket_number", number)
        _count("people_ahead", self.people_ahead, 9999)
        _count("estimated_wait_min", self.estimated_wait_min, 24 * 60)
        if not isinstance(self.issued_at, datetime):
            raise TicketDataError(f"issued_at must be a datetime, got {type(self.issued_at).__name__}")
        url = self.qr_url
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            raise TicketDataError("qr_url must be an http:// or https:// URL")
        if len(url) > _MAX_URL or any(ch.isspace() or ord(ch) < 0x21 or ord(ch) > 0x7E for ch in url):
            raise TicketDataError(f"qr_url must be printable ASCII without spaces, at most {_MAX_URL} characters")
