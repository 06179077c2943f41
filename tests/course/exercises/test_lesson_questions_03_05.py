"""Check-yourself questions of lessons 03 and 05, tested both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises import l03_serving_patterns as l03
from mlserving_lab.course.exercises import l05_latency_accuracy_tradeoffs as l05
from mlserving_lab.datasets import make_classification_split
from mlserving_lab.measure import LatencyReport, benchmark_latency
from mlserving_lab.serving import (
    MicroBatchPredictor,
    RealTimePredictor,
    choose_serving_pattern,
    simulate_event_stream,
)


@pytest.fixture(scope="module")
def setup():
    X_train, X_test, y_train, _ = make_classification_split(n_samples=600, n_features=6,
                                                            n_informative=4)
    return LogisticRegression(max_iter=500).fit(X_train, y_train), X_test


class Flaky:
    def __init__(self, model):
        self.model = model
        self.n_features_in_ = model.n_features_in_

    def predict(self, X):
        if (np.asarray(X)[:, 0] > 1).any():
            raise RuntimeError("downstream timeout")
        return self.model.predict(X)


# ---------------------------------------------------------------------------------------------
# lesson 03
# ---------------------------------------------------------------------------------------------
def test_l03_q1_speedup(setup):
    model, X_test = setup
    X_big = np.tile(X_test, (8, 1))
    one_row = benchmark_latency(model.predict, X_test, n_runs=20, warmup=2)
    batched = benchmark_latency(model.predict, X_big, n_runs=3, warmup=1, batch_size=1000)
    speedup = batched.throughput_rows_s / one_row.throughput_rows_s
    assert_check_passed(l03.q1, one_row, batched, speedup)
    assert_check_failed(l03.q1, one_row, batched, 1 / speedup, match="other way round")
    assert_check_failed(l03.q1, one_row, batched, speedup * 2, match="your reports give")
    assert_check_failed(l03.q1, batched, one_row, speedup, match="batch_size=1000; use "
                        "batch_size=1")
    small = benchmark_latency(model.predict, X_test, n_runs=3, batch_size=10)
    assert_check_failed(l03.q1, one_row, small, speedup, match="real batch")
    assert_check_failed(l03.q1, one_row.to_dict(), batched, speedup, match="LatencyReport")
    assert_check_failed(l03.q1, one_row, batched, ____, outcome="not_attempted")


def test_l03_q2_stream(setup):
    model, X_test = setup
    _, r1 = MicroBatchPredictor(model, batch_size=1).predict_stream(
        simulate_event_stream(X_test, n_events=64))
    _, r32 = MicroBatchPredictor(model, batch_size=32).predict_stream(
        simulate_event_stream(X_test, n_events=64))
    lower = 1 if r1.p50_ms <= r32.p50_ms else 32
    assert_check_passed(l03.q2, r1, r32, lower)
    assert_check_failed(l03.q2, r1, r32, 33 - lower, match="read your reports again")
    assert_check_failed(l03.q2, r32, r1, lower, match="yours used 32 and 1")
    assert_check_failed(l03.q2, r1, r32, "batch", match="1 or 32")
    # fixed reports: the check reads the numbers, whichever way they go
    a = LatencyReport.from_samples([5.0, 6.0], batch_size=1)
    b = LatencyReport.from_samples([1.0, 2.0], batch_size=32)
    assert_check_passed(l03.q2, a, b, 32)


def test_l03_q3_real_time(setup):
    model, X_test = setup
    rt = RealTimePredictor(Flaky(model), fallback=0)
    assert_check_failed(l03.q3, rt, match="has not answered any request")
    for row in X_test[:30]:
        rt.predict_one(row)
    assert rt.stats.n_fallbacks >= 1
    assert_check_failed(l03.q3, rt, match="no request was rejected")
    with pytest.raises(ValueError):
        rt.predict(np.ones(3))
    assert_check_passed(l03.q3, rt)
    no_fb = RealTimePredictor(Flaky(model))
    assert_check_failed(l03.q3, no_fb, match="no fallback")
    only_ok = RealTimePredictor(Flaky(model), fallback=0)
    only_ok.predict(X_test[X_test[:, 0] <= 1][:2])
    assert_check_failed(l03.q3, only_ok, match="none with the fallback")
    assert_check_failed(l03.q3, model, match="should be a RealTimePredictor")


def test_l03_q4_decisions():
    reqs = {k: r for k, (r, _) in l03._REQUIREMENTS.items()}
    decisions = {k: choose_serving_pattern(**r).pattern for k, r in reqs.items()}
    assert sorted(decisions.values()) == ["batch", "hybrid", "near-real-time", "real-time",
                                          "streaming"]
    assert_check_passed(l03.q4, decisions)
    wrong = dict(decisions, machine_vibration="real-time")
    assert_check_failed(l03.q4, wrong, match="`machine_vibration`: not `real-time`.*never stop")
    missing = {k: v for k, v in decisions.items() if k != "shop_home_page"}
    assert_check_failed(l03.q4, missing, match="no entry for `shop_home_page`")
    assert_check_failed(l03.q4, dict(decisions, card_payment_check="realtime"),
                        match="'realtime'.*is not a pattern")
    assert_check_failed(l03.q4, dict(decisions, extra="batch"), match="`extra` is not one")
    assert_check_failed(l03.q4, list(decisions.values()), match="should be a dict")


# ---------------------------------------------------------------------------------------------
# lesson 05
# ---------------------------------------------------------------------------------------------
def table5():
    return pd.DataFrame({"accuracy": [0.74, 0.80, 0.88, 0.90, 0.89],
                         "p50_ms": [0.1, 0.08, 0.6, 9.0, 0.25],
                         "p99_ms": [0.15, 0.1, 0.9, 48.0, 0.3]},
                        index=["LogReg", "Tree(d=5)", "RF(10)", "RF(100)", "GBM(100)"])


def test_l05_q1_table():
    t = table5()
    assert_check_passed(l05.q1, t)
    assert_check_failed(l05.q1, t.iloc[:3], match="has 3 models")
    assert_check_failed(l05.q1, t.drop(columns="accuracy"), match="no `accuracy` column")


def test_l05_q2_frontier():
    t = table5()
    assert_check_passed(l05.q2, t, ["Tree(d=5)", "RF(100)", "GBM(100)"])
    assert_check_failed(l05.q2, t, ["Tree(d=5)", "RF(100)"],
                        match=r"`GBM\(100\)`.*missing")
    assert_check_failed(l05.q2, t, ["LogReg", "Tree(d=5)", "RF(100)", "GBM(100)"],
                        match=r"`LogReg`.*dominated by `Tree\(d=5\)`")
    assert_check_failed(l05.q2, t, ["Tree(d=5)", "RF(10)", "RF(100)", "GBM(100)"],
                        match=r"`RF\(10\)`.*dominated by `GBM\(100\)`")


def test_l05_q3_budget_and_choice():
    t = table5()
    budget = l05.END_TO_END_MS - sum(l05.BUDGET_BREAKDOWN_MS.values())
    assert budget == 40
    assert_check_passed(l05.q3, t, budget, "GBM(100)")
    assert_check_failed(l05.q3, t, budget + 25, "GBM(100)", match="safety margin")
    assert_check_failed(l05.q3, t, 120, "RF(100)", match="end-to-end budget")
    assert_check_failed(l05.q3, t, 33, "GBM(100)", match="minus every item")
    assert_check_failed(l05.q3, t, budget, "RF(100)", match="does not fit.*48 ms, above 40")
    assert_check_failed(l05.q3, t, budget, "RF(10)", match=r"`GBM\(100\)` also fits")
    assert_check_failed(l05.q3, t, "40", "GBM(100)", match="should be a number")
