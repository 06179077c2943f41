"""Saving, loading and inspecting model artifacts (the model file, metadata.json and
requirements.txt in one folder).

Lesson 06. See :mod:`mlserving_lab.packaging` for the guarantees (hash checked before
anything is unpickled; crash-safe replacement).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
from mlserving_lab.packaging._folders import (
    BACKUP,
    FORMAT,
    FORMAT_VERSION,
    MODEL_FILES,
    PARTIAL,
    fsync_dir,
    locate,
    read_metadata,
    recovery_candidate,
    sha256_bytes,
    sha256_file,
    siblings,
)
from mlserving_lab.packaging.versions import (
    library_versions,
    requirements_text,
    version_differences,
)

__all__ = ["Artifact", "inspect_artifact", "load_artifact", "save_artifact",
           "training_data_sha256"]


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


def _write_model(model, path: Path, serializer: str, compress) -> None:
    if serializer == "joblib":
        import joblib

        joblib.dump(model, path, compress=compress)
    else:
        import skops.io as sio

        sio.dump(model, path)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _is_artifact_dir(path: Path) -> bool:
    try:
        read_metadata(path)
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
        ``schema`` is given) an :class:`~mlserving_lab.schema.InputSchema` are recorded.
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
    if serializer not in MODEL_FILES:
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
        from mlserving_lab.schema import InputSchema

        schema = InputSchema.from_training(X_train)
    model_file = MODEL_FILES[serializer]
    token = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
    tmp = directory.parent / f".{directory.name}{PARTIAL}{token}"
    tmp.mkdir()
    try:
        _write_model(model, tmp / model_file, serializer, compress)
        deps = library_versions(model, extra=("skops",) if serializer == "skops" else ())
        requirements = requirements_text(deps)
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
            "model_sha256": sha256_file(tmp / model_file),
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
            "requirements_sha256": sha256_bytes(requirements.encode()),
            "input_schema": None if schema is None else schema.to_dict(),
            "input_json_schema": None if schema is None else schema.to_json_schema(),
            "extra": _json_safe(extra_metadata or {}),
        }
        # metadata.json is written last: a folder that has it is complete.
        atomic_write_text(tmp / "metadata.json", json.dumps(meta, indent=2))
        fsync_dir(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap_in(tmp, directory, token)
    return directory


def _swap_in(tmp: Path, directory: Path, token: str) -> None:
    if directory.exists():
        backup = directory.parent / f".{directory.name}{BACKUP}{token}"
        os.rename(directory, backup)
        fsync_dir(directory.parent)
        os.rename(tmp, directory)
        fsync_dir(directory.parent)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.rename(tmp, directory)
        fsync_dir(directory.parent)


def _cleanup(directory: Path) -> None:
    """Tidy leftovers of interrupted saves (restoring the folder first if it is missing)."""
    if not directory.exists():
        candidate = recovery_candidate(directory)
        if candidate is not None:
            os.rename(candidate, directory)
    for p in siblings(directory, PARTIAL) + siblings(directory, BACKUP):
        shutil.rmtree(p, ignore_errors=True)


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
        """The stored :class:`~mlserving_lab.schema.InputSchema`, or None."""
        data = self.metadata.get("input_schema")
        if data is None:
            return None
        from mlserving_lab.schema import InputSchema

        return InputSchema.from_dict(data)

    def predict(self, X):
        """Validate ``X`` with the stored schema (when there is one), then predict."""
        schema = self.schema
        return self.model.predict(schema.validate(X) if schema is not None else X)

    def predict_proba(self, X):
        """Validate ``X`` with the stored schema (when there is one), then predict_proba."""
        schema = self.schema
        return self.model.predict_proba(schema.validate(X) if schema is not None else X)


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
    folder, recovered = locate(requested)
    meta = read_metadata(folder)
    model_path = folder / meta["model_file"]
    try:
        data = model_path.read_bytes()
    except FileNotFoundError:
        raise ArtifactError(f"{folder} has metadata.json but no {meta['model_file']}") from None
    actual = sha256_bytes(data)
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

    folder, _ = locate(Path(directory))
    meta = read_metadata(folder)
    rows = []
    for key, value in meta.items():
        if key in ("input_schema", "input_json_schema"):
            value = None if value is None else "<stored: see load_artifact(...).schema>"
        elif isinstance(value, (dict, list)):
            value = json.dumps(value)
            value = value if len(value) <= 120 else value[:117] + "..."
        rows.append({"field": key, "value": value})
    ok = sha256_file(folder / meta["model_file"]) == meta["model_sha256"]
    rows.append({"field": "sha256 ok", "value": ok})
    return pd.DataFrame(rows).set_index("field")
