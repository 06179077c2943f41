"""``grade --scheduler``: each submission is a task on a Dask cluster, same gradebook."""

from __future__ import annotations

import shutil

import grading_fixtures as fx
import pandas as pd
import pytest

import mlserving_lab
from mlserving_lab.course import grading
from mlserving_lab.course.sandbox import bwrap_problem

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_problem() is not None,
                                 reason=f"no bubblewrap sandbox here: {bwrap_problem()}")]

KINDS = ["correct", "blank", "partly_right", "wrong_known", "cell_raises", "empty",
         "always_equal", "no_metadata"]


def test_local_cluster_gives_the_same_gradebook_as_jobs_2(tmp_path, capsys):
    src = tmp_path / "all"
    fx.build_start_here_set(src)
    subs = tmp_path / "subs"
    subs.mkdir()
    for kind in KINDS:
        shutil.copy(src / f"{kind}.ipynb", subs / f"{kind}.ipynb")
    paths = sorted(subs.glob("*.ipynb"))
    local = grading.grade_submissions(paths, timeout=60, jobs=2, progress=False)
    dask = grading.grade_submissions(paths, timeout=60, scheduler="local:2", progress=True)
    assert "grading" in capsys.readouterr().err  # the same progress bar
    cols = [c for c in local.columns if c != "seconds"]
    pd.testing.assert_frame_equal(local[cols], dask[cols])
    assert fx.processes_of_batch(grading._last_batch_id) == []


def test_workers_with_another_version_are_refused(tmp_path, monkeypatch):
    nb = tmp_path / "a.ipynb"
    nb.write_text("")
    monkeypatch.setattr(mlserving_lab, "__version__", "0.0.0+grader")
    with pytest.raises(ValueError, match=r"another mlserving-lab version than this grader "
                                         r"\(0\.0\.0\+grader\)"):
        grading.grade_submissions([nb], scheduler="local:1", progress=False)
