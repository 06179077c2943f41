"""Export models for serving: ONNX, TorchScript, torch.export, and the parity check (lesson 02).

Every export in the course goes through :func:`check_parity`: it compares the exported model
with the original on real rows and raises :class:`ParityError` when the probabilities or the
labels drift beyond a tolerance. An export that was never compared is not an export, it is a
hope.

Public API
----------
to_onnx              fitted scikit-learn estimator or Pipeline -> :class:`OnnxPredictor`
OnnxPredictor        onnxruntime session tuned for one-row latency; predict / predict_proba / save
torch_to_onnx        torch module -> ONNX (dynamo exporter, dynamic batch, one file)
TorchPredictor       predict / predict_proba around a torch module, TorchScript or .pt2 program
to_torchscript       torch.jit.trace / torch.jit.script (deprecated in torch 2.13)
save_torchscript, load_torchscript
export_pt2, save_pt2, load_pt2   torch.export, the successor of TorchScript
check_parity         max |probability difference| + label agreement; raises beyond tolerance
ParityReport, ParityError
artifact_table       size on disk and load time: joblib (several compress levels), ONNX,
                     TorchScript, .pt2
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlserving_lab._torch import check_torch_module, quiet_torch
from mlserving_lab._validation import check_array, check_fitted, feature_names
from mlserving_lab.atomic import atomic_path, atomic_write_bytes
from mlserving_lab.errors import (
    ParityError,
    UnsupportedModelError,
)
from mlserving_lab.measure import model_outputs

if TYPE_CHECKING:  # pandas is imported lazily at run time
    import pandas as pd

__all__ = [
    "OnnxPredictor",
    "ParityError",
    "ParityReport",
    "TorchPredictor",
    "UnsupportedModelError",
    "artifact_table",
    "check_parity",
    "export_pt2",
    "load_pt2",
    "load_torchscript",
    "save_pt2",
    "save_torchscript",
    "to_onnx",
    "to_torchscript",
    "torch_to_onnx",
]

#: ONNX opset used for scikit-learn conversions: the newest one skl2onnx 1.20 is tested with
#: that onnxruntime 1.20+ also runs. ``ai.onnx.ml`` 3 keeps TreeEnsemble* operators loadable.
DEFAULT_OPSET = {"": 21, "ai.onnx.ml": 3}
#: Opset used by :func:`torch_to_onnx` (the dynamo exporter's own default in torch 2.13).
TORCH_OPSET = 20

_META_KEY = "mlserving_lab"


# ---------------------------------------------------------------------------------------------
# Input handling shared by the predictors
# ---------------------------------------------------------------------------------------------
def _is_dataframe(X) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _as_float32(X, n_features: int | None, names: list[str] | None, *, name: str = "X"):
    """Validate ``X`` and return a C-contiguous float32 array.

    The common case of a float ndarray takes a fast path of a few microseconds (a one-row
    request must not pay 15 µs of validation for a 8 µs model); everything else goes through
    :func:`check_array`, whose messages name the problem.
    """
    if type(X) is np.ndarray and X.ndim == 2 and X.dtype.kind == "f":
        if n_features is not None and X.shape[1] != n_features:
            raise ValueError(f"{name} has {X.shape[1]} features, but the model was fitted on "
                             f"{n_features}")
        if X.shape[0] == 0:
            raise ValueError(f"{name} has 0 rows (shape {X.shape}); at least 1 needed")
        out = X if X.dtype == np.float32 else X.astype(np.float32)
        if np.isfinite(out).all():
            return np.ascontiguousarray(out)
        check_array(X, name=name)  # raises with the column that holds NaN/inf
        raise ValueError(f"{name} holds values that do not fit in float32 (|x| > 3.4e38)")
    if _is_dataframe(X) and names is not None:
        cols = [str(c) for c in X.columns]
        if cols != names:
            missing = [c for c in names if c not in cols]
            extra = [c for c in cols if c not in names]
            if missing or extra:
                raise ValueError(f"{name} columns do not match the columns the model was "
                                 f"fitted on: missing {missing[:5]}, unexpected {extra[:5]}")
            X = X.set_axis(cols, axis=1)[names]
    arr = check_array(X, name=name, dtype=np.float32)
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the model was fitted on "
                         f"{n_features}")
    return np.ascontiguousarray(arr)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    if z.shape[1] == 1:  # one logit per row: binary classifier with a sigmoid head
        p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return np.column_stack([1.0 - p1, p1])
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


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


# ---------------------------------------------------------------------------------------------
# OnnxPredictor
# ---------------------------------------------------------------------------------------------
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
            if prop.key == _META_KEY:
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
        arr = _as_float32(X, self.n_features_in_, self.feature_names_in_)
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
            arr = _as_float32(X, self.n_features_in_, self.feature_names_in_)
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
        return _softmax(out[0])

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
        kept = [p for p in proto.metadata_props if p.key != _META_KEY]
        del proto.metadata_props[:]
        proto.metadata_props.extend(kept)
        entry = proto.metadata_props.add()
        entry.key = _META_KEY
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


# ---------------------------------------------------------------------------------------------
# scikit-learn -> ONNX
# ---------------------------------------------------------------------------------------------
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
    elif _is_dataframe(X_sample):
        names = feature_names(X_sample)
    classes = getattr(est, "classes_", None)
    try:
        return OnnxPredictor(proto, output="sklearn" if is_classifier else "regression",
                             classes=classes, feature_names=names, name=name or est_name)
    except ValueError as exc:
        raise UnsupportedModelError(f"the ONNX graph for {label} does not load: {exc}") from None


# ---------------------------------------------------------------------------------------------
# torch helpers
# ---------------------------------------------------------------------------------------------




def _torch_sample(X_sample, n_features: int | None = None):
    import torch

    if isinstance(X_sample, torch.Tensor):
        X_sample = X_sample.detach().cpu().numpy()
    arr = _as_float32(X_sample, n_features, None, name="X_sample")
    if arr.shape[0] < 2:  # a batch of 1 would let the exporter specialise the batch dim to 1
        arr = np.repeat(arr, 2, axis=0)
    return torch.from_numpy(arr)


def _infer_in_features(module) -> int | None:
    import torch

    for m in module.modules():
        if isinstance(m, torch.nn.Linear):
            return m.in_features
    return None


class TorchPredictor:
    """``predict`` / ``predict_proba`` around a torch classifier that outputs logits.

    Lesson 02. Works for an eager ``nn.Module``, a TorchScript module, a dynamically quantized
    module and the ``.module()`` of a ``torch.export`` program, so all of them can go through
    :func:`check_parity` and :func:`compare_models`.

    Parameters
    ----------
    module : callable
        Maps a float32 tensor of shape (n, n_features) to logits of shape (n, n_classes).
    classes : array-like, optional
        Labels for the logit columns (default 0 .. n_classes-1).
    n_features : int, optional
        Expected number of features (checked on every call when given).
    name : str, default "torch"

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Linear(3, 2)
    >>> TorchPredictor(net).predict_proba(np.zeros((1, 3))).shape
    (1, 2)
    """

    def __init__(self, module, *, classes=None, n_features: int | None = None,
                 name: str = "torch"):
        if not callable(module):
            raise TypeError(f"module must be callable (a torch module), got "
                            f"{type(module).__name__}")
        self.module = module
        if hasattr(module, "eval"):
            # the .module() of a torch.export program refuses eval(); it is already in eval mode
            with contextlib.suppress(NotImplementedError):
                module.eval()
        self.classes_ = None if classes is None else np.asarray(classes)
        if n_features is None:
            with contextlib.suppress(Exception):
                n_features = _infer_in_features(module)
        self.n_features_in_ = n_features
        self.name = name

    def _logits(self, X) -> np.ndarray:
        import torch

        arr = _as_float32(X, self.n_features_in_, None)
        with torch.inference_mode():
            out = self.module(torch.from_numpy(arr))
        return out.detach().numpy()

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the logits.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)

        Returns
        -------
        numpy.ndarray of float64, shape (n_rows, n_classes)
        """
        return _softmax(self._logits(X))

    def predict(self, X) -> np.ndarray:
        """Arg-max class label per row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_rows,)
        """
        z = self._logits(X)
        idx = (z[:, 0] > 0).astype(int) if z.ndim == 1 or z.shape[1] == 1 else z.argmax(axis=1)
        return idx if self.classes_ is None else self.classes_[idx]

    def __repr__(self) -> str:
        return f"TorchPredictor({self.name!r}, {type(self.module).__name__})"


def torch_to_onnx(module, X_sample, path=None, *, classes=None, opset_version: int = TORCH_OPSET,
                  name: str = "torch-onnx") -> OnnxPredictor:
    """Export a torch classifier to ONNX with the dynamo exporter and a dynamic batch dimension.

    Lesson 02. Uses ``torch.onnx.export(..., dynamo=True)`` (the default in torch 2.13) with
    ``dynamic_shapes`` marking dimension 0 as ``batch``, and writes ONE self-contained file
    (``external_data=False``: no ``.onnx.data`` side file). Exporter progress output and the
    expected warnings are silenced.

    Parameters
    ----------
    module : torch.nn.Module
        Maps (n, n_features) float32 to logits (n, n_classes).
    X_sample : array-like or tensor of shape (n_rows, n_features)
        Example input used to trace the graph.
    path : str or Path, optional
        Also save the model there (atomically).
    classes : array-like, optional
        Labels for the logit columns.
    opset_version : int, default TORCH_OPSET
    name : str, default "torch-onnx"

    Returns
    -------
    OnnxPredictor
        With ``output="logits"``: ``predict_proba`` is the softmax of the exported logits.

    Raises
    ------
    TypeError
        If ``module`` is not a torch module.
    ValueError
        If ``X_sample`` is not a numeric 2-D table matching the module.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> onx = torch_to_onnx(net, np.random.default_rng(0).normal(size=(5, 4)))  # doctest: +SKIP
    >>> onx.predict_proba(np.zeros((3, 4))).shape  # doctest: +SKIP
    (3, 2)
    """
    torch = check_torch_module(module)
    x = _torch_sample(X_sample, _infer_in_features(module))
    was_training = module.training
    module.eval()
    try:
        with quiet_torch(), tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "model.onnx")
            program = torch.onnx.export(
                module, (x,), dynamo=True, verbose=False, opset_version=opset_version,
                dynamic_shapes=({0: torch.export.Dim("batch")},),
            )
            program.save(out, external_data=False)
            data = Path(out).read_bytes()
    finally:
        module.train(was_training)
    n_out = None
    with torch.inference_mode():
        n_out = module(x[:1]).shape[-1]
    if classes is None:
        classes = np.arange(max(int(n_out), 2))
    predictor = OnnxPredictor(data, output="logits", classes=classes, name=name)
    if path is not None:
        predictor.save(path)
    return predictor


def to_torchscript(module, X_sample=None, *, method: str = "trace"):
    """Compile a module with TorchScript (``torch.jit.trace`` or ``torch.jit.script``).

    Lesson 02. **TorchScript is deprecated in torch 2.13** (``torch.jit.trace``, ``script``,
    ``save`` and ``load`` all emit DeprecationWarnings); :func:`export_pt2` with
    ``torch.export`` is its successor. It is here because many production systems still load
    TorchScript files. The expected warnings are silenced.

    Parameters
    ----------
    module : torch.nn.Module
    X_sample : array-like, optional
        Example input; required for ``method="trace"``.
    method : {"trace", "script"}, default "trace"
        ``trace`` records the operations run on ``X_sample`` (data-dependent Python control
        flow is frozen); ``script`` compiles the Python source.

    Returns
    -------
    torch.jit.ScriptModule

    Raises
    ------
    TypeError
        If ``module`` is not a torch module.
    ValueError
        If ``method`` is unknown or ``X_sample`` is missing for tracing.
    """
    torch = check_torch_module(module)
    if method not in ("trace", "script"):
        raise ValueError(f"method must be 'trace' or 'script', got {method!r}")
    module.eval()
    with quiet_torch():
        if method == "script":
            return torch.jit.script(module)
        if X_sample is None:
            raise ValueError("method='trace' needs X_sample: tracing runs the module on it")
        return torch.jit.trace(module, _torch_sample(X_sample, _infer_in_features(module)))


def save_torchscript(scripted, path) -> Path:
    """Save a TorchScript module atomically (``torch.jit.save``; deprecated in torch 2.13).

    Parameters
    ----------
    scripted : torch.jit.ScriptModule
    path : str or Path

    Returns
    -------
    pathlib.Path
    """
    import torch

    if not isinstance(scripted, torch.jit.ScriptModule):
        raise TypeError(f"expected a TorchScript module (from to_torchscript), got "
                        f"{type(scripted).__name__}")
    with quiet_torch(), atomic_path(path) as tmp:
        torch.jit.save(scripted, str(tmp))
    return Path(path)


def load_torchscript(path):
    """Load a TorchScript file (``torch.jit.load``; deprecated in torch 2.13).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    torch.jit.ScriptModule
    """
    import torch

    if not Path(path).is_file():
        raise FileNotFoundError(f"no TorchScript file at {path}")
    with quiet_torch():
        return torch.jit.load(str(path))


def export_pt2(module, X_sample, *, dynamic_batch: bool = True):
    """Capture a module with ``torch.export`` (TorchScript's successor).

    Lesson 02.

    Parameters
    ----------
    module : torch.nn.Module
    X_sample : array-like or tensor of shape (n_rows, n_features)
    dynamic_batch : bool, default True
        Mark dimension 0 as dynamic so the program accepts any batch size.

    Returns
    -------
    torch.export.ExportedProgram
        Call ``program.module()(x)`` to run it.
    """
    torch = check_torch_module(module)
    x = _torch_sample(X_sample, _infer_in_features(module))
    module.eval()
    shapes = ({0: torch.export.Dim("batch")},) if dynamic_batch else None
    with quiet_torch():
        return torch.export.export(module, (x,), dynamic_shapes=shapes)


def save_pt2(program, path) -> Path:
    """Save a ``torch.export`` program to a ``.pt2`` file atomically.

    Parameters
    ----------
    program : torch.export.ExportedProgram
    path : str or Path

    Returns
    -------
    pathlib.Path
    """
    import torch

    if not isinstance(program, torch.export.ExportedProgram):
        raise TypeError(f"expected a torch.export.ExportedProgram (from export_pt2), got "
                        f"{type(program).__name__}")
    with quiet_torch(), atomic_path(path, suffix=".pt2") as tmp:
        torch.export.save(program, str(tmp))
    return Path(path)


def load_pt2(path):
    """Load a ``.pt2`` file written by :func:`save_pt2`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    torch.export.ExportedProgram
    """
    import torch

    if not Path(path).is_file():
        raise FileNotFoundError(f"no .pt2 file at {path}")
    with quiet_torch():
        return torch.export.load(str(path))


# ---------------------------------------------------------------------------------------------
# The parity check
# ---------------------------------------------------------------------------------------------
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
        Allowed ``max_abs_diff``.
    min_agreement : float
        Required ``label_agreement``.
    passed : bool
    """

    name: str
    n_rows: int
    max_abs_diff: float
    label_agreement: float
    atol: float
    min_agreement: float
    passed: bool

    def to_dict(self) -> dict:
        """The report as a plain dict (one table row)."""
        return dict(self.__dict__)

    def __str__(self) -> str:
        status = "OK" if self.passed else "FAILED"
        agree = "n/a" if np.isnan(self.label_agreement) else f"{self.label_agreement:.2%}"
        return (f"parity {status} for {self.name}: max |diff| {self.max_abs_diff:.2e} "
                f"(tolerance {self.atol:g}), labels agree on {agree} of {self.n_rows} rows "
                f"(required {self.min_agreement:.2%})")

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.passed else "#b3261e"
        return f"<span style='color:{color}'>{str(self)}</span>"




def check_parity(reference, candidate, X, *, atol: float = 1e-4, min_agreement: float = 1.0,
                 name: str | None = None, raise_on_failure: bool = True) -> ParityReport:
    """Compare an exported model with its original on real rows; fail loudly on drift.

    Lesson 02. The one parity check every export in the course goes through. It reports the
    largest absolute difference between the probability arrays (the values for regressors)
    and the fraction of rows whose predicted label agrees.

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

    Returns
    -------
    ParityReport

    Raises
    ------
    ParityError
        (an AssertionError) when the difference exceeds ``atol`` or the agreement is below
        ``min_agreement``, with both numbers in the message.
    ValueError
        If the two models return arrays of different shapes, or ``atol``/``min_agreement``
        are out of range.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlserving_lab.datasets import make_classification_split
    >>> X_train, X_test, y_train, y_test = make_classification_split(n_samples=200)
    >>> lr = LogisticRegression().fit(X_train, y_train)
    >>> check_parity(lr, to_onnx(lr, X_train), X_test).passed
    True
    """
    if not (np.isfinite(atol) and atol >= 0):
        raise ValueError(f"atol must be a finite number >= 0, got {atol!r}")
    if not 0.0 <= min_agreement <= 1.0:
        raise ValueError(f"min_agreement must be between 0 and 1, got {min_agreement!r}")
    label = name or getattr(candidate, "name", None) or type(candidate).__name__
    check_array(X, name="X")
    ref_out, ref_labels = model_outputs(reference, X)
    cand_out, cand_labels = model_outputs(candidate, X)
    if ref_out.shape != cand_out.shape:
        raise ValueError(f"{label} returns shape {cand_out.shape} but the reference returns "
                         f"{ref_out.shape}; they are not the same kind of model")
    if not np.isfinite(cand_out).all():
        max_diff = float("inf")
    else:
        max_diff = float(np.max(np.abs(ref_out - cand_out))) if ref_out.size else 0.0
    if ref_labels is not None and cand_labels is not None:
        agreement = float(np.mean(np.asarray(ref_labels).astype(str)
                                  == np.asarray(cand_labels).astype(str)))
    else:
        agreement = float("nan")
    ok_labels = np.isnan(agreement) or agreement >= min_agreement
    report = ParityReport(name=str(label), n_rows=int(len(ref_out)), max_abs_diff=max_diff,
                          label_agreement=agreement, atol=float(atol),
                          min_agreement=float(min_agreement),
                          passed=bool(max_diff <= atol and ok_labels))
    if raise_on_failure and not report.passed:
        raise ParityError(f"{report}. The exported model does not reproduce the original: do "
                          "not ship it. Check the input dtype (float32), the opset and the "
                          "converter options.")
    return report


# ---------------------------------------------------------------------------------------------
# Sizes, load times and the comparison table
# ---------------------------------------------------------------------------------------------


def _time_load(load, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        load()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def artifact_table(model, X_sample, *, compress_levels=(0, 3, 5, 9), directory=None,
                   repeats: int = 3) -> pd.DataFrame:
    """Size on disk and load time of one model in every format the course uses.

    Lesson 02. A scikit-learn model is written with joblib at each compression level and as
    ONNX; a torch module as a ``state_dict`` (``torch.save``), TorchScript, ``.pt2`` and ONNX.
    Load time is the best of ``repeats`` loads (ONNX: building the inference session, which is
    what a server does at start-up).

    Parameters
    ----------
    model : fitted scikit-learn estimator or torch.nn.Module
    X_sample : array-like of shape (n_rows, n_features)
        Rows used for the ONNX / trace / export conversions.
    compress_levels : sequence of int, default (0, 3, 5, 9)
        joblib ``compress`` levels (scikit-learn models only).
    directory : str or Path, optional
        Where to write the files (default: a temporary folder removed afterwards).
    repeats : int, default 3

    Returns
    -------
    pandas.DataFrame
        One row per format, columns ``format, file, size_kb, load_ms, size_vs_first``.

    Raises
    ------
    ValueError
        If a compression level is outside 0-9.
    """
    import pandas as pd

    levels = [int(c) for c in compress_levels]
    bad = [c for c in levels if not 0 <= c <= 9]
    if bad:
        raise ValueError(f"joblib compress levels must be 0-9, got {bad}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(directory) if directory is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        is_torch = type(model).__module__.startswith("torch")
        if is_torch:
            import torch

            check_torch_module(model)
            p = folder / "model_state_dict.pt"
            with atomic_path(p) as t:
                torch.save(model.state_dict(), t)
            rows.append(("torch.save(state_dict)", p,
                         lambda p=p: torch.load(p, weights_only=True)))
            p = folder / "model.torchscript.pt"
            save_torchscript(to_torchscript(model, X_sample), p)
            rows.append(("TorchScript (deprecated)", p, lambda p=p: load_torchscript(p)))
            p = folder / "model.pt2"
            save_pt2(export_pt2(model, X_sample), p)
            rows.append(("torch.export .pt2", p, lambda p=p: load_pt2(p).module()))
            p = folder / "model.onnx"
            torch_to_onnx(model, X_sample, p)
            rows.append(("ONNX", p, lambda p=p: OnnxPredictor(p)))
        else:
            import joblib

            check_fitted(model)
            for level in levels:
                p = folder / f"model_compress{level}.joblib"
                with atomic_path(p) as t:
                    joblib.dump(model, t, compress=level)
                rows.append((f"joblib compress={level}", p, lambda p=p: joblib.load(p)))
            p = folder / "model.onnx"
            to_onnx(model, X_sample).save(p)
            rows.append(("ONNX", p, lambda p=p: OnnxPredictor(p)))
        table = []
        for fmt, path, load in rows:
            table.append({"format": fmt, "file": Path(path).name,
                          "size_kb": os.path.getsize(path) / 1024,
                          "load_ms": _time_load(load, repeats)})
    df = pd.DataFrame(table).set_index("format")
    df["size_vs_first"] = df["size_kb"] / df["size_kb"].iloc[0]
    return df




