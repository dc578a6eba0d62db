"""How often the monitor's "face recognition is unreliable" warning fires, for the rule it uses
(kiosk.citizens.face_check_alarm.warning_due) at a few levels: exact, by dynamic programming over the day's
answers (each answer a "no" with probability p, independently), with the warning checked after every answer.

Prints, per level (warn_share, min_answers): the chance that a day raises the warning at least once, for a
ward centre's day (30 answers) and a district centre's (300), at "no" rates a working setup gives (3-8 %) and
rates of a failing one (25 %, 35 %); and the median number of answers before a failing setup is warned of.

    .venv/bin/python bench/bench_face_reject_warning.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.citizens.face_check_alarm import RejectLevel, warning_due  # noqa: E402

LEVELS = [(0.10, 10), (0.10, 20), (0.15, 10), (0.15, 20), (0.15, 30), (0.20, 20)]
RATES = [0.03, 0.05, 0.08, 0.25, 0.35]
DAYS = [("ward", 30), ("district", 300)]


def raised_by(answers: int, p: float, level: RejectLevel) -> list[float]:
    """P(the warning was raised within the first n answers), for n = 0..answers."""
    alive = {0: 1.0}  # number of "no" answers -> probability, among the days not yet warned
    raised, out = 0.0, [0.0]
    for n in range(1, answers + 1):
        step: dict[int, float] = {}
        for k, q in alive.items():
            step[k + 1] = step.get(k + 1, 0.0) + q * p
            step[k] = step.get(k, 0.0) + q * (1 - p)
        alive = {}
        for k, q in step.items():
            if warning_due(n - k, k, level):
                raised += q
            else:
                alive[k] = q
        out.append(raised)
    return out


def median_answers(p: float, level: RejectLevel, cap: int = 2000) -> str:
    curve = raised_by(cap, p, level)
    n = next((i for i, v in enumerate(curve) if v >= 0.5), None)
    return str(n) if n is not None else f"> {cap}"


def main() -> None:
    head = " | ".join(f"{name} p={p:.0%}" for name, _ in DAYS for p in RATES)
    print(f"| level (share, min answers) | {head} | median answers to a warning at 25 % / 35 % |")
    print("|---" * (2 + len(DAYS) * len(RATES)) + "|")
    for share, minimum in LEVELS:
        level = RejectLevel(share, minimum)
        cells = [f"{raised_by(n, p, level)[-1]:.1%}" for _, n in DAYS for p in RATES]
        print(f"| {share:.0%}, {minimum} | " + " | ".join(cells)
              + f" | {median_answers(0.25, level)} / {median_answers(0.35, level)} |")


if __name__ == "__main__":
    main()
