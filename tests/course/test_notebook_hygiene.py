"""Notebooks are committed clean, named by convention, and notebooks/ is in sync with solutions/."""

import re
import subprocess
import sys

import nbformat
import pytest
from _notebook_outcomes import ROOT, notebooks

from mlserving_lab.course.exercises import load_exercise
from mlserving_lab.course.release import exercise_for, release

ALL = notebooks("solutions") + notebooks("notebooks")


def test_there_are_notebooks():
    assert notebooks("solutions"), "no solution notebooks found"
    assert {p.name for p in notebooks("solutions")} == {p.name for p in notebooks("notebooks")}


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.parametrize("path", notebooks("solutions"), ids=lambda p: p.stem)
def test_solution_notebook_conventions(path):
    assert re.fullmatch(r"(\d\d|ex\d+)_[a-z0-9_]+", path.stem)
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    first = code[0].source
    assert "check_environment()" in first, f"{path.name}: first code cell must call check_environment()"
    exercise = load_exercise(exercise_for(path.stem))
    assert list(exercise), f"{exercise.name} has no questions"


def test_release_is_in_sync():
    report = release(ROOT / "solutions", ROOT / "notebooks", check=True)
    assert report.in_sync, (f"out of sync: {report.differs}; no source: {report.orphans}. "
                            "Run `make release`.")


def test_release_check_command_exits_zero():
    proc = subprocess.run([sys.executable, "-m", "mlserving_lab.course.cli", "release", "--check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "in sync" in proc.stdout


def test_learner_notebooks_record_their_exercise():
    for path in notebooks("notebooks"):
        meta = nbformat.read(path, as_version=4).metadata["mlserving_lab"]
        assert meta["exercise"] == exercise_for(path.stem)
        assert meta["source"] == f"solutions/{path.name}"
