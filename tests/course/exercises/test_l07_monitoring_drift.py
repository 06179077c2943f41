"""Both-ways tests for the lesson 07 check-yourself questions.

Right answers are written the way the solution notebook writes them (and in the other ways
the prompts allow); wrong answers the way a learner would get them wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.l07_monitoring_drift import (
    EXERCISE,
    FLOOR_GRID,
    HUGE_NS,
    SITUATIONS,
    make_big_window,
    make_null_windows,
    make_tiny_shift,
    q1,
    q2,
    q3,
    q4,
    q5,
)
from mlserving_lab.course.instructor.l07_monitoring_drift import q5_more_edges
from mlserving_lab.drift import DriftDetector, adjust_pvalues, ks_test, psi
from mlserving_lab.monitoring import retraining_decision

CORRECTIONS = ("none", "bonferroni", "holm", "bh")


# ------------------------------------------------------------------------------------- q4
def reject(p_values, correction, alpha=0.05):
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if correction == "none":
        return p < alpha
    if correction == "bonferroni":
        return np.minimum(1.0, m * p) < alpha
    order = np.argsort(p, kind="stable")
    ranks = np.arange(1, m + 1)
    flags = np.zeros(m, dtype=bool)
    if correction == "holm":
        flags[order] = np.cumprod(p[order] * (m - ranks + 1) < alpha).astype(bool)
        return flags
    ok = np.flatnonzero(p[order] < ranks * alpha / m)
    if ok.size:
        flags[order[: ok[-1] + 1]] = True
    return flags


def reject_loops(p_values, correction, alpha=0.05):
    """The same rules written with plain Python loops, returning a list of bools."""
    p = [float(x) for x in p_values]
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    flags = [False] * m
    if correction == "none":
        return np.array([x < alpha for x in p])
    if correction == "bonferroni":
        return np.array([min(1.0, m * x) < alpha for x in p])
    if correction == "holm":
        for rank, i in enumerate(order, start=1):
            if p[i] * (m - rank + 1) >= alpha:
                break
            flags[i] = True
        return np.array(flags)
    last = 0
    for rank, i in enumerate(order, start=1):
        if p[i] < rank * alpha / m:
            last = rank
    for i in order[:last]:
        flags[i] = True
    return np.array(flags)


def naive_holm(p_values, correction, alpha=0.05):
    """Holm without stopping at the first failure."""
    if correction != "holm":
        return reject(p_values, correction, alpha)
    p = np.asarray(p_values, dtype=float)
    m = p.size
    order = np.argsort(p)
    flags = np.zeros(m, dtype=bool)
    flags[order] = p[order] * (m - np.arange(m)) < alpha
    return flags


def step_down_bh(p_values, correction, alpha=0.05):
    """BH stopping at the first failure (step-down) instead of step-up."""
    if correction != "bh":
        return reject(p_values, correction, alpha)
    p = np.asarray(p_values, dtype=float)
    m = p.size
    order = np.argsort(p)
    flags = np.zeros(m, dtype=bool)
    flags[order] = np.cumprod(p[order] < np.arange(1, m + 1) * alpha / m).astype(bool)
    return flags


@pytest.fixture(scope="module")
def null_pvalues():
    ref, windows = make_null_windows()
    return [np.array([stats.ks_2samp(ref[c], w[c]).pvalue for c in ref.columns])
            for w in windows]


@pytest.fixture(scope="module")
def false_alarms(null_pvalues):
    return {c: float(np.mean([reject(p, c).sum() for p in null_pvalues])) for c in CORRECTIONS}


def test_q4_right_answers(false_alarms, null_pvalues):
    assert false_alarms["none"] > false_alarms["bonferroni"]
    assert_check_passed(q4, reject, false_alarms)
    assert_check_passed(q4, reject_loops, false_alarms)
    as_numpy = {c: np.float64(v) for c, v in false_alarms.items()}
    assert_check_passed(q4, reject, dict(as_numpy, extra_note=1.0) | as_numpy)
    # the library agrees with the prompt on the checker's p-values (as an answer, a function
    # calling it gets no credit: tests/course/exercises/test_own_work.py)
    q4.checker(lambda p, c, alpha=0.05: adjust_pvalues(p, c) < alpha, false_alarms)


def test_q4_wrong_corrections(false_alarms):
    def holm_for_bonferroni(p, c, alpha=0.05):
        return reject(p, "holm" if c == "bonferroni" else c, alpha)

    assert_check_failed(q4, holm_for_bonferroni, false_alarms, match="That is what 'holm'")
    assert_check_failed(q4, lambda p, c, alpha=0.05: reject(p, "bonferroni", alpha),
                        false_alarms, match="'none'.*That is what 'bonferroni'")
    assert_check_failed(q4, naive_holm, false_alarms, match="STOPS at the first")
    assert_check_failed(q4, step_down_bh, false_alarms, match="step-UP")
    assert_check_failed(q4, lambda p, c, alpha=0.05: reject(p, c, alpha).astype(int),
                        false_alarms, match="boolean array")
    assert_check_failed(q4, lambda p, c, alpha=0.05: ____, false_alarms,
                        outcome="not_attempted")
    assert_check_failed(q4, reject, ____, outcome="not_attempted")


def test_q4_wrong_false_alarms(false_alarms, null_pvalues):
    total = {c: float(sum(reject(p, c).sum() for p in null_pvalues)) for c in CORRECTIONS}
    assert_check_failed(q4, reject, total, match="total over the 8 windows")
    shares = {c: v / 30 for c, v in false_alarms.items()}
    assert_check_failed(q4, reject, shares, match="NUMBER of flagged")
    assert_check_failed(q4, reject, {"none": false_alarms["none"]}, match="'bonferroni'")
    # alarms counted with the "any feature" rule instead of the number of features
    any_alarm = {c: float(np.mean([reject(p, c).any() for p in null_pvalues]))
                 for c in CORRECTIONS}
    assert any_alarm["none"] != false_alarms["none"]
    assert_check_failed(q4, reject, any_alarm, match=r"false_alarms\['none'\]")


def test_q4_hidden_alpha(false_alarms):
    def fixed_alpha(p, c, alpha=0.05):
        return reject(p, c, 0.05)

    assert q4.evaluate(fixed_alpha, false_alarms).correct
    assert_check_failed(q4, fixed_alpha, false_alarms, match="use the `alpha`", hidden=True)


# ------------------------------------------------------------------------------------- q1
def _floor_rows(seed: int, pairs: int) -> pd.DataFrame:
    """The q1 table as the prompt asks for it: mean PSI of `pairs` no-drift pairs per row."""
    rng = np.random.default_rng(seed)
    rows = []
    for n_ref, n_cur, bins in FLOOR_GRID:
        values = [psi(rng.normal(size=n_ref), rng.normal(size=n_cur), bins=bins)
                  for _ in range(pairs)]
        rows.append(dict(n_ref=n_ref, n_cur=n_cur, bins=bins, mean_psi=np.mean(values),
                         predicted=(bins - 1) * (1 / n_ref + 1 / n_cur)))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def floor_table():
    return _floor_rows(0, 100)


def test_q1_right_answers(floor_table):
    assert_check_passed(q1, floor_table)
    # more pairs than asked is fine (a smaller sampling error)
    assert_check_passed(q1, _floor_rows(7, 200))
    shuffled = floor_table.sample(frac=1, random_state=1).set_index(["n_cur", "bins"],
                                                                     drop=False)
    assert_check_passed(q1, shuffled.assign(ratio=shuffled.mean_psi / shuffled.predicted))
    assert_check_passed(q1, floor_table.astype({"n_cur": float, "bins": np.int32}))


def test_q1_formula_copy_fails(floor_table):
    copied = floor_table.assign(mean_psi=floor_table.predicted)
    assert_check_failed(q1, copied, match=r"n_cur=100, bins=50 .*the formula's")
    # the formula and the measurement part ways on that row: about twice
    row = floor_table.set_index(["n_cur", "bins"]).loc[(100, 50)]
    assert row.mean_psi > 1.5 * row.predicted


def test_q1_other_wrong_answers(floor_table):
    assert_check_failed(q1, floor_table.assign(predicted=floor_table.predicted * 2),
                        match="predicted")
    assert_check_failed(q1, floor_table.iloc[:4], match="no row for")
    assert_check_failed(q1, floor_table.drop(columns="n_ref"), match=r"no column\(s\) \['n_ref'\]")
    assert_check_failed(q1, ____, outcome="not_attempted")
    # one fixed reference sample reused for every pair, with 10 bins everywhere
    rng = np.random.default_rng(0)
    rows = []
    for n_ref, n_cur, bins in FLOOR_GRID:
        values = [psi(rng.normal(size=n_ref), rng.normal(size=n_cur)) for _ in range(100)]
        rows.append(dict(n_ref=n_ref, n_cur=n_cur, bins=bins, mean_psi=np.mean(values),
                         predicted=(bins - 1) * (1 / n_ref + 1 / n_cur)))
    assert_check_failed(q1, pd.DataFrame(rows), match=r"n_cur=100, bins=50 your `mean_psi`")


def test_q1_hidden_rows(floor_table):
    bad = floor_table.copy()
    i = bad.index[(bad.n_cur == 500) & (bad.bins == 50)][0]
    bad.loc[i, "mean_psi"] *= 2
    assert q1.evaluate(bad).correct
    assert_check_failed(q1, bad, match="n_cur=500, bins=50", hidden=True)


# ------------------------------------------------------------------------------------- q2
@pytest.fixture(scope="module")
def huge_n():
    rows = []
    for n in HUGE_NS:
        ref, cur = make_tiny_shift(n)
        res = stats.ks_2samp(ref, cur)
        rows.append(dict(n=n, statistic=res.statistic, p_value=res.pvalue, psi=psi(ref, cur)))
    return pd.DataFrame(rows)


def test_q2_both_ways(huge_n):
    assert_check_passed(q2, huge_n)
    # the notebook's way: the library's KS gives scipy's numbers
    library = []
    for n in HUGE_NS:
        ref, cur = make_tiny_shift(n)
        statistic, p_value = ks_test(ref, cur)
        library.append(dict(n=n, statistic=statistic, p_value=p_value, psi=psi(ref, cur)))
    assert_check_passed(q2, pd.DataFrame(library))
    assert_check_passed(q2, huge_n.iloc[::-1].reset_index(drop=True).assign(note="x"))
    assert huge_n.p_value.iloc[-1] < 1e-10 and huge_n.statistic.iloc[-1] < 0.02
    assert_check_failed(q2, huge_n.assign(p_value=huge_n.p_value.round(4)),
                        match=r"n=1,000 your `p_value` is 0\.3701, .* gives 0\.3701\d+.*rounded")
    swapped = huge_n.rename(columns={"p_value": "statistic", "statistic": "p_value"})
    assert_check_failed(q2, swapped, match="n=1,000 your `statistic`")
    assert_check_failed(q2, huge_n.iloc[:2], match="1,000,000")
    bad = huge_n.copy()
    bad.loc[3, "p_value"] = 0.5
    assert_check_failed(q2, bad, match="n=1,000,000 your row")


def test_q2_hidden_million(huge_n):
    bad = huge_n.copy()
    bad.loc[3, "statistic"] = 0.0085
    assert q2.evaluate(bad).correct
    assert_check_failed(q2, bad, match="n=1,000,000 your `statistic`", hidden=True)


# ------------------------------------------------------------------------------------- q3
def make_flag_drift(correction="bonferroni", floor_op=np.greater_equal):
    def flag_drift(reference, current, min_psi=0.0):
        p = np.array([stats.ks_2samp(reference[c], current[c]).pvalue
                      for c in reference.columns])
        size = np.array([psi(reference[c], current[c]) for c in reference.columns])
        keep = reject(p, correction) & floor_op(size, min_psi)
        return [c for c, k in zip(reference.columns, keep, strict=True) if k]

    return flag_drift


@pytest.fixture(scope="module")
def big_window_lists():
    ref, cur = make_big_window()
    f = make_flag_drift()
    return f(ref, cur), f(ref, cur, 0.1)


def test_q3_right_answers(big_window_lists):
    plain, floor = big_window_lists
    assert floor == ["f5"] and len(plain) == 6
    f = make_flag_drift()
    assert_check_passed(q3, f, plain, floor)
    assert_check_passed(q3, f, tuple(reversed(plain)), np.array(floor))
    assert_check_passed(q3, lambda r, c, m=0.0: pd.Index(f(r, c, m)), set(plain), floor)
    # the library's detector agrees with the prompt's rule
    ref, cur = make_big_window()
    report = DriftDetector(min_psi=0.1).fit(ref).score(cur)
    assert list(report.feature[report.drifted]) == floor


def test_q3_other_corrections_are_caught(big_window_lists):
    plain, floor = big_window_lists
    for corr in ("none", "holm", "bh"):
        # on the big window every correction agrees ...
        ref, cur = make_big_window()
        assert make_flag_drift(corr)(ref, cur) == plain
        # ... but not on the checker's own windows
        assert_check_failed(q3, make_flag_drift(corr), plain, floor,
                            match=f"That is what '{corr}' flags")


def test_q3_other_wrong_answers(big_window_lists):
    plain, floor = big_window_lists
    f = make_flag_drift()
    assert_check_failed(q3, make_flag_drift(floor_op=lambda s, m: np.ones_like(s, bool)),
                        plain, floor, match="PSI >= 0.1")
    assert_check_failed(q3, f, plain, plain, match="floor 0.1 keeps")
    assert_check_failed(q3, f, ["f5"], floor, match="`plain_flagged`")
    assert_check_failed(q3, f, "f5", floor, match="list of feature names")
    assert_check_failed(q3, lambda r, c, m=0.0: ____, plain, floor, outcome="not_attempted")


# ------------------------------------------------------------------------------------- q5
def retrain_rule(baseline_accuracy, current_accuracy, max_psi, days_since_training):
    if baseline_accuracy is not None and current_accuracy is not None:
        if baseline_accuracy - current_accuracy > 0.02 + 1e-9:
            return "retrain now"
    if max_psi is not None and max_psi > 0.25:
        return "retrain within 1 week"
    if days_since_training is not None and days_since_training > 90:
        return "scheduled retrain"
    return "continue monitoring"


def library_rule(b, c, p, d):
    return retraining_decision(baseline_accuracy=b, current_accuracy=c, psi=p,
                               days_since_training=d)


def test_q5_right_answers():
    assert_check_passed(q5, retrain_rule)
    # the library implements exactly the rule of the prompt (also as a RetrainDecision); as an
    # answer, a function calling it gets no credit: tests/course/exercises/test_own_work.py
    for rule in (library_rule, lambda *a: library_rule(*a).decision):
        q5.checker(rule)
        q5_more_edges(rule)   # the hidden check too

    def rounded(b, c, p, d):   # comparing in rounded percentage points is fine too
        if b is not None and round((b - c) * 100, 6) > 2:
            return "retrain now"
        return retrain_rule(None, None, p, d)

    assert_check_passed(q5, rounded)
    assert {retrain_rule(**kw) for kw in SITUATIONS.values()} == {
        "retrain now", "retrain within 1 week", "scheduled retrain", "continue monitoring"}


def test_q5_thresholds_and_precedence():
    def at_least_psi(b, c, p, d):
        if p is not None and p >= 0.25 and not (b is not None and b - c > 0.02 + 1e-9):
            return "retrain within 1 week"
        return retrain_rule(b, c, p, d)

    assert_check_failed(q5, at_least_psi, match="PSI exactly 0.25")

    def at_least_days(b, c, p, d):
        out = retrain_rule(b, c, p, d)
        return "scheduled retrain" if out == "continue monitoring" and d == 90 else out

    assert_check_failed(q5, at_least_days, match="exactly 90 days")

    def no_float_slack(b, c, p, d):
        if b is not None and b - c > 0.02:
            return "retrain now"
        return retrain_rule(b, c, p, d)

    assert_check_failed(q5, no_float_slack, match="exactly 2 points")

    def drift_first(b, c, p, d):
        if p is not None and p > 0.25:
            return "retrain within 1 week"
        return retrain_rule(b, c, p, d)

    assert_check_failed(q5, drift_first, match="accuracy rule comes first")

    def absolute_drop(b, c, p, d):
        if b is not None and abs(b - c) > 0.02 + 1e-9:
            return "retrain now"
        return retrain_rule(b, c, p, d)

    assert_check_failed(q5, absolute_drop, match="RISE in accuracy")


def test_q5_other_wrong_answers():
    assert_check_failed(q5, lambda b, c, p, d: retrain_rule(b, c, p, d).title(),
                        match="not one of")
    assert_check_failed(q5, lambda b, c, p, d: 3, match="return one of the strings")

    def crashes_on_none(b, c, p, d):
        if b - c > 0.02 + 1e-9:
            return "retrain now"
        return retrain_rule(b, c, p, d)

    assert_check_failed(q5, crashes_on_none, outcome="error", match="TypeError")
    assert_check_failed(q5, ____, outcome="not_attempted")


def test_q5_hidden_numpy_and_float_inputs():
    def type_checked(b, c, p, d):   # treats a numpy integer as "no training date"
        return retrain_rule(b, c, p, d if isinstance(d, (int, float)) else None)

    assert q5.evaluate(type_checked).correct
    assert_check_failed(q5, type_checked, match="numpy", hidden=True)

    def whole_days(b, c, p, d):     # truncates 90.5 days to 90
        return retrain_rule(b, c, p, None if d is None else int(d))

    assert q5.evaluate(whole_days).correct
    assert_check_failed(q5, whole_days, match="90.5 days", hidden=True)


def test_exercise_metadata():
    assert EXERCISE.name == "l07_monitoring_drift"
    assert all(q.points == 1 for q in EXERCISE)
    assert [q.name for q in EXERCISE] == ["q1", "q2", "q3", "q4", "q5"]
