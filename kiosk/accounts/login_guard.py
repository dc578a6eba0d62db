"""Sign-in throttling: per account and per address, decided before any password hash runs.

Every attempt counts before its password is checked (parallel guesses cannot all slip in before the first
failure is recorded); a success takes its own attempt back, and clears the account's. While a key is over
its limit the answer comes at once and the same for every username, known or not: no scrypt, so a flood
of guesses costs no CPU and tells nothing about which accounts exist. The counts live in memory (a
restart forgets them); an administrator can unlock an account early.
"""
from __future__ import annotations

import math
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kiosk.queue.ratelimit import SlidingWindow

T = TypeVar("T")

MESSAGE_VI = ("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút "
              "hoặc liên hệ quản trị viên để mở khóa.")
MESSAGE_EN = "Too many failed sign-ins. Try again in {minutes} min or ask the administrator to unlock."


@dataclass(frozen=True)
class Throttled:
    """A refusal without a password check: wait ``retry_after_s``."""

    retry_after_s: float

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_s / 60))

    @property
    def message_vi(self) -> str:
        return MESSAGE_VI.format(minutes=self.minutes)

    @property
    def message(self) -> str:
        return MESSAGE_EN.format(minutes=self.minutes)


def account_key(username: Any) -> str:
    """The account a username names, as the limiter counts it (known or not: the same rule)."""
    text = username if isinstance(username, str) else ""
    return "u:" + unicodedata.normalize("NFC", text).strip().lower()[:80]


class LoginGuard:
    def __init__(self, per_account: int = 5, per_address: int = 20, window_s: float = 15 * 60,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.accounts = SlidingWindow(per_account, window_s, clock)
        self.addresses = SlidingWindow(per_address, window_s, clock)

    def blocked(self, username: Any, address: str | None) -> Throttled | None:
        wait = max(self.accounts.retry_after(account_key(username)),
                   self.addresses.retry_after("a:" + (address or "")))
        return Throttled(wait) if wait > 0 else None

    def attempt(self, username: Any, address: str | None, check: Callable[[], T | None]) -> T | Throttled | None:
        """``check()`` (the password check: its result, None for a failure) unless throttled (Throttled)."""
        refused = self.blocked(username, address)
        if refused is not None:
            return refused
        account, place = account_key(username), "a:" + (address or "")
        self.accounts.hit(account)
        self.addresses.hit(place)
        result = check()
        if result is not None:
            self.accounts.clear(account)
            self.addresses.give_back(place)
        return result

    def address_attempt(self, address: str | None, check: Callable[[], T | None]) -> T | Throttled | None:
        """The same by address only (a device token's sign-in: no account to name)."""
        place = "a:" + (address or "")
        wait = self.addresses.retry_after(place)
        if wait > 0:
            return Throttled(wait)
        self.addresses.hit(place)
        result = check()
        if result is not None:
            self.addresses.give_back(place)
        return result

    def unlock(self, username: Any) -> None:
        self.accounts.clear(account_key(username))
