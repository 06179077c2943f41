"""Drift plots: one feature's reference and current distributions, PSI per feature.

Lesson 07.
"""

from __future__ import annotations

import numpy as np

from mlserving_lab.drift._common import is_categorical_dtype, pair
from mlserving_lab.drift._ks import ks_statistic_sorted
from mlserving_lab.drift.stats import PSI_BANDS, category_table, psi_band

__all__ = ["plot_feature_drift", "plot_psi"]


def plot_feature_drift(reference, current, *, kind="ecdf", bins=30, categorical=None,
                       title=None, ax=None):
    """Reference and current distributions of one feature, overlaid.

    Lesson 07. The ECDF view shows exactly what KS measures (the largest vertical gap, marked
    with a line); the histogram view shows what PSI bins.

    Parameters
    ----------
    reference, current : array-like
        1-D samples.
    kind : {"ecdf", "hist"}, default "ecdf"
    bins : int, default 30
        Histogram bins (``kind="hist"``).
    categorical : bool, optional
        Draw share bars per category. Default: True for non-numeric data.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        Unknown ``kind``.
    """
    import matplotlib.pyplot as plt

    if kind not in ("ecdf", "hist"):
        raise ValueError(f"kind must be 'ecdf' or 'hist', got {kind!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    ref_raw = np.asarray(reference)
    if categorical is None:
        categorical = is_categorical_dtype(ref_raw.dtype)
    if categorical:
        table = category_table(reference, current)
        x = np.arange(len(table))
        ax.bar(x - 0.2, table["ref_share"], width=0.4, label="reference")
        ax.bar(x + 0.2, table["cur_share"], width=0.4, label="current")
        labels = [f"{c}*" if u else str(c) for c, u in zip(table.index, table["unseen"],
                                                            strict=True)]
        ax.set_xticks(x, labels, rotation=45 if len(labels) > 6 else 0)
        ax.set_ylabel("share (* = unseen in reference)")
    else:
        ref, cur, _, _ = pair(np.asarray(reference, dtype=float), np.asarray(current,
                                                                                 dtype=float))
        ref, cur = np.sort(ref[:, 0]), np.sort(cur[:, 0])
        if kind == "ecdf":
            ax.step(ref, np.arange(1, ref.size + 1) / ref.size, where="post", label="reference")
            ax.step(cur, np.arange(1, cur.size + 1) / cur.size, where="post", label="current")
            d = ks_statistic_sorted(ref, cur)
            grid = np.concatenate([ref, cur])
            gap = np.abs(np.searchsorted(ref, grid, "right") / ref.size
                         - np.searchsorted(cur, grid, "right") / cur.size)
            at = grid[np.argmax(gap)]
            f1 = np.searchsorted(ref, at, "right") / ref.size
            f2 = np.searchsorted(cur, at, "right") / cur.size
            ax.vlines(at, min(f1, f2), max(f1, f2), colors="k", linestyles="--",
                      label=f"KS D = {d:.3f}")
            ax.set_ylabel("ECDF")
        else:
            edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins=bins)
            ax.hist(ref, edges, density=True, alpha=0.5, label="reference")
            ax.hist(cur, edges, density=True, alpha=0.5, label="current")
            ax.set_ylabel("density")
    if title is not None:
        ax.set_title(str(title))
    ax.legend(fontsize="small")
    return ax


def plot_psi(report, *, ax=None):
    """Bar chart of PSI per feature with the 0.1 and 0.25 severity bands.

    Lesson 07.

    Parameters
    ----------
    report : pandas.DataFrame
        A :meth:`DriftDetector.score` result (columns ``feature`` and ``psi``), or any
        DataFrame with those columns.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the ``feature`` or ``psi`` column is missing.
    """
    import matplotlib.pyplot as plt

    for col in ("feature", "psi"):
        if col not in getattr(report, "columns", ()):
            raise ValueError(f"report needs a {col!r} column (pass DriftDetector.score(...))")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(report) + 2), 3.2))
    values = report["psi"].to_numpy(dtype=float)
    colors = {"stable": "tab:green", "moderate": "tab:orange", "major": "tab:red"}
    ax.bar(report["feature"].astype(str), values,
           color=[colors[b] for b in psi_band(values)])
    low, high = PSI_BANDS
    ax.axhline(low, color="tab:orange", linestyle="--", linewidth=1, label=f"{low} moderate")
    ax.axhline(high, color="tab:red", linestyle="--", linewidth=1, label=f"{high} major")
    ax.set_ylabel("PSI")
    ax.tick_params(axis="x", rotation=45 if len(report) > 8 else 0)
    ax.legend(fontsize="small")
    return ax

