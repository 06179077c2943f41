"""One bubblewrap sandbox per graded submission (Linux).

What a sandbox sees and may do:

* a read-only view of ``/usr`` (and the ``/bin``, ``/lib`` links), ``/etc``, the Python
  installation, the venv and the package -- nothing else of the host: no home folders, no
  classmates' submissions, no ``solutions/``;
* only this submission's notebook, in a read-only folder; it runs in a copy under a private
  ``/tmp`` (a size-capped tmpfs, also ``HOME``), which disappears with the sandbox, so no
  startup file, history database or connection file survives into another run;
* no network (its own, empty network namespace: even ``localhost`` is private), its own
  PID namespace (it cannot see or signal the grader or a classmate; when the sandbox's first
  process exits every other one is killed), a new session, ``--die-with-parent``;
* hard resource limits set before any learner code runs (soft == hard, so they cannot be
  raised): address space, processes, file size and CPU time. When the grader runs as root
  (where the kernel does not enforce the process cap), the sandboxed processes run as a fresh
  unprivileged uid, with no capabilities and ``no_new_privs``.

The only way out is a pipe (fd 3) on which the sandbox's driver writes its result; the grader
reads at most ``result_cap`` bytes of it. Its stdout and stderr go to another pipe, of which
the grader keeps the tail.
"""

from __future__ import annotations

import collections
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SANDBOX_INSTALL_HELP", "SandboxResult", "bwrap_problem", "kill_all", "run"]

SANDBOX_INSTALL_HELP = (
    "grading runs each submission in a bubblewrap sandbox, and `bwrap` is not usable here. "
    "Install it (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install "
    "bubblewrap`), or run the same `mlserving-lab grade ...` command inside a Linux container "
    "or VM (e.g. `docker run --rm -it -v $PWD:/course python:3.11 bash`; the container needs "
    "`--security-opt seccomp=unconfined` or `--privileged` for user namespaces). "
    "`--sandbox none` grades WITHOUT isolation (only for notebooks you trust).")

RESULT_FD = 3
_UID_BASE = 1_900_000_000
_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()
_PROBE: dict[str, str | None] = {}
_STOP = threading.Event()  # set by kill_all: no new sandbox starts


class Interrupted(RuntimeError):
    """The batch was interrupted; this sandbox was not started."""


@dataclass
class SandboxResult:
    code: int | None          # exit code, or None when it was stopped at the time limit
    log: str                  # tail of its stdout/stderr
    result: bytes | None      # what the driver wrote on the result pipe
    too_large: bool = False


def _read_only_paths() -> list[str]:
    """Host folders the sandbox sees read-only (at the same paths)."""
    import mlserving_lab

    exe = Path(sys.executable)
    paths = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
             os.path.realpath(sys.exec_prefix), os.path.realpath(exe.parent),
             str(Path(os.path.realpath(exe)).parent.parent),
             os.path.dirname(os.path.dirname(os.path.abspath(mlserving_lab.__file__))) + "/"
             + "mlserving_lab"}
    if sys.prefix != sys.base_prefix:
        paths.add(os.path.abspath(sys.prefix))
    out = []
    for p in sorted(paths, key=len):
        if p.startswith(("/usr/", "/etc/")) or p in ("/usr", "/etc", "/"):
            continue
        if any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            continue
        if os.path.isdir(p):
            out.append(p)
    return out


def _parents(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def bwrap_command(inner: list[str], *, inbox: Path, tmp_size_mb: int, as_root: bool) -> list[str]:
    """The ``bwrap`` argv that runs ``inner`` with ``inbox`` read-only at ``/grading/in``."""
    bwrap = shutil.which("bwrap") or "bwrap"
    if as_root:
        # Root: no user namespace, so the driver can drop to an unprivileged uid whose
        # process count the kernel enforces.
        ns = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
              "--unshare-cgroup-try"]
    else:
        ns = ["--unshare-all"]
    argv = [bwrap, *ns, "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin", "lib32"):
        host = Path("/" + link)
        if host.is_symlink():
            argv += ["--symlink", os.readlink(host), f"/{link}"]
        elif host.is_dir():
            argv += ["--ro-bind", str(host), f"/{link}"]
    argv += ["--ro-bind", "/etc", "/etc", "--dev", "/dev", "--proc", "/proc",
             "--perms", "1777", "--size", str(int(tmp_size_mb) << 20), "--tmpfs", "/tmp"]
    made = set()
    for p in [*_read_only_paths(), "/grading/in"]:
        for parent in _parents(p):
            if parent not in made and parent not in ("/usr", "/etc", "/tmp"):
                argv += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        if p == "/grading/in":
            argv += ["--ro-bind", str(inbox), p]
        else:
            argv += ["--ro-bind", p, p]
        made.add(p)
    argv += ["--chdir", "/tmp", "--setenv", "HOME", "/tmp/home", "--setenv", "TMPDIR", "/tmp",
             "--unsetenv", "JUPYTER_RUNTIME_DIR", "--unsetenv", "JUPYTER_DATA_DIR",
             "--unsetenv", "JUPYTER_CONFIG_DIR", "--unsetenv", "IPYTHONDIR",
             "--unsetenv", "PYTHONPATH", "--unsetenv", "PYTHONSTARTUP",
             "--unsetenv", "PYTHONUSERBASE", "--"]
    return argv + inner


def bwrap_problem() -> str | None:
    """None when bubblewrap sandboxes work on this machine, else why not."""
    key = "root" if os.geteuid() == 0 else "user"
    if key in _PROBE:
        return _PROBE[key]
    problem = None
    if not sys.platform.startswith("linux"):
        problem = f"bubblewrap needs Linux (this is {sys.platform})"
    elif shutil.which("bwrap") is None:
        problem = "`bwrap` (bubblewrap) is not installed"
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as inbox:
            os.chmod(inbox, 0o755)
            argv = bwrap_command([sys.executable, "-I", "-c", "print('ok')"],
                                 inbox=Path(inbox), tmp_size_mb=16, as_root=key == "root")
            try:
                proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                if proc.returncode != 0 or "ok" not in proc.stdout:
                    problem = ("`bwrap` is installed but cannot create a sandbox here: "
                               + (proc.stderr.strip().splitlines() or ["no output"])[-1])
            except (OSError, subprocess.TimeoutExpired) as exc:
                problem = f"`bwrap` failed: {exc}"
    _PROBE[key] = problem
    return problem


def sandbox_uid() -> int:
    """A fresh unprivileged uid for one sandbox (its own process count)."""
    import secrets

    return _UID_BASE + secrets.randbelow(100_000_000)


def _limits_preexec(limits: dict):
    def apply():
        for name, value in limits.items():
            if value:
                value = int(value)
                resource.setrlimit(getattr(resource, name), (value, value))
    return apply


def run(argv: list[str], *, limits: dict, timeout: float, result_cap: int, env: dict,
        cwd: str) -> SandboxResult:
    """Run ``argv`` (a sandbox, or the unsandboxed driver); collect its result pipe."""
    if _STOP.is_set():
        raise Interrupted("grading was interrupted")
    read_fd, write_fd = os.pipe()
    log_r, log_w = os.pipe()
    apply_limits = _limits_preexec(limits)

    def preexec():
        # The driver always finds its result pipe on fd 3 (kept open by pass_fds).
        if write_fd != RESULT_FD:
            os.dup2(write_fd, RESULT_FD)
        os.set_inheritable(RESULT_FD, True)
        apply_limits()

    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_w, stderr=log_w,
                                pass_fds=(RESULT_FD,), preexec_fn=preexec,
                                start_new_session=True, env=env, cwd=cwd)
    finally:
        os.close(write_fd)
        os.close(log_w)
    with _LIVE_LOCK:
        _LIVE.add(proc)
        if _STOP.is_set():
            _kill(proc)
    chunks: list[bytes] = []
    size = [0, False]
    tail: collections.deque[bytes] = collections.deque(maxlen=64)

    def read_result():
        with os.fdopen(read_fd, "rb", buffering=0) as fh:
            while True:
                block = fh.read(1 << 20)
                if not block:
                    return
                if size[0] + len(block) > result_cap:
                    size[1] = True
                    _kill(proc)
                    return
                size[0] += len(block)
                chunks.append(block)

    def read_log():
        with os.fdopen(log_r, "rb", buffering=0) as fh:
            while True:
                block = fh.read(4096)
                if not block:
                    return
                tail.append(block)

    readers = [threading.Thread(target=read_result, daemon=True),
               threading.Thread(target=read_log, daemon=True)]
    for t in readers:
        t.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        code = None
    except BaseException:
        _kill(proc)
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)
    for t in readers:
        t.join(timeout=10)
    log = b"".join(tail)[-2000:].decode("utf-8", "replace")
    if size[1]:
        return SandboxResult(code, log, None, too_large=True)
    return SandboxResult(code, log, b"".join(chunks) if chunks else None)


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the sandbox's process group (bwrap; the PID namespace dies with it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def kill_all() -> None:
    """Stop every sandbox still running (the instructor pressed Ctrl-C); start no more."""
    _STOP.set()
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        _kill(proc)
