"""Latency: time predict functions on distinct requests and report percentiles.

- :func:`benchmark_latency` times one predict function and returns a :class:`LatencyReport`
  (p50 / p95 / p99, mean, max, throughput);
- :func:`round_robin_latency` times several functions interleaved, one call each per round,
  so that noise on a shared machine hits all of them alike.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field

import numpy as np

from mlserving_lab._plotting import readable_log_axis
from mlserving_lab._validation import check_nonneg_int, check_positive_int, check_table, row_slice

__all__ = ["LatencyReport", "benchmark_latency", "format_ms", "round_robin_latency"]


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
    _check_callable(predict_fn, "predict_fn")
    warm, runs = _requests(X, n_runs, warmup, batch_size)
    samples = [0] * len(runs)
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


def round_robin_latency(predict_fns: dict, X, *, n_runs: int = 200, warmup: int = 20,
                        batch_size: int = 1) -> dict:
    """Time several predict functions interleaved, one call each per round.

    Lesson 02. The harness behind :func:`mlserving_lab.measure.measure_models`. Round ``i``
    calls every function once, in the order of the dict, on the same request ``i``; the first
    ``warmup`` rounds are not timed. Requests are prepared as in :func:`benchmark_latency`.

    Parameters
    ----------
    predict_fns : dict of name -> callable
    X : array-like or DataFrame of shape (n_rows, n_features)
    n_runs, warmup, batch_size : int
        As in :func:`benchmark_latency`; ``n_runs`` and ``warmup`` count calls per function.

    Returns
    -------
    dict of name -> LatencyReport

    Raises
    ------
    TypeError, ValueError
        As :func:`benchmark_latency`; also ValueError for an empty dict.

    Examples
    --------
    >>> reports = round_robin_latency({"sum": lambda b: b.sum(), "max": lambda b: b.max()},
    ...                               np.ones((10, 2)), n_runs=5, warmup=1)
    >>> [r.n_runs for r in reports.values()]
    [5, 5]
    """
    if not isinstance(predict_fns, dict) or not predict_fns:
        raise ValueError("predict_fns must be a non-empty dict of name -> callable")
    for name, fn in predict_fns.items():
        _check_callable(fn, f"predict_fns[{name!r}]")
    warm, runs = _requests(X, n_runs, warmup, batch_size)
    fns = list(predict_fns.values())
    samples = [[0] * len(runs) for _ in fns]
    clock = time.perf_counter_ns

    for batch in warm:
        for fn in fns:
            fn(batch)
    for i, batch in enumerate(runs):
        for fn, times in zip(fns, samples, strict=True):
            t0 = clock()
            fn(batch)
            times[i] = clock() - t0

    return {name: LatencyReport.from_samples(np.asarray(times, dtype=np.float64) / 1e6,
                                             batch_size=batch_size, name=str(name))
            for name, times in zip(predict_fns, samples, strict=True)}



def _check_callable(fn, name: str) -> None:
    if not callable(fn):
        raise TypeError(f"{name} must be callable (e.g. model.predict), got "
                        f"{type(fn).__name__}; did you write model.predict() "
                        "instead of model.predict?")


def _requests(X, n_runs, warmup, batch_size) -> tuple[list, list]:
    """(warm-up requests, timed requests): distinct ``batch_size``-row slices, reused cyclically.

    Every distinct batch is sliced once, before any timing, so that a timed loop does nothing
    but read the clock and call the function; the run order holds references to them.
    """
    n_runs = check_positive_int(n_runs, "n_runs")
    batch_size = check_positive_int(batch_size, "batch_size")
    warmup = check_nonneg_int(warmup, "warmup")
    X, n_rows = check_table(X)
    if batch_size > n_rows:
        raise ValueError(f"batch_size={batch_size} is larger than X, which has {n_rows} rows")
    n_distinct = n_rows // batch_size
    distinct = [row_slice(X, i * batch_size, (i + 1) * batch_size) for i in range(n_distinct)]
    return ([distinct[i % n_distinct] for i in range(warmup)],
            [distinct[i % n_distinct] for i in range(n_runs)])
