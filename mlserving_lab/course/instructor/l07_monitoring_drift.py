"""Hidden (grading-only) checks of lesson 07: the re-measurements too slow for ``check()``.

Each check has its question's checker signature and runs only in ``q.grade(...)``.
"""

from __future__ import annotations

import numpy as np

from mlserving_lab.course.exercises.core import Incorrect, call
from mlserving_lab.course.exercises.l07_monitoring_drift import (
    DECISIONS,
    FLOOR_GRID,
    HUGE_NS,
    PUBLIC_FLOOR_ROWS,
    check_floor_row,
    check_huge_row,
    floor_rows,
    huge_rows,
)
from mlserving_lab.drift import adjust_pvalues


def q1_every_row(floor_table):
    """Re-measure every row of the grid, not only the two the public check measures."""
    rows = floor_rows(floor_table)
    for key in FLOOR_GRID:
        if key not in PUBLIC_FLOOR_ROWS:
            check_floor_row(key, rows[key][0])


def q2_million_rows(huge_n):
    """Re-run the 1,000,000-row case exactly (the public check only bounds it)."""
    n = max(HUGE_NS)
    check_huge_row(n, huge_rows(huge_n)[n])


def q4_alpha_and_sizes(reject, false_alarms):
    """`reject` must honour `alpha` and work for a single p-value."""
    cases = (([0.004, 0.03, 0.012, 0.6], "holm", 0.1), ([0.004, 0.03, 0.012, 0.6], "bh", 0.01),
             ([0.03], "bonferroni", 0.05), ([0.07], "none", 0.1))
    for p, corr, alpha in cases:
        want = (adjust_pvalues(np.array(p), corr) < alpha).tolist()
        out = np.asarray(call(reject, np.array(p), corr, alpha))
        if out.shape != (len(p),) or out.dtype != bool or out.tolist() != want:
            raise Incorrect(f"`reject(p, {corr!r}, alpha={alpha})` on p = {p} returned "
                            f"{out.tolist()}, but it should be {want}: use the `alpha` you are "
                            "given, and m = len(p_values)")


def q5_more_edges(retrain_rule):
    """Float edges and numpy inputs of the retraining rule."""
    cases = ((0.50, 0.48, 0.1, 10, "continue monitoring",
              "0.50 - 0.48 is a drop of exactly 2 points"),
             (np.float64(0.9), np.float64(0.9), np.float64(0.1), np.int64(120),
              "scheduled retrain", "120 days, given as numpy numbers, is more than 90"),
             (0.9, 0.9, np.float64(0.3), 90.0, "retrain within 1 week", "PSI 0.3 > 0.25"),
             (0.9, 0.9, 0.0, 90.5, "scheduled retrain", "90.5 days is more than 90"))
    for base, cur, max_psi, days, want, why in cases:
        out = call(retrain_rule, base, cur, max_psi, days)
        got = str(getattr(out, "decision", out))
        if got != want:
            raise Incorrect(f"`retrain_rule({float(base)}, {float(cur)}, {float(max_psi)}, "
                            f"{float(days)})` returned {got!r}, but the rule says {want!r} "
                            f"({why}); the decisions are {list(DECISIONS)}")


HIDDEN = {
    "q1": (q1_every_row,),
    "q2": (q2_million_rows,),
    "q4": (q4_alpha_and_sizes,),
    "q5": (q5_more_edges,),
}
