"""The public booking's limits per address (in memory) and its 429 answers.

Per address: bookings made (and "already booked" refusals, so probing who has a booking costs the same),
and failed cancels or look-ups (a wrong code or wrong ID digits; a right pair is not counted). Per code: failed tries, so a code seen
over someone's shoulder cannot be paired with 10,000 last-digit guesses from many addresses. The per-ID
limit is the queue's (kiosk.queue.appointments: counted over the rows, so it holds across restarts); these
are lost on a restart, which only gives an attacker one more hour's budget.

The address is the TCP peer (``request.remote_addr``; IPv6 by its /64): behind a reverse proxy every citizen would share
the proxy's, so the service is meant to be reached directly (docs/booking.md).
"""
from __future__ import annotations

import ipaddress
import logging
import math
from typing import Any

from flask import request

from kiosk.queue.appointments import AppointmentRules
from kiosk.queue.ratelimit import SlidingWindow
from kiosk.web.errors import error_response

log = logging.getLogger(__name__)

BOOK_VI = ("Quý khách đã đặt quá nhiều lịch hẹn trong thời gian ngắn từ cùng một địa chỉ mạng. "
           "Vui lòng thử lại sau khoảng {wait}.")
ID_VI = ("Quý khách đã đặt quá nhiều lịch hẹn với số CCCD này trong {hours} giờ qua. "
         "Vui lòng thử lại sau khoảng {wait}.")
CANCEL_VI = ("Quý khách đã nhập sai mã hẹn hoặc 4 số cuối CCCD quá nhiều lần. Vui lòng thử lại sau khoảng {wait}, "
             "hoặc liên hệ bộ phận một cửa.")


def wait_vi(seconds: float) -> str:
    """``90`` -> "2 phút", ``7200`` -> "2 giờ": rounded up, so the citizen never comes back too early."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"{math.ceil(minutes / 60)} giờ" if minutes > 90 else f"{minutes} phút"


def throttled(code: str, message: str, retry_after_s: float, message_vi: str):
    response = error_response(429, code, message, message_vi)
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after_s)))
    return response


class BookingGuard:
    """The in-memory windows of one app; ``clock()`` is seconds (the service's clock, so tests can move it)."""

    def __init__(self, rules: AppointmentRules, clock: Any) -> None:
        self.rules = rules
        self.book = SlidingWindow(rules.book_per_address, rules.book_address_window_minutes * 60, clock)
        self.cancel = SlidingWindow(rules.cancel_failures_per_address, rules.cancel_address_window_minutes * 60,
                                    clock)
        self.code = SlidingWindow(rules.cancel_failures_per_code, rules.cancel_code_window_hours * 3600, clock)
        self.clock = clock
        self._warned: dict[str, float] = {}

    def _warn(self, kind: str, message: str, *args: Any) -> None:
        """At most one line a minute per kind: a flood of refused requests must not flood the log too. No
        address in it (it is the citizen's); many at busy hours point at a shared address (CGNAT)."""
        now = self.clock()
        if now - self._warned.get(kind, -1e18) >= 60:
            self._warned[kind] = now
            log.warning(message, *args)

    @staticmethod
    def address() -> str:
        """The client's address; an IPv6 one by its /64, which one household or phone is given whole."""
        text = request.remote_addr or "-"
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            return text
        if ip.version == 4:
            return str(ip)
        if ip.ipv4_mapped is not None:  # ::ffff:198.51.100.7 is that IPv4 address
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))

    def book_refused(self):
        """A 429 when this address has booked its fill, else None and one booking counted (``give_back``
        if it then is not made)."""
        wait = self.book.take(self.address())
        if wait <= 0:
            return None
        self._warn("book", "public booking refused: an address reached book_per_address (%d per %d min)",
                   self.rules.book_per_address, self.rules.book_address_window_minutes)
        return throttled("booking_throttled", f"at most {self.rules.book_per_address} bookings per address "
                         f"within {self.rules.book_address_window_minutes} minutes", wait,
                         BOOK_VI.format(wait=wait_vi(wait)))

    def give_back_booking(self) -> None:
        self.book.give_back(self.address())

    def id_refused(self, retry_after_s: float, message: str):
        return throttled("booking_id_limit", message, retry_after_s,
                         ID_VI.format(hours=self.rules.book_id_window_hours, wait=wait_vi(retry_after_s)))

    def cancel_refused(self, code: str):
        """A 429 when this address, or this code, has failed too often; else None, and this try counted as a
        failure until ``proved`` takes it back: counted first, so a burst of parallel guesses cannot all pass
        the check before the first of them is counted."""
        address = self.address()
        wait = self.cancel.take(address)
        if wait <= 0 and code:
            wait = self.code.take(code)
            if wait > 0:
                self.cancel.give_back(address)
        if wait <= 0:
            return None
        self._warn("cancel", "public appointment look-up refused: too many wrong code/ID-digit pairs")
        return throttled("cancel_throttled", "too many wrong appointment codes or ID digits; try again later",
                         wait, CANCEL_VI.format(wait=wait_vi(wait)))

    def proved(self, code: str) -> None:
        """The code and the ID digits were right: this try was no failure."""
        self.cancel.give_back(self.address())
        if code:
            self.code.give_back(code)
