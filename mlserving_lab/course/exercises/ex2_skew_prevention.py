"""Exercise 2: training-serving skew prevention (syllabus exercise 2)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call

__all__ = ["EXERCISE", "q1", "q2", "q3"]


def _fresh(n: int = 400, seed: int = 2024):
    from mlserving_lab.datasets import make_mixed_dataset

    return make_mixed_dataset(n, random_state=seed)


def _as_list(cols) -> list[str]:
    if isinstance(cols, str):
        return [cols]
    try:
        return [str(c) for c in cols]
    except TypeError:
        return [str(cols)]


def _steps_of(est) -> list:
    steps = getattr(est, "steps", None)
    return [s for _, s in steps] if isinstance(steps, list) else [est]


def _find_column_transformer(pipeline):
    from sklearn.compose import ColumnTransformer

    for step in _steps_of(pipeline)[:-1]:
        if isinstance(step, ColumnTransformer):
            return step
    return None


# ---------------------------------------------------------------------------------- q1
def _check_pipeline(pipeline):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.utils.validation import check_is_fitted

    from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

    if not isinstance(pipeline, Pipeline):
        raise Incorrect(f"`pipeline` should be a scikit-learn Pipeline, got "
                        f"{type(pipeline).__name__}: preprocessing and model must be one object")
    final = pipeline.steps[-1][1]
    if not isinstance(final, RandomForestClassifier):
        raise Incorrect(f"the last step of your pipeline is {type(final).__name__}; the "
                        "exercise asks for a RandomForestClassifier")
    ct = _find_column_transformer(pipeline)
    if ct is None:
        raise Incorrect("your pipeline has no ColumnTransformer before the model: numeric and "
                        "categorical columns need different preprocessing")
    try:
        check_is_fitted(pipeline)
    except Exception:  # noqa: BLE001
        raise Incorrect("your pipeline is not fitted: call `pipeline.fit(X_train, y_train)`") \
            from None
    transformers = ct.transformers_
    num_branch = cat_branch = None
    for name, trans, cols in transformers:
        cols = _as_list(cols)
        if set(cols) & set(NUMERIC_COLUMNS):
            if set(cols) != set(NUMERIC_COLUMNS):
                raise Incorrect(f"branch `{name}` handles {sorted(cols)}; the numeric branch "
                                f"should handle exactly {NUMERIC_COLUMNS}")
            num_branch = trans
        if set(cols) & set(CATEGORICAL_COLUMNS):
            if set(cols) != set(CATEGORICAL_COLUMNS):
                raise Incorrect(f"branch `{name}` handles {sorted(cols)}; the categorical "
                                f"branch should handle exactly {CATEGORICAL_COLUMNS}")
            cat_branch = trans
    if num_branch is None or isinstance(num_branch, str):
        raise Incorrect(f"no fitted transformer handles the numeric columns {NUMERIC_COLUMNS}")
    if cat_branch is None or isinstance(cat_branch, str):
        raise Incorrect(f"no fitted transformer handles the categorical columns "
                        f"{CATEGORICAL_COLUMNS}")
    num_steps = _steps_of(num_branch)
    kinds = [type(s).__name__ for s in num_steps]
    imp = [i for i, s in enumerate(num_steps) if isinstance(s, SimpleImputer)]
    sca = [i for i, s in enumerate(num_steps) if isinstance(s, StandardScaler)]
    if not imp:
        raise Incorrect(f"the numeric branch is {kinds}: it needs a SimpleImputer, or the "
                        "missing values in `income` reach the scaler")
    if not sca:
        raise Incorrect(f"the numeric branch is {kinds}: it needs a StandardScaler")
    if imp[0] > sca[0]:
        raise Incorrect(f"the numeric branch is {kinds}: impute first, then scale")
    encoders = [s for s in _steps_of(cat_branch) if isinstance(s, OneHotEncoder)]
    if not encoders:
        raise Incorrect(f"the categorical branch is {type(cat_branch).__name__}; use a "
                        "OneHotEncoder")
    if encoders[0].handle_unknown != "ignore":
        raise Incorrect(f"your OneHotEncoder has handle_unknown={encoders[0].handle_unknown!r}: "
                        "the first unseen category in production would crash serving. Use "
                        "handle_unknown='ignore'")
    return "Correct: imputer + scaler and a forgiving encoder, all inside one pipeline."


def _hidden_pipeline_generalises(pipeline):
    X, y = _fresh(600, seed=77)
    X.loc[X.index[:4], "region"] = "atlantis"  # unseen
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = float((pipeline.predict(X) == y.to_numpy()).mean())
    base = float(max(y.mean(), 1 - y.mean()))
    if acc < base - 0.03:
        raise Incorrect(f"on fresh rows your pipeline is {acc:.1%} accurate, below the "
                        f"{base:.1%} of always predicting the majority class")


q1 = Question(
    "q1",
    prompt="Build and fit `pipeline`: a ColumnTransformer with SimpleImputer + StandardScaler "
           "for the 5 numeric columns and OneHotEncoder(handle_unknown='ignore') for the 3 "
           "categorical ones, followed by a RandomForestClassifier.",
    answers=("pipeline",),
    checker=_check_pipeline,
    hint="`ColumnTransformer([('num', make_pipeline(SimpleImputer(strategy='median'), "
         "StandardScaler()), NUMERIC_COLUMNS), ('cat', OneHotEncoder(handle_unknown='ignore'), "
         "CATEGORICAL_COLUMNS)])`, then put it and the forest in a `Pipeline`.",
    solution="pipeline = Pipeline([\n"
             "    ('pre', ColumnTransformer([\n"
             "        ('num', make_pipeline(SimpleImputer(strategy='median'), StandardScaler()),\n"
             "         NUMERIC_COLUMNS),\n"
             "        ('cat', OneHotEncoder(handle_unknown='ignore'), CATEGORICAL_COLUMNS),\n"
             "    ])),\n"
             "    ('model', RandomForestClassifier(n_estimators=100, random_state=0)),\n"
             "]).fit(X_train, y_train)",
    points=3,
    hidden=(_hidden_pipeline_generalises,),
)


# ---------------------------------------------------------------------------------- q2
def _artifact_facts(artifact_dir):
    """The saved model and metadata, read where the artifact is (the learner's sandbox)."""
    from mlserving_lab.packaging import ArtifactError, load_artifact

    if not isinstance(artifact_dir, (str, Path)) or not Path(artifact_dir).is_dir():
        raise Incorrect(f"`artifact_dir` should be the folder you saved to, got {artifact_dir!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            art = load_artifact(artifact_dir)
    except ArtifactError as exc:
        raise Incorrect(f"your artifact does not load: {exc}") from None
    meta_file = Path(artifact_dir) / "metadata.json"
    meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    return art.model, meta


def _check_reload(artifact_dir, X_check, proba_fresh):
    from types import SimpleNamespace

    from mlserving_lab.course.exercises.core import on_learner_side

    model, meta = on_learner_side(_artifact_facts, artifact_dir)
    art = SimpleNamespace(model=model)
    if not getattr(art.model, "steps", None) or len(art.model.steps) < 2:
        raise Incorrect(f"the artifact holds a bare {type(art.model).__name__}: save the whole "
                        "pipeline so preprocessing is saved with the model")
    if not isinstance(X_check, pd.DataFrame) or len(X_check) < 50:
        n = len(X_check) if hasattr(X_check, "__len__") else "?"
        raise Incorrect(f"`X_check` should be a DataFrame of at least 50 raw rows (the test "
                        f"set), got {type(X_check).__name__} with {n} rows")
    if X_check.isna().sum().sum() == 0:
        raise Incorrect("`X_check` has no missing values, so it cannot show that the imputer "
                        "came along: use raw rows (e.g. X_test), not cleaned ones")
    proba_fresh = np.asarray(proba_fresh, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = art.model.predict_proba(X_check)
    if proba_fresh.shape != expected.shape:
        raise Incorrect(f"`proba_fresh` has shape {proba_fresh.shape}; the artifact's "
                        f"probabilities for `X_check` have shape {expected.shape}. Use "
                        "`predict_in_subprocess(artifact_dir, X_check)`")
    if not np.array_equal(proba_fresh, expected):
        diff = float(np.nanmax(np.abs(proba_fresh - expected)))
        raise Incorrect(f"`proba_fresh` differs from what the artifact predicts for `X_check` "
                        f"(max difference {diff:.3g}): were they computed from the same "
                        "artifact and rows?")
    if meta.get("training_data_sha256") is None:
        raise Incorrect("predictions match, but the metadata has no training-data hash: pass "
                        "X_train= and y_train= to save_artifact")
    return "Correct: bit-for-bit identical predictions from a process that shares nothing."


q2 = Question(
    "q2",
    prompt="Save `pipeline` with `save_artifact` into `artifact_dir`, then predict `X_check` "
           "(raw test rows) in a fresh Python process: `proba_fresh`.",
    answers=("artifact_dir", "X_check", "proba_fresh"),
    checker=_check_reload,
    hint="`save_artifact(pipeline, artifact_dir, X_train=X_train, y_train=y_train, "
         "metrics=...)`, then `predict_in_subprocess(artifact_dir, X_check)`.",
    solution="artifact_dir = workdir / 'skew_model'\n"
             "save_artifact(pipeline, artifact_dir, X_train=X_train, y_train=y_train,\n"
             "              metrics={'accuracy': pipeline.score(X_test, y_test)})\n"
             "X_check = X_test\n"
             "proba_fresh = predict_in_subprocess(artifact_dir, X_check)",
    points=2,
)


# ---------------------------------------------------------------------------------- q3
def _check_skew_numbers(pipeline, serve_skewed, X_eval, mismatch_rate, max_proba_diff):
    from mlserving_lab.skew import check_skew

    if not hasattr(pipeline, "predict_proba"):
        raise Incorrect(f"`pipeline` should be your fitted pipeline, got "
                        f"{type(pipeline).__name__}")
    if not isinstance(X_eval, pd.DataFrame) or len(X_eval) < 100:
        raise Incorrect("`X_eval` should be a DataFrame of at least 100 raw rows")
    for name, value in (("mismatch_rate", mismatch_rate), ("max_proba_diff", max_proba_diff)):
        if not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
            raise Incorrect(f"`{name}` should be a number, got {type(value).__name__}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = call(serve_skewed, X_eval)
        if np.shape(out) != (len(X_eval), 2):
            raise Incorrect(f"`serve_skewed` should return a ({len(X_eval)}, 2) probability "
                            f"table like predict_proba, got shape {np.shape(out)}")
        report = check_skew(pipeline, lambda Z: np.asarray(call(serve_skewed, Z), dtype=float),
                            X_eval)
    if report.max_proba_diff == 0:
        raise Incorrect("`serve_skewed` gives exactly the pipeline's probabilities: there is no "
                        "skew to measure. Preprocess differently at serving time (e.g. "
                        "`fillna(0)` instead of the median)")
    if not np.isclose(float(mismatch_rate), report.mismatch_rate, atol=1e-9):
        raise Incorrect(f"your mismatch_rate is {float(mismatch_rate):.4f}, but comparing "
                        f"`pipeline` with your `serve_skewed` on your `X_eval` gives "
                        f"{report.mismatch_rate:.4f} ({report.n_mismatched} of "
                        f"{report.n_rows} rows)")
    if not np.isclose(float(max_proba_diff), report.max_proba_diff, atol=1e-9):
        raise Incorrect(f"your max_proba_diff is {float(max_proba_diff):.4f}, but the largest "
                        "probability difference between `pipeline` and `serve_skewed` on "
                        f"`X_eval` is {report.max_proba_diff:.4f}")
    return (f"Correct: {report.mismatch_rate:.1%} of predictions flip and probabilities move "
            f"by up to {report.max_proba_diff:.2f}, with no error anywhere: that is why skew "
            "is silent.")


q3 = Question(
    "q3",
    prompt="Write `serve_skewed(X_raw)`, a hand-written serving path that preprocesses "
           "differently from training and then calls the fitted forest; measure it against "
           "`pipeline` on `X_eval` and report `mismatch_rate` and `max_proba_diff`.",
    answers=("pipeline", "serve_skewed", "X_eval", "mismatch_rate", "max_proba_diff"),
    checker=_check_skew_numbers,
    hint="Reuse the fitted pieces: `pre = pipeline.named_steps['pre']`. Fill the numeric NaN "
         "with 0 before `pre.transform`, then `pipeline.named_steps['model'].predict_proba`. "
         "`check_skew(pipeline, serve_skewed, X_eval)` gives both numbers.",
    solution="def serve_skewed(X_raw):\n"
             "    X = X_raw.fillna({c: 0.0 for c in NUMERIC_COLUMNS})\n"
             "    features = pipeline.named_steps['pre'].transform(X)\n"
             "    return pipeline.named_steps['model'].predict_proba(features)\n\n"
             "X_eval = X_test\n"
             "report = check_skew(pipeline, serve_skewed, X_eval)\n"
             "mismatch_rate = report.mismatch_rate\n"
             "max_proba_diff = report.max_proba_diff",
    points=3,
)

EXERCISE = Exercise("ex2_skew_prevention", [q1, q2, q3])
