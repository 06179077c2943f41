"""Exercise 4: measure nine models, find their latency-accuracy Pareto frontier, choose under a
budget.

The learner writes every mechanism: the fitting, an interleaved one-row timing loop with
warm-up and p50/p99, the dominance test, and the choice rule with its ties. The checkers judge
the learner's own objects, not only the numbers they typed:

* q1 recomputes each model's test accuracy from the model, checks its hyperparameters against
  the prompt, looks for test-set fitting on rows the learner never had, and re-times every
  model on one row (magnitude within 10x, order only where the fresh times are 3x apart);
* q2 and q3 call the learner's ``pareto`` and ``choose`` on tables the checker builds (exact
  ties, duplicates, near-ties, a p50/p99 trap, a budget met exactly, nothing that fits), then on
  the learner's own table.

Lesson 05 uses the public checkers of this module (``check_table``, ``check_measurement``,
``check_frontier``, ``check_choice``, ...) at a smaller scale.
"""

from __future__ import annotations

import functools

import numpy as np

from mlserving_lab.course.exercises.core import (
    Exercise,
    Incorrect,
    Question,
    call,
    expect_number,
)
from mlserving_lab.course.exercises.remeasure import (
    check_accuracy,
    check_latency_claims,
    check_not_fitted_on,
    check_percentiles,
    fresh_one_row_p50,
    num,
    split_unseen,
)

#: The model budget of the exercise: milliseconds, on the p99 column.
BUDGET_MS = 30.0
#: The latency column of the frontier and of the budget. A latency promise is about the tail.
LATENCY = "p99_ms"
SCORE = "accuracy"
#: Timed one-row calls per model, and untimed warm-up calls per model before them.
#: 50 rounds keep the notebook quick; their p99 is a rough tail (see the notebook).
N_RUNS = 50
WARMUP = 5
#: The learner's data: 1750 rows x 10 features (750 to train, 1000 to test). Fitting is what
#: costs time and predicting is cheap, so the test set is the larger part: accuracy
#: differences of a few points are readable on it, and a call on the whole test set costs many
#: times a one-row call (the SVM's about 25x), which the latency checks rely on to reject a
#: table of batch timings.
DATA = dict(n_samples=1750, n_test=1000, n_features=10, n_informative=6, random_state=0)
#: Rows drawn with the learner's data but never given to them (for test-set fitting checks).
N_UNSEEN = 500

#: Every model the exercise asks for: (short name, description, family, required settings).
#: Every other setting stays at its default (see ``FREE_SETTINGS``).
REQUIRED = [
    ("LogReg", "a LogisticRegression", "logreg", {}),
    ("Tree(d=3)", "a decision tree with max_depth=3", "tree", {"max_depth": 3}),
    ("Tree(d=10)", "a decision tree with max_depth=10", "tree", {"max_depth": 10}),
    ("Tree(d=20)", "a decision tree with max_depth=20", "tree", {"max_depth": 20}),
    ("RF(10)", "a random forest with n_estimators=10", "forest", {"n_estimators": 10}),
    ("RF(50)", "a random forest with n_estimators=50", "forest", {"n_estimators": 50}),
    ("GBM(20)", "a gradient boosting model with n_estimators=20", "gbm", {"n_estimators": 20}),
    ("GBM(100)", "a gradient boosting model with n_estimators=100", "gbm",
     {"n_estimators": 100}),
    ("SVM", "an SVM (SVC)", "svm", {}),
]

#: Settings a learner may change freely: they do not change the fitted model's predictions
#: (or, for the solver and its iterations, only how it gets there).
FREE_SETTINGS = frozenset({"random_state", "verbose", "n_jobs", "warm_start", "cache_size",
                           "max_iter", "tol", "solver", "oob_score", "probability",
                           "break_ties", "decision_function_shape", "copy_X"})


def _families() -> dict:
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC, LinearSVC, NuSVC
    from sklearn.tree import DecisionTreeClassifier

    return {"logreg": (LogisticRegression,), "tree": (DecisionTreeClassifier,),
            "forest": (RandomForestClassifier,), "gbm": (GradientBoostingClassifier,),
            "svm": (SVC, NuSVC, LinearSVC)}


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _draw(n_samples: int, n_features: int, n_informative: int, random_state: int,
          n_unseen: int, n_test: int):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=n_samples + n_unseen, n_features=n_features,
                               n_informative=n_informative,
                               n_redundant=min(2, n_features - n_informative),
                               random_state=random_state)
    (X_rest, y_rest), (X_unseen, y_unseen) = split_unseen(X, y, n_unseen)
    X_train, X_test, y_train, y_test = train_test_split(
        X_rest, y_rest, test_size=n_test, random_state=random_state, stratify=y_rest)
    for a in (X_train, X_test, y_train, y_test, X_unseen, y_unseen):
        a.setflags(write=False)
    return X_train, X_test, y_train, y_test, X_unseen, y_unseen


def draw_data(data: dict, n_unseen: int):
    """``X_train, X_test, y_train, y_test, X_unseen, y_unseen`` drawn once from one problem.

    The learner gets the first four (``n_samples`` rows, of which ``n_test`` are the test
    set); the checker keeps the ``n_unseen`` rows to tell a model fitted on the test set from
    an honest one.
    """
    return _draw(data["n_samples"], data["n_features"], data["n_informative"],
                 data["random_state"], n_unseen, data["n_test"])


def load_data():
    """The exercise's data: ``X_train, X_test, y_train, y_test`` (750 + 1000 rows, 10 features)."""
    return tuple(a.copy() for a in draw_data(DATA, N_UNSEEN)[:4])


# ---------------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------------
def _label_map(table) -> dict:
    """{str(label): label} of a table's index (names may be numpy strings)."""
    return {str(n): n for n in table.index}


def check_table(table, *, need=(SCORE, "p50_ms", LATENCY)):
    """A DataFrame, one row per model, with finite numbers in the ``need`` columns."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise Incorrect(f"`table` should be a pandas DataFrame with one row per model, but it "
                        f"is a {type(table).__name__}")
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise Incorrect(f"your table has no {', '.join(f'`{c}`' for c in missing)} column(s); "
                        f"its columns are {[str(c) for c in table.columns]}")
    if len(table) == 0:
        raise Incorrect("your table is empty: it needs one row per model")
    labels = [str(n) for n in table.index]
    if len(set(labels)) != len(labels):
        dup = next(n for n in labels if labels.count(n) > 1)
        raise Incorrect(f"model `{dup}` appears twice in your table: each model needs one row")
    for col in need:
        vals = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(vals)
        if bad.any():
            raise Incorrect(f"column `{col}` of your table is not a finite number for "
                            f"`{table.index[np.flatnonzero(bad)[0]]}`")
    if SCORE in need:
        acc = table[SCORE].astype(float)
        out = (acc < 0) | (acc > 1)
        if out.any():
            who = acc.index[out.to_numpy()][0]
            raise Incorrect(f"the accuracy of `{who}` is {num(acc[who])}: an accuracy lies "
                            "between 0 and 1 (did you store a percentage or an error count?)")
    for col in need:
        if col == SCORE:
            continue
        lat = table[col].astype(float)
        if (lat <= 0).any():
            who = lat.index[(lat <= 0).to_numpy()][0]
            raise Incorrect(f"`{col}` of `{who}` is {num(lat[who])} ms; a measured latency "
                            "must be positive")
    if "p50_ms" in need and LATENCY in need:
        bad = table[table[LATENCY].astype(float) < table["p50_ms"].astype(float)]
        if len(bad):
            r = bad.iloc[0]
            raise Incorrect(f"your p99 ({num(r[LATENCY])} ms) is below your p50 "
                            f"({num(r['p50_ms'])} ms) for `{bad.index[0]}`: the 99th "
                            "percentile of the same calls is never below their median")
    return table


def fmt(table, name) -> str:
    """``p99 ... ms, accuracy ...`` of one row, with enough digits to tell rows apart."""
    r = table.loc[name]
    return f"p99 {num(r[LATENCY])} ms, accuracy {num(r[SCORE])}"


def _exact(table, name, latency: str = LATENCY) -> str:
    """Like :func:`fmt`, with every digit (for checker tables with near-ties)."""
    r = table.loc[name]
    return f"`{name}` ({latency} {float(r[latency])!r} ms, accuracy {float(r[SCORE])!r})"


def _show(table, latency: str = LATENCY) -> str:
    return "; ".join(_exact(table, n, latency) for n in table.index)


# ---------------------------------------------------------------------------------------------
# q1: the models and the measurement
# ---------------------------------------------------------------------------------------------
def _final_estimator(model):
    """The last step of a Pipeline (so a scaler + SVC pipeline counts as an SVM)."""
    steps = getattr(model, "steps", None)
    if steps:
        return _final_estimator(steps[-1][1])
    return model


def _preprocessing(model) -> list:
    steps = getattr(model, "steps", None)
    return [s for _, s in steps[:-1]] if steps else []


def _changed_settings(est, asked=()) -> dict:
    """Settings of ``est`` that differ from its class's defaults (free and asked ones left
    out)."""
    defaults = type(est)().get_params(deep=False)
    mine = est.get_params(deep=False)
    return {k: v for k, v in mine.items() if k not in FREE_SETTINGS and k not in asked
            and k in defaults and not _same(v, defaults[k])}


def _same(a, b) -> bool:
    """Do two hyperparameter values mean the same (3 == 3.0 == numpy 3; 'sqrt' == 'sqrt')?"""
    import numbers

    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)) \
            and bool(a) == bool(b)
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return float(a) == float(b)
    if isinstance(a, str) and isinstance(b, str):
        return str(a) == str(b)
    return False


def _settings_text(settings: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in settings.items())


def check_models(models, required=REQUIRED, *, what: str = "models") -> dict:
    """Every required model is in ``models`` with the prompt's settings, and is fitted.

    Returns ``{short name of the spec: key in models}``.
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(models, dict):
        raise Incorrect(f"`{what}` should be a dict {{name: fitted model}}, got "
                        f"{type(models).__name__}")
    families = _families()
    for name, m in models.items():
        if not callable(getattr(m, "predict", None)):
            raise Incorrect(f"`{what}[{name!r}]` must be a fitted estimator with a predict "
                            f"method, got {type(m).__name__}")
        extra = [type(s).__name__ for s in _preprocessing(m) if type(s) is not StandardScaler]
        if extra:
            raise Incorrect(f"`{what}[{name!r}]` is a pipeline with {', '.join(extra)} before "
                            "the model; the prompt asks for the model alone (a StandardScaler "
                            "in front of it is fine)")
    found = {}
    for short, desc, family, params in required:
        classes = families[family]
        same_family = [k for k, m in models.items()
                       if type(_final_estimator(m)) in classes]
        right = [k for k in same_family
                 if all(_same(_final_estimator(models[k]).get_params().get(p), v)
                        for p, v in params.items())]
        if not right:
            hint = ""
            for p in params:
                values = sorted({str(_final_estimator(models[k]).get_params().get(p))
                                 for k in same_family})
                if values:
                    hint = f" (your {classes[0].__name__} models have {p} = {', '.join(values)})"
            raise Incorrect(f"`{what}` lacks {desc}{hint}")
        # The prompt fixes the settings of every model but the other SVM classes.
        strict = family != "svm"
        clean = [k for k in right if not _changed_settings(_final_estimator(models[k]), params)
                 or (not strict and type(_final_estimator(models[k])) is not classes[0])]
        if not clean:
            k = right[0]
            est = _final_estimator(models[k])
            changed = _changed_settings(est, params)
            defaults = type(est)().get_params(deep=False)
            was = ", ".join(f"{p}={defaults[p]!r}" for p in changed)
            raise Incorrect(f"`{what}[{k!r}]` is {desc}, but it also sets "
                            f"{_settings_text(changed)}; the prompt leaves every other setting "
                            f"at its default ({was}). Change only what the prompt asks.")
        found[short] = clean[0]
    for name, m in models.items():
        try:
            check_is_fitted(m)
        except NotFittedError:
            raise Incorrect(f"`{what}[{name!r}]` ({type(_final_estimator(m)).__name__}) is not "
                            "fitted yet; call `.fit(X_train, y_train)` first") from None
        except TypeError:
            pass
    return found


def _check_features(models, n_features: int, what: str) -> None:
    for name, m in models.items():
        got = getattr(m, "n_features_in_", None)
        if got is not None and int(got) != n_features:
            raise Incorrect(f"`{what}[{name!r}]` was fitted on {got} features; the exercise's "
                            f"data have {n_features}. Fit on `X_train`.")


def _rows_of(models, table, what: str) -> dict:
    """{model key: table label}, or Incorrect when the table and the models disagree."""
    labels = _label_map(table)
    keys = {str(k): k for k in models}
    if set(labels) != set(keys):
        missing = [n for n in keys if n not in labels]
        extra = [n for n in labels if n not in keys]
        parts = []
        if missing:
            parts.append(f"has no row for {', '.join(f'`{n}`' for n in missing[:4])}")
        if extra:
            parts.append(f"has rows {', '.join(f'`{n}`' for n in extra[:4])} that are not in "
                         f"`{what}`")
        raise Incorrect("your table " + " and ".join(parts) + f": index the table by the "
                        f"names of `{what}`")
    return {keys[s]: labels[s] for s in keys}


def check_measurement(models, table, *, data, required=REQUIRED, what: str = "models",
                      n_retime: int = 10) -> str:
    """q1 of exercise 4 and lesson 05: the models, their accuracies and one-row latencies.

    ``data`` is :func:`draw_data`'s tuple. Everything is re-measured from the learner's models:
    test accuracy (recomputed, training-set accuracy named), p50/p99 consistency, test-set
    fitting (on the unseen rows of ``data``), and a fresh round-robin one-row timing judged by
    magnitude and order.
    """
    X_train, X_test, y_train, y_test, _, _ = data
    check_models(models, required, what=what)
    _check_features(models, X_test.shape[1], what)
    check_table(table)
    rows = _rows_of(models, table, what)
    for key, label in rows.items():
        check_accuracy(table.loc[label, SCORE], models[key].predict(X_test), y_test, str(key),
                       y_train_pred=models[key].predict(X_train), y_train=y_train)
    for key, label in rows.items():
        check_percentiles(table.loc[label, "p50_ms"], table.loc[label, LATENCY], str(key))
    check_fitted_on_train(models, data=data, what=what)
    judge_latencies(models, {str(k): float(table.loc[rows[k], "p50_ms"]) for k in models},
                    X_test, n_runs=n_retime)
    best = max(rows, key=lambda k: float(table.loc[rows[k], SCORE]))
    fastest = min(rows, key=lambda k: float(table.loc[rows[k], LATENCY]))
    return (f"Correct: {len(rows)} models measured. The most accurate is `{best}` "
            f"({fmt(table, rows[best])}); the fastest on p99 is `{fastest}` "
            f"({fmt(table, rows[fastest])}).")


def judge_latencies(models, claimed: dict, X, *, n_runs: int = 10) -> dict:
    """Re-time ``models`` on one-row calls and judge the claimed p50s (order and magnitude).

    A burst of load on a shared machine can only make calls slower, and can land on a few
    calls of one model. So the models are timed once, and only a verdict against the learner
    is confirmed by a second timing with twice the calls (``check_latency_claims(confirm=)``:
    the answer fails only if it is wrong against both). Returns the fresh p50s (ms) of the
    first timing.
    """
    fns = {str(k): m.predict for k, m in models.items()}
    fresh = fresh_one_row_p50(fns, X, n_runs=n_runs, warmup=3)
    check_latency_claims(claimed, fresh,
                         confirm=lambda: fresh_one_row_p50(fns, X, n_runs=2 * n_runs, warmup=3))
    return fresh


def check_fitted_on_train(models, *, data, what: str = "models") -> None:
    """No model scores much better on X_test than on rows the learner never had."""
    _, X_test, _, y_test, X_unseen, y_unseen = data
    if not isinstance(models, dict):
        return
    for name, m in models.items():
        check_not_fitted_on(m, X_test, y_test, X_unseen, y_unseen, f"{what}[{name!r}]")


def _check_q1(models, table):
    return check_measurement(models, table, data=draw_data(DATA, N_UNSEEN))


# ---------------------------------------------------------------------------------------------
# q2: the frontier
# ---------------------------------------------------------------------------------------------
def _names_of(answer, table, what: str) -> set:
    """A list / tuple / set / Index / array of names, or a boolean mask, as a set of ``str``."""
    import pandas as pd

    if isinstance(answer, pd.Series) and answer.dtype == bool:
        if [str(n) for n in answer.index] != [str(n) for n in table.index]:
            raise Incorrect(f"`{what}` is a boolean Series, but its index is not the table's "
                            "index")
        return {str(n) for n in answer.index[answer.to_numpy()]}
    if isinstance(answer, np.ndarray) and answer.dtype == bool:
        if answer.shape != (len(table),):
            raise Incorrect(f"`{what}` is a boolean array of shape {answer.shape}; a mask "
                            f"needs one entry per row of the table ({len(table)})")
        return {str(n) for n in table.index[answer]}
    if isinstance(answer, (str, bytes, dict)) or not hasattr(answer, "__iter__"):
        raise Incorrect(f"`{what}` should be a list of model names (the table's index), got "
                        f"{type(answer).__name__} `{answer!r:.60}`")
    if isinstance(answer, pd.DataFrame):
        raise Incorrect(f"`{what}` is a DataFrame; return the model names (its index), e.g. "
                        "`list(front.index)`")
    names = []
    for n in answer:
        if not isinstance(n, (str, np.str_)):
            raise Incorrect(f"`{what}` holds {type(n).__name__} `{n!r:.40}`; it should hold "
                            "model names (labels of the table's index), not positions or rows")
        names.append(str(n))
    labels = set(_label_map(table))
    unknown = [n for n in names if n not in labels]
    if unknown:
        raise Incorrect(f"{', '.join(f'`{n}`' for n in unknown[:3])} in `{what}` is not a "
                        f"model of the table; its models are {list(labels)}")
    return set(names)


def _frontier(table, latency: str = LATENCY) -> set:
    """The rule of the prompt, written out: nobody is at least as good on both, better on one."""
    lat = table[latency].astype(float).to_numpy()
    acc = table[SCORE].astype(float).to_numpy()
    keep = set()
    for i, name in enumerate(table.index):
        dominated = any(lat[j] <= lat[i] and acc[j] >= acc[i] and (lat[j] < lat[i]
                                                                  or acc[j] > acc[i])
                        for j in range(len(lat)) if j != i)
        if not dominated:
            keep.add(str(name))
    return keep


def _dominator(table, name, latency: str = LATENCY):
    lat = table[latency].astype(float)
    acc = table[SCORE].astype(float)
    li, ai = lat[name], acc[name]
    dom = (lat <= li) & (acc >= ai) & ((lat < li) | (acc > ai))
    if not dom.any():
        return None
    return acc[dom].idxmax()


def check_frontier(table, answer, what: str = "pareto_models", *, latency: str = LATENCY,
                   where: str = "your table") -> set:
    """``answer`` (names or a mask) is exactly the Pareto frontier of ``table``.

    Latency ``latency`` (lower is better) and accuracy (higher is better); a model is dominated
    when another has latency <= and accuracy >= with at least one strict; exact ties stay.
    """
    got = _names_of(answer, table, what)
    want = _frontier(table, latency)
    if got == want:
        return got
    labels = _label_map(table)
    near = where != "your table"
    show = (lambda n: _exact(table, labels[n], latency)) if near else (
        lambda n: f"`{n}` ({fmt(table, labels[n])})")
    if latency == LATENCY and "p50_ms" in table.columns and got == _frontier(table, "p50_ms") \
            and got != want:
        raise Incorrect(f"on {where}, `{what}` is the frontier on `p50_ms`; the frontier here "
                        "uses `p99_ms`, because a latency budget has to hold for the slow "
                        "requests too")
    extra = [str(n) for n in table.index if str(n) in got - want]
    if extra:
        n = extra[0]
        d = str(_dominator(table, labels[n], latency))
        gap_lat = abs(float(table.loc[labels[n], latency]) - float(table.loc[labels[d], latency]))
        gap_acc = abs(float(table.loc[labels[n], SCORE]) - float(table.loc[labels[d], SCORE]))
        scale = max(abs(float(table.loc[labels[n], latency])), 1e-12)
        why = ""
        if near and (0 < gap_lat <= 1e-6 * scale or 0 < gap_acc <= 1e-6):
            why = (" The two differ by less than a millionth on one axis, and that is still a "
                   "strict difference: compare the numbers exactly as they are; do not round "
                   "them.")
        elif gap_lat == 0 or gap_acc == 0:
            why = (" They tie on one axis and the other one is strictly better: that is "
                   "domination (at least as good on both, strictly better on one), so "
                   "compare with `<=`/`>=` and ask for one strict difference.")
        raise Incorrect(f"on {where}, `{what}` keeps {show(n)}, but {show(d)} dominates it: "
                        f"at least as fast and at least as accurate, strictly better on one."
                        f"{why}")
    missing = [str(n) for n in table.index if str(n) in want - got]
    n = missing[0]
    r = table.loc[labels[n]]
    twins = [str(m) for m in table.index if str(m) != n
             and float(table.loc[m, latency]) == float(r[latency])
             and float(table.loc[m, SCORE]) == float(r[SCORE])]
    if twins:
        raise Incorrect(f"on {where}, `{what}` drops {show(n)}, which ties exactly with "
                        f"`{twins[0]}` on both axes. Identical models do not dominate each "
                        "other (domination needs one strict improvement), so both stay on the "
                        "frontier.")
    raise Incorrect(f"on {where}, `{what}` drops {show(n)}, which is Pareto-optimal: no other "
                    "model is at least as fast and at least as accurate with one of the two "
                    "strictly better." + (" Compare the numbers exactly as they are; do not "
                                          "round them." if near else ""))


def check_pareto(table, pareto_models, what: str = "pareto_models"):
    """The public frontier check on a learner's own table (used by lesson 05 too)."""
    check_table(table)
    got = check_frontier(table, pareto_models, what)
    return (f"Correct: {len(got)} of the {len(table)} models are Pareto-optimal: "
            f"{', '.join(f'`{n}`' for n in map(str, table.index) if n in got)}. Every other "
            "model is beaten on both axes by one of them.")


def frontier_cases() -> list:
    """Checker-made tables for a learner's frontier code: (description, table)."""
    import pandas as pd

    def t(rows, order=None):
        frame = pd.DataFrame(rows, index=["p50_ms", LATENCY, SCORE, "size_kb"]).T
        return frame if order is None else frame.loc[order]

    return [
        ("the checker's table with exact duplicates and ties on one axis", t({
            "E": (0.4, 0.5, 0.70, 1.0), "D": (0.4, 0.5, 0.80, 2.0), "A": (0.8, 1.0, 0.90, 3.0),
            "B": (0.8, 1.0, 0.90, 3.0), "C": (1.5, 2.0, 0.90, 4.0), "F": (2.0, 3.0, 0.95, 5.0),
            "G": (2.5, 3.0, 0.93, 6.0)})),
        ("the checker's table where p50 and p99 disagree", t({
            "slow_tail": (0.2, 5.0, 0.90, 1.0), "steady": (0.3, 0.4, 0.90, 1.0),
            "tiny": (0.1, 0.15, 0.80, 1.0), "big": (4.0, 6.0, 0.97, 1.0)})),
        ("the checker's table with near-ties", t({
            "J": (0.5, 1.0, 0.85, 1.0), "K": (0.5, 1.0 + 1e-9, 0.85, 1.0),
            "L": (1.0, 2.0, 0.9, 1.0), "M": (1.0, 2.0, 0.9 - 1e-12, 1.0),
            "N": (0.1, 0.2, 0.6, 1.0)})),
        ("the checker's table where every model is identical", t({
            "x": (1.0, 2.0, 0.8, 1.0), "y": (1.0, 2.0, 0.8, 1.0), "z": (1.0, 2.0, 0.8, 1.0)})),
        ("the checker's one-model table", t({"only": (1.0, 2.0, 0.8, 1.0)})),
    ]


def check_frontier_function(fn, cases, what: str) -> None:
    """Call the learner's frontier function on each checker table; judge its answer."""
    for where, table in cases:
        out = call(fn, table.copy())
        check_frontier(table, out, f"{what}(...)", where=where)


def _check_q2(pareto, table):
    check_frontier_function(pareto, frontier_cases(), "pareto")
    check_table(table)
    out = call(pareto, table)
    got = check_frontier(table, out, "pareto(table)")
    return (f"Correct: your `pareto` agrees with the rule on the checker's tables (ties, "
            f"duplicates, near-ties, a slow tail) and on yours: {len(got)} of your "
            f"{len(table)} models are Pareto-optimal: "
            f"{', '.join(f'`{n}`' for n in map(str, table.index) if n in got)}.")


# ---------------------------------------------------------------------------------------------
# q3, q4: the choice
# ---------------------------------------------------------------------------------------------
def expected_choice(table, budget):
    """The rule of the prompt: fits means p99 <= budget; most accurate; then lower p99; then
    the name that sorts first. None when nothing fits."""
    rows = [(-float(table.loc[n, SCORE]), float(table.loc[n, LATENCY]), str(n))
            for n in table.index if float(table.loc[n, LATENCY]) <= budget]
    return min(rows)[2] if rows else None


def _as_name(choice, what: str):
    if choice is None:
        return None
    if isinstance(choice, (str, np.str_)):
        return str(choice)
    raise Incorrect(f"`{what}` should be one model name (a label of the table's index) or "
                    f"None, got {type(choice).__name__} `{choice!r:.60}`")


def check_choice(table, choice, budget, what, *, where: str = "your table"):
    """``choice`` is the model the rule picks from ``table`` under ``budget`` ms (or None)."""
    want = expected_choice(table, budget)
    choice = _as_name(choice, what)
    labels = _label_map(table)
    on = "" if where == "your table" else f"On {where}, "

    def show(n):
        return f"`{n}` ({fmt(table, labels[n])})"

    if choice is None:
        if want is None:
            return
        raise Incorrect(f"{on}`{what}` is None, but {show(want)} fits the {num(budget)} ms "
                        "budget (fits means p99 <= budget)")
    if choice not in labels:
        raise Incorrect(f"{on}`{what}` is `{choice}`, which is not a model of the table; its "
                        f"models are {list(labels)}")
    lat = float(table.loc[labels[choice], LATENCY])
    if want is None:
        fastest = min(labels, key=lambda n: float(table.loc[labels[n], LATENCY]))
        raise Incorrect(f"{on}no model fits {num(budget)} ms on p99 (the fastest, "
                        f"{show(fastest)}, is slower), so `{what}` should be None")
    if lat > budget:
        raise Incorrect(f"{on}`{what}` is `{choice}`, which does not fit the budget: its p99 "
                        f"is {num(lat)} ms, above {num(budget)} ms")
    if choice != want:
        a_c = float(table.loc[labels[choice], SCORE])
        a_w = float(table.loc[labels[want], SCORE])
        l_w = float(table.loc[labels[want], LATENCY])
        if a_w > a_c:
            raise Incorrect(f"{on}{show(want)} also fits the {num(budget)} ms budget and is "
                            f"more accurate than `{what}` = {show(choice)}")
        if l_w < lat:
            raise Incorrect(f"{on}{show(want)} is as accurate as `{what}` = `{choice}` and "
                            f"faster (p99 {num(l_w)} ms vs {num(lat)} ms): on a tie of "
                            "accuracy, take the lower p99")
        raise Incorrect(f"{on}`{choice}` and `{want}` tie on accuracy and on p99; the rule "
                        f"then takes the name that sorts first (`sorted` order), `{want}`, "
                        f"whatever the order of the rows")


def choice_cases() -> list:
    """Checker-made (description, table, budget) for a learner's choice function."""
    import pandas as pd

    def t(rows):
        return pd.DataFrame(rows, index=["p50_ms", LATENCY, SCORE, "size_kb"]).T

    return [
        ("the checker's table where the most accurate model is too slow (budget 30 ms)", t({
            "forest": (20.0, 40.0, 0.95, 1.0), "svm": (1.0, 3.0, 0.92, 1.0),
            "tree": (0.2, 0.3, 0.80, 1.0)}), 30.0),
        ("the checker's table where only the p50 fits (budget 10 ms)", t({
            "tail": (2.0, 12.0, 0.95, 1.0), "calm": (3.0, 4.0, 0.90, 1.0)}), 10.0),
        ("the checker's table with an accuracy tie (budget 10 ms)", t({
            "X": (4.0, 5.0, 0.90, 1.0), "Y": (1.5, 2.0, 0.90, 1.0),
            "Z": (0.5, 1.0, 0.80, 1.0)}), 10.0),
        ("the checker's table with a full tie (budget 5 ms)", t({
            "svm": (1.5, 2.0, 0.90, 1.0), "gbm": (1.5, 2.0, 0.90, 1.0),
            "lr": (0.5, 1.0, 0.80, 1.0)}), 5.0),
        ("the checker's table with a p99 exactly on the 4 ms budget", t({
            "fast": (0.5, 1.0, 0.85, 1.0), "edge": (3.0, 4.0, 0.95, 1.0)}), 4.0),
        ("the checker's table where nothing fits (budget 0.5 ms)", t({
            "a": (0.8, 1.0, 0.9, 1.0), "b": (1.5, 2.0, 0.95, 1.0)}), 0.5),
    ]


def check_choice_function(fn, cases, what: str) -> None:
    for where, table, budget in cases:
        out = call(fn, table.copy(), budget)
        check_choice(table, out, budget, f"{what}(table, {budget:g})", where=where)


def _check_q3(choose, table, choice):
    check_choice_function(choose, choice_cases(), "choose")
    check_table(table)
    out = call(choose, table, BUDGET_MS)
    check_choice(table, out, BUDGET_MS, f"choose(table, {BUDGET_MS:g})")
    check_choice(table, choice, BUDGET_MS, "choice")
    if _as_name(choice, "choice") != _as_name(out, "choose(table, ...)"):
        raise Incorrect("`choice` is not what your `choose(table, BUDGET_MS)` returns")
    if choice is None:
        return f"Correct: no model of your table fits {BUDGET_MS:g} ms, so there is no choice."
    n_fit = int((table[LATENCY].astype(float) <= BUDGET_MS).sum())
    note = (" Every model fits, so the budget decides nothing here: on this machine "
            f"{BUDGET_MS:g} ms is a loose budget for one-row scoring." if n_fit == len(table)
            else f" {n_fit} of {len(table)} models fit the budget.")
    name = _as_name(choice, "choice")
    return (f"Correct: `{name}` ({fmt(table, _label_map(table)[name])}) is the most accurate "
            f"within {BUDGET_MS:g} ms.{note}")


def _check_q4(table, choice, tight_budget_ms, tight_choice):
    check_table(table)
    budget = expect_number(tight_budget_ms, "tight_budget_ms", unit="milliseconds",
                           positive=True)
    if budget >= BUDGET_MS:
        raise Incorrect(f"`tight_budget_ms` ({num(budget)} ms) is not tighter than "
                        f"{BUDGET_MS:g} ms")
    name = _as_name(choice, "choice")
    if name != expected_choice(table, BUDGET_MS):
        raise Incorrect("`choice` is not the model the rule picks under 30 ms on your table: "
                        "get q3 right first (`q3.check(...)` says what is wrong)")
    check_choice(table, tight_choice, budget, "tight_choice")
    if name is not None and _as_name(tight_choice, "tight_choice") == name:
        raise Incorrect(f"with {num(budget)} ms you still choose `{name}` (p99 "
                        f"{num(table.loc[_label_map(table)[name], LATENCY])} ms): pick a budget "
                        "below that latency so that the choice has to change")
    if tight_choice is None:
        return (f"Correct: at {num(budget)} ms no model fits; the answer is then to speed a "
                "model up (ONNX Runtime, fewer trees) or to renegotiate the budget.")
    tight = _as_name(tight_choice, "tight_choice")
    labels = _label_map(table)
    lost = float(table.loc[labels[name], SCORE]) - float(table.loc[labels[tight], SCORE])
    return (f"Correct: at {num(budget)} ms the choice moves from `{name}` to `{tight}` "
            f"({fmt(table, labels[tight])}), giving up {num(lost)} accuracy for speed.")


q1 = Question(
    "q1",
    prompt=("Fit the nine models on `X_train, y_train` into a dict `models` (LogisticRegression; "
            "decision trees with max_depth 3, 10, 20; random forests with 10 and 50 trees; "
            "gradient boosting with 20 and 100 trees; an SVC; every other setting at its "
            "default). Then time them yourself: one row per call, round-robin over the models, "
            f"{WARMUP} warm-up rounds, {N_RUNS} timed rounds. Store `table` (index = the names "
            "of `models`) with `accuracy` on `X_test, y_test` (a fraction) and `p50_ms`, "
            "`p99_ms` in milliseconds per one-row call."),
    answers=("models", "table"),
    checker=_check_q1,
    hint=("Cut the rows first (`X_test[i:i + 1]` keeps a 2-D row). In each round loop over the "
          "models: `t0 = time.perf_counter(); m.predict(row); "
          "samples[name].append((time.perf_counter() - t0) * 1000)`. Then "
          "`np.percentile(samples[name], [50, 99])`."),
    points=3,
)

q2 = Question(
    "q2",
    prompt=("Write `pareto(table)`: the names of the models no other model dominates. Latency "
            "is `p99_ms` (lower is better), `accuracy` higher is better. `a` dominates `b` when "
            "a.p99_ms <= b.p99_ms and a.accuracy >= b.accuracy, with at least one of the two "
            "strict; models with exactly equal numbers both stay. Compare the numbers as they "
            "are (no rounding)."),
    answers=("pareto", "table"),
    checker=_check_q2,
    hint=("Write `dominates(a, b)` on two rows first, then keep each name for which no other "
          "row dominates it: `[n for n in table.index if not any(dominates(table.loc[m], "
          "table.loc[n]) for m in table.index if m != n)]`."),
    points=2,
)

q3 = Question(
    "q3",
    prompt=("Write `choose(table, budget_ms)`: among the models whose `p99_ms <= budget_ms`, "
            "the most accurate; on a tie of accuracy the lower `p99_ms`; on a tie of both the "
            "name that sorts first; `None` when no model fits. Then "
            f"`choice = choose(table, BUDGET_MS)` ({BUDGET_MS:g} ms)."),
    answers=("choose", "table", "choice"),
    checker=_check_q3,
    hint=("Filter `fits = table[table['p99_ms'] <= budget_ms]`; return None if it is empty; "
          "otherwise sort the fitting rows by accuracy (descending), then p99, then name, and "
          "take the first name."),
    points=2,
)

q4 = Question(
    "q4",
    prompt=("Pick a tighter budget `tight_budget_ms` (ms, below 30) under which `choice` no "
            "longer fits, and store the model the same rule picks then in `tight_choice` "
            "(None if nothing fits)."),
    answers=("table", "choice", "tight_budget_ms", "tight_choice"),
    checker=_check_q4,
    hint=("Any budget below `table.loc[choice, 'p99_ms']` forces a different choice; your "
          "`choose` gives it."),
    points=1,
)

EXERCISE = Exercise("ex4_pareto_frontier", [q1, q2, q3, q4])
