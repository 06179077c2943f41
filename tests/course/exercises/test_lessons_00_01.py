"""Both-ways tests for the check-yourself questions of lessons 00 and 01."""

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises import l00_start_here as l00
from mlserving_lab.course.exercises import l01_training_vs_inference as l01
from mlserving_lab.datasets import make_classification_split

LAT = l00.LATENCIES_MS


def test_no_question_carries_its_own_solution_text():
    for q in [*l00.EXERCISE, l00.demo, *l01.EXERCISE]:
        assert q._solution is None and not q.hidden


# -- lesson 00 -------------------------------------------------------------------------------
def within_budget(latencies, budget):
    latencies = np.asarray(latencies, dtype=float)
    return float(np.mean(latencies <= budget)) if latencies.size else 0.0


def test_l00_reference_answers_pass():
    assert_check_passed(l00.q1, float(np.mean(LAT)))
    assert_check_passed(l00.q1, np.mean(LAT))                    # a numpy scalar
    assert_check_passed(l00.q2, *np.percentile(LAT, [50, 99]))
    assert_check_passed(l00.q3, within_budget)
    assert_check_passed(l00.q3, lambda lat, b: np.mean(lat <= b) if len(lat) else 0.0)
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
    assert_check_failed(l00.q3, lambda lat, b: 100 * within_budget(lat, b),
                        match="That is a percentage")
    assert_check_failed(l00.q3, lambda lat, b: "half", match="fraction between 0 and 1")
    assert_check_failed(l00.q3, lambda lat, b: lat.nope, outcome="error", match="lat.nope")
    assert_check_failed(l00.q3, ____, outcome="not_attempted")


def test_l00_q3_hidden_windows():
    # Passes the public windows by remembering them, fails on new ones.
    seen = {(4, 10.0): 0.75, (2, 5.0): 1.0, (0, 1.0): 0.0}

    def memorised(lat, b):
        return seen.get((len(lat), b), float(np.mean(np.asarray(lat) <= b)) if b == 4.0 else 0.5)

    assert l00.q3.check(memorised).outcome == "correct"
    assert_check_failed(l00.q3, memorised, hidden=True, match="budget 5.0 ms")


# -- lesson 01 q1 ----------------------------------------------------------------------------
def test_l01_q1_spacing():
    assert_check_passed(l01.q1, float(np.spacing(np.float32(l01.TIMESTAMP_S))))
    assert_check_passed(l01.q1, 128)
    assert_check_passed(l01.q1, np.float32(128.0))
    assert_check_failed(l01.q1, float(np.spacing(np.float64(l01.TIMESTAMP_S))),
                        match="float64 spacing")
    assert_check_failed(l01.q1, float(np.finfo(np.float32).eps), match="machine epsilon")
    assert_check_failed(l01.q1, float(np.finfo(np.float32).eps) * l01.TIMESTAMP_S,
                        match="power of two")
    assert_check_failed(l01.q1, 128_000.0, match="milliseconds")
    err = float(np.float32(l01.TIMESTAMP_S)) - l01.TIMESTAMP_S
    if err:
        assert_check_failed(l01.q1, err, match="rounding error")
    assert_check_failed(l01.q1, 1.0, match=r"your spacing \(1 s\)")
    assert_check_failed(l01.q1, "128", match="should be a number of seconds")


# -- lesson 01 q2 ----------------------------------------------------------------------------
def time_calls(predict, X, batch_size, n_calls):
    starts = [(i * batch_size) % (len(X) - batch_size + 1) for i in range(n_calls)]
    batches = [X[s:s + batch_size] for s in starts]
    for batch in batches[:3]:
        predict(batch)
    out = []
    for batch in batches:
        t0 = time.perf_counter()
        predict(batch)
        out.append((time.perf_counter() - t0) * 1000)
    return np.array(out)


def seconds_calls(predict, X, batch_size, n_calls):
    return time_calls(predict, X, batch_size, n_calls) / 1000


def one_timed_call(predict, X, batch_size, n_calls):
    t0 = time.perf_counter()
    predict(X[:batch_size])
    return [(time.perf_counter() - t0) * 1000] * n_calls


def loop_average(predict, X, batch_size, n_calls):
    t0 = time.perf_counter()
    for _ in range(n_calls):
        predict(X[:batch_size])
    return np.full(n_calls, (time.perf_counter() - t0) * 1000 / n_calls)


def no_wrap(predict, X, batch_size, n_calls):       # runs off the end of X
    out = []
    for i in range(n_calls):
        batch = X[i * batch_size:(i + 1) * batch_size]
        t0 = time.perf_counter()
        predict(batch)
        out.append((time.perf_counter() - t0) * 1000)
    return out                                          # a list is fine


def whole_x(predict, X, batch_size, n_calls):       # ignores batch_size
    return time_calls(predict, X, len(X), n_calls)


@pytest.fixture(scope="module")
def lesson01():
    X_train, X_test, y_train, _ = make_classification_split(n_samples=8_000, random_state=0)
    model = LogisticRegression(max_iter=1_000).fit(X_train, y_train)
    one = time_calls(model.predict, X_test, 1, 300)
    batch = time_calls(model.predict, X_test, 1000, 30)
    speedup = float(np.median(one) / (np.median(batch) / 1000))
    return model, one, batch, speedup, X_train, y_train


def test_l01_q2_correct_and_alternatives(lesson01):
    model, one, batch, speedup, *_ = lesson01
    assert_check_passed(l01.q2, time_calls, model, one, batch, speedup)
    assert_check_passed(l01.q2, time_calls, model, list(one), batch.tolist(), np.float64(speedup))
    assert_check_passed(l01.q2, time_calls, model, one[:150], batch[:12],
                        np.median(one[:150]) / (np.median(batch[:12]) / 1000))


def test_l01_q2_learners_timing_function_is_run_on_a_known_cost(lesson01):
    model, one, batch, speedup, *_ = lesson01
    rest = (model, one, batch, speedup)
    assert_check_failed(l01.q2, seconds_calls, *rest, match="seconds instead of milliseconds")
    assert_check_failed(l01.q2, one_timed_call, *rest, match="copies of")
    assert_check_failed(l01.q2, loop_average, *rest, match="time every call")
    assert_check_failed(l01.q2, lambda p, X, b, n: time_calls(p, X, b, 1), *rest,
                        match="returned 1 latencies instead of 30.*one timed call")
    assert_check_failed(l01.q2, no_wrap, *rest, match="wrap around")
    assert_check_failed(l01.q2, whole_x, *rest, match="not the whole X")
    assert_check_failed(l01.q2, lambda p, X, b, n: time_calls(p, X, b, n) * 1000, *rest,
                        match="microseconds")
    assert_check_failed(l01.q2, ____, *rest, outcome="not_attempted")


def test_l01_q2_hidden_sizes(lesson01):
    model, one, batch, speedup, *_ = lesson01

    def fixed_sizes(predict, X, batch_size, n_calls):      # only knows the public sizes
        return time_calls(predict, X, 1 if batch_size == 1 else 1000, 30 if batch_size == 1
                          else 4)

    assert l01.q2.evaluate(fixed_sizes, model, one, batch, speedup).outcome == "correct"
    assert_check_failed(l01.q2, fixed_sizes, model, one, batch, speedup, hidden=True,
                        match="instead of")


def test_l01_q2_learners_arrays_and_ratio(lesson01):
    model, one, batch, speedup, X_train, y_train = lesson01
    tc = time_calls
    assert_check_failed(l01.q2, tc, model, one / 1000, batch / 1000, speedup,
                        match="one_row_ms.*seconds instead of milliseconds")
    in_s = batch / 1000
    assert_check_failed(l01.q2, tc, model, one, in_s, np.median(one) / (np.median(in_s) / 1000),
                        match="batch_ms.*1000x too small")
    assert_check_failed(l01.q2, tc, model, one[:1], batch, speedup, match="one timed call")
    assert_check_failed(l01.q2, tc, model, np.full(300, 0.05), batch, speedup,
                        match="one measurement repeated")
    assert_check_failed(l01.q2, tc, model, one[:20], batch, speedup, match="at least 100")
    per_row = np.resize(batch, 300) / 1000               # a batch's time divided by its rows
    assert_check_failed(l01.q2, tc, model, per_row, batch,
                        np.median(per_row) / (np.median(batch) / 1000),
                        match="a batch's time divided by its rows")
    assert_check_failed(l01.q2, tc, model, one, batch, 1 / speedup, match="upside down")
    assert_check_failed(l01.q2, tc, model, one, batch, np.median(one) / np.median(batch),
                        match="compares a whole batch with one row")
    assert_check_failed(l01.q2, tc, model, one, batch, 55.0, match=r"but `per_row_speedup` is 55")
    mean_ratio = np.mean(one) / (np.mean(batch) / 1000)
    if abs(mean_ratio / speedup - 1) > 0.03:
        assert_check_failed(l01.q2, tc, model, one, batch, mean_ratio, match="mean latencies")
    assert_check_failed(l01.q2, tc, model, one, batch, "fast", match="should be a number")
    tree = DecisionTreeClassifier(max_depth=3).fit(X_train, y_train)
    assert_check_failed(l01.q2, tc, tree, one, batch, speedup, match="LogisticRegression")


def test_l01_q2_numbers_that_disagree_with_a_fresh_measurement(lesson01):
    model, one, batch, speedup, *_ = lesson01
    # Arrays from some other, much slower function: consistent ratio, wrong magnitude.
    slow_one, slow_batch = one * 50, batch * 50
    assert_check_failed(l01.q2, time_calls, model, slow_one, slow_batch, speedup,
                        match="Too large for one call on one row")
    # A "batch" that is far too cheap for 1000 rows gives a speed-up the model does not have.
    cheap = batch / 20
    assert_check_failed(l01.q2, time_calls, model, one, cheap,
                        np.median(one) / (np.median(cheap) / 1000),
                        match=r"more than 5x apart|Does every call get all 1000 rows")


# -- lesson 01 q3 ----------------------------------------------------------------------------
def good_mismatches(recorded, current):
    return [n for n, v in recorded.items() if current.get(n) != v]


def test_l01_q3_version_mismatches():
    assert_check_passed(l01.q3, good_mismatches)
    assert_check_passed(l01.q3, lambda r, c: {n for n in r if c.get(n) != r[n]})  # a set
    assert_check_passed(l01.q3, lambda r, c: tuple(sorted(good_mismatches(r, c))))
    assert_check_failed(l01.q3, lambda r, c: [n for n in r if n in c and r[n] != c[n]],
                        match="missing from production is a mismatch")
    assert_check_failed(l01.q3, lambda r, c: sorted(set(r) ^ set(c)), match="expected")
    assert_check_failed(l01.q3, lambda r, c: [n for n in {**r, **c} if r.get(n) != c.get(n)],
                        match="only exist in production do not matter")
    assert_check_failed(l01.q3, lambda r, c: [(n, r[n], c.get(n)) for n in good_mismatches(r, c)],
                        match="return only the package names")
    assert_check_failed(l01.q3, lambda r, c: None, match="return a list of package names")
    assert_check_failed(l01.q3, lambda r, c: ",".join(good_mismatches(r, c)),
                        match="return a list of package names")


def test_l01_q3_hidden_environments():
    def hard_coded(recorded, current):        # right on the public cases only
        table = {("numpy", "scikit-learn"): ["scikit-learn"] if current.get("scikit-learn")
                 == "1.5.2" else [], ("pandas", "numpy"): ["numpy", "pandas"],
                 ("scipy", "onnxruntime"): ["onnxruntime", "scipy"],
                 ("numpy", "skl2onnx"): ["numpy"]}
        return table.get(tuple(recorded), [])

    assert l01.q3.evaluate(hard_coded).outcome == "correct"
    assert_check_failed(l01.q3, hard_coded, hidden=True, match="expected")


# -- lesson 01 q4 ----------------------------------------------------------------------------
def test_l01_q4_multiple_choice_explains_each_wrong_letter():
    for ok in ("b", " B) a data schema change", "(b)", "b.", "a data schema change",
               "Data schema change"):
        assert_check_passed(l01.q4, ok)
    assert_check_failed(l01.q4, "a", match="preprocessing")
    assert_check_failed(l01.q4, "training-serving skew", match="preprocessing")
    assert_check_failed(l01.q4, "c", match="library version")
    assert_check_failed(l01.q4, "d", match="gradual")
    assert_check_failed(l01.q4, "z", match="one letter")
    assert_check_failed(l01.q4, "about", match="one letter")
    assert_check_failed(l01.q4, 2, match="one letter")
