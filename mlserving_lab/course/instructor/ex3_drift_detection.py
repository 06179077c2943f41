"""Hidden (grading-only) checks of exercise 3: more data the learner's detectors never saw.

Each check has its question's checker signature and runs only in ``q.grade(...)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.ex3_drift_detection import (
    compare_ks,
    compare_psi,
    tied_data,
)


def q1_small_samples_with_ties(ks_drift):
    """Tiny integer samples: ties everywhere, exact p-values."""
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"count": rng.poisson(3, 60).astype(float),
                        "grade": rng.integers(1, 6, 60).astype(float)})
    cur = pd.DataFrame({"count": rng.poisson(4, 25).astype(float),
                        "grade": rng.integers(1, 6, 25).astype(float)})
    compare_ks(ks_drift, ref, cur, label="small samples with ties")


def q2_empty_bins(psi_drift):
    """Current windows that leave most reference bins empty, or fall outside them."""
    rng = np.random.default_rng(9)
    ref = pd.DataFrame({"a": rng.normal(size=800), "b": rng.normal(size=800)})
    cur = pd.DataFrame({"a": rng.normal(size=300) * 0.2, "b": rng.normal(size=300) + 3})
    compare_psi(psi_drift, ref, cur, label="windows with empty bins")


def q2_many_repeated_edges(psi_drift):
    """20 bins on features with at most a handful of distinct values: most edges repeat."""
    ref, cur = tied_data()
    compare_psi(psi_drift, ref, cur, bins=20, threshold=0.2,
                label="tied data with bins=20 (many repeated edges)")


def q2_threshold_is_inclusive(psi_drift):
    """A window identical to the reference has PSI exactly 0, which is >= a threshold of 0."""
    ref, _ = tied_data()
    compare_psi(psi_drift, ref, ref.copy(), threshold=0.0,
                label="a window identical to the reference, with threshold=0")


HIDDEN = {
    "q1": (q1_small_samples_with_ties,),
    "q2": (q2_empty_bins, q2_many_repeated_edges, q2_threshold_is_inclusive),
}
