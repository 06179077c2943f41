"""Tests for mlserving_lab.monitoring."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlserving_lab.drift import DriftDetector, psi
from mlserving_lab.monitoring import (
    FeatureRangeMonitor,
    check_feature_ranges,
    latency_summary,
    monitoring_schedule,
    prediction_drift,
    retraining_decision,
)


def test_prediction_drift_alerts_on_the_lessons_5_to_15_percent_example():
    rng = np.random.default_rng(0)
    base = (rng.random(20_000) < 0.05).astype(float) * 0.9 + 0.05
    same = (rng.random(5_000) < 0.05).astype(float) * 0.9 + 0.05
    high = (rng.random(5_000) < 0.15).astype(float) * 0.9 + 0.05
    ok = prediction_drift(base, same)
    assert not ok.alert and ok.reason == "prediction distribution is stable"
    bad = prediction_drift(base, high)
    assert bad.alert and bad.rate_ratio == pytest.approx(bad.current_positive_rate
                                                         / bad.baseline_positive_rate)
    assert "positive rate rose" in bad.reason and "alert at 3x" in bad.reason
    low = prediction_drift(high, base)
    assert low.alert and "fell" in low.reason


def test_prediction_drift_numbers_match_numpy_and_scipy():
    rng = np.random.default_rng(1)
    base, cur = rng.beta(2, 5, 3000), rng.beta(2.5, 5, 2000)
    rep = prediction_drift(base, cur, threshold=0.4, percentiles=(10, 50, 90))
    assert rep.baseline_positive_rate == pytest.approx(np.mean(base >= 0.4))
    np.testing.assert_allclose(rep.percentiles["current"], np.percentile(cur, [10, 50, 90]))
    ks = stats.ks_2samp(base, cur)
    assert rep.ks_statistic == pytest.approx(ks.statistic) and rep.ks_p_value == pytest.approx(
        ks.pvalue, abs=1e-12)
    assert rep.psi == pytest.approx(psi(base, cur))
    shifted = prediction_drift(base, np.clip(cur + 0.3, 0, 1), max_rate_ratio=100)
    assert shifted.alert and "PSI" in shifted.reason


def test_prediction_drift_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        prediction_drift([0.1, np.nan], [0.2])
    with pytest.raises(ValueError, match="max_rate_ratio"):
        prediction_drift([0.1, 0.2], [0.2], max_rate_ratio=1.0)
    with pytest.raises(ValueError, match="percentiles"):
        prediction_drift([0.1, 0.2], [0.2], percentiles=(50, 150))


def test_feature_range_monitor_with_margin():
    train = pd.DataFrame({"a": [0.0, 10.0, 5.0], "b": [1.0, 2.0, 1.5]})
    mon = FeatureRangeMonitor(margin=0.1).fit(train)
    cur = pd.DataFrame({"a": [-0.5, 10.9, 11.5, 5.0], "b": [1.5, 1.5, 1.5, 3.0]})
    table = mon.check(cur).set_index("feature")
    assert table.loc["a", "lower"] == pytest.approx(-1.0)
    assert table.loc["a", "upper"] == pytest.approx(11.0)
    assert table.loc["a", "n_above"] == 1 and table.loc["a", "n_below"] == 0
    assert table.loc["b", "n_above"] == 1 and table.loc["b", "share_out"] == 0.25
    assert table["alert"].tolist() == [True, True]
    lenient = FeatureRangeMonitor(margin=0.1, max_out_share=0.3).fit(train).check(cur)
    assert not lenient["alert"].any()
    assert check_feature_ranges(train, train)["alert"].sum() == 0


def test_feature_range_monitor_bad_input():
    mon = FeatureRangeMonitor()
    with pytest.raises(ValueError, match="not fitted"):
        mon.check([[1.0]])
    mon.fit([[0.0, 1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="3 features"):
        mon.check([[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="NaN"):
        mon.check([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="margin"):
        FeatureRangeMonitor(margin=-0.1).fit([[0.0]])
    with pytest.raises(ValueError, match="differ"):
        FeatureRangeMonitor().fit(pd.DataFrame({"a": [1.0], "b": [2.0]})).check(
            pd.DataFrame({"b": [1.0], "a": [2.0]}))


def test_latency_summary_percentiles_and_alerts():
    lat = np.r_[np.full(980, 2.0), np.full(20, 50.0)]
    s = latency_summary(lat, budget_ms=20)
    assert (s.p50_ms, s.p95_ms) == (2.0, 2.0)
    assert s.p99_ms == pytest.approx(np.percentile(lat, 99)) and s.alert
    assert "budget" in s.reason
    fine = latency_summary(np.full(100, 2.0), budget_ms=20, baseline_p99_ms=2.0)
    assert not fine.alert and fine.reason == "latency within limits"
    slower = latency_summary(np.full(100, 4.0), baseline_p99_ms=2.0)
    assert slower.alert and "2.0x the baseline" in slower.reason
    assert list(s.to_frame().columns)[:3] == ["n", "mean_ms", "p50_ms"]
    with pytest.raises(ValueError, match="negative"):
        latency_summary([1.0, -2.0])
    with pytest.raises(ValueError, match="rows"):
        latency_summary([])


def test_retraining_rule_order_and_reasons():
    now = retraining_decision(baseline_accuracy=0.90, current_accuracy=0.875, psi=0.4,
                              days_since_training=200)
    assert now.decision == "retrain now" and "2.5 points" in now.reason
    week = retraining_decision(baseline_accuracy=0.90, current_accuracy=0.89,
                               psi={"age": 0.05, "income": 0.31}, days_since_training=200)
    assert week.decision == "retrain within 1 week" and "'income'" in week.reason
    sched = retraining_decision(psi=[0.1, 0.2], last_trained="2026-01-01", today="2026-05-01")
    assert sched.decision == "scheduled retrain" and "120 days" in sched.reason
    cont = retraining_decision(psi=0.25, days_since_training=90)
    assert cont.decision == "continue monitoring"
    assert "not checked: no accuracy" in cont.reason
    assert str(cont).startswith("continue monitoring: ")
    # exactly 2 points is not "more than 2 points"
    edge = retraining_decision(baseline_accuracy=0.5, current_accuracy=0.48)
    assert edge.decision == "continue monitoring"
    nothing = retraining_decision()
    assert nothing.decision == "continue monitoring" and "nothing to check" in nothing.reason
    assert retraining_decision(last_trained=dt.date(2020, 1, 1)).decision == "scheduled retrain"


@pytest.mark.parametrize(("kwargs", "decision"), [
    (dict(baseline_accuracy=0.91, current_accuracy=0.89), "continue monitoring"),
    (dict(baseline_accuracy=0.91, current_accuracy=0.889), "retrain now"),
    (dict(baseline_accuracy=0.85, current_accuracy=0.95, psi=0.3), "retrain within 1 week"),
    (dict(psi=0.25), "continue monitoring"),
    (dict(psi=0.2501), "retrain within 1 week"),
    (dict(days_since_training=90), "continue monitoring"),
    (dict(days_since_training=91), "scheduled retrain"),
    (dict(baseline_accuracy=0.91, current_accuracy=0.8, psi=0.6, days_since_training=400),
     "retrain now"),
    (dict(psi=0.4, days_since_training=200), "retrain within 1 week"),
    (dict(baseline_accuracy=0.91, current_accuracy=0.9, days_since_training=120),
     "scheduled retrain"),
])
def test_retraining_rule_thresholds_are_strict(kwargs, decision):
    assert retraining_decision(**kwargs).decision == decision


def test_retraining_rule_accepts_a_drift_report():
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"x": rng.normal(size=2000), "y": rng.normal(size=2000)})
    cur = pd.DataFrame({"x": rng.normal(size=1000), "y": rng.normal(size=1000) + 1.0})
    report = DriftDetector().fit(ref).score(cur)
    decision = retraining_decision(psi=report, days_since_training=3)
    assert decision.decision == "retrain within 1 week" and "'y'" in decision.reason


def test_retraining_rule_bad_input():
    with pytest.raises(ValueError, match="both"):
        retraining_decision(baseline_accuracy=0.9)
    with pytest.raises(ValueError, match="current_accuracy"):
        retraining_decision(baseline_accuracy=0.9, current_accuracy=1.5)
    with pytest.raises(ValueError, match="not both"):
        retraining_decision(days_since_training=3, last_trained="2026-01-01")
    with pytest.raises(ValueError, match="days_since_training"):
        retraining_decision(days_since_training=-1)


def test_monitoring_schedule_table():
    table = monitoring_schedule()
    assert list(table.columns) == ["cadence", "what", "metric", "alert_when", "function"]
    assert {"real-time", "hourly", "daily", "weekly"} == set(table.cadence)
    assert table.set_index("what").loc["feature drift", "cadence"] == "daily"
