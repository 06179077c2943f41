"""Input validation shared by every module: validate once, at the boundary, with clear errors.

The messages name what is wrong (the shape, the column, the value) so that a learner or a
serving engineer can fix the call without reading a numpy traceback.
"""

from __future__ import annotations

import numbers

import numpy as np

from mlserving_lab.errors import (
    ColumnTypeError,
    InputShapeError,
    MissingColumnError,
    MissingValueError,
    NonFiniteValueError,
    NotTableLikeError,
    SchemaError,
    UnexpectedColumnError,
)

__all__ = [
    "as_float32",
    "as_frame",
    "check_array",
    "check_fitted",
    "check_n_features",
    "check_nonneg_int",
    "check_positive_int",
    "check_table",
    "feature_names",
    "input_kind",
    "listed",
    "row_slice",
]

_MAX_LISTED = 5


def _is_dataframe(X) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def feature_names(X, n_features: int | None = None) -> list[str]:
    """Column names of ``X``: a DataFrame's columns, otherwise ``x0`` .. ``x{n-1}``.

    Parameters
    ----------
    X : array-like or DataFrame
        The table whose columns are named.
    n_features : int, optional
        Number of columns when ``X`` is not a DataFrame. Defaults to ``X.shape[1]``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import numpy as np
    >>> feature_names(np.zeros((2, 3)))
    ['x0', 'x1', 'x2']
    """
    if _is_dataframe(X):
        return [str(c) for c in X.columns]
    if n_features is None:
        shape = np.shape(X)
        n_features = shape[1] if len(shape) > 1 else 1
    return [f"x{i}" for i in range(int(n_features))]


def listed(values, limit: int = _MAX_LISTED) -> str:
    """The first ``limit`` values as reprs, then how many more, for error messages.

    Examples
    --------
    >>> listed(["a", "b", "c"], limit=2)
    "'a', 'b', ... (1 more)"
    """
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values) - limit} more)"
    return shown


def _column_label(X, j: int):
    return X.columns[j] if _is_dataframe(X) else j


def _describe_column(X, j: int) -> str:
    if _is_dataframe(X):
        return f"column {X.columns[j]!r}"
    return f"column {j}"


def check_array(
    X,
    *,
    name: str = "X",
    ndim: int = 2,
    dtype="numeric",
    allow_nan: bool = False,
    min_rows: int = 1,
) -> np.ndarray:
    """Convert ``X`` to a numpy array and check its shape and contents.

    Lesson 01: validate inputs at the boundary instead of failing deep inside a model.

    Parameters
    ----------
    X : array-like, list or pandas DataFrame/Series
        The data to check.
    name : str, default "X"
        What to call the data in error messages.
    ndim : int, default 2
        Required number of dimensions (1 or 2).
    dtype : "numeric", numpy dtype or None, default "numeric"
        ``"numeric"`` converts to float64 and rejects text, booleans and objects; a numpy dtype
        converts to that dtype (after the same numeric checks); ``None`` keeps the dtype.
    allow_nan : bool, default False
        Whether NaN is allowed. Infinity is always rejected for numeric data.
    min_rows : int, default 1
        Minimum number of rows (samples).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    NotTableLikeError
        If ``X`` is None, a scalar or a string (a ``TypeError``).
    ColumnTypeError
        If ``X`` holds text, booleans or objects where numbers are needed (a ``TypeError``).
    InputShapeError
        If ``X`` has the wrong number of dimensions, too few rows or no columns, or its rows
        differ in length (a ``ValueError``).
    MissingValueError, NonFiniteValueError
        If ``X`` holds NaN (unless ``allow_nan``) or infinity (``ValueError`` subclasses).

    Examples
    --------
    >>> check_array([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> check_array([1, 2, 3])
    Traceback (most recent call last):
    ...
    mlserving_lab.errors.InputShapeError: X must be 2-D (rows x features), got a 1-D array of shape (3,). ...
    """
    if X is None:
        raise NotTableLikeError(f"{name} is None; expected an array or a DataFrame")
    if isinstance(X, (str, bytes)) or np.isscalar(X):
        raise NotTableLikeError(f"{name} must be an array or a DataFrame, got "
                                f"{type(X).__name__} {X!r}")
    frame = X if _is_dataframe(X) else None
    if frame is not None and dtype is not None:
        _check_frame_numeric(frame, name)
    try:
        arr = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise InputShapeError(f"{name} could not be read as a table ({exc}); rows must all "
                              "have the same length") from None
    if arr.dtype == object and arr.ndim == 1 and len(arr) and isinstance(arr[0], (list, tuple)):
        raise InputShapeError(f"{name} has rows of different lengths")

    if arr.ndim != ndim:
        if ndim == 2 and arr.ndim == 1:
            raise InputShapeError(
                f"{name} must be 2-D (rows x features), got a 1-D array of shape {arr.shape}. "
                f"Use {name}.reshape(1, -1) for a single row or {name}.reshape(-1, 1) "
                "for a single feature."
            )
        raise InputShapeError(f"{name} must be {ndim}-D, got {arr.ndim}-D with shape "
                              f"{arr.shape}")
    if arr.shape[0] < min_rows:
        raise InputShapeError(f"{name} has {arr.shape[0]} rows; at least {min_rows} needed "
                              f"(shape {arr.shape})")
    if ndim == 2 and arr.shape[1] == 0:
        raise InputShapeError(f"{name} has no columns (shape {arr.shape})")

    if dtype is None:
        return arr
    if arr.dtype.kind == "b":
        raise ColumnTypeError(f"{name} holds booleans; convert them to 0/1 numbers explicitly")
    if arr.dtype.kind not in "iuf":
        arr = _coerce_numeric(arr, X, name)
    target = np.float64 if dtype == "numeric" else np.dtype(dtype)
    arr = arr.astype(target, copy=False)
    if arr.dtype.kind == "f":
        _check_finite(arr, X, name, allow_nan)
    return arr


def _check_frame_numeric(frame, name: str) -> None:
    for j, (col, dt) in enumerate(frame.dtypes.items()):
        kind = getattr(dt, "kind", "O")
        if kind == "b" or str(dt) == "boolean":
            raise ColumnTypeError(f"{name} column {col!r} holds booleans; expected numbers",
                                  column=str(col))
        if kind not in "iuf" and not str(dt).startswith(("Int", "UInt", "Float")):
            sample = frame.iloc[:, j].dropna()
            example = f" such as {sample.iloc[0]!r}" if len(sample) else ""
            raise ColumnTypeError(
                f"{name} column {col!r} has dtype {dt}{example}; expected numbers. "
                "Encode text columns (e.g. OneHotEncoder) before this step.", column=str(col)
            )


def _coerce_numeric(arr: np.ndarray, X, name: str) -> np.ndarray:
    if arr.dtype.kind in "USO":
        flat = arr.reshape(arr.shape[0], -1) if arr.ndim > 1 else arr.reshape(-1, 1)
        for j in range(flat.shape[1]):
            for v in flat[:, j]:
                if v is None:
                    continue
                column = str(_column_label(X, j))
                if isinstance(v, (bool, np.bool_)):
                    raise ColumnTypeError(f"{name} {_describe_column(X, j)} holds booleans; "
                                          "expected numbers", column=column)
                if not isinstance(v, numbers.Real):
                    raise ColumnTypeError(f"{name} {_describe_column(X, j)} holds non-numeric "
                                          f"value {v!r}; expected numbers", column=column)
        try:
            return np.array(arr.tolist(), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ColumnTypeError(f"{name} holds values that are not numbers ({exc})") from None
    raise ColumnTypeError(f"{name} has dtype {arr.dtype}; expected numbers")


def _check_finite(arr: np.ndarray, X, name: str, allow_nan: bool) -> None:
    if arr.ndim == 1:
        cols = [None]
        bad_nan = np.isnan(arr).any()
        bad_inf = np.isinf(arr).any()
    else:
        nan_cols = np.flatnonzero(np.isnan(arr).any(axis=0))
        inf_cols = np.flatnonzero(np.isinf(arr).any(axis=0))
        bad_nan, bad_inf = len(nan_cols) > 0, len(inf_cols) > 0
        cols = None
    if bad_inf:
        where = "" if cols else " in " + ", ".join(_describe_column(X, j) for j in inf_cols[:5])
        column = None if cols else str(_column_label(X, inf_cols[0]))
        raise NonFiniteValueError(f"{name} contains infinite values{where}", column=column)
    if bad_nan and not allow_nan:
        where = "" if cols else " in " + ", ".join(_describe_column(X, j) for j in nan_cols[:5])
        column = None if cols else str(_column_label(X, nan_cols[0]))
        raise MissingValueError(f"{name} contains NaN (missing values){where}; impute them "
                                "first (e.g. SimpleImputer inside the pipeline)", column=column)


def check_n_features(X, expected: int, *, name: str = "X") -> None:
    """Raise a clear ValueError when ``X`` does not have ``expected`` columns.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    expected : int
        Number of features the model was fitted on.
    name : str, default "X"

    Raises
    ------
    InputShapeError
        Naming both counts (a ``ValueError``).
    """
    n = np.shape(X)[1] if np.ndim(X) == 2 else None
    if n != expected:
        raise InputShapeError(f"{name} has {n} features, but the model was fitted on "
                              f"{expected}")


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, or raise naming ``name`` when it is not a positive integer.

    Examples
    --------
    >>> check_positive_int(3, "batch_size")
    3
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def check_fitted(model, *, name: str = "model") -> None:
    """Raise a clear error when a scikit-learn estimator (or Pipeline) has not been fitted.

    Parameters
    ----------
    model : estimator
    name : str, default "model"

    Raises
    ------
    TypeError
        If ``model`` has no ``predict`` method.
    ValueError
        If it is not fitted; the message names the estimator class.
    """
    if not (hasattr(model, "predict") or hasattr(model, "transform")):
        raise TypeError(f"{name} must be a fitted estimator with a predict method, got "
                        f"{type(model).__name__}")
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ValueError(f"{name} ({type(model).__name__}) is not fitted yet; call "
                         f"{name}.fit(X, y) first") from None
    except TypeError:
        # Not a scikit-learn estimator (e.g. a torch module): nothing to check here.
        return


def check_table(X, name: str = "X"):
    """Check that ``X`` is a non-empty 2-D table without converting it.

    Keeping the caller's type (DataFrame or array) matters: a model fitted on a DataFrame wants
    its column names back, and converting 400k rows to float64 would cost a full copy.
    Returns ``(X, n_rows)``; lists are turned into arrays.

    Raises
    ------
    NotTableLikeError
        ``X`` is None, a scalar or a string (a ``TypeError``).
    InputShapeError
        ``X`` is not 2-D, or has no rows or no columns (a ``ValueError``).

    Examples
    --------
    >>> check_table([[1, 2], [3, 4]])[1]
    2
    """
    if X is None:
        raise NotTableLikeError(f"{name} is None; expected a 2-D array or a DataFrame")
    if isinstance(X, (str, bytes)) or np.isscalar(X):
        raise NotTableLikeError(f"{name} must be a 2-D array or a DataFrame, got "
                                f"{type(X).__name__}")
    if not (_is_dataframe(X) or hasattr(X, "shape")):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:
            raise InputShapeError(f"{name} could not be read as a table ({exc})") from None
    shape = tuple(X.shape)
    if len(shape) != 2:
        hint = (f" Use {name}.reshape(1, -1) for a single row or {name}.reshape(-1, 1) for "
                "a single feature.") if len(shape) == 1 else ""
        raise InputShapeError(f"{name} must be 2-D (rows x features), got {len(shape)}-D "
                              f"with shape {shape}.{hint}")
    if shape[0] == 0:
        raise InputShapeError(f"{name} is empty: it has no rows (shape {shape}); at least one "
                              "row is needed")
    if shape[1] == 0:
        raise InputShapeError(f"{name} has no columns (shape {shape})")
    return X, shape[0]


def input_kind(X) -> str:
    """``"dataframe"`` when ``X`` names its columns, otherwise ``"array"``.

    Named: a DataFrame whose column labels are all strings, a dict (of columns or one row), a
    list of dicts (records). Everything else, including a DataFrame with the default integer
    labels, is positional like a numpy array; that is how scikit-learn treats column names.

    Examples
    --------
    >>> import pandas as pd
    >>> input_kind(pd.DataFrame({"age": [31]})), input_kind(pd.DataFrame([[31]]))
    ('dataframe', 'array')
    """
    if _is_dataframe(X):
        return "dataframe" if all(isinstance(c, str) for c in X.columns) else "array"
    if isinstance(X, dict):
        return "dataframe"
    if isinstance(X, (list, tuple)) and X and all(isinstance(r, dict) for r in X):
        return "dataframe"
    return "array"


def as_frame(X, *, name: str = "X", names=None, infer_objects: bool = False,
             allow_series: bool = False, min_rows: int = 1):
    """Read any table-like input as a pandas DataFrame: the one entry point for raw rows.

    Accepts a DataFrame (returned as is, no copy), a 2-D numpy array, a list of rows, a dict
    (of single values: one row; of lists: columns) and a list of dicts (records). Lists keep
    each value's own type (``[[1, "a"]]`` stays a number and a text, unlike ``np.asarray``).

    Parameters
    ----------
    X : DataFrame, array-like, dict or list of dicts
        The rows.
    name : str, default "X"
        What to call the data in error messages.
    names : list of str, optional
        Column names for input that has none (arrays, lists of rows, DataFrames whose column
        labels are not all strings); the number of columns must match. Without it such columns
        are called ``x0``, ``x1``, ...
    infer_objects : bool, default False
        Give object columns a better dtype (numbers, ``str``) as
        :meth:`pandas.DataFrame.infer_objects` does; otherwise they stay ``object`` with each
        value as it came.
    allow_series : bool, default False
        Read a pandas Series as one column; otherwise it is rejected as 1-D (one row of a
        table is a frequent mistake: ``series.to_frame().T`` is one row).
    min_rows : int, default 1
        Fewer rows raise :class:`~mlserving_lab.errors.InputShapeError`.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    NotTableLikeError
        ``X`` is None, a scalar, a string, a set, or of an unsupported type or dtype (a
        ``TypeError``).
    InputShapeError
        ``X`` is 1-D or 3-D, ragged, has too few rows, no columns, or a column count that
        differs from ``names`` (a ``ValueError``).

    Examples
    --------
    >>> as_frame([[1, "a"], [2, "b"]]).dtypes.tolist()
    [dtype('O'), dtype('O')]
    >>> as_frame([[1, "a"], [2, "b"]], names=["n", "t"], infer_objects=True).dtypes.tolist()
    [dtype('int64'), <StringDtype(na_value=nan)>]
    >>> as_frame({"age": 31, "plan": "pro"})
       age plan
    0   31  pro
    >>> as_frame([1.0, 2.0])
    Traceback (most recent call last):
    ...
    mlserving_lab.errors.InputShapeError: X is 1-D with shape (2,); the model needs 2-D input (rows x columns): use X.reshape(1, -1) for a single row
    """
    import pandas as pd

    if X is None:
        raise NotTableLikeError(f"{name} is None; expected a table (a DataFrame, a 2-D array or "
                                "a list of rows)")
    if isinstance(X, pd.Series):
        if not allow_series:
            raise InputShapeError(f"{name} is a 1-D pandas Series of length {len(X)}; pass a "
                                  "DataFrame (one row: `series.to_frame().T`)")
        X = X.to_frame()
    built = True  # a frame made here (not the caller's DataFrame)
    if isinstance(X, pd.DataFrame):
        frame, built = X, False
        if names is not None and input_kind(X) == "array":
            # Like scikit-learn, non-text column labels are not names: match by position.
            _check_width(frame.shape, names, name)
            frame = frame.set_axis(list(names), axis=1)
    elif isinstance(X, dict):
        frame = _frame_from_dict(X, name)
    elif isinstance(X, (str, bytes, bytearray, set, frozenset)) or np.isscalar(X):
        raise NotTableLikeError(f"{name} must be a table (DataFrame, 2-D array or list of rows), "
                                f"got {type(X).__name__} {X!r:.40}")
    elif isinstance(X, (list, tuple)) and X and all(isinstance(r, dict) for r in X):
        try:
            frame = pd.DataFrame.from_records(list(X))
        except (TypeError, ValueError) as exc:
            raise NotTableLikeError(f"{name} is a list of dicts that pandas cannot read as "
                                    f"records: {exc}") from None
    elif isinstance(X, (np.ndarray, list, tuple)) or hasattr(X, "__array__"):
        frame = _frame_from_array(_as_2d_array(X, name), name, names)
    else:
        raise NotTableLikeError(f"{name} must be a table (DataFrame, 2-D array or list of rows), "
                                f"got {type(X).__name__}")
    if infer_objects and built:
        frame = frame.infer_objects()
    if frame.shape[1] == 0:
        raise InputShapeError(f"{name} has no columns (shape {frame.shape})")
    if frame.shape[0] < min_rows:
        if frame.shape[0] == 0:
            raise InputShapeError(f"{name} is empty: it has no rows (shape {frame.shape}); send "
                                  "at least one row")
        raise InputShapeError(f"{name} has {frame.shape[0]} rows; at least {min_rows} needed "
                              f"(shape {frame.shape})")
    return frame


def _check_width(shape, names, name: str) -> None:
    if shape[1] != len(names):
        raise InputShapeError(f"{name} has {shape[1]} column{'s' if shape[1] != 1 else ''} but "
                              f"the model was trained on {len(names)} ({listed(names)}); "
                              f"shape {shape}")


def _frame_from_array(arr: np.ndarray, name: str, names):
    import pandas as pd

    if names is not None:
        _check_width(arr.shape, names, name)
    names = list(names) if names is not None else [f"x{i}" for i in range(arr.shape[1])]
    if arr.dtype == object:
        return pd.DataFrame({n: pd.Series(arr[:, j], dtype=object) for j, n in enumerate(names)})
    if arr.dtype.kind in "biuf":
        return pd.DataFrame(arr, columns=names)
    if arr.dtype.kind in "US":
        return pd.DataFrame({n: pd.Series(arr[:, j].astype(str).astype(object), dtype=object)
                             for j, n in enumerate(names)})
    raise NotTableLikeError(f"{name} has dtype {arr.dtype}, which is not supported; pass "
                            "numbers, text or booleans")


def _as_2d_array(X, name: str) -> np.ndarray:
    if isinstance(X, (list, tuple)):
        if len(X) == 0:
            raise InputShapeError(f"{name} is an empty {type(X).__name__}; send at least one row")
        rows_are_seq = [isinstance(r, (list, tuple, np.ndarray)) for r in X]
        if all(rows_are_seq):
            lengths = {len(r) for r in X}
            if len(lengths) > 1:
                raise InputShapeError(f"{name} has rows of different lengths "
                                      f"({sorted(lengths)}); every row needs one value per column")
        elif any(rows_are_seq):
            raise InputShapeError(f"{name} mixes rows (lists) and single values; pass a list of "
                                  "rows")
    try:
        # Lists keep each value's own type (np.asarray would turn [[1, "a"]] into text).
        arr = np.array(X, dtype=object) if isinstance(X, (list, tuple)) else np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise NotTableLikeError(f"{name} could not be read as a table: {exc}") from None
    if arr.ndim == 0:
        raise NotTableLikeError(f"{name} is a 0-D array holding {arr!r:.40}; expected a table")
    if arr.ndim == 1:
        raise InputShapeError(f"{name} is 1-D with shape {arr.shape}; the model needs 2-D input "
                              "(rows x columns): use X.reshape(1, -1) for a single row")
    if arr.ndim > 2:
        raise InputShapeError(f"{name} is {arr.ndim}-D with shape {arr.shape}; the model needs "
                              "2-D input (rows x columns)")
    if arr.shape[1] == 0:
        raise InputShapeError(f"{name} has no columns (shape {arr.shape})")
    return arr


def _frame_from_dict(X: dict, name: str):
    import pandas as pd

    if not X:
        raise InputShapeError(f"{name} is an empty dict; send at least one column")
    scalars = [np.isscalar(v) or v is None for v in X.values()]
    try:
        if all(scalars):
            return pd.DataFrame({str(k): [v] for k, v in X.items()})
        if any(scalars):
            raise InputShapeError(f"{name} mixes single values and lists; send one row as a dict "
                                  "of single values or a table as a dict of equal-length lists")
        for k, v in X.items():
            if not isinstance(v, (list, tuple, np.ndarray, pd.Series)):
                raise NotTableLikeError(f"{name}[{k!r}] is a {type(v).__name__}; expected a "
                                        "single value or a list of values", column=str(k))
            if np.ndim(v) != 1:
                raise InputShapeError(f"{name}[{k!r}] is {np.ndim(v)}-D; each column must be a "
                                      "flat list of values", column=str(k))
        lengths = {len(v) for v in X.values()}
        if len(lengths) > 1:
            raise InputShapeError(f"{name}'s columns have different lengths {sorted(lengths)}")
        return pd.DataFrame({str(k): pd.Series(list(v), dtype=object)
                             for k, v in X.items()})
    except SchemaError:
        raise
    except (TypeError, ValueError) as exc:
        raise NotTableLikeError(f"{name} could not be read as a table: {exc}") from None


def row_slice(X, start: int, stop: int):
    """Rows ``start:stop`` of an array (a view) or a DataFrame (positional)."""
    if _is_dataframe(X):
        return X.iloc[start:stop]
    return X[start:stop]


def check_nonneg_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return int(value)


def as_float32(X, n_features: int | None = None, names: list[str] | None = None, *,
               name: str = "X"):
    """Validate ``X`` and return a C-contiguous float32 array.

    The common case of a float ndarray takes a fast path of a few microseconds (a one-row
    request must not pay 15 µs of validation for a 8 µs model); everything else goes through
    :func:`check_array`, whose messages name the problem. ``names`` reorders a DataFrame's
    columns into the fitted order (and names what is missing or unexpected).

    Examples
    --------
    >>> as_float32(np.array([[1.0, 2.0]]), n_features=2).dtype
    dtype('float32')
    """
    if type(X) is np.ndarray and X.ndim == 2 and X.dtype.kind == "f":
        if n_features is not None and X.shape[1] != n_features:
            raise InputShapeError(f"{name} has {X.shape[1]} features, but the model was "
                                  f"fitted on {n_features}")
        if X.shape[0] == 0:
            raise InputShapeError(f"{name} has 0 rows (shape {X.shape}); at least 1 needed")
        out = X if X.dtype == np.float32 else X.astype(np.float32)
        if np.isfinite(out).all():
            return np.ascontiguousarray(out)
        check_array(X, name=name)  # raises with the column that holds NaN/inf
        raise NonFiniteValueError(f"{name} holds values that do not fit in float32 "
                                  "(|x| > 3.4e38)")
    if _is_dataframe(X) and names is not None:
        cols = [str(c) for c in X.columns]
        if cols != names:
            missing = [c for c in names if c not in cols]
            extra = [c for c in cols if c not in names]
            if missing or extra:
                error = MissingColumnError if missing else UnexpectedColumnError
                raise error(f"{name} columns do not match the columns the model was "
                                 f"fitted on: missing {missing[:5]}, unexpected {extra[:5]}")
            X = X.set_axis(cols, axis=1)[names]
    arr = check_array(X, name=name, dtype=np.float32)
    if n_features is not None and arr.shape[1] != n_features:
        raise InputShapeError(f"{name} has {arr.shape[1]} features, but the model was "
                              f"fitted on {n_features}")
    return np.ascontiguousarray(arr)
