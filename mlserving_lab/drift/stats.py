"""Two-sample drift tests and scores: KS, PSI, chi-square, Jensen-Shannon, p-value corrections.

Lesson 07. Each function compares one reference sample with one current sample (or every
column of two tables). :class:`~mlserving_lab.drift.DriftDetector` computes the same numbers
for many windows against one fitted reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlserving_lab.drift._common import (
    as_category_series,
    category_table_from_counts,
    check_psi_args,
    chi2_from_table,
    counts_in_bins,
    is_categorical_dtype,
    is_frame,
    js_from_shares,
    pair,
    psi_1d,
    quantile_edges,
    warn_low_power,
)
from mlserving_lab.drift._ks import ks_many

__all__ = [
    "CORRECTIONS",
    "PSI_BANDS",
    "adjust_pvalues",
    "category_table",
    "chi2_test",
    "js_distance",
    "ks_test",
    "psi",
    "psi_band",
]

#: PSI severity bands: below 0.1 "stable", 0.1 to 0.25 "moderate", 0.25 and above "major".
PSI_BANDS = (0.1, 0.25)
#: Multiple-testing corrections understood by :func:`adjust_pvalues` and :class:`DriftDetector`.
CORRECTIONS = ("bonferroni", "holm", "bh", "none")


# --------------------------------------------------------------------------------------------
# Kolmogorov-Smirnov
# --------------------------------------------------------------------------------------------

def ks_test(reference, current):
    """Two-sample Kolmogorov-Smirnov test, identical to ``scipy.stats.ks_2samp``.

    Lesson 07. The statistic is the largest vertical gap between the two empirical CDFs; the
    p-value is what ``scipy.stats.ks_2samp(reference, current)`` returns with its default
    ``method="auto"`` (exact when both samples have at most 10,000 values, asymptotic
    otherwise), ties included.

    Parameters
    ----------
    reference, current : array-like or DataFrame
        1-D samples, or 2-D tables with the same columns (one test per column).

    Returns
    -------
    statistic, p_value : float, float or numpy.ndarray, numpy.ndarray
        Floats for 1-D input; arrays with one value per column for 2-D input.

    Raises
    ------
    ValueError
        Empty input, NaN or infinite values (the message names the columns), or a different
        number of columns.
    TypeError
        Text or booleans in the data.

    Warns
    -----
    LowPowerWarning
        When either sample has fewer than 30 values.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> stat, p = ks_test(rng.normal(size=200), rng.normal(size=150) + 1.0)
    >>> p < 1e-6
    True
    >>> stats, p_values = ks_test(rng.normal(size=(200, 3)), rng.normal(size=(150, 3)))
    >>> stats.shape
    (3,)
    """
    ref, cur, one_d, _ = pair(reference, current)
    warn_low_power(ref.shape[0], cur.shape[0])
    ref_sorted = np.sort(np.ascontiguousarray(ref.T), axis=1)
    stats, pvals = ks_many(ref_sorted, cur)
    if one_d:
        return float(stats[0]), float(pvals[0])
    return stats, pvals

# --------------------------------------------------------------------------------------------
# PSI
# --------------------------------------------------------------------------------------------

def psi(reference, current, bins=10, eps=None, *, strategy="quantile"):
    r"""Population Stability Index between a reference and a current sample.

    Lesson 07. With :math:`r_k` and :math:`c_k` the shares of the reference and current
    samples in bin :math:`k`,

    .. math:: \mathrm{PSI} = \sum_k (c_k - r_k)\,\ln(c_k / r_k),

    which is the symmetrised Kullback-Leibler divergence between the binned distributions:
    it is 0 for identical shares and positive otherwise. Shares equal to 0 are replaced by
    ``eps`` first, so an empty bin gives a large but finite term. Severity bands:
    below 0.1 stable, 0.1-0.25 moderate, 0.25 and above major (:func:`psi_band`).

    Even without drift PSI is not 0: sampling noise alone gives about
    ``(bins - 1) * (1/n_ref + 1/n_cur)``, so compare PSI values only at similar sizes.

    Parameters
    ----------
    reference, current : array-like or DataFrame
        1-D samples or 2-D tables with the same columns.
    bins : int, default 10
        Number of reference-quantile bins (``strategy="quantile"``).
    eps : float or None, default None
        Share given to empty bins. ``None`` means 1e-4 for ``"quantile"`` and evidently's rule
        for ``"sturges"`` (1e-4, or the smallest non-zero share divided by 1e6 when that share
        is at most 1e-4).
    strategy : {"quantile", "sturges"}, default "quantile"
        ``"quantile"``: the edges are ``np.quantile(reference, np.linspace(0, 1, bins + 1))``
        (numpy's default linear interpolation) with the first edge replaced by ``-inf`` and
        the last by ``+inf``, so the outer bins are open and current values outside the
        reference range are counted. Bins are closed on the right, ``(e_k, e_k+1]``: a value
        equal to an edge falls in the bin *below* that edge (the opposite of
        ``np.histogram``). Tied data (counts, constant columns) can repeat an edge; the bin
        between two equal edges is empty in both samples and, after the ``eps`` floor, adds
        exactly 0, so repeated edges are collapsed without changing the value.
        ``"sturges"``: equal-width bins over both samples with Sturges' rule, which
        reproduces evidently's numeric PSI (including its per-value shares when the reference
        has at most 20 distinct values).

    Returns
    -------
    float or numpy.ndarray
        A float for 1-D input, one value per column for 2-D input.

    Raises
    ------
    ValueError
        Empty input, NaN/inf (naming the columns), bad ``bins``/``eps``/``strategy``.
    TypeError
        Text or booleans in the data.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=1000)
    >>> psi(x, x)
    0.0
    >>> psi(x, x + 1.0) > 0.25
    True

    The tie rule: with ``bins=2`` the only interior edge of ``[1, 2, 2, 3]`` is its median,
    2.0, and values equal to it count in the lower bin ``(-inf, 2]``: the reference shares
    are 3/4 and 1/4, the current ``[2, 3, 3, 3]`` has 1/4 and 3/4, and PSI = ln 3:

    >>> round(psi([1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 3.0], bins=2), 6)
    1.098612
    """
    bins = check_psi_args(bins, eps, strategy)
    ref, cur, one_d, _ = pair(reference, current)
    values = np.array([psi_1d(ref[:, j], cur[:, j], bins, eps, strategy)
                       for j in range(ref.shape[1])])
    return float(values[0]) if one_d else values


def psi_band(value):
    """Severity band of a PSI value: ``"stable"``, ``"moderate"`` or ``"major"``.

    Lesson 07. Bands at 0.1 and 0.25 (:data:`PSI_BANDS`), the industry convention.

    Parameters
    ----------
    value : float or array-like of float

    Returns
    -------
    str or numpy.ndarray of str

    Raises
    ------
    ValueError
        For NaN or negative values.

    Examples
    --------
    >>> psi_band(0.05), psi_band(0.1), psi_band(0.3)
    ('stable', 'moderate', 'major')
    """
    arr = np.asarray(value, dtype=np.float64)
    if np.isnan(arr).any() or (arr < 0).any():
        raise ValueError(f"PSI values must be non-negative numbers, got {value!r}")
    low, high = PSI_BANDS
    out = np.where(arr < low, "stable", np.where(arr < high, "moderate", "major"))
    return str(out) if out.ndim == 0 else out

# --------------------------------------------------------------------------------------------
# Categorical features: shares, JS distance, chi-square
# --------------------------------------------------------------------------------------------

def category_table(reference, current) -> pd.DataFrame:
    """Counts and shares of each category in both samples, unseen categories marked.

    Lesson 07.

    Parameters
    ----------
    reference, current : array-like or Series
        1-D categorical samples (text, booleans, integer codes...).

    Returns
    -------
    pandas.DataFrame
        Index: category (reference categories first, then unseen ones). Columns
        ``ref_count``, ``cur_count``, ``ref_share``, ``cur_share``, ``unseen`` (True for a
        category the reference never had).

    Raises
    ------
    ValueError
        Empty samples or missing values.

    Examples
    --------
    >>> category_table(["a", "a", "b"], ["a", "c"])["unseen"].tolist()
    [False, False, True]
    """
    ref = as_category_series(reference, "reference")
    cur = as_category_series(current, "current")
    return category_table_from_counts(ref.value_counts(sort=False), cur)



def chi2_test(reference, current) -> tuple[float, float]:
    """Chi-square test of homogeneity for a categorical feature.

    Lesson 07. Builds the 2 x K table of counts (reference and current rows, one column per
    category seen in either sample) and runs ``scipy.stats.chi2_contingency(table,
    correction=False)``. Categories the reference never saw are kept as their own columns,
    so they raise the statistic instead of being dropped.

    Parameters
    ----------
    reference, current : array-like or Series
        1-D categorical samples.

    Returns
    -------
    statistic, p_value : float, float

    Raises
    ------
    ValueError
        Empty samples or missing values.

    Examples
    --------
    >>> stat, p = chi2_test(["a"] * 50 + ["b"] * 50, ["a"] * 90 + ["b"] * 10)
    >>> p < 0.001
    True
    """
    return chi2_from_table(category_table(reference, current))



def js_distance(reference, current, bins=10):
    """Jensen-Shannon distance (base 2, between 0 and 1) between two samples.

    Lesson 07. Symmetric and bounded, unlike KL divergence: 0 means identical distributions,
    1 means no overlap at all. Numeric samples are binned on the reference quantiles exactly
    as :func:`psi` does; categorical samples (text, booleans, pandas categories) use the
    shares of each category, unseen categories included. Empty bins need no epsilon.

    Parameters
    ----------
    reference, current : array-like, Series or DataFrame
        1-D samples, or numeric 2-D tables (one value per column).
    bins : int, default 10
        Reference-quantile bins for numeric data.

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ValueError
        Empty input, NaN, mismatched columns.

    Examples
    --------
    >>> js_distance(["a", "b"], ["a", "b"])
    0.0
    >>> js_distance(["a", "a"], ["b", "b"])
    1.0
    """
    bins = check_psi_args(bins, None, "quantile")
    ref_dtype = getattr(reference, "dtype", None)
    if ref_dtype is None and not is_frame(reference):
        ref_dtype = np.asarray(reference).dtype
    if ref_dtype is not None and is_categorical_dtype(ref_dtype):
        table = category_table(reference, current)
        return js_from_shares(table["ref_share"], table["cur_share"])
    ref, cur, one_d, _ = pair(reference, current)
    out = []
    for j in range(ref.shape[1]):
        edges = quantile_edges(ref[:, j], bins)
        r = counts_in_bins(ref[:, j], edges) / ref.shape[0]
        c = counts_in_bins(cur[:, j], edges) / cur.shape[0]
        out.append(js_from_shares(r, c))
    return float(out[0]) if one_d else np.array(out)


# --------------------------------------------------------------------------------------------
# Multiple testing
# --------------------------------------------------------------------------------------------

def adjust_pvalues(p_values, method="bonferroni") -> np.ndarray:
    """Adjust p-values for testing many features at once.

    Lesson 07. With 50 features and ``alpha=0.05`` an uncorrected monitor raises about 2.5
    false alarms per window even when nothing drifted.

    Parameters
    ----------
    p_values : array-like of float in [0, 1]
    method : {"bonferroni", "holm", "bh", "none"}, default "bonferroni"
        ``"bonferroni"``: ``min(1, m * p)`` (family-wise error, simplest). ``"holm"``: the
        step-down version, never less powerful than Bonferroni. ``"bh"``: Benjamini-Hochberg,
        controls the false discovery rate (``scipy.stats.false_discovery_control``).
        ``"none"``: no adjustment.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values; compare them with ``alpha``.

    Raises
    ------
    ValueError
        Unknown method, or p-values outside [0, 1] / NaN.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.02, 0.5], "bonferroni").round(2).tolist()
    [0.03, 0.06, 1.0]
    >>> adjust_pvalues([0.01, 0.02, 0.5], "holm").round(2).tolist()
    [0.03, 0.04, 0.5]
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {method!r}")
    p = np.asarray(p_values, dtype=np.float64).ravel()
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError(f"p-values must be numbers between 0 and 1, got {p_values!r}")
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, p * m)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out = np.empty(m)
        out[order] = np.minimum(1.0, stepped)
        return out
    from scipy.stats import false_discovery_control

    return np.asarray(false_discovery_control(p, method="bh"), dtype=np.float64)

