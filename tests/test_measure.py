"""Tests for mlserving_lab.measure: the latency harnesses, LatencyReport and measure_models.
Correctness only: no timing assertions (only which calls were timed, and in what order)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _fake_models import CountingModel
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.measure import (
    LatencyReport,
    benchmark_latency,
    compare_models,
    measure_models,
    round_robin_latency,
    serialized_size,
)


@pytest.fixture(scope="module")
def fitted():
    """A LogisticRegression fitted on arrays, and its held-out rows."""
    X_train, X_test, y_train, _ = make_classification_split(n_samples=1200, n_features=6,
                                                            n_informative=4)
    return LogisticRegression(max_iter=500).fit(X_train, y_train), X_test


@pytest.fixture(scope="module")
def fitted_frame():
    """The same on DataFrames (the model keeps its feature names)."""
    X_train, X_test, y_train, _ = make_classification_split(n_samples=600, n_features=5,
                                                            n_informative=3, as_frame=True)
    return LogisticRegression(max_iter=500).fit(X_train, y_train), X_test


@pytest.fixture(scope="module")
def split():
    return make_classification_split(n_samples=400, n_features=6, n_informative=4)


# ---------------------------------------------------------------------------------------------
# benchmark_latency / LatencyReport
# ---------------------------------------------------------------------------------------------
def test_benchmark_report_fields_are_consistent(fitted):
    lr, X_test = fitted
    r = benchmark_latency(lr.predict, X_test, n_runs=50, warmup=5)
    assert isinstance(r, LatencyReport)
    assert r.n_runs == 50 and r.batch_size == 1
    assert r.samples_ms.shape == (50,)
    assert 0 < r.p50_ms <= r.p95_ms <= r.p99_ms <= r.max_ms
    assert r.mean_ms == pytest.approx(r.samples_ms.mean())
    assert r.throughput_rows_s == pytest.approx(50 / (r.samples_ms.sum() / 1e3))
    assert set(r.to_dict()) == {"p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms",
                                "throughput_rows_s", "n_runs", "batch_size"}


def test_benchmark_warms_up_first_and_reuses_pre_sliced_batches():
    m = CountingModel()
    X = np.arange(40.0).reshape(20, 2)
    r = benchmark_latency(m.predict, X, n_runs=12, warmup=3, batch_size=4)
    assert len(m.sizes) == 3 + 12
    assert set(m.sizes) == {4}
    # 20 rows / 4 = 5 distinct batches, sliced once: call k and call k+5 get the same object.
    timed_ids = m.ids[3:]
    assert len(set(timed_ids)) == 5
    assert timed_ids[0] == timed_ids[5] == timed_ids[10]
    assert r.throughput_rows_s > 0 and r.batch_size == 4


def test_benchmark_keeps_dataframes(fitted_frame):
    lr_frame, X_frame = fitted_frame
    seen = []

    def fn(batch):
        seen.append(type(batch))
        return lr_frame.predict(batch)

    benchmark_latency(fn, X_frame, n_runs=5, warmup=1)
    assert set(seen) == {pd.DataFrame}


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(predict_fn="model.predict"), TypeError, "callable"),
        (dict(predict_fn=None), TypeError, "callable"),
        (dict(X=np.empty((0, 3))), ValueError, "empty"),
        (dict(X=np.ones(3)), ValueError, "2-D.*shape \\(3,\\)"),
        (dict(X=np.ones((2, 2, 2))), ValueError, "2-D"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size=-2), ValueError, "batch_size"),
        (dict(batch_size=1.5), TypeError, "batch_size"),
        (dict(n_runs=0), ValueError, "n_runs"),
        (dict(warmup=-1), ValueError, "warmup"),
        (dict(batch_size=11), ValueError, "larger than X.*10 rows"),
    ],
)
def test_benchmark_rejects_bad_input(kwargs, exc, match):
    args = dict(predict_fn=lambda b: b, X=np.ones((10, 3)))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        benchmark_latency(**args)


def test_report_plot_repr_and_from_samples():
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    r = LatencyReport.from_samples([1.0, 2.0, 3.0, 4.0, 50.0], name="demo")
    assert r.p50_ms == 3.0 and r.max_ms == 50.0
    for kind in ("hist", "ecdf"):
        ax = r.plot(kind=kind)
        assert isinstance(ax, Axes)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any(s.startswith("p99") for s in labels)
        plt.close(ax.figure)
    fig, ax = plt.subplots()
    assert r.plot(ax=ax) is ax
    plt.close(fig)
    assert "p99=" in repr(r) and "demo" in repr(r)
    assert "<table>" in r._repr_html_()
    with pytest.raises(ValueError, match="kind"):
        r.plot(kind="violin")
    with pytest.raises(ValueError, match="empty"):
        LatencyReport.from_samples([])
    with pytest.raises(ValueError, match="non-negative"):
        LatencyReport.from_samples([1.0, float("nan")])


# ---------------------------------------------------------------------------------------------
# round-robin timing
# ---------------------------------------------------------------------------------------------
class RecordingModel:
    """Appends (its name, the first value of the request) to a shared log on every call."""

    def __init__(self, name, log):
        self.name = name
        self.log = log

    def predict(self, X):
        self.log.append((self.name, float(np.asarray(X)[0, 0])))
        return np.zeros(len(X), dtype=int)


def test_measure_models_times_round_robin_on_distinct_rows():
    log = []
    models = {name: RecordingModel(name, log) for name in ("a", "b", "c")}
    X = np.arange(8.0).reshape(4, 2)  # rows start with 0, 2, 4, 6
    table = measure_models(models, X, n_runs=6, warmup=2, sizes=False)
    # warm-up rounds, then timed rounds: a, b, c, a, b, c, ... never a whole model at once
    assert [name for name, _ in log] == ["a", "b", "c"] * (2 + 6)
    # every round sends the same request to every model; rounds walk through distinct rows
    rows = [value for _, value in log]
    rounds = [rows[i:i + 3] for i in range(0, len(rows), 3)]
    assert all(len(set(r)) == 1 for r in rounds)
    assert [r[0] for r in rounds] == [0.0, 2.0] + [0.0, 2.0, 4.0, 6.0, 0.0, 2.0]
    assert list(table.index) == ["a", "b", "c"]
    assert list(table.columns) == ["p50_ms", "p99_ms", "throughput_rows_s"]


def test_round_robin_latency_reports_every_function():
    calls = []
    fns = {"one": lambda b: calls.append("one"), "two": lambda b: calls.append("two")}
    reports = round_robin_latency(fns, np.ones((5, 2)), n_runs=4, warmup=1, batch_size=2)
    assert calls == ["one", "two"] * 5
    assert list(reports) == ["one", "two"]
    for name, r in reports.items():
        assert isinstance(r, LatencyReport) and r.name == name
        assert r.n_runs == 4 and r.batch_size == 2 and r.samples_ms.shape == (4,)
    with pytest.raises(ValueError, match="non-empty dict"):
        round_robin_latency({}, np.ones((5, 2)))
    with pytest.raises(TypeError, match="callable"):
        round_robin_latency({"x": "model.predict"}, np.ones((5, 2)))
    with pytest.raises(ValueError, match="larger than X"):
        round_robin_latency(fns, np.ones((5, 2)), batch_size=6)


# ---------------------------------------------------------------------------------------------
# measure_models / compare_models
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def models(split):
    X_train, _, y_train, _ = split
    return {"lr": LogisticRegression(max_iter=300).fit(X_train, y_train),
            "tree": DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_train, y_train)}


def test_measure_models_columns_and_values(models, split):
    _, X_test, _, y_test = split
    t = measure_models(models, X_test, y_test, reference="lr", n_runs=10, warmup=1)
    assert list(t.columns) == ["accuracy", "agreement", "max_abs_diff", "size_kb", "p50_ms",
                               "p99_ms", "throughput_rows_s"]
    assert list(t.index) == ["lr", "tree"]
    for name, m in models.items():
        assert t.loc[name, "accuracy"] == pytest.approx((m.predict(X_test) == y_test).mean())
        # size_kb means one thing: the serialized size in KiB
        assert t.loc[name, "size_kb"] == serialized_size(m) / 1024
    assert t.loc["lr", "agreement"] == 1.0 and t.loc["lr", "max_abs_diff"] == 0.0
    agree = (models["tree"].predict(X_test) == models["lr"].predict(X_test)).mean()
    assert t.loc["tree", "agreement"] == pytest.approx(agree)
    assert (t["p99_ms"] >= t["p50_ms"]).all()


def test_measure_models_options(models, split):
    _, X_test, _, y_test = split
    bare = measure_models(models, X_test, latency=False)
    assert list(bare.columns) == ["size_kb"]
    quality = measure_models(models, X_test, y_test, reference="tree", sizes=False,
                             latency=False)
    assert list(quality.columns) == ["accuracy", "agreement", "max_abs_diff"]
    assert quality.loc["tree", "agreement"] == 1.0
    from sklearn.metrics import f1_score

    custom = measure_models(models, X_test, y_test, scoring=f1_score, score_name="f1",
                            n_runs=5, warmup=0, batch_size=10,
                            latency_columns=("p50_ms", "p95_ms", "batch_size"))
    assert list(custom.columns) == ["f1", "size_kb", "p50_ms", "p95_ms", "batch_size"]
    assert (custom["batch_size"] == 10).all()
    assert custom.loc["lr", "f1"] == pytest.approx(f1_score(y_test, models["lr"].predict(X_test)))


def test_measure_models_without_labels_or_serialization(split):
    X_train, X_test, y_train, y_test = split
    reg = LinearRegression().fit(X_train, y_train.astype(float))

    def plain(X):  # a callable, not an estimator; lambdas and closures do not pickle
        return np.asarray(X)[:, 0]

    t = measure_models({"reg": reg, "fn": plain}, X_test, y_test, n_runs=5, warmup=0)
    assert "accuracy" not in t.columns  # neither has class labels
    with_labels = measure_models({"reg": reg, "lr": LogisticRegression().fit(X_train, y_train)},
                                 X_test, y_test, latency=False)
    assert np.isnan(with_labels.loc["reg", "accuracy"]) and with_labels.loc["lr", "accuracy"] > 0.5
    assert t.loc["reg", "size_kb"] > 0
    assert np.isnan(t.loc["fn", "size_kb"])
    assert (t["p50_ms"] > 0).all()


def test_measure_models_errors(models, split):
    _, X_test, _, y_test = split
    with pytest.raises(ValueError, match="non-empty dict"):
        measure_models({}, X_test)
    with pytest.raises(ValueError, match="reference 'nope'"):
        measure_models(models, X_test, reference="nope")
    with pytest.raises(ValueError, match="y has 3 labels"):
        measure_models(models, X_test, y_test[:3])
    with pytest.raises(ValueError, match="unknown latency column"):
        measure_models(models, X_test, latency_columns=("p42_ms",))
    with pytest.raises(TypeError, match="cannot time"):
        measure_models({"x": object()}, X_test, sizes=False)


def test_compare_models_is_measure_models_with_the_first_as_reference(models, split):
    _, X_test, _, y_test = split
    t = compare_models(models, X_test, y_test, n_runs=5, warmup=0)
    assert list(t.columns) == ["accuracy", "agreement", "max_abs_diff", "size_kb", "p50_ms",
                               "p99_ms", "throughput_rows_s"]
    ref = measure_models(models, X_test, y_test, reference="lr", latency=False)
    pd.testing.assert_frame_equal(t[list(ref.columns)], ref)
