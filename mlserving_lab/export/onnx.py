"""scikit-learn to ONNX: :func:`to_onnx` and :class:`OnnxPredictor`, tuned for one-row latency."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlserving_lab._validation import as_float32, check_array, check_fitted, feature_names
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

if TYPE_CHECKING:  # pandas is imported lazily at run time
    pass


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


class OnnxPredictor:
    """An ONNX model in an onnxruntime session, with a scikit-learn-like interface.

    Lesson 02. Build one with :func:`to_onnx` (scikit-learn) or :func:`torch_to_onnx` (torch),
    or load a saved one with :meth:`load`. The session runs on one thread with sequential
    execution, which is what minimises one-row latency.

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
                 name: str = "onnx"):
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

    # -- pickling ---------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        # An onnxruntime session cannot be pickled; keep the model bytes and rebuild it.
        return {"onnx_bytes": self.onnx_bytes, "name": self.name, **self._metadata()}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["onnx_bytes"], output=state["output"], classes=state["classes"],
                      feature_names=state["feature_names"], name=state["name"])

    # -- metadata ---------------------------------------------------------------------------
    def _metadata(self) -> dict:
        classes = None if self.classes_ is None else self.classes_.tolist()
        return {"output": self.output, "classes": classes,
                "feature_names": self.feature_names_in_}

    def with_model(self, model, *, name: str | None = None) -> OnnxPredictor:
        """A new predictor for another version of this model (quantized, float16, ...).

        Parameters
        ----------
        model : bytes, onnx.ModelProto or path
        name : str, optional

        Returns
        -------
        OnnxPredictor
            Same output kind, classes and feature names as ``self``.
        """
        return OnnxPredictor(model, output=self.output, classes=self.classes_,
                             feature_names=self.feature_names_in_, name=name or self.name)

    @property
    def nbytes(self) -> int:
        """Size of the serialized model in bytes."""
        return len(self.onnx_bytes)

    # -- prediction -------------------------------------------------------------------------
    def _run(self, X) -> list:
        arr = as_float32(X, self.n_features_in_, self.feature_names_in_)
        return self.session.run(None, {self.input_name: arr})

    def predict(self, X) -> np.ndarray:
        """Predicted labels (classifiers) or values (regressors).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            float64 or float32 arrays, lists or numeric DataFrames.

        Returns
        -------
        numpy.ndarray of shape (n_rows,)

        Raises
        ------
        ValueError
            Wrong number of features, NaN/inf, wrong columns.
        TypeError
            Non-numeric input.
        """
        if self.output == "sklearn" and self.classes_ is not None and self._proba_name:
            # Labels from the probabilities, with scikit-learn's rule for ties: a forest of 20
            # trees voting 10/10 gives exactly 0.5/0.5 in float64 and scikit-learn takes the
            # first class; onnxruntime sums float32 votes, lands on 0.49999997/0.50000003 and
            # would take the other. Differences below 1e-6 count as ties.
            arr = as_float32(X, self.n_features_in_, self.feature_names_in_)
            p = self.session.run([self._proba_name], {self.input_name: arr})[0]
            if p.shape[1] == 2:
                return self.classes_[(p[:, 1] > p[:, 0] + 1e-6).astype(np.intp)]
            return self.classes_[np.argmax(np.round(p, 6), axis=1)]
        out = self._run(X)
        if self.output == "sklearn":
            return np.asarray(out[0]).ravel()
        if self.output == "logits":
            idx = np.asarray(out[0]).reshape(len(out[0]), -1)
            idx = (idx[:, 0] > 0).astype(int) if idx.shape[1] == 1 else idx.argmax(axis=1)
            return idx if self.classes_ is None else self.classes_[idx]
        return np.asarray(out[0], dtype=np.float64).ravel()

    def _predict_proba(self, X) -> np.ndarray:
        out = self._run(X)
        if self.output == "sklearn":
            return np.asarray(out[1], dtype=np.float64)
        return softmax(out[0])

    @property
    def predict_proba(self):
        """Class probabilities, shape (n_rows, n_classes). Not available for regressors.

        Raises
        ------
        AttributeError
            For regression models (so ``hasattr(p, "predict_proba")`` is False).
        """
        if self.output == "regression":
            raise AttributeError(f"{self.name}: this ONNX model is a regressor and has no "
                                 "predict_proba")
        return self._predict_proba

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
        import onnx

        proto = onnx.load_from_string(self.onnx_bytes)
        kept = [p for p in proto.metadata_props if p.key != META_KEY]
        del proto.metadata_props[:]
        proto.metadata_props.extend(kept)
        entry = proto.metadata_props.add()
        entry.key = META_KEY
        entry.value = json.dumps(self._metadata())
        return atomic_write_bytes(path, proto.SerializeToString())

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


def _final_estimator(model):
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def to_onnx(model, X_sample, *, target_opset=None, name: str | None = None) -> OnnxPredictor:
    """Convert a fitted scikit-learn estimator or Pipeline to ONNX and load it.

    Lesson 02. The graph takes float32 input (tree converters need it: a GradientBoosting
    model converted with float64 input is refused by onnxruntime), has ZipMap off (plain
    probability arrays, not a list of dicts) and uses :data:`DEFAULT_OPSET`.

    Parameters
    ----------
    model : fitted estimator or Pipeline
    X_sample : array-like or DataFrame of shape (n_rows, n_features)
        A few rows of real input: fixes the number of features (and the column names of a
        DataFrame).
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
        (a TypeError) naming the estimator when skl2onnx has no converter for it or fails.

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

    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from skl2onnx.common.exceptions import MissingShapeCalculator

    is_classifier = hasattr(est, "classes_")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proto = convert_sklearn(
                model,
                initial_types=[("X", FloatTensorType([None, X.shape[1]]))],
                options={"zipmap": False} if is_classifier else None,
                target_opset=target_opset or DEFAULT_OPSET,
            )
    except MissingShapeCalculator:
        raise UnsupportedModelError(
            f"skl2onnx has no ONNX converter for {est_name} (in {label}); use a supported "
            "estimator, register a custom converter, or serve it with joblib") from None
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UnsupportedModelError(
            f"skl2onnx could not convert {label}: {first}") from None
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        names = [str(c) for c in names]
    elif is_dataframe(X_sample):
        names = feature_names(X_sample)
    classes = getattr(est, "classes_", None)
    try:
        return OnnxPredictor(proto, output="sklearn" if is_classifier else "regression",
                             classes=classes, feature_names=names, name=name or est_name)
    except ValueError as exc:
        raise UnsupportedModelError(f"the ONNX graph for {label} does not load: {exc}") from None
