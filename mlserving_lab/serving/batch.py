"""Batch scoring: a big table or a stream of chunks in bounded memory, locally or with Dask.

Lesson 03.

Public API
----------
batch_predict       score a big table or a stream of chunks in bounded memory (n_jobs, tqdm)
iter_batch_predict  the same, yielding one result per batch (write results as you go)
dask_predict        the same scoring on a Dask DataFrame via map_partitions (optional extra)
"""

from __future__ import annotations

import os

import numpy as np

from mlserving_lab._validation import check_positive_int, check_table, feature_names, row_slice
from mlserving_lab.serving._common import is_dataframe, resolve_method

__all__ = ["batch_predict", "dask_predict", "iter_batch_predict"]


def _is_table(X) -> bool:
    return is_dataframe(X) or hasattr(X, "shape") or isinstance(X, (list, tuple))


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
    if isinstance(X, (list, tuple)) and X and (is_dataframe(X[0]) or np.ndim(X[0]) == 2):
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
        if _is_table(chunk) and not is_dataframe(chunk) and not hasattr(chunk, "shape"):
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
    fn = resolve_method(model, method)
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

    resolve_method(model, method)
    dd = _import_dask_dataframe()
    if not hasattr(data, "map_partitions"):
        data, _ = check_table(data)
        if not is_dataframe(data):
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
