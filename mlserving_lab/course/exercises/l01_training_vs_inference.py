"""Check-yourself questions for ``01_training_vs_inference``."""

from __future__ import annotations

import math
import re
import time

import numpy as np

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call, expect_number
from mlserving_lab.course.exercises.remeasure import MAGNITUDE, num

#: A Unix timestamp in seconds (November 2026), the scale at which float32 loses precision.
TIMESTAMP_S = 1_795_000_000

#: Rows in the batch of question 2.
BATCH_ROWS = 1000


# ---------------------------------------------------------------------------------------------
# q1: float32 spacing at a timestamp
# ---------------------------------------------------------------------------------------------
def _check_spacing(spacing_s):
    got = expect_number(spacing_s, "spacing_s", unit="seconds")
    want = float(np.spacing(np.float32(TIMESTAMP_S)))
    if math.isclose(got, want, rel_tol=1e-9):
        return (f"Correct: near {TIMESTAMP_S:,} the gap between neighbouring float32 values is "
                f"{want:g} s, so a float32 timestamp cannot tell apart events "
                f"{want:g} seconds apart.")
    if math.isclose(got, float(np.spacing(np.float64(TIMESTAMP_S))), rel_tol=1e-9):
        raise Incorrect(f"{got:.3g} s is the float64 spacing; cast the timestamp to "
                        "`np.float32` first")
    if math.isclose(got, float(np.finfo(np.float32).eps), rel_tol=1e-6):
        raise Incorrect(f"{got:.3g} is float32's machine epsilon, the spacing near 1.0; the "
                        "spacing grows with the magnitude: use "
                        "`np.spacing(np.float32(TIMESTAMP_S))`")
    if math.isclose(got, float(np.finfo(np.float32).eps) * TIMESTAMP_S, rel_tol=1e-3):
        raise Incorrect(f"{num(got)} s is epsilon x TIMESTAMP_S, an estimate of the relative "
                        "precision; the real gap is a power of two: measure it with "
                        "`np.spacing(np.float32(TIMESTAMP_S))`")
    if math.isclose(got, 1000 * want, rel_tol=1e-9):
        raise Incorrect(f"{num(got)} is the gap in milliseconds; `spacing_s` is in seconds")
    if math.isclose(abs(got), abs(float(np.float32(TIMESTAMP_S)) - TIMESTAMP_S), rel_tol=1e-9):
        raise Incorrect(f"{num(got)} s is how far `TIMESTAMP_S` moves when stored as float32 "
                        "(its rounding error), not the gap between two neighbouring float32 "
                        "values")
    raise Incorrect(f"your spacing ({num(got)} s) is not the gap between float32 neighbours at "
                    f"{TIMESTAMP_S:,}; try `np.spacing(np.float32(TIMESTAMP_S))`")


# ---------------------------------------------------------------------------------------------
# q2: the learner's own timing loop, one row versus a batch
# ---------------------------------------------------------------------------------------------
#: Cost of :func:`known_cost_predict`: a fixed part per call plus a part per row (ms).
KNOWN_CALL_MS, KNOWN_ROW_MS = 0.2, 0.005


def known_cost_predict(batch):
    """A stand-in for ``model.predict`` whose cost is known: it spins for
    ``KNOWN_CALL_MS + KNOWN_ROW_MS * len(batch)`` milliseconds (never less)."""
    until = time.perf_counter() + (KNOWN_CALL_MS + KNOWN_ROW_MS * len(batch)) / 1e3
    while time.perf_counter() < until:
        pass
    return np.zeros(len(batch))


def known_cost_rows() -> np.ndarray:
    """The rows the checker hands `time_calls` with :func:`known_cost_predict` (1500 rows:
    fewer than a few 1000-row batches, so `time_calls` must wrap around)."""
    return np.arange(1500 * 3, dtype=np.float64).reshape(1500, 3)


def _samples(value, name: str, *, min_len: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise Incorrect(f"`{name}` should be an array of latencies in milliseconds, got "
                        f"{type(value).__name__} `{value!r:.60}`") from None
    if arr.size == 1:
        raise Incorrect(f"`{name}` holds one number ({num(arr[0])}): that is one timed call. "
                        "Keep every call's latency, one value per call.")
    if arr.size < min_len:
        raise Incorrect(f"`{name}` has {arr.size} latencies; time at least {min_len} calls so "
                        "that the p50 means something")
    if not np.isfinite(arr).all() or (arr <= 0).any():
        raise Incorrect(f"`{name}` holds values that are not positive, finite durations "
                        f"(smallest {num(arr.min())})")
    if np.all(arr == arr[0]):
        raise Incorrect(f"all {arr.size} values of `{name}` are exactly {num(arr[0])}: that is "
                        "one measurement repeated (or typed in). Time each call separately.")
    return arr


def check_time_calls(time_calls, batch_size: int, n_calls: int) -> np.ndarray:
    """Run the learner's `time_calls` on :func:`known_cost_predict` and judge its output.

    A failure is retried once: a load spike can stretch a few spins, and a wrong function
    fails the same way twice. (In grading, the replay returns the last recorded run.)
    """
    try:
        return _judge_time_calls(time_calls, batch_size, n_calls)
    except Incorrect:
        return _judge_time_calls(time_calls, batch_size, n_calls)


def _judge_time_calls(time_calls, batch_size: int, n_calls: int) -> np.ndarray:
    out = call(time_calls, known_cost_predict, known_cost_rows(), batch_size, n_calls)
    try:
        arr = np.asarray(out, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise Incorrect(f"`time_calls` returned {type(out).__name__} `{out!r:.60}`; return the "
                        "latencies as a 1-D array of milliseconds") from None
    where = f"`time_calls(predict, X, {batch_size}, {n_calls})`"
    if arr.size != n_calls:
        one = (" One number is one timed call (or the time of the whole loop): return one "
               "latency per call." if arr.size == 1 else "")
        raise Incorrect(f"{where} returned {arr.size} latencies instead of {n_calls}.{one}")
    if not np.isfinite(arr).all():
        raise Incorrect(f"{where} returned values that are not finite numbers")
    if np.all(arr == arr[0]):
        raise Incorrect(f"{where} returned {n_calls} copies of {num(arr[0])}: time every call "
                        "on its own (a fresh `perf_counter()` before and after each call), not "
                        "once for all of them")
    target = KNOWN_CALL_MS + KNOWN_ROW_MS * batch_size
    p50 = float(np.median(arr))
    ratio = p50 / target
    if ratio < 1 / 300:
        raise Incorrect(f"we timed a function that takes {num(target)} ms per call with "
                        f"{where}; it reported a p50 of {num(p50)}: seconds instead of "
                        "milliseconds? Multiply `perf_counter()` differences by 1000.")
    if ratio > 300:
        raise Incorrect(f"we timed a function that takes {num(target)} ms per call with "
                        f"{where}; it reported a p50 of {num(p50)}: microseconds or "
                        "nanoseconds instead of milliseconds?")
    if float(arr.min()) < 0.9 * target:
        raise Incorrect(f"we timed a function that cannot take less than {num(target)} ms for "
                        f"{batch_size} row(s) with {where}, and it reported {num(arr.min())} ms "
                        "for one call: does every call get exactly `batch_size` rows (wrap "
                        "around when X runs out) and is each call timed on its own?")
    if ratio > 10:
        raise Incorrect(f"we timed a function that takes {num(target)} ms for {batch_size} "
                        f"row(s) with {where}, and its p50 is {num(p50)} ms, {ratio:.0f}x "
                        "more: does each call get `batch_size` rows (not the whole X), and "
                        "is the warm-up outside the timed calls?")
    return arr


def fresh_model_p50(model, *, n_one: int = 60, n_batch: int = 8) -> tuple[float, float]:
    """(one-row p50, 1000-row-batch p50) of ``model.predict`` in ms, timed here."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(BATCH_ROWS * 2, int(model.n_features_in_)))
    batches = [X[i * BATCH_ROWS:(i + 1) * BATCH_ROWS] for i in range(2)]
    rows = [X[i:i + 1] for i in range(n_one)]
    for r in rows[:5]:
        model.predict(r)
    model.predict(batches[0])
    one, batch = [], []
    clock = time.perf_counter_ns
    for i in range(max(n_one, n_batch)):
        if i < n_one:
            t0 = clock()
            model.predict(rows[i])
            one.append(clock() - t0)
        if i < n_batch:
            b = batches[i % 2]
            t0 = clock()
            model.predict(b)
            batch.append(clock() - t0)
    return float(np.median(one)) / 1e6, float(np.median(batch)) / 1e6


def _check_model(model):
    from sklearn.linear_model import LogisticRegression

    if type(model) is not LogisticRegression or not hasattr(model, "coef_"):
        raise Incorrect(f"`model` should be the fitted LogisticRegression of the setup cell, "
                        f"got {type(model).__name__}")


#: How far the learner's per-row speed-up may be from the checker's fresh one.
SPEEDUP_FACTOR = 5.0
#: How many fresh measurements a timing answer gets before it is refused.
FRESH_ATTEMPTS = 3


def _check_speedup(time_calls, model, one_row_ms, batch_ms, per_row_speedup):
    check_time_calls(time_calls, 1, 30)
    check_time_calls(time_calls, BATCH_ROWS, 4)
    _check_model(model)
    one = _samples(one_row_ms, "one_row_ms", min_len=100)
    batch = _samples(batch_ms, "batch_ms", min_len=10)
    p50_one, p50_batch = float(np.median(one)), float(np.median(batch))
    speedup = expect_number(per_row_speedup, "per_row_speedup", positive=True)
    check_own_ratio(one, batch, speedup)
    # Judge against a fresh measurement. Load on a shared machine comes and goes, so an answer
    # that fails gets up to FRESH_ATTEMPTS independent measurements before it is refused.
    for attempt in range(FRESH_ATTEMPTS):
        try:
            return check_against_fresh(model, p50_one, p50_batch, speedup)
        except Incorrect:
            if attempt == FRESH_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def check_own_ratio(one, batch, speedup: float) -> None:
    """`per_row_speedup` must be computed from the learner's own two arrays."""
    p50_one, p50_batch = float(np.median(one)), float(np.median(batch))
    own = p50_one / (p50_batch / BATCH_ROWS)
    if not math.isclose(speedup, own, rel_tol=0.02):
        if math.isclose(speedup, 1 / own, rel_tol=0.02):
            raise Incorrect(f"your ratio ({num(speedup)}) is upside down: divide the one-row "
                            "p50 by the batch's per-row p50")
        if math.isclose(speedup, p50_one / p50_batch, rel_tol=0.02):
            raise Incorrect(f"your ratio ({num(speedup)}) compares a whole batch with one row; "
                            f"divide the batch p50 by its {BATCH_ROWS} rows first")
        mean_ratio = float(np.mean(one)) / (float(np.mean(batch)) / BATCH_ROWS)
        if math.isclose(speedup, mean_ratio, rel_tol=0.02):
            raise Incorrect(f"your ratio ({num(speedup)}) uses the mean latencies; use the p50 "
                            "(`np.median`) of each array, which one slow call cannot drag")
        raise Incorrect(f"from your own arrays the ratio is {num(p50_one)} ms / "
                        f"({num(p50_batch)} ms / {BATCH_ROWS}) = {num(own)}, but "
                        f"`per_row_speedup` is {num(speedup)}")


def check_against_fresh(model, p50_one: float, p50_batch: float, speedup: float) -> str:
    """Magnitudes and the speed-up against ``model`` timed here."""
    fresh_one, fresh_batch = fresh_model_p50(model)
    ratio = p50_one / fresh_one
    if not (1 / MAGNITUDE <= ratio <= MAGNITUDE):
        hint = (" That is about 1000x too small: seconds instead of milliseconds, or a "
                "batch's time divided by its rows?" if ratio < 1 / 300 else
                " That is about 1000x too large: microseconds instead of milliseconds?"
                if ratio > 300 else
                " Too small for one call on one row: did you divide a batch's time by its "
                "rows?" if ratio < 1 else
                " Too large for one call on one row: did you time a batch, or the fit?")
        raise Incorrect(f"the p50 of `one_row_ms` is {num(p50_one)} ms, but one one-row call "
                        f"of `model.predict` takes about {num(fresh_one)} ms here "
                        f"({ratio:.3g}x).{hint}")
    ratio = p50_batch / fresh_batch
    if not (1 / MAGNITUDE <= ratio <= MAGNITUDE):
        hint = (" That is about 1000x too small: seconds, or the batch's time divided by its "
                "rows?" if ratio < 1 / 300 else
                " That is about 1000x too large: microseconds?" if ratio > 300 else
                " Does every call get all 1000 rows?")
        raise Incorrect(f"the p50 of `batch_ms` is {num(p50_batch)} ms, but one 1000-row call "
                        f"of `model.predict` takes about {num(fresh_batch)} ms here "
                        f"({ratio:.3g}x).{hint}")
    fresh = fresh_one / (fresh_batch / BATCH_ROWS)
    if speedup <= 1 < fresh / 3:
        raise Incorrect(f"your measurement says a row costs no more alone than inside a batch "
                        f"(ratio {num(speedup)}), but timed here a row alone costs "
                        f"{num(fresh)}x more: re-run your timing cell, something else was "
                        "probably using the CPU")
    if not (1 / SPEEDUP_FACTOR <= speedup / fresh <= SPEEDUP_FACTOR):
        raise Incorrect(f"your `per_row_speedup` is {num(speedup)}, but timing `model` here "
                        f"gives {num(fresh)} ({num(fresh_one)} ms per one-row call, "
                        f"{num(fresh_batch)} ms per {BATCH_ROWS}-row call), more than "
                        f"{SPEEDUP_FACTOR:g}x apart. Did both arrays come from the same "
                        "model, one row per call and 1000 rows per call?")
    return (f"Correct: on this machine a row costs about {speedup:.0f}x more when it comes "
            f"alone (timed here: {fresh:.0f}x). Most of a one-row call is fixed overhead "
            "(input checks, dispatch), not arithmetic.")


# ---------------------------------------------------------------------------------------------
# q3: version mismatches
# ---------------------------------------------------------------------------------------------
def reference_mismatches(recorded, current) -> list[str]:
    """The names ``version_mismatches`` must return, sorted: missing now, or another version."""
    missing = set(recorded).difference(current)
    changed = {name for name in set(recorded).intersection(current)
               if recorded[name] != current[name]}
    return sorted(missing | changed)


MISMATCH_CASES = [
    ({"numpy": "2.4.6", "scikit-learn": "1.9.1"},
     {"numpy": "2.4.6", "scikit-learn": "1.9.1"}),
    ({"numpy": "2.4.6", "scikit-learn": "1.9.1"},
     {"numpy": "2.4.6", "scikit-learn": "1.5.2"}),
    ({"pandas": "3.1.1", "numpy": "2.4.6"}, {"numpy": "1.26.4"}),
    ({"torch": "2.13.0"}, {"torch": "2.13.0", "onnx": "1.23.2"}),
    ({"scipy": "1.17.0", "onnxruntime": "1.32.0"}, {}),
    ({}, {"numpy": "2.4.6"}),
    ({"numpy": "2.4.10", "skl2onnx": "1.20.0"}, {"numpy": "2.4.9", "skl2onnx": "1.20.0"}),
]


def check_mismatch_cases(version_mismatches, cases) -> None:
    for recorded, current in cases:
        want = reference_mismatches(recorded, current)
        got = call(version_mismatches, dict(recorded), dict(current))
        if isinstance(got, (str, bytes, dict)) or got is None:
            raise Incorrect(f"`version_mismatches` returned {type(got).__name__} "
                            f"`{got!r:.60}`; return a list of package names")
        try:
            items = list(got)
        except TypeError:
            raise Incorrect(f"`version_mismatches` returned {type(got).__name__} "
                            f"`{got!r:.60}`; return a list of package names") from None
        if not all(isinstance(n, str) for n in items):
            bad = next(n for n in items if not isinstance(n, str))
            raise Incorrect(f"`version_mismatches` returned {type(bad).__name__} `{bad!r:.60}` "
                            "in its list; return only the package names (strings)")
        got_sorted = sorted(str(n) for n in items)
        if got_sorted != want:
            extra = ""
            if any(n not in current for n in recorded) and not set(want) <= set(got_sorted):
                extra = " A package missing from production is a mismatch too."
            elif any(n not in recorded for n in got_sorted):
                extra = (" Packages that only exist in production do not matter: loop over "
                         "`recorded`.")
            elif len(got_sorted) != len(set(got_sorted)):
                extra = " Each name should appear once."
            raise Incorrect(f"for recorded={recorded} and current={current} your function "
                            f"returned {got_sorted}, expected {want} (any order).{extra}")


def _check_mismatches(version_mismatches):
    check_mismatch_cases(version_mismatches, MISMATCH_CASES)
    return "Correct: a missing package counts, and extra packages in production do not."


# ---------------------------------------------------------------------------------------------
# q4: which failure was it?
# ---------------------------------------------------------------------------------------------
_CHOICES = {
    "a": "training-serving skew",
    "b": "a data schema change",
    "c": "a dependency mismatch",
    "d": "silent model decay",
}


def _letter(failure) -> str:
    text = " ".join(str(failure).strip().lower().split())
    for key, label in _CHOICES.items():
        if text in (label, label.removeprefix("a ")):
            return key
    m = re.match(r"^\(?([a-d])\)?(?=$|[\s).:,-])", text)
    return m.group(1) if m else ""


def _check_failure(failure):
    if failure is None or not isinstance(failure, str):
        raise Incorrect(f"answer with one letter (a string) out of {sorted(_CHOICES)}, got "
                        f"{type(failure).__name__} `{failure!r:.40}`")
    key = _letter(failure)
    if key not in _CHOICES:
        raise Incorrect(f"answer with one letter out of {sorted(_CHOICES)}, got {failure!r:.40}")
    if key == "b":
        return ("Correct: upstream reordered the columns. With a DataFrame scikit-learn refuses "
                "the request; with a bare array it silently returns wrong predictions.")
    why = {
        "a": "skew means the *preprocessing* differs between training and serving; here the "
             "model receives the same features, computed the same way, only in a different "
             "order",
        "c": "every library version is the same in the demonstration: nothing was installed "
             "or upgraded",
        "d": "decay is gradual, as the world drifts away from the training data; this failure "
             "appeared the moment the columns moved",
    }[key]
    raise Incorrect(f"not {_CHOICES[key]}: {why}")


q1 = Question(
    "q1",
    prompt="How many seconds apart are neighbouring float32 values near `TIMESTAMP_S`? "
           "Store the gap, in seconds, in `spacing_s`.",
    answers=("spacing_s",),
    checker=_check_spacing,
    hint="`np.spacing(x)` is the distance from `x` to the next representable number of the "
         "same dtype.",
)

q2 = Question(
    "q2",
    prompt="Write `time_calls(predict, X, batch_size, n_calls)`: a few untimed warm-up calls, "
           "then `n_calls` calls of `predict`, each on `batch_size` consecutive rows of `X` "
           "(wrap around to the start when `X` runs out), each timed on its own with "
           "`time.perf_counter()`; return the `n_calls` latencies in milliseconds as a 1-D "
           "array. Time `model.predict` with it on one row 300 times (`one_row_ms`) and on "
           "1000 rows 30 times (`batch_ms`), and set `per_row_speedup` = p50 of `one_row_ms` / "
           "(p50 of `batch_ms` / 1000).",
    answers=("time_calls", "model", "one_row_ms", "batch_ms", "per_row_speedup"),
    checker=_check_speedup,
    hint="Slice the batches first: `start = (i * batch_size) % (len(X) - batch_size + 1)`, "
         "`batch = X[start:start + batch_size]`. Time with `t0 = time.perf_counter(); "
         "predict(batch); times.append((time.perf_counter() - t0) * 1000)`. The p50 is "
         "`np.median`.",
)

q3 = Question(
    "q3",
    prompt="Write `version_mismatches(recorded, current)`: both map package names to version "
           "strings. Return a list of the names in `recorded` whose version in `current` is a "
           "different string, or that are missing from `current` (any order, each name once). "
           "Names that only exist in `current` do not count.",
    answers=("version_mismatches",),
    checker=_check_mismatches,
    hint="Loop over `recorded.items()` and compare with `current.get(name)`.",
)

q4 = Question(
    "q4",
    prompt="Which production failure did the column-order demonstration show? "
           "a) training-serving skew, b) a data schema change, c) a dependency mismatch, "
           "d) silent model decay. Store the letter in `failure`.",
    answers=("failure",),
    checker=_check_failure,
    hint="Nothing about the model or the preprocessing changed. What did?",
)

EXERCISE = Exercise("l01_training_vs_inference", [q1, q2, q3, q4])
