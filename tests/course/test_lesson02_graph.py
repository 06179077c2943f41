"""Lesson 02 writes its MLP's ONNX graph with onnx.helper instead of running the dynamo exporter
(which costs 1-3 s). The lesson says the two graphs agree; this holds it to that claim."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]


def _mlp_graph():
    """The `mlp_graph` function exactly as the solution notebook defines it."""
    nb = nbformat.read(ROOT / "solutions" / "02_model_optimization.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "def mlp_graph(" in c.source)
    tree = ast.parse(cell.source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "mlp_graph")
    from onnx import TensorProto, helper, numpy_helper

    scope = {"torch": torch, "TensorProto": TensorProto, "helper": helper,
             "numpy_helper": numpy_helper}
    exec(compile(ast.Module([node], type_ignores=[]), "02_model_optimization", "exec"), scope)
    return scope["mlp_graph"]


@pytest.mark.slow
def test_the_hand_written_graph_is_what_the_exporter_writes():
    from mlserving_lab.distill import train_torch_classifier
    from mlserving_lab.export import OnnxPredictor, torch_to_onnx
    from mlserving_lab.quantize import quantize_onnx_dynamic

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                              torch.nn.ReLU(), torch.nn.Linear(16, 2))
    net = train_torch_classifier(net, X, y, epochs=20, lr=0.02)

    model = _mlp_graph()(net)
    mine = OnnxPredictor(model, output="logits", classes=[0, 1])
    exported = torch_to_onnx(net, X[:16])
    assert [n.op_type for n in model.graph.node] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"]
    import onnx

    ops = [n.op_type for n in onnx.load_from_string(exported.onnx_bytes).graph.node]
    assert sorted(set(ops)) == ["Gemm", "Relu"] and ops.count("Gemm") == 3, ops
    np.testing.assert_allclose(mine.predict_proba(X), exported.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(mine.predict(X), exported.predict(X))
    q_mine, q_exported = quantize_onnx_dynamic(mine), quantize_onnx_dynamic(exported)
    np.testing.assert_array_equal(q_mine.predict(X), q_exported.predict(X))
    np.testing.assert_allclose(q_mine.predict_proba(X), q_exported.predict_proba(X), atol=1e-5)
