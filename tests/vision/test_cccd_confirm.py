"""CardConfirmer: a card is accepted after two agreeing reads within the window, once per showing."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from kiosk.vision.card_confirm import CardConfirmer
from kiosk.vision.cccd import parse_cccd

TODAY = datetime.date(2026, 11, 21)
CARD_A = parse_cccd(
    "001090984192|323442571|Nguyễn Văn Toàn|15081990|Nam|Phường Láng, Thành phố Hà Nội|20042021", today=TODAY
)
CARD_B = parse_cccd(
    "079303294570||Trần Thị Bảo Ngọc|21032003|Nữ|Phường Sài Gòn, Thành phố Hồ Chí Minh|14082025||||",
    today=TODAY,
)


def test_two_agreeing_reads_confirm_once() -> None:
    confirm = CardConfirmer()
    assert confirm.offer(CARD_A, now=0.0) is None
    assert confirm.pending
    assert confirm.offer(CARD_A, now=0.3) == CARD_A
    # The card stays in view: no second confirmation.
    assert confirm.offer(CARD_A, now=0.6) is None
    assert confirm.offer(CARD_A, now=10.0) is None


def test_reads_too_far_apart_do_not_confirm() -> None:
    confirm = CardConfirmer(window_s=1.0)
    assert confirm.offer(CARD_A, now=0.0) is None
    assert confirm.offer(None, now=0.5) is None
    assert confirm.offer(CARD_A, now=1.6) is None
    assert confirm.offer(CARD_A, now=2.0) == CARD_A


def test_empty_frames_expire_a_pending_read() -> None:
    confirm = CardConfirmer(window_s=1.0)
    confirm.offer(CARD_A, now=0.0)
    confirm.offer(None, now=1.5)
    assert not confirm.pending


def test_disagreeing_reads_restart_the_count() -> None:
    confirm = CardConfirmer()
    assert confirm.offer(CARD_A, now=0.0) is None
    assert confirm.offer(CARD_B, now=0.1) is None
    assert confirm.offer(CARD_A, now=0.2) is None
    assert confirm.offer(CARD_A, now=0.3) == CARD_A


def test_a_read_differing_in_one_field_does_not_agree() -> None:
    misread = dataclasses.replace(CARD_A, full_name="Nguyễn Văn Tuấn")
    confirm = CardConfirmer()
    confirm.offer(CARD_A, now=0.0)
    assert confirm.offer(misread, now=0.1) is None
    assert confirm.offer(misread, now=0.2) == misread


def test_same_card_confirms_again_after_leaving_view() -> None:
    confirm = CardConfirmer(rearm_s=3.0)
    confirm.offer(CARD_A, now=0.0)
    assert confirm.offer(CARD_A, now=0.1) == CARD_A
    confirm.offer(None, now=1.0)
    assert confirm.offer(CARD_A, now=2.0) is None  # back within 3 s of last seen: same showing
    for t in (3.0, 4.0, 5.0):
        confirm.offer(None, now=t)
    assert confirm.offer(CARD_A, now=5.5) is None
    assert confirm.offer(CARD_A, now=5.7) == CARD_A


def test_another_card_confirms_while_the_first_is_remembered() -> None:
    confirm = CardConfirmer()
    confirm.offer(CARD_A, now=0.0)
    confirm.offer(CARD_A, now=0.1)
    confirm.offer(CARD_B, now=0.2)
    assert confirm.offer(CARD_B, now=0.3) == CARD_B


def test_reset_forgets_the_confirmed_card() -> None:
    confirm = CardConfirmer()
    confirm.offer(CARD_A, now=0.0)
    confirm.offer(CARD_A, now=0.1)
    confirm.reset()
    confirm.offer(CARD_A, now=0.2)
    assert confirm.offer(CARD_A, now=0.3) == CARD_A


def test_uses_the_injected_clock() -> None:
    ticks = iter([0.0, 5.0, 5.2])
    confirm = CardConfirmer(window_s=1.0, clock=lambda: next(ticks))
    assert confirm.offer(CARD_A) is None
    assert confirm.offer(CARD_A) is None
    assert confirm.offer(CARD_A) == CARD_A


def test_repr_hides_the_card() -> None:
    confirm = CardConfirmer()
    confirm.offer(CARD_A, now=0.0)
    assert "001090984192" not in repr(confirm) and "Toàn" not in repr(confirm)


@pytest.mark.parametrize("kwargs", [{"reads_needed": 0}, {"window_s": 0}, {"rearm_s": -1}])
def test_bad_settings_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        CardConfirmer(**kwargs)
