"""Counts of the citizens' answers to "Đúng là Quý khách?" after a face match (kiosk.session.flow).

"confirmed": the citizen said it is them; "rejected": they said it is not, a suspected false match of the
face matcher, shown to the manager. Only the outcome, the time and the terminal are kept: no citizen, no
face, nothing that points back to a person.
"""
from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from kiosk.queue.errors import InvalidInput

__all__ = ["OUTCOMES", "face_check_counts", "record_face_check", "rejected_share"]

OUTCOMES = ("confirmed", "rejected")


def _day(value: Any, name: str) -> str:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise InvalidInput(f"{name} must be a date YYYY-MM-DD, not {value!r}", text="param_date",
                       values={"field": name})


def record_face_check(conn: sqlite3.Connection, outcome: str, at: float, day: str,
                      terminal_id: int | None = None) -> int:
    """Keep one answer (``at``: seconds since the epoch, ``day``: the centre's YYYY-MM-DD); returns its id."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        raise InvalidInput(f"at must be a time in seconds, not {at!r}")
    if terminal_id is not None and (isinstance(terminal_id, bool) or not isinstance(terminal_id, int)):
        raise InvalidInput(f"terminal_id must be a whole number or None, not {terminal_id!r}")
    cur = conn.execute("INSERT INTO face_checks (at, day, terminal_id, outcome) VALUES (?, ?, ?, ?)",
                       [float(at), _day(day, "day"), terminal_id, outcome])
    return int(cur.lastrowid)


def rejected_share(confirmed: int, rejected: int) -> float | None:
    """The share of "no" among the answers (None without any)."""
    answers = confirmed + rejected
    return rejected / answers if answers else None


def face_check_counts(conn: sqlite3.Connection, day_from: str, day_to: str) -> dict[str, Any]:
    """The answers from ``day_from`` to ``day_to`` (both included, YYYY-MM-DD):
    ``{"from", "to", "confirmed": n, "rejected": n, "by_terminal": {terminal_id: {"confirmed": n, "rejected": n}},
    "by_day": [{"day", "confirmed", "rejected", "rejected_share"}]}`` (answers of no known terminal count
    in the totals only; ``by_day`` lists the days with answers, oldest first)."""
    start, end = _day(day_from, "from"), _day(day_to, "to")
    if start > end:
        raise InvalidInput(f"from ({start}) is after to ({end})", text="report_from_after_to")
    totals = dict.fromkeys(OUTCOMES, 0)
    by_terminal: dict[int, dict[str, int]] = {}
    by_day: dict[str, dict[str, int]] = {}
    rows = conn.execute("SELECT day, terminal_id, outcome, COUNT(*) AS n FROM face_checks WHERE day BETWEEN ? AND ? "
                        "GROUP BY day, terminal_id, outcome ORDER BY day", [start, end])
    for row in rows:
        outcome, n = row["outcome"], row["n"]
        totals[outcome] += n
        by_day.setdefault(row["day"], dict.fromkeys(OUTCOMES, 0))[outcome] += n
        if row["terminal_id"] is not None:
            by_terminal.setdefault(row["terminal_id"], dict.fromkeys(OUTCOMES, 0))[outcome] += n
    days = [{"day": day, **counts, "rejected_share": rejected_share(counts["confirmed"], counts["rejected"])}
            for day, counts in by_day.items()]
    return {"from": start, "to": end, **totals, "by_terminal": by_terminal, "by_day": days}
