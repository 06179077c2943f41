"""A scratch folder for a notebook's files, removed when the kernel exits.

Lessons that save models or artifacts write them here instead of calling
``tempfile.mkdtemp`` themselves, so a notebook run leaves nothing behind in the system temp
folder.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

__all__ = ["scratch_folder"]


def scratch_folder(prefix: str = "mlserving-lab-") -> Path:
    """Create an empty folder in the system temp folder; it is deleted when Python exits.

    Parameters
    ----------
    prefix : str, default "mlserving-lab-"
        Start of the folder's name, to recognise it while the notebook runs.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> folder = scratch_folder("doctest-")
    >>> folder.is_dir(), list(folder.iterdir())
    (True, [])
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
