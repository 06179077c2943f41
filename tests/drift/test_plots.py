"""Tests for mlserving_lab.drift.plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from mlserving_lab.drift import DriftDetector, plot_feature_drift, plot_psi


def test_plots_return_axes():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    cur = pd.DataFrame({"x": rng.normal(size=200) + 1, "c": rng.choice(["a", "b", "z"], 200)})
    det = DriftDetector().fit(ref)
    report = det.score(cur)
    for ax in (plot_psi(report), det.plot_feature(cur, "x"),
               det.plot_feature(cur, "x", kind="hist"), det.plot_feature(cur, "c"),
               plot_feature_drift(ref.x, cur.x)):
        assert isinstance(ax, plt.Axes)
    with pytest.raises(ValueError, match="psi"):
        plot_psi(pd.DataFrame({"feature": ["a"]}))
    with pytest.raises(ValueError, match="unknown feature"):
        det.plot_feature(cur, "nope")
    plt.close("all")

