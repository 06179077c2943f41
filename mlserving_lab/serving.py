"""Serving patterns: batch, distributed batch, streaming and real-time prediction (lesson 03).

Also home of :func:`benchmark_latency`, the timing harness every lesson uses to measure
per-request latency percentiles.

Public API
----------
batch_predict           score a big table or a stream of chunks in bounded memory (n_jobs, tqdm)
iter_batch_predict      the same, yielding one result per batch (write results as you go)
dask_predict            the same scoring on a Dask DataFrame via map_partitions (optional extra)
MicroBatchPredictor     streaming / micro-batch scoring over an iterator of events
simulate_event_stream   replay rows of a table as events arriving at a given rate
RealTimePredictor       thread-safe one-request predictor: validation, fallback, latency
choose_serving_pattern  the decision helper: requirements -> batch / real-time / streaming ...
benchmark_latency       time a predict function: p50/p95/p99, mean, max, throughput
LatencyReport           the result of benchmark_latency (plot, to_dict, notebook repr)
"""

from __future__ import annotations

import logging
import numbers
import os
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mlserving_lab._validation import (
    check_array,
    check_fitted,
    check_n_features,
    check_positive_int,
    check_table,
    feature_names,
    row_slice,
)
from mlserving_lab.measure import LatencyReport

__all__ = [
    "MicroBatchPredictor",
    "PredictorStats",
    "RealTimePredictor",
    "SERVING_PATTERNS",
    "ServingDecision",
    "batch_predict",
    "choose_serving_pattern",
    "dask_predict",
    "iter_batch_predict",
    "simulate_event_stream",
]


# ---------------------------------------------------------------------------------------------
# Small private helpers
# ---------------------------------------------------------------------------------------------
def _is_dataframe(X) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")








# ---------------------------------------------------------------------------------------------
# Latency benchmark
# ---------------------------------------------------------------------------------------------








# ---------------------------------------------------------------------------------------------
# Batch scoring
# ---------------------------------------------------------------------------------------------
def _resolve_method(model, method: str):
    if not isinstance(method, str):
        raise TypeError(f"method must be the name of a model method such as 'predict', got "
                        f"{method!r}")
    fn = getattr(model, method, None)
    if fn is None or not callable(fn):
        available = [m for m in ("predict", "predict_proba", "decision_function", "transform")
                     if callable(getattr(model, m, None))]
        raise TypeError(f"{type(model).__name__} has no method {method!r}; available: "
                        f"{', '.join(available) or 'none'}")
    if hasattr(model, "get_params"):  # a scikit-learn estimator: fail early if unfitted
        check_fitted(model)
    return fn


def _is_table(X) -> bool:
    return _is_dataframe(X) or hasattr(X, "shape") or isinstance(X, (list, tuple))


def _n_jobs(n_jobs) -> int:
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)):
        raise TypeError(f"n_jobs must be an integer (-1 = all cores), got {n_jobs!r}")
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs <= 0:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs}")
    return int(n_jobs)


def _batches(X, batch_size: int):
    """Yield batches of at most ``batch_size`` rows and return the total row count if known.

    ``X`` is a table (array, DataFrame, list of rows) or an iterable of such tables (chunks);
    chunks larger than ``batch_size`` are split, so memory stays bounded by one chunk.
    """
    if isinstance(X, (list, tuple)) and X and (_is_dataframe(X[0]) or np.ndim(X[0]) == 2):
        return _chunk_batches(iter(X), batch_size), None  # a list of chunks
    if _is_table(X):
        X, n_rows = check_table(X)
        gen = (row_slice(X, i, i + batch_size) for i in range(0, n_rows, batch_size))
        return gen, n_rows
    if not hasattr(X, "__iter__"):
        raise TypeError(f"X must be a 2-D array, a DataFrame or an iterable of such chunks, "
                        f"got {type(X).__name__}")
    return _chunk_batches(iter(X), batch_size), None


def _chunk_batches(chunks, batch_size: int):
    n_cols = None
    seen_rows = 0
    for k, chunk in enumerate(chunks):
        if _is_table(chunk) and not _is_dataframe(chunk) and not hasattr(chunk, "shape"):
            chunk = np.asarray(chunk)
        if not _is_table(chunk):
            raise TypeError(f"chunk {k} is a {type(chunk).__name__}; every chunk must be a 2-D "
                            "array or a DataFrame")
        shape = tuple(chunk.shape)
        if len(shape) != 2:
            raise ValueError(f"chunk {k} must be 2-D (rows x features), got shape {shape}")
        if shape[0] == 0:
            continue
        if n_cols is None:
            n_cols = shape[1]
        elif shape[1] != n_cols:
            raise ValueError(f"chunk {k} has {shape[1]} columns but the first chunk had "
                             f"{n_cols}")
        seen_rows += shape[0]
        for i in range(0, shape[0], batch_size):
            yield row_slice(chunk, i, i + batch_size)
    if seen_rows == 0:
        raise ValueError("X yielded no rows: the iterable of chunks was empty")


def _progress_bar(progress, total):
    """A tqdm bar: always (True), never (False) or only for runs longer than 2 s (None)."""
    if progress is False:
        return None
    from tqdm import tqdm

    delay = 0.0 if progress else 2.0
    return tqdm(total=total, unit="rows", delay=delay, desc="scoring", leave=False,
                mininterval=0.5)


def iter_batch_predict(model, X, *, batch_size: int = 1000, method: str = "predict",
                       n_jobs: int = 1, progress: bool | None = None):
    """Score ``X`` batch by batch and yield one result per batch, in order.

    Lesson 03. Use this instead of :func:`batch_predict` when the results themselves are too
    big to hold (write each one to disk as it arrives).

    Parameters
    ----------
    model : fitted estimator
        Anything with the method named by ``method``.
    X : array-like, DataFrame, or iterable of those
        A table, or an iterable of chunks such as
        ``pandas.read_csv(path, chunksize=50_000)``. Chunks are split into batches of at most
        ``batch_size`` rows.
    batch_size : int, default 1000
        Rows per model call.
    method : str, default "predict"
        Model method to call: "predict", "predict_proba", "decision_function", ...
    n_jobs : int, default 1
        Batches scored at the same time (threads; -1 = all cores). Results keep their order
        and at most ``2 * n_jobs`` batches are in flight, so memory stays bounded.
    progress : bool or None, default None
        Show a tqdm progress bar: always (True), never (False), or only once a run has taken
        more than 2 seconds (None).

    Yields
    ------
    The method's output for each batch.

    Raises
    ------
    TypeError
        If the model lacks ``method`` or ``X`` is not a table / iterable of tables.
    ValueError
        If ``X`` is empty or not 2-D, chunks disagree on the number of columns,
        ``batch_size``/``n_jobs`` are invalid, or the model is not fitted.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(250, 3)); y = (X[:, 0] > 0).astype(int)
    >>> m = LogisticRegression().fit(X, y)
    >>> [len(p) for p in iter_batch_predict(m, X, batch_size=100)]
    [100, 100, 50]
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    n_jobs = _n_jobs(n_jobs)
    fn = _resolve_method(model, method)
    batches, total = _batches(X, batch_size)
    # Arguments are checked above, when the function is called; scoring starts on iteration.
    return _scored(fn, batches, total, n_jobs, progress)


def _scored(fn, batches, total, n_jobs: int, progress):
    bar = _progress_bar(progress, total)
    try:
        if n_jobs == 1:
            for batch in batches:
                out = fn(batch)
                if bar is not None:
                    bar.update(len(batch))
                yield out
        else:
            from joblib import Parallel, delayed

            with Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator",
                          pre_dispatch="2*n_jobs") as parallel:
                for out in parallel(delayed(_score_with_size)(fn, b) for b in batches):
                    if bar is not None:
                        bar.update(out[1])
                    yield out[0]
    finally:
        if bar is not None:
            bar.close()


def _score_with_size(fn, batch):
    return fn(batch), len(batch)


def _concat(parts: list):
    first = parts[0]
    if len(parts) == 1:
        return first
    if hasattr(first, "iloc"):  # pandas Series / DataFrame output (e.g. set_output="pandas")
        import pandas as pd

        return pd.concat(parts)
    if isinstance(first, list):
        return [v for p in parts for v in p]
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def batch_predict(model, X, *, batch_size: int = 1000, method: str = "predict",
                  n_jobs: int = 1, progress: bool | None = None):
    """Score a big table (or a stream of chunks) batch by batch; same result as one call.

    Lesson 03. The result equals ``getattr(model, method)(X)`` for a table ``X``, but only
    ``batch_size`` rows go through the model at a time, so the model's working memory stays
    bounded. ``X`` may also be an iterable of chunks (for example
    ``pandas.read_csv(path, chunksize=...)``) that never sits in memory whole.

    Parameters
    ----------
    model : fitted estimator
        Anything with the method named by ``method``.
    X : array-like, DataFrame, or iterable of those
        A table, or an iterable of 2-D chunks with the same columns.
    batch_size : int, default 1000
        Rows per model call.
    method : str, default "predict"
        "predict", "predict_proba", "decision_function", "transform", ...
    n_jobs : int, default 1
        Batches scored in parallel threads (-1 = all cores). Threads share the model without
        copying it, but they only run at the same time where the model's work releases the
        GIL (compiled numpy/BLAS kernels, tree traversal); Python-level overhead per call
        does not. Measure before relying on it (``benchmarks/bench_serving.py``).
    progress : bool or None, default None
        tqdm bar: always (True), never (False), or only for runs longer than 2 s (None).

    Returns
    -------
    numpy.ndarray (or whatever type the method returns for one batch)
        Batch outputs concatenated along the first axis.

    Raises
    ------
    TypeError, ValueError
        See :func:`iter_batch_predict`.

    See Also
    --------
    iter_batch_predict : yield per-batch results instead of concatenating them.
    dask_predict : the same scoring on a Dask DataFrame, for data that outgrows one machine.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(2500, 4)); y = (X[:, 0] > 0).astype(int)
    >>> m = LogisticRegression().fit(X, y)
    >>> bool((batch_predict(m, X, batch_size=1000) == m.predict(X)).all())
    True
    """
    parts = list(iter_batch_predict(model, X, batch_size=batch_size, method=method,
                                    n_jobs=n_jobs, progress=progress))
    return _concat(parts)


# ---------------------------------------------------------------------------------------------
# Distributed batch scoring with Dask
# ---------------------------------------------------------------------------------------------
def _import_dask_dataframe():
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - dask is installed in the course stack
        raise ImportError("dask_predict needs the optional Dask extra: "
                          "pip install 'mlserving-lab[dask]'") from exc
    return dd


def _score_partition(part, model, method, columns, name, use_frame):
    """Score one pandas partition; module level so that Dask workers can unpickle it."""
    import pandas as pd

    fn = getattr(model, method)
    if len(part) == 0:
        out = np.empty((0,) if columns is None else (0, len(columns)))
    else:
        out = fn(part if use_frame else part.to_numpy())
    out = np.asarray(out)
    if out.ndim == 1:
        return pd.Series(out, index=part.index, name=name)
    return pd.DataFrame(out, index=part.index, columns=columns)


def dask_predict(model, data, *, method: str = "predict", npartitions: int | None = None,
                 meta=None):
    """Score a Dask DataFrame partition by partition with ``map_partitions``.

    Lesson 03. The same per-batch scoring as :func:`batch_predict`, expressed as a lazy Dask
    graph: it runs on whatever scheduler is active (a ``dask.distributed.Client`` connected to
    a cluster, or the local threaded scheduler) when you call ``.compute()``. Dask is an
    optional extra and is imported only when this function runs.

    Parameters
    ----------
    model : fitted estimator
        Serialised once into the graph and shipped to the workers.
    data : dask DataFrame, pandas DataFrame or 2-D array
        Pandas/numpy input is wrapped with ``dask.dataframe.from_pandas`` first (arrays get
        the model's feature names when it has them, else ``x0..x{n-1}``).
    method : str, default "predict"
        Model method applied to each partition.
    npartitions : int, optional
        Partitions for pandas/numpy input (default 2). Ignored for Dask input.
    meta : pandas Series or DataFrame, optional
        Empty object with the output's dtype(s). Inferred by scoring Dask's fake non-empty
        partition when omitted; pass it if your pipeline cannot score fake data.

    Returns
    -------
    dask Series (1-D outputs) or dask DataFrame (2-D outputs, e.g. ``predict_proba`` with
    one ``proba_<class>`` column per class), indexed like ``data``. Call ``.compute()``.

    Raises
    ------
    TypeError
        If ``data`` is not a table or the model lacks ``method``.
    ValueError
        If the output type cannot be inferred (pass ``meta``) or the input is empty / not 2-D.
    ImportError
        If Dask is not installed.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
    >>> m = LogisticRegression().fit(X, y)
    >>> lazy = dask_predict(m, X, npartitions=4)
    >>> bool((lazy.compute(scheduler="synchronous").to_numpy() == m.predict(X)).all())
    True
    """
    import pandas as pd

    _resolve_method(model, method)
    dd = _import_dask_dataframe()
    if not hasattr(data, "map_partitions"):
        data, _ = check_table(data)
        if not _is_dataframe(data):
            names = getattr(model, "feature_names_in_", None)
            cols = [str(c) for c in names] if names is not None else feature_names(data)
            data = pd.DataFrame(np.asarray(data), columns=cols)
        nparts = 2 if npartitions is None else check_positive_int(npartitions, "npartitions")
        data = dd.from_pandas(data, npartitions=min(nparts, len(data)))
    elif not hasattr(data, "columns"):
        raise TypeError("dask_predict needs a Dask DataFrame (with columns), got "
                        f"{type(data).__name__}; convert a Dask Array with dd.from_dask_array")

    n_expected = getattr(model, "n_features_in_", None)
    if n_expected is not None and len(data.columns) != n_expected:
        raise ValueError(f"data has {len(data.columns)} columns, but {type(model).__name__} was "
                         f"fitted on {n_expected} features")
    use_frame = hasattr(model, "feature_names_in_")
    classes = getattr(model, "classes_", None)
    name = "prediction" if method == "predict" else method
    columns = None
    if meta is None:
        try:
            sample = data._meta_nonempty
            out = np.asarray(getattr(model, method)(sample if use_frame else sample.to_numpy()))
        except Exception as exc:
            raise ValueError(f"could not infer the output type of {type(model).__name__}."
                             f"{method} on Dask's placeholder data ({exc}); pass meta=, e.g. "
                             "meta=pd.Series(dtype='int64')") from None
        if out.ndim == 2:
            columns = _output_columns(method, out.shape[1], classes)
            meta = pd.DataFrame(out[:0], columns=columns)
        else:
            meta = pd.Series(out[:0], name=name)
    elif hasattr(meta, "columns"):
        columns = list(meta.columns)
    else:
        name = getattr(meta, "name", name)
    return data.map_partitions(_score_partition, model, method, columns, name, use_frame,
                               meta=meta)


def _output_columns(method: str, n: int, classes) -> list[str]:
    if method == "predict_proba" and classes is not None and len(classes) == n:
        return [f"proba_{c}" for c in classes]
    return [f"{method}_{j}" for j in range(n)]


# ---------------------------------------------------------------------------------------------
# Streaming / micro-batch prediction
# ---------------------------------------------------------------------------------------------
def simulate_event_stream(X, *, rate_per_s: float | None = None, n_events: int | None = None):
    """Replay the rows of ``X`` as a stream of single events, optionally at a fixed rate.

    Lesson 03. Each event is one row (a 1-D numpy array, or a dict ``{column: value}`` when
    ``X`` is a DataFrame). With ``rate_per_s`` the generator waits so that event ``i`` is
    released no earlier than ``i / rate_per_s`` seconds after the first one, which is how
    events trickle into a real stream consumer.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_rows, n_features)
    rate_per_s : float, optional
        Events per second. None releases them as fast as they are consumed.
    n_events : int, optional
        Number of events (cycles through ``X``); defaults to ``len(X)``.

    Yields
    ------
    numpy.ndarray or dict

    Raises
    ------
    ValueError
        If ``X`` is empty or not 2-D, or ``rate_per_s`` is not a positive number.

    Examples
    --------
    >>> import numpy as np
    >>> len(list(simulate_event_stream(np.zeros((3, 2)), n_events=5)))
    5
    """
    X, n_rows = check_table(X)
    if rate_per_s is not None:
        if isinstance(rate_per_s, (bool, np.bool_)) or not isinstance(rate_per_s, numbers.Real) \
                or not np.isfinite(rate_per_s) or rate_per_s <= 0:
            raise ValueError(f"rate_per_s must be a positive number, got {rate_per_s!r}")
    n_events = n_rows if n_events is None else check_positive_int(n_events, "n_events")
    if _is_dataframe(X):
        cols = list(X.columns)
        rows = [dict(zip(cols, r, strict=True)) for r in X.itertuples(index=False, name=None)]
    else:
        arr = np.asarray(X)
        rows = [arr[i] for i in range(n_rows)]
    gap_ns = None if rate_per_s is None else 1e9 / rate_per_s
    start = time.perf_counter_ns()
    for i in range(n_events):
        if gap_ns is not None:
            due = start + i * gap_ns
            wait = (due - time.perf_counter_ns()) / 1e9
            if wait > 0:
                time.sleep(wait)
        yield rows[i % n_rows]


class MicroBatchPredictor:
    """Score an iterator of events one at a time or in micro-batches; record per-event latency.

    Lesson 03. Events are buffered until ``batch_size`` of them have arrived, or until the
    oldest buffered event has waited ``max_wait_ms`` when the next one arrives, or the stream
    ends; then the buffer is scored with one model call. An event's latency runs from the
    moment the iterator handed it over to the moment its prediction is ready, so it includes
    the time spent waiting for the batch to fill: bigger micro-batches raise throughput and
    per-event latency together.

    Parameters
    ----------
    model : fitted estimator
    batch_size : int, default 1
        Events per model call (1 = score every event on its own).
    max_wait_ms : float, optional
        Flush a partial batch once its oldest event has waited this long. Checked when an
        event arrives (a plain iterator cannot wake us up in between; a real consumer would
        use a timer).
    method : str, default "predict"
    feature_names : list of str, optional
        Column order for dict events. Defaults to the model's ``feature_names_in_``.

    Attributes
    ----------
    latencies_ms : numpy.ndarray
        Per-event latency of the last :meth:`run`.
    n_events, n_batches : int
        Counts for the last run.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(40, 3)); y = (X[:, 0] > 0).astype(int)
    >>> mb = MicroBatchPredictor(LogisticRegression().fit(X, y), batch_size=8)
    >>> preds = [p for _, p in mb.run(simulate_event_stream(X))]
    >>> len(preds), mb.n_batches
    (40, 5)
    """

    def __init__(self, model, *, batch_size: int = 1, max_wait_ms: float | None = None,
                 method: str = "predict", feature_names: list[str] | None = None):
        self.model = model
        self.batch_size = check_positive_int(batch_size, "batch_size")
        if max_wait_ms is not None and (isinstance(max_wait_ms, (bool, np.bool_))
                                        or not isinstance(max_wait_ms, numbers.Real)
                                        or not max_wait_ms >= 0):
            raise ValueError(f"max_wait_ms must be a non-negative number, got {max_wait_ms!r}")
        self.max_wait_ms = max_wait_ms
        self.method = method
        self._fn = _resolve_method(model, method)
        names = feature_names
        if names is None and getattr(model, "feature_names_in_", None) is not None:
            names = [str(c) for c in model.feature_names_in_]
        self.feature_names = None if names is None else list(names)
        self.latencies_ms = np.empty(0)
        self.n_events = 0
        self.n_batches = 0
        self._wall_s = None

    def _to_batch(self, events: list):
        if self.feature_names is not None:
            import pandas as pd

            rows = []
            for ev in events:
                if isinstance(ev, Mapping):
                    missing = [f for f in self.feature_names if f not in ev]
                    if missing:
                        raise ValueError(f"event {ev!r} is missing feature(s) {missing}")
                    rows.append([ev[f] for f in self.feature_names])
                else:
                    rows.append(list(np.ravel(ev)))
            frame = pd.DataFrame(rows, columns=self.feature_names)
            check_array(frame, name="event batch")
            return frame
        if any(isinstance(ev, Mapping) for ev in events):
            raise TypeError("dict events need feature_names= (or a model fitted on a "
                            "DataFrame) to know the column order")
        rows = [np.ravel(np.asarray(ev)) for ev in events]
        lengths = {r.shape[0] for r in rows}
        if len(lengths) > 1:
            raise ValueError(f"events have different lengths {sorted(lengths)}; every event "
                             "must carry the same features")
        return check_array(np.stack(rows), name="event batch")

    def run(self, events):
        """Consume ``events`` and yield ``(event, prediction)`` pairs in arrival order.

        Parameters
        ----------
        events : iterable
            Each event is one row: a 1-D array-like, or a dict keyed by feature name.

        Yields
        ------
        tuple
            ``(event, prediction)``.

        Raises
        ------
        ValueError, TypeError
            If an event is malformed (wrong length, missing feature, text where numbers are
            expected).
        """
        clock = time.perf_counter_ns
        lat: list[float] = []
        self.n_events = self.n_batches = 0
        buf: list = []
        arrivals: list[int] = []
        max_wait_ns = None if self.max_wait_ms is None else self.max_wait_ms * 1e6
        start = clock()

        def flush():
            preds = self._fn(self._to_batch(buf))
            done = clock()
            lat.extend((done - t) / 1e6 for t in arrivals)
            self.n_batches += 1
            self.n_events += len(buf)
            pairs = list(zip(buf, preds, strict=True))
            buf.clear()
            arrivals.clear()
            return pairs

        try:
            for ev in events:
                now = clock()
                if buf and max_wait_ns is not None and now - arrivals[0] >= max_wait_ns:
                    yield from flush()
                buf.append(ev)
                arrivals.append(now)
                if len(buf) >= self.batch_size:
                    yield from flush()
            if buf:
                yield from flush()
        finally:
            self.latencies_ms = np.asarray(lat, dtype=np.float64)
            self._wall_s = (clock() - start) / 1e9

    def predict_stream(self, events):
        """Run the whole stream and return ``(predictions, LatencyReport)``.

        Parameters
        ----------
        events : iterable

        Returns
        -------
        predictions : numpy.ndarray
        report : LatencyReport
            Per-event latency; throughput is events per second of wall-clock time.
        """
        preds = np.asarray([p for _, p in self.run(events)])
        return preds, self.latency_report()

    def latency_report(self, name: str = "") -> LatencyReport:
        """Per-event latency of the last run as a :class:`LatencyReport`.

        Raises
        ------
        ValueError
            If no events have been scored yet.
        """
        if self.latencies_ms.size == 0:
            raise ValueError("no events scored yet; call run() or predict_stream() first")
        label = name or f"micro-batch {self.batch_size}"
        report = LatencyReport.from_samples(self.latencies_ms, batch_size=1, name=label,
                                            wall_s=self._wall_s)
        report.batch_size = self.batch_size
        report.throughput_rows_s = self.latencies_ms.size / self._wall_s
        return report


# ---------------------------------------------------------------------------------------------
# Real-time prediction
# ---------------------------------------------------------------------------------------------
_LOG = logging.getLogger("mlserving_lab.serving")


@dataclass(frozen=True)
class PredictorStats:
    """Counters of a :class:`RealTimePredictor`.

    Attributes
    ----------
    n_requests : int
        Every call, whatever its outcome.
    n_ok : int
        Calls answered by the model.
    n_fallbacks : int
        Calls where the model raised and the fallback answered.
    n_rejected : int
        Calls refused by input validation (the caller got a ValueError/TypeError).
    n_errors : int
        Calls where the model raised and no fallback was configured (the error propagated).
    """

    n_requests: int
    n_ok: int
    n_fallbacks: int
    n_rejected: int
    n_errors: int

    def to_dict(self) -> dict:
        """The counters as a dict."""
        return dict(n_requests=self.n_requests, n_ok=self.n_ok, n_fallbacks=self.n_fallbacks,
                    n_rejected=self.n_rejected, n_errors=self.n_errors)


class RealTimePredictor:
    """A thread-safe, validated, fallback-protected predictor for one request at a time.

    Lesson 03. Holds a model loaded once, and for every request: validates the input (with
    ``schema.validate`` when a schema is given, otherwise a numeric/shape/feature-name check
    against the model), calls the model, answers with ``fallback`` if the model raises
    (counted and logged, never silent), and records the latency. Counters and latency samples
    are protected by a lock, so many threads may call :meth:`predict` at once.

    Parameters
    ----------
    model : fitted estimator
    schema : object with ``validate(X)``, optional
        E.g. ``mlserving_lab.skew.InputSchema``: returns model-ready data or raises a
        ValueError/TypeError. Validation failures are re-raised to the caller (a bad request
        is the caller's problem, not something to hide behind a fallback).
    fallback : scalar, array-like or callable, optional
        Answer used when the model raises: a value repeated for every row (a vector for
        ``predict_proba``), or ``fallback(X) -> predictions``. None (default) lets model
        errors propagate (they are still counted and logged).
    method : str, default "predict"
    logger : logging.Logger, optional
        Where fallbacks and errors are logged (default ``mlserving_lab.serving``).
    lock_model : bool, default False
        Serialise model calls with a lock, for models that are not safe to call from several
        threads. scikit-learn's predict methods are; leave it False for them.
    max_samples : int, default 10000
        Latency samples kept (a ring buffer of the most recent requests).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 3)); y = (X[:, 0] > 0).astype(int)
    >>> rt = RealTimePredictor(LogisticRegression().fit(X, y), fallback=0)
    >>> int(rt.predict_one(X[0])) in (0, 1)
    True
    >>> rt.stats.n_ok
    1
    """

    def __init__(self, model, *, schema=None, fallback=None, method: str = "predict",
                 logger: logging.Logger | None = None, lock_model: bool = False,
                 max_samples: int = 10_000):
        self._fn = _resolve_method(model, method)
        if schema is not None and not callable(getattr(schema, "validate", None)):
            raise TypeError(f"schema must have a validate(X) method, got "
                            f"{type(schema).__name__}")
        self.model = model
        self.schema = schema
        self.fallback = fallback
        self.method = method
        self.logger = logger or _LOG
        names = getattr(model, "feature_names_in_", None)
        self.feature_names = None if names is None else [str(c) for c in names]
        self.n_features = getattr(model, "n_features_in_", None)
        self._lock = threading.Lock()
        self._model_lock = threading.Lock() if lock_model else None
        self._samples = deque(maxlen=check_positive_int(max_samples, "max_samples"))
        self._counts = dict(n_requests=0, n_ok=0, n_fallbacks=0, n_rejected=0, n_errors=0)

    @classmethod
    def from_path(cls, path, *, loader=None, **kwargs) -> RealTimePredictor:
        """Load a model file once and wrap it.

        Parameters
        ----------
        path : str or path-like
        loader : callable, optional
            ``loader(path) -> model``; defaults to ``joblib.load``. Only load files you
            trust: joblib/pickle files can run code when loaded.
        **kwargs
            Passed to :class:`RealTimePredictor`.

        Returns
        -------
        RealTimePredictor

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        """
        if not os.path.exists(path):
            raise FileNotFoundError(f"no model file at {os.fspath(path)!r}")
        if loader is None:
            import joblib

            loader = joblib.load
        return cls(loader(path), **kwargs)

    # -- validation --------------------------------------------------------------------------
    def _validate(self, X):
        # A single row (1-D array or list, pandas Series) becomes a one-row table first.
        if hasattr(X, "to_frame") and not _is_dataframe(X):
            X = X.to_frame().T
        elif not isinstance(X, Mapping) and not _is_dataframe(X) and np.ndim(X) == 1:
            X = np.asarray(X).reshape(1, -1)
        if self.schema is not None:
            return self.schema.validate(X)
        if isinstance(X, Mapping):
            if self.feature_names is None:
                raise TypeError("a dict request needs a model fitted on a DataFrame (so that "
                                "feature names are known) or a schema")
            X = {k: [v] if np.ndim(v) == 0 else v for k, v in X.items()}
            import pandas as pd

            X = pd.DataFrame(X)
        if _is_dataframe(X) and self.feature_names is not None:
            cols = [str(c) for c in X.columns]
            missing = [f for f in self.feature_names if f not in cols]
            extra = [c for c in cols if c not in self.feature_names]
            if missing or extra:
                parts = []
                if missing:
                    parts.append(f"missing feature(s) {missing}")
                if extra:
                    parts.append(f"unexpected feature(s) {extra}")
                raise ValueError("request has " + " and ".join(parts))
            X = X[self.feature_names]
            check_array(X, name="request")
            return X
        arr = check_array(X, name="request")
        if self.n_features is not None:
            check_n_features(arr, self.n_features, name="request")
        if self.feature_names is not None:
            import pandas as pd

            return pd.DataFrame(arr, columns=self.feature_names)
        return arr

    def _fallback_output(self, X):
        if callable(self.fallback):
            return self.fallback(X)
        value = np.asarray(self.fallback)
        return np.broadcast_to(value, (len(X),) + value.shape).copy()

    # -- prediction --------------------------------------------------------------------------
    def predict(self, X):
        """Validate and score one request (one row or a small batch).

        Parameters
        ----------
        X : 1-D row, 2-D array, DataFrame, pandas Series or dict {feature: value}
            A 1-D input is one row.

        Returns
        -------
        numpy.ndarray
            The model's output, or the fallback when the model raised.

        Raises
        ------
        ValueError, TypeError
            If validation rejects the request (counted in ``n_rejected``).
        Exception
            The model's own error when no fallback is configured (counted in ``n_errors``).
        """
        clock = time.perf_counter_ns
        t0 = clock()
        try:
            batch = self._validate(X)
        except (ValueError, TypeError):
            self._record("n_rejected", None)
            raise
        try:
            if self._model_lock is None:
                out = self._fn(batch)
            else:
                with self._model_lock:
                    out = self._fn(batch)
        except Exception as exc:
            if self.fallback is None:
                self._record("n_errors", None)
                self.logger.error("%s.%s raised %s: %s (no fallback configured)",
                                  type(self.model).__name__, self.method,
                                  type(exc).__name__, exc)
                raise
            out = self._fallback_output(batch)
            self._record("n_fallbacks", (clock() - t0) / 1e6)
            self.logger.warning("%s.%s raised %s: %s; answered with the fallback",
                                type(self.model).__name__, self.method, type(exc).__name__,
                                exc)
            return out
        self._record("n_ok", (clock() - t0) / 1e6)
        return out

    __call__ = predict

    def predict_one(self, row):
        """Score a single row and return its single prediction (a scalar or a 1-D array).

        Parameters
        ----------
        row : 1-D array-like, pandas Series or dict

        Returns
        -------
        scalar or numpy.ndarray
        """
        out = self.predict(row)
        if len(out) != 1:
            raise ValueError(f"predict_one expects one row, got {len(out)}")
        return out[0]

    def warm_up(self, X, n: int = 3) -> None:
        """Call the model ``n`` times on ``X`` without recording anything (cold-start cost).

        Parameters
        ----------
        X : request-like input
        n : int, default 3
        """
        batch = self._validate(X)
        for _ in range(check_positive_int(n, "n")):
            self._fn(batch)

    def _record(self, outcome: str, latency_ms: float | None) -> None:
        with self._lock:
            self._counts["n_requests"] += 1
            self._counts[outcome] += 1
            if latency_ms is not None:
                self._samples.append(latency_ms)

    @property
    def stats(self) -> PredictorStats:
        """A consistent snapshot of the counters (:class:`PredictorStats`)."""
        with self._lock:
            return PredictorStats(**self._counts)

    def latency_report(self, name: str = "real-time") -> LatencyReport:
        """Latency of the recorded requests (validation + model + fallback) as a report.

        Raises
        ------
        ValueError
            If no request has been answered yet.
        """
        with self._lock:
            samples = np.fromiter(self._samples, dtype=np.float64)
        if samples.size == 0:
            raise ValueError("no requests answered yet; call predict() first")
        return LatencyReport.from_samples(samples, batch_size=1, name=name)

    def reset_stats(self) -> None:
        """Zero the counters and drop the latency samples."""
        with self._lock:
            for k in self._counts:
                self._counts[k] = 0
            self._samples.clear()

    def __repr__(self) -> str:
        s = self.stats
        return (f"RealTimePredictor({type(self.model).__name__}, method={self.method!r}, "
                f"requests={s.n_requests}, ok={s.n_ok}, fallbacks={s.n_fallbacks}, "
                f"rejected={s.n_rejected}, errors={s.n_errors})")


# ---------------------------------------------------------------------------------------------
# Decision helper
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServingDecision:
    """A serving pattern and the reason for it (from :func:`choose_serving_pattern`).

    Attributes
    ----------
    pattern : str
        One of "batch", "hybrid", "streaming", "real-time", "near-real-time".
    reason : str
        One or two sentences explaining the choice from the requirements given.
    """

    pattern: str
    reason: str

    def __str__(self) -> str:
        return f"{self.pattern}: {self.reason}"


SERVING_PATTERNS = ("batch", "hybrid", "streaming", "real-time", "near-real-time")


def choose_serving_pattern(*, precomputable, latency_budget_ms: float | None = None,
                           continuous_stream: bool = False,
                           sync_threshold_ms: float = 200.0) -> ServingDecision:
    """Map serving requirements to a serving pattern, with the reason.

    Lesson 03. The questions are asked in this order:

    1. Can every prediction be computed ahead of time (all inputs known before anyone asks)?
       Yes -> ``"batch"``: score on a schedule, serve lookups. ``"partial"`` -> ``"hybrid"``:
       a batch base plus a real-time layer for the request-time part.
    2. Do the inputs arrive as a continuous stream of events? -> ``"streaming"``.
    3. Otherwise the latency budget decides: below ``sync_threshold_ms`` -> ``"real-time"``
       (synchronous API), else ``"near-real-time"`` (asynchronous queue).

    The stream question comes before the latency question on purpose: asked the other way
    round (as in the syllabus's tree), every stream with a tight budget would be sent to a
    request/response API, although its events have no caller waiting on a socket.

    Parameters
    ----------
    precomputable : bool or "partial"
        Whether all predictions can be precomputed.
    latency_budget_ms : float, optional
        End-to-end budget for one prediction. Required when the answer depends on it.
    continuous_stream : bool, default False
        Whether inputs arrive as a continuous event stream.
    sync_threshold_ms : float, default 200
        Budgets below this need a synchronous (real-time) path.

    Returns
    -------
    ServingDecision

    Raises
    ------
    TypeError
        If ``precomputable`` is not a bool or "partial", or ``continuous_stream`` is not bool.
    ValueError
        If a budget is needed but missing, or a budget/threshold is not a positive number.

    Examples
    --------
    >>> choose_serving_pattern(precomputable=False, latency_budget_ms=50).pattern
    'real-time'
    >>> choose_serving_pattern(precomputable=True).pattern
    'batch'
    """
    if not (isinstance(precomputable, (bool, np.bool_)) or precomputable == "partial"):
        raise TypeError(f"precomputable must be True, False or 'partial', got "
                        f"{precomputable!r}")
    if not isinstance(continuous_stream, (bool, np.bool_)):
        raise TypeError(f"continuous_stream must be True or False, got {continuous_stream!r}")
    for label, value in (("latency_budget_ms", latency_budget_ms),
                         ("sync_threshold_ms", sync_threshold_ms)):
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{label} must be a positive number of milliseconds, got "
                             f"{value!r}")
    budget = "" if latency_budget_ms is None else f" (budget {latency_budget_ms:g} ms)"

    if precomputable is True or precomputable is np.True_:
        return ServingDecision("batch", "every input is known ahead of time, so score them all "
                               "on a schedule and serve stored predictions; the request path "
                               f"only does a lookup, which meets any budget{budget}.")
    if precomputable == "partial":
        return ServingDecision("hybrid", "part of the prediction can be precomputed: score "
                               "that part in batch and add a real-time layer for the features "
                               f"that only exist at request time{budget}.")
    if continuous_stream:
        extra = (f"; keep the micro-batch small enough that waiting plus scoring stays under "
                 f"{latency_budget_ms:g} ms per event") if latency_budget_ms is not None else ""
        return ServingDecision("streaming", "inputs arrive as a continuous event stream with "
                               "no caller waiting, so score them as they flow (one by one or "
                               f"in micro-batches){extra}.")
    if latency_budget_ms is None:
        raise ValueError("latency_budget_ms is needed: predictions cannot be precomputed and "
                         "there is no stream, so the budget decides between real-time and "
                         "near-real-time")
    if latency_budget_ms < sync_threshold_ms:
        return ServingDecision("real-time", f"a caller waits for the answer and the budget "
                               f"({latency_budget_ms:g} ms) is below {sync_threshold_ms:g} ms, "
                               "so serve a preloaded model behind a synchronous API.")
    return ServingDecision("near-real-time", f"the budget ({latency_budget_ms:g} ms) leaves "
                           f"at least {sync_threshold_ms:g} ms, so put requests on a queue and "
                           "score them asynchronously; this absorbs bursts and lets workers "
                           "batch.")
