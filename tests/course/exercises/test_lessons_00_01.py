"""Both-ways tests for the check-yourself questions of lessons 00 and 01."""

import numpy as np
import pytest

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises import l00_start_here as l00
from mlserving_lab.course.exercises import l01_training_vs_inference as l01
from mlserving_lab.measure import LatencyReport

LAT = l00.LATENCIES_MS


def within_budget(latencies, budget):
    latencies = np.asarray(latencies, dtype=float)
    return float(np.mean(latencies <= budget)) if latencies.size else 0.0


def test_l00_reference_answers_pass():
    assert_check_passed(l00.q1, float(np.mean(LAT)))
    assert_check_passed(l00.q2, *np.percentile(LAT, [50, 99]))
    assert_check_passed(l00.q3, within_budget)
    assert_check_passed(l00.demo, lambda x: 2 * x)


@pytest.mark.parametrize("answer, match", [
    (float(np.median(LAT)), "is the median, not the mean"),
    (float(np.sum(LAT)), "is the sum"),
    (3.0, r"your mean \(3.00 ms\) does not match"),
    ("7", "should be a number, but it is str"),
    (True, "should be a number"),
    (float("nan"), "finite number"),
])
def test_l00_q1_wrong_answers(answer, match):
    assert_check_failed(l00.q1, answer, match=match)


@pytest.mark.parametrize("answers, match", [
    ((4.0, 3.1), r"your p99 \(3.1 ms\) is below your p50 \(4.0 ms\): percentiles must grow"),
    ((float(np.mean(LAT)), 50.0), "is the mean; p50 is the median"),
    ((float(np.median(LAT)), max(LAT)), "is the maximum"),
    ((float(np.median(LAT)), 30.0), "does not match"),
])
def test_l00_q2_wrong_answers(answers, match):
    assert_check_failed(l00.q2, *answers, match=match)


def test_l00_q3_wrong_functions():
    assert_check_failed(l00.q3, lambda lat, b: float(np.mean(np.asarray(lat) < b)),
                        match="exactly the budget is within it")
    assert_check_failed(l00.q3, lambda lat, b: float(np.mean(np.asarray(lat) <= b)),
                        match="empty window")
    assert_check_failed(l00.q3, lambda lat, b: "half", match="fraction between 0 and 1")
    assert_check_failed(l00.q3, lambda lat, b: lat.nope, outcome="error", match="lat.nope")
    assert_check_failed(l00.q3, ____, outcome="not_attempted")


def test_l01_q1_spacing():
    assert_check_passed(l01.q1, float(np.spacing(np.float32(l01.TIMESTAMP_S))))
    assert_check_failed(l01.q1, float(np.spacing(np.float64(l01.TIMESTAMP_S))),
                        match="float64 spacing")
    assert_check_failed(l01.q1, float(np.finfo(np.float32).eps), match="machine epsilon")
    assert_check_failed(l01.q1, 1.0, match=r"your spacing \(1 s\)")


def _report(p50, batch_size):
    return LatencyReport.from_samples(np.full(20, p50), batch_size=batch_size)


def test_l01_q2_recomputes_from_the_learners_reports():
    one, batch = _report(0.2, 1), _report(2.0, 1000)
    assert_check_passed(l01.q2, one, batch, 100.0)
    assert_check_failed(l01.q2, one, batch, 0.01, match="upside down")
    assert_check_failed(l01.q2, one, batch, 0.1, match="compares a whole batch with one row")
    assert_check_failed(l01.q2, one, batch, 55.0, match=r"= 100.0, but `per_row_speedup` is 55")
    assert_check_failed(l01.q2, batch, batch, 1.0, match="batch_size=1000; measure single rows")
    assert_check_failed(l01.q2, one, _report(2.0, 10), 1.0, match="use a real batch")
    assert_check_failed(l01.q2, "fast", batch, 1.0, match="should be the report")
    slow_batch = _report(400.0, 1000)
    assert_check_failed(l01.q2, one, slow_batch, 0.5, match="something else was")


def test_l01_q3_version_mismatches():
    def good(recorded, current):
        return [n for n, v in recorded.items() if current.get(n) != v]

    assert_check_passed(l01.q3, good)
    assert_check_failed(l01.q3, lambda r, c: [n for n in r if n in c and r[n] != c[n]],
                        match="missing from production is a mismatch")
    assert_check_failed(l01.q3, lambda r, c: sorted(set(r) ^ set(c)), match="expected")
    assert_check_failed(l01.q3, lambda r, c: None, match="return a list of package names")


def test_l01_q4_multiple_choice_explains_each_wrong_letter():
    assert_check_passed(l01.q4, "b")
    assert_check_passed(l01.q4, " B) a data schema change")
    assert_check_failed(l01.q4, "a", match="preprocessing")
    assert_check_failed(l01.q4, "c", match="library version")
    assert_check_failed(l01.q4, "d", match="gradual")
    assert_check_failed(l01.q4, "z", match="one letter")
