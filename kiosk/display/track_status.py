"""What the citizen's tracking page shows of one ticket: its state in Vietnamese, its place and wait.

One body for the page's JSON (``GET /t/<id>/<sig>``), its live ``track_update`` (Socket.IO ``/track``)
and its HTML, so the three cannot disagree. The place comes from the queue's forecast
(kiosk/queue/forecast.py, ``docs/queue_order.md``).
"""
from __future__ import annotations

from typing import Any

from kiosk.queue.model import Ticket

STATE_VI = {
    "waiting": "Đang chờ đến lượt",
    "called": "Đến lượt Quý khách! Mời đến quầy số {counter}",
    "serving": "Đang được phục vụ tại quầy số {counter}",
    "done": "Đã hoàn thành",
    "no_show": "Đã quá lượt (vắng mặt khi được gọi)",
    "held": "Tạm giữ – Quý khách vui lòng liên hệ quầy",
    "cancelled": "Đã hủy",
    "expired": "Đã hết giờ làm việc – số thứ tự không còn hiệu lực, kính mời Quý khách lấy số mới",
}
LIVE_STATES = ("waiting", "called", "serving", "held")  # the page keeps updating in these


def track_status(ticket: Ticket, place: tuple[int, int] | None) -> dict[str, Any]:
    """``{number, state, counter, position, people_ahead, estimated_wait_s, message}``; ``place`` is the
    engine's (position, estimated wait s) of a waiting ticket, None otherwise (then those are null)."""
    position, wait_s = place if place else (None, None)
    return {"number": ticket.number, "state": ticket.state, "counter": ticket.counter,
            "position": position, "people_ahead": position - 1 if position else None,
            "estimated_wait_s": wait_s, "message": STATE_VI.get(ticket.state, ticket.state).format(counter=ticket.counter)}


def wait_text_vi(wait_s: int | None) -> str:
    """The estimated wait as the page words it (whole minutes, rounded up)."""
    minutes = -(-(wait_s or 0) // 60)
    return "dưới 1 phút" if minutes == 0 else f"khoảng {minutes} phút"
