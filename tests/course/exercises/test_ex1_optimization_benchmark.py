"""Exercise 1 checkers, tested both ways: the reference answers pass (and so do the variants
the prompts allow), wrong answers written as a learner would write them fail with a message
about that answer."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import joblib
import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
import skl2onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.ex1_optimization_benchmark import (
    BASELINE_PARAMS,
    BUDGET_MS,
    EXERCISE,
    expected_choice,
    load_data,
    q1,
    q2,
    q3,
    q4,
    q5,
    q6,
    tie_table,
)

ROWS = ("baseline", "fewer_trees", "shallow", "distilled", "compressed", "onnx")


# ---- reference answers, as the solution notebook writes them ---------------------------------
def distill(teacher, X):
    p = teacher.predict_proba(X)
    X_dup = np.vstack([X, X])
    y_dup = np.r_[np.zeros(len(X)), np.ones(len(X))]
    return LogisticRegression(max_iter=1000).fit(X_dup, y_dup, sample_weight=np.r_[p[:, 0],
                                                                                    p[:, 1]])


def time_one_row(predict_fns, X, n_runs, warmup):
    samples = {name: np.empty(n_runs) for name in predict_fns}
    for i in range(warmup + n_runs):
        row = X[i % len(X):i % len(X) + 1]
        for name, fn in predict_fns.items():
            t0 = time.perf_counter()
            fn(row)
            ms = (time.perf_counter() - t0) * 1000
            if i >= warmup:
                samples[name][i - warmup] = ms
    return samples


def choose(table, budget_ms):
    fits = table[table["p99_ms"] <= budget_ms]
    if len(fits) == 0:
        return None
    return sorted(fits.index, key=lambda n: (-fits.loc[n, "accuracy"], fits.loc[n, "p99_ms"],
                                             str(n)))[0]


def one_thread():
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return options


def export(model, name="X"):
    onx = skl2onnx.to_onnx(model, initial_types=[(name, FloatTensorType([None, 30]))],
                           options={"zipmap": False})
    data = onx.SerializeToString()
    return data, ort.InferenceSession(data, one_thread(), providers=["CPUExecutionProvider"])


def gbm(**kw):
    return GradientBoostingClassifier(**{**BASELINE_PARAMS, **kw})


def onnx_predict(session):
    name = session.get_inputs()[0].name
    return lambda X: session.run(None, {name: X.astype(np.float32)})[0]


def measure(models, paths, X_test, y_test, *, n_runs=200):
    fns = {n: (onnx_predict(m) if n == "onnx" else m.predict) for n, m in models.items()}
    samples = time_one_row(fns, X_test, n_runs, 10)
    return pd.DataFrame({
        n: {"accuracy": np.mean(fn(X_test) == y_test),
            "p50_ms": np.percentile(samples[n], 50), "p99_ms": np.percentile(samples[n], 99),
            "size_kb": os.path.getsize(paths[n]) / 1024}
        for n, fn in fns.items()}).T


@pytest.fixture(scope="module")
def sol(tmp_path_factory):
    X_train, X_test, y_train, y_test = load_data()
    baseline = gbm().fit(X_train, y_train)
    fewer = gbm(n_estimators=10).fit(X_train, y_train)
    shallow = gbm(max_depth=2).fit(X_train, y_train)
    distilled = distill(baseline, X_train)
    onnx_bytes, session = export(baseline)
    folder = tmp_path_factory.mktemp("ex1")
    paths = {n: folder / f"{n}.joblib" for n in ROWS[:4]}
    for n, m in zip(ROWS[:4], (baseline, fewer, shallow, distilled), strict=True):
        joblib.dump(m, paths[n])
    paths["compressed"] = folder / "compressed.joblib"
    joblib.dump(baseline, paths["compressed"], compress=5)
    paths["onnx"] = folder / "baseline.onnx"
    paths["onnx"].write_bytes(onnx_bytes)
    models = {"baseline": baseline, "fewer_trees": fewer, "shallow": shallow,
              "distilled": distilled, "compressed": joblib.load(paths["compressed"]),
              "onnx": session}
    table = measure(models, paths, X_test, y_test)
    return dict(baseline=baseline, fewer=fewer, shallow=shallow, distilled=distilled,
                session=session, onnx_bytes=onnx_bytes, paths=paths, models=models,
                table=table, folder=folder, X_train=X_train, X_test=X_test, y_train=y_train,
                y_test=y_test)


def test_exercise_shape():
    assert EXERCISE.name == "ex1_optimization_benchmark"
    assert [q.points for q in EXERCISE] == [1, 1, 1, 2, 2, 1]
    assert EXERCISE.max_score == 8
    assert all(q.check(*([____] * len(q.answers))).outcome == "not_attempted" for q in EXERCISE)
    assert all(q._solution is None for q in EXERCISE)  # solutions come from the notebook


def test_the_question_module_works_without_the_instructor_package():
    import mlserving_lab.course.exercises.ex1_optimization_benchmark as module

    assert "instructor" not in Path(module.__file__).read_text().replace(
        "`mlserving_lab.course.instructor`", "")


# ---- q1 ---------------------------------------------------------------------------------------
def test_q1_reference_and_alternatives_pass(sol):
    s = sol
    assert_check_passed(q1, s["baseline"], s["fewer"], s["shallow"])
    # the same parameters spelled out, and a baseline without random_state
    X_train, y_train = s["X_train"], s["y_train"]
    spelled = GradientBoostingClassifier(n_estimators=10, max_depth=4, random_state=0).fit(
        X_train, y_train)
    assert_check_passed(q1, s["baseline"], spelled, s["shallow"])


def test_q1_hyperparameters_are_checked_against_the_prompt(sol):
    s = sol
    # only the parameters are judged here, so these wrong variants are fitted on fewer rows
    X_train, y_train = s["X_train"][:400], s["y_train"][:400]
    two = gbm(n_estimators=10, max_depth=3).fit(X_train, y_train)
    assert_check_failed(q1, s["baseline"], two, s["shallow"],
                        match=r"`fewer_trees` changes n_estimators and also max_depth \(3 vs 4")
    twenty = gbm(n_estimators=20).fit(X_train, y_train)
    assert_check_failed(q1, s["baseline"], twenty, s["shallow"],
                        match="n_estimators=20; the question asks for n_estimators=10")
    assert_check_failed(q1, s["baseline"], s["baseline"], s["shallow"], match="same model")
    assert_check_failed(q1, s["fewer"], s["baseline"], s["shallow"],
                        match=r"`baseline` should be .*n_estimators=10 \(asked: 50\)")
    assert_check_failed(q1, s["baseline"], s["shallow"], s["fewer"],
                        match="`fewer_trees` has n_estimators=50, like `baseline`: set "
                              "n_estimators=10")
    fast = gbm(n_estimators=10, learning_rate=0.3).fit(X_train, y_train)
    assert_check_failed(q1, s["baseline"], fast, s["shallow"], match="also learning_rate")
    assert_check_failed(q1, s["baseline"], s["fewer"], LogisticRegression(),
                        match="`shallow` should be a fitted GradientBoostingClassifier")
    assert_check_failed(q1, gbm(), s["fewer"], s["shallow"], match="`baseline` is not fitted")
    small = gbm(n_estimators=5).fit(X_train[:, :5], y_train)
    assert_check_failed(q1, small, s["fewer"], s["shallow"], match="5 features.*30")


def test_q1_catches_fitting_on_the_test_set(sol):
    s = sol
    X_train, X_test, y_train, y_test = s["X_train"], s["X_test"], s["y_train"], s["y_test"]
    on_test = gbm(n_estimators=10).fit(X_test, y_test)
    assert_check_failed(q1, s["baseline"], on_test, s["shallow"],
                        match="`fewer_trees` was fitted on X_test, the test set")
    on_all = gbm(n_estimators=10).fit(np.vstack([X_train, X_test]), np.r_[y_train, y_test])
    assert_check_failed(q1, s["baseline"], on_all, s["shallow"],
                        match="fitted on X_train \\+ X_test together")
    on_part = gbm(n_estimators=10).fit(X_train[:600], y_train[:600])
    assert_check_failed(q1, s["baseline"], on_part, s["shallow"],
                        match="rows other than the 900 rows of X_train")


def test_q1_hidden_check_uses_rows_the_learner_never_had(sol):
    from mlserving_lab.course.instructor.ex1_optimization_benchmark import HIDDEN

    (hidden,) = HIDDEN["q1"]
    s = sol
    hidden(s["baseline"], s["fewer"], s["shallow"])  # honest models pass
    # the 50-tree baseline fitted on the 1000 test rows scores 0.09 higher there than on the
    # unseen rows (the check's threshold is 0.07); a 10-tree model overfits too little to show,
    # and is caught exactly by the public check (test_q1_catches_fitting_on_the_test_set)
    on_test = gbm().fit(s["X_test"], s["y_test"])
    with pytest.raises(Exception, match="`baseline` scores .* never had: it looks fitted on "
                                        "the test set"):
        hidden(on_test, s["fewer"], s["shallow"])


# ---- q2 ---------------------------------------------------------------------------------------
def test_q2_soft_students_pass():
    from sklearn.linear_model import Ridge

    from mlserving_lab.distill import fit_soft_student

    assert_check_passed(q2, distill)
    assert_check_passed(q2, lambda t, X: fit_soft_student(LogisticRegression(), X,
                                                          t.predict_proba(X)))
    assert_check_passed(q2, lambda t, X: fit_soft_student(Ridge(), X, t.predict_proba(X),
                                                          method="logits"))


def test_q2_thresholded_and_wrong_students_fail():
    assert_check_failed(q2, lambda t, X: LogisticRegression().fit(X, t.predict(X)),
                        match="same labels but with different confidence")
    assert_check_failed(q2, lambda t, X: LogisticRegression(C=0.01).fit(
        X, (t.predict_proba(X)[:, 1] > 0.5).astype(int)), match="learned from the labels")
    assert_check_failed(q2, lambda t, X: t, match="returned the teacher itself")
    assert_check_failed(q2, lambda t, X: None, match="returned None")
    assert_check_failed(q2, lambda t, X: LogisticRegression(C=1e-4).fit(
        np.vstack([X, X]), np.r_[np.zeros(len(X)), np.ones(len(X))],
        sample_weight=t.predict_proba(X).T.ravel()), match="small `C`")
    assert_check_failed(q2, lambda t, X: 1 / 0, outcome="error", match="ZeroDivisionError")
    assert_check_failed(q2, lambda t, X: ____, outcome="not_attempted")


def test_q2_hidden_uses_other_teachers():
    memo = {}

    def memorised(t, X):  # remembers the public check's students by teacher softness
        key = round(float(np.abs(t.coef_).sum()), 6)
        if key not in memo:
            memo[key] = distill(t, X)
        return memo[key] if len(memo) <= 2 else LogisticRegression().fit(X, t.predict(X))

    assert_check_passed(q2, distill)
    assert q2.evaluate(memorised).outcome == "correct"
    assert_check_failed(q2, memorised, hidden=True, match="same labels|labels")


# ---- q3 ---------------------------------------------------------------------------------------
class SklearnDressedAsOnnx:
    """A learner's wrapper: answers like a session, but scikit-learn computes everything."""

    def __init__(self, model):
        self.model = model

    def get_inputs(self):
        return [type("I", (), {"name": "X", "type": "tensor(float)"})()]

    def run(self, names, feeds):
        X = next(iter(feeds.values()))
        return [self.model.predict(X), self.model.predict_proba(X).astype(np.float32)]


def test_q3_reference_and_alternatives_pass(sol):
    s = sol
    assert_check_passed(q3, s["baseline"], s["session"])
    from skl2onnx import convert_sklearn

    onx = convert_sklearn(s["baseline"], initial_types=[
        ("float_input", FloatTensorType([None, 30]))],
        options={id(s["baseline"]): {"zipmap": False}})
    assert_check_passed(q3, s["baseline"], ort.InferenceSession(onx.SerializeToString()))
    sample = skl2onnx.to_onnx(s["baseline"], s["X_train"][:1].astype(np.float32),
                              options={"zipmap": False})
    path = s["folder"] / "from_path.onnx"
    path.write_bytes(sample.SerializeToString())
    assert_check_passed(q3, s["baseline"], ort.InferenceSession(str(path)))
    _, named = export(s["baseline"], name="input")
    assert_check_passed(q3, s["baseline"], named)


def test_q3_wrappers_and_wrong_exports_fail(sol):
    from mlserving_lab.export import to_onnx

    s = sol
    assert_check_failed(q3, s["baseline"], s["baseline"], match="scikit-learn .*not an ONNX")
    assert_check_failed(q3, s["baseline"], SklearnDressedAsOnnx(s["baseline"]),
                        match="SklearnDressedAsOnnx`, not an `onnxruntime.InferenceSession`")
    assert_check_failed(q3, s["baseline"], to_onnx(s["baseline"], s["X_train"]),
                        match="library's `OnnxPredictor`")
    onx = skl2onnx.to_onnx(s["baseline"], initial_types=[("X", FloatTensorType([None, 30]))],
                           options={"zipmap": False})
    assert_check_failed(q3, s["baseline"], onx, match="not a session you can run")
    _, other = export(s["shallow"])
    assert_check_failed(q3, s["baseline"], other,
                        match=r"agree with `baseline` on \d+\.\d% .*not the export of this")
    zipmapped = skl2onnx.to_onnx(s["baseline"], initial_types=[
        ("X", FloatTensorType([None, 30]))])
    assert_check_failed(q3, s["baseline"], ort.InferenceSession(zipmapped.SerializeToString()),
                        match="list of dicts: ZipMap is on")


def test_q3_hidden_runs_rows_the_learner_never_had(sol):
    s = sol
    assert_check_passed(q3, s["baseline"], s["session"])
    _, other = export(s["fewer"])
    assert_check_failed(q3, s["baseline"], other, hidden=True, match="not the export")


# ---- q4: the timing loop ----------------------------------------------------------------------
def _loop(*, unit=1000.0, row=lambda X, j: X[j:j + 1], warm=True, keep_warm=False,
          sequential=False, clock=time.perf_counter):
    """A timing loop as a learner might write it, with one thing changed."""

    def time_fn(predict_fns, X, n_runs, warmup):
        out = {name: [] for name in predict_fns}
        if sequential:
            for name, fn in predict_fns.items():
                for i in range(warmup + n_runs):
                    t0 = clock()
                    fn(row(X, i % len(X)))
                    if i >= warmup:
                        out[name].append((clock() - t0) * unit)
            return {k: np.array(v) for k, v in out.items()}
        for i in range(warmup + n_runs if warm else n_runs):
            for name, fn in predict_fns.items():
                t0 = clock()
                fn(row(X, i % len(X)))
                ms = (clock() - t0) * unit
                if keep_warm or not warm or i >= warmup:
                    out[name].append(ms)
        return {k: np.array(v) for k, v in out.items()}

    return time_fn


def test_q4_reference_and_alternatives_pass():
    assert_check_passed(q4, time_one_row)
    assert_check_passed(q4, _loop())                                   # lists -> arrays
    assert_check_passed(q4, _loop(row=lambda X, j: X[[j]]))            # fancy-indexed row
    assert_check_passed(q4, _loop(row=lambda X, j: X[j].reshape(1, -1)))
    assert_check_passed(q4, _loop(clock=time.perf_counter_ns, unit=1e-6))

    def shuffled(predict_fns, X, n_runs, warmup):  # interleaved in a random order per round
        rng = random.Random(0)
        out = {n: [] for n in predict_fns}
        items = list(predict_fns.items())
        for i in range(warmup + n_runs):
            rng.shuffle(items)
            for name, fn in items:
                t0 = time.perf_counter()
                fn(X[i % len(X):i % len(X) + 1])
                if i >= warmup:
                    out[name].append(1000 * (time.perf_counter() - t0))
        return out

    assert_check_passed(q4, shuffled)

    def as_frame(predict_fns, X, n_runs, warmup):
        return pd.DataFrame(time_one_row(predict_fns, X, n_runs, warmup))

    assert_check_passed(q4, as_frame)


def test_q4_wrong_units_and_batches_fail():
    assert_check_failed(q4, _loop(unit=1.0), match="1000x too small: are your samples in "
                                                   "seconds")
    assert_check_failed(q4, _loop(clock=time.perf_counter_ns, unit=1.0),
                        match="microseconds or nanoseconds")
    assert_check_failed(q4, _loop(unit=1e6), match="microseconds or nanoseconds")
    assert_check_failed(q4, _loop(row=lambda X, j: X), match="ONE row as a 2-D array")
    assert_check_failed(q4, _loop(row=lambda X, j: X[j]), match="not on the 1-D row")
    assert_check_failed(q4, _loop(clock=time.process_time), match="process_time")

    def batch_per_row(predict_fns, X, n_runs, warmup):  # one batch call, divided by its rows
        out = {}
        for name, fn in predict_fns.items():
            fn(X)
            times = []
            for _ in range(n_runs):
                t0 = time.perf_counter()
                fn(X)
                times.append((time.perf_counter() - t0) * 1000 / len(X))
            out[name] = np.array(times)
        return out

    assert_check_failed(q4, batch_per_row, match="divide the time of a batch by its rows")


def test_q4_one_call_typed_numbers_and_bad_shapes_fail():
    def one_call(predict_fns, X, n_runs, warmup):
        out = {}
        for name, fn in predict_fns.items():
            for _ in range(warmup):
                fn(X[:1])
            t0 = time.perf_counter()
            fn(X[:1])
            out[name] = np.full(n_runs, (time.perf_counter() - t0) * 1000)
        return out

    assert_check_failed(q4, one_call, match="one measurement repeated")
    assert_check_failed(q4, lambda fns, X, n, w: {k: np.full(n, 0.5) for k in fns},
                        match="one measurement repeated, or numbers typed in")
    assert_check_failed(q4, lambda fns, X, n, w: {k: np.linspace(0.1, 0.3, n) for k in fns},
                        match="less than the time it sleeps")
    assert_check_failed(q4, lambda fns, X, n, w: {
        k: np.percentile(v, [50, 99]) for k, v in time_one_row(fns, X, n, w).items()},
        match="returned 2 samples")
    assert_check_failed(q4, lambda fns, X, n, w: {
        k: float(np.median(v)) for k, v in time_one_row(fns, X, n, w).items()},
        match="is one number")
    assert_check_failed(q4, lambda fns, X, n, w: list(time_one_row(fns, X, n, w).values()),
                        match="returned list")
    assert_check_failed(q4, lambda fns, X, n, w: dict(list(time_one_row(fns, X, n, w).items())
                                                      [:2]), match="no entry for `alternating`")

    def swapped(predict_fns, X, n_runs, warmup):  # samples filed under the wrong names
        s = time_one_row(predict_fns, X, n_runs, warmup)
        return {"fast": s["slow"], "slow": s["fast"], "alternating": s["alternating"]}

    assert_check_failed(q4, swapped, match="samples under each name must be the times")

    def fast_as_slow(predict_fns, X, n_runs, warmup):
        s = time_one_row(predict_fns, X, n_runs, warmup)
        return {**s, "fast": s["slow"]}

    assert_check_failed(q4, fast_as_slow, match="samples under each name must be the times")


def test_q4_warm_up_and_round_robin_are_checked():
    assert_check_failed(q4, _loop(warm=False), match="cold starts.*Run `warmup` untimed rounds")
    assert_check_failed(q4, _loop(keep_warm=True), match=r"returned 35 samples .*30 timed \+ 5 "
                                                         "warm-up")
    assert_check_failed(q4, _loop(sequential=True), match="Time the functions round-robin")
    assert_check_failed(q4, lambda fns, X, n, w: 1 / 0, outcome="error",
                        match="ZeroDivisionError")
    assert_check_failed(q4, lambda fns, X, n, w: ____, outcome="not_attempted")


def test_q4_hidden_calls_it_with_other_arguments():
    def fixed_runs(predict_fns, X, n_runs, warmup):  # ignores n_runs and warmup
        return time_one_row(predict_fns, X, 30, 5)

    assert q4.evaluate(fixed_runs).outcome == "correct"
    assert_check_failed(q4, fixed_runs, hidden=True, match="we asked for n_runs=24")
    assert_check_passed(q4, time_one_row)


# ---- q5: the table ----------------------------------------------------------------------------
def test_q5_reference_and_alternatives_pass(sol):
    s = sol
    table, paths = s["table"], s["paths"]
    assert_check_passed(q5, table, paths)
    assert_check_passed(q5, table, {k: str(v) for k, v in paths.items()})
    extra = table.assign(notes="x", n_runs=300)
    extra.loc["onnx_library"] = extra.loc["onnx"]
    assert_check_passed(q5, extra.iloc[::-1], paths)                   # reordered, extra rows
    np_scalars = table.astype(object)
    for r in table.index:
        np_scalars.loc[r, "p50_ms"] = np.float32(table.loc[r, "p50_ms"])
        np_scalars.loc[r, "size_kb"] = np.float64(table.loc[r, "size_kb"])
    assert_check_passed(q5, np_scalars, paths)
    assert_check_passed(q5, table[["size_kb", "p99_ms", "accuracy", "p50_ms"]], paths)


def test_q5_latencies_are_re_timed(sol):
    s = sol
    table, paths = s["table"], s["paths"]
    typed = table.copy()
    typed["p50_ms"], typed["p99_ms"] = 0.5, 1.0
    assert_check_failed(q5, typed, paths, match="every `p50_ms` in your table is 0.5")
    seconds = table.copy()
    seconds[["p50_ms", "p99_ms"]] = seconds[["p50_ms", "p99_ms"]] / 1000
    assert_check_failed(q5, seconds, paths, match="1000x too small: is it in seconds")
    one_call = table.copy()
    one_call["p99_ms"] = one_call["p50_ms"]
    assert_check_failed(q5, one_call, paths, match="both exactly .* one timed call")
    swapped = table.copy()
    swapped[["p50_ms", "p99_ms"]] = swapped[["p99_ms", "p50_ms"]].to_numpy()
    assert_check_failed(q5, swapped, paths, match="below its p50")
    # percentiles of whole-X_test calls (one batch per sample), as a learner might time them
    X_test = s["X_test"]
    batch = table.copy()
    for name, m in s["models"].items():
        fn = onnx_predict(m) if name == "onnx" else m.predict
        ms = []
        for _ in range(15):
            t0 = time.perf_counter()
            fn(X_test)
            ms.append((time.perf_counter() - t0) * 1000)
        batch.loc[name, ["p50_ms", "p99_ms"]] = np.percentile(ms, [50, 99])
    assert_check_failed(q5, batch, paths, match="too large|slower|batch")
    # a table whose order contradicts a fresh measurement (onnx is many times faster)
    flipped = table.copy()
    flipped.loc["onnx", ["p50_ms", "p99_ms"]] = table.loc["baseline", ["p50_ms", "p99_ms"]] * 1.5
    flipped.loc["baseline", ["p50_ms", "p99_ms"]] = table.loc["onnx", ["p50_ms", "p99_ms"]]
    assert_check_failed(q5, flipped, paths, match="1000x|[Tt]oo small|[Tt]oo large|no slower")


def test_q5_sizes_and_accuracy_are_re_measured(sol):
    s = sol
    table, paths = s["table"], s["paths"]
    in_bytes = table.copy()
    in_bytes["size_kb"] = in_bytes["size_kb"] * 1024
    assert_check_failed(q5, in_bytes, paths, match="It looks like bytes: divide by 1024")
    kb1000 = table.copy()
    kb1000["size_kb"] = kb1000["size_kb"] * 1.024
    assert_check_failed(q5, kb1000, paths, match="1 KB = 1024 bytes")
    on_train = table.copy()
    for name in ("baseline", "fewer_trees", "shallow", "distilled", "compressed"):
        on_train.loc[name, "accuracy"] = np.mean(s["models"][name].predict(s["X_train"])
                                                 == s["y_train"])
    assert_check_failed(q5, on_train, paths, match="its accuracy on the \\*training\\* rows")
    percent = table.copy()
    percent["accuracy"] = percent["accuracy"] * 100
    assert_check_failed(q5, percent, paths, match="not a percentage")
    assert_check_failed(q5, table.drop(columns="p99_ms"), paths, match="no `p99_ms` column")
    assert_check_failed(q5, table.drop(index="onnx"), paths, match="no row `onnx`")
    assert_check_failed(q5, table.values, paths, match="DataFrame")


def test_q5_files_must_be_the_variants(sol, tmp_path):
    s = sol
    table, paths = s["table"], dict(s["paths"])
    assert_check_failed(q5, table, {**paths, "onnx": "baseline.onnx"}, match="relative path")
    assert_check_failed(q5, table, {**paths, "shallow": tmp_path / "nope.joblib"},
                        match="no file there")
    assert_check_failed(q5, table, {k: v for k, v in paths.items() if k != "distilled"},
                        match="no entry for `distilled`")
    plain = tmp_path / "plain.joblib"
    joblib.dump(s["baseline"], plain)  # "compressed" without compress=5
    fixed = table.copy()
    fixed.loc["compressed", "size_kb"] = os.path.getsize(plain) / 1024
    assert_check_failed(q5, fixed, {**paths, "compressed": plain},
                        match="`compressed` file .* is not smaller")
    wrong = tmp_path / "wrong.joblib"
    joblib.dump(s["baseline"], wrong)  # the baseline saved under fewer_trees
    fixed = table.copy()
    fixed.loc["fewer_trees", "size_kb"] = os.path.getsize(wrong) / 1024
    assert_check_failed(q5, fixed, {**paths, "fewer_trees": wrong},
                        match="file of `fewer_trees` holds a model with 50 trees")
    assert_check_failed(q5, table, {**paths, "compressed": paths["baseline"]},
                        match="same file")


def test_q5_hidden_checks_the_onnx_file(sol, tmp_path):
    s = sol
    data, _ = export(s["shallow"])
    other = tmp_path / "other.onnx"
    other.write_bytes(data)
    table = s["table"].copy()
    table.loc["onnx", "size_kb"] = os.path.getsize(other) / 1024
    sess = ort.InferenceSession(data)
    table.loc["onnx", "accuracy"] = np.mean(onnx_predict(sess)(s["X_test"]) == s["y_test"])
    paths = {**s["paths"], "onnx": other}
    assert q5.evaluate(table, paths).outcome == "correct"
    assert_check_failed(q5, table, paths, hidden=True,
                        match="does not reproduce the model in your `baseline` file")


# ---- q6: the choice ---------------------------------------------------------------------------
def test_q6_reference_and_alternatives_pass(sol):
    table = sol["table"]
    assert_check_passed(q6, choose, table)

    def with_sort(table, budget_ms):  # sort_values, then break a full tie by name
        fits = table[table.p99_ms <= budget_ms].rename_axis("name").reset_index()
        if fits.empty:
            return None
        fits = fits.sort_values(["accuracy", "p99_ms", "name"], ascending=[False, True, True])
        return np.str_(fits["name"].iloc[0])

    assert_check_passed(q6, with_sort, table)
    assert_check_passed(q6, choose, table.iloc[::-1].assign(extra=1))


def test_q6_breaking_the_rule_fails(sol):
    table = sol["table"]

    def idxmax(table, budget_ms):
        fits = table[table.p99_ms <= budget_ms]
        return fits.accuracy.idxmax() if len(fits) else None

    assert_check_failed(q6, idxmax, table, match="the accuracy is the same, and its p99 is lower")

    def strict(table, budget_ms):  # `<` where the prompt says `<=`
        return choose(table[table.p99_ms < budget_ms], budget_ms)

    def raises(table, budget_ms):
        fits = table[table.p99_ms <= budget_ms]
        if fits.empty:
            raise ValueError("nothing fits")
        return choose(fits, budget_ms)

    def stable_sort(table, budget_ms):  # forgets the name rule
        fits = table[table.p99_ms <= budget_ms]
        if fits.empty:
            return None
        return fits.sort_values(["accuracy", "p99_ms"], ascending=[False, True]).index[0]

    def fastest(table, budget_ms):
        fits = table[table.p99_ms <= budget_ms]
        return fits.p99_ms.idxmin() if len(fits) else None

    assert_check_failed(q6, fastest, table, match="more accurate")
    assert_check_failed(q6, lambda t, b: t[t.p99_ms <= b].iloc[0], table, match="returned Series")
    assert_check_failed(q6, lambda t, b: 0, table, match="returned int")
    assert_check_failed(q6, lambda t, b: None, table, match="returned None, but")
    # hidden: checker-made tables with full ties, the budget edge, nothing fitting
    for fn, match in ((strict, "exactly at the budget"), (raises, "ValueError"),
                      (stable_sort, "its name comes first in alphabetical order")):
        if fn is not raises:  # (the public check may meet "nothing fits" on a loaded machine)
            assert q6.evaluate(fn, table).outcome == "correct", fn.__name__
        outcome = "error" if fn is raises else "incorrect"
        assert_check_failed(q6, fn, table, hidden=True, match=match, outcome=outcome)


def test_expected_choice_follows_the_prompt():
    t = tie_table({"b": (0.9, 5.0), "a": (0.9, 5.0), "c": (0.95, 60.0), "d": (0.9, 4.0)})
    assert expected_choice(t, BUDGET_MS) == "d"
    assert expected_choice(t.drop(index="d"), BUDGET_MS) == "a"
    assert expected_choice(t, 60.0) == "c"
    assert expected_choice(t, 1.0) is None


def test_session_outputs_accepts_float64_inputs_and_other_names(sol):
    from skl2onnx.common.data_types import DoubleTensorType

    from mlserving_lab.course.exercises.ex1_optimization_benchmark import session_outputs

    lr = sol["distilled"]
    onx = skl2onnx.to_onnx(lr, initial_types=[("float_input", DoubleTensorType([None, 30]))],
                           options={"zipmap": False})
    labels, proba = session_outputs(ort.InferenceSession(onx.SerializeToString()),
                                    sol["X_test"][:50])
    np.testing.assert_array_equal(labels, lr.predict(sol["X_test"][:50]))
    np.testing.assert_allclose(proba, lr.predict_proba(sol["X_test"][:50])[:, 1], atol=1e-6)


def test_q5_hidden_checks_the_distilled_file_imitates_the_teacher(sol, tmp_path):
    s = sol
    rng = np.random.default_rng(0)
    noise = LogisticRegression(max_iter=1000).fit(s["X_train"], rng.permutation(s["y_train"]))
    path = tmp_path / "distilled.joblib"
    joblib.dump(noise, path)
    table = s["table"].copy()
    table.loc["distilled", "size_kb"] = os.path.getsize(path) / 1024
    table.loc["distilled", "accuracy"] = np.mean(noise.predict(s["X_test"]) == s["y_test"])
    paths = {**s["paths"], "distilled": path}
    assert q5.evaluate(table, paths).outcome == "correct"
    assert_check_failed(q5, table, paths, hidden=True, match="is it the student of `baseline`")
