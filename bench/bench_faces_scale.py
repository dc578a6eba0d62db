"""Open-set face identification at a centre's scale: how the decision rule behaves as the gallery grows.

For East Asian and Western faces separately (bench/face_sets.py), as a function of the number N of
enrolled identities (10 to 10,000), three chances per rule:

- right:    an enrolled citizen's probe proposes that citizen (nearest is them and the rule accepts);
- stranger: a probe of someone not enrolled proposes someone;
- wrong:    an enrolled citizen's probe proposes someone else.

Two methods, both printed:

1. **Model** from the measured distance distributions. Each probe photo keeps its own impostor
   distribution (some faces have many lookalikes): its per-identity nearest distances to every other
   identity of its set, each identity enrolled with ENROL_TEMPLATES random photos (several draws),
   smoothed by a Gaussian kernel density so that tails below 1/22 exist. The genuine distance is the
   nearest of ENROL_TEMPLATES random other photos of its own identity. A trial draws N-1 (or N, for a
   stranger) per-identity distances from the probe's density plus its genuine distance and gives that
   vector to the rule's decision on per-identity distances. For a plain threshold + margin rule the
   same chances are also integrated exactly (nearest-of-N: P(min < t) = 1 - (1 - F_p(t))^N, averaged
   over probes) as a check of the sampler. Assumes impostor identities are independent draws from the
   probe's density: 22 other East Asian celebrities stand in for a city's population.
2. **Direct**: real templates in a real ``Gallery`` (every identity of both shared sets available as
   distractors, up to 37), probes from held-out photos (leave-one-photo-out for enrolled probes,
   leave-identity-out for strangers), through ``Gallery.match``. Printed beside the model at the same N.

Then the recency window: the gallery a kiosk searches is the enrolled citizens seen at this centre in
the last W days; the constants below turn a centre's tickets per day into N, and the targets of issue 9
are checked at the default window's district gallery, East Asian faces.

The rules: ``current`` is ``kiosk.vision.gallery.DEFAULT_RULE`` through ``Gallery.match`` (whatever it
is when this runs), ``old`` the threshold-0.48 + margin-0.05 rule, ``threshold=X`` a plain threshold.

    .venv/bin/python bench/bench_faces_scale.py [--rule current --rule old --rule threshold=0.4]
        [--sets east_asian,western] [--seed 0] [--quick]
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# -- assumptions (not measured: change them here) ------------------------------------------------
ENROL_TEMPLATES = 3            # templates per enrolled citizen (docs/faces.md: enrol 3)
SCALE_N = (10, 30, 100, 300, 1_000, 3_000, 10_000)
ENROL_SHARE = 0.30             # share of a centre's citizens who consent to enrol their face
WORKING_DAYS_PER_WEEK = 5.5    # Monday to Friday and Saturday morning
# share of a W-day window's visits made by someone already seen in that window (one-stop-shop files
# are often submitted, then collected days later; same person, same file): guessed, not measured
RETURN_SHARE = {1: 0.05, 7: 0.15, 30: 0.35, 90: 0.45, 365: 0.55}
WINDOWS = tuple(RETURN_SHARE)
DEFAULT_WINDOW = 30            # days; the window the targets are checked at
CENTRES = {"ward": (50, 100, 150), "district": (1_000, 1_500, 2_000)}  # tickets/day: low, typical, high
TARGETS = {"right": (">=", 0.90), "stranger": ("<=", 0.05), "wrong": ("<=", 0.01)}
TARGET_SET = "east_asian"
OLD_THRESHOLD, OLD_MARGIN = 0.48, 0.05
IMPOSTOR_DRAWS = 8             # random enrolment subsets per impostor identity, per probe
GENUINE_DRAWS = 16             # random enrolment subsets of the probe's own identity
TRIALS_PER_PROBE = 2_000       # model trials per probe photo and N (--quick: 200)
DIRECT_REPS = 12               # random enrolments per probe in the direct simulation (--quick: 3)


# -- the math of method 1 (pure functions; tests/vision/test_faces_scale_model.py) ------------------

def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function with fractional error below 1.2e-7 everywhere (Numerical Recipes'
    Chebyshev fit), so that the far tails keep their relative precision; numpy has none."""
    x = np.asarray(x, dtype=np.float64)
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277)))))))))
    r = t * np.exp(poly)
    return np.where(x >= 0, r, 2.0 - r)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * erfc(-np.asarray(x, dtype=np.float64) / math.sqrt(2.0))


def silverman_bandwidth(values: np.ndarray, n_effective: int) -> float:
    """Silverman's rule of thumb; ``n_effective`` is the number of independent identities behind the
    values (several enrolment draws of one identity are not independent)."""
    values = np.asarray(values, dtype=np.float64)
    sd = float(values.std(ddof=1))
    q75, q25 = np.percentile(values, [75, 25])
    spread = min(sd, float(q75 - q25) / 1.34) or sd
    return 0.9 * spread * n_effective ** -0.2


def kde_cdf(x: np.ndarray, data: np.ndarray, h: float) -> np.ndarray:
    """CDF at ``x`` of the Gaussian kernel density of ``data`` with bandwidth ``h``."""
    x = np.asarray(x, dtype=np.float64)
    return normal_cdf((x[..., None] - np.asarray(data)[None, :]) / h).mean(axis=-1)


def kde_pdf(x: np.ndarray, data: np.ndarray, h: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    u = (x[..., None] - np.asarray(data)[None, :]) / h
    return (np.exp(-0.5 * u * u) / (h * math.sqrt(2 * math.pi))).mean(axis=-1)


def survival_power(cdf: np.ndarray, n: float) -> np.ndarray:
    """(1 - F)^n, stable when F is tiny and n large."""
    cdf = np.clip(np.asarray(cdf, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return np.exp(n * np.log1p(-np.minimum(cdf, 1.0 - 1e-300))) * (cdf < 1.0)


def nearest_of_n_cdf(cdf: np.ndarray, n: float) -> np.ndarray:
    """P(the nearest of n independent impostors is below t), given F(t) for one impostor."""
    return 1.0 - survival_power(cdf, n)


def threshold_margin_chances(cdf: Callable[[np.ndarray], np.ndarray],
                             pdf: Callable[[np.ndarray], np.ndarray],
                             genuine: np.ndarray, n: int, threshold: float, margin: float,
                             step: float = 0.0005) -> tuple[float, float, float]:
    """Exact (right, stranger, wrong) for one probe under "accept the nearest identity when its
    distance <= threshold and the second is >= margin further", with impostor per-identity distances
    i.i.d. with ``cdf``/``pdf`` and the genuine distance drawn from the samples ``genuine``.

    n is the number of enrolled identities: an enrolled probe meets n-1 impostors, a stranger n.
    stranger = int_{x<=T} n f(x) S(x+m)^(n-1) dx; right = E_g[1(g<=T) S(g+m)^(n-1)];
    wrong = E_g[int_{x<=min(T, g-m)} (n-1) f(x) S(x+m)^(n-2) dx], with S = 1 - F.
    """
    genuine = np.asarray(genuine, dtype=np.float64)
    x = np.arange(0.0, threshold + step / 2, step)
    fx = pdf(x)
    s_xm = 1.0 - cdf(x + margin)
    stranger = float(np.trapezoid(n * fx * survival_power(1.0 - s_xm, n - 1), x)) if n >= 1 else 0.0
    right = float(np.mean((genuine <= threshold) * survival_power(cdf(genuine + margin), n - 1)))
    if n >= 2:
        dens = (n - 1) * fx * survival_power(1.0 - s_xm, n - 2)
        cum = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * step)])
        upper = np.minimum(threshold, genuine - margin)
        wrong = float(np.mean(np.where(upper > 0, np.interp(upper, x, cum), 0.0)))
    else:
        wrong = 0.0
    return right, stranger, wrong


def gallery_size(tickets_per_day: float, window_days: int, return_share: float,
                 enrol_share: float = ENROL_SHARE, days_per_week: float = WORKING_DAYS_PER_WEEK) -> int:
    """Enrolled citizens seen at a centre in the last ``window_days``: the kiosk's gallery size."""
    visits = tickets_per_day * window_days * days_per_week / 7.0
    return max(1, round(visits * (1.0 - return_share) * enrol_share))


# -- rules -------------------------------------------------------------------------------------

NEAREST_KEPT = 16   # the model hands a rule the nearest 16 identities of each probe (cohort_k + 1 at most)


@dataclass
class RuleSpec:
    """One rule to evaluate: a ``DecisionRule`` for ``Gallery.match`` and the same decision on rows of
    per-identity nearest distances for the model (index proposed per row, or -1)."""

    label: str
    rule: object
    propose: Callable[[np.ndarray, int], np.ndarray]
    plain: tuple[float, float] | None             # (threshold, margin) when it is exactly that rule


_PLAIN_FIELDS = ("threshold", "min_margin", "agreement_frames", "cohort_k")


def _plain_overrides(gallery_mod, threshold: float) -> dict:
    """Field values that make the current DecisionRule a plain distance rule (threshold + margin),
    whatever it has grown: no cohort score floor, the strict (or fallback) threshold equal to the cap.
    A field this does not know keeps its default, and the rule is then not taken for a plain one."""
    known = {"min_score": 0.0, "strict_threshold": threshold, "fallback_threshold": threshold, "min_crowd": 1}
    fields = {f.name for f in dataclasses.fields(gallery_mod.DecisionRule)}
    return {k: v for k, v in known.items() if k in fields}


def _unknown_fields(gallery_mod) -> set[str]:
    fields = {f.name for f in dataclasses.fields(gallery_mod.DecisionRule)}
    return fields - set(_PLAIN_FIELDS) - set(_plain_overrides(gallery_mod, 1.0))


def _is_plain(gallery_mod, rule) -> bool:
    return not _unknown_fields(gallery_mod) and all(
        getattr(rule, k) == v for k, v in _plain_overrides(gallery_mod, rule.threshold).items())


def _vector_decider(gallery_mod, rule) -> Callable[[np.ndarray, int], np.ndarray]:
    """The rule's decision on rows of per-identity distances, from what gallery.py exposes: its
    array form ``verdicts(distance, margin, score, rule)`` with ``cohort_score`` when it has them
    (what ``Gallery.match`` feeds ``decide``), else ``decide`` row by row on nearest, distance, margin."""
    verdicts = getattr(gallery_mod, "verdicts", None)
    cohort_score = getattr(gallery_mod, "cohort_score", None)
    k = getattr(rule, "cohort_k", 1)
    if k + 1 > NEAREST_KEPT:
        raise SystemExit(f"cohort_k={k} needs more than the {NEAREST_KEPT} nearest identities the model keeps")

    def nearest_sorted(batch: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
        m = min(m, batch.shape[1])
        part = np.argpartition(batch, m - 1, axis=1)[:, :m] if m < batch.shape[1] else \
            np.tile(np.arange(batch.shape[1]), (len(batch), 1))
        vals = np.take_along_axis(batch, part, axis=1)
        order = np.argsort(vals, axis=1)
        return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)

    if verdicts is not None and cohort_score is not None:
        sized = "identities" in inspect.signature(verdicts).parameters

        def propose(batch: np.ndarray, identities: int) -> np.ndarray:
            idx, d = nearest_sorted(batch, max(2, k + 1))
            margin = d[:, 1] - d[:, 0] if d.shape[1] > 1 else np.full(len(d), np.nan)
            score = cohort_score(d, k)
            extra = {"identities": identities} if sized else {}
            ok = verdicts(d[:, 0], margin, score, rule, **extra) == 0
            return np.where(ok, idx[:, 0], -1)
        return propose
    decide = gallery_mod.decide
    if list(inspect.signature(decide).parameters)[:3] != ["nearest", "distance", "margin"]:
        raise SystemExit("kiosk.vision.gallery.decide changed shape: teach _vector_decider about it")

    def propose(batch: np.ndarray, identities: int) -> np.ndarray:
        idx, d = nearest_sorted(batch, 2)
        out = np.full(len(batch), -1, dtype=np.int64)
        for r in range(len(batch)):
            margin = float(d[r, 1] - d[r, 0]) if d.shape[1] > 1 else None
            if decide(str(idx[r, 0]), float(d[r, 0]), margin, rule).accepted:
                out[r] = idx[r, 0]
        return out
    return propose


def make_rules(names: list[str]) -> list[RuleSpec]:
    from kiosk.vision import gallery as gallery_mod

    specs = []
    for name in names:
        if name == "current":
            rule = gallery_mod.DEFAULT_RULE
            label = f"current ({_describe(rule)})"
            plain = (rule.threshold, rule.min_margin) if _is_plain(gallery_mod, rule) else None
        elif name == "old":
            rule = dataclasses.replace(gallery_mod.DEFAULT_RULE, threshold=OLD_THRESHOLD, min_margin=OLD_MARGIN,
                                       **_plain_overrides(gallery_mod, OLD_THRESHOLD))
            label = f"old (<= {OLD_THRESHOLD}, margin {OLD_MARGIN})"
            plain = (OLD_THRESHOLD, OLD_MARGIN) if _is_plain(gallery_mod, rule) else None
        elif name.startswith("threshold="):
            # threshold=X or threshold=X,margin=Y
            try:
                opts = dict(part.split("=", 1) for part in name.split(","))
                t, mg = float(opts.pop("threshold")), float(opts.pop("margin", 0.0))
            except (ValueError, KeyError):
                raise SystemExit(f"bad rule {name!r}: threshold=X or threshold=X,margin=Y") from None
            if opts:
                raise SystemExit(f"bad rule {name!r}: only threshold and margin")
            rule = dataclasses.replace(gallery_mod.DEFAULT_RULE, threshold=t, min_margin=mg,
                                       **_plain_overrides(gallery_mod, t))
            label = f"threshold {t}" + (f", margin {mg}" if mg else " (no margin)")
            plain = (t, mg) if _is_plain(gallery_mod, rule) else None
        else:
            raise SystemExit(f"unknown rule {name!r}: current, old, threshold=X or threshold=X,margin=Y")
        specs.append(RuleSpec(label, rule, _vector_decider(gallery_mod, rule), plain))
    if _unknown_fields(gallery_mod):
        print(f"note: DecisionRule fields {sorted(_unknown_fields(gallery_mod))} are new to this bench: they keep "
              f"their defaults in old/threshold rules, which are then not checked against the exact integral")
    return specs


def _describe(rule) -> str:
    return ", ".join(f"{f.name}={getattr(rule, f.name)}" for f in dataclasses.fields(rule)
                     if f.name != "agreement_frames")


# -- data: distances of the shared sets ---------------------------------------------------------

GRID = np.arange(0.0, 1.6, 0.0005)          # distances at which each probe's impostor CDF is tabulated
Z_GRID = np.arange(-15.0, 15.0, 0.004)      # standardised distances, for the shared shape
LOG_FLOOR = -700.0


@dataclass
class ProbeModel:
    """Per probe photo: its impostor per-identity distance distribution, tabulated (log CDF and pdf on
    GRID), and its genuine distance samples."""

    set_name: str
    tail: str
    log_cdf: np.ndarray        # (probes, len(GRID))
    pdf: np.ndarray            # (probes, len(GRID))
    genuine: list[np.ndarray]
    n_impostor_ids: int
    bandwidth: np.ndarray      # per probe, in distance units

    def cdf(self, p: int, x: np.ndarray) -> np.ndarray:
        return np.exp(np.interp(x, GRID, self.log_cdf[p], left=LOG_FLOOR, right=0.0))

    def density(self, p: int, x: np.ndarray) -> np.ndarray:
        return np.interp(x, GRID, self.pdf[p], left=0.0, right=0.0)

    def quantile(self, p: int, u: np.ndarray) -> np.ndarray:
        return np.interp(np.log(u), self.log_cdf[p], GRID)


def _subset_mins(dist_row: np.ndarray, members: np.ndarray, k: int, draws: int, rng) -> np.ndarray:
    """Nearest of k random enrolled templates among ``members``, ``draws`` times (the same value
    repeated when all of them fit in k, so that every identity weighs the same)."""
    if len(members) <= k:
        return np.full(draws, dist_row[members].min())
    return np.array([dist_row[rng.choice(members, k, replace=False)].min() for _ in range(draws)])


def tabulate(cdf: np.ndarray, pdf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log CDF made strictly increasing (so that it inverts by interpolation), and the pdf."""
    log_cdf = np.maximum(np.log(np.maximum(cdf, 1e-300)), LOG_FLOOR)
    log_cdf = np.maximum.accumulate(log_cdf) + 1e-9 * np.arange(len(log_cdf))
    return log_cdf, pdf


def build_model(set_name: str, templates: np.ndarray, labels: np.ndarray, probe_mask: np.ndarray,
                impostor_mask: np.ndarray, tail: str, rng) -> ProbeModel:
    """Model for the probes in ``probe_mask`` with impostor identities from ``impostor_mask``.

    tail "shape": each probe keeps the mean and spread of its own impostor distances, the shape of
    the distribution (its tail above all) is the kernel density of every probe's standardised
    distances pooled (thousands of values, so the tail is estimated, not guessed from 22 values);
    tail "kde": each probe's own kernel density of its 22 (Western 14) per-identity distances."""
    t = templates.astype(np.float64)
    dist = np.sqrt(np.maximum(((t[:, None, :] - t[None, :, :]) ** 2).sum(-1), 0.0))
    imp_ids = sorted(set(labels[impostor_mask]))
    members = {u: np.flatnonzero(labels == u) for u in set(labels)}
    values, genuine, n_ids = [], [], []
    for p in np.flatnonzero(probe_mask):
        others = [u for u in imp_ids if u != labels[p]]
        values.append(np.concatenate([_subset_mins(dist[p], members[u], ENROL_TEMPLATES, IMPOSTOR_DRAWS, rng)
                                      for u in others]))
        n_ids.append(len(others))
        same = members[labels[p]][members[labels[p]] != p]
        genuine.append(_subset_mins(dist[p], same, ENROL_TEMPLATES, GENUINE_DRAWS, rng))
    cdfs, pdfs, bw = [], [], []
    if tail == "shape":
        mu = np.array([v.mean() for v in values])
        sd = np.array([v.std(ddof=1) for v in values])
        z = np.concatenate([(v - m) / s for v, m, s in zip(values, mu, sd, strict=True)])
        hz = silverman_bandwidth(z, sum(n_ids))
        zsub = rng.choice(z, min(len(z), 6000), replace=False)
        g_cdf = kde_cdf(Z_GRID, zsub, hz)
        g_pdf = kde_pdf(Z_GRID, zsub, hz)
        log_g = np.log(np.maximum(g_cdf, 1e-300))
        for m, s in zip(mu, sd, strict=True):
            zz = (GRID - m) / s
            cdfs.append(np.exp(np.interp(zz, Z_GRID, log_g)))
            pdfs.append(np.interp(zz, Z_GRID, g_pdf) / s)
            bw.append(hz * s)
    elif tail == "kde":
        for v, n in zip(values, n_ids, strict=True):
            h = silverman_bandwidth(v, n)
            cdfs.append(kde_cdf(GRID, v, h))
            pdfs.append(kde_pdf(GRID, v, h))
            bw.append(h)
    else:
        raise ValueError(f"unknown tail model {tail!r}")
    tabs = [tabulate(c, f) for c, f in zip(cdfs, pdfs, strict=True)]
    return ProbeModel(set_name, tail, np.stack([a for a, _ in tabs]), np.stack([b for _, b in tabs]),
                      genuine, n_ids[0], np.array(bw))


# -- method 1: the model --------------------------------------------------------------------------

def lowest_uniforms(rng, n: int, m: int, size: int) -> np.ndarray:
    """The m smallest of n independent uniforms, ascending, ``size`` times: (size, min(m, n)).

    Given the j-th smallest a, the other n-j are uniform on (a, 1), so 1 - U(j+1) = (1 - a) V^(1/(n-j));
    in logs that is a cumulative sum, exact for any n (10,000 or a million costs the same)."""
    m = min(m, n)
    log_v = np.log(1.0 - rng.random((size, m)))        # in (-inf, 0]; 1 - random() is never 0
    return -np.expm1(np.cumsum(log_v / (n - np.arange(m)), axis=1))


def model_chances(model: ProbeModel, spec: RuleSpec, n: int, rng, trials: int) -> tuple[float, float, float]:
    """(right, stranger, wrong) at n enrolled identities: per probe, ``trials`` vectors of its genuine
    distance and the nearest NEAREST_KEPT of n-1 (stranger: n) impostors drawn from its distribution."""
    right = stranger = wrong = 0
    probes = len(model.genuine)
    for p in range(probes):
        if n > 1:
            imp = model.quantile(p, lowest_uniforms(rng, n - 1, NEAREST_KEPT, trials))
            vec = np.concatenate([rng.choice(model.genuine[p], (trials, 1)), imp], axis=1)
        else:
            vec = rng.choice(model.genuine[p], (trials, 1))
        got = spec.propose(vec, n)
        right += int(np.sum(got == 0))
        wrong += int(np.sum(got > 0))
        stranger += int(np.sum(spec.propose(model.quantile(p, lowest_uniforms(rng, n, NEAREST_KEPT, trials)), n) >= 0))
    total = probes * trials
    return right / total, stranger / total, wrong / total


def model_exact(model: ProbeModel, n: int, threshold: float, margin: float) -> tuple[float, float, float]:
    """The same chances integrated exactly, for a plain threshold + margin rule."""
    acc = np.zeros(3)
    for p, gen in enumerate(model.genuine):
        acc += threshold_margin_chances(lambda x, q=p: model.cdf(q, x), lambda x, q=p: model.density(q, x),
                                        gen, n, threshold, margin)
    return tuple(acc / len(model.genuine))


SWEEP_THRESHOLDS = np.round(np.arange(0.34, 0.521, 0.02), 2)
SWEEP_MARGINS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.10)


def best_plain_rule(model: ProbeModel, n: int) -> tuple[float, float, tuple[float, float, float]] | None:
    """The threshold + margin pair (grid above) with the most right proposals that keeps stranger and
    wrong within their targets at n, integrated exactly. Tuned on the photos it is scored on, so an
    optimistic bound for plain rules, not an operating point."""
    best = None
    for t in SWEEP_THRESHOLDS:
        for mg in SWEEP_MARGINS:
            r = model_exact(model, n, float(t), mg)
            if meets("stranger", r[1]) and meets("wrong", r[2]) and (best is None or r[0] > best[2][0]):
                best = (float(t), mg, r)
    return best


def nearest_is_genuine(model: ProbeModel, n: int) -> float:
    """P(the probe's own identity is the nearest of n enrolled), exactly: E_g[(1 - F_p(g))^(n-1)]. No rule
    that proposes the nearest identity can propose the right person more often."""
    return float(np.mean([np.mean(survival_power(model.cdf(p, g), n - 1)) for p, g in enumerate(model.genuine)]))


def nearest_impostor_within(model: ProbeModel, n: int, t: float) -> float:
    """P(nearest of n impostors <= t), averaged over probes (the bare nearest-of-N, no rule)."""
    f = np.array([model.cdf(p, np.array([t]))[0] for p in range(len(model.genuine))])
    return float(np.mean(nearest_of_n_cdf(f, n)))


# -- method 2: direct simulation with real galleries ----------------------------------------------

def direct_chances(templates: np.ndarray, labels: np.ndarray, probe_mask: np.ndarray, pool_mask: np.ndarray,
                   n: int, spec: RuleSpec, reps: int, rng) -> tuple[float, float, float, int]:
    """Real ``Gallery`` of n identities (k random photos each), probes held out; returns
    (right, stranger, wrong, trials). n counts the probe's own identity for enrolled probes."""
    from kiosk.vision.gallery import Gallery

    members = {u: np.flatnonzero(labels == u) for u in set(labels)}
    pool = sorted(set(labels[pool_mask]))
    right = stranger = wrong = total = 0
    for _ in range(reps):
        for p in np.flatnonzero(probe_mask):
            own = labels[p]
            others = [u for u in pool if u != own]
            if n - 1 > len(others):
                raise ValueError(f"only {len(others)} distractors for n={n}")
            g = Gallery(spec.rule)
            same = members[own][members[own] != p]
            g.add_many(str(own), templates[rng.choice(same, min(ENROL_TEMPLATES, len(same)), replace=False)])
            chosen = rng.choice(len(others), min(n, len(others)), replace=False)
            for u in (others[i] for i in chosen[:n - 1]):
                m = members[u]
                g.add_many(str(u), templates[rng.choice(m, min(ENROL_TEMPLATES, len(m)), replace=False)])
            got = g.match(templates[p], spec.rule)
            right += got.accepted and got.identity == str(own)
            wrong += got.accepted and got.identity != str(own)
            # stranger: the probe's identity is not enrolled, n others are (when the pool has them)
            g = Gallery(spec.rule)
            for u in (others[i] for i in chosen[:n]):
                m = members[u]
                g.add_many(str(u), templates[rng.choice(m, min(ENROL_TEMPLATES, len(m)), replace=False)])
            stranger += g.match(templates[p], spec.rule).accepted
            total += 1
    return right / total, stranger / total, wrong / total, total


# -- output -------------------------------------------------------------------------------------

def pct(x: float) -> str:
    if x >= 0.9995:
        return "100 %"
    if x < 0.001:
        return f"{x * 100:.3f} %" if x > 0 else "0 %"
    return f"{x * 100:.1f} %"


def meets(name: str, value: float) -> bool:
    op, target = TARGETS[name]
    return value >= target if op == ">=" else value <= target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rule", action="append", help="current | old | threshold=X (repeatable; "
                        "default: current, old, threshold=0.40)")
    parser.add_argument("--sets", default="east_asian,western")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="fewer trials (a rough run)")
    args = parser.parse_args()
    from face_sets import load_set

    t_start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    trials = TRIALS_PER_PROBE // 10 if args.quick else TRIALS_PER_PROBE
    reps = 3 if args.quick else DIRECT_REPS
    rules = make_rules(args.rule or ["current", "old", "threshold=0.40"])
    set_names = [s.strip() for s in args.sets.split(",") if s.strip()]
    sets = {name: load_set(name) for name in ("western", "east_asian")}
    # one label space over both sets: the direct simulation's distractors come from either
    templates = np.concatenate([sets[s].templates for s in sets])
    labels = np.concatenate([np.array([f"{s}/{i}" for i in sets[s].identities]) for s in sets])
    origin = np.concatenate([np.full(len(sets[s].files), s) for s in sets])
    everyone = np.ones(len(labels), dtype=bool)

    print(f"enrolment: {ENROL_TEMPLATES} templates per identity; seed {args.seed}; model: {trials} trials "
          f"per probe photo and N; direct: {reps} random enrolments per probe photo")
    for spec in rules:
        print(f"rule: {spec.label}")
    models = {(s, pool, tail): build_model(s, templates, labels, origin == s,
                                           origin == s if pool == "same" else everyone, tail, rng)
              for s in set_names for pool in ("same", "both") for tail in ("shape", "kde")}

    scale: dict[tuple[str, str, int], tuple[float, float, float]] = {}
    for s in set_names:
        m = models[(s, "same", "shape")]
        print(f"\n== {s}: {len(m.genuine)} probe photos, {m.n_impostor_ids} impostor identities each; "
              f"method 1 (model), N enrolled identities ==")
        print(f"kernel width per probe, shared shape: median {np.median(m.bandwidth):.3f}; own kernel density "
              f"(sensitivity): median {np.median(models[(s, 'same', 'kde')].bandwidth):.3f}")
        for spec in rules:
            print(f"\n{spec.label}")
            head = f"{'N':>7} | {'right':>8} {'stranger':>9} {'wrong':>8} | nearest is them"
            if spec.plain:
                head += f" | exact: {'right':>8} {'stranger':>9} {'wrong':>8} | nearest impostor <= {spec.plain[0]}"
            print(head)
            for n in SCALE_N:
                r = model_chances(m, spec, n, rng, trials)
                scale[(s, spec.label, n)] = r
                line = f"{n:>7,} | {pct(r[0]):>8} {pct(r[1]):>9} {pct(r[2]):>8} | {pct(nearest_is_genuine(m, n)):>15}"
                if spec.plain:
                    e = model_exact(m, n, *spec.plain)
                    line += (f" |        {pct(e[0]):>8} {pct(e[1]):>9} {pct(e[2]):>8} | "
                             f"{pct(nearest_impostor_within(m, n, spec.plain[0]))}")
                print(line)
            k = models[(s, "same", "kde")]
            cells = [model_chances(k, spec, n, rng, trials) for n in (100, 1_000, 10_000)]
            print("  each probe's own kernel density instead (sensitivity of the tail): "
                  + "; ".join(f"N={n:,} {pct(c[0])} / {pct(c[1])} / {pct(c[2])}"
                              for n, c in zip((100, 1_000, 10_000), cells, strict=True)))

    print("\n== validation: method 1 beside real galleries (method 2) at the same N and distractor pool ==")
    print("(the model is fitted on the same photos: this checks its machinery, independence, smoothing and "
          "sampling, not its extrapolation; pool 'both' = distractors from both sets)")
    print(f"{'set':>10} {'pool':>4} {'N':>3} {'rule':<26} | {'shared shape':^23} | {'own density':^23} | "
          f"{'direct (Gallery.match)':^23}")
    print(f"{'':>10} {'':>4} {'':>3} {'':<26} | " + " | ".join([f"{'right':>7} {'strgr':>7} {'wrong':>7}"] * 3))
    for s in set_names:
        n_same = len(set(labels[origin == s]))
        for pool, n in (("same", 10), ("same", n_same - 1), ("both", len(set(labels)) - 1)):
            pool_mask = origin == s if pool == "same" else everyone
            for spec in rules:
                cells = [model_chances(models[(s, pool, tail)], spec, n, rng, trials) for tail in ("shape", "kde")]
                cells.append(direct_chances(templates, labels, origin == s, pool_mask, n, spec, reps, rng)[:3])
                print(f"{s:>10} {pool:>4} {n:>3} {spec.label[:26]:<26} | "
                      + " | ".join(f"{pct(c[0]):>7} {pct(c[1]):>7} {pct(c[2]):>7}" for c in cells))

    print(f"\n== recency window: the gallery is the enrolled citizens seen at the centre in the last W days ==\n"
          f"assumed: {ENROL_SHARE:.0%} enrol their face, {WORKING_DAYS_PER_WEEK} working days a week, share of a "
          f"window's visits that are returns within it: "
          + ", ".join(f"{w} d {r:.0%}" for w, r in RETURN_SHARE.items()))
    sizes = {}
    print(f"{'centre':>9} {'tickets/day':>12} | " + " ".join(f"{'W=' + str(w) + ' d':>14}" for w in WINDOWS))
    for centre, per_day in CENTRES.items():
        row = [gallery_size(per_day[1], w, RETURN_SHARE[w]) for w in WINDOWS]
        lo = [gallery_size(per_day[0], w, RETURN_SHARE[w]) for w in WINDOWS]
        hi = [gallery_size(per_day[2], w, RETURN_SHARE[w]) for w in WINDOWS]
        for w, n in zip(WINDOWS, row, strict=True):
            sizes[(centre, w)] = n
        print(f"{centre:>9} {per_day[1]:>12,} | " + " ".join(f"{n:>14,}" for n in row))
        print(f"{'':>9} {f'{per_day[0]:,}-{per_day[2]:,}':>12} | "
              + " ".join(f"{f'{a:,}-{b:,}':>14}" for a, b in zip(lo, hi, strict=True)))
    for s in set_names:
        for spec in rules:
            print(f"\n{s}, {spec.label}: right / stranger / wrong at the typical centre's gallery (model)")
            print(f"{'centre':>9} | " + " ".join(f"{'W=' + str(w) + ' d':>26}" for w in WINDOWS))
            for centre in CENTRES:
                cells = []
                for w in WINDOWS:
                    n = sizes[(centre, w)]
                    if (s, spec.label, n) not in scale:
                        scale[(s, spec.label, n)] = model_chances(models[(s, "same", "shape")], spec, n, rng, trials)
                    r = scale[(s, spec.label, n)]
                    cells.append(f"{pct(r[0])} / {pct(r[1])} / {pct(r[2])}")
                print(f"{centre:>9} | " + " ".join(f"{c:>26}" for c in cells))
                # what the window buys: of ALL visits, the returns within it of citizens enrolled, recognised
                covered = [RETURN_SHARE[w] * ENROL_SHARE * scale[(s, spec.label, sizes[(centre, w)])][0]
                           for w in WINDOWS]
                print(f"{'':>9} | " + " ".join(f"{'visits recognised ' + pct(c):>26}" for c in covered))

    if TARGET_SET in set_names:
        m = models[(TARGET_SET, "same", "shape")]
        print(f"\n{TARGET_SET}: what any rule could do at these galleries (model). 'nearest is them' bounds the "
              f"right proposals of every rule that proposes the nearest identity; 'best plain rule' is the "
              f"threshold + margin pair (thresholds {SWEEP_THRESHOLDS[0]}-{SWEEP_THRESHOLDS[-1]}, margins "
              f"{SWEEP_MARGINS[0]}-{SWEEP_MARGINS[-1]}) with the most right proposals that keeps stranger <= 5 % and "
              f"wrong <= 1 %, tuned on the photos it is scored on (optimistic)")
        print(f"{'centre':>9} {'W':>5} {'N':>7} | {'nearest is them':>15} | best plain rule: right / stranger / wrong")
        for centre in CENTRES:
            for w in WINDOWS:
                n = sizes[(centre, w)]
                best = best_plain_rule(m, n)
                cell = (f"<= {best[0]}, margin {best[1]}: {pct(best[2][0])} / {pct(best[2][1])} / {pct(best[2][2])}"
                        if best else "none keeps stranger and wrong within target")
                print(f"{centre:>9} {f'{w} d':>5} {n:>7,} | {pct(nearest_is_genuine(m, n)):>15} | {cell}")
        n_target = sizes[("district", DEFAULT_WINDOW)]
        print(f"\n== targets (issue 9): {TARGET_SET} faces, district centre, default window {DEFAULT_WINDOW} d "
              f"(N = {n_target:,}): right >= 90 %, stranger <= 5 %, wrong <= 1 % ==")
        for spec in rules:
            r = scale[(TARGET_SET, spec.label, n_target)]
            marks = [f"{k} {pct(v)} {'met' if meets(k, v) else 'NOT met'}" for k, v in zip(TARGETS, r, strict=True)]
            print(f"{spec.label}: " + "; ".join(marks))
            for centre in CENTRES:
                ok = [w for w in WINDOWS if all(meets(k, v) for k, v in
                                                zip(TARGETS, scale[(TARGET_SET, spec.label, sizes[(centre, w)])],
                                                    strict=True))]
                print(f"    {centre}: windows meeting all three: "
                      + (", ".join(f"{w} d" for w in ok) if ok else "none"))
            largest = max((n for n in sorted(set(SCALE_N) | {v for v in sizes.values()})
                           if all(meets(k, v) for k, v in zip(TARGETS, scale.get((TARGET_SET, spec.label, n),
                                                                                  (0, 1, 1)), strict=True))),
                          default=None)
            print("    largest N measured that meets all three: " + (f"{largest:,}" if largest else "none"))
    print(f"\n({time.perf_counter() - t_start:.0f} s)")


if __name__ == "__main__":
    main()
