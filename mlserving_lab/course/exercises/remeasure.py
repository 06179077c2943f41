"""Checks that re-measure instead of trusting the learner's numbers.

Question modules use these to judge a learner's table against fresh measurements of the
learner's own objects: one-row latency timed here (round-robin, so machine noise hits every
model alike), file sizes read from disk, accuracy recomputed on the test rows, test-set fitting
detected on rows the learner never saw.

Timing verdicts compare only what differs by a wide margin, so that a loaded or slower grading
machine reaches the same verdict:

* a claimed p50 must be within :data:`MAGNITUDE` (10x) of a fresh one-row measurement;
* the claimed order of two models must agree with the fresh order when the fresh p50s are at
  least :data:`ORDER_GAP` (3x) apart;
* p99 >= p50, and a p99 exactly equal to its p50 means one timed call, not a distribution.

Every function raises :class:`~mlserving_lab.course.exercises.core.Incorrect` with a message
about *this* answer (the row, the two numbers, the likely mistake), and returns the fresh
values it measured so a checker can quote them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping

import numpy as np

from mlserving_lab.course.exercises.core import Incorrect, expect_number

__all__ = [
    "MAGNITUDE",
    "ORDER_GAP",
    "check_accuracy",
    "check_latency_claims",
    "check_not_fitted_on",
    "check_percentiles",
    "check_size_kb",
    "file_kb",
    "fresh_one_row_p50",
    "num",
    "nums",
    "split_unseen",
]

#: A claimed latency must lie within this factor of a fresh measurement.
MAGNITUDE = 10.0
#: Two models are ordered by the checker only when their fresh p50s differ by this factor.
ORDER_GAP = 3.0


def num(value: float) -> str:
    """A number with enough significant digits to tell two close values apart."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    return f"{value:.4g}" if abs(value) >= 1e-3 else f"{value:.3e}"


def nums(a: float, b: float) -> tuple[str, str]:
    """Two numbers formatted with just enough significant digits to tell them apart."""
    a, b = float(a), float(b)
    for digits in range(4, 16):
        fa, fb = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if fa != fb or a == b:
            return fa, fb
    return repr(a), repr(b)


def split_unseen(X, y, n_unseen: int):
    """Split off the last ``n_unseen`` rows: ``(X_rest, y_rest), (X_unseen, y_unseen)``.

    An exercise draws its data once, gives the learner the first part and keeps the rest, so
    a checker can score a learner's model on rows the learner never had.
    """
    n = len(y)
    if not 0 < n_unseen < n:
        raise ValueError(f"n_unseen must be between 1 and {n - 1}, got {n_unseen}")
    cut = n - n_unseen
    take = (lambda a, s: a.iloc[s]) if hasattr(X, "iloc") else (lambda a, s: a[s])
    ytake = (lambda a, s: a.iloc[s]) if hasattr(y, "iloc") else (lambda a, s: a[s])
    return ((take(X, slice(0, cut)), ytake(y, slice(0, cut))),
            (take(X, slice(cut, n)), ytake(y, slice(cut, n))))


def fresh_one_row_p50(predict_fns: Mapping[str, Callable], X, *, n_runs: int = 40,
                      warmup: int = 5) -> dict[str, float]:
    """Fresh one-row p50 latency (ms) of each function, timed round-robin on rows of ``X``."""
    from mlserving_lab.measure import round_robin_latency

    reports = round_robin_latency(dict(predict_fns), X, n_runs=n_runs, warmup=warmup)
    return {name: float(r.p50_ms) for name, r in reports.items()}


def _unit_hint(ratio: float) -> str:
    if 300 <= ratio:
        return (" That is about 1000x too large: is it in microseconds, or the time of a whole "
                "batch rather than of one row?")
    if ratio <= 1 / 300:
        return (" That is about 1000x too small: is it in seconds rather than milliseconds "
                "(multiply `perf_counter()` differences by 1000)?")
    if ratio < 1:
        return (" Too small for one call on one row: did you divide a batch's time by its "
                "rows, or time something other than the model's predict?")
    return " Too large for one call on one row: did you time a batch, or include fitting?"


def check_latency_claims(claimed: Mapping[str, float], fresh: Mapping[str, float], *,
                         column: str = "p50_ms", magnitude: float = MAGNITUDE,
                         order_gap: float = ORDER_GAP,
                         confirm: Callable[[], Mapping[str, float]] | None = None) -> None:
    """Judge claimed one-row latencies (ms) against fresh ones by magnitude and order.

    Parameters
    ----------
    claimed : mapping of name -> float
        The learner's numbers (already plain floats).
    fresh : mapping of name -> float
        :func:`fresh_one_row_p50` of the same models.
    column : str
        Column name used in messages.
    confirm : callable, optional
        Returns another fresh measurement. When the first verdict is *incorrect* it is called
        once, and the answer is rejected only if it is wrong against both measurements (a
        claim outside ``magnitude`` of every fresh value, or an order that every measurement
        contradicts by ``order_gap``), so that a burst of load during one measurement cannot
        fail an honest table.

    Raises
    ------
    Incorrect
        A claim more than ``magnitude`` away from its fresh value, or two models whose fresh
        p50s differ by ``order_gap`` or more but whose claims are in the other order.
    """
    names = [n for n in claimed if n in fresh]
    values = [claimed[n] for n in names]
    if len(values) >= 3 and len(set(values)) == 1:
        raise Incorrect(f"every `{column}` in your table is {num(values[0])}: these look typed "
                        "in, not measured. Time each model's own one-row calls.")
    try:
        _judge_latencies(claimed, names, fresh, fresh, column, magnitude, order_gap)
    except Incorrect:
        if confirm is None:
            raise
        again = confirm()
        lo = {n: min(float(fresh[n]), float(again[n])) for n in names}
        hi = {n: max(float(fresh[n]), float(again[n])) for n in names}
        _judge_latencies(claimed, names, lo, hi, column, magnitude, order_gap)


def _judge_latencies(claimed, names, lo, hi, column, magnitude, order_gap) -> None:
    """``lo``/``hi``: the smallest and largest fresh value of each model (equal when measured
    once). A claim passes magnitude if it is within ``magnitude`` of some fresh value; a pair
    is ordered only if even the most conservative pairing is ``order_gap`` apart."""
    for name in names:
        c, f_lo, f_hi = float(claimed[name]), float(lo[name]), float(hi[name])
        if f_lo / magnitude <= c <= f_hi * magnitude:
            continue
        f = f_hi if c > f_hi else f_lo
        ratio = c / f if f > 0 else math.inf
        raise Incorrect(
            f"`{column}` of `{name}` is {num(c)} ms, but timing `{name}` here on one row "
            f"gives about {num(f)} ms ({ratio:.3g}x).{_unit_hint(ratio)}")
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            slow, fast = (a, b) if float(lo[a]) > float(lo[b]) else (b, a)
            if float(hi[fast]) <= 0 or float(lo[slow]) / float(hi[fast]) < order_gap:
                continue
            if float(claimed[slow]) <= float(claimed[fast]):
                raise Incorrect(
                    f"your table says `{slow}` ({num(claimed[slow])} ms) is no slower than "
                    f"`{fast}` ({num(claimed[fast])} ms), but timed here `{slow}` takes "
                    f"{num(lo[slow])} ms and `{fast}` {num(hi[fast])} ms, "
                    f"{float(lo[slow]) / float(hi[fast]):.1f}x apart. Time every model the "
                    "same way (one row per call), interleaved.")


def check_percentiles(p50, p99, name: str, *, p50_name: str = "p50_ms",
                      p99_name: str = "p99_ms") -> tuple[float, float]:
    """Check one model's p50/p99 pair; return them as floats."""
    p50 = expect_number(p50, f"{p50_name} of {name}", unit="milliseconds", positive=True)
    p99 = expect_number(p99, f"{p99_name} of {name}", unit="milliseconds", positive=True)
    if p99 < p50:
        raise Incorrect(f"the p99 of `{name}` ({num(p99)} ms) is below its p50 ({num(p50)} ms): "
                        "the 99th percentile of the same measurements is never below the "
                        "median. Are the columns swapped?")
    if p99 == p50:
        raise Incorrect(f"the p50 and p99 of `{name}` are both exactly {num(p50)} ms: that is "
                        "one timed call used twice (or a typed-in number). Time many one-row "
                        "calls and take both percentiles of the same samples.")
    return p50, p99


def file_kb(path) -> float:
    """Size of the file at ``path`` in KB (1 KB = 1024 bytes)."""
    return os.stat(os.fspath(path)).st_size / 1024


def check_size_kb(claimed, fresh_kb: float, name: str, *, column: str = "size_kb",
                  rel: float = 0.02) -> float:
    """Judge a claimed size in KB against the re-measured one (relative tolerance ``rel``)."""
    c = expect_number(claimed, f"{column} of {name}", unit="KB", positive=True)
    if abs(c - fresh_kb) <= rel * fresh_kb + 0.01:
        return c
    ratio = c / fresh_kb if fresh_kb > 0 else math.inf
    why = ""
    if 900 <= ratio <= 1100:
        why = " It looks like bytes: divide by 1024."
    elif 1 / 1100 <= ratio <= 1 / 900:
        why = " It looks like MB: KB is bytes / 1024."
    elif 0.9 <= ratio * 1.024 <= 1.1 or 0.9 <= ratio / 1.024 <= 1.1:
        why = " Use 1 KB = 1024 bytes."
    raise Incorrect(f"`{column}` of `{name}` is {num(c)} KB, but the file measures "
                    f"{num(fresh_kb)} KB.{why}")


def check_accuracy(claimed, model_predictions, y_test, name: str, *, y_train_pred=None,
                   y_train=None, column: str = "accuracy", tol: float = 1e-6) -> float:
    """Judge a claimed test accuracy against the accuracy recomputed from predictions.

    ``model_predictions`` are the model's predictions on the test rows (computed by the
    checker). When the training predictions are given too, a claim equal to the training
    accuracy is named as such.
    """
    c = expect_number(claimed, f"{column} of {name}")
    fresh = float(np.mean(np.asarray(model_predictions) == np.asarray(y_test)))
    if abs(c - fresh) <= tol + 1e-9:
        return c
    if 1 < c <= 100 and abs(c / 100 - fresh) <= tol + 1e-9:
        raise Incorrect(f"`{column}` of `{name}` is {num(c)}: accuracy is a fraction between "
                        f"0 and 1 ({num(fresh)} here), not a percentage")
    if y_train_pred is not None and y_train is not None:
        train = float(np.mean(np.asarray(y_train_pred) == np.asarray(y_train)))
        if abs(c - train) <= tol + 1e-9:
            raise Incorrect(f"`{column}` of `{name}` is {num(c)}, its accuracy on the "
                            f"*training* rows; on X_test it is {num(fresh)}. Score on the test "
                            "set.")
    raise Incorrect(f"`{column}` of `{name}` is {num(c)}, but `{name}` scores {num(fresh)} on "
                    "X_test here. Is it the accuracy of this model, on X_test?")


def check_not_fitted_on(model, X_test, y_test, X_unseen, y_unseen, name: str, *,
                        predict=None, margin: float = 0.04) -> None:
    """Detect a model fitted on the test rows: it scores far better there than on unseen rows.

    Both sets come from the same distribution, so an honest model scores about the same on
    them. The threshold is ``margin`` plus three standard errors of the difference.
    """
    pred = predict or model.predict
    a_test = float(np.mean(np.asarray(pred(X_test)) == np.asarray(y_test)))
    a_unseen = float(np.mean(np.asarray(pred(X_unseen)) == np.asarray(y_unseen)))
    p = max(min((a_test + a_unseen) / 2, 1 - 1e-3), 1e-3)
    se = math.sqrt(p * (1 - p) * (1 / len(y_test) + 1 / len(y_unseen)))
    if a_test - a_unseen > margin + 3 * se:
        raise Incorrect(f"`{name}` scores {num(a_test)} on X_test but only {num(a_unseen)} on "
                        "new rows from the same distribution that you never had: it looks "
                        "fitted on the test set (or on train + test). Fit on X_train only.")
