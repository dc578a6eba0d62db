"""The math of bench/bench_faces_scale.py's model (method 1), against Monte-Carlo on known distributions."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_faces_scale as scale  # noqa: E402


def test_erfc_keeps_its_relative_precision_in_the_far_tail() -> None:
    xs = np.array([-3.0, -0.5, 0.0, 0.3, 1.0, 2.5, 5.0, 10.0, 20.0])
    got = scale.erfc(xs)
    want = np.array([math.erfc(x) for x in xs])
    assert np.all(np.abs(got / want - 1.0) < 2e-7)


def test_nearest_of_n_matches_a_monte_carlo_of_the_minimum() -> None:
    rng = np.random.default_rng(1)
    n, t = 50, -2.0
    draws = rng.standard_normal((40_000, n)).min(axis=1)
    formula = float(scale.nearest_of_n_cdf(scale.normal_cdf(np.array([t])), n)[0])
    assert formula == pytest.approx(float(np.mean(draws < t)), abs=0.01)
    assert 0.4 < formula < 0.8  # a point where the check has power


def test_nearest_of_n_grows_with_n_and_stays_a_probability() -> None:
    f = scale.normal_cdf(np.array([-3.5]))
    values = [float(scale.nearest_of_n_cdf(f, n)[0]) for n in (1, 10, 100, 1_000, 10_000, 1_000_000)]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert values[0] == pytest.approx(float(f[0]))
    assert 0.0 < values[0] and values[-1] <= 1.0


def test_lowest_uniforms_are_the_order_statistics_of_n_uniforms() -> None:
    rng = np.random.default_rng(2)
    n, m = 200, 3
    fast = scale.lowest_uniforms(rng, n, m, 20_000)
    brute = np.sort(rng.random((20_000, n)), axis=1)[:, :m]
    assert np.all(np.diff(fast, axis=1) >= 0)
    for j in range(m):
        # E[U(j)] = j / (n + 1)
        assert fast[:, j].mean() == pytest.approx((j + 1) / (n + 1), rel=0.03)
        assert fast[:, j].mean() == pytest.approx(brute[:, j].mean(), rel=0.03)


def test_exact_threshold_margin_chances_match_a_simulation() -> None:
    rng = np.random.default_rng(3)
    mu, sd, n, thr, margin = 0.6, 0.08, 40, 0.5, 0.03

    def cdf(x):
        return scale.normal_cdf((np.asarray(x) - mu) / sd)

    def pdf(x):
        return np.exp(-0.5 * ((np.asarray(x) - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))

    genuine = rng.normal(0.4, 0.05, 64)
    right, stranger, wrong = scale.threshold_margin_chances(cdf, pdf, genuine, n, thr, margin)
    trials = 40_000
    g = rng.choice(genuine, trials)
    imp = np.sort(rng.normal(mu, sd, (trials, n)), axis=1)
    # enrolled: the genuine distance against n-1 impostors
    d1 = np.minimum(g, imp[:, 0])
    second = np.where(g < imp[:, 0], imp[:, 0], np.minimum(g, imp[:, 1]))
    ok = (d1 <= thr) & (second - d1 >= margin)
    assert right == pytest.approx(float(np.mean(ok & (g < imp[:, 0]))), abs=0.01)
    assert wrong == pytest.approx(float(np.mean(ok & (g >= imp[:, 0]))), abs=0.005)
    imp = np.sort(rng.normal(mu, sd, (trials, n)), axis=1)
    assert stranger == pytest.approx(float(np.mean((imp[:, 0] <= thr) & (imp[:, 1] - imp[:, 0] >= margin))),
                                     abs=0.01)
    assert right > 0.5 and stranger > 0.05 and wrong > 0.001  # every term has something to check


def test_the_decision_on_distance_rows_is_the_gallerys_own() -> None:
    """The model hands the rule rows of per-identity distances: the answer must be Gallery.match's."""
    from kiosk.vision.gallery import DEFAULT_RULE, Gallery

    spec = scale.make_rules(["current"])[0]
    rng = np.random.default_rng(4)
    for _ in range(60):
        n = int(rng.integers(1, 80))  # both sides of DecisionRule.min_crowd
        dists = rng.uniform(0.3, 0.7, n)
        probe = np.zeros(128, dtype=np.float32)
        g = Gallery(DEFAULT_RULE)
        for i, d in enumerate(dists):
            t = np.zeros(128, dtype=np.float32)
            t[i] = d  # one template per identity at exactly distance d from the probe
            g.add(str(i), t)
        m = g.match(probe)
        got = int(spec.propose(dists[None, :], n)[0])
        assert got == (int(m.identity) if m.accepted else -1)


def test_gallery_size_from_a_centres_visits() -> None:
    # 100 tickets a day, 7 days = 5.5 working days, 20 % returns, 30 % enrolled
    assert scale.gallery_size(100, 7, 0.2, enrol_share=0.3, days_per_week=5.5) == 132
    assert scale.gallery_size(100, 30, 0.35) > scale.gallery_size(100, 7, 0.15)
