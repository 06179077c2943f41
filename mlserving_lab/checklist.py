"""The pre-deployment checklist from lesson 04, as an automated audit.

Lesson 04. :func:`audit_deployment` inspects a fitted pipeline, a loaded
:class:`~mlserving_lab.packaging.Artifact` or an artifact folder and returns one row per
checklist item with ``passed`` and a ``reason`` written for the person who has to fix it.

An item that cannot be verified from what you pass in *fails* (with a reason saying what to
pass): an audit that passes by default would hide exactly the gaps it is meant to find.

Two items of the syllabus checklist cannot be checked from the model alone and are left to a
human reviewer: whether feature computation code is shared between training and serving, and
whether time-dependent features use the same time zones and windows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CHECKLIST_ITEMS", "audit_deployment"]

CHECKLIST_ITEMS = (
    "preprocessing serialised with the model",
    "versions pinned",
    "schema present",
    "same imputer",
    "encoder handles unknown categories",
    "dtype consistency",
)

_IMPUTERS = ("SimpleImputer", "KNNImputer", "IterativeImputer")
_SAFE_OHE = ("ignore", "infrequent_if_exist", "warn")


def _walk(est, path: str = ""):
    """Yield (path, estimator) for ``est`` and everything nested inside it."""
    name = path or type(est).__name__
    yield name, est
    steps = getattr(est, "steps", None)
    if isinstance(steps, list):
        for step_name, step in steps:
            if step is not None and step != "passthrough":
                yield from _walk(step, f"{name}.{step_name}")
    transformers = getattr(est, "transformers_", None) or getattr(est, "transformers", None)
    if isinstance(transformers, list):
        for t in transformers:
            if len(t) >= 2 and not isinstance(t[1], str):
                yield from _walk(t[1], f"{name}.{t[0]}")
    for attr in ("transformer_list",):
        items = getattr(est, attr, None)
        if isinstance(items, list):
            for t_name, t in items:
                if not isinstance(t, str):
                    yield from _walk(t, f"{name}.{t_name}")
    inner = getattr(est, "estimator", None)
    if inner is not None and hasattr(inner, "get_params") and inner is not est:
        yield from _walk(inner, f"{name}.estimator")


def _final_estimator(model):
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps:
        return steps[-1][1]
    return model


def _allows_nan(est) -> bool:
    try:
        from sklearn.utils import get_tags

        return bool(get_tags(est).input_tags.allow_nan)
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator
        return False


def _resolve(target):
    """(model, artifact or None)."""
    from mlserving_lab.packaging import Artifact, load_artifact

    if isinstance(target, (str, Path)):
        target = load_artifact(target)
    if isinstance(target, Artifact):
        return target.model, target
    if target is None:
        raise TypeError("audit_deployment needs a fitted model, an Artifact or an artifact "
                        "folder, got None")
    if not (hasattr(target, "predict") or hasattr(target, "predict_proba")):
        raise TypeError(f"audit_deployment needs a fitted model, an Artifact or an artifact "
                        f"folder, got {type(target).__name__}")
    return target, None


def _schema_for(artifact, schema, X_train):
    from mlserving_lab.schema import InputSchema

    if schema is not None:
        if not isinstance(schema, InputSchema):
            raise TypeError(f"schema must be an InputSchema, got {type(schema).__name__}")
        return schema, "the schema you passed"
    if artifact is not None and artifact.metadata.get("input_schema"):
        return artifact.schema, "the schema stored in metadata.json"
    if X_train is not None:
        return InputSchema.from_training(X_train), "X_train"
    return None, None


def _describe(est) -> str:
    params = []
    for key in ("strategy", "handle_unknown", "fill_value", "n_neighbors"):
        if key in getattr(est, "__dict__", {}):
            params.append(f"{key}={getattr(est, key)!r}")
    return f"{type(est).__name__}({', '.join(params)})"


def _fitted_on_raw(model, schema) -> bool:
    """Whether the model's own input columns are the raw columns the schema describes."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names] == schema.names
    n = getattr(model, "n_features_in_", None)
    return n is None or int(n) == schema.n_columns


def _check_preprocessing(model, schema):
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and len(steps) > 1:
        chain = " -> ".join(f"{n} ({type(s).__name__})" for n, s in steps)
        return True, (f"one Pipeline: {chain}; the fitted preprocessing is saved and loaded "
                      "together with the model")
    name = type(_final_estimator(model)).__name__
    if schema is not None and not _fitted_on_raw(model, schema):
        seen = [str(c) for c in getattr(model, "feature_names_in_", [])]
        n_seen = getattr(model, "n_features_in_", len(seen))
        unused = [c for c in schema.names if c not in seen] if seen else []
        detail = f"; raw columns it never saw: {unused[:4]}" if unused else ""
        return False, (f"the bare {name} was fitted on {n_seen} columns, not on the "
                       f"{schema.n_columns} raw columns{detail}. Whatever turned raw data into "
                       "its input is not saved with it: put preprocessing and model in one "
                       "Pipeline")
    if schema is not None:
        text = [c.name for c in schema.columns if c.kind != "numeric"]
        nan = [c.name for c in schema.columns if c.allow_missing]
        if not text and not nan:
            return True, (f"the bare {name} takes the raw numeric columns directly; there is "
                          "no preprocessing to serialise")
        need = []
        if text:
            need.append(f"non-numeric columns {text[:4]}")
        if nan:
            need.append(f"missing values in {nan[:4]}")
        return False, (f"the model is a bare {name} but the raw data has "
                       f"{' and '.join(need)}: their preprocessing lives outside the model, so "
                       "serving must re-implement it. Put preprocessing and model in one "
                       "Pipeline")
    return False, (f"the model is a bare {name}: any preprocessing runs outside it and must be "
                   "re-implemented by serving code. Put preprocessing and model in one Pipeline "
                   "(or pass X_train to show the raw data needs none)")


def _check_versions(artifact, requirements):
    from packaging.utils import canonicalize_name

    from mlserving_lab.packaging import parse_requirements, version_differences

    text, source = None, None
    if requirements is not None:
        path = Path(requirements)
        if not path.is_file():
            return False, f"requirements file {path} does not exist"
        text, source = path.read_text(encoding="utf-8"), path.name
    elif artifact is not None:
        path = artifact.path / "requirements.txt"
        if path.is_file():
            text, source = path.read_text(encoding="utf-8"), "the artifact's requirements.txt"
    if text is None:
        return False, ("no requirements file: a bare pipeline records no library versions. "
                       "Save it with save_artifact (which writes requirements.txt) or pass "
                       "requirements=")
    pins, loose = parse_requirements(text)
    if loose:
        return False, (f"{source} has unpinned lines {loose[:4]}: use exact `name==version` "
                       "pins so serving installs what training used")
    if not any(canonicalize_name(p.name) == "scikit-learn" for p in pins):
        return False, f"{source} does not pin scikit-learn"
    if artifact is not None:
        diffs = version_differences(artifact.metadata.get("dependencies") or {})
        if len(diffs):
            listed = ", ".join(f"{r.library} {r.saved} (installed {r.installed})"
                               for r in diffs.itertuples())
            return False, (f"pinned, but this environment differs from the pins: {listed}; "
                           "install requirements.txt before serving")
    shown = ", ".join(str(p) for p in pins[:4]) + (", ..." if len(pins) > 4 else "")
    return True, f"{source} pins {len(pins)} libraries exactly ({shown})"


def _check_schema(model, artifact, schema_arg):
    if schema_arg is not None:
        return True, f"InputSchema with {schema_arg.n_columns} columns passed in"
    if artifact is not None and artifact.metadata.get("input_schema"):
        n = len(artifact.metadata["input_schema"].get("columns", []))
        return True, f"InputSchema with {n} columns stored in metadata.json"
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return False, (f"only the {len(names)} column names are known (feature_names_in_); "
                       "types, ranges and categories are not checked at serving time. Build an "
                       "InputSchema.from_training(X_train) and validate with it")
    return False, ("no input schema: serving cannot reject wrong columns, types or NaN. Build "
                   "InputSchema.from_training(X_train) (save_artifact stores it)")


def _check_imputer(model, schema):
    parts = [(p, e) for p, e in _walk(model) if type(e).__name__ in _IMPUTERS]
    if parts:
        listed = ", ".join(f"{_describe(e)} at {p}" for p, e in parts)
        return True, (f"missing values are filled inside the model by {listed}, with the fill "
                      "values learned in training")
    final = _final_estimator(model)
    if schema is None:
        if _allows_nan(final):
            return True, (f"no imputer, but {type(final).__name__} handles NaN itself; serving "
                          "must pass NaN through, never fill it")
        return False, ("no imputer inside the model and no training data to check for missing "
                       "values: pass X_train (or a schema)")
    nan_cols = [c.name for c in schema.columns if c.allow_missing]
    if not nan_cols:
        return True, ("the training data has no missing values, so there is no fill strategy to "
                      "copy; the schema rejects NaN at serving time")
    if not _fitted_on_raw(model, schema):
        return False, (f"the training data has missing values in {nan_cols[:4]}, but the model "
                       "was fitted on preprocessed columns without an imputer inside it: the "
                       "fill happened outside the model, where serving can do it differently")
    if _allows_nan(final):
        return True, (f"no imputer, but {type(final).__name__} handles the NaN in {nan_cols[:4]} "
                      "itself; serving must pass NaN through, never fill it")
    return False, (f"the training data has missing values in {nan_cols[:4]} but the model has "
                   "no imputer: the fill happens outside the model, where serving can do it "
                   "differently. Add a SimpleImputer to the Pipeline")


def _check_encoder(model, schema):
    encoders = [(p, e) for p, e in _walk(model)
                if type(e).__name__ in ("OneHotEncoder", "OrdinalEncoder", "TargetEncoder")]
    bad = []
    for p, e in encoders:
        kind = type(e).__name__
        handle = getattr(e, "handle_unknown", None)
        if kind == "OneHotEncoder" and handle not in _SAFE_OHE:
            bad.append(f"{p} is OneHotEncoder(handle_unknown={handle!r}): the first unseen "
                       "category at serving time raises an error; use handle_unknown='ignore' "
                       "(or 'infrequent_if_exist')")
        elif kind == "OrdinalEncoder" and handle != "use_encoded_value":
            bad.append(f"{p} is OrdinalEncoder(handle_unknown={handle!r}): unseen categories "
                       "raise; use handle_unknown='use_encoded_value', unknown_value=-1")
    if bad:
        return False, "; ".join(bad)
    if encoders:
        listed = ", ".join(_describe(e) for _, e in encoders)
        return True, f"unseen categories are handled: {listed}"
    text = [] if schema is None else [c.name for c in schema.columns if c.kind == "categorical"]
    if text:
        return False, (f"categorical columns {text[:4]} but no encoder inside the model: the "
                       "category-to-number mapping lives outside it")
    if schema is None:
        return False, "no encoder found and no training data to check: pass X_train (or a schema)"
    return True, "no categorical columns, so no encoder is needed"


def _family(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return "bool"
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    return "text"


def _check_dtypes(schema, X_serving):
    from mlserving_lab.errors import SchemaError, SchemaWarning

    if X_serving is None:
        return False, ("not checked: pass X_serving= (a sample of what production sends) to "
                       "compare its dtypes with training")
    if schema is None:
        return False, "not checked: no schema and no X_train to compare X_serving with"
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SchemaWarning)
            schema.validate(X_serving)
    except SchemaError as exc:
        return False, f"X_serving does not match the training schema: {exc}"
    if not isinstance(X_serving, pd.DataFrame):
        arr = np.asarray(X_serving)
        trained = {c.dtype for c in schema.columns}
        if arr.dtype.kind == "f" and any(d.startswith("float") for d in trained) and \
                str(arr.dtype) not in trained:
            return False, (f"X_serving is {arr.dtype} but training used {sorted(trained)}: the "
                           "precision differs")
        return True, f"X_serving ({arr.dtype}) matches the training schema"
    problems = []
    for c in schema.columns:
        served = X_serving[c.name].dtype
        fam = _family(served)
        if c.kind == "numeric" and fam == "float" and c.dtype.startswith("float") \
                and str(served) != c.dtype:
            problems.append(f"{c.name!r} is {served} at serving but {c.dtype} in training "
                            "(precision differs)")
        elif c.kind == "numeric" and fam not in ("float", "int"):
            problems.append(f"{c.name!r} is {served} at serving but numeric in training")
        elif c.kind == "categorical" and fam in ("float", "int", "bool") and c.categories and \
                all(isinstance(v, str) for v in c.categories):
            problems.append(f"{c.name!r} is {served} at serving but text in training")
    if problems:
        return False, "; ".join(problems)
    return True, f"all {schema.n_columns} serving columns have the training dtypes"


def audit_deployment(target, *, X_train=None, X_serving=None, schema=None,
                     requirements=None) -> pd.DataFrame:
    """Audit a model against the pre-deployment checklist.

    Lesson 04.

    Parameters
    ----------
    target : fitted estimator / Pipeline, Artifact, or str / Path of an artifact folder
        What you plan to deploy. A folder is loaded with
        :func:`~mlserving_lab.packaging.load_artifact` (so its hash is verified).
    X_train : DataFrame or array, optional
        The raw training data (used to learn a schema when none is stored or passed).
    X_serving : DataFrame or array, optional
        A sample of what production will send; needed for the dtype item.
    schema : InputSchema, optional
        The schema serving validates with.
    requirements : str or Path, optional
        A requirements file to audit (artifacts carry their own).

    Returns
    -------
    pandas.DataFrame
        Index 1..6; columns ``item``, ``passed`` (bool) and ``reason``.

    Raises
    ------
    TypeError
        If ``target`` is not a model, an Artifact or a folder.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.arange(20.0).reshape(10, 2); y = np.arange(10) % 2
    >>> table = audit_deployment(LogisticRegression().fit(X, y), X_train=X)
    >>> table.loc[2, "passed"]  # a bare model pins no versions
    np.False_
    """
    model, artifact = _resolve(target)
    schema_used, _ = _schema_for(artifact, schema, X_train)
    results = [
        _check_preprocessing(model, schema_used),
        _check_versions(artifact, requirements),
        _check_schema(model, artifact, schema),
        _check_imputer(model, schema_used),
        _check_encoder(model, schema_used),
        _check_dtypes(schema_used, X_serving),
    ]
    table = pd.DataFrame({"item": list(CHECKLIST_ITEMS),
                          "passed": [bool(ok) for ok, _ in results],
                          "reason": [reason for _, reason in results]},
                         index=pd.RangeIndex(1, len(CHECKLIST_ITEMS) + 1))
    return table
