"""The cell of a rollup: counts and sums that add up across days, and the ROW read from them.

A day is rolled up once per dimension (service, counter, officer, hour): every ticket of the day lands
in exactly one cell of each dimension, so the cells of one dimension add up to the day's total. In the
hour dimension each figure is counted at the hour it describes: issued, waits and the target at the
hour of arrival; served, no-show, cancelled, expired, service time and ratings at the hour of that
outcome.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from kiosk.queue.ratings import SATISFIED_MIN
from kiosk.reports import histogram
from kiosk.reports.replay import OUTCOME_COUNTS, TicketFact

DIMENSIONS = ("service", "counter", "officer", "hour")
COUNTS = ("issued", "served", "no_show", "cancelled", "expired")


@dataclass
class Cell:
    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    expired: int = 0
    waits: int = 0
    wait_sum: float = 0.0
    wait_max: float | None = None
    services: int = 0
    service_sum: float = 0.0
    target_base: int = 0  # called, still waiting or expired: the tickets held against the target
    over_target: int = 0
    served_in_target: int = 0
    r1: int = 0
    r2: int = 0
    r3: int = 0
    r4: int = 0
    r5: int = 0
    wait_hist: dict[int, int] = field(default_factory=dict)
    dossiers: int = 0  # tickets with a dossier code (the centre's reports only: the city never has one)

    # -- filling ---------------------------------------------------------------------------------
    def add_arrival(self, t: TicketFact, target_s: float, until: float) -> None:
        """The figures of a ticket counted at its arrival: issued, wait, the target."""
        self.issued += 1
        wait = t.wait_s
        if wait is not None:
            self.waits += 1
            self.wait_sum += wait
            self.wait_max = wait if self.wait_max is None else max(self.wait_max, wait)
            histogram.add(self.wait_hist, wait)
        held_against = t.target_wait(until)
        if held_against is not None:
            self.target_base += 1
            self.over_target += held_against > target_s
        if t.outcome == "done" and wait is not None and wait <= target_s:
            self.served_in_target += 1

    def add_outcome(self, t: TicketFact) -> None:
        """The figures of a ticket counted at its outcome: the outcome, service time, rating."""
        count = OUTCOME_COUNTS.get(t.outcome)
        if count is not None:
            setattr(self, count, getattr(self, count) + 1)
        spent = t.service_s
        if spent is not None:
            self.services += 1
            self.service_sum += spent
        if t.dossier_code:
            self.dossiers += 1
        if t.rating is not None:
            name = f"r{t.rating}"
            setattr(self, name, getattr(self, name) + 1)

    def merge(self, other: Cell) -> None:
        for f in fields(self):
            if f.name == "wait_hist":
                histogram.merge(self.wait_hist, other.wait_hist)
            elif f.name == "wait_max":
                if other.wait_max is not None:
                    self.wait_max = other.wait_max if self.wait_max is None else max(self.wait_max, other.wait_max)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    # -- reading ---------------------------------------------------------------------------------
    @property
    def ratings(self) -> int:
        return self.r1 + self.r2 + self.r3 + self.r4 + self.r5

    @property
    def satisfied(self) -> int:
        return sum(getattr(self, f"r{s}") for s in range(SATISFIED_MIN, 6))

    def row(self, key: Any, label: str) -> dict[str, Any]:
        """DESIGN.md's ROW (null where there is nothing to average), plus ``expired``."""
        return {
            "key": key,
            "label": label,
            "issued": self.issued,
            "served": self.served,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "expired": self.expired,
            "wait_mean_s": round(self.wait_sum / self.waits, 1) if self.waits else None,
            "wait_p90_s": _whole(histogram.quantile(self.wait_hist, 0.9, self.wait_max)),
            "wait_max_s": round(self.wait_max, 1) if self.wait_max is not None else None,
            "service_mean_s": round(self.service_sum / self.services, 1) if self.services else None,
            "over_sla_pct": _pct(self.over_target, self.target_base),
            "ratings": self.ratings,
            "satisfied_pct": _pct(self.satisfied, self.ratings),
        }

    # -- storage ---------------------------------------------------------------------------------
    def to_db(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["wait_hist"] = histogram.to_text(self.wait_hist)
        return values

    @classmethod
    def from_db(cls, row: Any) -> Cell:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["wait_hist"] = histogram.from_text(values["wait_hist"])
        return cls(**values)


CELL_COLUMNS = tuple(f.name for f in fields(Cell))


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _whole(seconds: float | None) -> float | None:
    return round(seconds) if seconds is not None else None
