"""Fixtures shared by the serving tests: one seeded split, fitted on arrays and on frames."""

from __future__ import annotations

import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from mlserving_lab.datasets import make_classification_split


@pytest.fixture(scope="module")
def data():
    return make_classification_split(n_samples=1200, n_features=6, n_informative=4)


@pytest.fixture(scope="module")
def lr(data):
    X_train, _, y_train, _ = data
    return LogisticRegression(max_iter=500).fit(X_train, y_train)


@pytest.fixture(scope="module")
def frame_data():
    return make_classification_split(n_samples=600, n_features=5, n_informative=3,
                                     as_frame=True)


@pytest.fixture(scope="module")
def lr_frame(frame_data):
    X_train, _, y_train, _ = frame_data
    return LogisticRegression(max_iter=500).fit(X_train, y_train)


@pytest.fixture(scope="module")
def forest(data):
    X_train, _, y_train, _ = data
    return RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0).fit(
        X_train, y_train)
