"""Check-yourself questions for notebook 06_model_packaging."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question

__all__ = ["EXERCISE", "q1", "q2", "q3", "q4"]


def _folder(value, name: str) -> Path:
    if not isinstance(value, (str, Path)):
        raise Incorrect(f"`{name}` should be the artifact folder (a str or Path), got "
                        f"{type(value).__name__}")
    path = Path(value)
    if not path.is_dir():
        raise Incorrect(f"`{name}` is {str(path)!r}, which is not an existing folder")
    if not (path / "metadata.json").is_file():
        raise Incorrect(f"{str(path)!r} has no metadata.json: save it with `save_artifact`")
    return path


def _metadata(path: Path) -> dict:
    try:
        return json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        raise Incorrect(f"{path}/metadata.json is not valid JSON: {exc}") from None


# ---------------------------------------------------------------------------------- q1
def _artifact_facts(artifact_dir):
    """What q1 needs from the artifact, read where it is (the sandbox, when grading)."""
    from mlserving_lab.packaging import ArtifactError, load_artifact

    path = _folder(artifact_dir, "artifact_dir")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            art = load_artifact(path)
    except ArtifactError as exc:
        raise Incorrect(f"the artifact does not load: {exc}") from None
    steps = getattr(art.model, "steps", None)
    return {"metadata": json.loads(json.dumps(art.metadata, default=str)),
            "n_steps": len(steps) if steps else 0, "model_type": type(art.model).__name__}


def _check_artifact(artifact_dir):
    from mlserving_lab.course.exercises.core import on_learner_side

    facts = on_learner_side(_artifact_facts, artifact_dir)
    meta = facts["metadata"]
    if meta.get("training_data_sha256") is None:
        raise Incorrect("the metadata has no training-data hash: pass `X_train=` and "
                        "`y_train=` to `save_artifact`")
    if not meta.get("performance_metrics"):
        raise Incorrect("the metadata has no performance metrics: pass "
                        "`metrics={'accuracy': ...}` measured on the test set")
    if meta.get("input_schema") is None:
        raise Incorrect("the metadata has no input schema: pass `X_train=` (or `schema=`)")
    if facts["n_steps"] < 2:
        raise Incorrect(f"the saved model is a bare {facts['model_type']}: save the whole "
                        "pipeline (preprocessing + model), not only its last step")
    for name, value in meta["performance_metrics"].items():
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise Incorrect(f"metric {name!r} is {value!r}; expected a number in [0, 1]")
    return (f"Correct: {meta['model_class']} v{meta['model_version']}, "
            f"{meta['model_size_bytes']:,} bytes, trained {meta['training_date']}.")


q1 = Question(
    "q1",
    prompt="Save the fitted `pipeline` as an artifact in `artifact_dir`, with the training data, "
           "the target and the test accuracy.",
    answers=("artifact_dir",),
    checker=_check_artifact,
    hint="`save_artifact(pipeline, artifact_dir, X_train=X_train, y_train=y_train, "
         "metrics={'accuracy': accuracy})`.",
    solution="artifact_dir = workdir / 'churn_model'\n"
             "save_artifact(pipeline, artifact_dir, X_train=X_train, y_train=y_train,\n"
             "              metrics={'accuracy': accuracy}, model_version='1.0.0')",
)


# ---------------------------------------------------------------------------------- q2
def _sha256_ok(tampered_dir):
    from mlserving_lab.packaging import inspect_artifact

    path = _folder(tampered_dir, "tampered_dir")
    return str(path), bool(inspect_artifact(path).loc["sha256 ok", "value"])


def _check_tamper(tampered_dir, caught):
    from mlserving_lab.course.exercises.core import on_learner_side
    from mlserving_lab.packaging import ArtifactIntegrityError

    path, sha_ok = on_learner_side(_sha256_ok, tampered_dir)
    if sha_ok:
        raise Incorrect(f"the model file in {str(path)!r} still matches its recorded sha256: "
                        "change at least one byte of it")
    if caught is None:
        raise Incorrect("`caught` is None: store the exception you caught "
                        "(`except ArtifactIntegrityError as exc: caught = exc`)")
    if not isinstance(caught, BaseException):
        raise Incorrect(f"`caught` should be the exception object, got "
                        f"{type(caught).__name__}")
    if not isinstance(caught, ArtifactIntegrityError):
        raise Incorrect(f"`caught` is a {type(caught).__name__} ({str(caught)[:100]}); loading a "
                        "changed model file should raise ArtifactIntegrityError")
    return "Correct: the changed file was refused before a single byte was unpickled."


q2 = Question(
    "q2",
    prompt="Copy the artifact to `tampered_dir`, change one byte of its model file, try to "
           "load it, and keep the exception in `caught`.",
    answers=("tampered_dir", "caught"),
    checker=_check_tamper,
    hint="`shutil.copytree`, then read the bytes, flip one (`data[100] ^= 1`), write them "
         "back, and wrap `load_artifact(tampered_dir)` in `try/except ArtifactIntegrityError`.",
    solution="tampered_dir = workdir / 'tampered'\n"
             "shutil.copytree(artifact_dir, tampered_dir, dirs_exist_ok=True)\n"
             "data = bytearray((tampered_dir / 'model.joblib').read_bytes())\n"
             "data[100] ^= 1\n"
             "(tampered_dir / 'model.joblib').write_bytes(bytes(data))\n"
             "caught = None\n"
             "try:\n    load_artifact(tampered_dir)\n"
             "except ArtifactIntegrityError as exc:\n    caught = exc",
)


# ---------------------------------------------------------------------------------- q3
def _recorded_dependencies(old_dir):
    path = _folder(old_dir, "old_dir")
    return str(path), dict(_metadata(path).get("dependencies") or {})


def _check_versions(old_dir, mismatched):
    from mlserving_lab.course.exercises.core import on_learner_side
    from mlserving_lab.packaging import version_differences

    path, deps = on_learner_side(_recorded_dependencies, old_dir)
    truth = set(version_differences(deps)["library"])
    if not truth:
        raise Incorrect(f"every library recorded in {str(path)!r} matches this environment: "
                        "edit `dependencies` in its metadata.json to simulate an older one")
    if isinstance(mismatched, str) or not hasattr(mismatched, "__iter__"):
        raise Incorrect(f"`mismatched` should be a list of library names, got "
                        f"{type(mismatched).__name__}")
    given = {str(m) for m in mismatched}
    missing, extra = sorted(truth - given), sorted(given - truth)
    if missing:
        raise Incorrect(f"your list misses {missing}: their saved versions differ from the "
                        "installed ones. Read them from the warning (or "
                        "`artifact.version_mismatches`)")
    if extra:
        raise Incorrect(f"{extra} are in your list, but their versions match (or they are not "
                        "recorded in the artifact)")
    return f"Correct: {sorted(truth)} differ. Install the artifact's requirements.txt to match."


q3 = Question(
    "q3",
    prompt="`old_dir` is a copy whose metadata pretends it was saved in an older environment. "
           "Load it, read the warning, and list the libraries that differ in `mismatched`.",
    answers=("old_dir", "mismatched"),
    checker=_check_versions,
    hint="`with warnings.catch_warnings(record=True)` then `load_artifact(old_dir)`; the "
         "returned artifact also has `.version_mismatches` (a DataFrame).",
    solution="with warnings.catch_warnings(record=True) as caught_warnings:\n"
             "    warnings.simplefilter('always')\n"
             "    old = load_artifact(old_dir)\n"
             "mismatched = old.version_mismatches['library'].tolist()",
)


# ---------------------------------------------------------------------------------- q4
def _check_formats(format_table):
    if not isinstance(format_table, pd.DataFrame):
        raise Incorrect(f"`format_table` should be a DataFrame, got "
                        f"{type(format_table).__name__}")
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
    for fmt in ("joblib", "skops"):
        size, load = table.loc[fmt, "size_bytes"], table.loc[fmt, "load_ms"]
        if not (isinstance(size, (int, float)) or hasattr(size, "item")) or not size > 0:
            raise Incorrect(f"`{fmt}` size_bytes is {size!r}: measure the model file with "
                            "`.stat().st_size`")
        if not load > 0:
            raise Incorrect(f"`{fmt}` load_ms is {load!r}: time `load_artifact` with "
                            "`time.perf_counter()`")
    if bool(table.loc["joblib", "safe_for_untrusted_files"]):
        raise Incorrect("joblib is marked safe for untrusted files, but it is pickle underneath: "
                        "loading a file can run any code the file names (remember the tamper "
                        "demo)")
    if not bool(table.loc["skops", "safe_for_untrusted_files"]):
        raise Incorrect("skops refuses types you did not trust, which is exactly what makes it "
                        "the safer choice for files from others: mark it True")
    return "Correct: safety costs load time, not correctness."


q4 = Question(
    "q4",
    prompt="Compare the two formats in `format_table`: index `joblib` and `skops`, columns "
           "`size_bytes`, `load_ms` and `safe_for_untrusted_files` (bool).",
    answers=("format_table",),
    checker=_check_formats,
    hint="Save the same pipeline twice (`serializer='joblib'` and `'skops'`), measure the model "
         "file sizes and the time of `load_artifact` (skops needs `trusted=`).",
    solution="format_table = pd.DataFrame({\n"
             "    'size_bytes': sizes, 'load_ms': load_ms,\n"
             "    'safe_for_untrusted_files': {'joblib': False, 'skops': True}})",
)

EXERCISE = Exercise("l06_model_packaging", [q1, q2, q3, q4])
