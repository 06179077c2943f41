"""Latency-accuracy trade-offs: one table for many models, the Pareto frontier, a budget choice.

Lesson 05.

Public API
----------
evaluate_models        fit (optionally) and measure a dict of models into one DataFrame
pareto_mask            which rows of a table are Pareto-optimal (non-dominated; ties kept)
pareto_frontier        the Pareto-optimal rows, sorted by latency
plot_frontier          scatter of every model, frontier highlighted, budget line
choose_within_budget   the most accurate model whose latency fits a budget
NoModelFitsBudgetError raised when no model fits (a ValueError)
"""

from __future__ import annotations

import numpy as np

from mlserving_lab._plotting import readable_log_axis
from mlserving_lab._validation import check_array, check_positive_int
from mlserving_lab.errors import (
    NoModelFitsBudgetError,
)
from mlserving_lab.measure import measure_models

__all__ = [
    "NoModelFitsBudgetError",
    "choose_within_budget",
    "evaluate_models",
    "pareto_frontier",
    "pareto_mask",
    "plot_frontier",
]

# The latency numbers of evaluate_models' table, per call of batch_size rows.
_LATENCY_COLUMNS = ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms", "throughput_rows_s")


def evaluate_models(models: dict, X_test, y_test, *, X_train=None, y_train=None,
                    n_runs: int = 200, warmup: int = 20, batch_size: int = 1,
                    scoring=None, score_name: str = "accuracy",
                    measure_size: bool = True):
    """Measure score and per-request latency of every model into one table.

    Lesson 05. When ``X_train``/``y_train`` are given each model is fitted first (in place);
    otherwise the models must already be fitted. The score is measured on the full test set;
    latency on ``batch_size``-row calls (one row by default, which is what a real-time request
    costs) with :func:`mlserving_lab.measure.measure_models`, which times the models
    round-robin (one call each in turn) so that machine noise hits all of them alike.

    Parameters
    ----------
    models : dict of {str: estimator}
        Name -> model. The names become the table index.
    X_test, y_test : array-like / DataFrame, array-like
        Held-out data for the score and the latency rows.
    X_train, y_train : optional
        Fit every model on these first.
    n_runs, warmup, batch_size : int
        Timed calls per model, untimed calls per model first, rows per call.
    scoring : callable, optional
        ``scoring(y_true, y_pred) -> float``; default ``sklearn.metrics.accuracy_score``.
    score_name : str, default "accuracy"
        Name of the score column.
    measure_size : bool, default True
        Add ``size_kb``: ``serialized_size(model) / 1024``, the KiB of the model's file (NaN
        for an object that cannot be serialized), a rough memory footprint.

    Returns
    -------
    pandas.DataFrame
        Indexed by model name, columns ``[score_name, p50_ms, p95_ms, p99_ms, mean_ms,
        max_ms, throughput_rows_s, (size_kb)]``, in the order of ``models``.

    Raises
    ------
    TypeError
        If ``models`` is not a non-empty dict of objects with ``predict``.
    ValueError
        If test data are empty/mismatched, or only one of X_train / y_train is given.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlserving_lab.datasets import make_classification_split
    >>> X_tr, X_te, y_tr, y_te = make_classification_split(n_samples=200)
    >>> t = evaluate_models({"lr": LogisticRegression()}, X_te, y_te, X_train=X_tr,
    ...                     y_train=y_tr, n_runs=20, warmup=2)
    >>> list(t.columns[:4])
    ['accuracy', 'p50_ms', 'p95_ms', 'p99_ms']
    """
    if not isinstance(models, dict) or not models:
        raise TypeError("models must be a non-empty dict {name: model}, got "
                        f"{type(models).__name__ if not isinstance(models, dict) else 'an empty dict'}")
    for name, m in models.items():
        if not callable(getattr(m, "predict", None)):
            raise TypeError(f"models[{name!r}] is a {type(m).__name__} without a predict method")
    if (X_train is None) != (y_train is None):
        raise ValueError("give both X_train and y_train to fit the models, or neither")
    n_runs = check_positive_int(n_runs, "n_runs")
    check_array(X_test, name="X_test")
    y_arr = np.asarray(y_test)
    if y_arr.ndim != 1 or len(y_arr) != len(X_test):
        raise ValueError(f"y_test must be 1-D with one label per row of X_test "
                         f"({len(X_test)} rows), got shape {y_arr.shape}")
    if scoring is None:
        from sklearn.metrics import accuracy_score as scoring

    if X_train is not None:
        for model in models.values():
            model.fit(X_train, y_train)
    table = measure_models(models, X_test, y_test, n_runs=n_runs, warmup=warmup,
                           batch_size=batch_size, sizes=measure_size,
                           latency_columns=_LATENCY_COLUMNS, scoring=scoring,
                           score_name=score_name)
    table = table[[score_name, *_LATENCY_COLUMNS, *(["size_kb"] if measure_size else [])]]
    table.index.name = "model"
    return table


def _check_columns(table, latency: str, score: str):
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame (one row per model), got "
                        f"{type(table).__name__}")
    for col in (latency, score):
        if col not in table.columns:
            raise ValueError(f"table has no column {col!r}; its columns are "
                             f"{list(map(str, table.columns))}")
    lat = pd.to_numeric(table[latency], errors="coerce").to_numpy(dtype=float)
    sc = pd.to_numeric(table[score], errors="coerce").to_numpy(dtype=float)
    for col, vals in ((latency, lat), (score, sc)):
        bad = ~np.isfinite(vals)
        if bad.any():
            who = table.index[np.flatnonzero(bad)[0]]
            raise ValueError(f"column {col!r} is missing or not a finite number for model "
                             f"{who!r}")
    if (lat < 0).any():
        who = table.index[np.flatnonzero(lat < 0)[0]]
        raise ValueError(f"latency column {latency!r} is negative for model {who!r}")
    return lat, sc


def pareto_mask(table, *, latency: str = "p99_ms", score: str = "accuracy"):
    """Mark the Pareto-optimal rows: no other row is at least as fast AND at least as good,
    and strictly better in one of the two.

    Lesson 05. Lower latency and higher score are better. Ties are kept: two models with
    identical latency and score do not dominate each other, so both stay on the frontier.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per model.
    latency : str, default "p99_ms"
        Latency column (lower is better). The tail is what a latency SLA constrains.
    score : str, default "accuracy"
        Quality column (higher is better).

    Returns
    -------
    pandas.Series of bool
        Indexed like ``table``, named "pareto". Empty for an empty table.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame.
    ValueError
        If a column is missing, holds NaN / non-numbers, or latency is negative.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"p99_ms": [1, 2, 3], "accuracy": [0.8, 0.7, 0.9]}, index=list("abc"))
    >>> pareto_mask(t).tolist()
    [True, False, True]
    """
    import pandas as pd

    lat, sc = _check_columns(table, latency, score)
    # dominated[i] is True if some j has lat_j <= lat_i and sc_j >= sc_i with one strict.
    no_worse = (lat[None, :] <= lat[:, None]) & (sc[None, :] >= sc[:, None])
    better = (lat[None, :] < lat[:, None]) | (sc[None, :] > sc[:, None])
    dominated = (no_worse & better).any(axis=1)
    return pd.Series(~dominated, index=table.index, name="pareto", dtype=bool)


def pareto_frontier(table, *, latency: str = "p99_ms", score: str = "accuracy"):
    """The Pareto-optimal rows of ``table``, sorted from fastest to slowest.

    Lesson 05. See :func:`pareto_mask` for the definition (ties stay on the frontier).

    Parameters
    ----------
    table : pandas.DataFrame
    latency : str, default "p99_ms"
    score : str, default "accuracy"

    Returns
    -------
    pandas.DataFrame
        A subset of ``table`` (same columns), sorted by latency then by descending score.

    Raises
    ------
    TypeError, ValueError
        As :func:`pareto_mask`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"p99_ms": [3, 1, 2], "accuracy": [0.9, 0.8, 0.7]}, index=list("abc"))
    >>> list(pareto_frontier(t).index)
    ['b', 'a']
    """
    mask = pareto_mask(table, latency=latency, score=score)
    front = table[mask.to_numpy()]
    return front.sort_values([latency, score], ascending=[True, False], kind="mergesort")


def choose_within_budget(table, budget_ms: float, *, latency: str = "p99_ms",
                         score: str = "accuracy"):
    """The most accurate model whose latency is within ``budget_ms``.

    Lesson 05. A model fits when ``table[latency] <= budget_ms`` (a latency exactly on the
    budget fits). Among the models that fit, take the highest score; on a tie of score, the
    lower latency; on a full tie (same score and same latency), the name that sorts first
    (``sorted`` order of the index labels; of their ``str`` when labels of different types
    cannot be compared). The answer does not depend on the order of the table's rows, and the
    chosen model is always on the Pareto frontier.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per model (e.g. from :func:`evaluate_models`).
    budget_ms : float
        Latency budget for the model, in the units of ``latency`` (milliseconds).
    latency : str, default "p99_ms"
    score : str, default "accuracy"

    Returns
    -------
    The index label (model name) of the chosen row.

    Raises
    ------
    NoModelFitsBudgetError
        (a ValueError) if no model fits; the message names the fastest model and its
        latency.
    ValueError
        If the budget is not a positive number, the table is empty, or a column is invalid.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"p99_ms": [1, 5, 30], "accuracy": [0.8, 0.85, 0.9]},
    ...                  index=["lr", "rf", "gbm"])
    >>> choose_within_budget(t, 10)
    'rf'
    >>> tied = pd.DataFrame({"p99_ms": [2.0, 2.0, 1.0], "accuracy": [0.9, 0.9, 0.8]},
    ...                     index=["svm", "gbm", "lr"])
    >>> choose_within_budget(tied, 5)  # same accuracy and p99: the name that sorts first
    'gbm'
    """
    if isinstance(budget_ms, (bool, np.bool_)) or not isinstance(budget_ms, (int, float,
                                                                              np.number)) \
            or not np.isfinite(budget_ms) or budget_ms <= 0:
        raise ValueError(f"budget_ms must be a positive number of milliseconds, got "
                         f"{budget_ms!r}")
    lat, sc = _check_columns(table, latency, score)
    if len(table) == 0:
        raise ValueError("table is empty: there are no models to choose from")
    fits = np.flatnonzero(lat <= budget_ms)
    if fits.size == 0:
        k = int(np.argmin(lat))
        raise NoModelFitsBudgetError(
            f"no model fits the {budget_ms:g} ms budget on {latency}: the fastest, "
            f"{table.index[k]!r}, takes {lat[k]:.3g} ms. Raise the budget, or make a model "
            "faster (ONNX Runtime, fewer/shallower trees, a simpler family).")
    best = fits[sc[fits] == sc[fits].max()]
    best = best[lat[best] == lat[best].min()]
    return table.index[best[_first_by_name(table.index[best])]]


def _first_by_name(labels) -> int:
    """Position of the label that sorts first (``sorted`` order; ``str`` order as a fallback)."""
    labels = list(labels)
    try:
        return min(range(len(labels)), key=lambda i: labels[i])
    except TypeError:  # labels of types that do not compare (e.g. 1 and "a")
        return min(range(len(labels)), key=lambda i: str(labels[i]))


def plot_frontier(table, *, latency: str = "p99_ms", score: str = "accuracy",
                  budget_ms: float | None = None, ax=None, annotate: bool = True,
                  logx: bool = True):
    """Scatter every model (latency on x, score on y), highlight the Pareto frontier and
    draw the budget.

    Lesson 05.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per model.
    latency : str, default "p99_ms"
    score : str, default "accuracy"
    budget_ms : float, optional
        Draws a vertical budget line and shades the region beyond it.
    ax : matplotlib Axes, optional
    annotate : bool, default True
        Write each model's name next to its point.
    logx : bool, default True
        Log-scale latency axis (latencies often span orders of magnitude).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError, ValueError
        As :func:`pareto_mask`; also ValueError for an empty table.
    """
    import matplotlib.pyplot as plt

    lat, sc = _check_columns(table, latency, score)
    if len(table) == 0:
        raise ValueError("table is empty: nothing to plot")
    mask = pareto_mask(table, latency=latency, score=score).to_numpy()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(lat[~mask], sc[~mask], color="#bdbdbd", edgecolor="#636363", s=45,
               label="dominated", zorder=2)
    ax.scatter(lat[mask], sc[mask], color="#de2d26", edgecolor="black", s=70,
               label="Pareto-optimal", zorder=3)
    order = np.lexsort((-sc[mask], lat[mask]))
    ax.step(lat[mask][order], sc[mask][order], where="post", color="#de2d26", linewidth=1.2,
            alpha=0.7, zorder=1)
    if annotate:
        for name, x, y in zip(table.index, lat, sc, strict=True):
            ax.annotate(str(name), (x, y), textcoords="offset points", xytext=(5, 4),
                        fontsize="small")
    if logx and (lat > 0).all():
        readable_log_axis(ax, float(lat.min()), max(float(lat.max()), budget_ms or 0.0))
    if budget_ms is not None:
        ax.axvline(budget_ms, color="#3182bd", linestyle="--", linewidth=1.5,
                   label=f"budget {budget_ms:g} ms")
        hi = max(float(lat.max()) * 2, budget_ms * 2)
        ax.axvspan(budget_ms, hi, color="#3182bd", alpha=0.07, zorder=0)
        ax.set_xlim(right=hi)
    ax.set_xlabel(f"{latency} (lower is better)")
    ax.set_ylabel(f"{score} (higher is better)")
    ax.set_title("latency vs accuracy: the Pareto frontier")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    return ax
