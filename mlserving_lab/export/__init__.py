"""Export models for serving: ONNX, TorchScript, torch.export, and the parity check (lesson 02).

Every export in the course goes through :func:`check_parity`: it compares the exported model
with the original on real rows and raises :class:`ParityError` when the probabilities or the
labels drift beyond a tolerance. An export that was never compared is not an export, it is a
hope.

Public API
----------
to_onnx              fitted scikit-learn estimator or Pipeline -> :class:`OnnxPredictor`
                     (classifiers, regressors, Pipelines, ColumnTransformers; self-checked)
OnnxPredictor        onnxruntime session tuned for one-row latency; predict / predict_proba /
                     decision_function / save
torch_to_onnx        torch module -> ONNX (dynamo exporter, dynamic batch, one file)
TorchPredictor       predict / predict_proba around a torch module, TorchScript or .pt2 program
to_torchscript       torch.jit.trace / torch.jit.script (deprecated in torch 2.13)
save_torchscript, load_torchscript
export_pt2, save_pt2, load_pt2   torch.export, the successor of TorchScript
check_parity         max |difference| of probabilities, decision scores or values (tolerance
                     relative to the scale for the last two) + label agreement; raises beyond it
ParityReport, ParityError
artifact_table       size on disk and load time: joblib (several compress levels), ONNX,
                     TorchScript, .pt2
"""

from __future__ import annotations

from mlserving_lab.errors import ParityError, UnsupportedModelError
from mlserving_lab.export._common import DEFAULT_OPSET, TORCH_OPSET
from mlserving_lab.export.artifacts import artifact_table
from mlserving_lab.export.onnx import OnnxPredictor, to_onnx
from mlserving_lab.export.parity import ParityReport, check_parity
from mlserving_lab.export.torch_formats import (
    TorchPredictor,
    export_pt2,
    load_pt2,
    load_torchscript,
    save_pt2,
    save_torchscript,
    to_torchscript,
    torch_to_onnx,
)

__all__ = [
    "DEFAULT_OPSET",
    "TORCH_OPSET",
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
