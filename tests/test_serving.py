"""Tests for mlserving_lab.serving: batch, Dask, streaming and real-time serving, the latency
harness and the decision helper. Correctness only: no timing assertions."""

from __future__ import annotations

import itertools
import logging
import math
import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.measure import LatencyReport, benchmark_latency
from mlserving_lab.serving import (
    MicroBatchPredictor,
    RealTimePredictor,
    ServingDecision,
    batch_predict,
    choose_serving_pattern,
    dask_predict,
    iter_batch_predict,
    simulate_event_stream,
)


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data():
    return make_classification_split(n_samples=1200, n_features=6, n_informative=4)


@pytest.fixture(scope="module")
def lr(data):
    X_train, _, y_train, _ = data
    return LogisticRegression(max_iter=500).fit(X_train, y_train)


@pytest.fixture(scope="module")
def frame_data():
    return make_classification_split(n_samples=600, n_features=5, n_informative=3,
                                     as_frame=True)


@pytest.fixture(scope="module")
def lr_frame(frame_data):
    X_train, _, y_train, _ = frame_data
    return LogisticRegression(max_iter=500).fit(X_train, y_train)


@pytest.fixture(scope="module")
def forest(data):
    X_train, _, y_train, _ = data
    return RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0).fit(
        X_train, y_train)


class CountingModel:
    """Records every batch it sees (size and identity)."""

    def __init__(self):
        self.sizes = []
        self.ids = []

    def predict(self, X):
        self.sizes.append(len(X))
        self.ids.append(id(X))
        return np.asarray(X)[:, 0] * 2


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
# benchmark_latency / LatencyReport
# ---------------------------------------------------------------------------------------------
def test_benchmark_report_fields_are_consistent(data, lr):
    X_test = data[1]
    r = benchmark_latency(lr.predict, X_test, n_runs=50, warmup=5)
    assert isinstance(r, LatencyReport)
    assert r.n_runs == 50 and r.batch_size == 1
    assert r.samples_ms.shape == (50,)
    assert 0 < r.p50_ms <= r.p95_ms <= r.p99_ms <= r.max_ms
    assert r.mean_ms == pytest.approx(r.samples_ms.mean())
    assert r.throughput_rows_s == pytest.approx(50 / (r.samples_ms.sum() / 1e3))
    assert set(r.to_dict()) == {"p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms",
                                "throughput_rows_s", "n_runs", "batch_size"}


def test_benchmark_warms_up_first_and_reuses_pre_sliced_batches():
    m = CountingModel()
    X = np.arange(40.0).reshape(20, 2)
    r = benchmark_latency(m.predict, X, n_runs=12, warmup=3, batch_size=4)
    assert len(m.sizes) == 3 + 12
    assert set(m.sizes) == {4}
    # 20 rows / 4 = 5 distinct batches, sliced once: call k and call k+5 get the same object.
    timed_ids = m.ids[3:]
    assert len(set(timed_ids)) == 5
    assert timed_ids[0] == timed_ids[5] == timed_ids[10]
    assert r.throughput_rows_s > 0 and r.batch_size == 4


def test_benchmark_keeps_dataframes(frame_data, lr_frame):
    seen = []

    def fn(batch):
        seen.append(type(batch))
        return lr_frame.predict(batch)

    benchmark_latency(fn, frame_data[1], n_runs=5, warmup=1)
    assert set(seen) == {pd.DataFrame}


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(predict_fn="model.predict"), TypeError, "callable"),
        (dict(predict_fn=None), TypeError, "callable"),
        (dict(X=np.empty((0, 3))), ValueError, "empty"),
        (dict(X=np.ones(3)), ValueError, "2-D.*shape \\(3,\\)"),
        (dict(X=np.ones((2, 2, 2))), ValueError, "2-D"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size=-2), ValueError, "batch_size"),
        (dict(batch_size=1.5), TypeError, "batch_size"),
        (dict(n_runs=0), ValueError, "n_runs"),
        (dict(warmup=-1), ValueError, "warmup"),
        (dict(batch_size=11), ValueError, "larger than X.*10 rows"),
    ],
)
def test_benchmark_rejects_bad_input(kwargs, exc, match):
    args = dict(predict_fn=lambda b: b, X=np.ones((10, 3)))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        benchmark_latency(**args)


def test_report_plot_repr_and_from_samples():
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    r = LatencyReport.from_samples([1.0, 2.0, 3.0, 4.0, 50.0], name="demo")
    assert r.p50_ms == 3.0 and r.max_ms == 50.0
    for kind in ("hist", "ecdf"):
        ax = r.plot(kind=kind)
        assert isinstance(ax, Axes)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any(s.startswith("p99") for s in labels)
        plt.close(ax.figure)
    fig, ax = plt.subplots()
    assert r.plot(ax=ax) is ax
    plt.close(fig)
    assert "p99=" in repr(r) and "demo" in repr(r)
    assert "<table>" in r._repr_html_()
    with pytest.raises(ValueError, match="kind"):
        r.plot(kind="violin")
    with pytest.raises(ValueError, match="empty"):
        LatencyReport.from_samples([])
    with pytest.raises(ValueError, match="non-negative"):
        LatencyReport.from_samples([1.0, float("nan")])


# ---------------------------------------------------------------------------------------------
# batch_predict
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [1, 7, 100, 299, 300, 10_000])
def test_batch_predict_equals_predict(data, lr, batch_size):
    X_test = data[1]
    np.testing.assert_array_equal(batch_predict(lr, X_test, batch_size=batch_size),
                                  lr.predict(X_test))


def test_batch_predict_other_methods_and_dataframes(data, lr, frame_data, lr_frame):
    X_test = data[1]
    np.testing.assert_allclose(batch_predict(lr, X_test, batch_size=64, method="predict_proba"),
                               lr.predict_proba(X_test))
    np.testing.assert_allclose(
        batch_predict(lr, X_test, batch_size=64, method="decision_function"),
        lr.decision_function(X_test))
    Xf = frame_data[1]
    np.testing.assert_array_equal(batch_predict(lr_frame, Xf, batch_size=50),
                                  lr_frame.predict(Xf))
    # a list of rows is a table too
    rows = X_test[:20].tolist()
    np.testing.assert_array_equal(batch_predict(lr, rows, batch_size=6), lr.predict(X_test[:20]))


def test_batch_predict_never_sends_more_than_batch_size_rows():
    m = CountingModel()
    X = np.arange(2002.0).reshape(1001, 2)
    out = batch_predict(m, X, batch_size=100)
    assert max(m.sizes) == 100 and sum(m.sizes) == 1001 and len(m.sizes) == 11
    np.testing.assert_array_equal(out, X[:, 0] * 2)


def test_batch_predict_chunk_iterables(data, lr, tmp_path):
    X_test = data[1]
    expected = lr.predict(X_test)

    def gen():
        for i in range(0, len(X_test), 130):
            yield X_test[i:i + 130]

    np.testing.assert_array_equal(batch_predict(lr, gen(), batch_size=50), expected)
    # a list of chunks, one of them empty
    chunks = [X_test[:100], X_test[100:100], X_test[100:]]
    np.testing.assert_array_equal(batch_predict(lr, chunks, batch_size=64), expected)
    # a CSV read in pieces: the whole file is never in memory
    path = tmp_path / "rows.csv"
    pd.DataFrame(X_test, columns=[f"x{i}" for i in range(X_test.shape[1])]).to_csv(
        path, index=False)
    with pd.read_csv(path, chunksize=77) as reader:
        got = batch_predict(lr, (c.to_numpy() for c in reader), batch_size=40)
    np.testing.assert_array_equal(got, expected)


def test_iter_batch_predict_is_lazy_on_endless_streams(lr, data):
    X_test = data[1]
    endless = itertools.cycle([X_test[:10]])
    first = list(itertools.islice(iter_batch_predict(lr, endless, batch_size=4), 5))
    assert [len(p) for p in first] == [4, 4, 2, 4, 4]


def test_batch_predict_parallel_matches_serial(data, forest):
    X_test = data[1]
    serial = batch_predict(forest, X_test, batch_size=37, method="predict_proba")
    parallel = batch_predict(forest, X_test, batch_size=37, method="predict_proba", n_jobs=2)
    np.testing.assert_array_equal(serial, parallel)
    gen = (X_test[i:i + 90] for i in range(0, len(X_test), 90))
    np.testing.assert_array_equal(batch_predict(forest, gen, batch_size=25, n_jobs=2),
                                  forest.predict(X_test))


def test_batch_predict_progress_bar(data, lr, capsys):
    X_test = data[1]
    out = batch_predict(lr, X_test, batch_size=50, progress=True)
    np.testing.assert_array_equal(out, lr.predict(X_test))
    assert "scoring" in capsys.readouterr().err
    batch_predict(lr, X_test, batch_size=50, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "X, kwargs, exc, match",
    [
        (np.empty((0, 6)), {}, ValueError, "empty"),
        (np.ones(6), {}, ValueError, "2-D"),
        (np.ones((5, 6)), dict(batch_size=0), ValueError, "batch_size"),
        (np.ones((5, 6)), dict(n_jobs=0), ValueError, "n_jobs"),
        (np.ones((5, 6)), dict(method="predict_probz"), TypeError, "predict_probz"),
        (iter([]), {}, ValueError, "no rows"),
        (iter([np.ones((3, 6)), np.ones((3, 5))]), {}, ValueError, "chunk 1 has 5 columns"),
        (iter([np.ones(6)]), {}, ValueError, "chunk 0 must be 2-D"),
        (42, {}, TypeError, "2-D array"),
    ],
)
def test_batch_predict_rejects_bad_input(lr, X, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        batch_predict(lr, X, **kwargs)


def test_batch_predict_unfitted_model_is_named():
    with pytest.raises(ValueError, match="LogisticRegression.*not fitted"):
        batch_predict(LogisticRegression(), np.ones((3, 2)))


def test_batch_predict_regression_output(data):
    X_train, X_test, y_train, _ = data
    reg = LinearRegression().fit(X_train, y_train.astype(float))
    np.testing.assert_allclose(batch_predict(reg, X_test, batch_size=33), reg.predict(X_test))


# ---------------------------------------------------------------------------------------------
# Dask
# ---------------------------------------------------------------------------------------------
def test_dask_predict_in_process(data, lr, frame_data, lr_frame):
    X_test = data[1]
    lazy = dask_predict(lr, X_test, npartitions=3)
    got = lazy.compute(scheduler="synchronous")
    np.testing.assert_array_equal(got.to_numpy(), lr.predict(X_test))
    proba = dask_predict(lr, X_test, method="predict_proba", npartitions=3).compute(
        scheduler="synchronous")
    assert list(proba.columns) == ["proba_0", "proba_1"]
    np.testing.assert_allclose(proba.to_numpy(), lr.predict_proba(X_test))

    import dask.dataframe as dd

    Xf = frame_data[1]
    ddf = dd.from_pandas(Xf, npartitions=4)
    got = dask_predict(lr_frame, ddf).compute(scheduler="synchronous")
    pd.testing.assert_index_equal(got.index, Xf.index)
    np.testing.assert_array_equal(got.to_numpy(), lr_frame.predict(Xf))


def test_iter_batch_predict_checks_arguments_when_called(lr):
    with pytest.raises(ValueError, match="batch_size"):
        iter_batch_predict(lr, np.ones((3, 6)), batch_size=0)  # no iteration needed


def test_dask_predict_rejects_bad_input(lr):
    with pytest.raises(ValueError, match="7 columns.*fitted on 6"):
        dask_predict(lr, np.ones((4, 7)))
    with pytest.raises(ValueError, match="empty"):
        dask_predict(lr, np.empty((0, 6)))
    with pytest.raises(TypeError, match="nope"):
        dask_predict(lr, np.ones((4, 6)), method="nope")


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.mark.slow
def test_dask_predict_on_local_cluster_equals_in_process(data, forest, dask_client):
    X_test = data[1]
    assert len(dask_client.scheduler_info()["workers"]) == 2
    lazy = dask_predict(forest, X_test, method="predict_proba", npartitions=4)
    got = dask_client.compute(lazy).result()
    np.testing.assert_array_equal(got.to_numpy(), batch_predict(forest, X_test,
                                                                 method="predict_proba"))
    labels = dask_client.compute(dask_predict(forest, X_test, npartitions=4)).result()
    np.testing.assert_array_equal(labels.to_numpy(), forest.predict(X_test))


# ---------------------------------------------------------------------------------------------
# streaming / micro-batch
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [1, 8, 50])
def test_micro_batch_predictions_and_latencies(data, lr, batch_size):
    X_test = data[1][:120]
    mb = MicroBatchPredictor(lr, batch_size=batch_size)
    pairs = list(mb.run(simulate_event_stream(X_test)))
    assert [e is not None for e, _ in pairs] == [True] * 120
    np.testing.assert_array_equal(np.array([p for _, p in pairs]), lr.predict(X_test))
    assert mb.n_events == 120 and mb.n_batches == math.ceil(120 / batch_size)
    assert mb.latencies_ms.shape == (120,) and (mb.latencies_ms >= 0).all()
    report = mb.latency_report()
    assert report.n_runs == 120 and report.batch_size == batch_size
    assert report.p99_ms >= report.p50_ms


def test_micro_batch_dict_events_with_dataframe_model(frame_data, lr_frame):
    Xf = frame_data[1].iloc[:30]
    preds, report = MicroBatchPredictor(lr_frame, batch_size=4).predict_stream(
        simulate_event_stream(Xf))
    np.testing.assert_array_equal(preds, lr_frame.predict(Xf))
    assert report.n_runs == 30


def test_micro_batch_max_wait_flushes_partial_batches(data, lr):
    X_test = data[1][:6]

    def slow_events():
        for row in X_test:
            yield row
            threading.Event().wait(0.01)

    mb = MicroBatchPredictor(lr, batch_size=100, max_wait_ms=1)
    preds, _ = mb.predict_stream(slow_events())
    np.testing.assert_array_equal(preds, lr.predict(X_test))
    assert mb.n_batches > 1  # without max_wait all 6 events would wait for one batch


def test_simulated_stream_rate_and_errors(data):
    X_test = data[1]
    assert len(list(simulate_event_stream(X_test[:3], n_events=7))) == 7
    events = list(simulate_event_stream(X_test[:5], rate_per_s=5000))
    assert len(events) == 5
    with pytest.raises(ValueError, match="rate_per_s"):
        list(simulate_event_stream(X_test, rate_per_s=0))
    with pytest.raises(ValueError, match="empty"):
        list(simulate_event_stream(np.empty((0, 3))))


def test_micro_batch_bad_events(lr):
    mb = MicroBatchPredictor(lr, batch_size=2)
    with pytest.raises(ValueError, match="different lengths"):
        list(mb.run([np.ones(6), np.ones(5)]))
    with pytest.raises(TypeError, match="feature_names"):
        list(mb.run([{"a": 1.0}]))
    with pytest.raises(ValueError, match="no events"):
        MicroBatchPredictor(lr).latency_report()
    with pytest.raises(ValueError, match="batch_size"):
        MicroBatchPredictor(lr, batch_size=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        MicroBatchPredictor(lr, max_wait_ms=-1)


def test_micro_batch_missing_feature_in_dict_event(lr_frame):
    mb = MicroBatchPredictor(lr_frame)
    with pytest.raises(ValueError, match="missing feature.*f4"):
        list(mb.run([{"f0": 1.0, "f1": 2.0, "f2": 0.0, "f3": 1.0}]))


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


def test_real_time_with_skew_input_schema(frame_data, lr_frame):
    skew = pytest.importorskip("mlserving_lab.skew")
    if not hasattr(skew, "InputSchema"):
        pytest.skip("mlserving_lab.skew.InputSchema not available yet")
    X_train, X_test = frame_data[0], frame_data[1]
    rt = RealTimePredictor(lr_frame, schema=skew.InputSchema.from_training(X_train))
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


# ---------------------------------------------------------------------------------------------
# decision helper
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(precomputable=True), "batch"),
        (dict(precomputable=True, latency_budget_ms=5), "batch"),
        (dict(precomputable="partial", latency_budget_ms=50), "hybrid"),
        (dict(precomputable=False, continuous_stream=True), "streaming"),
        (dict(precomputable=False, continuous_stream=True, latency_budget_ms=50), "streaming"),
        (dict(precomputable=False, latency_budget_ms=50), "real-time"),
        (dict(precomputable=False, latency_budget_ms=199.9), "real-time"),
        (dict(precomputable=False, latency_budget_ms=200), "near-real-time"),
        (dict(precomputable=False, latency_budget_ms=5000), "near-real-time"),
        (dict(precomputable=False, latency_budget_ms=300, sync_threshold_ms=500), "real-time"),
    ],
)
def test_choose_serving_pattern(kwargs, pattern):
    d = choose_serving_pattern(**kwargs)
    assert isinstance(d, ServingDecision)
    assert d.pattern == pattern
    assert len(d.reason) > 20 and str(d).startswith(pattern)
    if kwargs.get("latency_budget_ms") and pattern in ("real-time", "near-real-time"):
        assert f"{kwargs['latency_budget_ms']:g} ms" in d.reason


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(precomputable=False), ValueError, "latency_budget_ms is needed"),
        (dict(precomputable="yes"), TypeError, "precomputable"),
        (dict(precomputable=False, latency_budget_ms=0), ValueError, "positive"),
        (dict(precomputable=False, latency_budget_ms=-5), ValueError, "positive"),
        (dict(precomputable=False, latency_budget_ms=float("nan")), ValueError, "positive"),
        (dict(precomputable=False, continuous_stream="no", latency_budget_ms=5), TypeError,
         "continuous_stream"),
    ],
)
def test_choose_serving_pattern_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        choose_serving_pattern(**kwargs)
