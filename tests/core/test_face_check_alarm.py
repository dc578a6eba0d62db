"""The rule and state of the "face recognition unreliable" warning (kiosk.citizens.face_check_alarm), with an
injected clock and counts: the thresholds' edges, when listeners are told, the day's turn."""
from __future__ import annotations

import unicodedata

from kiosk.citizens.face_check_alarm import FaceCheckWatch, RejectLevel, day_status, warning_due


def test_the_level_and_the_minimum_of_answers():
    level = RejectLevel(0.15, 20)
    assert RejectLevel() == level  # the defaults of [vision] face_reject_warn_share / face_reject_min_answers
    assert not warning_due(0, 19, level)  # every answer a "no", but 19 answers: too few to tell
    assert warning_due(16, 4, level)  # 4/20 = 20 %
    assert not warning_due(17, 3, level)  # 3/20 = 15 %: at the level is not above it
    assert not warning_due(0, 0, RejectLevel(0.01, 1))
    assert warning_due(0, 1, RejectLevel(0.99, 1)) and not warning_due(0, 1, RejectLevel(1.0, 1))  # 1.0: never


def test_the_status_and_its_text():
    status = day_status("2026-11-23", 16, 4, RejectLevel(), raised_at=100.0)
    assert status["rejected_share"] == 0.2 and status["warn_share"] == 0.15 and status["min_answers"] == 20
    vi = status["warning"]["vi"]
    assert "hôm nay 4/20 lượt (20%)" in vi and "“Không phải tôi”" in vi and "(ngưỡng cảnh báo 15%)" in vi
    assert unicodedata.is_normalized("NFC", vi) and status["warning"]["at"] == 100.0
    assert day_status("2026-11-23", 0, 0, RejectLevel())["rejected_share"] is None


def test_the_watch_tells_changes_and_keeps_when_the_warning_was_raised():
    now = {"t": 1000.0}
    counts = {"day": "2026-11-23", "yes": 0, "no": 0}
    told: list[dict] = []

    def broken(status: dict) -> None:
        raise RuntimeError("a screen that cannot be told")

    watch = FaceCheckWatch(lambda: (counts["day"], counts["yes"], counts["no"]), RejectLevel(0.2, 5),
                           lambda: now["t"], on_change=broken)
    watch.add_listener(told.append)
    watch.refresh()
    watch.refresh()  # nothing changed: told once
    assert len(told) == 1 and told[0]["warning"] is None

    counts.update(yes=3, no=2)
    now["t"] = 1010.0
    raised = watch.refresh()["warning"]
    assert raised is not None and raised["at"] == 1010.0 and len(told) == 2
    counts.update(yes=4)  # 2/6 = 33 %: still warned, since 1010, with the new counts
    now["t"] = 1020.0
    assert watch.refresh()["warning"]["at"] == 1010.0 and "2/6" in told[-1]["warning"]["vi"]
    assert watch.refresh() == told[-1] and len(told) == 3

    counts.update(day="2026-11-24", yes=0, no=0)  # the day's turn clears it
    assert watch.refresh()["warning"] is None and told[-1]["day"] == "2026-11-24"
    counts.update(yes=3, no=2)
    now["t"] = 90000.0
    assert watch.refresh()["warning"]["at"] == 90000.0  # a new warning, a new time
