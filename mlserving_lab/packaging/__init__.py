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

Every name is importable from here; the code lives in three modules:

artifact    save_artifact, load_artifact, inspect_artifact, Artifact, training_data_sha256
versions    library_versions, version_differences, parse_requirements, requirements_text
isolation   predict_in_subprocess (load and predict in a fresh Python process)
"""

from mlserving_lab.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    LibraryVersionWarning,
    RecoveredArtifactWarning,
    UntrustedTypesError,
)
from mlserving_lab.packaging._folders import FORMAT, FORMAT_VERSION
from mlserving_lab.packaging.artifact import (
    Artifact,
    inspect_artifact,
    load_artifact,
    save_artifact,
    training_data_sha256,
)
from mlserving_lab.packaging.isolation import predict_in_subprocess
from mlserving_lab.packaging.versions import (
    library_versions,
    parse_requirements,
    requirements_text,
    version_differences,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Artifact",
    "ArtifactError",
    "ArtifactIntegrityError",
    "LibraryVersionWarning",
    "RecoveredArtifactWarning",
    "UntrustedTypesError",
    "inspect_artifact",
    "library_versions",
    "load_artifact",
    "parse_requirements",
    "predict_in_subprocess",
    "requirements_text",
    "save_artifact",
    "training_data_sha256",
    "version_differences",
]
