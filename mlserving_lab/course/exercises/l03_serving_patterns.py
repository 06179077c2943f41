"""Check-yourself questions for lesson ``03_serving_patterns`` (1 point each).

* q1: the learner's own timing loop (one-row calls vs 1000-row batches); the checker re-times
  the learner's model here and judges magnitude and the speedup by wide margins only;
* q2: the micro-batch comparison, recomputed from the samples inside the learner's reports;
* q3: the learner's own real-time ``predict_one`` (validation + fallback), called on rows the
  checker chooses and judged against the real models;
* q4: one serving pattern per scenario.

The flaky primary model of q3 is :class:`FlakyModel` from this module, so nothing the learner
defines has to cross to the grader: only ``predict_one``'s outputs do.
"""

from __future__ import annotations

import math
import re

import numpy as np

from mlserving_lab.course.exercises.core import (
    Exercise,
    Incorrect,
    LearnerCodeError,
    Question,
    call,
    expect_number,
)
from mlserving_lab.course.exercises.remeasure import check_latency_claims, num
from mlserving_lab.measure import LatencyReport
from mlserving_lab.serving import SERVING_PATTERNS, choose_serving_pattern

__all__ = ["BATCH_ROWS", "EXERCISE", "FLAKY_THRESHOLD", "MIN_BATCH_CALLS", "MIN_ONE_ROW_CALLS",
           "N_EVENTS", "RATE", "SCENARIOS", "FlakyModel", "q1", "q2", "q3", "q4"]

#: q1: rows per batch call, and the fewest timed calls accepted for each kind.
BATCH_ROWS = 1000
MIN_ONE_ROW_CALLS = 100
MIN_BATCH_CALLS = 10
#: q2: the stream the lesson replays (events per second, number of events).
RATE, N_EVENTS = 250, 32
#: q3: rows whose first feature is above this make :class:`FlakyModel` raise.
FLAKY_THRESHOLD = 1.5
#: q1: a learner's speedup must be within this factor of the speedup measured here.
SPEEDUP_FACTOR = 5.0


def _samples(value, name: str, min_n: int, what: str) -> np.ndarray:
    """The learner's per-call times (ms) as a float array, or Incorrect naming the problem."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        raise Incorrect(f"`{name}` is one number ({num(value)}); it should hold one time per "
                        f"call (a list or array of milliseconds), so that its p50 can be taken. "
                        "Keep every call's time, not a total or an average.")
    if isinstance(value, dict) or isinstance(value, str) or not hasattr(value, "__len__"):
        raise Incorrect(f"`{name}` should be a list or array of per-call times in ms, got "
                        f"{type(value).__name__}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Incorrect(f"`{name}` should hold numbers (milliseconds per call)") from None
    if arr.ndim != 1:
        raise Incorrect(f"`{name}` has shape {arr.shape}; keep one number per call in a flat "
                        "list")
    if arr.size < min_n:
        one = " One timed call is not a distribution: it has no p50." if arr.size == 1 else ""
        raise Incorrect(f"`{name}` holds {arr.size} time(s); time at least {min_n} {what} "
                        f"calls, one number per call.{one}")
    if not np.isfinite(arr).all() or (arr <= 0).any():
        raise Incorrect(f"`{name}` holds zero, negative or non-finite times; every call takes "
                        "a positive number of milliseconds")
    if np.unique(arr).size == 1:
        raise Incorrect(f"every value in `{name}` is {num(arr[0])} ms: real timings vary from "
                        "call to call. These look typed in, or one measurement repeated; time "
                        "each call with `time.perf_counter()`.")
    return arr


def _fresh_timings(model, n_features: int, *, rounds: int = 10, per_round: int = 4):
    """One-row and batch p50 (ms) of ``model.predict``, timed here, interleaved."""
    import time

    rng = np.random.default_rng(303)
    rows = rng.normal(size=(rounds * per_round, n_features))
    batches = [rng.normal(size=(BATCH_ROWS, n_features)) for _ in range(2)]
    one_row = [rows[i:i + 1] for i in range(len(rows))]
    predict = model.predict
    clock = time.perf_counter
    for r in one_row[:3]:
        predict(r)
    predict(batches[0])
    t_one, t_batch = [], []
    for k in range(rounds):
        for r in one_row[k * per_round:(k + 1) * per_round]:
            t0 = clock()
            predict(r)
            t_one.append(clock() - t0)
        t0 = clock()
        predict(batches[k % 2])
        t_batch.append(clock() - t0)
    return float(np.median(t_one)) * 1e3, float(np.median(t_batch)) * 1e3


def _check_model(model, name: str):
    if not callable(getattr(model, "predict", None)) or getattr(model, "n_features_in_",
                                                                None) is None:
        raise Incorrect(f"`{name}` should be the fitted model you timed (the lesson's "
                        f"`forest`), got {type(model).__name__}")
    return int(model.n_features_in_)


# ---------------------------------------------------------------------------------- q1
def _check_timing(forest, one_row_ms, batch_ms, speedup):
    n_features = _check_model(forest, "forest")
    ones = _samples(one_row_ms, "one_row_ms", MIN_ONE_ROW_CALLS, "one-row")
    batches = _samples(batch_ms, "batch_ms", MIN_BATCH_CALLS, f"{BATCH_ROWS}-row")
    p_one, p_batch = float(np.median(ones)), float(np.median(batches))
    fresh_one, fresh_batch = _fresh_timings(forest, n_features)
    check_latency_claims({"forest": p_one}, {"forest": fresh_one}, column="p50 of one_row_ms")
    ratio = p_batch / fresh_batch
    if not 0.1 <= ratio <= 10:
        if ratio <= 1 / 300:
            why = (f" That is about 1000x too small: did you divide each call's time by its "
                   f"{BATCH_ROWS} rows (the question wants the time of the whole call), or "
                   "keep seconds instead of milliseconds?")
        elif ratio >= 300:
            why = " That is about 1000x too large: microseconds instead of milliseconds?"
        else:
            why = (f" Time calls of `forest.predict` on {BATCH_ROWS}-row slices of X_big, one "
                   "number per call.")
        raise Incorrect(f"the p50 of `batch_ms` is {num(p_batch)} ms, but one call of "
                        f"`forest.predict` on {BATCH_ROWS} rows takes about {num(fresh_batch)} "
                        f"ms here ({ratio:.3g}x).{why}")
    speedup = expect_number(speedup, "speedup", positive=True)
    own = p_one / (p_batch / BATCH_ROWS)

    def close(a, b):
        return math.isclose(a, b, rel_tol=2e-3)

    if not close(speedup, own):
        if close(speedup, 1 / own):
            raise Incorrect(f"your speedup ({num(speedup)}) is the batch's per-row cost divided "
                            "by the one-row cost: divide the other way round")
        if close(speedup, p_one / p_batch) or close(speedup, p_batch / p_one):
            raise Incorrect(f"your speedup ({num(speedup)}) compares the time of one *call*; "
                            f"compare the cost per *row*: a batch call scores {BATCH_ROWS} rows, "
                            f"so its per-row cost is p50(batch_ms) / {BATCH_ROWS}")
        mean_based = float(np.mean(ones)) / (float(np.mean(batches)) / BATCH_ROWS)
        if close(speedup, mean_based):
            raise Incorrect(f"your speedup ({num(speedup)}) comes from mean times; use the p50 "
                            "(median) of each list, which one slow call cannot move")
        raise Incorrect(f"your speedup is {num(speedup)}, but your own samples give "
                        f"p50(one_row_ms) / (p50(batch_ms) / {BATCH_ROWS}) = {num(p_one)} / "
                        f"({num(p_batch)} / {BATCH_ROWS}) = {num(own)}")
    fresh = fresh_one / (fresh_batch / BATCH_ROWS)
    if not 1 / SPEEDUP_FACTOR <= speedup / fresh <= SPEEDUP_FACTOR:
        raise Incorrect(f"your speedup is {num(speedup)}, but timed here a row costs "
                        f"{num(fresh)}x more in a one-row call than in a {BATCH_ROWS}-row "
                        f"batch ({num(fresh_one)} ms per one-row call, {num(fresh_batch)} ms "
                        "per batch call). Did both loops time `forest.predict` on the rows "
                        "asked?")
    return (f"Correct: one row costs {num(p_one)} ms in a call of its own but "
            f"{num(p_batch / BATCH_ROWS * 1000)} µs inside a {BATCH_ROWS}-row batch, "
            f"{num(own)}x less (timed here: {num(fresh)}x). The fixed cost of each call is "
            "paid once per batch.")


# ---------------------------------------------------------------------------------- q2
def _stream_report(report, name: str, batch_size: int) -> np.ndarray:
    if not isinstance(report, LatencyReport):
        raise Incorrect(f"`{name}` should be the LatencyReport that `predict_stream` returns, "
                        f"got {type(report).__name__}")
    if int(report.batch_size) != batch_size:
        raise Incorrect(f"`{name}` comes from micro-batches of {int(report.batch_size)}; it "
                        f"should come from `MicroBatchPredictor(forest, batch_size="
                        f"{batch_size})`")
    s = np.asarray(report.samples_ms, dtype=np.float64).ravel()
    if s.size != N_EVENTS:
        raise Incorrect(f"`{name}` holds {s.size} per-event latencies; replay the whole "
                        f"stream of N_EVENTS = {N_EVENTS} events")
    return s


def _fill_wait_ms(batch_size: int) -> float:
    """Median wait for a batch to fill at RATE events/s: (B - 1) / 2 gaps of 1 / RATE."""
    return (batch_size - 1) / 2 / RATE * 1000


def _check_stream(report_1, report_32, added_ms, lower_p50):
    s1 = _stream_report(report_1, "report_1", 1)
    s32 = _stream_report(report_32, "report_32", 32)
    p1, p32 = float(np.median(s1)), float(np.median(s32))
    wait = _fill_wait_ms(32)
    if p32 < 0.4 * wait:
        raise Incorrect(f"in `report_32` the median event waited only {num(p32)} ms, but at "
                        f"{RATE} events/s a batch of 32 takes {num(31 / RATE * 1000)} ms to fill, "
                        f"so its median event should wait about {num(wait)} ms. Replay the "
                        f"stream at `rate_per_s=RATE`, not as fast as possible.")
    added = expect_number(added_ms, "added_ms", unit="milliseconds")
    want = p32 - p1
    if not math.isclose(added, want, rel_tol=1e-3, abs_tol=1e-6):
        if math.isclose(added, -want, rel_tol=1e-3, abs_tol=1e-6):
            raise Incorrect(f"`added_ms` is {num(added)}: subtract the other way round "
                            "(p50 with batches of 32 minus p50 with batches of 1)")
        if math.isclose(added, want / 1000, rel_tol=1e-3):
            raise Incorrect(f"`added_ms` ({num(added)}) looks like seconds; the reports are in "
                            "milliseconds")
        mean_diff = float(s32.mean() - s1.mean())
        if math.isclose(added, mean_diff, rel_tol=1e-3, abs_tol=1e-6):
            raise Incorrect(f"`added_ms` ({num(added)}) is a difference of means; the question "
                            "asks for the p50s (medians) of the per-event latencies")
        raise Incorrect(f"`added_ms` is {num(added)}, but your reports' per-event latencies "
                        f"have p50s of {num(p32)} ms (batches of 32) and {num(p1)} ms (batches "
                        f"of 1): a difference of {num(want)} ms")
    if isinstance(lower_p50, (bool, np.bool_)) or not isinstance(
            lower_p50, (int, np.integer, float, np.floating)) or float(lower_p50) not in (1, 32):
        raise Incorrect(f"`lower_p50` should be 1 or 32 (a micro-batch size), got "
                        f"{lower_p50!r:.40}")
    right = 1 if p1 <= p32 else 32
    if int(lower_p50) != right:
        raise Incorrect(f"`lower_p50` is {int(lower_p50)}, but in your reports the per-event "
                        f"p50 is {num(p1)} ms with batches of 1 and {num(p32)} ms with batches "
                        "of 32")
    return (f"Correct: batches of 32 answer the median event {num(want)} ms later than "
            f"batches of 1; the wait for a batch to fill alone is about (32 - 1) / 2 gaps of "
            f"1/{RATE} s = {num(wait)} ms. Larger micro-batches trade per-event latency for "
            "fewer model calls.")


# ---------------------------------------------------------------------------------- q3
class FlakyModel:
    """A model behind a flaky feature store, for lesson 03.

    ``predict`` raises :class:`TimeoutError` whenever a row's first feature is above
    ``threshold``, as a call to a dependency that did not answer in time would; otherwise it
    returns ``model.predict``.

    Parameters
    ----------
    model : fitted estimator
    threshold : float, default FLAKY_THRESHOLD
    """

    def __init__(self, model, threshold: float = FLAKY_THRESHOLD):
        self.model = model
        self.threshold = float(threshold)
        self.n_features_in_ = getattr(model, "n_features_in_", None)

    def predict(self, X):
        """``model.predict(X)``, or TimeoutError when a row's first feature > threshold."""
        X = np.asarray(X)
        if X.ndim == 2 and X.shape[0] and (np.asarray(X[:, 0], dtype=float)
                                           > self.threshold).any():
            raise TimeoutError("feature store did not answer within 20 ms")
        return self.model.predict(X)

    def __repr__(self) -> str:
        return f"FlakyModel({type(self.model).__name__}, threshold={self.threshold:g})"


_LENGTH_WORDS = re.compile(r"length|shape|features|values|elements|size|dimension|wrong number",
                           re.I)
_FINITE_WORDS = re.compile(r"nan|finite|missing|inf", re.I)


def _q3_rows(forest, fallback, n_features: int):
    """Checker rows: valid rows the primary answers (where it disagrees with the fallback),
    and valid rows that make the flaky primary raise."""
    rng = np.random.default_rng(2024)
    pool = rng.normal(size=(400, n_features))
    pool[:, 0] = np.round(pool[:, 0], 3)
    ok = pool[pool[:, 0] < FLAKY_THRESHOLD - 0.1]
    disagree = ok[np.asarray(forest.predict(ok)) != np.asarray(fallback.predict(ok))]
    if len(disagree) < 4:  # the fallback agrees with the forest almost everywhere
        disagree = ok
    flaky = pool[pool[:, 0] > FLAKY_THRESHOLD + 0.1]
    return disagree[:4], flaky[:2]


def _unpack(out, row_desc: str):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Incorrect(f"for {row_desc}, `predict_one` returned {out!r:.80}; it should return "
                        "a pair `(prediction, answered_by)`, answered_by being 'primary' or "
                        "'fallback'")
    label, source = out
    source = str(source)
    if source not in ("primary", "fallback"):
        raise Incorrect(f"for {row_desc}, `predict_one` says it was answered by "
                        f"{source!r:.40}; use exactly 'primary' or 'fallback'")
    try:
        label = np.asarray(label).item()
    except (TypeError, ValueError):
        raise Incorrect(f"for {row_desc}, the prediction {label!r:.60} is not one label") \
            from None
    return label, source


def _expect_answer(predict_one, row, desc, want_label, want_source):
    label, source = _unpack(call(predict_one, row), desc)
    if source != want_source:
        if want_source == "primary":
            raise Incorrect(f"for {desc}, the primary model answers without raising, but your "
                            "`predict_one` says the fallback answered. Call the primary first "
                            "and fall back only when it raises.")
        raise Incorrect(f"for {desc}, the primary model raises TimeoutError, so the fallback "
                        f"must answer, but your `predict_one` says {source!r}")
    if not (label == want_label or (isinstance(label, (int, float)) and isinstance(
            want_label, (int, float)) and float(label) == float(want_label))):
        who = "primary model" if want_source == "primary" else "fallback model"
        raise Incorrect(f"for {desc}, `predict_one` returned {label!r} (answered by "
                        f"{source!r}), but the {who} predicts {want_label!r} for that row")


def _expect_rejected(predict_one, row, desc, words, about):
    try:
        out = call(predict_one, row)
    except LearnerCodeError as wrapped:
        exc = wrapped.__cause__
        if exc is None:
            # Only an exception of a class defined in the notebook arrives without its cause
            # (it cannot cross to the grader); the learner did reject the row.
            return
        if not isinstance(exc, ValueError):
            raise Incorrect(f"for {desc}, `predict_one` raised `{type(exc).__name__}: "
                            f"{str(exc)[:100]}`; raise a ValueError that says what is wrong "
                            "with the row") from None
        if not words.search(str(exc)):
            raise Incorrect(f"for {desc}, `predict_one` raised ValueError, but its message "
                            f"({str(exc)[:100]!r}) does not say what is wrong: mention "
                            f"{about}") from None
        return
    shown = f"{out!r:.60}"
    raise Incorrect(f"`predict_one` answered {shown} for {desc}. An invalid request must be "
                    "rejected with a ValueError, not answered (a fallback must not hide the "
                    "caller's bug).")


def _check_predict_one(predict_one, forest, fallback):
    n_features = _check_model(forest, "forest")
    _check_model(fallback, "fallback")
    good, flaky = _q3_rows(forest, fallback, n_features)
    want_good = np.asarray(forest.predict(good))
    want_flaky = np.asarray(fallback.predict(flaky))
    for i, row in enumerate(good[:3]):
        _expect_answer(predict_one, row, f"the valid row {num(row[0])}, {num(row[1])}, ... "
                       f"(first feature {num(row[0])} <= {FLAKY_THRESHOLD})",
                       want_good[i].item(), "primary")
    for i, row in enumerate(flaky):
        _expect_answer(predict_one, row, f"the valid row whose first feature is {num(row[0])} "
                       f"(> {FLAKY_THRESHOLD}, the primary raises)", want_flaky[i].item(),
                       "fallback")
    _expect_answer(predict_one, [float(v) for v in good[3]],
                   "a valid row given as a Python list", want_good[3].item(), "primary")
    short = good[0][:-1]
    _expect_rejected(predict_one, short, f"a row of {n_features - 1} values (the model "
                     f"expects {n_features})", _LENGTH_WORDS,
                     f"the expected and the received number of values ({n_features})")
    nan_row = good[1].copy()
    nan_row[3] = np.nan
    _expect_rejected(predict_one, nan_row, "a row with NaN in position 3", _FINITE_WORDS,
                     "that a value is NaN / not finite")
    return ("Correct: valid rows are answered by the primary, rows that make it raise by the "
            "fallback (and say so), and malformed rows are rejected with a ValueError that "
            "names the problem.")


# ---------------------------------------------------------------------------------- q4
#: The scenarios; map each to one of SERVING_PATTERNS.
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

#: What choosing each pattern assumes, quoted back to a learner who chose it wrongly.
_ASSUMES = {
    "batch": "every prediction can be computed ahead of time and stored",
    "real-time": "a caller waits on each request, within a budget below 200 ms",
    "near-real-time": "a caller can wait seconds, so requests can go through a queue",
    "streaming": "events arrive continuously and nobody waits on a response",
    "hybrid": "part of the answer can be precomputed and part needs the request",
}


def _check_decisions(decisions):
    if not isinstance(decisions, dict):
        raise Incorrect(f"`decisions` should be a dict {{scenario: pattern}}, got "
                        f"{type(decisions).__name__}")
    got = {str(k): v for k, v in decisions.items()}
    missing = [k for k in SCENARIOS if k not in got]
    if missing:
        raise Incorrect(f"`decisions` has no entry for {', '.join(f'`{k}`' for k in missing)}")
    extra = [k for k in got if k not in SCENARIOS]
    if extra:
        raise Incorrect(f"{', '.join(f'`{k}`' for k in extra)} is not one of the scenarios "
                        f"{list(SCENARIOS)}")
    wrong = []
    for key, (reqs, facts) in _REQUIREMENTS.items():
        value = got[key]
        if not isinstance(value, str):
            raise Incorrect(f"`{key}`: the pattern should be a string, one of "
                            f"{list(SERVING_PATTERNS)}; got {type(value).__name__}")
        pattern = str(value)
        if pattern not in SERVING_PATTERNS:
            raise Incorrect(f"`{key}`: {pattern!r} is not a pattern; use one of "
                            f"{list(SERVING_PATTERNS)}")
        if pattern != choose_serving_pattern(**reqs).pattern:
            wrong.append(f"`{key}`: `{pattern}` assumes {_ASSUMES.get(pattern, '?')}, but "
                         f"here {facts}.")
    if wrong:
        n = len(wrong)
        raise Incorrect(f"{n} of {len(SCENARIOS)} scenario{'s' if n > 1 else ''} "
                        f"{'do' if n > 1 else 'does'} not fit the pattern you chose.\n\n"
                        + "\n\n".join(wrong))
    return "Correct: all five scenarios map to the right pattern."


# ---------------------------------------------------------------------------------- questions
q1 = Question(
    "q1",
    prompt=(f"Write the timing loop yourself. Warm up with a few untimed calls, then time at "
            f"least {MIN_ONE_ROW_CALLS} calls of `forest.predict` on one row each (a different "
            f"row of `X_test` per call, shape (1, 20)) and at least {MIN_BATCH_CALLS} calls on "
            f"{BATCH_ROWS}-row slices of `X_big`, each with `time.perf_counter()`. Keep one "
            "number per call, in **milliseconds**, for the whole call: `one_row_ms` and "
            "`batch_ms`. `speedup` is how many times less a row costs inside a batch, from "
            f"the p50s: `p50(one_row_ms) / (p50(batch_ms) / {BATCH_ROWS})`. Pass `forest` too: "
            "the check re-times it."),
    answers=("forest", "one_row_ms", "batch_ms", "speedup"),
    checker=_check_timing,
    hint=("Slice the requests before the loop; inside it do only `t0 = time.perf_counter()`, "
          "`forest.predict(batch)`, `times.append((time.perf_counter() - t0) * 1000)`. "
          "`np.percentile(times, 50)` is the p50."),
)

q2 = Question(
    "q2",
    prompt=("Replay the same stream (`simulate_event_stream(X_test, rate_per_s=RATE, "
            "n_events=N_EVENTS)`) through `MicroBatchPredictor(forest, batch_size=1)` and "
            "`batch_size=32`, keeping the reports `report_1` and `report_32`. From the "
            "per-event latencies in each report's `samples_ms`, compute `added_ms`, how many "
            "milliseconds later the median event is answered with batches of 32 (p50 of "
            "report_32 minus p50 of report_1), and `lower_p50`, the batch size (1 or 32) with "
            "the lower per-event p50."),
    answers=("report_1", "report_32", "added_ms", "lower_p50"),
    checker=_check_stream,
    hint=("`MicroBatchPredictor(forest, batch_size=32).predict_stream(events)` returns "
          "`(predictions, report)`; `np.percentile(report.samples_ms, 50)` is its p50."),
)

q3 = Question(
    "q3",
    prompt=("Write `predict_one(row)`, the core of a real-time predictor. `row` is a 1-D "
            "sequence (list, tuple or array) of 20 numbers. First validate it: a row of any "
            "other length, or with a NaN or infinite value, raises `ValueError` with a message "
            "that says what is wrong (the lengths, or which value is not finite). Then ask "
            "the primary model `flaky`; if it raises, answer with the `fallback` model "
            "instead. Return `(prediction, answered_by)` with answered_by 'primary' or "
            "'fallback'. The check calls it on rows it chooses."),
    answers=("predict_one", "forest", "fallback"),
    checker=_check_predict_one,
    hint=("`x = np.asarray(row, dtype=float)`; check `x.shape == (20,)` and "
          "`np.isfinite(x).all()` and raise ValueError otherwise; then `try: return "
          "flaky.predict(x.reshape(1, -1))[0], 'primary'` / `except Exception: return "
          "fallback.predict(x.reshape(1, -1))[0], 'fallback'`."),
)

q4 = Question(
    "q4",
    prompt=("For every scenario in `SCENARIOS`, decide its serving pattern (one of "
            "`SERVING_PATTERNS`, spelled exactly) and store them in the dict `decisions` "
            "{scenario name: pattern}."),
    answers=("decisions",),
    checker=_check_decisions,
    hint=("Ask, in this order: can everything be computed before anyone asks (fully: batch; "
          "partly: hybrid)? Is it a continuous stream nobody waits on? Does a caller need the "
          "answer in under 200 ms (real-time) or can they wait longer (near-real-time)?"),
)

EXERCISE = Exercise("l03_serving_patterns", [q1, q2, q3, q4])
