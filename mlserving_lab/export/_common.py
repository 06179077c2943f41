"""Internal helpers shared by the export modules (not public API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported lazily at run time
    pass


#: ONNX opset used for scikit-learn conversions: the newest one skl2onnx 1.20 is tested with
#: that onnxruntime 1.20+ also runs. ``ai.onnx.ml`` 3 keeps TreeEnsemble* operators loadable.
DEFAULT_OPSET = {"": 21, "ai.onnx.ml": 3}


#: Opset used by :func:`torch_to_onnx` (the dynamo exporter's own default in torch 2.13).
TORCH_OPSET = 20


META_KEY = "mlserving_lab"


def is_dataframe(X) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    if z.shape[1] == 1:  # one logit per row: binary classifier with a sigmoid head
        p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return np.column_stack([1.0 - p1, p1])
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
