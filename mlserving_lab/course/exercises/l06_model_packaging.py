"""Check-yourself questions for notebook 06_model_packaging.

The learner writes the artifact (model file + ``metadata.json``), the integrity check, the
version comparison and the format measurements; the checkers re-measure from the files
(hash, size, load time), load the saved model and score it on the test rows, and call the
learner's functions on artifacts and version records of their own. Reading the learner's
files happens through :func:`~mlserving_lab.course.exercises.core.on_learner_side` with the
module-level helpers below, which return plain data.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import re
from datetime import UTC, datetime, timedelta
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
from mlserving_lab.course.exercises.remeasure import check_accuracy, check_latency_claims, num

__all__ = ["EXERCISE", "INTEGRITY_CASES", "REQUIRED_LIBRARIES", "REQUIRED_METADATA",
           "SAFE_BY_FORMAT", "artifact_facts", "discard_folder", "format_facts",
           "installed_version", "integrity_trial", "judge_integrity", "make_integrity_case", "load_churn_data", "q1", "q2", "q3", "q4",
           "true_mismatches"]

#: Keys ``metadata.json`` must have (extra keys are fine).
REQUIRED_METADATA = ("model_file", "model_sha256", "library_versions", "feature_names",
                     "test_accuracy", "created_at")
#: Libraries ``library_versions`` must record, plus the one that wrote the model file.
REQUIRED_LIBRARIES = ("python", "numpy", "pandas", "scikit-learn")
_SERIALIZERS = {".joblib": "joblib", ".skops": "skops"}
_HEX64 = re.compile(r"[0-9a-f]{64}")


@functools.lru_cache(maxsize=1)
def load_churn_data():
    """The lesson's churn data: ``X_train, X_test, y_train, y_test`` (seeded, 1500 + 500 rows)."""
    from mlserving_lab.datasets import make_mixed_split

    return make_mixed_split(2000, random_state=0)


@functools.lru_cache(maxsize=64)
def installed_version(library: str) -> str | None:
    """The installed version of a distribution (``"python"``: the running interpreter)."""
    from importlib import metadata

    if library == "python":
        return platform.python_version()
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return None


def _same_version(a, b) -> bool:
    from mlserving_lab.packaging.versions import same_version

    return same_version(a, b)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_model_file(path: Path):
    """Load a .joblib or .skops file (skops: trusting the types it names: the learner's own
    file, in the learner's sandbox)."""
    if path.suffix == ".skops":
        import skops.io as sio

        return sio.load(path, trusted=sio.get_untrusted_types(file=path))
    import joblib

    return joblib.load(path)


def _folder(value, name: str) -> Path:
    if not isinstance(value, (str, Path)):
        raise Incorrect(f"`{name}` should be a folder path (a str or Path), got "
                        f"{type(value).__name__}")
    path = Path(value)
    if not path.is_dir():
        raise Incorrect(f"`{name}` is {str(path)!r}, which is not an existing folder")
    return path


# ---------------------------------------------------------------------------------- q1
def artifact_facts(artifact_dir):
    """What q1 needs from the learner's folder, read where it is (the sandbox, when grading).

    Returns plain data: every file's size and sha256, the parsed metadata, and what the model
    file holds (class, fitted or not, predictions on the lesson's train and test rows).
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    path = _folder(artifact_dir, "artifact_dir")
    files = {p.name: {"size": p.stat().st_size, "sha256": _sha256(p)}
             for p in sorted(path.iterdir()) if p.is_file()}
    facts = {"folder": str(path), "files": files, "metadata": None, "metadata_error": None,
             "model": None}
    meta_path = path / "metadata.json"
    if not meta_path.is_file():
        facts["metadata_error"] = "missing"
        return facts
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        facts["metadata_error"] = f"not valid JSON: {exc}"
        return facts
    facts["metadata"] = json.loads(json.dumps(meta, default=str))
    name = meta.get("model_file") if isinstance(meta, dict) else None
    if not isinstance(name, str) or name not in files:
        return facts
    model = {"file": name, "error": None, "class": None, "is_pipeline": False,
             "fitted": None, "predict_error": None, "test_pred": None, "train_pred": None}
    facts["model"] = model
    try:
        obj = _load_model_file(path / name)
    except Exception as exc:  # noqa: BLE001 - any failure to load is the answer's problem
        model["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return facts
    model["class"] = f"{type(obj).__module__}.{type(obj).__qualname__}"
    model["is_pipeline"] = isinstance(obj, Pipeline)
    try:
        check_is_fitted(obj)
        model["fitted"] = True
    except NotFittedError:
        model["fitted"] = False
        return facts
    except TypeError:
        model["fitted"] = None  # not an estimator at all
        return facts
    X_train, X_test, _, _ = load_churn_data()
    try:
        model["test_pred"] = np.asarray(obj.predict(X_test))
        model["train_pred"] = np.asarray(obj.predict(X_train))
    except Exception as exc:  # noqa: BLE001
        model["predict_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return facts


def _check_hash(meta, files, name):
    recorded = meta["model_sha256"]
    if not isinstance(recorded, str) or not _HEX64.fullmatch(recorded.strip().lower()):
        raise Incorrect(f"`model_sha256` is {recorded!r:.80}; it should be the 64 hex digits of "
                        f"`hashlib.sha256(<bytes of {name}>).hexdigest()`")
    recorded = recorded.strip().lower()
    actual = files[name]["sha256"]
    if recorded == actual:
        return
    others = [f for f, info in files.items() if info["sha256"] == recorded]
    if others:
        raise Incorrect(f"`model_sha256` is the SHA-256 of {others[0]!r}, not of the model "
                        f"file {name!r} (whose SHA-256 is {actual[:16]}...)")
    from mlserving_lab.packaging import training_data_sha256

    X_train, _, y_train, _ = load_churn_data()
    if recorded in (training_data_sha256(X_train, y_train), training_data_sha256(X_train)):
        raise Incorrect("`model_sha256` is the fingerprint of the training data; it should be "
                        f"the SHA-256 of the model file's bytes ({name!r})")
    raise Incorrect(f"`model_sha256` is {recorded[:16]}..., but the SHA-256 of the bytes of "
                    f"{name!r} in your folder is {actual[:16]}...: hash the file after writing "
                    "it (a hash typed in, or taken before the last save, does not match)")


def _check_model(model, name):
    if model["error"] is not None:
        raise Incorrect(f"{name!r} does not load: {model['error']}")
    if model["fitted"] is False:
        raise Incorrect(f"{name!r} holds an UNFITTED {model['class'].rsplit('.', 1)[-1]}: it "
                        "was saved before `.fit(X_train, y_train)` (or it is a fresh copy). "
                        "Save the fitted pipeline.")
    if model["fitted"] is None:
        raise Incorrect(f"{name!r} holds a {model['class']}, not a fitted scikit-learn model")
    if not model["is_pipeline"]:
        raise Incorrect(f"{name!r} holds a bare {model['class'].rsplit('.', 1)[-1]}: save the "
                        "whole pipeline (preprocessing + model), so the file predicts on raw "
                        "rows")
    if model["predict_error"] is not None:
        raise Incorrect(f"the pipeline in {name!r} cannot predict on X_test: "
                        f"{model['predict_error']}")


def _check_versions(versions, serializer):
    if not isinstance(versions, dict):
        raise Incorrect(f"`library_versions` should be a dict {{library: version}}, got "
                        f"{versions!r:.80}")
    for lib in (*REQUIRED_LIBRARIES, serializer):
        if lib not in versions:
            raise Incorrect(f"`library_versions` has no {lib!r}; it needs "
                            f"{[*REQUIRED_LIBRARIES, serializer]} (the model file was written "
                            f"with {serializer})")
        want = installed_version(lib)
        got = versions[lib]
        if not _same_version(got, want):
            how = ("`platform.python_version()`" if lib == "python" else
                   f"`importlib.metadata.version({lib!r})`")
            raise Incorrect(f"`library_versions[{lib!r}]` is {got!r}, but this environment has "
                            f"{want}: read every version with {how} rather than typing it")


def _check_created_at(value):
    if not isinstance(value, str):
        raise Incorrect(f"`created_at` should be a string like '2026-01-31T14:05:00Z', got "
                        f"{value!r:.60}")
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Incorrect(f"`created_at` is {value!r}, not an ISO 8601 time such as "
                        "'2026-01-31T14:05:00Z'") from None
    if when.tzinfo is None or when.utcoffset() != timedelta(0):
        raise Incorrect(f"`created_at` is {value!r}: give it in UTC with the zone "
                        "('...Z' or '+00:00'), e.g. `datetime.now(timezone.utc)`; "
                        "`datetime.utcnow()` is deprecated and has no zone")
    if when > datetime.now(UTC) + timedelta(hours=1):
        raise Incorrect(f"`created_at` is {value!r}, which is in the future")


def _check_artifact(artifact_dir):
    facts = on_learner_side(artifact_facts, artifact_dir)
    folder, files, meta = facts["folder"], facts["files"], facts["metadata"]
    if facts["metadata_error"] == "missing":
        raise Incorrect(f"{folder!r} has no metadata.json: write the metadata next to the "
                        "model file")
    if facts["metadata_error"]:
        raise Incorrect(f"{folder}/metadata.json is {facts['metadata_error']}")
    if not isinstance(meta, dict):
        raise Incorrect("metadata.json should hold one JSON object (a dict)")
    missing = [k for k in REQUIRED_METADATA if k not in meta]
    if missing:
        raise Incorrect(f"metadata.json has no {missing}; it needs {list(REQUIRED_METADATA)} "
                        "(extra keys are fine)")
    name = meta["model_file"]
    if not isinstance(name, str) or Path(name).name != name:
        raise Incorrect(f"`model_file` is {name!r:.60}: give the file's name inside the folder, "
                        "e.g. 'model.joblib'")
    serializer = _SERIALIZERS.get(Path(name).suffix)
    if serializer is None:
        raise Incorrect(f"`model_file` is {name!r}: save with joblib ('.joblib') or skops "
                        "('.skops')")
    if name not in files:
        raise Incorrect(f"`model_file` is {name!r}, but the folder holds {sorted(files)}")
    _check_hash(meta, files, name)
    _check_model(facts["model"], name)
    _, _, y_train, y_test = load_churn_data()
    model = facts["model"]
    acc = check_accuracy(meta["test_accuracy"], model["test_pred"], y_test, "the saved pipeline",
                         y_train_pred=model["train_pred"], y_train=y_train,
                         column="test_accuracy", tol=1e-3)
    _check_versions(meta["library_versions"], serializer)
    X_train = load_churn_data()[0]
    names = meta["feature_names"]
    want = [str(c) for c in X_train.columns]
    if not isinstance(names, list) or [str(n) for n in names] != want:
        raise Incorrect(f"`feature_names` is {names!r:.120}; it should be the columns of "
                        f"X_train, in order: {want}")
    _check_created_at(meta["created_at"])
    return (f"Correct: {name} ({files[name]['size']:,} bytes, {serializer}) hashes to its "
            f"recorded SHA-256, loads to a fitted pipeline scoring {num(acc)} on X_test, and "
            "its versions match this environment.")


q1 = Question(
    "q1",
    prompt=(
        "Write the artifact yourself into the folder `artifact_dir`: the fitted `pipeline` "
        "saved with `joblib.dump` as `model.joblib` (or with `skops.io.dump` as `model.skops`: "
        "both are accepted), and `metadata.json`, one JSON object with at least: "
        "`model_file` (the file name, e.g. 'model.joblib'), `model_sha256` (64 lower-case hex "
        "digits: `hashlib.sha256` of the file's bytes, computed after writing it), "
        "`library_versions` (a dict with 'python' from `platform.python_version()` and "
        "'numpy', 'pandas', 'scikit-learn' and 'joblib' or 'skops' from "
        "`importlib.metadata.version`), `feature_names` (the columns of X_train, in order), "
        "`test_accuracy` (the saved pipeline's accuracy on X_test, a fraction in [0, 1], not "
        "rounded to fewer than 3 decimals) and `created_at` (UTC, ISO 8601 with the zone, "
        "e.g. '2026-01-31T14:05:00Z'). Extra keys are fine."),
    answers=("artifact_dir",),
    checker=_check_artifact,
    hint=("`joblib.dump(pipeline, folder / 'model.joblib')`, then "
          "`hashlib.sha256((folder / 'model.joblib').read_bytes()).hexdigest()`; "
          "`datetime.now(timezone.utc).isoformat(timespec='seconds')`; "
          "`json.dumps(metadata, indent=2)` into `metadata.json`."),
)


# ---------------------------------------------------------------------------------- q2
#: Artifacts the public check builds for `verify_artifact`; the hidden check adds more.
INTEGRITY_CASES = {
    "intact": False,            # case -> must the check raise?
    "flipped_byte": True,
    "swapped_model": True,
}


def _write_small_artifact(folder: Path, model, serializer: str) -> dict:
    """An artifact in the format question 1 asks for (not the library's): model + metadata."""
    folder.mkdir(parents=True)
    name = f"model.{serializer}"
    if serializer == "skops":
        import skops.io as sio

        sio.dump(model, folder / name)
    else:
        import joblib

        joblib.dump(model, folder / name)
    meta = {"model_file": name, "model_sha256": _sha256(folder / name),
            "library_versions": {lib: installed_version(lib)
                                 for lib in (*REQUIRED_LIBRARIES, serializer)},
            "feature_names": [str(c) for c in model.feature_names_in_],
            "test_accuracy": 0.9,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00",
                                                                                  "Z")}
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


@functools.lru_cache(maxsize=1)
def _checker_models():
    """Two small fitted models (different coefficients) for the checker's own artifacts."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    return LogisticRegression().fit(X, y), LogisticRegression(C=0.01).fit(X, y)


@functools.lru_cache(maxsize=1)
def _check_folder() -> Path:
    from mlserving_lab.course.scratch import scratch_folder

    return scratch_folder("mlserving-06-check-")


def make_integrity_case(case: str) -> str:
    """Write an artifact of the checker's own, apply ``case`` to it, and return its folder.

    Runs where the learner's code runs (the sandbox when grading), in a scratch folder that is
    removed at exit (and by :func:`discard_folder` right after use).
    """
    import tempfile

    model, other = _checker_models()
    serializer = "skops" if case.startswith("skops") else "joblib"
    folder = Path(tempfile.mkdtemp(prefix=f"{case}-", dir=_check_folder())) / "checker_model"
    meta = _write_small_artifact(folder, model, serializer)
    model_path = folder / meta["model_file"]
    if case.endswith("flipped_byte"):
        data = bytearray(model_path.read_bytes())
        data[len(data) // 2] ^= 0x01
        model_path.write_bytes(bytes(data))
    elif case == "swapped_model":
        import joblib

        joblib.dump(other, model_path)
    elif case == "edited_hash":
        meta["model_sha256"] = hashlib.sha256(b"another model").hexdigest()
        (folder / "metadata.json").write_text(json.dumps(meta, indent=2))
    return str(folder)


def discard_folder(folder: str) -> bool:
    """Remove a folder made by :func:`make_integrity_case`."""
    import shutil

    path = Path(folder)
    if _check_folder() in path.parents:
        shutil.rmtree(path.parent, ignore_errors=True)
    return True


def integrity_trial(verify, case: str) -> dict:
    """Run the learner's ``verify`` on a fresh artifact for ``case``; report what it raised."""
    from mlserving_lab.course.exercises.core import LearnerCodeError
    from mlserving_lab.packaging import ArtifactIntegrityError

    folder = on_learner_side(make_integrity_case, case)
    try:
        call(verify, folder)
    except LearnerCodeError as exc:
        cause = exc.__cause__
        if cause is None:
            found = re.search(r"raised `([^`]+)`", str(exc))
            name = found.group(1) if found else "an exception"
        else:
            name = type(cause).__name__
        text = str(cause) if cause is not None else re.sub(
            r"^[^`]*`[^`]+`:\s*", "", str(exc)).split("\n\n")[0]
        return {"raised": True, "type": name, "message": text[:300],
                "integrity": isinstance(cause, ArtifactIntegrityError)}
    finally:
        on_learner_side(discard_folder, folder)
    return {"raised": False, "type": None, "message": "", "integrity": False}


_CASE_TEXT = {
    "intact": "an intact artifact (saved by the checker, nothing changed)",
    "flipped_byte": "a copy whose model file has one byte changed (same size)",
    "swapped_model": "a copy whose model file was replaced by another valid model",
    "edited_hash": "a copy whose metadata.json records a different model_sha256",
    "skops_intact": "an intact skops artifact (model file 'model.skops')",
    "skops_flipped_byte": "a skops artifact with one byte of 'model.skops' changed",
}


def judge_integrity(verify, case: str, must_raise: bool) -> None:
    """Run :func:`integrity_trial` for ``case`` and judge the learner's ``verify`` on it."""
    if not callable(verify):
        raise Incorrect(f"`verify_artifact` should be your function, got "
                        f"{type(verify).__name__}")
    out = integrity_trial(verify, case)
    what = _CASE_TEXT[case]
    if not must_raise and out["raised"]:
        raise Incorrect(f"`verify_artifact` raised {out['type']} ({out['message'][:120]}) on "
                        f"{what}. It must accept an artifact whose file matches its hash: read "
                        "the file named by metadata['model_file'] and compare with "
                        "metadata['model_sha256'].")
    if must_raise and not out["raised"]:
        raise Incorrect(f"`verify_artifact` did not raise on {what}. Recompute the SHA-256 of "
                        "the file's bytes and raise ArtifactIntegrityError when it differs "
                        "from the recorded one (checking the size or that it loads is not "
                        "enough).")
    if must_raise and not out["integrity"]:
        raise Incorrect(f"on {what} `verify_artifact` raised {out['type']} "
                        f"({out['message'][:120]}); raise ArtifactIntegrityError (from "
                        "mlserving_lab.packaging) when the hashes differ")


def _check_integrity(verify_artifact):
    for case, must_raise in INTEGRITY_CASES.items():
        judge_integrity(verify_artifact, case, must_raise)
    return ("Correct: your check accepts the intact artifact and refuses a changed byte and a "
            "swapped model, before anything is unpickled.")


q2 = Question(
    "q2",
    prompt=(
        "Write `verify_artifact(folder)`: read `folder/metadata.json`, compute the SHA-256 of "
        "the bytes of the file named by its `model_file`, compare with its `model_sha256`, and "
        "raise `ArtifactIntegrityError` (from `mlserving_lab.packaging`) naming both hashes "
        "when they differ; return None when they match. Do NOT load the model: the point is "
        "to refuse a file before unpickling it. The checker runs it on artifacts of its own "
        "(intact and tampered; joblib and skops)."),
    answers=("verify_artifact",),
    checker=_check_integrity,
    hint=("`meta = json.loads((Path(folder) / 'metadata.json').read_text())`, "
          "`actual = hashlib.sha256((Path(folder) / meta['model_file']).read_bytes())"
          ".hexdigest()`, then `if actual != meta['model_sha256']: raise "
          "ArtifactIntegrityError(...)`."),
)


# ---------------------------------------------------------------------------------- q3
def _version_probes() -> list[dict]:
    """Version records of the checker's own; built from this environment's versions."""
    have = {lib: installed_version(lib) for lib in ("numpy", "pandas", "scikit-learn", "scipy",
                                                    "joblib")}
    py = platform.python_version()
    major, minor = (int(x) for x in py.split(".")[:2])
    return [
        {"python": py, "numpy": have["numpy"], "scikit-learn": "1.5.2",
         "pandas": f"{have['pandas']}.0", "joblib": "1.2.0", "not-a-real-library": "0.1"},
        {"python": f"{major}.{minor - 1}.4", "numpy": have["numpy"], "scipy": have["scipy"]},
        {"python": py, "numpy": have["numpy"], "pandas": have["pandas"]},
    ]


def true_mismatches(saved: dict) -> list[str]:
    """Libraries whose recorded version differs from the installed one (PEP 440)."""
    return sorted(lib for lib, ver in saved.items()
                  if not _same_version(ver, installed_version(lib)))


def _check_mismatches(mismatched_libraries):
    for saved in _version_probes():
        out = call(mismatched_libraries, dict(saved))
        if isinstance(out, (str, bytes, dict)) or not hasattr(out, "__iter__"):
            raise Incorrect(f"`mismatched_libraries` returned {out!r:.80}; return a list of "
                            "library names")
        got = sorted(str(x) for x in out)
        want = true_mismatches(saved)
        if got == want:
            continue
        extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
        where = f"for the recorded versions {saved}"
        if extra:
            lib = extra[0]
            why = (f"the recorded {saved.get(lib)!r} is the installed {installed_version(lib)} "
                   "as a PEP 440 version (compare `Version(a) == Version(b)`, not the strings)"
                   if lib in saved else "it is not in the record at all")
            raise Incorrect(f"{where} your function lists {extra}, but {why}")
        lib = missing[0]
        now = installed_version(lib)
        why = ("it is not installed here, which counts as a mismatch" if now is None else
               f"it was saved with {saved[lib]!r} and {now} is installed")
        raise Incorrect(f"{where} your function misses {missing}: {why}")
    return ("Correct: you compare every recorded library, as versions, with what is "
            "installed, including Python itself and libraries that are missing.")


q3 = Question(
    "q3",
    prompt=(
        "Write `mismatched_libraries(saved_versions)`: given a dict `{library: version}` as "
        "recorded in an artifact's metadata, return a list of the libraries whose installed "
        "version differs (any order). Installed versions: `importlib.metadata.version(name)` "
        "('python': `platform.python_version()`); a library that is not installed "
        "(PackageNotFoundError) counts as differing. Compare as versions with "
        "`packaging.version.Version`, so '2.4' equals '2.4.0'. The checker calls it on "
        "records of its own."),
    answers=("mismatched_libraries",),
    checker=_check_mismatches,
    hint=("Loop over `saved_versions.items()`; `try: now = metadata.version(name) except "
          "metadata.PackageNotFoundError: now = None`; keep the name when `now is None or "
          "Version(now) != Version(saved)`."),
)


# ---------------------------------------------------------------------------------- q4
#: Whether files of each format can be loaded from a stranger without running their code.
SAFE_BY_FORMAT = {"joblib": False, "pickle": False, "cloudpickle": False, "skops": True,
                  "onnx": True, "safetensors": True}


def format_facts(format_files, timed=True):
    """Size in bytes and (``timed``) a fresh load time (median of 3, ms) of each model file."""
    import time

    out = {}
    for fmt, path in format_files.items():
        p = Path(path)
        if not p.is_file():
            out[str(fmt)] = {"error": f"{str(p)!r} is not an existing file"}
            continue
        if not timed:
            out[str(fmt)] = {"size": p.stat().st_size, "suffix": p.suffix, "error": None}
            continue
        if p.suffix == ".skops":
            import skops.io as sio

            trusted = sio.get_untrusted_types(file=p)

            def load(p=p, trusted=trusted):
                return sio.load(p, trusted=trusted)
        else:
            import joblib

            def load(p=p):
                return joblib.load(p)
        try:
            load()  # warm-up: the first load imports modules
            times = []
            for _ in range(3):
                start = time.perf_counter()
                load()
                times.append((time.perf_counter() - start) * 1e3)
        except Exception as exc:  # noqa: BLE001
            out[str(fmt)] = {"error": f"it does not load: {type(exc).__name__}: "
                                      f"{str(exc)[:150]}"}
            continue
        out[str(fmt)] = {"size": p.stat().st_size, "load_ms": float(np.median(times)),
                         "suffix": p.suffix, "error": None}
    return out


def _bool(value, where):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise Incorrect(f"{where} is {value!r:.40} ({type(value).__name__}); use True or False")


def _check_size_bytes(claimed, fresh: int, fmt: str) -> None:
    c = expect_number(claimed, f"size_bytes of {fmt}", unit="bytes", positive=True)
    if abs(c - fresh) <= 0.5:
        return
    ratio = c / fresh
    why = ""
    if 0.97 / 1024 <= ratio <= 1.03 / 1024:
        why = " That is the size in KB: the column is size_bytes, so give bytes."
    elif 0.97 / 1024**2 <= ratio <= 1.03 / 1024**2 or 0.97e-6 <= ratio <= 1.03e-6:
        why = " That is the size in MB: give bytes."
    raise Incorrect(f"`size_bytes` of `{fmt}` is {num(c)}, but the file measures {fresh:,} "
                    f"bytes (`Path(file).stat().st_size`).{why}")


def _check_formats(format_table, format_files):
    if not isinstance(format_table, pd.DataFrame):
        raise Incorrect(f"`format_table` should be a DataFrame, got "
                        f"{type(format_table).__name__}")
    if not isinstance(format_files, dict) or not {"joblib", "skops"} <= {str(k).lower() for k
                                                                         in format_files}:
        raise Incorrect(f"`format_files` should be a dict with the keys 'joblib' and 'skops' "
                        f"(the model files you measured), got {format_files!r:.100}")
    rows = [str(i).lower() for i in format_table.index]
    for fmt in ("joblib", "skops"):
        if fmt not in rows:
            raise Incorrect(f"`format_table` has no `{fmt}` row; its index is "
                            f"{list(format_table.index)}")
    for col in ("size_bytes", "load_ms", "safe_for_untrusted_files"):
        if col not in format_table.columns:
            raise Incorrect(f"`format_table` has no `{col}` column; it has "
                            f"{list(format_table.columns)}")
    table = format_table.set_axis(rows)
    for fmt in rows:
        if fmt in SAFE_BY_FORMAT:
            safe = _bool(table.loc[fmt, "safe_for_untrusted_files"],
                         f"`safe_for_untrusted_files` of `{fmt}`")
            if safe and not SAFE_BY_FORMAT[fmt]:
                raise Incorrect(f"`{fmt}` is marked safe for untrusted files, but it is pickle "
                                "underneath: loading a file can run any code the file names "
                                "(remember the tamper demo)")
            if not safe and SAFE_BY_FORMAT[fmt]:
                raise Incorrect(f"`{fmt}` cannot run code while loading (skops refuses types "
                                "you did not trust; ONNX is a graph of operators): mark it True")
    files = {str(k).lower(): v for k, v in format_files.items() if str(k).lower() in
             ("joblib", "skops")}
    facts = on_learner_side(format_facts, files, False)
    for fmt in ("joblib", "skops"):
        info = facts[fmt]
        if info["error"]:
            raise Incorrect(f"`format_files[{fmt!r}]`: {info['error']}")
        if info["suffix"] != f".{fmt}":
            raise Incorrect(f"`format_files[{fmt!r}]` is a {info['suffix'] or 'extensionless'} "
                            f"file; give the .{fmt} model file you measured")
        _check_size_bytes(table.loc[fmt, "size_bytes"], info["size"], fmt)
    claimed = {fmt: expect_number(table.loc[fmt, "load_ms"], f"load_ms of {fmt}",
                                  unit="milliseconds", positive=True)
               for fmt in ("joblib", "skops")}
    if claimed["joblib"] == claimed["skops"]:
        raise Incorrect(f"both `load_ms` are exactly {num(claimed['joblib'])}: these look "
                        "typed in, not measured. Time each file's own loads.")
    facts = on_learner_side(format_facts, files, True)
    for fmt in ("joblib", "skops"):
        if facts[fmt]["error"]:
            raise Incorrect(f"`format_files[{fmt!r}]`: {facts[fmt]['error']}")
    fresh = {fmt: facts[fmt]["load_ms"] for fmt in ("joblib", "skops")}
    check_latency_claims(claimed, fresh, column="load_ms")
    ratio = fresh["skops"] / fresh["joblib"]
    return (f"Correct: here skops loads {ratio:.1f}x slower than joblib and its file is "
            f"{facts['skops']['size'] / facts['joblib']['size']:.1f}x the size; safety costs "
            "load time, not correctness.")


q4 = Question(
    "q4",
    prompt=(
        "Measure the two formats yourself. `format_files = {'joblib': <path of model.joblib>, "
        "'skops': <path of model.skops>}` (the files in `joblib_dir` and `skops_dir`), and "
        "`format_table` with index `joblib` and `skops` (any order) and the columns "
        "`size_bytes` (the file's size in BYTES, `Path.stat().st_size`), `load_ms` (the "
        "median, in MILLISECONDS, of 5 timed loads of the file with `joblib.load` / "
        "`skops.io.load(path, trusted=untrusted)`, after one untimed warm-up load) and "
        "`safe_for_untrusted_files` (bool: can you load a stranger's file of that format "
        "without running their code?). Extra columns are fine."),
    answers=("format_table", "format_files"),
    checker=_check_formats,
    hint=("`time.perf_counter()` before and after each load, times 1000 for ms, "
          "`np.median` of the 5; sizes with `path.stat().st_size`."),
)

EXERCISE = Exercise("l06_model_packaging", [q1, q2, q3, q4])
