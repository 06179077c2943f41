"""Exercise 4: the latency-accuracy Pareto frontier of ten models, and a choice under a budget.

The checkers recompute everything from the learner's own table (their accuracies and their
latencies), never from fixed numbers: timings differ from machine to machine.
"""

from __future__ import annotations

import math

import numpy as np

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, expect_number
from mlserving_lab.tradeoffs import pareto_mask

#: The latency budget of the exercise (milliseconds, on the p99 column).
BUDGET_MS = 30.0
#: Column the frontier and the budget use. A latency SLA is about the tail, so p99.
LATENCY = "p99_ms"
SCORE = "accuracy"
#: Data of the exercise: 3000 rows x 20 features, so that all ten models fit in a few seconds.
DATA = dict(n_samples=3000, n_features=20, n_informative=10, random_state=0)

#: (description, estimator class name, parameter, value) of every model the exercise requires.
REQUIRED = [
    ("LogisticRegression", "LogisticRegression", None, None),
    ("a decision tree with max_depth=3", "DecisionTreeClassifier", "max_depth", 3),
    ("a decision tree with max_depth=10", "DecisionTreeClassifier", "max_depth", 10),
    ("a decision tree with max_depth=20", "DecisionTreeClassifier", "max_depth", 20),
    ("a random forest with n_estimators=10", "RandomForestClassifier", "n_estimators", 10),
    ("a random forest with n_estimators=50", "RandomForestClassifier", "n_estimators", 50),
    ("a random forest with n_estimators=200", "RandomForestClassifier", "n_estimators", 200),
    ("a gradient boosting model with n_estimators=50", "GradientBoostingClassifier",
     "n_estimators", 50),
    ("a gradient boosting model with n_estimators=200", "GradientBoostingClassifier",
     "n_estimators", 200),
    ("an SVM (SVC, LinearSVC or NuSVC)", ("SVC", "LinearSVC", "NuSVC"), None, None),
]


def load_data():
    """The exercise's data: ``X_train, X_test, y_train, y_test`` (3000 rows, 20 features)."""
    from mlserving_lab.datasets import make_classification_split

    return make_classification_split(**DATA)


# ---------------------------------------------------------------------------------------------
# shared checks
# ---------------------------------------------------------------------------------------------
def _final_estimator(model):
    """The last step of a Pipeline (so a scaler + SVC pipeline counts as an SVM)."""
    steps = getattr(model, "steps", None)
    if steps:
        return _final_estimator(steps[-1][1])
    return model


def _matches(model, cls, param, value) -> bool:
    est = _final_estimator(model)
    names = cls if isinstance(cls, tuple) else (cls,)
    if type(est).__name__ not in names:
        return False
    if param is None:
        return True
    return getattr(est, param, None) == value


def check_table(table, *, need=(SCORE, "p50_ms", LATENCY)):
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise Incorrect(f"`table` should be a pandas DataFrame with one row per model, but it "
                        f"is a {type(table).__name__}")
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise Incorrect(f"your table has no {', '.join(f'`{c}`' for c in missing)} column(s); "
                        f"its columns are {[str(c) for c in table.columns]}. "
                        "`evaluate_models` produces them.")
    if len(table) == 0:
        raise Incorrect("your table is empty: it needs one row per model")
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()][0]
        raise Incorrect(f"model `{dup}` appears twice in your table: each model needs one row")
    for col in need:
        vals = pd.to_numeric(table[col], errors="coerce")
        bad = vals[~np.isfinite(vals.to_numpy(dtype=float))]
        if len(bad):
            raise Incorrect(f"column `{col}` of your table is not a finite number for "
                            f"`{bad.index[0]}`")
    acc = table[SCORE].astype(float)
    if ((acc < 0) | (acc > 1)).any():
        who = acc[(acc < 0) | (acc > 1)].index[0]
        raise Incorrect(f"the accuracy of `{who}` is {acc[who]:.3g}: an accuracy lies between "
                        "0 and 1 (did you store a percentage or an error count?)")
    for col in need[1:]:
        lat = table[col].astype(float)
        if (lat <= 0).any():
            who = lat[lat <= 0].index[0]
            raise Incorrect(f"`{col}` of `{who}` is {lat[who]:.3g} ms; a measured latency must "
                            "be positive")
    if "p50_ms" in table.columns and LATENCY in table.columns:
        bad = table[table[LATENCY].astype(float) < table["p50_ms"].astype(float)]
        if len(bad):
            r = bad.iloc[0]
            raise Incorrect(f"your p99 ({r[LATENCY]:.3g} ms) is below your p50 "
                            f"({r['p50_ms']:.3g} ms) for `{bad.index[0]}`: percentiles must grow")
    return table


def _as_name_set(answer, table, what: str) -> set:
    """Turn a list / set / Index / boolean mask of model names into a set of table labels."""
    import pandas as pd

    if isinstance(answer, pd.Series) and answer.dtype == bool:
        if not answer.index.equals(table.index):
            raise Incorrect(f"`{what}` is a boolean Series, but its index is not your table's "
                            "index: build it from the table")
        return set(answer.index[answer.to_numpy()])
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise Incorrect(f"`{what}` should be a list of model names (the table's index), got "
                        f"{type(answer).__name__} `{answer!r:.60}`")
    names = list(answer)
    labels = set(table.index)
    unknown = [n for n in names if n not in labels]
    if unknown:
        raise Incorrect(f"{', '.join(f'`{n}`' for n in unknown[:3])} in `{what}` is not a "
                        f"model of your table; its models are {list(table.index)}")
    return set(names)


def fmt(table, name) -> str:
    r = table.loc[name]
    return f"p99 {float(r[LATENCY]):.3g} ms, accuracy {float(r[SCORE]):.4f}"


def _dominator(table, name):
    """A model that dominates ``name`` in ``table`` (the most accurate one), or None."""
    lat = table[LATENCY].astype(float)
    acc = table[SCORE].astype(float)
    li, ai = lat[name], acc[name]
    dom = (lat <= li) & (acc >= ai) & ((lat < li) | (acc > ai))
    if not dom.any():
        return None
    return acc[dom].idxmax()


def _expected_choice(table, budget):
    lat = table[LATENCY].astype(float).to_numpy()
    acc = table[SCORE].astype(float).to_numpy()
    fits = np.flatnonzero(lat <= budget)
    if fits.size == 0:
        return None
    order = np.lexsort((fits, lat[fits], -acc[fits]))
    return table.index[fits[order[0]]]


def check_choice(table, choice, budget, what):
    want = _expected_choice(table, budget)
    if choice is None:
        if want is None:
            return
        raise Incorrect(f"`{what}` is None, but `{want}` fits the {budget:.3g} ms budget "
                        f"({fmt(table, want)})")
    if isinstance(choice, (list, tuple, set)) or (hasattr(choice, "__len__")
                                                   and not isinstance(choice, str)):
        raise Incorrect(f"`{what}` should be one model name (a label of your table's index), "
                        f"got {type(choice).__name__}")
    if choice not in set(table.index):
        raise Incorrect(f"`{choice}` is not a model of your table; its models are "
                        f"{list(table.index)}")
    lat = float(table.loc[choice, LATENCY])
    if want is None:
        raise Incorrect(f"no model of your table fits {budget:.3g} ms on p99 (the fastest takes "
                        f"{table[LATENCY].astype(float).min():.3g} ms), so `{what}` should be "
                        "None")
    if lat > budget:
        raise Incorrect(f"`{choice}` does not fit the budget: its p99 is {lat:.3g} ms, above "
                        f"{budget:.3g} ms")
    if choice != want:
        a_c, a_w = float(table.loc[choice, SCORE]), float(table.loc[want, SCORE])
        if a_w > a_c:
            raise Incorrect(f"`{want}` also fits the {budget:.3g} ms budget ({fmt(table, want)}) "
                            f"and is more accurate than `{choice}` ({fmt(table, choice)})")
        raise Incorrect(f"`{want}` is as accurate as `{choice}` ({a_w:.4f}) and faster "
                        f"(p99 {float(table.loc[want, LATENCY]):.3g} ms vs {lat:.3g} ms): on a "
                        "tie, take the faster model")


# ---------------------------------------------------------------------------------------------
# q1: the models and the table
# ---------------------------------------------------------------------------------------------
def _check_models_table(models, table):
    if not isinstance(models, dict):
        raise Incorrect(f"`models` should be a dict {{name: fitted model}}, got "
                        f"{type(models).__name__}")
    if len(models) < 8:
        raise Incorrect(f"`models` has {len(models)} models; the exercise asks for at least 8 "
                        "(all ten listed above)")
    for desc, cls, param, value in REQUIRED:
        if not any(_matches(m, cls, param, value) for m in models.values()):
            hint = ""
            if param is not None:
                found = sorted({getattr(_final_estimator(m), param) for m in models.values()
                                if type(_final_estimator(m)).__name__ == cls},
                               key=str)
                if found:
                    hint = f" (your {cls} models have {param} = {found})"
            raise Incorrect(f"`models` has no {desc}{hint}")
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    for name, m in models.items():
        if not hasattr(m, "predict"):
            raise Incorrect(f"`models[{name!r}]` must be a fitted estimator with a predict "
                            f"method, got {type(m).__name__}")
        try:
            check_is_fitted(m)
        except NotFittedError:
            raise Incorrect(f"`models[{name!r}]` ({type(m).__name__}) is not fitted yet; call "
                            f"`.fit(X, y)` first") from None
        except TypeError:
            pass
    check_table(table)
    if set(table.index) != set(models):
        missing = [n for n in models if n not in set(table.index)]
        extra = [n for n in table.index if n not in models]
        parts = []
        if missing:
            parts.append(f"has no row for {', '.join(f'`{n}`' for n in missing[:4])}")
        if extra:
            parts.append(f"has rows {', '.join(f'`{n}`' for n in extra[:4])} that are not in "
                         "`models`")
        raise Incorrect("your table " + " and ".join(parts) + ": index the table by the "
                        "names of `models`")
    best = table[SCORE].astype(float).idxmax()
    fastest = table[LATENCY].astype(float).idxmin()
    return (f"Correct: {len(table)} models measured. The most accurate is `{best}` "
            f"({fmt(table, best)}); the fastest on p99 is `{fastest}` "
            f"({fmt(table, fastest)}).")


def _hidden_accuracy_is_real(models, table):
    """Grading only: the table's accuracies are the models' accuracies on the exercise data."""
    _, X_test, _, y_test = load_data()
    for name, m in models.items():
        acc = float(np.mean(m.predict(X_test) == y_test))
        got = float(table.loc[name, SCORE])
        if not math.isclose(acc, got, abs_tol=1e-9):
            raise Incorrect(f"the table says `{name}` has accuracy {got:.4f}, but on the "
                            f"exercise's test set it scores {acc:.4f}: measure on "
                            "`X_test, y_test` from `load_data()`")


# ---------------------------------------------------------------------------------------------
# q2: the frontier
# ---------------------------------------------------------------------------------------------
def check_pareto(table, pareto_models):
    check_table(table)
    got = _as_name_set(pareto_models, table, "pareto_models")
    want = set(table.index[pareto_mask(table, latency=LATENCY, score=SCORE).to_numpy()])
    if got == want:
        return (f"Correct: {len(want)} of your {len(table)} models are Pareto-optimal: "
                f"{', '.join(f'`{n}`' for n in table.index if n in want)}. Every other model "
                "is beaten on both axes by one of them.")
    if "p50_ms" in table.columns:
        on_p50 = set(table.index[pareto_mask(table, latency="p50_ms", score=SCORE).to_numpy()])
        if got == on_p50:
            raise Incorrect("that is the frontier on `p50_ms`; this exercise uses `p99_ms`, "
                            "because a latency budget has to hold for the slow requests too")
    extra = [n for n in table.index if n in got - want]
    if extra:
        n = extra[0]
        d = _dominator(table, n)
        raise Incorrect(f"`{n}` ({fmt(table, n)}) is dominated by `{d}` ({fmt(table, d)}): "
                        f"`{d}` is at least as fast and at least as accurate, and strictly "
                        f"better on one of the two, so `{n}` is not Pareto-optimal")
    missing = [n for n in table.index if n in want - got]
    n = missing[0]
    raise Incorrect(f"`{n}` ({fmt(table, n)}) is Pareto-optimal but missing from your list: "
                    "no other model is both at least as fast and at least as accurate with "
                    "one of the two strictly better. Ties stay on the frontier.")


# ---------------------------------------------------------------------------------------------
# q3, q4: the choices
# ---------------------------------------------------------------------------------------------
def _check_choice_30(table, choice):
    check_table(table)
    check_choice(table, choice, BUDGET_MS, "choice")
    if choice is None:
        return "Correct: nothing fits, so there is no model to choose."
    n_fit = int((table[LATENCY].astype(float) <= BUDGET_MS).sum())
    note = (" Every model fits, so the budget decides nothing here: on this machine "
            f"{BUDGET_MS:g} ms is a loose budget for one-row scoring." if n_fit == len(table)
            else f" {n_fit} of {len(table)} models fit the budget.")
    return f"Correct: `{choice}` ({fmt(table, choice)}) is the most accurate within " \
           f"{BUDGET_MS:g} ms.{note}"


def _as_budget(value, what):
    return expect_number(value, what, unit="milliseconds", positive=True)


def _check_tight(table, choice, tight_budget_ms, tight_choice):
    check_table(table)
    budget = _as_budget(tight_budget_ms, "tight_budget_ms")
    if budget >= BUDGET_MS:
        raise Incorrect(f"`tight_budget_ms` ({budget:.3g} ms) is not tighter than "
                        f"{BUDGET_MS:g} ms")
    check_choice(table, tight_choice, budget, "tight_choice")
    want_30 = _expected_choice(table, BUDGET_MS)
    if choice != want_30:
        raise Incorrect(f"first get q3 right: `choice` should be `{want_30}`")
    if tight_choice == choice:
        raise Incorrect(f"with {budget:.3g} ms you still choose `{choice}` (p99 "
                        f"{float(table.loc[choice, LATENCY]):.3g} ms): pick a budget below "
                        "that latency so that the choice has to change")
    if tight_choice is None:
        return (f"Correct: at {budget:.3g} ms no model fits; `choose_within_budget` raises "
                "`NoModelFitsBudgetError`, and the answer is to speed a model up (ONNX "
                "Runtime, fewer trees) or renegotiate the budget.")
    lost = float(table.loc[choice, SCORE]) - float(table.loc[tight_choice, SCORE])
    return (f"Correct: at {budget:.3g} ms the choice moves from `{choice}` to `{tight_choice}` "
            f"({fmt(table, tight_choice)}), giving up {lost:.4f} accuracy for speed.")


q1 = Question(
    "q1",
    prompt=("Fit the ten models on `X_train, y_train` (LogisticRegression; decision trees of "
            "depth 3, 10, 20; random forests of 10, 50, 200 trees; gradient boosting with 50 "
            "and 200 trees; an SVM) in a dict `models`, then measure each one's test accuracy "
            "and one-row latency into `table` (index = model names; columns `accuracy`, "
            "`p50_ms`, `p99_ms`)."),
    answers=("models", "table"),
    checker=_check_models_table,
    hint=("`evaluate_models(models, X_test, y_test, X_train=X_train, y_train=y_train, "
          "n_runs=100)` fits every model and returns the table with one-row latencies."),
    solution=(
        "models = {\n"
        "    'LogReg': LogisticRegression(max_iter=1000),\n"
        "    'Tree(d=3)': DecisionTreeClassifier(max_depth=3, random_state=0),\n"
        "    'Tree(d=10)': DecisionTreeClassifier(max_depth=10, random_state=0),\n"
        "    'Tree(d=20)': DecisionTreeClassifier(max_depth=20, random_state=0),\n"
        "    'RF(10)': RandomForestClassifier(n_estimators=10, random_state=0),\n"
        "    'RF(50)': RandomForestClassifier(n_estimators=50, random_state=0),\n"
        "    'RF(200)': RandomForestClassifier(n_estimators=200, random_state=0),\n"
        "    'GBM(50)': GradientBoostingClassifier(n_estimators=50, random_state=0),\n"
        "    'GBM(200)': GradientBoostingClassifier(n_estimators=200, random_state=0),\n"
        "    'SVM': make_pipeline(StandardScaler(), SVC()),\n"
        "}\n"
        "table = evaluate_models(models, X_test, y_test, X_train=X_train, y_train=y_train,\n"
        "                        n_runs=100, warmup=10)"
    ),
    points=3,
    hidden=(_hidden_accuracy_is_real,),
)

q2 = Question(
    "q2",
    prompt=("List the Pareto-optimal models of your table in `pareto_models` (latency = "
            "`p99_ms`, lower is better; `accuracy`, higher is better; exact ties stay)."),
    answers=("table", "pareto_models"),
    checker=check_pareto,
    hint=("A model is dominated when another one has `p99_ms <=` and `accuracy >=` with at "
          "least one strict. `pareto_mask(table)` marks the others."),
    solution="pareto_models = list(table.index[pareto_mask(table)])",
    points=2,
)

q3 = Question(
    "q3",
    prompt=(f"Which model do you deploy under a {BUDGET_MS:g} ms p99 budget? Store its name "
            "in `choice`."),
    answers=("table", "choice"),
    checker=_check_choice_30,
    hint=("Keep the rows with `p99_ms <= 30`, then take the most accurate (the faster one on "
          "a tie). `choose_within_budget(table, 30)` does exactly that."),
    solution="choice = choose_within_budget(table, BUDGET_MS)",
    points=2,
)

q4 = Question(
    "q4",
    prompt=("Pick a tighter budget `tight_budget_ms` under which `choice` no longer fits, and "
            "store the model you would deploy then in `tight_choice` (None if nothing fits)."),
    answers=("table", "choice", "tight_budget_ms", "tight_choice"),
    checker=_check_tight,
    hint=("Any budget below `table.loc[choice, 'p99_ms']` forces a different choice. "
          "`choose_within_budget` raises `NoModelFitsBudgetError` when nothing fits."),
    solution=(
        "tight_budget_ms = 0.9 * table.loc[choice, 'p99_ms']\n"
        "fits = table['p99_ms'] <= tight_budget_ms\n"
        "tight_choice = choose_within_budget(table, tight_budget_ms) if fits.any() else None"
    ),
    points=1,
)

EXERCISE = Exercise("ex4_pareto_frontier", [q1, q2, q3, q4])
