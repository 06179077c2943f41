"""Do the re-timing checkers give the same verdicts on a loaded machine?

Runs every solution notebook twice from a fresh kernel: once on an idle machine (the baseline)
and once while two CPU burners (busy-looping processes, one per core here) compete for the
cores. Prints each question's outcome in both runs and the notebook times, and exits 1 if any
verdict differs, or if any solution answer is not ``correct``.

    .venv/bin/python benchmarks/stress_checkers.py [--burners 2] [NOTEBOOK ...]

Not part of ``make test`` (it takes a few minutes).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from mlserving_lab.course._nbexec import collect_results, execute_notebook
from mlserving_lab.course.release import exercise_for

ROOT = Path(__file__).resolve().parents[1]


def _burn(stop) -> None:
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF


def run_all(paths: list[Path]) -> tuple[dict, dict]:
    outcomes, seconds = {}, {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory(prefix="stress-") as work:
            t0 = time.perf_counter()
            execute_notebook(nb, cwd=Path(work), timeout=600)
            seconds[path.stem] = time.perf_counter() - t0
        exercise = exercise_for(path.stem)
        for r in collect_results(nb):
            if r.get("exercise") == exercise:
                outcomes[(path.stem, r["question"])] = r["outcome"]
    return outcomes, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="solution notebooks (default: all)")
    parser.add_argument("--burners", type=int, default=2)
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "solutions").glob("*.ipynb"))

    idle, idle_s = run_all(paths)
    stop = mp.Event()
    burners = [mp.Process(target=_burn, args=(stop,), daemon=True) for _ in range(args.burners)]
    for b in burners:
        b.start()
    try:
        loaded, loaded_s = run_all(paths)
    finally:
        stop.set()
        for b in burners:
            b.join(5)
            if b.is_alive():
                b.terminate()

    flips = [k for k in idle if loaded.get(k) != idle[k]]
    wrong = [k for k in {**idle, **loaded} if idle.get(k) != "correct" or
             loaded.get(k) != "correct"]
    print(f"{'notebook':34} {'question':8} {'idle':10} {'loaded':10}")
    for key in sorted(idle):
        print(f"{key[0]:34} {key[1]:8} {idle[key]:10} {loaded.get(key, '-'):10}")
    print()
    print(f"{'notebook':34} {'idle s':>8} {'loaded s':>9} {'ratio':>6}")
    for stem in idle_s:
        print(f"{stem:34} {idle_s[stem]:8.1f} {loaded_s[stem]:9.1f} "
              f"{loaded_s[stem] / idle_s[stem]:6.2f}")
    print(f"{'all':34} {sum(idle_s.values()):8.1f} {sum(loaded_s.values()):9.1f}")
    print(f"\n{len(idle)} verdicts, {len(flips)} flipped under {args.burners} CPU burners, "
          f"{len(wrong)} not correct")
    for key in flips:
        print(f"FLIP {key}: idle {idle[key]}, loaded {loaded.get(key)}")
    return 1 if flips or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
