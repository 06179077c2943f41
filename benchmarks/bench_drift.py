"""Benchmark: a fitted DriftDetector.score against a per-column scipy + numpy loop.

Lesson 07. Reference and current are 100,000 x 50 standard-normal tables; in the current window
features 0-4 have their mean shifted by +0.2 and features 5-9 their variance multiplied by 1.5.
The baseline is what most monitoring code does for every window: ``scipy.stats.ks_2samp`` plus
a numpy PSI (reference-quantile edges, ``np.histogram`` of both samples) per column. The
detector does the reference work once in ``fit`` (not timed, reported separately).

Run: ``python benchmarks/bench_drift.py`` (about 15 s). Target: score at least 4x faster, same
numbers, and the default Bonferroni correction flags exactly features 0-9.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import stats

from mlserving_lab.drift import DriftDetector, adjust_pvalues

N_ROWS, N_FEATURES, BINS, EPS = 100_000, 50, 10, 1e-4


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    reference = rng.normal(size=(N_ROWS, N_FEATURES))
    current = rng.normal(size=(N_ROWS, N_FEATURES))
    current[:, 0:5] += 0.2
    current[:, 5:10] *= np.sqrt(1.5)
    return reference, current


def numpy_psi(ref: np.ndarray, cur: np.ndarray) -> float:
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, BINS + 1)[1:-1]))
    edges = np.concatenate(([-np.inf], edges, [np.inf]))
    r = np.histogram(ref, edges)[0] / ref.size
    c = np.histogram(cur, edges)[0] / cur.size
    r = np.where(r == 0, EPS, r)
    c = np.where(c == 0, EPS, c)
    return float(np.sum((c - r) * np.log(c / r)))


def baseline(reference: np.ndarray, current: np.ndarray):
    out = np.empty((N_FEATURES, 3))
    for j in range(N_FEATURES):
        res = stats.ks_2samp(reference[:, j], current[:, j])
        out[j] = res.statistic, res.pvalue, numpy_psi(reference[:, j], current[:, j])
    return out


def best_of(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main(repeats: int = 3) -> float:
    reference, current = make_data()
    t0 = time.perf_counter()
    detector = DriftDetector(bins=BINS, eps=EPS).fit(reference)
    fit_s = time.perf_counter() - t0

    t_base, base = best_of(lambda: baseline(reference, current), repeats)
    t_det, report = best_of(lambda: detector.score(current), repeats)

    d_stat = np.max(np.abs(report["statistic"].to_numpy() - base[:, 0]))
    d_p = np.max(np.abs(report["p_value"].to_numpy() - base[:, 1]))
    d_psi = np.max(np.abs(report["psi"].to_numpy() - base[:, 2]))
    flagged = np.flatnonzero(report["drifted"].to_numpy()).tolist()
    base_flagged = np.flatnonzero(adjust_pvalues(base[:, 1]) < 0.05).tolist()
    ratio = t_base / t_det

    print(f"data: reference and current {N_ROWS:,} x {N_FEATURES}; best of {repeats}")
    print(f"{'method':<44}{'seconds':>10}{'ms/feature':>12}")
    print(f"{'scipy.ks_2samp + numpy PSI, per column':<44}{t_base:>10.3f}"
          f"{1e3 * t_base / N_FEATURES:>12.2f}")
    print(f"{'DriftDetector.score (fitted)':<44}{t_det:>10.3f}{1e3 * t_det / N_FEATURES:>12.2f}")
    print(f"DriftDetector.fit (once per reference): {fit_s:.3f} s")
    print(f"speed-up of score over the loop: {ratio:.1f}x (target >= 4x); fit + one score: "
          f"{t_base / (fit_s + t_det):.1f}x")
    print(f"max |difference|: statistic {d_stat:.1e}, p-value {d_p:.1e}, PSI {d_psi:.1e}")
    print(f"flagged (Bonferroni, alpha=0.05): {flagged}; baseline flags {base_flagged}")
    assert d_stat <= 1e-9 and d_p <= 1e-9 and d_psi <= 1e-9, "results differ from the baseline"
    assert flagged == list(range(10)), f"expected features 0-9 flagged, got {flagged}"
    try:  # optional: evidently is not part of the course stack
        import evidently  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        print("evidently not importable here: comparison skipped (psi(strategy='sturges') "
              "reproduces its numeric PSI formula; see tests/test_drift.py)")
    return ratio


if __name__ == "__main__":
    main()
