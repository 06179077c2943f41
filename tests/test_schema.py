"""Tests for mlserving_lab.schema: InputSchema learned from training data, checked at serving;
the mixed dataset it is tested on."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra import pandas as hpd
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from mlserving_lab import schema as schema_module
from mlserving_lab.datasets import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    make_mixed_dataset,
    make_mixed_split,
)
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
    UnexpectedColumnError,
    UnseenCategoryError,
    UnseenCategoryWarning,
)
from mlserving_lab.schema import DOCUMENT_SCHEMA, InputSchema, _schema_errors


@pytest.fixture(scope="module")
def mixed():
    return make_mixed_split(600, random_state=1)


@pytest.fixture(scope="module")
def schema(mixed):
    return InputSchema.from_training(mixed[0])

# ------------------------------------------------------------------------------ dataset
def test_mixed_dataset_matches_the_exercise_spec():
    X, y = make_mixed_dataset(3000, random_state=3)
    assert list(X.columns) == NUMERIC_COLUMNS + CATEGORICAL_COLUMNS
    assert all(pd.api.types.is_float_dtype(X[c]) for c in NUMERIC_COLUMNS)
    assert all(pd.api.types.is_string_dtype(X[c]) for c in CATEGORICAL_COLUMNS)
    with_nan = [c for c in NUMERIC_COLUMNS if X[c].isna().any()]
    assert 1 <= len(with_nan) < 5
    assert not X[CATEGORICAL_COLUMNS].isna().any().any()
    for c in CATEGORICAL_COLUMNS:
        share = X[c].value_counts(normalize=True)
        assert share.min() < 0.03, f"{c} has no rare category: {share.to_dict()}"
    assert set(y.unique()) == {0, 1} and 0.15 < y.mean() < 0.6
    X2, y2 = make_mixed_dataset(3000, random_state=3)
    pd.testing.assert_frame_equal(X, X2)
    assert not X.equals(make_mixed_dataset(3000, random_state=4)[0])


def test_mixed_dataset_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_samples"):
        make_mixed_dataset(3)
    with pytest.raises(ValueError, match="missing_rate"):
        make_mixed_dataset(100, missing_rate=0.9)


# ------------------------------------------------------------------------------ schema basics
def test_schema_learns_columns_kinds_ranges_categories(mixed, schema):
    X_train = mixed[0]
    assert schema.names == list(X_train.columns)
    assert schema["age"].kind == "numeric"
    assert schema["age"].min == X_train.age.min() and schema["age"].max == X_train.age.max()
    assert schema["income"].allow_missing and not schema["age"].allow_missing
    assert schema["plan"].kind == "categorical"
    assert set(schema["plan"].categories) == set(X_train.plan.unique())
    assert schema.summary().shape[0] == 8


def test_validate_returns_training_order_and_dtypes(mixed, schema):
    X_test = mixed[1]
    shuffled = X_test[list(reversed(X_test.columns))]
    out = schema.validate(shuffled)
    assert list(out.columns) == schema.names
    pd.testing.assert_frame_equal(out, X_test)


def test_text_columns_accepted_as_str_object_or_category(mixed, schema):
    X = mixed[1].copy()
    for dtype in (object, "category", "str"):
        Y = X.astype({c: dtype for c in CATEGORICAL_COLUMNS})
        out = schema.validate(Y)
        assert list(out.columns) == schema.names
        assert out.plan.tolist() == X.plan.tolist()


def test_ints_accepted_for_float_columns(schema, mixed):
    row = mixed[1].iloc[:2].copy()
    row["age"] = row["age"].astype("int64")
    assert schema.validate(row).age.dtype == np.float64


def test_array_schema_returns_array():
    X = np.random.default_rng(0).normal(size=(50, 3))
    schema = InputSchema.from_training(X)
    assert schema.names == ["x0", "x1", "x2"] and schema.input_kind == "array"
    out = schema.validate(X[:5].tolist())
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, X[:5])
    assert isinstance(schema.validate(pd.DataFrame(X)), np.ndarray)


def test_dict_and_records_inputs(schema, mixed):
    row = mixed[1].iloc[0].to_dict()
    one = schema.validate(row)
    assert one.shape == (1, 8)
    two = schema.validate([row, row])
    assert two.shape == (2, 8)


# ------------------------------------------------------------------------------ errors
_BAD_INPUTS = [
    ("none", lambda X: None, NotTableLikeError, "None"),
    ("scalar", lambda X: 3.5, NotTableLikeError, "float"),
    ("string", lambda X: "age,income", NotTableLikeError, "str"),
    ("set", lambda X: {1, 2}, NotTableLikeError, "set"),
    ("series", lambda X: X.iloc[0], InputShapeError, "1-D"),
    ("1d", lambda X: X.to_numpy()[0], InputShapeError, "1-D"),
    ("3d", lambda X: np.zeros((2, 8, 2)), InputShapeError, "3-D"),
    ("width", lambda X: X.to_numpy()[:, :5], InputShapeError, "5 column.*trained on 8"),
    ("empty", lambda X: X.iloc[:0], InputShapeError, "no rows"),
    ("ragged", lambda X: [[1, 2], [3]], InputShapeError, "different lengths"),
    ("missing col", lambda X: X.drop(columns="plan"), MissingColumnError, "'plan'"),
    ("extra col", lambda X: X.assign(coupon="x"), UnexpectedColumnError, "'coupon'"),
    ("duplicate", lambda X: pd.concat([X, X[["age"]]], axis=1), DuplicateColumnError, "'age'"),
    ("text in numeric", lambda X: X.assign(age=X.age.astype(str)), ColumnTypeError,
     "'age'.*text"),
    ("bool in numeric", lambda X: X.assign(support_calls=True), ColumnTypeError,
     "'support_calls'.*booleans"),
    ("object bool", lambda X: X.assign(age=pd.Series([True] * len(X), dtype=object,
                                                     index=X.index)),
     ColumnTypeError, "'age'.*booleans"),
    ("nan", lambda X: X.assign(age=np.nan), MissingValueError, "'age'.*missing"),
    ("none in text", lambda X: X.assign(plan=None), MissingValueError, "'plan'.*missing"),
    ("inf", lambda X: X.assign(support_calls=np.inf), NonFiniteValueError,
     "'support_calls'.*infinite"),
    ("number in text", lambda X: X.assign(region=3), ColumnTypeError, "'region'.*numbers"),
    ("datetime", lambda X: X.assign(age=pd.Timestamp("2024-01-01")), ColumnTypeError, "'age'"),
]


@pytest.mark.parametrize("case", _BAD_INPUTS, ids=[c[0] for c in _BAD_INPUTS])
def test_each_problem_has_a_specific_error_naming_it(schema, mixed, case):
    _, make_bad, exc_type, pattern = case
    X = mixed[1].iloc[:20]
    with pytest.raises(exc_type, match=pattern) as info:
        schema.validate(make_bad(X))
    assert isinstance(info.value, SchemaError)
    assert isinstance(info.value, (ValueError, TypeError))


def test_error_carries_the_column(schema, mixed):
    with pytest.raises(MissingValueError) as info:
        schema.validate(mixed[1].assign(age=np.nan))
    assert info.value.column == "age"


def test_unseen_category_warns_or_raises_in_strict(schema, mixed):
    X = mixed[1].iloc[:5].copy()
    X["plan"] = ["basic", "gold", "gold", "standard", "platinum"]
    with pytest.warns(UnseenCategoryWarning, match="'plan'.*'gold'.*'platinum'"):
        out = schema.validate(X)
    assert out.plan.tolist() == X.plan.tolist()  # passed through, the encoder decides
    with pytest.raises(UnseenCategoryError, match="'plan'"):
        schema.validate(X, strict=True)


def test_far_out_of_range_warns_or_raises_in_strict(schema, mixed):
    X = mixed[1].iloc[:3].copy()
    X["age"] = [40.0, 41.0, 4000.0]
    with pytest.warns(OutOfRangeWarning, match="'age'.*4000"):
        schema.validate(X)
    strict = InputSchema.from_training(mixed[0], strict=True)
    with pytest.raises(OutOfRangeError, match="'age'"):
        strict.validate(X)
    X["age"] = [X_max := mixed[0].age.max() + 1, 40.0, 41.0]  # a little outside: fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        strict.validate(X)
    assert X_max > mixed[0].age.max()


def test_bad_schema_arguments():
    with pytest.raises(ValueError, match="range_tolerance"):
        InputSchema.from_training(np.zeros((3, 2)), range_tolerance=-1)
    with pytest.raises(InputShapeError, match="no rows"):
        InputSchema.from_training(np.zeros((0, 2)))
    with pytest.raises(ColumnTypeError, match="'d'"):
        InputSchema.from_training(pd.DataFrame({"d": pd.to_datetime(["2024-01-01"])}))


# ------------------------------------------------------------------------------ serialisation
def test_json_round_trip(schema, mixed):
    text = schema.to_json()
    again = InputSchema.from_json(text)
    assert again == schema
    pd.testing.assert_frame_equal(again.validate(mixed[1]), schema.validate(mixed[1]))


def test_json_round_trip_with_category_dtype_and_ints():
    X = pd.DataFrame({"n": [1, 2, 3], "c": pd.Categorical([10, 20, 10]),
                      "b": [True, False, True]})
    schema = InputSchema.from_training(X)
    again = InputSchema.from_json(schema.to_json())
    assert again == schema
    out = again.validate(X)
    assert out.n.dtype == np.int64 and isinstance(out.c.dtype, pd.CategoricalDtype)
    assert out.b.dtype == bool


@pytest.mark.parametrize("text, pattern", [
    ("not json", "not valid JSON"),
    ('{"format": "other"}', "not an InputSchema"),
    ('{"format": "mlserving-lab-input-schema", "version": 99}', "version 99"),
    ('{"format": "mlserving-lab-input-schema", "version": 1, "columns": [{"x": 1}]}',
     "malformed"),
])
def test_from_json_rejects_bad_documents(text, pattern):
    with pytest.raises(SchemaFormatError, match=pattern):
        InputSchema.from_json(text)


def test_json_schema_export(schema):
    doc = schema.to_json_schema()
    json.dumps(doc)  # plain JSON
    assert doc["$schema"].startswith("https://json-schema.org/")
    items = doc["items"]
    assert items["required"] == schema.names and items["additionalProperties"] is False
    assert items["properties"]["income"]["type"] == ["number", "null"]
    assert items["properties"]["age"]["type"] == ["number"]
    assert items["properties"]["age"]["minimum"] < schema["age"].min
    assert "examples" in items["properties"]["plan"]
    strict = InputSchema.from_json(schema.to_json().replace('"strict": false', '"strict": true'))
    assert set(strict.to_json_schema()["items"]["properties"]["plan"]["enum"]) == set(
        schema["plan"].categories)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON would carry them (NaN -> null)."""
    return json.loads(frame.to_json(orient="records"))


@pytest.mark.parametrize("strict", [False, True])
def test_emitted_json_schema_is_valid_and_accepts_the_training_rows(mixed, strict):
    X_train = mixed[0]
    doc = InputSchema.from_training(X_train, strict=strict).to_json_schema()
    validator_cls = validator_for(doc)
    assert validator_cls is Draft202012Validator
    validator_cls.check_schema(doc)  # a valid JSON Schema document
    validator = validator_cls(doc)
    assert list(validator.iter_errors(_records(X_train))) == []


def test_emitted_json_schema_rejects_bad_records(mixed, schema):
    validator = Draft202012Validator(schema.to_json_schema())
    good = _records(mixed[0].iloc[:3])
    assert validator.is_valid(good)
    no_nan_column = next(c.name for c in schema.columns
                         if c.kind == "numeric" and not c.allow_missing)
    cases = {
        "missing column": [{k: v for k, v in good[0].items() if k != "plan"}],
        "extra column": [{**good[0], "zzz": 1}],
        "text for a number": [{**good[0], "age": "forty"}],
        "null where training had none": [{**good[0], no_nan_column: None}],
        "far out of range": [{**good[0], "age": schema["age"].max * 100 + 1e6}],
        "a number for a category": [{**good[0], "plan": 3}],
        "no rows": [],
        "not a list of records": good[0],
    }
    for what, records in cases.items():
        assert not validator.is_valid(records), what
    strict = Draft202012Validator(
        InputSchema.from_training(mixed[0], strict=True).to_json_schema())
    assert strict.is_valid(good)
    assert not strict.is_valid([{**good[0], "plan": "never-seen"}])
    assert validator.is_valid([{**good[0], "plan": "never-seen"}])  # only warns when not strict


@pytest.mark.parametrize("change, field", [
    (lambda d: d.pop("input_kind"), "'input_kind' is a required property"),
    (lambda d: d.update(strict="yes"), "strict: 'yes' is not of type 'boolean'"),
    (lambda d: d.update(range_tolerance=-1), "range_tolerance: -1 is less than the minimum"),
    (lambda d: d["columns"][1].update(kind="text"), "columns[1].kind: 'text' is not one of"),
    (lambda d: d["columns"][0].update(min="low"), "columns[0].min: 'low' is not of type"),
    (lambda d: d["columns"][0].update(colour="red"), "columns[0]: Additional properties"),
    (lambda d: d.update(columns=[]), "columns: [] should be non-empty"),
])
def test_schema_document_errors_name_the_field(schema, change, field):
    doc = json.loads(schema.to_json())
    change(doc)
    with pytest.raises(SchemaFormatError, match="malformed") as info:
        InputSchema.from_dict(doc)
    assert field in str(info.value)


def test_document_schema_is_a_valid_json_schema_and_matches_to_dict(schema):
    validator_for(DOCUMENT_SCHEMA).check_schema(DOCUMENT_SCHEMA)
    assert Draft202012Validator(DOCUMENT_SCHEMA).is_valid(schema.to_dict())


# ------------------------------------------------------------------------------ document checker
# InputSchema.from_dict checks documents with a small built-in interpreter of DOCUMENT_SCHEMA (so
# reading a schema never imports jsonschema); these tests hold it to jsonschema's verdicts.
_WRONG_VALUES = ["text", "", 7, -3, 2.5, 0.0, True, False, None, [], ["a"], [1, 2], {}, {"a": 1}]


def _mixed_kinds_document() -> dict:
    X = pd.DataFrame({"n": [1.0, np.nan, 3.0], "c": ["a", "b", "a"], "b": [True, False, True],
                      "i": pd.Categorical([10, 20, 10])})
    return json.loads(InputSchema.from_training(X).to_json())


def _mutants(doc: dict) -> list[tuple[str, object]]:
    """Systematically broken (and a few still valid) variants of a valid schema document."""
    out = [("valid", doc)]

    def variant(what, change):
        new = copy.deepcopy(doc)
        change(new)
        out.append((what, new))

    top = DOCUMENT_SCHEMA["properties"]
    for key in doc:
        variant(f"without {key}", lambda d, key=key: d.pop(key))
    for key in top:
        for value in _WRONG_VALUES:
            variant(f"{key}={value!r}", lambda d, key=key, value=value: d.update({key: value}))
    for key, value in [("format", "other"), ("version", 2), ("version", 1.0),
                       ("input_kind", "frame"), ("input_kind", "DataFrame"),
                       ("range_tolerance", -1), ("range_tolerance", -0.001),
                       ("range_tolerance", float("-inf")), ("range_tolerance", float("nan")),
                       ("range_tolerance", 10**30), ("columns", [1]), ("columns", [None]),
                       ("columns", [[]]), ("columns", [{}])]:
        variant(f"{key}={value!r}", lambda d, key=key, value=value: d.update({key: value}))
    variant("extra top-level key", lambda d: d.update(comment="top level allows extras"))
    column = DOCUMENT_SCHEMA["properties"]["columns"]["items"]
    assert [c["kind"] for c in doc["columns"][:2]] == ["numeric", "categorical"]
    for j in range(2):
        for key in column["required"]:
            variant(f"columns[{j}] without {key}", lambda d, j=j, key=key: d["columns"][j].pop(key))
        for key in column["properties"]:
            for value in _WRONG_VALUES:
                variant(f"columns[{j}].{key}={value!r}",
                        lambda d, j=j, key=key, value=value: d["columns"][j].update({key: value}))
        for extra in [{"colour": "red"}, {"Bad Key": 1}, {"b": 1, "a": 2}, {3: "int key"}]:
            variant(f"columns[{j}] + {extra}",
                    lambda d, j=j, extra=extra: d["columns"][j].update(extra))
        for kind in ["text", "Numeric", ""]:
            variant(f"columns[{j}].kind={kind!r}",
                    lambda d, j=j, kind=kind: d["columns"][j].update(kind=kind))
        for cats in [[None], [[1]], [{}], ["a", None, "b"], ["a", 1, True, 2.5], [1.5, -2]]:
            variant(f"columns[{j}].categories={cats!r}",
                    lambda d, j=j, cats=cats: d["columns"][j].update(categories=cats))
        for types in [["text", "str"], [1], [True], [None], ["text", "number", "bool", "other"]]:
            variant(f"columns[{j}].value_types={types!r}",
                    lambda d, j=j, types=types: d["columns"][j].update(value_types=types))
    # several problems at once (jsonschema lists every one; the checker reports the first)
    variant("two missing", lambda d: [d.pop("strict"), d.pop("columns")])
    variant("top and nested", lambda d: [d.update(strict=1), d["columns"][1].update(kind="x")])
    variant("two columns", lambda d: [d["columns"][0].pop("name"),
                                      d["columns"][1].update(categories=[None, []])])
    variant("all columns broken", lambda d: [c.update(dtype=1, extra=True) for c in d["columns"]])
    out += [(f"not an object: {v!r}", v) for v in ["text", 1, None, [doc]]]
    return out


_CORPUS = _mutants(_mixed_kinds_document())


def _jsonschema_errors(doc) -> list[tuple[tuple, str]]:
    return [(tuple(e.absolute_path), e.message)
            for e in Draft202012Validator(DOCUMENT_SCHEMA).iter_errors(doc)]


def test_document_checker_agrees_with_jsonschema():
    single = rejected = 0
    for what, doc in _CORPUS:
        ours = list(_schema_errors(doc, DOCUMENT_SCHEMA))
        theirs = _jsonschema_errors(doc)
        assert bool(ours) == bool(theirs), (what, ours, theirs)
        # the same (path, message) pairs in the same order, though from_dict reports the first
        assert ours == theirs, what
        rejected += bool(theirs)
        single += len(theirs) == 1
    assert len(_CORPUS) >= 60 and rejected >= 60 and single >= 50
    assert rejected < len(_CORPUS) - 10  # and plenty of the variants are still valid


def test_from_dict_reports_the_first_error_as_jsonschema_words_it():
    checked = 0
    for what, doc in _CORPUS:
        if not isinstance(doc, dict) or doc.get("format") != "mlserving-lab-input-schema" or \
                doc.get("version") != 1:
            with pytest.raises(SchemaFormatError, match="InputSchema"):
                InputSchema.from_dict(doc)  # stopped by the format / version check first
            continue
        error = next(Draft202012Validator(DOCUMENT_SCHEMA).iter_errors(doc), None)
        if error is None:
            try:
                InputSchema.from_dict(doc)
            except SchemaFormatError as exc:  # valid per DOCUMENT_SCHEMA, refused by InputSchema
                assert "malformed InputSchema document" in str(exc), what
            continue
        where = error.json_path.removeprefix("$").removeprefix(".") or "the document"
        with pytest.raises(SchemaFormatError) as info:
            InputSchema.from_dict(doc)
        assert str(info.value) == f"malformed InputSchema document: {where}: {error.message}", what
        checked += 1
    assert checked >= 60


@pytest.mark.parametrize("type_", ["object", "array", "string", "number", "integer", "boolean",
                                   "null", ["number", "null"], ["array", "null"]])
def test_document_checker_types_follow_json_schema(type_):
    values = [None, True, False, 0, 1, -2, 1.0, 1.5, float("nan"), "", "1", [], [1], {}, {"a": 1}]
    validator = Draft202012Validator({"type": type_})
    for value in values:
        ours = list(_schema_errors(value, {"type": type_}))
        assert ours == [(tuple(e.absolute_path), e.message) for e in validator.iter_errors(value)]
    assert not list(_schema_errors(np.float64(1.5), {"type": "number"}))
    assert list(_schema_errors(np.float64(1.5), {"type": "integer"}))
    # Python data (from_dict is not only fed by json.loads): a tuple is an array, too
    assert not list(_schema_errors((1, 2), {"type": "array", "minItems": 1}))
    assert list(_schema_errors((), {"type": "array", "minItems": 1})) == [((), "() should be "
                                                                             "non-empty")]
    doc = _mixed_kinds_document()
    doc["columns"] = tuple(doc["columns"])
    doc["columns"][1]["categories"] = tuple(doc["columns"][1]["categories"])
    assert not list(_schema_errors(doc, DOCUMENT_SCHEMA))


def test_document_checker_enum_and_const_do_not_confuse_bools_and_numbers():
    assert list(_schema_errors(True, {"const": 1})) == [((), "1 was expected")]
    assert list(_schema_errors(1, {"enum": [True, "1"]})) == [((), "1 is not one of [True, '1']")]
    assert not list(_schema_errors(1.0, {"const": 1}))
    assert not list(_schema_errors((1, "a"), {"const": [1, "a"]}))
    assert list(_schema_errors([True], {"const": [1]}))
    doc = _mixed_kinds_document()
    doc["version"] = True  # passes the `!= 1` version check, but is not the number 1
    with pytest.raises(SchemaFormatError, match=r"^malformed InputSchema document: version: 1 was "
                                                r"expected$"):
        InputSchema.from_dict(doc)


@pytest.mark.parametrize("schema, keyword", [
    ({"type": "string", "maxLength": 3}, "maxLength"),
    ({"properties": {"absent": {"pattern": "^a"}}}, "pattern"),  # never reached by the data
    ({"type": "array", "items": {"format": "date"}}, "format"),
    ({"additionalProperties": {"type": "string"}}, "additionalProperties"),
    ({"type": "float"}, "float"),
    ({"$ref": "#"}, "\\$ref"),
    ({"description": "not an implemented annotation"}, "description"),
])
def test_document_checker_refuses_keywords_it_does_not_implement(schema, keyword):
    with pytest.raises(NotImplementedError, match=keyword):
        _schema_errors({}, schema)


def test_extending_document_schema_without_the_checker_fails_loudly(monkeypatch):
    extended = copy.deepcopy(DOCUMENT_SCHEMA)
    extended["properties"]["columns"]["items"]["properties"]["name"]["maxLength"] = 200
    monkeypatch.setattr(schema_module, "DOCUMENT_SCHEMA", extended)
    with pytest.raises(NotImplementedError, match="maxLength"):
        InputSchema.from_dict(_mixed_kinds_document())


def test_reading_a_schema_does_not_import_jsonschema(tmp_path):
    code = textwrap.dedent("""
        import sys
        from mlserving_lab.errors import SchemaFormatError
        from mlserving_lab.schema import InputSchema
        schema = InputSchema.from_training([[1.0, "a"], [2.0, "b"]])
        assert InputSchema.from_dict(schema.to_dict()) == schema
        assert InputSchema.from_json(schema.to_json()) == schema
        bad = schema.to_dict()
        bad["columns"][1]["kind"] = "text"
        try:
            InputSchema.from_dict(bad)
        except SchemaFormatError as exc:
            print(exc)
        print(sorted(m for m in sys.modules if m.startswith(("jsonschema", "rfc3987"))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, cwd=tmp_path).stdout.splitlines()
    assert out == ["malformed InputSchema document: columns[1].kind: 'text' is not one of "
                   "['numeric', 'categorical', 'boolean']", "[]"]


# ------------------------------------------------------------------------------ properties
_ALLOWED = (SchemaError,)


def _assert_documented(exc: BaseException):
    assert isinstance(exc, SchemaError), f"undocumented {type(exc).__name__}: {exc}"
    assert isinstance(exc, (ValueError, TypeError))


_cell = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4))
_anything = st.one_of(
    st.none(), st.integers(), st.floats(), st.text(max_size=5), st.booleans(),
    st.lists(_cell, max_size=5),
    st.lists(st.lists(_cell, min_size=0, max_size=9), max_size=5),
    st.dictionaries(st.sampled_from(["age", "plan", "zzz"]), _cell, max_size=3),
    hnp.arrays(dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.dtype("U3"),
                                      np.complex128]),
               shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=9)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=_anything)
def test_validate_raises_only_documented_errors_on_anything(schema, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            schema.validate(X)
        except Exception as exc:  # noqa: BLE001 - the property under test
            _assert_documented(exc)


_dtypes = st.sampled_from(["float64", "float32", "int64", "bool", "str", "object", "category"])


@st.composite
def _frames(draw):
    n_cols = draw(st.integers(1, 4))
    names = draw(st.lists(st.text("abcxyz", min_size=1, max_size=3), min_size=n_cols,
                          max_size=n_cols, unique=True))
    cols = []
    for name in names:
        dtype = draw(_dtypes)
        if dtype in ("float64", "float32"):
            elems = st.floats(allow_nan=True, allow_infinity=True, width=32)
        elif dtype == "int64":
            elems = st.integers(-10**9, 10**9)
        elif dtype == "bool":
            elems = st.booleans()
        elif dtype == "object":
            elems = _cell
        else:
            elems = st.text(max_size=3)
        cols.append(hpd.column(name, elements=elems,
                               dtype=None if dtype in ("object", "str", "category") else dtype))
    df = draw(hpd.data_frames(cols, index=hpd.range_indexes(min_size=1, max_size=12)))
    casts = {}
    for name in df.columns:
        target = draw(st.sampled_from(["keep", "str", "category", "nullable"]))
        texts = df[name].map(lambda v: isinstance(v, str)).all()
        if target in ("str", "category") and texts:
            casts[name] = target
        elif target == "nullable":  # pandas extension dtypes, missing values as pd.NA
            nullable = {"int64": "Int64", "float64": "Float64", "bool": "boolean"}.get(
                str(df[name].dtype), "string" if texts else None)
            if nullable:
                casts[name] = nullable
    return df.astype(casts) if casts else df


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train=_frames(), other=_frames())
def test_training_data_always_validates_and_others_fail_cleanly(train, other):
    try:
        schema = InputSchema.from_training(train)
    except Exception as exc:  # noqa: BLE001
        _assert_documented(exc)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a warning for the training data itself
        out = schema.validate(train)
        schema.validate(train, strict=True)
        InputSchema.from_json(schema.to_json()).validate(train, strict=True)
    assert list(out.columns) == schema.names and len(out) == len(train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for candidate in (other, other.to_numpy(), train.iloc[:, ::-1].to_numpy()):
            try:
                schema.validate(candidate)
            except Exception as exc:  # noqa: BLE001
                _assert_documented(exc)


@settings(max_examples=60, deadline=None)
@given(arr=hnp.arrays(dtype=st.sampled_from([np.float64, np.int32, np.bool_]),
                      shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6)))
def test_training_arrays_always_validate(arr):
    schema = InputSchema.from_training(arr)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = schema.validate(arr, strict=True)
    assert out.shape == arr.shape
