"""Safe file writes: write to a temporary file in the same folder, then rename it into place.

A rename within one file system is atomic, so a reader sees either the old file or the new
one, never half of one, even if the writer is killed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text"]


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path : str or Path
        The final destination.
    suffix : str, optional
        Suffix for the temporary file (some writers choose a format by extension).
        Defaults to the suffix of ``path``.

    Yields
    ------
    pathlib.Path
        Where to write.

    Examples
    --------
    >>> import joblib, tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "model.joblib")
    >>> with atomic_path(target) as tmp:
    ...     _ = joblib.dump({"w": 1}, tmp)
    >>> os.path.exists(target)
    True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix + ".tmp",
                               dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    Parameters
    ----------
    path : str or Path
    data : bytes

    Returns
    -------
    pathlib.Path
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically and return the path.

    Parameters
    ----------
    path : str or Path
    text : str
    encoding : str, default "utf-8"

    Returns
    -------
    pathlib.Path
    """
    return atomic_write_bytes(path, text.encode(encoding))
