"""Both-ways tests for exercise 2 (skew prevention)."""

from __future__ import annotations

import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.ex2_skew_prevention import EXERCISE, q1, q2, q3
from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, make_mixed_split
from mlserving_lab.packaging import predict_in_subprocess, save_artifact
from mlserving_lab.skew import check_skew


@pytest.fixture(scope="module")
def data():
    return make_mixed_split(1200, random_state=0)


def _build(data, *, num=None, cat=None, model=None, num_cols=NUMERIC_COLUMNS):
    X_train, _, y_train, _ = data
    num = num if num is not None else make_pipeline(SimpleImputer(strategy="median"),
                                                    StandardScaler())
    cat = cat if cat is not None else OneHotEncoder(handle_unknown="ignore")
    if model is None:
        model = RandomForestClassifier(n_estimators=30, random_state=0, n_jobs=1)
    pre = ColumnTransformer([("num", num, num_cols), ("cat", cat, CATEGORICAL_COLUMNS)])
    return Pipeline([("pre", pre), ("model", model)]).fit(X_train, y_train)


@pytest.fixture(scope="module")
def pipeline(data):
    return _build(data)


def test_exercise_metadata():
    assert EXERCISE.name == "ex2_skew_prevention"
    assert [q.points for q in EXERCISE] == [3, 2, 3]


# ---------------------------------------------------------------------------------- q1
def test_q1_reference_passes(pipeline):
    assert_check_passed(q1, pipeline)


def test_q1_not_attempted():
    assert_check_failed(q1, ____, outcome="not_attempted")


def test_q1_wrong_answers(data, pipeline):
    assert_check_failed(q1, pipeline.named_steps["model"], match="Pipeline")
    assert_check_failed(q1, _build(data, cat=OneHotEncoder()), match="handle_unknown='error'")
    assert_check_failed(q1, _build(data, num=make_pipeline(SimpleImputer(), MinMaxScaler())),
                        match="StandardScaler")
    assert_check_failed(q1, _build(data, num=make_pipeline(StandardScaler(), SimpleImputer())),
                        match="impute first")
    assert_check_failed(q1, _build(data, model=GradientBoostingClassifier(n_estimators=5)),
                        match="RandomForestClassifier")
    assert_check_failed(q1, _build(data, num=StandardScaler()), match="SimpleImputer")
    assert_check_failed(q1, _build(data, num_cols=NUMERIC_COLUMNS[:3]),
                        match="exactly")
    X_train, _, y_train, _ = data
    unfitted = Pipeline([("pre", ColumnTransformer([("num", StandardScaler(), NUMERIC_COLUMNS)])),
                         ("model", RandomForestClassifier())])
    assert_check_failed(q1, unfitted, match="not fitted")


# ---------------------------------------------------------------------------------- q2
@pytest.fixture(scope="module")
def artifact(tmp_path_factory, data, pipeline):
    X_train, X_test, y_train, _ = data
    path = tmp_path_factory.mktemp("ex2") / "model"
    save_artifact(pipeline, path, X_train=X_train, y_train=y_train)
    return path


def test_q2_reference_passes_with_a_real_fresh_process(artifact, data):
    X_check = data[1]
    proba = predict_in_subprocess(artifact, X_check)
    assert_check_passed(q2, artifact, X_check, proba)


def test_q2_wrong_answers(artifact, data, pipeline, tmp_path):
    X_check = data[1]
    proba = pipeline.predict_proba(X_check)
    assert_check_failed(q2, artifact, X_check, proba[::-1], match="differs")
    assert_check_failed(q2, artifact, X_check, proba[:10], match="shape")
    assert_check_failed(q2, artifact, X_check.dropna(), pipeline.predict_proba(X_check.dropna()),
                        match="no missing values")
    assert_check_failed(q2, tmp_path / "nope", X_check, proba, match="folder")
    bare = save_artifact(pipeline.named_steps["model"], tmp_path / "bare")
    assert_check_failed(q2, bare, X_check, proba, match="bare RandomForestClassifier")
    nohash = save_artifact(pipeline, tmp_path / "nohash")
    assert_check_failed(q2, nohash, X_check, proba, match="training-data hash")


# ---------------------------------------------------------------------------------- q3
def _serve_zero_fill(pipeline):
    def serve_skewed(X_raw):
        X = X_raw.fillna({c: 0.0 for c in NUMERIC_COLUMNS})
        return pipeline.named_steps["model"].predict_proba(
            pipeline.named_steps["pre"].transform(X))
    return serve_skewed


def test_q3_reference_passes(pipeline, data):
    X_eval = data[1]
    serve = _serve_zero_fill(pipeline)
    report = check_skew(pipeline, serve, X_eval)
    assert report.max_proba_diff > 0
    assert_check_passed(q3, pipeline, serve, X_eval, report.mismatch_rate, report.max_proba_diff)


def test_q3_wrong_answers(pipeline, data):
    X_eval = data[1]
    serve = _serve_zero_fill(pipeline)
    report = check_skew(pipeline, serve, X_eval)
    assert_check_failed(q3, pipeline, serve, X_eval, report.mismatch_rate + 0.05,
                        report.max_proba_diff, match="your mismatch_rate")
    assert_check_failed(q3, pipeline, serve, X_eval, report.mismatch_rate, 0.0,
                        match="your max_proba_diff")
    assert_check_failed(q3, pipeline, pipeline.predict_proba, X_eval, 0.0, 0.0,
                        match="no skew")
    assert_check_failed(q3, pipeline, lambda X: pipeline.predict(X), X_eval, 0.0, 0.0,
                        match="probability table")
    assert_check_failed(q3, pipeline, serve, X_eval.iloc[:10], 0.0, 0.0, match="100 raw rows")


def test_q3_learner_code_error_is_reported(pipeline, data):
    def broken(X_raw):
        return X_raw["no_such_column"]
    assert_check_failed(q3, pipeline, broken, data[1], 0.1, 0.1, outcome="error",
                        match="KeyError")


def test_q3_placeholder_return_is_not_attempted(pipeline, data):
    assert_check_failed(q3, pipeline, lambda X: ____, data[1], 0.1, 0.1,
                        outcome="not_attempted")
    assert_check_failed(q3, pipeline, ____, data[1], ____, ____, outcome="not_attempted")


def test_hidden_check_catches_a_useless_model(data, pipeline):
    X_train, _, y_train, _ = data
    inverted = _build((X_train, None, 1 - y_train, None))  # learns the opposite of the target
    assert_check_passed(q1, pipeline)
    assert q1.evaluate(inverted).outcome == "correct"  # the structure is right...
    assert_check_failed(q1, inverted, match="majority class", hidden=True)  # ...the model not
