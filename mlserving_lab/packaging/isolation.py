"""Predict in a fresh Python process: proof that an artifact needs nothing from your session.

Lesson 06 / exercise 2.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mlserving_lab.packaging._folders import recovery_candidate

__all__ = ["predict_in_subprocess"]

_CHILD = """
import pickle, sys, warnings
warnings.simplefilter("ignore")
from mlserving_lab.packaging import load_artifact
with open(sys.argv[2], "rb") as fh:
    X = pickle.load(fh)
art = load_artifact(sys.argv[1])
out = getattr(art.model, sys.argv[3])(X)
with open(sys.argv[4], "wb") as fh:
    pickle.dump(out, fh)
"""


def predict_in_subprocess(directory, X, *, method: str = "predict_proba",
                          timeout: float = 120.0):
    """Load an artifact in a fresh Python process and predict there.

    Lesson 06 / exercise 2. Proves the artifact works without anything from your notebook's
    memory (imports, globals, fitted objects): the child process starts empty, loads the
    folder with :func:`load_artifact` and calls ``model.<method>(X)``.

    Parameters
    ----------
    directory : str or Path
        The artifact folder.
    X : DataFrame or array
        Rows to predict (sent to the child with pickle; it is your own data).
    method : {"predict_proba", "predict", "decision_function"}, default "predict_proba"
    timeout : float, default 120
        Seconds before the child is stopped.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        Unknown method.
    RuntimeError
        The child failed; the message includes its last error line.
    """
    import pickle
    import subprocess
    import sys
    import tempfile

    if method not in ("predict_proba", "predict", "decision_function"):
        raise ValueError(f"method must be predict_proba, predict or decision_function, got "
                         f"{method!r}")
    folder = Path(directory)
    if not folder.exists() and recovery_candidate(folder) is None:
        raise FileNotFoundError(f"no model artifact at {folder}")
    root = str(Path(__file__).resolve().parents[2])  # the folder holding mlserving_lab/
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with tempfile.TemporaryDirectory() as tmp:
        x_path, out_path = Path(tmp) / "X.pkl", Path(tmp) / "out.pkl"
        with open(x_path, "wb") as fh:
            pickle.dump(X, fh)
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(folder), str(x_path), method,
                               str(out_path)], env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(f"the fresh process could not load/predict: {last}")
        with open(out_path, "rb") as fh:
            return np.asarray(pickle.load(fh))
