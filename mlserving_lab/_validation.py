"""Input validation shared by every module: validate once, at the boundary, with clear errors.

The messages name what is wrong (the shape, the column, the value) so that a learner or a
serving engineer can fix the call without reading a numpy traceback.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_array",
    "check_fitted",
    "check_n_features",
    "check_positive_int",
    "feature_names",
]


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
    TypeError
        If ``X`` is None, a scalar, a string, or holds text/booleans where numbers are needed.
    ValueError
        If ``X`` has the wrong number of dimensions, too few rows, NaN or infinite values.

    Examples
    --------
    >>> check_array([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> check_array([1, 2, 3])
    Traceback (most recent call last):
    ...
    ValueError: X must be 2-D (rows x features), got a 1-D array of shape (3,). ...
    """
    if X is None:
        raise TypeError(f"{name} is None; expected an array or a DataFrame")
    if isinstance(X, (str, bytes)) or np.isscalar(X):
        raise TypeError(f"{name} must be an array or a DataFrame, got {type(X).__name__} {X!r}")
    frame = X if _is_dataframe(X) else None
    if frame is not None and dtype is not None:
        _check_frame_numeric(frame, name)
    try:
        arr = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} could not be read as a table ({exc}); rows must all have "
                         "the same length") from None
    if arr.dtype == object and arr.ndim == 1 and len(arr) and isinstance(arr[0], (list, tuple)):
        raise ValueError(f"{name} has rows of different lengths")

    if arr.ndim != ndim:
        if ndim == 2 and arr.ndim == 1:
            raise ValueError(
                f"{name} must be 2-D (rows x features), got a 1-D array of shape {arr.shape}. "
                f"Use {name}.reshape(1, -1) for a single row or {name}.reshape(-1, 1) "
                "for a single feature."
            )
        raise ValueError(f"{name} must be {ndim}-D, got {arr.ndim}-D with shape {arr.shape}")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} has {arr.shape[0]} rows; at least {min_rows} needed "
                         f"(shape {arr.shape})")
    if ndim == 2 and arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {arr.shape})")

    if dtype is None:
        return arr
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} holds booleans; convert them to 0/1 numbers explicitly")
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
            raise TypeError(f"{name} column {col!r} holds booleans; expected numbers")
        if kind not in "iuf" and not str(dt).startswith(("Int", "UInt", "Float")):
            sample = frame.iloc[:, j].dropna()
            example = f" such as {sample.iloc[0]!r}" if len(sample) else ""
            raise TypeError(
                f"{name} column {col!r} has dtype {dt}{example}; expected numbers. "
                "Encode text columns (e.g. OneHotEncoder) before this step."
            )


def _coerce_numeric(arr: np.ndarray, X, name: str) -> np.ndarray:
    if arr.dtype.kind in "USO":
        flat = arr.reshape(arr.shape[0], -1) if arr.ndim > 1 else arr.reshape(-1, 1)
        for j in range(flat.shape[1]):
            for v in flat[:, j]:
                if v is None:
                    continue
                if isinstance(v, (bool, np.bool_)):
                    raise TypeError(f"{name} {_describe_column(X, j)} holds booleans; "
                                    "expected numbers")
                if not isinstance(v, numbers.Real):
                    raise TypeError(f"{name} {_describe_column(X, j)} holds non-numeric value "
                                    f"{v!r}; expected numbers")
        try:
            return np.array(arr.tolist(), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} holds values that are not numbers ({exc})") from None
    raise TypeError(f"{name} has dtype {arr.dtype}; expected numbers")


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
        raise ValueError(f"{name} contains infinite values{where}")
    if bad_nan and not allow_nan:
        where = "" if cols else " in " + ", ".join(_describe_column(X, j) for j in nan_cols[:5])
        raise ValueError(f"{name} contains NaN (missing values){where}; impute them first "
                         "(e.g. SimpleImputer inside the pipeline)")


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
    ValueError
        Naming both counts.
    """
    n = np.shape(X)[1] if np.ndim(X) == 2 else None
    if n != expected:
        raise ValueError(f"{name} has {n} features, but the model was fitted on {expected}")


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
    """
    if X is None:
        raise TypeError(f"{name} is None; expected a 2-D array or a DataFrame")
    if isinstance(X, (str, bytes)) or np.isscalar(X):
        raise TypeError(f"{name} must be a 2-D array or a DataFrame, got {type(X).__name__}")
    if not (_is_dataframe(X) or hasattr(X, "shape")):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name} could not be read as a table ({exc})") from None
    shape = tuple(X.shape)
    if len(shape) != 2:
        hint = (f" Use {name}.reshape(1, -1) for a single row or {name}.reshape(-1, 1) for "
                "a single feature.") if len(shape) == 1 else ""
        raise ValueError(f"{name} must be 2-D (rows x features), got {len(shape)}-D with "
                         f"shape {shape}.{hint}")
    if shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {shape}); at least one row is needed")
    if shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {shape})")
    return X, shape[0]


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
