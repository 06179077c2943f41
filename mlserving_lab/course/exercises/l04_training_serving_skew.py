"""Check-yourself questions for notebook 04_training_serving_skew."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call

__all__ = ["EXERCISE", "q1", "q2", "q3", "q4"]

_SOURCES = {
    "normalisation": r"normali[sz]",
    "stale features": r"stale",
    "imputation": r"imput",
    "library version": r"version|librar",
}


def _fresh(n: int = 300, seed: int = 99):
    from mlserving_lab.datasets import make_mixed_dataset

    X, y = make_mixed_dataset(n, random_state=seed)
    return X, y


# ---------------------------------------------------------------------------------- q1
def _check_skew_table(skew_table):
    if not isinstance(skew_table, pd.DataFrame):
        raise Incorrect(f"`skew_table` should be a pandas DataFrame, got "
                        f"{type(skew_table).__name__}")
    need = ["mismatch_rate", "max_proba_diff", "n_features_differ"]
    missing = [c for c in need if c not in skew_table.columns]
    if missing:
        raise Incorrect(f"`skew_table` has no column {missing[0]!r}; it has "
                        f"{list(skew_table.columns)}. Build one row per scenario from "
                        "`report.to_dict()`.")
    names = [str(i) for i in skew_table.index]
    for source, pattern in _SOURCES.items():
        if not any(re.search(pattern, n, re.I) for n in names):
            raise Incorrect(f"`skew_table` has no row for the **{source}** skew source; its rows "
                            f"are {names}. Name the index after the four sources.")
    for name, row in skew_table.iterrows():
        rate, diff, nfeat = row["mismatch_rate"], row["max_proba_diff"], row["n_features_differ"]
        try:
            rate, diff, nfeat = float(rate), float(diff), float(nfeat)
        except (TypeError, ValueError):
            raise Incorrect(f"row `{name}` has a non-numeric value ({row.to_dict()})") from None
        if not 0 <= rate <= 1:
            raise Incorrect(f"row `{name}`: mismatch_rate {rate} is not a fraction between 0 "
                            "and 1")
        if not 0 <= diff <= 1:
            raise Incorrect(f"row `{name}`: max_proba_diff {diff} is not between 0 and 1 (two "
                            "probabilities cannot differ by more than 1)")
        if rate > 0 and diff == 0:
            raise Incorrect(f"row `{name}`: {rate:.1%} of labels differ but the probabilities "
                            "do not differ at all, which is impossible; recompute both from one "
                            "`check_skew` report")
        if diff == 0 and nfeat == 0:
            raise Incorrect(f"row `{name}` shows no skew at all (no label, probability or "
                            "feature differs). Did you compare the pipeline with itself instead "
                            "of the skewed serving path?")
    worst = skew_table["max_proba_diff"].astype(float).idxmax()
    return (f"Correct. Every source is caught; the largest probability difference comes from "
            f"`{worst}`. Note how some sources change few labels but many features.")


q1 = Question(
    "q1",
    prompt="Run `check_skew` for each of the four serving paths and collect the reports in "
           "`skew_table`: one row per source (index names mentioning normalisation, stale "
           "features, imputation and library version), columns `mismatch_rate`, "
           "`max_proba_diff` and `n_features_differ`.",
    answers=("skew_table",),
    checker=_check_skew_table,
    hint="`check_skew(pipeline, path, X_test).to_dict()` already has all three numbers; build "
         "a dict of those dicts and call `pd.DataFrame.from_dict(..., orient='index')`.",
    solution="rows = {name: check_skew(pipeline, path, X_test).to_dict()\n"
             "        for name, path in serving_paths.items()}\n"
             "skew_table = pd.DataFrame.from_dict(rows, orient='index')[\n"
             "    ['mismatch_rate', 'max_proba_diff', 'n_features_differ']]",
)


# ---------------------------------------------------------------------------------- q3
def _check_serve(serve, pipeline):
    from sklearn.utils.validation import check_is_fitted

    from mlserving_lab.errors import SchemaError

    if not hasattr(pipeline, "predict_proba"):
        raise Incorrect(f"`pipeline` should be the fitted training pipeline, got "
                        f"{type(pipeline).__name__}")
    try:
        check_is_fitted(pipeline)
    except Exception:  # noqa: BLE001
        raise Incorrect("`pipeline` is not fitted; pass the pipeline you trained") from None
    X, _ = _fresh()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = call(serve, X)
        expected = pipeline.predict_proba(X)
    out = np.asarray(out, dtype=float)
    if out.shape != expected.shape:
        raise Incorrect(f"`serve` returned shape {out.shape} for {len(X)} fresh rows; the "
                        f"pipeline's probabilities have shape {expected.shape}")
    diff = np.abs(out - expected)
    if not np.allclose(out, expected, rtol=0, atol=1e-12):
        n_bad = int((diff.max(axis=1) > 1e-12).sum())
        raise Incorrect(f"`serve` differs from the pipeline on {n_bad} of {len(X)} fresh rows "
                        f"(largest probability difference {np.nanmax(diff):.3f}): it still "
                        "preprocesses on its own. Let the pipeline do all the preprocessing.")
    from mlserving_lab.course.exercises.core import LearnerCodeError

    bad = X.iloc[:3].copy()
    bad["age"] = pd.Series(["forty", "31", "n/a"], index=bad.index, dtype=object)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(serve, bad)
    except LearnerCodeError as wrapped:
        exc = wrapped.__cause__ if wrapped.__cause__ is not None else wrapped
        if not isinstance(exc, SchemaError):
            raise Incorrect(f"for a batch with text in `age`, `serve` raised "
                            f"`{type(exc).__name__}: {str(exc)[:120]}` from deep inside the "
                            "model. Validate with the schema first so the error names the "
                            "column.") from None
        if getattr(exc, "column", None) != "age":
            raise Incorrect(f"`serve` rejected the bad batch but its error does not name "
                            f"'age': {exc}") from None
    else:
        raise Incorrect("`serve` accepted a batch whose `age` column holds text ('forty') and "
                        "returned predictions. Validate with the schema before predicting.")
    return "Correct: the same probabilities as training, and bad input is refused by name."


q3 = Question(
    "q3",
    prompt="Write `serve(X_raw)` that validates the raw rows with `schema` and returns the "
           "fitted `pipeline`'s probabilities. The check compares it with the pipeline on "
           "fresh rows and sends it a batch with text in `age`.",
    answers=("serve", "pipeline"),
    checker=_check_serve,
    hint="Two lines: `X = schema.validate(X_raw)` then `return pipeline.predict_proba(X)`.",
    solution="def serve(X_raw):\n    X = schema.validate(X_raw)\n"
             "    return pipeline.predict_proba(X)",
)


# ---------------------------------------------------------------------------------- q2
def _check_schema(schema):
    from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS
    from mlserving_lab.errors import MissingColumnError, SchemaError
    from mlserving_lab.schema import InputSchema

    if not isinstance(schema, InputSchema):
        raise Incorrect(f"`schema` should be an InputSchema, got {type(schema).__name__}; use "
                        "`InputSchema.from_training(X_train)`")
    expected = NUMERIC_COLUMNS + CATEGORICAL_COLUMNS
    if schema.names != expected:
        raise Incorrect(f"your schema's columns are {schema.names}; the raw training data has "
                        f"{expected}. Learn it from the raw X_train, not from preprocessed "
                        "features.")
    X, _ = _fresh(400, seed=5)
    for c in ("income", "tenure_months", "days_since_login"):
        if not schema[c].allow_missing:
            raise Incorrect(f"your schema rejects missing values in {c!r}, but the training "
                            "data has them (the pipeline imputes them). Build it from X_train "
                            "as it is, not from `X_train.dropna()`.")
    for c in CATEGORICAL_COLUMNS:
        if schema[c].kind != "categorical":
            raise Incorrect(f"your schema treats {c!r} as {schema[c].kind}; it should be "
                            "categorical (text)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema.validate(X)
    except SchemaError as exc:
        raise Incorrect(f"your schema rejects fresh rows from the same source: {exc}") from None
    try:
        schema.validate(X.drop(columns="device"))
    except MissingColumnError:
        pass
    else:
        raise Incorrect("your schema accepted a batch without the `device` column")
    return "Correct: it accepts what training saw and refuses what it did not."


q2 = Question(
    "q2",
    prompt="Learn `schema` from the raw training data.",
    answers=("schema",),
    checker=_check_schema,
    hint="`InputSchema.from_training(X_train)`: the raw frame, missing values included.",
    solution="schema = InputSchema.from_training(X_train)",
)


# ---------------------------------------------------------------------------------- q4
_Q4_ITEMS = ("preprocessing serialised with the model", "same imputer",
             "encoder handles unknown categories")


def _check_fixed(fixed_pipeline):
    from sklearn.utils.validation import check_is_fitted

    from mlserving_lab.checklist import audit_deployment

    if not hasattr(fixed_pipeline, "predict"):
        raise Incorrect(f"`fixed_pipeline` should be a fitted scikit-learn pipeline, got "
                        f"{type(fixed_pipeline).__name__}")
    try:
        check_is_fitted(fixed_pipeline)
    except Exception:  # noqa: BLE001
        raise Incorrect("`fixed_pipeline` is not fitted: call `.fit(X_train, y_train)`") \
            from None
    X, _ = _fresh(300, seed=11)
    table = audit_deployment(fixed_pipeline, X_train=X)
    failed = table[table["item"].isin(_Q4_ITEMS) & ~table["passed"]]
    if len(failed):
        row = failed.iloc[0]
        raise Incorrect(f"the audit still fails **{row['item']}**: {row['reason']}")
    X.loc[X.index[:3], "device"] = "smart_fridge"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fixed_pipeline.predict(X)
    except Exception as exc:  # noqa: BLE001
        raise Incorrect(f"`fixed_pipeline` cannot predict raw rows with an unseen device: "
                        f"{type(exc).__name__}: {str(exc)[:120]}") from None
    return "Correct: preprocessing, imputation and unknown categories all travel with the model."


q4 = Question(
    "q4",
    prompt="`fragile_pipeline` fails three checklist items. Build and fit `fixed_pipeline` on "
           "the raw `X_train` so that *preprocessing serialised*, *same imputer* and *encoder "
           "handles unknown categories* pass.",
    answers=("fixed_pipeline",),
    checker=_check_fixed,
    hint="One `Pipeline`: a `ColumnTransformer` with `SimpleImputer` + `StandardScaler` for "
         "the numeric columns and `OneHotEncoder(handle_unknown='ignore')` for the text "
         "columns, then the model. Fit it on the raw `X_train` (no `fillna` outside).",
    solution="fixed_pipeline = Pipeline([\n"
             "    ('pre', ColumnTransformer([\n"
             "        ('num', make_pipeline(SimpleImputer(strategy='median'), "
             "StandardScaler()), NUMERIC_COLUMNS),\n"
             "        ('cat', OneHotEncoder(handle_unknown='ignore'), CATEGORICAL_COLUMNS)])),\n"
             "    ('model', LogisticRegression(max_iter=1000)),\n"
             "]).fit(X_train, y_train)",
)

EXERCISE = Exercise("l04_training_serving_skew", [q1, q2, q3, q4])
