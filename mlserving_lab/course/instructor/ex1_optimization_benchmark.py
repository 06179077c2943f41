"""Hidden (grading-only) checks of exercise 1; see ``mlserving_lab.course.instructor``.

Each check takes the question's answers, like the public checker, and runs only when a
submission is graded.
"""

from __future__ import annotations

import numpy as np

from mlserving_lab.course.exercises.core import Incorrect
from mlserving_lab.course.exercises.ex1_optimization_benchmark import (
    BUDGET_MS,
    check_choose_on,
    check_distill_with,
    check_not_fitted_on_test,
    check_session_reproduces,
    check_timing_loop,
    load_artifacts,
    load_data,
    session_outputs,
    tie_table,
    unseen_rows,
)


def _other_teacher(distill):
    """Other test teachers (other seed, other softness): a memorised answer does not pass."""
    check_distill_with(distill, seed=23, softness=(0.3, 0.8))


def _onnx_on_unseen_rows(baseline, onnx_session):
    """The session reproduces the baseline on rows the learner never had, and on far rows."""
    X_unseen, _ = unseen_rows()
    check_session_reproduces(baseline, onnx_session, X_unseen[:300], "rows you never had")
    X_far = 3.0 * np.random.default_rng(3).normal(size=(100, X_unseen.shape[1]))
    check_session_reproduces(baseline, onnx_session, X_far, "rows far from the data")


def _timing_other_arguments(time_one_row):
    """Other n_runs, warmup, X and dict order: the loop must use its arguments."""
    check_timing_loop(time_one_row, n_runs=24, warmup=6, n_rows=17, n_cols=3,
                      order=("slow", "alternating", "fast"), seed=8)


def _onnx_file_is_the_baseline(table, paths):
    """The .onnx file reproduces the model in the baseline file (not another variant)."""
    models = {name: model for name, (_, model) in load_artifacts(paths).items()}
    _, X_test, _, _ = load_data()
    labels, proba = session_outputs(models["onnx"], X_test, "the model in `paths['onnx']`")
    base = models["baseline"]
    diff = np.abs(proba - base.predict_proba(X_test)[:, 1])
    if np.mean(labels == base.predict(X_test)) < 0.99 or np.mean(diff > 1e-4) > 0.01:
        raise Incorrect(f"the `.onnx` file does not reproduce the model in your `baseline` "
                        f"file (probabilities differ by up to {diff.max():.3g}): write the "
                        "bytes of the baseline's export there")


def _table_distilled_follows_the_teacher(table, paths):
    """The distilled file's model imitates the baseline (more than chance agreement)."""
    models = {name: model for name, (_, model) in load_artifacts(paths).items()}
    _, X_test, _, _ = load_data()
    agree = float(np.mean(models["distilled"].predict(X_test)
                          == models["baseline"].predict(X_test)))
    if agree < 0.7:
        raise Incorrect(f"the model in your `distilled` file agrees with the baseline on only "
                        f"{agree:.1%} of X_test: is it the student of `baseline`?")


def _choose_ties(choose, table):
    """Checker-made tables: a full tie, a p99 exactly at the budget, nothing fits, a reordered
    index with numpy numbers and an extra column."""
    full = tie_table({"zeta": (0.9, 10.0), "alpha": (0.9, 10.0), "mid": (0.85, 1.0)})
    check_choose_on(choose, full, BUDGET_MS, "a test table where two rows tie on accuracy "
                                             "and p99")
    edge = tie_table({"at_budget": (0.93, BUDGET_MS), "inside": (0.9, 5.0)})
    check_choose_on(choose, edge, BUDGET_MS, "a test table with a p99 exactly at the budget")
    none = tie_table({"a": (0.9, 70.0), "b": (0.8, 60.0)})
    check_choose_on(choose, none, BUDGET_MS, "a test table where nothing fits")
    reordered = tie_table({"m1": (0.88, 3.0), "m2": (0.93, 20.0), "m3": (0.93, 9.0),
                           "m4": (0.97, 51.0)}, order=["m4", "m2", "m1", "m3"])
    reordered["accuracy"] = reordered["accuracy"].astype(np.float32).astype(np.float64)
    reordered["notes"] = "extra"
    check_choose_on(choose, reordered, BUDGET_MS, "a test table with its rows in another "
                                                  "order")


HIDDEN = {
    "q1": (check_not_fitted_on_test,),
    "q2": (_other_teacher,),
    "q3": (_onnx_on_unseen_rows,),
    "q4": (_timing_other_arguments,),
    "q5": (_onnx_file_is_the_baseline, _table_distilled_follows_the_teacher),
    "q6": (_choose_ties,),
}
