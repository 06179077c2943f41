"""Exercise 2: training-serving skew prevention (syllabus exercise 2).

The learner builds the pipeline (q1), saves it with metadata they write themselves and loads it
in a fresh Python process they start (q2), then writes a skewed serving path and measures the
damage (q3). The checkers re-measure: the pipeline's settings and the rows it was fitted on,
the test accuracy, the model file's hash and contents, the library versions, which process
loaded a file the checker saved (and what the calling process did meanwhile), and the skew of
the learner's serving path on rows the checker chooses.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import numbers
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mlserving_lab.course.exercises.core import (
    Exercise,
    Incorrect,
    Question,
    call,
    expect_number,
    on_learner_side,
)
from mlserving_lab.course.exercises.remeasure import (
    check_accuracy,
    check_not_fitted_on,
    num,
    split_unseen,
)

__all__ = ["EXERCISE", "METADATA_KEYS", "MODEL_FILES", "load_churn_data", "q1", "q2", "q3"]

#: Rows the learner gets (train + test), rows only the checker sees, and the split.
N_ROWS, N_UNSEEN, TEST_SIZE, SEED = 2000, 500, 0.25, 0

#: The model file names q2 accepts, by format.
MODEL_FILES = {"joblib": "model.joblib", "skops": "model.skops"}

#: The keys `metadata.json` must have in q2 (more are welcome).
METADATA_KEYS = ("model_file", "model_sha256", "model_class", "feature_names",
                 "feature_dtypes", "library_versions", "test_accuracy")

#: Forest settings the prompt fixes; every other setting stays at its default, except these.
FOREST_SETTINGS = {"n_estimators": 100, "random_state": 0}
FREE_FOREST_SETTINGS = ("n_jobs", "verbose")


# ---------------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=1)
def _draw():
    """Draw the data once: the learner's train/test split and rows only the checker has."""
    from sklearn.model_selection import train_test_split

    from mlserving_lab.datasets import make_mixed_dataset

    X, y = make_mixed_dataset(N_ROWS + N_UNSEEN, random_state=SEED)
    (X_rest, y_rest), (X_new, y_new) = split_unseen(X, y, N_UNSEEN)
    X_train, X_test, y_train, y_test = train_test_split(
        X_rest, y_rest, test_size=TEST_SIZE, random_state=SEED, stratify=y_rest)
    return X_train, X_test, y_train, y_test, X_new, y_new


def load_churn_data():
    """The exercise's data: ``X_train, X_test, y_train, y_test`` (raw rows, seeded).

    1500 training and 500 test rows of :func:`mlserving_lab.datasets.make_mixed_dataset`:
    five numeric columns with missing values, then three text columns with rare categories.
    """
    return tuple(part.copy() for part in _draw()[:4])


def _unseen():
    return tuple(part.copy() for part in _draw()[4:])


def _checker_rows(start: int, n: int, *, unseen_categories: bool = False) -> pd.DataFrame:
    """Rows from the part of the draw the learner never had (with missing values)."""
    X_new = _unseen()[0]
    rows = X_new.iloc[start:start + n].copy()
    if unseen_categories:  # categories production may send that training never saw
        rows.iloc[0, rows.columns.get_loc("region")] = "atlantis"
        rows.iloc[1, rows.columns.get_loc("plan")] = "enterprise"
    return rows


def _labels(proba) -> np.ndarray:
    """argmax of each row; a tie goes to the first class, as ``predict`` does."""
    return np.argmax(np.asarray(proba, dtype=float), axis=1)


# ---------------------------------------------------------------------------------- q1
def _kind(est) -> str:
    return "passthrough" if est in (None, "passthrough") else type(est).__name__


def _steps(est) -> list:
    from sklearn.pipeline import Pipeline

    if isinstance(est, Pipeline):
        return [s for _, s in est.steps if s not in (None, "passthrough")]
    return [est]


def _same_setting(got, want) -> bool:
    if want is None or isinstance(want, bool):
        return got is want or (type(got).__name__ == "bool_" and bool(got) is want)
    if isinstance(want, numbers.Real):
        return (isinstance(got, numbers.Real) and not isinstance(got, bool)
                and float(got) == float(want))
    if isinstance(want, str):
        return isinstance(got, str) and str(got) == want
    return False


def _setting_text(value) -> str:
    return repr(str(value)) if isinstance(value, str) else (
        f"{type(value).__name__} object" if not isinstance(value, (numbers.Number, type(None)))
        else repr(value))


def _pipeline_parts(pipeline, *, name: str = "pipeline"):
    """(ColumnTransformer, forest) of a two-step Pipeline, or Incorrect saying what differs."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline):
        raise Incorrect(f"`{name}` should be a scikit-learn Pipeline, got "
                        f"{type(pipeline).__name__}: preprocessing and model must be one object")
    steps = _steps(pipeline)
    kinds = [_kind(s) for s in steps]
    if not steps or not isinstance(steps[-1], RandomForestClassifier):
        raise Incorrect(f"the last step of your pipeline is {kinds[-1] if kinds else 'missing'}; "
                        "the exercise asks for a RandomForestClassifier")
    if len(steps) != 2 or not isinstance(steps[0], ColumnTransformer):
        raise Incorrect(f"your pipeline's steps are {kinds}: the prompt asks for exactly two, a "
                        "ColumnTransformer (all the preprocessing) then the RandomForestClassifier")
    return steps[0], steps[1]


def _check_forest_settings(forest) -> None:
    from sklearn.ensemble import RandomForestClassifier

    want = RandomForestClassifier(**FOREST_SETTINGS).get_params()
    got = forest.get_params()
    wrong = [k for k in want if k not in FREE_FOREST_SETTINGS
             and not _same_setting(got.get(k), want[k])]
    if wrong:
        listed = ", ".join(f"{k}={_setting_text(got.get(k))} (asked: {want[k]!r})" for k in wrong)
        raise Incorrect(f"your forest differs from the prompt in {len(wrong)} setting"
                        f"{'s' if len(wrong) > 1 else ''}: {listed}. Use "
                        "RandomForestClassifier(n_estimators=100, random_state=0) and leave "
                        "everything else at its default (only n_jobs is yours to choose).")


def _check_fitted(pipeline, what: str) -> None:
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(pipeline)
        check_is_fitted(pipeline.steps[0][1])
    except Exception:  # noqa: BLE001 - NotFittedError, or a step that cannot tell
        raise Incorrect(f"{what} is not fitted: call `pipeline.fit(X_train, y_train)`") from None


def _column_names(spec, names: list[str]) -> list[str]:
    """The column names a ColumnTransformer column spec selects."""
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, numbers.Integral) and not isinstance(spec, bool):
        return [names[int(spec)]]
    if isinstance(spec, slice):
        start, stop = spec.start, spec.stop
        if isinstance(start, str) or isinstance(stop, str):  # label slices include the stop
            i = names.index(start) if start is not None else 0
            j = names.index(stop) + 1 if stop is not None else len(names)
            return names[i:j:spec.step]
        return names[spec]
    values = list(np.asarray(spec, dtype=object).ravel()) if not isinstance(spec, list) else spec
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return [n for n, keep in zip(names, values, strict=False) if keep]
    return [names[int(v)] if isinstance(v, numbers.Integral) else str(v) for v in values]


def _branch(name: str, trans, cols: list[str]):
    """('numeric', imputer, scaler) or ('categorical', encoder) for one ColumnTransformer
    branch, or Incorrect saying what in it differs from the prompt."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if isinstance(trans, str):
        raise Incorrect(f"branch `{name}` is {trans!r} for {cols}: the prompt asks for every "
                        "column to be imputed and scaled (numeric) or one-hot encoded (text)")
    steps = _steps(trans)
    kinds = [_kind(s) for s in steps]
    encoders = [s for s in steps if isinstance(s, OneHotEncoder)]
    if encoders:
        if len(encoders) != 1 or steps[-1] is not encoders[0]:
            raise Incorrect(f"the categorical branch `{name}` is {kinds}: end it with one "
                            "OneHotEncoder")
        handle = encoders[0].handle_unknown
        if handle != "ignore":
            raise Incorrect(f"your OneHotEncoder has handle_unknown={handle!r}: the first "
                            "unseen category in production would crash serving (or be "
                            "treated differently). Use handle_unknown='ignore'")
        return ("categorical", encoders[0])
    imp = [i for i, s in enumerate(steps) if isinstance(s, SimpleImputer)]
    sca = [i for i, s in enumerate(steps) if isinstance(s, StandardScaler)]
    if not imp and not sca:
        raise Incorrect(f"branch `{name}` is {kinds} for {cols}: the numeric columns need "
                        "SimpleImputer(strategy='median') then StandardScaler(), the text "
                        "columns OneHotEncoder(handle_unknown='ignore')")
    if not imp:
        raise Incorrect(f"the numeric branch is {kinds}: it needs a SimpleImputer, or the "
                        "missing values in `income` reach the scaler")
    if not sca:
        raise Incorrect(f"the numeric branch is {kinds}: it needs a StandardScaler")
    if imp[0] > sca[0]:
        raise Incorrect(f"the numeric branch is {kinds}: impute first, then scale")
    if len(steps) != 2:
        raise Incorrect(f"the numeric branch is {kinds}: the prompt asks for exactly "
                        "SimpleImputer(strategy='median') then StandardScaler()")
    imputer, scaler = steps
    if imputer.strategy != "median" or imputer.add_indicator:
        raise Incorrect(f"your numeric imputer is SimpleImputer(strategy={imputer.strategy!r}"
                        f"{', add_indicator=True' if imputer.add_indicator else ''}): the "
                        "prompt asks for SimpleImputer(strategy='median')")
    if not (scaler.with_mean and scaler.with_std):
        raise Incorrect("your StandardScaler turns centring or scaling off: the prompt asks "
                        "for StandardScaler() with its defaults")
    return ("numeric", imputer, scaler)


def _branches(ct) -> list[tuple]:
    """Each used branch as (name, columns, kind...) after checking it against the prompt."""
    from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

    names = [str(n) for n in getattr(ct, "feature_names_in_", [])] or (
        NUMERIC_COLUMNS + CATEGORICAL_COLUMNS)
    out, seen = [], {}
    for name, trans, spec in ct.transformers_:
        cols = _column_names(spec, names)
        if not cols or (isinstance(trans, str) and trans == "drop"):
            continue
        for c in cols:
            if c in seen:
                raise Incorrect(f"column `{c}` goes to two branches (`{seen[c]}` and `{name}`): "
                                "each column belongs to exactly one")
            seen[c] = name
        out.append((name, cols, *_branch(name, trans, cols)))
    numeric = [c for b in out if b[2] == "numeric" for c in b[1]]
    text = [c for b in out if b[2] == "categorical" for c in b[1]]
    wrong_num = [c for c in numeric if c not in NUMERIC_COLUMNS]
    wrong_cat = [c for c in text if c not in CATEGORICAL_COLUMNS]
    if wrong_num:
        raise Incorrect(f"your numeric branch also gets {wrong_num}: those are text columns; "
                        f"the numeric columns are {NUMERIC_COLUMNS}")
    if wrong_cat:
        raise Incorrect(f"your categorical branch also gets {wrong_cat}: those are numeric "
                        "columns, to be imputed and scaled")
    missing_num = [c for c in NUMERIC_COLUMNS if c not in numeric]
    missing_cat = [c for c in CATEGORICAL_COLUMNS if c not in text]
    if missing_num:
        raise Incorrect(f"no branch imputes and scales {missing_num}: the numeric branch "
                        f"should handle exactly {NUMERIC_COLUMNS}")
    if missing_cat:
        raise Incorrect(f"no branch one-hot encodes {missing_cat}: the categorical branch "
                        f"should handle exactly {CATEGORICAL_COLUMNS}")
    return out


def _fit_rows_message(n_seen: float, what: str) -> str | None:
    X_train, X_test, _, _ = load_churn_data()
    n_train, n_test = len(X_train), len(X_test)
    n_seen = float(n_seen)
    if n_seen == n_train:
        return None
    if n_seen == n_train + n_test:
        where = "X_train + X_test: the test rows leaked into training"
    elif n_seen == n_test:
        where = "X_test"
    else:
        where = "neither X_train nor X_test"
    return (f"your {what} was fitted on {n_seen:g} rows, which looks like {where}. X_train has "
            f"{n_train} rows: fit the whole pipeline on X_train only")


def _check_fit_rows(branches, forest) -> None:
    X_train, X_test, _, _ = load_churn_data()
    for _, cols, kind, *parts in branches:
        if kind != "numeric":
            continue
        imputer, scaler = parts
        msg = _fit_rows_message(np.max(np.asarray(scaler.n_samples_seen_)), "StandardScaler")
        if msg:
            raise Incorrect(msg)
        stats = np.asarray(imputer.statistics_, dtype=float)
        want = X_train[cols].median().to_numpy(dtype=float)
        if stats.shape == want.shape and not np.allclose(stats, want, rtol=1e-9, atol=1e-9):
            both = pd.concat([X_train, X_test])[cols].median().to_numpy(dtype=float)
            leaked = np.allclose(stats, both, rtol=1e-9, atol=1e-9)
            raise Incorrect(f"your imputer's medians are {[num(v) for v in stats]}, but the "
                            f"medians of X_train are {[num(v) for v in want]}"
                            f"{' (yours are those of X_train + X_test)' if leaked else ''}: "
                            "fit on X_train only")
    trees = getattr(forest, "estimators_", [])
    if trees and forest.bootstrap and forest.class_weight is None and forest.max_samples is None:
        msg = _fit_rows_message(trees[0].tree_.weighted_n_node_samples[0], "forest")
        if msg:
            raise Incorrect(msg)


def _check_pipeline(pipeline, test_accuracy):
    ct, forest = _pipeline_parts(pipeline)
    _check_forest_settings(forest)
    _check_fitted(pipeline, "your pipeline")
    branches = _branches(ct)
    _check_fit_rows(branches, forest)
    X_train, X_test, y_train, y_test = load_churn_data()
    X_new, y_new = _unseen()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_not_fitted_on(pipeline, X_test, y_test, X_new, y_new, "pipeline")
        pred_test, pred_train = pipeline.predict(X_test), pipeline.predict(X_train)
    acc = check_accuracy(test_accuracy, pred_test, y_test, "pipeline", y_train_pred=pred_train,
                         y_train=y_train, column="test_accuracy")
    return (f"Correct: imputer + scaler and a forgiving encoder, all inside one pipeline fitted "
            f"on X_train only; {num(acc)} accuracy on X_test.")


q1 = Question(
    "q1",
    prompt="Build `pipeline = Pipeline([(..., ColumnTransformer(...)), (..., "
           "RandomForestClassifier(n_estimators=100, random_state=0))])`. The ColumnTransformer "
           "sends the 5 numeric columns through SimpleImputer(strategy='median') then "
           "StandardScaler(), and the 3 text columns through "
           "OneHotEncoder(handle_unknown='ignore'); columns may be given by name or by "
           "position. Leave every other setting at its default (n_jobs is yours). Fit it on "
           "the raw `X_train, y_train` only, and report `test_accuracy`: its accuracy on "
           "`X_test`, as a fraction between 0 and 1.",
    answers=("pipeline", "test_accuracy"),
    checker=_check_pipeline,
    hint="`ColumnTransformer([('num', make_pipeline(SimpleImputer(strategy='median'), "
         "StandardScaler()), NUMERIC_COLUMNS), ('cat', OneHotEncoder(handle_unknown='ignore'), "
         "CATEGORICAL_COLUMNS)])`, then put it and the forest in a `Pipeline` and fit on the "
         "training rows. `pipeline.score(X_test, y_test)` is the accuracy.",
    points=3,
)


# ---------------------------------------------------------------------------------- q2
_LOADED: dict = {}  # (format, sha256) -> model: the public and hidden checks load once


def _load_model_bytes(data: bytes, fmt: str):
    key = (fmt, hashlib.sha256(data).hexdigest())
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = _deserialise(data, fmt)
    return _LOADED[key]


def _deserialise(data: bytes, fmt: str):
    if fmt == "joblib":
        import joblib

        return joblib.load(io.BytesIO(data))
    import skops.io as sio

    return sio.loads(data, trusted=sio.get_untrusted_types(data=data) or None)


def _artifact_facts(artifact_dir, rows):
    """What the learner's artifact folder holds, read where it is (learner side): its
    metadata, the model file's name, format and sha256, and the loaded model's class, whether
    it is fitted and its predictions on ``rows``, X_test and X_train. Returns data only."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(artifact_dir, (str, os.PathLike)):
        raise Incorrect(f"`artifact_dir` should be the folder (a Path) you saved into, got "
                        f"{type(artifact_dir).__name__}")
    folder = Path(artifact_dir)
    if not folder.is_dir():
        raise Incorrect(f"`artifact_dir` is {str(folder)!r}, which is not a folder: save the "
                        "model file and metadata.json into a folder and give its path")
    present = sorted(p.name for p in folder.iterdir())
    meta_path = folder / "metadata.json"
    if not meta_path.is_file():
        raise Incorrect(f"your artifact folder has no metadata.json (it has {present}): write "
                        "the metadata next to the model file")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Incorrect(f"metadata.json is not valid JSON ({exc}): write it with "
                        "`json.dumps(metadata)`") from None
    if not isinstance(meta, dict):
        raise Incorrect(f"metadata.json holds a JSON {type(meta).__name__}; it should be one "
                        "object (a dict) with the keys the prompt lists")
    named = meta.get("model_file")
    if isinstance(named, str) and named in MODEL_FILES.values():
        if not (folder / named).is_file():
            raise Incorrect(f"metadata.json names model_file {named!r}, but the folder has no "
                            f"such file (it has {present})")
        file = named
    else:
        found = [f for f in MODEL_FILES.values() if (folder / f).is_file()]
        if len(found) != 1:
            raise Incorrect(f"the folder should hold one model file, `model.joblib` "
                            f"(joblib.dump) or `model.skops` (skops.io.dump); it has {present}")
        file = found[0]
    fmt = next(k for k, v in MODEL_FILES.items() if v == file)
    data = (folder / file).read_bytes()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _load_model_bytes(data, fmt)
    except Exception as exc:  # noqa: BLE001 - whatever the file holds
        raise Incorrect(f"{file} does not load with {'joblib.load' if fmt == 'joblib' else 'skops.io.load'}"
                        f": {type(exc).__name__}: {str(exc)[:160]}") from None
    facts = {"meta": meta, "file": file, "format": fmt, "sha256": hashlib.sha256(data).hexdigest(),
             "class": f"{type(model).__module__}.{type(model).__qualname__}",
             "is_pipeline": isinstance(model, Pipeline), "fitted": True}
    try:
        check_is_fitted(model)
        if isinstance(model, Pipeline) and len(model.steps) > 1:
            check_is_fitted(model.steps[0][1])
    except Exception:  # noqa: BLE001 - NotFittedError or an object that is no estimator
        facts["fitted"] = False
        return facts
    X_train, X_test, _, _ = load_churn_data()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            facts["proba_rows"] = np.asarray(model.predict_proba(rows), dtype=float)
            facts["pred_test"] = np.asarray(model.predict(X_test))
            facts["pred_train"] = np.asarray(model.predict(X_train))
    except Exception as exc:  # noqa: BLE001
        facts["predict_error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
    return facts


def _installed_versions(fmt: str) -> dict[str, str]:
    import platform
    from importlib.metadata import version

    libs = ("numpy", "pandas", "scikit-learn", fmt)
    return {"python": platform.python_version(), **{lib: version(lib) for lib in libs}}


def _same_version(a, b) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(str(a)) == Version(str(b))
    except InvalidVersion:
        return str(a) == str(b)


def _short_hash(h) -> str:
    return f"{str(h)[:12]}..."


def _check_metadata(facts) -> None:
    """The learner's metadata.json against the file and the environment, re-measured."""
    X_train, _, y_train, y_test = load_churn_data()
    meta = facts["meta"]
    missing = [k for k in METADATA_KEYS if k not in meta]
    if missing:
        raise Incorrect(f"metadata.json lacks {missing} (it has {sorted(meta)}); the prompt "
                        f"asks for at least {list(METADATA_KEYS)}")
    if str(meta["model_file"]) != facts["file"]:
        raise Incorrect(f"metadata.json says model_file is {str(meta['model_file'])!r}, but the "
                        f"model file in the folder is {facts['file']!r}")
    claimed = str(meta["model_sha256"]).strip().lower()
    if claimed != facts["sha256"]:
        raise Incorrect(f"metadata.json records model_sha256 {_short_hash(claimed)}, but the "
                        f"bytes of {facts['file']} hash to {_short_hash(facts['sha256'])}: hash "
                        "the file itself, after its last write (`hashlib.sha256(path."
                        "read_bytes()).hexdigest()`); a hash taken earlier, or of something "
                        "else, is stale")
    cls = str(meta["model_class"])
    if cls not in (facts["class"], facts["class"].rsplit(".", 1)[-1]):
        raise Incorrect(f"metadata.json says model_class is {cls!r}, but the file holds a "
                        f"{facts['class']}")
    names = meta["feature_names"]
    want_names = [str(c) for c in X_train.columns]
    if not isinstance(names, list) or [str(n) for n in names] != want_names:
        raise Incorrect(f"metadata.json has feature_names {names!r:.200}; the pipeline was "
                        f"trained on the columns {want_names}, in that order")
    dtypes = meta["feature_dtypes"]
    if not isinstance(dtypes, dict) or sorted(map(str, dtypes)) != sorted(want_names):
        keys = sorted(map(str, dtypes)) if isinstance(dtypes, dict) else type(dtypes).__name__
        raise Incorrect(f"metadata.json's feature_dtypes should map each of the {len(want_names)} "
                        f"feature names to its dtype; it has {keys}")
    for col, dtype in X_train.dtypes.items():
        claimed_t = str(dtypes[col])
        if claimed_t != str(dtype) and not _dtype_named(claimed_t, dtype):
            raise Incorrect(f"metadata.json says `{col}` has dtype {claimed_t!r}, but in X_train "
                            f"it is {str(dtype)!r} (`str(X_train[{col!r}].dtype)`)")
    _check_versions(meta["library_versions"], facts["format"])
    check_accuracy(meta["test_accuracy"], facts["pred_test"], y_test, "the saved pipeline",
                   y_train_pred=facts["pred_train"], y_train=y_train,
                   column="test_accuracy in metadata.json")


def _dtype_named(name: str, dtype) -> bool:
    try:
        return pd.api.types.pandas_dtype(name) == dtype
    except (TypeError, ValueError):
        return False


def _check_versions(recorded, fmt: str) -> None:
    if not isinstance(recorded, dict):
        raise Incorrect(f"metadata.json's library_versions should be a dict of library -> "
                        f"version, got a {type(recorded).__name__}")
    recorded = {str(k).lower().replace("_", "-"): v for k, v in recorded.items()}
    if "scikit-learn" not in recorded and "sklearn" in recorded:
        recorded["scikit-learn"] = recorded["sklearn"]
    installed = _installed_versions(fmt)
    missing = [lib for lib in installed if lib not in recorded]
    if missing:
        raise Incorrect(f"library_versions lacks {missing}: record python, numpy, pandas, "
                        f"scikit-learn and {fmt} (the library that wrote the file)")
    for lib, now in installed.items():
        if not _same_version(recorded[lib], now):
            raise Incorrect(f"library_versions records {lib} {str(recorded[lib])!r}, but this "
                            f"environment has {now}: read the versions from the libraries "
                            "(`sklearn.__version__`, `platform.python_version()`), don't type "
                            "them")


# The fresh-process check: the checker saves an artifact of its own (another model) and asks
# the learner's function to predict with it. A joblib probe records, when it is unpickled, the
# pid of the process that loaded it and whether that process was forked from this one.
_PROBE_TOKEN = None


def _probe_loaded(marker: str, model):
    """Runs wherever the probe file is unpickled; notes which process that is."""
    with open(marker, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"pid": os.getpid(), "inherited": _PROBE_TOKEN is not None}) + "\n")
    return model


class _LoadMarker:
    """Pickles as a call of :func:`_probe_loaded`, so loading the file leaves a note."""

    def __init__(self, marker: str, model):
        self.marker, self.model = marker, model

    def __reduce__(self):
        return (_probe_loaded, (self.marker, self.model))


@functools.lru_cache(maxsize=1)
def _probe_model():
    """A small fitted pipeline that is not the learner's (logistic regression)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

    X_train, _, y_train, _ = load_churn_data()
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC_COLUMNS),
        ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL_COLUMNS)])
    return Pipeline([("pre", pre), ("model", LogisticRegression(C=0.3, max_iter=500))]).fit(
        X_train.iloc[:400], y_train.iloc[:400])


def _process_id() -> int:
    """The pid of the process where the checker calls the learner's functions."""
    return os.getpid()


def _make_probe(fmt: str, rows):
    """Save the checker's own artifact (learner side); return its folder, hash, predictions."""
    import tempfile

    global _PROBE_TOKEN
    model = _probe_model()
    folder = Path(tempfile.mkdtemp(prefix="mlserving-ex2-probe-"))
    file = folder / MODEL_FILES[fmt]
    if fmt == "joblib":
        import joblib

        joblib.dump(_LoadMarker(str(folder / "loaded.jsonl"), model), file)
    else:
        import skops.io as sio

        sio.dump(model, file)
    data = file.read_bytes()
    X_train = load_churn_data()[0]
    meta = {"model_file": file.name, "model_sha256": hashlib.sha256(data).hexdigest(),
            "model_class": "sklearn.pipeline.Pipeline",
            "feature_names": [str(c) for c in X_train.columns],
            "feature_dtypes": {str(c): str(t) for c, t in X_train.dtypes.items()},
            "library_versions": _installed_versions(fmt), "test_accuracy": None,
            "note": "saved by the exercise 2 checker"}
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    _PROBE_TOKEN = os.urandom(8).hex()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proba = np.asarray(model.predict_proba(rows), dtype=float)
    last = type(model.steps[-1][1])
    return {"folder": folder, "sha256": meta["model_sha256"], "proba": proba,
            "built_class": f"{last.__module__}.{last.__qualname__}"}


def _finish_probe(folder):
    """Stop the watch, read who loaded the probe, then delete it (learner side).

    Returns ``{"loads": [{"pid", "inherited"}...], "watch": what _watch_stop saw}``."""
    import shutil

    global _PROBE_TOKEN
    _PROBE_TOKEN = None
    watch = _watch_stop()
    marker = Path(folder) / "loaded.jsonl"
    loads = []
    if marker.is_file():
        for line in marker.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                loads.append({"pid": int(entry["pid"]), "inherited": bool(entry["inherited"])})
            except (ValueError, KeyError, TypeError):
                continue
    shutil.rmtree(folder, ignore_errors=True)
    return {"loads": loads, "watch": watch}


# -- the watch: what this process does while the checker's `predict_fresh` call runs ----------
# A skops probe cannot leave a note when it is loaded (skops builds only trusted types), so for
# skops the checker watches the process that calls `predict_fresh` (learner side: the notebook,
# or the grading sandbox's recorder) for the length of that one call:
#   * a Python audit hook (`sys.addaudithook`) notes the processes it starts (subprocess.Popen,
#     os.posix_spawn, os.spawn*, os.system, os.exec*), its forks (os.fork, os.forkpty) and its
#     opens of the model file;
#   * `sklearn.base.BaseEstimator.__setstate__` is wrapped to note every estimator built from a
#     file here (skops.io.load/loads, joblib, pickle: however it is called or imported, each of
#     them ends in `__setstate__`);
#   * `subprocess.Popen.__init__` and multiprocessing's `spawnv_passfds` are wrapped to note the
#     pids of the interpreters started.
# The rule for skops: a new Python interpreter must have been started, this process must not
# have forked, and the model must not have been built in this process. Opening or hashing the
# file here is fine (a learner may check the hash before starting the child); building the
# model here is not, even next to a real child: the checker cannot see into the child, so "it
# was loaded here and a child was started" cannot be told apart from "a dummy child was started
# and the model was loaded here" (joblib can: its probe notes every process that loads it, so
# there an extra load in the parent is tolerated, as before). Audit hooks cannot be removed:
# one hook is installed once per process and does nothing unless `_WATCH` is set, which it is
# only between `_watch_start` and `_watch_stop` (called in a `finally`).
_WATCH = None  # the recording state while the checker's call runs, else None
_HOOKED = False  # the audit hook is installed in this process
_PATCHES: list = []  # (owner, attribute, original or _MISSING) of the wrappers in place
_MISSING = object()
_MAX_NOTES = 24  # per kind: enough to describe any answer, bounded whatever it does
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
_WRAPPERS = frozenset({"env", "exec", "nohup", "time", "command", "nice"})
_PING = "mlserving_lab.ex2.watch"


def _audit_hook(event, args):
    watch = _WATCH
    if watch is None:  # the whole cost when not recording
        return
    try:
        _note_event(watch, event, args)
    except Exception:  # noqa: BLE001 - a hook that raises would break the learner's call
        pass


def _words(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        return [os.fsdecode(value)]
    return [os.fsdecode(v) if isinstance(v, (str, bytes, os.PathLike)) else str(v)
            for v in list(value)[:64]]


def _note_launch(watch, how: str, exe, argv) -> None:
    if len(watch["launches"]) < _MAX_NOTES:
        watch["launches"].append({"how": how, "exe": None if exe is None else os.fsdecode(exe),
                                  "argv": _words(argv)})


def _note_event(watch, event: str, args) -> None:
    if event == _PING:
        watch["hooked"] = True
        return
    if os.getpid() != watch["pid"]:  # a fork of this process: not this process's doing
        return
    if event == "open":
        path = args[0]
        if isinstance(path, int) or path is None:
            return
        path = os.fsdecode(os.fspath(path))
        if os.path.basename(path) == watch["name"] and os.path.realpath(path) == watch["model"]:
            watch["opens"] += 1
    elif event in ("os.fork", "os.forkpty"):
        if len(watch["forks"]) < _MAX_NOTES:
            watch["forks"].append(event)
    elif event in ("subprocess.Popen", "os.posix_spawn", "os.exec"):
        _note_launch(watch, event, args[0], args[1])
    elif event == "os.spawn":
        _note_launch(watch, event, args[1], args[2])
    elif event == "os.system":
        _note_launch(watch, event, None, ["/bin/sh", "-c", os.fsdecode(args[0])])


def _recording():
    watch = _WATCH
    return watch if watch is not None and os.getpid() == watch["pid"] else None


def _wrap(owner, name: str, make) -> None:
    original = owner.__dict__.get(name, _MISSING)
    current = getattr(owner, name)
    if getattr(current, "_mlserving_watch", False):  # still there from a watch never stopped
        return
    wrapper = functools.wraps(current)(make(current))
    wrapper._mlserving_watch = True
    setattr(owner, name, wrapper)
    _PATCHES.append((owner, name, original))


def _setstate_wrapper(original):
    def __setstate__(self, state):
        watch = _recording()
        if watch is not None and len(watch["built"]) < _MAX_NOTES:
            cls = type(self)
            watch["built"].add(f"{cls.__module__}.{cls.__qualname__}")
        return original(self, state)
    return __setstate__


def _popen_wrapper(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        watch = _recording()
        if watch is not None and len(watch["children"]) < _MAX_NOTES:
            try:
                shell = bool(kwargs.get("shell", False))
                watch["children"].append({"pid": int(self.pid), "shell": shell,
                                          "exe": kwargs.get("executable"),
                                          "argv": _words(self.args)})
            except Exception:  # noqa: BLE001 - never break the learner's Popen
                pass
    return __init__


def _spawnv_wrapper(original):
    def spawnv_passfds(path, args, passfds):
        pid = original(path, args, passfds)
        watch = _recording()
        argv = _words(args)
        if watch is not None and not any("resource_tracker" in a for a in argv):
            _note_launch(watch, "multiprocessing", path, argv)
        return pid
    return spawnv_passfds


def _watch_start(model_file) -> None:
    """Start recording what this process does (learner side, just before the checker's call
    of `predict_fresh`); `_watch_stop` ends it."""
    import multiprocessing.util
    import subprocess
    import sys

    from sklearn.base import BaseEstimator

    global _WATCH, _HOOKED
    _watch_stop()
    model = os.path.realpath(os.fspath(model_file))
    if not _HOOKED:
        _HOOKED = True
        try:
            sys.addaudithook(_audit_hook)
        except Exception:  # noqa: BLE001 - refused by another hook: the ping below tells
            pass
    _wrap(BaseEstimator, "__setstate__", _setstate_wrapper)
    _wrap(subprocess.Popen, "__init__", _popen_wrapper)
    _wrap(multiprocessing.util, "spawnv_passfds", _spawnv_wrapper)
    watch = {"pid": os.getpid(), "model": model, "name": os.path.basename(model),
             "hooked": False, "opens": 0, "forks": [], "launches": [], "children": [],
             "built": set()}
    _WATCH = watch
    sys.audit(_PING)  # another hook may have refused ours: then the watch cannot tell anything


def _is_python(program) -> bool:
    """A Python interpreter: named python*, or the same file as sys.executable."""
    import shutil
    import sys

    if not program:
        return False
    if os.path.basename(program).lower().startswith("python"):
        return True
    found = program if os.sep in program else shutil.which(program)
    return bool(found) and os.path.realpath(found) == os.path.realpath(sys.executable)


def _shell_runs_python(command: str) -> bool:
    """Does a shell command line run a Python interpreter (as the head of one of its commands)?"""
    import shlex

    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return False
    head = True
    for token in tokens:
        if set(token) <= set(";&|()\n"):
            head = True
        elif head and not ("=" in token or token.startswith("-")
                           or os.path.basename(token) in _WRAPPERS):
            if _is_python(token):
                return True
            head = False
    return False


def _runs_python(exe, argv: list[str]) -> tuple[bool, bool]:
    """(starts a Python interpreter, directly: the started process is that interpreter)."""
    if _is_python(exe) or (argv and _is_python(argv[0])):
        return True, True
    program = os.path.basename(exe or (argv[0] if argv else ""))
    rest = argv[1:]
    if program == "env":
        while rest and ("=" in rest[0] or rest[0].startswith("-")):
            rest = rest[1:]
        return (bool(rest) and _is_python(rest[0])), False
    if program in _SHELLS and "-c" in rest[:-1]:
        return _shell_runs_python(rest[rest.index("-c") + 1]), False
    return False, False


def _command_text(argv: list[str]) -> str:
    """A short, readable command line: `python -c ... /tmp/x`."""
    import shlex

    words = [os.path.basename(argv[0])] + argv[1:] if argv else []
    words = [w if len(w) <= 24 and "\n" not in w else
             f".../{os.path.basename(w)}" if os.sep in w and "\n" not in w else
             w.strip()[:20].split("\n")[0] + "..." for w in words]
    text = shlex.join(words) if words else "?"
    return text if len(text) <= 100 else text[:97] + "..."


def _watch_stop() -> dict:
    """End the recording (idempotent) and undo the wrappers; return what it saw, as data:
    ``available`` (the hook works here), ``pid``, ``opens`` (of the model file), ``forks``,
    ``launches`` ({how, command, python, direct}), ``python_pids`` (pids of interpreters
    started directly; None when some were started in a way that hides the pid) and
    ``built`` (estimator classes unpickled/unskopsed here)."""
    global _WATCH
    watch, _WATCH = _WATCH, None
    while _PATCHES:
        owner, name, original = _PATCHES.pop()
        try:
            if original is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        except (AttributeError, TypeError):
            pass
    if watch is None:
        return {"available": False}
    launches, direct_pids, hidden_pid, n_popen, n_spawn = [], [], False, 0, 0
    for launch in watch["launches"]:
        python, direct = _runs_python(launch["exe"], launch["argv"])
        launches.append({"how": launch["how"], "command": _command_text(launch["argv"]),
                         "python": python, "direct": direct})
        if not python or launch["how"] == "os.exec":
            continue
        if direct and launch["how"] == "subprocess.Popen":
            n_popen += 1
        elif direct and launch["how"] == "os.posix_spawn":
            n_spawn += 1  # Popen itself may use posix_spawn: one more event, same child
        else:
            hidden_pid = True  # os.system, os.spawn*, a shell or env, multiprocessing
    hidden_pid = hidden_pid or n_spawn > n_popen  # posix_spawn called directly
    for child in watch["children"]:
        python, direct = _runs_python(child["exe"], child["argv"])
        if python and direct and not child["shell"]:
            direct_pids.append(child["pid"])
    return {"available": bool(watch["hooked"]), "pid": watch["pid"], "opens": watch["opens"],
            "forks": list(watch["forks"]), "launches": launches,
            "python_pids": None if hidden_pid else direct_pids, "built": sorted(watch["built"])}


def _started(watch) -> tuple[list, list]:
    """(launches of a Python interpreter, other launches) in a watch's record."""
    launches = [x for x in watch.get("launches", []) if x["how"] != "os.exec"]
    return [x for x in launches if x["python"]], [x for x in launches if not x["python"]]


def _also_started(watch) -> str:
    """'; the interpreter `predict_fresh` started (`python -c pass`) did not load it'-style
    detail for a joblib answer that loaded the probe here (the probe proves it), or ''."""
    if not watch.get("available"):
        return ""
    pythons, others = _started(watch)
    if pythons:
        return (f"; the interpreter `predict_fresh` started (`{pythons[0]['command']}`) did "
                "not load it")
    if others:
        return (f"; the process `predict_fresh` started (`{others[0]['command']}`) is not a "
                "Python interpreter")
    return "" if watch.get("forks") else "; `predict_fresh` started no other process"


def _check_watch(watch, *, strict: bool, pid: int, here: int, model_class: str, file: str,
                 what: str = "`predict_fresh`") -> None:
    """The skops rule (``strict``; see the comment above `_WATCH`), or the lenient one where
    an extra load in this process is fine once an interpreter was started."""
    if not watch or not watch.get("available"):
        return  # no audit hook here: the pid check stands alone, as before
    pythons, others = _started(watch)
    built_here = model_class in watch.get("built", [])
    forks = watch.get("forks", [])
    start = "Start one with `subprocess.run([sys.executable, ...])`"
    if built_here and (strict or not pythons):
        if pythons:
            raise Incorrect(f"the model in {file} was loaded in this same process (pid {here}) "
                            f"while {what} ran; it also started `{pythons[0]['command']}`, "
                            "but the model was built here too. Load the file and predict only "
                            "in the child: the checker cannot look inside a child process, so "
                            "for a skops file it checks instead that the model is not loaded "
                            "in this process at all")
        how = (" (it forked this process)" if forks else
               f" (it started `{others[0]['command']}`, which is not one)" if others else "")
        raise Incorrect(f"the model in {file} was loaded in this same process (pid {here}), "
                        f"not in a fresh one: {what} started no new Python interpreter"
                        f"{how}, so the pid {pid} in "
                        f"your report belongs to no process that loaded it. {start}, load the "
                        "file there and report that child's own `os.getpid()`")
    if forks and (strict or not pythons):
        how = ("os.fork, e.g. multiprocessing's 'fork' start method" if "os.fork" in forks
               else "os.forkpty")
        extra = (f" It also started `{pythons[0]['command']}`, but the checker cannot tell "
                 "which of the two loaded the model." if pythons else "")
        raise Incorrect(f"{what} forked this process ({how}) instead of starting a fresh "
                        "interpreter: a forked child shares this notebook's memory, imports "
                        f"and objects, so it proves nothing about loading {file} from scratch."
                        f"{extra} {start}, and don't fork")
    if not pythons:
        read = (f", and this process read {file} itself" if watch.get("opens") else "")
        if others:
            raise Incorrect(f"{what} started `{others[0]['command']}`, which is not a Python "
                            f"interpreter, and no other process{read}. {start} (or "
                            "`shutil.which('python3')`) and load the model there")
        raise Incorrect(f"while {what} ran, this process started no new process at all{read}: "
                        f"the pid {pid} in your report is not a fresh interpreter's. {start}, "
                        f"load {file} there and report that child's own `os.getpid()`")
    known = watch.get("python_pids")
    if known and pid not in known:
        raise Incorrect(f"your report says pid {pid}, but the interpreter {what} started "
                        f"(`{pythons[0]['command']}`) had pid {known[0]}: report the child's own "
                        "`os.getpid()`, from inside the child")


def _report_parts(report, n_rows: int):
    """(pid, model_sha256, proba) of a `predict_fresh` report, or Incorrect."""
    keys = ("pid", "model_sha256", "proba")
    if not isinstance(report, dict):
        raise Incorrect(f"`predict_fresh` should return a dict with the keys {list(keys)}, "
                        f"got {type(report).__name__}")
    missing = [k for k in keys if k not in report]
    if missing:
        raise Incorrect(f"the dict `predict_fresh` returns lacks {missing} (it has "
                        f"{sorted(map(str, report))})")
    pid = report["pid"]
    if isinstance(pid, bool) or not isinstance(pid, numbers.Integral):
        raise Incorrect(f"`pid` in your report should be the child's `os.getpid()`, an int; "
                        f"got {type(pid).__name__} {pid!r:.40}")
    try:
        proba = np.asarray(report["proba"], dtype=float)
    except (TypeError, ValueError):
        raise Incorrect("`proba` in your report should be the child's predict_proba table "
                        "(an array or a list of rows)") from None
    if proba.shape != (n_rows, 2):
        raise Incorrect(f"`proba` in your report has shape {proba.shape} for {n_rows} rows; "
                        f"it should be ({n_rows}, 2), the child's predict_proba(X)")
    return int(pid), str(report["model_sha256"]).strip().lower(), proba


def _fresh_process_run(predict_fresh, fmt: str, rows, own_proba) -> str:
    """Give `predict_fresh` the checker's artifact; check it loaded that file, elsewhere."""
    here = on_learner_side(_process_id)
    probe = on_learner_side(_make_probe, fmt, rows)
    try:
        on_learner_side(_watch_start, Path(probe["folder"]) / MODEL_FILES[fmt])
        report = call(predict_fresh, probe["folder"], rows)
    finally:
        finished = on_learner_side(_finish_probe, probe["folder"])
    loads, watch = finished["loads"], finished["watch"]
    pid, sha, proba = _report_parts(report, len(rows))
    expected = np.asarray(probe["proba"], dtype=float)
    if not np.allclose(proba, expected, rtol=0, atol=1e-9):
        if np.allclose(proba, own_proba, rtol=0, atol=1e-9):
            raise Incorrect("given a folder that the checker saved (another model), "
                            "`predict_fresh` returned your `pipeline`'s probabilities: it does "
                            "not predict with the model file in the folder it is given. Load "
                            "`folder`'s model file in the child process")
        diff = float(np.max(np.abs(proba - expected)))
        raise Incorrect(f"given a folder that the checker saved, `predict_fresh` returned "
                        f"probabilities up to {num(diff)} away from what that folder's model "
                        "predicts for the same rows: load the model file the folder's "
                        "metadata.json names and predict the rows you are given")
    if sha != probe["sha256"]:
        raise Incorrect(f"your report gives model_sha256 {_short_hash(sha)}, but the model file "
                        f"in the folder it was given hashes to {_short_hash(probe['sha256'])}: "
                        "report the sha256 of the bytes the child loaded")
    if pid == here:
        raise Incorrect(f"your report's pid is {pid}, the pid of this very process: the model "
                        "was not loaded in a fresh one. Start a new interpreter with "
                        "`subprocess.run([sys.executable, ...])` and report its own "
                        "`os.getpid()`")
    if fmt == "joblib":  # the probe noted every process that unpickled it
        fresh = {e["pid"] for e in loads if e["pid"] != here and not e["inherited"]}
        if not fresh and any(e["pid"] == here for e in loads):
            raise Incorrect(f"the model file was loaded in this same process (pid {here}), not "
                            f"in a fresh one{_also_started(watch)}: do the loading in the "
                            "child that `subprocess.run([sys.executable, ...])` starts")
        if not fresh and any(e["inherited"] for e in loads):
            raise Incorrect("the model file was loaded in a process forked from this one (it "
                            "shares this notebook's memory, imports and objects), not in a "
                            "fresh interpreter: start one with `subprocess.run([sys.executable, "
                            "...])`")
        if not fresh:
            raise Incorrect("no process unpickled the model file in the folder `predict_fresh` "
                            "was given: load it with `joblib.load` in the child")
        if pid not in fresh:
            raise Incorrect(f"your report says pid {pid}, but the fresh process that loaded the "
                            f"model file had pid {min(fresh)}: report the child's own "
                            "`os.getpid()`")
    else:  # skops: no note from the file itself; what this process did during the call decides
        _check_watch(watch, strict=True, pid=pid, here=here, model_class=probe["built_class"],
                     file=MODEL_FILES[fmt])
    return pid


def _check_artifact(pipeline, artifact_dir, predict_fresh):
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(pipeline, Pipeline):
        raise Incorrect(f"`pipeline` should be your fitted Pipeline from q1, got "
                        f"{type(pipeline).__name__}")
    try:
        check_is_fitted(pipeline)
    except Exception:  # noqa: BLE001
        raise Incorrect("`pipeline` is not fitted: q2 saves your fitted pipeline from q1") \
            from None
    rows = _checker_rows(0, 40, unseen_categories=True)
    facts = on_learner_side(_artifact_facts, artifact_dir, rows)
    if not facts["is_pipeline"]:
        raise Incorrect(f"{facts['file']} holds a bare {facts['class'].rsplit('.', 1)[-1]}: save "
                        "the whole pipeline, so the preprocessing travels with the model")
    if not facts["fitted"]:
        raise Incorrect(f"{facts['file']} holds an unfitted Pipeline: it was saved before `fit`, "
                        "or it is a fresh copy (e.g. `clone(pipeline)`). Save the fitted "
                        "`pipeline`")
    if "predict_error" in facts:
        raise Incorrect(f"the pipeline in {facts['file']} cannot predict raw rows: "
                        f"{facts['predict_error']}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = np.asarray(pipeline.predict_proba(rows), dtype=float)
    if not np.allclose(facts["proba_rows"], own, rtol=0, atol=1e-12):
        diff = float(np.max(np.abs(facts["proba_rows"] - own)))
        raise Incorrect(f"the pipeline in {facts['file']} is not your `pipeline`: on the "
                        f"checker's rows their probabilities differ by up to {num(diff)}. Was "
                        "it saved before the last fit, or from another model?")
    _check_metadata(facts)
    pid = _fresh_process_run(predict_fresh, facts["format"], rows, own)
    return (f"Correct: {facts['file']} holds your fitted pipeline, its metadata matches the file "
            f"and this environment, and a fresh process (pid {pid}) loaded a folder it was given "
            "and predicted from it alone.")


q2 = Question(
    "q2",
    prompt="Save the fitted `pipeline` yourself into the folder `artifact_dir` (under "
           "`workdir`): the model file is `model.joblib` written with `joblib.dump`, or "
           "`model.skops` written with `skops.io.dump` (both formats are accepted), and next to "
           "it `metadata.json`, one JSON object with at least these keys: `model_file` (the "
           "file's name), `model_sha256` (sha256 hex digest of that file's bytes), "
           "`model_class` (`'sklearn.pipeline.Pipeline'`), `feature_names` (X_train's columns "
           "in order), `feature_dtypes` (column -> `str(dtype)` in X_train), "
           "`library_versions` (installed version of `python`, `numpy`, `pandas`, "
           "`scikit-learn` and `joblib` or `skops`) and `test_accuracy` (the saved pipeline's "
           "accuracy on X_test, a fraction). Extra keys are welcome. Then write "
           "`predict_fresh(folder, X)`: it starts a new Python interpreter with "
           "`subprocess.run([sys.executable, ...])`; that child reads `folder / "
           "'metadata.json'`, loads the model file it names and predicts `X`. Return the "
           "child's report as a dict: `{'pid': the child's os.getpid(), 'model_sha256': "
           "sha256 of the bytes it loaded, 'proba': its predict_proba(X), n x 2}`. The checker "
           "calls `predict_fresh` on a folder and rows of its own.",
    answers=("pipeline", "artifact_dir", "predict_fresh"),
    checker=_check_artifact,
    hint="`joblib.dump(pipeline, artifact_dir / 'model.joblib')`, then "
         "`hashlib.sha256(path.read_bytes()).hexdigest()` and `json.dumps(metadata)`. For the "
         "fresh process, write the rows to a pickle in a temporary folder, run a short script "
         "with `subprocess.run([sys.executable, '-c', SCRIPT, folder, rows_file, out_file], "
         "check=True)` and read the report it writes back.",
    points=2,
)


# ---------------------------------------------------------------------------------- q3
def _as_proba(out, n_rows: int, what: str) -> np.ndarray:
    try:
        arr = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect(f"{what} should return a ({n_rows}, 2) probability table like "
                        f"predict_proba, got {type(out).__name__}") from None
    if arr.shape != (n_rows, 2):
        raise Incorrect(f"{what} should return a ({n_rows}, 2) probability table like "
                        f"predict_proba, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise Incorrect(f"{what} returned NaN or infinite probabilities")
    return arr


def _forest_on_features(pipeline, skewed_features, rows, served) -> None:
    """`served` (serve_skewed's output on `rows`) is the fitted forest on skewed_features."""
    n = len(rows)
    forest = pipeline.steps[-1][1]
    feats = call(skewed_features, rows)
    if hasattr(feats, "toarray"):
        raise Incorrect("`skewed_features` returned a sparse matrix: return a dense array "
                        "(`.toarray()`)")
    try:
        feats = np.asarray(feats, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect(f"`skewed_features` should return the numeric features the forest "
                        f"takes, got {type(feats).__name__} that is not all numbers") from None
    width = int(forest.n_features_in_)
    if feats.shape != (n, width):
        raise Incorrect(f"`skewed_features` returned shape {feats.shape} for {n} rows; the "
                        f"fitted forest takes ({n}, {width}): one row per input row, the "
                        "columns in the order of `pipeline[:-1].transform(X_raw)`")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = forest.predict_proba(feats)
    if not np.allclose(served, expected, rtol=0, atol=1e-9):
        diff = float(np.max(np.abs(served - expected)))
        raise Incorrect(f"`serve_skewed` is not the fitted forest applied to "
                        f"`skewed_features(X_raw)`: on {n} rows they differ by up to "
                        f"{num(diff)}. The skew must come from the preprocessing alone, so call "
                        "the forest you fitted in q1 (`pipeline[-1].predict_proba`), not "
                        "another model")


def _serving_path_checks(pipeline, skewed_features, serve_skewed, rows) -> np.ndarray:
    """serve_skewed computes from its rows, and is the fitted forest on skewed_features."""
    n = len(rows)
    out = _as_proba(call(serve_skewed, rows), n, "`serve_skewed`")
    if np.ptp(out, axis=0).max() == 0:
        raise Incorrect(f"`serve_skewed` returns the same probabilities {out[0].round(4).tolist()} "
                        f"for all {n} of the checker's rows: it does not compute from its input")
    perm = np.random.default_rng(3).permutation(n)
    shuffled = _as_proba(call(serve_skewed, rows.iloc[perm]), n, "`serve_skewed`")
    if not np.allclose(shuffled, out[perm], rtol=0, atol=1e-9):
        raise Incorrect("`serve_skewed` does not follow its input rows: given the same rows in "
                        "another order, row i did not get the probabilities it got before. It "
                        "must compute each answer from `X_raw` (not return a table computed "
                        "earlier)")
    _forest_on_features(pipeline, skewed_features, rows, out)
    return out


def _check_skew_numbers(pipeline, skewed_features, serve_skewed, mismatch_rate,
                        max_proba_diff):
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline) or not hasattr(pipeline, "predict_proba"):
        raise Incorrect(f"`pipeline` should be your fitted Pipeline from q1, got "
                        f"{type(pipeline).__name__}")
    rate = expect_number(mismatch_rate, "mismatch_rate")
    diff = expect_number(max_proba_diff, "max_proba_diff")
    _, X_test, _, _ = load_churn_data()
    n = len(X_test)
    served = _as_proba(call(serve_skewed, X_test), n, "`serve_skewed`")
    _serving_path_checks(pipeline, skewed_features, serve_skewed, _checker_rows(0, 80))
    _forest_on_features(pipeline, skewed_features, X_test, served)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trained = np.asarray(pipeline.predict_proba(X_test), dtype=float)
    gaps = np.abs(trained - served)
    if gaps.max() == 0:
        raise Incorrect("`serve_skewed` gives exactly the pipeline's probabilities on X_test: "
                        "there is no skew to measure. Preprocess differently at serving time "
                        "(e.g. fill missing numbers with 0 instead of the training median)")
    flips = _labels(trained) != _labels(served)
    true_rate, true_diff = float(flips.mean()), float(gaps.max())
    if abs(rate - true_rate) > 1e-9:
        ge = ((trained[:, 1] >= 0.5) != (served[:, 1] >= 0.5)).mean()
        why = ""
        if abs(rate - flips.sum()) < 1e-9:
            why = " You gave the number of rows; the rate is that number / len(X_test)."
        elif 1 < rate <= 100 and abs(rate / 100 - true_rate) < 1e-9:
            why = " That is a percentage; give a fraction between 0 and 1."
        elif abs(rate - ge) < 1e-9:
            why = (" You broke 0.5/0.5 ties towards class 1; `predict` (argmax) gives a tie to "
                   "class 0.")
        raise Incorrect(f"your mismatch_rate is {num(rate)}, but comparing `pipeline` with your "
                        f"`serve_skewed` on X_test gives {num(true_rate)} ({int(flips.sum())} of "
                        f"{n} rows predict another label).{why}")
    if abs(diff - true_diff) > 1e-9:
        why = ""
        if abs(diff - float(gaps.mean())) < 1e-9:
            why = " That is the mean difference; the prompt asks for the largest."
        elif 1 < diff <= 100 and abs(diff / 100 - true_diff) < 1e-9:
            why = " That is a percentage; give a fraction between 0 and 1."
        raise Incorrect(f"your max_proba_diff is {num(diff)}, but the largest probability "
                        f"difference between `pipeline` and `serve_skewed` on X_test is "
                        f"{num(true_diff)}.{why}")
    return (f"Correct: {true_rate:.1%} of the test predictions flip and probabilities move by "
            f"up to {true_diff:.2f}, with no error anywhere: that is why skew is silent.")


q3 = Question(
    "q3",
    prompt="A serving engineer re-implements the preprocessing by hand. Write "
           "`skewed_features(X_raw)`: the forest's input features computed *differently* from "
           "training (your choice, e.g. missing numbers filled with 0 instead of the training "
           "median), as a dense 2-D array with the columns of `pipeline[:-1].transform(X_raw)`; "
           "and `serve_skewed(X_raw)`: the fitted forest `pipeline[-1]` (no other model) "
           "applied to `skewed_features(X_raw)`, returning its `predict_proba` (n x 2). Then "
           "measure on `X_test`: `mismatch_rate`, the fraction of rows whose predicted label "
           "differs between `pipeline.predict_proba` and `serve_skewed` (label = argmax of a "
           "row; a 0.5/0.5 tie goes to class 0, as `predict` does), and `max_proba_diff`, the "
           "largest absolute difference between the two probability tables over all rows and "
           "both columns. Both are fractions between 0 and 1.",
    answers=("pipeline", "skewed_features", "serve_skewed", "mismatch_rate", "max_proba_diff"),
    checker=_check_skew_numbers,
    hint="Reuse the fitted pieces: `pre = pipeline[:-1]`. Fill the numeric NaN with 0 before "
         "`pre.transform(...)`; `serve_skewed` is `pipeline[-1].predict_proba(skewed_features("
         "X_raw))`. Compare `np.argmax` of both tables row by row, and take `np.abs(a - b)."
         "max()`.",
    points=3,
)

EXERCISE = Exercise("ex2_skew_prevention", [q1, q2, q3])
