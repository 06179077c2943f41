"""The grading sandbox itself: limits it cannot raise, no network, nothing of the host."""

from __future__ import annotations

import json
import os
import socket
import sys
import textwrap
from pathlib import Path

import pytest

from mlserving_lab.course import sandbox

pytestmark = pytest.mark.skipif(sandbox.bwrap_problem() is not None,
                                reason=f"no bubblewrap sandbox here: {sandbox.bwrap_problem()}")

PROBE = r'''
import json, os, resource, socket, subprocess, sys
out = {"uid": os.getuid(), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
try:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    out["raised_as"] = True
except (ValueError, OSError):
    out["raised_as"] = False
try:
    bytearray(3 << 30)
    out["alloc_3gb"] = True
except MemoryError:
    out["alloc_3gb"] = False
try:
    with open("/tmp/big", "wb") as fh:
        for _ in range(200):
            fh.write(b"\0" * (1 << 20))
    out["wrote_200mb"] = True
except OSError:
    out["wrote_200mb"] = False
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=2).sendall(b"x")
    out["net"] = True
except OSError:
    out["net"] = False
kids = []
try:
    for _ in range(200):
        kids.append(subprocess.Popen(["sleep", "30"]))
except OSError:
    pass
out["children"] = len(kids)
out["home"] = sorted(os.listdir("/"))
out["grader_visible"] = os.path.exists("SECRET")
out["writable_pkg"] = os.access(os.path.dirname(json.__file__), os.W_OK)
os.write(3, json.dumps(out).encode())
'''


def test_limits_network_and_view(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    secret = tmp_path / "classmate.ipynb"
    secret.write_text("{}")
    inbox = tmp_path / "in"
    inbox.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(inbox, 0o755)
    code = PROBE.replace("PORT", str(server.getsockname()[1])).replace("SECRET", str(secret))
    inner = [sys.executable, "-I", "-c", textwrap.dedent(code)]
    job = {"max_processes": 64, "uid": sandbox.sandbox_uid() if os.geteuid() == 0 else None}
    # the driver applies the process cap and the uid; do the same here in a tiny launcher
    launcher = [sys.executable, "-I", "-c",
                "import json, os, resource, sys; j = json.loads(sys.argv[1]); "
                "resource.setrlimit(resource.RLIMIT_NPROC, (j['max_processes'],) * 2); "
                "j['uid'] and (os.setgroups([]), os.setresgid(*[j['uid']] * 3), "
                "os.setresuid(*[j['uid']] * 3)); os.execv(sys.argv[2], sys.argv[2:])",
                json.dumps(job), *inner]
    argv = sandbox.bwrap_command(launcher, inbox=inbox, tmp_size_mb=64,
                                 as_root=os.geteuid() == 0)
    res = sandbox.run(argv, limits={"RLIMIT_AS": 2 << 30, "RLIMIT_FSIZE": 32 << 20,
                                    "RLIMIT_CPU": 60},
                      timeout=60, result_cap=1 << 20, env={"PATH": os.environ["PATH"]},
                      cwd=str(tmp_path))
    server.close()
    assert res.result, res.log
    out = json.loads(res.result)
    assert out["uid"] != 0 or os.geteuid() != 0
    assert not out["raised_as"] and not out["alloc_3gb"]
    assert not out["wrote_200mb"]           # 32 MB file cap, 64 MB tmpfs
    assert not out["net"]
    assert out["children"] < 64
    assert max(out["pids"]) < 300           # its own PID namespace
    assert not out["grader_visible"]
    assert "root" not in out["home"] or os.geteuid() == 0
    assert not out["writable_pkg"]


def test_the_result_pipe_is_capped(tmp_path):
    os.chmod(tmp_path, 0o755)
    argv = sandbox.bwrap_command([sys.executable, "-I", "-c",
                                  "import os\nwhile True: os.write(3, b'x' * 65536)"],
                                 inbox=tmp_path, tmp_size_mb=16, as_root=os.geteuid() == 0)
    res = sandbox.run(argv, limits={}, timeout=60, result_cap=1 << 20,
                      env={"PATH": os.environ["PATH"]}, cwd=str(tmp_path))
    assert res.too_large and res.result is None


def test_doctor_reports_the_sandbox(capsys):
    from mlserving_lab.course.cli import doctor

    doctor([])
    assert "Grading sandbox: yes" in capsys.readouterr().out


def test_grade_refuses_without_bwrap(monkeypatch, tmp_path, capsys):
    from mlserving_lab.course import grading

    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "`bwrap` (bubblewrap) is not installed")
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    assert grading.main([str(nb), "--out", str(tmp_path / "g.csv")]) == 2
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "Linux container or VM" in err
    assert "--sandbox none" in err
    assert not (tmp_path / "g.csv").exists()


def test_sandbox_none_warns_and_says_so_in_the_summary(tmp_path):
    import grading_fixtures as fx
    import nbformat

    from mlserving_lab.course import grading

    nbformat.write(fx.correct_notebook(fx.START_HERE), tmp_path / "ok.ipynb")
    with pytest.warns(grading.UnsandboxedGrading):
        df = grading.grade_submissions([tmp_path / "ok.ipynb"], timeout=60, progress=False,
                                       sandbox="none", feedback_dir=tmp_path / "fb")
    assert df.loc[0, "score"] == 4
    assert "WITHOUT a sandbox" in (tmp_path / "fb" / "summary.md").read_text()
    assert not list(Path(tmp_path).glob("mlserving-grade-*"))
