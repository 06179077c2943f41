"""Tests for mlserving_lab.packaging: metadata, integrity, crash-safe saves, version warnings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlserving_lab.errors import MissingColumnError
from mlserving_lab.packaging import (
    ArtifactError,
    ArtifactIntegrityError,
    LibraryVersionWarning,
    RecoveredArtifactWarning,
    UntrustedTypesError,
    inspect_artifact,
    library_versions,
    load_artifact,
    parse_requirements,
    requirements_text,
    save_artifact,
    training_data_sha256,
    version_differences,
)
from mlserving_lab.schema import InputSchema

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = (X.a + X.b > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)


def _load_quietly(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LibraryVersionWarning)
        return load_artifact(path, **kw)


class _Evil:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


# ---------------------------------------------------------------------------- save / load
def test_save_writes_the_three_files_and_full_metadata(tmp_path, data, model):
    X, y = data
    path = save_artifact(model, tmp_path / "art", X_train=X, y_train=y,
                         metrics={"accuracy": np.float64(0.9)}, model_version="2.1.0")
    assert sorted(p.name for p in path.iterdir()) == ["metadata.json", "model.joblib",
                                                      "requirements.txt"]
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["model_version"] == "2.1.0"
    assert meta["training_date"].endswith("Z")
    assert meta["model_class"] == "sklearn.pipeline.Pipeline"
    assert meta["feature_names"] == ["a", "b", "c"]
    assert meta["feature_types"] == {"a": "float64", "b": "float64", "c": "float64"}
    assert meta["target_classes"] == [0, 1]
    assert meta["performance_metrics"] == {"accuracy": 0.9}
    assert meta["training_data_sha256"] == training_data_sha256(X, y)
    assert meta["n_training_samples"] == 200
    assert meta["dependencies"]["scikit-learn"] == library_versions()["scikit-learn"]
    assert meta["input_json_schema"]["items"]["required"] == ["a", "b", "c"]
    req = (path / "requirements.txt").read_text().splitlines()
    pins = [ln for ln in req if not ln.startswith("#")]
    assert pins and all("==" in ln for ln in pins)
    assert any(ln.startswith("scikit-learn==") for ln in pins)


def test_load_round_trip_and_schema(tmp_path, data, model):
    X, y = data
    path = save_artifact(model, tmp_path / "art", X_train=X, y_train=y)
    art = load_artifact(path)
    np.testing.assert_array_equal(art.model.predict_proba(X), model.predict_proba(X))
    assert isinstance(art.schema, InputSchema)
    np.testing.assert_array_equal(art.predict(X[["c", "a", "b"]]), model.predict(X))
    with pytest.raises(MissingColumnError, match="'c'"):
        art.predict(X[["a", "b"]])
    assert len(art.version_mismatches) == 0


def test_training_hash_changes_with_data(data):
    X, y = data
    h = training_data_sha256(X, y)
    assert h == training_data_sha256(X.copy(), y.copy())
    X2 = X.copy()
    X2.iloc[0, 0] += 1e-9
    assert training_data_sha256(X2, y) != h
    assert training_data_sha256(X.rename(columns={"a": "z"}), y) != h
    assert training_data_sha256(X, 1 - y) != h
    assert training_data_sha256(X.to_numpy()) == training_data_sha256(X.to_numpy().copy())


def test_inspect_reads_metadata_without_unpickling(tmp_path, data, model, monkeypatch):
    X, y = data
    path = save_artifact(model, tmp_path / "art", X_train=X, y_train=y)
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("must not unpickle"))
    table = inspect_artifact(path)
    assert table.loc["model_class", "value"] == "sklearn.pipeline.Pipeline"
    assert bool(table.loc["sha256 ok", "value"]) is True


def test_bad_arguments_and_folders(tmp_path, model):
    with pytest.raises(ValueError, match="serializer"):
        save_artifact(model, tmp_path / "a", serializer="pickle")
    with pytest.raises(TypeError, match="metrics must be a dict"):
        save_artifact(model, tmp_path / "a", metrics=[0.9])
    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.txt").write_text("precious")
    with pytest.raises(ValueError, match="not a model artifact"):
        save_artifact(model, other)
    assert (other / "thesis.txt").read_text() == "precious"
    with pytest.raises(FileNotFoundError, match="no model artifact"):
        load_artifact(tmp_path / "nothing-here")
    with pytest.raises(ArtifactError, match="no metadata.json"):
        load_artifact(other)


def test_overwrite_replaces_and_leaves_no_leftovers(tmp_path, data, model):
    X, y = data
    path = tmp_path / "art"
    save_artifact(model, path, X_train=X, y_train=y, model_version="1")
    save_artifact(model, path, X_train=X, y_train=y, model_version="2")
    assert _load_quietly(path).metadata["model_version"] == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art"]


# ---------------------------------------------------------------------------- integrity
def test_tampered_malicious_pickle_is_never_unpickled(tmp_path, model):
    marker = tmp_path / "marker.txt"
    path = save_artifact(model, tmp_path / "art")
    # The attacker replaces the model file with a pickle whose loading runs code.
    joblib.dump(_Evil(marker), path / "model.joblib")
    with pytest.raises(ArtifactIntegrityError, match="NOT loaded"):
        load_artifact(path)
    assert not marker.exists()
    # Control: the payload is real, loading the file directly runs it.
    joblib.load(path / "model.joblib")
    assert marker.read_text() == "pwned"


def test_hash_is_checked_before_deserialising(tmp_path, model, monkeypatch):
    path = save_artifact(model, tmp_path / "art")
    raw = bytearray((path / "model.joblib").read_bytes())
    raw[len(raw) // 2] ^= 0x01  # one flipped bit
    (path / "model.joblib").write_bytes(bytes(raw))
    calls = []
    monkeypatch.setattr(joblib, "load", lambda *a, **k: calls.append(a))
    with pytest.raises(ArtifactIntegrityError, match="sha256"):
        load_artifact(path)
    assert calls == []


def test_expected_sha256_pins_the_model(tmp_path, data, model):
    X, y = data
    path = save_artifact(model, tmp_path / "art", X_train=X)
    good = json.loads((path / "metadata.json").read_text())["model_sha256"]
    assert _load_quietly(path, expected_sha256=good).model is not None
    # An attacker who rewrites both the model and metadata.json passes the folder's own
    # check, but not a hash pinned elsewhere.
    marker = tmp_path / "marker.txt"
    joblib.dump(_Evil(marker), path / "model.joblib", compress=3)
    meta = json.loads((path / "metadata.json").read_text())
    meta["model_sha256"] = __import__("hashlib").sha256(
        (path / "model.joblib").read_bytes()).hexdigest()
    (path / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactIntegrityError, match="expected"):
        load_artifact(path, expected_sha256=good)
    assert not marker.exists()


def test_bad_metadata_is_reported(tmp_path, model):
    path = save_artifact(model, tmp_path / "art")
    (path / "metadata.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_artifact(path)


# ---------------------------------------------------------------------------- versions
def test_version_mismatch_warning_lists_every_library(tmp_path, data, model):
    X, y = data
    path = save_artifact(model, tmp_path / "art", X_train=X, y_train=y)
    meta = json.loads((path / "metadata.json").read_text())
    meta["dependencies"]["scikit-learn"] = "1.0.2"
    meta["dependencies"]["numpy"] = "1.21.0"
    meta["dependencies"]["made-up-lib"] = "0.1"
    (path / "metadata.json").write_text(json.dumps(meta))
    with pytest.warns(LibraryVersionWarning) as rec:
        art = load_artifact(path)
    text = str(rec[0].message)
    for part in ("scikit-learn 1.0.2", "numpy 1.21.0", "made-up-lib 0.1 (installed: not "
                 "installed)"):
        assert part in text
    assert set(art.version_mismatches.library) == {"scikit-learn", "numpy", "made-up-lib"}


def test_no_warning_when_versions_match(tmp_path, model):
    path = save_artifact(model, tmp_path / "art")
    with warnings.catch_warnings():
        warnings.simplefilter("error", LibraryVersionWarning)
        load_artifact(path)


def test_version_differences_table():
    table = version_differences({"numpy": "0.0.1", "python": "2.7.18"})
    assert list(table.columns) == ["library", "saved", "installed"]
    assert set(table.library) == {"numpy", "python"}
    assert version_differences(library_versions()).empty
    with pytest.raises(TypeError, match="dict"):
        version_differences(["numpy"])


def test_versions_are_compared_as_pep_440():
    table = version_differences({"numpy": "2.4", "pandas": "3.1.1", "scipy": "1.17.1",
                                 "gone": "1.0"},
                                {"numpy": "2.4.0", "pandas": "3.1.1.post1", "scipy": "1.17.1"})
    assert table.to_dict("records") == [
        {"library": "gone", "saved": "1.0", "installed": "not installed"},
        {"library": "pandas", "saved": "3.1.1", "installed": "3.1.1.post1"},
    ]
    assert version_differences({"odd": "not-a-version"}, {"odd": "not-a-version"}).empty
    assert set(library_versions(extra=("Scikit_Learn",))) >= {"python", "numpy", "scikit-learn"}


def test_parse_requirements_splits_exact_pins_from_the_rest():
    pins, loose = parse_requirements(
        "# comment\n\nnumpy==2.4.6\nScikit_Learn == 1.9.1  # trailing\npandas>=2\nscipy\n"
        "torch==2.*\n-e .\n")
    assert [(p.name, str(p.specifier)) for p in pins] == [("numpy", "==2.4.6"),
                                                          ("Scikit_Learn", "==1.9.1")]
    assert loose == ["pandas>=2", "scipy", "torch==2.*", "-e ."]
    text = requirements_text({"python": "3.11.7", "numpy": "2.4.6", "joblib": "1.6.0"})
    assert parse_requirements(text)[1] == [] and len(parse_requirements(text)[0]) == 2


# ---------------------------------------------------------------------------- skops
def test_skops_round_trip_requires_explicit_trust(tmp_path, data):
    X, y = data
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    path = save_artifact(model, tmp_path / "art", X_train=X, serializer="skops")
    assert (path / "model.skops").exists()
    try:
        art = load_artifact(path)
    except UntrustedTypesError as exc:  # some versions distrust numpy.dtype
        art = load_artifact(path, trusted=exc.types)
    np.testing.assert_array_equal(art.model.predict(X), model.predict(X))


def test_skops_refuses_unknown_types(tmp_path, data):
    from sklearn.tree import DecisionTreeClassifier

    X, y = data
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    path = save_artifact(model, tmp_path / "art", serializer="skops")
    with pytest.raises(UntrustedTypesError, match="not trusted") as info:
        load_artifact(path)
    assert "sklearn.tree._tree.Tree" in info.value.types
    art = load_artifact(path, trusted=info.value.types)
    np.testing.assert_array_equal(art.model.predict(X), model.predict(X))


# ---------------------------------------------------------------------------- crash safety
_SAVER = textwrap.dedent("""
    import sys, numpy as np
    from sklearn.dummy import DummyClassifier
    from mlserving_lab.packaging import save_artifact
    target, mode = sys.argv[1], sys.argv[2]
    model = DummyClassifier().fit([[0.0], [1.0]], [0, 1])
    n = 3_000_000 if mode == "normal" else 1000
    model.big_ = np.random.default_rng(0).random(n)  # ~24 MB: compressing it takes a while
    if mode == "die-between-renames":
        import os, signal
        real_rename, calls = os.rename, []
        def rename(src, dst):
            calls.append(src)
            if len(calls) == 2:          # old -> backup done, new -> target not yet
                os.kill(os.getpid(), signal.SIGKILL)
            return real_rename(src, dst)
        os.rename = rename
    if mode == "die-before-cleanup":
        import os, shutil, signal
        def rmtree(path, *args, **kwargs):
            if ".old-" in str(path):     # both renames done, the old copy not yet removed
                os.kill(os.getpid(), signal.SIGKILL)
        shutil.rmtree = rmtree
    print("saving", flush=True)
    save_artifact(model, target, model_version="new", compress=3)
    print("done", flush=True)
""")


def _start_saver(target: Path, mode: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", _SAVER, str(target), mode], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _old_version(tmp_path, model) -> Path:
    return save_artifact(model, tmp_path / "art", model_version="old")


@pytest.mark.slow
def test_save_killed_while_writing_the_model_keeps_the_old_artifact(tmp_path, model):
    target = _old_version(tmp_path, model)
    proc = _start_saver(target, "normal")
    try:
        deadline = time.monotonic() + 60
        partial = None
        while time.monotonic() < deadline and proc.poll() is None:
            found = [p for p in tmp_path.glob(".art.partial-*/model.joblib")]
            if found and found[0].stat().st_size > 0:
                partial = found[0]
                break
            time.sleep(0.005)
        assert partial is not None, f"the saver never started writing: {proc.communicate()}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (partial.parent / "metadata.json").exists()  # killed mid-write
    art = _load_quietly(target)
    assert art.metadata["model_version"] == "old"
    # The next save tidies the half-written folder away.
    save_artifact(model, target, model_version="next")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art"]
    assert _load_quietly(target).metadata["model_version"] == "next"


@pytest.mark.slow
def test_save_killed_between_the_two_renames_still_loads(tmp_path, model):
    target = _old_version(tmp_path, model)
    proc = _start_saver(target, "die-between-renames")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    assert not target.exists()  # the worst moment: the folder itself is gone
    with pytest.warns(RecoveredArtifactWarning, match="interrupted save"):
        art = _load_quietly(target)
    assert art.metadata["model_version"] in ("old", "new")
    assert art.metadata["model_version"] == "new"  # the complete new copy wins
    save_artifact(model, target, model_version="next")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art"]


@pytest.mark.slow
def test_save_killed_before_removing_the_old_copy_loads_the_new_one(tmp_path, model):
    target = _old_version(tmp_path, model)
    proc = _start_saver(target, "die-before-cleanup")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    assert any(p.name.startswith(".art.old-") for p in tmp_path.iterdir())  # leftover
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecoveredArtifactWarning)  # no recovery needed
        assert _load_quietly(target).metadata["model_version"] == "new"
    save_artifact(model, target, model_version="next")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art"]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.5])
def test_save_killed_at_arbitrary_moments_always_loads(tmp_path, model, delay):
    target = _old_version(tmp_path, model)
    proc = _start_saver(target, "normal")
    proc.stdout.readline()  # "saving": the model is built, the save has begun
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        art = load_artifact(target)
    assert art.metadata["model_version"] in ("old", "new")
