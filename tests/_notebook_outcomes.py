"""Execute a notebook in a fresh kernel and collect the outcome of every question it checks."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import nbformat

from mlserving_lab.course._nbexec import collect_results, execute_notebook
from mlserving_lab.course.exercises import load_exercise
from mlserving_lab.course.release import exercise_for

ROOT = Path(__file__).resolve().parents[1]


def outcomes_by_question(path: Path, tmp_path: Path) -> tuple[object, dict[str, list[str]]]:
    """Run ``path`` with the kernel in ``tmp_path``; return its exercise and outcomes per question."""
    nb = nbformat.read(path, as_version=4)
    execute_notebook(nb, cwd=tmp_path, timeout=300)
    exercise = load_exercise(exercise_for(path.stem))
    found: dict[str, list[str]] = defaultdict(list)
    for result in collect_results(nb):
        if result.get("exercise") == exercise.name:
            found[result["question"]].append(result["outcome"])
    return exercise, found


def notebooks(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.ipynb"))
