"""mlserving_lab.quantize: the teaching quantizer and real model quantization."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.export import TorchPredictor, check_parity, to_onnx, torch_to_onnx
from mlserving_lab.quantize import (
    make_calibration_reader,
    quantization_error_table,
    quantization_report,
    quantize_array,
    quantize_onnx_dynamic,
    quantize_onnx_static,
    quantize_torch_dynamic,
    to_float16,
)

torch = pytest.importorskip("torch")


# --------------------------------------------------------------------------------------------
# the teaching quantizer
# --------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e3, 1e3)),
       bits=st.sampled_from([4, 8]), scheme=st.sampled_from(["symmetric", "affine"]))
def test_error_is_at_most_half_a_step(x, bits, scheme):
    q = quantize_array(x, bits=bits, scheme=scheme)
    assert q.max_abs_error <= float(q.scale) / 2 * (1 + 1e-9) + 1e-12
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    assert q.values.min() >= lo and q.values.max() <= hi


def test_symmetric_int8_by_hand():
    q = quantize_array(np.array([-1.0, 0.0, 0.5, 1.0]))
    assert q.values.tolist() == [-127, 0, 64, 127]
    assert float(q.scale) == pytest.approx(1 / 127)
    assert int(q.zero_point) == 0


def test_affine_represents_zero_exactly_and_uses_full_range():
    x = np.array([0.0, 1.0, 2.0, 3.0, 6.0])  # one-sided, like ReLU outputs
    q = quantize_array(x, scheme="affine")
    assert q.dequantize()[0] == 0.0
    assert q.values.min() == -128 and q.values.max() == 127
    sym = quantize_array(x, scheme="symmetric")
    assert q.rmse < sym.rmse  # affine spends no codes on negative values


def test_per_channel_beats_per_tensor_when_channel_ranges_differ():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(8, 32)) * np.geomspace(0.01, 10, 8)[:, None]
    per_tensor = quantize_array(w, bits=4)
    per_channel = quantize_array(w, bits=4, granularity="per_channel", axis=0)
    assert per_channel.scale.shape == (8, 1)
    assert per_channel.relative_error < per_tensor.relative_error
    assert per_channel.nbytes > per_tensor.nbytes  # it pays for 8 scales


def test_sizes_really_shrink():
    w = np.random.default_rng(1).normal(size=(64, 64))
    q8, q4 = quantize_array(w, bits=8), quantize_array(w, bits=4)
    assert q8.compression == pytest.approx(4, rel=0.01)
    assert q4.compression == pytest.approx(8, rel=0.01)
    assert q4.sqnr_db < q8.sqnr_db


def test_all_zero_array_and_table():
    q = quantize_array(np.zeros(5))
    assert q.max_abs_error == 0 and np.all(q.values == 0)
    table = quantization_error_table(np.random.default_rng(0).normal(size=(4, 6)))
    assert len(table) == 8 and {"bits", "scheme", "granularity", "sqnr_db"} <= set(table)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(x=np.array([1.0, np.nan])), ValueError, "NaN"),
    (dict(x=np.array([])), ValueError, "empty"),
    (dict(x=np.array(["a", "b"])), TypeError, "numbers"),
    (dict(x=np.ones(3), bits=16), ValueError, "between 2 and 8"),
    (dict(x=np.ones(3), scheme="log"), ValueError, "symmetric"),
    (dict(x=np.ones(3), granularity="per_row"), ValueError, "per_channel"),
    (dict(x=np.ones((2, 3)), granularity="per_channel", axis=2), ValueError, "axis 2"),
])
def test_quantize_array_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        quantize_array(**kwargs)


# --------------------------------------------------------------------------------------------
# real models
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def setup():
    X_train, X_test, y_train, y_test = make_classification_split(n_samples=1200, n_features=10,
                                                                 n_informative=6)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                              torch.nn.ReLU(), torch.nn.Linear(64, 2))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    X, y = torch.tensor(X_train, dtype=torch.float32), torch.tensor(y_train)
    for _ in range(40):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X), y).backward()
        opt.step()
    net.eval()
    return net, torch_to_onnx(net, X_train[:8]), X_train, X_test, y_test


def test_onnx_dynamic_and_static_int8_shrink_and_agree(setup):
    net, onx, X_train, X_test, _ = setup
    for variant in (quantize_onnx_dynamic(onx), quantize_onnx_static(onx, X_train[:300]),
                    quantize_onnx_static(onx, X_train[:300], quant_format="QOperator")):
        assert variant.nbytes < 0.5 * onx.nbytes
        report = check_parity(onx, variant, X_test, atol=0.25, min_agreement=0.95)
        assert report.passed
        assert variant.predict_proba(X_test[:1]).shape == (1, 2)


def test_float16_halves_weights_keeps_float32_io(setup):
    _, onx, _, X_test, _ = setup
    half = to_float16(onx)
    assert half.nbytes < 0.7 * onx.nbytes
    assert half.session.get_inputs()[0].type == "tensor(float)"
    assert check_parity(onx, half, X_test, atol=1e-2).passed


def test_torch_dynamic_quantization_is_silent_and_leaves_original(setup):
    net, _, _, X_test, _ = setup
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = quantize_torch_dynamic(net)
    assert isinstance(net[0], torch.nn.Linear)  # original untouched
    assert type(q[0]).__name__ == "Linear" and "quantized" in type(q[0]).__module__
    assert check_parity(net, TorchPredictor(q), X_test, atol=0.25, min_agreement=0.95).passed


def test_quantization_report_columns(setup):
    net, onx, X_train, X_test, y_test = setup
    table = quantization_report({"float": onx, "int8": quantize_onnx_dynamic(onx)}, X_test,
                                y_test, n_runs=10, warmup=1)
    assert {"accuracy", "agreement", "size_kb", "p50_ms", "p99_ms", "size_vs_float"} <= set(table)
    assert table.loc["int8", "size_vs_float"] < 0.5


def test_onnx_quantization_errors(setup):
    _, onx, X_train, _, _ = setup
    from sklearn.ensemble import RandomForestClassifier

    rf = RandomForestClassifier(n_estimators=3, random_state=0).fit(X_train, X_train[:, 0] > 0)
    with pytest.raises(ValueError, match="no MatMul/Gemm"):
        quantize_onnx_dynamic(to_onnx(rf, X_train))
    with pytest.raises(TypeError, match="OnnxPredictor"):
        quantize_onnx_dynamic(b"not a predictor")
    with pytest.raises(ValueError, match="X_calibration has 3 features"):
        quantize_onnx_static(onx, X_train[:, :3])
    with pytest.raises(ValueError, match="quant_format"):
        quantize_onnx_static(onx, X_train, quant_format="int8")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        quantize_torch_dynamic(rf)


def test_calibration_reader_batches_and_rewinds():
    X = np.arange(50, dtype=float).reshape(25, 2)
    reader = make_calibration_reader(X, "input", batch_size=10)
    sizes = []
    while (batch := reader.get_next()) is not None:
        sizes.append(batch["input"].shape[0])
        assert batch["input"].dtype == np.float32
    assert sizes == [10, 10, 5]
    reader.rewind()
    assert reader.get_next()["input"].shape == (10, 2)
