"""Tests for mlserving_lab.drift.stats: scipy parity of KS, PSI properties, categorical tests."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _drift_samples import KINDS, sample
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

from mlserving_lab.drift import (
    DriftDetector,
    LowPowerWarning,
    _ks,
    adjust_pvalues,
    category_table,
    chi2_test,
    js_distance,
    ks_test,
    psi,
    psi_band,
)

TOL = 1e-9


SIZES = [(1, 1), (1, 4), (3, 3), (5, 8), (10, 10), (25, 13), (60, 60), (100, 37), (400, 1000),
         (2500, 1900), (10_000, 10_000), (1_200, 1_199), (10_001, 300), (30, 12_000),
         (25_000, 18_000)]


@pytest.mark.parametrize("n1,n2", SIZES)
def test_ks_test_matches_scipy_exact_and_asymptotic(n1, n2):
    rng = np.random.default_rng(n1 * 7 + n2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in KINDS:
            for shift, scale in [(0.0, 1.0), (0.15, 1.0), (0.0, 1.6), (2.0, 1.0)]:
                a = sample(rng, n1, kind)
                b = sample(rng, n2, kind, shift, scale)
                ref = stats.ks_2samp(a, b)
                stat, p = ks_test(a, b)
                assert isinstance(stat, float) and isinstance(p, float)
                assert abs(stat - ref.statistic) <= TOL, (kind, shift, scale)
                assert abs(p - ref.pvalue) <= TOL, (kind, shift, scale, p, ref.pvalue)


def test_ks_test_2d_arrays_and_dataframes_give_one_value_per_column():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(300, 4))
    b = rng.normal(size=(200, 4)) + [0, 0.5, 0, 1]
    s, p = ks_test(a, b)
    assert s.shape == (4,) and p.shape == (4,)
    for j in range(4):
        ref = stats.ks_2samp(a[:, j], b[:, j])
        assert abs(s[j] - ref.statistic) <= TOL and abs(p[j] - ref.pvalue) <= TOL
    s2, p2 = ks_test(pd.DataFrame(a, columns=list("abcd")), pd.DataFrame(b, columns=list("abcd")))
    np.testing.assert_array_equal(s, s2)
    np.testing.assert_array_equal(p, p2)


def test_ks_test_integer_input_and_identical_samples():
    x = np.arange(50)
    stat, p = ks_test(x, x)
    assert stat == 0.0 and p == 1.0



# Sizes on both sides of ks_2samp's exact limit (10,000 values per sample), tied data included.
THRESHOLD_SIZES = [(9_999, 10_000), (10_000, 9_990), (10_000, 10_001), (10_001, 10_001),
                   (50, 10_001), (7_000, 10_000)]


@pytest.mark.slow
@pytest.mark.parametrize("n1,n2", THRESHOLD_SIZES)
def test_ks_pvalues_match_scipy_around_the_exact_threshold(n1, n2):
    """ks_test (1-D and 2-D) and the fitted detector agree with ks_2samp on every column."""
    rng = np.random.default_rng(n1 + 3 * n2)
    plan = [("normal", 0.0, 1.0), ("normal", 0.04, 1.0), ("normal", 0.0, 1.1),
            ("ties", 0.0, 1.0), ("ties", 0.04, 1.0), ("rounded", 0.0, 1.1), ("spike", 0.04, 1.0)]
    ref = pd.DataFrame({f"c{i}": sample(rng, n1, kind) for i, (kind, _, _) in enumerate(plan)})
    cur = pd.DataFrame({f"c{i}": sample(rng, n2, kind, shift, scale)
                        for i, (kind, shift, scale) in enumerate(plan)})
    expect = [stats.ks_2samp(ref[c], cur[c]) for c in ref.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s2, p2 = ks_test(ref, cur)
        report = DriftDetector().fit(ref).score(cur)
    for j, (c, e) in enumerate(zip(ref.columns, expect, strict=True)):
        s1, p1 = ks_test(ref[c].to_numpy(), cur[c].to_numpy())
        for s, p in ((s1, p1), (s2[j], p2[j]), (report.statistic[j], report.p_value[j])):
            assert abs(s - e.statistic) <= TOL, (c, plan[j])
            assert abs(p - e.pvalue) <= TOL, (c, plan[j], p, e.pvalue)


def test_fast_kstwo_branch_matches_scipy():
    for n, nx2_values in [(2_000, (2.2, 8.0)), (6_000, (2.2, 3.0, 8.0, 40.0, 200.0)),
                          (50_000, (2.2, 20.0, 300.0)), (200_000, (5.0,))]:
        for nx2 in nx2_values:
            d = np.sqrt(nx2 / n)
            expect = stats.kstwo.sf(d, n)
            got = _ks.kstwo_sf(d, float(n))
            assert abs(got - expect) <= 1e-11
            assert abs(got - expect) <= 1e-8 * expect



def test_fast_tail_is_used_only_where_the_two_one_sided_tails_cannot_overlap():
    """2 * smirnov is the two-sided tail once n d^2 >= 3, wherever scipy's method; checked
    where scipy computes the two-sided tail exactly (n <= 140, Pomeranz's recursion)."""
    for n in (50, 100, 140):
        for nx2 in np.linspace(_ks.FAST_TAIL_MIN_NX2, 4.0, 11):
            d = np.sqrt(nx2 / n)
            assert abs(2 * special.smirnov(n, d) - stats.kstwo.sf(d, n)) <= 1e-10
    for n in (6_000, 50_000):
        for nx2 in (2.2, 2.9, 3.0, 3.01, 5.0, 360.0, 369.9, 380.0):
            d = np.sqrt(nx2 / n)
            expect, got = stats.kstwo.sf(d, n), _ks.kstwo_sf(d, float(n))
            assert abs(got - expect) <= 1e-11
            assert abs(got - expect) <= 1e-8 * expect + 1e-300


def test_asymptotic_pvalues_match_scipy_in_the_fast_tail():
    """Large samples whose KS gap falls where the numpy tail replaces scipy's loop."""
    rng = np.random.default_rng(21)
    ref = rng.normal(size=30_000)
    for shift in (0.0, 0.02, 0.025, 0.03, 0.05, 0.3):
        cur = rng.normal(size=12_000) + shift
        e = stats.ks_2samp(ref, cur)
        s, p = ks_test(ref, cur)
        assert abs(s - e.statistic) <= TOL and abs(p - e.pvalue) <= TOL, shift
        assert abs(p - e.pvalue) <= 1e-8 * e.pvalue + 1e-300, shift


# --------------------------------------------------------------------------------------------
# PSI
# --------------------------------------------------------------------------------------------

def test_psi_of_a_sample_with_itself_is_zero_and_shift_is_major():
    x = np.random.default_rng(0).normal(size=2000)
    assert psi(x, x) == 0.0
    assert psi(x, x + 1.0) > 0.25
    assert psi_band(psi(x, x + 1.0)) == "major"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=60),
       st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60),
       st.integers(2, 12))
def test_psi_is_never_negative_and_zero_on_itself(ref, cur, bins):
    assert psi(ref, cur, bins=bins) >= 0.0
    assert psi(ref, ref, bins=bins) == 0.0


def test_psi_formula_with_reference_quantile_edges_and_open_outer_bins():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=1000)
    cur = rng.normal(size=800) * 2.0  # many values beyond the reference range
    edges = np.quantile(ref, np.linspace(0, 1, 11))[1:-1]
    r = np.array([np.sum(ref <= edges[0])] + [np.sum((ref > lo) & (ref <= hi)) for lo, hi in
                                               zip(edges[:-1], edges[1:], strict=True)]
                 + [np.sum(ref > edges[-1])]) / ref.size
    c = np.array([np.sum(cur <= edges[0])] + [np.sum((cur > lo) & (cur <= hi)) for lo, hi in
                                               zip(edges[:-1], edges[1:], strict=True)]
                 + [np.sum(cur > edges[-1])]) / cur.size
    assert c.sum() == pytest.approx(1.0)  # nothing outside the reference range was dropped
    expected = np.sum((c - r) * np.log(c / r))
    assert psi(ref, cur) == pytest.approx(expected, abs=1e-12)


def test_psi_collapses_duplicate_edges_and_uses_eps_for_empty_bins():
    ref = np.array([0.0] * 80 + [1.0] * 20)
    cur = np.array([0.0] * 50 + [1.0] * 50)
    # all 9 quantile edges are 0 or 1 -> collapsed to two edges -> bins (-inf,0], (0,1], (1,inf)
    r, c = np.array([0.8, 0.2, 0.0]), np.array([0.5, 0.5, 0.0])
    expected = sum((ci - ri) * np.log(ci / ri) for ri, ci in zip(r[:2], c[:2], strict=True))
    assert psi(ref, cur) == pytest.approx(expected)
    # an empty current bin gets eps: smaller eps -> larger PSI, finite
    ref = np.linspace(0, 1, 100)
    cur = np.full(50, 0.05)
    small, large = psi(ref, cur, eps=1e-6), psi(ref, cur, eps=1e-2)
    assert np.isfinite(small) and small > large > 0


def test_psi_noise_floor_is_about_bins_minus_one_over_n():
    rng = np.random.default_rng(5)
    n_ref, n_cur, bins = 2000, 500, 10
    values = [psi(rng.normal(size=n_ref), rng.normal(size=n_cur), bins=bins) for _ in range(200)]
    floor = (bins - 1) * (1 / n_ref + 1 / n_cur)
    assert 0.7 * floor < np.mean(values) < 1.3 * floor


def _evidently_numeric_psi(reference, current):
    """evidently's documented numeric PSI (get_binned_data + _psi), rewritten for the test."""
    reference, current = pd.Series(reference), pd.Series(current)
    if reference.nunique() > 20:
        edges = np.histogram_bin_edges(pd.concat([reference, current]).to_numpy(), bins="sturges")
        r = np.histogram(reference, edges)[0] / len(reference)
        c = np.histogram(current, edges)[0] / len(current)
    else:
        keys = sorted(set(reference.unique()) | set(current.unique()))
        r = np.array([(reference == k).sum() for k in keys]) / len(reference)
        c = np.array([(current == k).sum() for k in keys]) / len(current)
    for shares in (r, c):
        nonzero = shares[shares != 0].min()
        shares[shares == 0] = nonzero / 1e6 if nonzero <= 1e-4 else 1e-4
    return float(np.sum((r - c) * np.log(r / c)))


@pytest.mark.parametrize("kind", ["normal", "cauchy", "ties", "spike"])
def test_sturges_strategy_reproduces_evidently_numeric_psi(kind):
    rng = np.random.default_rng(11)
    for n1, n2, shift in [(300, 200, 0.0), (5000, 3000, 0.3), (40_000, 30_000, 1.0)]:
        a, b = sample(rng, n1, kind), sample(rng, n2, kind, shift)
        assert psi(a, b, strategy="sturges") == pytest.approx(_evidently_numeric_psi(a, b),
                                                              rel=1e-12, abs=1e-15)


def test_psi_2d_returns_array_and_bands():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(1000, 3))
    b = a + [0, 0.4, 2]
    values = psi(a, b)
    assert values.shape == (3,) and values[0] == 0.0
    assert list(psi_band(values)) == ["stable", "moderate", "major"] or values[1] >= 0.1
    assert psi_band(0.0999) == "stable" and psi_band(0.1) == "moderate"
    assert psi_band(0.25) == "major"


# --------------------------------------------------------------------------------------------
# Categorical features
# --------------------------------------------------------------------------------------------

def test_chi2_and_js_match_scipy_and_count_unseen_categories():
    ref = ["a"] * 50 + ["b"] * 30 + ["c"] * 20
    cur = ["a"] * 30 + ["b"] * 30 + ["d"] * 15
    table = category_table(ref, cur)
    assert table.index.tolist() == ["a", "b", "c", "d"]
    assert table["unseen"].tolist() == [False, False, False, True]
    stat, p = chi2_test(ref, cur)
    expect = stats.chi2_contingency(np.array([[50, 30, 20, 0], [30, 30, 0, 15]]),
                                    correction=False)
    assert stat == pytest.approx(expect.statistic) and p == pytest.approx(expect.pvalue)
    js = js_distance(ref, cur)
    assert js == pytest.approx(jensenshannon([0.5, 0.3, 0.2, 0], [0.4, 0.4, 0, 0.2], base=2))
    assert js_distance(["x", "y"], ["x", "y"]) == 0.0
    assert js_distance(["x", "x"], ["y", "y"]) == pytest.approx(1.0)


def test_js_distance_numeric_uses_the_psi_bins():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=500), rng.normal(size=400) + 0.5
    assert 0 < js_distance(a, b) < 1
    assert js_distance(a, a) == 0.0



# --------------------------------------------------------------------------------------------
# Multiple testing and effect-size floor
# --------------------------------------------------------------------------------------------

def _holm_loop(p):
    m = len(p)
    order = np.argsort(p)
    out = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def test_adjust_pvalues_methods():
    p = np.array([0.001, 0.04, 0.03, 0.5, 0.01, 0.2])
    np.testing.assert_allclose(adjust_pvalues(p), np.minimum(1, p * 6))
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), _holm_loop(p))
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), stats.false_discovery_control(p))
    np.testing.assert_array_equal(adjust_pvalues(p, "none"), p)
    with pytest.raises(ValueError, match="correction must be one of"):
        adjust_pvalues(p, "sidak")
    with pytest.raises(ValueError, match="between 0 and 1"):
        adjust_pvalues([0.1, np.nan])



def test_tiny_samples_give_exact_pvalues_but_warn_about_power():
    a, b = [0.1, 0.5, 0.9, 1.3], [1.0, 1.7, 2.2]
    with pytest.warns(LowPowerWarning, match="little power"):
        stat, p = ks_test(a, b)
    ref = stats.ks_2samp(a, b)
    assert stat == ref.statistic and p == ref.pvalue
    with pytest.warns(LowPowerWarning):
        DriftDetector().fit(np.array(a).reshape(-1, 1)).score(np.array(b).reshape(-1, 1))




def test_psi_tie_rule_a_value_equal_to_an_edge_counts_in_the_bin_below():
    # exercise 3 teaches this rule; np.histogram (closed on the left) gives another value
    ref, cur = np.array([1.0, 2.0, 2.0, 3.0]), np.array([2.0, 3.0, 3.0, 3.0])
    assert psi(ref, cur, bins=2) == pytest.approx(np.log(3.0), abs=1e-12)
    left = np.histogram(cur, [-np.inf, 2.0, np.inf])[0] / 4  # [0, 1]: 2.0 went up
    assert left.tolist() == [0.0, 1.0]


def test_psi_keeping_repeated_edges_gives_the_same_value_as_collapsing_them():
    rng = np.random.default_rng(3)
    ref = rng.poisson(2.0, 501).astype(float)
    cur = rng.poisson(2.6, 211).astype(float)
    for bins in (5, 10, 20):
        edges = np.quantile(ref, np.linspace(0, 1, bins + 1))
        edges[0], edges[-1] = -np.inf, np.inf
        assert np.unique(edges).size < edges.size  # the test really has repeated edges

        def shares(x, edges=edges, bins=bins):
            s = np.bincount(np.searchsorted(edges, x, side="left") - 1, minlength=bins) / x.size
            return np.where(s == 0, 1e-4, s)

        r, c = shares(ref), shares(cur)
        kept = float(np.sum((c - r) * np.log(c / r)))
        assert psi(ref, cur, bins=bins, eps=1e-4) == pytest.approx(kept, rel=1e-12, abs=1e-15)
