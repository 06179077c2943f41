"""Issue #11: hostile submissions graded in one batch with honest ones sorted after them.

Asserts, for every attack category: the attacker scores no more than a blank notebook (0);
no honest score changes; nothing the attacks planted runs or remains (files, processes,
hijacked kernels, network); the gradebook is unchanged 10 s after the grader returns; the
installed package and site-packages are byte-for-byte unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import site
import socket
import threading
import time
import uuid
from pathlib import Path

import grading_fixtures as fx
import hostile_fixtures as hx
import nbformat
import pytest

import mlserving_lab
import mlserving_lab.course.grading as grading
from mlserving_lab.course.sandbox import bwrap_problem

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_problem() is not None,
                                 reason=f"no bubblewrap sandbox here: {bwrap_problem()}")]

HONEST = {"correct": 4.0, "partly_right": 3.0, "wrong_known": 0.0, "correct_again": 4.0}


def _tree_hash(root: Path) -> dict[str, str]:
    """sha256 of every file of the package (compiled files are compared separately)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def _site_state() -> dict:
    out = {}
    for d in {*site.getsitepackages(), site.getusersitepackages(),
              os.path.dirname(os.__file__)}:
        p = Path(d)
        if p.is_dir():
            out[d] = sorted((c.name, c.stat().st_size) for c in p.iterdir()
                            if c.suffix in (".pth", ".py"))
    return out


def _pycache_state(root: Path) -> dict:
    return {str(p): p.read_bytes() for p in root.rglob("__pycache__/*.pyc")}


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    token = f"pwn{uuid.uuid4().hex[:12]}"
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    received = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            received.append(conn.recv(100))
            conn.close()

    listener = threading.Thread(target=serve, daemon=True)
    listener.start()
    subs = root / "submissions"
    attackers = hx.build_hostile_set(subs, token, server.getsockname()[1])
    honest = fx.build_start_here_set(root / "honest_src")
    honest_paths = []
    for name in HONEST:
        assert honest[name].score == HONEST[name]
        dst = subs / f"z_{name}.ipynb"   # sorted after every attacker
        shutil.copy(root / "honest_src" / f"{name}.ipynb", dst)
        honest_paths.append(dst)
    blank = subs / "b_blank.ipynb"
    nbformat.write(fx.blank_notebook(fx.START_HERE), blank)
    pkg = Path(mlserving_lab.__file__).parent
    before = (_tree_hash(pkg), _site_state(), _pycache_state(pkg))
    out = root / "grades.csv"
    paths = sorted(subs.glob("*.ipynb"))
    df = grading.grade_submissions(paths, timeout=30, check_timeout=fx.CHECK_TIMEOUT,
                                   max_memory_mb=fx.MAX_MEMORY_MB, jobs=2, out=out,
                                   feedback_dir=root / "feedback", progress=False)
    batch = grading._last_batch_id
    right_after = out.read_bytes()
    time.sleep(10)
    stop.set()
    listener.join()
    server.close()
    after = (_tree_hash(pkg), _site_state(), _pycache_state(pkg))
    return {"df": df, "token": token, "root": root, "subs": subs, "out": out,
            "right_after": right_after, "batch": batch, "before": before, "after": after,
            "received": received, "attackers": [p.stem for p in attackers]}


def test_attackers_score_no_more_than_a_blank_notebook(hostile_batch):
    rows = hostile_batch["df"].set_index("student")
    assert rows.loc["b_blank", "score"] == 0
    for name in hostile_batch["attackers"]:
        assert rows.loc[name, "score"] <= rows.loc["b_blank", "score"], \
            f"{name}: {rows.loc[name, 'score']} ({rows.loc[name, 'reason']})"


def test_honest_scores_are_intact(hostile_batch):
    rows = hostile_batch["df"].set_index("student")
    for name, score in HONEST.items():
        row = rows.loc[f"z_{name}"]
        assert row["score"] == score and row["status"] == "ok", (name, row["reason"])


def test_a_class_defined_by_the_learner_is_refused_with_a_reason(hostile_batch):
    text = (hostile_batch["root"] / "feedback" / "a5_liars.md").read_text()
    assert "class defined in your notebook" in text


def test_the_gradebook_is_unchanged_after_the_grader_returns(hostile_batch):
    assert hostile_batch["out"].read_bytes() == hostile_batch["right_after"]
    assert hostile_batch["token"].encode() not in hostile_batch["right_after"]
    # ... and every submission is still what the instructor collected.
    for nb in hostile_batch["subs"].glob("*.ipynb"):
        assert hostile_batch["token"].encode() != nb.read_bytes()[:40]


def test_the_installed_package_is_byte_for_byte_unchanged(hostile_batch):
    before, after = hostile_batch["before"], hostile_batch["after"]
    changed = sorted(k for k in before[0].keys() | after[0].keys()
                     if before[0].get(k) != after[0].get(k))
    assert not changed, f"package files changed: {changed}"
    assert before[1] == after[1], "site-packages changed (.pth / sitecustomize)"
    changed = [p for p, data in before[2].items() if after[2].get(p, data) != data]
    assert not changed, f"compiled files changed: {changed[:3]}"


def test_nothing_planted_runs_or_remains(hostile_batch):
    token = hostile_batch["token"]
    assert fx.processes_of_batch(hostile_batch["batch"]) == []
    leftovers = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if token.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    leftovers.append(entry)
            except OSError:
                pass
    assert not leftovers, f"processes of the attack still run: {leftovers}"
    home = Path(os.path.expanduser("~"))
    places = [Path("/tmp").glob(f"*{token}*"), home.glob(f"*{token}*"),
              (home / ".ipython").glob(f"**/*{token}*"), (home / ".jupyter").glob("*"),
              *(Path(d).glob(f"*{token}*") for d in _site_state())]
    planted = [str(p) for found in places for p in found
               if token in p.name or token in p.read_text(errors="ignore")]
    home_startup = Path(os.path.expanduser("~/.ipython/profile_default/startup"))
    planted += [str(p) for p in home_startup.glob("*") if token in p.read_text(errors="ignore")]
    assert not planted, planted
    assert hostile_batch["received"] == [], "a sandbox reached a localhost server"
