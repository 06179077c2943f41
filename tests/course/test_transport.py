"""The allow-list format between a sandbox and the trusted grader, and call() replay."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

from mlserving_lab.course.exercises import core
from mlserving_lab.course.transport import Refusal, decode, digest, encode
from mlserving_lab.datasets import make_classification_split


def _trip(value):
    return decode(json.loads(json.dumps(encode(value))), function=core.LearnerFunction)


def test_data_round_trips():
    df = pd.DataFrame({"a": [1, 2], "b": ["x", None], "c": pd.Categorical(["u", "v"])},
                      index=["r1", "r2"])
    value = {"n": [1, 2.5, np.float32(3), "s", None, True, float("nan")], "df": df,
             "arr": np.arange(6).reshape(2, 3), (1, 2): {3}, "path": "/tmp/x"}
    back = _trip(value)
    pd.testing.assert_frame_equal(back["df"], df)
    np.testing.assert_array_equal(back["arr"], value["arr"])
    assert back[(1, 2)] == {3} and back["n"][:6] == value["n"][:6]


@pytest.mark.parametrize("model", [RandomForestClassifier(n_estimators=3, random_state=0),
                                   GradientBoostingClassifier(n_estimators=3)])
def test_fitted_library_models_are_rebuilt_without_pickle(model):
    X_train, X_test, y_train, _ = make_classification_split(n_samples=200)
    model.fit(X_train, y_train)
    back = _trip(model)
    assert type(back) is type(model)
    np.testing.assert_array_equal(back.predict_proba(X_test), model.predict_proba(X_test))
    assert digest(back) == digest(model)


def test_lies_become_plain_values():
    class Liar(str):
        def __eq__(self, other):
            return True
        __hash__ = str.__hash__

    class Sneaky(float):
        def __float__(self):
            raise AssertionError("learner code ran")

    out = _trip([Liar("no"), Sneaky(2.0)])
    assert type(out[0]) is str and out[0] != "yes"
    assert type(out[1]) is float and out[1] == 2.0


def test_learner_classes_are_refused():
    class RandomForestClassifier:
        pass
    RandomForestClassifier.__module__ = "sklearn.ensemble._forest"   # a disguise
    with pytest.raises(Refusal, match="class defined in your notebook"):
        encode(RandomForestClassifier())


@pytest.mark.parametrize("tree", [
    {"$t": "obj", "form": "call", "cls": "numpy.memmap", "args": {"$t": "list", "v": []},
     "state": None},
    {"$t": "obj", "form": "fn", "cls": "os.system", "args": {"$t": "list", "v": ["id"]},
     "state": None},
    {"$t": "cls", "v": "subprocess.Popen"},
    {"$t": "libdata", "cls": ["mlserving_lab.course.grading", "_Submission"], "fields": {}},
    {"$t": "ndarray", "npy": "not base64!"},
])
def test_untrusted_trees_are_refused(tree):
    with pytest.raises((Refusal, ValueError)):
        decode(tree)


def test_an_exception_naming_another_module_is_refused_before_any_import():
    import sys

    sys.modules.pop("this", None)  # importing `this` prints; the grader must never import it
    tree = {"$t": "exc", "cls": "this.Anything", "args": {"$t": "list", "v": []},
            "attrs": {"$t": "dict", "v": []}}
    with pytest.raises(Refusal, match="not an exception type"):
        decode(tree)
    assert "this" not in sys.modules
    ok = decode(json.loads(json.dumps(encode(ValueError("bad row 3")))))
    assert type(ok) is ValueError and ok.args == ("bad row 3",)


def test_replay_returns_recorded_data_and_misses_are_incorrect(monkeypatch):
    from mlserving_lab.course._grade_worker import _Recorder, _Replayer

    def double(x):
        return x * 2

    rec = _Recorder()
    rec.prefix = "double"
    rec.assign(double)
    monkeypatch.setattr(core, "_CALL_HOOK", rec)
    assert core.call(double, np.arange(3)).tolist() == [0, 2, 4]
    calls = json.loads(json.dumps(rec.calls))
    replay = _Replayer(calls, {"q": "recorded"})
    replay.question = "q"
    monkeypatch.setattr(core, "_CALL_HOOK", replay)
    stand_in = core.LearnerFunction("double")
    assert core.call(stand_in, np.arange(3)).tolist() == [0, 2, 4]
    with pytest.raises(core.Incorrect, match="could not re-run your function `double`"):
        core.call(stand_in, np.arange(4))


def test_a_learner_function_and_its_stand_in_digest_alike():
    """Record (real function) and replay (LearnerFunction) must key a call the same way, also
    when the function is an argument of another call."""
    from mlserving_lab.course.exercises.core import LearnerFunction
    from mlserving_lab.course.transport import digest

    def verify(path):
        return path

    stand_in = LearnerFunction("verify")
    real_key = digest(("helper", [verify, "/tmp/x"], {}),
                      function_name=lambda f: "verify" if f is verify else None)
    replay_key = digest(("helper", [stand_in, "/tmp/x"], {}),
                        function_name=lambda f: f.name if isinstance(f, LearnerFunction)
                        else None)
    assert real_key == replay_key
    other = digest(("helper", [LearnerFunction("other"), "/tmp/x"], {}),
                   function_name=lambda f: f.name if isinstance(f, LearnerFunction) else None)
    assert other != real_key


def test_numpy_abstract_types_travel_by_name():
    kinds = [np.number, np.integer, np.floating, np.object_, np.bool_, np.float32, object, int]
    back = _trip(kinds)
    assert all(b is k for b, k in zip(back, kinds, strict=True))
    with pytest.raises(Refusal, match="malformed type"):
        decode({"$t": "nptypename", "v": "ndarray"})


def test_a_column_selector_pipeline_crosses_and_is_graded_like_the_original():
    """Exercise 2 q1 allows any way of choosing columns, make_column_selector included."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from mlserving_lab.course.exercises.ex2_skew_prevention import load_churn_data, q1

    X_train, X_test, y_train, y_test = load_churn_data()
    pipe = Pipeline([
        ("pre", ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             make_column_selector(dtype_include=np.number)),
            ("cat", OneHotEncoder(handle_unknown="ignore"),
             make_column_selector(dtype_exclude=np.number))])),
        ("model", RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)),
    ]).fit(X_train, y_train)
    back = _trip(pipe)
    selector = back.named_steps["pre"].transformers[0][2]
    assert type(selector) is make_column_selector and selector.dtype_include is np.number
    np.testing.assert_array_equal(back.predict_proba(X_test), pipe.predict_proba(X_test))
    accuracy = pipe.score(X_test, y_test)
    assert q1.evaluate(back, accuracy).outcome == "correct"
    assert digest(back) == digest(pipe)


def test_slices_travel_as_data_and_digest_alike_in_every_process():
    """Every fitted ColumnTransformer holds slices (output_indices_); their digest is stable."""
    value = {"num": slice(0, 5), "cat": slice(5, 18, 2), "none": slice(None)}
    back = _trip(value)
    assert back == value and all(type(v) is slice for v in back.values())
    assert digest(back) == digest(value)
    with pytest.raises(Refusal, match="malformed slice"):
        decode({"$t": "slice", "v": ["0", 1, None]})
