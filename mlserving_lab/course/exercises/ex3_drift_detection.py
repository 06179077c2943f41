"""Exercise 3: a drift detection system (KS and PSI on four seeded scenarios).

The learner writes the two detectors themselves -- ``ks_drift`` (the KS test per feature with
the Bonferroni decision) and ``psi_drift`` (PSI on reference-quantile bins with open outer bins,
a fixed tie rule and an empty-bin floor) -- then runs them on the four scenarios of
:func:`mlserving_lab.datasets.make_drift_scenarios` and measures which method is more sensitive
to which kind of drift.

The checkers never trust a typed number: they call the learner's functions (through
:func:`~mlserving_lab.course.exercises.core.call`) on data built here -- fresh continuous data,
tied integer data, a constant column, and a set of p-values on which Bonferroni, Holm,
Benjamini-Hochberg and no correction all decide differently -- and compare with
``scipy.stats.ks_2samp`` and :func:`mlserving_lab.drift.psi`. Questions 3 and 4 re-run the
learner's functions on the scenarios and judge the typed results against that re-run.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call
from mlserving_lab.course.exercises.remeasure import num
from mlserving_lab.datasets import make_drift_scenarios
from mlserving_lab.drift import adjust_pvalues, psi

__all__ = ["EXERCISE", "SCENARIO_NAMES", "SCENARIO_SEED", "SENSITIVITY", "compare_ks",
           "compare_psi", "correction_data", "ks_flags", "psi_variant", "q1", "q2", "q3", "q4",
           "rates", "reference_ks_drift", "reference_psi_drift", "reference_sensitivity",
           "tied_data"]

SCENARIO_NAMES = ("no_drift", "mean_shift", "variance_change", "new_distribution")
DRIFT_TYPES = SCENARIO_NAMES[1:]
#: The notebook's scenarios are ``make_drift_scenarios(random_state=SCENARIO_SEED)``.
SCENARIO_SEED = 42

#: The sensitivity experiment of question 4: small windows and modest drifts, 6 seeds.
#: ``make_drift_scenarios(**SENSITIVITY["scenario"], random_state=seed)`` for every seed.
SENSITIVITY = {
    "scenario": {"n_reference": 1000, "n_current": 300, "n_features": 6, "n_mean": 3,
                 "mean_shift": 0.25, "variance_factor": 1.6},
    "seeds": tuple(range(6)),
    "alpha": 0.05,
    "psi_threshold": 0.1,
}

_KS_COLUMNS = ("statistic", "p_value", "drifted")
_PSI_COLUMNS = ("psi", "drifted")


# --------------------------------------------------------------------------------------------
# Reference implementations (what the checkers compare with)
# --------------------------------------------------------------------------------------------

def _ks_pvalues(reference: pd.DataFrame, current: pd.DataFrame):
    from scipy.stats import ks_2samp

    stats, pvals = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for col in reference.columns:
            res = ks_2samp(reference[col].to_numpy(np.float64),
                           current[col].to_numpy(np.float64))
            stats.append(float(res.statistic))
            pvals.append(float(res.pvalue))
    return np.array(stats), np.array(pvals)


def reference_ks_drift(reference, current, alpha=0.05) -> pd.DataFrame:
    """KS per feature (``scipy.stats.ks_2samp``) with the Bonferroni decision.

    Index: the column names (``feature``); columns ``statistic``, ``p_value``, ``drifted``
    (``p_value < alpha / n_features``).
    """
    stat, p = _ks_pvalues(reference, current)
    index = pd.Index([str(c) for c in reference.columns], name="feature")
    return pd.DataFrame({"statistic": stat, "p_value": p,
                         "drifted": p < alpha / reference.shape[1]}, index=index)


def reference_psi_drift(reference, current, bins=10, threshold=0.25, eps=1e-4) -> pd.DataFrame:
    """PSI per feature from :func:`mlserving_lab.drift.psi` (the recipe of question 2)."""
    values = np.asarray(psi(reference, current, bins=bins, eps=eps), dtype=np.float64)
    index = pd.Index([str(c) for c in reference.columns], name="feature")
    return pd.DataFrame({"psi": values, "drifted": values >= threshold}, index=index)


def ks_flags(p_values, alpha: float, method: str) -> np.ndarray:
    """Drift flags of several decision rules, to name the one a learner used.

    ``method`` is a correction of :func:`mlserving_lab.drift.adjust_pvalues`
    (``"bonferroni"``, ``"holm"``, ``"bh"``, ``"none"``) or ``"bonferroni<="`` (the right
    correction with ``<=`` instead of ``<``).
    """
    p = np.asarray(p_values, dtype=np.float64)
    if method == "bonferroni<=":
        return p <= alpha / p.size
    if method == "bonferroni":
        return p < alpha / p.size
    return adjust_pvalues(p, method) < alpha


# --------------------------------------------------------------------------------------------
# PSI variants: the recipe and the usual ways to get it wrong
# --------------------------------------------------------------------------------------------

def _bin_counts(x: np.ndarray, full_edges: np.ndarray, closed: str, open_ends: bool):
    """Counts per bin. ``closed="right"``: bins ``(e_k, e_k+1]``; ``"left"``: ``[e_k, e_k+1)``.

    With ``open_ends`` the outer edges are -inf and +inf; without, values outside the outer
    edges are dropped (the outermost bin includes its outer edge, as np.histogram does).
    """
    if open_ends:
        inner = full_edges[1:-1]
        side = "left" if closed == "right" else "right"
        where = np.searchsorted(inner, x, side=side)
        return np.bincount(where, minlength=inner.size + 1).astype(np.float64)
    if closed == "left":
        return np.histogram(x, full_edges)[0].astype(np.float64)
    where = np.searchsorted(full_edges, x, side="left")
    where[x == full_edges[0]] = 1
    keep = (where >= 1) & (where < full_edges.size)
    return np.bincount(where[keep] - 1, minlength=full_edges.size - 1).astype(np.float64)


def psi_variant(ref_col, cur_col, bins=10, eps=1e-4, *, edges_from="reference",
                spacing="quantile", closed="right", open_ends=True, floor="replace",
                scale=1.0, log=np.log, unique_first=False) -> float:
    """PSI of one feature computed by the recipe, or by one of its usual mistakes.

    The defaults are the recipe of question 2 and equal :func:`mlserving_lab.drift.psi`:
    edges at the reference quantiles ``0, 1/bins, ..., 1`` (numpy's default interpolation),
    outer edges replaced by -inf and +inf, bins closed on the right, shares = counts / n,
    shares equal to 0 replaced by ``eps``, natural log.

    Parameters
    ----------
    edges_from : {"reference", "current", "both"}
    spacing : {"quantile", "width"}
        ``"width"``: equal-width edges between the sample's min and max.
    closed : {"right", "left"}
    open_ends : bool
    floor : {"replace", "add", "skip", "none"}
        ``"add"``: eps added to every share; ``"skip"``: bins empty in either sample left out;
        ``"none"``: no floor (gives inf or nan).
    scale : float
        100 for shares in percent.
    log : callable
    unique_first : bool
        Repeated edges dropped *before* the outer edges become -inf and +inf (which loses a
        real edge when the lowest or highest quantiles tie).
    """
    r_x = np.asarray(ref_col, dtype=np.float64)
    c_x = np.asarray(cur_col, dtype=np.float64)
    base = {"reference": r_x, "current": c_x, "both": np.concatenate([r_x, c_x])}[edges_from]
    if spacing == "quantile":
        full = np.quantile(base, np.linspace(0.0, 1.0, bins + 1))
    else:
        full = np.linspace(base.min(), base.max(), bins + 1)
    if unique_first:
        full = np.unique(full)
    r = _bin_counts(r_x, full, closed, open_ends) / r_x.size * scale
    c = _bin_counts(c_x, full, closed, open_ends) / c_x.size * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        if floor == "replace":
            r, c = np.where(r == 0, eps, r), np.where(c == 0, eps, c)
        elif floor == "add":
            r, c = r + eps, c + eps
        elif floor == "skip":
            keep = (r > 0) & (c > 0)
            r, c = r[keep], c[keep]
        return float(np.sum((c - r) * log(c / r)))


#: (label, keyword arguments of psi_variant, what to tell the learner)
_PSI_MISTAKES = (
    ("repeated edges dropped first", {"unique_first": True},
     "you seem to drop repeated edges *before* opening the outer bins: when many values equal "
     "the minimum (or maximum), the lowest quantiles are one number, and replacing the first "
     "remaining edge by `-inf` removes a real edge (`pd.qcut(..., duplicates='drop')` does "
     "this). Replace the first and last of all `bins + 1` edges by `-inf` and `+inf` first; "
     "drop repeats afterwards if you like"),
    ("left-closed bins", {"closed": "left"},
     "a value equal to a bin edge must count in the bin *below* that edge (bins "
     "`(e[k], e[k+1]]`, closed on the right); yours counts it in the bin above, as "
     "`np.histogram` and `np.digitize` do by default. With tied data many values sit exactly "
     "on an edge"),
    ("closed outer bins", {"open_ends": False},
     "current values outside the reference range were dropped: `np.histogram` ignores values "
     "beyond the first and last edge; make the outer bins open (first edge `-inf`, last edge "
     "`+inf`)"),
    ("closed outer bins", {"open_ends": False, "closed": "left"},
     "current values outside the reference range were dropped: `np.histogram` ignores values "
     "beyond the first and last edge; make the outer bins open (first edge `-inf`, last edge "
     "`+inf`)"),
    ("equal-width bins", {"spacing": "width"},
     "your bins look equally wide (from the reference's min to its max); the edges must be "
     "the reference *quantiles*, so that each bin holds about 1/bins of the reference"),
    ("equal-width bins", {"spacing": "width", "closed": "left"},
     "your bins look equally wide (from the reference's min to its max); the edges must be "
     "the reference *quantiles*, so that each bin holds about 1/bins of the reference"),
    ("equal-width bins", {"spacing": "width", "open_ends": False, "closed": "left"},
     "your bins look equally wide (from the reference's min to its max); the edges must be "
     "the reference *quantiles*, so that each bin holds about 1/bins of the reference"),
    ("bins from current", {"edges_from": "current"},
     "your bin edges come from the *current* sample (or reference and current are swapped "
     "somewhere); the edges are quantiles of the reference, which stays fixed while windows "
     "change"),
    ("bins from current", {"edges_from": "current", "closed": "left"},
     "your bin edges come from the *current* sample (or reference and current are swapped "
     "somewhere); the edges are quantiles of the reference, which stays fixed while windows "
     "change"),
    ("bins from both", {"edges_from": "both"},
     "your bin edges come from both samples pooled; use quantiles of the reference only"),
    ("eps added", {"floor": "add"},
     "you seem to add `eps` to every share; replace only the shares that are exactly 0 by "
     "`eps` and leave the others as they are"),
    ("empty bins skipped", {"floor": "skip"},
     "you seem to leave out the bins that are empty in one sample; they are where drift "
     "shows most: give their share the floor `eps` instead"),
    ("log10", {"log": np.log10},
     "that is the PSI with `log10`; PSI uses the natural log (`np.log`)"),
    ("log2", {"log": np.log2},
     "that is the PSI with `log2`; PSI uses the natural log (`np.log`)"),
    ("percent", {"scale": 100.0},
     "your shares look like percentages; shares are fractions (counts / sample size, summing "
     "to 1)"),
)


def _diagnose_psi(got: float, ref_col, cur_col, bins, eps) -> str | None:
    for _label, kwargs, why in _PSI_MISTAKES:
        other = psi_variant(ref_col, cur_col, bins, eps, **kwargs)
        if math.isfinite(other) and math.isclose(got, other, rel_tol=1e-6, abs_tol=1e-9):
            return why
    return None


# --------------------------------------------------------------------------------------------
# Checker data (built here, seeded; never seen by the learner)
# --------------------------------------------------------------------------------------------

def _fresh_pairs(seed: int):
    """Continuous data: other names and sizes, values beyond the reference range, a skewed
    shape with the same mean and variance, a small shift."""
    rng = np.random.default_rng(seed)
    n_ref, n_cur = 1234, 517  # (n_ref - 1) * k / 10 is never an integer: no ties at edges
    names = ["temp", "pressure", "speed", "load", "vibration", "humidity"]
    scale = np.array([1, 2, 1, 5, 1, 1])
    loc = np.array([0, 10, 0, 50, 0, 0])
    ref = pd.DataFrame(rng.normal(size=(n_ref, 6)) * scale + loc, columns=names)
    cur = pd.DataFrame(rng.normal(size=(n_cur, 6)) * scale + loc, columns=names)
    cur["pressure"] += 0.35 * 2
    cur["speed"] *= 2.5  # many values beyond the reference range
    cur["vibration"] = rng.exponential(size=n_cur) - 1.0  # same mean and variance, skewed
    cur["humidity"] += 0.08  # a small shift: borderline
    return ref, cur


def correction_data():
    """Seven features whose KS p-values (at ``alpha=0.05``) make Bonferroni, Holm,
    Benjamini-Hochberg and no correction flag 3, 4, 5 and 6 features respectively.

    Returns ``(reference, current)``: 400 and 300 rows, shuffled column order.
    """
    rng = np.random.default_rng(84)
    shifts = np.array([0.5, 0.3, 0.26, 0.23, 0.2, 0.17, 0.0])
    ref = rng.normal(size=(400, 7))
    cur = rng.normal(size=(300, 7)) + shifts
    names = ["cpu", "mem", "disk", "net", "gpu", "io", "fan"]
    order = [3, 6, 0, 4, 1, 5, 2]  # so that the drifted features are not simply the first
    return (pd.DataFrame(ref[:, order], columns=names),
            pd.DataFrame(cur[:, order], columns=names))


def _boundary_data():
    """Four features and an alpha at which one p-value equals ``alpha / 4`` exactly.

    With four features, ``alpha / 4`` and ``p * 4`` are exact in binary floating point, so
    ``p < alpha / 4``, ``p * 4 < alpha`` and ``min(1, 4 * p) < alpha`` all agree: False.
    """
    ref, cur = correction_data()
    cols = ["disk", "net", "io", "fan"]
    ref, cur = ref[cols], cur[cols]
    _, p = _ks_pvalues(ref, cur)
    on_edge = int(np.argsort(p)[1])
    alpha = 4.0 * float(p[on_edge])
    return ref, cur, alpha, cols[on_edge]


def tied_data():
    """Features with many ties: counts, ratings, a constant column, zero-inflated amounts,
    and a continuous column whose quantile edges fall exactly on data values.

    Returns ``(reference, current)`` with 501 and 211 rows (``(501 - 1) * k / 10`` is an
    integer, so every decile of the continuous column is one of its values).
    """
    rng = np.random.default_rng(2024)
    n_ref, n_cur = 501, 211
    ref = pd.DataFrame({
        "visits": rng.poisson(2.0, n_ref),
        "rating": rng.choice([1, 2, 3, 4, 5], n_ref, p=[0.1, 0.15, 0.3, 0.3, 0.15]),
        "constant": np.full(n_ref, 3),
        "amount": np.where(rng.random(n_ref) < 0.6, 0.0, np.round(rng.exponential(20, n_ref))),
        "latency": rng.normal(50, 5, n_ref),
    }).astype(np.float64)
    cur = pd.DataFrame({
        "visits": rng.poisson(2.6, n_cur),
        "rating": rng.choice([1, 2, 3, 4, 5], n_cur, p=[0.05, 0.15, 0.25, 0.35, 0.2]),
        "constant": rng.choice([2, 3, 4], n_cur, p=[0.1, 0.8, 0.1]),
        "amount": np.where(rng.random(n_cur) < 0.45, 0.0, np.round(rng.exponential(25, n_cur))),
        "latency": rng.normal(51, 5, n_cur),
    }).astype(np.float64)
    return ref, cur


@functools.lru_cache(maxsize=4)
def _scenarios_cached(seed: int):
    return make_drift_scenarios(random_state=seed)


def _scenarios(seed: int = SCENARIO_SEED):
    sc = _scenarios_cached(seed)
    return sc.reference.copy(), {n: c.copy() for n, c in sc.current.items()}


# --------------------------------------------------------------------------------------------
# Reading the learner's tables
# --------------------------------------------------------------------------------------------

def _keyed(result, what: str, columns, features) -> dict:
    """The learner's table as ``{column: {feature: value}}``.

    The features are the index (as asked) or a ``feature`` column (also accepted); extra
    columns and any row order are fine.
    """
    if not isinstance(result, pd.DataFrame):
        raise Incorrect(f"`{what}` should return a pandas DataFrame (one row per feature), got "
                        f"{type(result).__name__}")
    missing = [c for c in columns if c not in result.columns]
    if missing:
        raise Incorrect(f"the table returned by `{what}` has no column(s) {missing}; it has "
                        f"{[str(c) for c in result.columns]}")
    keys = result["feature"] if "feature" in result.columns else result.index
    keys = [str(k) for k in keys]
    if len(set(keys)) != len(keys) or set(keys) != set(features):
        raise Incorrect(f"`{what}` returned rows for {keys[:12]}, but the data has the columns "
                        f"{list(features)}: give one row per column, with the column names "
                        "as the index")
    return {c: dict(zip(keys, result[c].to_numpy(dtype=object).ravel(), strict=False))
            for c in columns}


def _number(x, what: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating,
                                                             np.integer)):
        raise Incorrect(f"expected a number in {what}, found {type(x).__name__} `{x!r:.40}`")
    return float(x)


def _flag(x, what: str) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise Incorrect(f"`drifted` should hold True/False, found {type(x).__name__} "
                        f"`{x!r:.40}` in {what}")
    return bool(x)


def _names(flags, features) -> list[str]:
    return [f for f, d in zip(features, flags, strict=True) if d]


# --------------------------------------------------------------------------------------------
# q1: KS detection
# --------------------------------------------------------------------------------------------

_CORRECTION_NAMES = {  # `<=` first: on the boundary data the others flag the same set
    "bonferroni<=": "`p_value <= alpha / n_features`",
    "none": "no correction (`p_value < alpha`)",
    "holm": "the Holm correction",
    "bh": "the Benjamini-Hochberg correction",
}


def compare_ks(ks_drift, ref, cur, alpha=0.05, label="fresh data") -> None:
    """Call the learner's ``ks_drift`` on (ref, cur) and compare with scipy and Bonferroni."""
    features = [str(c) for c in ref.columns]
    table = _keyed(call(ks_drift, ref.copy(), cur.copy(), alpha=alpha), "ks_drift",
                   _KS_COLUMNS, features)
    want = reference_ks_drift(ref, cur, alpha)
    m = len(features)
    for name in features:
        s = _number(table["statistic"][name], f"`statistic` of `{name}`")
        p = _number(table["p_value"][name], f"`p_value` of `{name}`")
        ws, wp = float(want.at[name, "statistic"]), float(want.at[name, "p_value"])
        if math.isclose(s, wp, rel_tol=1e-7, abs_tol=1e-12) and \
                math.isclose(p, ws, rel_tol=1e-7, abs_tol=1e-12):
            raise Incorrect(f"on {label}, your `statistic` and `p_value` for `{name}` are "
                            "swapped: `ks_2samp(...)` returns the statistic first, then the "
                            "p-value (or use `.statistic` and `.pvalue`)")
        if not math.isclose(s, ws, rel_tol=1e-9, abs_tol=1e-12):
            raise Incorrect(f"on {label}, your KS statistic for `{name}` is {num(s)} but the "
                            f"largest gap between the two ECDFs is {num(ws)} "
                            "(`scipy.stats.ks_2samp(reference[col], current[col])`)")
        if not math.isclose(p, wp, rel_tol=1e-7, abs_tol=1e-12):
            if math.isclose(p, ws, rel_tol=1e-9, abs_tol=1e-12):
                raise Incorrect(f"on {label}, your `p_value` for `{name}` is the KS statistic "
                                f"({num(ws)}); the p-value is the second number `ks_2samp` "
                                "returns (`.pvalue`)")
            extra = (" -- did you pass `method=` or `mode=`? keep scipy's default "
                     "(exact p-values for these sizes)" if abs(p - wp) < 0.05 else "")
            raise Incorrect(f"on {label}, your p-value for `{name}` is {num(p)} but "
                            f"`ks_2samp` gives {num(wp)}{extra}")
    got = [_flag(table["drifted"][n], f"the row `{n}`") for n in features]
    expected = [bool(want.at[n, "drifted"]) for n in features]
    if got == expected:
        return
    p_values = want["p_value"].to_numpy()
    flagged, right_count = _names(got, features), sum(expected)
    head = (f"on {label} ({m} features, alpha={alpha:g}) you flag {flagged}, but "
            f"Bonferroni flags {right_count} feature(s): those with `p_value < alpha / "
            f"{m}` = {num(alpha / m)}")
    if alpha != 0.05 and got == list(ks_flags(p_values, 0.05, "bonferroni")):
        raise Incorrect(f"{head}. Your flags are what alpha=0.05 would give: use the `alpha` "
                        "argument your function receives, not a fixed 0.05")
    matching = [m_ for m_ in _CORRECTION_NAMES if got == list(ks_flags(p_values, alpha, m_))]
    if "bonferroni<=" in matching:
        edge = [n for n, p in zip(features, p_values, strict=True) if p == alpha / m]
        raise Incorrect(f"{head}. Here the p-value of {edge} equals alpha / {m} exactly, and "
                        "you flag it: the rule is strictly below (`<`), not `<=`")
    if matching:
        text = " or ".join(_CORRECTION_NAMES[m_] for m_ in matching)
        raise Incorrect(f"{head}. Your flags are what {text} gives -- apply the correction "
                        "the question asks for, Bonferroni")
    stats_ = want["statistic"].to_numpy()
    if got in ([bool(v) for v in stats_ < alpha / m], [bool(v) for v in stats_ > alpha / m],
               [bool(v) for v in stats_ > alpha], [bool(v) for v in stats_ < alpha]):
        raise Incorrect(f"{head}. Your flags follow the KS *statistic*; the decision compares "
                        "the *p-value* with alpha / n_features")
    if got == [bool(v) for v in p_values < alpha / len(ref)]:
        raise Incorrect(f"{head}. You divided alpha by the number of rows ({len(ref)}); "
                        "divide by the number of features (columns)")
    if got == [bool(v) for v in p_values > alpha / m]:
        raise Incorrect(f"{head}. Your flags are the opposite: a feature drifted when its "
                        "p-value is *small*")
    raise Incorrect(head)


def _check_q1(ks_drift):
    ref, cur = _fresh_pairs(101)
    compare_ks(ks_drift, ref, cur)
    ref, cur = correction_data()
    compare_ks(ks_drift, ref, cur, label="data where the corrections disagree")
    ref, cur, alpha, _ = _boundary_data()
    compare_ks(ks_drift, ref, cur, alpha=alpha,
               label="data where one p-value is exactly alpha / n_features")
    ref, cur = _fresh_pairs(101)
    compare_ks(ks_drift, ref.iloc[:400], cur.iloc[:150], alpha=0.01,
               label="a second fresh sample with alpha=0.01")
    return ("Correct: your KS detector matches scipy on data it had not seen, and decides "
            "with Bonferroni (`p_value < alpha / n_features`) where Holm, Benjamini-Hochberg "
            "and no correction would each flag a different set.")


q1 = Question(
    "q1",
    prompt=(
        "Write `ks_drift(reference, current, alpha=0.05)`. Both inputs are DataFrames with the "
        "same numeric columns. For every column run the two-sample KS test exactly as "
        "`scipy.stats.ks_2samp(reference[col], current[col])` computes it (default "
        "arguments). Return a DataFrame with one row per column of `reference`, **index = the "
        "column names** (in column order), and the columns `statistic` (float), `p_value` "
        "(float) and `drifted` (bool). A feature has drifted when its p-value is strictly "
        "below `alpha / n_features` (Bonferroni; `n_features` = number of columns): "
        "`p_value < alpha / n_features`, not `<=`. Extra columns are fine."),
    answers=("ks_drift",),
    checker=_check_q1,
    hint=(
        "Loop over `reference.columns`; `ks_2samp(reference[col], current[col])` returns an "
        "object with `.statistic` and `.pvalue`. Collect them in a dict of lists, build "
        "`pd.DataFrame(..., index=reference.columns)`, then compare the p-values with "
        "`alpha / len(reference.columns)`."),
    points=2,
)


# --------------------------------------------------------------------------------------------
# q2: PSI detection
# --------------------------------------------------------------------------------------------

def compare_psi(psi_drift, ref, cur, bins=10, threshold=0.25, eps=1e-4,
                label="fresh data") -> None:
    """Call the learner's ``psi_drift`` and compare every value with the library's ``psi``."""
    features = [str(c) for c in ref.columns]
    table = _keyed(call(psi_drift, ref.copy(), cur.copy(), bins=bins, threshold=threshold,
                        eps=eps), "psi_drift", _PSI_COLUMNS, features)
    want = reference_psi_drift(ref, cur, bins, threshold, eps)
    settings = f"bins={bins}, eps={eps:g}"
    for name in features:
        got = _number(table["psi"][name], f"`psi` of `{name}`")
        exp = float(want.at[name, "psi"])
        if math.isclose(got, exp, rel_tol=1e-6, abs_tol=1e-9):
            continue
        where = f"on {label} ({settings}), your PSI for `{name}` is {num(got)}"
        if math.isinf(got):
            raise Incorrect(f"{where}: a bin that is empty in one sample gives `ln(0)`. Replace "
                            "every share that is exactly 0 by `eps` before taking the log")
        if math.isnan(got):
            raise Incorrect(f"{where}: a bin empty in both samples gives `0 * ln(0 / 0)`. "
                            "Replace every share that is exactly 0 by `eps` first")
        if got < 0:
            raise Incorrect(f"{where}, negative; PSI = sum((c - r) * ln(c / r)) is never "
                            "negative -- check the sign of one of the two factors")
        ref_col, cur_col = ref[name].to_numpy(), cur[name].to_numpy()
        why = _diagnose_psi(got, ref_col, cur_col, bins, eps)
        if why is None and 90 < got / exp < 110:
            why = "it is about 100 times too large: are your shares percentages?"
        if why is None and math.isclose(got * math.log(10), exp, rel_tol=1e-4):
            why = "that is the PSI with `log10`; PSI uses the natural log (`np.log`)"
        message = f"{where}, but the recipe gives {num(exp)}"
        raise Incorrect(f"{message}: {why}" if why else
                        f"{message} ({bins} reference-quantile bins with open outer bins, "
                        "bins closed on the right, empty shares replaced by eps, natural "
                        "log)")
    got = [_flag(table["drifted"][n], f"the row `{n}`") for n in features]
    expected = [float(table["psi"][n]) >= threshold for n in features]
    if got != expected:
        wrong = [n for n, g, e in zip(features, got, expected, strict=True) if g != e]
        raise Incorrect(f"on {label} your `drifted` column is wrong for {wrong}: with "
                        f"threshold={threshold:g}, `drifted` is `psi >= threshold` (use the "
                        "`threshold` argument, not a fixed number)")


def _check_q2(psi_drift):
    ref, cur = _fresh_pairs(202)
    compare_psi(psi_drift, ref, cur)
    ref, cur = tied_data()
    compare_psi(psi_drift, ref, cur, threshold=0.125, eps=1e-3,
                label="data with many ties, threshold=0.125")
    ref, cur = _fresh_pairs(202)
    compare_psi(psi_drift, ref, cur, bins=5, threshold=0.05,
                label="the first fresh data with bins=5, threshold=0.05")
    return ("Correct: your PSI matches `mlserving_lab.drift.psi` on continuous data, on tied "
            "integer data and on a constant column, including values beyond the reference "
            "range.")


q2 = Question(
    "q2",
    prompt=(
        "Write `psi_drift(reference, current, bins=10, threshold=0.25, eps=1e-4)`. For every "
        "column: (1) edges = `np.quantile` of the **reference** column at `0, 1/bins, ..., 1` "
        "(numpy's default interpolation), then the first edge becomes `-inf` and the last "
        "`+inf`, so the outer bins are open; (2) bin k holds the values x with "
        "`edges[k] < x <= edges[k+1]`: a value **equal to an edge counts in the bin below "
        "it**; (3) with tied data some edges repeat: a bin between two equal edges is empty "
        "in both samples and adds exactly 0, so keeping or dropping repeated edges gives the "
        "same PSI -- as long as you drop them only after step (1) has opened the outer bins; (4) shares = counts / sample size (fractions, not percent), and every share "
        "equal to 0 is replaced by `eps` (only those); (5) PSI = sum((c - r) * ln(c / r)), "
        "natural log. Return a DataFrame, **index = the column names**, columns `psi` (float) "
        "and `drifted` (bool, `psi >= threshold`)."),
    answers=("psi_drift",),
    checker=_check_q2,
    hint=(
        "`np.searchsorted(inner_edges, x, side='left')` gives every value its bin number with "
        "bins closed on the right (`np.digitize(x, inner_edges, right=True)` is the same); "
        "`np.bincount(..., minlength=bins)` counts them. `np.histogram` is closed on the left: "
        "it puts a value equal to an edge in the bin above. Then "
        "`np.where(share == 0, eps, share)` and `np.log`."),
    points=2,
)


# --------------------------------------------------------------------------------------------
# q3: flagged features per scenario (re-run on the scenarios)
# --------------------------------------------------------------------------------------------

def _learner_flags(fn, what, ref, cur, columns, **kwargs) -> list[str]:
    features = [str(c) for c in ref.columns]
    table = _keyed(call(fn, ref.copy(), cur.copy(), **kwargs), what, columns, features)
    return _names([_flag(table["drifted"][n], f"the row `{n}`") for n in features],
                  features)


def _as_names(value, where: str) -> list[str]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") or \
            isinstance(value, dict):
        raise Incorrect(f"`{where}` should be a list of feature names, got "
                        f"{type(value).__name__} `{value!r:.60}`")
    return sorted(str(v) for v in value)


def _check_q3(ks_drift, psi_drift, flagged):
    if not isinstance(flagged, dict):
        raise Incorrect(f"`flagged` should be a dict {{scenario: {{'ks': [...], 'psi': [...]}}}}, "
                        f"got {type(flagged).__name__}")
    flagged = {str(k): v for k, v in flagged.items()}
    missing = [s for s in SCENARIO_NAMES if s not in flagged]
    if missing:
        raise Incorrect(f"`flagged` has no entry for scenario(s) {missing}")
    reference, currents = _scenarios()
    for name in SCENARIO_NAMES:
        entry = flagged[name]
        if not isinstance(entry, dict) or not {"ks", "psi"} <= {str(k) for k in entry}:
            raise Incorrect(f"`flagged[{name!r}]` should be a dict with keys 'ks' and 'psi', "
                            f"got {entry!r:.80}")
        entry = {str(k): v for k, v in entry.items()}
        cur = currents[name]
        mine = {"ks": _learner_flags(ks_drift, "ks_drift", reference, cur, _KS_COLUMNS),
                "psi": _learner_flags(psi_drift, "psi_drift", reference, cur, _PSI_COLUMNS)}
        for method, fn in (("ks", "ks_drift"), ("psi", "psi_drift")):
            typed = _as_names(entry[method], f"flagged[{name!r}][{method!r}]")
            if typed != sorted(mine[method]):
                raise Incorrect(f"`flagged[{name!r}][{method!r}]` is {typed}, but running your "
                                f"`{fn}(scenarios.reference, scenarios.current[{name!r}])` "
                                f"flags {sorted(mine[method])}: build `flagged` from your "
                                "functions' `drifted` column, with their default arguments")
        right = {"ks": _names(reference_ks_drift(reference, cur)["drifted"], list(cur.columns)),
                 "psi": _names(reference_psi_drift(reference, cur)["drifted"],
                               list(cur.columns))}
        for method, fn, q in (("ks", "ks_drift", "q1"), ("psi", "psi_drift", "q2")):
            if sorted(mine[method]) != sorted(right[method]):
                raise Incorrect(f"on `scenarios.current[{name!r}]` your `{fn}` flags "
                                f"{sorted(mine[method])}, which is not what the method of "
                                f"{q} flags there: go back to {q} until its check passes")
    sc = _scenarios_cached(SCENARIO_SEED)
    truth = {n: sc.drifted[n] for n in SCENARIO_NAMES}
    return f"Correct. The features that really drifted were {truth}."


q3 = Question(
    "q3",
    prompt=(
        "Run both of your detectors, with their default arguments, on every scenario of "
        f"`scenarios = make_drift_scenarios(random_state={SCENARIO_SEED})` and store the "
        "flagged features (the rows whose `drifted` is True) in "
        "`flagged = {scenario: {'ks': [...], 'psi': [...]}}` (lists of column names, any "
        "order). Check with `q3.check(ks_drift, psi_drift, flagged)`: the checker re-runs your "
        "functions on the scenarios."),
    answers=("ks_drift", "psi_drift", "flagged"),
    checker=_check_q3,
    hint=(
        "Loop over `scenarios.current.items()` (name, window); call both functions with "
        "`scenarios.reference` and the window, and keep `list(table.index[table['drifted']])`."),
    points=2,
)


# --------------------------------------------------------------------------------------------
# q4: sensitivity (re-measured with the learner's functions)
# --------------------------------------------------------------------------------------------

def rates(ks_fn, psi_fn, setup=None) -> pd.DataFrame:
    """Detection rates of two detector functions on the question-4 experiment.

    Rows: the four scenarios; columns ``ks`` and ``psi``. For ``no_drift`` the value is the
    false-alarm rate (share of all features flagged); for the other scenarios it is the share
    of truly drifted features flagged, pooled over all seeds. The functions are called through
    :func:`~mlserving_lab.course.exercises.core.call` (a learner's functions are re-run).
    ``setup`` defaults to :data:`SENSITIVITY`.
    """
    setup = SENSITIVITY if setup is None else setup
    hits = {name: {"ks": 0, "psi": 0, "n": 0} for name in SCENARIO_NAMES}
    for seed in setup["seeds"]:
        sc = make_drift_scenarios(**setup["scenario"], random_state=seed)
        for name in SCENARIO_NAMES:
            cur = sc.current[name]
            truth = set(sc.drifted[name] or [str(c) for c in sc.reference.columns])
            ks_set = _learner_flags(ks_fn, "ks_drift", sc.reference, cur, _KS_COLUMNS,
                                    alpha=setup["alpha"])
            psi_set = _learner_flags(psi_fn, "psi_drift", sc.reference, cur, _PSI_COLUMNS,
                                     threshold=setup["psi_threshold"])
            hits[name]["ks"] += len(set(ks_set) & truth)
            hits[name]["psi"] += len(set(psi_set) & truth)
            hits[name]["n"] += len(truth)
    return pd.DataFrame({m: [hits[s][m] / hits[s]["n"] for s in SCENARIO_NAMES]
                         for m in ("ks", "psi")},
                        index=pd.Index(SCENARIO_NAMES, name="scenario"))


_REFERENCE_RATES: dict[str, pd.DataFrame] = {}


def reference_sensitivity(setup=None) -> pd.DataFrame:
    """Detection rates of the reference KS and PSI detectors on the question-4 experiment
    (``setup`` defaults to :data:`SENSITIVITY`; computed once per process and setup)."""
    setup = SENSITIVITY if setup is None else setup
    key = repr(sorted(setup.items()))
    if key not in _REFERENCE_RATES:
        _REFERENCE_RATES[key] = rates(reference_ks_drift, reference_psi_drift, setup)
    return _REFERENCE_RATES[key].copy()


def _winner(ks: float, ps: float) -> str:
    return "ks" if ks > ps else "psi" if ps > ks else "same"


def _check_q4(ks_drift, psi_drift, sensitivity, more_sensitive):
    if not isinstance(sensitivity, pd.DataFrame):
        raise Incorrect(f"`sensitivity` should be a DataFrame, got {type(sensitivity).__name__}")
    index = [str(i) for i in sensitivity.index]
    columns = [str(c) for c in sensitivity.columns]
    if set(index) != set(SCENARIO_NAMES) or len(index) != len(SCENARIO_NAMES) or \
            not {"ks", "psi"} <= set(columns):
        raise Incorrect(f"`sensitivity` needs one row per scenario {list(SCENARIO_NAMES)} "
                        f"(the index) and the columns 'ks' and 'psi'; it has rows {index} "
                        f"and columns {columns}")
    table = {(i, c): sensitivity.iloc[r, k] for r, i in enumerate(index)
             for k, c in enumerate(columns) if c in ("ks", "psi")}
    for name in SCENARIO_NAMES:
        for m in ("ks", "psi"):
            v = _number(table[name, m], f"`sensitivity.loc[{name!r}, {m!r}]`")
            if not 0 <= v <= 1:
                raise Incorrect(f"`sensitivity.loc[{name!r}, {m!r}]` is {num(v)}; rates are "
                                "fractions between 0 and 1 (flagged / total), not percent")
            table[name, m] = v
    if not isinstance(more_sensitive, dict) or \
            {str(k) for k in more_sensitive} != set(DRIFT_TYPES):
        raise Incorrect(f"`more_sensitive` should be a dict with the keys {list(DRIFT_TYPES)}, "
                        f"got {more_sensitive!r:.100}")
    choice = {str(k): str(v) for k, v in more_sensitive.items()}
    bad = {k: v for k, v in choice.items() if v not in ("ks", "psi", "same")}
    if bad:
        raise Incorrect(f"`more_sensitive` values must be 'ks', 'psi' or 'same'; got {bad}")
    for name in DRIFT_TYPES:  # cheap first: the choice must follow the learner's own table
        ks, ps = table[name, "ks"], table[name, "psi"]
        if choice[name] != _winner(ks, ps):
            raise Incorrect(f"for `{name}` your own table says KS detects {num(ks)} and PSI "
                            f"{num(ps)} of the drifted features, so `more_sensitive[{name!r}]` "
                            f"should follow that measurement, not be {choice[name]!r} "
                            "(the higher rate wins; equal rates: 'same')")
    setup = SENSITIVITY
    fresh = rates(ks_drift, psi_drift, setup)
    for name in SCENARIO_NAMES:
        for m in ("ks", "psi"):
            got, exp = table[name, m], float(fresh.loc[name, m])
            if not math.isclose(got, exp, rel_tol=1e-6, abs_tol=1e-9):
                raise Incorrect(
                    f"your `sensitivity.loc[{name!r}, {m!r}]` is {num(got)}, but re-running "
                    f"your `ks_drift` and `psi_drift` on the experiment in `SENSITIVITY` gives "
                    f"{num(exp)}. Use every seed in `SENSITIVITY['seeds']`, "
                    "`make_drift_scenarios(**SENSITIVITY['scenario'], random_state=seed)`, "
                    "its alpha and psi_threshold, and pool the counts over seeds")
    want = reference_sensitivity(setup)
    for name in SCENARIO_NAMES:
        for m, fn, q in (("ks", "ks_drift", "q1"), ("psi", "psi_drift", "q2")):
            if abs(float(fresh.loc[name, m]) - float(want.loc[name, m])) > 1e-9:
                raise Incorrect(f"your `{fn}` gives a {m} rate of {num(fresh.loc[name, m])} "
                                f"for `{name}` in this experiment, but the method of {q} "
                                f"gives {num(want.loc[name, m])}: go back to {q} until its "
                                "check passes")
    fa_ks, fa_psi = want.loc["no_drift", "ks"], want.loc["no_drift", "psi"]
    return (f"Correct: re-running your detectors on all {len(setup['seeds'])} seeds gives "
            f"your table. False alarms on undrifted windows: KS with Bonferroni {fa_ks:.1%}, "
            f"PSI >= {setup['psi_threshold']:g} {fa_psi:.1%}.")


q4 = Question(
    "q4",
    prompt=(
        "Measure sensitivity with the settings in `SENSITIVITY`: for every seed in "
        "`SENSITIVITY['seeds']` build `make_drift_scenarios(**SENSITIVITY['scenario'], "
        "random_state=seed)`, run `ks_drift(..., alpha=SENSITIVITY['alpha'])` and "
        "`psi_drift(..., threshold=SENSITIVITY['psi_threshold'])` on every scenario, and pool "
        "over seeds the share of truly drifted features each method flags (for `no_drift`: "
        "the share of all features flagged, i.e. false alarms). Store it in `sensitivity` "
        "(index: the four scenario names, columns 'ks' and 'psi', fractions between 0 and 1) "
        "and fill `more_sensitive = {drift type: 'ks' | 'psi' | 'same'}` for the three drift "
        "types: the method with the higher rate, 'same' when the rates are equal. The checker "
        "re-runs your functions on the experiment."),
    answers=("ks_drift", "psi_drift", "sensitivity", "more_sensitive"),
    checker=_check_q4,
    hint=(
        "Keep counters `hits[scenario][method]` and `total[scenario]`; for a drifted scenario "
        "the truth is `sc.drifted[name]`, for `no_drift` use all columns. Rate = hits / total."),
    points=2,
)

EXERCISE = Exercise("ex3_drift_detection", [q1, q2, q3, q4])
