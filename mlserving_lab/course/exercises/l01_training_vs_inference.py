"""Check-yourself questions for ``01_training_vs_inference``."""

from __future__ import annotations

import math

import numpy as np

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call, expect_number

#: A Unix timestamp in seconds (November 2026), the scale at which float32 loses precision.
TIMESTAMP_S = 1_795_000_000


def _check_spacing(spacing_s):
    got = expect_number(spacing_s, "spacing_s", unit="seconds")
    want = float(np.spacing(np.float32(TIMESTAMP_S)))
    if math.isclose(got, want):
        return (f"Correct: near {TIMESTAMP_S:,} the gap between neighbouring float32 values is "
                f"{want:g} s, so a float32 timestamp cannot tell apart events "
                f"{want:g} seconds apart.")
    if math.isclose(got, float(np.spacing(np.float64(TIMESTAMP_S)))):
        raise Incorrect(f"{got:.3g} s is the float64 spacing; cast the timestamp to "
                        "`np.float32` first")
    if math.isclose(got, float(np.finfo(np.float32).eps)):
        raise Incorrect("that is float32's machine epsilon, the spacing near 1.0; the spacing "
                        "grows with the magnitude: use `np.spacing(np.float32(TIMESTAMP_S))`")
    raise Incorrect(f"your spacing ({got:g} s) is not the gap between float32 neighbours at "
                    f"{TIMESTAMP_S:,}; try `np.spacing(np.float32(TIMESTAMP_S))`")


def _check_speedup(one_row, batch, per_row_speedup):
    for name, report in (("one_row", one_row), ("batch", batch)):
        if not all(hasattr(report, a) for a in ("p50_ms", "batch_size")):
            raise Incorrect(f"`{name}` should be the report returned by `benchmark_latency`, "
                            f"got {type(report).__name__}")
    if one_row.batch_size != 1:
        raise Incorrect(f"`one_row` was measured with batch_size={one_row.batch_size}; "
                        "measure single rows (batch_size=1)")
    if batch.batch_size < 100:
        raise Incorrect(f"`batch` used batch_size={batch.batch_size}; use a real batch "
                        "(1000 rows)")
    per_row_speedup = expect_number(per_row_speedup, "per_row_speedup")
    per_row_batch_ms = batch.p50_ms / batch.batch_size
    want = one_row.p50_ms / per_row_batch_ms
    if math.isclose(float(per_row_speedup), want, rel_tol=0.02):
        if want <= 1:
            raise Incorrect(f"your measurement says one row costs no more than a batched row "
                            f"(ratio {want:.2f}); re-run the benchmark cells, something else "
                            "was probably using the CPU")
        return (f"Correct: on this machine a row costs {want:.0f}x more when it comes alone. "
                "Most of a one-row call is fixed overhead (input checks, dispatch), not "
                "arithmetic.")
    if math.isclose(float(per_row_speedup), 1 / want, rel_tol=0.02):
        raise Incorrect(f"your ratio ({per_row_speedup:.3g}) is upside down: divide the "
                        "one-row latency by the batch's per-row latency")
    if math.isclose(float(per_row_speedup), one_row.p50_ms / batch.p50_ms, rel_tol=0.02):
        raise Incorrect(f"your ratio ({per_row_speedup:.3g}) compares a whole batch with one "
                        f"row; divide the batch p50 by its {batch.batch_size} rows first")
    raise Incorrect(f"from your own reports the ratio is {one_row.p50_ms:.3f} ms / "
                    f"({batch.p50_ms:.3f} ms / {batch.batch_size}) = {want:.1f}, but "
                    f"`per_row_speedup` is {per_row_speedup:.3g}")


def _check_mismatches(version_mismatches):
    cases = [
        ({"numpy": "2.4.6", "scikit-learn": "1.9.1"},
         {"numpy": "2.4.6", "scikit-learn": "1.9.1"}, []),
        ({"numpy": "2.4.6", "scikit-learn": "1.9.1"},
         {"numpy": "2.4.6", "scikit-learn": "1.5.2"}, ["scikit-learn"]),
        ({"pandas": "3.1.1", "numpy": "2.4.6"}, {"numpy": "1.26.4"}, ["numpy", "pandas"]),
        ({"torch": "2.13.0"}, {"torch": "2.13.0", "onnx": "1.23.2"}, []),
    ]
    for recorded, current, want in cases:
        got = call(version_mismatches, dict(recorded), dict(current))
        try:
            got_sorted = sorted(got)
        except TypeError:
            raise Incorrect(f"`version_mismatches` returned {type(got).__name__} "
                            f"`{got!r:.60}`; return a list of package names") from None
        if got_sorted != want:
            extra = ("A package missing from production is a mismatch too. "
                     if "pandas" in recorded and "pandas" not in current else "")
            raise Incorrect(f"for recorded={recorded} and current={current} your function "
                            f"returned {got!r}, expected {want} (any order). {extra}".strip())
    return "Correct: a missing package counts, and extra packages in production do not."


_CHOICES = {
    "a": "training-serving skew",
    "b": "a data schema change",
    "c": "a dependency mismatch",
    "d": "silent model decay",
}


def _check_failure(failure):
    key = str(failure).strip().lower()[:1] if failure is not None else ""
    if key not in _CHOICES:
        raise Incorrect(f"answer with one letter out of {sorted(_CHOICES)}, got {failure!r}")
    if key == "b":
        return ("Correct: upstream reordered the columns. With a DataFrame scikit-learn refuses "
                "the request; with a bare array it silently returns wrong predictions.")
    why = {
        "a": "skew means the *preprocessing* differs between training and serving; here the "
             "model receives the same features, only in a different order",
        "c": "every library version is the same in the demonstration",
        "d": "decay is gradual; this failure appeared the moment the columns moved",
    }[key]
    raise Incorrect(f"not {_CHOICES[key]}: {why}")


q1 = Question(
    "q1",
    prompt="How many seconds apart are neighbouring float32 values near `TIMESTAMP_S`? "
           "Store it in `spacing_s`.",
    answers=("spacing_s",),
    checker=_check_spacing,
    hint="`np.spacing(x)` is the distance from `x` to the next representable number of the "
         "same dtype.",
    solution="spacing_s = float(np.spacing(np.float32(TIMESTAMP_S)))",
)

q2 = Question(
    "q2",
    prompt="From your two latency reports, how many times more does one row cost when sent "
           "alone than when it is part of a 1000-row batch? Store it in `per_row_speedup`.",
    answers=("one_row", "batch", "per_row_speedup"),
    checker=_check_speedup,
    hint="The batch's per-row cost is `batch.p50_ms / batch.batch_size`.",
    solution="per_row_speedup = one_row.p50_ms / (batch.p50_ms / batch.batch_size)",
)

q3 = Question(
    "q3",
    prompt="Write `version_mismatches(recorded, current)` returning the names of packages whose "
           "recorded version differs from the current one, or that are missing now.",
    answers=("version_mismatches",),
    checker=_check_mismatches,
    hint="Loop over `recorded.items()` and compare with `current.get(name)`.",
    solution=(
        "def version_mismatches(recorded, current):\n"
        "    return sorted(name for name, version in recorded.items()\n"
        "                  if current.get(name) != version)"
    ),
)

q4 = Question(
    "q4",
    prompt="Which production failure did the column-order demonstration show? "
           "a) training-serving skew, b) a data schema change, c) a dependency mismatch, "
           "d) silent model decay. Store the letter in `failure`.",
    answers=("failure",),
    checker=_check_failure,
    hint="Nothing about the model or the preprocessing changed. What did?",
    solution='failure = "b"',
)

EXERCISE = Exercise("l01_training_vs_inference", [q1, q2, q3, q4])
