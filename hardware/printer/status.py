"""ESC/POS real-time status (DLE EOT n) replies and what they mean for the kiosk.

``DLE EOT n`` (0x10 0x04 n) asks the printer for one status byte; the printer answers even when
it is offline or out of paper. Every reply byte has bit 1 and bit 4 set and bits 0 and 7 clear
(pattern 0b0xx1xx10), which is how a reply is told apart from noise. Bit meanings follow the
Epson ESC/POS reference, which common 58/80 mm printers (Xprinter, Rongta, Epson TM) implement:

- n=1 printer status: bit 3 offline.
- n=2 offline cause: bit 2 cover open, bit 3 paper fed by the button, bit 5 printing stopped by paper
  end, bit 6 error.
- n=3 error cause: bit 2 recoverable error, bit 3 auto-cutter error, bit 5 unrecoverable error,
  bit 6 auto-recoverable error (head temperature).
- n=4 roll paper sensor: bits 2-3 near end, bits 5-6 paper end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

DLE_EOT = b"\x10\x04"
STATUS_QUERIES = (1, 2, 3, 4)
_FIXED_MASK = 0b1001_0011
_FIXED_VALUE = 0b0001_0010


class PrinterStatus(StrEnum):
    """What the kiosk needs to know about the printer, most severe cause first."""

    ONLINE = "online"
    PAPER_NEAR_END = "paper_near_end"  # still prints; tell staff to change the roll soon
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    ERROR = "error"  # cutter jam, head overheat, unrecoverable fault
    OFFLINE = "offline"  # no reply, unplugged, or the printer reports itself offline
    UNKNOWN = "unknown"  # the connection has no back channel (e.g. a write-only file)

    @property
    def can_print(self) -> bool:
        """True when a ticket sent now will come out of the printer."""
        return self in (PrinterStatus.ONLINE, PrinterStatus.PAPER_NEAR_END, PrinterStatus.UNKNOWN)


#: Vietnamese text for the kiosk and monitor screens.
STATUS_MESSAGES_VI = {
    PrinterStatus.ONLINE: "Máy in sẵn sàng",
    PrinterStatus.PAPER_NEAR_END: "Máy in sắp hết giấy",
    PrinterStatus.PAPER_OUT: "Máy in hết giấy",
    PrinterStatus.COVER_OPEN: "Nắp máy in đang mở",
    PrinterStatus.ERROR: "Máy in bị lỗi",
    PrinterStatus.OFFLINE: "Máy in không kết nối",
    PrinterStatus.UNKNOWN: "Không rõ trạng thái máy in",
}


class StatusReplyError(ValueError):
    """A status reply byte that cannot be a DLE EOT answer."""


def is_status_byte(value: int) -> bool:
    """True when ``value`` has the fixed bits every DLE EOT reply carries."""
    return 0 <= value <= 255 and value & _FIXED_MASK == _FIXED_VALUE


def status_query(n: int) -> bytes:
    """The 3-byte DLE EOT n command for n in 1..4."""
    if n not in STATUS_QUERIES:
        raise ValueError(f"DLE EOT n must be 1..4, got {n!r}")
    return DLE_EOT + bytes((n,))


@dataclass(frozen=True)
class StatusReport:
    """The decoded replies of one status poll.

    ``replies`` maps n (1..4) to the reply byte; a missing n means that query timed out or was not
    sent. ``unanswered`` is the n whose reply did not come in time, which ended the poll.
    """

    status: PrinterStatus
    replies: dict[int, int] = field(default_factory=dict)
    offline: bool = False
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    error: bool = False
    detail: str = ""
    unanswered: int | None = None

    @property
    def can_print(self) -> bool:
        """True when a ticket sent now will come out of the printer."""
        return self.status.can_print

    @property
    def message_vi(self) -> str:
        """The status in Vietnamese for the kiosk and monitor screens."""
        return STATUS_MESSAGES_VI[self.status]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the monitor page."""
        return {
            "status": self.status.value,
            "can_print": self.can_print,
            "message": self.message_vi,
            "offline": self.offline,
            "cover_open": self.cover_open,
            "paper_out": self.paper_out,
            "paper_near_end": self.paper_near_end,
            "error": self.error,
            "detail": self.detail,
        }


def unreachable(detail: str) -> StatusReport:
    """The report for a printer that did not answer or could not be opened."""
    return StatusReport(status=PrinterStatus.OFFLINE, offline=True, detail=detail)


def decode_status(replies: dict[int, int]) -> StatusReport:
    """Turn DLE EOT 1..4 reply bytes into a :class:`StatusReport`.

    Raises :class:`StatusReplyError` for a byte without the fixed reply bits. A poll where the printer
    answered nothing is OFFLINE; partial answers are decoded from what arrived.
    """
    for n, value in replies.items():
        if n not in STATUS_QUERIES:
            raise StatusReplyError(f"status reply for unknown query n={n}")
        if not is_status_byte(value):
            raise StatusReplyError(f"byte 0x{value:02x} is not a DLE EOT {n} reply (fixed bits wrong)")
    if not replies:
        return unreachable("no reply to DLE EOT")
    b1, b2, b3, b4 = (replies.get(n, _FIXED_VALUE) for n in STATUS_QUERIES)
    offline = bool(b1 & 0x08)
    cover_open = bool(b2 & 0x04)
    paper_out = bool(b2 & 0x20) or (b4 & 0x60) == 0x60
    paper_near_end = (b4 & 0x0C) == 0x0C
    error = bool(b2 & 0x40) or bool(b3 & 0x6C)
    if paper_out:
        status = PrinterStatus.PAPER_OUT
    elif cover_open:
        status = PrinterStatus.COVER_OPEN
    elif error:
        status = PrinterStatus.ERROR
    elif offline:
        status = PrinterStatus.OFFLINE
    elif paper_near_end:
        status = PrinterStatus.PAPER_NEAR_END
    else:
        status = PrinterStatus.ONLINE
    detail = " ".join(f"n{n}=0x{replies[n]:02x}" for n in sorted(replies))
    return StatusReport(
        status=status,
        replies=dict(replies),
        offline=offline,
        cover_open=cover_open,
        paper_out=paper_out,
        paper_near_end=paper_near_end,
        error=error,
        detail=detail,
    )


def encode_status(
    *,
    offline: bool = False,
    cover_open: bool = False,
    paper_out: bool = False,
    paper_near_end: bool = False,
    cutter_error: bool = False,
) -> dict[int, int]:
    """The reply bytes a printer in this state sends to DLE EOT 1..4 (used by the simulator)."""
    # A printer with its cover open, out of paper or in error also reports itself offline.
    stopped = offline or cover_open or paper_out or cutter_error
    b1 = _FIXED_VALUE | (0x08 if stopped else 0)
    b2 = _FIXED_VALUE | (0x04 if cover_open else 0) | (0x20 if paper_out else 0) | (0x40 if cutter_error else 0)
    b3 = _FIXED_VALUE | (0x08 if cutter_error else 0)
    b4 = _FIXED_VALUE | (0x60 if paper_out else 0) | (0x0C if (paper_near_end or paper_out) else 0)
    return {1: b1, 2: b2, 3: b3, 4: b4}
