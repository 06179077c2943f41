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
