"""Lesson 02 check-yourself questions: quantization, pruning, distillation, export.

Every checker works from the learner's own function, table or measurement.
"""

from __future__ import annotations

import numpy as np

from mlserving_lab.course.exercises.core import Exercise, Incorrect, Question, call

# ---------------------------------------------------------------------------------------------
# q1: symmetric int8 quantization by hand
# ---------------------------------------------------------------------------------------------
_Q1_CASES = (
    ("a weight matrix", lambda rng: rng.normal(0, 0.3, size=(16, 8))),
    ("an all-positive vector", lambda rng: rng.uniform(0.5, 4.0, size=50)),
    ("a vector with one large outlier", lambda rng: np.r_[rng.normal(0, 0.1, 99), 12.0]),
)


def _check_quantize_int8(quantize_int8):
    rng = np.random.default_rng(2)
    for what, make in _Q1_CASES:
        x = make(rng)
        out = call(quantize_int8, x.copy())
        if not isinstance(out, tuple) or len(out) != 2:
            raise Incorrect(f"`quantize_int8` should return a tuple `(q, scale)`, got "
                            f"{type(out).__name__}")
        q, scale = out
        q = np.asarray(q)
        if q.shape != x.shape:
            raise Incorrect(f"for {what} of shape {x.shape}, your `q` has shape {q.shape}: "
                            "quantize every element")
        if q.dtype.kind not in "iu":
            raise Incorrect(f"your `q` has dtype {q.dtype}; the quantized values must be "
                            "integers (use `.astype(np.int8)` after rounding)")
        try:
            scale = float(scale)
        except (TypeError, ValueError):
            raise Incorrect(f"`scale` should be one number (per tensor), got "
                            f"{type(scale).__name__}") from None
        want = float(np.max(np.abs(x))) / 127
        if not np.isclose(scale, want, rtol=1e-6):
            raise Incorrect(f"for {what}, your scale is {scale:.6g} but max|x| / 127 is "
                            f"{want:.6g}: symmetric int8 maps the largest |x| onto 127")
        if q.min() < -127 or q.max() > 127:
            raise Incorrect(f"your `q` reaches {int(q.min())}..{int(q.max())}; symmetric int8 "
                            "uses -127..127")
        err = float(np.max(np.abs(q.astype(float) * scale - x)))
        if err > scale / 2 * (1 + 1e-9):
            raise Incorrect(f"for {what}, `q * scale` is up to {err:.3g} away from `x`, more "
                            f"than half a step ({scale / 2:.3g}): round to the nearest integer "
                            "(`np.round`) instead of truncating")
    return ("Correct: the error never exceeds half a step. Note the outlier case: one large "
            "value stretches the scale and wastes resolution on everything else.")


q1 = Question(
    "q1",
    prompt=("Write `quantize_int8(x)` returning `(q, scale)`: symmetric, per-tensor int8 "
            "(`scale = max|x| / 127`, `q = round(x / scale)` as integers in -127..127)."),
    answers=("quantize_int8",),
    checker=_check_quantize_int8,
    hint="`scale = np.abs(x).max() / 127`; `np.round(x / scale)`, then `np.clip` and `.astype`.",
    solution=(
        "def quantize_int8(x):\n"
        "    scale = np.abs(x).max() / 127\n"
        "    q = np.clip(np.round(x / scale), -127, 127).astype(np.int8)\n"
        "    return q, scale"
    ),
)


# ---------------------------------------------------------------------------------------------
# q2: choosing a pruned tree from the ccp path table
# ---------------------------------------------------------------------------------------------
def _check_ccp_choice(ccp_table, chosen_alpha):
    import pandas as pd

    if not isinstance(ccp_table, pd.DataFrame):
        raise Incorrect(f"`ccp_table` should be the DataFrame from `ccp_path_table`, got "
                        f"{type(ccp_table).__name__}")
    missing = [c for c in ("ccp_alpha", "n_nodes", "accuracy") if c not in ccp_table.columns]
    if missing:
        raise Incorrect(f"your table has no {missing} column(s); use `ccp_path_table(...)`")
    try:
        chosen_alpha = float(chosen_alpha)
    except (TypeError, ValueError):
        raise Incorrect(f"`chosen_alpha` should be a number from the `ccp_alpha` column, got "
                        f"{chosen_alpha!r:.60}") from None
    alphas = ccp_table["ccp_alpha"].astype(float).to_numpy()
    hit = np.flatnonzero(np.isclose(alphas, chosen_alpha, rtol=1e-9, atol=1e-15))
    if hit.size == 0:
        raise Incorrect(f"{chosen_alpha:.6g} is not one of the `ccp_alpha` values of your "
                        "table; pick a row of it")
    acc = ccp_table["accuracy"].astype(float).to_numpy()
    nodes = ccp_table["n_nodes"].astype(float).to_numpy()
    ok = acc >= acc.max() - 0.01
    best = int(np.flatnonzero(ok)[np.argmin(nodes[ok])])
    mine = int(hit[0])
    if not ok[mine]:
        raise Incorrect(f"the tree at alpha {chosen_alpha:.4g} has accuracy {acc[mine]:.4f}, "
                        f"more than 0.01 below the best in your table ({acc.max():.4f})")
    if nodes[mine] > nodes[best]:
        raise Incorrect(f"alpha {alphas[best]:.4g} gives a smaller tree ({int(nodes[best])} "
                        f"nodes vs {int(nodes[mine])}) that is also within 0.01 of the best "
                        f"accuracy ({acc[best]:.4f})")
    return (f"Correct: {int(nodes[mine])} nodes instead of {int(nodes.max())}, accuracy "
            f"{acc[mine]:.4f}.")


q2 = Question(
    "q2",
    prompt=("From your `ccp_table`, set `chosen_alpha` to the `ccp_alpha` of the smallest tree "
            "(fewest `n_nodes`) whose accuracy is within 0.01 of the best accuracy in the "
            "table."),
    answers=("ccp_table", "chosen_alpha"),
    checker=_check_ccp_choice,
    hint="Filter rows with `accuracy >= accuracy.max() - 0.01`, then take the row with the "
         "fewest nodes (`idxmin`).",
    solution=(
        "good = ccp_table[ccp_table.accuracy >= ccp_table.accuracy.max() - 0.01]\n"
        "chosen_alpha = good.loc[good.n_nodes.idxmin(), 'ccp_alpha']"
    ),
)


# ---------------------------------------------------------------------------------------------
# q3: soft targets as duplicated, weighted rows
# ---------------------------------------------------------------------------------------------
def _check_soft_dataset(soft_dataset):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(7, 3))
    p1 = np.array([0.9, 0.5, 0.2, 1.0, 0.0, 0.65, 0.33])
    proba = np.column_stack([1 - p1, p1])
    out = call(soft_dataset, X.copy(), proba.copy())
    if not isinstance(out, tuple) or len(out) != 3:
        raise Incorrect(f"`soft_dataset` should return `(X_dup, y_dup, weights)`, got "
                        f"{type(out).__name__}")
    Xd, yd, w = (np.asarray(a) for a in out)
    if Xd.ndim != 2 or Xd.shape[1] != X.shape[1]:
        raise Incorrect(f"`X_dup` should have {X.shape[1]} columns like X, got shape {Xd.shape}")
    if not (len(Xd) == len(yd) == len(w)):
        raise Incorrect(f"`X_dup`, `y_dup` and `weights` have {len(Xd)}, {len(yd)} and "
                        f"{len(w)} rows; they must match")
    # total weight per (original row, class) must equal the teacher's probability
    for i in range(len(X)):
        rows = np.flatnonzero(np.all(np.isclose(Xd, X[i]), axis=1))
        for k in (0, 1):
            got = float(w[rows][yd[rows] == k].sum())
            if not np.isclose(got, proba[i, k], atol=1e-9):
                raise Incorrect(f"row {i} has teacher probabilities {proba[i].round(2).tolist()}"
                                f", but your copies of it labelled {k} carry a total weight of "
                                f"{got:.3g} instead of {proba[i, k]:.3g}")
    return "Correct: every row's class-k copy is weighted by the teacher's probability for k."


q3 = Question(
    "q3",
    prompt=("Write `soft_dataset(X, proba)` for a binary teacher: return `(X_dup, y_dup, "
            "weights)` where each row of `X` appears once labelled 0 with weight `proba[:, 0]` "
            "and once labelled 1 with weight `proba[:, 1]`."),
    answers=("soft_dataset",),
    checker=_check_soft_dataset,
    hint="`np.vstack([X, X])`, `np.r_[np.zeros(n), np.ones(n)]`, `np.r_[proba[:, 0], "
         "proba[:, 1]]`.",
    solution=(
        "def soft_dataset(X, proba):\n"
        "    n = len(X)\n"
        "    return (np.vstack([X, X]), np.r_[np.zeros(n, int), np.ones(n, int)],\n"
        "            np.r_[proba[:, 0], proba[:, 1]])"
    ),
)


# ---------------------------------------------------------------------------------------------
# q4: an export that passes the parity check
# ---------------------------------------------------------------------------------------------
def _check_export(model, onnx_model):
    from mlserving_lab.export import check_parity

    if onnx_model is model:
        raise Incorrect("`onnx_model` is the original model itself; export it with "
                        "`to_onnx(model, X_train)`")
    if type(onnx_model).__module__.startswith("sklearn"):
        raise Incorrect(f"`onnx_model` is a scikit-learn {type(onnx_model).__name__}; it should "
                        "be the ONNX predictor returned by `to_onnx`")
    n = getattr(model, "n_features_in_", None)
    if n is None:
        raise Incorrect("`model` should be a fitted scikit-learn classifier")
    X = np.random.default_rng(8).normal(size=(500, n)) * 1.5
    report = check_parity(model, onnx_model, X, raise_on_failure=False)
    if not report.passed:
        raise Incorrect(f"on 500 fresh float64 rows your export does not match `model`: "
                        f"{report}")
    return f"Correct: {report}."


q4 = Question(
    "q4",
    prompt="Export the random forest `model` to ONNX as `onnx_model` with `to_onnx`.",
    answers=("model", "onnx_model"),
    checker=_check_export,
    hint="`onnx_model = to_onnx(model, X_train)`",
    solution="onnx_model = to_onnx(model, X_train)",
)


# ---------------------------------------------------------------------------------------------
# q5: when does ONNX win?
# ---------------------------------------------------------------------------------------------
def _check_onnx_wins(speed_table, onnx_wins_one_row, onnx_wins_batch):
    import pandas as pd

    if not isinstance(speed_table, pd.DataFrame):
        raise Incorrect(f"`speed_table` should be a DataFrame, got {type(speed_table).__name__}")
    for col in ("sklearn_ms", "onnx_ms"):
        if col not in speed_table.columns:
            raise Incorrect(f"`speed_table` has no `{col}` column; its columns are "
                            f"{[str(c) for c in speed_table.columns]}")
    for row in ("one row", "batch 1000"):
        if row not in speed_table.index:
            raise Incorrect(f"`speed_table` has no row `{row}`; its rows are "
                            f"{list(speed_table.index)}")
    for row, answer, what in (("one row", onnx_wins_one_row, "onnx_wins_one_row"),
                              ("batch 1000", onnx_wins_batch, "onnx_wins_batch")):
        if not isinstance(answer, (bool, np.bool_)):
            raise Incorrect(f"`{what}` should be True or False, got {answer!r:.40}")
        sk, ox = float(speed_table.loc[row, "sklearn_ms"]), float(speed_table.loc[row, "onnx_ms"])
        truth = ox < sk
        if bool(answer) != truth:
            raise Incorrect(f"in your table, `{row}` takes {sk:.3g} ms with scikit-learn and "
                            f"{ox:.3g} ms with ONNX, so `{what}` should be {truth}")
    one = speed_table.loc["one row"]
    ratio = float(one["sklearn_ms"]) / float(one["onnx_ms"])
    return (f"Correct: ONNX is {ratio:.0f}x faster on one row in your measurement; on a batch "
            "of 1000 the per-call overhead it removes is spread over 1000 rows, so the gap "
            "shrinks or reverses.")


q5 = Question(
    "q5",
    prompt=("Build `speed_table` with rows `one row` and `batch 1000` and columns `sklearn_ms` "
            "and `onnx_ms` (p50 per call), then set `onnx_wins_one_row` and `onnx_wins_batch` "
            "to whether ONNX is faster in each row of YOUR table."),
    answers=("speed_table", "onnx_wins_one_row", "onnx_wins_batch"),
    checker=_check_onnx_wins,
    hint="`bool(speed_table.loc['one row', 'onnx_ms'] < speed_table.loc['one row', "
         "'sklearn_ms'])`",
    solution=(
        "onnx_wins_one_row = bool(speed_table.loc['one row', 'onnx_ms'] < "
        "speed_table.loc['one row', 'sklearn_ms'])\n"
        "onnx_wins_batch = bool(speed_table.loc['batch 1000', 'onnx_ms'] < "
        "speed_table.loc['batch 1000', 'sklearn_ms'])"
    ),
)

EXERCISE = Exercise("l02_model_optimization", [q1, q2, q3, q4, q5])
