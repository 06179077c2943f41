"""Check-yourself questions for lesson ``05_latency_accuracy_tradeoffs`` (1 point each).

The frontier and the choice are recomputed from the learner's own table.
"""

from __future__ import annotations

import math

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, expect_number
from mlserving_lab.course.exercises.ex4_pareto_frontier import (
    check_choice,
    check_pareto,
    check_table,
    fmt,
)

#: How a 120 ms end-to-end p99 budget is spent before the model runs (milliseconds).
BUDGET_BREAKDOWN_MS = {
    "network (both ways)": 15,
    "feature lookup": 25,
    "preprocessing": 8,
    "post-processing": 4,
    "response serialisation": 3,
    "safety margin": 25,
}
END_TO_END_MS = 120


def _check_table_q(table):
    check_table(table)
    if len(table) < 4:
        raise Incorrect(f"your table has {len(table)} models; measure all the candidates")
    fastest = table["p99_ms"].astype(float).idxmin()
    slowest = table["p99_ms"].astype(float).idxmax()
    ratio = float(table.loc[slowest, "p99_ms"]) / float(table.loc[fastest, "p99_ms"])
    return (f"Correct: p99 ranges from {float(table.loc[fastest, 'p99_ms']):.3g} ms "
            f"(`{fastest}`) to {float(table.loc[slowest, 'p99_ms']):.3g} ms (`{slowest}`), a "
            f"{ratio:.0f}x spread.")


def _check_budget_choice(table, model_budget_ms, choice):
    check_table(table)
    got = expect_number(model_budget_ms, "model_budget_ms")
    want = END_TO_END_MS - sum(BUDGET_BREAKDOWN_MS.values())
    if not math.isclose(got, want, abs_tol=1e-9):
        if math.isclose(got, want + BUDGET_BREAKDOWN_MS["safety margin"], abs_tol=1e-9):
            raise Incorrect(f"your model budget ({got:g} ms) forgets the safety margin: it is "
                            "spent too, on the slow days")
        if math.isclose(got, END_TO_END_MS, abs_tol=1e-9):
            raise Incorrect(f"{got:g} ms is the end-to-end budget; subtract everything in "
                            "`BUDGET_BREAKDOWN_MS` that happens outside the model")
        raise Incorrect(f"your model budget is {got:g} ms; it should be the end-to-end budget "
                        f"({END_TO_END_MS} ms) minus every item of `BUDGET_BREAKDOWN_MS`")
    check_choice(table, choice, want, "choice")
    if choice is None:
        return f"Correct: no candidate fits {want:g} ms, so none can be deployed as is."
    return f"Correct: `{choice}` ({fmt(table, choice)}) is the most accurate within {want:g} ms."


q1 = Question(
    "q1",
    prompt=("Measure the candidates with `evaluate_models` into `table` (accuracy, one-row "
            "p50/p99)."),
    answers=("table",),
    checker=_check_table_q,
    hint="`evaluate_models(candidates, X_test, y_test, X_train=X_train, y_train=y_train)`.",
    solution=("table = evaluate_models(candidates, X_test, y_test, X_train=X_train,\n"
              "                        y_train=y_train, n_runs=100, warmup=10)"),
)

q2 = Question(
    "q2",
    prompt="List the Pareto-optimal candidates (p99 vs accuracy) in `frontier`.",
    answers=("table", "frontier"),
    checker=check_pareto,
    hint="`pareto_mask(table)` is a boolean Series; index the table with it.",
    solution="frontier = list(table.index[pareto_mask(table)])",
)

q3 = Question(
    "q3",
    prompt=("Work out how much of the 120 ms end-to-end budget is left for the model "
            "(`model_budget_ms`) and choose the candidate to deploy (`choice`)."),
    answers=("table", "model_budget_ms", "choice"),
    checker=_check_budget_choice,
    hint=("`END_TO_END_MS - sum(BUDGET_BREAKDOWN_MS.values())`, then "
          "`choose_within_budget(table, model_budget_ms)`."),
    solution=("model_budget_ms = END_TO_END_MS - sum(BUDGET_BREAKDOWN_MS.values())\n"
              "choice = choose_within_budget(table, model_budget_ms)"),
)

EXERCISE = Exercise("l05_latency_accuracy_tradeoffs", [q1, q2, q3])
