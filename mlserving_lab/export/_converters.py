"""skl2onnx plumbing for :func:`~mlserving_lab.export.to_onnx` (not public API).

* the HistGradientBoosting workaround (skl2onnx 1.20 with scikit-learn 1.9),
* DataFrame column names for ColumnTransformers (one ONNX input per column, then one ``X``),
* walking a fitted model to find the estimators it contains.

Only public skl2onnx names are used (``tests/test_layers.py`` forbids private ones).
"""

from __future__ import annotations

import numpy as np


# --------------------------------------------------------------------------------------------
# HistGradientBoosting: skl2onnx 1.20 builds TreeEnsemble* attributes that mix numpy integers,
# numpy bools and Python bools, which onnx.helper.make_attribute refuses ("Unable to create
# node 'TreeEnsembleClassifier'", "Expected an int, got a boolean"). The converters below call
# skl2onnx's own converters with a container whose add_node casts those values to Python ints.
# tests/export/test_onnx.py::test_upstream_hgb_conversion_still_fails tells when to remove it.
# --------------------------------------------------------------------------------------------
def _python_value(value):
    if isinstance(value, np.generic):
        value = value.item()
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, (list, tuple)) and value:
        if all(isinstance(v, (bool, int, np.integer, np.bool_)) for v in value):
            return [int(v) for v in value]
        if any(isinstance(v, np.generic) for v in value):
            return [v.item() if isinstance(v, np.generic) else v for v in value]
    return value


class _CastingContainer:
    """Forwards everything to skl2onnx's container; ``add_node`` gets plain Python attributes."""

    def __init__(self, container):
        self._container = container

    def add_node(self, *args, **attrs):
        return self._container.add_node(*args, **{k: _python_value(v) for k, v in attrs.items()})

    def __getattr__(self, name):
        return getattr(self._container, name)


def _hgb_classifier_converter(scope, operator, container):
    from skl2onnx.operator_converters.random_forest import (
        convert_sklearn_random_forest_classifier,
    )

    return convert_sklearn_random_forest_classifier(scope, operator,
                                                    _CastingContainer(container))


def _hgb_regressor_converter(scope, operator, container):
    from skl2onnx.operator_converters.random_forest import (
        convert_sklearn_random_forest_regressor_converter,
    )

    return convert_sklearn_random_forest_regressor_converter(scope, operator,
                                                             _CastingContainer(container))


def hgb_workaround() -> dict:
    """``convert_sklearn`` keyword arguments that route HistGradientBoosting* through the fix."""
    from skl2onnx.shape_calculators.linear_classifier import (
        calculate_linear_classifier_output_shapes,
    )
    from skl2onnx.shape_calculators.linear_regressor import (
        calculate_linear_regressor_output_shapes,
    )
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    return {
        "custom_conversion_functions": {
            HistGradientBoostingClassifier: _hgb_classifier_converter,
            HistGradientBoostingRegressor: _hgb_regressor_converter,
        },
        "custom_shape_calculators": {
            HistGradientBoostingClassifier: calculate_linear_classifier_output_shapes,
            HistGradientBoostingRegressor: calculate_linear_regressor_output_shapes,
        },
    }


# --------------------------------------------------------------------------------------------
# Walking a fitted model
# --------------------------------------------------------------------------------------------
def iter_estimators(model, _seen=None):
    """``model`` and every fitted estimator nested in it (pipelines, column transformers,
    ensembles of named estimators, meta-estimators)."""
    seen = set() if _seen is None else _seen
    if id(model) in seen or model is None or isinstance(model, str):
        return
    seen.add(id(model))
    yield model
    children = []
    for attr in ("steps", "transformer_list"):
        for item in getattr(model, attr, None) or []:
            if isinstance(item, tuple) and len(item) >= 2:
                children.append(item[1])
    for item in getattr(model, "transformers_", None) or []:
        if isinstance(item, tuple) and len(item) >= 2:
            children.append(item[1])
    for attr in ("estimators_", "named_estimators_", "calibrated_classifiers_"):
        value = getattr(model, attr, None)
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, (list, tuple)):
            children.extend(value)
    for attr in ("final_estimator_", "estimator_"):
        value = getattr(model, attr, None)
        if value is not None and hasattr(value, "get_params"):
            children.append(value)
    for child in children:
        if hasattr(child, "get_params"):
            yield from iter_estimators(child, seen)


def uses_column_names(model) -> bool:
    """True when a ColumnTransformer in ``model`` selects columns by name."""
    from sklearn.compose import ColumnTransformer

    for est in iter_estimators(model):
        if isinstance(est, ColumnTransformer):
            for item in est.transformers_:
                cols = item[2]
                if isinstance(cols, str) or (
                        isinstance(cols, (list, tuple, np.ndarray)) and len(cols)
                        and isinstance(np.asarray(cols, dtype=object)[0], str)):
                    return True
    return False


def voting_with_flatten(model):
    """The first VotingClassifier with ``flatten_transform=True`` in ``model``, or None.

    skl2onnx 1.20 refuses those (soft or hard voting alike): "flatten_transform==True is not
    implemented yet"."""
    from sklearn.ensemble import VotingClassifier

    for est in iter_estimators(model):
        if isinstance(est, VotingClassifier) and est.flatten_transform:
            return est
    return None


# --------------------------------------------------------------------------------------------
# One input per column -> one 2-D input
# --------------------------------------------------------------------------------------------
def merge_column_inputs(proto, input_name: str, n_features: int):
    """Replace the per-column inputs of ``proto`` by one float ``input_name`` of shape
    ``(N, n_features)`` split into the old inputs (in order) by a ``Split`` node."""
    from onnx import TensorProto, helper, numpy_helper

    graph = proto.graph
    old = [i.name for i in graph.input]
    if len(old) != n_features:
        raise ValueError(f"expected {n_features} column inputs, the graph has {len(old)}")
    taken = {n.name for n in graph.initializer} | set(old)
    taken |= {o for node in graph.node for o in node.output}
    name = input_name
    while name in taken:
        name = f"{name}_"
    sizes = name + "_split_sizes"
    del graph.input[:]
    graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                     [None, n_features]))
    if n_features == 1:
        node = helper.make_node("Identity", [name], old, name=name + "_identity")
    else:
        graph.initializer.append(numpy_helper.from_array(np.ones(n_features, dtype=np.int64),
                                                         name=sizes))
        node = helper.make_node("Split", [name, sizes], old, axis=1, name=name + "_split")
    graph.node.insert(0, node)
    return proto
