"""A fixed-bucket histogram of waits: rollups of many days merge by adding counts, and the p90 read from
it is within a known bound of the exact one.

Buckets are piecewise linear with edges on whole minutes (so the page's coarse distribution — 0-5, 5-10 …
minutes — is exact): 10 s wide up to 10 min, 30 s up to 30 min, 1 min up to 2 h, 5 min up to 8 h, 15 min
up to 24 h, and one bucket for longer. A quantile is read as the midpoint of the bucket holding its rank,
clamped to the exact maximum, so it is off the exact nearest-rank value by at most half a bucket: 5 s
below 10 min, 15 s below 30 min, 30 s below 2 h (at most 2.5 % of the value from 10 min up), 2.5 min
below 8 h, 7.5 min below 24 h; a quantile past 24 h (a ticket carried over a day, before the day end
closed them) reads as the longest wait.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping

# (up to this many seconds, bucket width)
_SEGMENTS = ((600, 10), (1800, 30), (7200, 60), (28800, 300), (86400, 900))


def _edges() -> list[float]:
    edges: list[float] = [0.0]
    for end, width in _SEGMENTS:
        while edges[-1] < end:
            edges.append(edges[-1] + width)
    return edges


EDGES = _edges()  # lower edge of each bucket; the last bucket (>= 24 h) is open-ended
BUCKETS = len(EDGES)


def bucket(seconds: float) -> int:
    """The bucket of a wait (negative waits, which a clock step could make, fall in the first)."""
    return max(0, bisect_right(EDGES, seconds) - 1)


def error_bound(seconds: float) -> float:
    """Half the width of the bucket of ``seconds``: how far a quantile read from it may be off."""
    i = bucket(seconds)
    upper = EDGES[i + 1] if i + 1 < BUCKETS else EDGES[i] + _SEGMENTS[-1][1]
    return (upper - EDGES[i]) / 2


def add(counts: dict[int, int], seconds: float) -> None:
    i = bucket(seconds)
    counts[i] = counts.get(i, 0) + 1


def merge(into: dict[int, int], other: Mapping[int, int]) -> None:
    for i, n in other.items():
        into[i] = into.get(i, 0) + n


def quantile(counts: Mapping[int, int], q: float, maximum: float | None = None) -> float | None:
    """The nearest-rank q-quantile (rank ceil(q*n)) as its bucket's midpoint, at most ``maximum``."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for i in sorted(counts):
        seen += counts[i]
        if seen >= rank:
            if i + 1 == BUCKETS:  # open-ended (a wait over 24 h, carried over a day): the longest wait
                return maximum if maximum is not None else EDGES[i]
            middle = (EDGES[i] + EDGES[i + 1]) / 2
            return min(middle, maximum) if maximum is not None else middle
    raise AssertionError("unreachable: rank within total")


def coarse(counts: Mapping[int, int], bounds_s: Iterable[int]) -> list[dict[str, int | None]]:
    """Counts between coarse bounds (each a bucket edge), e.g. per 5 minutes, for the distribution chart:
    ``[{"from_s", "to_s" (None: open-ended), "count"}]``."""
    limits = list(bounds_s)
    if any(b not in EDGES for b in limits):
        raise ValueError("coarse bounds must be bucket edges")
    out = [{"from_s": lo, "to_s": hi, "count": 0} for lo, hi in zip([0, *limits], [*limits, None], strict=True)]
    for i, n in counts.items():
        out[bisect_right(limits, EDGES[i])]["count"] += n
    return out


def to_text(counts: Mapping[int, int]) -> str:
    """Compact storage form: "i:n,i:n" (sparse; a day's cell holds a few dozen waits)."""
    return ",".join(f"{i}:{n}" for i, n in sorted(counts.items()))


def from_text(text: str) -> dict[int, int]:
    if not text:
        return {}
    out: dict[int, int] = {}
    for part in text.split(","):
        i, _, n = part.partition(":")
        out[int(i)] = int(n)
    return out
