"""mlserving_lab.export.onnx: to_onnx and the ONNX predictor."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
)
from sklearn.linear_model import LogisticRegression

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.export import (
    OnnxPredictor,
    UnsupportedModelError,
    check_parity,
    to_onnx,
)

torch = pytest.importorskip("torch")


# --------------------------------------------------------------------------------------------
# to_onnx and the predictor
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["lr", "rf", "gbm"])
def test_to_onnx_parity_float64_and_float32(fitted, data, key):
    _, X_test, _, _ = data
    model = fitted[key]
    onx = to_onnx(model, X_test[:5])
    for X in (X_test, X_test.astype(np.float32)):
        report = check_parity(model, onx, X)
        assert report.passed and report.label_agreement == 1.0
        assert report.max_abs_diff < 1e-4
    assert onx.predict(X_test).dtype == model.predict(X_test).dtype
    np.testing.assert_array_equal(onx.classes_, model.classes_)


def test_predictor_accepts_dataframes_and_reorders_columns(data):
    X_train, X_test, y_train, _ = make_classification_split(n_samples=400, n_features=5,
                                                            n_informative=3,
                                                            as_frame=True)
    model = LogisticRegression().fit(X_train, y_train)
    onx = to_onnx(model, X_train)
    assert onx.feature_names_in_ == list(X_train.columns)
    shuffled = X_test[X_test.columns[::-1]]
    np.testing.assert_array_equal(onx.predict(shuffled), model.predict(X_test))
    with pytest.raises(ValueError, match="missing .*'f0'"):
        onx.predict(X_test.drop(columns="f0").assign(extra=1.0))


def test_predictor_is_a_regressor_without_predict_proba(data):
    X_train, X_test, y_train, _ = data
    reg = GradientBoostingRegressor(n_estimators=10, random_state=0).fit(X_train, y_train)
    onx = to_onnx(reg, X_train)
    assert not hasattr(onx, "predict_proba")
    np.testing.assert_allclose(onx.predict(X_test), reg.predict(X_test), atol=1e-4)
    assert check_parity(reg, onx, X_test).passed


def test_predictor_bad_input_messages(fitted, data):
    _, X_test, _, _ = data
    onx = to_onnx(fitted["rf"], X_test)
    with pytest.raises(ValueError, match="has 3 features, but the model was fitted on 8"):
        onx.predict(X_test[:, :3])
    with pytest.raises(TypeError, match="non-numeric"):
        onx.predict(np.array([["a"] * 8], dtype=object))
    bad = X_test[:4].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN .*column 2"):
        onx.predict(bad)
    with pytest.raises(ValueError, match="2-D"):
        onx.predict(X_test[0])


def test_to_onnx_errors_name_the_problem(data):
    X_train, _, y_train, _ = data
    with pytest.raises(ValueError, match="LogisticRegression.*not fitted"):
        to_onnx(LogisticRegression(), X_train)
    lr = LogisticRegression().fit(X_train, y_train)
    with pytest.raises(ValueError, match="X_sample has 3 features.*fitted on 8"):
        to_onnx(lr, X_train[:, :3])
    hgb = HistGradientBoostingClassifier(max_iter=3).fit(X_train, y_train)
    with pytest.raises(UnsupportedModelError, match="HistGradientBoostingClassifier"):
        to_onnx(hgb, X_train)
    with pytest.raises(TypeError, match="holds non-numeric"):
        to_onnx(lr, np.array([["x"] * 8]))


def test_unsupported_custom_estimator_is_named(data):
    from sklearn.base import BaseEstimator, ClassifierMixin

    class MyModel(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.unique(y)
            self.n_features_in_ = np.shape(X)[1]
            return self

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    X_train, _, y_train, _ = data
    with pytest.raises(UnsupportedModelError, match="no ONNX converter for MyModel"):
        to_onnx(MyModel().fit(X_train, y_train), X_train)


def test_save_and_load_round_trip(fitted, data, tmp_path):
    _, X_test, _, _ = data
    onx = to_onnx(fitted["gbm"], X_test)
    path = onx.save(tmp_path / "m.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no temp file left
    loaded = OnnxPredictor.load(path)
    np.testing.assert_array_equal(loaded.predict(X_test), onx.predict(X_test))
    np.testing.assert_array_equal(loaded.classes_, onx.classes_)
    with pytest.raises(FileNotFoundError):
        OnnxPredictor.load(tmp_path / "missing.onnx")


def test_predictor_pickles_by_rebuilding_its_session(fitted, data, tmp_path):
    import pickle

    import joblib

    _, X_test, _, _ = data
    onx = to_onnx(fitted["rf"], X_test)
    copy = pickle.loads(pickle.dumps(onx))
    assert copy.session is not onx.session
    np.testing.assert_array_equal(copy.predict_proba(X_test), onx.predict_proba(X_test))
    np.testing.assert_array_equal(copy.classes_, onx.classes_)
    joblib.dump(onx, tmp_path / "onnx.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "onnx.joblib").predict(X_test),
                                  onx.predict(X_test))


def test_predictor_names_a_text_column(data):
    X_train, X_test, y_train, _ = make_classification_split(n_samples=300, n_features=4,
                                                            n_informative=2, as_frame=True)
    onx = to_onnx(LogisticRegression().fit(X_train, y_train), X_train)
    bad = X_test.assign(f2=X_test["f2"].astype(str))  # pandas 3: the `str` dtype
    with pytest.raises(TypeError, match="column 'f2'"):
        onx.predict(bad)
    as_object = X_test.assign(f1=X_test["f1"].astype(object))  # numbers in an object column
    np.testing.assert_array_equal(onx.predict(as_object.astype(float)), onx.predict(X_test))
