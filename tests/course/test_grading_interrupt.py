"""Ctrl-C from the instructor stops the batch cleanly; a sandbox cannot stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grading_fixtures as fx
import nbformat
import pytest

from mlserving_lab.course.sandbox import bwrap_problem

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_problem() is not None,
                                 reason=f"no bubblewrap sandbox here: {bwrap_problem()}")]


def test_ctrl_c_stops_the_batch_and_leaves_nothing(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(3):
        nbformat.write(fx._insert_after(fx.correct_notebook(fx.START_HERE), fx.Q1,
                                        "while True:\n    pass"), subs / f"loop{i}.ipynb")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    exe = Path(sys.executable).with_name("mlserving-lab")
    out = tmp_path / "grades.csv"
    proc = subprocess.Popen([str(exe), "grade", str(subs), "--out", str(out), "--jobs", "2",
                             "--timeout", "120", "--quiet"],
                            env={**os.environ, "TMPDIR": str(scratch)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(scratch.glob("mlserving-grade-*"))) < 2:
        time.sleep(0.2)
    time.sleep(3)  # the kernels are running the loop now
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not out.exists()
    assert list(scratch.iterdir()) == []
    alive = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if str(scratch).encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    alive.append(entry)
            except OSError:
                pass
    assert not alive
