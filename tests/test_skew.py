"""Tests for mlserving_lab.skew: check_skew, SkewReport, ServingPath, plot_skew."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlserving_lab.datasets import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    make_mixed_split,
)
from mlserving_lab.skew import ServingPath, SkewReport, check_skew, plot_skew


@pytest.fixture(scope="module")
def mixed():
    return make_mixed_split(600, random_state=1)


@pytest.fixture(scope="module")
def pipe(mixed):
    X_train, _, y_train, _ = mixed
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         NUMERIC_COLUMNS),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         CATEGORICAL_COLUMNS),
    ])
    model = RandomForestClassifier(n_estimators=25, random_state=0, n_jobs=1)
    return Pipeline([("pre", pre), ("model", model)]).fit(X_train, y_train)



# ------------------------------------------------------------------------------ skew check
def test_identical_paths_have_no_skew(pipe, mixed):
    report = check_skew(pipe, pipe, mixed[1])
    assert isinstance(report, SkewReport) and not report.skewed
    assert report.mismatch_rate == 0.0 and report.max_proba_diff == 0.0
    assert report.differing_features == []
    assert "no skew" in str(report)


def _parts(pipe):
    pre = pipe.named_steps["pre"]
    return pre, pipe.named_steps["model"]


def test_normalisation_skew_is_caught_with_the_features(pipe, mixed):
    pre, model = _parts(pipe)
    num = pre.named_transformers_["num"]
    ohe = pre.named_transformers_["cat"]

    def prep(X):
        Z = num[0].transform(X[NUMERIC_COLUMNS])
        return np.hstack([Z / Z.max(axis=0), ohe.transform(X[CATEGORICAL_COLUMNS])])

    report = check_skew(pipe, ServingPath(prep, model), mixed[1])
    assert report.skewed and report.max_proba_diff > 0
    assert set(report.differing_features) == {f"num__{c}" for c in NUMERIC_COLUMNS}
    assert (report.feature_diffs.loc["num__age", "frac_rows_differ"]) == 1.0
    assert report.feature_diffs.loc["cat__plan_basic", "max_abs_diff"] == 0.0


def test_imputation_skew_only_touches_columns_with_missing_values(pipe, mixed):
    pre, model = _parts(pipe)
    report = check_skew(pipe, ServingPath(lambda X: pre.transform(X.fillna({"income": 0.0})),
                                          model), mixed[1])
    assert report.differing_features == ["num__income"]
    frac = report.feature_diffs.loc["num__income", "frac_rows_differ"]
    assert frac == pytest.approx(mixed[1].income.isna().mean())


def test_callable_and_label_only_serving(pipe, mixed):
    X = mixed[1]
    same = check_skew(pipe, lambda Z: pipe.predict_proba(Z), X)
    assert not same.skewed
    flipped = check_skew(pipe, lambda Z: 1 - pipe.predict(Z), X)
    assert flipped.mismatch_rate == 1.0 and flipped.max_proba_diff is None
    assert flipped.skewed


def test_nan_probabilities_count_as_infinite_difference(pipe, mixed):
    X = mixed[1]

    def broken(Z):
        p = pipe.predict_proba(Z)
        p[0] = np.nan
        return p

    report = check_skew(pipe, broken, X)
    assert report.max_proba_diff == np.inf
    assert any("NaN" in n for n in report.notes)


def test_feature_count_difference_is_reported(pipe, mixed):
    X_train, X_test, y_train, _ = mixed
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         NUMERIC_COLUMNS),
        ("cat", OneHotEncoder(drop="first", handle_unknown="ignore", sparse_output=False),
         CATEGORICAL_COLUMNS),
    ])
    other = make_pipeline(pre, LogisticRegression(max_iter=500)).fit(X_train, y_train)
    report = check_skew(pipe, other, X_test)
    assert report.skewed
    assert any("feature count" in n for n in report.notes)


def test_skew_check_input_errors(pipe, mixed):
    with pytest.raises(TypeError, match="raw rows"):
        check_skew(pipe, pipe, None)
    with pytest.raises(ValueError, match="no rows"):
        check_skew(pipe, pipe, mixed[1].iloc[:0])
    with pytest.raises(TypeError, match="serving side"):
        check_skew(pipe, 42, mixed[1])
    with pytest.raises(ValueError, match="returned shape"):
        check_skew(pipe, lambda Z: np.zeros(3), mixed[1])


def test_plain_estimator_sides():
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    a = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    b = LogisticRegression().fit(X, y)
    report = check_skew(a, b, X)
    assert any("only one side" in n for n in report.notes)


def test_plot_skew_returns_axes(pipe, mixed):
    import matplotlib

    matplotlib.use("Agg")
    report = check_skew(pipe, pipe, mixed[1])
    ax = plot_skew(report)
    assert ax.get_xlabel().startswith("fraction")
    with pytest.raises(TypeError, match="SkewReport"):
        plot_skew("nope")
