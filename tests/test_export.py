"""mlserving_lab.export: ONNX predictor, torch exports, the parity check, sizes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.export import (
    OnnxPredictor,
    ParityError,
    TorchPredictor,
    UnsupportedModelError,
    artifact_table,
    check_parity,
    export_pt2,
    load_pt2,
    load_torchscript,
    save_pt2,
    save_torchscript,
    to_onnx,
    to_torchscript,
    torch_to_onnx,
)
from mlserving_lab.measure import compare_models, serialized_size

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def data():
    return make_classification_split(n_samples=1200, n_features=8, n_informative=5)


@pytest.fixture(scope="module")
def fitted(data):
    X_train, X_test, y_train, y_test = data
    return {
        "lr": make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train),
        "rf": RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train),
        "gbm": GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X_train, y_train),
    }


@pytest.fixture(scope="module")
def net(data):
    X_train, _, y_train, _ = data
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    opt = torch.optim.Adam(module.parameters(), lr=0.02)
    X = torch.tensor(X_train, dtype=torch.float32)
    y = torch.tensor(y_train)
    for _ in range(30):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(module(X), y).backward()
        opt.step()
    return module.eval()


@pytest.fixture(scope="module")
def net_onnx(net, data):
    return torch_to_onnx(net, data[0][:16])


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


# --------------------------------------------------------------------------------------------
# the parity check
# --------------------------------------------------------------------------------------------
def test_parity_fails_loudly_for_a_different_model(fitted, data):
    _, X_test, _, _ = data
    other = to_onnx(fitted["lr"], X_test)
    with pytest.raises(ParityError, match=r"max \|diff\|.*labels agree on"):
        check_parity(fitted["rf"], other, X_test)
    report = check_parity(fitted["rf"], other, X_test, raise_on_failure=False)
    assert not report.passed and report.label_agreement < 1.0
    assert "FAILED" in str(report)


def test_parity_tolerance_and_arguments(fitted, data):
    _, X_test, _, _ = data
    rf = fitted["rf"]
    noisy = lambda X: np.clip(rf.predict_proba(X) + 1e-3, 0, 1)  # noqa: E731
    assert check_parity(rf, noisy, X_test, atol=1e-2).passed
    with pytest.raises(ParityError):
        check_parity(rf, noisy, X_test, atol=1e-5)
    with pytest.raises(ValueError, match="atol"):
        check_parity(rf, rf, X_test, atol=-1)
    with pytest.raises(ValueError, match="min_agreement"):
        check_parity(rf, rf, X_test, min_agreement=2)
    with pytest.raises(ValueError, match="shape"):
        check_parity(rf, lambda X: np.zeros((len(X), 3)), X_test)


# --------------------------------------------------------------------------------------------
# torch exports
# --------------------------------------------------------------------------------------------
def test_torch_to_onnx_dynamic_batch_one_file(net, net_onnx, data, tmp_path):
    _, X_test, _, _ = data
    for n in (1, 7, len(X_test)):
        assert net_onnx.predict_proba(X_test[:n]).shape == (n, 2)
    assert check_parity(net, net_onnx, X_test).passed
    path = net_onnx.save(tmp_path / "net.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["net.onnx"]  # no .onnx.data side file
    assert OnnxPredictor.load(path).output == "logits"


def test_torch_export_emits_no_warnings_or_output(net, data, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ts = to_torchscript(net, data[0][:4])
        prog = export_pt2(net, data[0][:4])
    assert capsys.readouterr().out == ""
    assert check_parity(net, TorchPredictor(ts), data[1]).passed
    assert check_parity(net, TorchPredictor(prog.module()), data[1]).passed


def test_torchscript_and_pt2_save_load(net, data, tmp_path):
    _, X_test, _, _ = data
    scripted = to_torchscript(net, method="script")
    save_torchscript(scripted, tmp_path / "net.ts")
    assert check_parity(net, TorchPredictor(load_torchscript(tmp_path / "net.ts")), X_test).passed
    save_pt2(export_pt2(net, X_test[:4]), tmp_path / "net.pt2")
    loaded = load_pt2(tmp_path / "net.pt2").module()
    assert check_parity(net, TorchPredictor(loaded), X_test).passed
    assert TorchPredictor(loaded).predict(X_test[:1]).shape == (1,)  # dynamic batch


def test_torch_errors(net):
    with pytest.raises(TypeError, match="torch.nn.Module"):
        torch_to_onnx(LogisticRegression(), np.zeros((2, 8)))
    with pytest.raises(ValueError, match="trace"):
        to_torchscript(net, method="compile")
    with pytest.raises(ValueError, match="X_sample"):
        to_torchscript(net)
    with pytest.raises(ValueError, match="3 features, but the model was fitted on 8"):
        TorchPredictor(net).predict(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="ExportedProgram"):
        save_pt2(net, "x.pt2")


# --------------------------------------------------------------------------------------------
# sizes and tables
# --------------------------------------------------------------------------------------------
def test_artifact_table_sklearn_compression_shrinks(fitted, data):
    table = artifact_table(fitted["rf"], data[0][:5], compress_levels=(0, 3, 9), repeats=1)
    assert list(table.index) == ["joblib compress=0", "joblib compress=3", "joblib compress=9",
                                 "ONNX"]
    assert table.loc["joblib compress=3", "size_kb"] < table.loc["joblib compress=0", "size_kb"]
    assert (table["load_ms"] > 0).all()
    with pytest.raises(ValueError, match="0-9"):
        artifact_table(fitted["rf"], data[0][:5], compress_levels=(12,))


def test_artifact_table_torch_formats(net, data):
    table = artifact_table(net, data[0][:5], repeats=1)
    assert list(table.index) == ["torch.save(state_dict)", "TorchScript (deprecated)",
                                 "torch.export .pt2", "ONNX"]
    assert (table["size_kb"] > 0).all()


def test_serialized_size_kinds(fitted, net, net_onnx):
    assert serialized_size(net_onnx) == net_onnx.nbytes
    assert serialized_size(fitted["rf"], compress=3) < serialized_size(fitted["rf"])
    assert serialized_size(net) > 4 * sum(p.numel() for p in net.parameters())


def test_compare_models_table(fitted, data, net, net_onnx):
    _, X_test, _, y_test = data
    table = compare_models({"rf": fitted["rf"], "onnx": to_onnx(fitted["rf"], X_test),
                            "torch": net, "torch-onnx": net_onnx}, X_test, y_test, n_runs=20,
                           warmup=2)
    assert isinstance(table, pd.DataFrame)
    assert table.loc["onnx", "agreement"] == 1.0
    assert (table["p99_ms"] >= table["p50_ms"]).all()
    assert table.loc["rf", "max_abs_diff"] == 0.0
    with pytest.raises(ValueError, match="reference"):
        compare_models({"rf": fitted["rf"]}, X_test, reference="nope")
    with pytest.raises(ValueError, match="y has 3 labels"):
        compare_models({"rf": fitted["rf"]}, X_test, y_test[:3])


def test_predictor_names_a_text_column(data):
    X_train, X_test, y_train, _ = make_classification_split(n_samples=300, n_features=4,
                                                            n_informative=2, as_frame=True)
    onx = to_onnx(LogisticRegression().fit(X_train, y_train), X_train)
    bad = X_test.assign(f2=X_test["f2"].astype(str))  # pandas 3: the `str` dtype
    with pytest.raises(TypeError, match="column 'f2'"):
        onx.predict(bad)
    as_object = X_test.assign(f1=X_test["f1"].astype(object))  # numbers in an object column
    np.testing.assert_array_equal(onx.predict(as_object.astype(float)), onx.predict(X_test))
