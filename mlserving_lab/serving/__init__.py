"""Serving patterns: batch, distributed batch, streaming and real-time prediction (lesson 03).

One module per pattern; every public name is re-exported here, so
``from mlserving_lab.serving import batch_predict, RealTimePredictor`` works as it always has.
The timing harness, :func:`mlserving_lab.measure.benchmark_latency`, lives in
:mod:`mlserving_lab.measure`.

Public API
----------
batch_predict           score a big table or a stream of chunks in bounded memory (``batch``)
iter_batch_predict      the same, yielding one result per batch (``batch``)
dask_predict            the same scoring on a Dask DataFrame via map_partitions (``batch``)
simulate_event_stream   replay rows of a table as events arriving at a given rate (``stream``)
MicroBatchPredictor     streaming / micro-batch scoring over an iterator of events (``stream``)
RealTimePredictor       thread-safe one-request predictor: validation, fallback, latency
                        (``realtime``)
PredictorStats          the counters of a RealTimePredictor (``realtime``)
choose_serving_pattern  the decision helper: requirements -> batch / real-time / streaming ...
                        (``patterns``)
ServingDecision         a pattern and the reason for it (``patterns``)
SERVING_PATTERNS        every pattern choose_serving_pattern can answer (``patterns``)
"""

from __future__ import annotations

# LatencyReport stays importable from here, as it was from the old serving module.
from mlserving_lab.measure import LatencyReport  # noqa: F401
from mlserving_lab.serving.batch import batch_predict, dask_predict, iter_batch_predict
from mlserving_lab.serving.patterns import (
    SERVING_PATTERNS,
    ServingDecision,
    choose_serving_pattern,
)
from mlserving_lab.serving.realtime import PredictorStats, RealTimePredictor
from mlserving_lab.serving.stream import MicroBatchPredictor, simulate_event_stream

__all__ = [
    "MicroBatchPredictor",
    "PredictorStats",
    "RealTimePredictor",
    "SERVING_PATTERNS",
    "ServingDecision",
    "batch_predict",
    "choose_serving_pattern",
    "dask_predict",
    "iter_batch_predict",
    "simulate_event_stream",
]
