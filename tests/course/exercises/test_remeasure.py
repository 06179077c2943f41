"""The shared re-measuring checks: each verdict can fail, and each message names the mistake."""

import numpy as np
import pytest

from mlserving_lab.course.exercises.core import Incorrect
from mlserving_lab.course.exercises.remeasure import (
    check_accuracy,
    check_latency_claims,
    check_not_fitted_on,
    check_percentiles,
    check_size_kb,
    file_kb,
    fresh_one_row_p50,
    num,
    nums,
    split_unseen,
)

FRESH = {"slow": 2.0, "fast": 0.05, "mid": 0.5}


def test_honest_claims_pass_within_magnitude_and_order():
    check_latency_claims({"slow": 3.1, "fast": 0.09, "mid": 0.31}, FRESH)


@pytest.mark.parametrize("claimed, match", [
    ({"slow": 0.002, "fast": 0.00005, "mid": 0.0005}, "seconds rather than milliseconds"),
    ({"slow": 2000.0, "fast": 50.0, "mid": 500.0}, "microseconds"),
    ({"slow": 1.0, "fast": 1.0, "mid": 1.0}, "typed in"),
    ({"slow": 0.25, "fast": 0.3, "mid": 0.3}, "is no slower than"),
])
def test_wrong_claims_are_named(claimed, match):
    with pytest.raises(Incorrect, match=match):
        check_latency_claims(claimed, FRESH)


def test_close_models_are_not_ordered():
    # 0.5 vs 0.3 is under 3x apart: either claimed order is accepted.
    check_latency_claims({"a": 0.3, "b": 0.5}, {"a": 0.5, "b": 0.3})


def test_confirm_rescues_a_measurement_spoiled_by_load_but_not_a_wrong_answer():
    spoiled = {"slow": 2.0, "fast": 1.5}            # a burst hit the fast model
    calls = []

    def again():
        calls.append(1)
        return {"slow": 2.0, "fast": 0.05}
    check_latency_claims({"slow": 2.2, "fast": 0.06}, spoiled, confirm=again)
    assert calls == [1]                               # re-timed once, then accepted
    check_latency_claims({"slow": 2.2, "fast": 0.006}, {"slow": 2.0, "fast": 0.5},
                         confirm=again)               # 0.006 is within 10x of the retime
    with pytest.raises(Incorrect, match="no slower"):
        check_latency_claims({"slow": 0.3, "fast": 0.4}, {"slow": 2.0, "fast": 0.05},
                             confirm=lambda: {"slow": 2.1, "fast": 0.04})


def test_fresh_timing_orders_really_different_costs():
    X = np.ones((20, 4))
    fresh = fresh_one_row_p50({"cheap": lambda b: b.sum(),
                               "dear": lambda b: np.linalg.svd(np.eye(120) + b[0, 0])}, X,
                              n_runs=15, warmup=2)
    assert fresh["dear"] > 3 * fresh["cheap"] > 0


def test_percentiles():
    assert check_percentiles(np.float64(1.0), 2, "m") == (1.0, 2.0)
    with pytest.raises(Incorrect, match="below its p50"):
        check_percentiles(2.0, 1.0, "m")
    with pytest.raises(Incorrect, match="one timed call"):
        check_percentiles(1.5, 1.5, "m")
    with pytest.raises(Incorrect, match="must be positive"):
        check_percentiles(0.0, 1.5, "m")


def test_sizes_are_remeasured(tmp_path):
    path = tmp_path / "m.bin"
    path.write_bytes(b"x" * 20480)
    assert file_kb(path) == 20.0
    assert check_size_kb(20.0, file_kb(path), "m") == 20.0
    with pytest.raises(Incorrect, match="looks like bytes"):
        check_size_kb(20480, file_kb(path), "m")
    with pytest.raises(Incorrect, match="1024 bytes"):
        check_size_kb(20.48, file_kb(path), "m")
    with pytest.raises(Incorrect, match="measures 20 KB"):
        check_size_kb(7.0, file_kb(path), "m")


def test_accuracy_is_recomputed():
    y = np.array([0, 1, 1, 0])
    pred = np.array([0, 1, 0, 0])
    assert check_accuracy(0.75, pred, y, "m") == 0.75
    with pytest.raises(Incorrect, match="not a percentage"):
        check_accuracy(75, pred, y, "m")
    with pytest.raises(Incorrect, match="training"):
        check_accuracy(1.0, pred, y, "m", y_train_pred=y, y_train=y)
    with pytest.raises(Incorrect, match="scores 0.75"):
        check_accuracy(0.8, pred, y, "m")


def test_test_set_fitting_is_caught_on_unseen_rows():
    from sklearn.datasets import make_classification
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=1600, n_features=8, flip_y=0.1, random_state=0)
    (X_rest, y_rest), (X_unseen, y_unseen) = split_unseen(X, y, 400)
    X_train, y_train, X_test, y_test = X_rest[:800], y_rest[:800], X_rest[800:], y_rest[800:]
    honest = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X_train, y_train)
    check_not_fitted_on(honest, X_test, y_test, X_unseen, y_unseen, "tree")
    cheat = DecisionTreeClassifier(random_state=0).fit(np.vstack([X_train, X_test]),
                                                        np.r_[y_train, y_test])
    with pytest.raises(Incorrect, match="fitted on the test set"):
        check_not_fitted_on(cheat, X_test, y_test, X_unseen, y_unseen, "tree")
    with pytest.raises(ValueError, match="n_unseen"):
        split_unseen(X, y, 0)


def test_num_shows_enough_digits():
    assert num(0.12345) == "0.1235" and num(2e-5) == "2.000e-05"
    a, b = nums(0.12345, 0.12349)
    assert a != b and float(a) == 0.12345
    assert nums(1.0, 1.0) == ("1", "1")
