"""Serving patterns: batch, distributed batch, streaming and real-time prediction (lesson 03).

Also home of :func:`benchmark_latency`, the timing harness every lesson uses to measure
per-request latency percentiles.

Public API
----------
benchmark_latency       time a predict function: p50/p95/p99, mean, max, throughput
LatencyReport           the result of benchmark_latency (plot, to_dict, notebook repr)
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field

import numpy as np

from mlserving_lab._validation import check_positive_int

__all__ = [
    "LatencyReport",
    "benchmark_latency",
]


# ---------------------------------------------------------------------------------------------
# Small private helpers
# ---------------------------------------------------------------------------------------------
def _is_dataframe(X) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _check_table(X, name: str = "X"):
    """Check that ``X`` is a non-empty 2-D table without converting it.

    Keeping the caller's type (DataFrame or array) matters: a model fitted on a DataFrame wants
    its column names back, and converting 400k rows to float64 would cost a full copy.
    Returns ``(X, n_rows)``; lists are turned into arrays.
    """
    if X is None:
        raise TypeError(f"{name} is None; expected a 2-D array or a DataFrame")
    if isinstance(X, (str, bytes)) or np.isscalar(X):
        raise TypeError(f"{name} must be a 2-D array or a DataFrame, got {type(X).__name__}")
    if not (_is_dataframe(X) or hasattr(X, "shape")):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name} could not be read as a table ({exc})") from None
    shape = tuple(X.shape)
    if len(shape) != 2:
        hint = (f" Use {name}.reshape(1, -1) for a single row or {name}.reshape(-1, 1) for "
                "a single feature.") if len(shape) == 1 else ""
        raise ValueError(f"{name} must be 2-D (rows x features), got {len(shape)}-D with "
                         f"shape {shape}.{hint}")
    if shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {shape}); at least one row is needed")
    if shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {shape})")
    return X, shape[0]


def _row_slice(X, start: int, stop: int):
    """Rows ``start:stop`` of an array (a view) or a DataFrame (positional)."""
    if _is_dataframe(X):
        return X.iloc[start:stop]
    return X[start:stop]


def _check_nonneg_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return int(value)


# ---------------------------------------------------------------------------------------------
# Latency benchmark
# ---------------------------------------------------------------------------------------------
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
        ax.set_xscale("log")
        for q, val, color in (("p50", self.p50_ms, "#31a354"), ("p95", self.p95_ms, "#fd8d3c"),
                              ("p99", self.p99_ms, "#de2d26")):
            ax.axvline(val, color=color, linestyle="--", linewidth=1.2,
                       label=f"{q} = {_fmt_ms(val)}")
        title = self.name or "latency"
        ax.set_title(f"{title}: {self.n_runs} calls x {self.batch_size} row(s)")
        ax.set_xlabel("latency per call (ms, log scale)")
        ax.legend(loc="best", fontsize="small")
        return ax

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (f"LatencyReport({label}p50={_fmt_ms(self.p50_ms)}, p95={_fmt_ms(self.p95_ms)}, "
                f"p99={_fmt_ms(self.p99_ms)}, mean={_fmt_ms(self.mean_ms)}, "
                f"max={_fmt_ms(self.max_ms)}, throughput={self.throughput_rows_s:,.0f} rows/s, "
                f"n_runs={self.n_runs}, batch_size={self.batch_size})")

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>"
            for k, v in (
                ("p50", _fmt_ms(self.p50_ms)), ("p95", _fmt_ms(self.p95_ms)),
                ("p99", _fmt_ms(self.p99_ms)), ("mean", _fmt_ms(self.mean_ms)),
                ("max", _fmt_ms(self.max_ms)),
                ("throughput", f"{self.throughput_rows_s:,.0f} rows/s"),
                ("calls x rows", f"{self.n_runs} x {self.batch_size}"),
            )
        )
        title = html.escape(self.name) if self.name else "LatencyReport"
        return f"<b>{title}</b><table>{rows}</table>"


def _fmt_ms(ms: float) -> str:
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
    warmup = _check_nonneg_int(warmup, "warmup")
    X, n_rows = _check_table(X)
    if batch_size > n_rows:
        raise ValueError(f"batch_size={batch_size} is larger than X, which has {n_rows} rows")

    # Pre-slice every distinct batch once, then build the run order as references to them.
    n_distinct = n_rows // batch_size
    distinct = [_row_slice(X, i * batch_size, (i + 1) * batch_size) for i in range(n_distinct)]
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
