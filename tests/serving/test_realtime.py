"""Tests for mlserving_lab.serving.realtime: RealTimePredictor and its counters.
Correctness only: no timing assertions. Fixtures ``data``, ``lr``, ... are in conftest.py."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from mlserving_lab.serving import RealTimePredictor


class FlakyModel:
    """Wraps a model and raises for rows whose first feature is above a threshold."""

    def __init__(self, model, threshold=1.0):
        self.model = model
        self.threshold = threshold
        self.n_features_in_ = model.n_features_in_

    def predict(self, X):
        X = np.asarray(X)
        if (X[:, 0] > self.threshold).any():
            raise RuntimeError("feature store timeout")
        return self.model.predict(X)


# ---------------------------------------------------------------------------------------------
# real-time predictor
# ---------------------------------------------------------------------------------------------
def test_real_time_matches_model_and_counts(data, lr):
    X_test = data[1]
    rt = RealTimePredictor(lr)
    np.testing.assert_array_equal(rt.predict(X_test[:5]), lr.predict(X_test[:5]))
    assert rt.predict_one(X_test[7]) == lr.predict(X_test[7:8])[0]
    assert rt(X_test[:1]).shape == (1,)
    s = rt.stats
    assert (s.n_requests, s.n_ok, s.n_fallbacks, s.n_rejected, s.n_errors) == (3, 3, 0, 0, 0)
    report = rt.latency_report()
    assert report.n_runs == 3 and report.p99_ms >= report.p50_ms
    assert "requests=3" in repr(rt)
    rt.reset_stats()
    assert rt.stats.n_requests == 0


def test_real_time_dataframe_model_accepts_dict_series_and_reorders(frame_data, lr_frame):
    Xf = frame_data[1]
    rt = RealTimePredictor(lr_frame)
    row = Xf.iloc[3]
    want = lr_frame.predict(Xf.iloc[3:4])[0]
    assert rt.predict_one(row.to_dict()) == want
    assert rt.predict_one(row) == want
    shuffled = Xf.iloc[:4][list(reversed(Xf.columns))]
    np.testing.assert_array_equal(rt.predict(shuffled), lr_frame.predict(Xf.iloc[:4]))
    # a plain array is taken in training column order
    assert rt.predict_one(row.to_numpy()) == want


def test_real_time_rejects_bad_requests_and_counts_them(data, lr, frame_data, lr_frame):
    rt = RealTimePredictor(lr, fallback=0)
    with pytest.raises(ValueError, match="5 features.*fitted on 6"):
        rt.predict(np.ones((1, 5)))
    with pytest.raises(ValueError, match="NaN"):
        rt.predict(np.array([[np.nan] + [0.0] * 5]))
    with pytest.raises(TypeError, match="non-numeric|not numbers|holds"):
        rt.predict([["a"] * 6])
    with pytest.raises(TypeError, match="dict request"):
        rt.predict({"a": 1.0})
    assert rt.stats.n_rejected == 4 and rt.stats.n_fallbacks == 0
    rtf = RealTimePredictor(lr_frame)
    row = frame_data[1].iloc[0].to_dict()
    del row["f2"]
    row["surprise"] = 1.0
    with pytest.raises(ValueError, match=r"missing feature\(s\) \['f2'\].*unexpected.*surprise"):
        rtf.predict(row)


def test_real_time_fallback_is_counted_and_logged(data, lr, caplog):
    X_test = data[1]
    flaky = FlakyModel(lr, threshold=1.0)
    rt = RealTimePredictor(flaky, fallback=-1)
    bad = X_test[X_test[:, 0] > 1.0][:3]
    good = X_test[X_test[:, 0] <= 1.0][:4]
    with caplog.at_level(logging.WARNING, logger="mlserving_lab.serving"):
        out = rt.predict(bad)
    np.testing.assert_array_equal(out, [-1, -1, -1])
    np.testing.assert_array_equal(rt.predict(good), lr.predict(good))
    assert rt.stats.n_fallbacks == 1 and rt.stats.n_ok == 1
    assert "feature store timeout" in caplog.text and "fallback" in caplog.text
    # vector fallback for predict_proba-like outputs, and a callable fallback
    rt2 = RealTimePredictor(flaky, fallback=lambda X: np.zeros(len(X), dtype=int))
    np.testing.assert_array_equal(rt2.predict(bad), [0, 0, 0])
    assert rt2.stats.n_fallbacks == 1


def test_real_time_without_fallback_reraises_and_counts(data, lr, caplog):
    X_test = data[1]
    rt = RealTimePredictor(FlakyModel(lr, threshold=-100))
    with caplog.at_level(logging.ERROR, logger="mlserving_lab.serving"):
        with pytest.raises(RuntimeError, match="feature store timeout"):
            rt.predict(X_test[:1])
    assert rt.stats.n_errors == 1 and rt.stats.n_fallbacks == 0
    assert "no fallback configured" in caplog.text


@pytest.mark.parametrize("lock_model", [False, True])
def test_real_time_is_thread_safe(data, forest, lock_model):
    X_test = data[1]
    flaky = FlakyModel(forest, threshold=1.5)
    rt = RealTimePredictor(flaky, fallback=-1, lock_model=lock_model)
    expected = [(-1 if X_test[i, 0] > 1.5 else forest.predict(X_test[i:i + 1])[0])
                for i in range(len(X_test))]
    n_threads, per_thread = 8, 40
    errors, results = [], {}
    barrier = threading.Barrier(n_threads)

    def worker(t):
        try:
            barrier.wait()
            for k in range(per_thread):
                i = (t * per_thread + k) % len(X_test)
                results[(t, k)] = (i, rt.predict_one(X_test[i]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert all(pred == expected[i] for i, pred in results.values())
    s = rt.stats
    n_fb = sum(1 for i, _ in results.values() if X_test[i, 0] > 1.5)
    assert s.n_requests == n_threads * per_thread
    assert s.n_fallbacks == n_fb and s.n_ok == n_threads * per_thread - n_fb
    assert rt.latency_report().n_runs == n_threads * per_thread


class _StubSchema:
    """Duck-typed schema: validate(X) returns model-ready data or raises ValueError."""

    def __init__(self, n_features):
        self.n_features = n_features
        self.calls = 0

    def validate(self, X):
        self.calls += 1
        arr = np.asarray(X, dtype=float)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        if arr.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} columns, got {arr.shape[1]}")
        return arr


def test_real_time_uses_a_duck_typed_schema(data, lr):
    X_test = data[1]
    schema = _StubSchema(6)
    rt = RealTimePredictor(lr, schema=schema)
    assert rt.predict_one(X_test[0]) == lr.predict(X_test[:1])[0]
    assert rt.predict_one(list(X_test[1])) == lr.predict(X_test[1:2])[0]  # 1-D -> one row
    with pytest.raises(ValueError, match="expected 6 columns"):
        rt.predict(np.ones((1, 4)))
    assert schema.calls == 3 and rt.stats.n_rejected == 1
    with pytest.raises(TypeError, match="validate"):
        RealTimePredictor(lr, schema=object())


def test_real_time_with_input_schema(frame_data, lr_frame):
    from mlserving_lab.schema import InputSchema

    X_train, X_test = frame_data[0], frame_data[1]
    rt = RealTimePredictor(lr_frame, schema=InputSchema.from_training(X_train))
    np.testing.assert_array_equal(rt.predict(X_test.iloc[:3]), lr_frame.predict(X_test.iloc[:3]))
    # one row as a Series or as a dict goes through the schema too
    assert rt.predict_one(X_test.iloc[4]) == lr_frame.predict(X_test.iloc[4:5])[0]
    assert rt.predict_one(X_test.iloc[4].to_dict()) == lr_frame.predict(X_test.iloc[4:5])[0]
    with pytest.raises((ValueError, TypeError), match="f1"):
        rt.predict(X_test.iloc[:1].drop(columns="f1"))
    assert rt.stats.n_rejected == 1


def test_real_time_from_path_loads_once(tmp_path, lr, data):
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump(lr, path)
    calls = []

    def loader(p):
        calls.append(p)
        return joblib.load(p)

    rt = RealTimePredictor.from_path(path, loader=loader, fallback=0)
    rt.warm_up(data[1][:1])
    for row in data[1][:5]:
        rt.predict_one(row)
    assert len(calls) == 1 and rt.stats.n_requests == 5
    with pytest.raises(FileNotFoundError, match="no model file"):
        RealTimePredictor.from_path(tmp_path / "missing.joblib")
    with pytest.raises(ValueError, match="no requests"):
        RealTimePredictor(lr).latency_report()


def test_real_time_predictor_pickles_with_its_stats(data, lr):
    import pickle

    X_test = data[1]
    rt = RealTimePredictor(lr, lock_model=True)
    rt.predict(X_test[:2])
    copy = pickle.loads(pickle.dumps(rt))
    np.testing.assert_array_equal(copy.predict(X_test[:3]), lr.predict(X_test[:3]))
    assert copy.stats.n_requests == 2 and copy._model_lock is not None
