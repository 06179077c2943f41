"""Both-ways tests for the lesson 06 check-yourself questions."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.l06_model_packaging import EXERCISE, q1, q2, q3, q4
from mlserving_lab.datasets import NUMERIC_COLUMNS, make_mixed_split
from mlserving_lab.packaging import ArtifactIntegrityError, load_artifact, save_artifact


@pytest.fixture(scope="module")
def data():
    X_train, X_test, y_train, y_test = make_mixed_split(300, random_state=0)
    return X_train[NUMERIC_COLUMNS].fillna(0), y_train


@pytest.fixture(scope="module")
def pipeline(data):
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(*data)


@pytest.fixture()
def artifact_dir(tmp_path, data, pipeline):
    X, y = data
    return save_artifact(pipeline, tmp_path / "model", X_train=X, y_train=y,
                         metrics={"accuracy": 0.7})


def test_exercise_shape():
    assert EXERCISE.name == "l06_model_packaging"
    assert [q.points for q in EXERCISE] == [1, 1, 1, 1]


def test_q1_both_ways(artifact_dir, tmp_path, data, pipeline):
    X, y = data
    assert_check_passed(q1, artifact_dir)
    assert_check_passed(q1, str(artifact_dir))
    assert_check_failed(q1, ____, outcome="not_attempted")
    assert_check_failed(q1, 42, match="folder")
    assert_check_failed(q1, tmp_path / "nowhere", match="not an existing folder")
    nohash = save_artifact(pipeline, tmp_path / "nohash", metrics={"accuracy": 0.7})
    assert_check_failed(q1, nohash, match="training-data hash")
    nometrics = save_artifact(pipeline, tmp_path / "nometrics", X_train=X, y_train=y)
    assert_check_failed(q1, nometrics, match="performance metrics")
    bare = save_artifact(pipeline[-1], tmp_path / "bare", X_train=X, y_train=y,
                         metrics={"accuracy": 0.7})
    assert_check_failed(q1, bare, match="bare LogisticRegression")
    odd = save_artifact(pipeline, tmp_path / "odd", X_train=X, y_train=y,
                        metrics={"accuracy": 70})
    assert_check_failed(q1, odd, match=r"\[0, 1\]")
    broken = tmp_path / "broken"
    shutil.copytree(artifact_dir, broken)
    (broken / "model.joblib").write_bytes(b"junk")
    assert_check_failed(q1, broken, match="does not load")


def _tamper(src, dst):
    shutil.copytree(src, dst)
    data = bytearray((dst / "model.joblib").read_bytes())
    data[50] ^= 1
    (dst / "model.joblib").write_bytes(bytes(data))
    try:
        load_artifact(dst)
    except ArtifactIntegrityError as exc:
        return exc
    raise AssertionError("tampering was not detected")


def test_q2_both_ways(artifact_dir, tmp_path):
    caught = _tamper(artifact_dir, tmp_path / "t")
    assert_check_passed(q2, tmp_path / "t", caught)
    assert_check_failed(q2, tmp_path / "t", ____, outcome="not_attempted")
    assert_check_failed(q2, artifact_dir, caught, match="still matches")
    assert_check_failed(q2, tmp_path / "t", None, match="is None")
    assert_check_failed(q2, tmp_path / "t", "ArtifactIntegrityError", match="exception object")
    assert_check_failed(q2, tmp_path / "t", FileNotFoundError("x"), match="FileNotFoundError")


def _aged(src, dst, **versions):
    shutil.copytree(src, dst)
    meta = json.loads((dst / "metadata.json").read_text())
    meta["dependencies"].update(versions)
    (dst / "metadata.json").write_text(json.dumps(meta))
    return dst


def test_q3_both_ways(artifact_dir, tmp_path):
    old = _aged(artifact_dir, tmp_path / "old", numpy="1.26.4", **{"scikit-learn": "1.5.2"})
    assert_check_passed(q3, old, ["numpy", "scikit-learn"])
    assert_check_passed(q3, old, ("scikit-learn", "numpy"))
    assert_check_failed(q3, old, ["numpy"], match="misses.*scikit-learn")
    assert_check_failed(q3, old, ["numpy", "scikit-learn", "pandas"], match="pandas")
    assert_check_failed(q3, old, "numpy, scikit-learn", match="list of library names")
    assert_check_failed(q3, artifact_dir, [], match="matches this environment")


def test_q4_both_ways():
    table = pd.DataFrame({"size_bytes": {"joblib": 1000, "skops": 4000},
                          "load_ms": {"joblib": 2.0, "skops": 9.0},
                          "safe_for_untrusted_files": {"joblib": False, "skops": True}})
    assert_check_passed(q4, table)
    assert_check_failed(q4, table.to_dict(), match="DataFrame")
    assert_check_failed(q4, table.drop(index="joblib"), match="joblib")
    assert_check_failed(q4, table.rename(columns={"load_ms": "load"}), match="load_ms")
    assert_check_failed(q4, table.assign(safe_for_untrusted_files=[True, True]), match="pickle")
    assert_check_failed(q4, table.assign(safe_for_untrusted_files=[False, False]),
                        match="mark it True")
    assert_check_failed(q4, table.assign(size_bytes=[0, 10]), match="size_bytes")
    assert_check_failed(q4, table.assign(load_ms=[-1.0, 2.0]), match="load_ms")
