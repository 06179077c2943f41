"""Instructor grading: run a batch of submitted notebooks and write a gradebook.

``mlserving-lab grade SUBMISSION.ipynb... --out grades.csv [--feedback DIR] [--timeout SECONDS]
[--jobs N] [--exercise NAME] [--sandbox {bwrap,none}] [--scheduler ADDRESS]``

For each submission:

1. Read it with nbformat (an empty, truncated or non-notebook file gets status
   ``invalid notebook``) and find its exercise (``--exercise`` or the metadata that
   ``mlserving-lab release`` writes).
2. Copy ONLY the notebook into a fresh folder and start one sandbox for it
   (:mod:`mlserving_lab.course.sandbox`). Inside, the driver runs the learner's cells in a
   fresh kernel (errors do not stop the run; cells tagged ``instructor`` are dropped);
   ``--timeout`` is a budget for the whole notebook: when it runs out the kernel is
   interrupted and the submission is graded on what ran (status ``timeout``). An extraction
   cell saves the graded variables; a fresh recording process (still in the sandbox) loads
   them, encodes them as data (:mod:`mlserving_lab.course.transport`) and runs the checkers
   once in record mode, so that every call of a learner function on the checker's rows is
   recorded as (argument digest -> output as data). The sandbox hands back one JSON document
   on a pipe, then it is gone, with every process it started.
3. A fresh trusted Python process, which never sees learner code, decodes the data with the
   allow-list loader and grades every question with the package's checkers plus the hidden
   instructor checks; learner functions are placeholders whose calls are replayed from the
   recording (a miss is "incorrect"). Each question has its own time limit, there and in the
   recording.
4. Only the grader writes the gradebook and the feedback, after every sandbox has exited.

Warnings and stderr output never cost points. One submission's failure (a crash, a dead
kernel, a hang) becomes a row with a clear ``status`` and ``reason``; the batch goes on.
``--scheduler`` runs step 1-3 of each submission as a task on a Dask cluster.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from mlserving_lab.atomic import atomic_path, atomic_write_text
from mlserving_lab.course import sandbox as _sandbox

__all__ = ["SANDBOXES", "STATUSES", "SandboxUnavailable", "UnsandboxedGrading",
           "grade_submissions", "main"]

#: Every value the ``status`` column can take.
STATUSES = ("ok", "timeout", "kernel died", "error", "invalid notebook")

_DEFAULT_TIMEOUT = 300.0
_DEFAULT_CHECK_TIMEOUT = 60.0
_DEFAULT_MAX_MEMORY_MB = 4096
_BASE_COLUMNS = ["student", "exercise", "score", "max_score", "status", "reason"]
_EXTRACT_TIMEOUT = 60
_STARTUP_TIMEOUT = 60
_HARD_LIMIT_SLACK = 30  # the runner enforces the budget itself; this only catches a wedged runner
_RECORD_SLACK = 60  # beyond check_timeout per question, for the recording process to start
_DEFAULT_MAX_PROCESSES = 256   # per sandbox (threads count too)
_DEFAULT_MAX_FILE_MB = 512     # largest file a sandbox may write
_DEFAULT_TMP_MB = 1024         # its private /tmp (and HOME)
_RESULT_CAP = 512 << 20        # most bytes read back from one sandbox
SANDBOXES = ("bwrap", "none")


class SandboxUnavailable(RuntimeError):
    """Grading was asked to sandbox submissions, and bubblewrap cannot run on this machine."""


class UnsandboxedGrading(UserWarning):
    """Submissions are being graded without a sandbox (``sandbox="none"``)."""


_last_batch_id = ""  # the MLSERVING_GRADE_BATCH value of the latest batch (tests look for it)


@dataclass
class _Submission:
    """Everything known about one graded submission (internal)."""

    path: Path
    student: str
    exercise: str = ""
    status: str = "ok"
    reason: str = ""
    questions: list[str] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)
    max_score: float = math.nan
    seconds: float = 0.0
    cell_errors: list[dict] = field(default_factory=list)
    sandboxed: bool = True

    @property
    def score(self) -> float:
        if not self.questions:
            return 0.0
        return float(sum(r.get("points", 0.0) for r in self.results.values()))

    def row(self) -> dict:
        out = {"student": self.student, "exercise": self.exercise, "score": self.score,
               "max_score": self.max_score, "status": self.status, "reason": self.reason}
        for q in self.questions:
            out[q] = float(self.results.get(q, {}).get("points", 0.0))
        out["seconds"] = round(self.seconds, 2)
        return out


def _short(text, n: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


# -- reading -------------------------------------------------------------------------------
def _read_notebook(path: Path):
    """Return ``(notebook, None)`` or ``(None, reason)`` for a file that is not a notebook."""
    import nbformat

    try:
        if path.stat().st_size == 0:
            return None, "the file is empty"
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except nbformat.reader.NotJSONError:
        return None, "the file is not valid notebook JSON (truncated, or edited as text?)"
    except UnicodeDecodeError:
        return None, "the file is not text (is it really an .ipynb?)"
    except Exception as exc:  # ValidationError, wrong structure, ...
        return None, f"not a Jupyter notebook: {_short(exc, 140)}"
    return nb, None


def _metadata_exercise(nb) -> str | None:
    meta = nb.metadata.get("mlserving_lab")
    if isinstance(meta, dict) and isinstance(meta.get("exercise"), str):
        return meta["exercise"]
    return None


# -- child processes -------------------------------------------------------------------------
def _worker_cmd(kind: str, job_file: Path) -> list[str]:
    # -P: the working directory is not put on sys.path.
    return [sys.executable, "-P", "-m", "mlserving_lab.course._grade_worker", kind, str(job_file)]


def _run_worker(kind: str, job: dict, folder: Path, *, cwd: Path, limit: float,
                max_memory_mb: int = 0) -> tuple[int | None, str]:
    """Run one trusted worker; return (exit code or None if killed at ``limit``, log tail)."""
    job_file = folder / f"{kind}-job.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    log_file = folder / f"{kind}.log"
    if _sandbox._STOP.is_set():
        raise _sandbox.Interrupted("grading was interrupted")
    with open(log_file, "wb") as log:
        env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "agg"}
        proc = subprocess.Popen(_worker_cmd(kind, job_file), cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env=env)
        with _sandbox._LIVE_LOCK:
            _sandbox._LIVE.add(proc)
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _sandbox._kill(proc)
            code = None
        finally:
            with _sandbox._LIVE_LOCK:
                _sandbox._LIVE.discard(proc)
    try:
        tail = log_file.read_bytes()[-2000:].decode("utf-8", "replace")
    except OSError:
        tail = ""
    return code, tail


def _driver_cmd(job_file: str) -> list[str]:
    """The sandbox's first command: the driver that runs the notebook and the recording."""
    return [sys.executable, "-P", "-m", "mlserving_lab.course._grade_worker", "sandboxed",
            job_file]


def _last_error_line(log_tail: str) -> str:
    lines = [ln.strip() for ln in log_tail.splitlines() if ln.strip()]
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_.]*(Error|Exception|Exit)\b", line):
            return _short(line, 160)
    return _short(lines[-1], 160) if lines else ""


# -- one submission --------------------------------------------------------------------------
def _describe_cell_errors(errors: list[dict]) -> str:
    if not errors:
        return ""
    first = errors[0]
    text = f"cell {first['cell']} raised {first['ename']}"
    if first.get("evalue"):
        text += f": {_short(first['evalue'], 80)}"
    if len(errors) > 1:
        text += f" (+{len(errors) - 1} more cell error{'s' if len(errors) > 2 else ''})"
    return text


@dataclass(frozen=True)
class _Limits:
    """Everything that bounds one submission's run (also sent to Dask workers)."""

    timeout: float
    check_timeout: float
    max_memory_mb: int
    sandbox: str = "bwrap"
    max_processes: int = _DEFAULT_MAX_PROCESSES
    max_file_mb: int = _DEFAULT_MAX_FILE_MB
    tmp_mb: int = _DEFAULT_TMP_MB
    batch: str = ""


def _grade_one(path: Path, *, exercise: str | None, limits: _Limits,
               data: bytes | None = None) -> _Submission:
    from mlserving_lab.course.exercises.core import load_exercise

    started = time.perf_counter()
    sub = _Submission(path=path, student=path.stem, exercise=exercise or "")
    tmp = Path(tempfile.mkdtemp(prefix="mlserving-grade-"))
    try:
        inbox = tmp / "in"
        inbox.mkdir()
        safe = re.sub(r"[^\w.-]+", "_", path.name).lstrip(".") or "submission.ipynb"
        notebook = inbox / (safe if safe.endswith(".ipynb") else safe + ".ipynb")
        notebook.write_bytes(path.read_bytes() if data is None else data)
        nb, problem = _read_notebook(notebook)
        if problem:
            sub.status, sub.reason = "invalid notebook", problem
            return sub
        declared = _metadata_exercise(nb)
        if exercise and declared and declared != exercise:
            sub.status = "error"
            sub.reason = (f"wrong exercise: this notebook is {declared!r}, but --exercise "
                          f"asked for {exercise!r}")
            sub.exercise = declared
            return sub
        name = exercise or declared
        if not name:
            sub.status = "error"
            sub.reason = ("the notebook does not say which exercise it is (no mlserving_lab "
                          "metadata); pass --exercise NAME")
            return sub
        sub.exercise = name
        try:
            ex = load_exercise(name)
        except ValueError as exc:
            sub.status, sub.reason = "error", _short(exc, 200)
            return sub
        sub.questions = [q.name for q in ex.questions]
        sub.max_score = float(ex.max_score)
        run = _run_in_sandbox(ex, tmp, inbox, notebook.name, limits)
        report = run.get("execute", {})
        sub.status = report.get("status", "error")
        sub.cell_errors = report.get("cell_errors", [])
        reasons = [report.get("reason", "")]
        if sub.status == "ok":
            reasons.append(_describe_cell_errors(sub.cell_errors))
        unsaved = {k: v for k, v in report.get("extract", {}).items()
                   if v not in ("saved", "missing")}
        if unsaved:
            reasons.append("; ".join(f"`{k}` {v}" for k, v in unsaved.items()))
        answers = [r for r in run.get("record", []) if r.get("kind") == "answers"]
        saved = [k for k, v in report.get("extract", {}).items() if v == "saved"]
        if sub.status != "ok" and not saved:
            # Nothing was collected (the kernel died, or ignored the interrupt): say so.
            for q in ex.questions:
                sub.results[q.name] = {
                    "question": q.name, "outcome": "not_attempted", "points": 0.0,
                    "max_points": q.points,
                    "message": f"Not graded: none of your variables could be collected "
                               f"({sub.status}; see the status reason)."}
        else:
            reasons += _grade_answers(sub, ex, run, answers, tmp, notes=unsaved,
                                      limits=limits)
        sub.reason = "; ".join(r for r in reasons if r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        sub.seconds = time.perf_counter() - started
    return sub


def _run_in_sandbox(ex, tmp: Path, inbox: Path, filename: str, limits: _Limits) -> dict:
    """Run the notebook and the recording in one sandbox; the driver's parsed result."""
    isolated = limits.sandbox == "bwrap"
    as_root = isolated and os.geteuid() == 0
    if isolated:
        root = Path("/tmp")
        src = f"/grading/in/{filename}"
    else:
        root = tmp / "box"
        root.mkdir()
        src = str(inbox / filename)
    job = {"notebook_src": src, "work_dir": str(root / "work"),
           "answers_dir": str(root / "answers"), "home": str(root / "home"),
           "tmp": str(root), "timeout": limits.timeout, "names": ex.answer_names,
           "exercise": ex.name, "n_questions": len(ex.questions),
           "question_timeout": limits.check_timeout, "extract_timeout": _EXTRACT_TIMEOUT,
           "startup_timeout": _STARTUP_TIMEOUT,
           "max_processes": limits.max_processes if isolated else 0,
           "uid": _sandbox.sandbox_uid() if as_root else None,
           "kernel_pid_file": None if isolated else str(tmp / "kernel.pid")}
    (inbox / "job.json").write_text(json.dumps(job), encoding="utf-8")
    for p in (tmp, inbox):
        os.chmod(p, 0o755)
    for p in inbox.iterdir():
        os.chmod(p, 0o644)
    inner = _driver_cmd("/grading/in/job.json" if isolated else str(inbox / "job.json"))
    argv = (_sandbox.bwrap_command(inner, inbox=inbox, tmp_size_mb=limits.tmp_mb,
                                  as_root=as_root) if isolated else inner)
    record_budget = limits.check_timeout * (len(ex.questions) + 1) + _RECORD_SLACK
    wall = limits.timeout + _EXTRACT_TIMEOUT + _STARTUP_TIMEOUT + _HARD_LIMIT_SLACK \
        + record_budget
    rl = {"RLIMIT_AS": (limits.max_memory_mb << 20) if limits.max_memory_mb else 0}
    if isolated:
        rl["RLIMIT_FSIZE"] = limits.max_file_mb << 20
        rl["RLIMIT_CPU"] = int(math.ceil(wall * 2))
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "LANG", "LC_ALL", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "OPENBLAS_NUM_THREADS")}
    env.update({"PYTHONHASHSEED": "0", "MPLBACKEND": "agg", "MLSERVING_GRADE_BATCH": limits.batch})
    result = _sandbox.run(argv, limits=rl, timeout=wall, result_cap=_RESULT_CAP, env=env,
                         cwd=str(tmp))
    if not isolated:
        _kill_leftover_kernel(tmp / "kernel.pid")
    if result.too_large:
        return {"execute": {"status": "error", "reason": "the sandbox's output was larger than "
                            f"{_RESULT_CAP >> 20} MB and was refused"}}
    if result.result:
        try:  # what the sandbox wrote is untrusted: keep only well-formed parts
            parsed = json.loads(result.result.decode("utf-8"))
            if isinstance(parsed, dict) and isinstance(parsed.get("execute"), dict):
                if not isinstance(parsed.get("record"), list):
                    parsed["record"] = []
                parsed["record"] = [r for r in parsed["record"] if isinstance(r, dict)]
                return parsed
        except (ValueError, RecursionError):
            pass
    if result.code is None:
        return {"execute": {"status": "timeout",
                            "reason": f"the notebook runner did not finish in {wall:g} s and "
                                      "was stopped"}}
    return {"execute": {"status": "error",
                        "reason": f"the notebook runner failed (exit {result.code}): "
                                  f"{_last_error_line(result.log) or 'no output'}"}}


def _kill_leftover_kernel(pid_file: Path) -> None:
    """Unsandboxed runs only: the kernel lives in its own session; make sure it is gone."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"ipykernel" in cmdline:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _grade_answers(sub: _Submission, ex, run: dict, answers: list, tmp: Path, *, notes: dict,
                   limits: _Limits) -> list[str]:
    """Grade the answers (data) in a fresh trusted process; fill ``sub.results``."""
    records = run.get("record", [])
    statuses: dict[str, str] = {}
    calls: dict[str, dict] = {}
    current = None
    done = False
    aborted: dict[str, str] = {}
    for rec in records:
        kind, q = rec.get("kind"), rec.get("question")
        if kind == "start":
            current, statuses[q] = q, "started"
        elif kind == "timeout":
            statuses[q], current = "timeout", None
        elif kind == "aborted":
            aborted[q] = str(rec.get("message", ""))
        elif kind == "recorded":
            if statuses.get(q) != "timeout":
                statuses[q] = "recorded"
            if isinstance(rec.get("calls"), dict):
                calls.update(rec["calls"])
            current = None
        elif kind == "done":
            done = True
    bundle = {"answers": answers[0].get("answers", {}) if answers else {},
              "notes": answers[0].get("notes", {}) if answers else {},
              "calls": calls, "statuses": statuses}
    trusted = tmp / "trusted"
    trusted.mkdir(mode=0o700)
    (trusted / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    results_file = trusted / "results.jsonl"
    job = {"exercise": ex.name, "names": ex.answer_names, "bundle": str(trusted / "bundle.json"),
           "notes": notes, "results": str(results_file),
           "question_timeout": limits.check_timeout, "max_memory_mb": limits.max_memory_mb}
    limit = limits.check_timeout * (len(ex.questions) + 1) + 60
    code, log = _run_worker("grade", job, trusted, cwd=trusted, limit=limit)
    reasons = []
    graded_done = False
    if results_file.exists():
        for line in results_file.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("kind") == "result" and rec.get("question") in sub.questions:
                sub.results[rec["question"]] = rec
            elif rec.get("kind") == "done":
                graded_done = True
    for q in ex.questions:
        if statuses.get(q.name) == "timeout":
            sub.results[q.name] = {
                "question": q.name, "outcome": "error", "points": 0.0, "max_points": q.points,
                "timed_out": True,
                "message": f"Grading stopped: checking this question took longer than "
                           f"{limits.check_timeout:g} s (a function of yours may loop forever "
                           "or be very slow on the checker's data)."}
    slow = [q for q, r in sub.results.items() if r.get("timed_out")]
    if slow:
        sub.status = "timeout" if sub.status == "ok" else sub.status
        reasons.append(f"checking {', '.join(slow)} took longer than {limits.check_timeout:g} s")
    if "record_limit" in run and not done:
        code_r = run.get("record_exit")
        last = _last_error_line(run.get("record_log", ""))
        why = (f"was stopped after {run['record_limit']:g} s" if code_r is None
               else f"stopped (exit {code_r})" + (f": {last}" if last else ""))
        if sub.status == "ok":
            sub.status = "timeout" if code_r is None else "error"
        reasons.append(f"the grading process {why}" + (f" while checking {current}"
                                                       if current else ""))
        for q in ex.questions:
            r = sub.results.get(q.name)
            if q.name == current:
                sub.results[q.name] = {
                    "question": q.name, "outcome": "error", "points": 0.0,
                    "max_points": q.points,
                    "message": f"Not graded: the grading process {why} while checking this "
                               "question."}
            elif r is None or r.get("not_recorded"):
                sub.results[q.name] = {
                    "question": q.name, "outcome": "error", "points": 0.0,
                    "max_points": q.points,
                    "message": "Not graded: the grading process stopped before this question."}
    if not graded_done:
        last = _last_error_line(log)
        why = (f"was stopped after {limit:g} s" if code is None
               else f"stopped (exit {code})" + (f": {last}" if last else ""))
        if sub.status == "ok":
            sub.status = "timeout" if code is None else "error"
        reasons.append(f"the trusted checker {why}")
        for q in ex.questions:
            if q.name not in sub.results:
                sub.results[q.name] = {"question": q.name, "outcome": "error", "points": 0.0,
                                       "max_points": q.points,
                                       "message": f"Not graded: the trusted checker {why}."}
    return reasons


def _grade_safely(path: Path, *, exercise=None, limits: _Limits, data: bytes | None = None
                  ) -> _Submission:
    started = time.perf_counter()
    kwargs = {"exercise": exercise}
    try:
        sub = _grade_one(path, exercise=exercise, limits=limits, data=data)
        sub.seconds = max(sub.seconds, time.perf_counter() - started)
        return sub
    except Exception as exc:  # one broken submission never stops the batch
        sub = _Submission(path=path, student=path.stem, exercise=kwargs.get("exercise") or "",
                          status="error", reason=f"grader error: {type(exc).__name__}: "
                                                 f"{_short(exc, 160)}")
        sub.seconds = time.perf_counter() - started
        return sub


# -- a class on a Dask cluster ----------------------------------------------------------------
def _worker_version() -> str:
    import mlserving_lab

    return mlserving_lab.__version__


def _grade_task(name: str, data: bytes, exercise, limits: _Limits, version: str) -> _Submission:
    """One submission as a Dask task: the worker runs the same sandboxed grading."""
    mine = _worker_version()
    if mine != version:
        raise RuntimeError(f"this worker has mlserving-lab {mine}, the grader {version}")
    if limits.sandbox == "bwrap":
        problem = _sandbox.bwrap_problem()
        if problem:
            raise SandboxUnavailable(f"worker cannot sandbox: {problem}")
    return _grade_safely(Path(name), exercise=exercise, limits=limits, data=data)


def _grade_on_cluster(scheduler: str, files: list[Path], exercise, limits: _Limits,
                      finished) -> None:
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed

    version = _worker_version()
    cluster = None
    if isinstance(scheduler, str) and scheduler.startswith("local:"):
        try:
            n = int(scheduler.split(":", 1)[1])
        except ValueError:
            raise ValueError(f"--scheduler local:N needs a number of workers, got "
                             f"{scheduler!r}") from None
        if n < 1:
            raise ValueError(f"--scheduler local:N needs N >= 1, got {scheduler!r}")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    else:
        client = Client(scheduler, timeout=30)
    try:
        versions = client.run(_worker_version)
        wrong = {w: v for w, v in versions.items() if v != version}
        if not versions:
            raise ValueError(f"the Dask cluster at {scheduler} has no workers")
        if wrong:
            listed = ", ".join(f"{w} has {v}" for w, v in sorted(wrong.items()))
            raise ValueError(f"Dask workers run another mlserving-lab version than this "
                             f"grader ({version}): {listed}; install the same version on "
                             "every worker")
        if limits.sandbox == "bwrap":
            problems = {w: p for w, p in client.run(_sandbox.bwrap_problem).items() if p}
            if problems:
                w, p = next(iter(problems.items()))
                raise SandboxUnavailable(f"Dask worker {w} cannot sandbox: {p}. "
                                         f"{_sandbox.SANDBOX_INSTALL_HELP}")
        futures = {}
        for i, path in enumerate(files):
            fut = client.submit(_grade_task, path.name, path.read_bytes(), exercise, limits,
                                version, pure=False, key=f"grade-{limits.batch}-{i}")
            futures[fut] = (i, path)
        try:
            for fut in dask_completed(list(futures)):
                i, path = futures[fut]
                try:
                    sub = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker failed: one error row
                    sub = _Submission(path=path, student=path.stem, exercise=exercise or "",
                                      status="error", reason=f"grader error on the cluster: "
                                      f"{type(exc).__name__}: {_short(exc, 160)}")
                sub.path = path
                finished(i, sub)
        except BaseException:
            client.cancel(list(futures), force=True)
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- gradebook and feedback ------------------------------------------------------------------
def _gradebook(subs: Sequence[_Submission]):
    import pandas as pd

    qcols: list[str] = []
    for sub in subs:
        qcols.extend(q for q in sub.questions if q not in qcols)
    columns = [*_BASE_COLUMNS, *qcols, "seconds"]
    df = pd.DataFrame([s.row() for s in subs], columns=columns)
    for col in ["score", "max_score", *qcols, "seconds"]:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    for col in ["student", "exercise", "status", "reason"]:
        df[col] = df[col].fillna("").astype(str)
    return df


def _unique_names(subs: Sequence[_Submission]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for sub in subs:
        base = re.sub(r"[^\w.-]+", "_", sub.student) or "submission"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


_OUTCOME_LABEL = {"correct": "correct", "incorrect": "incorrect",
                  "not_attempted": "not attempted", "error": "error"}


def _student_markdown(sub: _Submission) -> str:
    lines = [f"# Feedback for {sub.student}", ""]
    lines.append(f"- Exercise: `{sub.exercise or 'unknown'}`")
    if sub.questions:
        lines.append(f"- Score: **{sub.score:g} / {sub.max_score:g}**")
    lines.append(f"- Status: {sub.status}" + (f" ({sub.reason})" if sub.reason else ""))
    lines.append("")
    if sub.questions:
        lines += ["| question | outcome | points |", "|---|---|---|"]
        for q in sub.questions:
            r = sub.results.get(q, {})
            lines.append(f"| {q} | {_OUTCOME_LABEL.get(r.get('outcome'), 'not graded')} | "
                         f"{r.get('points', 0.0):g} / {r.get('max_points', 0.0):g} |")
        lines.append("")
        for q in sub.questions:
            r = sub.results.get(q, {})
            lines += [f"## {q}: {_OUTCOME_LABEL.get(r.get('outcome'), 'not graded')}", "",
                      (r.get("message") or "").strip() or "(no message)", ""]
    if sub.cell_errors:
        lines += ["## Cells that raised an error", ""]
        lines += [f"- cell {e['cell']}: `{e['ename']}`" + (f": {e['evalue']}" if e.get("evalue")
                                                           else "") for e in sub.cell_errors[:10]]
        lines.append("")
    return "\n".join(lines)


def _summary_markdown(df, subs: Sequence[_Submission]) -> str:
    unsandboxed = any(not s.sandboxed for s in subs)
    isolation = ("**Graded WITHOUT a sandbox (`--sandbox none`)**: learner code ran with the "
                 "grader's permissions." if unsandboxed else
                 "Each submission ran in its own sandbox.")
    lines = ["# Class summary", "", f"{len(df)} submissions graded.", "", isolation, "",
             "## Status", "",
             "| status | submissions |", "|---|---|"]
    for status, count in df["status"].value_counts().items():
        lines.append(f"| {status} | {count} |")
    lines.append("")
    for name in [n for n in dict.fromkeys(df["exercise"]) if n]:
        group = [s for s in subs if s.exercise == name and s.questions]
        if not group:
            continue
        scores = [s.score for s in group]
        lines += [f"## `{name}` ({len(group)} submissions, max {group[0].max_score:g} points)",
                  "", "| question | pass rate | correct | incorrect | not attempted | error |",
                  "|---|---|---|---|---|---|"]
        for q in group[0].questions:
            outcomes = [s.results.get(q, {}).get("outcome") for s in group]
            counts = {o: outcomes.count(o) for o in _OUTCOME_LABEL}
            rate = counts["correct"] / len(group)
            lines.append(f"| {q} | {rate:.0%} | {counts['correct']} | {counts['incorrect']} | "
                         f"{counts['not_attempted']} | {counts['error']} |")
        srt = sorted(scores)
        mid = len(srt) // 2
        median = srt[mid] if len(srt) % 2 else (srt[mid - 1] + srt[mid]) / 2
        lines += ["", f"Scores: mean {sum(scores) / len(scores):.2f}, median {median:g}, "
                  f"min {min(scores):g}, max {max(scores):g}.", "", "| score | submissions |",
                  "|---|---|"]
        for value in sorted(set(scores)):
            lines.append(f"| {value:g} | {scores.count(value)} |")
        lines.append("")
    lines += ["![score histogram](score_histogram.png)", ""]
    return "\n".join(lines)


def _histogram(df, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    graded = df[df["max_score"].notna() & (df["max_score"] > 0)]
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    single = graded["exercise"].nunique() == 1
    if single and len(graded):
        values = graded["score"].to_numpy()
        top = float(graded["max_score"].iloc[0])
        ax.hist(values, bins=[x - 0.25 for x in _frange(0, top + 0.5, 0.5)], rwidth=0.9)
        ax.set_xlabel(f"score (out of {top:g}) - {graded['exercise'].iloc[0]}")
    else:
        values = (100 * graded["score"] / graded["max_score"]).to_numpy()
        ax.hist(values, bins=range(0, 111, 10), rwidth=0.9)
        ax.set_xlabel("score (% of the exercise's maximum)")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("submissions")
    ax.set_title(f"Score distribution ({len(graded)} graded submissions)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def _frange(start: float, stop: float, step: float) -> list[float]:
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    return [start + i * step for i in range(n)]


def _write_feedback(df, subs: Sequence[_Submission], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for sub, name in zip(subs, _unique_names(subs), strict=True):
        atomic_write_text(folder / f"{name}.md", _student_markdown(sub))
    atomic_write_text(folder / "summary.md", _summary_markdown(df, subs))
    _histogram(df, folder / "score_histogram.png")


# -- public API ------------------------------------------------------------------------------
def _expand(paths: Iterable) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(p.glob("*.ipynb"))
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"submission {str(p)!r} does not exist")
    unique = list(dict.fromkeys(p.resolve() for p in out))
    if not unique:
        raise ValueError("no submissions to grade: give .ipynb files or folders that hold them")
    return unique


def grade_submissions(paths, *, exercise: str | None = None, timeout: float = _DEFAULT_TIMEOUT,
                      jobs: int = 1, feedback_dir=None, out=None,
                      check_timeout: float = _DEFAULT_CHECK_TIMEOUT,
                      max_memory_mb: int | None = _DEFAULT_MAX_MEMORY_MB,
                      progress: bool = True, sandbox: str = "bwrap", scheduler=None):
    """Grade submitted notebooks and return the gradebook.

    Each submission runs in a fresh kernel in a temporary copy of its folder; its answers are
    then graded in a separate fresh Python process (checkers plus hidden checks), so nothing
    the notebook does to :mod:`mlserving_lab` can change its grade.

    Parameters
    ----------
    paths : path or iterable of paths
        ``.ipynb`` files, or folders whose ``*.ipynb`` files are all submissions.
    exercise : str, optional
        Exercise module name (e.g. ``"ex1_optimization_benchmark"``). By default each
        notebook's metadata (written by ``mlserving-lab release``) says. A notebook whose
        metadata names another exercise gets status ``error`` ("wrong exercise").
    timeout : float, default 300
        Seconds allowed for all of one notebook's cells together. When it runs out the kernel
        is interrupted and the submission is graded on what ran (status ``timeout``).
    jobs : int, default 1
        Submissions graded in parallel.
    feedback_dir : path, optional
        Write one markdown file per student, ``summary.md`` (pass rate per question, score
        distribution) and ``score_histogram.png`` here.
    out : path, optional
        Write the gradebook CSV here (atomically).
    check_timeout : float, default 60
        Seconds allowed for checking one question (the checkers call learner functions).
    max_memory_mb : int or None, default 4096
        Address-space cap for the kernel and the grading process (``None`` or 0: no cap).
    progress : bool, default True
        Show a progress bar on stderr.
    sandbox : {"bwrap", "none"}, default "bwrap"
        ``"bwrap"``: each submission runs in its own bubblewrap sandbox (Linux; see
        :mod:`mlserving_lab.course.sandbox`); :class:`SandboxUnavailable` when bwrap cannot
        run here. ``"none"``: no isolation (warns with :class:`UnsandboxedGrading`; the class
        summary says so).
    scheduler : str, optional
        Grade each submission as a task on this Dask cluster (``"tcp://host:8786"``), or
        ``"local:N"`` for a ``LocalCluster`` of N workers. Every worker runs the same
        sandboxed grading; workers with another package version are refused.

    Returns
    -------
    pandas.DataFrame
        One row per submission, in the order given: ``student``, ``exercise``, ``score``,
        ``max_score``, ``status`` (one of :data:`STATUSES`), ``reason``, one points column per
        question (the union over exercises in a mixed batch; empty where a question does not
        apply) and ``seconds``.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If there are no submissions, ``exercise`` is unknown, or ``timeout``, ``jobs``,
        ``check_timeout`` or ``max_memory_mb`` is out of range.

    Examples
    --------
    >>> df = grade_submissions(["alice.ipynb", "bob.ipynb"], timeout=120,
    ...                        out="grades.csv")                       # doctest: +SKIP
    >>> df[["student", "score", "status"]]                             # doctest: +SKIP
    """
    from mlserving_lab.course.exercises.core import grading_supported

    if not grading_supported():
        raise ValueError(
            "this is a student install of mlserving-lab: it has no hidden checks, so it cannot "
            "grade. Grading needs the instructor's install (a clone of the course repository "
            "with `make setup`); students check their answers with `qN.check(...)`.")
    from tqdm.auto import tqdm

    from mlserving_lab.course.exercises.core import load_exercise

    sandbox_mode = sandbox
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    for label, value in (("timeout", timeout), ("check_timeout", check_timeout)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
                or not math.isfinite(value):
            raise ValueError(f"{label} must be a positive number of seconds, got {value!r}")
    if max_memory_mb is not None and (not isinstance(max_memory_mb, int) or max_memory_mb < 0
                                      or 0 < max_memory_mb < 256):
        raise ValueError(f"max_memory_mb must be 0 (no cap) or at least 256, got "
                         f"{max_memory_mb!r}")
    if sandbox_mode not in SANDBOXES:
        raise ValueError(f"sandbox must be one of {SANDBOXES}, got {sandbox_mode!r}")
    if exercise is not None:
        load_exercise(exercise)  # ValueError listing the available exercises
    files = _expand(paths)
    if sandbox_mode == "bwrap" and scheduler is None:
        problem = _sandbox.bwrap_problem()
        if problem:
            raise SandboxUnavailable(f"{problem}. {_sandbox.SANDBOX_INSTALL_HELP}")
    elif sandbox_mode == "none":
        warnings.warn("grading WITHOUT a sandbox (--sandbox none): learner code runs as you, "
                      "with your files and network; use it only for notebooks you trust",
                      UnsandboxedGrading, stacklevel=2)
    global _last_batch_id
    _last_batch_id = batch = uuid.uuid4().hex
    _sandbox._STOP.clear()
    limits = _Limits(timeout=float(timeout), check_timeout=float(check_timeout),
                     max_memory_mb=max_memory_mb or 0, sandbox=sandbox_mode, batch=batch)
    subs: list[_Submission | None] = [None] * len(files)
    bar = tqdm(total=len(files), desc="grading", unit="nb", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)

    def finished(index: int, sub: _Submission) -> None:
        subs[index] = sub
        bar.set_postfix_str(f"{sub.student}: {sub.status}", refresh=False)
        bar.update(1)

    try:
        if scheduler is not None:
            _grade_on_cluster(scheduler, files, exercise, limits, finished)
        else:
            pool = ThreadPoolExecutor(max_workers=min(jobs, len(files)))
            futures = {pool.submit(_grade_safely, path, exercise=exercise, limits=limits): i
                       for i, path in enumerate(files)}
            try:
                for future in as_completed(futures):
                    finished(futures[future], future.result())
            except BaseException:
                # Ctrl-C: no new submission starts, running sandboxes are killed, and the
                # threads clean their temporary folders before we return.
                for future in futures:
                    future.cancel()
                _sandbox.kill_all()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    finally:
        bar.close()
    for sub in subs:
        if sub is not None:
            sub.sandboxed = sandbox_mode != "none"
    done = [s for s in subs if s is not None]
    df = _gradebook(done)
    if out is not None:
        atomic_write_text(out, df.to_csv(index=False))
    if feedback_dir is not None:
        _write_feedback(df, done, Path(feedback_dir))
    return df


def main(argv: list[str] | None = None) -> int:
    """``mlserving-lab grade``: grade submissions into a gradebook CSV.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments after ``grade`` (default ``sys.argv[2:]``).

    Returns
    -------
    int
        0 when the batch completed (even if some submissions failed); 2 for usage errors.
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="mlserving-lab grade",
        description="Run submitted exercise notebooks in fresh kernels and grade them with "
                    "the package's checkers (hidden checks included).")
    parser.add_argument("submissions", nargs="*", metavar="SUBMISSION.ipynb",
                        help="notebooks to grade (a folder means every .ipynb in it)")
    parser.add_argument("--out", default="grades.csv", help="gradebook CSV (default grades.csv)")
    parser.add_argument("--feedback", metavar="DIR",
                        help="write per-student feedback, summary.md and a score histogram")
    parser.add_argument("--timeout", type=float, default=_DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time budget per notebook (default {_DEFAULT_TIMEOUT:g})")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="grade N submissions in parallel (default 1)")
    parser.add_argument("--exercise", metavar="NAME",
                        help="exercise to grade against (default: from notebook metadata)")
    parser.add_argument("--check-timeout", type=float, default=_DEFAULT_CHECK_TIMEOUT,
                        metavar="SECONDS", help="time limit for checking one question "
                        f"(default {_DEFAULT_CHECK_TIMEOUT:g})")
    parser.add_argument("--max-memory", type=int, default=_DEFAULT_MAX_MEMORY_MB, metavar="MB",
                        help=f"memory cap per kernel in MB, 0 for none "
                             f"(default {_DEFAULT_MAX_MEMORY_MB})")
    parser.add_argument("--sandbox", choices=SANDBOXES, default="bwrap",
                        help="bwrap (default): one bubblewrap sandbox per submission; none: "
                             "no isolation (only for notebooks you trust)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on this Dask cluster (tcp://host:8786), or local:N for a "
                             "LocalCluster of N workers")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    from mlserving_lab.course._grade_worker import _skip_slow_schema_formats

    _skip_slow_schema_formats()  # this process is the command itself: safe to do here
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    from mlserving_lab.course.exercises.core import grading_supported

    if not grading_supported():
        print("mlserving-lab grade: error: this is a student install of mlserving-lab, without "
              "the hidden checks; grading needs the instructor's install (the course "
              "repository with `make setup`)", file=sys.stderr)
        return 2
    if not args.submissions:
        parser.print_usage(sys.stderr)
        print("mlserving-lab grade: error: no submissions given", file=sys.stderr)
        return 2
    try:
        df = grade_submissions(args.submissions, exercise=args.exercise, timeout=args.timeout,
                               jobs=args.jobs, feedback_dir=args.feedback, out=args.out,
                               check_timeout=args.check_timeout, max_memory_mb=args.max_memory,
                               progress=not args.quiet, sandbox=args.sandbox,
                               scheduler=args.scheduler)
    except KeyboardInterrupt:
        print("\nmlserving-lab grade: interrupted; every sandbox was stopped and no gradebook "
              "was written", file=sys.stderr)
        return 130
    except SandboxUnavailable as exc:
        print(f"mlserving-lab grade: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as exc:
        print(f"mlserving-lab grade: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the gradebook's folder is not writable
        print(f"mlserving-lab grade: could not write the results: {exc}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{n} {s}" for s, n in df["status"].value_counts().items())
    print(f"graded {len(df)} submission{'s' if len(df) != 1 else ''} ({counts}); "
          f"wrote {args.out}" + (f" and feedback in {args.feedback}" if args.feedback else ""))
    return 0
