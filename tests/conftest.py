"""Shared test configuration."""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "agg")

ROOT = Path(__file__).resolve().parents[1]

# Grading fixtures are notebooks on purpose (some loop forever or crash): never collect them.
collect_ignore_glob = ["fixtures/*", "*/fixtures/*"]
