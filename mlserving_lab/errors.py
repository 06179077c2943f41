"""Every exception and warning the library raises, in one family.

Catch :class:`MLServingError` to handle any error of the library, or a narrower class to handle
one kind. Errors about bad input are also a ``ValueError`` or a ``TypeError``, as in numpy and
scikit-learn, so existing ``except ValueError`` code keeps working for them. Two kinds are
deliberately *not*:

- :class:`ArtifactIntegrityError` (and every :class:`ArtifactError`): a tampered or broken
  model file must not be swallowed by a generic ``except ValueError`` around a prediction;
- :class:`ParityError`: a failed export check is a real error, not an ``AssertionError`` that
  ``python -O`` or a test framework treats specially.

Examples
--------
>>> from mlserving_lab.errors import ArtifactIntegrityError, MLServingError
>>> issubclass(ArtifactIntegrityError, MLServingError), issubclass(ArtifactIntegrityError, ValueError)
(True, False)
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "ArtifactIntegrityError",
    "ColumnTypeError",
    "DuplicateColumnError",
    "EnvironmentMismatchWarning",
    "InputShapeError",
    "LibraryVersionWarning",
    "LowPowerWarning",
    "MLServingError",
    "MLServingWarning",
    "MissingColumnError",
    "MissingValueError",
    "NoModelFitsBudgetError",
    "NonFiniteValueError",
    "NotTableLikeError",
    "OutOfRangeError",
    "OutOfRangeWarning",
    "ParityError",
    "RecoveredArtifactWarning",
    "SchemaError",
    "SchemaFormatError",
    "SchemaWarning",
    "UnexpectedColumnError",
    "UnseenCategoryError",
    "UnseenCategoryWarning",
    "UnsupportedModelError",
    "UntrustedTypesError",
]


class MLServingError(Exception):
    """Base class of every error raised by :mod:`mlserving_lab`."""


class MLServingWarning(UserWarning):
    """Base class of every warning emitted by :mod:`mlserving_lab`."""


# --------------------------------------------------------------------------------------------
# Input at the boundary (tables, arrays, schemas)
# --------------------------------------------------------------------------------------------
class SchemaError(MLServingError):
    """Base class of every input-validation error; catch it to handle them all.

    Every concrete error is also a ``ValueError`` or a ``TypeError``. ``column`` names the
    offending column when there is one (``None`` for whole-table problems).
    """

    def __init__(self, message: str, *, column: str | None = None):
        super().__init__(message)
        self.column = column


class NotTableLikeError(SchemaError, TypeError):
    """The input is not a table: None, a scalar, a string, a set, ..."""


class InputShapeError(SchemaError, ValueError):
    """The input is 1-D or 3-D, has no rows, or has the wrong number of columns."""


class MissingColumnError(SchemaError, ValueError):
    """A column seen in training is absent from the input."""


class UnexpectedColumnError(SchemaError, ValueError):
    """The input has a column that training never saw."""


class DuplicateColumnError(SchemaError, ValueError):
    """The input has two columns with the same name."""


class ColumnTypeError(SchemaError, TypeError):
    """A column holds the wrong kind of value (text or booleans where numbers belong, ...)."""


class MissingValueError(SchemaError, ValueError):
    """NaN / None / NA in a column that had no missing values in training."""


class NonFiniteValueError(SchemaError, ValueError):
    """Infinity in a column that had only finite values in training."""


class UnseenCategoryError(SchemaError, ValueError):
    """Strict mode: a category that training never saw."""


class OutOfRangeError(SchemaError, ValueError):
    """Strict mode: a number far outside the training range."""


class SchemaFormatError(SchemaError, ValueError):
    """A schema JSON document that cannot be read."""


class SchemaWarning(MLServingWarning):
    """Base class of the schema's warnings."""


class UnseenCategoryWarning(SchemaWarning):
    """A category that training never saw (an error in strict mode)."""


class OutOfRangeWarning(SchemaWarning):
    """A number far outside the training range (an error in strict mode)."""


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------
class UnsupportedModelError(MLServingError, TypeError):
    """The estimator cannot be converted to ONNX (no converter, or the converter failed)."""


class ParityError(MLServingError):
    """An exported model disagrees with its original beyond the tolerance."""


# --------------------------------------------------------------------------------------------
# Artifacts
# --------------------------------------------------------------------------------------------
class ArtifactError(MLServingError):
    """An artifact folder that cannot be read: missing files, bad metadata, ..."""


class ArtifactIntegrityError(ArtifactError):
    """The model file's sha256 differs from the recorded one: it was changed or corrupted.

    Nothing was unpickled.
    """


class UntrustedTypesError(ArtifactError):
    """A skops file names types that were not explicitly trusted (nothing was loaded)."""

    def __init__(self, message: str, types: list[str]):
        super().__init__(message)
        self.types = types


class LibraryVersionWarning(MLServingWarning):
    """Installed library versions differ from the ones the artifact was saved with."""


class RecoveredArtifactWarning(MLServingWarning):
    """The artifact folder was missing after an interrupted save; a complete copy was loaded."""


# --------------------------------------------------------------------------------------------
# Trade-offs, drift, environment
# --------------------------------------------------------------------------------------------
class NoModelFitsBudgetError(MLServingError, ValueError):
    """No model in the table meets the latency budget (Lesson 05)."""


class LowPowerWarning(MLServingWarning):
    """A sample is so small that only very large drifts can be detected."""


class EnvironmentMismatchWarning(MLServingWarning):
    """Installed versions differ from the ones the course was tested with."""
