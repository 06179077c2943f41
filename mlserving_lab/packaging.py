"""Model artifacts: the model file, ``metadata.json`` and ``requirements.txt`` in one folder.

Lesson 06. :func:`save_artifact` writes an artifact; :func:`load_artifact` reads it back after
checking the model file's sha256 *before* anything is unpickled, and warns about every library
whose installed version differs from the one the model was saved with.

Saving is crash-safe. The new artifact is written into a temporary folder next to the target,
then swapped in with two renames (old -> backup, new -> target). If the process dies at any
moment, the target is either the old artifact, the new one, or (between the two renames)
missing with a complete backup and a complete new folder beside it; :func:`load_artifact`
recovers from that last state by loading the newest complete one, and the next save tidies
up.

Two formats: ``"joblib"`` (pickle; loading runs whatever code the file names, so load only
files you trust) and ``"skops"`` (a restricted format that refuses unknown types unless you
trust them explicitly).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import platform
import re
import secrets
import shutil
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as _im
from pathlib import Path

import numpy as np

from mlserving_lab.atomic import atomic_write_text
from mlserving_lab.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    LibraryVersionWarning,
    RecoveredArtifactWarning,
    UntrustedTypesError,
)

__all__ = [
    "Artifact",
    "ArtifactError",
    "ArtifactIntegrityError",
    "LibraryVersionWarning",
    "RecoveredArtifactWarning",
    "UntrustedTypesError",
    "inspect_artifact",
    "library_versions",
    "load_artifact",
    "predict_in_subprocess",
    "save_artifact",
    "training_data_sha256",
    "version_differences",
]

FORMAT = "mlserving-lab-artifact"
FORMAT_VERSION = 1
_MODEL_FILES = {"joblib": "model.joblib", "skops": "model.skops"}
_CORE_LIBRARIES = ("numpy", "scipy", "pandas", "scikit-learn", "joblib")
_PARTIAL = ".partial-"
_BACKUP = ".old-"


# --------------------------------------------------------------------------------------------
# Versions and hashes
# --------------------------------------------------------------------------------------------
def _dist_version(name: str) -> str | None:
    try:
        return _im.version(name)
    except _im.PackageNotFoundError:
        return None


def _model_distributions(model, limit: int = 20000) -> set[str]:
    """Distributions whose classes appear inside ``model`` (walks attributes, lists, dicts)."""
    try:
        mapping = _im.packages_distributions()
    except Exception:  # noqa: BLE001 - metadata can be broken in odd environments
        mapping = {}
    roots: set[str] = set()
    seen: set[int] = set()
    stack = [model]
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        roots.add(type(obj).__module__.split(".")[0])
        if isinstance(obj, np.ndarray) or isinstance(obj, (str, bytes, int, float, bool)):
            continue
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
        if callable(obj) and hasattr(obj, "__module__") and isinstance(obj.__module__, str):
            roots.add(obj.__module__.split(".")[0])
    dists = set()
    for root in roots:
        for dist in mapping.get(root, []):
            dists.add(dist)
    return dists


def library_versions(model=None, *, extra=()) -> dict[str, str]:
    """Installed versions of the core libraries and of every library ``model`` uses.

    Lesson 06.

    Parameters
    ----------
    model : object, optional
        Its classes' packages are added (e.g. ``torch`` for a torch module).
    extra : iterable of str
        More distribution names to record.

    Returns
    -------
    dict
        ``{"python": "3.11.7", "numpy": "2.4.6", ...}`` (only installed distributions).

    Examples
    --------
    >>> "numpy" in library_versions()
    True
    """
    names = set(_CORE_LIBRARIES) | set(extra)
    if model is not None:
        names |= _model_distributions(model)
    versions = {"python": platform.python_version()}
    for name in sorted(names, key=str.lower):
        v = _dist_version(name)
        if v is not None:
            versions[_canonical(name)] = v
    return versions


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def version_differences(saved: dict, current: dict | None = None):
    """Libraries whose versions differ between ``saved`` and ``current``.

    Lesson 06.

    Parameters
    ----------
    saved : dict
        ``{library: version}`` as recorded in an artifact's metadata.
    current : dict, optional
        Defaults to the installed versions of the same libraries.

    Returns
    -------
    pandas.DataFrame
        Columns ``library``, ``saved``, ``installed`` (``"not installed"`` when missing); one
        row per difference, empty when everything matches.
    """
    import pandas as pd

    if not isinstance(saved, dict):
        raise TypeError(f"saved must be a dict of versions, got {type(saved).__name__}")
    rows = []
    for lib, ver in sorted(saved.items()):
        if current is not None:
            now = current.get(lib)
        elif lib == "python":
            now = platform.python_version()
        else:
            now = _dist_version(lib)
        if now != ver:
            rows.append({"library": lib, "saved": ver, "installed": now or "not installed"})
    return pd.DataFrame(rows, columns=["library", "saved", "installed"])


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def training_data_sha256(X, y=None) -> str:
    """A sha256 fingerprint of the training data (values, column names and dtypes).

    Lesson 06. The same data gives the same hash in any process; any changed value, renamed
    column or changed dtype gives a different one.

    Parameters
    ----------
    X : DataFrame or array-like
    y : Series or array-like, optional

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> import numpy as np
    >>> training_data_sha256(np.zeros((2, 2))) == training_data_sha256(np.zeros((2, 2)))
    True
    """
    import pandas as pd

    h = hashlib.sha256()
    for part in (X, y):
        if part is None:
            h.update(b"<none>")
            continue
        if isinstance(part, pd.Series):
            part = part.to_frame()
        if isinstance(part, pd.DataFrame):
            h.update(json.dumps([[str(c), str(t)] for c, t in part.dtypes.items()]).encode())
            h.update(str(part.shape).encode())
            hashed = pd.util.hash_pandas_object(part, index=False)
            h.update(np.ascontiguousarray(hashed.to_numpy()).tobytes())
            continue
        arr = np.asarray(part)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        if arr.dtype == object:
            h.update(np.ascontiguousarray(
                pd.util.hash_array(arr.ravel().astype(str))).tobytes())
        else:
            h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Metadata helpers
# --------------------------------------------------------------------------------------------
def _json_safe(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_json_safe(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _target_classes(model, y):
    import pandas as pd

    classes = getattr(model, "classes_", None)
    if classes is None and y is not None:
        values = pd.Series(np.asarray(y).ravel()).dropna()
        classes = sorted(values.unique().tolist(), key=str) if len(values) else None
    return None if classes is None else _json_safe(list(classes))


def _feature_info(model, X, schema):
    if schema is not None:
        return schema.names, {c.name: c.dtype for c in schema.columns}
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names], {}
    n = getattr(model, "n_features_in_", None)
    if n is not None:
        return [f"x{i}" for i in range(int(n))], {}
    return None, {}


def _read_metadata(directory: Path) -> dict:
    path = directory / "metadata.json"
    if not path.is_file():
        raise ArtifactError(f"{directory} is not a model artifact: it has no metadata.json")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ArtifactError(f"{path} was not written by mlserving_lab.packaging "
                            f"(no \"format\": \"{FORMAT}\")")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{path} has artifact format version "
                            f"{meta.get('format_version')!r}; this library reads "
                            f"{FORMAT_VERSION}")
    for key in ("model_file", "model_sha256", "serializer"):
        if not isinstance(meta.get(key), str):
            raise ArtifactError(f"{path} lacks the {key!r} entry")
    if meta["serializer"] not in _MODEL_FILES or meta["model_file"] != _MODEL_FILES[
            meta["serializer"]]:
        raise ArtifactError(f"{path}: unknown serializer/model file "
                            f"{meta['serializer']!r}/{meta['model_file']!r}")
    return meta


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------
def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_model(model, path: Path, serializer: str, compress) -> None:
    if serializer == "joblib":
        import joblib

        joblib.dump(model, path, compress=compress)
    else:
        import skops.io as sio

        sio.dump(model, path)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _siblings(directory: Path, marker: str) -> list[Path]:
    prefix = f".{directory.name}{marker}"
    if not directory.parent.is_dir():
        return []
    return sorted(p for p in directory.parent.iterdir() if p.name.startswith(prefix) and
                  p.is_dir())


def _is_artifact_dir(path: Path) -> bool:
    try:
        _read_metadata(path)
    except ArtifactError:
        return False
    return True


def save_artifact(model, directory, *, X_train=None, y_train=None, metrics=None,
                  model_version: str = "1.0.0", serializer: str = "joblib", compress=3,
                  schema=None, description: str | None = None, extra_metadata=None) -> Path:
    """Save a model with its metadata and pinned requirements; replace atomically.

    Lesson 06. Writes ``model.joblib`` (or ``model.skops``), ``metadata.json`` and
    ``requirements.txt`` into ``directory``. An existing artifact there is replaced only once
    the new one is complete; a save killed at any moment leaves an artifact that
    :func:`load_artifact` can load (the old one or the new one).

    Parameters
    ----------
    model : fitted estimator or any picklable object
        Save the whole preprocessing + model pipeline, not the bare model.
    directory : str or Path
        The artifact folder. If it exists it must be an artifact (or empty): other folders are
        never replaced.
    X_train, y_train : optional
        The training data: its sha256 fingerprint, size, feature names and types, and (unless
        ``schema`` is given) an :class:`~mlserving_lab.skew.InputSchema` are recorded.
    metrics : dict, optional
        Offline performance, e.g. ``{"accuracy": 0.91}``.
    model_version : str, default "1.0.0"
    serializer : {"joblib", "skops"}, default "joblib"
        ``"skops"`` for artifacts that others load without trusting you.
    compress : int or bool, default 3
        joblib compression level (ignored by skops).
    schema : InputSchema, optional
        Input schema to store; learned from ``X_train`` when omitted.
    description : str, optional
    extra_metadata : dict, optional
        Added under ``"extra"``.

    Returns
    -------
    pathlib.Path
        The artifact folder.

    Raises
    ------
    ValueError
        Unknown serializer, or ``directory`` exists and is not an artifact.
    TypeError
        ``metrics`` or ``extra_metadata`` is not a dict.

    Notes
    -----
    One writer per folder at a time: a save tidies up leftovers of earlier interrupted saves
    of the same folder, which would include the temporary folder of a concurrent save.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.arange(20.0).reshape(10, 2); y = np.arange(10) % 2
    >>> path = save_artifact(LogisticRegression().fit(X, y), tempfile.mkdtemp() + "/m",
    ...                      X_train=X, y_train=y)
    >>> load_artifact(path).metadata["target_classes"]
    [0, 1]
    """
    if serializer not in _MODEL_FILES:
        raise ValueError(f"serializer must be 'joblib' or 'skops', got {serializer!r}")
    for name, value in (("metrics", metrics), ("extra_metadata", extra_metadata)):
        if value is not None and not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict, got {type(value).__name__}")
    if not isinstance(model_version, str) or not model_version:
        raise TypeError(f"model_version must be a non-empty string, got {model_version!r}")
    directory = Path(directory)
    if directory.exists():
        if not directory.is_dir():
            raise ValueError(f"{directory} exists and is a file, not an artifact folder")
        if any(directory.iterdir()) and not _is_artifact_dir(directory):
            raise ValueError(f"{directory} exists and is not a model artifact (no valid "
                             "metadata.json); refusing to replace it. Choose another folder.")
    directory.parent.mkdir(parents=True, exist_ok=True)
    _cleanup(directory)

    if schema is None and X_train is not None:
        from mlserving_lab.skew import InputSchema

        schema = InputSchema.from_training(X_train)
    model_file = _MODEL_FILES[serializer]
    token = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
    tmp = directory.parent / f".{directory.name}{_PARTIAL}{token}"
    tmp.mkdir()
    try:
        _write_model(model, tmp / model_file, serializer, compress)
        deps = library_versions(model, extra=("skops",) if serializer == "skops" else ())
        requirements = _requirements_text(deps)
        atomic_write_text(tmp / "requirements.txt", requirements)
        names, types = _feature_info(model, X_train, schema)
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_version": model_version,
            "description": description,
            "training_date": datetime.now(UTC).isoformat(timespec="seconds").replace(
                "+00:00", "Z"),
            "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
            "serializer": serializer,
            "model_file": model_file,
            "model_sha256": _sha256_file(tmp / model_file),
            "model_size_bytes": (tmp / model_file).stat().st_size,
            "training_data_sha256": (None if X_train is None else
                                     training_data_sha256(X_train, y_train)),
            "n_training_samples": None if X_train is None else int(np.shape(X_train)[0]),
            "n_features": None if names is None else len(names),
            "feature_names": names,
            "feature_types": types,
            "target_classes": _target_classes(model, y_train),
            "performance_metrics": _json_safe(metrics or {}),
            "dependencies": deps,
            "requirements_sha256": _sha256_bytes(requirements.encode()),
            "input_schema": None if schema is None else schema.to_dict(),
            "input_json_schema": None if schema is None else schema.to_json_schema(),
            "extra": _json_safe(extra_metadata or {}),
        }
        # metadata.json is written last: a folder that has it is complete.
        atomic_write_text(tmp / "metadata.json", json.dumps(meta, indent=2))
        _fsync_dir(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap_in(tmp, directory, token)
    return directory


def _requirements_text(deps: dict) -> str:
    lines = [f"# written by mlserving_lab.packaging; python {deps.get('python', '?')}"]
    lines += [f"{name}=={ver}" for name, ver in sorted(deps.items()) if name != "python"]
    return "\n".join(lines) + "\n"


def _swap_in(tmp: Path, directory: Path, token: str) -> None:
    if directory.exists():
        backup = directory.parent / f".{directory.name}{_BACKUP}{token}"
        os.rename(directory, backup)
        _fsync_dir(directory.parent)
        os.rename(tmp, directory)
        _fsync_dir(directory.parent)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.rename(tmp, directory)
        _fsync_dir(directory.parent)


def _cleanup(directory: Path) -> None:
    """Tidy leftovers of interrupted saves (restoring the folder first if it is missing)."""
    if not directory.exists():
        candidate = _recovery_candidate(directory)
        if candidate is not None:
            os.rename(candidate, directory)
    for p in _siblings(directory, _PARTIAL) + _siblings(directory, _BACKUP):
        shutil.rmtree(p, ignore_errors=True)


def _recovery_candidate(directory: Path) -> Path | None:
    """The newest complete folder left by an interrupted save, if any."""
    found = []
    for p in _siblings(directory, _PARTIAL) + _siblings(directory, _BACKUP):
        try:
            meta = _read_metadata(p)
            if _sha256_file(p / meta["model_file"]) == meta["model_sha256"]:
                found.append(p)
        except (ArtifactError, OSError):
            continue
    if not found:
        return None

    def age(p: Path):
        # names end in a UTC timestamp token; for the same token the new (partial) copy wins
        for rank, marker in ((1, _PARTIAL), (0, _BACKUP)):
            prefix = f".{directory.name}{marker}"
            if p.name.startswith(prefix):
                return (p.name[len(prefix):], rank)
        return ("", -1)

    return max(found, key=age)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
@dataclass
class Artifact:
    """A loaded artifact.

    Attributes
    ----------
    model : object
        The unpickled model or pipeline.
    metadata : dict
        The contents of ``metadata.json``.
    path : pathlib.Path
        The folder it was loaded from.
    version_mismatches : pandas.DataFrame
        Libraries whose installed version differs from the saved one.
    """

    model: object
    metadata: dict
    path: Path
    version_mismatches: object = field(default=None, repr=False)

    @property
    def schema(self):
        """The stored :class:`~mlserving_lab.skew.InputSchema`, or None."""
        data = self.metadata.get("input_schema")
        if data is None:
            return None
        from mlserving_lab.skew import InputSchema

        return InputSchema.from_dict(data)

    def predict(self, X):
        """Validate ``X`` with the stored schema (when there is one), then predict."""
        schema = self.schema
        return self.model.predict(schema.validate(X) if schema is not None else X)

    def predict_proba(self, X):
        """Validate ``X`` with the stored schema (when there is one), then predict_proba."""
        schema = self.schema
        return self.model.predict_proba(schema.validate(X) if schema is not None else X)


def _locate(directory: Path) -> tuple[Path, bool]:
    if directory.is_dir():
        return directory, False
    candidate = _recovery_candidate(directory)
    if candidate is not None:
        return candidate, True
    raise FileNotFoundError(f"no model artifact at {directory}")


def load_artifact(directory, *, expected_sha256: str | None = None, trusted=None,
                  warn_versions: bool = True) -> Artifact:
    """Load an artifact after verifying the model file's sha256.

    Lesson 06. The model file is read into memory, hashed, compared with the hash in
    ``metadata.json`` (and with ``expected_sha256`` if given), and only then deserialised from
    those same bytes, so a changed file is never unpickled.

    Parameters
    ----------
    directory : str or Path
    expected_sha256 : str, optional
        A hash you got from somewhere the attacker cannot write (a deployment manifest, a
        model registry). The hash inside ``metadata.json`` only detects accidental or naive
        changes: whoever can rewrite the model file can usually rewrite the metadata too.
    trusted : list of str, optional
        skops only: type names you trust in addition to skops' defaults.
    warn_versions : bool, default True
        Warn (:class:`LibraryVersionWarning`) listing every library whose version differs.

    Returns
    -------
    Artifact

    Raises
    ------
    FileNotFoundError
        No artifact at ``directory``.
    ArtifactError
        Missing or malformed metadata.
    ArtifactIntegrityError
        The model file's sha256 differs from the recorded or expected one.
    UntrustedTypesError
        A skops file names types that are not trusted.
    """
    requested = Path(directory)
    folder, recovered = _locate(requested)
    meta = _read_metadata(folder)
    model_path = folder / meta["model_file"]
    try:
        data = model_path.read_bytes()
    except FileNotFoundError:
        raise ArtifactError(f"{folder} has metadata.json but no {meta['model_file']}") from None
    actual = _sha256_bytes(data)
    if actual != meta["model_sha256"]:
        raise ArtifactIntegrityError(
            f"{model_path} has sha256 {actual[:16]}..., but metadata.json records "
            f"{meta['model_sha256'][:16]}...: the file was changed or corrupted after saving. "
            "It was NOT loaded.")
    if expected_sha256 is not None and actual != str(expected_sha256).lower():
        raise ArtifactIntegrityError(
            f"{model_path} has sha256 {actual[:16]}..., but you expected "
            f"{str(expected_sha256)[:16]}...: this is not the model you meant to deploy. "
            "It was NOT loaded.")
    if recovered:
        warnings.warn(f"{requested} was missing after an interrupted save; loaded the complete "
                      f"copy {folder.name} (the next save_artifact tidies up)",
                      RecoveredArtifactWarning, stacklevel=2)
    diffs = version_differences(meta.get("dependencies") or {})
    if warn_versions and len(diffs):
        listed = "; ".join(f"{r.library} {r.saved} (installed: {r.installed})"
                           for r in diffs.itertuples())
        warnings.warn(f"the artifact was saved with different library versions: {listed}. "
                      "Predictions may differ; install requirements.txt to match.",
                      LibraryVersionWarning, stacklevel=2)
    model = _deserialise(data, meta["serializer"], trusted)
    return Artifact(model=model, metadata=meta, path=folder, version_mismatches=diffs)


def _deserialise(data: bytes, serializer: str, trusted):
    if serializer == "joblib":
        import joblib

        return joblib.load(io.BytesIO(data))
    import skops.io as sio

    untrusted = sio.get_untrusted_types(data=data)
    allowed = set(trusted or ())
    refused = [t for t in untrusted if t not in allowed]
    if refused:
        raise UntrustedTypesError(
            f"the skops file names {len(refused)} type(s) that are not trusted: "
            f"{', '.join(refused[:8])}{' ...' if len(refused) > 8 else ''}. Inspect them and "
            "pass trusted=[...] if you trust them. Nothing was loaded.", refused)
    return sio.loads(data, trusted=sorted(allowed & set(untrusted)) or None)


def inspect_artifact(directory):
    """Read an artifact's metadata without loading (or unpickling) the model.

    Lesson 06.

    Parameters
    ----------
    directory : str or Path

    Returns
    -------
    pandas.DataFrame
        One row per top-level metadata entry (``field``, ``value``), plus ``sha256 ok``.

    Raises
    ------
    FileNotFoundError, ArtifactError
    """
    import pandas as pd

    folder, _ = _locate(Path(directory))
    meta = _read_metadata(folder)
    rows = []
    for key, value in meta.items():
        if key in ("input_schema", "input_json_schema"):
            value = None if value is None else "<stored: see load_artifact(...).schema>"
        elif isinstance(value, (dict, list)):
            value = json.dumps(value)
            value = value if len(value) <= 120 else value[:117] + "..."
        rows.append({"field": key, "value": value})
    ok = _sha256_file(folder / meta["model_file"]) == meta["model_sha256"]
    rows.append({"field": "sha256 ok", "value": ok})
    return pd.DataFrame(rows).set_index("field")


_CHILD = """
import pickle, sys, warnings
warnings.simplefilter("ignore")
from mlserving_lab.packaging import load_artifact
with open(sys.argv[2], "rb") as fh:
    X = pickle.load(fh)
art = load_artifact(sys.argv[1])
out = getattr(art.model, sys.argv[3])(X)
with open(sys.argv[4], "wb") as fh:
    pickle.dump(out, fh)
"""


def predict_in_subprocess(directory, X, *, method: str = "predict_proba",
                          timeout: float = 120.0):
    """Load an artifact in a fresh Python process and predict there.

    Lesson 06 / exercise 2. Proves the artifact works without anything from your notebook's
    memory (imports, globals, fitted objects): the child process starts empty, loads the
    folder with :func:`load_artifact` and calls ``model.<method>(X)``.

    Parameters
    ----------
    directory : str or Path
        The artifact folder.
    X : DataFrame or array
        Rows to predict (sent to the child with pickle; it is your own data).
    method : {"predict_proba", "predict", "decision_function"}, default "predict_proba"
    timeout : float, default 120
        Seconds before the child is stopped.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        Unknown method.
    RuntimeError
        The child failed; the message includes its last error line.
    """
    import pickle
    import subprocess
    import sys
    import tempfile

    if method not in ("predict_proba", "predict", "decision_function"):
        raise ValueError(f"method must be predict_proba, predict or decision_function, got "
                         f"{method!r}")
    folder = Path(directory)
    if not folder.exists() and _recovery_candidate(folder) is None:
        raise FileNotFoundError(f"no model artifact at {folder}")
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with tempfile.TemporaryDirectory() as tmp:
        x_path, out_path = Path(tmp) / "X.pkl", Path(tmp) / "out.pkl"
        with open(x_path, "wb") as fh:
            pickle.dump(X, fh)
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(folder), str(x_path), method,
                               str(out_path)], env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(f"the fresh process could not load/predict: {last}")
        with open(out_path, "rb") as fh:
            return np.asarray(pickle.load(fh))
