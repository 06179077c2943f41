"""Lesson 05 questions, tested both ways: the learner's own loop, dominance test and choice
pass (with the alternatives the prompts allow); realistic mistakes fail with a message about
that answer."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises import l05_latency_accuracy_tradeoffs as l05
from mlserving_lab.course.exercises.core import Incorrect
from mlserving_lab.course.instructor import l05_latency_accuracy_tradeoffs as hidden
from mlserving_lab.tradeoffs import choose_within_budget, pareto_mask

BUDGET = l05.END_TO_END_MS - sum(l05.BUDGET_BREAKDOWN_MS.values())


def loop(models, X, n_runs=30, warmup=2):
    rows = [X[i:i + 1] for i in range(len(X))]
    samples = {n: [] for n in models}
    for r in range(warmup + n_runs):
        for n, m in models.items():
            t0 = time.perf_counter()
            m.predict(rows[r % len(rows)])
            if r >= warmup:
                samples[n].append((time.perf_counter() - t0) * 1000)
    return samples


def as_table(models, X_test, y_test, samples):
    return pd.DataFrame({
        "accuracy": {n: float(np.mean(m.predict(X_test) == y_test)) for n, m in models.items()},
        "p50_ms": {n: float(np.percentile(s, 50)) for n, s in samples.items()},
        "p99_ms": {n: float(np.percentile(s, 99)) for n, s in samples.items()},
    })


@pytest.fixture(scope="module")
def measured():
    X_train, X_test, y_train, y_test = l05.load_data()
    candidates = {n: m.fit(X_train, y_train) for n, m in l05.make_candidates().items()}
    return candidates, as_table(candidates, X_test, y_test, loop(candidates, X_test))


def fixed_table():
    return pd.DataFrame(
        {"accuracy": [0.86, 0.88, 0.90, 0.91, 0.91],
         "p50_ms": [0.2, 0.25, 1.2, 4.5, 0.5],
         "p99_ms": [0.3, 0.35, 1.8, 48.0, 0.9]},
        index=["LogReg", "Tree(d=5)", "RF(10)", "RF(40)", "GBM(50)"])


def dominates(a, b):
    return (a["p99_ms"] <= b["p99_ms"] and a["accuracy"] >= b["accuracy"]
            and (a["p99_ms"] < b["p99_ms"] or a["accuracy"] > b["accuracy"]))


def frontier_of(t, dom=dominates):
    return [n for n in t.index if not any(dom(t.loc[m], t.loc[n]) for m in t.index if m != n)]


# q1 ------------------------------------------------------------------------------------------
def test_q1_own_loop_passes(measured):
    candidates, table = measured
    assert_check_passed(l05.q1, candidates, table)
    assert l05.q1.evaluate(candidates, table.iloc[::-1].astype(np.float32)).correct


def test_q1_wrong_measurements(measured):
    candidates, table = measured
    X_train, X_test, y_train, y_test = l05.load_data()
    assert_check_failed(l05.q1, candidates, table.assign(p99_ms=table["p50_ms"]),
                        match="one timed call used twice")
    assert_check_failed(l05.q1, candidates, table.assign(p50_ms=0.5, p99_ms=0.9),
                        match="typed in")
    assert_check_failed(l05.q1, candidates, table / [1, 1000, 1000], match="seconds")
    train_acc = table.assign(accuracy=pd.Series(
        {n: float(np.mean(m.predict(X_train) == y_train)) for n, m in candidates.items()}))
    assert_check_failed(l05.q1, candidates, train_acc, match=r"\*training\* rows")
    assert_check_failed(l05.q1, candidates, table.drop(columns="accuracy"),
                        match="no `accuracy` column")
    assert_check_failed(l05.q1, candidates, ____, outcome="not_attempted")


def test_q1_unfitted_fitted_on_test_and_changed_candidates(measured):
    candidates, table = measured
    _, X_test, _, y_test = l05.load_data()
    fresh = l05.make_candidates()
    assert_check_failed(l05.q1, fresh, table, match="not fitted")
    on_test = {n: m.fit(X_test, y_test) for n, m in l05.make_candidates().items()}
    assert_check_failed(l05.q1, on_test, as_table(on_test, X_test, y_test, loop(on_test, X_test)),
                        match="fitted on the test set")
    from sklearn.ensemble import RandomForestClassifier

    X_train, _, y_train, _ = l05.load_data()
    capped = dict(candidates, **{"RF(40)": RandomForestClassifier(
        n_estimators=40, max_depth=3, random_state=0).fit(X_train, y_train)})
    assert_check_failed(l05.q1, capped, table, match="max_depth=3")


def test_q1_hidden_retime(measured):
    candidates, table = measured
    hidden.hidden_retime(candidates, table)
    flipped = table.copy()
    flipped.loc["Tree(d=5)", "p50_ms"] = table.loc["RF(40)", "p50_ms"] / 2.5
    flipped.loc["RF(40)", "p50_ms"] = table.loc["RF(40)", "p50_ms"] / 3
    with pytest.raises(Incorrect, match="no slower than|gives about"):
        hidden.hidden_retime(candidates, flipped)


# q2 ------------------------------------------------------------------------------------------
def test_q2_dominates_and_frontier_pass():
    t = fixed_table()
    front = frontier_of(t)
    assert set(front) == set(t.index[pareto_mask(t)]) == {"LogReg", "Tree(d=5)", "GBM(50)"}
    assert_check_passed(l05.q2, dominates, t, front)
    assert_check_passed(l05.q2, lambda a, b: np.bool_(dominates(a, b)), t, tuple(front))
    assert_check_passed(l05.q2, dominates, t, pd.Index(front))
    assert_check_passed(l05.q2, dominates, t, [np.str_(n) for n in front])
    assert_check_passed(l05.q2, dominates, t, pareto_mask(t))


def test_q2_real_table(measured):
    _, table = measured
    assert_check_passed(l05.q2, dominates, table, frontier_of(table))


def test_q2_dominance_mistakes():
    t = fixed_table()
    front = frontier_of(t)

    def no_strict(a, b):
        return a["p99_ms"] <= b["p99_ms"] and a["accuracy"] >= b["accuracy"]

    assert_check_failed(l05.q2, no_strict, t, front, match="identical rows.*Identical rows")

    def both_strict(a, b):
        return a["p99_ms"] < b["p99_ms"] and a["accuracy"] > b["accuracy"]

    assert_check_failed(l05.q2, both_strict, t, front, match="same p99, `a` more accurate")

    def on_p50(a, b):
        return (a["p50_ms"] <= b["p50_ms"] and a["accuracy"] >= b["accuracy"]
                and (a["p50_ms"] < b["p50_ms"] or a["accuracy"] > b["accuracy"]))

    assert_check_failed(l05.q2, on_p50, t, front, match="not `p50_ms`")

    def reversed_(a, b):
        return dominates(b, a)

    assert_check_failed(l05.q2, reversed_, t, front, match="answer the reverse")

    def rounded(a, b):
        return dominates(a.round(3), b.round(3))

    assert_check_failed(l05.q2, rounded, t, front, match="do not round")
    assert_check_failed(l05.q2, lambda a, b: "yes", t, front, match="True or False")


def test_q2_frontier_mistakes():
    t = fixed_table()
    front = frontier_of(t)
    assert_check_failed(l05.q2, dominates, t, front + ["RF(40)"],
                        match=r"keeps `RF\(40\)`.*dominates it")
    assert_check_failed(l05.q2, dominates, t, front[1:], match="drops `LogReg`")
    tied = pd.concat([t, t.loc[["GBM(50)"]].rename(index={"GBM(50)": "GBM(50)b"})])
    assert_check_failed(l05.q2, dominates, tied, frontier_of(tied)[:-1],
                        match="ties exactly with")
    assert_check_failed(l05.q2, dominates, t, "LogReg", match="list of model names")


def test_q2_hidden_grid_and_own_frontier():
    t = fixed_table()
    hidden.hidden_dominates_grid(dominates, t, frontier_of(t))

    def wrong_at_4ms(a, b):  # right on every public pair, wrong whenever a's p99 is 4 ms
        return bool(dominates(a, b)) != (a["p99_ms"] == 4.0)

    assert l05.q2.evaluate(wrong_at_4ms, t, frontier_of(t)).correct
    with pytest.raises(Incorrect, match="grid table"):
        hidden.hidden_dominates_grid(wrong_at_4ms, t, frontier_of(t))


# q3 ------------------------------------------------------------------------------------------
def test_q3_budget_and_choice():
    t = fixed_table()
    assert BUDGET == 40
    assert choose_within_budget(t, BUDGET) == "GBM(50)"
    assert_check_passed(l05.q3, t, BUDGET, "GBM(50)")
    assert_check_passed(l05.q3, t, np.int64(BUDGET), np.str_("GBM(50)"))
    assert_check_passed(l05.q3, t.iloc[::-1], float(BUDGET), "GBM(50)")


def test_q3_budget_arithmetic_off():
    t = fixed_table()
    assert_check_failed(l05.q3, t, BUDGET + 25, "GBM(50)", match="forgets the feature lookup or the safety margin")
    assert_check_failed(l05.q3, t, BUDGET + 8, "GBM(50)", match="forgets the preprocessing")
    assert_check_failed(l05.q3, t, 120, "RF(40)", match="end-to-end budget")
    assert_check_failed(l05.q3, t, 80, "GBM(50)", match="what the rest of the request costs")
    assert_check_failed(l05.q3, t, 33, "GBM(50)", match="minus every item")
    assert_check_failed(l05.q3, t, "40", "GBM(50)", match="should be a number")


def test_q3_choice_mistakes():
    t = fixed_table()
    # the most accurate, ignoring the budget: RF(40)'s p99 is 48 ms
    assert_check_failed(l05.q3, t, BUDGET, "RF(40)", match=r"does not fit.*48 ms, above 40")
    assert_check_failed(l05.q3, t, BUDGET, "RF(10)", match=r"`GBM\(50\)` .*also fits")
    # a tie on accuracy: the lower p99 wins
    tie = t.assign(p99_ms=t["p99_ms"].where(t.index != "RF(40)", 30.0))
    assert choose_within_budget(tie, BUDGET) == "GBM(50)"
    assert_check_failed(l05.q3, tie, BUDGET, "RF(40)", match="take the lower p99")
    # a full tie: the name that sorts first
    twin = pd.concat([t, t.loc[["GBM(50)"]].rename(index={"GBM(50)": "Boost"})])
    assert choose_within_budget(twin, BUDGET) == "Boost"
    assert_check_failed(l05.q3, twin, BUDGET, "GBM(50)", match="sorts first")
    # nothing fits: None
    slow = t.assign(p99_ms=t["p99_ms"] + 100)
    assert_check_passed(l05.q3, slow, BUDGET, None)
    assert_check_failed(l05.q3, slow, BUDGET, "LogReg", match="should be None")
    assert_check_failed(l05.q3, t, BUDGET, None, match="fits the 40 ms budget")


def test_exercise_metadata():
    assert [q.name for q in l05.EXERCISE] == ["q1", "q2", "q3"]
    assert all(q.points == 1 and q._solution is None and not q.hidden for q in l05.EXERCISE)
