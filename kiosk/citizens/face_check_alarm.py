"""Whether face recognition can be trusted at this centre today, judged by the citizens' own answers.

Every face match is a proposal the citizen confirms or refuses ("Đúng là Quý khách?", kiosk.session.flow);
a "Không phải tôi" is a suspected false match (kiosk.citizens.face_checks). When today's share of "no"
answers is above ``[vision] face_reject_warn_share`` with at least ``face_reject_min_answers`` answers
today, the manager's monitor warns that recognition is unreliable here (the camera, the light, or the
model on this centre's faces). The warning clears when the share falls back to the level or below, and
with the next day (the counts start again at zero).

``FaceCheckWatch`` is the state, with an injected clock and an injected reader of today's counts: its
``refresh()`` runs after every answer (the warning is there within the same request) and from a periodic
check (the day's turn); its listeners hear the status whenever what it shows changed.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.citizens.face_checks import rejected_share

log = logging.getLogger(__name__)

__all__ = ["FaceCheckWatch", "RejectLevel", "day_status", "warning_due", "warning_text"]


@dataclass(frozen=True)
class RejectLevel:
    """Above ``warn_share`` of "no" answers, with at least ``min_answers`` answers today: a warning."""

    warn_share: float = 0.15
    min_answers: int = 20


def warning_due(confirmed: int, rejected: int, level: RejectLevel) -> bool:
    answers = confirmed + rejected
    return answers >= level.min_answers and rejected / answers > level.warn_share


def _pct(share: float) -> str:
    return f"{int(share * 100 + 0.5)}%"


def warning_text(confirmed: int, rejected: int, level: RejectLevel) -> dict[str, str]:
    """The monitor's warning, Vietnamese first (the manager's register: "công dân")."""
    answers = confirmed + rejected
    share, limit = _pct(rejected / answers), _pct(level.warn_share)
    return {
        "vi": (f"Nhận diện khuôn mặt đang không đáng tin cậy tại trung tâm: hôm nay {rejected}/{answers} lượt "
               f"({share}) công dân trả lời “Không phải tôi” (ngưỡng cảnh báo {limit}). Đề nghị kiểm tra vị trí, "
               "độ nét của camera và ánh sáng; nếu tỉ lệ vẫn cao, hãy tắt nhận diện khuôn mặt. Công dân vẫn lấy "
               "số bằng thẻ căn cước/CCCD hoặc chạm màn hình."),
        "en": (f"Face recognition is unreliable at this centre: today {rejected} of {answers} answers ({share}) "
               f"were “No, it's not me” (warning level {limit}). Check the camera's position and focus and the "
               "lighting; if the share stays high, turn face recognition off. Citizens still take tickets with "
               "the CCCD card or by touch."),
    }


def day_status(day: str, confirmed: int, rejected: int, level: RejectLevel, faces: bool = True,
               raised_at: float | None = None) -> dict[str, Any]:
    """The ``today`` block of GET /api/v1/kiosk/face-checks and the ``face_checks`` event on /monitor:
    ``{"day", "confirmed", "rejected", "rejected_share" (null without answers), "warn_share", "min_answers",
    "faces" (recognition on), "warning": null | {"vi", "en", "at"}}``."""
    warning = None
    if warning_due(confirmed, rejected, level):
        warning = {**warning_text(confirmed, rejected, level), "at": raised_at}
    return {"day": day, "confirmed": confirmed, "rejected": rejected,
            "rejected_share": rejected_share(confirmed, rejected), "warn_share": level.warn_share,
            "min_answers": level.min_answers, "faces": faces, "warning": warning}


class FaceCheckWatch:
    """Today's answers and the warning; ``counts()`` returns ``(day, confirmed, rejected)`` for today."""

    def __init__(self, counts: Callable[[], tuple[str, int, int]], level: RejectLevel,
                 clock: Callable[[], float], faces: bool = True,
                 on_change: Callable[[dict[str, Any]], object] | None = None) -> None:
        self.counts, self.level, self.clock, self.faces = counts, level, clock, faces
        self._listeners = [on_change] if on_change else []
        self._raised_at: float | None = None
        self._told: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def add_listener(self, fn: Callable[[dict[str, Any]], object]) -> None:
        self._listeners.append(fn)

    def refresh(self) -> dict[str, Any]:
        """Today's status read afresh; the listeners hear it when it differs from what they were told."""
        with self._lock:
            day, confirmed, rejected = self.counts()
            due = warning_due(confirmed, rejected, self.level)
            if due and self._raised_at is None:
                self._raised_at = self.clock()
                log.warning("face recognition looks unreliable: %d of %d answers today were 'not me'",
                            rejected, confirmed + rejected)
            elif not due and self._raised_at is not None:
                self._raised_at = None
                log.info("face recognition warning cleared (%d of %d answers today were 'not me')",
                         rejected, confirmed + rejected)
            status = day_status(day, confirmed, rejected, self.level, self.faces, self._raised_at)
            if status != self._told:
                self._told = status
                for listener in self._listeners:
                    try:
                        listener(status)
                    except Exception:  # a screen that cannot be told must not stop the count
                        log.exception("face check listener %r failed", listener)
            return status
