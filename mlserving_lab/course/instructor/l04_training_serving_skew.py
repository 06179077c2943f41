"""Hidden (grading-only) checks of lesson 04's questions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import Incorrect, call
from mlserving_lab.course.exercises.l04_training_serving_skew import (
    _check_schema_dict,
    _expect_refused,
    _facts,
    _lesson_split,
    _valid_rows,
    _walk,
)
from mlserving_lab.course.exercises.remeasure import num


def _second_frame(learn_schema, schema):
    """`learn_schema` on another frame: a float column without gaps, negative numbers only,
    and a text column whose every value is the same."""
    frame = pd.DataFrame({
        "temperature": [-3.5, -0.25, -12.0, -7.75],
        "city": pd.Series(["Oslo", "Oslo", "Oslo", "Oslo"], dtype="str"),
    }, index=["d", "b", "a", "c"])
    out = call(learn_schema, frame)
    _, problems = _check_schema_dict(out, _facts(frame), "the checker's second frame")
    if problems:
        raise Incorrect(f"`learn_schema` on another small frame of the checker's: "
                        f"{problems[0]}")


def _more_bad_batches(serve, pipeline):
    X = _valid_rows().head(4)
    nan_plan = X.copy()
    nan_plan["plan"] = pd.Series([np.nan, "basic", "premium", np.nan], index=X.index,
                                 dtype="str")
    no_device = X.drop(columns="device")
    for what, batch, column in (
            ("a batch with missing values in `plan`, which training never had missing",
             nan_plan, "plan"),
            ("a batch without the `device` column", no_device, "device")):
        _expect_refused(serve, what, batch, column)


def _imputer_fitted_on_train(fixed_pipeline):
    """A mean/median imputer's fill values must be X_train's, not X_test's."""
    X_train, X_test, _, _ = _lesson_split()
    both = pd.concat([X_train, X_test])
    for est in _walk(fixed_pipeline):
        if type(est).__name__ != "SimpleImputer" or est.strategy not in ("mean", "median"):
            continue
        names = getattr(est, "feature_names_in_", None)
        if names is None:
            continue
        names = [str(n) for n in names]
        if not all(n in X_train.columns for n in names):
            continue
        stats = np.asarray(est.statistics_, dtype=float)

        def stat(X, names=names, strategy=est.strategy):
            return np.asarray(getattr(X[names], strategy)(), dtype=float)

        if np.allclose(stats, stat(X_train), equal_nan=True):
            continue
        for other, label in ((X_test, "X_test"), (both, "X_train and X_test together")):
            if np.allclose(stats, stat(other), equal_nan=True):
                raise Incorrect(f"the {est.strategy} imputer of `fixed_pipeline` fills with the "
                                f"{est.strategy}s of {label} (e.g. {names[0]!r}: "
                                f"{num(stats[0])}, X_train's is {num(stat(X_train)[0])}). "
                                "Fit it on X_train only.")


HIDDEN = {
    "q2": (_second_frame,),
    "q3": (_more_bad_batches,),
    "q4": (_imputer_fitted_on_train,),
}
