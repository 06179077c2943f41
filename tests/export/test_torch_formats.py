"""mlserving_lab.export.torch_formats: torch to ONNX, TorchScript and torch.export."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mlserving_lab.export import (
    OnnxPredictor,
    TorchPredictor,
    check_parity,
    export_pt2,
    load_pt2,
    load_torchscript,
    save_pt2,
    save_torchscript,
    to_torchscript,
    torch_to_onnx,
)

torch = pytest.importorskip("torch")


# --------------------------------------------------------------------------------------------
# torch exports
# --------------------------------------------------------------------------------------------
def test_torch_to_onnx_dynamic_batch_one_file(net, net_onnx, data, tmp_path):
    _, X_test, _, _ = data
    for n in (1, 7, len(X_test)):
        assert net_onnx.predict_proba(X_test[:n]).shape == (n, 2)
    assert check_parity(net, net_onnx, X_test).passed
    path = net_onnx.save(tmp_path / "net.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["net.onnx"]  # no .onnx.data side file
    assert OnnxPredictor.load(path).output == "logits"


def test_torch_export_emits_no_warnings_or_output(net, data, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ts = to_torchscript(net, data[0][:4])
        prog = export_pt2(net, data[0][:4])
    assert capsys.readouterr().out == ""
    assert check_parity(net, TorchPredictor(ts), data[1]).passed
    assert check_parity(net, TorchPredictor(prog.module()), data[1]).passed


def test_torchscript_and_pt2_save_load(net, data, tmp_path):
    _, X_test, _, _ = data
    scripted = to_torchscript(net, method="script")
    save_torchscript(scripted, tmp_path / "net.ts")
    assert check_parity(net, TorchPredictor(load_torchscript(tmp_path / "net.ts")), X_test).passed
    save_pt2(export_pt2(net, X_test[:4]), tmp_path / "net.pt2")
    loaded = load_pt2(tmp_path / "net.pt2").module()
    assert check_parity(net, TorchPredictor(loaded), X_test).passed
    assert TorchPredictor(loaded).predict(X_test[:1]).shape == (1,)  # dynamic batch


def test_torch_errors(net):
    with pytest.raises(TypeError, match="torch.nn.Module"):
        torch_to_onnx(LogisticRegression(), np.zeros((2, 8)))
    with pytest.raises(ValueError, match="trace"):
        to_torchscript(net, method="compile")
    with pytest.raises(ValueError, match="X_sample"):
        to_torchscript(net)
    with pytest.raises(ValueError, match="3 features, but the model was fitted on 8"):
        TorchPredictor(net).predict(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="ExportedProgram"):
        save_pt2(net, "x.pt2")
