"""Training-serving skew: an input schema learned from training data, and the skew check.

Lesson 04. Two tools that catch the most common production failure before users see it:

* :class:`InputSchema` learns what the training data looked like (columns, dtypes, numeric
  ranges, categories, whether values may be missing) and checks every serving batch against
  it, with one specific exception per problem.
* :func:`check_skew` runs the training pipeline and a serving path on the *same raw rows* and
  reports how often their predictions disagree, by how much their probabilities differ and,
  when both expose their preprocessing, which features differ after it.

:func:`make_mixed_dataset` builds the seeded mixed-type dataset that lesson 04 and exercise 2
use (5 numeric columns, some with missing values; 3 categorical columns with rare categories).
"""

from __future__ import annotations

import json
import math
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlserving_lab.errors import (
    ColumnTypeError,
    DuplicateColumnError,
    InputShapeError,
    MissingColumnError,
    MissingValueError,
    NonFiniteValueError,
    NotTableLikeError,
    OutOfRangeError,
    OutOfRangeWarning,
    SchemaError,
    SchemaFormatError,
    SchemaWarning,
    UnexpectedColumnError,
    UnseenCategoryError,
    UnseenCategoryWarning,
)

__all__ = [
    "ColumnSpec",
    "ColumnTypeError",
    "DuplicateColumnError",
    "InputSchema",
    "InputShapeError",
    "MissingColumnError",
    "MissingValueError",
    "NonFiniteValueError",
    "NotTableLikeError",
    "OutOfRangeError",
    "OutOfRangeWarning",
    "SchemaError",
    "SchemaFormatError",
    "SchemaWarning",
    "ServingPath",
    "SkewReport",
    "UnexpectedColumnError",
    "UnseenCategoryError",
    "UnseenCategoryWarning",
    "check_skew",
    "plot_skew",
]

_SCHEMA_FORMAT = "mlserving-lab-input-schema"
_SCHEMA_VERSION = 1
_MAX_LISTED = 5


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def _listed(values, limit: int = _MAX_LISTED) -> str:
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values) - limit} more)"
    return shown


def _rows(mask: np.ndarray, index) -> str:
    pos = np.flatnonzero(mask)
    labels = [index[i] for i in pos[:_MAX_LISTED]]
    text = ", ".join(str(lab) for lab in labels)
    if len(pos) > _MAX_LISTED:
        text += f", ... ({len(pos)} rows in all)"
    return f"row{'s' if len(pos) > 1 else ''} {text}"


def _python_value(v):
    """numpy scalar -> python scalar, so categories survive a JSON round trip."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def _value_family(v) -> str:
    """'bool', 'number', 'text' or 'other' for one non-missing value."""
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, numbers.Number) and not isinstance(v, complex | np.complexfloating):
        return "number"
    if isinstance(v, str):
        return "text"
    return "other"


def _is_missing_scalar(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return bool(np.isnan(v))
    return False


def _missing_mask(series: pd.Series) -> np.ndarray:
    if _is_object_dtype(series.dtype):
        return np.fromiter((_is_missing_scalar(v) for v in series.to_numpy()), dtype=bool,
                           count=len(series))
    return series.isna().to_numpy(dtype=bool)


def _is_bool_dtype(dtype) -> bool:
    return pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


def _is_number_dtype(dtype) -> bool:
    """ints and floats (numpy or pandas nullable); not bool, not complex."""
    if isinstance(dtype, pd.CategoricalDtype) or _is_bool_dtype(dtype):
        return False
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)


def _is_text_dtype(dtype) -> bool:
    return isinstance(dtype, pd.StringDtype) or (
        pd.api.types.is_string_dtype(dtype) and not _is_object_dtype(dtype)
        and not isinstance(dtype, pd.CategoricalDtype))


def _is_object_dtype(dtype) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def _dtype_name(dtype) -> str:
    return str(dtype)


# --------------------------------------------------------------------------------------------
# Column specification
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnSpec:
    """What one training column looked like.

    Attributes
    ----------
    name : str
        Column name (``x0``, ``x1``, ... for arrays).
    kind : {"numeric", "categorical", "boolean"}
        How the column is checked.
    dtype : str
        The training dtype, e.g. ``"float64"``, ``"int64"``, ``"str"``, ``"category"``.
    allow_missing : bool
        Whether training had missing values (NaN / None) in this column.
    allow_inf : bool
        Whether training had infinite values (numeric columns).
    min, max : float or None
        Finite training range (numeric columns).
    categories : list or None
        Sorted training categories (categorical columns; ``None`` when there were too many
        distinct values to enumerate, then unseen values are not checked).
    """

    name: str
    kind: str
    dtype: str
    allow_missing: bool = False
    allow_inf: bool = False
    min: float | None = None
    max: float | None = None
    categories: list | None = None
    value_types: list | None = None

    def to_dict(self) -> dict:
        """The specification as a JSON-ready dict."""
        return {"name": self.name, "kind": self.kind, "dtype": self.dtype,
                "allow_missing": self.allow_missing, "allow_inf": self.allow_inf,
                "min": self.min, "max": self.max, "categories": self.categories,
                "value_types": self.value_types}


def _spec_from_series(name: str, s: pd.Series, max_categories: int) -> ColumnSpec:
    dtype = s.dtype
    missing = _missing_mask(s)
    allow_missing = bool(missing.any())
    if _is_bool_dtype(dtype):
        return ColumnSpec(name, "boolean", _dtype_name(dtype), allow_missing)
    if _is_number_dtype(dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return _numeric_spec(name, _dtype_name(dtype), values, allow_missing)
    if isinstance(dtype, pd.CategoricalDtype):
        present = s[~missing].unique().tolist()
        families = {_value_family(v) for v in present}
        if "other" in families:
            raise ColumnTypeError(f"column {name!r}: categories of type "
                                  f"{type(next(v for v in present if _value_family(v) == 'other')).__name__} "
                                  "are not supported; use text or numbers", column=name)
        return _categorical_spec(name, "category", present, allow_missing, max_categories)
    if _is_text_dtype(dtype) or _is_object_dtype(dtype):
        present = [v for v, m in zip(s.to_numpy(dtype=object), missing, strict=True) if not m]
        families = {_value_family(v) for v in present}
        if "other" in families:
            bad = next(v for v in present if _value_family(v) == "other")
            raise ColumnTypeError(f"column {name!r} holds {type(bad).__name__} values such as "
                                  f"{bad!r:.40}; InputSchema supports numbers, text, booleans and "
                                  "categories", column=name)
        if families == {"number"}:
            values = np.array([float(v) for v in present] or [], dtype=np.float64)
            return _numeric_spec(name, "float64", values, allow_missing)
        if families == {"bool"}:
            return ColumnSpec(name, "boolean", "bool", allow_missing)
        return _categorical_spec(name, _dtype_name(dtype), present, allow_missing,
                                 max_categories)
    raise ColumnTypeError(f"column {name!r} has dtype {dtype}, which InputSchema does not "
                          "support; convert it to numbers, text or booleans first", column=name)


def _numeric_spec(name, dtype, values, allow_missing) -> ColumnSpec:
    with np.errstate(invalid="ignore"):
        inf = np.isinf(values)
        finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else None
    hi = float(finite.max()) if finite.size else None
    return ColumnSpec(name, "numeric", dtype, allow_missing or bool(np.isnan(values).any()),
                      bool(inf.any()), lo, hi)


def _sort_key(v):
    return (_value_family(v), str(v))


def _category_key(v):
    """Identity of a category: False and 0 are equal in Python but different categories."""
    return (_value_family(v), v)


def _categorical_spec(name, dtype, present, allow_missing, max_categories) -> ColumnSpec:
    unique = {_category_key(_python_value(v)): _python_value(v) for v in present}
    cats = sorted(unique.values(), key=_sort_key)
    types = sorted({_value_family(v) for v in cats}) or ["text"]
    if len(cats) > max_categories:
        cats = None
    return ColumnSpec(name, "categorical", dtype, allow_missing, categories=cats,
                      value_types=types)


# --------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------
class InputSchema:
    """The shape of the training data, checked at serving time.

    Lesson 04. Learn it with :meth:`from_training`; call :meth:`validate` on every serving
    batch. Every problem raises a specific exception (a ``ValueError`` or ``TypeError``
    subclass, all deriving from :class:`SchemaError`) whose message names the column.
    Unseen categories and numbers far outside the training range only warn, unless
    ``strict=True``.

    Parameters
    ----------
    columns : list of ColumnSpec
        One specification per training column, in training order.
    input_kind : {"dataframe", "array"}, default "dataframe"
        What the model was fitted on; :meth:`validate` returns the same kind.
    strict : bool, default False
        Raise instead of warning for unseen categories and far out-of-range values.
    range_tolerance : float, default 0.5
        A number is "far" out of range when it lies more than ``range_tolerance`` times the
        training span (max - min) below the minimum or above the maximum.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"age": [31.0, 45.0, 52.0], "plan": ["basic", "pro", "basic"]})
    >>> schema = InputSchema.from_training(X)
    >>> schema.validate(pd.DataFrame({"plan": ["pro"], "age": [40]})).columns.tolist()
    ['age', 'plan']
    >>> schema.validate(pd.DataFrame({"age": ["forty"], "plan": ["pro"]}))
    Traceback (most recent call last):
    ...
    mlserving_lab.skew.ColumnTypeError: column 'age' is numeric in training (float64) but holds text ...
    """

    def __init__(self, columns, *, input_kind: str = "dataframe", strict: bool = False,
                 range_tolerance: float = 0.5):
        columns = list(columns)
        if not columns:
            raise ValueError("an InputSchema needs at least one column")
        if not all(isinstance(c, ColumnSpec) for c in columns):
            raise TypeError("columns must be ColumnSpec objects")
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise DuplicateColumnError(f"duplicate column names in the schema: {dup}",
                                       column=dup[0])
        if input_kind not in ("dataframe", "array"):
            raise ValueError(f"input_kind must be 'dataframe' or 'array', got {input_kind!r}")
        tol = float(range_tolerance)
        if not math.isfinite(tol) or tol < 0:
            raise ValueError(f"range_tolerance must be a finite number >= 0, got {range_tolerance!r}")
        self.columns: list[ColumnSpec] = columns
        self.input_kind = input_kind
        self.strict = bool(strict)
        self.range_tolerance = tol

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_training(cls, X, *, strict: bool = False, range_tolerance: float = 0.5,
                      max_categories: int = 1000) -> InputSchema:
        """Learn the schema from the training data.

        Parameters
        ----------
        X : pandas DataFrame, numpy array or list of rows
            The training features, exactly as the model was fitted on them.
        strict : bool, default False
        range_tolerance : float, default 0.5
        max_categories : int, default 1000
            A text column with more distinct values is treated as free text: its values are
            not checked against a category list.

        Returns
        -------
        InputSchema

        Raises
        ------
        NotTableLikeError, InputShapeError, ColumnTypeError, DuplicateColumnError
            If ``X`` is not a non-empty 2-D table of supported column types.

        Examples
        --------
        >>> import numpy as np
        >>> InputSchema.from_training(np.zeros((4, 2))).names
        ['x0', 'x1']
        """
        frame, input_kind = _as_frame(X, None, name="the training data")
        if frame.shape[0] == 0:
            raise InputShapeError("the training data has no rows")
        specs = [_spec_from_series(str(c), frame.iloc[:, j], int(max_categories))
                 for j, c in enumerate(frame.columns)]
        return cls(specs, input_kind=input_kind, strict=strict, range_tolerance=range_tolerance)

    # -- properties ------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Column names in training order."""
        return [c.name for c in self.columns]

    @property
    def n_columns(self) -> int:
        """Number of training columns."""
        return len(self.columns)

    def __getitem__(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"no column {name!r} in the schema; columns: {self.names}")

    def __eq__(self, other) -> bool:
        return (isinstance(other, InputSchema) and self.columns == other.columns
                and self.input_kind == other.input_kind and self.strict == other.strict
                and self.range_tolerance == other.range_tolerance)

    def __repr__(self) -> str:
        kinds = ", ".join(f"{c.name}:{c.kind}" for c in self.columns[:6])
        more = f", ... ({self.n_columns} columns)" if self.n_columns > 6 else ""
        return f"InputSchema({kinds}{more}; strict={self.strict})"

    def summary(self) -> pd.DataFrame:
        """One row per column: kind, dtype, missing allowed, range, categories.

        Returns
        -------
        pandas.DataFrame
        """
        rows = []
        for c in self.columns:
            cats = None if c.categories is None else _listed(c.categories, 6)
            rows.append({"column": c.name, "kind": c.kind, "dtype": c.dtype,
                         "missing allowed": c.allow_missing, "min": c.min, "max": c.max,
                         "categories": cats})
        return pd.DataFrame(rows).set_index("column")

    def _repr_html_(self) -> str:
        return (f"<b>InputSchema</b> ({self.n_columns} columns, input={self.input_kind}, "
                f"strict={self.strict})" + self.summary()._repr_html_())

    # -- validation ------------------------------------------------------------------------
    def validate(self, X, *, strict: bool | None = None):
        """Check a serving batch and return it ready for the model.

        Parameters
        ----------
        X : pandas DataFrame, numpy array, list of rows, dict or list of dicts
            The raw serving rows. A dict of scalars is one row; a dict of lists is a table.
        strict : bool, optional
            Override the schema's ``strict`` setting for this call.

        Returns
        -------
        pandas.DataFrame or numpy.ndarray
            Columns in training order with training dtypes; a DataFrame when the schema was
            learned from a DataFrame, otherwise an array (float64 when every column is numeric).

        Raises
        ------
        NotTableLikeError
            ``X`` is None, a scalar, a string or another non-table.
        InputShapeError
            ``X`` is 1-D or 3-D, has no rows, or (arrays) the wrong number of columns.
        MissingColumnError, UnexpectedColumnError, DuplicateColumnError
            The column names differ from training.
        ColumnTypeError
            Text, booleans, or other objects where training had numbers (and vice versa).
        MissingValueError
            NaN / None in a column that had no missing values in training.
        NonFiniteValueError
            Infinity in a column that was finite in training.
        UnseenCategoryError, OutOfRangeError
            Only when strict; otherwise :class:`UnseenCategoryWarning` /
            :class:`OutOfRangeWarning` are issued.
        """
        strict = self.strict if strict is None else bool(strict)
        frame, _ = _as_frame(X, self, name="X")
        if frame.shape[0] == 0:
            raise InputShapeError(f"X has no rows (shape {frame.shape}); send at least one row")
        positions = self._align_columns(frame)
        out, unchanged = {}, True
        for spec, pos in zip(self.columns, positions, strict=True):
            column = frame.iloc[:, pos]
            checked = self._check_column(spec, column, strict)
            unchanged = unchanged and checked is column
            out[spec.name] = checked
        if unchanged and positions == list(range(len(positions))) and \
                [str(c) for c in frame.columns] == self.names:
            result = frame.copy(deep=False)  # nothing to convert (copy-on-write keeps X safe)
        else:
            result = pd.DataFrame(out, index=frame.index)
        if self.input_kind == "dataframe":
            return result
        if all(c.kind == "numeric" for c in self.columns):
            dtypes = {c.dtype for c in self.columns}
            dtype = dtypes.pop() if len(dtypes) == 1 else "float64"
            if np.dtype(dtype).kind in "iu" and any(c.allow_missing for c in self.columns):
                dtype = "float64"
            try:
                return result.to_numpy(dtype=np.dtype(dtype))
            except (TypeError, ValueError):
                return result.to_numpy(dtype=np.float64)
        return result.to_numpy(dtype=object)

    def is_valid(self, X) -> bool:
        """True when :meth:`validate` accepts ``X`` (warnings are ignored)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SchemaWarning)
                self.validate(X)
        except SchemaError:
            return False
        return True

    def _align_columns(self, frame: pd.DataFrame) -> list[int]:
        """Positions of the training columns in ``frame`` (after checking the names)."""
        labels = [str(c) for c in frame.columns]
        if len(set(labels)) != len(labels):
            dup = sorted({c for c in labels if labels.count(c) > 1})
            raise DuplicateColumnError(f"X has duplicate columns: {dup}", column=dup[0])
        missing = [n for n in self.names if n not in set(labels)]
        extra = [c for c in labels if c not in set(self.names)]
        if missing:
            hint = ""
            if self.input_kind == "array" and all(str(c).isdigit() for c in labels):
                hint = (" (the schema was learned from an unnamed array: pass a numpy array, or "
                        f"name the columns {self.names[:3]}...)")
            extra_txt = f"; it has unexpected columns {_listed(extra)}" if extra else ""
            raise MissingColumnError(f"X is missing column{'s' if len(missing) > 1 else ''} "
                                     f"{_listed(missing)} seen in training{extra_txt}{hint}",
                                     column=missing[0])
        if extra:
            raise UnexpectedColumnError(f"X has column{'s' if len(extra) > 1 else ''} "
                                        f"{_listed(extra)} that training never saw; drop "
                                        f"{'them' if len(extra) > 1 else 'it'} before serving "
                                        "(or retrain with it)", column=extra[0])
        where = {label: j for j, label in enumerate(labels)}
        return [where[n] for n in self.names]

    # -- per-column checks ------------------------------------------------------------------
    def _check_column(self, spec: ColumnSpec, s: pd.Series, strict: bool):
        if spec.kind == "numeric":
            return self._check_numeric(spec, s, strict)
        if spec.kind == "boolean":
            return self._check_boolean(spec, s)
        return self._check_categorical(spec, s, strict)

    def _check_missing(self, spec: ColumnSpec, s: pd.Series, missing: np.ndarray) -> None:
        if missing.any() and not spec.allow_missing:
            raise MissingValueError(
                f"column {spec.name!r} has {int(missing.sum())} missing value(s) (NaN/None) at "
                f"{_rows(missing, s.index)}, but training had none; fill them the way training "
                "did or fix the upstream source", column=spec.name)

    def _check_numeric(self, spec: ColumnSpec, s: pd.Series, strict: bool):
        name, dtype = spec.name, s.dtype
        trained = f"numeric in training ({spec.dtype})"
        if _is_bool_dtype(dtype):
            raise ColumnTypeError(f"column {name!r} is {trained} but holds booleans; convert "
                                  "them to 0/1 explicitly if that is what training did",
                                  column=name)
        if _is_number_dtype(dtype):
            values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        elif isinstance(dtype, pd.CategoricalDtype) or _is_text_dtype(dtype) or _is_object_dtype(dtype):
            values = self._numbers_from_objects(spec, s, trained)
        else:
            raise ColumnTypeError(f"column {name!r} is {trained} but has dtype {dtype}",
                                  column=name)
        nan = np.isnan(values)
        self._check_missing(spec, s, nan)
        inf = np.isinf(values)
        if inf.any() and not spec.allow_inf:
            raise NonFiniteValueError(f"column {name!r} has infinite value(s) at "
                                      f"{_rows(inf, s.index)}; training values were finite",
                                      column=name)
        self._check_range(spec, s, values, strict)
        if str(dtype) == spec.dtype:
            return s  # already the training dtype: no copy
        return self._numeric_output(spec, values, s.index)

    def _numbers_from_objects(self, spec, s, trained) -> np.ndarray:
        raw = s.to_numpy(dtype=object)
        out = np.empty(len(raw), dtype=np.float64)
        for i, v in enumerate(raw):
            if _is_missing_scalar(v):
                out[i] = np.nan
                continue
            family = _value_family(v)
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

    def _check_range(self, spec, s, values, strict) -> None:
        if spec.min is None or spec.max is None:
            return
        span = spec.max - spec.min
        if span == 0:
            span = max(abs(spec.max), 1.0)
        slack = self.range_tolerance * span
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

    def _numeric_output(self, spec, values, index) -> pd.Series:
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

    def _check_boolean(self, spec, s):
        name = spec.name
        missing = _missing_mask(s)
        self._check_missing(spec, s, missing)
        if _is_bool_dtype(s.dtype):
            return s
        raw = s.to_numpy(dtype=object)
        for i, v in enumerate(raw):
            if not missing[i] and _value_family(v) != "bool":
                raise ColumnTypeError(f"column {name!r} holds booleans in training but got "
                                      f"{type(v).__name__} {v!r:.40} at row {s.index[i]}",
                                      column=name)
        if missing.any():
            return pd.Series(raw, index=s.index, dtype=object)
        return pd.Series(raw.astype(bool), index=s.index)

    def _check_categorical(self, spec, s, strict):
        name = spec.name
        missing = _missing_mask(s)
        self._check_missing(spec, s, missing)
        allowed = set(spec.value_types or ["text", "number"])
        if isinstance(s.dtype, pd.StringDtype) and "text" in allowed:
            return self._check_text_fast(spec, s, missing, strict)
        raw = s.to_numpy(dtype=object)
        present = [_python_value(v) for v, m in zip(raw, missing, strict=True) if not m]
        for i, v in enumerate(raw):
            if missing[i]:
                continue
            fam = _value_family(v)
            if fam not in allowed:
                what = {"text": "text", "bool": "booleans", "number": "numbers"}.get(
                    fam, f"{type(v).__name__} values")
                kinds = " / ".join(sorted(allowed))
                raise ColumnTypeError(f"column {name!r} is categorical ({kinds}) in training "
                                      f"but holds {what} such as {v!r:.40} at row {s.index[i]}",
                                      column=name)
        if spec.categories is not None:
            known = {_category_key(v) for v in spec.categories}
            new = [v for v in present if _category_key(v) not in known]
            unseen = sorted({_category_key(v): v for v in new}.values(), key=_sort_key)
            if unseen:
                self._unseen(spec, unseen, len(new), strict, level=5)
        return self._categorical_output(spec, raw, missing, s.index)

    def _check_text_fast(self, spec, s, missing, strict):
        """Vectorised path for pandas string columns (every value is text or missing)."""
        if spec.categories is not None:
            known = [c for c in spec.categories if isinstance(c, str)]
            new = ~missing & ~s.isin(known).to_numpy(dtype=bool)
            if new.any():
                self._unseen(spec, sorted(set(s[new].tolist())), int(new.sum()), strict, level=6)
        if spec.dtype == "str" and getattr(s.dtype, "na_value", None) is not pd.NA:
            return s
        raw = s.to_numpy(dtype=object, na_value=np.nan)
        return self._categorical_output(spec, raw, missing, s.index)

    def _unseen(self, spec, unseen, n_rows, strict, *, level: int) -> None:
        msg = (f"column {spec.name!r} has {len(unseen)} categor"
               f"{'ies' if len(unseen) > 1 else 'y'} never seen in training: {_listed(unseen)} "
               f"({n_rows} row(s)); known: {_listed(spec.categories)}")
        if strict:
            raise UnseenCategoryError(msg, column=spec.name)
        warnings.warn(msg, UnseenCategoryWarning, stacklevel=level)

    def _categorical_output(self, spec, raw, missing, index) -> pd.Series:
        values = np.array([np.nan if m else _python_value(v) for v, m in
                           zip(raw, missing, strict=True)], dtype=object)
        if spec.dtype == "category":
            cats = list(spec.categories or [])
            known = {_category_key(v) for v in cats}
            extra = sorted({_category_key(v): v for v, m in zip(values, missing, strict=True)
                            if not m and _category_key(v) not in known}.values(), key=_sort_key)
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

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The schema as a plain dict (what :meth:`to_json` writes)."""
        return {"format": _SCHEMA_FORMAT, "version": _SCHEMA_VERSION,
                "input_kind": self.input_kind, "strict": self.strict,
                "range_tolerance": self.range_tolerance,
                "columns": [c.to_dict() for c in self.columns]}

    def to_json(self, *, indent: int | None = 2) -> str:
        """Serialise the schema to JSON text (read it back with :meth:`from_json`).

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np
        >>> s = InputSchema.from_training(np.arange(6.0).reshape(3, 2))
        >>> InputSchema.from_json(s.to_json()) == s
        True
        """
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict) -> InputSchema:
        """Rebuild a schema from :meth:`to_dict` output.

        Raises
        ------
        SchemaFormatError
            If ``data`` is not a schema document.
        """
        if not isinstance(data, dict) or data.get("format") != _SCHEMA_FORMAT:
            raise SchemaFormatError("not an InputSchema document: expected a JSON object with "
                                    f"\"format\": \"{_SCHEMA_FORMAT}\"")
        if data.get("version") != _SCHEMA_VERSION:
            raise SchemaFormatError(f"unsupported InputSchema version {data.get('version')!r}; "
                                    f"this library reads version {_SCHEMA_VERSION}")
        try:
            cols = [ColumnSpec(**c) for c in data["columns"]]
            return cls(cols, input_kind=data["input_kind"], strict=data["strict"],
                       range_tolerance=data["range_tolerance"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemaFormatError(f"malformed InputSchema document: {exc}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> InputSchema:
        """Read a schema written by :meth:`to_json`.

        Parameters
        ----------
        text : str or bytes

        Returns
        -------
        InputSchema

        Raises
        ------
        SchemaFormatError
            If the text is not valid JSON or not a schema document.
        """
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise SchemaFormatError(f"the schema text is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def to_json_schema(self) -> dict:
        """Export as a JSON Schema (draft 2020-12) for a list of records.

        Each record is an object with one property per column. Numeric ranges are given as
        ``minimum`` / ``maximum`` including the tolerance; categories as ``enum`` only in strict
        mode (otherwise as ``examples``, since unseen values only warn).

        Returns
        -------
        dict
        """
        props = {}
        for c in self.columns:
            nullable = ["null"] if c.allow_missing else []
            if c.kind == "numeric":
                p = {"type": ["number", *nullable], "x-dtype": c.dtype}
                if c.min is not None and c.max is not None:
                    span = (c.max - c.min) or max(abs(c.max), 1.0)
                    p["minimum"] = c.min - self.range_tolerance * span
                    p["maximum"] = c.max + self.range_tolerance * span
                    p["x-training-range"] = [c.min, c.max]
                    if not self.strict:
                        p["description"] = ("values outside [minimum, maximum] warn; the "
                                            "validator only errors in strict mode")
            elif c.kind == "boolean":
                p = {"type": ["boolean", *nullable]}
            else:
                fams = set(c.value_types or ["text"]) - {"other"}
                types = sorted({"text": "string", "number": "number", "bool": "boolean"}[f]
                               for f in fams)
                p = {"type": [*types, *nullable], "x-dtype": c.dtype}
                if c.categories is not None:
                    if self.strict:
                        p["enum"] = list(c.categories) + ([None] if c.allow_missing else [])
                    else:
                        p["examples"] = list(c.categories)
            props[c.name] = p
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "model input rows",
            "type": "array",
            "minItems": 1,
            "items": {"type": "object", "properties": props, "required": self.names,
                      "additionalProperties": False},
        }


def _as_frame(X, schema: InputSchema | None, *, name: str) -> tuple[pd.DataFrame, str]:
    """Turn any table-like input into a DataFrame; return it and what kind it was."""
    if X is None:
        raise NotTableLikeError(f"{name} is None; expected a table (a DataFrame, a 2-D array or "
                                "a list of rows)")
    if isinstance(X, pd.DataFrame):
        named = all(isinstance(c, str) for c in X.columns)
        if schema is not None and schema.input_kind == "array" and not named:
            # Like scikit-learn, non-text column labels are not names: match by position.
            if X.shape[1] != schema.n_columns:
                raise InputShapeError(f"{name} has {X.shape[1]} column(s) but the model was "
                                      f"trained on {schema.n_columns}; shape {X.shape}")
            return X.set_axis(schema.names, axis=1), "array"
        return X, "dataframe" if named else "array"
    if isinstance(X, pd.Series):
        raise InputShapeError(f"{name} is a 1-D pandas Series of length {len(X)}; pass a "
                              "DataFrame (one row: `series.to_frame().T`)")
    if isinstance(X, dict):
        return _frame_from_dict(X, name), "dataframe"
    if isinstance(X, (str, bytes, bytearray, set, frozenset)) or np.isscalar(X):
        raise NotTableLikeError(f"{name} must be a table (DataFrame, 2-D array or list of rows), "
                                f"got {type(X).__name__} {X!r:.40}")
    if isinstance(X, (list, tuple)) and X and all(isinstance(r, dict) for r in X):
        try:
            return pd.DataFrame.from_records(list(X)), "dataframe"
        except (TypeError, ValueError) as exc:
            raise NotTableLikeError(f"{name} is a list of dicts that pandas cannot read as "
                                    f"records: {exc}") from None
    if not isinstance(X, (np.ndarray, list, tuple)) and not hasattr(X, "__array__"):
        raise NotTableLikeError(f"{name} must be a table (DataFrame, 2-D array or list of rows), "
                                f"got {type(X).__name__}")
    arr = _as_2d_array(X, name)
    if schema is not None and arr.shape[1] != schema.n_columns:
        raise InputShapeError(f"{name} has {arr.shape[1]} column(s) but the model was trained on "
                              f"{schema.n_columns} ({_listed(schema.names)}); shape {arr.shape}")
    names = schema.names if schema is not None else [f"x{i}" for i in range(arr.shape[1])]
    if arr.dtype == object:
        frame = pd.DataFrame({n: pd.Series(arr[:, j], dtype=object) for j, n in enumerate(names)})
    elif arr.dtype.kind in "biuf":
        frame = pd.DataFrame(arr, columns=names)
    elif arr.dtype.kind in "US":
        frame = pd.DataFrame({n: pd.Series(arr[:, j].astype(str).astype(object), dtype=object)
                              for j, n in enumerate(names)})
    else:
        raise NotTableLikeError(f"{name} has dtype {arr.dtype}, which is not supported; pass "
                                "numbers, text or booleans")
    return frame, "array"


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


def _frame_from_dict(X: dict, name: str) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------------
# The skew check
# --------------------------------------------------------------------------------------------
@dataclass
class ServingPath:
    """A serving implementation split into its preprocessing and its model.

    Lesson 04. Wrap a hand-written serving path in this so that :func:`check_skew` can compare
    its features, not only its predictions, with the training pipeline.

    Parameters
    ----------
    preprocess : callable
        ``preprocess(X_raw) -> features`` (what the serving code does before the model).
    model : fitted estimator
        The model the serving code calls; ``predict_proba`` is used when it exists.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.arange(20.0).reshape(10, 2); y = np.arange(10) % 2
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> serve = ServingPath(lambda Z: Z / Z.max(), pipe[-1])
    >>> check_skew(pipe, serve, X).skewed
    True
    """

    preprocess: object
    model: object

    def transform(self, X):
        """The serving features for raw rows ``X``."""
        return self.preprocess(X)

    def predict_proba(self, X):
        """Probabilities the serving path returns for raw rows ``X``."""
        return self.model.predict_proba(self.preprocess(X))

    def predict(self, X):
        """Labels the serving path returns for raw rows ``X``."""
        return self.model.predict(self.preprocess(X))

    @property
    def classes_(self):
        """The model's class labels."""
        return self.model.classes_


@dataclass(repr=False)
class SkewReport:
    """What :func:`check_skew` found.

    Attributes
    ----------
    n_rows : int
        Rows compared.
    n_mismatched : int
        Rows whose predicted labels differ.
    mismatch_rate : float
        ``n_mismatched / n_rows``.
    max_proba_diff, mean_proba_diff : float or None
        Largest and mean absolute difference between the two probability tables (``None``
        when one side gives labels only). ``inf`` when one side returns NaN where the other
        does not.
    feature_diffs : pandas.DataFrame or None
        One row per model feature after preprocessing: ``max_abs_diff`` and
        ``frac_rows_differ``; ``None`` when the serving side exposes no transform.
    differing_features : list of str
        Features whose values differ after preprocessing.
    atol : float
        The tolerance used.
    notes : list of str
        Anything worth knowing (e.g. different feature counts).
    """

    n_rows: int
    n_mismatched: int
    mismatch_rate: float
    max_proba_diff: float | None
    mean_proba_diff: float | None
    feature_diffs: pd.DataFrame | None
    differing_features: list[str]
    atol: float
    notes: list[str] = field(default_factory=list)

    @property
    def skewed(self) -> bool:
        """True when labels, probabilities or preprocessed features differ beyond ``atol``."""
        proba = self.max_proba_diff is not None and self.max_proba_diff > self.atol
        return bool(self.n_mismatched or proba or self.differing_features
                    or any(n.startswith("feature count") for n in self.notes))

    def to_dict(self) -> dict:
        """The headline numbers (one row of a comparison table)."""
        return {"n_rows": self.n_rows, "n_mismatched": self.n_mismatched,
                "mismatch_rate": self.mismatch_rate, "max_proba_diff": self.max_proba_diff,
                "mean_proba_diff": self.mean_proba_diff,
                "n_features_differ": len(self.differing_features), "skewed": self.skewed}

    def __str__(self) -> str:
        proba = ("n/a" if self.max_proba_diff is None else f"{self.max_proba_diff:.4g}")
        if self.feature_diffs is None:
            feats = "not compared"
        else:
            feats = _listed(self.differing_features) if self.differing_features else "none"
        status = "SKEW DETECTED" if self.skewed else "no skew"
        text = (f"{status}: {self.n_mismatched}/{self.n_rows} predictions differ "
                f"({self.mismatch_rate:.1%}), max probability difference {proba}, "
                f"features that differ after preprocessing: {feats}")
        return text + "".join(f"\nnote: {n}" for n in self.notes)

    def __repr__(self) -> str:
        proba = "None" if self.max_proba_diff is None else f"{self.max_proba_diff:.4g}"
        return (f"SkewReport(skewed={self.skewed}, n_rows={self.n_rows}, "
                f"mismatch_rate={self.mismatch_rate:.4g}, max_proba_diff={proba}, "
                f"differing_features={self.differing_features!r})")

    def _repr_html_(self) -> str:
        import html as _html

        colour = "#b3261e" if self.skewed else "#1a7f37"
        body = _html.escape(str(self)).replace("\n", "<br>")
        return f"<div style='border-left:4px solid {colour};padding:4px 8px'>{body}</div>"


def _has(obj, name: str) -> bool:
    return callable(getattr(obj, name, None))


def _outputs(side, X, label: str, classes):
    """Run one side; return (labels, probabilities or None, classes)."""
    if _has(side, "predict_proba"):
        proba = np.asarray(side.predict_proba(X), dtype=np.float64)
        side_classes = getattr(side, "classes_", classes)
        if side_classes is None:
            side_classes = np.arange(proba.shape[1])
        if proba.ndim != 2 or proba.shape[0] != _n_rows(X):
            raise ValueError(f"the {label} side's predict_proba returned shape {proba.shape}; "
                             f"expected ({_n_rows(X)}, n_classes)")
        return _labels_from_proba(proba, side_classes), proba, side_classes
    if _has(side, "predict"):
        return np.asarray(side.predict(X)).ravel(), None, classes
    if callable(side):
        out = np.asarray(side(X))
        if out.ndim == 2 and out.shape[1] > 1 and out.dtype.kind == "f":
            cls = classes if classes is not None else np.arange(out.shape[1])
            return _labels_from_proba(out, cls), out.astype(np.float64), cls
        if out.ndim == 2 and out.shape[1] == 1:
            out = out.ravel()
        if out.ndim != 1 or out.shape[0] != _n_rows(X):
            raise ValueError(f"the {label} function returned shape {out.shape}; expected one "
                             f"label per row or a ({_n_rows(X)}, n_classes) probability table")
        return out, None, classes
    raise TypeError(f"the {label} side must be a fitted estimator/pipeline with predict or "
                    f"predict_proba, or a function of the raw rows; got {type(side).__name__}")


def _labels_from_proba(proba, classes):
    classes = np.asarray(classes)
    filled = np.where(np.isnan(proba), -np.inf, proba)
    return classes[np.argmax(filled, axis=1)]


def _n_rows(X) -> int:
    return int(np.shape(X)[0])


def _transform_of(side):
    """The preprocessing of a pipeline / ServingPath as a callable, or None."""
    if isinstance(side, ServingPath):
        return side.preprocess, None
    steps = getattr(side, "steps", None)
    if steps and len(steps) > 1:
        pre = side[:-1]
        try:
            names = [str(n) for n in pre.get_feature_names_out()]
        except Exception:  # noqa: BLE001 - not every transformer names its outputs
            names = None
        return pre.transform, names
    return None, None


def _dense(Z) -> np.ndarray:
    if hasattr(Z, "toarray"):
        Z = Z.toarray()
    if isinstance(Z, pd.DataFrame):
        Z = Z.to_numpy()
    arr = np.asarray(Z)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"preprocessed features are not numeric ({exc}); the skew check "
                        "compares numeric model inputs") from None


def _feature_table(Ft, Fs, names, atol):
    diff = np.abs(Ft - Fs)
    both_nan = np.isnan(Ft) & np.isnan(Fs)
    one_nan = np.isnan(Ft) ^ np.isnan(Fs)
    diff = np.where(both_nan, 0.0, np.where(one_nan, np.inf, diff))
    differs = diff > atol
    names = names if names is not None and len(names) == Ft.shape[1] else [
        f"feature_{j}" for j in range(Ft.shape[1])]
    table = pd.DataFrame({"max_abs_diff": diff.max(axis=0) if len(diff) else 0.0,
                          "frac_rows_differ": differs.mean(axis=0) if len(diff) else 0.0},
                         index=pd.Index(names, name="feature"))
    return table


def check_skew(training, serving, X, *, atol: float = 1e-9) -> SkewReport:
    """Run the training pipeline and a serving path on the same raw rows and compare.

    Lesson 04. The training side is the reference. Predictions are compared label by label;
    probabilities, when both sides give them, cell by cell; and preprocessed features, when
    both sides expose their preprocessing (a fitted :class:`~sklearn.pipeline.Pipeline` with a
    transformer before the model, or a :class:`ServingPath`), feature by feature.

    Parameters
    ----------
    training : fitted estimator or Pipeline
        What was validated offline.
    serving : fitted estimator, Pipeline, ServingPath or callable
        What production runs. A callable gets the raw rows and returns labels (1-D) or a
        probability table (2-D float, columns in the training model's class order).
    X : DataFrame or array
        Raw rows, exactly as production receives them (no preprocessing).
    atol : float, default 1e-9
        Absolute tolerance for probabilities and features.

    Returns
    -------
    SkewReport

    Raises
    ------
    TypeError
        If a side cannot produce predictions.
    ValueError
        If ``X`` has no rows or a side returns the wrong number of rows.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.arange(40.0).reshape(20, 2); y = np.arange(20) % 2
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> check_skew(pipe, pipe, X).mismatch_rate
    0.0
    """
    if X is None or isinstance(X, (str, bytes)) or np.isscalar(X):
        raise TypeError(f"X must be a table of raw rows, got {type(X).__name__}")
    if np.ndim(X) != 2:
        raise ValueError(f"X must be 2-D raw rows, got shape {np.shape(X)}")
    n = _n_rows(X)
    if n == 0:
        raise ValueError("X has no rows; the skew check needs at least one raw row")
    atol = float(atol)
    if not atol >= 0:
        raise ValueError(f"atol must be >= 0, got {atol}")
    lab_t, proba_t, classes = _outputs(training, X, "training", None)
    lab_s, proba_s, _ = _outputs(serving, X, "serving", classes)
    if len(lab_s) != n:
        raise ValueError(f"the serving side returned {len(lab_s)} predictions for {n} rows")
    mismatched = np.asarray(lab_t) != np.asarray(lab_s)
    notes: list[str] = []
    max_d = mean_d = None
    if proba_t is not None and proba_s is not None:
        if proba_t.shape != proba_s.shape:
            notes.append(f"probability tables have different shapes {proba_t.shape} vs "
                         f"{proba_s.shape}")
            max_d = mean_d = math.inf
        else:
            d = np.abs(proba_t - proba_s)
            one_nan = np.isnan(proba_t) ^ np.isnan(proba_s)
            d = np.where(np.isnan(proba_t) & np.isnan(proba_s), 0.0, np.where(one_nan, np.inf, d))
            max_d, mean_d = float(d.max()), float(d.mean())
            if one_nan.any():
                notes.append(f"{int(one_nan.any(axis=1).sum())} row(s) got NaN probabilities on "
                             "one side only")
    feat_table, differing = None, []
    t_fn, t_names = _transform_of(training)
    s_fn, s_names = _transform_of(serving)
    if t_fn is not None and s_fn is not None:
        Ft, Fs = _dense(t_fn(X)), _dense(s_fn(X))
        if Ft.shape != Fs.shape:
            notes.append(f"feature count differs after preprocessing: training makes "
                         f"{Ft.shape[1]}, serving makes {Fs.shape[1]}")
        else:
            feat_table = _feature_table(Ft, Fs, t_names or s_names, atol)
            differing = feat_table.index[feat_table.max_abs_diff > atol].tolist()
    elif t_fn is not None or s_fn is not None:
        notes.append("only one side exposes its preprocessing; features were not compared "
                     "(wrap hand-written serving code in ServingPath to compare them)")
    return SkewReport(n_rows=n, n_mismatched=int(mismatched.sum()),
                      mismatch_rate=float(mismatched.mean()), max_proba_diff=max_d,
                      mean_proba_diff=mean_d, feature_diffs=feat_table,
                      differing_features=differing, atol=atol, notes=notes)


def plot_skew(report: SkewReport, *, top: int = 15, ax=None):
    """Bar chart of the features that differ most after preprocessing.

    Lesson 04.

    Parameters
    ----------
    report : SkewReport
    top : int, default 15
        How many features to show.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if not isinstance(report, SkewReport):
        raise TypeError(f"report must be a SkewReport, got {type(report).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    if report.feature_diffs is None:
        ax.text(0.5, 0.5, "features not compared", ha="center", va="center")
        ax.set_axis_off()
        return ax
    t = report.feature_diffs.sort_values("frac_rows_differ", ascending=False).head(int(top))
    ax.barh(t.index.astype(str)[::-1], t.frac_rows_differ.to_numpy()[::-1], color="#b3261e")
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of rows whose feature differs")
    ax.set_title(f"mismatch rate {report.mismatch_rate:.1%}")
    return ax
