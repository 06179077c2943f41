"""Root pytest configuration: the doctests in mlserving_lab/ (numpydoc Examples) run in make test.

Figures drawn by doctests need no screen, and every example starts from the same seed.
"""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _doctest_namespace(request, doctest_namespace):
    """Give every doctest ``np`` and a fixed numpy seed."""
    if request.node.__class__.__name__ == "DoctestItem":
        doctest_namespace["np"] = np
        np.random.seed(0)
    yield


_SESSION_TMP = {}


def pytest_configure(config):
    """Give the whole run its own system temp folder, removed when the run ends.

    nbval stops each notebook's kernel without letting its exit handlers run, so the scratch
    folders a notebook removes at kernel exit would otherwise stay in the machine's /tmp. (The
    notebook tests in tests/course check the real thing: a kernel that exits normally leaves
    nothing behind.)
    """
    import os
    import tempfile

    folder = tempfile.mkdtemp(prefix="mlserving-pytest-")
    _SESSION_TMP["folder"] = folder
    _SESSION_TMP["previous"] = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = None


def pytest_unconfigure(config):
    import os
    import shutil
    import tempfile

    folder = _SESSION_TMP.pop("folder", None)
    if folder is None:
        return
    previous = _SESSION_TMP.pop("previous", None)
    if previous is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = previous
    tempfile.tempdir = None
    shutil.rmtree(folder, ignore_errors=True)
