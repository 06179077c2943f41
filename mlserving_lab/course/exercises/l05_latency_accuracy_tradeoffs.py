"""Check-yourself questions for lesson ``05_latency_accuracy_tradeoffs`` (1 point each).

The learner fits and times the candidates with their own loop (q1), writes the dominance test
behind the frontier (q2), and does the budget arithmetic and the choice (q3). The checkers are
exercise 4's, at lesson scale: accuracy recomputed from the learner's models, test-set fitting
looked for on unseen rows, the models re-timed on one row, ``dominates`` called on pairs the
checker builds, and the frontier and the choice recomputed from the learner's own table.
"""

from __future__ import annotations

import math

import numpy as np

from mlserving_lab.course.exercises.core import (
    Exercise,
    Incorrect,
    Question,
    call,
    expect_number,
)
from mlserving_lab.course.exercises.ex4_pareto_frontier import (
    LATENCY,
    SCORE,
    check_choice,
    check_measurement,
    check_pareto,
    check_table,
    draw_data,
    fmt,
)
from mlserving_lab.course.exercises.remeasure import num

#: How a 120 ms end-to-end p99 budget is spent outside the model (milliseconds).
BUDGET_BREAKDOWN_MS = {
    "network (both ways)": 15,
    "feature lookup": 25,
    "preprocessing": 8,
    "post-processing": 4,
    "response serialisation": 3,
    "safety margin": 25,
}
END_TO_END_MS = 120
#: Timed one-row rounds and warm-up rounds of the lesson's loop.
N_RUNS = 50
WARMUP = 3
#: The lesson's data: 1250 rows x 10 features (750 to train, 500 to test), plus unseen rows.
#: With this seed the test-set-fitting check has a clear margin: the 10-tree forest fitted on
#: the test rows scores 0.14 higher there than on the unseen rows (the check's threshold: 0.09).
DATA = dict(n_samples=1250, n_test=500, n_features=10, n_informative=6, random_state=5)
N_UNSEEN = 500

#: The candidates of the lesson, as in exercise 4's ``REQUIRED``.
REQUIRED = [
    ("LogReg", "a LogisticRegression", "logreg", {}),
    ("Tree(d=5)", "a decision tree with max_depth=5", "tree", {"max_depth": 5}),
    ("RF(10)", "a random forest with n_estimators=10", "forest", {"n_estimators": 10}),
    ("RF(40)", "a random forest with n_estimators=40", "forest", {"n_estimators": 40}),
    ("GBM(50)", "a gradient boosting model with n_estimators=50", "gbm", {"n_estimators": 50}),
]


def load_data():
    """The lesson's data: ``X_train, X_test, y_train, y_test`` (750 + 500 rows, 10 features)."""
    return tuple(a.copy() for a in draw_data(DATA, N_UNSEEN)[:4])


def make_candidates() -> dict:
    """The five candidates of the lesson, not fitted yet."""
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    return {
        "LogReg": LogisticRegression(max_iter=1000),
        "Tree(d=5)": DecisionTreeClassifier(max_depth=5, random_state=0),
        "RF(10)": RandomForestClassifier(n_estimators=10, random_state=0),
        "RF(40)": RandomForestClassifier(n_estimators=40, random_state=0),
        "GBM(50)": GradientBoostingClassifier(n_estimators=50, random_state=0),
    }


def _check_table_q(candidates, table):
    message = check_measurement(candidates, table, data=draw_data(DATA, N_UNSEEN),
                                required=REQUIRED, what="candidates")
    lat = table[LATENCY].astype(float)
    ratio = float(lat.max()) / float(lat.min())
    return (f"{message} p99 ranges from {num(lat.min())} ms (`{lat.idxmin()}`) to "
            f"{num(lat.max())} ms (`{lat.idxmax()}`), a {ratio:.1f}x spread.")


# ---------------------------------------------------------------------------------------------
# q2: the dominance test
# ---------------------------------------------------------------------------------------------
def dominance_cases() -> list:
    """(description, a, b, does a dominate b) pairs for a learner's ``dominates``."""
    import pandas as pd

    def row(name, p50, p99, acc):
        return pd.Series({"p50_ms": p50, LATENCY: p99, SCORE: acc, "size_kb": 10.0}, name=name)

    fast_good = row("fast_good", 0.2, 0.3, 0.90)
    return [
        ("`a` faster and more accurate", fast_good, row("slow_bad", 1.0, 2.0, 0.80), True),
        ("the other way round", row("slow_bad", 1.0, 2.0, 0.80), fast_good, False),
        ("identical rows", fast_good, row("twin", 0.2, 0.3, 0.90), False),
        ("same p99, `a` more accurate", row("a", 0.5, 1.0, 0.9), row("b", 0.5, 1.0, 0.8), True),
        ("same accuracy, `a` faster", row("a", 0.5, 1.0, 0.9), row("b", 0.6, 1.5, 0.9), True),
        ("`a` faster but less accurate", row("a", 0.1, 0.2, 0.8), row("b", 1.0, 2.0, 0.9),
         False),
        ("`a` better on p50 only (its p99 is worse)", row("a", 0.1, 5.0, 0.9),
         row("b", 0.3, 0.4, 0.9), False),
        ("`a` better on p99, worse on p50", row("a", 0.3, 0.4, 0.9), row("b", 0.1, 5.0, 0.9),
         True),
        ("`a` a billionth of a ms faster, same accuracy", row("a", 0.5, 1.0, 0.85),
         row("b", 0.5, 1.0 + 1e-9, 0.85), True),
    ]


def _show_row(r) -> str:
    return f"p50_ms {float(r['p50_ms'])!r}, p99_ms {float(r[LATENCY])!r}, " \
           f"accuracy {float(r[SCORE])!r}"


def check_dominates(dominates) -> None:
    for desc, a, b, want in dominance_cases():
        out = call(dominates, a.copy(), b.copy())
        if not isinstance(out, (bool, np.bool_)):
            raise Incorrect(f"`dominates(a, b)` should return True or False, got "
                            f"{type(out).__name__} `{out!r:.60}`")
        if bool(out) != want:
            why = {
                "`a` faster and more accurate": " (Does it answer the reverse, whether `b` "
                                                "dominates `a`? `dominates(a, b)` asks whether "
                                                "`a` beats `b`.)",
                "identical rows": " Identical rows do not dominate each other: domination "
                                  "needs one strict improvement, so ties stay on the frontier.",
                "same p99, `a` more accurate": " A tie on p99 with strictly better accuracy "
                                               "is domination: compare with `<=` and `>=`.",
                "same accuracy, `a` faster": " A tie on accuracy with a strictly lower p99 is "
                                             "domination: compare with `<=` and `>=`.",
                "`a` better on p50 only (its p99 is worse)": " Latency here is `p99_ms`, "
                                                             "not `p50_ms`.",
                "`a` better on p99, worse on p50": " Latency here is `p99_ms`, not `p50_ms`.",
                "`a` a billionth of a ms faster, same accuracy": " Compare the numbers "
                                                                 "exactly; do not round them.",
                "the other way round": " `dominates(a, b)` asks whether `a` beats `b`, not the "
                                       "reverse.",
            }.get(desc, "")
            raise Incorrect(f"`dominates(a, b)` returns {bool(out)} for {desc} (a: "
                            f"{_show_row(a)}; b: {_show_row(b)}), but the answer is {want}."
                            f"{why}")


def _check_frontier_q(dominates, table, frontier):
    check_dominates(dominates)
    check_table(table)
    return check_pareto(table, frontier, "frontier")


# ---------------------------------------------------------------------------------------------
# q3: the budget and the choice
# ---------------------------------------------------------------------------------------------
def _check_budget_choice(table, model_budget_ms, choice):
    check_table(table)
    got = expect_number(model_budget_ms, "model_budget_ms", unit="milliseconds")
    want = END_TO_END_MS - sum(BUDGET_BREAKDOWN_MS.values())
    if not math.isclose(got, want, abs_tol=1e-9):
        if math.isclose(got, END_TO_END_MS, abs_tol=1e-9):
            raise Incorrect(f"{got:g} ms is the end-to-end budget; subtract everything in "
                            "`BUDGET_BREAKDOWN_MS` that happens outside the model")
        forgot = [item for item, ms in BUDGET_BREAKDOWN_MS.items()
                  if math.isclose(got, want + ms, abs_tol=1e-9)]
        if forgot:
            ms = BUDGET_BREAKDOWN_MS[forgot[0]]
            extra = (" (the margin is spent too, on the slow days)"
                     if "safety margin" in forgot else "")
            raise Incorrect(f"your model budget ({got:g} ms) is {ms} ms too large: it forgets "
                            f"the {' or the '.join(forgot)} ({ms} ms){extra}")
        if math.isclose(got, sum(BUDGET_BREAKDOWN_MS.values()), abs_tol=1e-9):
            raise Incorrect(f"{got:g} ms is what the rest of the request costs; the model "
                            "gets the end-to-end budget minus that")
        raise Incorrect(f"your model budget is {got:g} ms; it should be the end-to-end budget "
                        f"({END_TO_END_MS} ms) minus every item of `BUDGET_BREAKDOWN_MS`")
    check_choice(table, choice, want, "choice")
    if choice is None:
        return f"Correct: no candidate fits {want:g} ms, so none can be deployed as is."
    name = str(choice)
    label = {str(n): n for n in table.index}[name]
    return f"Correct: `{name}` ({fmt(table, label)}) is the most accurate within {want:g} ms."


q1 = Question(
    "q1",
    prompt=("Fit the `candidates` on `X_train, y_train`, then time them with your own loop: "
            f"one row per call, round-robin over the candidates, {WARMUP} warm-up rounds, "
            f"{N_RUNS} timed rounds. Store `table` (index = the candidates' names) with "
            "`accuracy` on `X_test, y_test` and `p50_ms`, `p99_ms` in milliseconds per call."),
    answers=("candidates", "table"),
    checker=_check_table_q,
    hint=("`rows = [X_test[i:i + 1] for i in range(len(X_test))]`; in each round, for each "
          "model: `t0 = time.perf_counter(); model.predict(row); "
          "samples[name].append((time.perf_counter() - t0) * 1000)`."),
)

q2 = Question(
    "q2",
    prompt=("Write `dominates(a, b)` for two rows of the table (True when `a` has p99_ms <= "
            "and accuracy >= those of `b`, with at least one strict), and use it to list the "
            "Pareto-optimal candidates of your table in `frontier`."),
    answers=("dominates", "table", "frontier"),
    checker=_check_frontier_q,
    hint=("`no_worse = a['p99_ms'] <= b['p99_ms'] and a['accuracy'] >= b['accuracy']`, "
          "`better = a['p99_ms'] < b['p99_ms'] or a['accuracy'] > b['accuracy']`."),
)

q3 = Question(
    "q3",
    prompt=("Work out how much of the 120 ms end-to-end budget is left for the model "
            "(`model_budget_ms`), and choose the candidate to deploy (`choice`): the most "
            "accurate with `p99_ms <= model_budget_ms`, the lower p99 on a tie, then the name "
            "that sorts first; None if none fits."),
    answers=("table", "model_budget_ms", "choice"),
    checker=_check_budget_choice,
    hint=("`END_TO_END_MS - sum(BUDGET_BREAKDOWN_MS.values())`; then filter the table on "
          "`p99_ms` and sort what fits by accuracy (descending) and p99."),
)

EXERCISE = Exercise("l05_latency_accuracy_tradeoffs", [q1, q2, q3])
