"""Both-ways tests for exercise 3 (drift detection): learner-style answers, right and wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlserving_lab.course.exercises.ex3_drift_detection as ex3
from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.core import solution_text
from mlserving_lab.course.exercises.ex3_drift_detection import (
    EXERCISE,
    SCENARIO_NAMES,
    SCENARIO_SEED,
    correction_data,
    ks_flags,
    psi_variant,
    q1,
    q2,
    q3,
    q4,
    tied_data,
)
from mlserving_lab.datasets import make_drift_scenarios
from mlserving_lab.drift import DriftDetector, adjust_pvalues, psi

# ---- q1: KS, written the way learners write it ----------------------------------------------

def ks_drift(reference, current, alpha=0.05):
    stat, pval = [], []
    for col in reference.columns:
        res = stats.ks_2samp(reference[col], current[col])
        stat.append(res.statistic)
        pval.append(res.pvalue)
    table = pd.DataFrame({"statistic": stat, "p_value": pval}, index=reference.columns)
    table["drifted"] = table["p_value"] < alpha / len(reference.columns)
    return table


def _with_flags(rule):
    def detector(reference, current, alpha=0.05):
        table = ks_drift(reference, current, alpha)
        table["drifted"] = rule(table, alpha, reference)
        return table
    return detector


ks_uncorrected = _with_flags(lambda t, a, r: t["p_value"] < a)
ks_holm = _with_flags(lambda t, a, r: adjust_pvalues(t["p_value"], "holm") < a)
ks_bh = _with_flags(lambda t, a, r: stats.false_discovery_control(t["p_value"]) < a)
ks_less_equal = _with_flags(lambda t, a, r: t["p_value"] <= a / r.shape[1])
ks_on_statistic = _with_flags(lambda t, a, r: t["statistic"] > a / r.shape[1])
ks_rows = _with_flags(lambda t, a, r: t["p_value"] < a / len(r))
ks_fixed_alpha = _with_flags(lambda t, a, r: t["p_value"] < 0.05 / r.shape[1])
ks_times_m = _with_flags(lambda t, a, r: np.minimum(1, t["p_value"] * r.shape[1]) < a)


def ks_feature_column(reference, current, alpha=0.05):
    """A `feature` column and a RangeIndex, rows sorted by p-value, an extra column, numpy
    bools in a list, float32 data."""
    rows = []
    for col in reference.columns:
        a = reference[col].to_numpy(np.float32)
        b = current[col].to_numpy(np.float32)
        res = stats.ks_2samp(a, b)
        rows.append({"feature": col, "statistic": res.statistic, "p_value": res.pvalue,
                     "n_ref": len(a)})
    table = pd.DataFrame(rows).sort_values("p_value").reset_index(drop=True)
    table["drifted"] = [np.bool_(p * reference.shape[1] < alpha) for p in table["p_value"]]
    return table


def ks_swapped(reference, current, alpha=0.05):
    table = ks_drift(reference, current, alpha)
    table["statistic"], table["p_value"] = table["p_value"].to_numpy(), \
        table["statistic"].to_numpy()
    return table


def ks_statistic_as_p(reference, current, alpha=0.05):
    table = ks_drift(reference, current, alpha)
    table["p_value"] = table["statistic"]
    return table


def ks_asymp(reference, current, alpha=0.05):
    table = ks_drift(reference, current, alpha)
    table["p_value"] = [stats.ks_2samp(reference[c], current[c], method="asymp").pvalue
                        for c in reference.columns]
    table["drifted"] = table["p_value"] < alpha / len(reference.columns)
    return table


def ks_ignores_ties(reference, current, alpha=0.05):
    """Walks the merged sample one value at a time: right unless values tie."""
    stat, pval = [], []
    for col in reference.columns:
        a, b = reference[col].to_numpy(), current[col].to_numpy()
        labels = np.r_[np.ones(a.size), np.zeros(b.size)][np.argsort(np.r_[a, b], kind="stable")]
        gap = np.cumsum(labels) / a.size - np.cumsum(1 - labels) / b.size
        stat.append(float(np.max(np.abs(gap))))
        pval.append(stats.ks_2samp(a, b).pvalue)
    table = pd.DataFrame({"statistic": stat, "p_value": pval}, index=reference.columns)
    table["drifted"] = table["p_value"] < alpha / len(reference.columns)
    return table


def test_correction_data_makes_every_correction_flag_a_different_set():
    ref, cur = correction_data()
    p = np.array([stats.ks_2samp(ref[c], cur[c]).pvalue for c in ref.columns])
    counts = [int(ks_flags(p, 0.05, m).sum()) for m in ("bonferroni", "holm", "bh", "none")]
    assert counts == [3, 4, 5, 6]
    ref, cur, alpha, edge = ex3._boundary_data()
    p = pd.Series([stats.ks_2samp(ref[c], cur[c]).pvalue for c in ref.columns], ref.columns)
    assert p[edge] == alpha / 4 and p[edge] * 4 == alpha


def test_q1_right_answers_pass():
    assert_check_passed(q1, ks_drift)
    assert_check_passed(q1, ks_feature_column)
    assert_check_passed(q1, ks_times_m)  # `min(1, m * p) < alpha` is the same rule


@pytest.mark.parametrize("answer, match", [
    (ks_uncorrected, r"what no correction \(`p_value < alpha`\)"),
    (ks_holm, r"the Holm correction gives -- apply the correction the question asks for"),
    (ks_bh, r"what no correction \(`p_value < alpha`\) or the Benjamini-Hochberg correction"),
    (ks_less_equal, r"equals alpha / 4 exactly.*strictly below \(`<`\)"),
    (ks_on_statistic, r"follow the KS \*statistic\*"),
    (ks_rows, r"divided alpha by the number of rows"),
    (ks_fixed_alpha, r"use the `alpha` argument"),
    (ks_swapped, r"`statistic` and `p_value` for `\w+` are swapped"),
    (ks_statistic_as_p, r"your `p_value` for `\w+` is the KS statistic"),
    (ks_asymp, r"p-value for `\w+`.*method="),
])
def test_q1_wrong_answers_fail_with_a_specific_message(answer, match):
    assert_check_failed(q1, answer, match=match)


def test_q1_corrections_that_agree_on_easy_data_are_caught_on_the_checker_data():
    # On the first (easy) fresh data Holm flags what Bonferroni flags ...
    ref, cur = ex3._fresh_pairs(101)
    ex3.compare_ks(ks_holm, ref, cur)
    # ... and the check still fails it, on the data where the corrections disagree.
    assert_check_failed(q1, ks_holm, match="corrections disagree.*Holm")


def test_q1_shape_errors_and_placeholders():
    assert_check_failed(q1, lambda r, c, alpha=0.05: "nope", match="should return a pandas "
                        "DataFrame")
    assert_check_failed(q1, lambda r, c, alpha=0.05: pd.DataFrame({"feature": []}),
                        match=r"no column\(s\) \['statistic', 'p_value', 'drifted'\]")
    assert_check_failed(q1, lambda r, c, alpha=0.05: ks_drift(r, c, alpha).reset_index(drop=True),
                        match="column names as the index")
    assert_check_failed(q1, lambda r, c, alpha=0.05: ks_drift(r, c, alpha).astype(
        {"drifted": int}), match="True/False")
    assert_check_failed(q1, lambda r, c, alpha=0.05: 1 / 0, outcome="error",
                        match="ZeroDivisionError")
    assert_check_failed(q1, lambda r, c, alpha=0.05: ____, outcome="not_attempted")
    assert_check_failed(q1, ____, outcome="not_attempted")


def test_q1_hidden_check_catches_tie_mistakes():
    assert q1.evaluate(ks_ignores_ties).outcome == "correct"  # continuous data: no ties
    assert_check_failed(q1, ks_ignores_ties, hidden=True,
                        match=r"small samples with ties, your KS statistic")
    assert_check_passed(q1, ks_drift)  # hidden checks included


# ---- q2: PSI ---------------------------------------------------------------------------------

def psi_drift(reference, current, bins=10, threshold=0.25, eps=1e-4):
    out = {}
    for col in reference.columns:
        r_col, c_col = reference[col].to_numpy(), current[col].to_numpy()
        inner = np.quantile(r_col, np.linspace(0, 1, bins + 1))[1:-1]
        r = np.bincount(np.digitize(r_col, inner, right=True), minlength=bins) / r_col.size
        c = np.bincount(np.digitize(c_col, inner, right=True), minlength=bins) / c_col.size
        r[r == 0] = eps
        c[c == 0] = eps
        out[col] = np.sum((c - r) * np.log(c / r))
    table = pd.DataFrame({"psi": out})
    table["drifted"] = table["psi"] >= threshold
    return table


def psi_pandas_cut(reference, current, bins=10, threshold=0.25, eps=1e-4, qcut=False):
    """pd.cut (closed on the right) with repeated edges dropped after opening the outer bins,
    a `feature` column, rows in reverse order and an extra column."""
    rows = []
    for col in reference.columns:
        if qcut:  # drops repeated edges first, then opens the outer bins: loses an edge
            _, edges = pd.qcut(reference[col], bins, retbins=True, duplicates="drop")
            edges[0], edges[-1] = -np.inf, np.inf
        else:
            edges = np.quantile(reference[col], np.linspace(0, 1, bins + 1))
            edges[0], edges[-1] = -np.inf, np.inf
            edges = np.unique(edges)
        r = pd.cut(reference[col], edges, right=True).value_counts(sort=False, normalize=True)
        c = pd.cut(current[col], edges, right=True).value_counts(sort=False, normalize=True)
        r, c = r.replace(0, eps).to_numpy(), c.replace(0, eps).to_numpy()
        rows.append({"feature": col, "psi": float(np.sum((c - r) * np.log(c / r))),
                     "bins_used": len(r)})
    table = pd.DataFrame(rows[::-1])
    table["drifted"] = table["psi"] >= threshold
    return table


def psi_qcut(reference, current, bins=10, threshold=0.25, eps=1e-4):
    return psi_pandas_cut(reference, current, bins, threshold, eps, qcut=True)


def psi_float32(reference, current, bins=10, threshold=0.25, eps=1e-4):
    return psi_drift(reference.astype(np.float32), current.astype(np.float32), bins,
                     threshold, eps)


def _psi_with(**kwargs):
    """A learner's PSI made with one of the usual mistakes (see ``psi_variant``)."""
    def detector(reference, current, bins=10, threshold=0.25, eps=1e-4):
        values = [psi_variant(reference[c], current[c], bins, eps, **kwargs)
                  for c in reference.columns]
        table = pd.DataFrame({"psi": values}, index=reference.columns)
        table["drifted"] = table["psi"] >= threshold
        return table
    return detector


def psi_histogram(reference, current, bins=10, threshold=0.25, eps=1e-4):
    out = {}
    for col in reference.columns:
        edges = np.quantile(reference[col], np.linspace(0, 1, bins + 1))
        edges[0], edges[-1] = -np.inf, np.inf
        r = np.histogram(reference[col], edges)[0] / len(reference)
        c = np.histogram(current[col], edges)[0] / len(current)
        r, c = np.where(r == 0, eps, r), np.where(c == 0, eps, c)
        out[col] = float(np.sum((c - r) * np.log(c / r)))
    table = pd.DataFrame({"psi": pd.Series(out)})
    table["drifted"] = table["psi"] >= threshold
    return table


def psi_no_floor(reference, current, bins=10, threshold=0.25, eps=1e-4):
    with np.errstate(divide="ignore", invalid="ignore"):
        return _psi_with(floor="none")(reference, current, bins, threshold, eps)


def psi_negative(reference, current, bins=10, threshold=0.25, eps=1e-4):
    table = psi_drift(reference, current, bins, threshold, eps)
    table["psi"] = -table["psi"]
    return table


def psi_fixed_threshold(reference, current, bins=10, threshold=0.25, eps=1e-4):
    table = psi_drift(reference, current, bins, threshold, eps)
    table["drifted"] = table["psi"] >= 0.25
    return table


def psi_strict(reference, current, bins=10, threshold=0.25, eps=1e-4):
    table = psi_drift(reference, current, bins, threshold, eps)
    table["drifted"] = table["psi"] > threshold
    return table


def psi_fixed_eps(reference, current, bins=10, threshold=0.25, eps=1e-4):
    return psi_drift(reference, current, bins, threshold, eps=1e-4)


def test_the_recipe_is_the_library_psi_on_tied_and_continuous_data():
    for ref, cur in (tied_data(), ex3._fresh_pairs(5)):
        for bins, eps in ((10, 1e-4), (5, 1e-3), (20, 1e-4)):
            mine = [psi_variant(ref[c], cur[c], bins, eps) for c in ref.columns]
            np.testing.assert_allclose(mine, psi(ref, cur, bins=bins, eps=eps), rtol=1e-12)
    ref, cur = tied_data()
    # the tied data really separates the two tie rules, and the detector agrees with psi
    assert all(abs(psi_variant(ref[c], cur[c]) - psi_variant(ref[c], cur[c], closed="left"))
               > 5e-4 for c in ["visits", "rating", "constant", "amount", "latency"])
    with pytest.warns(UserWarning, match="'constant' is constant"):
        detector = DriftDetector(eps=1e-4).fit(ref)
    report = detector.score(cur)
    np.testing.assert_allclose(report["psi"], psi(ref, cur, eps=1e-4), rtol=1e-12)


def test_q2_right_answers_pass():
    assert_check_passed(q2, psi_drift)
    assert_check_passed(q2, psi_pandas_cut)
    assert_check_passed(q2, psi_float32)
    assert_check_passed(q2, _psi_with())  # the recipe itself


@pytest.mark.parametrize("answer, match", [
    (psi_histogram, r"many ties.*bin \*below\* that edge.*np\.histogram"),
    (psi_qcut, r"drop repeated edges \*before\* opening the outer bins"),
    (_psi_with(open_ends=False, closed="left"), "outside the reference range.*open"),
    (_psi_with(spacing="width"), "equally wide"),
    (_psi_with(edges_from="current"), r"come from the \*current\* sample"),
    (_psi_with(edges_from="both"), "both samples pooled"),
    (psi_no_floor, r"is inf: a bin that is empty in one sample gives `ln\(0\)`"),
    (_psi_with(floor="add"), "add `eps` to every share"),
    (_psi_with(floor="skip"), "leave out the bins that are empty"),
    (_psi_with(log=np.log10), "log10"),
    (_psi_with(scale=100.0), "percentages"),
    (psi_negative, "negative"),
    (psi_fixed_threshold, r"`drifted` column is wrong.*threshold=0\.125"),
    (psi_fixed_eps, r"many ties.*eps=0\.001\), your PSI for `constant`"),
])
def test_q2_wrong_answers_fail_with_a_specific_message(answer, match):
    assert_check_failed(q2, answer, match=match)


def test_q2_shape_errors():
    assert_check_failed(q2, lambda r, c, bins=10, threshold=0.25, eps=1e-4: [1, 2],
                        match="pandas DataFrame")
    assert_check_failed(q2, lambda r, c, bins=10, threshold=0.25, eps=1e-4:
                        psi_drift(r, c, bins, threshold, eps).drop(columns="drifted"),
                        match=r"no column\(s\) \['drifted'\]")


def test_q2_hidden_checks():
    assert q2.evaluate(psi_strict).outcome == "correct"  # no PSI sits on a threshold publicly
    assert_check_failed(q2, psi_strict, hidden=True,
                        match=r"identical to the reference, with threshold=0.*`psi >= thr")
    assert_check_passed(q2, psi_pandas_cut)  # hidden checks included: many repeated edges


# ---- q3: flagged features, re-run on the scenarios -------------------------------------------

@pytest.fixture(scope="module")
def scenarios():
    return make_drift_scenarios(random_state=SCENARIO_SEED)


def _flagged(scenarios, ks_fn=ks_drift, psi_fn=psi_drift, container=list):
    out = {}
    for name, cur in scenarios.current.items():
        k, p = ks_fn(scenarios.reference, cur), psi_fn(scenarios.reference, cur)
        out[name] = {"ks": container(k.index[k["drifted"].to_numpy()]),
                     "psi": container(p.index[p["drifted"].to_numpy()])}
    return out


def test_q3_right_answers_pass(scenarios):
    assert_check_passed(q3, ks_drift, psi_drift, _flagged(scenarios))
    assert_check_passed(q3, ks_drift, psi_drift, _flagged(scenarios, container=tuple))
    as_arrays = {k: {m: np.array(v[m][::-1]) for m in v} for k, v in _flagged(scenarios).items()}
    assert_check_passed(q3, ks_drift, psi_drift, as_arrays)


def test_q3_wrong_answers(scenarios):
    flagged = _flagged(scenarios)
    truth = {k: {"ks": scenarios.drifted[k], "psi": scenarios.drifted[k]}
             for k in SCENARIO_NAMES}
    assert truth != flagged  # PSI misses some drifted features on these scenarios
    assert_check_failed(q3, ks_drift, psi_drift, truth,
                        match=r"`flagged\['\w+'\]\['psi'\]` is .*running your `psi_drift")
    swapped = {k: {"ks": v["psi"], "psi": v["ks"]} for k, v in flagged.items()}
    assert_check_failed(q3, ks_drift, psi_drift, swapped, match=r"running your `ks_drift")
    # a wrong detector with its own (consistent) lists: sent back to q1, answer not stated
    own = _flagged(scenarios, ks_fn=ks_uncorrected)
    assert own != flagged
    assert_check_failed(q3, ks_uncorrected, psi_drift, own, match="go back to q1")
    partial = dict(flagged)
    partial.pop("variance_change")
    assert_check_failed(q3, ks_drift, psi_drift, partial,
                        match=r"no entry for scenario\(s\) \['variance_change'\]")
    assert_check_failed(q3, ks_drift, psi_drift, {k: {"ks": "f1", "psi": []}
                                                 for k in SCENARIO_NAMES},
                        match="list of feature names")
    assert_check_failed(q3, ks_drift, psi_drift, [1, 2], match="should be a dict")
    assert_check_failed(q3, ks_drift, psi_drift, ____, outcome="not_attempted")


# ---- q4: sensitivity, re-measured ------------------------------------------------------------

SMALL = dict(ex3.SENSITIVITY, seeds=(0, 1))


@pytest.fixture()
def small(monkeypatch):
    """The checker's experiment with 2 seeds instead of 6, to keep the tests fast."""
    monkeypatch.setattr(ex3, "SENSITIVITY", SMALL)
    return SMALL


def _learner_sensitivity(setup, ks_fn=ks_drift, psi_fn=psi_drift):
    hits = {n: [0, 0] for n in SCENARIO_NAMES}
    total = dict.fromkeys(SCENARIO_NAMES, 0)
    for seed in setup["seeds"]:
        sc = make_drift_scenarios(**setup["scenario"], random_state=seed)
        for name in SCENARIO_NAMES:
            truth = set(sc.drifted[name]) or set(sc.reference.columns)
            k = ks_fn(sc.reference, sc.current[name], alpha=setup["alpha"])
            p = psi_fn(sc.reference, sc.current[name], threshold=setup["psi_threshold"])
            hits[name][0] += len(truth & set(k.index[k["drifted"].to_numpy()]))
            hits[name][1] += len(truth & set(p.index[p["drifted"].to_numpy()]))
            total[name] += len(truth)
    return pd.DataFrame([[h[0] / total[n], h[1] / total[n]] for n, h in hits.items()],
                        index=list(SCENARIO_NAMES), columns=["ks", "psi"])


def _choice(table):
    return {n: ("ks" if table.loc[n, "ks"] > table.loc[n, "psi"] else
                "psi" if table.loc[n, "psi"] > table.loc[n, "ks"] else "same")
            for n in SCENARIO_NAMES[1:]}


def test_q4_full_experiment_passes_and_its_conclusions_are_clear():
    table = ex3.reference_sensitivity()  # what the method gives on all 6 seeds
    assert _choice(table) == {"mean_shift": "ks", "variance_change": "psi",
                              "new_distribution": "same"}
    assert_check_passed(q4, ks_drift, psi_drift, table, _choice(table))


def test_q4_valid_alternatives(small):
    table = _learner_sensitivity(small)
    reordered = table.iloc[::-1].astype(np.float32).astype(np.float64)
    reordered["n_seeds"] = 2
    choice = {k: np.str_(v) for k, v in _choice(table).items()}
    assert_check_passed(q4, ks_feature_column, psi_pandas_cut, reordered, choice)


def test_q4_wrong_answers(small):
    table = _learner_sensitivity(small)
    choice = _choice(table)
    flipped = dict(choice, mean_shift="psi" if choice["mean_shift"] != "psi" else "ks")
    assert_check_failed(q4, ks_drift, psi_drift, table, flipped,
                        match=r"your own table says KS detects")
    assert_check_failed(q4, ks_drift, psi_drift, table * 100, choice,
                        match="between 0 and 1.*not percent")
    assert_check_failed(q4, ks_drift, psi_drift, table.drop(index="no_drift"), choice,
                        match="one row per scenario")
    typed = table.copy()
    typed.loc["variance_change", "psi"] = round(typed.loc["variance_change", "psi"] + 0.17, 2)
    assert_check_failed(q4, ks_drift, psi_drift, typed, _choice(typed),
                        match=r"re-running your `ks_drift` and `psi_drift`")
    one_seed = _learner_sensitivity(dict(small, seeds=(0,)))
    if not one_seed.equals(table):
        assert_check_failed(q4, ks_drift, psi_drift, one_seed, _choice(one_seed),
                            match="every seed")
    # a wrong detector with its own consistent table: sent back to q1
    own = _learner_sensitivity(small, ks_fn=ks_uncorrected)
    assert not own.equals(table)
    assert_check_failed(q4, ks_uncorrected, psi_drift, own, _choice(own), match="go back to q1")
    assert_check_failed(q4, ks_drift, psi_drift, table, {**choice, "mean_shift": "KS!"},
                        match="'ks', 'psi' or 'same'")
    assert_check_failed(q4, ks_drift, psi_drift, ____, choice, outcome="not_attempted")


# ---- the exercise as a whole -----------------------------------------------------------------

def test_exercise_metadata():
    assert EXERCISE.name == "ex3_drift_detection"
    assert [q.points for q in EXERCISE] == [2, 2, 2, 2]
    assert all(q._solution is None for q in EXERCISE)  # solutions come from the notebook


def test_solution_texts_pass_their_own_checks(scenarios, small):
    namespace = {"pd": pd, "np": np, "ks_2samp": stats.ks_2samp, "scenarios": scenarios,
                 "make_drift_scenarios": make_drift_scenarios, "SENSITIVITY": small,
                 "SCENARIO_NAMES": SCENARIO_NAMES}
    texts = {q.name: solution_text(EXERCISE.name, q.name) for q in EXERCISE}
    assert all(texts.values()), texts
    for name in ("q1", "q2", "q3", "q4"):
        exec(texts[name], namespace)
    assert_check_passed(q1, namespace["ks_drift"])
    assert_check_passed(q2, namespace["psi_drift"])
    assert_check_passed(q3, namespace["ks_drift"], namespace["psi_drift"], namespace["flagged"])
    assert_check_passed(q4, namespace["ks_drift"], namespace["psi_drift"],
                        namespace["sensitivity"], namespace["more_sensitive"])


def test_setup_cell_imports_no_answer():
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[3] / "solutions" / "ex3_drift_detection.ipynb"
    nb = nbformat.read(path, as_version=4)
    setup = next(c.source for c in nb.cells if c.cell_type == "code" and "q1," in c.source)
    for name in ("ks_test", "psi,", "adjust_pvalues", "DriftDetector"):
        assert name not in setup
