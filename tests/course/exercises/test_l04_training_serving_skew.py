"""Both-ways tests for the lesson 04 check-yourself questions."""

from __future__ import annotations

import warnings

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
    return make_mixed_split(800, random_state=0)


@pytest.fixture(scope="module")
def pipeline(data):
    X_train, _, y_train, _ = data
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         NUMERIC_COLUMNS),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         CATEGORICAL_COLUMNS)])
    return Pipeline([("pre", pre), ("model", RandomForestClassifier(
        n_estimators=20, random_state=0, n_jobs=1))]).fit(X_train, y_train)


@pytest.fixture(scope="module")
def skew_table(pipeline, data):
    X_test = data[1]
    pre, model = pipeline.named_steps["pre"], pipeline.named_steps["model"]

    def by_max(X):
        Z = pre.transform(X)
        return Z / np.abs(Z).max(axis=0).clip(min=1e-9)

    def stale(X):
        return pre.transform(X.assign(days_since_login=(X.days_since_login - 1).clip(lower=0)))

    paths = {"normalisation": by_max, "stale features": stale,
             "imputation": lambda X: pre.transform(X.fillna(0.0)),
             "library version": lambda X: pre.transform(X.assign(age=X.age.round(-1)))}
    rows = {n: check_skew(pipeline, ServingPath(f, model), X_test).to_dict()
            for n, f in paths.items()}
    return pd.DataFrame.from_dict(rows, orient="index")[
        ["mismatch_rate", "max_proba_diff", "n_features_differ"]]


def test_exercise_shape():
    assert EXERCISE.name == "l04_training_serving_skew"
    assert [q.name for q in EXERCISE] == ["q1", "q2", "q3", "q4"]
    assert all(q.points == 1 for q in EXERCISE)


def test_q1_both_ways(skew_table):
    assert_check_passed(q1, skew_table)
    assert_check_failed(q1, ____, outcome="not_attempted")
    assert_check_failed(q1, skew_table.to_dict(), match="DataFrame")
    assert_check_failed(q1, skew_table.drop(columns="max_proba_diff"), match="max_proba_diff")
    assert_check_failed(q1, skew_table.drop(index="stale features"), match="stale features")
    assert_check_failed(q1, skew_table.assign(mismatch_rate=0.0, max_proba_diff=0.0,
                                              n_features_differ=0), match="compare the pipeline")
    assert_check_failed(q1, skew_table.assign(mismatch_rate=0.5, max_proba_diff=0.0),
                        match="impossible")
    assert_check_failed(q1, skew_table.assign(max_proba_diff=3.0), match="cannot differ")
    assert_check_failed(q1, skew_table.assign(mismatch_rate=25.0), match="fraction")


def test_q2_both_ways(data):
    X_train = data[0]
    assert_check_passed(q2, InputSchema.from_training(X_train))
    assert_check_failed(q2, X_train.columns.tolist(), match="InputSchema")
    assert_check_failed(q2, InputSchema.from_training(X_train.dropna()), match="dropna")
    assert_check_failed(q2, InputSchema.from_training(X_train[NUMERIC_COLUMNS]),
                        match="columns")
    tiny = InputSchema.from_training(X_train.iloc[:5])
    assert_check_failed(q2, tiny, match="rejects|missing values")


def test_q3_both_ways(data, pipeline):
    schema = InputSchema.from_training(data[0])

    def serve(X_raw):
        return pipeline.predict_proba(schema.validate(X_raw))

    assert_check_passed(q3, serve, pipeline)
    assert_check_failed(q3, ____, pipeline, outcome="not_attempted")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_check_failed(q3, pipeline.predict_proba, pipeline, match="Validate")
    pre, model = pipeline.named_steps["pre"], pipeline.named_steps["model"]

    def zero_fill(X_raw):
        return model.predict_proba(pre.transform(schema.validate(X_raw).fillna(0.0)))

    assert_check_failed(q3, zero_fill, pipeline, match="differs from the pipeline")

    def accepts_anything(X_raw):
        try:
            return pipeline.predict_proba(X_raw)
        except ValueError:
            return np.zeros((len(X_raw), 2))

    assert_check_failed(q3, accepts_anything, pipeline, match="accepted a batch")
    assert_check_failed(q3, serve, LogisticRegression(), match="not fitted")
    assert_check_failed(q3, lambda X: X["nope"], pipeline, outcome="error", match="KeyError")


def test_q4_both_ways(data):
    X_train, _, y_train, _ = data
    fixed = Pipeline([
        ("pre", ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC_COLUMNS),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL_COLUMNS)])),
        ("model", LogisticRegression(max_iter=500))]).fit(X_train, y_train)
    assert_check_passed(q4, fixed)
    dummies = pd.get_dummies(X_train.fillna(0), columns=CATEGORICAL_COLUMNS)
    fragile = RandomForestClassifier(n_estimators=5, random_state=0).fit(dummies, y_train)
    assert_check_failed(q4, fragile, match="preprocessing serialised")
    strict_encoder = Pipeline([
        ("pre", ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC_COLUMNS),
            ("cat", OneHotEncoder(), CATEGORICAL_COLUMNS)])),
        ("model", LogisticRegression(max_iter=500))]).fit(X_train, y_train)
    assert_check_failed(q4, strict_encoder, match="encoder handles unknown")
    assert_check_failed(q4, Pipeline([("model", LogisticRegression())]), match="not fitted")
    assert_check_failed(q4, "pipeline", match="fitted scikit-learn")
