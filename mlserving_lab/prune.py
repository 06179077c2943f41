"""Pruning: smaller trees and sparser networks, measured (lesson 02).

For trees, "pruning" means growing less (``max_depth``, ``min_samples_leaf``,
``max_leaf_nodes``) or cutting back after growing (cost-complexity pruning, ``ccp_alpha``).
Every sweep here returns the same table: nodes, accuracy, one-row latency and size, so the
trade-off is visible instead of assumed.

For torch, :func:`magnitude_prune` zeroes the smallest weights with
``torch.nn.utils.prune`` and reports the sparsity it reached. Zeros in a dense matrix do not
make a dense matmul faster or a dense file smaller; they only pay off with sparse kernels or
a compressing file format, which :func:`torch_prune_sweep` shows by also reporting the
compressed size.

Public API
----------
count_nodes        total decision nodes + leaves of a tree, forest, boosting model or pipeline
tree_sweep         fit one model per parameter value -> table
depth_sweep        tree_sweep over max_depth
leaf_sweep         tree_sweep over min_samples_leaf (or max_leaf_nodes)
ccp_path_table     the cost-complexity pruning path: one pruned tree per alpha -> table
sparsity           fraction of zero weights in a torch module's Linear/Conv layers
magnitude_prune    L1 magnitude pruning (global or per layer) -> (pruned copy, PruneReport)
torch_prune_sweep  accuracy, agreement and sizes at several pruning amounts
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlserving_lab._validation import check_array, check_fitted

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PruneReport",
    "ccp_path_table",
    "count_nodes",
    "depth_sweep",
    "leaf_sweep",
    "magnitude_prune",
    "sparsity",
    "torch_prune_sweep",
    "tree_sweep",
]


def count_nodes(model) -> int:
    """Total number of nodes (splits + leaves) in a fitted tree model.

    Lesson 02. Works for single trees, forests, gradient boosting (every stage) and
    Pipelines ending in one of those.

    Parameters
    ----------
    model : fitted tree-based estimator or Pipeline

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the model is not fitted.
    TypeError
        If it contains no trees.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> count_nodes(DecisionTreeClassifier(max_depth=1).fit([[0], [1]], [0, 1]))
    3
    """
    check_fitted(model)
    steps = getattr(model, "steps", None)
    est = steps[-1][1] if steps else model
    if hasattr(est, "tree_"):
        return int(est.tree_.node_count)
    members = getattr(est, "estimators_", None)
    if members is not None:
        flat = np.asarray(members, dtype=object).ravel()
        if len(flat) and all(hasattr(t, "tree_") for t in flat):
            return int(sum(t.tree_.node_count for t in flat))
    raise TypeError(f"{type(est).__name__} has no decision trees to count")


def _check_xy(X, y, name):
    arr = check_array(X, name=f"X_{name}")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(arr):
        raise ValueError(f"y_{name} must be 1-D with one label per row of X_{name} "
                         f"({len(arr)} rows), got shape {y.shape}")
    return arr, y


def _check_split(X_train, X_test, y_train, y_test):
    X_train, y_train = _check_xy(X_train, y_train, "train")
    X_test, y_test = _check_xy(X_test, y_test, "test")
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} features but X_train has "
                         f"{X_train.shape[1]}")
    return X_train, X_test, y_train, y_test


def _fit_and_measure(models: list, X_train, y_train, X_test, y_test, n_runs: int) -> list:
    """Fit every model, then measure them together: one row dict per model, in order.

    Nodes and both accuracies (``model.score``) come from each fit; latency and ``size_kb``
    from :func:`mlserving_lab.measure.measure_models`, which times all the models of a sweep
    round-robin, so machine noise does not favour one of them.
    """
    from mlserving_lab.measure import measure_models

    rows = []
    for model in models:
        model.fit(X_train, y_train)
        rows.append({"n_nodes": count_nodes(model),
                     "train_accuracy": float(model.score(X_train, y_train)),
                     "accuracy": float(model.score(X_test, y_test))})
    table = measure_models(dict(enumerate(models)), X_test, n_runs=n_runs,
                           warmup=max(5, n_runs // 10), latency_columns=("p50_ms", "p99_ms"))
    for i, row in enumerate(rows):
        row.update(p50_ms=table.loc[i, "p50_ms"], p99_ms=table.loc[i, "p99_ms"],
                   size_kb=table.loc[i, "size_kb"])
    return rows


def tree_sweep(estimator, param: str, values, X_train, X_test, y_train, y_test, *,
               n_runs: int = 100) -> pd.DataFrame:
    """Refit ``estimator`` once per value of ``param`` and measure each fit.

    Lesson 02.

    Parameters
    ----------
    estimator : unfitted tree-based estimator
        A template (cloned for every value), e.g. ``DecisionTreeClassifier(random_state=0)``.
    param : str
        The parameter to vary, e.g. ``"max_depth"``.
    values : sequence
        Its values (``None`` allowed where the estimator allows it).
    X_train, X_test, y_train, y_test : array-like
        In the order ``train_test_split`` returns them.
    n_runs : int, default 100
        Timed one-row calls per model.

    Returns
    -------
    pandas.DataFrame
        Indexed by the parameter value (as text); columns ``n_nodes, train_accuracy,
        accuracy, p50_ms, p99_ms, size_kb``.

    Raises
    ------
    ValueError
        If ``param`` is not a parameter of the estimator, ``values`` is empty, or the data
        shapes do not match.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from mlserving_lab.datasets import make_classification_split
    >>> Xtr, Xte, ytr, yte = make_classification_split(n_samples=300)
    >>> t = tree_sweep(DecisionTreeClassifier(random_state=0), "max_depth", [1, 3],
    ...                Xtr, Xte, ytr, yte, n_runs=10)
    >>> list(t["n_nodes"])
    [3, 15]
    """
    import pandas as pd
    from sklearn.base import clone

    if param not in estimator.get_params():
        raise ValueError(f"{type(estimator).__name__} has no parameter {param!r}")
    values = list(values)
    if not values:
        raise ValueError("values is empty; give at least one value to try")
    X_train, X_test, y_train, y_test = _check_split(X_train, X_test, y_train, y_test)
    models = [clone(estimator).set_params(**{param: v}) for v in values]
    rows = _fit_and_measure(models, X_train, y_train, X_test, y_test, n_runs)
    return pd.DataFrame([{param: str(v), **row} for v, row in zip(values, rows, strict=True)]
                        ).set_index(param)


def depth_sweep(X_train, X_test, y_train, y_test, depths=(2, 4, 6, 8, 12, None), *,
                estimator=None, n_runs: int = 100) -> pd.DataFrame:
    """:func:`tree_sweep` over ``max_depth`` (default: a DecisionTreeClassifier).

    Lesson 02.

    Parameters
    ----------
    X_train, X_test, y_train, y_test : array-like
        In the order ``train_test_split`` returns them.
    depths : sequence of int or None
    estimator : unfitted estimator, optional
        Default ``DecisionTreeClassifier(random_state=0)``.
    n_runs : int, default 100

    Returns
    -------
    pandas.DataFrame
        See :func:`tree_sweep`.
    """
    from sklearn.tree import DecisionTreeClassifier

    est = estimator if estimator is not None else DecisionTreeClassifier(random_state=0)
    return tree_sweep(est, "max_depth", depths, X_train, X_test, y_train, y_test,
                      n_runs=n_runs)


def leaf_sweep(X_train, X_test, y_train, y_test, values=(1, 5, 20, 50, 100), *,
               param: str = "min_samples_leaf", estimator=None,
               n_runs: int = 100) -> pd.DataFrame:
    """:func:`tree_sweep` over a leaf-size parameter.

    Lesson 02.

    Parameters
    ----------
    X_train, X_test, y_train, y_test : array-like
        In the order ``train_test_split`` returns them.
    values : sequence of int
    param : {"min_samples_leaf", "max_leaf_nodes"}, default "min_samples_leaf"
    estimator : unfitted estimator, optional
        Default ``DecisionTreeClassifier(random_state=0)``.
    n_runs : int, default 100

    Returns
    -------
    pandas.DataFrame
        See :func:`tree_sweep`.
    """
    from sklearn.tree import DecisionTreeClassifier

    if param not in ("min_samples_leaf", "max_leaf_nodes"):
        raise ValueError(f"param must be 'min_samples_leaf' or 'max_leaf_nodes', got {param!r}")
    est = estimator if estimator is not None else DecisionTreeClassifier(random_state=0)
    return tree_sweep(est, param, values, X_train, X_test, y_train, y_test, n_runs=n_runs)


def ccp_path_table(X_train, X_test, y_train, y_test, *, max_points: int = 12,
                   estimator=None, n_runs: int = 100) -> pd.DataFrame:
    """Cost-complexity pruning: fit one tree per ``ccp_alpha`` along the pruning path.

    Lesson 02. ``cost_complexity_pruning_path`` lists every alpha at which the fully grown
    tree loses a subtree; larger alpha = smaller tree. There can be hundreds of them, so
    ``max_points`` alphas are picked evenly along the path (always including the first and
    the last-but-one, which still has a split).

    Parameters
    ----------
    X_train, X_test, y_train, y_test : array-like
        In the order ``train_test_split`` returns them.
    max_points : int, default 12
    estimator : unfitted DecisionTreeClassifier/Regressor, optional
        Default ``DecisionTreeClassifier(random_state=0)``.
    n_runs : int, default 100

    Returns
    -------
    pandas.DataFrame
        One row per alpha (column ``ccp_alpha``) with ``n_nodes, train_accuracy, accuracy,
        p50_ms, p99_ms, size_kb``; sorted by alpha.

    Raises
    ------
    ValueError
        If ``max_points`` < 2 or the data are invalid.
    TypeError
        If the estimator has no ``cost_complexity_pruning_path``.
    """
    import pandas as pd
    from sklearn.base import clone
    from sklearn.tree import DecisionTreeClassifier

    from mlserving_lab._validation import check_positive_int

    max_points = check_positive_int(max_points, "max_points")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    est = estimator if estimator is not None else DecisionTreeClassifier(random_state=0)
    if not hasattr(est, "cost_complexity_pruning_path"):
        raise TypeError(f"{type(est).__name__} has no cost_complexity_pruning_path; use a "
                        "DecisionTreeClassifier or DecisionTreeRegressor")
    X_train, X_test, y_train, y_test = _check_split(X_train, X_test, y_train, y_test)
    alphas = clone(est).cost_complexity_pruning_path(X_train, y_train).ccp_alphas
    alphas = alphas[:-1] if len(alphas) > 1 else alphas  # the last alpha leaves only the root
    idx = np.unique(np.linspace(0, len(alphas) - 1, min(max_points, len(alphas))).round()
                    .astype(int))
    models = [clone(est).set_params(ccp_alpha=float(max(a, 0.0))) for a in alphas[idx]]
    rows = _fit_and_measure(models, X_train, y_train, X_test, y_test, n_runs)
    return pd.DataFrame([{"ccp_alpha": float(a), **row}
                         for a, row in zip(alphas[idx], rows, strict=True)])


# ---------------------------------------------------------------------------------------------
# torch magnitude pruning
# ---------------------------------------------------------------------------------------------
def _prunable(module):
    import torch

    return [(name, m) for name, m in module.named_modules()
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d))]


def sparsity(module) -> float:
    """Fraction of weights equal to zero in the module's Linear/Conv layers (biases excluded).

    Lesson 02.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    float
        Between 0 and 1.

    Raises
    ------
    TypeError
        If ``module`` is not a torch module.
    ValueError
        If it has no Linear/Conv layers.
    """
    from mlserving_lab._torch import check_torch_module

    check_torch_module(module)
    layers = _prunable(module)
    if not layers:
        raise ValueError(f"{type(module).__name__} has no Linear or Conv layers")
    zeros = sum(int((m.weight == 0).sum()) for _, m in layers)
    total = sum(m.weight.numel() for _, m in layers)
    return zeros / total


@dataclass
class PruneReport:
    """What :func:`magnitude_prune` did.

    Attributes
    ----------
    amount : float
        Fraction of weights asked to be removed.
    sparsity : float
        Fraction of weights that are zero afterwards (whole model).
    per_layer : pandas.DataFrame
        Per layer: ``weights``, ``zeros``, ``sparsity``.
    method : str
        ``"global"`` or ``"layerwise"``.
    """

    amount: float
    sparsity: float
    per_layer: pd.DataFrame
    method: str

    def __repr__(self) -> str:
        return (f"PruneReport({self.method} L1, asked {self.amount:.0%}, reached "
                f"{self.sparsity:.1%} zeros over {len(self.per_layer)} layers)")


def magnitude_prune(module, amount: float = 0.5, *, global_: bool = True):
    """Zero the ``amount`` fraction of smallest-magnitude weights with ``torch.nn.utils.prune``.

    Lesson 02. Works on a copy (the original is untouched). ``global_=True`` ranks all
    weights of all Linear/Conv layers together (``prune.global_unstructured``), so layers
    with many small weights lose more; ``False`` prunes each layer by the same fraction
    (``prune.l1_unstructured``). The pruning masks are made permanent with ``prune.remove``
    so the result is a plain module.

    Parameters
    ----------
    module : torch.nn.Module
    amount : float, default 0.5
        Between 0 and 1.
    global_ : bool, default True

    Returns
    -------
    pruned : torch.nn.Module
    report : PruneReport

    Raises
    ------
    TypeError
        If ``module`` is not a torch module.
    ValueError
        If ``amount`` is outside [0, 1] or the module has no Linear/Conv layers.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(10, 10), torch.nn.ReLU(), torch.nn.Linear(10, 2))
    >>> pruned, report = magnitude_prune(net, 0.5)
    >>> round(report.sparsity, 2)
    0.5
    """
    import pandas as pd

    from mlserving_lab._torch import check_torch_module, copy_module

    torch = check_torch_module(module)
    from torch.nn.utils import prune

    if isinstance(amount, (bool, np.bool_)) or not isinstance(amount, (int, float, np.number)):
        raise TypeError(f"amount must be a number between 0 and 1, got {amount!r}")
    if not 0.0 <= float(amount) <= 1.0:
        raise ValueError(f"amount must be between 0 and 1 (a fraction of weights), got {amount}")
    model = copy_module(module)
    layers = _prunable(model)
    if not layers:
        raise ValueError(f"{type(module).__name__} has no Linear or Conv layers to prune")
    if global_:
        prune.global_unstructured([(m, "weight") for _, m in layers],
                                  pruning_method=prune.L1Unstructured, amount=float(amount))
    else:
        for _, m in layers:
            prune.l1_unstructured(m, "weight", amount=float(amount))
    for _, m in layers:
        prune.remove(m, "weight")
    rows = []
    with torch.no_grad():
        for name, m in layers:
            zeros = int((m.weight == 0).sum())
            rows.append({"layer": name, "weights": m.weight.numel(), "zeros": zeros,
                         "sparsity": zeros / m.weight.numel()})
    per_layer = pd.DataFrame(rows).set_index("layer")
    return model, PruneReport(amount=float(amount), sparsity=sparsity(model),
                              per_layer=per_layer, method="global" if global_ else "layerwise")


def _compressed_kb(module) -> float:
    """KiB of zlib-compressed ``torch.save(state_dict)`` bytes: where pruned zeros save space."""
    import torch

    buf = io.BytesIO()
    torch.save(module.state_dict(), buf)
    return len(zlib.compress(buf.getvalue(), 6)) / 1024


def torch_prune_sweep(module, X_test, y_test, amounts=(0.0, 0.3, 0.5, 0.7, 0.9), *,
                      global_: bool = True) -> pd.DataFrame:
    """Prune copies of a trained module by several amounts and measure each.

    Lesson 02.

    Parameters
    ----------
    module : torch.nn.Module
        A trained classifier that outputs logits.
    X_test, y_test : array-like
        Held-out rows and labels.
    amounts : sequence of float
    global_ : bool, default True

    Returns
    -------
    pandas.DataFrame
        Indexed by ``amount``: ``sparsity, accuracy, agreement`` (with the unpruned model),
        ``size_kb`` (``serialized_size / 1024``: the dense ``torch.save`` of the state dict,
        unchanged by pruning) and ``compressed_kb`` (zlib of the same bytes: where the zeros
        actually save space).
    """
    import pandas as pd

    from mlserving_lab.measure import measure_models

    X_test, y_test = _check_xy(X_test, y_test, "test")
    amounts = list(amounts)
    pruned = [magnitude_prune(module, a, global_=global_) for a in amounts]
    # The unpruned module is the reference for agreement; only the pruned rows are kept.
    models = {"unpruned": module, **{i: m for i, (m, _) in enumerate(pruned)}}
    table = measure_models(models, X_test, y_test, reference="unpruned", latency=False)
    rows = [{"amount": float(a), "sparsity": report.sparsity,
             "accuracy": table.loc[i, "accuracy"], "agreement": table.loc[i, "agreement"],
             "size_kb": table.loc[i, "size_kb"], "compressed_kb": _compressed_kb(m)}
            for i, (a, (m, report)) in enumerate(zip(amounts, pruned, strict=True))]
    return pd.DataFrame(rows).set_index("amount")
