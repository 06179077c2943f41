"""Answers as DATA: the allow-list format between a grading sandbox and the trusted grader.

Learner code runs only in the sandbox. What crosses to the trusted grader is a JSON tree
(:func:`encode` there, :func:`decode` here) whose leaves are plain ``str``/``int``/``float``/
``bool``/``None``, numpy arrays saved with ``numpy.save`` and read back with
``allow_pickle=False``, pandas frames rebuilt from those arrays, ONNX model bytes, and fitted
estimators in the skops format, loaded only when ``skops.io.get_untrusted_types`` finds
nothing outside skops' default trusted types. Nothing is ever unpickled here, so no learner
``__reduce__``, ``__eq__`` or ``__float__`` runs in the trusted process; a string subclass
arrives as a plain ``str``. An object of a class defined by the learner is refused with a
reason (:class:`Refused`). A learner function becomes ``{"$t": "function", "name": ...}``;
the trusted side represents it by a placeholder whose calls are replayed from what the
sandbox recorded (see :func:`mlserving_lab.course.exercises.core.call`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import math
import pickle
import types

__all__ = ["Refused", "Refusal", "decode", "digest", "encode"]

_MAX_DEPTH = 60
_PLAIN_TYPES = (int, float, bool, str, complex, bytes, object)


class Refusal(Exception):
    """Raised by :func:`encode` / :func:`decode` for a value the grader does not accept."""


class Refused:
    """Stands for an answer that could not cross to the grader; ``reason`` says why."""

    def __init__(self, reason: str):
        self.reason = str(reason)

    def __repr__(self) -> str:
        return f"<refused: {self.reason}>"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text) -> bytes:
    if not isinstance(text, str):
        raise Refusal("malformed data")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _is_learner_class(cls) -> bool:
    """True for a class the learner defined (or one that claims another module's name)."""
    import sys

    module = getattr(cls, "__module__", None) or ""
    if module == "__main__" or module.startswith("<") or module not in sys.modules:
        return True
    found = sys.modules[module]
    for part in (getattr(cls, "__qualname__", "") or "").split("."):
        found = getattr(found, part, None)
    return found is not cls


def _class_label(obj) -> str:
    cls = type(obj)
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls.__name__)}"


def _npy(arr) -> str:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return _b64(buf.getvalue())


# -- encode (runs in the sandbox) ----------------------------------------------------------
def encode(value, *, function_name=None, _depth: int = 0):
    """``value`` as a JSON-able tree of data; raise :class:`Refusal` for what cannot go.

    ``function_name(fn) -> str or None`` names learner functions (default: their
    ``__name__``).
    """
    import numpy as np

    if _depth > _MAX_DEPTH:
        raise Refusal("it is nested too deeply")
    rec = lambda v: encode(v, function_name=function_name, _depth=_depth + 1)  # noqa: E731
    if value is None or type(value) is bool:
        return value
    if isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biufcmMSU":
            raise Refusal(f"a numpy scalar of dtype {arr.dtype} cannot be graded")
        return {"$t": "npscalar", "npy": _npy(arr)}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return {"$t": "int", "v": str(int.__int__(value))}
    if isinstance(value, float):
        f = float.__float__(value)
        return f if math.isfinite(f) else {"$t": "float", "v": repr(f)}
    if isinstance(value, complex):
        c = complex.__complex__(value) if hasattr(complex, "__complex__") else complex(value)
        return {"$t": "complex", "v": [repr(c.real), repr(c.imag)]}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        return {"$t": "bytes", "b64": _b64(bytes(value))}
    if isinstance(value, (list, tuple, set, frozenset)):
        kind = ("list" if isinstance(value, list) else "tuple" if isinstance(value, tuple)
                else "set" if isinstance(value, set) else "frozenset")
        items = list(list.__iter__(value)) if isinstance(value, list) else (
            list(tuple.__iter__(value)) if isinstance(value, tuple) else list(value))
        return {"$t": kind, "v": [rec(v) for v in items]}
    if isinstance(value, dict):
        return {"$t": "dict", "v": [[rec(k), rec(v)] for k, v in dict.items(value)]}
    if type(value) is slice:  # a fitted ColumnTransformer's output_indices_, positional columns
        return {"$t": "slice", "v": [rec(value.start), rec(value.stop), rec(value.step)]}
    if isinstance(value, np.ndarray):
        arr = np.asarray(value)
        if type(value) is not np.ndarray:
            arr = np.array(value, copy=True).view(np.ndarray)
        if arr.dtype.kind == "O":
            return {"$t": "objarray", "shape": list(arr.shape),
                    "v": [rec(v) for v in arr.ravel().tolist()]}
        if arr.dtype.kind not in "biufcmMSUV" or arr.dtype.hasobject:
            raise Refusal(f"a numpy array of dtype {arr.dtype} cannot be graded")
        if arr.dtype.names:  # zero the padding bytes, so equal data encodes equally
            packed = np.zeros(arr.shape, dtype=arr.dtype)
            for field_name in arr.dtype.names:
                packed[field_name] = arr[field_name]
            arr = packed
        return {"$t": "ndarray", "npy": _npy(np.ascontiguousarray(arr))}
    import os

    if isinstance(value, os.PathLike):
        return {"$t": "path", "v": str.__str__(os.fspath(value))}
    pandas = _pandas_encode(value, rec)
    if pandas is not None:
        return pandas
    if isinstance(value, np.dtype):
        if value.hasobject:
            raise Refusal("an object dtype cannot be graded")
        return {"$t": "dtype", "v": _npy(np.zeros(0, dtype=value))}
    if isinstance(value, type) and (value in _PLAIN_TYPES or issubclass(value, np.generic)):
        name = _numpy_type_name(value)
        if name is not None:  # abstract (np.number) or object types, as make_column_selector
            return {"$t": "nptypename", "v": name}  # takes them: named, never a dtype
        if issubclass(value, np.generic):
            return {"$t": "nptype", "npy": _npy(np.zeros(0, dtype=np.dtype(value)))}
        return {"$t": "plaintype", "v": value.__name__}
    if isinstance(value, type) and _allowed_class(value):
        return {"$t": "cls", "v": _qual(value)}
    if isinstance(value, type):
        raise Refusal(f"it is a class (`{value.__name__}`), not a value")
    if isinstance(value, (types.FunctionType, types.MethodType, types.BuiltinFunctionType,
                          types.BuiltinMethodType)) or (
            callable(value) and _is_learner_class(type(value))) or _is_replayed_function(value):
        name = function_name(value) if function_name else None
        return {"$t": "function", "name": name or getattr(value, "__name__", "function")}
    if isinstance(value, BaseException) and not _is_learner_class(type(value)) and (
            _exception_allowed(type(value))):
        return {"$t": "exc", "cls": _qual(type(value)), "args": rec(list(value.args)),
                "attrs": rec({k: v for k, v in vars(value).items()
                              if isinstance(k, str) and not k.startswith("__")})}
    special = _special_encode(value, rec)
    if special is not None:
        return special
    if _is_learner_class(type(value)):
        raise Refusal(f"it is an object of a class defined in your notebook "
                      f"(`{type(value).__qualname__}`); the grader accepts only numbers, "
                      "strings, lists, dicts, arrays, DataFrames and fitted models of "
                      "library types")
    if _library_root(type(value)) in _REDUCE_ROOTS:
        return _reduce_encode(value, rec)
    return _skops_encode(value)


# numpy's abstract scalar types (and object_), which have no dtype of their own; they travel by
# name. Column selectors name them: make_column_selector(dtype_include=np.number).
_NUMPY_TYPE_NAMES = ("generic", "number", "integer", "signedinteger", "unsignedinteger",
                     "inexact", "floating", "complexfloating", "flexible", "character",
                     "object_")


def _numpy_types() -> dict:
    import numpy as np

    return {name: getattr(np, name) for name in _NUMPY_TYPE_NAMES}


def _numpy_type_name(cls):
    """The allow-listed name of a numpy abstract/object scalar type, else None."""
    for name, found in _numpy_types().items():
        if cls is found:
            return name
    return None


def _is_replayed_function(value) -> bool:
    """A learner function's stand-in in the trusted grader: it encodes like the function."""
    cls = type(value)
    return cls.__qualname__ == "LearnerFunction" and \
        cls.__module__ == "mlserving_lab.course.exercises.core"


def _pandas_encode(value, rec):
    import sys

    pd = sys.modules.get("pandas")
    if pd is None:
        return None
    if isinstance(value, pd.DataFrame):
        return {"$t": "df", "columns": rec(list(value.columns)),
                "data": [_column(value.iloc[:, i], rec) for i in range(value.shape[1])],
                "index": rec(value.index), "nrows": int(len(value))}
    if isinstance(value, pd.Series):
        return {"$t": "series", "name": rec(value.name), "data": _column(value, rec),
                "index": rec(value.index)}
    if isinstance(value, pd.RangeIndex):
        return {"$t": "range", "v": [int(value.start), int(value.stop), int(value.step)],
                "name": rec(value.name)}
    if isinstance(value, pd.MultiIndex):
        return {"$t": "mindex", "v": rec([tuple(t) for t in value.tolist()]),
                "names": rec(list(value.names))}
    if isinstance(value, pd.Index):
        return {"$t": "index", "data": _column(pd.Series(value), rec), "name": rec(value.name)}
    if isinstance(value, pd.Timestamp):
        return {"$t": "timestamp", "v": str(value.isoformat())}
    if isinstance(value, pd.Timedelta):
        return {"$t": "timedelta", "v": int(value.value)}
    return None


def _column(series, rec):
    import numpy as np

    dtype = str(series.dtype)
    if dtype == "category":
        values = series.astype(object).to_numpy()
    else:
        values = series.to_numpy()
    if values.dtype.kind == "O":
        values = np.asarray(values, dtype=object)
    return {"dtype": dtype, "values": rec(values)}


def _special_encode(value, rec):
    """Library objects whose state is plain data: ONNX models and predictors."""
    import sys

    mod = type(value).__module__ or ""
    if mod.startswith("mlserving_lab.export") and type(value).__name__ == "OnnxPredictor" \
            and not _is_learner_class(type(value)):
        return {"$t": "onnxpredictor", "state": rec(dict(value.__getstate__()))}
    ort = sys.modules.get("onnxruntime")
    if ort is not None and isinstance(value, ort.InferenceSession):
        data = getattr(value, "_model_bytes", None)
        if data is None and getattr(value, "_model_path", None):
            with open(value._model_path, "rb") as fh:
                data = fh.read()
        if data is None:
            raise Refusal("an onnxruntime session whose model bytes are unknown")
        return {"$t": "ortsession", "b64": _b64(bytes(data))}
    onnx = sys.modules.get("onnx")
    if onnx is not None and isinstance(value, onnx.ModelProto):
        return {"$t": "onnxmodel", "b64": _b64(value.SerializeToString())}
    if dataclasses.is_dataclass(value) and mod.startswith("mlserving_lab.") \
            and not mod.startswith("mlserving_lab.course"):
        fields = {f.name: rec(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$t": "libdata", "cls": [mod, type(value).__qualname__], "fields": fields}
    return None


# Fitted models of trusted libraries travel as their pickle *state* (a tree of data) and are
# rebuilt by a restricted loader: only BaseEstimator subclasses and the few internal types
# below are ever constructed, and only through ``cls.__new__`` / ``cls(*data)`` and their own
# ``__setstate__``. (skops, with no extra trusted types, refuses every tree model.)
_REDUCE_ROOTS = ("sklearn", "numpy", "mlserving_lab")
_ALLOWED_INTERNAL = {
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils._bunch.Bunch",
    "sklearn.compose._column_transformer.make_column_selector",
    "numpy.random.mtrand.RandomState",
    "numpy.random._generator.Generator",
    "numpy.random._mt19937.MT19937",
    "numpy.random._pcg64.PCG64",
    "numpy.random.bit_generator.SeedSequence",
}
_ALLOWED_FUNCTIONS = {
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random._pickle.__generator_ctor",
    "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
}


def _exception_allowed(cls) -> bool:
    """Builtin exceptions and the package's public ones (not the course's)."""
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        return False
    module = getattr(cls, "__module__", "") or ""
    if module == "builtins":
        return True
    return module.startswith("mlserving_lab.") and not module.startswith("mlserving_lab.course") \
        and not any(p.startswith("_") for p in module.split(".")[1:]) \
        and not cls.__name__.startswith("_")


def _library_root(cls) -> str:
    return (getattr(cls, "__module__", "") or "").split(".")[0]


def _qual(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _allowed_class(cls) -> bool:
    if not isinstance(cls, type) or _is_learner_class(cls):
        return False
    if _qual(cls) in _ALLOWED_INTERNAL or _qual(cls).startswith("sklearn._loss."):
        return True
    module = cls.__module__ or ""
    if module.startswith("mlserving_lab."):
        # The package's own public data types (schemas, reports, predictors).
        return not module.startswith("mlserving_lab.course") and not any(
            p.startswith("_") for p in module.split(".")[1:]) \
            and not cls.__name__.startswith("_") and not issubclass(cls, BaseException)
    if _library_root(cls) != "sklearn":
        return False
    from sklearn.base import BaseEstimator

    return issubclass(cls, BaseEstimator)


def _reduce_encode(value, rec):
    import copyreg

    if not _allowed_class(type(value)):
        raise Refusal(f"an object of type `{_class_label(value)}` cannot be graded")
    try:
        rv = value.__reduce_ex__(4)
    except Exception as exc:  # noqa: BLE001
        raise Refusal(f"`{_class_label(value)}` cannot be saved ({type(exc).__name__})") \
            from None
    if isinstance(rv, str) or len(rv) < 2 or any(x is not None for x in rv[3:]):
        raise Refusal(f"`{_class_label(value)}` cannot be saved for grading")
    func, args = rv[0], tuple(rv[1])
    state = rv[2] if len(rv) > 2 else None
    if func is copyreg.__newobj__ or func is copyreg._reconstructor:
        cls, args = args[0], (args[1:] if func is copyreg.__newobj__ else ())
        form = "new"
    elif isinstance(func, type):
        cls, form = func, "call"
    elif _qual(func) in _ALLOWED_FUNCTIONS:
        cls, form = func, "fn"
    else:
        raise Refusal(f"`{_class_label(value)}` cannot be saved for grading")
    if form != "fn" and not _allowed_class(cls):
        raise Refusal(f"an object of type `{_qual(cls)}` cannot be graded")
    return {"$t": "obj", "form": form, "cls": _qual(cls), "args": rec(list(args)),
            "state": rec(state)}


def _resolve(qualname: str):
    import importlib

    parts = qualname.split(".")
    if parts[0] not in _REDUCE_ROOTS:
        return None
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part, None)
        return found
    return None


def _reduce_decode(tree, rec):
    form, name = tree.get("form"), str(tree.get("cls"))
    target = _resolve(name)
    if form == "fn":
        if name not in _ALLOWED_FUNCTIONS or target is None or _qual(target) != name:
            raise Refusal(f"`{name}` is not allowed")
    elif form not in ("new", "call") or target is None or not _allowed_class(target) \
            or _qual(target) != name:
        raise Refusal(f"`{name}` is not a type the grader accepts")
    args = rec(tree.get("args"))
    if type(args) is not list:
        raise Refusal("malformed model")
    try:
        obj = target.__new__(target, *args) if form == "new" else target(*args)
        state = rec(tree.get("state"))
        if state is not None:
            if hasattr(obj, "__setstate__"):
                obj.__setstate__(state)
            elif isinstance(state, dict):
                obj.__dict__.update(state)
            else:
                raise Refusal("malformed model state")
    except Refusal:
        raise
    except Exception as exc:  # noqa: BLE001
        raise Refusal(f"`{name}` could not be rebuilt ({type(exc).__name__}: "
                      f"{str(exc)[:80]})") from None
    return obj


def _skops_encode(value):
    try:
        import skops.io as sio

        data = sio.dumps(value)
    except Exception as exc:  # noqa: BLE001 - any object may refuse
        raise Refusal(f"an object of type `{_class_label(value)}` cannot be saved for grading "
                      f"({type(exc).__name__})") from None
    untrusted = _untrusted(data)
    if untrusted:
        raise Refusal(_untrusted_reason(untrusted))
    return {"$t": "skops", "b64": _b64(data)}


def _untrusted(data: bytes) -> list[str]:
    import skops.io as sio

    return list(sio.get_untrusted_types(data=data))


def _untrusted_reason(untrusted) -> str:
    mine = [t for t in untrusted if t.startswith("__main__.")]
    shown = ", ".join(f"`{t}`" for t in (mine or untrusted)[:3])
    if mine:
        return (f"it holds an object of a class defined in your notebook ({shown}); the grader "
                "accepts only fitted models of library types")
    return f"it holds types the grader does not trust ({shown})"


# -- decode (runs in the trusted grader) ------------------------------------------------------
def decode(tree, *, function=None, _depth: int = 0):
    """Rebuild a value from :func:`encode`'s tree without running any learner code.

    ``function(name)`` gives the stand-in for a learner function. Raises :class:`Refusal`
    for anything malformed or untrusted.
    """
    import numpy as np

    if _depth > _MAX_DEPTH:
        raise Refusal("it is nested too deeply")
    rec = lambda v: decode(v, function=function, _depth=_depth + 1)  # noqa: E731
    if tree is None or type(tree) in (bool, float, str):
        return tree
    if type(tree) is int:
        return tree
    if type(tree) is not dict:
        raise Refusal("malformed data")
    t = tree.get("$t")
    if t == "int":
        return int(str(tree["v"]))
    if t == "float":
        return float(str(tree["v"]))
    if t == "complex":
        return complex(float(str(tree["v"][0])), float(str(tree["v"][1])))
    if t == "bytes":
        return _unb64(tree["b64"])
    if t in ("list", "tuple", "set", "frozenset"):
        items = [rec(v) for v in _as_list(tree["v"])]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[t](items)
    if t == "dict":
        return {_hashable(rec(k)): rec(v) for k, v in _as_list(tree["v"])}
    if t == "slice":
        parts = [rec(v) for v in _as_list(tree["v"])]
        if len(parts) != 3 or any(p is not None and type(p) is not int for p in parts):
            raise Refusal("malformed slice")
        return slice(*parts)
    if t in ("ndarray", "npscalar"):
        arr = np.load(io.BytesIO(_unb64(tree["npy"])), allow_pickle=False)
        return arr[()] if t == "npscalar" else arr
    if t == "objarray":
        shape = tuple(int(s) for s in _as_list(tree["shape"]))
        items = [rec(v) for v in _as_list(tree["v"])]
        out = np.empty(len(items), dtype=object)
        for i, v in enumerate(items):
            out[i] = v
        return out.reshape(shape)
    if t == "path":
        from pathlib import Path

        return Path(str(tree["v"]))
    if t == "function":
        name = str(tree.get("name", "function"))
        if function is None:
            raise Refusal("a function cannot be graded here")
        return function(name)
    if t in ("df", "series", "range", "mindex", "index", "timestamp", "timedelta"):
        return _pandas_decode(t, tree, rec)
    if t == "onnxpredictor":
        from mlserving_lab.export import OnnxPredictor

        state = rec(tree["state"])
        if not isinstance(state, dict) or not isinstance(state.get("onnx_bytes"), bytes):
            raise Refusal("malformed ONNX predictor")
        obj = OnnxPredictor.__new__(OnnxPredictor)
        try:
            obj.__setstate__({k: state.get(k) for k in
                              ("onnx_bytes", "output", "classes", "feature_names", "name")})
        except Exception as exc:  # noqa: BLE001
            raise Refusal(f"the ONNX model cannot be loaded: {type(exc).__name__}") from None
        return obj
    if t == "ortsession":
        import onnxruntime as ort

        try:
            return ort.InferenceSession(_unb64(tree["b64"]), providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001
            raise Refusal(f"the ONNX model cannot be loaded: {type(exc).__name__}") from None
    if t == "onnxmodel":
        import onnx

        return onnx.load_from_string(_unb64(tree["b64"]))
    if t == "libdata":
        return _libdata_decode(tree, rec)
    if t == "obj":
        return _reduce_decode(tree, rec)
    if t == "exc":
        name = str(tree.get("cls"))
        module, _, qual = name.rpartition(".")
        import importlib

        # Decide from the name alone before importing anything: importing a module the
        # learner named could run its import-time code in the trusted grader.
        trusted_module = module == "builtins" or (
            module.startswith("mlserving_lab.") and not module.startswith("mlserving_lab.course")
            and not any(p.startswith("_") for p in module.split(".")[1:]))
        try:
            cls = getattr(importlib.import_module(module), qual) if trusted_module else None
        except (ImportError, ValueError):
            cls = None
        if cls is None or not isinstance(cls, type) or not _exception_allowed(cls) \
                or _qual(cls) != name:
            raise Refusal(f"`{name}` is not an exception type the grader accepts")
        args = rec(tree.get("args"))
        attrs = rec(tree.get("attrs"))
        if type(args) is not list or type(attrs) is not dict:
            raise Refusal("malformed exception")
        obj = cls.__new__(cls, *args)
        obj.args = tuple(args)
        for key, value in attrs.items():
            if isinstance(key, str) and not key.startswith("_"):
                obj.__dict__[key] = value
        return obj
    if t == "nptype":
        return np.load(io.BytesIO(_unb64(tree["npy"])), allow_pickle=False).dtype.type
    if t == "nptypename":
        found = _numpy_types().get(str(tree.get("v")))
        if found is None:
            raise Refusal("malformed type")
        return found
    if t == "plaintype":
        found = {c.__name__: c for c in _PLAIN_TYPES}.get(str(tree.get("v")))
        if found is None:
            raise Refusal("malformed type")
        return found
    if t == "cls":
        name = str(tree.get("v"))
        found = _resolve(name)
        if found is None or not _allowed_class(found) or _qual(found) != name:
            raise Refusal(f"`{name}` is not a type the grader accepts")
        return found
    if t == "dtype":
        arr = np.load(io.BytesIO(_unb64(tree["v"])), allow_pickle=False)
        return arr.dtype
    if t == "skops":
        import skops.io as sio

        data = _unb64(tree["b64"])
        untrusted = _untrusted(data)
        if untrusted:
            raise Refusal(_untrusted_reason(untrusted))
        try:
            return sio.loads(data)
        except Exception as exc:  # noqa: BLE001
            raise Refusal(f"the saved model cannot be loaded: {type(exc).__name__}") from None
    raise Refusal("malformed data")


def _as_list(v):
    if type(v) is not list:
        raise Refusal("malformed data")
    return v


def _hashable(key):
    try:
        hash(key)
    except TypeError:
        raise Refusal("a dict key is not hashable") from None
    return key


_PD_DTYPES = {"category", "string", "str", "Int64", "Int32", "Float64", "boolean", "object"}


def _pandas_decode(t, tree, rec):
    import numpy as np
    import pandas as pd

    def column(spec):
        values = rec(spec["values"])
        dtype = str(spec.get("dtype", ""))
        s = pd.Series(values, dtype=object if getattr(values, "dtype", None) is np.dtype(object)
                      else None)
        if dtype in _PD_DTYPES:
            s = s.astype(dtype)
        else:
            try:
                np_dtype = np.dtype(dtype)
                if np_dtype.kind != "O":
                    s = s.astype(np_dtype)
            except TypeError:
                pass
        return s

    if t == "df":
        cols = rec(tree["columns"])
        data = [column(c) for c in _as_list(tree["data"])]
        index = rec(tree["index"])
        if len(data) != len(cols):
            raise Refusal("malformed DataFrame")
        frame = pd.DataFrame(dict(enumerate(data)))
        if len(frame) != len(index):
            raise Refusal("malformed DataFrame")
        frame.index = index
        frame.columns = pd.Index(cols, dtype=object) if cols and not all(
            isinstance(c, str) for c in cols) else pd.Index(cols)
        return frame
    if t == "series":
        s = column(tree["data"])
        s.index = rec(tree["index"])
        s.name = rec(tree["name"])
        return s
    if t == "range":
        start, stop, step = (int(v) for v in _as_list(tree["v"]))
        return pd.RangeIndex(start, stop, step, name=rec(tree["name"]))
    if t == "mindex":
        return pd.MultiIndex.from_tuples(rec(tree["v"]), names=rec(tree["names"]))
    if t == "index":
        return pd.Index(column(tree["data"]), name=rec(tree["name"]))
    if t == "timestamp":
        return pd.Timestamp(str(tree["v"]))
    return pd.Timedelta(int(tree["v"]))


def _libdata_decode(tree, rec):
    import importlib

    mod, qualname = (str(v) for v in _as_list(tree["cls"]))
    if not mod.startswith("mlserving_lab.") or mod.startswith("mlserving_lab.course") \
            or any(p.startswith("_") for p in mod.split(".")[1:]) or "." in qualname \
            or qualname.startswith("_"):
        raise Refusal(f"`{mod}.{qualname}` is not a library type the grader accepts")
    try:
        cls = getattr(importlib.import_module(mod), qualname)
    except (ImportError, AttributeError):
        raise Refusal(f"`{mod}.{qualname}` is not a library type") from None
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise Refusal(f"`{mod}.{qualname}` is not a library data type")
    names = {f.name for f in dataclasses.fields(cls)}
    fields = tree.get("fields")
    if type(fields) is not dict or set(fields) != names:
        raise Refusal(f"malformed `{qualname}`")
    obj = cls.__new__(cls)
    for key, value in fields.items():
        object.__setattr__(obj, key, rec(value))
    return obj


# -- digests of a checker's arguments -----------------------------------------------------
def digest(value, *, function_name=None) -> str:
    """A stable hex digest of trusted checker arguments (the same in both processes)."""
    import json

    h = hashlib.sha256()
    try:
        h.update(json.dumps(encode(value, function_name=function_name), sort_keys=True)
                 .encode())
    except (Refusal, RecursionError, TypeError, ValueError):
        h = hashlib.sha256(b"fallback")
        _feed(h, value, function_name, 0)
    return h.hexdigest()


def _feed(h, value, function_name, depth):
    import numpy as np

    if depth > _MAX_DEPTH:
        h.update(b"<deep>")
        return
    rec = lambda v: _feed(h, v, function_name, depth + 1)  # noqa: E731
    name = function_name(value) if function_name is not None else None
    if name is not None:
        h.update(b"F" + name.encode())
        return
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        h.update(f"{type(value).__name__}:{value!r};".encode())
        return
    if isinstance(value, np.generic):
        h.update(f"np:{value.dtype.str}:{value!r};".encode())
        return
    if isinstance(value, np.ndarray):
        h.update(f"A{value.dtype.str}{value.shape}".encode())
        if value.dtype.kind == "O":
            for v in value.ravel().tolist():
                rec(v)
        else:
            h.update(np.ascontiguousarray(value).tobytes())
        return
    if isinstance(value, (list, tuple)):
        h.update(f"L{type(value).__name__}{len(value)}[".encode())
        for v in value:
            rec(v)
        h.update(b"]")
        return
    if isinstance(value, (set, frozenset)):
        h.update(f"S{len(value)}".encode())
        for r in sorted(repr(v) for v in value):
            h.update(r.encode())
        return
    if isinstance(value, dict):
        h.update(f"D{len(value)}{{".encode())
        for k, v in value.items():
            rec(k)
            rec(v)
        h.update(b"}")
        return
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        h.update(f"P{type(value).__name__}".encode())
        if isinstance(value, pd.DataFrame):
            rec(list(value.columns))
            rec(value.index)
            for i in range(value.shape[1]):
                rec(value.iloc[:, i])
        elif isinstance(value, pd.Series):
            rec(value.name)
            h.update(str(value.dtype).encode())
            rec(value.index)
            rec(value.to_numpy())
        else:
            h.update(str(value.dtype).encode())
            rec(value.to_numpy())
        return
    if callable(value) and isinstance(value, (types.FunctionType, types.MethodType,
                                              types.BuiltinFunctionType)):
        h.update(f"f{getattr(value, '__qualname__', '?')}".encode())
        return
    h.update(f"O{_class_label(value)}".encode())
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):
        for k in sorted(state):
            rec(k)
            rec(state[k])
        return
    try:
        h.update(pickle.dumps(value, protocol=4))
    except Exception:  # noqa: BLE001 - trusted objects only; best effort
        h.update(repr(value).encode())
