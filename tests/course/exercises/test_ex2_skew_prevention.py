"""Both-ways tests for exercise 2 (skew prevention): right answers, alternatives the prompts
allow, and wrong answers written the way a learner would write them."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import pickle
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import skops
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.core import Incorrect, hidden_checks
from mlserving_lab.course.exercises.ex2_skew_prevention import (
    EXERCISE,
    METADATA_KEYS,
    load_churn_data,
    q1,
    q2,
    q3,
)
from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

DATA = load_churn_data()
X_TRAIN, X_TEST, Y_TRAIN, Y_TEST = DATA


def _build(*, num=None, cat=None, model=None, num_cols=NUMERIC_COLUMNS,
           cat_cols=CATEGORICAL_COLUMNS, X=X_TRAIN, y=Y_TRAIN, fit=True):
    num = num if num is not None else make_pipeline(SimpleImputer(strategy="median"),
                                                    StandardScaler())
    cat = cat if cat is not None else OneHotEncoder(handle_unknown="ignore")
    if model is None:
        model = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
    pre = ColumnTransformer([("num", num, num_cols), ("cat", cat, cat_cols)])
    pipe = Pipeline([("pre", pre), ("model", model)])
    return pipe.fit(X, y) if fit else pipe


SMALL_X, SMALL_Y = X_TRAIN.iloc[:200], Y_TRAIN.iloc[:200]


def _small(**kw):
    """Structure tests: the structure is checked before the rows, so fit on few rows."""
    return _build(X=SMALL_X, y=SMALL_Y, **kw)


@pytest.fixture(scope="module")
def pipeline():
    return _build()


@pytest.fixture(scope="module")
def accuracy(pipeline):
    return pipeline.score(X_TEST, Y_TEST)


def test_exercise_metadata():
    assert EXERCISE.name == "ex2_skew_prevention"
    assert [q.points for q in EXERCISE] == [3, 2, 3]
    assert sum(q.points for q in EXERCISE) == 8
    assert len(X_TRAIN) == 1500 and len(X_TEST) == 500


def test_the_data_is_drawn_once_and_copies_are_handed_out():
    a, b = load_churn_data(), load_churn_data()
    a[0].loc[a[0].index[0], "age"] = -1.0
    assert b[0].iloc[0]["age"] != -1.0
    assert load_churn_data()[0].iloc[0]["age"] != -1.0


# ---------------------------------------------------------------------------------- q1
def test_q1_reference_passes(pipeline, accuracy):
    assert_check_passed(q1, pipeline, accuracy)


def test_q1_alternatives_pass(pipeline, accuracy):
    positional = _build(num_cols=list(range(5)), cat_cols=[5, 6, 7])
    assert_check_passed(q1, positional, accuracy)
    assert_check_passed(q1, pipeline, np.float64(accuracy))          # numpy scalar
    assert_check_passed(q1, pipeline, float(accuracy))
    sliced = _build(num_cols=slice(0, 5), cat_cols=slice(5, 8))
    assert_check_passed(q1, sliced, accuracy)
    dense = _build(cat=OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                   model=RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2))
    assert_check_passed(q1, dense, accuracy)


def test_q1_column_selectors_pass_in_the_notebook(accuracy):
    selected = _build(num_cols=make_column_selector(dtype_include=np.number),
                      cat_cols=make_column_selector(dtype_exclude=np.number))
    assert q1.evaluate(selected, accuracy).outcome == "correct"


def test_q1_not_attempted():
    assert_check_failed(q1, ____, 0.7, outcome="not_attempted")
    assert_check_failed(q1, ____, ____, outcome="not_attempted")


def test_q1_wrong_structure(pipeline, accuracy):
    assert_check_failed(q1, pipeline.named_steps["model"], accuracy, match="Pipeline")
    assert_check_failed(q1, _small(cat=OneHotEncoder()), accuracy, match="handle_unknown='error'")
    assert_check_failed(q1, _small(num=make_pipeline(SimpleImputer(), MinMaxScaler())), accuracy,
                        match="StandardScaler")
    assert_check_failed(q1, _small(num=make_pipeline(StandardScaler(), SimpleImputer())),
                        accuracy, match="impute first")
    assert_check_failed(q1, _small(model=GradientBoostingClassifier(n_estimators=5)), accuracy,
                        match="RandomForestClassifier")
    assert_check_failed(q1, _small(num=StandardScaler()), accuracy, match="SimpleImputer")
    assert_check_failed(q1, _small(num_cols=NUMERIC_COLUMNS[:3]), accuracy,
                        match=r"no branch imputes and scales \['days_since_login', "
                              r"'support_calls'\]")
    assert_check_failed(q1, _small(num_cols=NUMERIC_COLUMNS[:4],
                                   cat_cols=CATEGORICAL_COLUMNS + ["support_calls"]),
                        accuracy, match=r"categorical branch also gets \['support_calls'\]")
    assert_check_failed(q1, _small(num=make_pipeline(SimpleImputer(strategy="mean"),
                                                     StandardScaler())),
                        accuracy, match="strategy='mean'")
    extra = Pipeline([("pre", _small().steps[0][1]), ("select", VarianceThreshold()),
                      ("model", RandomForestClassifier(n_estimators=100, random_state=0))])
    assert_check_failed(q1, extra.fit(SMALL_X, SMALL_Y), accuracy, match="exactly two")


def test_q1_two_hyperparameters_changed_are_both_named(accuracy):
    variant = _small(model=RandomForestClassifier(n_estimators=50, max_depth=5, random_state=0))
    assert_check_failed(q1, variant, accuracy, match=r"2 settings: max_depth=5 \(asked: None\), "
                                                     r"n_estimators=50 \(asked: 100\)")
    assert_check_failed(q1, _small(model=RandomForestClassifier(n_estimators=100)), accuracy,
                        match=r"random_state=None \(asked: 0\)")


def test_q1_unfitted(accuracy):
    assert_check_failed(q1, _build(fit=False), accuracy, match="not fitted")


def test_q1_fitted_on_test_or_train_plus_test(accuracy):
    both = _build(X=pd.concat([X_TRAIN, X_TEST]), y=pd.concat([Y_TRAIN, Y_TEST]))
    acc_both = both.score(X_TEST, Y_TEST)
    assert_check_failed(q1, both, acc_both, match=r"2000 rows.*X_train \+ X_test")
    on_test = _build(X=X_TEST, y=Y_TEST)
    assert_check_failed(q1, on_test, on_test.score(X_TEST, Y_TEST), match=r"500 rows.*X_test")


def test_q1_forest_refitted_with_test_rows_is_caught_on_unseen_rows(pipeline):
    """Preprocessing fitted on X_train, but the forest refitted on 1000 training rows + the
    500 test rows (1500 rows, so the counts look right): only the unseen rows show it."""
    leaky = clone(pipeline)
    leaky.fit(X_TRAIN, Y_TRAIN)
    mixed_X = pd.concat([X_TRAIN.iloc[:1000], X_TEST])
    mixed_y = pd.concat([Y_TRAIN.iloc[:1000], Y_TEST])
    leaky.steps[-1][1].fit(leaky[:-1].transform(mixed_X), mixed_y)
    assert_check_failed(q1, leaky, leaky.score(X_TEST, Y_TEST), match="fitted on the test set")


def test_q1_wrong_accuracy(pipeline, accuracy):
    assert_check_failed(q1, pipeline, pipeline.score(X_TRAIN, Y_TRAIN), match="training")
    assert_check_failed(q1, pipeline, 100 * accuracy, match="percentage")
    assert_check_failed(q1, pipeline, 0.8, match="scores 0.71")
    assert_check_failed(q1, pipeline, "0.71", match="should be a number")


def test_q1_hidden_check_catches_a_useless_model(pipeline, accuracy):
    inverted = _build(y=1 - Y_TRAIN)  # learns the opposite of the target
    acc = inverted.score(X_TEST, Y_TEST)
    assert q1.evaluate(inverted, acc).outcome == "correct"  # the structure and rows are right
    assert_check_failed(q1, inverted, acc, match="majority class", hidden=True)  # the model not


# ---------------------------------------------------------------------------------- q2
CHILD = """
import hashlib, io, json, os, sys
from pathlib import Path
import pandas as pd
folder, rows_file, report_file = map(Path, sys.argv[1:4])
metadata = json.loads((folder / "metadata.json").read_text())
data = (folder / metadata["model_file"]).read_bytes()
if metadata["model_file"].endswith(".skops"):
    import skops.io as sio
    model = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
else:
    import joblib
    model = joblib.load(io.BytesIO(data))
proba = model.predict_proba(pd.read_pickle(rows_file))
report_file.write_text(json.dumps({"pid": os.getpid(),
                                   "model_sha256": hashlib.sha256(data).hexdigest(),
                                   "proba": proba.tolist()}))
"""


def predict_fresh(folder, X):
    with tempfile.TemporaryDirectory() as tmp:
        rows_file, report_file = Path(tmp) / "rows.pkl", Path(tmp) / "report.json"
        X.to_pickle(rows_file)
        done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(rows_file),
                               str(report_file)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(report_file.read_text())


def _load_here(folder, X):
    """The learner's mistake: load and predict in the calling process."""
    folder = Path(folder)
    meta = json.loads((folder / "metadata.json").read_text())
    data = (folder / meta["model_file"]).read_bytes()
    model = joblib.load(io.BytesIO(data))
    return {"pid": os.getpid(), "model_sha256": hashlib.sha256(data).hexdigest(),
            "proba": model.predict_proba(X)}


def _score(model):
    try:
        return float(model.score(X_TEST, Y_TEST))
    except Exception:  # noqa: BLE001 - an unfitted or bare model (the wrong answers below)
        return None


def _metadata(model, path: Path, *, fmt="joblib", **changes):
    meta = {
        "model_file": path.name,
        "model_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "feature_names": list(X_TRAIN.columns),
        "feature_dtypes": {c: str(t) for c, t in X_TRAIN.dtypes.items()},
        "library_versions": {"python": platform.python_version(), "numpy": np.__version__,
                             "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
                             fmt: (joblib.__version__ if fmt == "joblib"
                                   else skops.__version__)},
        "test_accuracy": _score(model),
    }
    for key, value in changes.items():
        if value is _DROP:
            meta.pop(key)
        else:
            meta[key] = value
    return meta


_DROP = object()


def _save(folder: Path, model, *, fmt="joblib", write_meta=True, **changes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("model.joblib" if fmt == "joblib" else "model.skops")
    if fmt == "joblib":
        joblib.dump(model, path)
    else:
        import skops.io as sio

        sio.dump(model, path)
    if write_meta:
        meta = _metadata(model, path, fmt=fmt, **changes)
        (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture(scope="module")
def artifact(tmp_path_factory, pipeline):
    return _save(tmp_path_factory.mktemp("ex2") / "model", pipeline)


def test_q2_reference_passes_with_a_real_fresh_process(pipeline, artifact):
    assert_check_passed(q2, pipeline, artifact, predict_fresh)


def test_q2_skops_artifact_extra_keys_str_path_and_numpy_report_pass(tmp_path):
    pipeline = _small()  # q2 checks that the file holds `pipeline`, whatever it is; small is fast
    folder = _save(tmp_path / "skops_model", pipeline, fmt="skops", n_training_rows=1500,
                   model_class="Pipeline", notes={"owner": "me"})
    meta = json.loads((folder / "metadata.json").read_text())
    versions = meta["library_versions"]
    versions["sklearn"] = versions.pop("scikit-learn")  # the import name is fine too
    (folder / "metadata.json").write_text(json.dumps(meta))

    def numpy_report(folder, X):
        report = predict_fresh(folder, X)
        return {"pid": np.int64(report["pid"]), "model_sha256": report["model_sha256"],
                "proba": np.array(report["proba"]), "seconds": 1.5}
    # the public check only: one fresh process (the hidden one runs in the reference test)
    result = q2.evaluate(pipeline, str(folder), numpy_report)
    assert result.outcome == "correct", result.message


def test_q2_not_attempted(pipeline, artifact):
    assert_check_failed(q2, pipeline, ____, predict_fresh, outcome="not_attempted")
    assert_check_failed(q2, pipeline, artifact, ____, outcome="not_attempted")
    assert_check_failed(q2, pipeline, artifact, lambda folder, X: ____, outcome="not_attempted")


def test_q2_wrong_folder(pipeline, artifact, tmp_path):
    assert_check_failed(q2, pipeline, tmp_path / "nope", predict_fresh, match="not a folder")
    assert_check_failed(q2, pipeline, artifact / "model.joblib", predict_fresh,
                        match="not a folder")
    no_meta = _save(tmp_path / "no_meta", pipeline, write_meta=False)
    assert_check_failed(q2, pipeline, no_meta, predict_fresh, match="no metadata.json")
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "model.pkl").write_bytes(b"not a model")
    (pickled / "metadata.json").write_text("{}")
    assert_check_failed(q2, pipeline, pickled, predict_fresh, match="model.joblib")


def test_q2_unfitted_or_bare_model_saved(pipeline, tmp_path):
    unfitted = _save(tmp_path / "unfitted", clone(pipeline))
    assert_check_failed(q2, pipeline, unfitted, predict_fresh, match="unfitted Pipeline")
    bare = _save(tmp_path / "bare", pipeline.named_steps["model"])
    assert_check_failed(q2, pipeline, bare, predict_fresh, match="bare RandomForestClassifier")


def test_q2_stale_model_file(pipeline, tmp_path):
    other = _small()
    stale = _save(tmp_path / "stale", other)
    assert_check_failed(q2, pipeline, stale, predict_fresh, match="is not your `pipeline`")


def test_q2_stale_or_typed_metadata(pipeline, accuracy, tmp_path):
    def folder(name, **changes):
        return _save(tmp_path / name, pipeline, **changes)

    # the hash of the in-memory object, not of the file
    in_memory = hashlib.sha256(pickle.dumps(pipeline)).hexdigest()
    assert_check_failed(q2, pipeline, folder("hash", model_sha256=in_memory), predict_fresh,
                        match="hash the file itself")
    # hashed, then dumped again with compression: the recorded hash is stale
    restale = folder("restale")
    joblib.dump(pipeline, restale / "model.joblib", compress=3)
    assert_check_failed(q2, pipeline, restale, predict_fresh, match="stale")
    assert_check_failed(q2, pipeline, folder("acc_typed", test_accuracy=0.8), predict_fresh,
                        match="scores 0.71")
    assert_check_failed(q2, pipeline,
                        folder("acc_train", test_accuracy=pipeline.score(X_TRAIN, Y_TRAIN)),
                        predict_fresh, match="training")
    assert_check_failed(q2, pipeline, folder("acc_pct", test_accuracy=100 * accuracy),
                        predict_fresh, match="percentage")
    assert_check_failed(q2, pipeline, folder("missing", model_sha256=_DROP, test_accuracy=_DROP),
                        predict_fresh, match=r"lacks \['model_sha256', 'test_accuracy'\]")
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "pandas": pd.__version__, "scikit-learn": "1.5.2", "joblib": joblib.__version__}
    assert_check_failed(q2, pipeline, folder("versions", library_versions=versions),
                        predict_fresh, match=r"scikit-learn '1.5.2'.*has 1\.9")
    assert_check_failed(q2, pipeline,
                        folder("few_versions", library_versions={"sklearn": sklearn.__version__}),
                        predict_fresh, match=r"lacks \['python', 'numpy', 'pandas', 'joblib'\]")
    assert_check_failed(q2, pipeline,
                        folder("names", feature_names=sorted(X_TRAIN.columns)),
                        predict_fresh, match="in that order")
    dtypes = {c: "object" if t != np.float64 else "float64" for c, t in X_TRAIN.dtypes.items()}
    assert_check_failed(q2, pipeline, folder("dtypes", feature_dtypes=dtypes), predict_fresh,
                        match=r"`region` has dtype 'object', but in X_train it is 'str'")
    assert_check_failed(q2, pipeline,
                        folder("cls", model_class="sklearn.ensemble.RandomForestClassifier"),
                        predict_fresh, match="holds a sklearn.pipeline.Pipeline")
    assert_check_failed(q2, pipeline, folder("file", model_file="model.skops"), predict_fresh,
                        match="no such file")
    assert METADATA_KEYS == ("model_file", "model_sha256", "model_class", "feature_names",
                             "feature_dtypes", "library_versions", "test_accuracy")


def test_q2_same_process_fails(pipeline, artifact):
    assert_check_failed(q2, pipeline, artifact, _load_here, match="pid of this very process")


def test_q2_a_typed_pid_does_not_hide_loading_in_this_process(pipeline, artifact):
    def typed_pid(folder, X):
        report = _load_here(folder, X)
        report["pid"] = os.getpid() + 1
        return report
    assert_check_failed(q2, pipeline, artifact, typed_pid, match="loaded in this same process")


def test_q2_the_pid_must_be_the_fresh_process_that_loaded_the_file(pipeline, artifact):
    """Loading in the parent as well is no mistake (a fresh child loaded it too), but the
    reported pid must be that child's, not a number picked from elsewhere."""
    def parent_pid_typed(folder, X):
        _load_here(folder, X)            # an extra check in the parent: allowed
        report = predict_fresh(folder, X)
        report["pid"] = report["pid"] + 1  # not the child that loaded the file
        return report
    assert_check_failed(q2, pipeline, artifact, parent_pid_typed,
                        match=r"fresh process that loaded the model file had pid")


def _fork_worker(folder, X):
    return _load_here(folder, X)


def test_q2_a_forked_child_is_not_a_fresh_process(pipeline, artifact):
    def forked(folder, X):
        with multiprocessing.get_context("fork").Pool(1) as pool:
            return pool.apply(_fork_worker, (folder, X))
    assert_check_failed(q2, pipeline, artifact, forked, match="forked from this one")


def test_q2_a_process_that_never_read_the_file_fails(pipeline, artifact):
    def never_reads(folder, X):
        child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                               capture_output=True, text=True, check=True)
        data = (Path(folder) / "model.joblib").read_bytes()
        return {"pid": int(child.stdout), "model_sha256": hashlib.sha256(data).hexdigest(),
                "proba": pipeline.predict_proba(X)}
    assert_check_failed(q2, pipeline, artifact, never_reads,
                        match="does not predict with the model file")


def test_q2_wrong_reports(pipeline, artifact):
    def wrong_hash(folder, X):
        report = _load_here(folder, X)
        report["model_sha256"] = hashlib.sha256(
            (Path(folder) / "metadata.json").read_bytes()).hexdigest()
        return report
    assert_check_failed(q2, pipeline, artifact, wrong_hash, match="sha256 of the bytes")
    assert_check_failed(q2, pipeline, artifact, lambda folder, X: _load_here(folder, X)["proba"],
                        match="should return a dict")
    assert_check_failed(q2, pipeline, artifact,
                        lambda folder, X: {"pid": 1, "proba": []}, match=r"lacks \['model_sha256'\]")
    assert_check_failed(q2, pipeline, artifact,
                        lambda folder, X: {**_load_here(folder, X), "pid": "child"},
                        match="should be the child's `os.getpid")
    assert_check_failed(q2, pipeline, artifact,
                        lambda folder, X: {**_load_here(folder, X),
                                           "proba": _load_here(folder, X)["proba"][:, 1]},
                        match=r"shape \(40,\)")


def test_q2_the_checkers_probe_is_removed(pipeline, artifact):
    before = set(Path(tempfile.gettempdir()).glob("mlserving-ex2-probe-*"))
    assert_check_failed(q2, pipeline, artifact, _load_here)
    assert set(Path(tempfile.gettempdir()).glob("mlserving-ex2-probe-*")) == before


def test_q2_hidden_check_runs_the_fresh_process_on_your_own_artifact(pipeline, artifact):
    """A function that is fresh only for folders other than the learner's: the public check
    (the checker's folder) cannot see it, the hidden one (the learner's folder) does."""
    def only_fresh_for_strangers(folder, X):
        if Path(folder) == Path(artifact):
            return _load_here(folder, X)
        return predict_fresh(folder, X)
    (hidden,) = hidden_checks("ex2_skew_prevention", "q2")
    with pytest.raises(Incorrect, match="this very process"):
        hidden(pipeline, artifact, only_fresh_for_strangers)


def test_q2_learner_code_error_is_reported(pipeline, artifact):
    def broken(folder, X):
        raise FileNotFoundError(f"{folder}/model.pkl")
    assert_check_failed(q2, pipeline, artifact, broken, outcome="error", match="FileNotFoundError")


# -- q2 with a skops file: the watch on the process that calls `predict_fresh` -------------------
# A skops probe cannot note who loads it, so the checker watches this process during the call
# (audit hook + BaseEstimator.__setstate__): a Python interpreter must be started, this process
# must not fork, and the model must not be built here.
STDIN_CHILD = """
import hashlib, json, os, pickle, sys
from pathlib import Path
import skops.io as sio
folder, X = pickle.load(sys.stdin.buffer)
meta = json.loads((Path(folder) / "metadata.json").read_text())
path = Path(folder) / meta["model_file"]
model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
print(json.dumps({"pid": os.getpid(), "model_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                  "proba": model.predict_proba(X).tolist()}))
"""

FILE_CHILD = """
import hashlib, json, os, sys
from pathlib import Path
import pandas as pd
import skops.io as sio
folder, rows, out = sys.argv[1:4]
read = {".csv": pd.read_csv, ".parquet": pd.read_parquet,
        ".json": lambda p: pd.read_json(p, orient="split")}[Path(rows).suffix]
meta = json.loads((Path(folder) / "metadata.json").read_text())
data = (Path(folder) / meta["model_file"]).read_bytes()
model = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
Path(out).write_text(json.dumps({"pid": os.getpid(),
                                 "model_sha256": hashlib.sha256(data).hexdigest(),
                                 "proba": model.predict_proba(read(rows)).tolist()}))
"""


def _stdin_check_output(folder, X):
    """`subprocess.check_output`, isolated mode, the rows pickled on stdin; the parent checks
    the file's hash before the child runs (reading the file here is fine, loading it is not)."""
    meta = json.loads((Path(folder) / "metadata.json").read_text())
    digest = hashlib.sha256((Path(folder) / meta["model_file"]).read_bytes()).hexdigest()
    out = json.loads(subprocess.check_output([sys.executable, "-I", "-c", STDIN_CHILD],
                                             input=pickle.dumps((str(folder), X))))
    assert out["model_sha256"] == digest == meta["model_sha256"]
    return out


def _popen_which_python3(folder, X):
    """`Popen(...).communicate()` with a `shutil.which('python3')`-style executable."""
    python3 = shutil.which("python3", path=str(Path(sys.executable).parent))
    child = subprocess.Popen([python3, "-c", STDIN_CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    out, _ = child.communicate(pickle.dumps((str(folder), X)))
    return json.loads(out)


def _script_file(suffix):
    """A script file; the rows as csv, parquet or json; the report written to a file."""
    def predict(folder, X):
        with tempfile.TemporaryDirectory() as tmp:
            script, rows, out = (Path(tmp) / n for n in ("child.py", f"rows{suffix}", "out.json"))
            script.write_text(FILE_CHILD)
            if suffix == ".csv":
                X.to_csv(rows, index=False)
            elif suffix == ".parquet":
                X.to_parquet(rows)
            else:
                X.to_json(rows, orient="split", index=False)
            subprocess.run([sys.executable, str(script), str(folder), str(rows), str(out)],
                           check=True)
            return json.loads(out.read_text())
    return predict


@pytest.fixture(scope="module")
def skops_artifact(tmp_path_factory):
    pipeline = _small()  # q2 checks that the file holds `pipeline`, whatever it is; small is fast
    return pipeline, _save(tmp_path_factory.mktemp("ex2") / "skops_model", pipeline, fmt="skops")


@pytest.mark.parametrize("answer", [
    _stdin_check_output, _popen_which_python3, _script_file(".parquet"), _script_file(".csv"),
    _script_file(".json"),
], ids=["check_output-stdin-I-hash-in-parent", "Popen-communicate-which", "script-parquet",
        "script-csv", "script-json"])
def test_q2_skops_ways_of_starting_the_fresh_process_pass(skops_artifact, answer):
    pipeline, folder = skops_artifact
    result = q2.evaluate(pipeline, folder, answer)  # the public check: one fresh process
    assert result.outcome == "correct", result.message


def _load_skops_here(folder, X):
    """The learner's mistake with skops: load and predict in the calling process."""
    from skops.io import get_untrusted_types, load  # imported names: the watch still sees it

    path = Path(folder) / json.loads((Path(folder) / "metadata.json").read_text())["model_file"]
    model = load(path, trusted=get_untrusted_types(file=path))
    return {"pid": os.getpid(), "model_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "proba": model.predict_proba(X)}


def test_q2_skops_loaded_here_with_a_typed_pid_fails(skops_artifact):
    pipeline, folder = skops_artifact

    def typed_pid(folder, X):
        return {**_load_skops_here(folder, X), "pid": os.getpid() + 1}
    assert_check_failed(q2, pipeline, folder, typed_pid,
                        match=r"model\.skops was loaded in this same process \(pid \d+\), not in "
                              r"a fresh one: `predict_fresh` started no new Python interpreter, "
                              r"so the pid \d+ in your report")


def test_q2_skops_no_subprocess_at_all_fails(skops_artifact):
    pipeline, folder = skops_artifact

    def parents_pid(folder, X):  # a real pid, of a process that is not fresh (the parent's)
        return {**_load_skops_here(folder, X), "pid": os.getppid()}
    assert_check_failed(q2, pipeline, folder, parents_pid,
                        match=rf"started no new Python interpreter, so the pid {os.getppid()} ")


def test_q2_skops_a_dummy_child_does_not_hide_loading_here(skops_artifact):
    pipeline, folder = skops_artifact

    def dummy_child(folder, X):
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        return {**_load_skops_here(folder, X), "pid": child.pid}
    assert_check_failed(q2, pipeline, folder, dummy_child,
                        match=r"loaded in this same process .*it also started `python -c pass`, "
                              r"but the model was built here too")

    def shell_child(folder, X):  # a real child, and not a Python interpreter
        child = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True)
        return {**_load_skops_here(folder, X), "pid": int(child.stdout)}
    assert_check_failed(q2, pipeline, folder, shell_child,
                        match=r"started no new Python interpreter \(it started `sh -c 'echo "
                              r"\$\$'`, which is not one\)")


def test_q2_skops_loading_in_the_parent_as_well_fails(skops_artifact):
    """Unlike joblib (whose probe proves the child loaded it too), a skops answer that also
    loads the model here cannot be told apart from a dummy child: it fails, saying why."""
    pipeline, folder = skops_artifact

    def parent_too(folder, X):
        _load_skops_here(folder, X)
        return predict_fresh(folder, X)
    assert_check_failed(q2, pipeline, folder, parent_too,
                        match=r"but the model was built here too\. Load the file and predict "
                              r"only in the child")


def _skops_in_fork(folder, X):
    report = _load_skops_here(folder, X)
    return {**report, "proba": report["proba"].tolist()}


def _os_fork(folder, X):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the fork: load, report, leave without running pytest's exit handlers
        os.close(read_end)
        try:
            os.write(write_end, json.dumps(_skops_in_fork(folder, X)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_q2_skops_a_forked_child_is_not_a_fresh_process(skops_artifact):
    pipeline, folder = skops_artifact
    assert_check_failed(q2, pipeline, folder, _os_fork,
                        match=r"forked this process \(os\.fork.*\) instead of starting a fresh "
                              "interpreter")

    def pool_fork(folder, X):
        with multiprocessing.get_context("fork").Pool(1) as pool:
            return pool.apply(_skops_in_fork, (folder, X))
    assert_check_failed(q2, pipeline, folder, pool_fork, match="forked this process")

    def fork_and_dummy(folder, X):  # a python child as well does not make the fork fine
        report = _os_fork(folder, X)
        child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                               capture_output=True, text=True, check=True)
        return {**report, "pid": int(child.stdout)}
    assert_check_failed(q2, pipeline, folder, fork_and_dummy,
                        match=r"forked this process .*It also started `python -c .*`, but the "
                              "checker cannot tell which of the two loaded the model")


def test_q2_skops_the_pid_must_be_the_interpreter_started(skops_artifact):
    pipeline, folder = skops_artifact

    def off_by_one(folder, X):
        report = predict_fresh(folder, X)
        return {**report, "pid": report["pid"] + 1}
    assert_check_failed(q2, pipeline, folder, off_by_one,
                        match=r"your report says pid \d+, but the interpreter `predict_fresh` "
                              r"started \(`python -c .*`\) had pid \d+")


def test_q2_joblib_dummy_child_is_named_in_the_message(pipeline, artifact):
    def dummy_child(folder, X):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        return {**_load_here(folder, X), "pid": os.getpid() + 1}
    assert_check_failed(q2, pipeline, artifact, dummy_child,
                        match=r"loaded in this same process \(pid \d+\), not in a fresh one; the "
                              r"interpreter `predict_fresh` started \(`python -c pass`\) did not "
                              "load it")


def test_q2_hidden_check_watches_the_call_on_your_own_skops_file(skops_artifact):
    """Fresh for the checker's folder (so the public check passes), a dummy child for the
    learner's own: the hidden check (the learner's folder) sees it."""
    pipeline, folder = skops_artifact

    def dummy_for_own_folder(f, X):
        if Path(f) != Path(folder):
            return predict_fresh(f, X)
        child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                               capture_output=True, text=True, check=True)
        return {**_load_skops_here(f, X), "pid": int(child.stdout)}
    (hidden,) = hidden_checks("ex2_skew_prevention", "q2")
    with pytest.raises(Incorrect, match=r"`predict_fresh\(artifact_dir, X\)` ran; it also "
                                        r"started `python -c .*`, but the model was built here"):
        hidden(pipeline, folder, dummy_for_own_folder)
    hidden(pipeline, folder, predict_fresh)  # and a real fresh process passes it


def test_q2_the_watch_is_switched_off_and_undone_after_each_call(pipeline, artifact):
    import multiprocessing.util

    from sklearn.base import BaseEstimator

    from mlserving_lab.course.exercises import ex2_skew_prevention as ex2

    def originals():
        return (BaseEstimator.__dict__["__setstate__"], subprocess.Popen.__dict__["__init__"],
                multiprocessing.util.spawnv_passfds)
    before = originals()

    def broken(folder, X):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        raise ValueError("the child failed")
    assert_check_failed(q2, pipeline, artifact, broken, outcome="error", match="ValueError")
    assert ex2._WATCH is None and ex2._PATCHES == [] and originals() == before
    assert ex2._HOOKED  # installed once, idle from now on
    ex2._audit_hook("subprocess.Popen", (None,))  # nothing recorded, nothing raised
    assert ex2._watch_stop() == {"available": False}


def test_q2_the_watch_rule_on_recorded_facts():
    """The branches that need odd answers to reach, on what a watch could have recorded."""
    from mlserving_lab.course.exercises.ex2_skew_prevention import _check_watch

    def watch(**kw):
        return {"available": True, "pid": 10, "opens": 0, "forks": [], "launches": [],
                "python_pids": [], "built": [], **kw}

    def check(w, strict=True):
        _check_watch(w, strict=strict, pid=11, here=10, model_class="m.LR", file="model.skops")
    with pytest.raises(Incorrect, match=r"started no new process at all, and this process read "
                                        r"model\.skops itself: the pid 11 in your report"):
        check(watch(opens=2))
    with pytest.raises(Incorrect, match=r"started `cat x`, which is not a Python interpreter"):
        check(watch(launches=[{"how": "subprocess.Popen", "command": "cat x", "python": False,
                               "direct": True}]))
    python = {"how": "subprocess.Popen", "command": "python -c pass", "python": True,
              "direct": True}
    check(watch(launches=[python], python_pids=[11]))
    check(watch(launches=[python], python_pids=None))  # pid hidden (a shell): not checked
    check({"available": False})  # no hook in this process: the pid check alone, as before
    # the lenient rule (joblib in the hidden check): an extra load here next to a child is fine
    check(watch(launches=[python], python_pids=[11], built=["m.LR"]), strict=False)
    with pytest.raises(Incorrect, match="loaded in this same process"):
        check(watch(built=["m.LR"]), strict=False)


def test_q2_which_launches_start_python():
    from mlserving_lab.course.exercises.ex2_skew_prevention import _runs_python

    py = sys.executable
    assert _runs_python(py, [py, "-c", "pass"]) == (True, True)
    assert _runs_python(None, ["python3", "x.py"]) == (True, True)
    assert _runs_python("/bin/sh", ["/bin/sh", "-c", f"cd /tmp && {py} -I x.py"]) == (True, False)
    assert _runs_python("/usr/bin/env", ["/usr/bin/env", "A=1", "python3", "x.py"]) == (True, False)
    assert _runs_python("/bin/sh", ["/bin/sh", "-c", "echo python"]) == (False, False)
    assert _runs_python("/bin/cat", ["cat", "python.txt"]) == (False, False)


# ---------------------------------------------------------------------------------- q3
def _zero_fill(pipeline):
    def skewed_features(X_raw):
        return pipeline[:-1].transform(X_raw.fillna({c: 0.0 for c in NUMERIC_COLUMNS}))

    def serve_skewed(X_raw):
        return pipeline[-1].predict_proba(skewed_features(X_raw))
    return skewed_features, serve_skewed


def _numbers(pipeline, serve, X=X_TEST):
    a, b = pipeline.predict_proba(X), np.asarray(serve(X))
    return np.mean(a.argmax(1) != b.argmax(1)), np.abs(a - b).max()


def test_q3_reference_passes(pipeline):
    features, serve = _zero_fill(pipeline)
    rate, diff = _numbers(pipeline, serve)
    assert rate > 0 and diff > 0
    assert_check_passed(q3, pipeline, features, serve, rate, diff)       # numpy scalars
    assert_check_passed(q3, pipeline, features, serve, float(rate), float(diff))


def test_q3_batch_statistics_skew_passes(pipeline):
    encoder = pipeline[0].named_transformers_["cat"]
    medians = pipeline[0].named_transformers_["num"][0].statistics_

    def skewed_features(X_raw):
        numeric = X_raw[NUMERIC_COLUMNS].fillna(dict(zip(NUMERIC_COLUMNS, medians, strict=True)))
        scaled = (numeric - numeric.mean()) / numeric.std(ddof=0)  # the batch's own statistics
        return np.hstack([scaled.to_numpy(), encoder.transform(X_raw[CATEGORICAL_COLUMNS])
                          .toarray()])

    def serve_skewed(X_raw):
        return pipeline[-1].predict_proba(pd.DataFrame(skewed_features(X_raw)).to_numpy())
    rate, diff = _numbers(pipeline, serve_skewed)
    assert_check_passed(q3, pipeline, skewed_features, serve_skewed, rate, diff)


def test_q3_typed_or_miscomputed_numbers(pipeline):
    features, serve = _zero_fill(pipeline)
    rate, diff = _numbers(pipeline, serve)
    a, b = pipeline.predict_proba(X_TEST), serve(X_TEST)
    assert_check_failed(q3, pipeline, features, serve, rate + 0.05, diff,
                        match=r"your mismatch_rate is 0\.07, but .* gives 0\.02")
    assert_check_failed(q3, pipeline, features, serve, rate * 100, diff, match="percentage")
    assert_check_failed(q3, pipeline, features, serve, (a.argmax(1) != b.argmax(1)).sum(), diff,
                        match="number of rows")
    ties_up = ((a[:, 1] >= 0.5) != (b[:, 1] >= 0.5)).mean()
    assert ties_up != rate  # the data has 0.5/0.5 ties where the rule matters
    assert_check_failed(q3, pipeline, features, serve, ties_up, diff, match="ties towards class 1")
    assert_check_failed(q3, pipeline, features, serve, rate, 0.0, match="your max_proba_diff")
    assert_check_failed(q3, pipeline, features, serve, rate, np.abs(a - b).mean(),
                        match="mean difference")


def test_q3_serving_path_that_ignores_its_input(pipeline):
    features, serve = _zero_fill(pipeline)
    rate, diff = _numbers(pipeline, serve)
    table = serve(X_TEST)
    assert_check_failed(q3, pipeline, features, lambda X: table[:len(X)], rate, diff,
                        match="does not follow its input rows")
    assert_check_failed(q3, pipeline, features, lambda X: np.tile([0.6, 0.4], (len(X), 1)),
                        rate, diff, match="same probabilities")
    assert_check_failed(q3, pipeline, features, lambda X: serve(X)[:10], rate, diff,
                        match=r"shape \(10, 2\)")
    assert_check_failed(q3, pipeline, features, lambda X: pipeline.predict(X), 0.0, 0.0,
                        match="probability table")


def test_q3_serving_path_with_a_different_model(pipeline):
    features, _ = _zero_fill(pipeline)
    other = RandomForestClassifier(n_estimators=30, random_state=1, n_jobs=1).fit(
        features(X_TRAIN), Y_TRAIN)

    def serve_other(X_raw):
        return other.predict_proba(features(X_raw))
    rate, diff = _numbers(pipeline, serve_other)
    assert_check_failed(q3, pipeline, features, serve_other, rate, diff,
                        match="not the fitted forest")
    linear = LogisticRegression(max_iter=500).fit(pipeline[:-1].transform(X_TRAIN), Y_TRAIN)

    def serve_linear(X_raw):  # the training preprocessing, another model
        return linear.predict_proba(pipeline[:-1].transform(X_raw))
    rate, diff = _numbers(pipeline, serve_linear)
    assert_check_failed(q3, pipeline, lambda X: pipeline[:-1].transform(X), serve_linear, rate,
                        diff, match="not the fitted forest")

    def big_batches_elsewhere(X_raw):  # another model only for big batches (like X_test)
        if len(X_raw) > 100:
            return serve_other(X_raw)
        return pipeline[-1].predict_proba(features(X_raw))
    rate, diff = _numbers(pipeline, big_batches_elsewhere)
    assert_check_failed(q3, pipeline, features, big_batches_elsewhere, rate, diff,
                        match=r"on 500 rows they differ")


def test_q3_no_skew_and_bad_features(pipeline):
    assert_check_failed(q3, pipeline, lambda X: pipeline[:-1].transform(X),
                        pipeline.predict_proba, 0.0, 0.0, match="no skew")
    features, serve = _zero_fill(pipeline)
    rate, diff = _numbers(pipeline, serve)
    assert_check_failed(q3, pipeline, lambda X: features(X)[:, :5], serve, rate, diff,
                        match=r"shape \(80, 5\)")
    assert_check_failed(q3, pipeline, lambda X: sparse.csr_matrix(features(X)), serve, rate,
                        diff, match="sparse")


def test_q3_learner_code_error_is_reported(pipeline):
    def broken(X_raw):
        return X_raw["no_such_column"]
    assert_check_failed(q3, pipeline, broken, broken, 0.1, 0.1, outcome="error",
                        match="KeyError")


def test_q3_placeholder_return_is_not_attempted(pipeline):
    features, serve = _zero_fill(pipeline)
    assert_check_failed(q3, pipeline, features, lambda X: ____, 0.1, 0.1,
                        outcome="not_attempted")
    assert_check_failed(q3, pipeline, ____, ____, ____, ____, outcome="not_attempted")
