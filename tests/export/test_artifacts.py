"""Size on disk and load time (artifact_table), serialized sizes and the model table."""

from __future__ import annotations

import pandas as pd
import pytest

from mlserving_lab.export import (
    artifact_table,
    to_onnx,
)
from mlserving_lab.measure import compare_models, serialized_size

torch = pytest.importorskip("torch")


# --------------------------------------------------------------------------------------------
# sizes and tables
# --------------------------------------------------------------------------------------------
def test_artifact_table_sklearn_compression_shrinks(fitted, data):
    table = artifact_table(fitted["rf"], data[0][:5], compress_levels=(0, 3, 9), repeats=1)
    assert list(table.index) == ["joblib compress=0", "joblib compress=3", "joblib compress=9",
                                 "ONNX"]
    assert table.loc["joblib compress=3", "size_kb"] < table.loc["joblib compress=0", "size_kb"]
    assert (table["load_ms"] > 0).all()
    with pytest.raises(ValueError, match="0-9"):
        artifact_table(fitted["rf"], data[0][:5], compress_levels=(12,))


def test_artifact_table_torch_formats(net, data):
    table = artifact_table(net, data[0][:5], repeats=1)
    assert list(table.index) == ["torch.save(state_dict)", "TorchScript (deprecated)",
                                 "torch.export .pt2", "ONNX"]
    assert (table["size_kb"] > 0).all()


def test_serialized_size_kinds(fitted, net, net_onnx):
    assert serialized_size(net_onnx) == net_onnx.nbytes
    assert serialized_size(fitted["rf"], compress=3) < serialized_size(fitted["rf"])
    assert serialized_size(net) > 4 * sum(p.numel() for p in net.parameters())


def test_compare_models_table(fitted, data, net, net_onnx):
    _, X_test, _, y_test = data
    table = compare_models({"rf": fitted["rf"], "onnx": to_onnx(fitted["rf"], X_test),
                            "torch": net, "torch-onnx": net_onnx}, X_test, y_test, n_runs=20,
                           warmup=2)
    assert isinstance(table, pd.DataFrame)
    assert table.loc["onnx", "agreement"] == 1.0
    assert (table["p99_ms"] >= table["p50_ms"]).all()
    assert table.loc["rf", "max_abs_diff"] == 0.0
    with pytest.raises(ValueError, match="reference"):
        compare_models({"rf": fitted["rf"]}, X_test, reference="nope")
    with pytest.raises(ValueError, match="y has 3 labels"):
        compare_models({"rf": fitted["rf"]}, X_test, y_test[:3])
