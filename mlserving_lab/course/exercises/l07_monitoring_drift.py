"""Check-yourself questions for lesson ``07_monitoring_drift`` (1 point each).

Every dataset the questions use comes from a seeded generator in this module, so the checkers
recompute the learner's numbers from the same data instead of comparing with fixed values.
The learner writes the mechanism each time (the measurement loop, the correction, the
decision per feature, the retraining rule); the checkers call the learner's functions on data
of their own, chosen so that a different correction or a different tie rule gives a different
answer.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call
from mlserving_lab.course.exercises.remeasure import num
from mlserving_lab.drift import adjust_pvalues, ks_test, psi

__all__ = ["CHECK_SEED", "DECISIONS", "EXERCISE", "FLOOR_GRID", "HUGE_NS", "PUBLIC_FLOOR_ROWS",
           "SITUATIONS", "check_floor_row", "check_huge_row", "floor_rows", "huge_rows",
           "make_big_window", "make_null_windows", "make_tiny_shift", "measure_floor",
           "q1", "q2", "q3", "q4", "q5"]

#: Seed of the checkers' own measurements (different from any seed a learner is told to use).
CHECK_SEED = 20_261_202


# --------------------------------------------------------------------------------------------
# Seeded data
# --------------------------------------------------------------------------------------------

def make_tiny_shift(n, shift=0.02, random_state=0):
    """Reference and current samples of size ``n``; the current mean moved by ``shift`` sd.

    Lesson 07. Used to show that KS p-values vanish for huge ``n`` even when the shift is
    far too small to matter.

    Parameters
    ----------
    n : int
    shift : float, default 0.02
    random_state : int, default 0

    Returns
    -------
    reference, current : numpy.ndarray of shape (n,)
    """
    rng = np.random.default_rng([random_state, int(n)])
    return rng.normal(size=int(n)), rng.normal(size=int(n)) + shift


def make_big_window(n=10_000, random_state=0):
    """Reference and current windows of ``n`` rows: five trivial shifts and one real one.

    Features ``f0``-``f4`` move by 0.07-0.1 standard deviations (harmless for a model); ``f5``
    moves by 0.5 (a real change).

    Returns
    -------
    reference, current : pandas.DataFrame
    """
    rng = np.random.default_rng(random_state)
    cols = [f"f{i}" for i in range(6)]
    ref = pd.DataFrame(rng.normal(size=(n, 6)), columns=cols)
    cur = pd.DataFrame(rng.normal(size=(n, 6)) + [0.08, 0.1, 0.07, 0.09, 0.08, 0.5],
                       columns=cols)
    return ref, cur


def make_null_windows(n_windows=8, n_rows=300, n_features=30, random_state=0):
    """A reference (1,000 rows) and ``n_windows`` current windows from the SAME distribution.

    Returns
    -------
    reference : pandas.DataFrame
    windows : list of pandas.DataFrame
    """
    rng = np.random.default_rng(random_state)
    cols = [f"f{i}" for i in range(n_features)]
    ref = pd.DataFrame(rng.normal(size=(1000, n_features)), columns=cols)
    return ref, [pd.DataFrame(rng.normal(size=(n_rows, n_features)), columns=cols)
                 for _ in range(n_windows)]


def _table(x, what, columns):
    if not isinstance(x, pd.DataFrame):
        raise Incorrect(f"`{what}` should be a pandas DataFrame, got {type(x).__name__}")
    missing = [c for c in columns if c not in x.columns]
    if missing:
        raise Incorrect(f"`{what}` has no column(s) {missing}; it has {list(x.columns)}")
    return x


def _num(v, what):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating,
                                                             np.integer)):
        raise Incorrect(f"{what} should be a number, got {v!r:.60}")
    v = float(v)
    if math.isnan(v):
        raise Incorrect(f"{what} is NaN")
    return v


def _pair(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` with enough significant digits for their difference to show."""
    for digits in range(4, 13):
        sa, sb = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if sa != sb:
            return sa, sb
    return num(a), num(b)


def _names(x, what) -> list[str]:
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__") or isinstance(x, dict):
        raise Incorrect(f"`{what}` should be a list of feature names, got {x!r:.60}")
    return sorted(str(v) for v in x)


# --------------------------------------------------------------------------------------------
# q4 (section 2 of the notebook): false alarms and the correction, written by the learner
# --------------------------------------------------------------------------------------------

CORRECTIONS = ("none", "bonferroni", "holm", "bh")

#: p-value vectors the checker gives `reject`; on each, the four corrections flag different
#: features (so a correction other than the one asked cannot agree by luck), with no value on
#: a threshold.
_P_PROBES = (
    [0.012, 0.2, 0.001, 0.029, 0.006, 0.5, 0.004, 0.8, 0.04, 0.02],
    [0.005, 0.013, 0.014, 0.02, 0.6],            # Holm must STOP at the first failure
    [0.02, 0.5, 0.021, 0.022, 0.023],            # BH is step-UP: a later pass rescues earlier
    [0.003, 0.003, 0.2, 0.004, 0.9, 0.011, 0.011, 0.3],  # ties
)


def _true_reject(p, correction, alpha=0.05) -> list[bool]:
    return (adjust_pvalues(np.asarray(p, dtype=float), correction) < alpha).tolist()


def _as_flags(out, n, what) -> list[bool]:
    arr = np.asarray(out)
    if arr.shape != (n,) or arr.dtype != bool:
        raise Incorrect(f"{what} returned {out!r:.80}; it should return a boolean array with "
                        f"one True/False per p-value ({n} here)")
    return arr.tolist()


def _check_reject(reject):
    for probe in _P_PROBES:
        truth = {c: _true_reject(probe, c) for c in CORRECTIONS}
        for corr in CORRECTIONS:
            got = _as_flags(call(reject, np.array(probe), corr), len(probe),
                            f"`reject(p, {corr!r})`")
            if got == truth[corr]:
                continue
            same = [c for c in CORRECTIONS if c != corr and truth[c] == got]
            flagged = [probe[i] for i, f in enumerate(got) if f]
            want = [probe[i] for i, f in enumerate(truth[corr]) if f]
            why = f" That is what {same[0]!r} flags." if same else ""
            more = sum(got) > sum(truth[corr])
            if corr == "holm" and more:
                why += (" Holm goes through the sorted p-values and STOPS at the first one with "
                        "p * (m - rank + 1) >= alpha; nothing after it is flagged.")
            elif corr == "bh" and not more:
                why += (" Benjamini-Hochberg is step-UP: find the LARGEST rank k with p_(k) < "
                        "k * alpha / m and flag every p-value up to it, even those that failed "
                        "their own threshold.")
            raise Incorrect(f"on p = {probe} your `reject(p, {corr!r})` flags the p-values "
                            f"{flagged}, but {corr!r} at alpha=0.05 flags {want}.{why}")


@functools.lru_cache(maxsize=1)
def _null_pvalues() -> tuple:
    ref, windows = make_null_windows()  # the library's KS: scipy's numbers, nothing else
    return tuple(ks_test(ref, w)[1] for w in windows)


def _null_false_alarms(correction) -> float:
    return float(np.mean([(adjust_pvalues(p, correction) < 0.05).sum()
                          for p in _null_pvalues()]))


def _check_q4(reject, false_alarms):
    _check_reject(reject)
    if not isinstance(false_alarms, dict) or not set(CORRECTIONS) <= {str(k) for k in
                                                                       false_alarms}:
        raise Incorrect(f"`false_alarms` should be a dict with the keys {list(CORRECTIONS)}, "
                        f"got {false_alarms!r:.100}")
    fa = {str(k): v for k, v in false_alarms.items()}
    truth = {c: _null_false_alarms(c) for c in CORRECTIONS}
    for corr in CORRECTIONS:
        got = _num(fa[corr], f"`false_alarms[{corr!r}]`")
        if math.isclose(got, truth[corr], abs_tol=1e-9):
            continue
        n_win = len(_null_pvalues())
        if math.isclose(got, truth[corr] * n_win, abs_tol=1e-9) and got:
            raise Incorrect(f"`false_alarms[{corr!r}]` is {num(got)}: that is the total over "
                            f"the {n_win} windows; divide by {n_win} for the average per window")
        if 0 < got <= 1 and math.isclose(got * 30, truth[corr], abs_tol=1e-9):
            raise Incorrect(f"`false_alarms[{corr!r}]` is {num(got)}: a share of the features; "
                            "the question asks for the NUMBER of flagged features per window")
        raise Incorrect(f"`false_alarms[{corr!r}]` is {num(got)}, but scoring every window of "
                        f"`make_null_windows()` with `scipy.stats.ks_2samp` and flagging with "
                        f"{corr!r} gives {num(truth[corr])} features per window on average")
    return (f"Correct: with 30 features and no drift at all, uncorrected tests raise "
            f"{truth['none']:.2f} alarms per window (30 x 0.05 = 1.5 expected); Bonferroni and "
            f"Holm bring it to {truth['bonferroni']:.2f} and {truth['holm']:.2f}.")


q4 = Question(
    "q4",
    prompt=(
        "Write `reject(p_values, correction, alpha=0.05)` returning a boolean numpy array "
        "(True = feature flagged), for `correction` in 'none' (p < alpha), 'bonferroni' "
        "(min(1, m p) < alpha), 'holm' (step-down: go through the p-values from smallest to "
        "largest, flag while p * (m - rank + 1) < alpha, rank from 1, and stop at the first "
        "that fails) and 'bh' (Benjamini-Hochberg, step-up: flag the k smallest p-values, k the "
        "LARGEST rank with p_(k) < k alpha / m; none if there is no such k). m is the number "
        "of p-values; the array keeps their order; tied p-values get the same decision. Then "
        "`ref, windows = make_null_windows()` (8 windows, 30 features, NO drift): compute each "
        "feature's KS p-value with `scipy.stats.ks_2samp(ref[col], window[col])` (default "
        "method) and store in `false_alarms[correction]` the average NUMBER of flagged features "
        "per window, for all four corrections."),
    answers=("reject", "false_alarms"),
    checker=_check_q4,
    hint=("`order = np.argsort(p)`; for Holm, `passed = p[order] * (m - np.arange(m)) < alpha` "
          "then keep only the leading run of True (`np.cumprod(passed)`); for BH, "
          "`ok = p[order] < np.arange(1, m + 1) * alpha / m` and flag ranks up to the last "
          "True. Put the decisions back with `flags[order] = ...`."),
)


# --------------------------------------------------------------------------------------------
# q1: the PSI noise floor, measured
# --------------------------------------------------------------------------------------------

#: The rows ``floor_table`` must have: (n_ref, n_cur, bins).
FLOOR_GRID = tuple((2000, n_cur, bins) for n_cur in (100, 500, 2000) for bins in (10, 50))
#: Rows the public check re-measures (the small-window, many-bins row is where the formula
#: and the measurement part ways), and how many pairs the checker averages.
PUBLIC_FLOOR_ROWS = ((2000, 100, 50), (2000, 2000, 10))
_CHECK_PAIRS = 100
_LEARNER_PAIRS = 100


def measure_floor(n_ref, n_cur, bins, pairs, random_state) -> tuple[float, float]:
    """Mean and standard deviation of the PSI of ``pairs`` no-drift sample pairs."""
    rng = np.random.default_rng(random_state)
    values = [psi(rng.normal(size=int(n_ref)), rng.normal(size=int(n_cur)), bins=int(bins))
              for _ in range(int(pairs))]
    return float(np.mean(values)), float(np.std(values, ddof=1))


@functools.lru_cache(maxsize=16)
def _fresh_floor(n_ref, n_cur, bins) -> tuple[float, float]:
    return measure_floor(n_ref, n_cur, bins, _CHECK_PAIRS, [CHECK_SEED, n_ref, n_cur, bins])


def floor_rows(floor_table) -> dict:
    t = _table(floor_table, "floor_table", ("n_ref", "n_cur", "bins", "mean_psi", "predicted"))
    rows = {}
    for _, row in t.iterrows():
        key = tuple(int(round(_num(row[c], f"`{c}`"))) for c in ("n_ref", "n_cur", "bins"))
        rows[key] = (_num(row["mean_psi"], "`mean_psi`"), _num(row["predicted"], "`predicted`"))
    missing = [k for k in FLOOR_GRID if k not in rows]
    if missing:
        raise Incorrect(f"`floor_table` has no row for (n_ref, n_cur, bins) = "
                        f"{', '.join(map(str, missing))}; it needs one row for each of "
                        f"{list(FLOOR_GRID)}")
    return rows


def check_floor_row(key, mean):
    n_ref, n_cur, bins = key
    fresh, sd = _fresh_floor(*key)
    pred = (bins - 1) * (1 / n_ref + 1 / n_cur)
    # Sampling error of the learner's mean and of the checker's, four sigmas.
    tol = 4 * sd * math.sqrt(1 / _LEARNER_PAIRS + 1 / _CHECK_PAIRS)
    if abs(mean - fresh) <= tol:
        return
    label = f"n_ref={n_ref}, n_cur={n_cur}, bins={bins}"
    if math.isclose(mean, pred, rel_tol=1e-3):
        raise Incorrect(f"for {label} your `mean_psi` {num(mean)} is the formula's "
                        f"{num(pred)}, but measuring it here ({_CHECK_PAIRS} fresh no-drift "
                        f"pairs) gives {num(fresh)}: with {n_cur} rows in {bins} bins many "
                        "bins are empty, and each empty bin adds a large term. Measure "
                        "`mean_psi`, do not copy the formula.")
    raise Incorrect(f"for {label} your `mean_psi` is {num(mean)}, but the average PSI of "
                    f"{_CHECK_PAIRS} fresh pairs of standard-normal samples of those sizes is "
                    f"{num(fresh)} (a {_LEARNER_PAIRS}-pair average should be within "
                    f"{num(tol)} of it). "
                    "Draw BOTH samples again for every pair and use `psi(ref, cur, bins=bins)`.")


def _check_q1(floor_table):
    rows = floor_rows(floor_table)
    for key in FLOOR_GRID:
        n_ref, n_cur, bins = key
        pred = (bins - 1) * (1 / n_ref + 1 / n_cur)
        got = rows[key][1]
        if not math.isclose(got, pred, rel_tol=1e-6):
            raise Incorrect(f"for n_ref={n_ref}, n_cur={n_cur}, bins={bins} your `predicted` is "
                            f"{num(got)}, but (bins - 1) * (1/n_ref + 1/n_cur) = {num(pred)}")
    for key in PUBLIC_FLOOR_ROWS:
        check_floor_row(key, rows[key][0])
    small = rows[(2000, 100, 50)][0] / ((50 - 1) * (1 / 2000 + 1 / 100))
    return (f"Correct: for large windows PSI without drift sits near (bins - 1)(1/n_ref + "
            f"1/n_cur), but with 100 rows in 50 bins it is {small:.1f}x the formula (empty "
            "bins). A fixed 0.1 threshold means different things for different window sizes "
            "and bin counts.")


q1 = Question(
    "q1",
    prompt=(
        "Build `floor_table` with one row for each (n_ref, n_cur, bins) in `FLOOR_GRID` "
        "(n_ref = 2000; n_cur = 100, 500, 2000; bins = 10, 50) and the columns `n_ref`, "
        "`n_cur`, `bins`, `mean_psi` and `predicted`. `mean_psi` is MEASURED: draw a "
        "reference of n_ref and a current sample of n_cur values from the same standard "
        "normal distribution, compute `psi(ref, cur, bins=bins)` (the library's PSI, "
        "reference-quantile bins, imported in the setup cell; the mechanism here is the "
        f"measurement), and average over {_LEARNER_PAIRS} such pairs, drawing both samples "
        "anew for each pair. `predicted` = `(bins - 1) * (1/n_ref + 1/n_cur)`. Extra columns "
        "are fine."),
    answers=("floor_table",),
    checker=_check_q1,
    hint=("Two nested loops over `n_cur` and `bins` with `rng = np.random.default_rng(0)` "
          f"created once; inside, a list of {_LEARNER_PAIRS} `psi(rng.normal(size=n_ref), "
          "rng.normal(size=n_cur), bins=bins)` values and its `np.mean`."),
)


# --------------------------------------------------------------------------------------------
# q2: KS p-values at huge n
# --------------------------------------------------------------------------------------------

#: The window sizes of ``huge_n``.
HUGE_NS = (1_000, 10_000, 100_000, 1_000_000)
#: The checker re-runs these exactly in the public check (the largest only when grading).
_CHEAP_NS = (1_000, 10_000, 100_000)


@functools.lru_cache(maxsize=8)
def _tiny_shift_numbers(n: int) -> tuple[float, float, float]:
    reference, current = make_tiny_shift(n)
    statistic, p_value = ks_test(reference, current)
    return float(statistic), float(p_value), float(psi(reference, current))


def huge_rows(huge_n) -> dict:
    t = _table(huge_n, "huge_n", ("n", "statistic", "p_value", "psi"))
    rows = {int(round(_num(r["n"], "`n`"))): r for _, r in t.iterrows()}
    missing = [n for n in HUGE_NS if n not in rows]
    if missing:
        raise Incorrect(f"`huge_n` has no row for n = {missing}; it needs one row for each of "
                        f"{list(HUGE_NS)} (up to 1,000,000)")
    return rows


def check_huge_row(n, row):
    stat, p, value = _tiny_shift_numbers(n)
    for col, want in (("statistic", stat), ("p_value", p), ("psi", value)):
        got = _num(row[col], f"`{col}`")
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-300):
            continue
        why = ""
        if col == "p_value" and want < 1e-4 and got == 0:
            why = " Do not round p-values: 0.0 hides how small they are."
        elif col == "p_value" and math.isclose(got, round(want, 4), abs_tol=1e-12):
            why = " It looks rounded: keep the raw p-value."
        elif col == "p_value" and math.isclose(got, stat, rel_tol=1e-9):
            why = " That is the KS statistic: the columns are swapped."
        got_s, want_s = _pair(got, want)
        raise Incorrect(f"for n={n:,} your `{col}` is {got_s}, but `make_tiny_shift({n})` "
                        f"gives {want_s} (KS with `ks_test` or `scipy.stats.ks_2samp`, PSI "
                        f"with `psi(ref, cur)`, 10 bins).{why}")


def _check_q2(huge_n):
    rows = huge_rows(huge_n)
    for n in _CHEAP_NS:
        check_huge_row(n, rows[n])
    big = rows[max(HUGE_NS)]
    stat, p, value = (_num(big[c], f"`{c}`") for c in ("statistic", "p_value", "psi"))
    if not (0.002 < stat < 0.02 and 0 <= p < 1e-6 and 0 <= value < 0.01):
        raise Incorrect(f"for n=1,000,000 your row has statistic {num(stat)}, p_value "
                        f"{num(p)}, psi {num(value)}: a 0.02-sd shift measured on a million "
                        "rows gives a statistic near 0.008, a p-value far below 1e-6 and a PSI "
                        "far below 0.01. Compute that row like the others.")
    return (f"Correct: at n=1,000,000 the p-value is {p:.1e} although the ECDFs differ by "
            f"only {stat:.4f} and PSI is {value:.5f}. Significance is not importance: add an "
            "effect-size floor.")


q2 = Question(
    "q2",
    prompt=(
        "For each n in `HUGE_NS` (1,000, 10,000, 100,000 and 1,000,000) take "
        "`ref, cur = make_tiny_shift(n)` (a 0.02-standard-deviation shift) and fill `huge_n` "
        "(one row per n) with columns `n`, `statistic` and `p_value` (from "
        "`ks_test(ref, cur)`, the library's KS, which returns exactly what "
        "`scipy.stats.ks_2samp(ref, cur)` returns with its default method -- either is fine, "
        "scipy is just several times slower on a million rows; p-value NOT rounded) and `psi` "
        "(`psi(ref, cur)`, 10 reference-quantile bins)."),
    answers=("huge_n",),
    checker=_check_q2,
    hint=("One row per n: `statistic, p_value = ks_test(ref, cur)` (or `res = "
          "stats.ks_2samp(ref, cur)`, then `res.statistic`, `res.pvalue`)."),
)


# --------------------------------------------------------------------------------------------
# q3: the decision per feature, with an effect-size floor
# --------------------------------------------------------------------------------------------

def _probe_windows():
    """The checker's own windows: Bonferroni, Holm, BH and no correction all flag differently,
    and the PSI floor removes significant features whose shift is small."""
    rng = np.random.default_rng(3)
    shifts = np.array([0.0, 0.06, 0.09, 0.11, 0.13, 0.16, 0.22, 0.5])
    cols = [f"g{i}" for i in range(shifts.size)]
    ref = pd.DataFrame(rng.normal(size=(1000, shifts.size)), columns=cols)
    cur = pd.DataFrame(rng.normal(size=(1000, shifts.size)) + shifts, columns=cols)
    return ref, cur


def _true_flags(ref, cur, min_psi=0.0, correction="bonferroni") -> list[str]:
    from scipy import stats

    p = np.array([stats.ks_2samp(ref[c], cur[c]).pvalue for c in ref.columns])
    size = np.atleast_1d(psi(ref, cur))
    keep = (adjust_pvalues(p, correction) < 0.05) & (size >= min_psi)
    return sorted(str(c) for c, k in zip(ref.columns, keep, strict=True) if k)


@functools.lru_cache(maxsize=1)
def _big_window_truth() -> tuple[list, list]:
    ref, cur = make_big_window()
    return _true_flags(ref, cur), _true_flags(ref, cur, 0.1)


@functools.lru_cache(maxsize=1)
def _probe_truth() -> dict:
    ref, cur = _probe_windows()
    out = {c: _true_flags(ref, cur, correction=c) for c in CORRECTIONS}
    out["floor"] = _true_flags(ref, cur, 0.1)
    return out


def _check_q3(flag_drift, plain_flagged, floor_flagged):
    ref, cur = _probe_windows()
    truth = _probe_truth()
    got = _names(call(flag_drift, ref, cur), "flag_drift(reference, current)")
    if got != truth["bonferroni"]:
        same = [c for c in ("none", "holm", "bh") if truth[c] == got]
        why = (f" That is what {same[0]!r} flags; the question asks for Bonferroni "
               "(min(1, m p) < 0.05, m = number of features)." if same else "")
        raise Incorrect(f"on the checker's windows (8 features, 1,000 rows each) "
                        f"`flag_drift(reference, current)` flags {got}, but KS with "
                        f"Bonferroni flags {truth['bonferroni']}.{why}")
    got = _names(call(flag_drift, ref, cur, 0.1), "flag_drift(reference, current, 0.1)")
    if got != truth["floor"]:
        raise Incorrect(f"on the checker's windows `flag_drift(reference, current, 0.1)` flags "
                        f"{got}, but a feature needs a Bonferroni-corrected p < 0.05 AND "
                        f"PSI >= 0.1 (`psi(ref[col], cur[col])`): that gives {truth['floor']}")
    plain, floor = (_names(plain_flagged, "plain_flagged"),
                    _names(floor_flagged, "floor_flagged"))
    want_plain, want_floor = _big_window_truth()
    if plain != want_plain:
        raise Incorrect(f"`plain_flagged` is {plain}, but on `make_big_window()` KS with "
                        f"Bonferroni flags {want_plain}; use your `flag_drift(ref, cur)`")
    if floor != want_floor:
        raise Incorrect(f"`floor_flagged` is {floor}, but on `make_big_window()` the PSI "
                        f"floor 0.1 keeps {want_floor}; use `flag_drift(ref, cur, 0.1)`")
    return (f"Correct: with 10,000 rows the test flags {len(want_plain)} features; the PSI "
            f"floor keeps only the one that really moved ({want_floor}).")


q3 = Question(
    "q3",
    prompt=(
        "Write `flag_drift(reference, current, min_psi=0.0)` for two DataFrames with the same "
        "columns: for every column compute the KS p-value (`scipy.stats.ks_2samp`) and "
        "`psi(reference[col], current[col])`; correct the p-values with Bonferroni over all "
        "columns (your `reject` from question 4 may do it); return the list of column names "
        "whose corrected p-value is < 0.05 AND whose PSI is >= `min_psi`, in any order. Then on "
        "`ref, cur = make_big_window()` store `plain_flagged = flag_drift(ref, cur)` and "
        "`floor_flagged = flag_drift(ref, cur, 0.1)`."),
    answers=("flag_drift", "plain_flagged", "floor_flagged"),
    checker=_check_q3,
    hint=("`p = np.array([stats.ks_2samp(reference[c], current[c]).pvalue for c in "
          "reference])`, `size = np.array([psi(reference[c], current[c]) for c in reference])`, "
          "then keep the columns where `reject(p, 'bonferroni') & (size >= min_psi)`."),
)


# --------------------------------------------------------------------------------------------
# q5: the retraining rule, written by the learner
# --------------------------------------------------------------------------------------------

#: The four decisions, as exact strings.
DECISIONS = ("retrain now", "retrain within 1 week", "scheduled retrain",
             "continue monitoring")

#: Four monitoring situations: keyword arguments of ``retrain_rule``.
SITUATIONS = {
    "labels_late_big_drift": dict(baseline_accuracy=None, current_accuracy=None, max_psi=0.38,
                                  days_since_training=20),
    "accuracy_fell": dict(baseline_accuracy=0.91, current_accuracy=0.87, max_psi=0.05,
                          days_since_training=30),
    "old_but_stable": dict(baseline_accuracy=0.91, current_accuracy=0.905, max_psi=0.08,
                           days_since_training=140),
    "all_quiet": dict(baseline_accuracy=0.91, current_accuracy=0.90, max_psi=0.12,
                      days_since_training=45),
}

#: The checker's situations: every rule, every threshold hit exactly, and the precedence.
#: (name, baseline_accuracy, current_accuracy, max_psi, days_since_training, decision, why)
_RULE_CASES = (
    ("everything wrong at once", 0.91, 0.80, 0.60, 400, "retrain now",
     "the accuracy rule comes first"),
    ("drift and old, accuracy fine", 0.91, 0.90, 0.40, 200, "retrain within 1 week",
     "drift is checked before age"),
    ("a drop of exactly 2 points", 0.91, 0.89, 0.10, 10, "continue monitoring",
     "a drop of exactly 0.02 is not MORE than 2 points (0.91 - 0.89 is "
     "0.020000000000000018 in floats: compare with 0.02 + 1e-9)"),
    ("a drop of 2.1 points", 0.91, 0.889, 0.10, 10, "retrain now",
     "0.021 is more than 2 points"),
    ("PSI exactly 0.25", 0.91, 0.91, 0.25, 10, "continue monitoring",
     "PSI must be ABOVE 0.25; 0.25 itself does not trigger"),
    ("PSI 0.2501", 0.91, 0.91, 0.2501, 10, "retrain within 1 week", "0.2501 > 0.25"),
    ("exactly 90 days", 0.91, 0.91, 0.10, 90, "continue monitoring",
     "90 days is not MORE than 90"),
    ("91 days", 0.91, 0.91, 0.10, 91, "scheduled retrain", "91 > 90"),
    ("labels late, big drift", None, None, 0.30, 400, "retrain within 1 week",
     "without labels the accuracy rule is skipped; drift comes next"),
    ("labels late, nothing else known", None, None, None, None, "continue monitoring",
     "every input is None, so every rule is skipped"),
    ("no drift scores, old model", 0.91, 0.90, None, 120, "scheduled retrain",
     "a missing PSI skips the drift rule only"),
    ("accuracy rose", 0.85, 0.95, 0.30, 10, "retrain within 1 week",
     "a RISE in accuracy is no drop"),
)


def _decision_text(out) -> str:
    out = getattr(out, "decision", out)
    if not isinstance(out, str):
        raise Incorrect(f"`retrain_rule` returned {type(out).__name__} `{out!r:.60}`; return "
                        f"one of the strings {list(DECISIONS)}")
    return str(out)


def _check_q5(retrain_rule):
    for name, base, cur, max_psi, days, want, why in _RULE_CASES:
        got = _decision_text(call(retrain_rule, base, cur, max_psi, days))
        if got == want:
            continue
        if got not in DECISIONS:
            raise Incorrect(f"`retrain_rule({base}, {cur}, {max_psi}, {days})` returned "
                            f"{got!r}, which is not one of {list(DECISIONS)} (exact text, "
                            "lower case)")
        raise Incorrect(f"{name}: `retrain_rule({base}, {cur}, {max_psi}, {days})` returned "
                        f"{got!r}, but the rule says {want!r}: {why}.")
    return "Correct: accuracy first, then drift, then age; each threshold is strict."


q5 = Question(
    "q5",
    prompt=(
        "Write `retrain_rule(baseline_accuracy, current_accuracy, max_psi, "
        "days_since_training)` returning one of the strings 'retrain now', 'retrain within 1 "
        "week', 'scheduled retrain', 'continue monitoring'. Check in this order, first match "
        "wins: (1) accuracy fell by MORE than 2 percentage points, i.e. `baseline_accuracy - "
        "current_accuracy > 0.02 + 1e-9` (the 1e-9 absorbs float error; a rise is no drop) -> "
        "'retrain now'; (2) `max_psi > 0.25` -> 'retrain within 1 week'; (3) "
        "`days_since_training > 90` -> 'scheduled retrain'; (4) otherwise 'continue "
        "monitoring'. A value exactly at a threshold does not trigger. An input that is None "
        "skips its rule (the two accuracies are None together when labels are late)."),
    answers=("retrain_rule",),
    checker=_check_q5,
    hint=("Three `if` statements in order, each guarded by `... is not None`, each "
          "`return`ing; the last line returns 'continue monitoring'."),
)

EXERCISE = Exercise("l07_monitoring_drift", [q1, q2, q3, q4, q5])
