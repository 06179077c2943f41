"""Tests for mlserving_lab.drift.detector: the fitted DriftDetector against scipy, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _drift_samples import sample
from scipy import stats

from mlserving_lab.datasets import make_drift_scenarios
from mlserving_lab.drift import DriftDetector, ks_test, psi

TOL = 1e-9


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
        ref_cols[f"c{i}"] = sample(rng, n1, kind)
        cols[f"c{i}"] = sample(rng, n2, kind, shift, scale)
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


def test_non_tables_raise_naming_the_shape_or_value():
    """The detector reads input through _validation.as_frame; its errors name what is wrong."""
    from mlserving_lab.errors import InputShapeError, NotTableLikeError

    det = DriftDetector()
    with pytest.raises(InputShapeError, match=r"1-D array of shape \(5,\).*reshape\(-1, 1\)"):
        det.fit(np.arange(5.0))
    with pytest.raises(InputShapeError, match=r"1-D array of shape \(3,\)"):
        det.fit([1.0, 2.0, 3.0])
    with pytest.raises(InputShapeError, match=r"3-D with shape \(2, 2, 2\)"):
        det.fit(np.zeros((2, 2, 2)))
    with pytest.raises(NotTableLikeError, match="reference is None"):
        det.fit(None)
    with pytest.raises(TypeError, match="'abc'"):
        det.fit("abc")
    with pytest.raises(ValueError, match=r"no columns \(shape \(4, 0\)\)"):
        det.fit(np.zeros((4, 0)))
    fitted = DriftDetector().fit([[1.0, 2.0], [2.0, 1.0]] * 20)  # a list of rows is a table
    assert fitted.feature_names_ == ["x0", "x1"] and fitted.tests_ == {"x0": "ks", "x1": "ks"}
    with pytest.raises(ValueError, match=r"current is empty.*shape \(0, 2\)"):
        fitted.score(pd.DataFrame({"x0": [], "x1": []}))
    with pytest.raises(InputShapeError, match="single feature"):
        fitted.score(np.arange(40.0))
