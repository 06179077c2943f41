"""Exercise 4 checkers, tested both ways (reference answers pass; wrong answers fail with the
message a learner needs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.ex4_pareto_frontier import (
    BUDGET_MS,
    EXERCISE,
    load_data,
    q1,
    q2,
    q3,
    q4,
)
from mlserving_lab.tradeoffs import choose_within_budget, evaluate_models, pareto_mask


def make_models():
    return {
        "LogReg": LogisticRegression(max_iter=1000),
        "Tree(d=3)": DecisionTreeClassifier(max_depth=3, random_state=0),
        "Tree(d=10)": DecisionTreeClassifier(max_depth=10, random_state=0),
        "Tree(d=20)": DecisionTreeClassifier(max_depth=20, random_state=0),
        "RF(10)": RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0),
        "RF(50)": RandomForestClassifier(n_estimators=50, max_depth=4, random_state=0),
        "RF(200)": RandomForestClassifier(n_estimators=200, max_depth=3, random_state=0),
        "GBM(50)": GradientBoostingClassifier(n_estimators=50, max_depth=2, random_state=0),
        "GBM(200)": GradientBoostingClassifier(n_estimators=200, max_depth=1, random_state=0),
        "SVM": make_pipeline(StandardScaler(), SVC()),
    }


@pytest.fixture(scope="module")
def fitted():
    """The reference answer, on a 300-row slice of the training data to keep the test fast."""
    X_train, X_test, y_train, y_test = load_data()
    models = make_models()
    table = evaluate_models(models, X_test, y_test, X_train=X_train[:300],
                            y_train=y_train[:300], n_runs=5, warmup=1)
    return models, table


def synthetic():
    """A fixed table with a tie on the frontier and every kind of domination."""
    return pd.DataFrame(
        {"accuracy": [0.80, 0.70, 0.83, 0.83, 0.87, 0.90, 0.90, 0.85, 0.90, 0.93],
         "p50_ms": [0.10, 0.08, 0.08, 0.08, 0.50, 2.0, 8.0, 0.20, 0.22, 0.27],
         "p99_ms": [0.14, 0.10, 0.10, 0.10, 0.70, 2.3, 9.0, 0.24, 0.28, 0.33]},
        index=["LogReg", "Tree(d=3)", "Tree(d=10)", "Tree(d=20)", "RF(10)", "RF(50)", "RF(200)",
               "GBM(50)", "GBM(200)", "SVM"])


# ---------------------------------------------------------------------------------------------
# q1
# ---------------------------------------------------------------------------------------------
def test_q1_reference_passes_with_hidden_check(fitted):
    models, table = fitted
    assert_check_passed(q1, models, table)
    assert "most accurate" in q1.grade(models, table).message


def test_q1_missing_model_is_named(fitted):
    models, table = fitted
    fewer = {k: v for k, v in models.items() if k != "RF(50)"}
    assert_check_failed(q1, fewer, table.drop(index="RF(50)"),
                        match=r"no a random forest with n_estimators=50.*\[10, 200\]")
    no_svm = {k: v for k, v in models.items() if k != "SVM"}
    assert_check_failed(q1, no_svm, table.drop(index="SVM"), match="no an SVM")
    assert_check_failed(q1, dict(list(models.items())[:5]), table.iloc[:5],
                        match="has 5 models.*at least 8")
    assert_check_failed(q1, list(models.values()), table, match="should be a dict")


def test_q1_unfitted_model(fitted):
    models, table = fitted
    broken = dict(models)
    broken["GBM(200)"] = GradientBoostingClassifier(n_estimators=200)
    assert_check_failed(q1, broken, table, match=r"GBM\(200\).*not fitted")


def test_q1_table_problems(fitted):
    models, table = fitted
    assert_check_failed(q1, models, table.drop(columns="p99_ms"), match="no `p99_ms` column")
    assert_check_failed(q1, models, table.drop(index="SVM"), match="no row for `SVM`")
    swapped = table.copy()
    swapped["p99_ms"], swapped["p50_ms"] = table["p50_ms"], table["p99_ms"] + 1e-3
    assert_check_failed(q1, models, swapped, match="p99 .* is below your p50")
    pct = table.copy()
    pct["accuracy"] = pct["accuracy"] * 100
    assert_check_failed(q1, models, pct, match="between 0 and 1")
    assert_check_failed(q1, models, table.to_dict(), match="should be a pandas DataFrame")
    nan = table.copy()
    nan.loc["LogReg", "p50_ms"] = np.nan
    assert_check_failed(q1, models, nan, match=r"`p50_ms`.*`LogReg`")


def test_q1_hidden_check_catches_made_up_accuracy(fitted):
    models, table = fitted
    fake = table.copy()
    fake.loc["SVM", "accuracy"] = 0.99
    # the visible check cannot know; the grader's hidden check recomputes the accuracy
    assert q1.evaluate(models, fake).outcome == "correct"
    assert_check_failed(q1, models, fake, hidden=True, match=r"`SVM` has accuracy 0\.9900")


# ---------------------------------------------------------------------------------------------
# q2
# ---------------------------------------------------------------------------------------------
def test_q2_reference_passes_in_every_form():
    t = synthetic()
    mask = pareto_mask(t)
    names = list(t.index[mask])
    assert names == ["Tree(d=10)", "Tree(d=20)", "GBM(50)", "GBM(200)", "SVM"]
    assert_check_passed(q2, t, names)
    assert_check_passed(q2, t, set(names))
    assert_check_passed(q2, t, t.index[mask])
    assert_check_passed(q2, t, mask)


def test_q2_on_the_learners_real_table(fitted):
    _, table = fitted
    assert_check_passed(q2, table, list(table.index[pareto_mask(table)]))


def test_q2_dominated_model_listed():
    t = synthetic()
    names = list(t.index[pareto_mask(t)]) + ["RF(200)"]
    assert_check_failed(q2, t, names, match=r"`RF\(200\)`.*is dominated by `SVM`")


def test_q2_tie_dropped():
    t = synthetic()
    names = [n for n in t.index[pareto_mask(t)] if n != "Tree(d=20)"]
    assert_check_failed(q2, t, names,
                        match=r"`Tree\(d=20\)`.*is Pareto-optimal but missing.*Ties stay")


def test_q2_p50_frontier_is_explained():
    t = synthetic()
    # make the p50 and p99 frontiers differ: GBM(50) is fast at p50 but has a slow tail
    t.loc["GBM(50)", "p99_ms"] = 5.0
    on_p50 = list(t.index[pareto_mask(t, latency="p50_ms")])
    assert set(on_p50) != set(t.index[pareto_mask(t)])
    assert_check_failed(q2, t, on_p50, match="frontier on `p50_ms`")


def test_q2_bad_answers():
    t = synthetic()
    assert_check_failed(q2, t, ["SVM", "XGBoost"], match="`XGBoost`.*not a model")
    assert_check_failed(q2, t, "SVM", match="list of model names")
    assert_check_failed(q2, t, ____, outcome="not_attempted")


# ---------------------------------------------------------------------------------------------
# q3 and q4
# ---------------------------------------------------------------------------------------------
def test_q3_choice():
    t = synthetic()
    assert choose_within_budget(t, BUDGET_MS) == "SVM"
    assert_check_passed(q3, t, "SVM")
    assert_check_failed(q3, t, "RF(200)", match=r"`SVM` also fits.*more accurate")
    assert_check_failed(q3, t, "Unknown", match="not a model of your table")
    assert_check_failed(q3, t, None, match="`SVM` fits")
    slow = t.copy()
    slow.loc["SVM", ["p50_ms", "p99_ms"]] = [25.0, 45.0]
    assert_check_passed(q3, slow, "GBM(200)")
    assert_check_failed(q3, slow, "SVM", match="does not fit.*45 ms, above 30 ms")


def test_q3_tie_prefers_faster():
    t = synthetic()
    t.loc["SVM", "accuracy"] = 0.80
    # RF(50), RF(200) and GBM(200) tie at 0.90: GBM(200) is the fastest
    assert_check_passed(q3, t, "GBM(200)")
    assert_check_failed(q3, t, "RF(50)", match=r"`GBM\(200\)` is as accurate.*faster")


def test_q3_nothing_fits():
    t = synthetic()
    t[["p50_ms", "p99_ms"]] += 100
    assert_check_passed(q3, t, None)
    assert_check_failed(q3, t, "SVM", match="no model of your table fits 30 ms")


def test_q4_tight_budget():
    t = synthetic()
    assert_check_passed(q4, t, "SVM", 0.3, "GBM(200)")
    assert_check_passed(q4, t, "SVM", 0.01, None)  # nothing fits: None is right
    assert_check_failed(q4, t, "SVM", 0.5, "SVM", match="still choose `SVM`")
    assert_check_failed(q4, t, "SVM", 0.3, "GBM(50)", match=r"`GBM\(200\)` also fits")
    assert_check_failed(q4, t, "SVM", 50, "GBM(200)", match="not tighter")
    assert_check_failed(q4, t, "SVM", -1, "GBM(200)", match="positive")
    assert_check_failed(q4, t, "SVM", "0.3", "GBM(200)", match="number of milliseconds")
    assert_check_failed(q4, t, "RF(200)", 0.3, "GBM(200)", match="first get q3 right")


def test_exercise_metadata():
    assert EXERCISE.name == "ex4_pareto_frontier"
    assert [q.name for q in EXERCISE] == ["q1", "q2", "q3", "q4"]
    assert all(1 <= q.points <= 3 for q in EXERCISE)
