"""Exercise 1: the model optimization benchmark.

A gradient-boosting baseline, three cheaper variants (fewer trees, shallower trees, a
distilled LogisticRegression), the same baseline saved with ``joblib`` ``compress=5`` and
exported to ONNX; one table of accuracy, one-row p50/p99 latency and size; a choice under a
latency budget.

Sizes are shrunk from the syllabus (300 trees of depth 6 on 10000 x 30 takes over a minute to
fit on a laptop): 4000 rows x 30 features and a 100-tree, depth-4 baseline fit in a few
seconds and keep every comparison meaningful.

The checkers judge the learner's own numbers (their table, their models, their function),
never fixed values: timings differ from machine to machine.
"""

from __future__ import annotations

import numpy as np

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call

#: The exercise's data: 4000 rows x 30 features (the syllabus's 30 features, fewer rows).
DATA = dict(n_samples=4000, n_features=30, n_informative=10, random_state=1)
#: The baseline (syllabus: 300 trees, depth 6; shrunk so it fits in ~2-3 s).
BASELINE_PARAMS = dict(n_estimators=100, max_depth=4, random_state=0)
#: The latency budget, applied to the p99 column.
BUDGET_MS = 50.0
#: Rows the table must have.
REQUIRED_ROWS = ("baseline", "fewer_trees", "shallow", "distilled", "compressed", "onnx")
REQUIRED_COLUMNS = ("accuracy", "p50_ms", "p99_ms", "size_kb")


def load_data():
    """The exercise's data: ``X_train, X_test, y_train, y_test`` (4000 rows, 30 features)."""
    from mlserving_lab.datasets import make_classification_split

    return make_classification_split(**DATA)


# ---------------------------------------------------------------------------------------------
# q1: the three GBMs
# ---------------------------------------------------------------------------------------------
def _check_gbm(model, what: str, n_features: int):
    from sklearn.ensemble import GradientBoostingClassifier

    if not isinstance(model, GradientBoostingClassifier):
        raise Incorrect(f"`{what}` should be a fitted GradientBoostingClassifier, got "
                        f"{type(model).__name__}")
    if not hasattr(model, "estimators_"):
        raise Incorrect(f"`{what}` is not fitted yet: call `{what}.fit(X_train, y_train)`")
    if getattr(model, "n_features_in_", None) != n_features:
        raise Incorrect(f"`{what}` was fitted on {model.n_features_in_} features; the "
                        f"exercise data has {n_features}: use `load_data()`")


def _check_variants(baseline, fewer_trees, shallow):
    n_features = DATA["n_features"]
    for model, what in ((baseline, "baseline"), (fewer_trees, "fewer_trees"),
                        (shallow, "shallow")):
        _check_gbm(model, what, n_features)
    if baseline is fewer_trees or baseline is shallow or fewer_trees is shallow:
        raise Incorrect("two of your variables are the same model object: fit a separate "
                        "model for each variant")
    nb, nf = baseline.n_estimators_, fewer_trees.n_estimators_
    if nf >= nb:
        raise Incorrect(f"`fewer_trees` has {nf} trees and `baseline` has {nb}: the variant "
                        "must use fewer trees (e.g. n_estimators=25)")
    if fewer_trees.max_depth != baseline.max_depth:
        raise Incorrect(f"`fewer_trees` changes max_depth too ({fewer_trees.max_depth} vs "
                        f"{baseline.max_depth}); change only the number of trees so the "
                        "comparison shows what that one change costs")
    if shallow.max_depth is None or (baseline.max_depth is not None
                                     and shallow.max_depth >= baseline.max_depth):
        raise Incorrect(f"`shallow` has max_depth={shallow.max_depth} and `baseline` "
                        f"max_depth={baseline.max_depth}: the variant needs shallower trees")
    if shallow.n_estimators_ != nb:
        raise Incorrect(f"`shallow` has {shallow.n_estimators_} trees, `baseline` {nb}; keep "
                        "the number of trees and change only the depth")
    return (f"Correct: {nb} trees of depth {baseline.max_depth}, {nf} trees, and depth "
            f"{shallow.max_depth}.")


def _hidden_fit_on_train(baseline, fewer_trees, shallow):
    X_train, X_test, y_train, y_test = load_data()
    for model, what in ((baseline, "baseline"), (fewer_trees, "fewer_trees"),
                        (shallow, "shallow")):
        tr, te = model.score(X_train, y_train), model.score(X_test, y_test)
        if te > tr + 0.02:
            raise Incorrect(f"`{what}` scores {te:.3f} on X_test but only {tr:.3f} on "
                            "X_train: it looks trained on the test set. Fit on X_train.")


q1 = Question(
    "q1",
    prompt=(
        "Fit three `GradientBoostingClassifier`s on `X_train, y_train`:\n\n"
        "* `baseline` with `BASELINE_PARAMS` (100 trees of depth 4),\n"
        "* `fewer_trees`: the same but with `n_estimators=25`,\n"
        "* `shallow`: the same but with `max_depth=2`."
    ),
    answers=("baseline", "fewer_trees", "shallow"),
    checker=_check_variants,
    hint=("Change one parameter per variant: `GradientBoostingClassifier(**{**BASELINE_PARAMS, "
          "'n_estimators': 25})`."),
    solution=(
        "from sklearn.ensemble import GradientBoostingClassifier\n"
        "baseline = GradientBoostingClassifier(**BASELINE_PARAMS).fit(X_train, y_train)\n"
        "fewer_trees = GradientBoostingClassifier(**{**BASELINE_PARAMS, 'n_estimators': 25})"
        ".fit(X_train, y_train)\n"
        "shallow = GradientBoostingClassifier(**{**BASELINE_PARAMS, 'max_depth': 2})"
        ".fit(X_train, y_train)"
    ),
    points=2,
    hidden=(_hidden_fit_on_train,),
)


# ---------------------------------------------------------------------------------------------
# q2: distillation from the teacher's probabilities
# ---------------------------------------------------------------------------------------------
def _probe_teacher(seed: int, softness: float):
    """A fitted LogisticRegression whose probabilities are deliberately soft.

    Its labels are a deterministic function of a linear score, so a student trained on
    thresholded labels sees a separable problem and becomes near-certain, while a student
    trained on the probabilities reproduces them closely.
    """
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 6))
    y = (X @ rng.normal(size=6) + 0.3 * rng.normal(size=600) > 0).astype(int)
    teacher = LogisticRegression().fit(X, y)
    teacher.coef_ = teacher.coef_ * softness  # soften: probabilities mostly within 0.2-0.8
    teacher.intercept_ = teacher.intercept_ * softness
    X_transfer = rng.normal(size=(3000, 6))
    X_probe = rng.normal(size=(400, 6))
    return teacher, X_transfer, X_probe


def _student_proba(distill, teacher, X_transfer, X_probe):
    student = call(distill, teacher, X_transfer)
    if student is None:
        raise Incorrect("`distill` returned None: it must return the fitted student")
    if student is teacher:
        raise Incorrect("`distill` returned the teacher itself; it must fit and return a new, "
                        "smaller student model")
    if not hasattr(student, "predict_proba"):
        raise Incorrect(f"the student returned by `distill` ({type(student).__name__}) has no "
                        "`predict_proba`; use LogisticRegression")
    try:
        return np.asarray(student.predict_proba(X_probe), dtype=float)[:, -1]
    except Exception as exc:
        raise Incorrect(f"the student returned by `distill` cannot predict on new rows "
                        f"({type(exc).__name__}: {exc}); is it fitted on the `X` it was "
                        "given (6 features here)?") from None


def _check_distill_with(distill, seed: int, softness=(0.2, 0.6)):
    """Distil two test teachers that share their labels but not their probabilities.

    Scaling a logistic model's coefficients changes its probabilities but not the sign of its
    score, so ``teacher.predict`` is identical for both teachers. A student trained on
    thresholded labels is therefore identical too; a student trained on the probabilities is
    not, and reproduces each teacher closely.
    """
    runs = []
    for soft in softness:
        teacher, X_transfer, X_probe = _probe_teacher(seed, soft)
        p_student = _student_proba(distill, teacher, X_transfer, X_probe)
        runs.append((p_student, teacher.predict_proba(X_probe)[:, 1]))
    if float(np.max(np.abs(runs[0][0] - runs[1][0]))) < 1e-6:
        raise Incorrect(
            "we gave `distill` two teachers that predict the same labels but with different "
            "confidence, and your function returned the same student for both: it learned "
            "from the labels (`teacher.predict` or `proba > 0.5`), not from the probabilities.")
    gaps = []
    for p_student, p_teacher in runs:
        gap = float(np.mean(np.abs(p_student - p_teacher)))
        conf_s = float(np.mean(np.abs(p_student - 0.5)))
        conf_t = float(np.mean(np.abs(p_teacher - 0.5)))
        if gap > 0.05:
            if conf_s > conf_t + 0.1:
                raise Incorrect(
                    f"we gave `distill` a teacher whose probabilities are soft (on average "
                    f"{conf_t:.2f} away from 0.5); your student's are {conf_s:.2f} away from "
                    f"0.5, and differ from the teacher's by {gap:.2f} on average. It learned "
                    "thresholded labels (`teacher.predict` or `proba > 0.5`), not the "
                    "probabilities. Feed it the probabilities: duplicate each row once per "
                    "class with `sample_weight` = the teacher's probability for that class.")
            raise Incorrect(
                f"your student's probabilities differ from the teacher's by {gap:.2f} on "
                f"average on rows it never saw (teacher {conf_t:.2f} away from 0.5 on "
                f"average, your student {conf_s:.2f}); a student fitted on the teacher's "
                "probabilities gets within 0.05 here. Fit it on `teacher.predict_proba(X)`, "
                "and keep the default regularisation (a small `C` pulls every probability "
                "towards 0.5).")
        gaps.append(gap)
    return max(gaps)


def _check_distill(distill):
    gap = _check_distill_with(distill, seed=11)
    return (f"Correct: given two test teachers with the same labels but different confidence, "
            f"your students reproduce each one's probabilities within {gap:.3f} on average. "
            "A student fitted on thresholded labels could not tell them apart.")


def _hidden_other_teacher(distill):
    _check_distill_with(distill, seed=23, softness=(0.3, 0.8))


q2 = Question(
    "q2",
    prompt=(
        "Write `distill(teacher, X)`: it returns a `LogisticRegression` fitted on the "
        "teacher's **probabilities** `teacher.predict_proba(X)` (not on `teacher.predict(X)`, "
        "not on `y_train`). Then `distilled = distill(baseline, X_train)`. The checker calls "
        "your function with a test teacher of its own."
    ),
    answers=("distill",),
    checker=_check_distill,
    hint=("`LogisticRegression.fit` accepts `sample_weight`. Stack `X` twice, label the first "
          "copy 0 and the second 1, and weight them with `p[:, 0]` and `p[:, 1]`; "
          "`mlserving_lab.distill.fit_soft_student` does exactly this."),
    solution=(
        "def distill(teacher, X):\n"
        "    p = teacher.predict_proba(X)\n"
        "    X_dup = np.vstack([X, X])\n"
        "    y_dup = np.r_[np.zeros(len(X)), np.ones(len(X))]\n"
        "    w = np.r_[p[:, 0], p[:, 1]]\n"
        "    return LogisticRegression(max_iter=1000).fit(X_dup, y_dup, sample_weight=w)"
    ),
    points=2,
    hidden=(_hidden_other_teacher,),
)


# ---------------------------------------------------------------------------------------------
# q3: the ONNX export goes through the parity check
# ---------------------------------------------------------------------------------------------
def _check_onnx(baseline, onnx_model):
    from mlserving_lab.export import check_parity

    if onnx_model is baseline:
        raise Incorrect("`onnx_model` is the scikit-learn baseline itself; export it with "
                        "`to_onnx(baseline, X_train)`")
    if type(onnx_model).__module__.startswith("sklearn"):
        raise Incorrect(f"`onnx_model` is a scikit-learn {type(onnx_model).__name__}, not an "
                        "ONNX model; use `to_onnx(baseline, X_train)`")
    if not hasattr(onnx_model, "predict"):
        raise Incorrect(f"`onnx_model` ({type(onnx_model).__name__}) has no `predict`; use "
                        "`mlserving_lab.export.to_onnx`, which returns a predictor")
    _check_gbm(baseline, "baseline", DATA["n_features"])
    _, X_test, _, _ = load_data()
    report = check_parity(baseline, onnx_model, X_test, raise_on_failure=False)
    if not report.passed:
        raise Incorrect(f"your ONNX model does not reproduce `baseline` on X_test: {report}. "
                        "Is it the export of this baseline (not of another model)?")
    return f"Correct: {report}."


q3 = Question(
    "q3",
    prompt="Export `baseline` to ONNX as `onnx_model` with `to_onnx`.",
    answers=("baseline", "onnx_model"),
    checker=_check_onnx,
    hint="`from mlserving_lab.export import to_onnx`; `onnx_model = to_onnx(baseline, X_train)`.",
    solution="onnx_model = to_onnx(baseline, X_train)",
    points=1,
)


# ---------------------------------------------------------------------------------------------
# q4: the table and the choice
# ---------------------------------------------------------------------------------------------
def _check_table(table):
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise Incorrect(f"`table` should be a pandas DataFrame with one row per variant, got "
                        f"{type(table).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise Incorrect(f"your table has no {', '.join(f'`{c}`' for c in missing)} column; "
                        f"its columns are {[str(c) for c in table.columns]}")
    rows = [r for r in REQUIRED_ROWS if r not in table.index]
    if rows:
        raise Incorrect(f"your table has no row {', '.join(f'`{r}`' for r in rows)} (the "
                        f"index must name the variants); its rows are {list(table.index)}")
    if table.index.has_duplicates:
        raise Incorrect(f"`{table.index[table.index.duplicated()][0]}` appears twice in your "
                        "table")
    for col in REQUIRED_COLUMNS:
        vals = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(vals).all():
            who = table.index[~np.isfinite(vals)][0]
            raise Incorrect(f"`{col}` of `{who}` is not a finite number")
    acc = table["accuracy"].astype(float)
    if ((acc < 0) | (acc > 1)).any():
        who = acc[(acc < 0) | (acc > 1)].index[0]
        raise Incorrect(f"the accuracy of `{who}` is {acc[who]:.3g}: accuracy lies between 0 "
                        "and 1")
    for col in ("p50_ms", "p99_ms", "size_kb"):
        v = table[col].astype(float)
        if (v <= 0).any():
            who = v[v <= 0].index[0]
            raise Incorrect(f"`{col}` of `{who}` is {v[who]:.3g}; it must be positive")
    bad = table[table["p99_ms"].astype(float) < table["p50_ms"].astype(float)]
    if len(bad):
        r = bad.iloc[0]
        raise Incorrect(f"your p99 ({r['p99_ms']:.3g} ms) is below your p50 "
                        f"({r['p50_ms']:.3g} ms) for `{bad.index[0]}`: the 99th percentile "
                        "of the same measurements can never be below the median")
    base_kb, comp_kb = float(table.loc["baseline", "size_kb"]), float(
        table.loc["compressed", "size_kb"])
    if comp_kb >= base_kb:
        raise Incorrect(f"your `compressed` file ({comp_kb:.1f} KB) is not smaller than the "
                        f"`baseline` file ({base_kb:.1f} KB): dump the baseline with "
                        "`joblib.dump(baseline, path, compress=5)` and measure that file")
    a_base, a_comp = float(acc["baseline"]), float(acc["compressed"])
    if abs(a_base - a_comp) > 1e-9:
        raise Incorrect(f"`compressed` has accuracy {a_comp:.4f} but `baseline` {a_base:.4f}: "
                        "compression is lossless, the loaded model is the same model. Score "
                        "the model you loaded back from the compressed file.")
    a_onnx = float(acc["onnx"])
    if abs(a_onnx - a_base) > 0.005:
        raise Incorrect(f"`onnx` has accuracy {a_onnx:.4f} but `baseline` {a_base:.4f}; the "
                        "ONNX export of the same model should agree on (nearly) every row")
    return table


def _best_within(table, budget: float):
    lat = table["p99_ms"].astype(float)
    acc = table["accuracy"].astype(float)
    fits = lat <= budget
    if not fits.any():
        return None, []
    best = float(acc[fits].max())
    return best, [n for n in table.index[fits.to_numpy()] if float(acc[n]) >= best - 1e-12]


def _check_pick(table, choice, budget: float, what: str, budget_text: str):
    best, winners = _best_within(table, budget)
    if best is None:
        if choice is None:
            return
        raise Incorrect(f"no variant of your table has p99 <= {budget_text}, so `{what}` "
                        "should be None")
    if choice is None:
        raise Incorrect(f"`{what}` is None, but `{winners[0]}` fits {budget_text} "
                        f"(p99 {float(table.loc[winners[0], 'p99_ms']):.3g} ms)")
    if isinstance(choice, (list, tuple, set, dict)) or choice not in set(table.index):
        raise Incorrect(f"`{what}` should be one row name of your table "
                        f"({list(table.index)}), got `{choice!r:.60}`")
    p99 = float(table.loc[choice, "p99_ms"])
    if p99 > budget:
        raise Incorrect(f"`{choice}` has p99 {p99:.3g} ms in your table: it does not fit "
                        f"{budget_text}")
    if choice not in winners:
        w = winners[0]
        raise Incorrect(f"`{w}` also fits {budget_text} (p99 "
                        f"{float(table.loc[w, 'p99_ms']):.3g} ms) and is more accurate "
                        f"({best:.4f}) than `{choice}` "
                        f"({float(table.loc[choice, 'accuracy']):.4f}) in your table")


def _check_table_choice(table, choice, tight_choice):
    table = _check_table(table)
    _check_pick(table, choice, BUDGET_MS, "choice", f"the {BUDGET_MS:g} ms budget")
    tight = float(table.loc["baseline", "p99_ms"]) / 2
    _check_pick(table, tight_choice, tight, "tight_choice",
                f"a budget of half your baseline's p99 ({tight:.3g} ms)")
    return (f"Correct: within {BUDGET_MS:g} ms every variant fits here, so the most accurate "
            f"wins (`{choice}`); at half the baseline's p99 (`{tight:.3g} ms`) the answer is "
            f"`{tight_choice}`.")


q4 = Question(
    "q4",
    prompt=(
        "Build `table`: a DataFrame indexed by `baseline, fewer_trees, shallow, distilled, "
        "compressed, onnx` with columns `accuracy` (on X_test), `p50_ms`, `p99_ms` (one-row "
        "latency from `benchmark_latency`) and `size_kb` (size of the saved file: joblib "
        "without compression, joblib `compress=5` for `compressed`, the `.onnx` file for "
        "`onnx`). Then `choice`: the most accurate variant whose p99 fits the 50 ms budget, "
        "and `tight_choice`: the same for a budget of half your baseline's p99 (None if "
        "nothing fits). Both according to YOUR table."
    ),
    answers=("table", "choice", "tight_choice"),
    checker=_check_table_choice,
    hint=("Filter `table[table.p99_ms <= budget]`, then take `.accuracy.idxmax()`. For the "
          "`compressed` row, score and time the model loaded back with `joblib.load`."),
    solution=(
        "fits = table[table.p99_ms <= BUDGET_MS]\n"
        "choice = fits.accuracy.idxmax()\n"
        "tight = table[table.p99_ms <= table.loc['baseline', 'p99_ms'] / 2]\n"
        "tight_choice = tight.accuracy.idxmax() if len(tight) else None"
    ),
    points=3,
)

EXERCISE = Exercise("ex1_optimization_benchmark", [q1, q2, q3, q4])
