"""Drift detection: KS, PSI, Jensen-Shannon and chi-square, and a fitted :class:`DriftDetector`.

Lesson 07. Monitoring compares every new window of production data with ONE fixed reference
(usually the training data). Everything that depends only on the reference -- its sorted
columns, its PSI bin edges and shares, its category counts -- is computed once in
:meth:`DriftDetector.fit`; :meth:`DriftDetector.score` then touches only the new window.

The package has three public modules, all re-exported here:

* :mod:`mlserving_lab.drift.stats` -- one comparison at a time: :func:`ks_test`, :func:`psi`,
  :func:`psi_band`, :func:`category_table`, :func:`chi2_test`, :func:`js_distance`,
  :func:`adjust_pvalues`, and the constants :data:`PSI_BANDS` and :data:`CORRECTIONS`;
* :mod:`mlserving_lab.drift.detector` -- :class:`DriftDetector`;
* :mod:`mlserving_lab.drift.plots` -- :func:`plot_feature_drift` and :func:`plot_psi`.

Exactness
---------
:func:`ks_test` reproduces :func:`scipy.stats.ks_2samp` with its defaults
(``alternative="two-sided"``, ``method="auto"``) through public scipy only: when both samples
have at most 10,000 values the statistic and exact p-value are ``ks_2samp``'s own; otherwise
the p-value is the asymptotic ``scipy.stats.kstwo`` tail, with its one-sided part
(``scipy.special.smirnov``) evaluated in numpy for large samples. Ties are handled exactly.

Missing values
--------------
One policy everywhere: **NaN (or None) raises** a ``ValueError`` that names the columns.
Dropping rows silently would change the sample size and therefore every p-value; drop or
impute explicitly before scoring (``current.dropna()``), and count what you dropped.
Infinite values raise too.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> ref = rng.normal(size=(500, 3))
>>> cur = rng.normal(size=(400, 3)) + [0.0, 0.0, 1.0]
>>> report = DriftDetector().fit(ref).score(cur)
>>> report["drifted"].tolist()
[False, False, True]
"""

from mlserving_lab.drift.detector import DriftDetector
from mlserving_lab.drift.plots import plot_feature_drift, plot_psi
from mlserving_lab.drift.stats import (
    CORRECTIONS,
    PSI_BANDS,
    adjust_pvalues,
    category_table,
    chi2_test,
    js_distance,
    ks_test,
    psi,
    psi_band,
)
from mlserving_lab.errors import LowPowerWarning

__all__ = [
    "PSI_BANDS",
    "CORRECTIONS",
    "DriftDetector",
    "LowPowerWarning",
    "adjust_pvalues",
    "category_table",
    "chi2_test",
    "js_distance",
    "ks_test",
    "plot_feature_drift",
    "plot_psi",
    "psi",
    "psi_band",
]
