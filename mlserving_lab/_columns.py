"""Per-column checks behind :class:`mlserving_lab.schema.InputSchema` (private).

Value families, missing-value masks and dtype tests shared by learning a schema and checking a
serving batch against it; :func:`check_column` checks one serving column against its
:class:`~mlserving_lab.schema.ColumnSpec` and returns it converted to the training dtype.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

from mlserving_lab._validation import listed
from mlserving_lab.errors import (
    ColumnTypeError,
    MissingValueError,
    NonFiniteValueError,
    OutOfRangeError,
    OutOfRangeWarning,
    UnseenCategoryError,
    UnseenCategoryWarning,
)

_MAX_LISTED = 5


def _rows(mask: np.ndarray, index) -> str:
    pos = np.flatnonzero(mask)
    labels = [index[i] for i in pos[:_MAX_LISTED]]
    text = ", ".join(str(lab) for lab in labels)
    if len(pos) > _MAX_LISTED:
        text += f", ... ({len(pos)} rows in all)"
    return f"row{'s' if len(pos) > 1 else ''} {text}"


def python_value(v):
    """numpy scalar -> python scalar, so categories survive a JSON round trip."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def value_family(v) -> str:
    """'bool', 'number', 'text' or 'other' for one non-missing value."""
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, numbers.Number) and not isinstance(v, complex | np.complexfloating):
        return "number"
    if isinstance(v, str):
        return "text"
    return "other"


def is_missing_scalar(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return bool(np.isnan(v))
    return False


def missing_mask(series: pd.Series) -> np.ndarray:
    if is_object_dtype(series.dtype):
        return np.fromiter((is_missing_scalar(v) for v in series.to_numpy()), dtype=bool,
                           count=len(series))
    return series.isna().to_numpy(dtype=bool)


def is_bool_dtype(dtype) -> bool:
    return pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


def is_number_dtype(dtype) -> bool:
    """ints and floats (numpy or pandas nullable); not bool, not complex."""
    if isinstance(dtype, pd.CategoricalDtype) or is_bool_dtype(dtype):
        return False
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)


def is_text_dtype(dtype) -> bool:
    return isinstance(dtype, pd.StringDtype) or (
        pd.api.types.is_string_dtype(dtype) and not is_object_dtype(dtype)
        and not isinstance(dtype, pd.CategoricalDtype))


def is_object_dtype(dtype) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def dtype_name(dtype) -> str:
    return str(dtype)


def sort_key(v):
    return (value_family(v), str(v))


def category_key(v):
    """Identity of a category: False and 0 are equal in Python but different categories."""
    return (value_family(v), v)


def check_column(spec, s: pd.Series, strict: bool, tolerance: float):
    if spec.kind == "numeric":
        return _check_numeric(spec, s, strict, tolerance)
    if spec.kind == "boolean":
        return _check_boolean(spec, s)
    return _check_categorical(spec, s, strict)

def _check_missing(spec, s: pd.Series, missing: np.ndarray) -> None:
    if missing.any() and not spec.allow_missing:
        raise MissingValueError(
            f"column {spec.name!r} has {int(missing.sum())} missing value(s) (NaN/None) at "
            f"{_rows(missing, s.index)}, but training had none; fill them the way training "
            "did or fix the upstream source", column=spec.name)

def _check_numeric(spec, s: pd.Series, strict: bool, tolerance: float):
    name, dtype = spec.name, s.dtype
    trained = f"numeric in training ({spec.dtype})"
    if is_bool_dtype(dtype):
        raise ColumnTypeError(f"column {name!r} is {trained} but holds booleans; convert "
                              "them to 0/1 explicitly if that is what training did",
                              column=name)
    if is_number_dtype(dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(dtype, pd.CategoricalDtype) or is_text_dtype(dtype) or is_object_dtype(dtype):
        values = _numbers_from_objects(spec, s, trained)
    else:
        raise ColumnTypeError(f"column {name!r} is {trained} but has dtype {dtype}",
                              column=name)
    nan = np.isnan(values)
    _check_missing(spec, s, nan)
    inf = np.isinf(values)
    if inf.any() and not spec.allow_inf:
        raise NonFiniteValueError(f"column {name!r} has infinite value(s) at "
                                  f"{_rows(inf, s.index)}; training values were finite",
                                  column=name)
    _check_range(spec, s, values, strict, tolerance)
    if str(dtype) == spec.dtype:
        return s  # already the training dtype: no copy
    return _numeric_output(spec, values, s.index)

def _numbers_from_objects(spec, s, trained) -> np.ndarray:
    raw = s.to_numpy(dtype=object)
    out = np.empty(len(raw), dtype=np.float64)
    for i, v in enumerate(raw):
        if is_missing_scalar(v):
            out[i] = np.nan
            continue
        family = value_family(v)
        if family == "number":
            try:
                out[i] = float(v)
            except (TypeError, ValueError, OverflowError):
                family = "other"
            else:
                continue
        what = {"text": "text", "bool": "booleans"}.get(family, f"{type(v).__name__} values")
        raise ColumnTypeError(f"column {spec.name!r} is {trained} but holds {what} such as "
                              f"{v!r:.40} at row {s.index[i]}", column=spec.name)
    return out

def _check_range(spec, s, values, strict, tolerance) -> None:
    if spec.min is None or spec.max is None:
        return
    span = spec.max - spec.min
    if span == 0:
        span = max(abs(spec.max), 1.0)
    slack = tolerance * span
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        far = finite & ((values < spec.min - slack) | (values > spec.max + slack))
    if not far.any():
        return
    worst = values[far][np.argmax(np.abs(values[far] - (spec.min + spec.max) / 2))]
    msg = (f"column {spec.name!r} has {int(far.sum())} value(s) far outside the training "
           f"range [{spec.min:g}, {spec.max:g}] (e.g. {worst:g} at {_rows(far, s.index)})")
    if strict:
        raise OutOfRangeError(msg, column=spec.name)
    warnings.warn(msg, OutOfRangeWarning, stacklevel=5)

def _numeric_output(spec, values, index) -> pd.Series:
    try:
        target = np.dtype(spec.dtype)
    except TypeError:
        target = np.dtype(np.float64)
    if target.kind == "f":
        return pd.Series(values.astype(target), index=index)
    if target.kind in "iu" and not np.isnan(values).any() and not np.isinf(values).any():
        with np.errstate(invalid="ignore"):
            as_int = values.astype(target)
        if np.array_equal(as_int.astype(np.float64), values):
            return pd.Series(as_int, index=index)
    return pd.Series(values, index=index)

def _check_boolean(spec, s):
    name = spec.name
    missing = missing_mask(s)
    _check_missing(spec, s, missing)
    if is_bool_dtype(s.dtype):
        return s
    raw = s.to_numpy(dtype=object)
    for i, v in enumerate(raw):
        if not missing[i] and value_family(v) != "bool":
            raise ColumnTypeError(f"column {name!r} holds booleans in training but got "
                                  f"{type(v).__name__} {v!r:.40} at row {s.index[i]}",
                                  column=name)
    if missing.any():
        return pd.Series(raw, index=s.index, dtype=object)
    return pd.Series(raw.astype(bool), index=s.index)

def _check_categorical(spec, s, strict):
    name = spec.name
    missing = missing_mask(s)
    _check_missing(spec, s, missing)
    allowed = set(spec.value_types or ["text", "number"])
    if isinstance(s.dtype, pd.StringDtype) and "text" in allowed:
        return _check_text_fast(spec, s, missing, strict)
    raw = s.to_numpy(dtype=object)
    present = [python_value(v) for v, m in zip(raw, missing, strict=True) if not m]
    for i, v in enumerate(raw):
        if missing[i]:
            continue
        fam = value_family(v)
        if fam not in allowed:
            what = {"text": "text", "bool": "booleans", "number": "numbers"}.get(
                fam, f"{type(v).__name__} values")
            kinds = " / ".join(sorted(allowed))
            raise ColumnTypeError(f"column {name!r} is categorical ({kinds}) in training "
                                  f"but holds {what} such as {v!r:.40} at row {s.index[i]}",
                                  column=name)
    if spec.categories is not None:
        known = {category_key(v) for v in spec.categories}
        new = [v for v in present if category_key(v) not in known]
        unseen = sorted({category_key(v): v for v in new}.values(), key=sort_key)
        if unseen:
            _unseen(spec, unseen, len(new), strict, level=5)
    return _categorical_output(spec, raw, missing, s.index)

def _check_text_fast(spec, s, missing, strict):
    """Vectorised path for pandas string columns (every value is text or missing)."""
    if spec.categories is not None:
        known = [c for c in spec.categories if isinstance(c, str)]
        new = ~missing & ~s.isin(known).to_numpy(dtype=bool)
        if new.any():
            _unseen(spec, sorted(set(s[new].tolist())), int(new.sum()), strict, level=6)
    if spec.dtype == "str" and getattr(s.dtype, "na_value", None) is not pd.NA:
        return s
    raw = s.to_numpy(dtype=object, na_value=np.nan)
    return _categorical_output(spec, raw, missing, s.index)

def _unseen(spec, unseen, n_rows, strict, *, level: int) -> None:
    msg = (f"column {spec.name!r} has {len(unseen)} categor"
           f"{'ies' if len(unseen) > 1 else 'y'} never seen in training: {listed(unseen)} "
           f"({n_rows} row(s)); known: {listed(spec.categories)}")
    if strict:
        raise UnseenCategoryError(msg, column=spec.name)
    warnings.warn(msg, UnseenCategoryWarning, stacklevel=level)

def _categorical_output(spec, raw, missing, index) -> pd.Series:
    values = np.array([np.nan if m else python_value(v) for v, m in
                       zip(raw, missing, strict=True)], dtype=object)
    if spec.dtype == "category":
        cats = list(spec.categories or [])
        known = {category_key(v) for v in cats}
        extra = sorted({category_key(v): v for v, m in zip(values, missing, strict=True)
                        if not m and category_key(v) not in known}.values(), key=sort_key)
        try:
            return pd.Series(pd.Categorical(values, categories=cats + extra), index=index)
        except (TypeError, ValueError):  # e.g. False and 0 are one pandas category
            return pd.Series(values, index=index, dtype=object)
    if spec.dtype == "string" and all(
            isinstance(v, str) for v, m in zip(values, missing, strict=True) if not m):
        return pd.Series(np.where(missing, None, values), index=index, dtype="string")
    if spec.dtype in ("str", "string") and all(
            isinstance(v, str) for v, m in zip(values, missing, strict=True) if not m):
        try:
            return pd.Series(values, index=index, dtype=pd.StringDtype(na_value=np.nan))
        except TypeError:  # pandas < 2.2 has no na_value
            return pd.Series(values, index=index, dtype=object)
    return pd.Series(values, index=index, dtype=object)
