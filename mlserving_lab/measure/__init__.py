"""Measure models: one-row latency percentiles, size on disk, and one table for a set of models.

Every lesson that compares models uses the same pieces, so a number in one lesson means the
same thing in the next:

- :func:`benchmark_latency` times a predict function on distinct requests after a warm-up and
  returns a :class:`LatencyReport` (p50 / p95 / p99, mean, max, throughput);
  :func:`round_robin_latency` does the same for several functions at once, interleaved;
- :func:`serialized_size` is the size in bytes of an object in its natural file format;
  ``size_kb`` is always that number divided by 1024 (KiB);
- :func:`measure_models` measures a dict of models into one pandas table (accuracy, agreement
  with a reference, size, latency), timing them round-robin so that noise on a shared machine
  hits all of them alike; :func:`compare_models` is that table with the first model as the
  reference.

The code lives in ``latency`` (timing) and ``models`` (sizes and tables); import the names
from here.
"""

from __future__ import annotations

from mlserving_lab.measure.latency import (
    LatencyReport,
    benchmark_latency,
    format_ms,
    round_robin_latency,
)
from mlserving_lab.measure.models import (
    compare_models,
    measure_models,
    model_outputs,
    serialized_size,
)

__all__ = [
    "LatencyReport",
    "benchmark_latency",
    "compare_models",
    "format_ms",
    "measure_models",
    "model_outputs",
    "round_robin_latency",
    "serialized_size",
]
