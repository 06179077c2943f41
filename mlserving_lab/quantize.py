"""Quantization: by hand on numpy arrays, with ONNX Runtime, and with torch (lesson 02).

Quantization stores numbers with fewer bits: ``q = round(x / scale) + zero_point`` with an
integer ``q`` in a small range, and ``x ≈ (q - zero_point) * scale`` when reading it back.
:func:`quantize_array` does exactly that on a numpy array so the learner can see the scale,
the zero point and the error; the other functions apply the same idea to real models.

Public API
----------
quantize_array          int8/int4, symmetric/affine, per-tensor/per-channel -> QuantizedArray
QuantizedArray          values, scale, zero_point, dequantize(), error metrics, packed size
quantization_error_table  every combination of bits / scheme / granularity for one array
preprocess_onnx         onnxruntime's quant_pre_process (shape inference + graph clean-up)
quantize_onnx_dynamic   int8 weights, activations quantized on the fly at run time
quantize_onnx_static    int8 weights and activations, scales from a calibration data reader
make_calibration_reader wrap a numpy array as an onnxruntime CalibrationDataReader
to_float16              float16 weights (inputs and outputs stay float32)
quantize_torch_dynamic  torch.ao.quantization.quantize_dynamic (DEPRECATED in torch 2.13)
quantization_report     size, latency and agreement with the float model, one row per variant
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlserving_lab._validation import check_array

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "QuantizedArray",
    "make_calibration_reader",
    "preprocess_onnx",
    "quantization_error_table",
    "quantization_report",
    "quantize_array",
    "quantize_onnx_dynamic",
    "quantize_onnx_static",
    "quantize_torch_dynamic",
    "to_float16",
]


# ---------------------------------------------------------------------------------------------
# The teaching quantizer
# ---------------------------------------------------------------------------------------------
@dataclass
class QuantizedArray:
    """An array stored as small integers plus a scale (and zero point) to read it back.

    Lesson 02.

    Attributes
    ----------
    values : numpy.ndarray of int8
        The integers (int4 values live in int8 storage, range -8..7 or -7..7).
    scale : numpy.ndarray of float64
        Step between two neighbouring integers; shape () per tensor, or one per channel
        (broadcastable against ``values``).
    zero_point : numpy.ndarray of int64
        The integer that represents 0.0 (always 0 for the symmetric scheme).
    bits : int
    scheme : {"symmetric", "affine"}
    granularity : {"per_tensor", "per_channel"}
    axis : int or None
        The channel axis for per-channel quantization.
    original : numpy.ndarray
        The float input (kept to report the error).
    """

    values: np.ndarray
    scale: np.ndarray
    zero_point: np.ndarray
    bits: int
    scheme: str
    granularity: str
    axis: int | None
    original: np.ndarray

    def dequantize(self) -> np.ndarray:
        """Read the numbers back: ``(values - zero_point) * scale`` as float64."""
        return (self.values.astype(np.float64) - self.zero_point) * self.scale

    @property
    def error(self) -> np.ndarray:
        """Element-wise error ``dequantize() - original``."""
        return self.dequantize() - self.original

    @property
    def max_abs_error(self) -> float:
        """Largest absolute rounding error."""
        return float(np.max(np.abs(self.error))) if self.error.size else 0.0

    @property
    def rmse(self) -> float:
        """Root-mean-square error."""
        return float(np.sqrt(np.mean(self.error ** 2))) if self.error.size else 0.0

    @property
    def relative_error(self) -> float:
        """RMSE divided by the RMS of the original (0 = perfect)."""
        rms = float(np.sqrt(np.mean(self.original ** 2))) if self.original.size else 0.0
        return self.rmse / rms if rms > 0 else 0.0

    @property
    def sqnr_db(self) -> float:
        """Signal-to-quantization-noise ratio in dB (about 6 dB per bit)."""
        rel = self.relative_error
        return float("inf") if rel == 0 else float(-20 * np.log10(rel))

    @property
    def nbytes(self) -> int:
        """Bytes needed to store it: packed integers + float32 scales (+ int8 zero points)."""
        packed = int(np.ceil(self.values.size * self.bits / 8))
        n_scales = int(np.size(self.scale))
        zp = n_scales if self.scheme == "affine" else 0
        return packed + 4 * n_scales + zp

    @property
    def compression(self) -> float:
        """float32 size divided by :attr:`nbytes`."""
        return 4 * self.original.size / self.nbytes if self.nbytes else float("nan")

    def summary(self) -> dict:
        """The key numbers as a dict (one row of :func:`quantization_error_table`)."""
        return {"bits": self.bits, "scheme": self.scheme, "granularity": self.granularity,
                "max_abs_error": self.max_abs_error, "rmse": self.rmse,
                "relative_error": self.relative_error, "sqnr_db": self.sqnr_db,
                "nbytes": self.nbytes, "compression_vs_float32": self.compression}

    def __repr__(self) -> str:
        return (f"QuantizedArray(int{self.bits} {self.scheme} {self.granularity}, "
                f"shape={self.values.shape}, max |error|={self.max_abs_error:.3g}, "
                f"{self.nbytes} bytes vs {4 * self.original.size} as float32)")


def quantize_array(x, *, bits: int = 8, scheme: str = "symmetric",
                   granularity: str = "per_tensor", axis: int = 0) -> QuantizedArray:
    """Quantize a float array to ``bits``-bit integers and report the error.

    Lesson 02.

    * **symmetric**: ``zero_point = 0``, ``scale = max|x| / qmax`` with the integer range
      ``-qmax..qmax`` (``qmax = 2**(bits-1) - 1``: 127 for int8, 7 for int4). Good for
      weights, which are centred on zero.
    * **affine** (asymmetric): the full range ``-2**(bits-1) .. 2**(bits-1) - 1`` is mapped
      onto ``[min(x, 0), max(x, 0)]``, and ``zero_point`` is the integer that stands for
      0.0. Good for one-sided data such as ReLU outputs.
    * **per_tensor** uses one scale for the whole array; **per_channel** one scale per slice
      along ``axis`` (e.g. per output row of a weight matrix), which helps when channels have
      very different ranges.

    Parameters
    ----------
    x : array-like of float
        Any shape (at least 1-D for per-channel). NaN and infinity are rejected.
    bits : int, default 8
        2 to 8 (int4 = 4, int8 = 8).
    scheme : {"symmetric", "affine"}, default "symmetric"
    granularity : {"per_tensor", "per_channel"}, default "per_tensor"
    axis : int, default 0
        Channel axis for ``per_channel``.

    Returns
    -------
    QuantizedArray

    Raises
    ------
    ValueError
        Unknown scheme/granularity, bits outside 2-8, empty array, NaN/inf, bad axis.
    TypeError
        Non-numeric input.

    Examples
    --------
    >>> q = quantize_array(np.array([-1.0, 0.0, 0.5, 1.0]))
    >>> q.values.tolist(), float(q.scale)
    ([-127, 0, 64, 127], 0.007874015748031496)
    >>> bool(q.max_abs_error <= q.scale / 2)
    True
    """
    if isinstance(bits, (bool, np.bool_)) or not isinstance(bits, (int, np.integer)):
        raise TypeError(f"bits must be an integer, got {bits!r}")
    if not 2 <= bits <= 8:
        raise ValueError(f"bits must be between 2 and 8 (int8 = 8, int4 = 4), got {bits}")
    if scheme not in ("symmetric", "affine"):
        raise ValueError(f"scheme must be 'symmetric' or 'affine', got {scheme!r}")
    if granularity not in ("per_tensor", "per_channel"):
        raise ValueError(f"granularity must be 'per_tensor' or 'per_channel', got "
                         f"{granularity!r}")
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"x must be a numeric array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"x must hold numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.size == 0:
        raise ValueError(f"x is empty (shape {arr.shape}); nothing to quantize")
    if not np.isfinite(arr).all():
        raise ValueError("x contains NaN or infinite values; they cannot be quantized")

    if granularity == "per_channel":
        if arr.ndim == 0:
            raise ValueError("per_channel quantization needs an array with at least 1 dimension")
        if not -arr.ndim <= axis < arr.ndim:
            raise ValueError(f"axis {axis} is out of range for an array of shape {arr.shape}")
        axis = axis % arr.ndim
        reduce = tuple(i for i in range(arr.ndim) if i != axis)
        lo = arr.min(axis=reduce, keepdims=True)
        hi = arr.max(axis=reduce, keepdims=True)
    else:
        axis = None
        lo, hi = np.array(arr.min()), np.array(arr.max())

    if scheme == "symmetric":
        qmax = 2 ** (bits - 1) - 1
        qmin = -qmax
        amax = np.maximum(np.abs(lo), np.abs(hi))
        scale = np.where(amax > 0, amax / qmax, 1.0)
        zero_point = np.zeros_like(scale, dtype=np.int64)
    else:
        qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        lo, hi = np.minimum(lo, 0.0), np.maximum(hi, 0.0)  # 0.0 must be exactly representable
        span = hi - lo
        scale = np.where(span > 0, span / (qmax - qmin), 1.0)
        zero_point = np.clip(np.round(qmin - lo / scale), qmin, qmax).astype(np.int64)
    q = np.clip(np.round(arr / scale) + zero_point, qmin, qmax).astype(np.int8)
    return QuantizedArray(values=q, scale=np.asarray(scale, dtype=np.float64),
                          zero_point=np.asarray(zero_point), bits=int(bits), scheme=scheme,
                          granularity=granularity, axis=axis, original=arr)


def quantization_error_table(x, *, bits=(8, 4), schemes=("symmetric", "affine"),
                             granularities=("per_tensor", "per_channel"),
                             axis: int = 0) -> pd.DataFrame:
    """Quantize ``x`` every way and tabulate error and size.

    Lesson 02.

    Parameters
    ----------
    x : array-like of float
    bits, schemes, granularities : sequences
        The combinations to try.
    axis : int, default 0
        Channel axis for per-channel rows.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``bits, scheme, granularity, max_abs_error, rmse,
        relative_error, sqnr_db, nbytes, compression_vs_float32``.

    Examples
    --------
    >>> w = np.random.default_rng(0).normal(size=(8, 16))
    >>> t = quantization_error_table(w)
    >>> len(t)
    8
    """
    import pandas as pd

    rows = [quantize_array(x, bits=b, scheme=s, granularity=g, axis=axis).summary()
            for b in bits for s in schemes for g in granularities]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# ONNX Runtime quantization
# ---------------------------------------------------------------------------------------------
def _as_predictor(model):
    from mlserving_lab.export import OnnxPredictor

    if isinstance(model, OnnxPredictor):
        return model
    raise TypeError(f"expected an OnnxPredictor (from to_onnx or torch_to_onnx), got "
                    f"{type(model).__name__}")


def preprocess_onnx(model):
    """Run onnxruntime's ``quant_pre_process`` (symbolic shape inference + optimisation).

    Lesson 02. onnxruntime recommends this step before any quantization: the quantizer needs
    every tensor's shape, and fusing e.g. MatMul + Add into Gemm first gives it fewer, bigger
    operators to quantize.

    Parameters
    ----------
    model : OnnxPredictor

    Returns
    -------
    OnnxPredictor
        The pre-processed model (same outputs, same metadata).
    """
    from onnxruntime.quantization import quant_pre_process

    pred = _as_predictor(model)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.onnx"), os.path.join(tmp, "pre.onnx")
        Path(src).write_bytes(pred.onnx_bytes)
        quant_pre_process(src, dst, skip_symbolic_shape=False)
        return pred.with_model(Path(dst).read_bytes(), name=f"{pred.name} (pre-processed)")


def _quantizable(pred) -> None:
    import onnx

    ops = {n.op_type for n in onnx.load_from_string(pred.onnx_bytes).graph.node}
    if not ops & {"MatMul", "Gemm", "Conv", "Attention", "LSTM"}:
        raise ValueError(
            f"{pred.name} has no MatMul/Gemm/Conv operators (it uses {sorted(ops)}), so "
            "onnxruntime quantization would change nothing. Tree ensembles and skl2onnx "
            "linear models use ai.onnx.ml operators that stay float; quantize neural nets.")


def quantize_onnx_dynamic(model, *, per_channel: bool = False, name: str | None = None):
    """Dynamic int8 quantization with onnxruntime, after :func:`preprocess_onnx`.

    Lesson 02. Weights are stored as int8 ahead of time; each activation is quantized on the
    fly from its own min/max at run time, so no calibration data is needed, at the price of
    computing those ranges on every call.

    Parameters
    ----------
    model : OnnxPredictor
        A neural network (MatMul/Gemm operators), e.g. from :func:`torch_to_onnx`.
    per_channel : bool, default False
        One scale per output channel of each weight matrix.
    name : str, optional

    Returns
    -------
    OnnxPredictor

    Raises
    ------
    TypeError
        If ``model`` is not an OnnxPredictor.
    ValueError
        If the graph has nothing quantizable (e.g. a tree ensemble).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    pred = _as_predictor(model)
    _quantizable(pred)
    pre = preprocess_onnx(pred)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "pre.onnx"), os.path.join(tmp, "dyn.onnx")
        Path(src).write_bytes(pre.onnx_bytes)
        quantize_dynamic(src, dst, per_channel=per_channel, weight_type=QuantType.QInt8)
        return pred.with_model(Path(dst).read_bytes(), name=name or f"{pred.name} int8 dynamic")


def make_calibration_reader(X, input_name: str, *, batch_size: int = 64):
    """Wrap rows of ``X`` as an onnxruntime ``CalibrationDataReader``.

    Lesson 02. Static quantization runs the float model on these rows to record the range
    of every activation; use a few hundred rows that look like production traffic.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features)
    input_name : str
        The model's input name (``predictor.input_name``).
    batch_size : int, default 64

    Returns
    -------
    onnxruntime.quantization.CalibrationDataReader
        ``get_next()`` yields ``{input_name: float32 batch}`` and then None; ``rewind()``
        starts again.
    """
    from onnxruntime.quantization import CalibrationDataReader

    from mlserving_lab._validation import check_positive_int

    arr = check_array(X, name="calibration data", dtype=np.float32)
    batch_size = check_positive_int(batch_size, "batch_size")

    class ArrayCalibrationReader(CalibrationDataReader):
        """Feeds ``X`` to the calibrator in batches."""

        def __init__(self):
            self.batches = [{input_name: np.ascontiguousarray(arr[i:i + batch_size])}
                            for i in range(0, len(arr), batch_size)]
            self._it = iter(self.batches)

        def get_next(self):
            return next(self._it, None)

        def rewind(self):
            self._it = iter(self.batches)

    return ArrayCalibrationReader()


def quantize_onnx_static(model, X_calibration, *, per_channel: bool = False,
                         quant_format: str = "QDQ", batch_size: int = 64,
                         name: str | None = None):
    """Static int8 quantization with a calibration data reader, after pre-processing.

    Lesson 02. The calibrator runs the float model on ``X_calibration``, records each
    activation's range, and bakes fixed scales into the graph: no range computation at run
    time, but the scales are only as good as the calibration rows.

    Parameters
    ----------
    model : OnnxPredictor
    X_calibration : array-like of shape (n_rows, n_features)
        Representative input rows (a few hundred is plenty).
    per_channel : bool, default False
    quant_format : {"QDQ", "QOperator"}, default "QDQ"
        ``QDQ`` inserts QuantizeLinear/DequantizeLinear pairs (the portable default);
        ``QOperator`` uses fused integer operators such as QGemm.
    batch_size : int, default 64
        Rows per calibration batch.
    name : str, optional

    Returns
    -------
    OnnxPredictor

    Raises
    ------
    ValueError
        If the graph has nothing quantizable, the format is unknown, or the calibration rows
        do not match the model's feature count.
    """
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    pred = _as_predictor(model)
    if quant_format not in ("QDQ", "QOperator"):
        raise ValueError(f"quant_format must be 'QDQ' or 'QOperator', got {quant_format!r}")
    arr = check_array(X_calibration, name="X_calibration", dtype=np.float32)
    if pred.n_features_in_ is not None and arr.shape[1] != pred.n_features_in_:
        raise ValueError(f"X_calibration has {arr.shape[1]} features, but the model expects "
                         f"{pred.n_features_in_}")
    _quantizable(pred)
    pre = preprocess_onnx(pred)
    reader = make_calibration_reader(arr, pred.input_name, batch_size=batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "pre.onnx"), os.path.join(tmp, "static.onnx")
        Path(src).write_bytes(pre.onnx_bytes)
        quantize_static(src, dst, reader, quant_format=getattr(QuantFormat, quant_format),
                        per_channel=per_channel, activation_type=QuantType.QInt8,
                        weight_type=QuantType.QInt8)
        return pred.with_model(Path(dst).read_bytes(),
                               name=name or f"{pred.name} int8 static")


def to_float16(model, *, name: str | None = None):
    """Convert the model's float32 weights and computation to float16.

    Lesson 02. Inputs and outputs stay float32 (``keep_io_types=True``), so callers do not
    change. Halves the weights on disk; on CPUs without native float16 arithmetic it does not
    make inference faster (measure it).

    Parameters
    ----------
    model : OnnxPredictor
    name : str, optional

    Returns
    -------
    OnnxPredictor
    """
    import warnings

    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    pred = _as_predictor(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns about values clipped to the float16 range
        half = convert_float_to_float16(onnx.load_from_string(pred.onnx_bytes),
                                        keep_io_types=True)
    return pred.with_model(half, name=name or f"{pred.name} float16")


# ---------------------------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------------------------
def quantize_torch_dynamic(module):
    """Dynamic int8 quantization of a torch module's Linear layers.

    Lesson 02. Uses ``torch.ao.quantization.quantize_dynamic``. **This API is deprecated in
    torch 2.13** (it warns that ``torch.ao.quantization`` will be removed; the successor is
    the torchao package, which this course does not install). It still works, and it is how
    much existing code quantizes, so we show it; its DeprecationWarning is silenced here.
    The original module is not modified.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    torch.nn.Module
        A copy whose ``nn.Linear`` layers are ``DynamicQuantizedLinear`` (int8 weights).

    Raises
    ------
    TypeError
        If ``module`` is not a torch module.
    """
    from mlserving_lab._torch import check_torch_module, copy_module, quiet_torch

    torch = check_torch_module(module)
    model = copy_module(module).eval()
    with quiet_torch():
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear},
                                                      dtype=torch.qint8)


def quantization_report(variants: dict, X, y=None, *, reference: str | None = None,
                        n_runs: int = 200, warmup: int = 20) -> pd.DataFrame:
    """Size, one-row latency and agreement with the float model for each variant.

    Lesson 02. A thin layer over :func:`mlserving_lab.measure.measure_models` (with the float
    model as the reference, timed round-robin) that adds the size relative to the reference,
    so every quantized variant is judged on the same three axes: is it smaller, is it faster,
    does it still agree?

    Parameters
    ----------
    variants : dict of name -> model
        The float model first (or name it with ``reference``).
    X : array-like
        Held-out rows.
    y : array-like, optional
        Labels, for an accuracy column.
    reference : str, optional
    n_runs, warmup : int
        Timed and untimed one-row calls per variant.

    Returns
    -------
    pandas.DataFrame
        ``accuracy`` (if ``y``), ``agreement``, ``max_abs_diff``, ``size_kb``, ``p50_ms``,
        ``p99_ms``, ``throughput_rows_s`` and ``size_vs_float``.
    """
    from mlserving_lab.measure import measure_models

    if isinstance(variants, dict) and variants and reference is None:
        reference = next(iter(variants))
    table = measure_models(variants, X, y, reference=reference, n_runs=n_runs, warmup=warmup)
    table["size_vs_float"] = table["size_kb"] / table.loc[reference, "size_kb"]
    return table
