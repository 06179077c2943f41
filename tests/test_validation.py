"""The input boundary (mlserving_lab._validation): check_array, check_table, as_frame."""


import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlserving_lab._validation import (
    as_frame,
    check_array,
    check_fitted,
    check_n_features,
    check_positive_int,
    check_table,
    feature_names,
    input_kind,
)
from mlserving_lab.datasets import make_classification_split
from mlserving_lab.errors import (
    ColumnTypeError,
    InputShapeError,
    MissingValueError,
    NonFiniteValueError,
    NotTableLikeError,
    SchemaError,
)


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


def test_check_array_raises_the_library_errors_with_the_column():
    with pytest.raises(NotTableLikeError):
        check_array(None)
    with pytest.raises(InputShapeError):
        check_array(np.arange(3.0))
    with pytest.raises(ColumnTypeError) as info:
        check_array(pd.DataFrame({"age": [1.0], "city": ["Oslo"]}))
    assert info.value.column == "city"
    with pytest.raises(MissingValueError) as info:
        check_array(pd.DataFrame({"age": [1.0], "income": [np.nan]}))
    assert info.value.column == "income"
    with pytest.raises(NonFiniteValueError, match="column 1"):
        check_array(np.array([[1.0, np.inf]]))


@pytest.mark.parametrize("X, exc, match", [
    (None, NotTableLikeError, "X is None"),
    ("abc", NotTableLikeError, "got str"),
    (np.arange(3.0), InputShapeError, r"must be 2-D .*shape \(3,\)"),
    (np.zeros((0, 3)), InputShapeError, "empty: it has no rows"),
    (np.zeros((3, 0)), InputShapeError, "no columns"),
])
def test_check_table_keeps_the_type_and_names_the_problem(X, exc, match):
    with pytest.raises(exc, match=match):
        check_table(X)


def test_check_table_returns_frames_unconverted():
    frame = pd.DataFrame({"a": [1, 2]})
    out, n = check_table(frame)
    assert out is frame and n == 2
    assert isinstance(check_table([[1, 2]])[0], np.ndarray)


# ---------------------------------------------------------------------------------- as_frame
def test_as_frame_reads_every_table_like_input():
    frame = pd.DataFrame({"age": [31.0, 45.0], "plan": ["basic", "pro"]})
    assert as_frame(frame) is frame  # no copy
    out = as_frame(np.arange(6.0).reshape(3, 2))
    assert out.columns.tolist() == ["x0", "x1"] and out.dtypes.tolist() == [np.float64] * 2
    rows = as_frame([[1, "a"], [2, "b"]], names=["n", "t"])
    assert rows.columns.tolist() == ["n", "t"] and rows.loc[0, "n"] == 1
    assert all(dt == np.dtype(object) for dt in rows.dtypes)  # lists keep each value's own type
    one = as_frame({"age": 31, "plan": "pro"})
    assert one.shape == (1, 2) and one.loc[0, "plan"] == "pro"
    cols = as_frame({"age": [31, 45], "plan": ["a", "b"]})
    assert cols.shape == (2, 2)
    records = as_frame([{"age": 31, "plan": "a"}, {"age": 45, "plan": "b"}])
    assert records.columns.tolist() == ["age", "plan"]
    text = as_frame(np.array([["a", "b"]]))
    assert text.loc[0, "x1"] == "b"


def test_as_frame_infers_objects_and_reads_series_on_request():
    inferred = as_frame(np.array([[1, "a"], [2, "b"]], dtype=object), infer_objects=True)
    assert inferred["x0"].dtype == np.int64 and pd.api.types.is_string_dtype(inferred["x1"])
    series = pd.Series([1.0, 2.0], name="age")
    assert as_frame(series, allow_series=True).columns.tolist() == ["age"]
    with pytest.raises(InputShapeError, match="1-D pandas Series"):
        as_frame(series)
    frame = pd.DataFrame({"a": pd.Series([1, 2], dtype=object)})
    assert as_frame(frame, infer_objects=True)["a"].dtype == object  # the caller's frame: as is


def test_as_frame_names_unnamed_frames_by_position():
    unnamed = pd.DataFrame(np.zeros((2, 2)))
    assert as_frame(unnamed, names=["a", "b"]).columns.tolist() == ["a", "b"]
    named = pd.DataFrame({"b": [1.0], "a": [2.0]})
    assert as_frame(named, names=["a", "b"]) is named  # real names are never overwritten
    assert input_kind(unnamed) == "array" and input_kind(named) == "dataframe"
    assert input_kind({"a": 1}) == "dataframe" and input_kind([{"a": 1}]) == "dataframe"
    assert input_kind([[1]]) == "array"


@pytest.mark.parametrize("X, kwargs, exc, match", [
    (None, {}, NotTableLikeError, "X is None"),
    ("abc", {}, NotTableLikeError, "got str 'abc'"),
    (3.0, {}, NotTableLikeError, "got float"),
    ({1, 2}, {}, NotTableLikeError, "got set"),
    (object(), {}, NotTableLikeError, "got object"),
    (np.array(5), {}, NotTableLikeError, "0-D"),
    (np.zeros((2, 2), dtype=complex), {}, NotTableLikeError, "complex128"),
    (np.arange(3.0), {}, InputShapeError, r"1-D with shape \(3,\)"),
    (np.zeros((2, 3, 2)), {}, InputShapeError, "3-D"),
    ([], {}, InputShapeError, "empty list"),
    ([[1, 2], [3]], {}, InputShapeError, "different lengths"),
    ([[1, 2], 3], {}, InputShapeError, "mixes rows"),
    ({}, {}, InputShapeError, "empty dict"),
    ({"a": 1, "b": [1, 2]}, {}, InputShapeError, "mixes single values and lists"),
    ({"a": [1, 2], "b": [1]}, {}, InputShapeError, "different lengths"),
    ({"a": {"x": 1}}, {}, NotTableLikeError, r"X\['a'\] is a dict"),
    ({"a": [[1], [2]]}, {}, InputShapeError, "2-D"),
    (np.zeros((2, 3)), {"names": ["a", "b"]}, InputShapeError,
     r"3 columns but the model was trained on 2 \('a', 'b'\)"),
    (pd.DataFrame(np.zeros((2, 1))), {"names": ["a", "b"]}, InputShapeError,
     "1 column but the model was trained on 2"),
    (np.zeros((0, 3)), {}, InputShapeError, "empty: it has no rows"),
    (np.zeros((1, 3)), {"min_rows": 2}, InputShapeError, "1 rows; at least 2"),
    (np.zeros((3, 0)), {}, InputShapeError, "no columns"),
    (pd.DataFrame(index=range(3)), {}, InputShapeError, "no columns"),
])
def test_as_frame_rejects_non_tables_naming_the_problem(X, kwargs, exc, match):
    with pytest.raises(exc, match=match) as info:
        as_frame(X, **kwargs)
    assert isinstance(info.value, SchemaError) and isinstance(info.value, (TypeError, ValueError))


def test_as_frame_uses_the_given_name_and_column():
    with pytest.raises(NotTableLikeError, match="^current is None"):
        as_frame(None, name="current")
    with pytest.raises(NotTableLikeError) as info:
        as_frame({"plan": {"x": 1}})
    assert info.value.column == "plan"
    assert as_frame(np.zeros((0, 2)), min_rows=0).shape == (0, 2)
