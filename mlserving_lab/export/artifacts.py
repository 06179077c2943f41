"""Size on disk and load time of one model in every format (:func:`artifact_table`)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from mlserving_lab._torch import check_torch_module
from mlserving_lab._validation import check_fitted
from mlserving_lab.atomic import atomic_path
from mlserving_lab.export.onnx import OnnxPredictor, to_onnx
from mlserving_lab.export.torch_formats import (
    export_pt2,
    load_pt2,
    load_torchscript,
    save_pt2,
    save_torchscript,
    to_torchscript,
    torch_to_onnx,
)

if TYPE_CHECKING:  # pandas is imported lazily at run time
    import pandas as pd


def _time_load(load, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        load()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def artifact_table(model, X_sample, *, compress_levels=(0, 3, 5, 9), directory=None,
                   repeats: int = 3) -> pd.DataFrame:
    """Size on disk and load time of one model in every format the course uses.

    Lesson 02. A scikit-learn model is written with joblib at each compression level and as
    ONNX; a torch module as a ``state_dict`` (``torch.save``), TorchScript, ``.pt2`` and ONNX.
    Load time is the best of ``repeats`` loads (ONNX: building the inference session, which is
    what a server does at start-up).

    Parameters
    ----------
    model : fitted scikit-learn estimator or torch.nn.Module
    X_sample : array-like of shape (n_rows, n_features)
        Rows used for the ONNX / trace / export conversions.
    compress_levels : sequence of int, default (0, 3, 5, 9)
        joblib ``compress`` levels (scikit-learn models only).
    directory : str or Path, optional
        Where to write the files (default: a temporary folder removed afterwards).
    repeats : int, default 3

    Returns
    -------
    pandas.DataFrame
        One row per format, columns ``format, file, size_kb, load_ms, size_vs_first``.

    Raises
    ------
    ValueError
        If a compression level is outside 0-9.
    """
    import pandas as pd

    levels = [int(c) for c in compress_levels]
    bad = [c for c in levels if not 0 <= c <= 9]
    if bad:
        raise ValueError(f"joblib compress levels must be 0-9, got {bad}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(directory) if directory is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        is_torch = type(model).__module__.startswith("torch")
        if is_torch:
            import torch

            check_torch_module(model)
            p = folder / "model_state_dict.pt"
            with atomic_path(p) as t:
                torch.save(model.state_dict(), t)
            rows.append(("torch.save(state_dict)", p,
                         lambda p=p: torch.load(p, weights_only=True)))
            p = folder / "model.torchscript.pt"
            save_torchscript(to_torchscript(model, X_sample), p)
            rows.append(("TorchScript (deprecated)", p, lambda p=p: load_torchscript(p)))
            p = folder / "model.pt2"
            save_pt2(export_pt2(model, X_sample), p)
            rows.append(("torch.export .pt2", p, lambda p=p: load_pt2(p).module()))
            p = folder / "model.onnx"
            torch_to_onnx(model, X_sample, p)
            rows.append(("ONNX", p, lambda p=p: OnnxPredictor(p)))
        else:
            import joblib

            check_fitted(model)
            for level in levels:
                p = folder / f"model_compress{level}.joblib"
                with atomic_path(p) as t:
                    joblib.dump(model, t, compress=level)
                rows.append((f"joblib compress={level}", p, lambda p=p: joblib.load(p)))
            p = folder / "model.onnx"
            to_onnx(model, X_sample).save(p)
            rows.append(("ONNX", p, lambda p=p: OnnxPredictor(p)))
        table = []
        for fmt, path, load in rows:
            table.append({"format": fmt, "file": Path(path).name,
                          "size_kb": os.path.getsize(path) / 1024,
                          "load_ms": _time_load(load, repeats)})
    df = pd.DataFrame(table).set_index("format")
    df["size_vs_first"] = df["size_kb"] / df["size_kb"].iloc[0]
    return df
