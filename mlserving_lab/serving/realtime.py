"""Real-time prediction: one validated, fallback-protected request at a time (lesson 03).

Public API
----------
RealTimePredictor  thread-safe one-request predictor: validation, fallback, latency
PredictorStats     its counters (requests, ok, fallbacks, rejected, errors)
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mlserving_lab._validation import check_array, check_n_features, check_positive_int
from mlserving_lab.measure import LatencyReport
from mlserving_lab.serving._common import is_dataframe, resolve_method

__all__ = ["PredictorStats", "RealTimePredictor"]

# The logger keeps the package's name, so existing logging configuration still applies.
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
        E.g. ``mlserving_lab.schema.InputSchema``: returns model-ready data or raises a
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
        self._fn = resolve_method(model, method)
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

    def __getstate__(self) -> dict:
        """Picklable state: the locks, the bound predict method and the default logger are
        rebuilt on load, so a predictor can be saved or sent to another process."""
        state = dict(self.__dict__)
        del state["_fn"], state["_lock"]
        state["_model_lock"] = self._model_lock is not None
        if state["logger"] is _LOG:
            state["logger"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        lock_model = state.pop("_model_lock")
        self.__dict__.update(state)
        self.logger = self.logger or _LOG
        self._fn = resolve_method(self.model, self.method)
        self._lock = threading.Lock()
        self._model_lock = threading.Lock() if lock_model else None

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
        if hasattr(X, "to_frame") and not is_dataframe(X):
            X = X.to_frame().T
        elif not isinstance(X, Mapping) and not is_dataframe(X) and np.ndim(X) == 1:
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
        if is_dataframe(X) and self.feature_names is not None:
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
