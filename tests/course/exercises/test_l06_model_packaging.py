"""Both-ways tests for the lesson 06 check-yourself questions.

Right answers are written the way the solution notebook writes them (and in the other ways
the prompts allow); wrong answers the way a learner would get them wrong.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import time
import warnings
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from packaging.version import Version
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.l06_model_packaging import (
    EXERCISE,
    load_churn_data,
    q1,
    q2,
    q3,
    q4,
)
from mlserving_lab.datasets import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS
from mlserving_lab.packaging import (
    ArtifactIntegrityError,
    load_artifact,
    save_artifact,
    training_data_sha256,
)


def make_pipeline_unfitted():
    return Pipeline([
        ("pre", ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             NUMERIC_COLUMNS),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL_COLUMNS)])),
        ("model", RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0,
                                         n_jobs=1)),
    ])


@pytest.fixture(scope="module")
def data():
    return load_churn_data()


@pytest.fixture(scope="module")
def pipeline(data):
    X_train, _, y_train, _ = data
    return make_pipeline_unfitted().fit(X_train, y_train)


def _accuracy(model, X, y):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(np.mean(model.predict(X) == y))
    except Exception:   # an unfitted or bare model: the learner typed a number
        return 0.7


def write_artifact(folder: Path, model, data, serializer="joblib", **overrides) -> Path:
    """A learner's q1 answer: the model file, then metadata.json describing it."""
    X_train, X_test, _, y_test = data
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"model.{serializer}"
    (sio.dump if serializer == "skops" else joblib.dump)(model, path)
    meta = {
        "model_file": path.name,
        "model_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "library_versions": {"python": platform.python_version(),
                             **{lib: metadata.version(lib)
                                for lib in ("numpy", "pandas", "scikit-learn", serializer)}},
        "feature_names": list(X_train.columns),
        "test_accuracy": _accuracy(model, X_test, y_test),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    for key, value in overrides.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2))
    return folder


@pytest.fixture(scope="module")
def good_dir(tmp_path_factory, pipeline, data):
    return write_artifact(tmp_path_factory.mktemp("q1") / "churn_model", pipeline, data)


def _meta(folder):
    return json.loads((Path(folder) / "metadata.json").read_text())


def _rewrite(src, dst, **changes):
    shutil.copytree(src, dst)
    meta = _meta(dst)
    meta.update(changes)
    (dst / "metadata.json").write_text(json.dumps(meta))
    return dst


def test_exercise_shape():
    assert EXERCISE.name == "l06_model_packaging"
    assert [q.points for q in EXERCISE] == [1, 1, 1, 1]


# ------------------------------------------------------------------------------------- q1
def passes_publicly(q, *answers):
    result = q.evaluate(*answers)
    assert result.correct, result.message


def test_q1_right_answers(good_dir, tmp_path, pipeline, data):
    passes_publicly(q1, good_dir)
    passes_publicly(q1, str(good_dir))
    skops_dir = write_artifact(tmp_path / "skops", pipeline, data, serializer="skops")
    passes_publicly(q1, skops_dir)
    extra = _rewrite(good_dir, tmp_path / "extra", n_training_rows=1500, owner="me",
                     created_at=datetime.now(UTC).isoformat())       # "+00:00", microseconds
    passes_publicly(q1, extra)
    rounded = _rewrite(good_dir, tmp_path / "rounded",
                       test_accuracy=round(_meta(good_dir)["test_accuracy"], 3))
    passes_publicly(q1, rounded)
    short = dict(_meta(good_dir)["library_versions"])
    short["numpy"] = str(Version(short["numpy"])) + ".0"     # the same PEP 440 version
    passes_publicly(q1, _rewrite(good_dir, tmp_path / "pep440", library_versions=short))


def test_q1_unfitted_and_bare_models(tmp_path, pipeline, data):
    unfitted = write_artifact(tmp_path / "unfitted", make_pipeline_unfitted(), data)
    assert_check_failed(q1, unfitted, match="UNFITTED Pipeline.*before `.fit")
    bare = write_artifact(tmp_path / "bare", pipeline.named_steps["model"], data,
                          test_accuracy=0.7)
    assert_check_failed(q1, bare, match="bare RandomForestClassifier")
    broken = write_artifact(tmp_path / "broken", pipeline, data)
    (broken / "model.joblib").write_bytes(b"junk")
    meta = _meta(broken)
    meta["model_sha256"] = hashlib.sha256(b"junk").hexdigest()
    (broken / "metadata.json").write_text(json.dumps(meta))
    assert_check_failed(q1, broken, match="does not load")


def test_q1_wrong_hashes(good_dir, tmp_path, data):
    typed = _rewrite(good_dir, tmp_path / "typed", model_sha256="ab" * 32)
    assert_check_failed(q1, typed, match="SHA-256 of the bytes of 'model.joblib'")
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "short", model_sha256="abc123"),
                        match="64 hex digits")
    other = tmp_path / "other"
    shutil.copytree(good_dir, other)
    (other / "notes.txt").write_text("trained on Tuesday")
    meta = _meta(other)
    meta["model_sha256"] = hashlib.sha256(b"trained on Tuesday").hexdigest()
    (other / "metadata.json").write_text(json.dumps(meta))
    assert_check_failed(q1, other, match="SHA-256 of 'notes.txt'")
    X_train, _, y_train, _ = data
    fingerprint = _rewrite(good_dir, tmp_path / "data_hash",
                           model_sha256=training_data_sha256(X_train, y_train))
    assert_check_failed(q1, fingerprint, match="fingerprint of the training data")


def test_q1_wrong_accuracy(good_dir, tmp_path, pipeline, data):
    X_train, _, y_train, _ = data
    train_acc = float(np.mean(pipeline.predict(X_train) == y_train))
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "train", test_accuracy=train_acc),
                        match=r"\*training\* rows")
    pct = _meta(good_dir)["test_accuracy"] * 100
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "pct", test_accuracy=pct),
                        match="not a percentage")
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "text", test_accuracy="0.69"),
                        match="should be a number")


def test_q1_typed_versions(good_dir, tmp_path):
    versions = _meta(good_dir)["library_versions"]
    old_python = _rewrite(good_dir, tmp_path / "py", library_versions=dict(versions,
                                                                        python="3.10"))
    assert_check_failed(q1, old_python, match=r"\['python'\]` is '3.10'.*platform")
    sk = Version(metadata.version("scikit-learn"))
    typed = dict(versions, **{"scikit-learn": f"{sk.major}.{sk.minor - 1}"})
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "sk", library_versions=typed),
                        match=r"\['scikit-learn'\].*importlib.metadata.version")
    no_joblib = {k: v for k, v in versions.items() if k != "joblib"}
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "nojl", library_versions=no_joblib),
                        match="no 'joblib'")


def test_q1_other_metadata_mistakes(good_dir, tmp_path, pipeline, data):
    naive = _rewrite(good_dir, tmp_path / "naive",
                     created_at=datetime.now(UTC).replace(tzinfo=None).isoformat())
    assert_check_failed(q1, naive, match="UTC with the zone")
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "when", created_at="yesterday"),
                        match="ISO 8601")
    names = sorted(_meta(good_dir)["feature_names"])
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "names", feature_names=names),
                        match="columns of X_train, in order")
    missing = write_artifact(tmp_path / "missing", pipeline, data, created_at=None,
                             test_accuracy=None)
    assert_check_failed(q1, missing, match=r"no \['test_accuracy', 'created_at'\]")
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "mf", model_file="model.pkl"),
                        match="joblib.*skops")
    assert_check_failed(q1, _rewrite(good_dir, tmp_path / "gone", model_file="model.skops"),
                        match="the folder holds")
    lib = save_artifact(pipeline, tmp_path / "lib", X_train=data[0], y_train=data[2])
    assert_check_failed(q1, lib, match=r"no \['library_versions'")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_check_failed(q1, empty, match="no metadata.json")
    assert_check_failed(q1, tmp_path / "nowhere", match="not an existing folder")
    assert_check_failed(q1, 42, match="folder path")
    assert_check_failed(q1, ____, outcome="not_attempted")


def test_q1_hidden_fresh_process(good_dir, tmp_path, data):
    assert_check_passed(q1, good_dir)    # hidden checks included: loads in a new process
    # a pipeline using a function defined here (not importable in a new process)
    from sklearn.preprocessing import FunctionTransformer

    X_train, _, y_train, _ = data
    local = Pipeline([("log", FunctionTransformer(_notebook_function())),
                      ("rest", make_pipeline_unfitted())]).fit(X_train, y_train)
    folder = write_artifact(tmp_path / "local", local, data)
    passes_publicly(q1, folder)
    assert_check_failed(q1, folder, match="fresh Python process", hidden=True)


def _notebook_function():
    """A function that lives only in this process, like one defined in a notebook cell."""
    import sys
    import types

    module = types.ModuleType("learner_notebook_cells")

    def identity(X):
        return X

    identity.__module__ = module.__name__
    identity.__qualname__ = "identity"
    module.identity = identity
    sys.modules[module.__name__] = module
    return identity


# ------------------------------------------------------------------------------------- q2
def verify_artifact(folder):
    folder = Path(folder)
    meta = json.loads((folder / "metadata.json").read_text())
    actual = hashlib.sha256((folder / meta["model_file"]).read_bytes()).hexdigest()
    if actual != meta["model_sha256"]:
        raise ArtifactIntegrityError(f"{actual} != {meta['model_sha256']}")


def test_q2_right_answers():
    assert_check_passed(q2, verify_artifact)

    def chunked(folder):          # hashing in blocks, returning True when fine
        meta = json.loads((Path(folder) / "metadata.json").read_text())
        h = hashlib.sha256()
        with open(Path(folder) / meta["model_file"], "rb") as fh:
            for block in iter(lambda: fh.read(4096), b""):
                h.update(block)
        if h.hexdigest() != meta["model_sha256"].lower():
            raise ArtifactIntegrityError("hash mismatch")
        return True

    assert_check_passed(q2, chunked)


def test_q2_wrong_checks():
    assert_check_failed(q2, lambda folder: None, match="did not raise on a copy whose model "
                                                       "file has one byte changed")

    def always(folder):
        raise ArtifactIntegrityError("refused")

    assert_check_failed(q2, always, match="raised ArtifactIntegrityError .* on an intact")

    def loads_it(folder):         # "it loads, so it is fine"
        meta = json.loads((Path(folder) / "metadata.json").read_text())
        try:
            joblib.load(Path(folder) / meta["model_file"])
        except Exception as exc:
            raise ArtifactIntegrityError(str(exc)) from exc

    assert_check_failed(q2, loads_it, match="replaced by another valid model")

    def by_size(folder):
        meta = json.loads((Path(folder) / "metadata.json").read_text())
        if (Path(folder) / meta["model_file"]).stat().st_size == 0:
            raise ArtifactIntegrityError("empty")

    assert_check_failed(q2, by_size, match="one byte changed")

    def value_error(folder):
        try:
            verify_artifact(folder)
        except ArtifactIntegrityError as exc:
            raise RuntimeError(str(exc)) from None

    assert_check_failed(q2, value_error, match="raised RuntimeError.*raise "
                                               "ArtifactIntegrityError")
    assert_check_failed(q2, lambda folder: load_artifact(folder), match="raised ArtifactError")
    assert_check_failed(q2, "verify_artifact", match="should be your function")
    assert_check_failed(q2, ____, outcome="not_attempted")


def test_q2_hidden_cases():
    def hard_coded_name(folder):
        meta = json.loads((Path(folder) / "metadata.json").read_text())
        actual = hashlib.sha256((Path(folder) / "model.joblib").read_bytes()).hexdigest()
        if actual != meta["model_sha256"]:
            raise ArtifactIntegrityError("changed")

    assert q2.evaluate(hard_coded_name).correct
    assert_check_failed(q2, hard_coded_name, match="intact skops artifact", hidden=True)

    remembered = {}

    def trusts_first_hash(folder):   # compares with the first hash it ever saw
        meta = json.loads((Path(folder) / "metadata.json").read_text())
        actual = hashlib.sha256((Path(folder) / meta["model_file"]).read_bytes()).hexdigest()
        expected = remembered.setdefault("joblib" if meta["model_file"].endswith("lib")
                                         else "skops", actual)
        if actual != expected:
            raise ArtifactIntegrityError("changed")

    assert_check_failed(q2, trusts_first_hash, match="records a different model_sha256",
                        hidden=True)


# ------------------------------------------------------------------------------------- q3
def mismatched_libraries(saved_versions):
    differ = []
    for name, saved in saved_versions.items():
        if name == "python":
            now = platform.python_version()
        else:
            try:
                now = metadata.version(name)
            except metadata.PackageNotFoundError:
                now = None
        if now is None or Version(str(now)) != Version(str(saved)):
            differ.append(name)
    return differ


def test_q3_right_answers():
    assert_check_passed(q3, mismatched_libraries)
    assert_check_passed(q3, lambda saved: tuple(reversed(mismatched_libraries(saved))))
    assert_check_passed(q3, lambda saved: set(mismatched_libraries(saved)))
    assert_check_passed(q3, lambda saved: np.array(mismatched_libraries(saved), dtype=str))


def test_q3_wrong_answers():
    def as_strings(saved):
        out = []
        for name, ver in saved.items():
            try:
                now = (platform.python_version() if name == "python"
                       else metadata.version(name))
            except metadata.PackageNotFoundError:
                now = None
            if now != ver:
                out.append(name)
        return out

    assert_check_failed(q3, as_strings, match="PEP 440")

    def skips_missing(saved):
        out = []
        for name in mismatched_libraries(saved):
            try:
                if name != "python":
                    metadata.version(name)
                out.append(name)
            except metadata.PackageNotFoundError:
                pass
        return out

    assert_check_failed(q3, skips_missing, match="not installed here")
    assert_check_failed(q3, lambda saved: [n for n in mismatched_libraries(saved)
                                           if n != "python"], match=r"misses \['python'\]")
    assert_check_failed(q3, lambda saved: list(saved), match="lists")
    assert_check_failed(q3, lambda saved: ", ".join(mismatched_libraries(saved)),
                        match="list of library names")
    assert_check_failed(q3, ____, outcome="not_attempted")


def test_q3_none_and_empty_records():
    assert_check_failed(q3, lambda saved: mismatched_libraries(saved) or None,
                        match="returned None")

    def unzips(saved):            # breaks on an empty record
        names, versions = zip(*saved.items(), strict=True)
        return mismatched_libraries(dict(zip(names, versions, strict=True)))

    assert q3.evaluate(unzips).correct
    assert_check_failed(q3, unzips, outcome="error", match="ValueError", hidden=True)


# ------------------------------------------------------------------------------------- q4
@pytest.fixture(scope="module")
def format_answer(tmp_path_factory, pipeline):
    folder = tmp_path_factory.mktemp("q4")
    files = {"joblib": folder / "model.joblib", "skops": folder / "model.skops"}
    joblib.dump(pipeline, files["joblib"], compress=3)
    sio.dump(pipeline, files["skops"])
    untrusted = sio.get_untrusted_types(file=files["skops"])
    loaders = {"joblib": joblib.load, "skops": lambda p: sio.load(p, trusted=untrusted)}
    load_ms = {}
    for fmt, path in files.items():
        loaders[fmt](path)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            loaders[fmt](path)
            times.append((time.perf_counter() - start) * 1e3)
        load_ms[fmt] = float(np.median(times))
    table = pd.DataFrame({"size_bytes": {f: p.stat().st_size for f, p in files.items()},
                          "load_ms": load_ms,
                          "safe_for_untrusted_files": {"joblib": False, "skops": True}})
    return table, files


def test_q4_right_answers(format_answer):
    table, files = format_answer
    assert_check_passed(q4, table, files)
    assert_check_passed(q4, table.iloc[::-1], {k: str(v) for k, v in files.items()})
    numpy_table = table.astype({"size_bytes": np.int64, "load_ms": np.float32,
                                "safe_for_untrusted_files": np.bool_})
    assert_check_passed(q4, numpy_table.assign(size_kb=table.size_bytes / 1024), files)
    assert_check_passed(q4, table.rename(index=str.upper), files)
    onnx = pd.concat([table, pd.DataFrame({"size_bytes": [1000], "load_ms": [5.0],
                                           "safe_for_untrusted_files": [True]},
                                          index=["onnx"])])
    assert_check_passed(q4, onnx, files)


def test_q4_wrong_numbers(format_answer):
    table, files = format_answer
    assert_check_failed(q4, table.assign(size_bytes=table.size_bytes / 1024), files,
                        match="size in KB")
    assert_check_failed(q4, table.assign(size_bytes=table.size_bytes / 1024 ** 2), files,
                        match="size in MB")
    assert_check_failed(q4, table.assign(size_bytes=table.size_bytes + 5000), files,
                        match="the file measures")
    assert_check_failed(q4, table.assign(load_ms=table.load_ms / 1000), files,
                        match="seconds rather than milliseconds")
    assert_check_failed(q4, table.assign(load_ms=[20.0, 20.0]), files, match="typed in")
    assert_check_failed(q4, table.assign(load_ms=table.load_ms * 1000), files,
                        match="load_ms")
    swapped = {"joblib": files["skops"], "skops": files["joblib"]}
    assert_check_failed(q4, table, swapped, match="the .joblib model file")
    assert_check_failed(q4, table, {"joblib": files["joblib"], "skops": "nowhere.skops"},
                        match="not an existing file")


def test_q4_wrong_table(format_answer):
    table, files = format_answer
    assert_check_failed(q4, table.assign(safe_for_untrusted_files=True), files, match="pickle")
    assert_check_failed(q4, table.assign(safe_for_untrusted_files=False), files,
                        match="mark it True")
    assert_check_failed(q4, table.assign(safe_for_untrusted_files=["False", "True"]), files,
                        match="True or False")
    assert_check_failed(q4, table.to_dict(), files, match="DataFrame")
    assert_check_failed(q4, table.drop(index="joblib"), files, match="no `joblib` row")
    assert_check_failed(q4, table.rename(columns={"load_ms": "load"}), files, match="load_ms")
    assert_check_failed(q4, table, [files["joblib"]], match="format_files")
    assert_check_failed(q4, ____, files, outcome="not_attempted")
