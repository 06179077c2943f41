"""Artifact folders on disk (private): hashes, metadata.json, and recovery after a crash.

Shared by :mod:`mlserving_lab.packaging.artifact` (saving and loading) and
:mod:`mlserving_lab.packaging.isolation` (the fresh-process check).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from mlserving_lab.errors import ArtifactError

FORMAT = "mlserving-lab-artifact"
FORMAT_VERSION = 1
MODEL_FILES = {"joblib": "model.joblib", "skops": "model.skops"}
PARTIAL = ".partial-"
BACKUP = ".old-"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_metadata(directory: Path) -> dict:
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
    if meta["serializer"] not in MODEL_FILES or meta["model_file"] != MODEL_FILES[
            meta["serializer"]]:
        raise ArtifactError(f"{path}: unknown serializer/model file "
                            f"{meta['serializer']!r}/{meta['model_file']!r}")
    return meta


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def siblings(directory: Path, marker: str) -> list[Path]:
    prefix = f".{directory.name}{marker}"
    if not directory.parent.is_dir():
        return []
    return sorted(p for p in directory.parent.iterdir() if p.name.startswith(prefix) and
                  p.is_dir())


def recovery_candidate(directory: Path) -> Path | None:
    """The newest complete folder left by an interrupted save, if any."""
    found = []
    for p in siblings(directory, PARTIAL) + siblings(directory, BACKUP):
        try:
            meta = read_metadata(p)
            if sha256_file(p / meta["model_file"]) == meta["model_sha256"]:
                found.append(p)
        except (ArtifactError, OSError):
            continue
    if not found:
        return None

    def age(p: Path):
        # names end in a UTC timestamp token; for the same token the new (partial) copy wins
        for rank, marker in ((1, PARTIAL), (0, BACKUP)):
            prefix = f".{directory.name}{marker}"
            if p.name.startswith(prefix):
                return (p.name[len(prefix):], rank)
        return ("", -1)

    return max(found, key=age)


def locate(directory: Path) -> tuple[Path, bool]:
    if directory.is_dir():
        return directory, False
    candidate = recovery_candidate(directory)
    if candidate is not None:
        return candidate, True
    raise FileNotFoundError(f"no model artifact at {directory}")
