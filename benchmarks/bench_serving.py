"""Benchmarks for mlserving_lab.serving, each against its named baseline in the same run.

Run:  python benchmarks/bench_serving.py  [--quick]

1. batch_predict vs a plain chunk loop (LogisticRegression, 400k rows, batch 1000).
   Target: batch_predict's own overhead <= 10 %.
2. benchmark_latency's own cost on a no-op function vs a naive timing loop.
   Target: harness p50 < 5 µs.
3. batch_predict n_jobs=2 vs n_jobs=1 on a RandomForest.
4. dask_predict on a 2-worker LocalCluster vs in-process batch_predict.
5. round_robin_latency's own cost per call on two no-op functions vs benchmark_latency's.
   Target: p50 < 5 µs, as for the single-function harness.

Timings on a shared machine are noisy: each comparison alternates the contenders and reports
the median of several repeats.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from mlserving_lab.measure import benchmark_latency, round_robin_latency
from mlserving_lab.serving import batch_predict, dask_predict


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _alternate(contenders: dict, repeats: int) -> dict:
    """Run every contender ``repeats`` times, interleaved; return the median seconds each."""
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            times[name].append(_timed(fn))
    return {name: statistics.median(ts) for name, ts in times.items()}


def _data(n_rows: int, n_features: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=n_rows) > 0).astype(int)
    return X, y


def bench_overhead(n_rows: int, repeats: int) -> bool:
    X, y = _data(n_rows)
    model = LogisticRegression(max_iter=500).fit(X[:5000], y[:5000])

    def plain_loop():
        return np.concatenate([model.predict(X[i:i + 1000]) for i in range(0, len(X), 1000)])

    def library():
        return batch_predict(model, X, batch_size=1000)

    assert np.array_equal(plain_loop(), library())
    med = _alternate({"plain chunk loop": plain_loop, "batch_predict": library}, repeats)
    overhead = med["batch_predict"] / med["plain chunk loop"] - 1
    ok = overhead <= 0.10
    print(f"[1] batch_predict vs plain chunk loop, LogisticRegression, {n_rows:,} rows, "
          f"batch 1000 (median of {repeats})")
    for name, s in med.items():
        print(f"      {name:<18} {s * 1e3:8.1f} ms   {n_rows / s:12,.0f} rows/s")
    print(f"      overhead {overhead:+.1%}  (target <= +10%)  {'PASS' if ok else 'FAIL'}")
    return ok


def bench_harness(n_runs: int) -> bool:
    X = np.zeros((1000, 20))

    def noop(batch):
        return None

    report = benchmark_latency(noop, X, n_runs=n_runs, warmup=100)

    # Baseline: the naive loop (slices inside the timed region, perf_counter floats, append).
    naive = []
    for i in range(n_runs):
        t0 = time.perf_counter()
        noop(X[i % 1000:i % 1000 + 1])
        naive.append((time.perf_counter() - t0) * 1e3)
    naive_p50 = float(np.percentile(naive, 50))
    ok = report.p50_ms * 1e3 < 5
    print(f"[2] harness cost on a no-op function ({n_runs:,} calls)")
    print(f"      benchmark_latency   p50 {report.p50_ms * 1e3:6.3f} µs   p99 "
          f"{report.p99_ms * 1e3:6.3f} µs")
    print(f"      naive loop          p50 {naive_p50 * 1e3:6.3f} µs   (slicing inside the "
          "timed region)")
    print(f"      ratio naive / harness at p50: {naive_p50 / report.p50_ms:.1f}x")
    print(f"      target p50 < 5 µs  {'PASS' if ok else 'FAIL'}")
    return ok


def bench_n_jobs(n_rows: int, repeats: int) -> None:
    X, y = _data(n_rows, seed=1)
    forest = RandomForestClassifier(n_estimators=50, max_depth=12, random_state=0,
                                    n_jobs=1).fit(X[:5000], y[:5000])
    expected = batch_predict(forest, X, batch_size=5000)
    assert np.array_equal(expected, batch_predict(forest, X, batch_size=5000, n_jobs=2))
    med = _alternate({
        "n_jobs=1": lambda: batch_predict(forest, X, batch_size=5000, n_jobs=1),
        "n_jobs=2": lambda: batch_predict(forest, X, batch_size=5000, n_jobs=2),
    }, repeats)
    print(f"[3] batch_predict n_jobs=2 vs 1, RandomForest(50 trees), {n_rows:,} rows, "
          f"batch 5000 (median of {repeats}; {_cores()} cores)")
    for name, s in med.items():
        print(f"      {name:<18} {s * 1e3:8.1f} ms   {n_rows / s:12,.0f} rows/s")
    print(f"      speedup n_jobs=2 / n_jobs=1: {med['n_jobs=1'] / med['n_jobs=2']:.2f}x")


def bench_dask(n_rows: int, repeats: int) -> None:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover
        print("[4] skipped: dask.distributed is not installed")
        return
    import logging
    import warnings

    # persist() ships the table to the workers once; distributed warns about its size.
    warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
    X, y = _data(n_rows, seed=2)
    forest = RandomForestClassifier(n_estimators=50, max_depth=12, random_state=0).fit(
        X[:5000], y[:5000])
    in_process = batch_predict(forest, X, batch_size=5000)
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    startup = time.perf_counter() - t0
    try:
        import pandas as pd

        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        import dask.dataframe as dd

        ddf = dd.from_pandas(frame, npartitions=4).persist()  # data already on the workers
        lazy = dask_predict(forest, ddf)
        got = client.compute(lazy).result()
        assert np.array_equal(got.to_numpy(), in_process), "Dask result differs"
        med = _alternate({
            "in-process": lambda: batch_predict(forest, X, batch_size=5000),
            "dask 2 workers": lambda: client.compute(dask_predict(forest, ddf)).result(),
        }, repeats)
    finally:
        client.close()
        cluster.close()
    print(f"[4] dask_predict on LocalCluster(2 worker processes) vs in-process batch_predict, "
          f"RandomForest(50), {n_rows:,} rows (median of {repeats})")
    print(f"      cluster start-up    {startup * 1e3:8.0f} ms (not included below)")
    for name, s in med.items():
        print(f"      {name:<18} {s * 1e3:8.1f} ms   {n_rows / s:12,.0f} rows/s")
    print(f"      ratio dask / in-process throughput: {med['in-process'] / med['dask 2 workers']:.2f}x"
          "  (results identical)")


def bench_round_robin(n_runs: int) -> bool:
    X = np.zeros((1000, 20))

    def noop_a(batch):
        return None

    def noop_b(batch):
        return None

    single = benchmark_latency(noop_a, X, n_runs=n_runs, warmup=100)
    both = round_robin_latency({"a": noop_a, "b": noop_b}, X, n_runs=n_runs, warmup=100)
    worst = max(r.p50_ms for r in both.values())
    ok = worst * 1e3 < 5
    print(f"[5] round-robin harness cost on two no-op functions ({n_runs:,} calls each)")
    for name, r in both.items():
        print(f"      round_robin {name}       p50 {r.p50_ms * 1e3:6.3f} µs   p99 "
              f"{r.p99_ms * 1e3:6.3f} µs")
    print(f"      benchmark_latency   p50 {single.p50_ms * 1e3:6.3f} µs")
    print(f"      ratio round-robin / single at p50: {worst / single.p50_ms:.2f}x")
    print(f"      target p50 < 5 µs  {'PASS' if ok else 'FAIL'}")
    return ok


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 5
    ok = bench_overhead(100_000 if args.quick else 400_000, repeats)
    ok &= bench_harness(20_000 if args.quick else 100_000)
    bench_n_jobs(50_000 if args.quick else 100_000, repeats)
    bench_dask(50_000 if args.quick else 100_000, repeats)
    ok &= bench_round_robin(20_000 if args.quick else 100_000)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
