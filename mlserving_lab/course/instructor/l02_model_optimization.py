"""Hidden (grading-only) checks of lesson 02: more tensors, every row of the pruning table
refitted, the export on the lesson's own rows and far outside them.

Each check has its question's checker signature and runs only in ``q.grade(...)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.l02_model_optimization import (
    HIDDEN_TENSORS,
    ccp_rows,
    check_ccp_row,
    check_choice_tables,
    check_export_rows,
    check_int8_cases,
    check_soft_case,
    lesson_data,
)


def q1_more_tensors(quantize_int8):
    """float32, 3-D, one element, halfway values at another scale."""
    check_int8_cases(quantize_int8, HIDDEN_TENSORS, seed=20)


def q2_every_row(ccp_table, choose_alpha):
    """Refit every row of the learner's table; try the rule on random tied tables."""
    _, (alpha, nodes, acc) = ccp_rows(ccp_table)
    for a, n, c in zip(alpha, nodes, acc, strict=True):
        check_ccp_row(a, n, c)
    rng = np.random.default_rng(14)
    tables = []
    for t in range(3):
        n = 8
        alphas = np.round(np.sort(rng.uniform(0, 0.02, n)), 6)
        n_nodes = np.sort(rng.choice([3, 9, 9, 21, 21, 45, 101, 301], n))[::-1].copy()
        accuracy = np.round(rng.uniform(0.78, 0.84, n), 3)
        frame = pd.DataFrame({"n_nodes": n_nodes, "accuracy": accuracy, "ccp_alpha": alphas},
                             index=[f"r{t}{i}" for i in range(n)])
        tables.append((f"random table {t + 1}", frame.sample(frac=1.0, random_state=t)))
    check_choice_tables(choose_alpha, tables)


def q3_more_rows(soft_dataset):
    """Forty float32 rows, two of them identical, probabilities near 0 and 1."""
    rng = np.random.default_rng(31)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    X[7] = X[3]
    p1 = rng.uniform(0, 1, 40)
    p1[:4] = [1e-3, 0.999, 0.5, 0.0]
    check_soft_case(soft_dataset, X, p1, "40 float32 rows")


def q4_lesson_rows(model, session):
    """The lesson's own test rows, and rows far outside the training range."""
    _, X_test, _, _ = lesson_data()
    if int(model.n_features_in_) == X_test.shape[1]:
        check_export_rows(model, session, X_test[:400], "the lesson's X_test")
    n = int(model.n_features_in_)
    check_export_rows(model, session, np.random.default_rng(9).normal(size=(100, n)) * 10,
                      "100 rows far outside the training range")


HIDDEN = {"q1": (q1_more_tensors,), "q2": (q2_every_row,), "q3": (q3_more_rows,),
          "q4": (q4_lesson_rows,)}
