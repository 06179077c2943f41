"""Exercise 4 checkers, tested both ways: the reference answers (and every alternative the
prompts allow) pass; wrong answers written the way a learner would write them fail with a
message about that answer."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.core import Incorrect
from mlserving_lab.course.exercises.ex4_pareto_frontier import (
    BUDGET_MS,
    EXERCISE,
    REQUIRED,
    choice_cases,
    expected_choice,
    frontier_cases,
    load_data,
    q1,
    q2,
    q3,
    q4,
)
from mlserving_lab.course.instructor import ex4_pareto_frontier as hidden
from mlserving_lab.tradeoffs import choose_within_budget, evaluate_models, pareto_mask

N_FIT = 600  # training rows the tests fit on (the checks do not depend on the size)


def make_models(**changes):
    models = {
        "LogReg": LogisticRegression(max_iter=1000),
        "Tree(d=3)": DecisionTreeClassifier(max_depth=3, random_state=0),
        "Tree(d=10)": DecisionTreeClassifier(max_depth=10, random_state=0),
        "Tree(d=20)": DecisionTreeClassifier(max_depth=20, random_state=0),
        "RF(10)": RandomForestClassifier(n_estimators=10, random_state=0),
        "RF(50)": RandomForestClassifier(n_estimators=50, random_state=0),
        "GBM(20)": GradientBoostingClassifier(n_estimators=20, random_state=0),
        "GBM(100)": GradientBoostingClassifier(n_estimators=100, random_state=0),
        "SVM": make_pipeline(StandardScaler(), SVC()),
    }
    models.update(changes)
    return models


def learner_loop(models, X, n_runs=30, warmup=3):
    """A learner's round-robin one-row loop: {name: samples in ms}."""
    rows = [X[i:i + 1] for i in range(len(X))]
    samples = {n: [] for n in models}
    for r in range(warmup + n_runs):
        for n, m in models.items():
            t0 = time.perf_counter()
            m.predict(rows[r % len(rows)])
            if r >= warmup:
                samples[n].append((time.perf_counter() - t0) * 1000)
    return samples


def learner_table(models, X_test, y_test, samples):
    return pd.DataFrame({
        "accuracy": {n: float(np.mean(m.predict(X_test) == y_test)) for n, m in models.items()},
        "p50_ms": {n: float(np.percentile(s, 50)) for n, s in samples.items()},
        "p99_ms": {n: float(np.percentile(s, 99)) for n, s in samples.items()},
    })


@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture(scope="module")
def fitted(data):
    X_train, X_test, y_train, y_test = data
    models = {n: m.fit(X_train[:N_FIT], y_train[:N_FIT]) for n, m in make_models().items()}
    samples = learner_loop(models, X_test)
    return models, learner_table(models, X_test, y_test, samples)


def refit(models, X, y):
    return {n: type(m)(**m.get_params()).fit(X, y) if not hasattr(m, "steps")
            else make_pipeline(StandardScaler(), SVC()).fit(X, y) for n, m in models.items()}


def synthetic():
    """A fixed table with a tie on the frontier and every kind of domination."""
    return pd.DataFrame(
        {"accuracy": [0.80, 0.70, 0.83, 0.83, 0.87, 0.90, 0.85, 0.90, 0.93],
         "p50_ms": [0.10, 0.08, 0.08, 0.08, 0.50, 2.0, 0.20, 0.22, 0.27],
         "p99_ms": [0.14, 0.10, 0.10, 0.10, 0.70, 2.3, 0.24, 0.28, 0.33]},
        index=[r[0] for r in REQUIRED])


# ---------------------------------------------------------------------------------------------
# q1: the models and the measurement
# ---------------------------------------------------------------------------------------------
def test_q1_reference_passes_with_hidden_checks(fitted):
    models, table = fitted
    assert_check_passed(q1, models, table)
    assert "most accurate" in q1.grade(models, table).message


def test_q1_valid_alternatives(fitted, data):
    models, table = fitted
    _, X_test, _, y_test = data
    # the library's table: many extra columns
    assert_check_passed(q1, models, evaluate_models(models, X_test, y_test, n_runs=30,
                                                    warmup=2))
    # formatting variants (the hidden re-timing reads the same numbers: public check only)
    assert q1.evaluate(models, table.iloc[::-1]).correct  # reordered index
    assert q1.evaluate(models, table.astype(np.float32)).correct  # numpy scalars
    as_np = table.set_axis(pd.Index([np.str_(n) for n in table.index], dtype=object))
    assert isinstance(as_np.index[0], np.str_)
    assert q1.evaluate(models, as_np).correct  # names as numpy strings
    # a scaler in front of any model; a LinearSVC as the SVM
    X_train, _, y_train, _ = load_data()
    other = dict(models)
    other["LogReg"] = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        X_train[:N_FIT], y_train[:N_FIT])
    other["SVM"] = LinearSVC().fit(X_train[:N_FIT], y_train[:N_FIT])
    samples = learner_loop(other, X_test)
    assert_check_passed(q1, other, learner_table(other, X_test, y_test, samples))


def test_q1_typed_latencies(fitted):
    models, table = fitted
    typed = table.copy()
    guesses = {"LogReg": 1, "Tree(d=3)": 1, "Tree(d=10)": 2, "Tree(d=20)": 3, "RF(10)": 5,
               "RF(50)": 20, "GBM(20)": 10, "GBM(100)": 50, "SVM": 100}
    typed["p50_ms"] = pd.Series(guesses, dtype=float)
    typed["p99_ms"] = typed["p50_ms"] * 2
    assert_check_failed(q1, models, typed, match=r"timing `\S+` here on one row gives about")
    equal = table.assign(p50_ms=1.0, p99_ms=2.0)
    assert_check_failed(q1, models, equal, match="typed in, not measured")


def test_q1_seconds_instead_of_ms(fitted):
    models, table = fitted
    seconds = table.assign(p50_ms=table["p50_ms"] / 1000, p99_ms=table["p99_ms"] / 1000)
    assert_check_failed(q1, models, seconds, match="seconds rather than milliseconds")


def test_q1_one_batch_call_and_one_timed_call(fitted, data):
    models, table = fitted
    _, X_test, _, y_test = data
    # one call on the whole test set, used as p50 and p99
    batch = {}
    for n, m in models.items():
        t0 = time.perf_counter()
        m.predict(X_test)
        batch[n] = (time.perf_counter() - t0) * 1000
    one_batch = table.assign(p50_ms=pd.Series(batch), p99_ms=pd.Series(batch))
    assert_check_failed(q1, models, one_batch, match="one timed call used twice")
    # one timed one-row call per model, used as p50 and p99
    single = {n: s[:1] * 2 for n, s in learner_loop(models, X_test, n_runs=1, warmup=0).items()}
    assert_check_failed(q1, models, learner_table(models, X_test, y_test, single),
                        match="one timed call used twice")


def test_q1_repeated_batch_calls(fitted, data):
    models, table = fitted
    _, X_test, _, y_test = data
    samples = {n: [] for n in models}
    for _ in range(5):
        for n, m in models.items():
            t0 = time.perf_counter()
            m.predict(X_test)  # the whole test set per call, not one row
            samples[n].append((time.perf_counter() - t0) * 1000)
    assert_check_failed(q1, models, learner_table(models, X_test, y_test, samples),
                        match="time a batch|one row per call")


def test_q1_accuracy_on_train_and_percentages(fitted):
    models, table = fitted
    X_train, _, y_train, _ = load_data()
    on_train = table.assign(accuracy=pd.Series(
        {n: float(np.mean(m.predict(X_train) == y_train)) for n, m in models.items()}))
    assert_check_failed(q1, models, on_train, match=r"\*training\* rows")
    made_up = table.copy()
    made_up.loc["SVM", "accuracy"] = 0.99
    assert_check_failed(q1, models, made_up, match=r"`SVM`.*0\.99.*scores")
    pct = table.assign(accuracy=table["accuracy"] * 100)
    assert_check_failed(q1, models, pct, match="between 0 and 1")


def test_q1_fitted_on_test_or_on_train_plus_test(fitted, data):
    models, _ = fitted
    X_train, X_test, y_train, y_test = data
    # the deep tree fitted on X_test (the rest as before, to keep the test quick)
    on_test = dict(models, **refit({"Tree(d=20)": models["Tree(d=20)"]}, X_test, y_test))
    samples = learner_loop(on_test, X_test)
    assert_check_failed(q1, on_test, learner_table(on_test, X_test, y_test, samples),
                        match=r"`models\['Tree\(d=20\)'\]` scores 1 on X_test.*fitted on "
                              "the test set")
    # the trees and the small forest fitted on train + test
    X_both = np.vstack([X_train[:N_FIT], X_test])
    y_both = np.concatenate([y_train[:N_FIT], y_test])
    both = dict(models, **refit({k: models[k] for k in ("Tree(d=10)", "Tree(d=20)", "RF(10)")},
                                X_both, y_both))
    samples = learner_loop(both, X_test)
    assert_check_failed(q1, both, learner_table(both, X_test, y_test, samples),
                        match="train \\+ test")


def test_q1_wrong_hyperparameters(fitted):
    models, table = fitted
    X_train, _, y_train, _ = load_data()
    fit = {"X": X_train[:N_FIT], "y": y_train[:N_FIT]}
    shallow = dict(models, **{"RF(50)": RandomForestClassifier(
        n_estimators=50, max_depth=4, random_state=0).fit(fit["X"], fit["y"])})
    assert_check_failed(q1, shallow, table, match=r"`models\['RF\(50\)'\]`.*max_depth=4.*"
                                                  r"default \(max_depth=None\)")
    fast = dict(models, **{"GBM(20)": GradientBoostingClassifier(
        n_estimators=20, learning_rate=0.3, random_state=0).fit(fit["X"], fit["y"])})
    assert_check_failed(q1, fast, table, match="learning_rate=0.3")
    depth5 = dict(models, **{"Tree(d=3)": DecisionTreeClassifier(
        max_depth=5, random_state=0).fit(fit["X"], fit["y"])})
    assert_check_failed(q1, depth5, table,
                        match=r"lacks a decision tree with max_depth=3 \(.*max_depth = 10, 20, 5")
    rf200 = dict(models, **{"RF(50)": RandomForestClassifier(n_estimators=200, random_state=0)})
    assert_check_failed(q1, rf200, table, match=r"n_estimators=50.*n_estimators = 10, 200")
    linear = dict(models, SVM=SVC(kernel="linear").fit(fit["X"], fit["y"]))
    assert_check_failed(q1, linear, table, match="kernel='linear'")
    pca = dict(models)
    from sklearn.decomposition import PCA
    pca["SVM"] = make_pipeline(PCA(3), SVC()).fit(fit["X"], fit["y"])
    assert_check_failed(q1, pca, table, match="PCA before the model")


def test_q1_structure_problems(fitted):
    models, table = fitted
    broken = dict(models, **{"GBM(100)": GradientBoostingClassifier(n_estimators=100)})
    assert_check_failed(q1, broken, table, match=r"GBM\(100\).*not fitted")
    no_svm = {k: v for k, v in models.items() if k != "SVM"}
    assert_check_failed(q1, no_svm, table.drop(index="SVM"), match="lacks an SVM")
    assert_check_failed(q1, list(models.values()), table, match="should be a dict")
    assert_check_failed(q1, models, table.drop(columns="p99_ms"), match="no `p99_ms` column")
    assert_check_failed(q1, models, table.drop(index="SVM"), match="no row for `SVM`")
    swapped = table.assign(p50_ms=table["p99_ms"] + 1e-3, p99_ms=table["p50_ms"])
    assert_check_failed(q1, models, swapped, match="p99 .* is below your p50")
    assert_check_failed(q1, models, table.to_dict(), match="should be a pandas DataFrame")
    nan = table.copy()
    nan.loc["LogReg", "p50_ms"] = np.nan
    assert_check_failed(q1, models, nan, match=r"`p50_ms`.*`LogReg`")
    assert_check_failed(q1, models, ____, outcome="not_attempted")


def test_q1_hidden_retime_judges_the_order(fitted):
    models, table = fitted
    hidden.hidden_retime(models, table)  # the honest table passes
    flipped = table.copy()
    # the 50-tree forest claimed faster than the depth-3 tree (about 20x faster in truth)
    flipped.loc["Tree(d=3)", "p50_ms"] = table.loc["RF(50)", "p50_ms"] / 2.5
    flipped.loc["RF(50)", "p50_ms"] = table.loc["RF(50)", "p50_ms"] / 3
    with pytest.raises(Incorrect, match="no slower than|gives about"):
        hidden.hidden_retime(models, flipped)


# ---------------------------------------------------------------------------------------------
# q2: the frontier, written by the learner
# ---------------------------------------------------------------------------------------------
def dominates(a, b):
    return (a["p99_ms"] <= b["p99_ms"] and a["accuracy"] >= b["accuracy"]
            and (a["p99_ms"] < b["p99_ms"] or a["accuracy"] > b["accuracy"]))


def pareto(table):
    return [n for n in table.index if not any(
        dominates(table.loc[m], table.loc[n]) for m in table.index if m != n)]


def pareto_numpy(table):  # vectorised, returns an Index
    lat, acc = table["p99_ms"].to_numpy(), table["accuracy"].to_numpy()
    dom = ((lat[None, :] <= lat[:, None]) & (acc[None, :] >= acc[:, None])
           & ((lat[None, :] < lat[:, None]) | (acc[None, :] > acc[:, None]))).any(axis=1)
    return table.index[~dom]


def test_q2_reference_passes_in_every_form():
    t = synthetic()
    assert set(pareto(t)) == set(t.index[pareto_mask(t)])
    assert_check_passed(q2, pareto, t)
    assert_check_passed(q2, pareto_numpy, t)
    assert_check_passed(q2, lambda tb: tuple(pareto(tb)), t)
    assert_check_passed(q2, lambda tb: set(pareto(tb)), t)
    assert_check_passed(q2, lambda tb: pd.Series(tb.index.isin(pareto(tb)), index=tb.index),
                        t)  # a boolean mask
    q2.checker(lambda tb: pareto_mask(tb), t)  # the library agrees (as an answer: no credit)
    assert_check_passed(q2, lambda tb: [np.str_(n) for n in pareto(tb)], t)
    assert_check_passed(q2, lambda tb: np.array(pareto(tb)), t)
    assert_check_passed(q2, pareto, t.iloc[::-1])


def test_q2_on_the_learners_real_table(fitted):
    _, table = fitted
    assert_check_passed(q2, pareto, table)


def test_q2_non_strict_dominance_drops_ties():
    def pareto_no_strict(t):  # `<=` and `>=` only: a twin "dominates" its twin
        return [n for n in t.index if not any(
            t.loc[m, "p99_ms"] <= t.loc[n, "p99_ms"] and t.loc[m, "accuracy"]
            >= t.loc[n, "accuracy"] for m in t.index if m != n)]

    assert_check_failed(q2, pareto_no_strict, synthetic(),
                        match=r"drops `A`.*ties exactly with `B`.*both stay")


def test_q2_strict_dominance_keeps_dominated_models():
    def pareto_strict(t):  # `<` and `>`: misses a tie on one axis
        return [n for n in t.index if not any(
            t.loc[m, "p99_ms"] < t.loc[n, "p99_ms"] and t.loc[m, "accuracy"]
            > t.loc[n, "accuracy"] for m in t.index)]

    assert_check_failed(q2, pareto_strict, synthetic(),
                        match=r"keeps `E`.*`D`.*dominates it.*tie on one axis")


def test_q2_sweep_mistakes():
    def sweep(t):  # sort by latency, keep a model that beats the best accuracy so far
        best, keep = -1.0, []
        for n, r in t.sort_values("p99_ms", kind="stable").iterrows():
            if r["accuracy"] > best:
                keep.append(n)
                best = r["accuracy"]
        return keep

    assert_check_failed(q2, sweep, synthetic(), match=r"keeps `E`.*`D` .*dominates it")


def test_q2_p50_instead_of_p99():
    def on_p50(t):
        return [n for n in t.index if not any(
            t.loc[m, "p50_ms"] <= t.loc[n, "p50_ms"] and t.loc[m, "accuracy"]
            >= t.loc[n, "accuracy"] and (t.loc[m, "p50_ms"] < t.loc[n, "p50_ms"]
                                          or t.loc[m, "accuracy"] > t.loc[n, "accuracy"])
            for m in t.index)]

    assert_check_failed(q2, on_p50, synthetic(), match="frontier on `p50_ms`")


def test_q2_rounding_makes_near_ties():
    def rounded(t):
        return pareto(t.round(3))

    assert_check_failed(q2, rounded, synthetic(), match=r"keeps `K`.*do not round")


def test_q2_function_ignores_its_input():
    t = synthetic()
    fixed = list(t.index[pareto_mask(t)])
    assert_check_failed(q2, lambda tb: fixed, t, match="not a model of the table")

    def uses_global(tb):  # a learner's function reading the notebook's table, not its argument
        return pareto(t)

    assert_check_failed(q2, uses_global, t, match="not a model of the table")


def test_q2_bad_return_values():
    t = synthetic()
    assert_check_failed(q2, lambda tb: [tb.index.get_loc(n) for n in pareto(tb)], t,
                        match="not positions or rows")
    assert_check_failed(q2, lambda tb: tb.loc[pareto(tb)], t, match="is a DataFrame")
    assert_check_failed(q2, lambda tb: ",".join(pareto(tb)), t, match="list of model names")
    assert_check_failed(q2, lambda tb: ____, t, outcome="not_attempted")
    assert_check_failed(q2, ____, t, outcome="not_attempted")

    def crashes(tb):
        return tb.loc["nope"]

    assert_check_failed(q2, crashes, t, outcome="error", match="KeyError")


def test_q2_checker_tables_hold_what_they_promise():
    cases = dict(frontier_cases())
    dup = cases["the checker's table with exact duplicates and ties on one axis"]
    assert set(dup.index[pareto_mask(dup)]) == {"A", "B", "D", "F"}
    p50 = cases["the checker's table where p50 and p99 disagree"]
    assert set(p50.index[pareto_mask(p50)]) != set(p50.index[pareto_mask(p50, latency="p50_ms")])
    near = cases["the checker's table with near-ties"]
    assert set(near.index[pareto_mask(near)]) == {"J", "L", "N"}


def test_q2_hidden_grid_tables():
    t = synthetic()
    assert_check_passed(q2, pareto, t)
    for _, table in hidden.grid_tables():
        assert set(pareto(table)) == set(table.index[pareto_mask(table)])

    def pareto_strict(tb):
        return [n for n in tb.index if not any(
            tb.loc[m, "p99_ms"] < tb.loc[n, "p99_ms"] and tb.loc[m, "accuracy"]
            > tb.loc[n, "accuracy"] for m in tb.index)]

    with pytest.raises(Incorrect, match="grid table"):
        hidden.hidden_pareto_grid(pareto_strict, t)


# ---------------------------------------------------------------------------------------------
# q3: the choice, written by the learner
# ---------------------------------------------------------------------------------------------
def choose(table, budget_ms):
    fits = table[table["p99_ms"] <= budget_ms]
    if len(fits) == 0:
        return None
    return sorted(fits.index, key=lambda n: (-fits.loc[n, "accuracy"], fits.loc[n, "p99_ms"],
                                             n))[0]


def choose_pandas(table, budget_ms):  # sort_values on a name column; returns a numpy str
    fits = table[table["p99_ms"] <= budget_ms].rename_axis("name").reset_index()
    if fits.empty:
        return None
    fits = fits.sort_values(["accuracy", "p99_ms", "name"], ascending=[False, True, True])
    return np.str_(fits["name"].iloc[0])


def test_q3_reference_passes():
    t = synthetic()
    assert choose(t, BUDGET_MS) == choose_within_budget(t, BUDGET_MS) == "SVM"
    assert_check_passed(q3, choose, t, "SVM")
    assert_check_passed(q3, choose_pandas, t, np.str_("SVM"))
    assert_check_passed(q3, choose, t.iloc[::-1], "SVM")
    slow = t.copy()
    slow.loc["SVM", ["p50_ms", "p99_ms"]] = [25.0, 45.0]
    assert_check_passed(q3, choose, slow, "GBM(100)")
    nothing = t.assign(p50_ms=t["p50_ms"] + 100, p99_ms=t["p99_ms"] + 100)
    assert_check_passed(q3, choose, nothing, None)


def test_q3_on_the_learners_real_table(fitted):
    _, table = fitted
    assert_check_passed(q3, choose, table, choose(table, BUDGET_MS))


def test_q3_library_agrees_with_the_rule_on_the_checker_tables():
    for _, table, budget in choice_cases():
        want = expected_choice(table, budget)
        if want is None:
            continue
        assert choose_within_budget(table, budget) == want


def test_q3_ignores_the_budget():
    assert_check_failed(q3, lambda t, b: t["accuracy"].idxmax(), synthetic(), "SVM",
                        match=r"`forest`, which does not fit the budget: its p99 is 40 ms")


def test_q3_uses_p50():
    def on_p50(t, b):
        fits = t[t["p50_ms"] <= b]
        return fits["accuracy"].idxmax() if len(fits) else None

    assert_check_failed(q3, on_p50, synthetic(), "SVM",
                        match=r"`forest`, which does not fit the budget: its p99 is 40 ms")


def test_q3_strict_budget():
    def strict(t, b):
        fits = t[t["p99_ms"] < b]
        return choose(fits, b) if len(fits) else None

    assert_check_failed(q3, strict, synthetic(), "SVM",
                        match=r"`edge` .*also fits the 4 ms budget and is more accurate")


def test_q3_tie_rules():
    def first_max(t, b):  # idxmax: the first row of the best accuracy
        fits = t[t["p99_ms"] <= b]
        return fits["accuracy"].idxmax() if len(fits) else None

    assert_check_failed(q3, first_max, synthetic(), "SVM",
                        match=r"`Y` .* is as accurate .* take the lower p99")

    def table_order(t, b):  # right on accuracy and p99, but a full tie goes by row order
        fits = t[t["p99_ms"] <= b]
        if fits.empty:
            return None
        return fits.sort_values(["accuracy", "p99_ms"], ascending=[False, True],
                                kind="stable").index[0]

    assert_check_failed(q3, table_order, synthetic(), "SVM",
                        match=r"`svm` and `gbm` tie on accuracy and on p99.*sorts first")


def test_q3_nothing_fits():
    def raises(t, b):
        return choose_within_budget(t, b)

    assert_check_failed(q3, raises, synthetic(), "SVM", outcome="error",
                        match="NoModelFitsBudgetError")

    def fastest_anyway(t, b):
        fits = t[t["p99_ms"] <= b]
        return choose(fits, b) if len(fits) else t["p99_ms"].idxmin()

    assert_check_failed(q3, fastest_anyway, synthetic(), "SVM", match="should be None")


def test_q3_bad_answers():
    t = synthetic()
    assert_check_failed(q3, lambda tb, b: tb.loc[choose(tb, b)] if choose(tb, b) else None,
                        t, "SVM", match="should be one model name")
    assert_check_failed(q3, choose, t, "RF(50)", match=r"`SVM` .*also fits.*more accurate "
                                                       r"than `choice`")
    assert_check_failed(q3, choose, t, "XGBoost", match="not a model of the table")
    assert_check_failed(q3, lambda tb, b: ____, t, "SVM", outcome="not_attempted")
    assert_check_failed(q3, choose, t, ____, outcome="not_attempted")


def test_q3_hidden_grid_tables():
    assert_check_passed(q3, choose, synthetic(), "SVM")

    def table_order(t, b):
        fits = t[t["p99_ms"] <= b]
        if fits.empty:
            return None
        return fits.sort_values(["accuracy", "p99_ms"], ascending=[False, True],
                                kind="stable").index[0]

    with pytest.raises(Incorrect, match="grid table"):
        hidden.hidden_choose_grid(table_order, synthetic(), "SVM")


# ---------------------------------------------------------------------------------------------
# q4
# ---------------------------------------------------------------------------------------------
def test_q4_tight_budget():
    t = synthetic()
    assert_check_passed(q4, t, "SVM", 0.3, "GBM(100)")
    assert_check_passed(q4, t, np.str_("SVM"), np.float64(0.3), np.str_("GBM(100)"))
    assert_check_passed(q4, t, "SVM", 0.01, None)  # nothing fits: None is right
    assert_check_failed(q4, t, "SVM", 0.5, "SVM", match="still choose `SVM`")
    assert_check_failed(q4, t, "SVM", 0.3, "GBM(20)", match=r"`GBM\(100\)` .*also fits")
    assert_check_failed(q4, t, "SVM", 50, "GBM(100)", match="not tighter")
    assert_check_failed(q4, t, "SVM", -1, "GBM(100)", match="positive")
    assert_check_failed(q4, t, "SVM", "0.3", "GBM(100)", match="number of milliseconds")
    assert_check_failed(q4, t, "SVM", 0.3, ____, outcome="not_attempted")


def test_q4_wrong_q3_answer_does_not_give_it_away():
    t = synthetic()
    result = q4.evaluate(t, "RF(50)", 0.3, "GBM(100)")
    assert result.outcome == "incorrect"
    assert "get q3 right first" in result.message
    assert "SVM" not in result.message


def test_exercise_metadata():
    assert EXERCISE.name == "ex4_pareto_frontier"
    assert [q.name for q in EXERCISE] == ["q1", "q2", "q3", "q4"]
    assert [q.points for q in EXERCISE] == [3, 2, 2, 1]
    assert all(q._solution is None and not q.hidden for q in EXERCISE)
    assert set(hidden.HIDDEN) <= {q.name for q in EXERCISE}
