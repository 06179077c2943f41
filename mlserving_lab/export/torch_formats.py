"""torch models for serving: :class:`TorchPredictor`, torch to ONNX, TorchScript and torch.export."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlserving_lab._torch import check_torch_module, quiet_torch
from mlserving_lab._validation import as_float32
from mlserving_lab.atomic import atomic_path
from mlserving_lab.export._common import (
    TORCH_OPSET,
    softmax,
)
from mlserving_lab.export.onnx import OnnxPredictor

if TYPE_CHECKING:  # pandas is imported lazily at run time
    pass


def _torch_sample(X_sample, n_features: int | None = None):
    import torch

    if isinstance(X_sample, torch.Tensor):
        X_sample = X_sample.detach().cpu().numpy()
    arr = as_float32(X_sample, n_features, None, name="X_sample")
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

        arr = as_float32(X, self.n_features_in_, None)
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
        return softmax(self._logits(X))

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
