"""Hidden (grading-only) checks of lesson 00.

Each check has its question's checker signature and runs only in ``q.grade(...)``.
"""

from __future__ import annotations

import numpy as np

from mlserving_lab.course.exercises.l00_start_here import check_within_budget_on


def q3_more_windows(within_budget):
    """`within_budget` on windows the public check does not try."""
    cases = [
        (np.array([12.0, 30.0, 8.5]), 5.0),              # nothing fits
        (np.array([0.5, 0.7, 0.2]), 100.0),              # everything fits
        (np.array([7.0]), 7.0),                          # one request, exactly the budget
        (np.array([3, 9, 4, 10, 2], dtype=np.int64), 4),  # integers, unsorted
        (np.linspace(0.0, 9.9, 100).astype(np.float32), 2.5),
    ]
    check_within_budget_on(within_budget, cases)


HIDDEN = {"q3": (q3_more_windows,)}
