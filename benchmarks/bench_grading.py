"""Benchmark: grading N submissions of one exercise: sandbox overhead, jobs, Dask.

Issue 11 adds, in the same run and against named baselines:

* ``sandbox overhead``: ``jobs=1`` in bubblewrap sandboxes against ``jobs=1`` with
  ``sandbox="none"`` (same pipeline, no isolation), per submission (goal <= 0.3 s);
* ``jobs 2 vs jobs 1`` (both sandboxed; goal >= 1.7x on 2 cores);
* ``Dask LocalCluster(2) vs jobs 2`` throughput (same gradebook required).

Issue 7. The 20 submissions are built from the committed ``00_start_here`` notebooks (5 each
of correct, blank, partly right and wrong; see ``tests/grading_fixtures.py``). Measured in
the same run:

* wall time of ``grade_submissions(..., jobs=1)`` and ``jobs=2`` and their ratio (same
  gradebook required);
* the notebook's own run time: the same notebooks executed with plain nbclient in a fresh
  kernel (``mlserving_lab.course._nbexec.execute_notebook``: kernel start, cells, shutdown), which
  is what running them costs without any grading;
* the per-submission overhead of grading beyond that (copying the folder, the runner
  process, the extraction cell, the separate grading process).

Run: ``python benchmarks/bench_grading.py`` (about 1-2 minutes on 2 cores). Another exercise:
``python benchmarks/bench_grading.py --stem ex4_pareto_frontier`` (correct and blank copies
only; much slower). Target: jobs 2 at least 1.5x faster than jobs 1 on 2 cores; overhead
under 1.5 s per submission.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import grading_fixtures as fx  # noqa: E402

from mlserving_lab.course._nbexec import execute_notebook  # noqa: E402
from mlserving_lab.course.grading import grade_submissions  # noqa: E402

N = 20


def build(folder: Path, stem: str) -> list[Path]:
    if stem == fx.START_HERE:
        expected = fx.build_start_here_set(folder / "all")
        kinds = ["correct", "blank", "partly_right", "wrong_known"]
        assert all(k in expected for k in kinds)
        sources = [folder / "all" / f"{k}.ipynb" for k in kinds]
    else:
        sources = []
        for kind, nb in (("correct", fx.correct_notebook(stem)), ("blank", fx.blank_notebook(stem))):
            path = folder / "src" / f"{kind}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            sources.append(path)
    subs = folder / "submissions"
    subs.mkdir()
    paths = []
    for i in range(N):
        src = sources[i % len(sources)]
        dst = subs / f"student{i:02d}_{src.stem}.ipynb"
        dst.write_bytes(src.read_bytes())
        paths.append(dst)
    return sources, paths


def plain_run_seconds(sources: list[Path], cwd: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        for src in sources:
            nb = nbformat.read(src, as_version=4)
            t = time.perf_counter()
            execute_notebook(nb, cwd=cwd, timeout=300, allow_errors=True)
            times.append(time.perf_counter() - t)
    return statistics.mean(times)


def timed(paths, **kwargs):
    t = time.perf_counter()
    df = grade_submissions(paths, timeout=300, progress=False, **kwargs)
    return df, time.perf_counter() - t


def main() -> None:
    global N
    parser = argparse.ArgumentParser()
    parser.add_argument("--stem", default=fx.START_HERE)
    parser.add_argument("-n", type=int, default=N, help=f"submissions (default {N})")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    N = args.n
    import warnings

    from mlserving_lab.course.grading import UnsandboxedGrading

    warnings.simplefilter("ignore", UnsandboxedGrading)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources, paths = build(tmp, args.stem)
        # Warm the file cache and imports once so neither side pays first-run costs.
        grade_submissions(paths[:1], timeout=300, progress=False)
        grade_submissions(paths[:1], timeout=300, progress=False, sandbox="none")
        none1, t_none = timed(paths, jobs=1, sandbox="none")
        one, t1 = timed(paths, jobs=1)
        two, t2 = timed(paths, jobs=2)
        dask = t_dask = None
        if not args.no_dask:
            dask, t_dask = timed(paths, scheduler="local:2")
        plain = plain_run_seconds(sources, tmp, repeats=2)
    cols = ["student", "score", "status", *[c for c in one.columns if c.startswith("q")]]
    same = one[cols].equals(two[cols]) and one[cols].equals(none1[cols]) and (
        dask is None or one[cols].equals(dask[cols]))
    per_sub = t1 / N
    print(f"exercise notebook: {args.stem}, {N} submissions "
          f"(scores: {one['score'].value_counts().sort_index().to_dict()})")
    print(f"baseline 'unsandboxed jobs=1': {t_none:6.1f} s wall ({t_none / N:.2f} s per "
          "submission)")
    print(f"sandboxed jobs=1:              {t1:6.1f} s wall ({per_sub:.2f} s per submission)")
    print(f"  sandbox overhead vs 'unsandboxed jobs=1': {(t1 - t_none) / N:+.3f} s per "
          f"submission ({t1 / t_none:.3f}x; goal <= +0.3 s)")
    print(f"sandboxed jobs=2:              {t2:6.1f} s wall ({t2 / N:.2f} s per submission)")
    print(f"  speed-up jobs 2 vs baseline 'sandboxed jobs=1': {t1 / t2:.2f}x (goal >= 1.7x)")
    if t_dask is not None:
        print(f"Dask LocalCluster(2):          {t_dask:6.1f} s wall ({t_dask / N:.2f} s per "
              "submission)")
        print(f"  throughput Dask vs baseline 'sandboxed jobs=2': {t2 / t_dask:.2f}x")
    print(f"identical gradebooks (none, jobs 1, jobs 2, dask): {same}")
    print(f"notebook's own run (plain nbclient, fresh kernel): {plain:.2f} s")
    print(f"grading overhead beyond it: {per_sub - plain:+.2f} s per submission "
          f"({per_sub / plain:.1f}x the plain run)")
    print(f"median 'seconds' column (jobs=1): {one['seconds'].median():.2f} s")
    if not same:
        raise SystemExit("the gradebooks differ")


if __name__ == "__main__":
    main()
