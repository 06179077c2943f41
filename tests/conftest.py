"""Shared test configuration."""

from pathlib import Path

import matplotlib

# Plots drawn by the tests themselves need no screen. Notebook kernels started by nbval and the
# outcome tests keep Jupyter's inline backend, so every figure is really drawn, as for a learner.
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]

# Grading fixtures are notebooks on purpose (some loop forever or crash): never collect them.
collect_ignore_glob = ["fixtures/*", "*/fixtures/*"]
