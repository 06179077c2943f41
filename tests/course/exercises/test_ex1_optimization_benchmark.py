"""Exercise 1 checkers, tested both ways: the reference solution passes, known-wrong answers
fail with the message a learner needs."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.ex1_optimization_benchmark import (
    BASELINE_PARAMS,
    BUDGET_MS,
    EXERCISE,
    load_data,
    q1,
    q2,
    q3,
    q4,
)
from mlserving_lab.export import to_onnx
from mlserving_lab.measure import benchmark_latency


def distill(teacher, X):
    p = teacher.predict_proba(X)
    X_dup = np.vstack([X, X])
    y_dup = np.r_[np.zeros(len(X)), np.ones(len(X))]
    return LogisticRegression(max_iter=1000).fit(X_dup, y_dup, sample_weight=np.r_[p[:, 0],
                                                                                    p[:, 1]])


@pytest.fixture(scope="module")
def solution(tmp_path_factory):
    X_train, X_test, y_train, y_test = load_data()
    gbm = lambda **kw: GradientBoostingClassifier(**{**BASELINE_PARAMS, **kw})  # noqa: E731
    baseline = gbm().fit(X_train, y_train)
    fewer = gbm(n_estimators=25).fit(X_train, y_train)
    shallow = gbm(max_depth=2).fit(X_train, y_train)
    folder = tmp_path_factory.mktemp("ex1")
    joblib.dump(baseline, folder / "base.joblib")
    joblib.dump(baseline, folder / "comp.joblib", compress=5)
    compressed = joblib.load(folder / "comp.joblib")
    onnx_model = to_onnx(baseline, X_train)
    onnx_model.save(folder / "m.onnx")
    student = distill(baseline, X_train)
    joblib.dump(student, folder / "student.joblib")
    joblib.dump(fewer, folder / "fewer.joblib")
    joblib.dump(shallow, folder / "shallow.joblib")
    files = {"baseline": "base.joblib", "fewer_trees": "fewer.joblib",
             "shallow": "shallow.joblib", "distilled": "student.joblib",
             "compressed": "comp.joblib", "onnx": "m.onnx"}
    models = {"baseline": baseline, "fewer_trees": fewer, "shallow": shallow,
              "distilled": student, "compressed": compressed, "onnx": onnx_model}
    rows = {}
    for name, m in models.items():
        rep = benchmark_latency(m.predict, X_test, n_runs=30, warmup=3)
        rows[name] = {"accuracy": float(np.mean(m.predict(X_test) == y_test)),
                      "p50_ms": rep.p50_ms, "p99_ms": rep.p99_ms,
                      "size_kb": (folder / files[name]).stat().st_size / 1024}
    table = pd.DataFrame(rows).T
    return dict(baseline=baseline, fewer=fewer, shallow=shallow, onnx_model=onnx_model,
                table=table, X_train=X_train, y_train=y_train)


def _choices(table):
    choice = table[table.p99_ms <= BUDGET_MS].accuracy.idxmax()
    tight = table[table.p99_ms <= table.loc["baseline", "p99_ms"] / 2]
    return choice, (tight.accuracy.idxmax() if len(tight) else None)


def test_exercise_shape():
    assert EXERCISE.name == "ex1_optimization_benchmark"
    assert [q.points for q in EXERCISE] == [2, 2, 1, 3]
    assert all(q.check(*([____] * len(q.answers))).outcome == "not_attempted" for q in EXERCISE)


# ---- q1 ---------------------------------------------------------------------------------------
def test_q1_both_ways(solution):
    s = solution
    assert_check_passed(q1, s["baseline"], s["fewer"], s["shallow"])
    assert_check_failed(q1, s["baseline"], s["baseline"], s["shallow"], match="same model")
    assert_check_failed(q1, s["baseline"], s["shallow"], s["fewer"],
                        match="`fewer_trees` changes max_depth|fewer trees")
    assert_check_failed(q1, s["fewer"], s["baseline"], s["shallow"],
                        match="`fewer_trees` has 100 trees and `baseline` has 25")
    assert_check_failed(q1, s["baseline"], s["fewer"], LogisticRegression(),
                        match="`shallow` should be a fitted GradientBoostingClassifier")
    assert_check_failed(q1, GradientBoostingClassifier(), s["fewer"], s["shallow"],
                        match="`baseline` is not fitted")
    X, y = s["X_train"][:, :5], s["y_train"]
    small = GradientBoostingClassifier(n_estimators=5).fit(X, y)
    assert_check_failed(q1, small, s["fewer"], s["shallow"], match="5 features.*30")


def test_q1_hidden_catches_training_on_the_test_set(solution):
    X_train, X_test, y_train, y_test = load_data()
    gbm = lambda **kw: GradientBoostingClassifier(**{**BASELINE_PARAMS, **kw})  # noqa: E731
    cheat = gbm(n_estimators=25).fit(X_test, y_test)
    assert_check_failed(q1, solution["baseline"], cheat, solution["shallow"], hidden=True,
                        match="looks trained on the test set")


# ---- q2 ---------------------------------------------------------------------------------------
def test_q2_soft_students_pass():
    from sklearn.linear_model import Ridge

    from mlserving_lab.distill import fit_soft_student

    assert_check_passed(q2, distill)
    assert_check_passed(q2, lambda t, X: fit_soft_student(LogisticRegression(), X,
                                                          t.predict_proba(X)))
    assert_check_passed(q2, lambda t, X: fit_soft_student(Ridge(), X, t.predict_proba(X),
                                                          method="logits"))


def test_q2_thresholded_and_wrong_students_fail():
    assert_check_failed(q2, lambda t, X: LogisticRegression().fit(X, t.predict(X)),
                        match="same labels but with different confidence")
    # tuning C to imitate the teacher's softness does not fool it either
    assert_check_failed(q2, lambda t, X: LogisticRegression(C=0.01).fit(
        X, (t.predict_proba(X)[:, 1] > 0.5).astype(int)), match="learned from the labels")
    assert_check_failed(q2, lambda t, X: t, match="returned the teacher itself")
    assert_check_failed(q2, lambda t, X: None, match="returned None")
    assert_check_failed(q2, lambda t, X: LogisticRegression(C=1e-4).fit(
        np.vstack([X, X]), np.r_[np.zeros(len(X)), np.ones(len(X))],
        sample_weight=t.predict_proba(X).T.ravel()), match="small `C`")
    assert_check_failed(q2, lambda t, X: 1 / 0, outcome="error", match="ZeroDivisionError")
    assert_check_failed(q2, lambda t, X: ____, outcome="not_attempted")


# ---- q3 ---------------------------------------------------------------------------------------
def test_q3_both_ways(solution):
    s = solution
    assert_check_passed(q3, s["baseline"], s["onnx_model"])
    assert_check_failed(q3, s["baseline"], s["baseline"], match="baseline itself")
    assert_check_failed(q3, s["baseline"], s["fewer"], match="scikit-learn")
    other = to_onnx(s["shallow"], s["X_train"])
    assert_check_failed(q3, s["baseline"], other, match="does not reproduce `baseline`.*FAILED")


# ---- q4 ---------------------------------------------------------------------------------------
def test_q4_reference_passes(solution):
    table = solution["table"]
    choice, tight = _choices(table)
    assert_check_passed(q4, table, choice, tight)


def test_q4_checks_the_learners_own_table(solution):
    table = solution["table"].copy()
    choice, tight = _choices(table)
    assert_check_failed(q4, table.drop(columns="p99_ms"), choice, tight,
                        match="no `p99_ms` column")
    assert_check_failed(q4, table.drop(index="onnx"), choice, tight, match="no row `onnx`")
    bad = table.copy()
    bad.loc["shallow", "p99_ms"] = bad.loc["shallow", "p50_ms"] / 2
    assert_check_failed(q4, bad, choice, tight, match="p99 .* is below your p50 .* `shallow`")
    bad = table.copy()
    bad.loc["compressed", "size_kb"] = bad.loc["baseline", "size_kb"] * 1.1
    assert_check_failed(q4, bad, choice, tight, match="`compressed` file .* is not smaller")
    bad = table.copy()
    bad.loc["compressed", "accuracy"] -= 0.01
    assert_check_failed(q4, bad, choice, tight, match="compression is lossless")
    bad = table.copy()
    bad.loc["fewer_trees", "accuracy"] = 1.3
    assert_check_failed(q4, bad, choice, tight, match="between 0 and 1")
    assert_check_failed(q4, table.values, choice, tight, match="DataFrame")


def test_q4_choice_follows_their_numbers(solution):
    table = solution["table"].copy()
    choice, tight = _choices(table)
    assert_check_failed(q4, table, "distilled", tight,
                        match=r"more accurate .* than `distilled`")
    assert_check_failed(q4, table, "nope", tight, match="one row name")
    # their table says the most accurate variant is over budget: then it must not be chosen
    slow = table.copy()
    slow.loc[["baseline", "compressed", "onnx"], ["p50_ms", "p99_ms"]] = [60.0, 80.0]
    slow.loc["fewer_trees", "accuracy"] = 0.999
    assert_check_passed(q4, slow, "fewer_trees", _choices(slow)[1])
    assert_check_failed(q4, slow, "baseline", _choices(slow)[1], match="does not fit")
    # nothing fits: choice must be None
    none = table.copy()
    none[["p50_ms", "p99_ms"]] = [[70.0, 90.0]] * len(none)
    assert_check_passed(q4, none, None, None)
    assert_check_failed(q4, none, "onnx", None, match="should be None")
    # the tight budget is half THEIR baseline p99
    assert_check_failed(q4, table, choice, "baseline", match="does not fit a budget of half")
