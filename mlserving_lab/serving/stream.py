"""Streaming / micro-batch prediction over an iterator of events (lesson 03).

Public API
----------
simulate_event_stream  replay rows of a table as events arriving at a given rate
MicroBatchPredictor    streaming / micro-batch scoring over an iterator of events
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Mapping

import numpy as np

from mlserving_lab._validation import check_array, check_positive_int, check_table
from mlserving_lab.measure import LatencyReport
from mlserving_lab.serving._common import is_dataframe, resolve_method

__all__ = ["MicroBatchPredictor", "simulate_event_stream"]


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
    if is_dataframe(X):
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
        self._fn = resolve_method(model, method)
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
