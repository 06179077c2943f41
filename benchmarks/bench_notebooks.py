"""How long does each solution notebook take from a fresh kernel, against the course budget?

The course promises that every notebook runs in seconds and that all solution notebooks together
take at most 90 s on a 2-core machine. This runs each one from a fresh kernel (as a learner's
"Restart and run all"), prints its time, its kernel start-up and its slowest cells, and compares
the total with the budget. A named baseline in the same run: an empty notebook that only imports
the course's usual stack, which is the floor no notebook can go under.

    .venv/bin/python benchmarks/bench_notebooks.py [NOTEBOOK ...]

Exit status 1 when the total is over the budget. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from mlserving_lab.course._nbexec import kernel_manager

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 90.0
FLOOR_SOURCE = ("import matplotlib.pyplot as plt\nimport numpy as np\nimport pandas as pd\n"
                "import sklearn.ensemble, sklearn.linear_model\n"
                "from mlserving_lab.course.exercises import ____")


def run(nb) -> tuple[float, float, list[tuple[float, int, str]]]:
    """(total s, kernel start s, [(seconds, cell index, first line)]) for one fresh run."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="bench-nb-") as work:
        client = NotebookClient(nb, timeout=600, km=kernel_manager(),
                                resources={"metadata": {"path": work}})
        t0 = time.perf_counter()
        cells = []
        with client.setup_kernel():
            started = time.perf_counter() - t0
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                t = time.perf_counter()
                client.execute_cell(cell, index)
                cells.append((time.perf_counter() - t, index, cell.source.split("\n")[0][:60]))
        return time.perf_counter() - t0, started, cells


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--top", type=int, default=3, help="slowest cells shown per notebook")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "solutions").glob("*.ipynb"))

    floor, floor_start, _ = run(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(FLOOR_SOURCE)]))
    print(f"baseline: empty notebook with the usual imports {floor:.1f} s "
          f"(kernel start {floor_start:.1f} s)\n")
    total = 0.0
    print(f"{'notebook':36} {'seconds':>8} {'x floor':>8}  slowest cells")
    for path in paths:
        seconds, _, cells = run(nbformat.read(path, as_version=4))
        total += seconds
        slow = ", ".join(f"{s:.1f}s #{i}" for s, i, _ in sorted(cells, reverse=True)[:args.top])
        print(f"{path.stem:36} {seconds:8.1f} {seconds / floor:8.1f}  {slow}")
    print(f"\ntotal {total:.1f} s for {len(paths)} notebooks; budget {BUDGET_S:g} s "
          f"({total / BUDGET_S:.2f}x of it); floor {len(paths) * floor:.1f} s")
    return 0 if total <= BUDGET_S or args.notebooks else 1


if __name__ == "__main__":
    sys.exit(main())
