"""Tests for mlserving_lab.tradeoffs: the model table, the Pareto frontier and the budget choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.tradeoffs import (
    NoModelFitsBudgetError,
    choose_within_budget,
    evaluate_models,
    pareto_frontier,
    pareto_mask,
    plot_frontier,
)


def table(rows):
    """rows: {name: (p99_ms, accuracy)}"""
    return pd.DataFrame({"p99_ms": [v[0] for v in rows.values()],
                         "accuracy": [v[1] for v in rows.values()]}, index=list(rows))


def brute_force_frontier(t, latency="p99_ms", score="accuracy"):
    keep = []
    for a in t.index:
        la, sa = t.loc[a, latency], t.loc[a, score]
        dominated = any(
            (t.loc[b, latency] <= la and t.loc[b, score] >= sa)
            and (t.loc[b, latency] < la or t.loc[b, score] > sa)
            for b in t.index if b != a)
        if not dominated:
            keep.append(a)
    return keep


# ---------------------------------------------------------------------------------------------
# Pareto frontier
# ---------------------------------------------------------------------------------------------
def test_pareto_simple():
    t = table({"lr": (0.2, 0.80), "tree": (0.3, 0.75), "rf": (8.0, 0.90), "gbm": (0.6, 0.91)})
    mask = pareto_mask(t)
    assert mask.name == "pareto" and mask.dtype == bool
    assert mask.to_dict() == {"lr": True, "tree": False, "rf": False, "gbm": True}
    assert list(pareto_frontier(t).index) == ["lr", "gbm"]


def test_pareto_exact_ties_both_stay():
    t = table({"a": (1.0, 0.9), "b": (1.0, 0.9), "c": (2.0, 0.8)})
    assert pareto_mask(t).tolist() == [True, True, False]


def test_pareto_ties_on_one_axis_are_dominated():
    # same latency, lower accuracy -> dominated; same accuracy, slower -> dominated
    t = table({"a": (1.0, 0.9), "same_lat_worse": (1.0, 0.85), "same_acc_slower": (3.0, 0.9)})
    assert pareto_mask(t).tolist() == [True, False, False]


def test_pareto_single_model_and_empty_table():
    assert pareto_mask(table({"only": (5.0, 0.5)})).tolist() == [True]
    empty = pd.DataFrame({"p99_ms": pd.Series(dtype=float),
                          "accuracy": pd.Series(dtype=float)})
    mask = pareto_mask(empty)
    assert len(mask) == 0 and mask.dtype == bool
    assert len(pareto_frontier(empty)) == 0


def test_pareto_other_columns():
    t = pd.DataFrame({"p50_ms": [1.0, 2.0], "f1": [0.5, 0.7]}, index=["x", "y"])
    assert pareto_mask(t, latency="p50_ms", score="f1").tolist() == [True, True]


@pytest.mark.parametrize(
    "t, match",
    [
        (pd.DataFrame({"p99_ms": [1.0]}), "no column 'accuracy'"),
        (pd.DataFrame({"p99_ms": [1.0, np.nan], "accuracy": [0.5, 0.6]}, index=["a", "b"]),
         "not a finite number for model 'b'"),
        (pd.DataFrame({"p99_ms": [1.0], "accuracy": ["high"]}, index=["a"]),
         "'accuracy'.*model 'a'"),
        (pd.DataFrame({"p99_ms": [-1.0], "accuracy": [0.5]}, index=["neg"]), "negative.*neg"),
    ],
)
def test_pareto_rejects_bad_tables(t, match):
    with pytest.raises(ValueError, match=match):
        pareto_mask(t)


def test_pareto_rejects_non_dataframes():
    with pytest.raises(TypeError, match="DataFrame"):
        pareto_mask({"p99_ms": [1], "accuracy": [1]})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=9))
def test_pareto_matches_brute_force(points):
    # small integer grids produce many ties
    t = table({f"m{i}": (float(lat), score / 6) for i, (lat, score) in enumerate(points)})
    mask = pareto_mask(t)
    assert list(t.index[mask.to_numpy()]) == brute_force_frontier(t)
    # the best-scoring and the fastest models always include a frontier member
    assert mask.any()
    budget = float(t.p99_ms.max())
    chosen = choose_within_budget(t, budget + 1)
    assert mask[chosen]
    # brute force of the documented rule: most accurate, then lowest p99, then first name
    best = min(t.index, key=lambda n: (-t.loc[n, "accuracy"], t.loc[n, "p99_ms"], n))
    assert chosen == best
    assert choose_within_budget(t.sample(frac=1, random_state=1), budget + 1) == best


# ---------------------------------------------------------------------------------------------
# choose within budget
# ---------------------------------------------------------------------------------------------
def test_choose_within_budget():
    t = table({"lr": (0.2, 0.80), "gbm": (0.6, 0.91), "rf": (12.0, 0.93), "svm": (1.5, 0.91)})
    assert choose_within_budget(t, 30) == "rf"
    assert choose_within_budget(t, 12.0) == "rf"  # exactly on the budget fits
    assert choose_within_budget(t, 5) == "gbm"  # ties on accuracy -> the faster one
    assert choose_within_budget(t, 0.3) == "lr"
    assert choose_within_budget(t, 1, latency="p99_ms", score="accuracy") == "gbm"


def test_choose_full_tie_takes_the_name_that_sorts_first():
    t = table({"second": (1.0, 0.9), "first": (1.0, 0.9), "fast": (0.5, 0.8)})
    assert choose_within_budget(t, 2) == "first"
    # the answer does not depend on the order of the rows
    assert choose_within_budget(t.iloc[::-1], 2) == "first"
    # numpy string labels, and labels that do not compare (sorted by their text)
    np_labels = t.set_axis(np.array(["b", "a", "c"]))
    assert choose_within_budget(np_labels, 2) == "a"
    mixed = t.set_axis([2, "x", 1.5])
    assert choose_within_budget(mixed, 2) == 2  # "2" < "x"


def test_choose_accuracy_tie_takes_the_lower_latency_before_the_name():
    t = table({"a_slow": (3.0, 0.9), "z_fast": (1.0, 0.9)})
    assert choose_within_budget(t, 5) == "z_fast"
    assert choose_within_budget(t, 3.0) == "z_fast"
    assert choose_within_budget(t, 1.0) == "z_fast"  # exactly on the budget fits


def test_choose_nothing_fits_names_the_fastest():
    t = table({"lr": (0.4, 0.80), "rf": (12.0, 0.93)})
    with pytest.raises(NoModelFitsBudgetError, match=r"0.1 ms budget.*fastest, 'lr', takes 0.4"):
        choose_within_budget(t, 0.1)
    assert issubclass(NoModelFitsBudgetError, ValueError)


@pytest.mark.parametrize("budget", [0, -3, float("nan"), float("inf"), "30", True])
def test_choose_rejects_bad_budgets(budget):
    with pytest.raises(ValueError, match="budget_ms must be a positive number"):
        choose_within_budget(table({"a": (1.0, 0.9)}), budget)


def test_choose_rejects_empty_table():
    empty = pd.DataFrame({"p99_ms": pd.Series(dtype=float),
                          "accuracy": pd.Series(dtype=float)})
    with pytest.raises(ValueError, match="empty"):
        choose_within_budget(empty, 10)


# ---------------------------------------------------------------------------------------------
# evaluate_models and the plot
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def split():
    return make_classification_split(n_samples=500, n_features=8, n_informative=5)


def test_evaluate_models_fits_and_measures(split):
    X_train, X_test, y_train, y_test = split
    models = {"lr": LogisticRegression(max_iter=300),
              "tree3": DecisionTreeClassifier(max_depth=3, random_state=0)}
    t = evaluate_models(models, X_test, y_test, X_train=X_train, y_train=y_train,
                        n_runs=15, warmup=2)
    assert list(t.index) == ["lr", "tree3"] and t.index.name == "model"
    for col in ("accuracy", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms",
                "throughput_rows_s", "size_kb"):
        assert col in t.columns
    assert (t.p99_ms >= t.p50_ms).all() and (t.size_kb > 0).all()
    for name, m in models.items():
        assert t.loc[name, "accuracy"] == pytest.approx((m.predict(X_test) == y_test).mean())
    # already-fitted models, a custom metric and batch latency
    from sklearn.metrics import f1_score

    t2 = evaluate_models(models, X_test, y_test, n_runs=5, warmup=0, batch_size=10,
                         scoring=f1_score, score_name="f1", measure_size=False)
    assert "f1" in t2.columns and "size_kb" not in t2.columns


def test_evaluate_models_errors(split):
    X_train, X_test, y_train, y_test = split
    with pytest.raises(TypeError, match="non-empty dict"):
        evaluate_models({}, X_test, y_test)
    with pytest.raises(TypeError, match="non-empty dict"):
        evaluate_models([LogisticRegression()], X_test, y_test)
    with pytest.raises(TypeError, match=r"models\['bad'\].*predict"):
        evaluate_models({"bad": object()}, X_test, y_test)
    with pytest.raises(ValueError, match="both X_train and y_train"):
        evaluate_models({"lr": LogisticRegression()}, X_test, y_test, X_train=X_train)
    with pytest.raises(ValueError, match="y_test must be 1-D"):
        evaluate_models({"lr": LogisticRegression()}, X_test, y_test[:-1])


def test_plot_frontier():
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    t = table({"lr": (0.2, 0.80), "tree": (0.3, 0.75), "rf": (8.0, 0.90), "gbm": (0.6, 0.91)})
    ax = plot_frontier(t, budget_ms=1.0)
    assert isinstance(ax, Axes)
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    assert "Pareto-optimal" in labels and "budget 1 ms" in labels
    assert {a.get_text() for a in ax.texts} == {"lr", "tree", "rf", "gbm"}
    plt.close(ax.figure)
    fig, ax = plt.subplots()
    assert plot_frontier(t, ax=ax, annotate=False, logx=False) is ax
    plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        plot_frontier(t.iloc[:0])
