"""Tests for mlserving_lab.serving.stream: simulate_event_stream and MicroBatchPredictor.
Correctness only: no timing assertions. Fixtures ``data``, ``lr``, ... are in conftest.py."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from mlserving_lab.serving import MicroBatchPredictor, simulate_event_stream


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
