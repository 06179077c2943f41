"""Tests for mlserving_lab.serving.batch: batch_predict, iter_batch_predict and dask_predict.
Correctness only: no timing assertions. Fixtures ``data``, ``lr``, ... are in conftest.py."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd
import pytest
from _fake_models import CountingModel
from sklearn.linear_model import LinearRegression, LogisticRegression

from mlserving_lab.serving import batch_predict, dask_predict, iter_batch_predict


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
