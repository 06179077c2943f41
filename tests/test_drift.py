"""Tests for mlserving_lab.drift: scipy parity, PSI properties, categorical tests, bad input."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlserving_lab import drift
from mlserving_lab.datasets import make_drift_scenarios
from mlserving_lab.drift import (
    DriftDetector,
    LowPowerWarning,
    adjust_pvalues,
    category_table,
    chi2_test,
    js_distance,
    ks_test,
    plot_feature_drift,
    plot_psi,
    psi,
    psi_band,
)

TOL = 1e-9


def _sample(rng, n, kind, shift=0.0, scale=1.0):
    if kind == "normal":
        x = rng.normal(size=n)
    elif kind == "ties":
        x = rng.integers(0, 6, size=n).astype(float)
    elif kind == "cauchy":
        x = rng.standard_cauchy(size=n)
    elif kind == "rounded":
        x = np.round(rng.normal(size=n), 1)
    elif kind == "spike":  # half the mass on one value
        x = np.where(rng.random(n) < 0.5, 0.0, rng.normal(size=n))
    else:
        raise AssertionError(kind)
    return x * scale + shift


SIZES = [(1, 1), (1, 4), (3, 3), (5, 8), (10, 10), (25, 13), (60, 60), (100, 37), (400, 1000),
         (2500, 1900), (10_000, 10_000), (1_200, 1_199), (10_001, 300), (30, 12_000),
         (25_000, 18_000)]
KINDS = ["normal", "ties", "cauchy", "rounded", "spike"]


@pytest.mark.parametrize("n1,n2", SIZES)
def test_ks_test_matches_scipy_exact_and_asymptotic(n1, n2):
    rng = np.random.default_rng(n1 * 7 + n2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in KINDS:
            for shift, scale in [(0.0, 1.0), (0.15, 1.0), (0.0, 1.6), (2.0, 1.0)]:
                a = _sample(rng, n1, kind)
                b = _sample(rng, n2, kind, shift, scale)
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


@pytest.mark.parametrize("n1,n2", [(5_000, 4_000), (20_000, 20_000), (60_000, 45_000)])
def test_fitted_detector_matches_scipy_on_large_windows(n1, n2):
    """The detector's binned fast path must give scipy's numbers too (ties, tails, shifts)."""
    rng = np.random.default_rng(n1 + n2)
    cols = {}
    ref_cols = {}
    for i, (kind, shift, scale) in enumerate([
            ("normal", 0.0, 1.0), ("normal", 0.02, 1.0), ("normal", 0.2, 1.0),
            ("normal", 0.0, 1.22), ("ties", 0.0, 1.0), ("ties", 1.0, 1.0),
            ("cauchy", 0.0, 1.0), ("cauchy", 0.5, 2.0), ("rounded", 0.1, 1.0),
            ("spike", 0.0, 1.0), ("spike", 0.3, 1.0), ("normal", 8.0, 1.0)]):
        ref_cols[f"c{i}"] = _sample(rng, n1, kind)
        cols[f"c{i}"] = _sample(rng, n2, kind, shift, scale)
    ref, cur = pd.DataFrame(ref_cols), pd.DataFrame(cols)
    report = DriftDetector().fit(ref).score(cur)
    for j, name in enumerate(ref.columns):
        expect = stats.ks_2samp(ref[name], cur[name])
        assert abs(report.statistic[j] - expect.statistic) <= TOL, name
        assert abs(report.p_value[j] - expect.pvalue) <= TOL, name
        assert abs(report.psi[j] - psi(ref[name], cur[name], eps=1e-4)) <= 1e-12, name
    # numpy input takes the array fast path and must agree
    report2 = DriftDetector().fit(ref.to_numpy()).score(cur.to_numpy())
    np.testing.assert_array_equal(report.statistic, report2.statistic)
    np.testing.assert_array_equal(report.psi, report2.psi)


def test_fast_kstwo_branch_matches_scipy():
    for n, nx2_values in [(2_000, (2.2, 8.0)), (6_000, (2.2, 3.0, 8.0, 40.0, 200.0)),
                          (50_000, (2.2, 20.0, 300.0)), (200_000, (5.0,))]:
        for nx2 in nx2_values:
            d = np.sqrt(nx2 / n)
            expect = stats.kstwo.sf(d, n)
            got = drift._kstwo_sf(d, float(n))
            assert abs(got - expect) <= 1e-11
            assert abs(got - expect) <= 1e-8 * expect


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
        a, b = _sample(rng, n1, kind), _sample(rng, n2, kind, shift)
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


def test_detector_mixed_dataframe_chooses_tests_and_counts_unseen():
    rng = np.random.default_rng(8)
    ref = pd.DataFrame({
        "age": rng.normal(40, 10, 1000),
        "plan": rng.choice(["free", "pro", "team"], 1000, p=[0.6, 0.3, 0.1]),
        "clicks": rng.poisson(3, 1000),
        "mobile": rng.random(1000) < 0.4,
    })
    cur = pd.DataFrame({
        "age": rng.normal(40, 10, 600),
        "plan": rng.choice(["free", "pro", "enterprise"], 600, p=[0.5, 0.3, 0.2]),
        "clicks": rng.poisson(3, 600),
        "mobile": rng.random(600) < 0.4,
    })
    det = DriftDetector(tests={"clicks": "chi2"}).fit(ref)
    assert det.tests_ == {"age": "ks", "plan": "chi2", "clicks": "chi2", "mobile": "chi2"}
    report = det.score(cur)
    assert set(["feature", "statistic", "p_value", "psi", "drifted"]) <= set(report.columns)
    row = report.set_index("feature").loc["plan"]
    assert row.n_unseen == int((cur.plan == "enterprise").sum()) and row.drifted
    expect = stats.chi2_contingency(pd.crosstab(
        np.r_[np.zeros(1000), np.ones(600)], np.r_[ref.plan, cur.plan]).to_numpy(),
        correction=False)
    assert row.statistic == pytest.approx(expect.statistic)
    age = report.set_index("feature").loc["age"]
    assert age.p_value == pytest.approx(stats.ks_2samp(ref.age, cur.age).pvalue, abs=1e-12)
    # object-dtype text (pandas 2 style) is categorical too
    det2 = DriftDetector().fit(ref.astype({"plan": object}))
    assert det2.tests_["plan"] == "chi2"


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


def test_corrections_change_how_many_features_are_flagged():
    rng = np.random.default_rng(12)
    ref = rng.normal(size=(400, 30))
    cur = rng.normal(size=(400, 30))
    cur[:, :6] += np.linspace(0.12, 0.3, 6)
    flagged = {c: int(DriftDetector(correction=c).fit(ref).score(cur).drifted.sum())
               for c in ("bonferroni", "holm", "bh", "none")}
    assert flagged["bonferroni"] <= flagged["holm"] <= flagged["none"]
    assert flagged["holm"] <= flagged["bh"] <= flagged["none"]


def test_min_psi_effect_floor_stops_flagging_trivial_shifts_on_huge_windows():
    rng = np.random.default_rng(13)
    ref = rng.normal(size=(200_000, 2))
    cur = rng.normal(size=(200_000, 2)) + [0.03, 0.0]
    plain = DriftDetector().fit(ref).score(cur)
    assert plain.drifted[0] and plain.p_value[0] < 1e-6 and plain.psi[0] < 0.01
    floor = DriftDetector(min_psi=0.1).fit(ref).score(cur)
    assert not floor.drifted.any()


# --------------------------------------------------------------------------------------------
# Bad input (policy: NaN raises, naming the columns)
# --------------------------------------------------------------------------------------------

def test_nan_raises_naming_the_columns():
    ref = pd.DataFrame({"a": [1.0, 2.0, 3.0] * 20, "b": [1.0, 2.0, 3.0] * 20})
    cur = ref.copy()
    cur.loc[3, "b"] = np.nan
    with pytest.raises(ValueError, match="'b'"):
        DriftDetector().fit(ref).score(cur)
    with pytest.raises(ValueError, match="NaN"):
        DriftDetector().fit(cur)
    with pytest.raises(ValueError, match="NaN"):
        ks_test(ref, cur)
    with pytest.raises(ValueError, match="NaN"):
        psi(ref["a"].to_numpy(), cur["b"].to_numpy())
    cat = pd.DataFrame({"c": ["x", None, "y"] * 20})
    with pytest.raises(ValueError, match=r"'c' \(20 rows\)"):
        DriftDetector().fit(cat)


def test_empty_window_mismatched_columns_and_text_in_numeric_column():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(rng.normal(size=(100, 3)), columns=["a", "b", "c"])
    det = DriftDetector().fit(ref)
    with pytest.raises(ValueError, match="empty"):
        det.score(ref.iloc[:0])
    with pytest.raises(ValueError, match="empty"):
        det.score(np.empty((0, 3)))
    with pytest.raises(ValueError, match=r"missing \['c'\]"):
        det.score(ref[["a", "b"]])
    with pytest.raises(ValueError, match=r"unexpected \['z'\]"):
        det.score(ref.assign(z=1.0))
    with pytest.raises(ValueError, match="4 columns"):
        det.score(np.zeros((10, 4)))
    bad = ref.astype({"b": object})
    bad.loc[5, "b"] = "oops"
    with pytest.raises(TypeError, match=r"'b'.*'oops'.*numeric in the reference"):
        det.score(bad)
    with pytest.raises(ValueError, match="different number|column"):
        ks_test(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(TypeError, match="expected numbers"):
        ks_test(["a", "b"], ["c", "d"])
    with pytest.raises(ValueError, match="not fitted"):
        DriftDetector().score(ref)
    with pytest.raises(ValueError, match="columns .* differ"):
        ks_test(ref[["a", "b"]], ref[["b", "a"]])
    with pytest.raises(ValueError, match="bins must be at least 2"):
        psi([1.0, 2.0], [1.0, 2.0], bins=1)
    with pytest.raises(ValueError, match="strategy"):
        psi([1.0, 2.0], [1.0, 2.0], strategy="equal")
    with pytest.raises(TypeError, match="KS test needs numbers"):
        DriftDetector(tests={"plan": "ks"}).fit(pd.DataFrame({"plan": ["a", "b"] * 20}))
    with pytest.raises(ValueError, match="does not have"):
        DriftDetector(tests={"nope": "ks"}).fit(ref)


def test_constant_column_warns_and_still_scores():
    ref = pd.DataFrame({"k": np.full(200, 3.0), "x": np.arange(200.0)})
    with pytest.warns(UserWarning, match="'k' is constant"):
        det = DriftDetector().fit(ref)
    same = det.score(ref)
    assert same.loc[0, "psi"] == 0.0 and same.loc[0, "p_value"] == 1.0
    moved = det.score(ref.assign(k=4.0))
    assert moved.loc[0, "statistic"] == 1.0 and moved.loc[0, "drifted"]


def test_tiny_samples_give_exact_pvalues_but_warn_about_power():
    a, b = [0.1, 0.5, 0.9, 1.3], [1.0, 1.7, 2.2]
    with pytest.warns(LowPowerWarning, match="little power"):
        stat, p = ks_test(a, b)
    ref = stats.ks_2samp(a, b)
    assert stat == ref.statistic and p == ref.pvalue
    with pytest.warns(LowPowerWarning):
        DriftDetector().fit(np.array(a).reshape(-1, 1)).score(np.array(b).reshape(-1, 1))


# --------------------------------------------------------------------------------------------
# Plots and scenarios
# --------------------------------------------------------------------------------------------

def test_plots_return_axes():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    cur = pd.DataFrame({"x": rng.normal(size=200) + 1, "c": rng.choice(["a", "b", "z"], 200)})
    det = DriftDetector().fit(ref)
    report = det.score(cur)
    for ax in (plot_psi(report), det.plot_feature(cur, "x"),
               det.plot_feature(cur, "x", kind="hist"), det.plot_feature(cur, "c"),
               plot_feature_drift(ref.x, cur.x)):
        assert isinstance(ax, plt.Axes)
    with pytest.raises(ValueError, match="psi"):
        plot_psi(pd.DataFrame({"feature": ["a"]}))
    with pytest.raises(ValueError, match="unknown feature"):
        det.plot_feature(cur, "nope")
    plt.close("all")


def test_make_drift_scenarios_is_seeded_and_truthful():
    a, b = make_drift_scenarios(random_state=3), make_drift_scenarios(random_state=3)
    assert a.names == ["no_drift", "mean_shift", "variance_change", "new_distribution"]
    pd.testing.assert_frame_equal(a.current["mean_shift"], b.current["mean_shift"])
    assert [len(a.drifted[k]) for k in a.names] == [0, 2, 3, 1]
    cur = a.current["new_distribution"][a.drifted["new_distribution"][0]]
    assert abs(cur.mean()) < 0.1 and abs(cur.std() - 1) < 0.1  # same mean and variance
    report = DriftDetector().fit(a.reference).score(a.current["mean_shift"])
    assert set(a.drifted["mean_shift"]) <= set(report.loc[report.drifted, "feature"])
    with pytest.raises(ValueError, match="n_variance"):
        make_drift_scenarios(n_features=2)
