"""Exercise 3: a drift detection system (KS and PSI on four seeded scenarios).

The learner writes two detection functions, ``ks_drift`` and ``psi_drift``, runs them on the
four scenarios of :func:`mlserving_lab.datasets.make_drift_scenarios` and measures which method
is more sensitive to which kind of drift. The checkers call the learner's functions on fresh
data the learner has never seen (other sizes, names, seeds and shifts) and compare every number
with :mod:`mlserving_lab.drift`.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call
from mlserving_lab.datasets import DriftScenarios, make_drift_scenarios
from mlserving_lab.drift import ks_test, psi

__all__ = ["EXERCISE", "SCENARIO_NAMES", "SENSITIVITY", "q1", "q2", "q3", "q4",
           "reference_ks_drift", "reference_psi_drift", "reference_sensitivity"]

SCENARIO_NAMES = ("no_drift", "mean_shift", "variance_change", "new_distribution")
DRIFT_TYPES = SCENARIO_NAMES[1:]

#: The sensitivity experiment of question 4: small windows and modest drifts, 20 seeds.
SENSITIVITY = {
    "n_reference": 1000,
    "n_current": 300,
    "mean_shift": 0.25,
    "variance_factor": 1.6,
    "seeds": tuple(range(20)),
    "alpha": 0.05,
    "psi_threshold": 0.1,
}


# --------------------------------------------------------------------------------------------
# Reference implementations (what the checkers compare with)
# --------------------------------------------------------------------------------------------

def reference_ks_drift(reference, current, alpha=0.05) -> pd.DataFrame:
    """KS per feature with the Bonferroni correction (the package's numbers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, p = ks_test(reference, current)
    return pd.DataFrame({"feature": [str(c) for c in reference.columns], "statistic": stat,
                         "p_value": p, "drifted": p * reference.shape[1] < alpha})


def reference_psi_drift(reference, current, bins=10, threshold=0.25, eps=1e-4) -> pd.DataFrame:
    """PSI per feature on reference-decile bins with open outer bins (the package's numbers)."""
    values = psi(reference, current, bins=bins, eps=eps)
    return pd.DataFrame({"feature": [str(c) for c in reference.columns], "psi": values,
                         "drifted": values >= threshold})


def _rates(ks_fn, psi_fn, setup=SENSITIVITY) -> pd.DataFrame:
    hits = {name: {"ks": 0, "psi": 0, "n": 0} for name in SCENARIO_NAMES}
    for seed in setup["seeds"]:
        sc = make_drift_scenarios(setup["n_reference"], setup["n_current"],
                                  mean_shift=setup["mean_shift"],
                                  variance_factor=setup["variance_factor"], random_state=seed)
        for name in SCENARIO_NAMES:
            cur = sc.current[name]
            truth = sc.drifted[name] or list(sc.reference.columns)  # no_drift: false alarms
            ks_flags = set(_flagged(ks_fn(sc.reference, cur, alpha=setup["alpha"]), "ks"))
            psi_flags = set(_flagged(psi_fn(sc.reference, cur,
                                            threshold=setup["psi_threshold"]), "psi"))
            hits[name]["ks"] += len(ks_flags & set(truth))
            hits[name]["psi"] += len(psi_flags & set(truth))
            hits[name]["n"] += len(truth)
    return pd.DataFrame({m: [hits[s][m] / hits[s]["n"] for s in SCENARIO_NAMES]
                         for m in ("ks", "psi")}, index=pd.Index(SCENARIO_NAMES,
                                                                  name="scenario"))


def reference_sensitivity(setup=SENSITIVITY) -> pd.DataFrame:
    """Detection rates of the package's KS and PSI detectors on the question-4 experiment.

    Rows: the four scenarios. For ``no_drift`` the value is the false-alarm rate (share of all
    features flagged); for the other scenarios it is the share of truly drifted features
    flagged, pooled over all seeds.
    """
    return _rates(reference_ks_drift, reference_psi_drift, setup)


# --------------------------------------------------------------------------------------------
# Helpers for the checkers
# --------------------------------------------------------------------------------------------

def _flagged(table, what) -> list[str]:
    if not isinstance(table, pd.DataFrame):
        raise Incorrect(f"your {what} function should return a DataFrame, got "
                        f"{type(table).__name__}")
    if "feature" not in table.columns or "drifted" not in table.columns:
        raise Incorrect(f"your {what} table needs the columns `feature` and `drifted`; it has "
                        f"{list(table.columns)}")
    return [str(f) for f, d in zip(table["feature"], table["drifted"], strict=True) if bool(d)]


def _fresh_pairs(seed: int):
    """Data the learner has not seen: other names, sizes, drifts (including values beyond
    the reference range)."""
    rng = np.random.default_rng(seed)
    n_ref, n_cur = 1234, 517  # (n_ref - 1) * k / 10 is never an integer: no ties at edges
    names = ["temp", "pressure", "speed", "load", "vibration", "humidity"]
    ref = pd.DataFrame(rng.normal(size=(n_ref, 6)) * [1, 2, 1, 5, 1, 1] + [0, 10, 0, 50, 0, 0],
                       columns=names)
    cur = pd.DataFrame(rng.normal(size=(n_cur, 6)) * [1, 2, 1, 5, 1, 1] + [0, 10, 0, 50, 0, 0],
                       columns=names)
    cur["pressure"] += 0.35 * 2
    cur["speed"] *= 2.5  # many values beyond the reference range
    cur["vibration"] = rng.exponential(size=n_cur) - 1.0  # same mean and variance, skewed
    cur["humidity"] += 0.08  # a small shift: borderline
    return ref, cur


def _as_table(result, what: str, columns) -> pd.DataFrame:
    if not isinstance(result, pd.DataFrame):
        raise Incorrect(f"`{what}` should return a pandas DataFrame (one row per feature), got "
                        f"{type(result).__name__}")
    missing = [c for c in columns if c not in result.columns]
    if missing:
        raise Incorrect(f"the table returned by `{what}` has no column(s) {missing}; it has "
                        f"{list(result.columns)}")
    return result


def _same_features(table, reference, what):
    got = [str(f) for f in table["feature"]]
    want = [str(c) for c in reference.columns]
    if got != want:
        raise Incorrect(f"`{what}` returned rows for features {got}, but the data has columns "
                        f"{want} (one row per column, in order)")


def _number(x) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating)):
        raise Incorrect(f"expected numbers in the table, found {x!r}")
    return float(x)


# --------------------------------------------------------------------------------------------
# q1: KS detection
# --------------------------------------------------------------------------------------------

def _compare_ks(ks_drift, ref, cur, alpha=0.05, label="fresh data"):
    table = _as_table(call(ks_drift, ref, cur, alpha=alpha), "ks_drift",
                      ("feature", "statistic", "p_value", "drifted"))
    _same_features(table, ref, "ks_drift")
    want = reference_ks_drift(ref, cur, alpha)
    m = ref.shape[1]
    for i, name in enumerate(want["feature"]):
        s, p = _number(table["statistic"].iloc[i]), _number(table["p_value"].iloc[i])
        ws, wp = want["statistic"].iloc[i], want["p_value"].iloc[i]
        if abs(s - ws) > 1e-9:
            raise Incorrect(f"on {label}, your KS statistic for `{name}` is {s:.6f} but the "
                            f"largest gap between the two ECDFs is {ws:.6f} "
                            "(`scipy.stats.ks_2samp(reference[col], current[col])`)")
        if abs(p - wp) > 1e-9:
            extra = (" -- did you pass `method=` or `mode=`? keep scipy's default "
                     "(exact p-values for small samples)" if abs(p - wp) < 0.05 else "")
            raise Incorrect(f"on {label}, your p-value for `{name}` is {p:.3g} but "
                            f"`ks_2samp` gives {wp:.3g}{extra}")
    got = [bool(d) for d in table["drifted"]]
    expected = [bool(d) for d in want["drifted"]]
    if got != expected:
        plain = [bool(p < alpha) for p in want["p_value"]]
        flagged = [n for n, d in zip(want["feature"], got, strict=True) if d]
        right = [n for n, d in zip(want["feature"], expected, strict=True) if d]
        if got == plain:
            raise Incorrect(f"on {label} you flag {flagged} with `p_value < alpha`. With {m} "
                            f"features tested at once that gives false alarms; apply the "
                            f"Bonferroni correction: flag only `p_value < alpha / {m}` "
                            f"(= {alpha / m:.4f}), which flags {right}")
        raise Incorrect(f"on {label} you flag {flagged}, but Bonferroni-corrected KS "
                        f"(`p_value < alpha / {m}`) flags {right}")


def _check_q1(ks_drift):
    ref, cur = _fresh_pairs(101)
    _compare_ks(ks_drift, ref, cur)
    _compare_ks(ks_drift, ref.iloc[:400], cur.iloc[:150], alpha=0.01,
                label="a second fresh sample with alpha=0.01")
    return ("Correct: your KS detector matches scipy to 1e-9 on data it had not seen, and "
            "flags with the Bonferroni correction.")


def _hidden_q1_ties_and_tiny(ks_drift):
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"count": rng.poisson(3, 60).astype(float),
                        "grade": rng.integers(1, 6, 60).astype(float)})
    cur = pd.DataFrame({"count": rng.poisson(4, 25).astype(float),
                        "grade": rng.integers(1, 6, 25).astype(float)})
    _compare_ks(ks_drift, ref, cur, label="small samples with ties")


q1 = Question(
    "q1",
    prompt=(
        "Write `ks_drift(reference, current, alpha=0.05)`. Both inputs are DataFrames with the "
        "same columns. Return a DataFrame with one row per column and the columns `feature`, "
        "`statistic`, `p_value` (the two-sample KS test, exactly as `scipy.stats.ks_2samp` "
        "computes it) and `drifted`: True when `p_value < alpha / n_features` (Bonferroni)."),
    answers=("ks_drift",),
    checker=_check_q1,
    hint=(
        "Loop over `reference.columns`, call `ks_2samp(reference[col], current[col])` (or the "
        "library's `ks_test(reference, current)`, which does every column at once), collect "
        "rows, and divide `alpha` by the number of columns before comparing."),
    solution=(
        "def ks_drift(reference, current, alpha=0.05):\n"
        "    statistic, p_value = ks_test(reference, current)\n"
        "    m = reference.shape[1]\n"
        "    return pd.DataFrame({'feature': list(reference.columns), 'statistic': statistic,\n"
        "                         'p_value': p_value, 'drifted': p_value < alpha / m})"),
    points=2,
    hidden=(_hidden_q1_ties_and_tiny,),
)


# --------------------------------------------------------------------------------------------
# q2: PSI detection
# --------------------------------------------------------------------------------------------

def _closed_psi(ref_col, cur_col, bins, eps):
    """The common mistake: np.histogram on [ref.min(), ref.max()] drops values outside."""
    edges = np.quantile(ref_col, np.linspace(0, 1, bins + 1))
    r = np.histogram(ref_col, edges)[0] / len(ref_col)
    c = np.histogram(cur_col, edges)[0] / len(cur_col)
    r, c = np.where(r == 0, eps, r), np.where(c == 0, eps, c)
    return float(np.sum((c - r) * np.log(c / r)))


def _compare_psi(psi_drift, ref, cur, bins=10, threshold=0.25, label="fresh data"):
    table = _as_table(call(psi_drift, ref, cur, bins=bins, threshold=threshold), "psi_drift",
                      ("feature", "psi", "drifted"))
    _same_features(table, ref, "psi_drift")
    want = reference_psi_drift(ref, cur, bins, threshold)
    for i, name in enumerate(want["feature"]):
        got, exp = _number(table["psi"].iloc[i]), float(want["psi"].iloc[i])
        if not math.isclose(got, exp, rel_tol=1e-6, abs_tol=1e-9):
            closed = _closed_psi(ref[name].to_numpy(), cur[name].to_numpy(), bins, 1e-4)
            if math.isclose(got, closed, rel_tol=1e-6, abs_tol=1e-9):
                raise Incorrect(
                    f"on {label}, your PSI for `{name}` is {got:.4f}, but it should be "
                    f"{exp:.4f}: current values outside the reference range were dropped. "
                    "`np.histogram` ignores values beyond the first and last edge; make the "
                    "outer bins open (edges `-inf` and `+inf`)")
            if got < 0:
                raise Incorrect(f"on {label}, your PSI for `{name}` is negative ({got:.4f}); "
                                "PSI = sum((cur - ref) * ln(cur / ref)) is never negative -- "
                                "check the sign of one of the two factors")
            raise Incorrect(f"on {label}, your PSI for `{name}` is {got:.4f} but the package "
                            f"gives {exp:.4f} with {bins} reference-quantile bins, open outer "
                            "bins and eps=1e-4 for empty bins")
    got = [bool(d) for d in table["drifted"]]
    expected = [bool(d) for d in want["drifted"]]
    if got != expected:
        flagged = [n for n, d in zip(want["feature"], got, strict=True) if d]
        right = [n for n, d in zip(want["feature"], expected, strict=True) if d]
        raise Incorrect(f"on {label} you flag {flagged}, but `psi >= threshold` "
                        f"({threshold}) flags {right}")


def _check_q2(psi_drift):
    ref, cur = _fresh_pairs(202)
    _compare_psi(psi_drift, ref, cur)
    _compare_psi(psi_drift, ref, cur, bins=5, threshold=0.05,
                 label="the same data with bins=5 and threshold=0.05")
    return ("Correct: your PSI matches the package on data it had not seen, including values "
            "beyond the reference range.")


def _hidden_q2_empty_bins(psi_drift):
    rng = np.random.default_rng(9)
    ref = pd.DataFrame({"a": rng.normal(size=800), "b": rng.normal(size=800)})
    cur = pd.DataFrame({"a": rng.normal(size=300) * 0.2, "b": rng.normal(size=300) + 3})
    _compare_psi(psi_drift, ref, cur, label="windows with empty bins")


q2 = Question(
    "q2",
    prompt=(
        "Write `psi_drift(reference, current, bins=10, threshold=0.25, eps=1e-4)`. Bin edges are "
        "the reference quantiles; the first and last bins are open, so current values outside "
        "the reference range still count; empty bins get the share `eps`. Return a DataFrame "
        "with `feature`, `psi` and `drifted` (`psi >= threshold`)."),
    answers=("psi_drift",),
    checker=_check_q2,
    hint=(
        "`edges = np.quantile(ref_col, np.linspace(0, 1, bins + 1))`, then replace the first "
        "and last edge by `-np.inf` and `np.inf` before `np.histogram`. Shares are counts "
        "divided by the sample size; `np.where(share == 0, eps, share)`; then "
        "`np.sum((c - r) * np.log(c / r))`. Or call the library's `psi(reference, current, "
        "bins=bins, eps=eps)`."),
    solution=(
        "def psi_drift(reference, current, bins=10, threshold=0.25, eps=1e-4):\n"
        "    values = psi(reference, current, bins=bins, eps=eps)\n"
        "    return pd.DataFrame({'feature': list(reference.columns), 'psi': values,\n"
        "                         'drifted': values >= threshold})"),
    points=2,
    hidden=(_hidden_q2_empty_bins,),
)


# --------------------------------------------------------------------------------------------
# q3: flagged features per scenario
# --------------------------------------------------------------------------------------------

def _check_q3(scenarios, flagged):
    if not isinstance(scenarios, DriftScenarios):
        raise Incorrect("`scenarios` should be the object returned by "
                        f"`make_drift_scenarios(...)`, got {type(scenarios).__name__}")
    if not isinstance(flagged, dict):
        raise Incorrect(f"`flagged` should be a dict {{scenario: {{'ks': [...], 'psi': [...]}}}}, "
                        f"got {type(flagged).__name__}")
    missing = [s for s in scenarios.names if s not in flagged]
    if missing:
        raise Incorrect(f"`flagged` has no entry for scenario(s) {missing}")
    for name in scenarios.names:
        entry = flagged[name]
        if not isinstance(entry, dict) or not {"ks", "psi"} <= set(entry):
            raise Incorrect(f"`flagged[{name!r}]` should be a dict with keys 'ks' and 'psi', "
                            f"got {entry!r:.80}")
        cur = scenarios.current[name]
        want = {
            "ks": _flagged(reference_ks_drift(scenarios.reference, cur), "ks"),
            "psi": _flagged(reference_psi_drift(scenarios.reference, cur), "psi"),
        }
        for method, label in (("ks", "KS (Bonferroni, alpha=0.05)"),
                              ("psi", "PSI >= 0.25")):
            got = sorted(str(f) for f in entry[method])
            if got != sorted(want[method]):
                raise Incorrect(f"for scenario `{name}` your {method!r} list is {got}, but "
                                f"{label} flags {sorted(want[method])} on these data")
    truth = {n: scenarios.drifted[n] for n in scenarios.names}
    return f"Correct. The features that really drifted were {truth}."


q3 = Question(
    "q3",
    prompt=(
        "Run both detectors on every scenario of `scenarios` and store the flagged features "
        "in `flagged = {scenario: {'ks': [...], 'psi': [...]}}` (default arguments)."),
    answers=("scenarios", "flagged"),
    checker=_check_q3,
    hint=(
        "`for name, cur in scenarios.current.items():` call both functions with "
        "`scenarios.reference` and `cur`, and keep `table.loc[table.drifted, 'feature']` as "
        "a list."),
    solution=(
        "flagged = {}\n"
        "for name, cur in scenarios.current.items():\n"
        "    ks_table = ks_drift(scenarios.reference, cur)\n"
        "    psi_table = psi_drift(scenarios.reference, cur)\n"
        "    flagged[name] = {'ks': list(ks_table.loc[ks_table.drifted, 'feature']),\n"
        "                     'psi': list(psi_table.loc[psi_table.drifted, 'feature'])}"),
    points=2,
)


# --------------------------------------------------------------------------------------------
# q4: sensitivity
# --------------------------------------------------------------------------------------------

def _check_q4(sensitivity, more_sensitive):
    if not isinstance(sensitivity, pd.DataFrame):
        raise Incorrect(f"`sensitivity` should be a DataFrame, got {type(sensitivity).__name__}")
    if set(map(str, sensitivity.index)) != set(SCENARIO_NAMES) or \
            not {"ks", "psi"} <= set(sensitivity.columns):
        raise Incorrect(f"`sensitivity` needs one row per scenario {list(SCENARIO_NAMES)} and "
                        f"the columns 'ks' and 'psi'; it has rows {list(sensitivity.index)} "
                        f"and columns {list(sensitivity.columns)}")
    table = sensitivity.copy()
    table.index = table.index.map(str)
    for name in SCENARIO_NAMES:
        for m in ("ks", "psi"):
            v = _number(table.loc[name, m])
            if not 0 <= v <= 1:
                raise Incorrect(f"`sensitivity.loc[{name!r}, {m!r}]` is {v}; rates are "
                                "between 0 and 1 (flagged / total)")
    if not isinstance(more_sensitive, dict) or set(more_sensitive) != set(DRIFT_TYPES):
        raise Incorrect(f"`more_sensitive` should be a dict with the keys {list(DRIFT_TYPES)}, "
                        f"got {more_sensitive!r:.100}")
    for name in DRIFT_TYPES:
        ks, ps = float(table.loc[name, "ks"]), float(table.loc[name, "psi"])
        right = "ks" if ks > ps else "psi" if ps > ks else "same"
        if more_sensitive[name] != right:
            raise Incorrect(f"for `{name}` your own table says KS detects {ks:.0%} and PSI "
                            f"{ps:.0%}, so `more_sensitive[{name!r}]` should be {right!r}, "
                            f"not {more_sensitive[name]!r}")
    want = reference_sensitivity()
    for name in SCENARIO_NAMES:
        for m in ("ks", "psi"):
            got, exp = float(table.loc[name, m]), float(want.loc[name, m])
            if abs(got - exp) > 0.051:
                raise Incorrect(f"your {m} rate for `{name}` is {got:.3f}, but running the "
                                f"experiment in `SENSITIVITY` gives {exp:.3f}. Use every seed in "
                                "`SENSITIVITY['seeds']`, its sizes and drifts, alpha and "
                                "psi_threshold, and pool the counts over seeds")
    fa_ks, fa_psi = want.loc["no_drift", "ks"], want.loc["no_drift", "psi"]
    return (f"Correct. Note the price of PSI's sensitivity at threshold 0.1 on 300-row "
            f"windows: it raised false alarms on {fa_psi:.1%} of undrifted features "
            f"(KS with Bonferroni: {fa_ks:.1%}).")


q4 = Question(
    "q4",
    prompt=(
        "Measure sensitivity with the settings in `SENSITIVITY`: for every seed build "
        "`make_drift_scenarios(n_reference, n_current, mean_shift=..., variance_factor=..., "
        "random_state=seed)`, run `ks_drift(..., alpha=SENSITIVITY['alpha'])` and "
        "`psi_drift(..., threshold=SENSITIVITY['psi_threshold'])`, and pool over seeds the "
        "share of truly drifted features each method flags (for `no_drift`: the share of all "
        "features flagged, i.e. false alarms). Store it in `sensitivity` (rows: the four "
        "scenarios, columns 'ks' and 'psi') and fill `more_sensitive = {drift type: 'ks' | "
        "'psi' | 'same'}` for the three drift types from your table."),
    answers=("sensitivity", "more_sensitive"),
    checker=_check_q4,
    hint=(
        "Keep counters `hits[scenario][method]` and `total[scenario]`; for a drifted scenario "
        "the truth is `sc.drifted[name]`, for `no_drift` use all columns. Rate = hits / total."),
    solution=(
        "S = SENSITIVITY\n"
        "hits = {n: {'ks': 0, 'psi': 0} for n in SCENARIO_NAMES}\n"
        "total = {n: 0 for n in SCENARIO_NAMES}\n"
        "for seed in S['seeds']:\n"
        "    sc = make_drift_scenarios(S['n_reference'], S['n_current'],\n"
        "                              mean_shift=S['mean_shift'],\n"
        "                              variance_factor=S['variance_factor'], random_state=seed)\n"
        "    for name in SCENARIO_NAMES:\n"
        "        cur = sc.current[name]\n"
        "        truth = set(sc.drifted[name] or sc.reference.columns)\n"
        "        k = ks_drift(sc.reference, cur, alpha=S['alpha'])\n"
        "        p = psi_drift(sc.reference, cur, threshold=S['psi_threshold'])\n"
        "        hits[name]['ks'] += len(truth & set(k.feature[k.drifted]))\n"
        "        hits[name]['psi'] += len(truth & set(p.feature[p.drifted]))\n"
        "        total[name] += len(truth)\n"
        "sensitivity = pd.DataFrame({m: [hits[n][m] / total[n] for n in SCENARIO_NAMES]\n"
        "                            for m in ('ks', 'psi')}, index=SCENARIO_NAMES)\n"
        "more_sensitive = {}\n"
        "for name in SCENARIO_NAMES[1:]:\n"
        "    ks, ps = sensitivity.loc[name, 'ks'], sensitivity.loc[name, 'psi']\n"
        "    more_sensitive[name] = 'ks' if ks > ps else 'psi' if ps > ks else 'same'"),
    points=2,
)

EXERCISE = Exercise("ex3_drift_detection", [q1, q2, q3, q4])
