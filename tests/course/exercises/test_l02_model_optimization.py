"""Lesson 02 check-yourself questions, tested both ways."""

from __future__ import annotations

import time

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from skl2onnx import convert_sklearn, to_onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from mlserving_lab.course.exercises import ____, assert_check_failed, assert_check_passed
from mlserving_lab.course.exercises.l02_model_optimization import (
    EXERCISE,
    lesson_data,
    q1,
    q2,
    q3,
    q4,
    q5,
)
from mlserving_lab.export import to_onnx as library_to_onnx


def test_all_questions_one_point_not_attempted_and_no_inline_solution():
    assert EXERCISE.name == "l02_model_optimization"
    assert all(q.points == 1 for q in EXERCISE)
    for q in EXERCISE:
        assert q._solution is None and not q.hidden
        assert q.check(*([____] * len(q.answers))).outcome == "not_attempted"


# -- q1 --------------------------------------------------------------------------------------
def quantize_int8(x):
    amax = np.abs(x).max()
    scale = amax / 127 if amax > 0 else 1.0
    return np.clip(np.round(x / scale), -127, 127).astype(np.int8), scale


def test_q1_correct_and_alternatives():
    assert_check_passed(q1, quantize_int8)
    # a list instead of a tuple, a 0-d array scale, np.rint instead of np.round
    assert_check_passed(q1, lambda x: list(quantize_int8(x)))
    assert_check_passed(q1, lambda x: (quantize_int8(x)[0], np.asarray(quantize_int8(x)[1])))

    def with_rint(x):
        amax = float(np.max(np.abs(x)))
        scale = amax / 127 if amax else 1.0
        return np.rint(x / scale).clip(-127, 127).astype("int8"), np.float64(scale)

    assert_check_passed(q1, with_rint)


def _q(scale_of, rounding=np.round, dtype=np.int8, lo=-127, hi=127):
    def quantize(x):
        scale = scale_of(x)
        return np.clip(rounding(x / scale), lo, hi).astype(dtype), scale
    return quantize


def test_q1_wrong_answers():
    amax = lambda x: np.abs(x).max() / 127  # noqa: E731  (no zero guard)
    safe = lambda x: (np.abs(x).max() / 127) or 1.0  # noqa: E731
    assert_check_failed(q1, _q(lambda x: (np.abs(x).max() / 128) or 1.0),
                        match="You divided by 128")
    assert_check_failed(q1, _q(lambda x: (np.abs(x).mean() / 127) or 1.0),
                        match="mean\\|x\\| / 127")
    assert_check_failed(q1, _q(lambda x: (np.max(x) / 127) or 1.0),
                        match="largest magnitude is negative")
    assert_check_failed(q1, _q(safe, rounding=np.trunc), match="That is truncation")
    assert_check_failed(q1, _q(safe, rounding=np.floor), match="rounding down|truncation")
    assert_check_failed(q1, _q(safe, rounding=lambda v: np.floor(v + 0.5)),
                        match="exactly halfway: round half to even")
    assert_check_failed(q1, _q(safe, dtype=np.float64), match="dtype float64.*floats")
    assert_check_failed(q1, _q(safe, dtype=np.int32), match="dtype int32")
    assert_check_failed(q1, _q(amax), match="all-zero tensor has max\\|x\\| = 0")
    assert_check_failed(q1, lambda x: (quantize_int8(x)[0].astype(float) * quantize_int8(x)[1],
                                       quantize_int8(x)[1]), match="dtype float64")
    assert_check_failed(q1, lambda x: quantize_int8(x)[0], match="tuple")
    assert_check_failed(q1, lambda x: (quantize_int8(x)[0][:2], 1.0), match="shape")
    assert_check_failed(q1, lambda x: (quantize_int8(x)[0], np.full(x.shape, 0.1)),
                        match="one number")


def test_q1_hidden_tensors():
    def float64_only(x):       # breaks on float32 input: scale computed in float16
        q, s = quantize_int8(x)
        return (q, float(np.float16(s))) if x.dtype == np.float32 else (q, s)

    assert q1.check(float64_only).outcome == "correct"
    assert_check_failed(q1, float64_only, hidden=True, match="float32 3-D tensor")


# -- q2 --------------------------------------------------------------------------------------
def choose_alpha(table):
    good = table[table["accuracy"] >= table["accuracy"].max() - 0.01 - 1e-9]
    return float(good.sort_values(["n_nodes", "ccp_alpha"])["ccp_alpha"].iloc[0])


@pytest.fixture(scope="module")
def ccp():
    X_train, X_test, y_train, y_test = lesson_data()
    path = DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X_train, y_train)
    alphas = path.ccp_alphas[:-1]
    alphas = alphas[np.unique(np.linspace(0, len(alphas) - 1, 6).round().astype(int))]
    rows, trees = [], []
    for a in alphas:
        tree = DecisionTreeClassifier(random_state=0, ccp_alpha=a).fit(X_train, y_train)
        trees.append(tree)
        rows.append({"ccp_alpha": a, "n_nodes": tree.tree_.node_count,
                     "accuracy": tree.score(X_test, y_test),
                     "train_accuracy": tree.score(X_train, y_train)})
    return pd.DataFrame(rows), trees


def test_q2_correct_and_alternatives(ccp):
    table, _ = ccp
    assert_check_passed(q2, table, choose_alpha)
    shuffled = table.sample(frac=1.0, random_state=3).set_axis([f"t{i}" for i in range(len(table))])
    assert_check_passed(q2, shuffled, choose_alpha)                  # reordered, string index
    assert_check_passed(q2, table[["n_nodes", "ccp_alpha", "accuracy"]], choose_alpha)

    def with_numpy(t):          # numpy arrays, returns a numpy scalar
        a, n, acc = (t[c].to_numpy() for c in ("ccp_alpha", "n_nodes", "accuracy"))
        ok = acc >= acc.max() - 0.01 - 1e-9
        return np.min(a[ok & (n == n[ok].min())])

    assert_check_passed(q2, table, with_numpy)


def test_q2_wrong_rules(ccp):
    table, _ = ccp
    first_fewest = lambda t: t[t.accuracy >= t.accuracy.max() - 0.01 - 1e-9].pipe(  # noqa: E731
        lambda g: g.loc[g.n_nodes.idxmin(), "ccp_alpha"])
    assert_check_failed(q2, table, first_fewest, match="on a tie, take the smallest")
    strict = lambda t: t[t.accuracy > t.accuracy.max() - 0.01].pipe(  # noqa: E731
        lambda g: g.sort_values(["n_nodes", "ccp_alpha"]).ccp_alpha.iloc[0])
    assert_check_failed(q2, table, strict, match="exactly 0.01 below the best and counts")
    without_eps = lambda t: t[t.accuracy >= t.accuracy.max() - 0.01].pipe(  # noqa: E731
        lambda g: g.sort_values(["n_nodes", "ccp_alpha"]).ccp_alpha.iloc[0])
    assert_check_passed(q2, table, without_eps)   # on 1000 test rows plain >= is also right
    assert_check_failed(q2, table, lambda t: float(t.loc[t.accuracy.idxmax(), "ccp_alpha"]),
                        match="has fewer nodes")
    assert_check_failed(q2, table, lambda t: float(t.loc[t.n_nodes.idxmin(), "ccp_alpha"]),
                        match="more than 0.01 below the best")
    assert_check_failed(q2, table, lambda t: "small", match="should be a number")
    assert_check_failed(q2, table, lambda t: 0.5, match="not one of the table's")
    assert_check_failed(q2, table, ____, outcome="not_attempted")


def test_q2_wrong_tables(ccp):
    table, trees = ccp
    assert_check_failed(q2, table.assign(n_nodes=[t.get_n_leaves() for t in trees]),
                        choose_alpha, match="That is the number of leaves")
    typed = table.assign(n_nodes=[500, 300, 120, 60, 20, 3][:len(table)])
    assert_check_failed(q2, typed, choose_alpha, match="nodes; your table says")
    # Moved from the notebook's instructor cell (it refits trees): every count off by two.
    assert_check_failed(q2, table.assign(n_nodes=table.n_nodes + 2), choose_alpha,
                        match="nodes; your table says")
    on_train = table.assign(accuracy=table.train_accuracy)
    assert_check_failed(q2, on_train, choose_alpha, match="accuracy on the \\*training\\* rows")
    assert_check_failed(q2, table.assign(accuracy=100 * table.accuracy), choose_alpha,
                        match="not a percentage")
    assert_check_failed(q2, table.drop(columns="n_nodes"), choose_alpha, match="n_nodes")
    assert_check_failed(q2, table.head(3), choose_alpha, match="at least 5 alphas")
    assert_check_failed(q2, table.to_dict("list"), choose_alpha, match="should be a DataFrame")


def test_q2_hidden_refits_every_row(ccp):
    table, _ = ccp
    X_train, X_test, y_train, y_test = lesson_data()
    # One middle row fitted without random_state... simulated by a wrong node count there.
    middle = table.copy()
    middle.loc[2, "n_nodes"] += 4
    chosen = choose_alpha(middle)
    if not np.isclose(chosen, middle.loc[2, "ccp_alpha"]) and middle.n_nodes.idxmax() != 2:
        assert q2.check(middle, choose_alpha).outcome == "correct"
        assert_check_failed(q2, middle, choose_alpha, hidden=True, match="nodes; your table says")
    # A rule that ignores ties only on tables with a default index.
    def index_trust(t):
        g = t[t.accuracy >= t.accuracy.max() - 0.01 - 1e-9]
        return float(g.iloc[np.argmin(g.n_nodes.to_numpy())]["ccp_alpha"]) if \
            isinstance(t.index, pd.RangeIndex) or len(t) < 6 else choose_alpha(t)
    assert_check_failed(q2, table, index_trust, match="expected")


# -- q3 --------------------------------------------------------------------------------------
def soft_dataset(X, proba):
    n = len(X)
    return (np.vstack([X, X]), np.r_[np.zeros(n, int), np.ones(n, int)],
            np.r_[proba[:, 0], proba[:, 1]])


def test_q3_correct_and_alternatives():
    from mlserving_lab.distill import duplicate_rows

    assert_check_passed(q3, soft_dataset)
    # The library's version agrees (interleaved rows, zero weights dropped); as an answer it
    # gets no credit, which tests/course/exercises/test_own_work.py checks.
    q3.checker(duplicate_rows)
    assert_check_passed(q3, lambda X, p: [np.repeat(X, 2, axis=0), np.tile([0.0, 1.0], len(X)),
                                          p.ravel()])     # a list, float labels
    assert_check_passed(q3, lambda X, p: (pd.DataFrame(np.vstack([X, X])),
                                          np.r_[np.zeros(len(X), bool), np.ones(len(X), bool)],
                                          np.r_[p[:, 0], p[:, 1]]))


def test_q3_wrong_answers():
    n = lambda X: len(X)  # noqa: E731
    assert_check_failed(q3, lambda X, p: (np.vstack([X, X]), np.r_[np.zeros(n(X)),
                        np.ones(n(X))], np.r_[p[:, 1], p[:, 0]]),
                        match="labelled 0 carry a total weight of 0.1 instead of 0.1|wrong way")
    assert_check_failed(q3, lambda X, p: (np.vstack([X, X]), np.r_[p[:, 0], p[:, 1]],
                                          np.r_[np.zeros(n(X)), np.ones(n(X))]),
                        match="labels and weights swapped")
    assert_check_failed(q3, lambda X, p: (X, (p[:, 1] > 0.5).astype(int), np.ones(n(X))),
                        match="row 0 .* labelled 0 carry a total weight of 0 instead of 0.1")
    assert_check_failed(q3, lambda X, p: (np.vstack([X, X]), np.r_[np.zeros(n(X)),
                        np.ones(n(X))], np.r_[p[:, 1], p[:, 1]]), match="total weight")
    assert_check_failed(q3, lambda X, p: (np.vstack([X, X]), np.r_[np.zeros(n(X)),
                        np.ones(n(X))], p), match="weights` has shape .* should be 1-D")
    assert_check_failed(q3, lambda X, p: (X, p), match="X_dup, y_dup, weights")
    assert_check_failed(q3, lambda X, p: (X.T, X, X), match="columns like X")


def test_q3_hidden_duplicated_rows():
    def by_row_value(X, p):   # looks rows up by value: merges two identical rows' weights wrong
        out_X, out_y, out_w = [], [], []
        seen = set()
        for i, row in enumerate(X):
            key = tuple(row)
            if key in seen:
                continue
            seen.add(key)
            for k in (0, 1):
                out_X.append(row)
                out_y.append(k)
                out_w.append(p[i, k])
        return np.array(out_X), np.array(out_y), np.array(out_w)

    assert q3.check(by_row_value).outcome == "correct"
    assert_check_failed(q3, by_row_value, hidden=True, match="40 float32 rows")


# -- q4 --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def forest():
    X_train, X_test, y_train, _ = lesson_data()
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
    other = RandomForestClassifier(n_estimators=10, random_state=1).fit(X_train, y_train)

    def session_of(m, types=FloatTensorType, shape=(None, 20), zipmap=False):
        onx = convert_sklearn(m, initial_types=[("X", types(list(shape)))],
                              options={"zipmap": zipmap})
        return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])

    return model, other, session_of, X_train


def test_q4_correct_and_alternatives(forest, tmp_path):
    model, _, session_of, X_train = forest
    assert_check_passed(q4, model, session_of(model))
    assert_check_passed(q4, model, session_of(model, DoubleTensorType))     # float64 input
    onx = to_onnx(model, X_train[:1].astype(np.float32), options={"zipmap": False})
    path = tmp_path / "forest.onnx"
    path.write_bytes(onx.SerializeToString())
    assert_check_passed(q4, model, ort.InferenceSession(str(path),
                                                        providers=["CPUExecutionProvider"]))


def test_q4_wrong_answers(forest):
    model, other, session_of, X_train = forest

    class Wrapper:                       # a Python object pretending to be an export
        def run(self, names, feeds):
            X = next(iter(feeds.values()))
            return [model.predict(X), model.predict_proba(X)]

        def get_inputs(self):
            return session_of(model).get_inputs()

    assert_check_failed(q4, model, Wrapper(), match="is not an export")
    assert_check_failed(q4, model, model, match="original scikit-learn model itself")
    assert_check_failed(q4, model, library_to_onnx(model, X_train), match="OnnxPredictor")
    onx = convert_sklearn(model, initial_types=[("X", FloatTensorType([None, 20]))],
                          options={"zipmap": False})
    assert_check_failed(q4, model, onx, match="ONNX model itself")
    assert_check_failed(q4, model, session_of(other), match="does not reproduce `model`")
    assert_check_failed(q4, model, session_of(model, zipmap=True), match="ZipMap is on")
    assert_check_failed(q4, model, session_of(model, shape=(750, 20)), match="any batch size")
    assert_check_failed(q4, DecisionTreeClassifier().fit(X_train, lesson_data()[2]),
                        session_of(model), match="RandomForestClassifier")


def test_q4_hidden_lesson_rows(forest):
    model, _, session_of, X_train = forest
    # A session of a forest trained on slightly different rows: agrees on small fresh rows?
    # Hidden checks score the lesson's own rows and far-out rows; the correct one passes.
    assert_check_passed(q4, model, session_of(model))
    big_other = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        X_train[:-5], lesson_data()[2][:-5])
    assert_check_failed(q4, model, session_of(big_other), hidden=True, match="does not reproduce")


# -- q5 --------------------------------------------------------------------------------------
def round_robin_p50(predicts, X, batch_size, n_calls, warmup=2):
    starts = [(i * batch_size) % (len(X) - batch_size + 1) for i in range(n_calls)]
    batches = [X[s:s + batch_size] for s in starts]
    for b in batches[:warmup]:
        for f in predicts.values():
            f(b)
    times = {c: [] for c in predicts}
    for b in batches:
        for c, f in predicts.items():
            t0 = time.perf_counter()
            f(b)
            times[c].append((time.perf_counter() - t0) * 1000)
    return {c: float(np.median(v)) for c, v in times.items()}


@pytest.fixture(scope="module")
def speed(forest):
    model, _, session_of, _ = forest
    session = session_of(model)
    X_test = lesson_data()[1]
    predicts = {"sklearn_ms": model.predict,
                "onnx_ms": lambda b: session.run(None, {"X": b.astype(np.float32)})}
    table = pd.DataFrame({"one row": round_robin_p50(predicts, X_test, 1, 40),
                          "batch 1000": round_robin_p50(predicts, X_test, 1000, 9)}).T
    wins = [bool(table.loc[r, "onnx_ms"] < table.loc[r, "sklearn_ms"])
            for r in ("one row", "batch 1000")]
    return model, session, table, wins


def test_q5_correct_and_alternatives(speed):
    model, session, table, (w1, wb) = speed
    assert_check_passed(q5, model, session, table, w1, wb)
    assert_check_passed(q5, model, session, table, np.bool_(w1), np.bool_(wb))
    extra = table.assign(onnx_speedup=table.sklearn_ms / table.onnx_ms).iloc[::-1]
    assert_check_passed(q5, model, session, extra, w1, wb)         # extra column, reordered


def test_q5_wrong_answers(speed):
    model, session, table, (w1, wb) = speed
    assert_check_failed(q5, model, session, table / 1000, w1, wb, match="seconds instead of")
    assert_check_failed(q5, model, session, table * 1000, w1, wb, match="microseconds")
    batch_as_one = table.copy()
    batch_as_one.loc["one row"] = table.loc["batch 1000"]
    assert_check_failed(q5, model, session, batch_as_one, w1, wb,
                        match="in both rows.*Did you time the same thing")
    # One-row times reported for the batch are not asserted here: with this small forest the
    # two rows can be less than 3x apart on a fast machine, and then the checker rightly does
    # not judge their order (it only judges wide margins).
    per_row = table.copy()
    per_row.loc["batch 1000"] = table.loc["batch 1000"] / 1000
    assert_check_failed(q5, model, session, per_row, w1, wb,
                        match="'batch 1000'.*divided by its 1000 rows|'batch 1000'.*too small")
    swapped = table.rename(columns={"sklearn_ms": "onnx_ms", "onnx_ms": "sklearn_ms"})
    assert_check_failed(q5, model, session, swapped, w1, wb, match="swapped|timing it here")
    typed = pd.DataFrame({"sklearn_ms": [1.0, 1.0], "onnx_ms": [1.0, 1.0]},
                         index=["one row", "batch 1000"])
    assert_check_failed(q5, model, session, typed, w1, wb, match="typed in")
    assert_check_failed(q5, model, session, table, not w1, wb, match="onnx_wins_one_row")
    assert_check_failed(q5, model, session, table, "yes", wb, match="True or False")
    assert_check_failed(q5, model, session, table.drop(index="batch 1000"), w1, wb,
                        match="no row")
    assert_check_failed(q5, model, session, table.rename(columns={"onnx_ms": "ort"}), w1, wb,
                        match="no `onnx_ms` column")
    assert_check_failed(q5, model, library_to_onnx(model, lesson_data()[0]), table, w1, wb,
                        match="OnnxPredictor")
