"""The gallery of enrolled face templates, matched in memory with numpy, and the decision rule.

Templates are 128-d float32 vectors (see kiosk.vision.faces), grouped under an identity key chosen by
the caller (a citizen id in the store, a folder name in `kiosk faces identify`). The gallery holds one
float32 matrix with the squared norm of every row precomputed, so a match is one matrix-vector
product: about 100,000 templates in a few milliseconds.

The decision rule (chosen by leave-identities-out cross-validation, bench/faces_calibrate.py, see
docs/faces.md): the nearest identity is accepted when the second-best identity is at least
``min_margin`` further away and its distance d1 is either at most ``strict_threshold`` or, above
that and up to the cap ``threshold``, the probe stands out from its **cohort**, the ``cohort_k``
next-nearest enrolled identities: ``score = 1 - d1 / mean(cohort distances) >= min_score``. Among
East Asian faces different people lie much closer together than among Western ones, so a distance
that is safe where the gallery is sparse around the probe is not where it is crowded; the cohort
measures that crowding from the centre's own templates. With fewer than ``cohort_k + 1``
identities enrolled there is no cohort and only ``strict_threshold`` accepts (the fallback). The
tracker adds agreement over ``agreement_frames`` encodings of the same tracked face.

Templates are sensitive personal data: ``to_bytes``/``template_to_bytes`` give plain bytes that the
caller must encrypt before storing them.
"""
from __future__ import annotations

import json
import math
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

TEMPLATE_SIZE = 128
TEMPLATE_BYTES = 4 + 4 * TEMPLATE_SIZE  # template_to_bytes: a tag, then the float32 values
_TEMPLATE_MAGIC = b"KFT1"
_GALLERY_MAGIC = b"KFG1"
MAX_IDENTITY_LEN = 200


class GalleryError(ValueError):
    """A bad template, identity key or serialised gallery."""


@dataclass(frozen=True)
class DecisionRule:
    """When a probe template is accepted as an enrolled identity.

    threshold: the cap: largest accepted euclidean distance to the nearest template of the identity.
    min_margin: how much further the second-best identity must be (ambiguous matches are refused).
    strict_threshold: accepted on distance alone (at most ``threshold``); above it, only with the
    cohort score; with too few identities for a cohort, the whole rule (the fallback).
    cohort_k: how many next-nearest identities form the probe's cohort.
    min_score: least cohort score, ``1 - distance / mean(cohort distances)``, above ``strict_threshold``.
    min_crowd: with fewer identities enrolled than this, only ``strict_threshold`` accepts: in a small
    gallery a stranger's nearest lookalike has nobody close behind it, so the margin cannot refuse it.
    agreement_frames: how many successive encodings of one tracked face must agree (kiosk only).
    """

    # docs/faces.md "Decision rule": bench/faces_calibrate.py (leave-identities-out) and bench/bench_faces_scale.py
    # (by gallery size). 0.48 + 0.05 holds strangers to 1.9 % of East Asian probes at 100 identities, but takes
    # 14 % at 10 and 7.6 % at 30: a new centre's small gallery accepts only up to 0.38 until it has 50.
    threshold: float = 0.48
    min_margin: float = 0.05
    strict_threshold: float = 0.38
    cohort_k: int = 3
    min_score: float = 0.0
    min_crowd: int = 50
    agreement_frames: int = 2

    def __post_init__(self) -> None:
        if not (0.0 < self.threshold < 2.0):
            raise GalleryError(f"threshold must be in (0, 2), not {self.threshold}")
        if not (0.0 <= self.min_margin < 2.0):
            raise GalleryError(f"min_margin must be in [0, 2), not {self.min_margin}")
        if isinstance(self.cohort_k, bool) or not isinstance(self.cohort_k, int) or not 1 <= self.cohort_k <= 100:
            raise GalleryError(f"cohort_k must be an integer in [1, 100], not {self.cohort_k!r}")
        if not (0.0 <= self.min_score < 1.0):
            raise GalleryError(f"min_score must be in [0, 1), not {self.min_score}")
        if not (0.0 < self.strict_threshold <= self.threshold):
            raise GalleryError(f"strict_threshold must be in (0, threshold={self.threshold}], "
                               f"not {self.strict_threshold}")
        if isinstance(self.min_crowd, bool) or not isinstance(self.min_crowd, int) or not 1 <= self.min_crowd <= 10**6:
            raise GalleryError(f"min_crowd must be an integer in [1, 1000000], not {self.min_crowd!r}")
        if self.agreement_frames < 1:
            raise GalleryError(f"agreement_frames must be at least 1, not {self.agreement_frames}")


DEFAULT_RULE = DecisionRule()

REASONS = ("accepted", "too_far", "ambiguous", "not_distinct")


@dataclass(frozen=True)
class Match:
    """The answer of ``Gallery.match``.

    identity: the accepted identity, or None. nearest: the nearest identity whether accepted or not
    (None for an empty gallery). distance: distance to the nearest identity's closest template.
    margin: second-best identity's distance minus ``distance`` (None with fewer than two identities).
    reason: "accepted", "empty_gallery", "too_far", "ambiguous" or "not_distinct" (too little
    ahead of its cohort). score: the cohort score (None without a cohort: too few identities).
    """

    identity: str | None
    nearest: str | None
    distance: float | None
    margin: float | None
    accepted: bool
    reason: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"identity": self.identity, "nearest": self.nearest, "distance": r(self.distance),
                "margin": r(self.margin), "accepted": self.accepted, "reason": self.reason,
                "score": r(self.score)}


def check_template(template: Any) -> np.ndarray:
    """Return ``template`` as a float32 vector of 128 finite values, or raise GalleryError."""
    try:
        arr = np.asarray(template, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise GalleryError(f"a template must be 128 numbers: {exc}") from None
    if arr.shape != (TEMPLATE_SIZE,):
        raise GalleryError(f"a template must have shape ({TEMPLATE_SIZE},), not {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise GalleryError("a template must not contain NaN or infinity")
    return arr


def _check_identity(identity: Any) -> str:
    if not isinstance(identity, str) or not identity.strip():
        raise GalleryError("an identity key must be a non-empty string")
    if len(identity) > MAX_IDENTITY_LEN:
        raise GalleryError(f"an identity key must be at most {MAX_IDENTITY_LEN} characters")
    return identity


def template_to_bytes(template: Any) -> bytes:
    """One template as 516 bytes: a 4-byte tag then 128 little-endian float32 (encrypt before storing)."""
    return _TEMPLATE_MAGIC + check_template(template).astype("<f4").tobytes()


def template_from_bytes(data: bytes) -> np.ndarray:
    """Inverse of ``template_to_bytes``; raises GalleryError on anything else."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise GalleryError("serialised template must be bytes")
    data = bytes(data)
    if len(data) != 4 + 4 * TEMPLATE_SIZE or not data.startswith(_TEMPLATE_MAGIC):
        raise GalleryError("not a serialised face template")
    return check_template(np.frombuffer(data, dtype="<f4", offset=4).astype(np.float32))


def cohort_score(distances: Any, k: int) -> np.ndarray:
    """The cohort score of the nearest identity: ``1 - d1 / mean(d2 .. d(k+1))`` over the last axis
    of ``distances``, the per-identity nearest distances in increasing order; NaN where fewer than
    ``k + 1`` identities are given (or NaN pads the row). 0 when the probe is no nearer than its
    cohort, towards 1 when it stands out. One probe (1-d) or many (2-d, the calibration bench)."""
    d = np.asarray(distances, dtype=np.float64)
    if d.shape[-1] < k + 1:
        return np.full(d.shape[:-1], np.nan)
    cohort = d[..., 1:k + 1].mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = 1.0 - d[..., 0] / cohort
    # identical distances (a zero cohort mean) stand out from nothing
    return np.where(np.isnan(cohort), np.nan, np.where(cohort > 0.0, score, 0.0))


def verdicts(distance: Any, margin: Any, score: Any, rule: DecisionRule = DEFAULT_RULE,
             identities: Any = None) -> np.ndarray:
    """The decision rule on arrays: an index into REASONS per probe (0 = accepted).

    ``margin`` NaN: no second identity; ``score`` NaN: no cohort, so only ``strict_threshold`` accepts;
    ``identities``: how many are enrolled (None: a crowd, at least ``rule.min_crowd``).
    ``decide`` is this on one probe; the benches call it on thousands at once."""
    d = np.asarray(distance, dtype=np.float64)
    mg = np.asarray(margin, dtype=np.float64)
    sc = np.asarray(score, dtype=np.float64)
    has_cohort = ~np.isnan(sc)
    if identities is not None:
        has_cohort = has_cohort & (np.asarray(identities) >= rule.min_crowd)
    cap = np.where(has_cohort, rule.threshold, rule.strict_threshold)
    with np.errstate(invalid="ignore"):
        not_distinct = has_cohort & (d > rule.strict_threshold) & (sc < rule.min_score)
        return np.select([d > cap, mg < rule.min_margin, not_distinct], [1, 2, 3], 0)


def templates_from_bytes(blobs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Many ``template_to_bytes`` at once: (rows, shape (n, 128), and for each whether it was a finite
    serialised template; a bad one's row is zero)."""
    ok = np.fromiter((len(b) == TEMPLATE_BYTES for b in blobs), dtype=bool, count=len(blobs))
    rows, good = templates_from_buffer(b"".join(b if len(b) == TEMPLATE_BYTES else bytes(TEMPLATE_BYTES)
                                                for b in blobs))
    return rows, ok & good


def templates_from_buffer(buf: bytes) -> tuple[np.ndarray, np.ndarray]:
    """``templates_from_bytes`` of templates end to end in one buffer: one array and one check for all, not
    one per template."""
    if len(buf) % TEMPLATE_BYTES:
        raise GalleryError("not a whole number of serialised face templates")
    n = len(buf) // TEMPLATE_BYTES
    words = np.frombuffer(buf, dtype="<f4").reshape(n, TEMPLATE_SIZE + 1)
    ok = np.frombuffer(buf, dtype="<u4")[::TEMPLATE_SIZE + 1] == struct.unpack("<I", _TEMPLATE_MAGIC)[0]
    rows = words[:, 1:].astype(np.float32)
    ok &= np.isfinite(rows).all(axis=1)
    rows[~ok] = 0.0
    return rows, ok


def decide(nearest: str | None, distance: float | None, margin: float | None,
           rule: DecisionRule = DEFAULT_RULE, score: float | None = None, identities: int | None = None) -> Match:
    """Apply the decision rule to the nearest identity, its distance, its margin and its cohort score
    (None: no cohort, so only the strict threshold accepts), in a gallery of ``identities`` (None: a crowd)."""
    if nearest is None or distance is None:
        return Match(None, None, None, None, False, "empty_gallery")
    nan = float("nan")
    code = int(verdicts(distance, nan if margin is None else margin, nan if score is None else score, rule,
                        identities))
    accepted = code == 0
    return Match(nearest if accepted else None, nearest, distance, margin, accepted, REASONS[code], score)


class Gallery:
    """Enrolled templates per identity, matched with numpy. Thread-safe.

    >>> g = Gallery(); g.add("citizen-1", template); g.match(probe).identity
    """

    def __init__(self, rule: DecisionRule = DEFAULT_RULE) -> None:
        self.rule = rule
        self._lock = threading.RLock()
        self._matrix = np.empty((0, TEMPLATE_SIZE), dtype=np.float32)
        self._norms2 = np.empty(0, dtype=np.float32)
        self._owner = np.empty(0, dtype=np.int32)
        self._size = 0
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        self._counts: dict[str, int] = {}

    # -- contents --------------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of templates."""
        return self._size

    def __contains__(self, identity: object) -> bool:
        return isinstance(identity, str) and self._counts.get(identity, 0) > 0

    def identities(self) -> list[str]:
        """The enrolled identity keys, in order of first enrolment."""
        with self._lock:
            return [n for n in self._names if self._counts.get(n, 0) > 0]

    def count(self, identity: str) -> int:
        """Number of templates of one identity (0 when unknown)."""
        return self._counts.get(identity, 0)

    def templates(self, identity: str) -> np.ndarray:
        """A copy of the templates of one identity, shape (n, 128)."""
        with self._lock:
            idx = self._index.get(identity)
            if idx is None:
                return np.empty((0, TEMPLATE_SIZE), dtype=np.float32)
            return self._matrix[:self._size][self._owner[:self._size] == idx].copy()

    def add(self, identity: str, template: Any) -> None:
        """Enrol one template under ``identity``."""
        self.add_many(identity, [template])

    def add_many(self, identity: str, templates: Iterable[Any]) -> None:
        """Enrol several templates of one identity (all are checked before any is added)."""
        identity = _check_identity(identity)
        rows = [check_template(t) for t in templates]
        if not rows:
            return
        block = np.stack(rows)
        with self._lock:
            idx = self._index.get(identity)
            if idx is None:
                idx = len(self._names)
                self._names.append(identity)
                self._index[identity] = idx
            self._reserve(self._size + len(rows))
            end = self._size + len(rows)
            self._matrix[self._size:end] = block
            self._norms2[self._size:end] = np.einsum("ij,ij->i", block, block)
            self._owner[self._size:end] = idx
            self._size = end
            self._counts[identity] = self._counts.get(identity, 0) + len(rows)

    def remove(self, identity: str) -> int:
        """Delete every template of ``identity``; returns how many were deleted."""
        with self._lock:
            idx = self._index.get(identity)
            if idx is None or self._counts.get(identity, 0) == 0:
                return 0
            keep = self._owner[:self._size] != idx
            removed = int(self._size - keep.sum())
            n = int(keep.sum())
            self._matrix[:n] = self._matrix[:self._size][keep]
            self._norms2[:n] = self._norms2[:self._size][keep]
            self._owner[:n] = self._owner[:self._size][keep]
            # wipe the freed rows: templates are sensitive and should not linger in spare capacity
            self._matrix[n:self._size] = 0.0
            self._size = n
            self._counts[identity] = 0
            return removed

    def replace(self, identity: str, templates: Iterable[Any]) -> None:
        """Put ``templates`` in place of every template of ``identity`` (all checked first), at once: a match
        never sees the identity half-changed or missing."""
        identity = _check_identity(identity)
        rows = [check_template(t) for t in templates]
        with self._lock:
            self.remove(identity)
            self.add_many(identity, rows)

    @classmethod
    def from_blocks(cls, identities: Sequence[str], counts: Sequence[int], rows: Any,
                    rule: DecisionRule = DEFAULT_RULE) -> Gallery:
        """A gallery whose i-th identity owns the next ``counts[i]`` rows of ``rows`` (shape (n, 128)), checked
        and copied once for all: a year's citizens in milliseconds, where one ``add_many`` each takes seconds.
        An identity named twice gets both blocks; a count of 0 adds nothing."""
        matrix = np.asarray(rows, dtype=np.float32)
        sizes = np.asarray(counts, dtype=np.int64).reshape(-1)
        if len(identities) != len(sizes) or np.any(sizes < 0):
            raise GalleryError("one count of templates (0 or more) per identity is required")
        if matrix.ndim != 2 or matrix.shape[1] != TEMPLATE_SIZE or matrix.shape[0] != int(sizes.sum()):
            raise GalleryError(f"the templates must have shape ({int(sizes.sum())}, {TEMPLATE_SIZE}), "
                               f"not {matrix.shape}")
        if not np.all(np.isfinite(matrix)):
            raise GalleryError("a template must not contain NaN or infinity")
        gallery = cls(rule)
        index: dict[str, int] = {}
        owners = np.empty(len(sizes), dtype=np.int32)
        for i, (identity, size) in enumerate(zip(identities, sizes.tolist(), strict=True)):
            identity = _check_identity(identity)
            owners[i] = index.setdefault(identity, len(index))
            if size:
                gallery._counts[identity] = gallery._counts.get(identity, 0) + size
        n = matrix.shape[0]
        gallery._names = [name for name in index if name in gallery._counts]
        keep = {name: k for k, name in enumerate(gallery._names)}
        remap = np.array([keep.get(name, -1) for name in index], dtype=np.int32)
        gallery._index = keep
        gallery._reserve(n)
        gallery._matrix[:n] = matrix
        gallery._norms2[:n] = np.einsum("ij,ij->i", matrix, matrix)
        gallery._owner[:n] = remap[np.repeat(owners, sizes)] if len(owners) else owners
        gallery._size = n
        return gallery

    def clear(self) -> None:
        """Delete everything."""
        with self._lock:
            self._matrix[:] = 0.0
            self.__init__(self.rule)  # type: ignore[misc]

    def _reserve(self, n: int) -> None:
        cap = self._matrix.shape[0]
        if n <= cap:
            return
        new_cap = max(n, 2 * cap, 64)
        matrix = np.zeros((new_cap, TEMPLATE_SIZE), dtype=np.float32)
        norms2 = np.zeros(new_cap, dtype=np.float32)
        owner = np.full(new_cap, -1, dtype=np.int32)
        matrix[:self._size] = self._matrix[:self._size]
        norms2[:self._size] = self._norms2[:self._size]
        owner[:self._size] = self._owner[:self._size]
        self._matrix, self._norms2, self._owner = matrix, norms2, owner

    # -- matching --------------------------------------------------------------------------

    def nearest(self, template: Any) -> tuple[str | None, float | None, float | None]:
        """(nearest identity, its distance, margin over the second-best identity), no decision."""
        names, dists = self.nearest_identities(template, 2)
        if not names:
            return None, None, None
        return names[0], float(dists[0]), (float(dists[1] - dists[0]) if len(names) > 1 else None)

    def nearest_identities(self, template: Any, count: int) -> tuple[list[str], np.ndarray]:
        """The ``count`` nearest identities (fewer if fewer are enrolled) and the distance of each
        one's closest template, nearest first.

        One matrix-vector product over the whole gallery, then only the nearest rows are looked at:
        the ``count`` nearest identities are the first distinct owners among the rows in order of
        distance, so a partial sort of a few rows finds them unless one identity fills them all
        (then more rows are taken)."""
        q = check_template(template)
        with self._lock:
            n = self._size
            if n == 0 or count < 1:
                return [], np.empty(0)
            m = self._matrix[:n]
            owner = self._owner[:n]
            # |a-b|^2 = |a|^2 + |b|^2 - 2ab, with |b|^2 precomputed: one matrix-vector product
            d2 = self._norms2[:n] - 2.0 * (m @ q)
            take = min(n, 8 * count)
            while True:
                rows = np.argpartition(d2, take - 1)[:take] if take < n else np.arange(n)
                rows = rows[np.argsort(d2[rows], kind="stable")]
                _, first = np.unique(owner[rows], return_index=True)
                if len(first) >= count or take == n:
                    break
                take = min(n, 8 * take)
            best = rows[np.sort(first)[:count]]
            # recompute the reported distances exactly (the expansion loses float32 precision)
            dists = np.linalg.norm(m[best] - q, axis=1).astype(np.float64)
            order = np.argsort(dists, kind="stable")
            names = [self._names[int(owner[best[i]])] for i in order]
        return names, dists[order]

    def match(self, template: Any, rule: DecisionRule | None = None) -> Match:
        """Match a probe template against the gallery and apply the decision rule (with the cohort
        of the ``rule.cohort_k`` next-nearest identities)."""
        rule = rule or self.rule
        names, dists = self.nearest_identities(template, max(2, rule.cohort_k + 1))
        if not names:
            return decide(None, None, None, rule)
        margin = float(dists[1] - dists[0]) if len(names) > 1 else None
        score = float(cohort_score(dists, rule.cohort_k))
        return decide(names[0], float(dists[0]), margin, rule, None if math.isnan(score) else score,
                      self.identity_count())

    def identity_count(self) -> int:
        """How many identities have templates (what ``DecisionRule.min_crowd`` is compared with)."""
        with self._lock:
            return int(np.count_nonzero(np.bincount(self._owner[:self._size]))) if self._size else 0

    # -- serialisation ---------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The whole gallery as bytes (encrypt before storing): tag, header length, JSON header
        listing identities and template counts, then the float32 rows in header order."""
        with self._lock:
            n = self._size
            owner = self._owner[:n]
            # one stable sort by owner, not one scan of the whole matrix per identity
            rows = self._matrix[:n][np.argsort(owner, kind="stable")]
            present = np.bincount(owner, minlength=len(self._names)).tolist() if n else []
            entries = [[name, c] for name, c in zip(self._names, present, strict=False) if c > 0]
        header = json.dumps({"v": 1, "identities": entries}, ensure_ascii=False).encode("utf-8")
        return _GALLERY_MAGIC + struct.pack("<I", len(header)) + header + rows.astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, rule: DecisionRule = DEFAULT_RULE) -> Gallery:
        """Inverse of ``to_bytes``; raises GalleryError on damaged or foreign data."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise GalleryError("serialised gallery must be bytes")
        data = bytes(data)
        if len(data) < 8 or not data.startswith(_GALLERY_MAGIC):
            raise GalleryError("not a serialised face gallery")
        (hlen,) = struct.unpack("<I", data[4:8])
        try:
            header = json.loads(data[8:8 + hlen].decode("utf-8"))
            entries = [(str(i), int(c)) for i, c in header["identities"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise GalleryError(f"damaged gallery header: {exc}") from None
        body = data[8 + hlen:]
        total = sum(c for _, c in entries)
        if any(c < 0 for _, c in entries) or len(body) != total * TEMPLATE_SIZE * 4:
            raise GalleryError("damaged gallery: template data does not match the header")
        rows = np.frombuffer(body, dtype="<f4").reshape(total, TEMPLATE_SIZE)
        return cls.from_blocks([i for i, _ in entries], [c for _, c in entries], rows, rule)


def distance(a: Any, b: Any) -> float:
    """Euclidean distance of two templates (what face_recognition.face_distance computes)."""
    return float(math.dist(check_template(a).tolist(), check_template(b).tolist()))
