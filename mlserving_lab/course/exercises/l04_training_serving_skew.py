"""Check-yourself questions for notebook 04_training_serving_skew (1 point each).

* q1: the learner writes the imputation serving path and measures every path's skew; the
  checker calls the paths on the test rows and on rows of its own and recomputes the table;
* q2: the learner writes ``learn_schema``; the checker calls it on a frame of its own and
  compares ``schema`` with the facts of the lesson's training rows (test-set learning shows);
* q3: ``serve`` validates with the learner's schema; the checker sends valid and invalid
  batches of its choosing;
* q4: ``fixed_pipeline``: fitted on the raw training rows, checklist items, unseen categories.

The lesson's data is :func:`mlserving_lab.datasets.make_mixed_split` ``(2000,
random_state=0)``; the checkers rebuild it (it is seeded), so they know which rows were
training rows and which were test rows.
"""

from __future__ import annotations

import functools
import math
import re
import warnings

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import (
    Exercise,
    Incorrect,
    LearnerCodeError,
    Question,
    call,
)
from mlserving_lab.course.exercises.remeasure import num

__all__ = ["EXERCISE", "SERVING_PATH_NAMES", "q1", "q2", "q3", "q4"]

#: The serving paths of q1, in the order of the lesson.
SERVING_PATH_NAMES = ("normalisation", "stale features", "imputation")


@functools.lru_cache(maxsize=1)
def _lesson_split():
    from mlserving_lab.datasets import make_mixed_split

    return make_mixed_split(2000, random_state=0)


def _fresh(n: int = 300, seed: int = 99):
    from mlserving_lab.datasets import make_mixed_dataset

    X, y = make_mixed_dataset(n, random_state=seed)
    return X, y


def _columns():
    from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

    return list(NUMERIC_COLUMNS), list(CATEGORICAL_COLUMNS)


def _fitted_pipeline(pipeline, name: str = "pipeline"):
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(pipeline, Pipeline) or not callable(getattr(pipeline, "predict_proba",
                                                                  None)):
        raise Incorrect(f"`{name}` should be the fitted training Pipeline, got "
                        f"{type(pipeline).__name__}")
    try:
        check_is_fitted(pipeline)
    except Exception:  # noqa: BLE001
        raise Incorrect(f"`{name}` is not fitted; pass the pipeline you trained") from None
    return pipeline


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def _dense(Z) -> np.ndarray:
    if hasattr(Z, "toarray"):
        Z = Z.toarray()
    return np.asarray(Z, dtype=np.float64)


# ---------------------------------------------------------------------------------- q1
def _path_outputs(path, name, X):
    """The path's features and probabilities for raw rows X (its function called via call)."""
    Z = call(path.preprocess, X)
    try:
        Z = _dense(Z)
    except (TypeError, ValueError):
        raise Incorrect(f"the `{name}` path's preprocessing returned {type(Z).__name__}; it "
                        "should return the model's numeric input features") from None
    if Z.ndim != 2 or Z.shape[0] != len(X):
        raise Incorrect(f"the `{name}` path's preprocessing returned shape {Z.shape} for "
                        f"{len(X)} rows: one row of features per raw row")
    try:
        proba = np.asarray(_quiet(path.model.predict_proba, Z), dtype=np.float64)
    except Exception as exc:  # noqa: BLE001 - a wrong feature count, text, ...
        raise Incorrect(f"the model of the `{name}` path cannot score its features: "
                        f"{type(exc).__name__}: {str(exc)[:120]}") from None
    return Z, proba


def _check_imputation_path(path, pipeline):
    numeric, _ = _columns()
    pre = pipeline[:-1]
    X_a, _ = _fresh(240, seed=41)
    X_b, _ = _fresh(240, seed=42)
    Z, _ = _path_outputs(path, "imputation", X_a)
    want = _dense(_quiet(pre.transform, X_a.fillna({c: 0.0 for c in numeric})))
    if Z.shape == want.shape and np.allclose(Z, want, rtol=0, atol=1e-9, equal_nan=True):
        return
    Z_b, _ = _path_outputs(path, "imputation", X_b)
    if Z_b.shape == Z.shape and np.allclose(Z, Z_b, equal_nan=True):
        raise Incorrect("your `fill_with_zero` returns the same features for two different "
                        f"sets of {len(X_a)} rows: it ignores its input. Fill and transform "
                        "the `X_raw` it is given.")
    if Z.shape != want.shape:
        raise Incorrect(f"`fill_with_zero` returns {Z.shape[1]} features per row, the "
                        f"pipeline's preprocessing makes {want.shape[1]}: fill the missing "
                        "numbers with 0, then call the fitted preprocessing (`pre.transform`)")
    missing = X_a[numeric].isna().any(axis=1).to_numpy()
    bad = ~np.isclose(Z, want, rtol=0, atol=1e-9).all(axis=1)
    where = "rows with a missing value" if bad[missing].any() and not bad[~missing].any() \
        else "rows"
    raise Incorrect(f"on {int(bad.sum())} of {len(X_a)} checker {where}, `fill_with_zero` "
                    "gives other features than filling the missing numbers with 0 and running "
                    "the fitted preprocessing (`pre.transform`)")


def _labels(proba, classes):
    return np.asarray(classes)[np.argmax(proba, axis=1)]


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _check_skew_table(skew_table, serving_paths, pipeline):
    from mlserving_lab.skew import ServingPath

    pipeline = _fitted_pipeline(pipeline)
    if not isinstance(serving_paths, dict):
        raise Incorrect(f"`serving_paths` should be the dict {{name: ServingPath}}, got "
                        f"{type(serving_paths).__name__}")
    paths = {str(k): v for k, v in serving_paths.items()}
    missing = [n for n in SERVING_PATH_NAMES if n not in paths]
    if missing:
        raise Incorrect(f"`serving_paths` has no entry {missing[0]!r}; it has {list(paths)}")
    for name in SERVING_PATH_NAMES:
        if not isinstance(paths[name], ServingPath):
            raise Incorrect(f"`serving_paths[{name!r}]` should be a ServingPath(preprocess, "
                            f"model), got {type(paths[name]).__name__}")
    if not isinstance(skew_table, pd.DataFrame):
        raise Incorrect(f"`skew_table` should be a pandas DataFrame, got "
                        f"{type(skew_table).__name__}")
    for col in ("mismatch_rate", "max_proba_diff"):
        if col not in [str(c) for c in skew_table.columns]:
            raise Incorrect(f"`skew_table` has no column {col!r}; it has "
                            f"{[str(c) for c in skew_table.columns]}")
    table = skew_table.copy()
    table.index = [str(i) for i in table.index]
    table.columns = [str(c) for c in table.columns]
    for name in SERVING_PATH_NAMES:
        if name not in table.index:
            raise Incorrect(f"`skew_table` has no row {name!r}; its rows are "
                            f"{list(table.index)}. Use the names of `serving_paths`.")

    _check_imputation_path(paths["imputation"], pipeline)
    X_check, _ = _fresh(200, seed=43)
    model_in = _dense(_quiet(pipeline[:-1].transform, X_check))
    reference = np.asarray(_quiet(pipeline.predict_proba, X_check))
    for name in SERVING_PATH_NAMES:
        model = paths[name].model
        try:
            theirs = np.asarray(_quiet(model.predict_proba, model_in))
        except Exception:  # noqa: BLE001
            theirs = None
        if theirs is None or theirs.shape != reference.shape or not np.allclose(
                theirs, reference, rtol=0, atol=1e-12):
            raise Incorrect(f"the `{name}` path's model is not the pipeline's fitted model: on "
                            "the same features it gives other probabilities. A skewed path "
                            "keeps the trained model and differs only in its preprocessing.")

    _, X_test, _, _ = _lesson_split()
    p_train = np.asarray(_quiet(pipeline.predict_proba, X_test), dtype=np.float64)
    classes = pipeline.classes_
    for name in SERVING_PATH_NAMES:
        _, p_serve = _path_outputs(paths[name], name, X_test)
        if p_serve.shape != p_train.shape:
            raise Incorrect(f"the `{name}` path gives probabilities of shape {p_serve.shape}, "
                            f"the pipeline {p_train.shape}")
        differ = _labels(p_train, classes) != _labels(p_serve, classes)
        rates = {float(differ.mean())}
        if p_train.shape[1] == 2:  # labels read as "p1 >= 0.5" also count (ties)
            rates.add(float(np.mean((p_train[:, 1] >= 0.5) != (p_serve[:, 1] >= 0.5))))
        diff = np.abs(p_train - p_serve)
        max_diff, mean_diff = float(np.nanmax(diff)), float(np.nanmean(diff))
        row = table.loc[name]
        try:
            rate, got_diff = float(row["mismatch_rate"]), float(row["max_proba_diff"])
        except (TypeError, ValueError):
            raise Incorrect(f"row `{name}` of `skew_table` is not numeric: "
                            f"{row.to_dict()}") from None
        if not any(_close(rate, r) for r in rates):
            want = float(differ.mean())
            if _close(rate, 100 * want):
                why = " It looks like a percentage: use a fraction between 0 and 1."
            elif _close(rate, float(differ.sum())):
                why = " That is the number of rows: divide by the number of rows."
            else:
                why = (" Measure it: run the pipeline and the path on the same rows "
                       "(X_test) and compare their labels.")
            raise Incorrect(f"row `{name}`: your mismatch_rate is {num(rate)}, but on X_test "
                            f"the path and the pipeline give different labels on "
                            f"{int(differ.sum())} of {len(differ)} rows ({num(want)}).{why}")
        if not _close(got_diff, max_diff):
            if _close(got_diff, mean_diff):
                why = " That is the mean difference; the question asks for the largest."
            else:
                why = (" Take the largest absolute difference between the two probability "
                       "tables (`np.abs(p_train - p_serve).max()`), on X_test.")
            raise Incorrect(f"row `{name}`: your max_proba_diff is {num(got_diff)}, but on "
                            f"X_test the probabilities of the path and the pipeline differ "
                            f"by at most {num(max_diff)}.{why}")
    rates = {n: float(table.loc[n, "mismatch_rate"]) for n in SERVING_PATH_NAMES}
    quiet = min(rates, key=rates.get)
    return (f"Correct: your numbers are what the paths do on X_test. `{quiet}` flips only "
            f"{num(100 * rates[quiet])} % of the labels, yet moves some probabilities by "
            f"{num(float(table.loc[quiet, 'max_proba_diff']))}: the mismatch rate alone "
            "understates skew.")


# ---------------------------------------------------------------------------------- q2
def _schema_frame():
    """A small frame the checker hands to `learn_schema`."""
    return pd.DataFrame({
        "size": [2.5, np.nan, -1.25, 7.0, 3.0, np.nan],
        "count": np.array([3, 1, 4, 1, 5, 9], dtype="int64"),
        "colour": pd.Series(["red", "blue", None, "red", "green", "blue"], dtype="str"),
        "shape": pd.Series(["round", "square", "round", "round", "square", "round"],
                           dtype="str"),
    }, index=[10, 3, 7, 1, 8, 2])


def _facts(X: pd.DataFrame) -> dict:
    numeric = set(_numeric_names(X))
    out = {}
    for c in X.columns:
        s = X[c]
        if c in numeric:
            out[str(c)] = {"kind": "numeric", "min": float(s.min()), "max": float(s.max()),
                           "allow_missing": bool(s.isna().any())}
        else:
            out[str(c)] = {"kind": "categorical",
                           "categories": {str(v) for v in s.dropna().unique()},
                           "allow_missing": bool(s.isna().any())}
    return out


def _numeric_names(X):
    return [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])
            and not pd.api.types.is_bool_dtype(X[c])]


def _spec_problem(spec, fact, col: str, where: str):
    """Why the learner's spec of one column differs from the facts, or None."""
    if not isinstance(spec, dict):
        return f"column {col!r}: its entry should be a dict, got {type(spec).__name__}"
    kind = str(spec.get("kind", ""))
    if kind != fact["kind"]:
        return (f"column {col!r} is {fact['kind']} in {where}, but your schema says kind "
                f"{kind!r}")
    if "allow_missing" not in spec or not isinstance(spec["allow_missing"], (bool, np.bool_)):
        return f"column {col!r}: `allow_missing` should be True or False"
    if bool(spec["allow_missing"]) != fact["allow_missing"]:
        has = "has" if fact["allow_missing"] else "has no"
        return (f"column {col!r} {has} missing values in {where}, but your schema says "
                f"allow_missing={bool(spec['allow_missing'])}")
    if kind == "numeric":
        for key in ("min", "max"):
            try:
                value = float(spec[key])
            except (KeyError, TypeError, ValueError):
                return f"column {col!r}: `{key}` should be a number"
            if math.isnan(value):
                return (f"column {col!r}: your `{key}` is NaN; take it over the values that "
                        "are present (`Series.min()` / `.max()` skip missing values)")
            if not math.isclose(value, fact[key], rel_tol=1e-9, abs_tol=1e-12):
                return (f"column {col!r}: your {key} is {num(value)}, but in {where} it is "
                        f"{num(fact[key])}")
        return None
    cats = spec.get("categories")
    if cats is None or isinstance(cats, (str, dict)) or not hasattr(cats, "__iter__"):
        return f"column {col!r}: `categories` should be a list of the values seen"
    values = list(cats)
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
        return (f"column {col!r}: your categories include a missing value; list only the "
                "values that are present (missing ones are what `allow_missing` is for)")
    got = {str(v) for v in values}
    if got != fact["categories"]:
        extra, lacking = sorted(got - fact["categories"]), sorted(fact["categories"] - got)
        parts = ([f"it lacks {lacking}"] if lacking else []) + (
            [f"{where} has no {extra}"] if extra else [])
        return f"column {col!r}: your categories differ: {'; '.join(parts)}"
    return None


def _check_schema_dict(schema, where_facts, where: str):
    if not isinstance(schema, dict):
        raise Incorrect(f"the schema should be a dict {{column: spec}}, got "
                        f"{type(schema).__name__}")
    got = {str(k): v for k, v in schema.items()}
    missing = [c for c in where_facts if c not in got]
    if missing:
        raise Incorrect(f"your schema of {where} has no entry for column {missing[0]!r}; "
                        f"it has {list(got)}")
    extra = [c for c in got if c not in where_facts]
    if extra:
        raise Incorrect(f"your schema of {where} has column {extra[0]!r}, which is not in it "
                        "(learn it from the raw frame, not from preprocessed features)")
    problems = [p for c, f in where_facts.items() if (p := _spec_problem(got[c], f, c, where))]
    return got, problems


def _check_schema(learn_schema, schema):
    frame = _schema_frame()
    out = call(learn_schema, frame)
    _, problems = _check_schema_dict(out, _facts(frame), "the checker's frame")
    if problems:
        raise Incorrect(f"`learn_schema` on a small frame of the checker's: {problems[0]}")
    X_train, X_test, _, _ = _lesson_split()
    train = _facts(X_train)
    got, problems = _check_schema_dict(schema, train, "X_train")
    if problems:
        for other, label in ((X_test, "X_test"), (pd.concat([X_train, X_test]),
                                                  "X_train and X_test together")):
            if not _check_schema_dict(schema, _facts(other), label)[1]:
                raise Incorrect(f"`schema` matches {label}, not X_train ({problems[0]}). "
                                "Learn it from the training rows only: the test set stands for "
                                "data you do not have yet.")
        dropped = X_train.dropna()
        if not _check_schema_dict(schema, _facts(dropped), "X_train.dropna()")[1]:
            raise Incorrect(f"`schema` was learned from X_train without its rows that have "
                            f"missing values ({problems[0]}). Learn it from X_train as it is.")
        raise Incorrect(f"`schema` = learn_schema(X_train)? {problems[0]}")
    return ("Correct: your schema records what the training rows looked like: kinds, ranges, "
            "categories and where values may be missing.")


# ---------------------------------------------------------------------------------- q3
def _valid_rows():
    """Fresh rows inside the training ranges and categories (nothing a strict schema could
    refuse), with columns and index shuffled."""
    X_train = _lesson_split()[0]
    numeric, categorical = _columns()
    X, _ = _fresh(300, seed=99)
    keep = np.ones(len(X), dtype=bool)
    for c in numeric:
        s = X[c]
        inside = s.between(X_train[c].min(), X_train[c].max())
        keep &= (inside | (s.isna() & bool(X_train[c].isna().any()))).to_numpy()
    for c in categorical:
        keep &= X[c].isin(set(X_train[c].dropna())).to_numpy()
    X = X[keep].head(120)
    order = np.random.default_rng(7).permutation(len(X))
    X = X.iloc[order]
    return X[list(reversed(X.columns))]


def _bad_batches():
    X = _valid_rows().head(5)
    no_income = X.drop(columns="income")
    text_age = X.copy()
    text_age["age"] = pd.Series(["forty", "31", "n/a", "52", "x"], index=X.index,
                                dtype=object)
    nan_age = X.copy()
    nan_age["age"] = np.nan
    return [("a batch without the `income` column", no_income, "income"),
            ("a batch with text ('forty') in `age`", text_age, "age"),
            ("a batch with NaN in `age`, which training never had missing", nan_age, "age")]


def _expect_refused(serve, what, batch, column):
    try:
        out = _quiet(call, serve, batch)
    except LearnerCodeError as wrapped:
        exc = wrapped.__cause__
        text = str(exc) if exc is not None else str(wrapped)
        if exc is not None and not isinstance(exc, (ValueError, TypeError)):
            raise Incorrect(f"for {what}, `serve` raised `{type(exc).__name__}`; raise a "
                            "ValueError (or TypeError) whose message names the column") \
                from None
        if not re.search(rf"\b{re.escape(column)}\b", text):
            raise Incorrect(f"for {what}, `serve` raised an error that does not name "
                            f"{column!r}: {text[:160]!r}. Check the batch against your schema "
                            "before the pipeline sees it, and name the column.") from None
        return
    shape = getattr(np.asarray(out, dtype=object), "shape", "?")
    raise Incorrect(f"`serve` accepted {what} and returned an answer of shape {shape}. "
                    "Validate with your schema first, and raise a ValueError that names the "
                    "column.")


def _check_serve(serve, pipeline):
    pipeline = _fitted_pipeline(pipeline)
    X = _valid_rows()
    out = _quiet(call, serve, X)
    expected = np.asarray(_quiet(pipeline.predict_proba, X))
    try:
        got = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect(f"`serve` returned {type(out).__name__}; it should return the "
                        "pipeline's probability table") from None
    if got.shape != expected.shape:
        raise Incorrect(f"`serve` returned shape {got.shape} for {len(X)} valid fresh rows "
                        f"(columns in another order, shuffled index); the pipeline's "
                        f"probabilities have shape {expected.shape}")
    if not np.allclose(got, expected, rtol=0, atol=1e-12):
        n_bad = int((np.abs(got - expected).max(axis=1) > 1e-12).sum())
        raise Incorrect(f"`serve` differs from `pipeline.predict_proba` on {n_bad} of {len(X)} "
                        "valid fresh rows (their columns come in another order and the index "
                        "is shuffled): return the pipeline's probabilities for the rows in "
                        "the order given, and do no preprocessing of your own.")
    for what, batch, column in _bad_batches():
        _expect_refused(serve, what, batch, column)
    return ("Correct: the same probabilities as the pipeline on valid rows, and bad batches "
            "are refused with an error that names the column.")


# ---------------------------------------------------------------------------------- q4
_Q4_ITEMS = ("preprocessing serialised with the model", "same imputer",
             "encoder handles unknown categories")


def _walk(est):
    yield est
    for _, step in getattr(est, "steps", None) or []:
        if hasattr(step, "get_params"):
            yield from _walk(step)
    for t in getattr(est, "transformers_", None) or []:
        if len(t) >= 2 and hasattr(t[1], "get_params"):
            yield from _walk(t[1])


def _rows_seen(fixed_pipeline):
    """How many rows the pipeline's preprocessing was fitted on, when it tells."""
    for est in _walk(fixed_pipeline):
        n = getattr(est, "n_samples_seen_", None)
        if n is not None:
            return int(np.max(np.asarray(n)))
    return None


def _check_fixed(fixed_pipeline):
    from sklearn.utils.validation import check_is_fitted

    from mlserving_lab.checklist import audit_deployment

    if not hasattr(fixed_pipeline, "predict") or not hasattr(fixed_pipeline, "get_params"):
        raise Incorrect(f"`fixed_pipeline` should be a fitted scikit-learn pipeline, got "
                        f"{type(fixed_pipeline).__name__}")
    try:
        check_is_fitted(fixed_pipeline)
    except Exception:  # noqa: BLE001
        raise Incorrect("`fixed_pipeline` is not fitted: call `.fit(X_train, y_train)`") \
            from None
    X_train, X_test, _, _ = _lesson_split()
    numeric, categorical = _columns()
    names = getattr(fixed_pipeline, "feature_names_in_", None)
    if names is not None and sorted(str(n) for n in names) != sorted(numeric + categorical):
        raise Incorrect(f"`fixed_pipeline` was fitted on the columns {[str(n) for n in names]}"
                        f"; fit it on the raw X_train ({numeric + categorical}), so that its "
                        "own steps do the preprocessing")
    seen = _rows_seen(fixed_pipeline)
    if seen is not None and seen != len(X_train):
        if seen == len(X_test):
            why = "that is X_test"
        elif seen == len(X_train) + len(X_test):
            why = "that is X_train and X_test together"
        else:
            why = f"X_train has {len(X_train)}"
        raise Incorrect(f"the preprocessing of `fixed_pipeline` was fitted on {seen} rows; "
                        f"{why}. Fit it on X_train only.")
    X, _ = _fresh(300, seed=11)
    table = audit_deployment(fixed_pipeline, X_train=X)
    failed = table[table["item"].isin(_Q4_ITEMS) & ~table["passed"]]
    if len(failed):
        row = failed.iloc[0]
        raise Incorrect(f"the audit still fails **{row['item']}**: {row['reason']}")
    X.loc[X.index[:3], "device"] = "smart_fridge"
    try:
        _quiet(fixed_pipeline.predict, X)
    except Exception as exc:  # noqa: BLE001
        raise Incorrect(f"`fixed_pipeline` cannot predict raw rows with an unseen device: "
                        f"{type(exc).__name__}: {str(exc)[:120]}") from None
    return "Correct: preprocessing, imputation and unknown categories all travel with the model."


# ---------------------------------------------------------------------------------- questions
q1 = Question(
    "q1",
    prompt=("Write `fill_with_zero(X_raw)`, the imputation serving path's preprocessing: fill "
            "every missing number with 0, then run the fitted preprocessing `pre`. Then "
            "measure the skew of each path in `serving_paths` yourself, on `X_test`: "
            "`mismatch_rate` is the fraction (0 to 1) of rows whose predicted label differs "
            "between `pipeline` and the path, `max_proba_diff` the largest absolute difference "
            "between their probability tables. One row per path in `skew_table`, indexed by "
            "the names of `serving_paths`."),
    answers=("skew_table", "serving_paths", "pipeline"),
    checker=_check_skew_table,
    hint=("For each path: `p_train = pipeline.predict_proba(X_test)`, `p_serve = "
          "path.predict_proba(X_test)`; labels are `p.argmax(axis=1)`; then "
          "`np.mean(labels differ)` and `np.abs(p_train - p_serve).max()`."),
)

q2 = Question(
    "q2",
    prompt=("Write `learn_schema(X)`: a dict with one entry per column of `X`. A numeric column "
            "gets `{'kind': 'numeric', 'min': ..., 'max': ..., 'allow_missing': ...}` (min and "
            "max over the values present); a text column `{'kind': 'categorical', "
            "'categories': [...], 'allow_missing': ...}` (the distinct values present, any "
            "order). `allow_missing` is True when the column has a missing value. Then learn "
            "`schema` from the raw training data."),
    answers=("learn_schema", "schema"),
    checker=_check_schema,
    hint=("`pd.api.types.is_numeric_dtype(X[c])` tells the kinds apart; `X[c].min()`, "
          "`X[c].max()`, `X[c].dropna().unique().tolist()` and `X[c].isna().any()` give the "
          "rest. Cast numpy values with `float(...)` / `bool(...)`."),
)

q3 = Question(
    "q3",
    prompt=("Write `serve(X_raw)`: check the batch against your `schema` first (every schema "
            "column present; numeric columns hold numbers; no missing value where training "
            "had none) and raise `ValueError` naming the offending column; then return "
            "`pipeline.predict_proba(X_raw)`. Out-of-range numbers and unseen categories: your "
            "choice (the check does not send them)."),
    answers=("serve", "pipeline"),
    checker=_check_serve,
    hint=("Loop over `schema.items()`: `if col not in X_raw.columns: raise ValueError(...)`; "
          "for numeric columns `pd.api.types.is_numeric_dtype(X_raw[col])`; and "
          "`X_raw[col].isna().any() and not spec['allow_missing']`."),
)

q4 = Question(
    "q4",
    prompt=("`fragile_pipeline` fails three checklist items. Build `fixed_pipeline` and fit it "
            "on the raw `X_train` (not on X_test) so that *preprocessing serialised*, *same "
            "imputer* and *encoder handles unknown categories* pass."),
    answers=("fixed_pipeline",),
    checker=_check_fixed,
    hint=("One `Pipeline`: a `ColumnTransformer` with `SimpleImputer` + `StandardScaler` for "
          "the numeric columns and `OneHotEncoder(handle_unknown='ignore')` for the text "
          "columns, then the model. Fit it on the raw `X_train` (no `fillna` outside)."),
)

EXERCISE = Exercise("l04_training_serving_skew", [q1, q2, q3, q4])
