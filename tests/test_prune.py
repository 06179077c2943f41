"""mlserving_lab.prune: tree sweeps, the ccp path and torch magnitude pruning."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.prune import (
    ccp_path_table,
    count_nodes,
    depth_sweep,
    leaf_sweep,
    magnitude_prune,
    sparsity,
    torch_prune_sweep,
    tree_sweep,
)

COLUMNS = ["n_nodes", "train_accuracy", "accuracy", "p50_ms", "p99_ms", "size_kb"]


@pytest.fixture(scope="module")
def data():
    return make_classification_split(n_samples=800, n_features=8, n_informative=5)


def test_count_nodes_trees_forests_boosting_pipelines(data):
    X, _, y, _ = data
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    assert count_nodes(tree) == tree.tree_.node_count
    rf = RandomForestClassifier(n_estimators=4, max_depth=2, random_state=0).fit(X, y)
    assert count_nodes(rf) == sum(t.tree_.node_count for t in rf.estimators_)
    gb = GradientBoostingClassifier(n_estimators=5, max_depth=1, random_state=0).fit(X, y)
    assert count_nodes(gb) == 15
    assert count_nodes(make_pipeline(StandardScaler(), tree).fit(X, y)) == count_nodes(tree)
    with pytest.raises(TypeError, match="LogisticRegression has no decision trees"):
        count_nodes(LogisticRegression().fit(X, y))
    with pytest.raises(ValueError, match="not fitted"):
        count_nodes(DecisionTreeClassifier())


def test_depth_sweep_grows_with_depth(data):
    table = depth_sweep(*data, depths=(1, 3, None), n_runs=10)
    assert list(table.columns) == COLUMNS
    assert list(table.index) == ["1", "3", "None"]
    nodes = table["n_nodes"].to_numpy()
    assert nodes[0] == 3 and np.all(np.diff(nodes) > 0)
    assert table["train_accuracy"].iloc[-1] == 1.0
    assert (table["size_kb"].diff().dropna() > 0).all()  # bigger trees, bigger files
    assert (table["p99_ms"] >= table["p50_ms"]).all()


def test_leaf_sweep_shrinks_with_leaf_size(data):
    table = leaf_sweep(*data, values=(1, 20, 80), n_runs=10)
    assert table.index.name == "min_samples_leaf"
    assert np.all(np.diff(table["n_nodes"].to_numpy()) < 0)
    nodes = leaf_sweep(*data, values=(4, 16), param="max_leaf_nodes", n_runs=5)["n_nodes"]
    assert nodes.tolist() == [7, 31]


def test_tree_sweep_works_for_ensembles(data):
    table = tree_sweep(RandomForestClassifier(n_estimators=3, random_state=0), "max_depth",
                       [2, 4], *data, n_runs=5)
    assert table["n_nodes"].iloc[0] < table["n_nodes"].iloc[1]


def test_ccp_path_table_alpha_shrinks_tree(data):
    table = ccp_path_table(*data, max_points=6, n_runs=5)
    assert 2 <= len(table) <= 6
    assert table["ccp_alpha"].is_monotonic_increasing
    assert table["n_nodes"].is_monotonic_decreasing
    assert table["n_nodes"].iloc[-1] >= 3  # the root-only alpha is left out


@pytest.mark.parametrize("call, exc, match", [
    (lambda d: tree_sweep(DecisionTreeClassifier(), "depth", [1], *d), ValueError,
     "no parameter 'depth'"),
    (lambda d: tree_sweep(DecisionTreeClassifier(), "max_depth", [], *d), ValueError, "empty"),
    (lambda d: depth_sweep(d[0], d[1], d[2][:10], d[3]), ValueError, "y_train must be 1-D"),
    (lambda d: depth_sweep(d[0], d[1][:, :3], d[2], d[3]), ValueError, "3 features"),
    (lambda d: leaf_sweep(*d, param="max_depth"), ValueError, "min_samples_leaf"),
    (lambda d: ccp_path_table(*d, max_points=1), ValueError, "at least 2"),
    (lambda d: ccp_path_table(*d, estimator=RandomForestClassifier()), TypeError,
     "cost_complexity_pruning_path"),
])
def test_sweep_bad_input(data, call, exc, match):
    with pytest.raises(exc, match=match):
        call(data)


torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def net(data):
    X_train, _, y_train, _ = data
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    opt = torch.optim.Adam(module.parameters(), lr=0.02)
    X, y = torch.tensor(X_train, dtype=torch.float32), torch.tensor(y_train)
    for _ in range(40):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(module(X), y).backward()
        opt.step()
    return module.eval()


@pytest.mark.parametrize("global_", [True, False])
def test_magnitude_prune_reaches_sparsity_on_a_copy(net, global_):
    pruned, report = magnitude_prune(net, 0.6, global_=global_)
    assert sparsity(net) == 0.0  # original untouched
    assert report.sparsity == pytest.approx(0.6, abs=0.01)
    assert sparsity(pruned) == report.sparsity
    assert not hasattr(pruned[0], "weight_orig")  # masks made permanent
    if not global_:
        assert np.allclose(report.per_layer["sparsity"], 0.6, atol=0.02)
    assert "reached 60" in repr(report)


def test_prune_sweep_shows_dense_size_does_not_shrink(net, data):
    _, X_test, _, y_test = data
    table = torch_prune_sweep(net, X_test, y_test, amounts=(0.0, 0.5, 0.9))
    assert table.loc[0.0, "agreement"] == 1.0
    assert table["size_kb"].nunique() == 1  # zeros in a dense tensor still take 4 bytes
    assert table.loc[0.9, "compressed_kb"] < table.loc[0.0, "compressed_kb"]
    assert table["sparsity"].is_monotonic_increasing


def test_magnitude_prune_bad_input(net):
    with pytest.raises(ValueError, match="between 0 and 1"):
        magnitude_prune(net, 1.5)
    with pytest.raises(TypeError, match="amount must be a number"):
        magnitude_prune(net, "half")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        magnitude_prune(LogisticRegression(), 0.5)
    with pytest.raises(ValueError, match="no Linear or Conv"):
        magnitude_prune(torch.nn.ReLU(), 0.5)
