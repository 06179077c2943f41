"""Hidden (grading-only) checks of lesson 01.

Each check has its question's checker signature and runs only in ``q.grade(...)``.
"""

from __future__ import annotations

import numpy as np

from mlserving_lab.course.exercises.l01_training_vs_inference import (
    check_mismatch_cases,
    check_time_calls,
)


def q2_other_sizes(time_calls, model, one_row_ms, batch_ms, per_row_speedup):
    """`time_calls` honours any `batch_size` and `n_calls`, not only the public ones."""
    check_time_calls(time_calls, 200, 7)
    check_time_calls(time_calls, 1, 13)


def _random_cases(n_cases: int = 12):
    rng = np.random.default_rng(2026)
    names = ["numpy", "pandas", "scipy", "scikit-learn", "torch", "onnx", "onnxruntime",
             "skl2onnx", "joblib", "matplotlib"]
    cases = []
    for _ in range(n_cases):
        recorded = {n: f"{rng.integers(1, 3)}.{rng.integers(0, 12)}.{rng.integers(0, 4)}"
                    for n in rng.choice(names, size=rng.integers(1, 7), replace=False)}
        current = {}
        for n, v in recorded.items():
            roll = rng.random()
            if roll < 0.5:
                current[str(n)] = v
            elif roll < 0.8:
                current[str(n)] = v + ".post1"
        for n in rng.choice(names, size=2, replace=False):
            current.setdefault(str(n), "0.1.0")
        cases.append(({str(k): v for k, v in recorded.items()}, current))
    return cases


def q3_random_environments(version_mismatches):
    """`version_mismatches` on environments the learner never saw."""
    check_mismatch_cases(version_mismatches, _random_cases())


HIDDEN = {"q2": (q2_other_sizes,), "q3": (q3_random_environments,)}
