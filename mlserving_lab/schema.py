"""The input schema: what the training data looked like, checked on every serving batch.

Lesson 04. :class:`InputSchema` learns the columns, dtypes, numeric ranges, categories and
whether values may be missing from the training data (:meth:`InputSchema.from_training`), and
:meth:`InputSchema.validate` checks each serving batch against it with one specific exception
per problem (every one a :class:`~mlserving_lab.errors.SchemaError`). The schema travels as
JSON (:meth:`InputSchema.to_json`, stored by :func:`mlserving_lab.packaging.save_artifact`)
and can be exported as a standard JSON Schema for other services
(:meth:`InputSchema.to_json_schema`).

The skew check itself (:func:`mlserving_lab.skew.check_skew`) lives in :mod:`mlserving_lab.skew`.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlserving_lab._columns import (
    category_key,
    check_column,
    dtype_name,
    is_bool_dtype,
    is_number_dtype,
    is_object_dtype,
    is_text_dtype,
    missing_mask,
    python_value,
    sort_key,
    value_family,
)
from mlserving_lab._validation import as_frame, input_kind, listed
from mlserving_lab.errors import (
    ColumnTypeError,
    DuplicateColumnError,
    InputShapeError,
    MissingColumnError,
    SchemaError,
    SchemaFormatError,
    SchemaWarning,
    UnexpectedColumnError,
)

__all__ = ["DOCUMENT_SCHEMA", "ColumnSpec", "InputSchema"]

_SCHEMA_FORMAT = "mlserving-lab-input-schema"
_SCHEMA_VERSION = 1
_NULLABLE_NUMBER = {"type": ["number", "null"]}
#: The schema *file* format (what :meth:`InputSchema.to_json` writes), as a JSON Schema:
#: :meth:`InputSchema.from_dict` checks documents against it and names the offending field.
DOCUMENT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "mlserving-lab InputSchema document",
    "type": "object",
    "required": ["format", "version", "input_kind", "strict", "range_tolerance", "columns"],
    "properties": {
        "format": {"const": _SCHEMA_FORMAT},
        "version": {"const": _SCHEMA_VERSION},
        "input_kind": {"enum": ["dataframe", "array"]},
        "strict": {"type": "boolean"},
        "range_tolerance": {"type": "number", "minimum": 0},
        "columns": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "kind", "dtype"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"enum": ["numeric", "categorical", "boolean"]},
                    "dtype": {"type": "string"},
                    "allow_missing": {"type": "boolean"},
                    "allow_inf": {"type": "boolean"},
                    "min": _NULLABLE_NUMBER,
                    "max": _NULLABLE_NUMBER,
                    "categories": {"type": ["array", "null"],
                                   "items": {"type": ["string", "number", "boolean"]}},
                    "value_types": {"type": ["array", "null"],
                                    "items": {"enum": ["text", "number", "bool", "other"]}},
                },
            },
        },
    },
}


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
    missing = missing_mask(s)
    allow_missing = bool(missing.any())
    if is_bool_dtype(dtype):
        return ColumnSpec(name, "boolean", dtype_name(dtype), allow_missing)
    if is_number_dtype(dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return _numeric_spec(name, dtype_name(dtype), values, allow_missing)
    if isinstance(dtype, pd.CategoricalDtype):
        present = s[~missing].unique().tolist()
        families = {value_family(v) for v in present}
        if "other" in families:
            raise ColumnTypeError(f"column {name!r}: categories of type "
                                  f"{type(next(v for v in present if value_family(v) == 'other')).__name__} "
                                  "are not supported; use text or numbers", column=name)
        return _categorical_spec(name, "category", present, allow_missing, max_categories)
    if is_text_dtype(dtype) or is_object_dtype(dtype):
        present = [v for v, m in zip(s.to_numpy(dtype=object), missing, strict=True) if not m]
        families = {value_family(v) for v in present}
        if "other" in families:
            bad = next(v for v in present if value_family(v) == "other")
            raise ColumnTypeError(f"column {name!r} holds {type(bad).__name__} values such as "
                                  f"{bad!r:.40}; InputSchema supports numbers, text, booleans and "
                                  "categories", column=name)
        if families == {"number"}:
            values = np.array([float(v) for v in present] or [], dtype=np.float64)
            return _numeric_spec(name, "float64", values, allow_missing)
        if families == {"bool"}:
            return ColumnSpec(name, "boolean", "bool", allow_missing)
        return _categorical_spec(name, dtype_name(dtype), present, allow_missing,
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


def _categorical_spec(name, dtype, present, allow_missing, max_categories) -> ColumnSpec:
    unique = {category_key(python_value(v)): python_value(v) for v in present}
    cats = sorted(unique.values(), key=sort_key)
    types = sorted({value_family(v) for v in cats}) or ["text"]
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
    mlserving_lab.errors.ColumnTypeError: column 'age' is numeric in training (float64) but holds text ...
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
        frame = as_frame(X, name="the training data", min_rows=0)
        if frame.shape[0] == 0:
            raise InputShapeError("the training data has no rows")
        specs = [_spec_from_series(str(c), frame.iloc[:, j], int(max_categories))
                 for j, c in enumerate(frame.columns)]
        return cls(specs, input_kind=input_kind(X), strict=strict,
                   range_tolerance=range_tolerance)

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
            cats = None if c.categories is None else listed(c.categories, 6)
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
        # Arrays are matched by position, and so are unnamed DataFrames when the model was
        # fitted on an array; a DataFrame for a DataFrame-trained model is matched by name.
        positional = self.input_kind == "array" or not isinstance(X, pd.DataFrame)
        frame = as_frame(X, name="X", names=self.names if positional else None, min_rows=0)
        if frame.shape[0] == 0:
            raise InputShapeError(f"X has no rows (shape {frame.shape}); send at least one row")
        positions = self._align_columns(frame)
        out, unchanged = {}, True
        for spec, pos in zip(self.columns, positions, strict=True):
            column = frame.iloc[:, pos]
            checked = check_column(spec, column, strict, self.range_tolerance)
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
            extra_txt = f"; it has unexpected columns {listed(extra)}" if extra else ""
            raise MissingColumnError(f"X is missing column{'s' if len(missing) > 1 else ''} "
                                     f"{listed(missing)} seen in training{extra_txt}{hint}",
                                     column=missing[0])
        if extra:
            raise UnexpectedColumnError(f"X has column{'s' if len(extra) > 1 else ''} "
                                        f"{listed(extra)} that training never saw; drop "
                                        f"{'them' if len(extra) > 1 else 'it'} before serving "
                                        "(or retrain with it)", column=extra[0])
        where = {label: j for j, label in enumerate(labels)}
        return [where[n] for n in self.names]

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
            If ``data`` is not a schema document; the message names the field that is wrong
            (checked against :data:`DOCUMENT_SCHEMA` by a small built-in JSON Schema checker,
            so reading a schema does not need ``jsonschema``).

        Examples
        --------
        >>> doc = InputSchema.from_training([[1.0], [2.0]]).to_dict()
        >>> doc["columns"][0]["kind"] = "text"
        >>> InputSchema.from_dict(doc)
        Traceback (most recent call last):
        ...
        mlserving_lab.errors.SchemaFormatError: malformed InputSchema document: columns[0].kind: 'text' is not one of ['numeric', 'categorical', 'boolean']
        """
        if not isinstance(data, dict) or data.get("format") != _SCHEMA_FORMAT:
            raise SchemaFormatError("not an InputSchema document: expected a JSON object with "
                                    f"\"format\": \"{_SCHEMA_FORMAT}\"")
        if data.get("version") != _SCHEMA_VERSION:
            raise SchemaFormatError(f"unsupported InputSchema version {data.get('version')!r}; "
                                    f"this library reads version {_SCHEMA_VERSION}")
        _check_document(data)
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


def _check_document(data: dict) -> None:
    """Raise SchemaFormatError naming the first wrong field of a schema document."""
    error = next(_schema_errors(data, DOCUMENT_SCHEMA), None)
    if error is not None:
        path, message = error
        where = _json_path(path) or "the document"
        raise SchemaFormatError(f"malformed InputSchema document: {where}: {message}")


# --------------------------------------------------------------------------------------------
# A small JSON Schema interpreter for DOCUMENT_SCHEMA
# --------------------------------------------------------------------------------------------
# Reading a schema must not import jsonschema: its format checkers build an IRI grammar when it
# is imported (~2.5 s), which every notebook that loads an artifact would pay. This checker
# implements exactly the keywords DOCUMENT_SCHEMA uses, with jsonschema's semantics and wording
# (tests/test_schema.py compares both on a corpus of broken documents). Any other keyword raises
# NotImplementedError, so DOCUMENT_SCHEMA cannot grow beyond what is checked.
_ANNOTATIONS = frozenset({"$schema", "title"})
_JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, (list, tuple)),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool),
    "integer": lambda v: not isinstance(v, bool) and (
        isinstance(v, numbers.Integral) or (isinstance(v, float) and v.is_integer())),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_PLAIN_KEY = re.compile("^[a-zA-Z][a-zA-Z0-9_]*$")


def _schema_errors(instance, schema: dict):
    """The errors of ``instance`` against ``schema``, as ``(path, message)`` pairs.

    Parameters
    ----------
    instance : object
        The (JSON-like) data to check.
    schema : dict
        A JSON Schema using only ``type``, ``const``, ``enum``, ``required``, ``properties``,
        ``additionalProperties: false``, ``items`` (one schema), ``minItems``, ``minimum`` and
        the annotations ``$schema`` and ``title``.

    Returns
    -------
    iterator of (tuple, str)
        Lazily, in the order of the schema's keywords and the instance's items; ``path`` holds
        the keys and indices leading to the wrong value (``()`` for ``instance`` itself) and
        ``message`` is worded like jsonschema's.

    Raises
    ------
    NotImplementedError
        If ``schema`` (or any subschema) uses a keyword or form not implemented here.

    Examples
    --------
    >>> list(_schema_errors({"a": -1}, {"properties": {"a": {"minimum": 0}}}))
    [(('a',), '-1 is less than the minimum of 0')]
    """
    _check_supported(schema, ())
    return _errors(instance, schema, ())


def _check_supported(schema, where: tuple) -> None:
    """Raise NotImplementedError unless the interpreter implements all of ``schema``."""
    place = "/".join(map(str, where)) or "the root"
    if not isinstance(schema, dict):
        raise NotImplementedError(f"schema at {place}: only object schemas are implemented, "
                                  f"not {schema!r}")
    for keyword, value in schema.items():
        if keyword == "type":
            names = [value] if isinstance(value, str) else value
            unknown = [t for t in names if t not in _JSON_TYPES]
            if unknown:
                raise NotImplementedError(f"schema at {place}: unknown type {unknown[0]!r}")
        elif keyword == "properties":
            for name, subschema in value.items():
                _check_supported(subschema, (*where, keyword, name))
        elif keyword == "items":
            _check_supported(value, (*where, keyword))
        elif keyword == "additionalProperties":
            if value is not False:
                raise NotImplementedError(f"schema at {place}: only \"additionalProperties\": "
                                          "false is implemented")
        elif keyword not in _KEYWORDS and keyword not in _ANNOTATIONS:
            raise NotImplementedError(f"schema at {place}: the JSON Schema keyword {keyword!r} "
                                      "is not implemented by the InputSchema document checker")


def _errors(instance, schema: dict, path: tuple):
    for keyword, value in schema.items():
        if keyword not in _ANNOTATIONS:
            yield from _KEYWORDS[keyword](value, instance, schema, path)


def _type(types, instance, schema, path):
    types = [types] if isinstance(types, str) else types
    if not any(_JSON_TYPES[t](instance) for t in types):
        yield path, f"{instance!r} is not of type {', '.join(map(repr, types))}"


def _const(const, instance, schema, path):
    if not _json_equal(instance, const):
        yield path, f"{const!r} was expected"


def _enum(options, instance, schema, path):
    if not any(_json_equal(instance, option) for option in options):
        yield path, f"{instance!r} is not one of {options!r}"


def _required(names, instance, schema, path):
    if _JSON_TYPES["object"](instance):
        for name in names:
            if name not in instance:
                yield path, f"{name!r} is a required property"


def _properties(properties, instance, schema, path):
    if _JSON_TYPES["object"](instance):
        for name, subschema in properties.items():
            if name in instance:
                yield from _errors(instance[name], subschema, (*path, name))


def _additional_properties(allowed, instance, schema, path):
    if _JSON_TYPES["object"](instance):
        known = schema.get("properties", {})
        extras = sorted((key for key in instance if key not in known), key=str)
        if extras:
            verb = "was" if len(extras) == 1 else "were"
            yield path, (f"Additional properties are not allowed "
                         f"({', '.join(map(repr, extras))} {verb} unexpected)")


def _items(subschema, instance, schema, path):
    if _JSON_TYPES["array"](instance):
        for index, item in enumerate(instance):
            yield from _errors(item, subschema, (*path, index))


def _min_items(least, instance, schema, path):
    if _JSON_TYPES["array"](instance) and len(instance) < least:
        yield path, f"{instance!r} {'should be non-empty' if least == 1 else 'is too short'}"


def _minimum(least, instance, schema, path):
    if _JSON_TYPES["number"](instance) and instance < least:
        yield path, f"{instance!r} is less than the minimum of {least!r}"


_KEYWORDS = {"type": _type, "const": _const, "enum": _enum, "required": _required,
             "properties": _properties, "additionalProperties": _additional_properties,
             "items": _items, "minItems": _min_items, "minimum": _minimum}


def _json_equal(one, two) -> bool:
    """JSON equality: ``True`` is not ``1``, sequences and objects compare item by item."""
    if isinstance(one, str) or isinstance(two, str):
        return isinstance(one, str) and isinstance(two, str) and one == two
    if isinstance(one, (list, tuple)) and isinstance(two, (list, tuple)):
        return len(one) == len(two) and all(map(_json_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_json_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    try:
        return bool(one == two)
    except (TypeError, ValueError):  # e.g. an array compared elementwise
        return False


def _json_path(path: tuple) -> str:
    """``("columns", 1, "kind")`` -> ``"columns[1].kind"`` (jsonschema's path without ``$.``)."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif _PLAIN_KEY.match(step):
            text += f".{step}"
        else:
            text += "['" + step.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return text.removeprefix(".")
