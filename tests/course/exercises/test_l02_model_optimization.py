"""Lesson 02 check-yourself questions, tested both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.l02_model_optimization import EXERCISE, q1, q2, q3, q4, q5
from mlserving_lab.datasets import make_classification_split
from mlserving_lab.export import to_onnx


def test_all_questions_one_point_and_not_attempted():
    assert EXERCISE.name == "l02_model_optimization"
    assert all(q.points == 1 for q in EXERCISE)
    for q in EXERCISE:
        assert q.check(*([____] * len(q.answers))).outcome == "not_attempted"


def quantize_int8(x):
    scale = np.abs(x).max() / 127
    return np.clip(np.round(x / scale), -127, 127).astype(np.int8), scale


def test_q1_both_ways():
    assert_check_passed(q1, quantize_int8)
    assert_check_failed(q1, lambda x: (np.trunc(x / (np.abs(x).max() / 127)).astype(np.int8),
                                       np.abs(x).max() / 127), match="round to the nearest")
    assert_check_failed(q1, lambda x: (np.round(x / (np.abs(x).max() / 127)),
                                       np.abs(x).max() / 127), match="dtype float64")
    assert_check_failed(q1, lambda x: (np.round(x / (np.abs(x).max() / 128)).astype(np.int16),
                                       np.abs(x).max() / 128), match="max\\|x\\| / 127")
    assert_check_failed(q1, lambda x: quantize_int8(x)[0], match="tuple")
    assert_check_failed(q1, lambda x: (quantize_int8(x)[0][:2], 1.0), match="shape")


def test_q2_both_ways():
    table = pd.DataFrame({"ccp_alpha": [0.0, 0.001, 0.002, 0.01],
                          "n_nodes": [500, 200, 90, 9],
                          "accuracy": [0.80, 0.82, 0.815, 0.70]})
    assert_check_passed(q2, table, 0.002)
    assert_check_failed(q2, table, 0.001, match="alpha 0.002 gives a smaller tree .90 nodes")
    assert_check_failed(q2, table, 0.01, match="more than 0.01 below the best")
    assert_check_failed(q2, table, 0.5, match="not one of the `ccp_alpha` values")
    assert_check_failed(q2, table.drop(columns="n_nodes"), 0.002, match="n_nodes")
    assert_check_failed(q2, table, "small", match="should be a number")


def test_q2_with_a_real_table():
    from mlserving_lab.prune import ccp_path_table

    table = ccp_path_table(*make_classification_split(n_samples=600), max_points=6, n_runs=5)
    good = table[table.accuracy >= table.accuracy.max() - 0.01]
    assert_check_passed(q2, table, good.loc[good.n_nodes.idxmin(), "ccp_alpha"])


def soft_dataset(X, proba):
    n = len(X)
    return (np.vstack([X, X]), np.r_[np.zeros(n, int), np.ones(n, int)],
            np.r_[proba[:, 0], proba[:, 1]])


def test_q3_both_ways():
    assert_check_passed(q3, soft_dataset)
    from mlserving_lab.distill import duplicate_rows

    assert_check_passed(q3, duplicate_rows)  # dropping zero-weight copies is fine
    assert_check_failed(q3, lambda X, p: (np.vstack([X, X]), np.r_[np.zeros(len(X)),
                        np.ones(len(X))], np.r_[p[:, 1], p[:, 0]]),
                        match="labelled 0 carry a total weight of 0.9 instead of 0.1")
    assert_check_failed(q3, lambda X, p: (X, (p[:, 1] > 0.5).astype(int), np.ones(len(X))),
                        match="row 0 .* labelled 0 carry a total weight of 0 instead of 0.1")
    assert_check_failed(q3, lambda X, p: (X, p), match="X_dup, y_dup, weights")


@pytest.fixture(scope="module")
def forest():
    X_train, X_test, y_train, _ = make_classification_split(n_samples=800)
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)
    other = RandomForestClassifier(n_estimators=20, random_state=1).fit(X_train, y_train)
    return model, to_onnx(model, X_train), to_onnx(other, X_train)


def test_q4_both_ways(forest):
    model, onx, other = forest
    assert_check_passed(q4, model, onx)
    assert_check_failed(q4, model, model, match="original model itself")
    assert_check_failed(q4, model, other, match="does not match `model`")


def test_q5_both_ways():
    table = pd.DataFrame({"sklearn_ms": [0.3, 3.0], "onnx_ms": [0.01, 3.5]},
                         index=["one row", "batch 1000"])
    assert_check_passed(q5, table, True, False)
    assert_check_failed(q5, table, True, True,
                        match="`batch 1000` takes 3 ms with scikit-learn and 3.5 ms with ONNX")
    assert_check_failed(q5, table, "yes", False, match="True or False")
    assert_check_failed(q5, table.drop(index="batch 1000"), True, False, match="no row")
    assert_check_failed(q5, table.rename(columns={"onnx_ms": "ort"}), True, False,
                        match="no `onnx_ms` column")
    flipped = table.assign(onnx_ms=[0.5, 1.0])
    assert_check_passed(q5, flipped, False, True)
