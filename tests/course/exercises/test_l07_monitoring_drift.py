"""Both-ways tests for the lesson 07 check-yourself questions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.l07_monitoring_drift import (
    EXERCISE,
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
from mlserving_lab.drift import DriftDetector, ks_test, psi
from mlserving_lab.monitoring import retraining_decision


def _floor_table(repeats=60):
    rng = np.random.default_rng(0)
    rows = []
    for n_cur in (300, 3000):
        for bins in (5, 10):
            values = [psi(rng.normal(size=3000), rng.normal(size=n_cur), bins=bins)
                      for _ in range(repeats)]
            rows.append(dict(n_ref=3000, n_cur=n_cur, bins=bins, mean_psi=np.mean(values),
                             predicted=(bins - 1) * (1 / 3000 + 1 / n_cur)))
    return pd.DataFrame(rows)


def test_q1_both_ways():
    table = _floor_table()
    assert_check_passed(q1, table)
    assert_check_failed(q1, table.assign(predicted=table.predicted * 2), match="predicted")
    assert_check_failed(q1, table.assign(mean_psi=table.mean_psi * 5),
                        match=r"far from the predicted floor")
    assert_check_failed(q1, table.iloc[:2], match="vary both")
    assert_check_failed(q1, table.drop(columns="n_ref"), match=r"no column\(s\) \['n_ref'\]")
    assert_check_failed(q1, ____, outcome="not_attempted")


@pytest.fixture(scope="module")
def huge_n():
    rows = []
    for n in (1_000, 100_000, 1_000_000):
        ref, cur = make_tiny_shift(n)
        stat, p = ks_test(ref, cur)
        rows.append(dict(n=n, statistic=stat, p_value=p, psi=psi(ref, cur)))
    return pd.DataFrame(rows)


def test_q2_both_ways(huge_n):
    assert_check_passed(q2, huge_n)
    assert huge_n.p_value.iloc[-1] < 1e-10 and huge_n.statistic.iloc[-1] < 0.02
    bad = huge_n.copy()
    bad.loc[2, "p_value"] = 0.5
    assert_check_failed(q2, bad, match=r"n=1,000,000 your `p_value`")
    assert_check_failed(q2, huge_n.iloc[:2], match="up to 1,000,000")


def test_q3_both_ways():
    ref, cur = make_big_window()
    plain = DriftDetector().fit(ref).score(cur)
    floor = DriftDetector(min_psi=0.1).fit(ref).score(cur)
    plain_flagged = list(plain.feature[plain.drifted])
    floor_flagged = list(floor.feature[floor.drifted])
    assert floor_flagged == ["f5"] and len(plain_flagged) > 1
    assert_check_passed(q3, plain_flagged, floor_flagged)
    assert_check_failed(q3, plain_flagged, plain_flagged, match="min_psi=0.1")
    assert_check_failed(q3, ["f5"], floor_flagged, match="default detector")
    assert_check_failed(q3, "f5", floor_flagged, match="list of feature names")


def test_q4_both_ways():
    ref, windows = make_null_windows()
    fa = {}
    for c in ("none", "bonferroni"):
        det = DriftDetector(correction=c).fit(ref)
        fa[c] = float(np.mean([det.score(w).drifted.sum() for w in windows]))
    assert fa["none"] > fa["bonferroni"]
    assert_check_passed(q4, fa)
    assert_check_failed(q4, {"none": fa["none"]}, match="'bonferroni'")
    assert_check_failed(q4, dict(fa, none=fa["none"] + 1), match=r"correction='none'")


def test_q5_both_ways():
    decisions = {k: retraining_decision(**v).decision for k, v in SITUATIONS.items()}
    assert set(decisions.values()) == {"retrain now", "retrain within 1 week",
                                       "scheduled retrain", "continue monitoring"}
    assert_check_passed(q5, decisions)
    objects = {k: retraining_decision(**v) for k, v in SITUATIONS.items()}
    assert_check_passed(q5, objects)
    wrong = dict(decisions, all_quiet="retrain now")
    assert_check_failed(q5, wrong, match=r"`all_quiet`.*'continue monitoring'")
    assert_check_failed(q5, {"x": 1}, match="one entry per situation")


def test_exercise_metadata():
    assert EXERCISE.name == "l07_monitoring_drift"
    assert all(q.points == 1 for q in EXERCISE)
