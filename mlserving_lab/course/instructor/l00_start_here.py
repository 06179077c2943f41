"""Hidden (grading-only) checks of lesson 00.

Each check has its question's checker signature and runs only in ``q.grade(...)``.
"""

from __future__ import annotations

import math

import numpy as np

from mlserving_lab.course.exercises.core import Incorrect, call


def q3_more_windows(within_budget):
    """`within_budget` on windows the public check does not try."""
    cases = [
        (np.array([12.0, 30.0, 8.5]), 5.0),              # nothing fits
        (np.array([0.5, 0.7, 0.2]), 100.0),              # everything fits
        (np.array([7.0]), 7.0),                          # one request, exactly the budget
        (np.array([3, 9, 4, 10, 2], dtype=np.int64), 4),  # integers, unsorted
        (np.linspace(0.0, 9.9, 100).astype(np.float32), 2.5),
    ]
    for latencies, budget in cases:
        want = float(np.mean(latencies <= budget))
        got = call(within_budget, latencies.copy(), budget)
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise Incorrect(f"`within_budget` returned {type(got).__name__} `{got!r:.60}`; "
                            "it should return a fraction between 0 and 1") from None
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            shown = np.array2string(latencies[:6], precision=2, separator=", ")
            raise Incorrect(f"for latencies {shown}{' ...' if len(latencies) > 6 else ''} "
                            f"and budget {budget} ms your function returned {got:.4g}, "
                            f"expected {want:.4g}")


HIDDEN = {"q3": (q3_more_windows,)}
