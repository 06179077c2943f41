"""The parity check: an exported model must reproduce the original on real rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlserving_lab._validation import check_array
from mlserving_lab.errors import (
    ParityError,
)
from mlserving_lab.measure import model_outputs

if TYPE_CHECKING:  # pandas is imported lazily at run time
    pass


@dataclass
class ParityReport:
    """How closely an exported model reproduces its original, from :func:`check_parity`.

    Attributes
    ----------
    name : str
    n_rows : int
        Rows compared.
    max_abs_diff : float
        Largest absolute difference between the two probability (or value) arrays.
    label_agreement : float
        Fraction of rows with the same predicted label (NaN for regressors).
    atol : float
        The absolute part of the tolerance.
    min_agreement : float
        Required ``label_agreement``.
    passed : bool
    rtol : float
        The part of the tolerance relative to the output's scale.
    tolerance : float
        Allowed ``max_abs_diff``: ``atol + rtol * max|reference output|``.
    output : str
        What was compared: ``"probabilities"``, ``"decision_function"`` (classifiers without
        probabilities), ``"values"`` (regressors) or ``"labels"`` (labels only).
    """

    name: str
    n_rows: int
    max_abs_diff: float
    label_agreement: float
    atol: float
    min_agreement: float
    passed: bool
    rtol: float = 0.0
    tolerance: float = float("nan")
    output: str = "probabilities"

    def __post_init__(self):
        if np.isnan(self.tolerance):
            self.tolerance = self.atol

    def to_dict(self) -> dict:
        """The report as a plain dict (one table row)."""
        return dict(self.__dict__)

    def __str__(self) -> str:
        status = "OK" if self.passed else "FAILED"
        agree = "n/a" if np.isnan(self.label_agreement) else f"{self.label_agreement:.2%}"
        return (f"parity {status} for {self.name}: max |diff| {self.max_abs_diff:.2e} in "
                f"{self.output} "
                f"(tolerance {self.tolerance:.3g}), labels agree on {agree} of {self.n_rows} rows "
                f"(required {self.min_agreement:.2%})")

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.passed else "#b3261e"
        return f"<span style='color:{color}'>{str(self)}</span>"


def _has(model, method: str) -> bool:
    try:
        return callable(getattr(model, method, None))
    except AttributeError:  # available_if / properties raise AttributeError when missing
        return False


def _is_classifier(model) -> bool:
    if getattr(model, "_estimator_type", None) == "classifier":
        return True
    try:
        from sklearn.base import is_classifier

        if is_classifier(model):
            return True
    except Exception:  # noqa: BLE001 - not a scikit-learn object
        pass
    return getattr(model, "classes_", None) is not None and not _has(model, "predict_proba") \
        and _has(model, "predict")


def _outputs(reference, candidate, X):
    """(kind, reference outputs, reference labels, candidate outputs, candidate labels)."""
    if (not _has(reference, "predict_proba") and _is_classifier(reference)
            and _has(reference, "predict")):
        ref_labels = np.asarray(reference.predict(X))
        cand_labels = np.asarray(candidate.predict(X)) if _has(candidate, "predict") else None
        if _has(reference, "decision_function") and _has(candidate, "decision_function"):
            ref_out = np.asarray(reference.decision_function(X), dtype=np.float64)
            cand_out = np.asarray(candidate.decision_function(X), dtype=np.float64)
            return "decision_function", ref_out, ref_labels, cand_out, cand_labels
        if cand_labels is not None:
            # Labels only (a hard-voting ensemble): nothing numeric to compare.
            empty = np.zeros((len(ref_labels), 0))
            return "labels", empty, ref_labels, np.zeros((len(cand_labels), 0)), cand_labels
    ref_out, ref_labels = model_outputs(reference, X)
    cand_out, cand_labels = model_outputs(candidate, X)
    kind = "probabilities" if ref_labels is not None else "values"
    return kind, ref_out, ref_labels, cand_out, cand_labels


def check_parity(reference, candidate, X, *, atol: float = 1e-4, min_agreement: float = 1.0,
                 name: str | None = None, raise_on_failure: bool = True,
                 rtol: float | None = None) -> ParityReport:
    """Compare an exported model with its original on real rows; fail loudly on drift.

    Lesson 02. The one parity check every export in the course goes through. It reports the
    largest absolute difference between the outputs and the fraction of rows whose predicted
    label agrees. The outputs are the probabilities of a classifier that has them, the
    ``decision_function`` of one that has not (LinearSVC, SVC, RidgeClassifier, ...), and the
    values of a regressor.

    Parameters
    ----------
    reference : estimator, predictor, torch module or callable
        The original model (anything with ``predict_proba``/``predict``, a torch module that
        outputs logits, or a function returning probabilities).
    candidate : same kinds as ``reference``
        The exported or optimised model.
    X : array-like or DataFrame
        Real rows (held-out data). Passed to both models unchanged, so float64 input and
        DataFrames are exercised as a user would pass them.
    atol : float, default 1e-4
        Largest allowed absolute difference. float32 export of a float64 model typically
        lands around 1e-7; int8 quantization around 1e-2.
    min_agreement : float, default 1.0
        Smallest allowed label agreement.
    name : str, optional
        Label for the report (default: the candidate's ``name`` or class name).
    raise_on_failure : bool, default True
        Raise :class:`ParityError` when the check fails (otherwise return a failed report).
    rtol : float, optional
        Tolerance relative to the output's scale: the allowed difference is
        ``atol + rtol * max|reference output|``. Default 1e-5 for regression values and
        decision scores (float32 carries about 7 significant digits, so a price in the
        hundreds cannot match to 1e-4), 0 for probabilities.

    Returns
    -------
    ParityReport

    Raises
    ------
    ParityError
        (an :class:`mlserving_lab.errors.MLServingError`, not an AssertionError) when the
        difference exceeds the tolerance or the agreement is below
        ``min_agreement``, with both numbers in the message.
    ValueError
        If the two models return arrays of different shapes, or ``atol``/``rtol``/
        ``min_agreement`` are out of range.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlserving_lab.datasets import make_classification_split
    >>> from mlserving_lab.export import to_onnx
    >>> X_train, X_test, y_train, y_test = make_classification_split(n_samples=200)
    >>> lr = LogisticRegression().fit(X_train, y_train)
    >>> check_parity(lr, to_onnx(lr, X_train), X_test).passed
    True

    A regressor's tolerance grows with the scale of its output:

    >>> from sklearn.linear_model import Ridge
    >>> ridge = Ridge().fit(X_train, 500 * y_train + 300)
    >>> report = check_parity(ridge, to_onnx(ridge, X_train), X_test)
    >>> report.output, report.tolerance > report.atol
    ('values', True)
    """
    if not (np.isfinite(atol) and atol >= 0):
        raise ValueError(f"atol must be a finite number >= 0, got {atol!r}")
    if rtol is not None and not (np.isfinite(rtol) and rtol >= 0):
        raise ValueError(f"rtol must be a finite number >= 0, got {rtol!r}")
    if not 0.0 <= min_agreement <= 1.0:
        raise ValueError(f"min_agreement must be between 0 and 1, got {min_agreement!r}")
    label = name or getattr(candidate, "name", None) or type(candidate).__name__
    check_array(X, name="X")
    kind, ref_out, ref_labels, cand_out, cand_labels = _outputs(reference, candidate, X)
    if ref_out.shape != cand_out.shape:
        raise ValueError(f"{label} returns shape {cand_out.shape} but the reference returns "
                         f"{ref_out.shape}; they are not the same kind of model")
    if not np.isfinite(cand_out).all():
        max_diff = float("inf")
    else:
        max_diff = float(np.max(np.abs(ref_out - cand_out))) if ref_out.size else 0.0
    if rtol is None:
        rtol = 0.0 if kind in ("probabilities", "labels") else 1e-5
    scale = float(np.max(np.abs(ref_out))) if ref_out.size and np.isfinite(ref_out).all() \
        else 0.0
    tolerance = float(atol) + float(rtol) * scale
    if ref_labels is not None and cand_labels is not None:
        agreement = float(np.mean(np.asarray(ref_labels).astype(str)
                                  == np.asarray(cand_labels).astype(str)))
    else:
        agreement = float("nan")
    ok_labels = np.isnan(agreement) or agreement >= min_agreement
    report = ParityReport(name=str(label), n_rows=int(len(ref_out)), max_abs_diff=max_diff,
                          label_agreement=agreement, atol=float(atol),
                          min_agreement=float(min_agreement),
                          passed=bool(max_diff <= tolerance and ok_labels),
                          rtol=float(rtol), tolerance=tolerance, output=kind)
    if raise_on_failure and not report.passed:
        raise ParityError(f"{report}. The exported model does not reproduce the original: do "
                          "not ship it. Check the input dtype (float32), the opset and the "
                          "converter options.")
    return report
