"""mlserving_lab.distill: soft targets for scikit-learn and torch students."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.distill import (
    LogitRegressorClassifier,
    distill_torch,
    distillation_report,
    duplicate_rows,
    fidelity,
    fit_soft_student,
    sklearn_distillation,
    soft_targets,
    train_torch_classifier,
)


@pytest.fixture(scope="module")
def data():
    return make_classification_split(n_samples=1200, n_features=8, n_informative=5)


@pytest.fixture(scope="module")
def teacher(data):
    X_train, _, y_train, _ = data
    return GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=0).fit(
        X_train, y_train)


def _soft_linear_teacher(softness, seed=0):
    """A logistic teacher with soft probabilities; its labels do not depend on `softness`."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2000, 4))
    t = LogisticRegression().fit(X, (X @ [1.0, -2.0, 0.5, 1.5] > 0).astype(int))
    t.coef_ = t.coef_ * softness
    t.intercept_ = t.intercept_ * softness
    return t, X


def test_duplicate_rows_weights_sum_to_one():
    X = np.arange(6.0).reshape(3, 2)
    p = np.array([[0.25, 0.75], [1.0, 0.0], [0.5, 0.5]])
    Xd, yd, w = duplicate_rows(X, p, classes=["a", "b"])
    assert len(Xd) == 5  # the zero-weight copy is dropped
    assert yd.tolist() == ["a", "b", "a", "a", "b"]
    np.testing.assert_allclose(w, [0.25, 0.75, 1.0, 0.5, 0.5])


@pytest.mark.parametrize("method, student", [("duplicate", LogisticRegression()),
                                             ("logits", LinearRegression())])
def test_soft_student_recovers_soft_probabilities(method, student):
    t, X = _soft_linear_teacher(0.2)
    s = fit_soft_student(student, X, t.predict_proba(X), classes=t.classes_, method=method)
    Xn = np.random.default_rng(9).normal(size=(500, 4))
    gap = np.abs(s.predict_proba(Xn) - t.predict_proba(Xn)).max()
    assert gap < 0.03
    hard = LogisticRegression().fit(X, t.predict(X))  # thresholded: far too confident
    assert np.abs(hard.predict_proba(Xn) - t.predict_proba(Xn)).mean() > 0.1


def test_soft_targets_temperature_flattens(teacher, data):
    X = data[1][:50]
    p1, p4 = soft_targets(teacher, X), soft_targets(teacher, X, temperature=4)
    np.testing.assert_allclose(p1, teacher.predict_proba(X))
    np.testing.assert_allclose(p4.sum(axis=1), 1)
    assert np.abs(p4 - 0.5).mean() < np.abs(p1 - 0.5).mean()
    assert (p4.argmax(1) == p1.argmax(1)).all()


def test_logit_regressor_multiclass():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    logits = 0.5 * X @ rng.normal(size=(3, 3))  # probabilities stay above eps
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    clf = LogitRegressorClassifier(LinearRegression()).fit(X, p, classes=["x", "y", "z"])
    np.testing.assert_allclose(clf.predict_proba(X), p, atol=1e-3)
    assert set(clf.predict(X)) <= {"x", "y", "z"}


def test_sklearn_distillation_report(teacher, data):
    table, models = sklearn_distillation(teacher, DecisionTreeClassifier(max_depth=5,
                                         random_state=0), *data, n_runs=10)
    assert list(table.index) == ["teacher", "soft student", "hard-label student",
                                 "no-teacher baseline"]
    assert {"accuracy", "fidelity", "size_kb", "p50_ms", "p99_ms"} <= set(table.columns)
    assert table.loc["teacher", "fidelity"] == 1.0
    assert (table["size_vs_teacher"].iloc[1:] < 1).all()
    assert fidelity(teacher, models["soft student"], data[1]) == table.loc["soft student",
                                                                          "fidelity"]
    table2, models2 = sklearn_distillation(teacher, Ridge(), *data, method="logits", n_runs=5)
    assert isinstance(models2["soft student"], LogitRegressorClassifier)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: duplicate_rows(np.ones((3, 2)), np.ones((2, 2)) / 2), ValueError, "2 rows but X"),
    (lambda: duplicate_rows(np.ones((2, 2)), [[0.2, 0.2], [0.5, 0.5]]), ValueError,
     "row 0 sums to 0.4"),
    (lambda: duplicate_rows(np.ones((2, 2)), [0.2, 0.5]), ValueError, "2-D"),
    (lambda: duplicate_rows(np.ones((2, 2)), [[3.0, -2.0], [0.5, 0.5]]), ValueError,
     "outside \\[0, 1\\]"),
    (lambda: fit_soft_student(KNeighborsClassifier(), np.ones((2, 2)), [[1, 0], [0, 1]]),
     TypeError, "KNeighborsClassifier.fit has no sample_weight"),
    (lambda: fit_soft_student(LogisticRegression(), np.ones((2, 2)), [[1, 0], [0, 1]],
                              method="magic"), ValueError, "duplicate"),
    (lambda: soft_targets(GradientBoostingClassifier(), np.ones((2, 2))), ValueError,
     "teacher .GradientBoostingClassifier. is not fitted"),
])
def test_distill_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_soft_targets_errors(teacher):
    with pytest.raises(ValueError, match="temperature"):
        soft_targets(teacher, np.zeros((2, 8)), temperature=0)
    with pytest.raises(TypeError, match="predict_proba"):
        soft_targets(Ridge().fit([[0.0], [1.0]], [0, 1]), [[0.5]])


torch = pytest.importorskip("torch")


def _mlp(hidden, n_in=8):
    return torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, 2))


def test_torch_kl_student_learns_teacher_probabilities():
    t, X = _soft_linear_teacher(0.3)
    torch.manual_seed(0)
    student = distill_torch(torch.nn.Linear(4, 2), t, X, temperature=1.0, epochs=150, lr=0.05)
    assert student.loss_history_[-1] < student.loss_history_[0]
    Xn = np.random.default_rng(3).normal(size=(300, 4)).astype(np.float32)
    with torch.no_grad():
        p = torch.softmax(student(torch.from_numpy(Xn)), 1).numpy()
    assert np.abs(p - t.predict_proba(Xn)).mean() < 0.05


def test_torch_teacher_student_and_report(data):
    X_train, X_test, y_train, y_test = data
    torch.manual_seed(0)
    teacher = train_torch_classifier(_mlp(32), X_train, y_train, epochs=40)
    kd = distill_torch(_mlp(4), teacher, X_train, y_train, temperature=4, epochs=40,
                       batch_size=256)
    base = train_torch_classifier(_mlp(4), X_train, y_train, epochs=40)
    table = distillation_report(teacher, {"kd": kd, "base": base}, X_test, y_test, n_runs=10)
    assert table.loc["kd", "size_kb"] < table.loc["teacher", "size_kb"]
    assert table.loc["kd", "fidelity"] > 0.7
    with pytest.raises(ValueError, match="temperature"):
        distill_torch(_mlp(4), teacher, X_train, temperature=-1)
    with pytest.raises(ValueError, match="alpha"):
        distill_torch(_mlp(4), teacher, X_train, y_train, alpha=2)
    with pytest.raises(ValueError, match="class indices"):
        train_torch_classifier(_mlp(4), X_train, y_train - 5)
    with pytest.raises(ValueError, match="reserved"):
        distillation_report(teacher, {"teacher": kd}, X_test, y_test)
