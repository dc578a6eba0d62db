"""The sign-in throttle's rules on an injected clock (kiosk.queue.ratelimit, kiosk.accounts.login_guard)."""
from __future__ import annotations

import pytest

from kiosk.accounts.login_guard import LoginGuard, Throttled, account_key
from kiosk.queue.ratelimit import SlidingWindow


class Tick:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_limiter_allows_limit_then_refuses_until_the_oldest_ages_out():
    clock = Tick()
    limiter = SlidingWindow(3, 60, clock)
    for _ in range(3):
        assert limiter.retry_after("k") == 0
        limiter.hit("k")
        clock.t += 10
    assert limiter.retry_after("k") == pytest.approx(30)  # the first hit (at 1000) leaves at 1060; now 1030
    clock.t = 1060.0
    assert limiter.retry_after("k") == 0
    assert limiter.retry_after("other") == 0


def test_forgive_takes_back_one_clear_forgets_all_and_keys_are_bounded():
    clock = Tick()
    limiter = SlidingWindow(2, 60, clock, max_keys=3)
    limiter.hit("k")
    limiter.hit("k")
    assert limiter.retry_after("k") > 0
    limiter.give_back("k")
    assert limiter.retry_after("k") == 0
    limiter.hit("k")
    limiter.clear("k")
    assert limiter.retry_after("k") == 0 and len(limiter) == 0
    for key in "abcde":
        limiter.hit(key)
    assert len(limiter) == 3  # the least recently hit went first
    clock.t += 61
    assert all(limiter.retry_after(key) == 0 for key in "abcde")


def test_limiter_refuses_nonsense_settings():
    with pytest.raises(ValueError):
        SlidingWindow(0, 60, Tick())
    with pytest.raises(ValueError):
        SlidingWindow(1, 0, Tick())


def test_guard_counts_before_checking_and_refuses_without_checking():
    clock = Tick()
    guard = LoginGuard(per_account=5, per_address=20, window_s=900, clock=clock)
    checks = []

    def wrong():
        checks.append(1)
        return None

    for _ in range(200):
        guard.attempt("quay1", "10.0.0.9", wrong)
    assert len(checks) == 5  # 195 refused without a password check
    refused = guard.attempt("quay1", "10.0.0.10", lambda: "principal")
    assert isinstance(refused, Throttled) and refused.minutes == 15
    assert refused.message_vi.startswith("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút")
    # the same for a name that is no account: counted by the name alone
    for _ in range(5):
        assert guard.attempt("khong-co-ai", "10.0.0.11", lambda: None) is None
    assert isinstance(guard.attempt("khong-co-ai", "10.0.0.11", lambda: None), Throttled)
    clock.t += 901
    assert guard.attempt("quay1", "10.0.0.9", lambda: "principal") == "principal"


def test_a_success_clears_the_account_and_does_not_count_for_the_address():
    guard = LoginGuard(per_account=3, per_address=4, window_s=900, clock=Tick())
    guard.attempt("a", "ip", lambda: None)
    guard.attempt("a", "ip", lambda: None)
    assert guard.attempt("a", "ip", lambda: "ok") == "ok"
    assert guard.accounts.retry_after(account_key("a")) == 0
    for _ in range(10):
        assert guard.attempt("b", "ip2", lambda: "ok") == "ok"  # successes never lock an address
    guard.attempt("c", "ip", lambda: None)
    guard.attempt("d", "ip", lambda: None)  # 4 failures from "ip" in all
    assert isinstance(guard.attempt("e", "ip", lambda: "ok"), Throttled)


def test_usernames_count_as_the_login_compares_them_and_unlock_forgets():
    guard = LoginGuard(per_account=2, per_address=100, window_s=900, clock=Tick())
    guard.attempt("Quay1 ", "x", lambda: None)
    guard.attempt("quay1", "y", lambda: None)
    assert guard.blocked("QUAY1", "z") is not None
    guard.unlock("quay1")
    assert guard.blocked("quay1", "z") is None
    assert account_key(None) == account_key("") and len(account_key("x" * 10_000)) < 100


def test_device_sign_in_is_throttled_by_address():
    guard = LoginGuard(per_account=1, per_address=3, window_s=60, clock=Tick())
    for _ in range(3):
        assert guard.address_attempt("ip", lambda: None) is None
    assert isinstance(guard.address_attempt("ip", lambda: "token"), Throttled)
    assert guard.address_attempt("other", lambda: "token") == "token"
