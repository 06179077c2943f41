"""Shared input validation and atomic writes."""

import os

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlserving_lab._validation import (
    check_array,
    check_fitted,
    check_n_features,
    check_positive_int,
    feature_names,
)
from mlserving_lab.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from mlserving_lab.datasets import make_classification_split


def test_arrays_lists_and_frames_become_float64():
    assert check_array([[1, 2], [3, 4]]).dtype == np.float64
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    np.testing.assert_array_equal(check_array(frame), frame.to_numpy(dtype=float))
    assert check_array(np.ones((2, 2), dtype=np.float32), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("X, exc, match", [
    (None, TypeError, "X is None"),
    ("abc", TypeError, "got str"),
    (3.0, TypeError, "got float"),
    (np.arange(3.0), ValueError, r"must be 2-D .* 1-D array of shape \(3,\)"),
    (np.zeros((2, 2, 2)), ValueError, r"must be 2-D, got 3-D"),
    (np.zeros((0, 3)), ValueError, "has 0 rows"),
    (np.zeros((3, 0)), ValueError, "no columns"),
    (np.array([[1.0, np.nan]]), ValueError, "NaN .* in column 1"),
    (np.array([[1.0, np.inf]]), ValueError, "infinite values in column 1"),
    (np.array([[True, False]]), TypeError, "booleans"),
    (pd.DataFrame({"age": [1.0], "city": ["Oslo"]}), TypeError, "column 'city' has dtype"),
    (pd.DataFrame({"age": [1.0], "city": pd.Series(["Oslo"], dtype=object)}), TypeError, "'city'"),
    (pd.DataFrame({"flag": [True]}), TypeError, "column 'flag' holds booleans"),
    (np.array([[1, "x"]], dtype=object), TypeError, "non-numeric value 'x'"),
    ([[1, 2], [3]], ValueError, "same length|different lengths"),
])
def test_bad_input_is_named(X, exc, match):
    with pytest.raises(exc, match=match):
        check_array(X)


def test_nan_allowed_on_request_and_frame_column_named():
    assert np.isnan(check_array([[np.nan, 1.0]], allow_nan=True)).any()
    with pytest.raises(ValueError, match="column 'income'"):
        check_array(pd.DataFrame({"age": [1.0], "income": [np.nan]}))


def test_small_helpers():
    assert feature_names(np.zeros((1, 3))) == ["x0", "x1", "x2"]
    assert feature_names(pd.DataFrame({"a": [1], "b": [2]})) == ["a", "b"]
    assert check_positive_int(np.int64(4), "n") == 4
    for bad in (0, -1):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            check_positive_int(bad, "batch_size")
    for bad in (1.5, True, "3"):
        with pytest.raises(TypeError):
            check_positive_int(bad, "batch_size")
    with pytest.raises(ValueError, match="X has 3 features, but the model was fitted on 4"):
        check_n_features(np.zeros((2, 3)), 4)


def test_check_fitted_names_the_estimator():
    with pytest.raises(ValueError, match=r"model \(LogisticRegression\) is not fitted"):
        check_fitted(LogisticRegression())
    check_fitted(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))
    with pytest.raises(TypeError, match="got str"):
        check_fitted("model")


def test_dataset_is_seeded_and_split():
    a = make_classification_split(n_samples=200, random_state=3)
    b = make_classification_split(n_samples=200, random_state=3)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    X_train, X_test, y_train, y_test = make_classification_split(n_samples=200, as_frame=True)
    assert list(X_train.columns)[:2] == ["f0", "f1"] and len(X_test) == 50
    with pytest.raises(ValueError, match="n_informative"):
        make_classification_split(n_features=3, n_informative=5)


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out" / "grades.csv"
    atomic_write_text(target, "a,b\n1,2\n")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(target.parent) == ["grades.csv"]


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half-writ")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.bin"]
