"""Check-yourself questions for lesson ``03_serving_patterns`` (1 point each).

The checkers read the learner's own measurements (reports, predictor counters); they never
compare against fixed timings.
"""

from __future__ import annotations

import math

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, expect_number
from mlserving_lab.measure import LatencyReport, format_ms
from mlserving_lab.serving import SERVING_PATTERNS, RealTimePredictor, choose_serving_pattern

#: Five serving situations, described the way a product team would. Map each to a pattern.
SCENARIOS = {
    "nightly_churn_list": (
        "Each morning the retention team e-mails the customers most likely to cancel. The "
        "customer table is refreshed once a night."),
    "card_payment_check": (
        "A card payment is approved or declined while the customer waits at the till. The "
        "amount and the shop are only known at that moment; the whole answer has 80 ms."),
    "machine_vibration": (
        "Four thousand machines each send a vibration reading every second, around the clock. "
        "An unusual reading should raise an alarm within a second; nobody waits on a request."),
    "essay_plagiarism": (
        "Students upload essays; a plagiarism score within ten seconds is fine, and uploads "
        "arrive in bursts just before deadlines."),
    "shop_home_page": (
        "The shop's home page ranks products: a long-term taste profile that can be computed "
        "overnight, reordered by what the visitor clicked in this session (50 ms budget)."),
}

# The requirements behind each scenario, and the facts a learner needs when they get it wrong.
_REQUIREMENTS = {
    "nightly_churn_list": (dict(precomputable=True),
                           "everything needed (last night's customer table) exists before "
                           "anyone reads the list"),
    "card_payment_check": (dict(precomputable=False, latency_budget_ms=80),
                           "the inputs exist only at payment time, a person is waiting, and "
                           "the budget is 80 ms"),
    "machine_vibration": (dict(precomputable=False, continuous_stream=True,
                               latency_budget_ms=1000),
                          "readings never stop arriving and no caller waits on a response"),
    "essay_plagiarism": (dict(precomputable=False, latency_budget_ms=10_000),
                         "the essay exists only after upload, but ten seconds is a generous "
                         "budget and bursts need absorbing"),
    "shop_home_page": (dict(precomputable="partial", latency_budget_ms=50),
                       "one part (the taste profile) can be computed overnight and the other "
                       "(this session's clicks) only at request time"),
}


def _check_report(report, what):
    if not isinstance(report, LatencyReport):
        raise Incorrect(f"`{what}` should be the LatencyReport returned by the benchmark, got "
                        f"{type(report).__name__}")
    return report


def _check_speedup(one_row, batched, speedup):
    one_row = _check_report(one_row, "one_row")
    batched = _check_report(batched, "batched")
    if one_row.batch_size != 1:
        raise Incorrect(f"`one_row` was measured with batch_size={one_row.batch_size}; use "
                        "batch_size=1 for the one-row cost")
    if batched.batch_size < 100:
        raise Incorrect(f"`batched` uses batch_size={batched.batch_size}; use a real batch "
                        "(1000 rows in the lesson)")
    speedup = expect_number(speedup, "speedup")
    want = batched.throughput_rows_s / one_row.throughput_rows_s
    if math.isclose(float(speedup), 1 / want, rel_tol=1e-6):
        raise Incorrect(f"your speedup ({float(speedup):.3g}) is one-row throughput divided by "
                        "batched throughput: divide the other way round")
    if not math.isclose(float(speedup), want, rel_tol=1e-6):
        raise Incorrect(f"your speedup is {float(speedup):.4g}, but your reports give "
                        f"{batched.throughput_rows_s:,.0f} / {one_row.throughput_rows_s:,.0f} = "
                        f"{want:.4g} rows/s ratio")
    return (f"Correct: scoring {batched.batch_size} rows per call moves "
            f"{want:.0f}x more rows per second than one row per call; the fixed cost of each "
            f"call (about {format_ms(one_row.p50_ms)} here) is paid once per batch.")


def _check_stream(report_1, report_32, lower_p50):
    r1 = _check_report(report_1, "report_1")
    r32 = _check_report(report_32, "report_32")
    if r1.batch_size != 1 or r32.batch_size != 32:
        raise Incorrect(f"`report_1` should come from micro-batches of 1 and `report_32` from "
                        f"micro-batches of 32; yours used {r1.batch_size} and {r32.batch_size}")
    if lower_p50 not in (1, 32):
        raise Incorrect(f"`lower_p50` should be 1 or 32 (a micro-batch size), got "
                        f"{lower_p50!r}")
    want = 1 if r1.p50_ms <= r32.p50_ms else 32
    if lower_p50 != want:
        raise Incorrect(f"read your reports again: p50 per event is {r1.p50_ms:.3g} ms with "
                        f"batches of 1 and {r32.p50_ms:.3g} ms with batches of 32")
    return (f"Correct: per-event p50 is {r1.p50_ms:.3g} ms (batch 1) vs {r32.p50_ms:.3g} ms "
            f"(batch 32). In a stream an event waits for its batch to fill, so larger "
            "micro-batches trade latency for fewer model calls.")


def _check_real_time(rt):
    if not isinstance(rt, RealTimePredictor):
        raise Incorrect(f"`rt` should be a RealTimePredictor, got {type(rt).__name__}")
    if rt.fallback is None:
        raise Incorrect("`rt` has no fallback: pass `fallback=...` so that a model failure "
                        "still gets an answer")
    s = rt.stats
    if s.n_ok + s.n_fallbacks + s.n_rejected + s.n_errors != s.n_requests:
        raise Incorrect("the counters of `rt` do not add up; create a fresh predictor and "
                        "run the requests again")
    if s.n_ok < 1:
        raise Incorrect("`rt` has not answered any request with the model yet: send a valid "
                        "request whose first feature is small")
    if s.n_fallbacks < 1:
        raise Incorrect(f"`rt` has answered {s.n_requests} request(s) but none with the "
                        "fallback: send one request that makes the flaky model raise")
    if s.n_rejected < 1:
        raise Incorrect("no request was rejected: send one invalid request (wrong number of "
                        "features or a NaN) inside `try/except ValueError`")
    return (f"Correct: {s.n_ok} answered by the model, {s.n_fallbacks} by the fallback "
            f"(logged), {s.n_rejected} rejected with a clear error. Nothing failed silently.")


def _check_decisions(decisions):
    if not isinstance(decisions, dict):
        raise Incorrect(f"`decisions` should be a dict {{scenario: pattern}}, got "
                        f"{type(decisions).__name__}")
    missing = [k for k in SCENARIOS if k not in decisions]
    if missing:
        raise Incorrect(f"`decisions` has no entry for {', '.join(f'`{k}`' for k in missing)}")
    extra = [k for k in decisions if k not in SCENARIOS]
    if extra:
        raise Incorrect(f"{', '.join(f'`{k}`' for k in extra)} is not one of the scenarios "
                        f"{list(SCENARIOS)}")
    for key, (reqs, facts) in _REQUIREMENTS.items():
        got = decisions[key]
        if got not in SERVING_PATTERNS:
            raise Incorrect(f"`{key}`: `{got!r}` is not a pattern; use one of "
                            f"{list(SERVING_PATTERNS)}")
        want = choose_serving_pattern(**reqs).pattern
        if got != want:
            raise Incorrect(f"`{key}`: not `{got}`. The facts: {facts}. Ask the questions in "
                            "order: can it be precomputed (fully or partly)? is it a "
                            "continuous stream? is the budget below 200 ms?")
    return "Correct: all five scenarios map to the right pattern."


q1 = Question(
    "q1",
    prompt=("Measure the model with `benchmark_latency` at `batch_size=1` (`one_row`) and at "
            "`batch_size=1000` (`batched`), and compute `speedup`, the ratio of their "
            "throughputs (rows per second)."),
    answers=("one_row", "batched", "speedup"),
    checker=_check_speedup,
    hint="`speedup = batched.throughput_rows_s / one_row.throughput_rows_s`.",
    solution=(
        "one_row = benchmark_latency(forest.predict, X_test, n_runs=100, batch_size=1)\n"
        "batched = benchmark_latency(forest.predict, X_big, n_runs=10, batch_size=1000)\n"
        "speedup = batched.throughput_rows_s / one_row.throughput_rows_s"
    ),
)

q2 = Question(
    "q2",
    prompt=("Replay the same event stream through `MicroBatchPredictor` with `batch_size=1` "
            "and `batch_size=32`; keep both latency reports and say which micro-batch size "
            "gives the lower per-event p50 (`lower_p50` = 1 or 32)."),
    answers=("report_1", "report_32", "lower_p50"),
    checker=_check_stream,
    hint=("`MicroBatchPredictor(model, batch_size=32).predict_stream(events)` returns "
          "`(predictions, report)`; compare `report.p50_ms`."),
    solution=(
        "_, report_1 = MicroBatchPredictor(forest, batch_size=1).predict_stream(\n"
        "    simulate_event_stream(X_test, rate_per_s=RATE, n_events=N_EVENTS))\n"
        "_, report_32 = MicroBatchPredictor(forest, batch_size=32).predict_stream(\n"
        "    simulate_event_stream(X_test, rate_per_s=RATE, n_events=N_EVENTS))\n"
        "lower_p50 = 1 if report_1.p50_ms <= report_32.p50_ms else 32"
    ),
)

q3 = Question(
    "q3",
    prompt=("Wrap the flaky model in a `RealTimePredictor` `rt` with a fallback; send it valid "
            "requests, at least one that makes the model raise, and one invalid request "
            "(caught)."),
    answers=("rt",),
    checker=_check_real_time,
    hint=("`RealTimePredictor(flaky, fallback=0)`. Rows whose first feature is above the "
          "threshold make the flaky model raise; `np.ones(3)` has the wrong number of features."),
    solution=(
        "rt = RealTimePredictor(flaky, fallback=0)\n"
        "for row in X_test[:20]:\n"
        "    rt.predict_one(row)\n"
        "try:\n"
        "    rt.predict(np.ones(3))\n"
        "except ValueError as exc:\n"
        "    print('rejected:', exc)"
    ),
)

q4 = Question(
    "q4",
    prompt=("For every scenario in `SCENARIOS`, choose a serving pattern (one of "
            "`SERVING_PATTERNS`) and store them in the dict `decisions`."),
    answers=("decisions",),
    checker=_check_decisions,
    hint=("Translate each description into `choose_serving_pattern(precomputable=..., "
          "latency_budget_ms=..., continuous_stream=...)` and read `.pattern`."),
    solution=(
        "requirements = {\n"
        "    'nightly_churn_list': dict(precomputable=True),\n"
        "    'card_payment_check': dict(precomputable=False, latency_budget_ms=80),\n"
        "    'machine_vibration': dict(precomputable=False, continuous_stream=True,\n"
        "                              latency_budget_ms=1000),\n"
        "    'essay_plagiarism': dict(precomputable=False, latency_budget_ms=10_000),\n"
        "    'shop_home_page': dict(precomputable='partial', latency_budget_ms=50),\n"
        "}\n"
        "decisions = {k: choose_serving_pattern(**r).pattern for k, r in requirements.items()}"
    ),
)

EXERCISE = Exercise("l03_serving_patterns", [q1, q2, q3, q4])
