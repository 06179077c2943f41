"""Warm-up questions for ``00_start_here``: latency statistics and the four check outcomes."""

from __future__ import annotations

import math

import numpy as np

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call, expect_number

#: Latencies (ms) of ten requests to a model server, used by the warm-up questions.
LATENCIES_MS = [4.1, 3.8, 5.0, 4.4, 3.9, 41.0, 4.2, 4.0, 4.6, 3.7]


def _check_mean(mean_ms):
    mean_ms = expect_number(mean_ms, "mean_ms")
    want = float(np.mean(LATENCIES_MS))
    median = float(np.median(LATENCIES_MS))
    if math.isclose(mean_ms, want, rel_tol=1e-6):
        return (f"Correct: the mean is {want:.2f} ms, far above the median ({median:.2f} ms). "
                "One slow request (41 ms) drags the mean up, which is why serving teams "
                "report percentiles.")
    if math.isclose(mean_ms, median, rel_tol=1e-6):
        raise Incorrect(f"your value ({mean_ms:.2f} ms) is the median, not the mean: add the "
                        "latencies up and divide by how many there are")
    if math.isclose(mean_ms, sum(LATENCIES_MS), rel_tol=1e-6):
        raise Incorrect(f"your value ({mean_ms:.1f} ms) is the sum of the latencies; divide by "
                        f"the number of requests ({len(LATENCIES_MS)})")
    raise Incorrect(f"your mean ({mean_ms:.2f} ms) does not match the data: the mean of "
                    "`LATENCIES_MS` is its sum divided by its length")


def _check_percentiles(p50_ms, p99_ms):
    p50 = expect_number(p50_ms, "p50_ms")
    p99 = expect_number(p99_ms, "p99_ms")
    if p99 < p50:
        raise Incorrect(f"your p99 ({p99:.1f} ms) is below your p50 ({p50:.1f} ms): "
                        "percentiles must grow")
    want50, want99 = np.percentile(LATENCIES_MS, [50, 99])
    if not math.isclose(p50, want50, rel_tol=1e-6):
        if math.isclose(p50, float(np.mean(LATENCIES_MS)), rel_tol=1e-6):
            raise Incorrect(f"your p50 ({p50:.2f} ms) is the mean; p50 is the median, the "
                            "middle value once the latencies are sorted")
        raise Incorrect(f"your p50 ({p50:.2f} ms) is not the median of `LATENCIES_MS`; try "
                        "`np.percentile(LATENCIES_MS, 50)`")
    if not math.isclose(p99, want99, rel_tol=1e-6):
        if math.isclose(p99, max(LATENCIES_MS), rel_tol=1e-6):
            raise Incorrect(f"your p99 ({p99:.1f} ms) is the maximum; with numpy's default "
                            "linear interpolation p99 lies a little below the maximum")
        raise Incorrect(f"your p99 ({p99:.2f} ms) does not match `np.percentile(LATENCIES_MS, "
                        "99)`")
    return (f"Correct: p50 = {p50:.2f} ms, p99 = {p99:.2f} ms. The p99 is nearly ten times "
            "the median: the tail is what a latency budget has to cover.")


def check_within_budget_on(within_budget, cases) -> None:
    """Call the learner's ``within_budget`` on each ``(latencies, budget)`` and compare."""
    for latencies, budget in cases:
        got = call(within_budget, latencies.copy(), budget)
        want = float(np.mean(latencies <= budget)) if len(latencies) else 0.0
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise Incorrect(f"`within_budget` returned {type(got).__name__} `{got!r:.60}`; "
                            "it should return a fraction between 0 and 1") from None
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            shown = np.array2string(latencies[:6], precision=2, separator=", ")
            at_budget = bool(len(latencies)) and bool(np.any(latencies == budget))
            raise Incorrect((
                f"for latencies {shown}{' ...' if len(latencies) > 6 else ''} and budget "
                f"{budget} ms your function returned {got:.4g}, expected {want:.4g}. "
                + ("A request that takes exactly the budget is within it. "
                   if at_budget else "")
                + ("An empty window has no requests: return 0.0. " if not len(latencies)
                   else "")
                + ("That is a percentage: return a fraction between 0 and 1. "
                   if want > 0 and math.isclose(got, 100 * want, rel_tol=1e-9) else "")
            ).strip())


def _check_within_budget(within_budget):
    rng = np.random.default_rng(7)
    check_within_budget_on(within_budget, [
        (np.array([1.0, 2.0, 3.0, 50.0]), 10.0),
        (np.array([5.0, 5.0]), 5.0),
        (np.array([]), 1.0),
        (rng.exponential(3.0, size=200), 4.0),
    ])
    return "Correct: your function handles ties at the budget and an empty window."


q1 = Question(
    "q1",
    prompt="Compute the mean of `LATENCIES_MS` (milliseconds) and store it, in "
           "milliseconds, in `mean_ms`.",
    answers=("mean_ms",),
    checker=_check_mean,
    hint="`np.mean` takes a list.",
)

q2 = Question(
    "q2",
    prompt="Compute the 50th and 99th percentiles of `LATENCIES_MS`, in milliseconds, as "
           "`p50_ms` and `p99_ms`, with numpy's default linear interpolation "
           "(`np.percentile`).",
    answers=("p50_ms", "p99_ms"),
    checker=_check_percentiles,
    hint="`np.percentile(values, [50, 99])` returns both at once.",
)

q3 = Question(
    "q3",
    prompt="Write `within_budget(latencies_ms, budget_ms)`: `latencies_ms` is a 1-D numpy "
           "array of milliseconds; return the fraction (0 to 1, not a percentage) of requests "
           "that took at most `budget_ms` milliseconds. A request of exactly `budget_ms` is "
           "within the budget; an empty array returns 0.0.",
    answers=("within_budget",),
    checker=_check_within_budget,
    hint="A comparison such as `latencies_ms <= budget_ms` gives booleans; their mean is a "
         "fraction. Handle `len(latencies_ms) == 0` first.",
    points=2,
)


def _check_double(double):
    for x in (0, 3, -2.5, 10**6):
        got = call(double, x)
        if got != 2 * x:
            raise Incorrect(f"`double({x!r})` returned {got!r}, expected {2 * x!r}")
    return "Correct: `double` doubles every number we tried."


#: A demonstration question (not graded): shows what every outcome looks like.
demo = Question(
    "demo",
    prompt="Write `double(x)` that returns twice `x`.",
    answers=("double",),
    checker=_check_double,
    hint="Multiply by two.",
)

EXERCISE = Exercise("l00_start_here", [q1, q2, q3])
