"""`make lab ARGS=--no-browser` serves JupyterLab with the start notebook."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from _notebook_outcomes import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None or not (ROOT / ".venv").is_dir(),
                                reason="needs make and the project's .venv (make setup)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str):
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read().decode()


def test_make_lab_serves_the_start_notebook(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
            f"--ServerApp.runtime_dir={tmp_path}")
    log = open(tmp_path / "lab.log", "w")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"ARGS={args}"], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _ = _get(f"{base}/api/status", token)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
        status, page = _get(f"{base}/lab", token)
        assert status == 200 and "JupyterLab" in page
        status, body = _get(f"{base}/api/contents/notebooks/00_start_here.ipynb", token)
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        sources = "".join("".join(c["source"]) for c in model["content"]["cells"])
        assert "check_environment()" in sources
        if os.getuid() == 0:
            assert "--allow-root" in (tmp_path / "lab.log").read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
