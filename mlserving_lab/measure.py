"""Measure models: one-row latency percentiles, size on disk, and one table for a set of models.

Every lesson that compares models uses the same three pieces, so a number in one lesson means
the same thing in the next:

- :func:`benchmark_latency` times a predict function on distinct requests after a warm-up and
  returns a :class:`LatencyReport` (p50 / p95 / p99, mean, max, throughput);
- :func:`serialized_size` is the size in bytes of an object in its natural file format;
  ``size_kb`` is always that number divided by 1024 (KiB);
- :func:`compare_models` measures a dict of models into one pandas table.
"""

from __future__ import annotations

import html
import io
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mlserving_lab._plotting import readable_log_axis
from mlserving_lab._torch import quiet_torch
from mlserving_lab._validation import (
    check_array,
    check_nonneg_int,
    check_positive_int,
    check_table,
    row_slice,
)

if TYPE_CHECKING:  # pandas is imported lazily at run time
    import pandas as pd

__all__ = [
    "LatencyReport",
    "benchmark_latency",
    "compare_models",
    "format_ms",
    "model_outputs",
    "serialized_size",
]


@dataclass(repr=False)
class LatencyReport:
    """Per-call latency of a predict function, as measured by :func:`benchmark_latency`.

    Lesson 03. All times are in milliseconds per call (one call scores ``batch_size`` rows).

    Attributes
    ----------
    p50_ms, p95_ms, p99_ms : float
        Percentiles of the per-call latency (linear interpolation, ``numpy.percentile``).
    mean_ms, max_ms : float
        Mean and worst call.
    throughput_rows_s : float
        Rows scored per second of measured time (``n_runs * batch_size / sum(samples)``).
    n_runs : int
        Number of timed calls.
    batch_size : int
        Rows per call.
    samples_ms : numpy.ndarray
        Every timed call, in order, in milliseconds.
    name : str
        Optional label shown in the repr and in plots.
    """

    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    throughput_rows_s: float
    n_runs: int
    batch_size: int
    samples_ms: np.ndarray = field(default_factory=lambda: np.empty(0))
    name: str = ""

    @classmethod
    def from_samples(cls, samples_ms, *, batch_size: int = 1, name: str = "",
                     wall_s: float | None = None) -> LatencyReport:
        """Build a report from raw per-call latencies in milliseconds.

        Parameters
        ----------
        samples_ms : array-like of float
            One latency per call, in milliseconds. Must be non-empty, finite and >= 0.
        batch_size : int, default 1
            Rows per call (used for the throughput).
        name : str, default ""
            Label for the report.
        wall_s : float, optional
            Wall-clock duration of the whole run. When given, throughput is computed from it
            (useful for streams, where time between calls counts); otherwise from the sum of
            the samples.

        Returns
        -------
        LatencyReport

        Raises
        ------
        ValueError
            If ``samples_ms`` is empty or holds negative or non-finite values.

        Examples
        --------
        >>> r = LatencyReport.from_samples([1.0, 2.0, 3.0])
        >>> r.p50_ms
        2.0
        """
        s = np.asarray(samples_ms, dtype=np.float64).ravel()
        if s.size == 0:
            raise ValueError("samples_ms is empty; at least one latency sample is needed")
        if not np.isfinite(s).all() or (s < 0).any():
            raise ValueError("samples_ms must hold finite, non-negative latencies")
        batch_size = check_positive_int(batch_size, "batch_size")
        p50, p95, p99 = np.percentile(s, [50, 95, 99])
        total_s = float(wall_s) if wall_s is not None else float(s.sum()) / 1e3
        rows = s.size * batch_size
        throughput = rows / total_s if total_s > 0 else float("inf")
        return cls(p50_ms=float(p50), p95_ms=float(p95), p99_ms=float(p99),
                   mean_ms=float(s.mean()), max_ms=float(s.max()),
                   throughput_rows_s=float(throughput), n_runs=int(s.size),
                   batch_size=batch_size, samples_ms=s, name=name)

    def to_dict(self) -> dict:
        """The summary numbers as a plain dict (no samples), ready for a DataFrame row.

        Returns
        -------
        dict
            Keys ``p50_ms, p95_ms, p99_ms, mean_ms, max_ms, throughput_rows_s, n_runs,
            batch_size``.

        Examples
        --------
        >>> sorted(LatencyReport.from_samples([1.0]).to_dict())[:2]
        ['batch_size', 'max_ms']
        """
        return {
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "mean_ms": self.mean_ms,
            "max_ms": self.max_ms,
            "throughput_rows_s": self.throughput_rows_s,
            "n_runs": self.n_runs,
            "batch_size": self.batch_size,
        }

    def plot(self, ax=None, *, kind: str = "hist", bins: int = 40):
        """Plot the latency distribution with p50, p95 and p99 marked.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure is created when None.
        kind : {"hist", "ecdf"}, default "hist"
            Histogram (log-spaced bins) or empirical CDF.
        bins : int, default 40
            Number of histogram bins.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        ValueError
            If ``kind`` is not "hist" or "ecdf", or the report has no samples.
        """
        import matplotlib.pyplot as plt

        if kind not in ("hist", "ecdf"):
            raise ValueError(f"kind must be 'hist' or 'ecdf', got {kind!r}")
        s = np.asarray(self.samples_ms, dtype=float)
        if s.size == 0:
            raise ValueError("this report has no samples to plot")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        lo = max(float(s.min()), 1e-6)
        hi = max(float(s.max()), lo * 1.0001)
        if kind == "hist":
            edges = np.geomspace(lo, hi, bins + 1)
            ax.hist(s, bins=edges, color="#9ecae1", edgecolor="#3182bd")
            ax.set_ylabel("calls")
        else:
            xs = np.sort(s)
            ax.step(xs, np.arange(1, xs.size + 1) / xs.size, where="post", color="#3182bd")
            ax.set_ylabel("fraction of calls <= latency")
        readable_log_axis(ax, lo, hi)
        for q, val, color in (("p50", self.p50_ms, "#31a354"), ("p95", self.p95_ms, "#fd8d3c"),
                              ("p99", self.p99_ms, "#de2d26")):
            ax.axvline(val, color=color, linestyle="--", linewidth=1.2,
                       label=f"{q} = {format_ms(val)}")
        title = self.name or "latency"
        ax.set_title(f"{title}: {self.n_runs} calls x {self.batch_size} row(s)")
        ax.set_xlabel("latency per call (ms, log scale)")
        ax.legend(loc="best", fontsize="small")
        return ax

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (f"LatencyReport({label}p50={format_ms(self.p50_ms)}, p95={format_ms(self.p95_ms)}, "
                f"p99={format_ms(self.p99_ms)}, mean={format_ms(self.mean_ms)}, "
                f"max={format_ms(self.max_ms)}, throughput={self.throughput_rows_s:,.0f} rows/s, "
                f"n_runs={self.n_runs}, batch_size={self.batch_size})")

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>"
            for k, v in (
                ("p50", format_ms(self.p50_ms)), ("p95", format_ms(self.p95_ms)),
                ("p99", format_ms(self.p99_ms)), ("mean", format_ms(self.mean_ms)),
                ("max", format_ms(self.max_ms)),
                ("throughput", f"{self.throughput_rows_s:,.0f} rows/s"),
                ("calls x rows", f"{self.n_runs} x {self.batch_size}"),
            )
        )
        title = html.escape(self.name) if self.name else "LatencyReport"
        return f"<b>{title}</b><table>{rows}</table>"


def format_ms(ms: float) -> str:
    """A latency in milliseconds as short readable text, in µs below one millisecond.

    Examples
    --------
    >>> format_ms(0.0132), format_ms(2.5), format_ms(1500)
    ('13 µs', '2.50 ms', '1,500 ms')
    """
    if ms < 0.01:
        return f"{ms * 1e3:.2f} µs"
    if ms < 1:
        return f"{ms * 1e3:.0f} µs"
    if ms < 100:
        return f"{ms:.2f} ms"
    return f"{ms:,.0f} ms"


def benchmark_latency(predict_fn, X, n_runs: int = 200, warmup: int = 20,
                      batch_size: int = 1, *, name: str = "") -> LatencyReport:
    """Time ``predict_fn`` on batches of ``X`` and report latency percentiles.

    Lesson 03. Each timed call scores ``batch_size`` consecutive rows of ``X`` (cycling through
    ``X`` when ``n_runs * batch_size`` exceeds its length). The batches are sliced *before* the
    timed loop, so the loop does nothing but read ``time.perf_counter_ns``, call the function
    and store the difference; ``warmup`` untimed calls run first so that lazy initialisation,
    caches and first-call costs do not pollute the numbers.

    Parameters
    ----------
    predict_fn : callable
        Called as ``predict_fn(batch)``, e.g. ``model.predict`` or an ONNX Runtime wrapper.
    X : array-like or DataFrame of shape (n_rows, n_features)
        Input rows. DataFrames stay DataFrames (sliced with ``iloc``).
    n_runs : int, default 200
        Number of timed calls.
    warmup : int, default 20
        Untimed calls made first (0 disables warm-up).
    batch_size : int, default 1
        Rows per call. 1 measures what a single real-time request costs.
    name : str, default ""
        Label stored on the report.

    Returns
    -------
    LatencyReport

    Raises
    ------
    TypeError
        If ``predict_fn`` is not callable, or a count is not an integer.
    ValueError
        If ``X`` is empty or not 2-D, ``n_runs``/``batch_size`` are not positive, ``warmup``
        is negative, or ``batch_size`` exceeds the number of rows.

    Examples
    --------
    >>> import numpy as np
    >>> report = benchmark_latency(lambda b: b.sum(axis=1), np.ones((50, 3)), n_runs=30)
    >>> report.p99_ms >= report.p50_ms
    True
    """
    if not callable(predict_fn):
        raise TypeError(f"predict_fn must be callable (e.g. model.predict), got "
                        f"{type(predict_fn).__name__}; did you write model.predict() "
                        "instead of model.predict?")
    n_runs = check_positive_int(n_runs, "n_runs")
    batch_size = check_positive_int(batch_size, "batch_size")
    warmup = check_nonneg_int(warmup, "warmup")
    X, n_rows = check_table(X)
    if batch_size > n_rows:
        raise ValueError(f"batch_size={batch_size} is larger than X, which has {n_rows} rows")

    # Pre-slice every distinct batch once, then build the run order as references to them.
    n_distinct = n_rows // batch_size
    distinct = [row_slice(X, i * batch_size, (i + 1) * batch_size) for i in range(n_distinct)]
    runs = [distinct[i % n_distinct] for i in range(n_runs)]
    warm = [distinct[i % n_distinct] for i in range(warmup)]
    samples = [0] * n_runs
    clock = time.perf_counter_ns
    fn = predict_fn

    for batch in warm:
        fn(batch)
    for i, batch in enumerate(runs):
        t0 = clock()
        fn(batch)
        samples[i] = clock() - t0

    samples_ms = np.asarray(samples, dtype=np.float64) / 1e6
    return LatencyReport.from_samples(samples_ms, batch_size=batch_size, name=name)


def serialized_size(model, *, compress: int = 0) -> int:
    """Bytes ``model`` takes when serialized in its natural format.

    Lesson 02. ONNX predictors: the ONNX bytes. torch modules: ``torch.save`` of the
    state dict; TorchScript: ``torch.jit.save``; ``torch.export`` programs: ``.pt2``;
    :class:`TorchPredictor`: its module. Anything else: ``joblib.dump`` (with ``compress``).

    Parameters
    ----------
    model : object
    compress : int, default 0
        joblib compression level (0-9) for joblib-serialized objects.

    Returns
    -------
    int

    Examples
    --------
    >>> serialized_size({"w": np.zeros(1000)}) > 8000
    True
    """
    from mlserving_lab.export import OnnxPredictor, TorchPredictor

    if isinstance(model, OnnxPredictor):
        return model.nbytes
    if isinstance(model, TorchPredictor):
        return serialized_size(model.module)
    mod = type(model).__module__ or ""
    if mod.startswith("torch"):
        import torch

        buf = io.BytesIO()
        with quiet_torch():
            if isinstance(model, torch.jit.ScriptModule):
                torch.jit.save(model, buf)
            elif isinstance(model, torch.export.ExportedProgram):
                torch.export.save(model, buf)
            elif isinstance(model, torch.nn.Module):
                torch.save(model.state_dict(), buf)
            else:
                torch.save(model, buf)
        return buf.getbuffer().nbytes
    import joblib

    buf = io.BytesIO()
    joblib.dump(model, buf, compress=compress)
    return buf.getbuffer().nbytes


def compare_models(models: dict, X, y=None, *, reference: str | None = None,
                   n_runs: int = 200, warmup: int = 20) -> pd.DataFrame:
    """One row per model: accuracy, agreement with a reference, size and one-row latency.

    Lesson 02. The table behind every "which variant do we ship?" decision in the lesson.
    Latency is measured with :func:`mlserving_lab.measure.benchmark_latency` on one row per
    call (what a real-time request costs).

    Parameters
    ----------
    models : dict of name -> model
        Anything with ``predict`` (and ``predict_proba`` for the probability columns); torch
        modules are wrapped in :class:`TorchPredictor`.
    X : array-like or DataFrame
        Held-out rows.
    y : array-like, optional
        True labels; adds an ``accuracy`` column.
    reference : str, optional
        Name of the model the others are compared with (default: the first one).
    n_runs, warmup : int
        Passed to ``benchmark_latency``.

    Returns
    -------
    pandas.DataFrame
        Indexed by name; columns ``accuracy`` (if ``y``), ``agreement``, ``max_abs_diff``,
        ``size_kb``, ``p50_ms``, ``p99_ms``, ``throughput_rows_s``.

    Raises
    ------
    ValueError
        If ``models`` is empty, ``reference`` is not one of its keys, or ``y`` has a different
        length than ``X``.
    """
    import pandas as pd

    if not isinstance(models, dict) or not models:
        raise ValueError("models must be a non-empty dict of name -> model")
    reference = reference if reference is not None else next(iter(models))
    if reference not in models:
        raise ValueError(f"reference {reference!r} is not one of the models: {list(models)}")
    check_array(X, name="X")
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} labels but X has {len(X)} rows")
    wrapped = {}
    for key, m in models.items():
        if type(m).__module__.startswith("torch") and not hasattr(m, "predict"):
            from mlserving_lab.export import TorchPredictor

            m = TorchPredictor(m, name=str(key))
        wrapped[key] = m
    ref_out, ref_labels = model_outputs(wrapped[reference], X)
    rows = []
    for key, m in wrapped.items():
        out, labels = model_outputs(m, X)
        row = {}
        if y is not None and labels is not None:
            row["accuracy"] = float(np.mean(np.asarray(labels).astype(str)
                                            == y.astype(str)))
        if labels is not None and ref_labels is not None:
            row["agreement"] = float(np.mean(np.asarray(labels).astype(str)
                                             == np.asarray(ref_labels).astype(str)))
        row["max_abs_diff"] = (float(np.max(np.abs(out - ref_out)))
                               if out.shape == ref_out.shape else float("nan"))
        row["size_kb"] = serialized_size(m) / 1024
        rep = benchmark_latency(m.predict, X, n_runs=n_runs, warmup=warmup, batch_size=1)
        row.update(p50_ms=rep.p50_ms, p99_ms=rep.p99_ms,
                   throughput_rows_s=rep.throughput_rows_s)
        rows.append(pd.Series(row, name=key))
    return pd.DataFrame(rows)


def model_outputs(model, X):
    """(probabilities or values, labels or None) of ``model`` on ``X``.

    Torch modules are wrapped in :class:`mlserving_lab.export.TorchPredictor` first.
    """
    if type(model).__module__.startswith("torch") and not hasattr(model, "predict"):
        from mlserving_lab.export import TorchPredictor

        model = TorchPredictor(model)
    has_proba = False
    try:
        has_proba = callable(getattr(model, "predict_proba", None))
    except AttributeError:
        has_proba = False
    if has_proba:
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        labels = np.asarray(model.predict(X)) if hasattr(model, "predict") else None
        if labels is None:
            classes = getattr(model, "classes_", None)
            idx = proba.argmax(axis=1)
            labels = idx if classes is None else np.asarray(classes)[idx]
        return proba, labels
    if hasattr(model, "predict"):
        return np.asarray(model.predict(X), dtype=np.float64), None
    if callable(model):
        out = np.asarray(model(X), dtype=np.float64)
        return out, (out.argmax(axis=1) if out.ndim == 2 else None)
    raise TypeError(f"cannot get predictions from {type(model).__name__}: it has no "
                    "predict_proba or predict method and is not callable")
