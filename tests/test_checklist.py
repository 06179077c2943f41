"""Tests for mlserving_lab.checklist.audit_deployment."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from mlserving_lab.checklist import CHECKLIST_ITEMS, audit_deployment
from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, make_mixed_split
from mlserving_lab.packaging import LibraryVersionWarning, load_artifact, save_artifact
from mlserving_lab.schema import InputSchema


@pytest.fixture(scope="module")
def data():
    return make_mixed_split(400, random_state=2)


def _pipeline(data, *, encoder=None, imputer=True):
    X_train, _, y_train, _ = data
    num = [SimpleImputer(strategy="median")] if imputer else []
    pre = ColumnTransformer([
        ("num", make_pipeline(*num, StandardScaler()), NUMERIC_COLUMNS),
        ("cat", encoder or OneHotEncoder(handle_unknown="ignore"), CATEGORICAL_COLUMNS),
    ])
    model = LogisticRegression(max_iter=300) if imputer else RandomForestClassifier(
        n_estimators=5, random_state=0)
    return Pipeline([("pre", pre), ("model", model)]).fit(X_train, y_train)


def _row(table, item):
    return table.set_index("item").loc[item]


def test_table_shape(data):
    table = audit_deployment(_pipeline(data), X_train=data[0])
    assert list(table.columns) == ["item", "passed", "reason"]
    assert table["item"].tolist() == list(CHECKLIST_ITEMS)
    assert table["passed"].dtype == bool
    assert table["reason"].str.len().min() > 20


def test_saved_artifact_passes_everything(data, tmp_path):
    X_train, X_test, y_train, _ = data
    path = save_artifact(_pipeline(data), tmp_path / "a", X_train=X_train, y_train=y_train)
    table = audit_deployment(path, X_serving=X_test)
    assert table.passed.all(), table.to_string()
    # an Artifact object works the same way
    assert audit_deployment(load_artifact(path), X_serving=X_test).passed.all()


def test_bare_pipeline_fails_versions_and_schema_with_reasons(data):
    table = audit_deployment(_pipeline(data), X_train=data[0])
    assert _row(table, "preprocessing serialised with the model").passed
    versions = _row(table, "versions pinned")
    assert not versions.passed and "requirements" in versions.reason
    schema = _row(table, "schema present")
    assert not schema.passed and "feature_names_in_" in schema.reason
    dtypes = _row(table, "dtype consistency")
    assert not dtypes.passed and "X_serving" in dtypes.reason


def test_passing_a_schema_and_requirements(data, tmp_path):
    X_train, X_test = data[0], data[1]
    req = tmp_path / "requirements.txt"
    req.write_text("scikit-learn==1.9.1\nnumpy==2.4.6\n")
    table = audit_deployment(_pipeline(data), schema=InputSchema.from_training(X_train),
                             requirements=req, X_serving=X_test)
    assert _row(table, "schema present").passed
    assert _row(table, "versions pinned").passed
    req.write_text("scikit-learn>=1.0\nnumpy\n")
    loose = _row(audit_deployment(_pipeline(data), requirements=req), "versions pinned")
    assert not loose.passed and "unpinned" in loose.reason and "scikit-learn>=1.0" in loose.reason


def test_requirement_lines_are_read_as_pep_508(data, tmp_path):
    req = tmp_path / "requirements.txt"
    # spelled differently, with spaces, extras and a marker: still exact pins of scikit-learn
    req.write_text("# pins\nScikit_Learn == 1.9.1\njoblib[x]==1.6.0 ; python_version >= '3.8'\n")
    pinned = _row(audit_deployment(_pipeline(data), requirements=req), "versions pinned")
    assert pinned.passed, pinned.reason
    for loose_line in ("numpy==2.*", "numpy~=2.4", "numpy==2.4,<3", "-r base.txt", "not a req!"):
        req.write_text(f"scikit-learn==1.9.1\n{loose_line}\n")
        row = _row(audit_deployment(_pipeline(data), requirements=req), "versions pinned")
        assert not row.passed and loose_line in row.reason, loose_line
    req.write_text("scikit-learn-extra==0.3.0\n")
    row = _row(audit_deployment(_pipeline(data), requirements=req), "versions pinned")
    assert not row.passed and "does not pin scikit-learn" in row.reason


def test_encoder_that_errors_on_unknown_categories_fails(data):
    table = audit_deployment(_pipeline(data, encoder=OneHotEncoder()), X_train=data[0])
    row = _row(table, "encoder handles unknown categories")
    assert not row.passed and "handle_unknown='error'" in row.reason
    ordinal = _pipeline(data, encoder=OrdinalEncoder())
    row = _row(audit_deployment(ordinal, X_train=data[0]), "encoder handles unknown categories")
    assert not row.passed and "use_encoded_value" in row.reason
    ok = _pipeline(data, encoder=OrdinalEncoder(handle_unknown="use_encoded_value",
                                                unknown_value=-1))
    assert _row(audit_deployment(ok, X_train=data[0]),
                "encoder handles unknown categories").passed


def test_bare_model_on_preprocessed_data_fails_preprocessing_and_imputer(data):
    X_train, _, y_train, _ = data
    X_num = X_train[NUMERIC_COLUMNS].fillna(0)  # preprocessing outside the model
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X_num, y_train)
    table = audit_deployment(model, X_train=X_train)
    pre = _row(table, "preprocessing serialised with the model")
    assert not pre.passed and "'region'" in pre.reason
    assert not _row(table, "same imputer").passed
    enc = _row(table, "encoder handles unknown categories")
    assert not enc.passed and "no encoder" in enc.reason


def test_bare_model_on_clean_numeric_data_passes_preprocessing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    table = audit_deployment(LogisticRegression().fit(X, y), X_train=X, X_serving=X[:10])
    assert _row(table, "preprocessing serialised with the model").passed
    assert _row(table, "same imputer").passed
    assert _row(table, "encoder handles unknown categories").passed
    assert _row(table, "dtype consistency").passed
    wrong = audit_deployment(LogisticRegression().fit(X, y), X_train=X,
                             X_serving=X[:10].astype(np.float32))
    row = _row(wrong, "dtype consistency")
    assert not row.passed and "float32" in row.reason


def test_native_nan_model_without_imputer(data):
    X_train, _, y_train, _ = data
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    pre = ColumnTransformer([("cat", enc, CATEGORICAL_COLUMNS)], remainder="passthrough")
    pipe = make_pipeline(pre, RandomForestClassifier(n_estimators=5, random_state=0))
    pipe.fit(X_train, y_train)
    row = _row(audit_deployment(pipe, X_train=X_train), "same imputer")
    assert row.passed and "handles the NaN" in row.reason


def test_dtype_drift_in_serving_frame(data, tmp_path):
    X_train, X_test, y_train, _ = data
    path = save_artifact(_pipeline(data), tmp_path / "a", X_train=X_train, y_train=y_train)
    served = X_test.astype({"age": "float32"})
    row = _row(audit_deployment(path, X_serving=served), "dtype consistency")
    assert not row.passed and "'age' is float32" in row.reason
    broken = X_test.drop(columns="plan")
    row = _row(audit_deployment(path, X_serving=broken), "dtype consistency")
    assert not row.passed and "'plan'" in row.reason


def test_version_mismatch_fails_versions(data, tmp_path):
    import json

    X_train, _, y_train, _ = data
    path = save_artifact(_pipeline(data), tmp_path / "a", X_train=X_train, y_train=y_train)
    meta = json.loads((path / "metadata.json").read_text())
    meta["dependencies"]["numpy"] = "1.21.0"
    (path / "metadata.json").write_text(json.dumps(meta))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LibraryVersionWarning)
        row = _row(audit_deployment(path), "versions pinned")
    assert not row.passed and "numpy 1.21.0" in row.reason


def test_bad_targets():
    with pytest.raises(TypeError, match="None"):
        audit_deployment(None)
    with pytest.raises(TypeError, match="got str|got int"):
        audit_deployment(3)
    with pytest.raises(FileNotFoundError):
        audit_deployment("/nonexistent/artifact")
    with pytest.raises(TypeError, match="InputSchema"):
        audit_deployment(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), schema={"a": 1})
