"""Both-ways tests for the lesson 04 check-yourself questions (realistic wrong answers fail with
a specific message; every form the prompts allow passes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.l04_training_serving_skew import EXERCISE, q1, q2, q3, q4
from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, make_mixed_split
from mlserving_lab.schema import InputSchema
from mlserving_lab.skew import ServingPath, check_skew


@pytest.fixture(scope="module")
def data():
    return make_mixed_split(2000, random_state=0)  # the lesson's data


def _pre():
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         NUMERIC_COLUMNS),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         CATEGORICAL_COLUMNS)])


@pytest.fixture(scope="module")
def pipeline(data):
    X_train, _, y_train, _ = data
    return Pipeline([("pre", _pre()), ("model", RandomForestClassifier(
        n_estimators=20, random_state=0, n_jobs=1))]).fit(X_train, y_train)


@pytest.fixture(scope="module")
def paths(pipeline):
    pre, model = pipeline.named_steps["pre"], pipeline.named_steps["model"]

    def by_max(X):
        Z = pre.transform(X)
        return Z / np.abs(Z).max(axis=0).clip(min=1e-9)

    def stale(X):
        return pre.transform(X.assign(days_since_login=(X.days_since_login - 1).clip(lower=0)))

    def fill_with_zero(X):
        return pre.transform(X.fillna({c: 0.0 for c in NUMERIC_COLUMNS}))

    return {"normalisation": ServingPath(by_max, model),
            "stale features": ServingPath(stale, model),
            "imputation": ServingPath(fill_with_zero, model)}


def _measure(pipeline, paths, X):
    rows = {}
    for name, path in paths.items():
        p_t, p_s = pipeline.predict_proba(X), path.predict_proba(X)
        rows[name] = {"mismatch_rate": np.mean(p_t.argmax(1) != p_s.argmax(1)),
                      "max_proba_diff": np.abs(p_t - p_s).max(),
                      "mean_proba_diff": np.abs(p_t - p_s).mean(),
                      "n_mismatched": int(np.sum(p_t.argmax(1) != p_s.argmax(1)))}
    return pd.DataFrame(rows).T


@pytest.fixture(scope="module")
def skew_table(pipeline, paths, data):
    return _measure(pipeline, paths, data[1])


def test_exercise_shape():
    assert EXERCISE.name == "l04_training_serving_skew"
    assert [q.name for q in EXERCISE] == ["q1", "q2", "q3", "q4"]
    assert all(q.points == 1 and q._solution is None for q in EXERCISE)


# ---------------------------------------------------------------------------------- q1
def test_q1_correct_and_alternatives(skew_table, paths, pipeline, data):
    table = skew_table[["mismatch_rate", "max_proba_diff"]]
    assert_check_passed(q1, table, paths, pipeline)
    assert_check_passed(q1, skew_table, paths, pipeline)  # extra columns
    assert_check_passed(q1, table.iloc[::-1], paths, pipeline)  # reordered index
    library = pd.DataFrame({n: check_skew(pipeline, p, data[1]).to_dict()
                            for n, p in paths.items()}).T
    assert_check_passed(q1, library, paths, pipeline)  # the library's own numbers
    assert_check_failed(q1, ____, paths, pipeline, outcome="not_attempted")


def test_q1_numbers_not_measured(skew_table, paths, pipeline, data):
    table = skew_table[["mismatch_rate", "max_proba_diff"]]
    typed = table.assign(mismatch_rate=[0.05, 0.02, 0.01])
    assert_check_failed(q1, typed, paths, pipeline, match="your mismatch_rate is")
    pct = table.assign(mismatch_rate=100 * table["mismatch_rate"])
    assert_check_failed(q1, pct, paths, pipeline, match="percentage")
    counts = table.assign(mismatch_rate=skew_table["n_mismatched"].astype(float))
    assert_check_failed(q1, counts, paths, pipeline, match="number of rows")
    means = table.assign(max_proba_diff=skew_table["mean_proba_diff"])
    assert_check_failed(q1, means, paths, pipeline, match="mean difference")
    on_train = _measure(pipeline, paths, data[0])[["mismatch_rate", "max_proba_diff"]]
    assert_check_failed(q1, on_train, paths, pipeline, match="on X_test")
    assert_check_failed(q1, table.drop(index="stale features"), paths, pipeline,
                        match="no row 'stale features'")
    assert_check_failed(q1, table.drop(columns="max_proba_diff"), paths, pipeline,
                        match="no column 'max_proba_diff'")
    assert_check_failed(q1, table.to_dict(), paths, pipeline, match="DataFrame")


def test_q1_wrong_imputation_paths(skew_table, paths, pipeline, data):
    table = skew_table[["mismatch_rate", "max_proba_diff"]]
    pre, model = pipeline.named_steps["pre"], pipeline.named_steps["model"]
    X_test = data[1]
    frozen = pre.transform(X_test.fillna(0.0))

    def ignores_input(X_raw):
        return frozen

    assert_check_failed(q1, table, dict(paths, imputation=ServingPath(ignores_input, model)),
                        pipeline, match="for 240 rows: one row of features per raw row")
    first = pre.transform(X_test.iloc[:240].fillna(0.0))

    def same_rows_every_time(X_raw):
        return first

    assert_check_failed(q1, table, dict(paths, imputation=ServingPath(same_rows_every_time,
                                                                      model)),
                        pipeline, match="ignores its input")
    median_fill = ServingPath(lambda X: pre.transform(X), model)  # no skew at all
    assert_check_failed(q1, table, dict(paths, imputation=median_fill), pipeline,
                        match="other features than filling the missing numbers with 0")
    X_train, _, y_train, _ = data
    other = RandomForestClassifier(n_estimators=5, random_state=1).fit(
        pre.transform(X_train.fillna(0.0)), y_train)
    different_model = ServingPath(paths["imputation"].preprocess, other)
    assert_check_failed(q1, table, dict(paths, imputation=different_model), pipeline,
                        match="not the pipeline's fitted model")

    def blank(X_raw):
        return ____

    assert_check_failed(q1, table, dict(paths, imputation=ServingPath(blank, model)),
                        pipeline, outcome="not_attempted")
    assert_check_failed(q1, table, {k: v for k, v in paths.items() if k != "imputation"},
                        pipeline, match="no entry 'imputation'")
    assert_check_failed(q1, table, dict(paths, imputation=model), pipeline,
                        match="should be a ServingPath")
    assert_check_failed(q1, table, paths, LogisticRegression(), match="training Pipeline")


# ---------------------------------------------------------------------------------- q2
def learn_schema(X):
    out = {}
    for c in X.columns:
        s = X[c]
        if pd.api.types.is_numeric_dtype(s):
            out[c] = {"kind": "numeric", "min": float(s.min()), "max": float(s.max()),
                      "allow_missing": bool(s.isna().any())}
        else:
            out[c] = {"kind": "categorical", "categories": sorted(s.dropna().unique().tolist()),
                      "allow_missing": bool(s.isna().any())}
    return out


def test_q2_correct_and_alternatives(data):
    X_train = data[0]
    assert_check_passed(q2, learn_schema, learn_schema(X_train))

    def numpy_values(X):  # numpy scalars, tuples, an extra "dtype" key
        out = {}
        for c in X.columns:
            s = X[c]
            if pd.api.types.is_numeric_dtype(s):
                out[c] = {"kind": "numeric", "min": s.min(), "max": s.max(),
                          "allow_missing": s.isna().any(), "dtype": str(s.dtype)}
            else:
                out[c] = {"kind": "categorical", "categories": tuple(s.dropna().unique()),
                          "allow_missing": s.isna().any(), "dtype": str(s.dtype)}
        return out

    assert_check_passed(q2, numpy_values, numpy_values(X_train))
    assert_check_failed(q2, learn_schema, ____, outcome="not_attempted")


def test_q2_wrong_data(data):
    X_train, X_test, _, _ = data
    assert_check_failed(q2, learn_schema, learn_schema(X_test), match="matches X_test")
    assert_check_failed(q2, learn_schema, learn_schema(pd.concat([X_train, X_test])),
                        match="X_train and X_test together")
    assert_check_failed(q2, learn_schema, learn_schema(X_train.dropna()),
                        match="without its rows that have missing values")
    assert_check_failed(q2, learn_schema, learn_schema(X_train.iloc[:200]),
                        match="in X_train it is")
    pre = _pre().set_output(transform="pandas").fit(X_train)
    assert_check_failed(q2, learn_schema, learn_schema(pre.transform(X_train)),
                        match="no entry for column")
    assert_check_failed(q2, learn_schema, InputSchema.from_training(X_train),
                        match="should be a dict")


def test_q2_wrong_mechanism(data):
    X_train = data[0]

    def numpy_min(X):  # NaN leaks into min / max
        out = learn_schema(X)
        for c, spec in out.items():
            if spec["kind"] == "numeric":
                spec["min"], spec["max"] = float(X[c].to_numpy().min()), float(
                    X[c].to_numpy().max())
        return out

    assert_check_failed(q2, numpy_min, learn_schema(X_train), match="NaN")

    def nan_category(X):
        out = learn_schema(X)
        for c, spec in out.items():
            if spec["kind"] == "categorical":
                spec["categories"] = X[c].unique().tolist()
        return out

    assert_check_failed(q2, nan_category, learn_schema(X_train), match="missing value")

    def never_missing(X):
        return {c: dict(s, allow_missing=False) for c, s in learn_schema(X).items()}

    assert_check_failed(q2, never_missing, learn_schema(X_train), match="has missing values")

    def all_numeric(X):
        return {c: {"kind": "numeric", "min": 0.0, "max": 1.0, "allow_missing": True}
                for c in X.columns}

    assert_check_failed(q2, all_numeric, learn_schema(X_train), match="your min is 0")

    def ignores_x(X):
        return learn_schema(X_train)

    assert_check_failed(q2, ignores_x, learn_schema(X_train), match="no entry for column")


def test_q2_hidden_second_frame(data):
    X_train = data[0]

    def min_zero_floor(X):  # starts from 0 instead of the first value
        out = learn_schema(X)
        for spec in out.values():
            if spec["kind"] == "numeric":
                spec["max"] = max(0.0, spec["max"])
        return out

    assert q2.evaluate(min_zero_floor, learn_schema(X_train)).outcome == "correct"
    assert_check_failed(q2, min_zero_floor, learn_schema(X_train), hidden=True,
                        match="another small frame.*'temperature'")


# ---------------------------------------------------------------------------------- q3
@pytest.fixture(scope="module")
def schema(data):
    return learn_schema(data[0])


def _serve(pipeline, schema, *, check_missing=True, check_text=True, check_nan=True,
           check_cat_nan=True, exc=ValueError):
    def serve(X_raw):
        for col, spec in schema.items():
            if check_missing and col not in X_raw.columns:
                raise exc(f"column {col!r} is missing")
            if col not in X_raw.columns:
                continue
            v = X_raw[col]
            if check_text and spec["kind"] == "numeric" and not \
                    pd.api.types.is_numeric_dtype(v):
                raise exc(f"column {col!r} should hold numbers")
            if spec["kind"] == "categorical" and not check_cat_nan:
                continue
            if check_nan and not spec["allow_missing"] and v.isna().any():
                raise exc(f"column {col!r} has missing values")
        return pipeline.predict_proba(X_raw)

    return serve


def test_q3_correct_and_alternatives(data, pipeline, schema):
    assert_check_passed(q3, _serve(pipeline, schema), pipeline)
    library = InputSchema.from_training(data[0])

    def library_serve(X_raw):
        return pipeline.predict_proba(library.validate(X_raw))

    assert_check_passed(q3, library_serve, pipeline)

    def reorders(X_raw):
        _serve(pipeline, schema)(X_raw)
        return pipeline.predict_proba(X_raw[list(schema)])

    assert_check_passed(q3, reorders, pipeline)
    assert_check_passed(q3, _serve(pipeline, schema, exc=TypeError), pipeline)
    assert_check_failed(q3, ____, pipeline, outcome="not_attempted")


def test_q3_wrong(data, pipeline, schema):
    assert_check_failed(q3, pipeline.predict_proba, pipeline, match="does not name 'age'")
    assert_check_failed(q3, _serve(pipeline, schema, check_nan=False), pipeline,
                        match="accepted a batch with NaN in `age`")
    assert_check_failed(q3, _serve(pipeline, schema, check_text=False), pipeline,
                        match="does not name 'age'")
    pre, model = pipeline.named_steps["pre"], pipeline.named_steps["model"]

    def zero_fill(X_raw):
        _serve(pipeline, schema)(X_raw)
        return model.predict_proba(pre.transform(X_raw.fillna(0.0)))

    assert_check_failed(q3, zero_fill, pipeline, match="differs from `pipeline.predict_proba`")

    def labels(X_raw):
        _serve(pipeline, schema)(X_raw)
        return pipeline.predict(X_raw)

    assert_check_failed(q3, labels, pipeline, match="returned shape")

    def ignores_input(X_raw):
        _serve(pipeline, schema)(X_raw)
        return pipeline.predict_proba(data[1])

    assert_check_failed(q3, ignores_input, pipeline, match="returned shape")

    def key_error(X_raw):
        return pipeline.predict_proba(X_raw[list(schema)])

    assert_check_failed(q3, key_error, pipeline, match="raise a ValueError")

    def unnamed(X_raw):
        try:
            return _serve(pipeline, schema)(X_raw)
        except ValueError:
            raise ValueError("bad input") from None

    assert_check_failed(q3, unnamed, pipeline, match="does not name 'income'")
    assert_check_failed(q3, _serve(pipeline, schema), LogisticRegression(),
                        match="training Pipeline")
    assert_check_failed(q3, lambda X: X["nope"], pipeline, outcome="error", match="KeyError")


def test_q3_hidden(pipeline, schema):
    lax = _serve(pipeline, schema, check_cat_nan=False)
    assert q3.evaluate(lax, pipeline).outcome == "correct"
    assert_check_failed(q3, lax, pipeline, hidden=True, match="missing values in `plan`")


# ---------------------------------------------------------------------------------- q4
def _fixed(X, y, *, cols=(NUMERIC_COLUMNS, CATEGORICAL_COLUMNS), handle="ignore",
           scaler=True, model=None):
    num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()) if scaler else \
        SimpleImputer(strategy="median")
    return Pipeline([
        ("pre", ColumnTransformer([("num", num, cols[0]),
                                   ("cat", OneHotEncoder(handle_unknown=handle), cols[1])])),
        ("model", model if model is not None else LogisticRegression(max_iter=500))]).fit(X, y)


def test_q4_correct_and_alternatives(data):
    X_train, _, y_train, _ = data
    assert_check_passed(q4, _fixed(X_train, y_train))
    positional = _fixed(X_train, y_train, cols=(list(range(5)), list(range(5, 8))))
    assert_check_passed(q4, positional)
    shuffled = X_train.sample(frac=1.0, random_state=3)
    assert_check_passed(q4, _fixed(shuffled, y_train.loc[shuffled.index]))
    assert_check_passed(q4, _fixed(X_train, y_train, scaler=False, model=RandomForestClassifier(
        n_estimators=10, random_state=0)))


def test_q4_wrong(data):
    X_train, X_test, y_train, y_test = data
    assert_check_failed(q4, _fixed(X_test, y_test), match="that is X_test")
    both = _fixed(pd.concat([X_train, X_test]), pd.concat([y_train, y_test]))
    assert_check_failed(q4, both, match="X_train and X_test together")
    dummies = pd.get_dummies(X_train.fillna(0), columns=CATEGORICAL_COLUMNS)
    fragile = RandomForestClassifier(n_estimators=5, random_state=0).fit(dummies, y_train)
    assert_check_failed(q4, fragile, match="fit it on the raw X_train")
    assert_check_failed(q4, _fixed(X_train, y_train, handle="error"),
                        match="encoder handles unknown")
    assert_check_failed(q4, Pipeline([("model", LogisticRegression())]), match="not fitted")
    assert_check_failed(q4, "pipeline", match="fitted scikit-learn")


def test_q4_hidden_imputer_on_test(data):
    _, X_test, _, y_test = data
    no_scaler = _fixed(X_test, y_test, scaler=False,
                       model=RandomForestClassifier(n_estimators=10, random_state=0))
    assert q4.evaluate(no_scaler).outcome == "correct"  # nothing public counts its rows
    assert_check_failed(q4, no_scaler, hidden=True, match="medians of X_test")
