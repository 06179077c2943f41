"""Both-ways tests for exercise 3 (drift detection) checkers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.ex3_drift_detection import (
    EXERCISE,
    SCENARIO_NAMES,
    SENSITIVITY,
    q1,
    q2,
    q3,
    q4,
    reference_sensitivity,
)
from mlserving_lab.datasets import make_drift_scenarios
from mlserving_lab.drift import ks_test, psi

# ---- learner-style solutions (written the way a learner would, with scipy / numpy) ----------

def ks_drift(reference, current, alpha=0.05):
    rows = []
    for col in reference.columns:
        res = stats.ks_2samp(reference[col], current[col])
        rows.append((col, res.statistic, res.pvalue))
    table = pd.DataFrame(rows, columns=["feature", "statistic", "p_value"])
    table["drifted"] = table.p_value < alpha / len(reference.columns)
    return table


def ks_drift_uncorrected(reference, current, alpha=0.05):
    table = ks_drift(reference, current, alpha)
    table["drifted"] = table.p_value < alpha
    return table


def ks_drift_asymp(reference, current, alpha=0.05):
    table = ks_drift(reference, current, alpha)
    table["p_value"] = [stats.ks_2samp(reference[c], current[c], method="asymp").pvalue
                        for c in reference.columns]
    return table


def ks_drift_ignores_ties(reference, current, alpha=0.05):
    """Walks the merged sample one value at a time: right unless values tie."""
    rows = []
    for col in reference.columns:
        a, b = reference[col].to_numpy(), current[col].to_numpy()
        labels = np.r_[np.ones(a.size), np.zeros(b.size)][np.argsort(np.r_[a, b], kind="stable")]
        gap = np.cumsum(labels) / a.size - np.cumsum(1 - labels) / b.size
        rows.append((col, float(np.max(np.abs(gap))), stats.ks_2samp(a, b).pvalue))
    table = pd.DataFrame(rows, columns=["feature", "statistic", "p_value"])
    table["drifted"] = table.p_value < alpha / len(reference.columns)
    return table


def psi_drift(reference, current, bins=10, threshold=0.25, eps=1e-4, open_ends=True):
    rows = []
    for col in reference.columns:
        r_col, c_col = reference[col].to_numpy(), current[col].to_numpy()
        edges = np.quantile(r_col, np.linspace(0, 1, bins + 1))
        if open_ends:
            edges[0], edges[-1] = -np.inf, np.inf
        r = np.histogram(r_col, edges)[0] / len(r_col)
        c = np.histogram(c_col, edges)[0] / len(c_col)
        r, c = np.where(r == 0, eps, r), np.where(c == 0, eps, c)
        rows.append((col, float(np.sum((c - r) * np.log(c / r)))))
    table = pd.DataFrame(rows, columns=["feature", "psi"])
    table["drifted"] = table.psi >= threshold
    return table


def psi_drift_closed(reference, current, bins=10, threshold=0.25, eps=1e-4):
    # The common mistake: outer bins end at the reference's min and max.
    return psi_drift(reference, current, bins, threshold, eps, open_ends=False)


def psi_drift_sign(reference, current, bins=10, threshold=0.25, eps=1e-4):
    table = psi_drift(reference, current, bins, threshold, eps)
    table["psi"] = -table["psi"]
    return table


def psi_drift_fixed_threshold(reference, current, bins=10, threshold=0.25, eps=1e-4):
    table = psi_drift(reference, current, bins, threshold, eps)
    table["drifted"] = table.psi >= 0.25
    return table


def psi_drift_no_eps(reference, current, bins=10, threshold=0.25, eps=1e-4):
    return psi_drift(reference, current, bins, threshold, eps=1e-2)


def _flagged(scenarios, ks_fn=ks_drift, psi_fn=psi_drift):
    out = {}
    for name, cur in scenarios.current.items():
        k, p = ks_fn(scenarios.reference, cur), psi_fn(scenarios.reference, cur)
        out[name] = {"ks": list(k.feature[k.drifted]), "psi": list(p.feature[p.drifted])}
    return out


# ---- q1 -------------------------------------------------------------------------------------

def test_q1_both_ways():
    assert_check_passed(q1, ks_drift)
    assert_check_failed(q1, ks_drift_uncorrected, match=r"Bonferroni.*alpha / 6")
    assert_check_failed(q1, ks_drift_asymp, match=r"p-value for `\w+`.*method=")
    assert_check_failed(q1, lambda r, c, alpha=0.05: "nope", match="should return a pandas "
                        "DataFrame")
    assert_check_failed(q1, lambda r, c, alpha=0.05: pd.DataFrame({"feature": []}),
                        match=r"no column\(s\) \['statistic', 'p_value', 'drifted'\]")
    assert_check_failed(q1, lambda r, c, alpha=0.05: 1 / 0, outcome="error",
                        match="ZeroDivisionError")
    assert_check_failed(q1, lambda r, c, alpha=0.05: ____, outcome="not_attempted")
    assert_check_failed(q1, ____, outcome="not_attempted")


def test_q1_hidden_check_catches_tie_mistakes():
    assert q1.evaluate(ks_drift_ignores_ties).outcome == "correct"  # continuous data: no ties
    assert_check_failed(q1, ks_drift_ignores_ties, hidden=True,
                        match=r"small samples with ties, your KS statistic")


# ---- q2 -------------------------------------------------------------------------------------

def test_q2_both_ways():
    assert_check_passed(q2, psi_drift)
    assert_check_failed(q2, psi_drift_closed, match="outside the reference range.*open")
    assert_check_failed(q2, psi_drift_sign, match="negative")
    assert_check_failed(q2, psi_drift_fixed_threshold, match=r"threshold.*\(0\.05\) flags")
    assert_check_failed(q2, psi_drift_no_eps, match=r"`vibration`.*eps=1e-4")
    assert_check_failed(q2, lambda r, c, bins=10, threshold=0.25: [1, 2],
                        match="pandas DataFrame")


# ---- q3 -------------------------------------------------------------------------------------

def test_q3_both_ways():
    scenarios = make_drift_scenarios(random_state=7)
    flagged = _flagged(scenarios)
    assert_check_passed(q3, scenarios, flagged)
    swapped = {k: {"ks": v["psi"], "psi": v["ks"]} for k, v in flagged.items()}
    if swapped != flagged:
        assert_check_failed(q3, scenarios, swapped, match=r"your '(ks|psi)' list is")
    truth = {k: {"ks": scenarios.drifted[k], "psi": scenarios.drifted[k]}
             for k in scenarios.names}
    if truth != flagged:
        assert_check_failed(q3, scenarios, truth, match="flags")
    partial = dict(flagged)
    partial.pop("variance_change")
    assert_check_failed(q3, scenarios, partial, match=r"no entry for scenario\(s\) "
                        r"\['variance_change'\]")
    assert_check_failed(q3, "data", flagged, match="make_drift_scenarios")


# ---- q4 -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sensitivity():
    return reference_sensitivity()


def _choice(table):
    return {n: ("ks" if table.loc[n, "ks"] > table.loc[n, "psi"] else
                "psi" if table.loc[n, "psi"] > table.loc[n, "ks"] else "same")
            for n in SCENARIO_NAMES[1:]}


def test_q4_both_ways(sensitivity):
    choice = _choice(sensitivity)
    assert_check_passed(q4, sensitivity, choice)
    wrong = dict(choice, mean_shift="psi" if choice["mean_shift"] != "psi" else "ks")
    assert_check_failed(q4, sensitivity, wrong, match=r"your own table says KS detects")
    one_seed = sensitivity.copy()
    one_seed.loc["variance_change", "ks"] = min(1.0, one_seed.loc["variance_change", "ks"] + 0.3)
    assert_check_failed(q4, one_seed, _choice(one_seed), match=r"SENSITIVITY")
    assert_check_failed(q4, sensitivity.drop(index="no_drift"), choice,
                        match="one row per scenario")
    assert_check_failed(q4, sensitivity * 100, choice, match="between 0 and 1")


def test_learner_style_functions_reproduce_the_reference_sensitivity(sensitivity):
    from mlserving_lab.course.exercises.ex3_drift_detection import _rates

    small = dict(SENSITIVITY, seeds=(0, 1, 2))
    pd.testing.assert_frame_equal(_rates(ks_drift, psi_drift, small),
                                  reference_sensitivity(small))


def test_exercise_metadata():
    assert EXERCISE.name == "ex3_drift_detection"
    assert [q.points for q in EXERCISE] == [2, 2, 2, 2]
    ref, cur = np.zeros((3, 1)), np.ones((3, 1))
    assert psi(ref, cur) > 0


def test_solution_texts_pass_their_own_checks():
    namespace = {"pd": pd, "np": np, "ks_test": ks_test,
                 "psi": psi}
    exec(q1._solution, namespace)
    exec(q2._solution, namespace)
    assert_check_passed(q1, namespace["ks_drift"])
    assert_check_passed(q2, namespace["psi_drift"])
    namespace["scenarios"] = make_drift_scenarios(random_state=5)
    exec(q3._solution, namespace)
    assert_check_passed(q3, namespace["scenarios"], namespace["flagged"])
