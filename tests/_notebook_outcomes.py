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
    """Run ``path`` with the kernel in ``tmp_path``; return its exercise and outcomes per question.

    The kernel gets its own empty system temp folder (``TMPDIR``); a notebook that leaves
    anything in it after the kernel has exited fails here.
    """
    nb = nbformat.read(path, as_version=4)
    work, temp = tmp_path / "work", tmp_path / "system-temp"
    work.mkdir()
    temp.mkdir()
    execute_notebook(nb, cwd=work, timeout=300, env={"TMPDIR": str(temp)})
    left = sorted(p.name for p in temp.iterdir() if not _library_cache(p.name))
    assert not left, f"{path.name} left these in the system temp folder: {left}"
    exercise = load_exercise(exercise_for(path.stem))
    found: dict[str, list[str]] = defaultdict(list)
    for result in collect_results(nb):
        if result.get("exercise") == exercise.name:
            found[result["question"]].append(result["outcome"])
    return exercise, found


def _library_cache(name: str) -> bool:
    """Entries torch's ONNX exporter leaves in the temp folder by design (not the notebook's):
    the empty ``torchinductor_<user>`` cache folder and a ``.ses`` session-id file."""
    return name.startswith("torchinductor_") or name == ".ses"


def notebooks(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.ipynb"))
