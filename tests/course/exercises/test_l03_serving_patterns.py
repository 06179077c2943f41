"""Lesson 03's check-yourself questions, tested both ways (realistic wrong answers fail with a
specific message; every form the prompts allow passes)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises import l03_serving_patterns as l03
from mlserving_lab.datasets import make_classification_split
from mlserving_lab.measure import LatencyReport
from mlserving_lab.serving import MicroBatchPredictor, choose_serving_pattern, simulate_event_stream


@pytest.fixture(scope="module")
def data():
    X_train, X_test, y_train, _ = make_classification_split(n_samples=1600, random_state=0)
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)
    fallback = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)
    X_big = np.random.default_rng(0).normal(size=(12_000, X_train.shape[1]))
    return forest, fallback, X_train, y_train, X_test, X_big


def _time_calls(predict, requests, warmup):
    for r in requests[:warmup]:
        predict(r)
    out = []
    for r in requests[warmup:]:
        t0 = time.perf_counter()
        predict(r)
        out.append((time.perf_counter() - t0) * 1000)
    return out


@pytest.fixture(scope="module")
def timings(data):
    forest, _, _, _, X_test, X_big = data
    one = _time_calls(forest.predict, [X_test[i:i + 1] for i in range(105)], 5)
    batch = _time_calls(forest.predict, [X_big[i:i + 1000] for i in range(0, 12_000, 1000)], 2)
    return one, batch


def _speedup(one, batch):
    return np.percentile(one, 50) / (np.percentile(batch, 50) / 1000)


# ---------------------------------------------------------------------------------- q1
def test_q1_correct_and_alternatives(data, timings):
    forest = data[0]
    one, batch = timings
    assert_check_passed(l03.q1, forest, one, batch, _speedup(one, batch))
    # numpy arrays, tuples, float32 and a numpy-scalar speedup are all fine
    assert_check_passed(l03.q1, forest, np.asarray(one), tuple(batch),
                        np.float32(_speedup(one, batch)))
    assert_check_passed(l03.q1, forest, np.asarray(one, dtype=np.float32), batch,
                        float(np.median(one) / (np.median(batch) / 1000)))
    assert_check_failed(l03.q1, forest, ____, batch, 1.0, outcome="not_attempted")


def test_q1_units_and_counts(data, timings):
    forest = data[0]
    one, batch = timings
    s = _speedup(one, batch)
    seconds = [t / 1000 for t in one]
    assert_check_failed(l03.q1, forest, seconds, batch, _speedup(seconds, batch),
                        match="seconds rather than milliseconds")
    assert_check_failed(l03.q1, forest, one, [t / 1000 for t in batch], s * 1000,
                        match="divide each call's time by its 1000 rows")
    # one timed call used for everything
    assert_check_failed(l03.q1, forest, [one[0]], batch, s, match="One timed call")
    assert_check_failed(l03.q1, forest, float(np.median(one)), batch, s, match="one number")
    assert_check_failed(l03.q1, forest, one[:20], batch, s, match="at least 100")
    # hand-typed, all equal
    assert_check_failed(l03.q1, forest, [2.0] * 100, batch, s, match="typed in")
    # the total of a loop spread evenly over its calls looks typed in too
    assert_check_failed(l03.q1, forest, [sum(one) / len(one)] * len(one), batch, s,
                        match="typed in")


def test_q1_speedup_mistakes(data, timings):
    forest = data[0]
    one, batch = timings
    s = _speedup(one, batch)
    assert_check_failed(l03.q1, forest, one, batch, 1 / s, match="other way round")
    per_call = np.percentile(batch, 50) / np.percentile(one, 50)
    assert_check_failed(l03.q1, forest, one, batch, per_call, match=r"per \*row\*")
    mean_based = np.mean(one) / (np.mean(batch) / 1000)
    if not np.isclose(mean_based, s, rtol=2e-3):
        assert_check_failed(l03.q1, forest, one, batch, mean_based, match="mean times")
    assert_check_failed(l03.q1, forest, one, batch, 500.0, match="your own samples give")
    assert_check_failed(l03.q1, forest, one, batch, "500", match="should be a number")


def test_q1_retimes_the_model(data, timings):
    forest, _, X_train, y_train, X_test, X_big = data
    one, batch = timings
    # timings of a different (much faster) model passed off as the forest's
    lr = LogisticRegression(max_iter=500).fit(X_train, y_train)
    lr_one = _time_calls(lr.predict, [X_test[i:i + 1] for i in range(105)], 5)
    assert_check_failed(l03.q1, forest, lr_one, batch, _speedup(lr_one, batch),
                        match="timing `forest` here on one row|timed here a row costs")
    # each list within 10x, but the speedup they give is 16x off the fresh one
    slow_one, fast_batch = [t * 4 for t in one], [t / 4 for t in batch]
    assert_check_failed(l03.q1, forest, slow_one, fast_batch, _speedup(slow_one, fast_batch),
                        match="timed here a row costs")
    assert_check_failed(l03.q1, "forest", one, batch, _speedup(one, batch),
                        match="fitted model you timed")


# ---------------------------------------------------------------------------------- q2
@pytest.fixture(scope="module")
def streams(data):
    forest, *_, X_test, _ = data

    def run(bs, rate=l03.RATE, n=l03.N_EVENTS):
        return MicroBatchPredictor(forest, batch_size=bs).predict_stream(
            simulate_event_stream(X_test, rate_per_s=rate, n_events=n))[1]

    return run(1), run(32), run(32, rate=None), run(1, n=l03.N_EVENTS // 2)


def test_q2_both_ways(streams):
    r1, r32, r32_fast, r1_short = streams
    p1, p32 = np.percentile(r1.samples_ms, 50), np.percentile(r32.samples_ms, 50)
    added = p32 - p1
    assert_check_passed(l03.q2, r1, r32, added, 1)
    assert_check_passed(l03.q2, r1, r32, np.float64(np.median(r32.samples_ms)
                                                     - np.median(r1.samples_ms)), np.int64(1))
    assert_check_passed(l03.q2, r1, r32, r32.p50_ms - r1.p50_ms, 1.0)
    assert_check_failed(l03.q2, r1, r32, ____, 1, outcome="not_attempted")
    assert_check_failed(l03.q2, r1, r32, -added, 1, match="other way round")
    assert_check_failed(l03.q2, r1, r32, added / 1000, 1, match="looks like seconds")
    mean_diff = r32.samples_ms.mean() - r1.samples_ms.mean()
    if not np.isclose(mean_diff, added, rtol=1e-3):
        assert_check_failed(l03.q2, r1, r32, mean_diff, 1, match="difference of means")
    # the formula typed in instead of measured
    assert_check_failed(l03.q2, r1, r32, 62.0, 1, match="your reports' per-event latencies")
    assert_check_failed(l03.q2, r1, r32, added, 32, match="`lower_p50` is 32")
    assert_check_failed(l03.q2, r1, r32, added, "1", match="1 or 32")
    assert_check_failed(l03.q2, r1, r32, added, True, match="1 or 32")
    assert_check_failed(l03.q2, r32, r1, -added, 32, match="micro-batches of 32")
    assert_check_failed(l03.q2, r1, r32_fast, added, 1, match="not as fast as possible")
    assert_check_failed(l03.q2, r1_short, r32, added, 1, match=f"holds {l03.N_EVENTS // 2} ")
    assert_check_failed(l03.q2, r1.to_dict(), r32, added, 1, match="LatencyReport")
    fake = LatencyReport.from_samples(np.linspace(1, 3, l03.N_EVENTS), batch_size=32)
    assert_check_failed(l03.q2, r1, fake, 1.0, 1, match="waited only")


def test_q2_hidden_edited_report(streams):
    r1, r32, *_ = streams
    import copy

    edited = copy.deepcopy(r1)
    edited.p50_ms = 0.001
    added = np.median(r32.samples_ms) - np.median(r1.samples_ms)
    # the public check reads the samples, not the edited field
    assert l03.q2.evaluate(edited, r32, added, 1).outcome == "correct"
    assert_check_failed(l03.q2, edited, r32, added, 1, hidden=True, match="exactly as")


# ---------------------------------------------------------------------------------- q3
def _make_predict_one(forest, fallback, *, validate_length=True, validate_finite=True,
                      call_primary=True, swallow=False, exc_type=ValueError, message=True,
                      isnan_only=False, returns="tuple", truncate=False):
    flaky = l03.FlakyModel(forest)
    n = forest.n_features_in_

    def predict_one(row):
        x = np.asarray(row, dtype=float)
        if truncate:
            x = x[:n]
        try:
            if validate_length and x.shape != (n,):
                raise exc_type(f"expected {n} values, got {x.shape}" if message else "")
            bad = np.isnan(x) if isnan_only else ~np.isfinite(x)
            if validate_finite and bad.any():
                raise exc_type("row has NaN / non-finite values" if message else "")
        except ValueError:
            if not swallow:
                raise
            return fallback.predict(np.zeros((1, n)))[0], "fallback"
        req = x.reshape(1, -1)
        try:
            if not call_primary:
                raise RuntimeError("skip")
            label, src = flaky.predict(req)[0], "primary"
        except Exception:
            label, src = fallback.predict(req)[0], "fallback"
        if returns == "label":
            return label
        if returns == "list":
            return [label, np.str_(src)]
        return label, src

    return predict_one


def test_q3_correct_and_alternatives(data):
    forest, fallback, *_ = data
    assert_check_passed(l03.q3, _make_predict_one(forest, fallback), forest, fallback)
    assert_check_passed(l03.q3, _make_predict_one(forest, fallback, returns="list"), forest,
                        fallback)

    class BadRequest(ValueError):
        pass

    assert_check_passed(l03.q3, _make_predict_one(forest, fallback, exc_type=BadRequest),
                        forest, fallback)
    assert_check_failed(l03.q3, ____, forest, fallback, outcome="not_attempted")

    def blank(row):
        return ____

    assert_check_failed(l03.q3, blank, forest, fallback, outcome="not_attempted")


def test_q3_wrong_fallbacks(data):
    forest, fallback, *_ = data
    assert_check_failed(l03.q3, _make_predict_one(forest, fallback, call_primary=False),
                        forest, fallback, match="Call the primary first")
    # swallows invalid input behind the fallback instead of rejecting it
    assert_check_failed(l03.q3, _make_predict_one(forest, fallback, swallow=True), forest,
                        fallback, match="must be rejected")

    def no_fallback(row):
        return l03.FlakyModel(forest).predict(np.asarray(row, dtype=float).reshape(1, -1))[0], \
            "primary"

    assert_check_failed(l03.q3, no_fallback, forest, fallback, outcome="error",
                        match="TimeoutError")

    def always_says_primary(row):
        x = np.asarray(row, dtype=float).reshape(1, -1)
        try:
            return l03.FlakyModel(forest).predict(x)[0], "primary"
        except TimeoutError:
            return fallback.predict(x)[0], "primary"

    assert_check_failed(l03.q3, always_says_primary, forest, fallback,
                        match="the fallback must answer")

    def fallback_constant_1(row):
        x = np.asarray(row, dtype=float).reshape(1, -1)
        try:
            return l03.FlakyModel(forest).predict(x)[0], "primary"
        except TimeoutError:
            return 1 - fallback.predict(x)[0], "fallback"

    assert_check_failed(l03.q3, fallback_constant_1, forest, fallback,
                        match="the fallback model predicts")


def test_q3_wrong_validation(data):
    forest, fallback, *_ = data
    assert_check_failed(l03.q3, _make_predict_one(forest, fallback, validate_finite=False),
                        forest, fallback, match="NaN in position 3")
    assert_check_failed(l03.q3, _make_predict_one(forest, fallback, validate_length=False),
                        forest, fallback, match="row of 19 values")
    assert_check_failed(l03.q3, _make_predict_one(forest, fallback, exc_type=TypeError),
                        forest, fallback, match="raise a ValueError")
    assert_check_failed(l03.q3, _make_predict_one(forest, fallback, message=False), forest,
                        fallback, match="does not say what is wrong")
    assert_check_failed(l03.q3, _make_predict_one(forest, fallback, returns="label"), forest,
                        fallback, match=r"pair `\(prediction, answered_by\)`")

    def rejects_lists(row):
        if not isinstance(row, np.ndarray):
            raise ValueError("rows must be numpy arrays")
        return _make_predict_one(forest, fallback)(row)

    assert_check_failed(l03.q3, rejects_lists, forest, fallback, outcome="error",
                        match="numpy arrays")
    assert_check_failed(l03.q3, _make_predict_one(forest, fallback), "forest", fallback,
                        match="fitted model")


def test_q3_hidden_rows(data):
    forest, fallback, *_ = data
    isnan_only = _make_predict_one(forest, fallback, isnan_only=True)
    assert l03.q3.evaluate(isnan_only, forest, fallback).outcome == "correct"
    assert_check_failed(l03.q3, isnan_only, forest, fallback, hidden=True, match=r"\+inf")
    truncating = _make_predict_one(forest, fallback, truncate=True)
    assert l03.q3.evaluate(truncating, forest, fallback).outcome == "correct"
    assert_check_failed(l03.q3, truncating, forest, fallback, hidden=True,
                        match="row of 21 values")
    assert_check_passed(l03.q3, _make_predict_one(forest, fallback), forest, fallback)

    def accepts_long_rows(row):
        x = np.asarray(row, dtype=float)
        if len(x) < forest.n_features_in_:
            raise ValueError(f"expected {forest.n_features_in_} values, got {len(x)}")
        return _make_predict_one(forest, fallback)(x[:forest.n_features_in_])

    assert l03.q3.evaluate(accepts_long_rows, forest, fallback).outcome == "correct"
    assert_check_failed(l03.q3, accepts_long_rows, forest, fallback, hidden=True,
                        match="row of 21 values")


# ---------------------------------------------------------------------------------- q4
def test_q4_decisions():
    reqs = {k: r for k, (r, _) in l03._REQUIREMENTS.items()}
    decisions = {k: choose_serving_pattern(**r).pattern for k, r in reqs.items()}
    assert sorted(decisions.values()) == ["batch", "hybrid", "near-real-time", "real-time",
                                          "streaming"]
    assert_check_passed(l03.q4, decisions)
    assert_check_passed(l03.q4, {np.str_(k): np.str_(v) for k, v in decisions.items()})
    assert_check_failed(l03.q4, ____, outcome="not_attempted")
    wrong = dict(decisions, machine_vibration="real-time")
    assert_check_failed(l03.q4, wrong, match="`machine_vibration`: `real-time` assumes a "
                        "caller waits.*never stop")
    two = dict(decisions, machine_vibration="real-time", essay_plagiarism="real-time")
    assert_check_failed(l03.q4, two, match="(?s)2 of 5 scenarios.*machine_vibration.*"
                        "essay_plagiarism")
    assert_check_failed(l03.q4, dict(decisions, shop_home_page="batch"),
                        match="shop_home_page.*computed overnight")
    missing = {k: v for k, v in decisions.items() if k != "shop_home_page"}
    assert_check_failed(l03.q4, missing, match="no entry for `shop_home_page`")
    assert_check_failed(l03.q4, dict(decisions, card_payment_check="realtime"),
                        match="'realtime' is not a pattern")
    assert_check_failed(l03.q4, dict(decisions, card_payment_check=1), match="should be a "
                        "string")
    assert_check_failed(l03.q4, dict(decisions, extra="batch"), match="`extra` is not one")
    assert_check_failed(l03.q4, list(decisions.values()), match="should be a dict")


def test_exercise_shape():
    assert [q.name for q in l03.EXERCISE] == ["q1", "q2", "q3", "q4"]
    assert all(q._solution is None for q in l03.EXERCISE)
