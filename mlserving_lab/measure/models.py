"""Model tables: size on disk, outputs, and one table that measures a set of models.

- :func:`serialized_size` is the size in bytes of an object in its natural file format;
  ``size_kb`` is always that number divided by 1024 (KiB);
- :func:`measure_models` measures a dict of models into one pandas table (quality, size,
  latency), timing them round-robin;
- :func:`compare_models` is that table with the first model as the reference.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

from mlserving_lab._torch import quiet_torch
from mlserving_lab._validation import check_array
from mlserving_lab.measure.latency import LatencyReport, round_robin_latency

if TYPE_CHECKING:  # pandas is imported lazily at run time
    import pandas as pd

__all__ = ["compare_models", "measure_models", "model_outputs", "serialized_size"]


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


def measure_models(models: dict, X, y=None, *, reference=None, n_runs: int = 200,
                   warmup: int = 20, batch_size: int = 1, sizes: bool = True,
                   latency: bool = True,
                   latency_columns=("p50_ms", "p99_ms", "throughput_rows_s"),
                   scoring=None, score_name: str = "accuracy") -> pd.DataFrame:
    """Measure a set of models into one table: quality, size on disk and latency.

    Lessons 02 and 05. Every table in the library that compares models is built here, so a
    column means the same thing wherever it appears:

    - ``score_name`` (default ``accuracy``), when ``y`` is given: the fraction of labels equal
      to ``y`` (NaN for a model without class labels, no column when no model has them), or
      ``scoring(y, predictions)`` when ``scoring`` is given;
    - ``agreement`` and ``max_abs_diff``, when ``reference`` is given: the fraction of labels
      equal to the reference model's, and the largest absolute difference between the
      probabilities (or values) of the two;
    - ``size_kb``: ``serialized_size(model) / 1024``, the KiB of the model's natural file
      format (NaN for an object that cannot be serialized);
    - the ``latency_columns`` of a :class:`LatencyReport`, per call of ``batch_size`` rows.

    **Timing is round-robin.** All models are timed in the same loop: in round ``i`` model A
    scores request ``i``, then model B scores the same request, and so on, each call timed on
    its own; ``warmup`` untimed rounds run first. Noise on a shared machine (another process,
    a frequency change, a garbage collection) therefore hits every model alike, where timing
    one model after the other would let it fall on whichever model happened to be running.
    Requests are the distinct ``batch_size``-row slices of ``X``, cut before the loop and
    reused cyclically, exactly as in :func:`~mlserving_lab.measure.benchmark_latency` (the
    single-function harness).

    Parameters
    ----------
    models : dict of name -> model
        Anything with ``predict`` (and ``predict_proba`` for the probability columns), or a
        plain callable; torch modules are wrapped in :class:`mlserving_lab.export.TorchPredictor`.
        The names become the table index, in the order of the dict.
    X : array-like or DataFrame
        Held-out rows, for the quality columns and the latency requests.
    y : array-like, optional
        True labels; adds the ``score_name`` column.
    reference : hashable, optional
        Key of the model the others are compared with; adds ``agreement`` and
        ``max_abs_diff``.
    n_runs : int, default 200
        Timed calls per model.
    warmup : int, default 20
        Untimed calls per model before timing (0 disables warm-up).
    batch_size : int, default 1
        Rows per timed call; 1 is what a real-time request costs.
    sizes : bool, default True
        Add ``size_kb``.
    latency : bool, default True
        Time the models; False leaves the latency columns out (and ignores ``n_runs``,
        ``warmup`` and ``batch_size``).
    latency_columns : sequence of str, default ("p50_ms", "p99_ms", "throughput_rows_s")
        Which :meth:`LatencyReport.to_dict` numbers become columns.
    scoring : callable, optional
        ``scoring(y_true, y_pred) -> float`` on the model's ``predict`` output, instead of
        label accuracy.
    score_name : str, default "accuracy"
        Name of the score column.

    Returns
    -------
    pandas.DataFrame
        Indexed by name; columns, where they apply, in this order: ``score_name``,
        ``agreement``, ``max_abs_diff``, ``size_kb``, then ``latency_columns``.

    Raises
    ------
    ValueError
        If ``models`` is empty, ``reference`` is not one of its keys, ``y`` has a different
        length than ``X``, a latency column is unknown, or a count is invalid.
    TypeError
        If a model has no ``predict`` and is not callable.

    See Also
    --------
    benchmark_latency : time one predict function.
    compare_models : this table with the first model as the reference.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
    >>> models = {"lr": LogisticRegression().fit(X, y),
    ...           "tree": DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)}
    >>> table = measure_models(models, X, y, reference="lr", n_runs=20, warmup=2)
    >>> list(table.columns)
    ['accuracy', 'agreement', 'max_abs_diff', 'size_kb', 'p50_ms', 'p99_ms', 'throughput_rows_s']
    >>> float(table.loc["lr", "agreement"])
    1.0
    """
    import pandas as pd

    if not isinstance(models, dict) or not models:
        raise ValueError("models must be a non-empty dict of name -> model")
    if reference is not None and reference not in models:
        raise ValueError(f"reference {reference!r} is not one of the models: {list(models)}")
    unknown = [c for c in latency_columns if c not in _LATENCY_FIELDS]
    if unknown:
        raise ValueError(f"unknown latency column(s) {unknown}; choose from "
                         f"{list(_LATENCY_FIELDS)}")
    check_array(X, name="X")
    y_given = y
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} labels but X has {len(X)} rows")
    wrapped = {key: _as_model(m, key) for key, m in models.items()}
    rows = {key: {} for key in wrapped}

    label_accuracy = y is not None and scoring is None
    if y is not None and scoring is not None:
        for key, m in wrapped.items():
            rows[key][score_name] = float(scoring(y_given, _predictions(m, X)))
    if label_accuracy or reference is not None:
        outputs = {key: model_outputs(m, X) for key, m in wrapped.items()}
        ref_out, ref_labels = outputs[reference] if reference is not None else (None, None)
        for key, (out, labels) in outputs.items():
            row = rows[key]
            if label_accuracy and labels is not None:
                row[score_name] = _label_match(labels, y)
            if reference is None:
                continue
            if labels is not None and ref_labels is not None:
                row["agreement"] = _label_match(labels, ref_labels)
            row["max_abs_diff"] = (float(np.max(np.abs(out - ref_out)))
                                   if out.shape == ref_out.shape else float("nan"))
    if sizes:
        for key, m in wrapped.items():
            rows[key]["size_kb"] = _size_kb(m)
    if latency:
        fns = {key: _predict_fn(m) for key, m in wrapped.items()}
        reports = round_robin_latency(fns, X, n_runs=n_runs, warmup=warmup,
                                      batch_size=batch_size)
        for key, report in reports.items():
            values = report.to_dict()
            rows[key].update({c: values[c] for c in latency_columns})
    # One Series per model: columns are the union, in order of first appearance (NaN if absent).
    return pd.DataFrame([pd.Series(row, name=key, dtype=float) for key, row in rows.items()])


def compare_models(models: dict, X, y=None, *, reference: str | None = None,
                   n_runs: int = 200, warmup: int = 20) -> pd.DataFrame:
    """One row per model: accuracy, agreement with a reference, size and one-row latency.

    Lesson 02. The table behind every "which variant do we ship?" decision in the lesson:
    :func:`measure_models` with the first model as the default reference (latency on one row
    per call, timed round-robin).

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
        Timed and untimed calls per model.

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
    if isinstance(models, dict) and models and reference is None:
        reference = next(iter(models))
    return measure_models(models, X, y, reference=reference, n_runs=n_runs, warmup=warmup)


# The numbers a LatencyReport offers as columns (p50_ms ... batch_size).
_LATENCY_FIELDS = tuple(LatencyReport.from_samples([0.0]).to_dict())


def _as_model(model, key):
    """Torch modules without ``predict`` get a :class:`TorchPredictor`; the rest as given."""
    if type(model).__module__.startswith("torch") and not hasattr(model, "predict"):
        from mlserving_lab.export import TorchPredictor

        return TorchPredictor(model, name=str(key))
    return model


def _predict_fn(model):
    fn = getattr(model, "predict", None)
    fn = fn if callable(fn) else model
    if not callable(fn):
        raise TypeError(f"cannot time {type(model).__name__}: it has no predict method and is "
                        "not callable")
    return fn


def _predictions(model, X):
    return _predict_fn(model)(X)


def _label_match(a, b) -> float:
    """Fraction of equal labels: numbers compared as numbers, anything else as text."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
        return float(np.mean(a == b))
    return float(np.mean(a.astype(str) == b.astype(str)))


def _size_kb(model) -> float:
    try:
        return serialized_size(model) / 1024
    except Exception:  # unserializable objects (e.g. a raw session) have no size here
        return float("nan")


def model_outputs(model, X):
    """(probabilities or values, labels or None) of ``model`` on ``X``.

    Torch modules are wrapped in :class:`mlserving_lab.export.TorchPredictor` first.
    """
    model = _as_model(model, "torch")
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
