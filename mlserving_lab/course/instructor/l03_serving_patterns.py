"""Hidden (grading-only) checks of lesson 03's questions."""

from __future__ import annotations

import math

import numpy as np

from mlserving_lab.course.exercises.core import Incorrect
from mlserving_lab.course.exercises.l03_serving_patterns import (
    _FINITE_WORDS,
    _LENGTH_WORDS,
    _expect_answer,
    _expect_rejected,
    _q3_rows,
)
from mlserving_lab.course.exercises.remeasure import num


def _reports_untouched(report_1, report_32, added_ms, lower_p50):
    """A report's summary fields must be those of its own samples (not edited by hand)."""
    for name, report in (("report_1", report_1), ("report_32", report_32)):
        s = np.asarray(report.samples_ms, dtype=np.float64).ravel()
        p50 = float(np.percentile(s, 50))
        if not math.isclose(float(report.p50_ms), p50, rel_tol=1e-9, abs_tol=1e-12):
            raise Incorrect(f"`{name}.p50_ms` is {num(report.p50_ms)} ms, but its own samples "
                            f"have a p50 of {num(p50)} ms: keep the report exactly as "
                            "`predict_stream` returned it")


def _more_rows(predict_one, forest, fallback):
    """Infinity, a row one value too long, and a valid row of Python ints in a tuple."""
    n = int(forest.n_features_in_)
    good, _ = _q3_rows(forest, fallback, n)
    inf_row = good[2].copy()
    inf_row[5] = np.inf
    _expect_rejected(predict_one, inf_row, "a row with +inf in position 5", _FINITE_WORDS,
                     "that a value is infinite / not finite")
    long_row = np.r_[good[0], 0.5]
    _expect_rejected(predict_one, long_row, f"a row of {n + 1} values (the model expects {n})",
                     _LENGTH_WORDS, f"the expected and the received number of values ({n})")
    ints = tuple(int(v) for v in np.clip(np.round(good[3]), -1, 1))
    want = np.asarray(forest.predict(np.asarray([ints], dtype=float)))[0].item()
    _expect_answer(predict_one, ints, "a valid row of whole numbers given as a tuple", want,
                   "primary")


HIDDEN = {
    "q2": (_reports_untouched,),
    "q3": (_more_rows,),
}
