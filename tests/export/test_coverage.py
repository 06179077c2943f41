"""Issue #13: every estimator skl2onnx converts goes through to_onnx with parity.

Three families, on small data: classifiers (with and without predict_proba, binary and
multiclass), regressors (tolerance relative to the output's scale), pipelines and
ColumnTransformers. What skl2onnx cannot convert raises UnsupportedModelError naming the
estimator and the reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import discriminant_analysis as da
from sklearn import ensemble as ens
from sklearn import linear_model as lm
from sklearn import naive_bayes as nb
from sklearn import neighbors, neural_network, svm, tree
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest
from sklearn.impute import SimpleImputer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MinMaxScaler,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

from mlserving_lab.export import (
    OnnxPredictor,
    ParityError,
    UnsupportedModelError,
    check_parity,
    to_onnx,
)

N_FEATURES = 6


def _data(n_classes: int):
    rng = np.random.default_rng(n_classes)
    X = rng.normal(size=(300, N_FEATURES))
    score = X[:, 0] + 0.6 * X[:, 1] - 0.4 * X[:, 2] + 0.3 * rng.normal(size=300)
    if n_classes == 2:
        y = (score > 0).astype(int)
    else:
        y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    return X[:200], X[200:], y[:200], y[200:]


@pytest.fixture(scope="module", params=[2, 3], ids=["binary", "multiclass"])
def cls_data(request):
    return request.param, _data(request.param)


@pytest.fixture(scope="module")
def reg_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, N_FEATURES))
    # Outputs in the hundreds: a float32 graph cannot match them to 1e-4 absolute.
    y = 400 + 120 * X[:, 0] - 80 * X[:, 1] + 30 * X[:, 2] * X[:, 3] + 5 * rng.normal(size=300)
    return X[:200], X[200:], y[:200], y[200:]


def _voters():
    return [("lr", lm.LogisticRegression()), ("dt", tree.DecisionTreeClassifier(max_depth=4,
                                                                                random_state=0))]


CLASSIFIERS = {
    # with predict_proba
    "LogisticRegression": lambda: lm.LogisticRegression(),
    "SGDClassifier(log_loss)": lambda: lm.SGDClassifier(loss="log_loss", random_state=0),
    "SVC(probability)": lambda: svm.SVC(probability=True, random_state=0),
    "NuSVC(probability)": lambda: svm.NuSVC(probability=True, random_state=0),
    "QuadraticDiscriminantAnalysis": lambda: da.QuadraticDiscriminantAnalysis(),
    "GaussianNB": lambda: nb.GaussianNB(),
    "BernoulliNB": lambda: nb.BernoulliNB(),
    "KNeighborsClassifier": lambda: neighbors.KNeighborsClassifier(),
    "DecisionTreeClassifier": lambda: tree.DecisionTreeClassifier(max_depth=5, random_state=0),
    "ExtraTreeClassifier": lambda: tree.ExtraTreeClassifier(max_depth=5, random_state=0),
    "RandomForestClassifier": lambda: ens.RandomForestClassifier(n_estimators=10,
                                                                 random_state=0),
    "ExtraTreesClassifier": lambda: ens.ExtraTreesClassifier(n_estimators=10, random_state=0),
    "GradientBoostingClassifier": lambda: ens.GradientBoostingClassifier(n_estimators=10,
                                                                         random_state=0),
    "HistGradientBoostingClassifier": lambda: ens.HistGradientBoostingClassifier(
        max_iter=10, random_state=0),
    "AdaBoostClassifier": lambda: ens.AdaBoostClassifier(n_estimators=10, random_state=0),
    "BaggingClassifier": lambda: ens.BaggingClassifier(n_estimators=5, random_state=0),
    "MLPClassifier": lambda: neural_network.MLPClassifier(hidden_layer_sizes=(8,),
                                                          max_iter=300, random_state=0),
    "VotingClassifier(soft, flatten_transform=False)": lambda: ens.VotingClassifier(
        _voters(), voting="soft", flatten_transform=False),
    "StackingClassifier": lambda: ens.StackingClassifier(_voters(), cv=3),
    "CalibratedClassifierCV": lambda: CalibratedClassifierCV(lm.LogisticRegression(), cv=3),
    "OneVsRestClassifier": lambda: OneVsRestClassifier(lm.LogisticRegression()),
    # decision_function only
    "LinearSVC": lambda: svm.LinearSVC(),
    "SVC": lambda: svm.SVC(),
    "NuSVC": lambda: svm.NuSVC(),
    "RidgeClassifier": lambda: lm.RidgeClassifier(),
    "SGDClassifier(hinge)": lambda: lm.SGDClassifier(random_state=0),
    "Perceptron": lambda: lm.Perceptron(random_state=0),
    # labels only
    "VotingClassifier(hard)": lambda: ens.VotingClassifier(_voters(), voting="hard",
                                                           flatten_transform=False),
}

REGRESSORS = {
    "LinearRegression": lambda: lm.LinearRegression(),
    "Ridge": lambda: lm.Ridge(),
    "Lasso": lambda: lm.Lasso(alpha=0.1),
    "ElasticNet": lambda: lm.ElasticNet(alpha=0.1),
    "BayesianRidge": lambda: lm.BayesianRidge(),
    "HuberRegressor": lambda: lm.HuberRegressor(max_iter=500),
    "SGDRegressor": lambda: make_pipeline(StandardScaler(), lm.SGDRegressor(random_state=0)),
    "PoissonRegressor": lambda: lm.PoissonRegressor(),
    "LinearSVR": lambda: svm.LinearSVR(C=10, max_iter=5000, random_state=0),
    "SVR": lambda: svm.SVR(C=100),
    "KNeighborsRegressor": lambda: neighbors.KNeighborsRegressor(),
    "DecisionTreeRegressor": lambda: tree.DecisionTreeRegressor(max_depth=6, random_state=0),
    "RandomForestRegressor": lambda: ens.RandomForestRegressor(n_estimators=10,
                                                               random_state=0),
    "ExtraTreesRegressor": lambda: ens.ExtraTreesRegressor(n_estimators=10, random_state=0),
    "GradientBoostingRegressor": lambda: ens.GradientBoostingRegressor(n_estimators=20,
                                                                       random_state=0),
    "HistGradientBoostingRegressor": lambda: ens.HistGradientBoostingRegressor(
        max_iter=20, random_state=0),
    "AdaBoostRegressor": lambda: ens.AdaBoostRegressor(n_estimators=10, random_state=0),
    "BaggingRegressor": lambda: ens.BaggingRegressor(n_estimators=5, random_state=0),
    "MLPRegressor": lambda: make_pipeline(StandardScaler(), neural_network.MLPRegressor(
        hidden_layer_sizes=(8,), max_iter=300, random_state=0)),
    "VotingRegressor": lambda: ens.VotingRegressor([("r", lm.Ridge()),
                                                    ("t", tree.DecisionTreeRegressor(
                                                        max_depth=4, random_state=0))]),
    "StackingRegressor": lambda: ens.StackingRegressor(
        [("r", lm.Ridge()), ("t", tree.DecisionTreeRegressor(max_depth=4, random_state=0))],
        cv=3),
    "PLSRegression": lambda: PLSRegression(n_components=2),
}

PIPELINES = {
    "scaler+LogisticRegression": lambda: make_pipeline(StandardScaler(),
                                                       lm.LogisticRegression()),
    "PCA+SVC": lambda: make_pipeline(StandardScaler(), PCA(n_components=4), svm.SVC()),
    "poly+LinearSVC": lambda: make_pipeline(PolynomialFeatures(2), StandardScaler(),
                                            svm.LinearSVC()),
    "imputer+GBM": lambda: make_pipeline(SimpleImputer(), ens.GradientBoostingClassifier(
        n_estimators=10, random_state=0)),
    "kbins+LogisticRegression": lambda: make_pipeline(
        KBinsDiscretizer(n_bins=4, encode="onehot-dense", quantile_method="averaged_inverted_cdf"),
        lm.LogisticRegression()),
    "union+RidgeClassifier": lambda: make_pipeline(
        FeatureUnion([("pca", PCA(n_components=2)), ("mm", MinMaxScaler())]),
        lm.RidgeClassifier()),
    "selectk+RandomForest": lambda: make_pipeline(SelectKBest(k=4), ens.RandomForestClassifier(
        n_estimators=10, random_state=0)),
    "columns(by index)+HGB": lambda: make_pipeline(
        ColumnTransformer([("s", StandardScaler(), [0, 1, 2]), ("r", RobustScaler(), [3, 4])],
                          remainder="passthrough"),
        ens.HistGradientBoostingClassifier(max_iter=10, random_state=0)),
}

CLASSIFIER_CASES = [*CLASSIFIERS, *PIPELINES]


def _fit(factory, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on 200 rows
        return factory().fit(X, y)


def _assert_exported(model, X_train, X_test, *, regression: bool):
    onx = to_onnx(model, X_train)
    for X in (X_test, X_test.astype(np.float32)):
        report = check_parity(model, onx, X)
        assert report.passed, str(report)
        if regression:
            assert np.isnan(report.label_agreement) and report.output == "values"
            np.testing.assert_allclose(onx.predict(X), model.predict(X), rtol=0,
                                       atol=report.tolerance)
        else:
            assert report.label_agreement == 1.0
            np.testing.assert_array_equal(onx.predict(X), model.predict(X))
    assert onx.predict(X_test).dtype == model.predict(X_test).dtype
    assert hasattr(onx, "predict_proba") == hasattr(model, "predict_proba")
    assert hasattr(onx, "decision_function") == (
        not regression and hasattr(model, "decision_function")
        and not hasattr(model, "predict_proba"))
    return onx, report


@pytest.mark.parametrize("key", CLASSIFIER_CASES)
def test_classifiers_and_pipelines_export_with_parity(key, cls_data):
    _, (X_train, X_test, y_train, _) = cls_data
    factory = CLASSIFIERS.get(key) or PIPELINES[key]
    model = _fit(factory, X_train, y_train)
    onx, report = _assert_exported(model, X_train, X_test, regression=False)
    expected = ("probabilities" if hasattr(model, "predict_proba")
                else "decision_function" if hasattr(model, "decision_function") else "labels")
    assert report.output == expected
    if expected == "decision_function":
        assert onx.decision_function(X_test).shape == np.shape(model.decision_function(X_test))


@pytest.mark.parametrize("key", REGRESSORS)
def test_regressors_export_with_parity_relative_to_the_output_scale(key, reg_data):
    X_train, X_test, y_train, _ = reg_data
    model = _fit(REGRESSORS[key], X_train, y_train)
    _, report = _assert_exported(model, X_train, X_test, regression=True)
    # The tolerance scales with the output (values in the hundreds).
    assert report.tolerance == pytest.approx(
        1e-4 + 1e-5 * np.abs(model.predict(X_test.astype(np.float32))).max())


def test_column_transformer_by_name_on_dataframes(cls_data):
    _, (X_train, X_test, y_train, y_test) = cls_data
    cols = [f"f{i}" for i in range(N_FEATURES)]
    df_train, df_test = pd.DataFrame(X_train, columns=cols), pd.DataFrame(X_test, columns=cols)
    model = make_pipeline(
        ColumnTransformer([("s", StandardScaler(), ["f0", "f1"]), ("m", MinMaxScaler(), ["f4"])],
                          remainder="passthrough"),
        lm.LogisticRegression()).fit(df_train, y_train)
    onx = to_onnx(model, df_train)
    assert len(onx.session.get_inputs()) == 1 and onx.n_features_in_ == N_FEATURES
    assert check_parity(model, onx, df_test).passed
    shuffled = df_test[cols[::-1]]  # the predictor reorders columns by name
    np.testing.assert_array_equal(onx.predict(shuffled), model.predict(df_test))
    np.testing.assert_array_equal(onx.predict(X_test), model.predict(df_test))


def test_string_labels_and_the_label_output():
    X_train, X_test, y_train, _ = _data(3)
    names = np.array(["low", "mid", "high"])
    model = svm.SVC(probability=True, random_state=0).fit(X_train, names[y_train])
    onx = to_onnx(model, X_train)
    # SVC(probability=True).predict uses the decision function, not argmax of Platt scaling.
    np.testing.assert_array_equal(onx.predict(X_test), model.predict(X_test))
    assert check_parity(model, onx, X_test).passed


def test_decision_layouts_survive_save_load_pickle_and_setstate(tmp_path):
    import pickle

    X_train, X_test, y_train, _ = _data(2)
    for model in (svm.SVC(), lm.SGDClassifier(random_state=0), svm.LinearSVC()):
        model.fit(X_train, y_train)
        onx = to_onnx(model, X_train)
        expected = model.decision_function(X_test)
        copies = [OnnxPredictor.load(onx.save(tmp_path / "m.onnx")),
                  pickle.loads(pickle.dumps(onx)), OnnxPredictor(onx.onnx_bytes)]
        # What the course's transport keeps: the bytes and the five original keys.
        state = {k: v for k, v in onx.__getstate__().items()
                 if k in ("onnx_bytes", "output", "classes", "feature_names", "name")}
        rebuilt = OnnxPredictor.__new__(OnnxPredictor)
        rebuilt.__setstate__(state)
        for copy in [*copies, rebuilt]:
            np.testing.assert_allclose(copy.decision_function(X_test), expected, atol=1e-4)
            np.testing.assert_array_equal(copy.predict(X_test), model.predict(X_test))


def test_regression_tolerance_scales_with_the_output(reg_data):
    X_train, X_test, y_train, _ = reg_data
    model = lm.Ridge().fit(X_train, y_train)
    onx = to_onnx(model, X_train)
    report = check_parity(model, onx, X_test)
    scale = np.abs(model.predict(X_test)).max()
    assert scale > 100 and report.tolerance == pytest.approx(1e-4 + 1e-5 * scale)
    shifted = lambda X: model.predict(X) + 3e-5 * scale  # noqa: E731
    assert not check_parity(model, shifted, X_test, raise_on_failure=False).passed
    assert check_parity(model, shifted, X_test, rtol=1e-4).passed
    big = lm.Ridge().fit(X_train, y_train * 1e4)  # the same model, outputs 1e4 times larger
    assert check_parity(big, to_onnx(big, X_train), X_test).passed
    with pytest.raises(ParityError):
        check_parity(big, to_onnx(big, X_train), X_test, rtol=0.0, atol=1e-4)
    with pytest.raises(ValueError, match="rtol"):
        check_parity(model, onx, X_test, rtol=-1)


# --------------------------------------------------------------------------------------------
# What does not export: a named error each
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_voting_with_flatten_transform_is_refused_with_the_fix(voting):
    X_train, X_test, y_train, _ = _data(3)
    model = ens.VotingClassifier(_voters(), voting=voting).fit(X_train, y_train)
    with pytest.raises(UnsupportedModelError,
                       match=rf"VotingClassifier\(voting='{voting}'\).*flatten_transform=True"
                             r".*set flatten_transform=False"):
        to_onnx(model, X_train)
    with pytest.raises(UnsupportedModelError, match="in Pipeline ending in VotingClassifier"):
        to_onnx(make_pipeline(StandardScaler(), ens.VotingClassifier(
            _voters(), voting=voting)).fit(X_train, y_train), X_train)
    model.set_params(flatten_transform=False)  # the suggested fix, no refit
    assert check_parity(model, to_onnx(model, X_train), X_test).passed


def test_binary_lda_is_refused_by_the_self_check():
    X_train, _, y_train, _ = _data(2)
    lda = da.LinearDiscriminantAnalysis().fit(X_train, y_train)
    with pytest.raises(UnsupportedModelError,
                       match=r"LinearDiscriminantAnalysis incorrectly.*probabilities differ"):
        to_onnx(lda, X_train)
    with pytest.raises(UnsupportedModelError, match="Pipeline ending in LinearDiscriminant"):
        to_onnx(make_pipeline(StandardScaler(), da.LinearDiscriminantAnalysis()).fit(
            X_train, y_train), X_train)
    X3, X3_test, y3, _ = _data(3)  # the multiclass converter is right
    lda3 = da.LinearDiscriminantAnalysis().fit(X3, y3)
    assert check_parity(lda3, to_onnx(lda3, X3), X3_test).passed


def test_estimators_without_a_converter_are_named():
    from sklearn.isotonic import IsotonicRegression
    from sklearn.kernel_ridge import KernelRidge

    X_train, _, y_train, _ = _data(2)
    with pytest.raises(UnsupportedModelError, match="no ONNX converter for KernelRidge"):
        to_onnx(KernelRidge().fit(X_train, y_train), X_train)
    iso = IsotonicRegression().fit(X_train[:, 0], y_train)
    with pytest.raises((UnsupportedModelError, ValueError)):
        to_onnx(iso, X_train[:, :1])
    with pytest.raises(UnsupportedModelError, match="no ONNX converter for KernelRidge"):
        to_onnx(make_pipeline(StandardScaler(), KernelRidge()).fit(X_train, y_train), X_train)
