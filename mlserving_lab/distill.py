"""Knowledge distillation with real soft targets (lesson 02).

A student learns from the teacher's *probabilities*. Thresholding them first
(``teacher.predict`` or ``proba > 0.5``) throws away exactly what distillation is for: how
sure the teacher is. A student trained on thresholded labels is a *hard-label* student.

scikit-learn classifiers only accept labels in ``fit``, so there are two honest ways to feed
them probabilities:

* **duplicated rows** (:func:`duplicate_rows`): every row appears once per class, labelled
  with that class and weighted by the teacher's probability for it. For a log-loss model such
  as LogisticRegression, this weighted fit minimises exactly the cross-entropy to the
  teacher's probabilities.
* **a regressor on the logits** (:class:`LogitRegressorClassifier`): regress
  ``log(p / (1 - p))`` (or centred log-probabilities for several classes) and map
  predictions back through a sigmoid / softmax.

torch students use the classic loss: KL divergence between the teacher's and the student's
softmax at temperature ``T`` (times ``T**2``), optionally mixed with cross-entropy on the
true labels (:func:`distill_torch`).

Public API
----------
soft_targets               teacher probabilities, optionally softened with a temperature
duplicate_rows             X, p -> (X_dup, y_dup, sample_weight)
fit_soft_student           fit a scikit-learn student on probabilities ("duplicate" or "logits")
LogitRegressorClassifier   classifier made of a regressor fitted on the teacher's logits
fidelity                   label agreement between a student and its teacher
train_torch_classifier     plain cross-entropy training (the no-teacher / hard-label runs)
distill_torch              train a torch student with KL loss at temperature T
distillation_report        teacher / students side by side: accuracy, fidelity, size, latency
sklearn_distillation       build teacher-vs-students for scikit-learn in one call
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from mlserving_lab._validation import check_array, check_fitted, check_positive_int

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LogitRegressorClassifier",
    "distill_torch",
    "distillation_report",
    "duplicate_rows",
    "fidelity",
    "fit_soft_student",
    "sklearn_distillation",
    "soft_targets",
    "train_torch_classifier",
]

_EPS = 1e-6


def _check_proba(proba, n_rows: int | None = None, name: str = "proba") -> np.ndarray:
    p = check_array(proba, name=name)
    if p.shape[1] < 2:
        raise ValueError(f"{name} must have one column per class (at least 2), got shape "
                         f"{p.shape}; for a binary teacher pass predict_proba(X), not "
                         "predict_proba(X)[:, 1]")
    if n_rows is not None and p.shape[0] != n_rows:
        raise ValueError(f"{name} has {p.shape[0]} rows but X has {n_rows}")
    if (p < -1e-9).any() or (p > 1 + 1e-9).any():
        raise ValueError(f"{name} holds values outside [0, 1]; pass probabilities, not logits")
    sums = p.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-3):
        i = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(f"{name} rows must sum to 1; row {i} sums to {sums[i]:.4f}")
    return np.clip(p, 0.0, 1.0)


def soft_targets(teacher, X, *, temperature: float = 1.0) -> np.ndarray:
    """The teacher's class probabilities on ``X``, optionally softened.

    Lesson 02. With ``temperature`` T > 1 the probabilities are flattened
    (``softmax(log p / T)``), which exposes the teacher's "dark knowledge" about the
    runner-up classes; T = 1 returns ``teacher.predict_proba(X)`` unchanged.

    Parameters
    ----------
    teacher : fitted classifier with ``predict_proba``
    X : array-like or DataFrame
    temperature : float, default 1.0
        Must be > 0.

    Returns
    -------
    numpy.ndarray of shape (n_rows, n_classes)

    Raises
    ------
    ValueError
        If the teacher is not fitted or ``temperature`` is not positive.
    TypeError
        If the teacher has no ``predict_proba``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> teacher = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> soft_targets(teacher, [[1.5]]).round(2).tolist()
    [[0.5, 0.5]]
    """
    check_fitted(teacher, name="teacher")
    if not hasattr(teacher, "predict_proba"):
        raise TypeError(f"teacher ({type(teacher).__name__}) has no predict_proba; a "
                        "distillation teacher must output probabilities")
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    p = np.asarray(teacher.predict_proba(X), dtype=np.float64)
    if temperature == 1.0:
        return p
    z = np.log(np.clip(p, 1e-12, 1.0)) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def duplicate_rows(X, proba, classes=None, *, min_weight: float = _EPS):
    """Turn soft targets into weighted hard labels that scikit-learn can fit.

    Lesson 02. Row ``i`` is repeated once per class ``k`` with label ``classes[k]`` and
    sample weight ``proba[i, k]``; copies whose weight is below ``min_weight`` are dropped.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features)
    proba : array-like of shape (n_rows, n_classes)
        Rows sum to 1.
    classes : array-like, optional
        Labels of the probability columns (default ``0 .. n_classes-1``).
    min_weight : float, default 1e-6

    Returns
    -------
    X_dup : numpy.ndarray of shape (m, n_features)
    y_dup : numpy.ndarray of shape (m,)
    weights : numpy.ndarray of shape (m,)
        The weights of each original row's copies sum to 1 (up to dropped tiny weights).

    Raises
    ------
    ValueError
        If shapes disagree or ``proba`` is not a probability table.

    Examples
    --------
    >>> Xd, yd, w = duplicate_rows([[1.0], [2.0]], [[0.8, 0.2], [0.0, 1.0]])
    >>> Xd.ravel().tolist(), yd.tolist(), w.tolist()
    ([1.0, 1.0, 2.0], [0, 1, 1], [0.8, 0.2, 1.0])
    """
    Xa = check_array(X, name="X")
    p = _check_proba(proba, Xa.shape[0])
    classes = np.arange(p.shape[1]) if classes is None else np.asarray(classes)
    if len(classes) != p.shape[1]:
        raise ValueError(f"classes has {len(classes)} labels but proba has {p.shape[1]} "
                         "columns")
    n, k = p.shape
    rows = np.repeat(np.arange(n), k)
    labels = np.tile(classes, n)
    weights = p.ravel()
    keep = weights >= min_weight
    return Xa[rows[keep]], labels[keep], weights[keep]


class LogitRegressorClassifier(ClassifierMixin, BaseEstimator):
    """A classifier made of a regressor fitted on the teacher's logits.

    Lesson 02. Binary: the regressor predicts ``log(p1 / (1 - p1))`` and ``predict_proba``
    applies the sigmoid. Several classes: it predicts the centred log-probabilities (one
    output per class) and ``predict_proba`` applies the softmax. Probabilities are clipped to
    ``[eps, 1 - eps]`` before the log so that a certain teacher gives finite targets.

    Parameters
    ----------
    regressor : scikit-learn regressor, default Ridge(alpha=1.0)
    eps : float, default 1e-4

    Attributes
    ----------
    regressor_ : fitted regressor
    classes_ : numpy.ndarray

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> p = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> clf = LogitRegressorClassifier().fit(X, p)
    >>> clf.predict([[0.0], [3.0]]).tolist()
    [0, 1]
    """

    def __init__(self, regressor=None, eps: float = 1e-4):
        self.regressor = regressor
        self.eps = eps

    def fit(self, X, y, classes=None):
        """Fit on teacher probabilities ``y`` (shape (n_rows, n_classes)), not labels.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        y : array-like of shape (n_rows, n_classes)
            The teacher's probabilities.
        classes : array-like, optional
            Labels of the columns (default ``0 .. n_classes-1``).

        Returns
        -------
        self
        """
        from sklearn.linear_model import Ridge

        Xa = check_array(X, name="X")
        p = _check_proba(y, Xa.shape[0], name="y (teacher probabilities)")
        p = np.clip(p, self.eps, 1 - self.eps)
        if p.shape[1] == 2:
            target = np.log(p[:, 1] / p[:, 0])
        else:
            logp = np.log(p)
            target = logp - logp.mean(axis=1, keepdims=True)
        self.classes_ = np.arange(p.shape[1]) if classes is None else np.asarray(classes)
        self.regressor_ = clone(self.regressor if self.regressor is not None else Ridge(1.0))
        self.regressor_.fit(Xa, target)
        self.n_features_in_ = Xa.shape[1]
        return self

    def decision_function(self, X):
        """The predicted logits.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)

        Returns
        -------
        numpy.ndarray
            Shape (n_rows,) for two classes, (n_rows, n_classes) otherwise.
        """
        check_fitted(self, name="LogitRegressorClassifier")
        Xa = check_array(X, name="X")
        if Xa.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xa.shape[1]} features, but the model was fitted on "
                             f"{self.n_features_in_}")
        return np.asarray(self.regressor_.predict(Xa), dtype=np.float64)

    def predict_proba(self, X):
        """Sigmoid (binary) or softmax of the predicted logits.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_rows, n_classes)
        """
        z = self.decision_function(X)
        if len(self.classes_) == 2:
            p1 = 1.0 / (1.0 + np.exp(-z.ravel()))
            return np.column_stack([1 - p1, p1])
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_rows,)
        """
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def fit_soft_student(student, X, proba, *, classes=None, method: str = "duplicate"):
    """Fit a scikit-learn student on the teacher's probabilities.

    Lesson 02.

    Parameters
    ----------
    student : unfitted estimator
        ``method="duplicate"``: a classifier whose ``fit`` accepts ``sample_weight`` (e.g.
        LogisticRegression, a small tree). ``method="logits"``: a regressor (e.g. Ridge); the
        result is a :class:`LogitRegressorClassifier` around it.
    X : array-like of shape (n_rows, n_features)
        The transfer set (the teacher's training rows, or unlabelled rows).
    proba : array-like of shape (n_rows, n_classes)
        Teacher probabilities (:func:`soft_targets`).
    classes : array-like, optional
        Labels of the columns, e.g. ``teacher.classes_``.
    method : {"duplicate", "logits"}, default "duplicate"

    Returns
    -------
    fitted estimator
        A clone of ``student`` (``duplicate``) or a LogitRegressorClassifier (``logits``).

    Raises
    ------
    ValueError
        Unknown method, or shapes that do not match.
    TypeError
        If the student's ``fit`` has no ``sample_weight`` (``duplicate``).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> p = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> s = fit_soft_student(LogisticRegression(), X, p)
    >>> s.predict([[0.0], [3.0]]).tolist()
    [0, 1]
    """
    if method == "duplicate":
        from sklearn.utils.validation import has_fit_parameter

        if not has_fit_parameter(student, "sample_weight"):
            raise TypeError(f"{type(student).__name__}.fit has no sample_weight parameter, so "
                            "it cannot learn from duplicated weighted rows; use "
                            "method='logits' with a regressor instead")
        Xd, yd, w = duplicate_rows(X, proba, classes)
        return clone(student).fit(Xd, yd, sample_weight=w)
    if method == "logits":
        Xa = check_array(X, name="X")
        return LogitRegressorClassifier(regressor=student).fit(Xa, proba, classes=classes)
    raise ValueError(f"method must be 'duplicate' or 'logits', got {method!r}")


def fidelity(teacher, student, X) -> float:
    """Fraction of rows where the student predicts the teacher's label.

    Lesson 02. Accuracy measures the student against the truth; fidelity measures it against
    the teacher, which is what distillation optimises.

    Parameters
    ----------
    teacher, student : fitted classifiers (anything with ``predict``)
    X : array-like

    Returns
    -------
    float
    """
    a = np.asarray(teacher.predict(X))
    b = np.asarray(student.predict(X))
    if a.shape != b.shape:
        raise ValueError(f"teacher returns shape {a.shape}, student {b.shape}")
    return float(np.mean(a.astype(str) == b.astype(str)))


# ---------------------------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------------------------
def _tensor(X, name="X"):
    import torch

    return torch.from_numpy(np.ascontiguousarray(check_array(X, name=name, dtype=np.float32)))


def _labels_tensor(y, n_rows: int):
    import torch

    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n_rows:
        raise ValueError(f"y must be 1-D with one label per row ({n_rows} rows), got shape "
                         f"{y.shape}")
    if y.dtype.kind not in "iu" or (y < 0).any():
        raise ValueError("y must hold class indices 0 .. n_classes-1 for a torch student")
    return torch.from_numpy(y.astype(np.int64))


def train_torch_classifier(module, X, y, *, epochs: int = 60, lr: float = 1e-2,
                           batch_size: int | None = None, seed: int = 0):
    """Train a torch classifier with cross-entropy on hard labels (full-batch Adam by default).

    Lesson 02. Used for the no-teacher baseline and for the teacher itself.

    Parameters
    ----------
    module : torch.nn.Module
        Outputs logits of shape (n, n_classes). Trained in place and returned.
    X : array-like of shape (n_rows, n_features)
    y : array-like of int class indices
    epochs : int, default 60
    lr : float, default 1e-2
    batch_size : int, optional
        Mini-batch size (default: the whole set, which is fast for small tables).
    seed : int, default 0

    Returns
    -------
    torch.nn.Module
        The trained module, in eval mode, with ``loss_history_`` (list of float) attached.
    """
    return _train(module, X, y, None, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                  temperature=1.0, alpha=0.0)


def distill_torch(student, teacher, X, y=None, *, temperature: float = 4.0, alpha: float = 0.9,
                  epochs: int = 60, lr: float = 1e-2, batch_size: int | None = None,
                  seed: int = 0):
    """Train a torch student on a teacher's soft targets with a KL loss at temperature T.

    Lesson 02. The loss is
    ``alpha * T**2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(s, y)``
    where ``t`` are the teacher's logits (``log predict_proba`` for a scikit-learn teacher)
    and ``s`` the student's. The ``T**2`` factor keeps the gradient scale comparable across
    temperatures (Hinton et al., 2015). Without ``y`` only the KL term is used.

    Parameters
    ----------
    student : torch.nn.Module
        Outputs logits; trained in place and returned.
    teacher : torch.nn.Module (logits) or fitted classifier with ``predict_proba``
    X : array-like of shape (n_rows, n_features)
        Transfer set.
    y : array-like of int, optional
        True labels for the cross-entropy term.
    temperature : float, default 4.0
    alpha : float, default 0.9
        Weight of the distillation term (forced to 1 when ``y`` is None).
    epochs, lr, batch_size, seed
        As in :func:`train_torch_classifier`.

    Returns
    -------
    torch.nn.Module
        The trained student (eval mode) with ``loss_history_``.

    Raises
    ------
    ValueError
        If ``temperature`` <= 0, ``alpha`` is outside [0, 1], or shapes disagree.
    """
    import torch

    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    Xt = _tensor(X)
    if isinstance(teacher, torch.nn.Module):
        teacher.eval()
        with torch.no_grad():
            t_logits = teacher(Xt).float()
    else:
        proba = soft_targets(teacher, check_array(X, name="X"))
        t_logits = torch.from_numpy(np.log(np.clip(proba, 1e-7, 1.0)).astype(np.float32))
    return _train(student, X, y, t_logits, epochs=epochs, lr=lr, batch_size=batch_size,
                  seed=seed, temperature=float(temperature),
                  alpha=1.0 if y is None else float(alpha))


def _train(module, X, y, t_logits, *, epochs, lr, batch_size, seed, temperature, alpha):
    from mlserving_lab._torch import check_torch_module

    torch = check_torch_module(module)
    import torch.nn.functional as F

    epochs = check_positive_int(epochs, "epochs")
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    Xt = _tensor(X)
    n = Xt.shape[0]
    yt = None if y is None else _labels_tensor(y, n)
    if yt is None and t_logits is None:
        raise ValueError("training needs labels y or a teacher")
    bs = n if batch_size is None else check_positive_int(batch_size, "batch_size")
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    module.train()
    history = []
    T = temperature
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen) if bs < n else torch.arange(n)
        total = 0.0
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            out = module(Xt[idx])
            loss = out.new_zeros(())
            if t_logits is not None and alpha > 0:
                kl = F.kl_div(F.log_softmax(out / T, dim=1), F.log_softmax(t_logits[idx] / T,
                              dim=1), reduction="batchmean", log_target=True)
                loss = loss + alpha * T * T * kl
            if yt is not None and alpha < 1:
                loss = loss + (1 - alpha) * F.cross_entropy(out, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / n)
    module.eval()
    module.loss_history_ = history
    return module


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
def distillation_report(teacher, students: dict, X_test, y_test, *, n_runs: int = 200,
                        warmup: int = 20) -> pd.DataFrame:
    """Teacher and students side by side: accuracy, fidelity, size and one-row latency.

    Lesson 02. Built with :func:`mlserving_lab.measure.measure_models` (the teacher as the
    reference; one-row latency, timed round-robin so that machine noise hits every model
    alike).

    Parameters
    ----------
    teacher : fitted classifier or torch module
    students : dict of name -> model
        E.g. ``{"soft student": ..., "hard-label student": ..., "no-teacher baseline": ...}``.
    X_test, y_test : array-like
    n_runs, warmup : int
        Timed and untimed one-row calls per model.

    Returns
    -------
    pandas.DataFrame
        Rows ``teacher`` and each student; columns ``accuracy, fidelity, size_kb, p50_ms,
        p99_ms, size_vs_teacher, speedup_vs_teacher``.
    """
    from mlserving_lab.measure import measure_models

    if not isinstance(students, dict) or not students:
        raise ValueError("students must be a non-empty dict of name -> model")
    if "teacher" in students:
        raise ValueError("'teacher' is reserved for the teacher row; rename that student")
    table = measure_models({"teacher": teacher, **students}, X_test, y_test,
                           reference="teacher", n_runs=n_runs, warmup=warmup)
    table = table.rename(columns={"agreement": "fidelity"})
    table = table.drop(columns=["max_abs_diff", "throughput_rows_s"])
    table["size_vs_teacher"] = table["size_kb"] / table.loc["teacher", "size_kb"]
    table["speedup_vs_teacher"] = table.loc["teacher", "p50_ms"] / table["p50_ms"]
    return table


def sklearn_distillation(teacher, student, X_train, X_test, y_train, y_test, *,
                         method: str = "duplicate", n_runs: int = 200):
    """Build the four models of the distillation comparison and measure them.

    Lesson 02. The teacher must already be fitted. From the ``student`` template it fits

    * ``soft student``: on the teacher's probabilities (``method``: duplicated rows, or
      logits with a regressor template),
    * ``hard-label student``: on ``teacher.predict(X_train)`` (thresholded teacher output),
    * ``no-teacher baseline``: on the true labels ``y_train``,

    and returns them with :func:`distillation_report`.

    Parameters
    ----------
    teacher : fitted classifier
    student : unfitted classifier template (for ``method="logits"``: a regressor template is
        used for the soft student and a LogisticRegression for the other two)
    X_train, X_test, y_train, y_test : array-like
        In the order ``train_test_split`` returns them.
    method : {"duplicate", "logits"}, default "duplicate"
    n_runs : int, default 200

    Returns
    -------
    table : pandas.DataFrame
    models : dict of name -> fitted model
    """
    from sklearn.linear_model import LogisticRegression

    check_fitted(teacher, name="teacher")
    Xtr = check_array(X_train, name="X_train")
    proba = soft_targets(teacher, Xtr)
    soft = fit_soft_student(student, Xtr, proba, classes=teacher.classes_, method=method)
    label_student = student if method == "duplicate" else LogisticRegression(max_iter=1000)
    hard = clone(label_student).fit(Xtr, teacher.predict(Xtr))
    base = clone(label_student).fit(Xtr, y_train)
    models = {"soft student": soft, "hard-label student": hard, "no-teacher baseline": base}
    table = distillation_report(teacher, models, X_test, y_test, n_runs=n_runs)
    return table, {"teacher": teacher, **models}
