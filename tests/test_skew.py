"""Tests for mlserving_lab.skew: InputSchema, check_skew, the mixed dataset."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra import pandas as hpd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlserving_lab.datasets import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    make_mixed_dataset,
    make_mixed_split,
)
from mlserving_lab.skew import (
    ColumnTypeError,
    DuplicateColumnError,
    InputSchema,
    InputShapeError,
    MissingColumnError,
    MissingValueError,
    NonFiniteValueError,
    NotTableLikeError,
    OutOfRangeError,
    OutOfRangeWarning,
    SchemaError,
    SchemaFormatError,
    ServingPath,
    SkewReport,
    UnexpectedColumnError,
    UnseenCategoryError,
    UnseenCategoryWarning,
    check_skew,
    plot_skew,
)


@pytest.fixture(scope="module")
def mixed():
    return make_mixed_split(600, random_state=1)


@pytest.fixture(scope="module")
def schema(mixed):
    return InputSchema.from_training(mixed[0])


@pytest.fixture(scope="module")
def pipe(mixed):
    X_train, _, y_train, _ = mixed
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         NUMERIC_COLUMNS),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         CATEGORICAL_COLUMNS),
    ])
    model = RandomForestClassifier(n_estimators=25, random_state=0, n_jobs=1)
    return Pipeline([("pre", pre), ("model", model)]).fit(X_train, y_train)


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


# ------------------------------------------------------------------------------ skew check
def test_identical_paths_have_no_skew(pipe, mixed):
    report = check_skew(pipe, pipe, mixed[1])
    assert isinstance(report, SkewReport) and not report.skewed
    assert report.mismatch_rate == 0.0 and report.max_proba_diff == 0.0
    assert report.differing_features == []
    assert "no skew" in str(report)


def _parts(pipe):
    pre = pipe.named_steps["pre"]
    return pre, pipe.named_steps["model"]


def test_normalisation_skew_is_caught_with_the_features(pipe, mixed):
    pre, model = _parts(pipe)
    num = pre.named_transformers_["num"]
    ohe = pre.named_transformers_["cat"]

    def prep(X):
        Z = num[0].transform(X[NUMERIC_COLUMNS])
        return np.hstack([Z / Z.max(axis=0), ohe.transform(X[CATEGORICAL_COLUMNS])])

    report = check_skew(pipe, ServingPath(prep, model), mixed[1])
    assert report.skewed and report.max_proba_diff > 0
    assert set(report.differing_features) == {f"num__{c}" for c in NUMERIC_COLUMNS}
    assert (report.feature_diffs.loc["num__age", "frac_rows_differ"]) == 1.0
    assert report.feature_diffs.loc["cat__plan_basic", "max_abs_diff"] == 0.0


def test_imputation_skew_only_touches_columns_with_missing_values(pipe, mixed):
    pre, model = _parts(pipe)
    report = check_skew(pipe, ServingPath(lambda X: pre.transform(X.fillna({"income": 0.0})),
                                          model), mixed[1])
    assert report.differing_features == ["num__income"]
    frac = report.feature_diffs.loc["num__income", "frac_rows_differ"]
    assert frac == pytest.approx(mixed[1].income.isna().mean())


def test_callable_and_label_only_serving(pipe, mixed):
    X = mixed[1]
    same = check_skew(pipe, lambda Z: pipe.predict_proba(Z), X)
    assert not same.skewed
    flipped = check_skew(pipe, lambda Z: 1 - pipe.predict(Z), X)
    assert flipped.mismatch_rate == 1.0 and flipped.max_proba_diff is None
    assert flipped.skewed


def test_nan_probabilities_count_as_infinite_difference(pipe, mixed):
    X = mixed[1]

    def broken(Z):
        p = pipe.predict_proba(Z)
        p[0] = np.nan
        return p

    report = check_skew(pipe, broken, X)
    assert report.max_proba_diff == np.inf
    assert any("NaN" in n for n in report.notes)


def test_feature_count_difference_is_reported(pipe, mixed):
    X_train, X_test, y_train, _ = mixed
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         NUMERIC_COLUMNS),
        ("cat", OneHotEncoder(drop="first", handle_unknown="ignore", sparse_output=False),
         CATEGORICAL_COLUMNS),
    ])
    other = make_pipeline(pre, LogisticRegression(max_iter=500)).fit(X_train, y_train)
    report = check_skew(pipe, other, X_test)
    assert report.skewed
    assert any("feature count" in n for n in report.notes)


def test_skew_check_input_errors(pipe, mixed):
    with pytest.raises(TypeError, match="raw rows"):
        check_skew(pipe, pipe, None)
    with pytest.raises(ValueError, match="no rows"):
        check_skew(pipe, pipe, mixed[1].iloc[:0])
    with pytest.raises(TypeError, match="serving side"):
        check_skew(pipe, 42, mixed[1])
    with pytest.raises(ValueError, match="returned shape"):
        check_skew(pipe, lambda Z: np.zeros(3), mixed[1])


def test_plain_estimator_sides():
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    a = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    b = LogisticRegression().fit(X, y)
    report = check_skew(a, b, X)
    assert any("only one side" in n for n in report.notes)


def test_plot_skew_returns_axes(pipe, mixed):
    import matplotlib

    matplotlib.use("Agg")
    report = check_skew(pipe, pipe, mixed[1])
    ax = plot_skew(report)
    assert ax.get_xlabel().startswith("fraction")
    with pytest.raises(TypeError, match="SkewReport"):
        plot_skew("nope")
