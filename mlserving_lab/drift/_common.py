"""Input handling, PSI and category kernels shared by :mod:`mlserving_lab.drift` (private)."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import pandas as pd

from mlserving_lab._validation import check_array, check_positive_int, feature_names
from mlserving_lab.errors import LowPowerWarning

LOW_POWER_N = 30
DEFAULT_EPS = 1e-4


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------

def is_frame(X) -> bool:
    return isinstance(X, pd.DataFrame)


def as_1d_or_2d(X, name: str) -> tuple[np.ndarray, bool, list[str]]:
    """Validate numeric input; return (2-D float array, was_1d, names)."""
    if isinstance(X, pd.Series):
        X = X.to_frame()
        arr = check_array(X, name=name, ndim=2)
        return arr, True, [str(c) for c in X.columns]
    ndim = np.ndim(X) if not is_frame(X) else 2
    if ndim == 1:
        arr = check_array(X, name=name, ndim=1)
        return arr.reshape(-1, 1), True, ["x0"]
    if ndim == 0 and not is_frame(X):
        raise TypeError(f"{name} must be a 1-D or 2-D array or a DataFrame, got "
                        f"{type(X).__name__} {X!r}")
    arr = check_array(X, name=name, ndim=2)
    return arr, False, feature_names(X, arr.shape[1])


def pair(reference, current) -> tuple[np.ndarray, np.ndarray, bool, list[str]]:
    ref, ref_1d, names = as_1d_or_2d(reference, "reference")
    cur, cur_1d, _ = as_1d_or_2d(current, "current")
    if ref.shape[1] != cur.shape[1]:
        raise ValueError(f"reference has {ref.shape[1]} column(s) but current has "
                         f"{cur.shape[1]}; compare the same features")
    if is_frame(reference) and is_frame(current):
        ref_cols = [str(c) for c in reference.columns]
        cur_cols = [str(c) for c in current.columns]
        if ref_cols != cur_cols:
            raise ValueError(f"reference columns {ref_cols} and current columns {cur_cols} "
                             "differ; select the same columns in the same order")
    return ref, cur, ref_1d and cur_1d, names


def warn_low_power(n_ref: int, n_cur: int, threshold: int = LOW_POWER_N) -> None:
    if min(n_ref, n_cur) < threshold:
        # Asymptotic 5% critical value of the two-sample KS statistic (c(0.05) = 1.358).
        d_crit = 1.358 * math.sqrt((n_ref + n_cur) / (n_ref * n_cur))
        warnings.warn(
            f"small samples (reference {n_ref} rows, current {n_cur} rows): the p-values are "
            f"exact, but the test has little power -- at alpha=0.05 it only detects ECDF gaps "
            f"of about {min(d_crit, 1.0):.2f} or more. Use longer windows for monitoring.",
            LowPowerWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------------------------
# PSI bins
# --------------------------------------------------------------------------------------------

def quantile_edges(ref_col: np.ndarray, bins: int) -> np.ndarray:
    """Interior bin edges: reference quantiles, duplicates collapsed (outer bins are open)."""
    q = np.quantile(ref_col, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(q)


def fill_empty(shares: np.ndarray, eps) -> np.ndarray:
    shares = np.asarray(shares, dtype=np.float64).copy()
    zero = shares == 0
    if not zero.any():
        return shares
    if eps is None:  # evidently's rule: 1e-4, or far below the smallest observed share
        smallest = shares[~zero].min()
        fill = smallest / 1e6 if smallest <= 1e-4 else 1e-4
    else:
        fill = eps
    shares[zero] = fill
    return shares


def psi_from_shares(ref_shares, cur_shares, eps) -> float:
    r = fill_empty(ref_shares, eps)
    c = fill_empty(cur_shares, eps)
    return float(np.sum((c - r) * np.log(c / r)))


def counts_in_bins(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in bins (-inf, e1], (e1, e2], ..., (e_k, inf)."""
    return np.bincount(np.searchsorted(edges, x, side="left"), minlength=edges.size + 1)


def counts_sorted(x_sorted: np.ndarray, edges: np.ndarray) -> np.ndarray:
    cum = np.searchsorted(x_sorted, edges, side="right")
    return np.diff(np.concatenate(([0], cum, [x_sorted.size])))


def psi_1d(ref: np.ndarray, cur: np.ndarray, bins: int, eps, strategy: str) -> float:
    if strategy == "quantile":
        edges = quantile_edges(ref, bins)
        r = counts_in_bins(ref, edges) / ref.size
        c = counts_in_bins(cur, edges) / cur.size
        return psi_from_shares(r, c, DEFAULT_EPS if eps is None else eps)
    # strategy == "sturges": evidently's numeric PSI
    if np.unique(ref).size > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        r = np.histogram(ref, edges)[0] / ref.size
        c = np.histogram(cur, edges)[0] / cur.size
    else:  # evidently treats a column with <= 20 distinct reference values per value
        keys = np.union1d(ref, cur)
        r = np.zeros(keys.size)
        c = np.zeros(keys.size)
        values, counts = np.unique(ref, return_counts=True)
        r[np.searchsorted(keys, values)] = counts / ref.size
        values, counts = np.unique(cur, return_counts=True)
        c[np.searchsorted(keys, values)] = counts / cur.size
    return psi_from_shares(r, c, eps)


def check_psi_args(bins, eps, strategy):
    bins = check_positive_int(bins, "bins")
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    if strategy not in ("quantile", "sturges"):
        raise ValueError(f"strategy must be 'quantile' or 'sturges', got {strategy!r}")
    if eps is not None:
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
            raise TypeError(f"eps must be a small positive number or None, got {eps!r}")
        if not 0 < eps < 1:
            raise ValueError(f"eps must be between 0 and 1 (exclusive), got {eps}")
    return bins


# --------------------------------------------------------------------------------------------
# Categorical features
# --------------------------------------------------------------------------------------------

def as_category_series(x, name: str) -> pd.Series:
    if isinstance(x, pd.DataFrame):
        if x.shape[1] != 1:
            raise ValueError(f"{name} must be one column, got a DataFrame with {x.shape[1]}")
        x = x.iloc[:, 0]
    s = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x, dtype=object))
    if s.ndim != 1:
        raise ValueError(f"{name} must be 1-D")
    if len(s) == 0:
        raise ValueError(f"{name} is empty (0 rows)")
    n_missing = int(s.isna().sum())
    if n_missing:
        raise ValueError(f"{name} has {n_missing} missing value(s); drop or fill them first "
                         "(e.g. fillna('missing') to make missing a category)")
    return s



def category_table_from_counts(ref_counts: pd.Series, cur: pd.Series) -> pd.DataFrame:
    cur_counts = cur.value_counts(sort=False)
    ref_index = pd.Index(ref_counts.index, dtype=object)
    cur_index = pd.Index(cur_counts.index, dtype=object)
    unseen = cur_index.difference(ref_index, sort=False)
    cats = ref_index.append(unseen)
    table = pd.DataFrame(index=cats)
    table.index.name = "category"
    table["ref_count"] = pd.Series(ref_counts.to_numpy(), index=ref_index).reindex(
        cats, fill_value=0).astype(np.int64).to_numpy()
    table["cur_count"] = pd.Series(cur_counts.to_numpy(), index=cur_index).reindex(
        cats, fill_value=0).astype(np.int64).to_numpy()
    table["ref_share"] = table["ref_count"] / table["ref_count"].sum()
    table["cur_share"] = table["cur_count"] / table["cur_count"].sum()
    table["unseen"] = ~table.index.isin(ref_index)
    return table


def chi2_from_table(table: pd.DataFrame) -> tuple[float, float]:
    from scipy.stats import chi2_contingency

    counts = np.vstack([table["ref_count"].to_numpy(), table["cur_count"].to_numpy()])
    if counts.shape[1] < 2:
        return 0.0, 1.0  # one category in both samples: nothing can differ
    res = chi2_contingency(counts, correction=False)
    return float(res.statistic), float(res.pvalue)



def js_from_shares(p, q) -> float:
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(np.asarray(p, float), np.asarray(q, float), base=2))


def is_categorical_dtype(dtype) -> bool:
    kind = getattr(dtype, "kind", "O")
    return kind in "bOUSM" or isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)) \
        or str(dtype) in ("str", "string", "boolean", "category")

