"""Helpers shared by the serving modules (not public API)."""

from __future__ import annotations

from mlserving_lab._validation import check_fitted


def is_dataframe(X) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def resolve_method(model, method: str):
    if not isinstance(method, str):
        raise TypeError(f"method must be the name of a model method such as 'predict', got "
                        f"{method!r}")
    fn = getattr(model, method, None)
    if fn is None or not callable(fn):
        available = [m for m in ("predict", "predict_proba", "decision_function", "transform")
                     if callable(getattr(model, m, None))]
        raise TypeError(f"{type(model).__name__} has no method {method!r}; available: "
                        f"{', '.join(available) or 'none'}")
    if hasattr(model, "get_params"):  # a scikit-learn estimator: fail early if unfitted
        check_fitted(model)
    return fn

