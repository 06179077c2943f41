"""Samples shared by the drift tests (tests/drift/): shapes that stress KS and PSI."""

from __future__ import annotations

import numpy as np

KINDS = ["normal", "ties", "cauchy", "rounded", "spike"]


def sample(rng, n, kind, shift=0.0, scale=1.0):
    if kind == "normal":
        x = rng.normal(size=n)
    elif kind == "ties":
        x = rng.integers(0, 6, size=n).astype(float)
    elif kind == "cauchy":
        x = rng.standard_cauchy(size=n)
    elif kind == "rounded":
        x = np.round(rng.normal(size=n), 1)
    elif kind == "spike":  # half the mass on one value
        x = np.where(rng.random(n) < 0.5, 0.0, rng.normal(size=n))
    else:
        raise AssertionError(kind)
    return x * scale + shift

