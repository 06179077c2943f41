"""scikit-learn to ONNX: :func:`to_onnx` and :class:`OnnxPredictor`, tuned for one-row latency."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np

from mlserving_lab._validation import (
    as_float32,
    check_array,
    check_fitted,
    feature_names,
    row_slice,
)
from mlserving_lab.atomic import atomic_write_bytes
from mlserving_lab.errors import (
    UnsupportedModelError,
)
from mlserving_lab.export._common import (
    DEFAULT_OPSET,
    META_KEY,
    is_dataframe,
    softmax,
)

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_ORT_DTYPES = {"tensor(float)": _F32, "tensor(double)": _F64}
_INF = float("inf")

#: Rows of ``X_sample`` that :func:`to_onnx` uses to read the score layout and self-check.
SELF_CHECK_ROWS = 200


def _session_options():
    """onnxruntime options for one-row serving: one thread, sequential, full graph opts."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1  # a thread pool costs more than a one-row GEMM or tree walk
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3  # errors only: quantized graphs log harmless warnings
    return so


def _with_metadata(data: bytes, meta: dict) -> bytes:
    """``data`` (a serialized model) with ``meta`` stored under :data:`META_KEY`."""
    import onnx

    proto = onnx.load_from_string(data)
    kept = [p for p in proto.metadata_props if p.key != META_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    entry = proto.metadata_props.add()
    entry.key = META_KEY
    entry.value = json.dumps(meta)
    return proto.SerializeToString()


class OnnxPredictor:
    """An ONNX model in an onnxruntime session, with a scikit-learn-like interface.

    Lesson 02. Build one with :func:`to_onnx` (scikit-learn) or :func:`torch_to_onnx` (torch),
    or load a saved one with :meth:`load`. The session runs on one thread with sequential
    execution, which is what minimises one-row latency, and a float32/float64 array of the
    right width skips the general validation (a finiteness probe still rejects
    NaN and infinity, with the same messages as the full path).

    Parameters
    ----------
    model : bytes, onnx.ModelProto, str or Path
        The serialized model, the model, or a path to a ``.onnx`` file.
    output : {"auto", "sklearn", "logits", "regression"}, default "auto"
        How to read the outputs. ``"sklearn"``: a ``label`` and a ``probabilities`` output
        (skl2onnx with ZipMap off). ``"logits"``: one output of raw scores, softmaxed by
        :meth:`predict_proba` (torch classifiers). ``"regression"``: one output of values.
        ``"auto"`` reads what :meth:`save` stored, else guesses from the outputs.
    classes : array-like, optional
        Class labels, in the order of the probability columns (``logits`` models).
    feature_names : list of str, optional
        Column names; DataFrames passed to :meth:`predict` are reordered to match.
    name : str, default "onnx"
        Label used in tables and error messages.
    scores : {"proba", "decision", "none"}, optional
        What the second output of an ``"sklearn"`` model holds: probabilities (the default),
        decision scores (a classifier without ``predict_proba``, exposed as
        :meth:`decision_function`) or nothing usable (hard voting). Read from the model's
        metadata when not given.
    decision_layout : [int, int], optional
        ``[column, sign]``: the column of the score output and the sign that give
        scikit-learn's 1-D binary ``decision_function`` (``None``: the output as it is).
    label_source : {"label", "proba"}, optional
        Where :meth:`predict` reads labels: the ONNX ``label`` output (estimators with a
        ``decision_function``, whose labels need not be the most probable class) or the
        probabilities with scikit-learn's tie rule (the default).

    Attributes
    ----------
    n_features_in_ : int
    classes_ : numpy.ndarray or None
    onnx_bytes : bytes
        The serialized model (what :meth:`save` writes).
    session : onnxruntime.InferenceSession

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlserving_lab.datasets import make_classification_split
    >>> X_train, X_test, y_train, y_test = make_classification_split(n_samples=200)
    >>> onx = to_onnx(LogisticRegression().fit(X_train, y_train), X_train)
    >>> onx.predict(X_test[:3]).shape
    (3,)
    """

    def __init__(self, model, *, output: str = "auto", classes=None, feature_names=None,
                 name: str = "onnx", scores: str | None = None, decision_layout=None,
                 label_source: str | None = None):
        import onnx

        if isinstance(model, (str, os.PathLike)):
            path = Path(model)
            if not path.is_file():
                raise FileNotFoundError(f"no ONNX file at {path}")
            data = path.read_bytes()
        elif isinstance(model, (bytes, bytearray)):
            data = bytes(model)
        elif isinstance(model, onnx.ModelProto):
            data = model.SerializeToString()
        else:
            raise TypeError(f"model must be ONNX bytes, an onnx.ModelProto or a path, got "
                            f"{type(model).__name__}")
        if output not in ("auto", "sklearn", "logits", "regression"):
            raise ValueError(f"output must be 'auto', 'sklearn', 'logits' or 'regression', "
                             f"got {output!r}")
        if scores not in (None, "proba", "decision", "none"):
            raise ValueError(f"scores must be 'proba', 'decision' or 'none', got {scores!r}")
        if label_source not in (None, "label", "proba"):
            raise ValueError(f"label_source must be 'label' or 'proba', got {label_source!r}")
        proto = onnx.load_from_string(data)
        meta = {}
        for prop in proto.metadata_props:
            if prop.key == META_KEY:
                meta = json.loads(prop.value)
        import onnxruntime as ort

        try:
            self.session = ort.InferenceSession(data, _session_options(),
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph classes
            raise ValueError(f"onnxruntime cannot load this model: {exc}") from None
        self.onnx_bytes = data
        self.name = name
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f"OnnxPredictor needs a model with one input, this one has "
                             f"{[i.name for i in inputs]}")
        self.input_name = inputs[0].name
        shape = inputs[0].shape
        self.n_features_in_ = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None
        self.output_names = [o.name for o in self.session.get_outputs()]
        if output == "auto":
            output = meta.get("output") or ("sklearn" if len(self.output_names) == 2
                                            else "logits" if classes is not None
                                            else "regression")
        self.output = output
        self._proba_name = (self.output_names[1] if output == "sklearn"
                            and len(self.output_names) > 1 else None)
        if classes is None and meta.get("classes") is not None:
            classes = meta["classes"]
        self.classes_ = None if classes is None else np.asarray(classes)
        if feature_names is None:
            feature_names = meta.get("feature_names")
        self.feature_names_in_ = None if feature_names is None else list(feature_names)
        self._scores = scores or meta.get("scores") or "proba"
        if decision_layout is None:
            decision_layout = meta.get("decision_layout")
        self._decision_layout = (None if decision_layout is None
                                 else (int(decision_layout[0]), int(decision_layout[1])))
        self._label_source = label_source or meta.get("label_source") or "proba"
        # Hot-path caches: the input dtype the graph wants, where each output sits.
        self._in_dtype = _ORT_DTYPES.get(inputs[0].type, _F32)
        self._one_row = (1, self.n_features_in_)
        # Every output, named once: run(None, ...) rebuilds this list on each call.
        self._outputs = list(self.output_names)
        self._label_idx = 0
        self._proba_idx = 1 if self._proba_name is not None else 0
        if self._proba_name is None or self.classes_ is None:
            self._label_source = "label" if output == "sklearn" else self._label_source

    # -- pickling ---------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        # An onnxruntime session cannot be pickled; keep the model bytes and rebuild it.
        return {"onnx_bytes": self.onnx_bytes, "name": self.name, **self._metadata()}

    def __setstate__(self, state: dict) -> None:
        # Keys missing from older pickles are read from the model's own metadata.
        self.__init__(state["onnx_bytes"], output=state.get("output") or "auto",
                      classes=state.get("classes"), feature_names=state.get("feature_names"),
                      name=state.get("name") or "onnx", scores=state.get("scores"),
                      decision_layout=state.get("decision_layout"),
                      label_source=state.get("label_source"))

    # -- metadata ---------------------------------------------------------------------------
    def _metadata(self) -> dict:
        classes = None if self.classes_ is None else self.classes_.tolist()
        layout = None if self._decision_layout is None else list(self._decision_layout)
        return {"output": self.output, "classes": classes,
                "feature_names": self.feature_names_in_, "scores": self._scores,
                "decision_layout": layout, "label_source": self._label_source}

    def with_model(self, model, *, name: str | None = None) -> OnnxPredictor:
        """A new predictor for another version of this model (quantized, float16, ...).

        Parameters
        ----------
        model : bytes, onnx.ModelProto or path
        name : str, optional

        Returns
        -------
        OnnxPredictor
            Same output kind, classes, feature names and score layout as ``self``.
        """
        return OnnxPredictor(model, output=self.output, classes=self.classes_,
                             feature_names=self.feature_names_in_, name=name or self.name,
                             scores=self._scores, decision_layout=self._decision_layout,
                             label_source=self._label_source)

    @property
    def nbytes(self) -> int:
        """Size of the serialized model in bytes."""
        return len(self.onnx_bytes)

    # -- prediction -------------------------------------------------------------------------
    def _prepare(self, X) -> np.ndarray:
        """``X`` as the graph's input array, validated.

        Fast path: a float32/float64 ndarray with rows and the fitted width. Its
        finiteness is probed with one dot product (NaN and inf propagate into it; a finite
        value whose square overflows only sends the row to the full check). Anything else,
        or a failed probe, goes through :func:`as_float32`, whose errors name the problem.
        """
        # onnxruntime reads strided arrays correctly, so contiguity is not required here.
        if type(X) is np.ndarray and (X.shape == self._one_row or (
                X.ndim == 2 and X.shape[1] == self.n_features_in_ and X.shape[0])):
            dtype = X.dtype
            if dtype is self._in_dtype:
                flat = X.ravel()
                if flat.dot(flat) < _INF:  # False for NaN and inf
                    return X
            elif dtype is _F64 or dtype is _F32:
                x = X.astype(self._in_dtype)
                flat = x.ravel()
                if flat.dot(flat) < _INF:
                    return x
        arr = as_float32(X, self.n_features_in_, self.feature_names_in_)
        return arr if self._in_dtype is _F32 else arr.astype(self._in_dtype)

    def _run(self, X) -> list:
        return self.session.run(self._outputs, {self.input_name: self._prepare(X)})

    def predict(self, X) -> np.ndarray:
        """Predicted labels (classifiers) or values (regressors).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            float64 or float32 arrays, lists or numeric DataFrames.

        Returns
        -------
        numpy.ndarray of shape (n_rows,)
            ``(n_rows, n_targets)`` for a regressor with several targets.

        Raises
        ------
        ValueError
            Wrong number of features, NaN/inf, wrong columns.
        TypeError
            Non-numeric input.
        """
        out = self.session.run(self._outputs, {self.input_name: self._prepare(X)})
        if self.output == "sklearn":
            classes = self.classes_
            if self._label_source == "proba":
                # Labels from the probabilities, with scikit-learn's rule for ties: a forest
                # of 20 trees voting 10/10 gives exactly 0.5/0.5 in float64 and scikit-learn
                # takes the first class; onnxruntime sums float32 votes, lands on
                # 0.49999997/0.50000003 and would take the other. Differences below 1e-6
                # count as ties.
                p = out[self._proba_idx]
                if p.shape[1] == 2:
                    if p.shape[0] == 1:
                        i = 1 if p[0, 1] > p[0, 0] + 1e-6 else 0
                        return classes[i:i + 1].copy()
                    return classes[(p[:, 1] > p[:, 0] + 1e-6).astype(np.intp)]
                return classes[np.argmax(np.round(p, 6), axis=1)]
            labels = out[self._label_idx].ravel()
            if classes is not None and labels.dtype != classes.dtype:
                labels = labels.astype(classes.dtype)
            return labels
        if self.output == "logits":
            idx = np.asarray(out[0]).reshape(len(out[0]), -1)
            idx = (idx[:, 0] > 0).astype(int) if idx.shape[1] == 1 else idx.argmax(axis=1)
            return idx if self.classes_ is None else self.classes_[idx]
        values = out[0].astype(_F64)
        return values if values.ndim == 2 and values.shape[1] > 1 else values.ravel()

    def _predict_proba(self, X) -> np.ndarray:
        out = self.session.run(self._outputs, {self.input_name: self._prepare(X)})
        if self.output == "sklearn":
            return out[self._proba_idx].astype(_F64)
        return softmax(out[0])

    @property
    def predict_proba(self):
        """Class probabilities, shape (n_rows, n_classes).

        Not available for regressors, nor for classifiers without probabilities (their
        scores are :meth:`decision_function`), exactly as in scikit-learn.

        Raises
        ------
        AttributeError
            For those models (so ``hasattr(p, "predict_proba")`` is False).
        """
        if self.output == "regression":
            raise AttributeError(f"{self.name}: this ONNX model is a regressor and has no "
                                 "predict_proba")
        if self.output == "sklearn" and self._scores != "proba":
            raise AttributeError(f"{self.name}: the exported classifier has no probabilities "
                                 "(its estimator has no predict_proba); use "
                                 "decision_function or predict")
        return self._predict_proba

    def _decision_function(self, X) -> np.ndarray:
        scores = self.session.run(self._outputs, {self.input_name: self._prepare(X)})[self._proba_idx]
        if self._decision_layout is None:
            return scores.astype(np.float64)
        col, sign = self._decision_layout
        column = scores[:, col].astype(np.float64)
        return -column if sign < 0 else column

    @property
    def decision_function(self):
        """Decision scores in scikit-learn's layout: shape (n_rows,) for binary classifiers,
        (n_rows, n_classes) otherwise.

        Available for exported classifiers without ``predict_proba`` (LinearSVC, SVC,
        RidgeClassifier, SGDClassifier with hinge loss, Perceptron, ...): :func:`to_onnx`
        reads on ``X_sample`` how the ONNX scores map to the estimator's
        ``decision_function`` (binary models put them in one column, or two of opposite
        signs) and this method maps them back.

        Raises
        ------
        AttributeError
            For models whose scores are probabilities, values or logits.
        """
        if self.output != "sklearn" or self._scores != "decision":
            raise AttributeError(f"{self.name}: this ONNX model has no decision_function")
        return self._decision_function

    # -- persistence ------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the model (with its classes and feature names) to ``path`` atomically.

        Parameters
        ----------
        path : str or Path
            Destination, conventionally ending in ``.onnx``.

        Returns
        -------
        pathlib.Path
        """
        return atomic_write_bytes(path, _with_metadata(self.onnx_bytes, self._metadata()))

    @classmethod
    def load(cls, path, *, name: str = "onnx") -> OnnxPredictor:
        """Load a model written by :meth:`save` (or any single-input ONNX file).

        Parameters
        ----------
        path : str or Path
        name : str, default "onnx"

        Returns
        -------
        OnnxPredictor
        """
        return cls(path, name=name)

    def __repr__(self) -> str:
        return (f"OnnxPredictor({self.name!r}, output={self.output!r}, "
                f"n_features={self.n_features_in_}, {self.nbytes / 1024:.1f} KB)")


# --------------------------------------------------------------------------------------------
# to_onnx
# --------------------------------------------------------------------------------------------
def _final_estimator(model):
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def _has(model, method: str) -> bool:
    try:
        return callable(getattr(model, method, None))
    except AttributeError:  # available_if raises AttributeError for a missing method
        return False


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _convert(model, initial_types, *, is_classifier: bool, target_opset, label: str,
             est_name: str):
    """Run skl2onnx; retry without ZipMap options for converters that refuse them."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.exceptions import MissingShapeCalculator

    from mlserving_lab.export._converters import hgb_workaround, voting_with_flatten

    voting = voting_with_flatten(model)
    if voting is not None:
        where = "" if voting is model else f" (in {label})"
        raise UnsupportedModelError(
            f"skl2onnx cannot convert VotingClassifier(voting={voting.voting!r}){where}: it "
            "has flatten_transform=True (the default), which skl2onnx 1.20 does not "
            "implement. flatten_transform only changes transform(), not predict or "
            "predict_proba: set flatten_transform=False "
            "(voting.set_params(flatten_transform=False), no refit needed) and export again")
    # ZipMap off (plain arrays). Converters without a ZipMap (LinearSVC, ...) refuse the
    # option; inside a Pipeline skl2onnx copies the pipeline's default zipmap=True onto the
    # final classifier, so registering any allowed option for it ("nocl", its default)
    # keeps the pipeline's one out.
    final = _final_estimator(model)
    attempts = ([{"zipmap": False}, None, {id(final): {"nocl": False}}] if is_classifier
                else [None])
    error = None
    for options in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                proto = convert_sklearn(model, initial_types=initial_types, options=options,
                                        target_opset=target_opset or DEFAULT_OPSET,
                                        **hgb_workaround())
        except MissingShapeCalculator:
            raise UnsupportedModelError(
                f"skl2onnx has no ONNX converter for {est_name} (in {label}); use a supported "
                "estimator, register a custom converter, or serve it with joblib") from None
        except Exception as exc:  # noqa: BLE001 - converters raise anything
            error = exc
            # "Option 'zipmap' not in [...] for class 'LinearSVC'": retry without options.
            if is_classifier and "zipmap" in str(exc):
                continue
            break
        outputs = [o.type.WhichOneof("value") for o in proto.graph.output]
        if any(kind != "tensor_type" for kind in outputs):
            error = ValueError(f"the converter produced non-tensor outputs {outputs}")
            continue
        return proto
    if isinstance(error, NotImplementedError) or "not implemented" in str(error).lower():
        raise UnsupportedModelError(f"skl2onnx cannot convert {label}: {_first_line(error)}") \
            from None
    raise UnsupportedModelError(f"skl2onnx could not convert {label}: {_first_line(error)}") \
        from None


def _self_check(model, predictor, X_check, *, label: str) -> None:
    """Raise UnsupportedModelError when the converted graph disagrees with ``model``."""
    from mlserving_lab.export.parity import check_parity

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "X has feature names" from the estimator
            report = check_parity(model, predictor, X_check, atol=1e-3, rtol=1e-4,
                                  min_agreement=0.98, name=label, raise_on_failure=False)
    except ValueError as exc:
        raise UnsupportedModelError(f"skl2onnx converts {label} into a graph with different "
                                    f"outputs: {exc}") from None
    if not report.passed:
        raise UnsupportedModelError(
            f"skl2onnx converts {label} incorrectly: on {report.n_rows} rows of X_sample the "
            f"ONNX {report.output} differ by up to {report.max_abs_diff:.3g} (tolerance "
            f"{report.tolerance:.3g}) and labels agree on {report.label_agreement:.1%}. Serve "
            "this estimator with joblib, or choose one whose converter is exact")


def _decision_layout(model, predictor, X_check, label: str):
    """How the ONNX score output maps to ``model.decision_function`` (see OnnxPredictor)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.asarray(model.decision_function(X_check), dtype=np.float64)
    raw = predictor._run(X_check)[predictor._proba_idx].astype(np.float64)
    if raw.ndim != 2:
        raw = raw.reshape(len(raw), -1)
    if ref.ndim == 2:
        if raw.shape != ref.shape:
            raise UnsupportedModelError(
                f"skl2onnx converts {label} into scores of shape {raw.shape[1:]} per row, but "
                f"its decision_function has {ref.shape[1:]}; it cannot be checked for parity")
        return None
    best, best_diff = None, np.inf
    for col in range(raw.shape[1]):
        for sign in (1, -1):
            diff = float(np.max(np.abs(sign * raw[:, col] - ref)))
            if diff < best_diff:
                best, best_diff = (col, sign), diff
    return best


def to_onnx(model, X_sample, *, target_opset=None, name: str | None = None) -> OnnxPredictor:
    """Convert a fitted scikit-learn estimator or Pipeline to ONNX and load it.

    Lesson 02. The graph takes float32 input (tree converters need it: a GradientBoosting
    model converted with float64 input is refused by onnxruntime), has ZipMap off (plain
    probability arrays, not a list of dicts) and uses :data:`DEFAULT_OPSET`.

    Every estimator skl2onnx converts is covered: classifiers with probabilities, classifiers
    with only a ``decision_function`` (the predictor gets a ``decision_function`` in
    scikit-learn's layout, read on ``X_sample``), regressors, Pipelines and ColumnTransformers
    (columns selected by name too: the graph still has one 2-D input). HistGradientBoosting
    goes through a workaround for a skl2onnx 1.20 / scikit-learn 1.9 incompatibility.
    The converted graph is compared with the estimator on up to 200 rows of ``X_sample``
    before it is returned, so a converter that is known to be wrong (binary
    LinearDiscriminantAnalysis) raises instead of shipping wrong answers.

    Parameters
    ----------
    model : fitted estimator or Pipeline
    X_sample : array-like or DataFrame of shape (n_rows, n_features)
        A few rows of real input: fixes the number of features (and the column names of a
        DataFrame), and is used for the self-check.
    target_opset : int or dict, optional
        Override :data:`DEFAULT_OPSET`.
    name : str, optional
        Label for the predictor (defaults to the estimator's class name).

    Returns
    -------
    OnnxPredictor

    Raises
    ------
    ValueError
        If the model is not fitted, or ``X_sample`` has the wrong number of features.
    UnsupportedModelError
        (a TypeError) naming the estimator when skl2onnx has no converter for it, fails, or
        produces a graph that disagrees with the estimator on ``X_sample`` (the message says
        why; a soft VotingClassifier with ``flatten_transform=True`` is told to set it to
        False).

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from mlserving_lab.datasets import make_classification_split
    >>> from mlserving_lab.export import check_parity
    >>> X_train, X_test, y_train, y_test = make_classification_split(n_samples=300)
    >>> rf = RandomForestClassifier(n_estimators=5, random_state=0).fit(X_train, y_train)
    >>> onx = to_onnx(rf, X_train)
    >>> report = check_parity(rf, onx, X_test)
    >>> report.label_agreement
    1.0

    A classifier without probabilities is checked on its decision scores:

    >>> from sklearn.svm import LinearSVC
    >>> svm = LinearSVC().fit(X_train, y_train)
    >>> onx = to_onnx(svm, X_train)
    >>> hasattr(onx, "predict_proba"), onx.decision_function(X_test[:2]).shape
    (False, (2,))
    >>> check_parity(svm, onx, X_test).output
    'decision_function'
    """
    check_fitted(model)
    X = check_array(X_sample, name="X_sample")
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and X.shape[1] != expected:
        raise ValueError(f"X_sample has {X.shape[1]} features, but {type(model).__name__} was "
                         f"fitted on {expected}")
    est = _final_estimator(model)
    est_name = type(est).__name__
    label = type(model).__name__ if est is model else f"{type(model).__name__} ending in {est_name}"

    from skl2onnx.common.data_types import FloatTensorType

    from mlserving_lab.export._converters import merge_column_inputs, uses_column_names

    is_classifier = hasattr(est, "classes_")
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        names = [str(c) for c in names]
    elif is_dataframe(X_sample):
        names = feature_names(X_sample)
    by_name = names is not None and uses_column_names(model)
    if by_name:  # ColumnTransformer selecting columns by name: one input per column first
        initial_types = [(c, FloatTensorType([None, 1])) for c in names]
    else:
        initial_types = [("X", FloatTensorType([None, X.shape[1]]))]
    proto = _convert(model, initial_types, is_classifier=is_classifier,
                     target_opset=target_opset, label=label, est_name=est_name)
    if by_name:
        proto = merge_column_inputs(proto, "X", X.shape[1])

    classes = getattr(est, "classes_", None)
    if is_classifier:
        scores = ("proba" if _has(model, "predict_proba")
                  else "decision" if _has(model, "decision_function") else "none")
        label_source = "label" if _has(est, "decision_function") or scores != "proba" \
            else "proba"
    else:
        scores = label_source = None
    try:
        predictor = OnnxPredictor(proto, output="sklearn" if is_classifier else "regression",
                                  classes=classes, feature_names=names, name=name or est_name,
                                  scores=scores, label_source=label_source)
    except ValueError as exc:
        raise UnsupportedModelError(f"the ONNX graph for {label} does not load: {exc}") from None
    X_check = row_slice(X_sample if is_dataframe(X_sample) else X, 0, SELF_CHECK_ROWS)
    try:
        if scores == "decision":
            predictor._decision_layout = _decision_layout(model, predictor, X_check, label)
        _self_check(model, predictor, X_check, label=label)
    except UnsupportedModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - a graph that does not even run on X_sample
        raise UnsupportedModelError(f"the ONNX graph for {label} fails on X_sample: "
                                    f"{_first_line(exc)}") from None
    # Metadata inside the bytes: copies made from onnx_bytes alone keep the score layout.
    predictor.onnx_bytes = _with_metadata(predictor.onnx_bytes, predictor._metadata())
    return predictor
