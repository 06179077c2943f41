"""Tests for mlserving_lab.serving.patterns: the serving-pattern decision helper."""

from __future__ import annotations

import pytest

from mlserving_lab.serving import ServingDecision, choose_serving_pattern


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
