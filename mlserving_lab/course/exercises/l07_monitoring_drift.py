"""Check-yourself questions for lesson ``07_monitoring_drift`` (1 point each).

Every dataset the questions use comes from a seeded generator in this module, so the checkers
recompute the learner's numbers from the same data instead of comparing with fixed values.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question
from mlserving_lab.drift import DriftDetector, adjust_pvalues, ks_test, psi
from mlserving_lab.monitoring import retraining_decision

__all__ = ["EXERCISE", "SITUATIONS", "make_big_window", "make_null_windows", "make_tiny_shift",
           "q1", "q2", "q3", "q4", "q5"]


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


def make_big_window(n=200_000, random_state=0):
    """Large reference and current windows: five trivial shifts and one real one.

    Features ``f0``-``f4`` move by 0.01-0.03 standard deviations (harmless); ``f5`` moves by
    0.5 (a real change).

    Returns
    -------
    reference, current : pandas.DataFrame
    """
    rng = np.random.default_rng(random_state)
    cols = [f"f{i}" for i in range(6)]
    ref = pd.DataFrame(rng.normal(size=(n, 6)), columns=cols)
    cur = pd.DataFrame(rng.normal(size=(n, 6)) + [0.02, 0.03, 0.015, 0.025, 0.02, 0.5],
                       columns=cols)
    return ref, cur


def make_null_windows(n_windows=10, n_rows=500, n_features=50, random_state=0):
    """A reference and ``n_windows`` current windows from the SAME distribution (no drift).

    Returns
    -------
    reference : pandas.DataFrame
    windows : list of pandas.DataFrame
    """
    rng = np.random.default_rng(random_state)
    cols = [f"f{i}" for i in range(n_features)]
    ref = pd.DataFrame(rng.normal(size=(2000, n_features)), columns=cols)
    return ref, [pd.DataFrame(rng.normal(size=(n_rows, n_features)), columns=cols)
                 for _ in range(n_windows)]


#: Four monitoring situations for question 5 (keyword arguments of retraining_decision).
SITUATIONS = {
    "labels_late_big_drift": dict(psi={"age": 0.04, "income": 0.38}, days_since_training=20),
    "accuracy_fell": dict(baseline_accuracy=0.91, current_accuracy=0.87, psi=0.05,
                          days_since_training=30),
    "old_but_stable": dict(baseline_accuracy=0.91, current_accuracy=0.905, psi=0.08,
                           days_since_training=140),
    "all_quiet": dict(baseline_accuracy=0.91, current_accuracy=0.90, psi=0.12,
                      days_since_training=45),
}


def _table(x, what, columns):
    if not isinstance(x, pd.DataFrame):
        raise Incorrect(f"`{what}` should be a pandas DataFrame, got {type(x).__name__}")
    missing = [c for c in columns if c not in x.columns]
    if missing:
        raise Incorrect(f"`{what}` has no column(s) {missing}; it has {list(x.columns)}")
    return x


def _num(v, what):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating)):
        raise Incorrect(f"{what} should be a number, got {v!r}")
    v = float(v)
    if math.isnan(v):
        raise Incorrect(f"{what} is NaN")
    return v


# --------------------------------------------------------------------------------------------
# q1: the PSI noise floor
# --------------------------------------------------------------------------------------------

def _check_q1(floor_table):
    t = _table(floor_table, "floor_table", ("n_ref", "n_cur", "bins", "mean_psi", "predicted"))
    if len(t) < 4 or t["n_cur"].nunique() < 2 or t["bins"].nunique() < 2:
        raise Incorrect(f"`floor_table` has {len(t)} rows with {t['n_cur'].nunique()} window "
                        f"size(s) and {t['bins'].nunique()} bin count(s); vary both (at least "
                        "two of each, four rows)")
    for _, row in t.iterrows():
        n_ref, n_cur, bins = (_num(row[c], f"`{c}`") for c in ("n_ref", "n_cur", "bins"))
        pred = (bins - 1) * (1 / n_ref + 1 / n_cur)
        got_pred = _num(row["predicted"], "`predicted`")
        if not math.isclose(got_pred, pred, rel_tol=1e-6):
            raise Incorrect(f"for n_ref={n_ref:g}, n_cur={n_cur:g}, bins={bins:g} your "
                            f"`predicted` is {got_pred:.5f}, but (bins - 1) * (1/n_ref + "
                            f"1/n_cur) = {pred:.5f}")
        mean = _num(row["mean_psi"], "`mean_psi`")
        if not 0.6 * pred <= mean <= 1.6 * pred:
            raise Incorrect(f"for n_cur={n_cur:g}, bins={bins:g} your measured mean PSI "
                            f"{mean:.5f} is far from the predicted floor {pred:.5f}; average "
                            "PSI over many (>= 50) pairs of samples from the SAME distribution")
    return ("Correct: without any drift PSI sits near (bins - 1)(1/n_ref + 1/n_cur). A fixed "
            "0.1 threshold therefore means different things for 100-row and 100,000-row "
            "windows, and for 10 or 50 bins.")


q1 = Question(
    "q1",
    prompt=(
        "Build `floor_table` with columns `n_ref`, `n_cur`, `bins`, `mean_psi` (PSI between two "
        "samples of the SAME normal distribution, averaged over 100 pairs) and `predicted` = "
        "`(bins - 1) * (1/n_ref + 1/n_cur)`, for at least two window sizes and two bin counts."),
    answers=("floor_table",),
    checker=_check_q1,
    hint=("Two nested loops over `n_cur` and `bins`; inside, average `psi(rng.normal(size="
          "n_ref), rng.normal(size=n_cur), bins=bins)` over 100 draws."),
    solution=(
        "rng = np.random.default_rng(0)\n"
        "rows = []\n"
        "for n_cur in (200, 1000, 5000):\n"
        "    for bins in (5, 10, 20):\n"
        "        values = [psi(rng.normal(size=5000), rng.normal(size=n_cur), bins=bins)\n"
        "                  for _ in range(100)]\n"
        "        rows.append(dict(n_ref=5000, n_cur=n_cur, bins=bins, mean_psi=np.mean(values),\n"
        "                         predicted=(bins - 1) * (1 / 5000 + 1 / n_cur)))\n"
        "floor_table = pd.DataFrame(rows)"),
)


# --------------------------------------------------------------------------------------------
# q2: KS p-values at huge n
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _tiny_shift_numbers(n: int) -> tuple[float, float, float]:
    ref, cur = make_tiny_shift(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, p = ks_test(ref, cur)
    return float(stat), float(p), float(psi(ref, cur))


def _check_q2(huge_n):
    t = _table(huge_n, "huge_n", ("n", "statistic", "p_value", "psi"))
    ns = [int(_num(v, "`n`")) for v in t["n"]]
    if len(ns) < 3 or max(ns) < 1000 * min(ns) or max(ns) < 1_000_000:
        raise Incorrect(f"`huge_n` covers n = {ns}; use at least three sizes from 1,000 up to "
                        "1,000,000")
    for i, n in enumerate(ns):
        stat, p, value = _tiny_shift_numbers(n)
        for col, want in (("statistic", stat), ("p_value", p), ("psi", value)):
            got = _num(t[col].iloc[i], f"`{col}`")
            if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-12):
                raise Incorrect(f"for n={n:,} your `{col}` is {got:.4g}, but "
                                f"`make_tiny_shift({n})` gives {want:.4g}; use the samples it "
                                "returns with `ks_test` and `psi` (default bins)")
    big = t.iloc[int(np.argmax(ns))]
    return (f"Correct: at n={max(ns):,} the p-value is {big.p_value:.1e} although the ECDFs "
            f"differ by only {big.statistic:.4f} and PSI is {big.psi:.5f}. Significance is not "
            "importance: add an effect-size floor.")


q2 = Question(
    "q2",
    prompt=(
        "For n = 1,000, 10,000, 100,000 and 1,000,000 take `ref, cur = make_tiny_shift(n)` (a "
        "0.02-standard-deviation shift) and fill `huge_n` with columns `n`, `statistic`, "
        "`p_value` (from `ks_test`) and `psi`."),
    answers=("huge_n",),
    checker=_check_q2,
    hint="One row per n: `stat, p = ks_test(ref, cur)`, `psi(ref, cur)`.",
    solution=(
        "rows = []\n"
        "for n in (1_000, 10_000, 100_000, 1_000_000):\n"
        "    ref, cur = make_tiny_shift(n)\n"
        "    stat, p = ks_test(ref, cur)\n"
        "    rows.append(dict(n=n, statistic=stat, p_value=p, psi=psi(ref, cur)))\n"
        "huge_n = pd.DataFrame(rows)"),
)


# --------------------------------------------------------------------------------------------
# q3: an effect-size floor
# --------------------------------------------------------------------------------------------

def _flag_list(x, what):
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise Incorrect(f"`{what}` should be a list of feature names, got {x!r:.60}")
    return sorted(str(v) for v in x)


@functools.lru_cache(maxsize=1)
def _big_window_flags() -> tuple[list, list]:
    ref, cur = make_big_window()
    report = DriftDetector().fit(ref).score(cur)
    plain = sorted(report.loc[report.drifted, "feature"])
    floor = sorted(report.loc[report.drifted & (report.psi >= 0.1), "feature"])
    return plain, floor


def _check_q3(plain_flagged, floor_flagged):
    plain = _flag_list(plain_flagged, "plain_flagged")
    floor = _flag_list(floor_flagged, "floor_flagged")
    want_plain, want_floor = _big_window_flags()
    if plain != want_plain:
        raise Incorrect(f"`plain_flagged` is {plain}, but the default detector (Bonferroni, "
                        f"alpha=0.05) flags {want_plain} on `make_big_window()`")
    if floor != want_floor:
        raise Incorrect(f"`floor_flagged` is {floor}, but `DriftDetector(min_psi=0.1)` flags "
                        f"{want_floor}: with the floor a feature needs a small p-value AND "
                        "PSI >= 0.1")
    return (f"Correct: with 200,000 rows the test flags {len(want_plain)} features; the PSI "
            f"floor keeps only the one that really moved ({want_floor}).")


q3 = Question(
    "q3",
    prompt=(
        "On `ref, cur = make_big_window()` list the features flagged by `DriftDetector()` "
        "(`plain_flagged`) and by `DriftDetector(min_psi=0.1)` (`floor_flagged`)."),
    answers=("plain_flagged", "floor_flagged"),
    checker=_check_q3,
    hint="`report = DriftDetector(...).fit(ref).score(cur)`; `list(report.feature[report.drifted])`.",
    solution=(
        "ref, cur = make_big_window()\n"
        "plain = DriftDetector().fit(ref).score(cur)\n"
        "floor = DriftDetector(min_psi=0.1).fit(ref).score(cur)\n"
        "plain_flagged = list(plain.feature[plain.drifted])\n"
        "floor_flagged = list(floor.feature[floor.drifted])"),
)


# --------------------------------------------------------------------------------------------
# q4: false alarms and corrections
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _null_pvalues() -> tuple:
    ref, windows = make_null_windows()
    det = DriftDetector(correction="none").fit(ref)
    return tuple(det.score(w).p_value.to_numpy() for w in windows)


def _null_false_alarms(correction):
    return float(np.mean([(adjust_pvalues(p, correction) < 0.05).sum()
                          for p in _null_pvalues()]))


def _check_q4(false_alarms):
    if not isinstance(false_alarms, dict) or not {"none", "bonferroni"} <= set(false_alarms):
        raise Incorrect("`false_alarms` should be a dict with at least the keys 'none' and "
                        f"'bonferroni', got {false_alarms!r:.100}")
    for corr, value in false_alarms.items():
        if corr not in ("none", "bonferroni", "holm", "bh"):
            raise Incorrect(f"`false_alarms` has the key {corr!r}; use the corrections 'none', "
                            "'bonferroni', 'holm' or 'bh'")
        got = _num(value, f"`false_alarms[{corr!r}]`")
        want = _null_false_alarms(corr)
        if not math.isclose(got, want, abs_tol=1e-9):
            raise Incorrect(f"`false_alarms[{corr!r}]` is {got:g}, but the average number of "
                            f"features flagged per window of `make_null_windows()` with "
                            f"correction={corr!r} is {want:g}")
    return (f"Correct: with 50 features and no drift at all, uncorrected tests raise about "
            f"{false_alarms['none']:.1f} alarms per window (50 x 0.05 = 2.5 expected); "
            "Bonferroni brings it near zero.")


q4 = Question(
    "q4",
    prompt=(
        "`ref, windows = make_null_windows()` gives 10 windows with NO drift (50 features). "
        "For `correction` in 'none', 'bonferroni' (and, if you like, 'holm', 'bh') store the "
        "average number of flagged features per window in `false_alarms[correction]`."),
    answers=("false_alarms",),
    checker=_check_q4,
    hint=("The raw p-values do not depend on the correction: score every window once with "
          "`DriftDetector(correction='none')`, then count `adjust_pvalues(p, c) < 0.05` for "
          "each correction `c` and average over windows."),
    solution=(
        "ref, windows = make_null_windows()\n"
        "det = DriftDetector(correction='none').fit(ref)\n"
        "p_values = [det.score(w).p_value.to_numpy() for w in windows]\n"
        "false_alarms = {c: float(np.mean([(adjust_pvalues(p, c) < 0.05).sum() for p in p_values]))\n"
        "                for c in ('none', 'bonferroni', 'holm', 'bh')}"),
)


# --------------------------------------------------------------------------------------------
# q5: the retraining rule
# --------------------------------------------------------------------------------------------

def _check_q5(decisions):
    if not isinstance(decisions, dict) or set(decisions) != set(SITUATIONS):
        raise Incorrect(f"`decisions` should be a dict with one entry per situation "
                        f"{list(SITUATIONS)}, got {decisions!r:.120}")
    for name, kwargs in SITUATIONS.items():
        want = retraining_decision(**kwargs)
        got = decisions[name]
        got = getattr(got, "decision", got)
        if got != want.decision:
            raise Incorrect(f"for `{name}` you decided {got!r}, but the rule says "
                            f"{want.decision!r} ({want.reason})")
    return "Correct: accuracy first, then drift, then age."


q5 = Question(
    "q5",
    prompt=("Apply `retraining_decision(**kwargs)` to every entry of `SITUATIONS` and store "
            "the decision strings in `decisions = {name: decision}`."),
    answers=("decisions",),
    checker=_check_q5,
    hint="`{name: retraining_decision(**kw).decision for name, kw in SITUATIONS.items()}`",
    solution=("decisions = {name: retraining_decision(**kw).decision\n"
              "             for name, kw in SITUATIONS.items()}"),
)

EXERCISE = Exercise("l07_monitoring_drift", [q1, q2, q3, q4, q5])
