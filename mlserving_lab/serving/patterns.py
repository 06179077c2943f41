"""Choosing a serving pattern from the requirements (lesson 03).

Public API
----------
choose_serving_pattern  the decision helper: requirements -> batch / real-time / streaming ...
ServingDecision         the pattern and the reason for it
SERVING_PATTERNS        every pattern the helper can answer
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SERVING_PATTERNS", "ServingDecision", "choose_serving_pattern"]


@dataclass(frozen=True)
class ServingDecision:
    """A serving pattern and the reason for it (from :func:`choose_serving_pattern`).

    Attributes
    ----------
    pattern : str
        One of "batch", "hybrid", "streaming", "real-time", "near-real-time".
    reason : str
        One or two sentences explaining the choice from the requirements given.
    """

    pattern: str
    reason: str

    def __str__(self) -> str:
        return f"{self.pattern}: {self.reason}"


SERVING_PATTERNS = ("batch", "hybrid", "streaming", "real-time", "near-real-time")


def choose_serving_pattern(*, precomputable, latency_budget_ms: float | None = None,
                           continuous_stream: bool = False,
                           sync_threshold_ms: float = 200.0) -> ServingDecision:
    """Map serving requirements to a serving pattern, with the reason.

    Lesson 03. The questions are asked in this order:

    1. Can every prediction be computed ahead of time (all inputs known before anyone asks)?
       Yes -> ``"batch"``: score on a schedule, serve lookups. ``"partial"`` -> ``"hybrid"``:
       a batch base plus a real-time layer for the request-time part.
    2. Do the inputs arrive as a continuous stream of events? -> ``"streaming"``.
    3. Otherwise the latency budget decides: below ``sync_threshold_ms`` -> ``"real-time"``
       (synchronous API), else ``"near-real-time"`` (asynchronous queue).

    The stream question comes before the latency question on purpose: asked the other way
    round (as in the syllabus's tree), every stream with a tight budget would be sent to a
    request/response API, although its events have no caller waiting on a socket.

    Parameters
    ----------
    precomputable : bool or "partial"
        Whether all predictions can be precomputed.
    latency_budget_ms : float, optional
        End-to-end budget for one prediction. Required when the answer depends on it.
    continuous_stream : bool, default False
        Whether inputs arrive as a continuous event stream.
    sync_threshold_ms : float, default 200
        Budgets below this need a synchronous (real-time) path.

    Returns
    -------
    ServingDecision

    Raises
    ------
    TypeError
        If ``precomputable`` is not a bool or "partial", or ``continuous_stream`` is not bool.
    ValueError
        If a budget is needed but missing, or a budget/threshold is not a positive number.

    Examples
    --------
    >>> choose_serving_pattern(precomputable=False, latency_budget_ms=50).pattern
    'real-time'
    >>> choose_serving_pattern(precomputable=True).pattern
    'batch'
    """
    if not (isinstance(precomputable, (bool, np.bool_)) or precomputable == "partial"):
        raise TypeError(f"precomputable must be True, False or 'partial', got "
                        f"{precomputable!r}")
    if not isinstance(continuous_stream, (bool, np.bool_)):
        raise TypeError(f"continuous_stream must be True or False, got {continuous_stream!r}")
    for label, value in (("latency_budget_ms", latency_budget_ms),
                         ("sync_threshold_ms", sync_threshold_ms)):
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{label} must be a positive number of milliseconds, got "
                             f"{value!r}")
    budget = "" if latency_budget_ms is None else f" (budget {latency_budget_ms:g} ms)"

    if precomputable is True or precomputable is np.True_:
        return ServingDecision("batch", "every input is known ahead of time, so score them all "
                               "on a schedule and serve stored predictions; the request path "
                               f"only does a lookup, which meets any budget{budget}.")
    if precomputable == "partial":
        return ServingDecision("hybrid", "part of the prediction can be precomputed: score "
                               "that part in batch and add a real-time layer for the features "
                               f"that only exist at request time{budget}.")
    if continuous_stream:
        extra = (f"; keep the micro-batch small enough that waiting plus scoring stays under "
                 f"{latency_budget_ms:g} ms per event") if latency_budget_ms is not None else ""
        return ServingDecision("streaming", "inputs arrive as a continuous event stream with "
                               "no caller waiting, so score them as they flow (one by one or "
                               f"in micro-batches){extra}.")
    if latency_budget_ms is None:
        raise ValueError("latency_budget_ms is needed: predictions cannot be precomputed and "
                         "there is no stream, so the budget decides between real-time and "
                         "near-real-time")
    if latency_budget_ms < sync_threshold_ms:
        return ServingDecision("real-time", f"a caller waits for the answer and the budget "
                               f"({latency_budget_ms:g} ms) is below {sync_threshold_ms:g} ms, "
                               "so serve a preloaded model behind a synchronous API.")
    return ServingDecision("near-real-time", f"the budget ({latency_budget_ms:g} ms) leaves "
                           f"at least {sync_threshold_ms:g} ms, so put requests on a queue and "
                           "score them asynchronously; this absorbs bursts and lets workers "
                           "batch.")
