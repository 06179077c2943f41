"""Instructor grading: run a batch of submitted notebooks and write a gradebook.

``mlserving-lab grade SUBMISSION.ipynb... --out grades.csv [--feedback DIR] [--timeout SECONDS]
[--jobs N] [--exercise NAME]``

For each submission:

1. Read it with nbformat (an empty, truncated or non-notebook file gets status
   ``invalid notebook``) and find its exercise (``--exercise`` or the metadata that
   ``mlserving-lab release`` writes).
2. Copy its folder to a temporary directory and run the learner's cells in a fresh kernel
   (errors do not stop the run; cells tagged ``instructor`` are dropped). ``--timeout`` is a
   budget for the whole notebook: when it runs out the kernel is interrupted and the
   submission is graded on what ran (status ``timeout``). The kernel's memory is capped.
3. In the same kernel, one extra cell saves each graded variable with cloudpickle. Then the
   kernel is shut down.
4. A fresh Python process, which never ran the learner's notebook, loads those variables and
   grades every question with the package's checkers plus the hidden instructor checks. So
   overwriting ``q1.check`` or monkeypatching :mod:`mlserving_lab` in the notebook changes
   nothing. Each question has its own time limit there too.

Warnings and stderr output never cost points. One submission's failure (a crash, a dead
kernel, a hang) becomes a row with a clear ``status`` and ``reason``; the batch goes on.

Limits: the grading process is isolated from the *notebook*, but the checkers do call the
learner's functions in it. Code written to attack the grader at check time is not sandboxed
(grading restores any :mod:`mlserving_lab` attribute it finds changed and reports it in
``reason``).
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
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from mlserving_lab.atomic import atomic_path, atomic_write_text

__all__ = ["STATUSES", "grade_submissions", "main"]

#: Every value the ``status`` column can take.
STATUSES = ("ok", "timeout", "kernel died", "error", "invalid notebook")

_DEFAULT_TIMEOUT = 300.0
_DEFAULT_CHECK_TIMEOUT = 60.0
_DEFAULT_MAX_MEMORY_MB = 4096
_BASE_COLUMNS = ["student", "exercise", "score", "max_score", "status", "reason"]
_EXTRACT_TIMEOUT = 60
_STARTUP_TIMEOUT = 60
_HARD_LIMIT_SLACK = 30  # the runner enforces the budget itself; this only catches a wedged runner


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
    # -P: the working directory (the learner's folder) is not put on sys.path.
    return [sys.executable, "-P", "-m", "mlserving_lab.course._grade_worker", kind, str(job_file)]


def _is_our_kernel(pid: int, connection_hint: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "ipykernel" in cmdline and connection_hint in cmdline


def _kill_tree(proc: subprocess.Popen, kernel_pid_file: Path | None = None) -> None:
    """Stop a worker we started (its own process group) and the kernel it launched."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=5)
            break
        except subprocess.TimeoutExpired:
            continue
    if kernel_pid_file is not None and kernel_pid_file.exists():
        try:
            pid = int(kernel_pid_file.read_text().strip())
        except ValueError:
            return
        if _is_our_kernel(pid, "kernel-"):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _run_worker(kind: str, job: dict, folder: Path, *, cwd: Path, limit: float,
                kernel_pid_file: Path | None = None) -> tuple[int | None, str]:
    """Run one worker; return (exit code or None if killed at ``limit``, tail of its log)."""
    job_file = folder / f"{kind}-job.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    log_file = folder / f"{kind}.log"
    with open(log_file, "wb") as log:
        env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "agg"}
        proc = subprocess.Popen(_worker_cmd(kind, job_file), cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env=env)
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_tree(proc, kernel_pid_file)
            code = None
    try:
        tail = log_file.read_bytes()[-2000:].decode("utf-8", "replace")
    except OSError:
        tail = ""
    return code, tail


def _last_error_line(log_tail: str) -> str:
    lines = [ln.strip() for ln in log_tail.splitlines() if ln.strip()]
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_.]*(Error|Exception|Exit)\b", line):
            return _short(line, 160)
    return _short(lines[-1], 160) if lines else ""


# -- one submission --------------------------------------------------------------------------
def _copy_folder(path: Path, dest: Path) -> Path:
    """Copy the submission's folder (without other notebooks) to ``dest``; return the copy."""
    def ignore(folder, names):
        skip = {n for n in names if n in (".ipynb_checkpoints", "__pycache__", ".git")}
        if Path(folder) == path.parent:
            skip |= {n for n in names if n.endswith(".ipynb") and n != path.name}
        return skip

    shutil.copytree(path.parent, dest, ignore=ignore, symlinks=True)
    return dest / path.name


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


def _grade_one(path: Path, *, exercise: str | None, timeout: float, check_timeout: float,
               max_memory_mb: int) -> _Submission:
    from mlserving_lab.course.exercises.core import load_exercise

    started = time.perf_counter()
    sub = _Submission(path=path, student=path.stem, exercise=exercise or "")
    nb, problem = _read_notebook(path)
    if problem:
        sub.status, sub.reason = "invalid notebook", problem
        return sub
    declared = _metadata_exercise(nb)
    if exercise and declared and declared != exercise:
        sub.status = "error"
        sub.reason = (f"wrong exercise: this notebook is {declared!r}, but --exercise asked "
                      f"for {exercise!r}")
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
    names = ex.answer_names

    tmp = Path(tempfile.mkdtemp(prefix="mlserving-grade-"))
    try:
        work, answers = tmp / "work", tmp / "answers"
        answers.mkdir()
        notebook_copy = _copy_folder(path, work)
        report = _run_notebook(notebook_copy, work, answers, tmp, names=names, timeout=timeout,
                               max_memory_mb=max_memory_mb)
        sub.status = report.get("status", "error")
        sub.cell_errors = report.get("cell_errors", [])
        reasons = [report.get("reason", "")]
        if sub.status == "ok":
            reasons.append(_describe_cell_errors(sub.cell_errors))
        unsaved = {k: v for k, v in report.get("extract", {}).items()
                   if v not in ("saved", "missing")}
        if unsaved:
            reasons.append("; ".join(f"`{k}` {v}" for k, v in unsaved.items()))
        if sub.status != "ok" and not any(answers.glob("*.pkl")):
            # Nothing was collected (the kernel died, or ignored the interrupt): say so.
            for q in ex.questions:
                sub.results[q.name] = {
                    "question": q.name, "outcome": "not_attempted", "points": 0.0,
                    "max_points": q.points,
                    "message": f"Not graded: none of your variables could be collected "
                               f"({sub.status}; see the status reason)."}
        else:
            reasons += _grade_answers(sub, ex, work, answers, tmp, notes=unsaved,
                                      check_timeout=check_timeout, max_memory_mb=max_memory_mb)
        sub.reason = "; ".join(r for r in reasons if r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        sub.seconds = time.perf_counter() - started
    return sub


def _run_notebook(notebook: Path, work: Path, answers: Path, tmp: Path, *, names: list[str],
                  timeout: float, max_memory_mb: int) -> dict:
    """Run the learner's cells and the extraction cell in the runner process; its report."""
    pid_file, report_file = tmp / "kernel.pid", tmp / "execute.json"
    job = {"notebook": str(notebook), "cwd": str(work), "timeout": float(timeout),
           "names": names, "answers_dir": str(answers), "report": str(report_file),
           "kernel_pid_file": str(pid_file), "max_memory_mb": max_memory_mb,
           "extract_timeout": _EXTRACT_TIMEOUT, "startup_timeout": _STARTUP_TIMEOUT}
    hard_limit = timeout + _EXTRACT_TIMEOUT + _STARTUP_TIMEOUT + _HARD_LIMIT_SLACK
    code, log = _run_worker("execute", job, tmp, cwd=tmp, limit=hard_limit,
                            kernel_pid_file=pid_file)
    if report_file.exists():
        return json.loads(report_file.read_text(encoding="utf-8"))
    if code is None:
        return {"status": "timeout",
                "reason": f"the notebook runner did not finish in {hard_limit:g} s and was "
                          "stopped"}
    return {"status": "error", "reason": f"the notebook runner failed (exit {code}): "
                                         f"{_last_error_line(log) or 'no output'}"}


def _grade_answers(sub: _Submission, ex, work: Path, answers: Path, tmp: Path, *, notes: dict,
                   check_timeout: float, max_memory_mb: int) -> list[str]:
    """Grade the saved answers in a fresh process; fill ``sub.results``, return reasons."""
    results_file = tmp / "results.jsonl"
    job = {"exercise": ex.name, "names": ex.answer_names, "answers_dir": str(answers),
           "notes": notes, "results": str(results_file),
           "question_timeout": float(check_timeout), "max_memory_mb": max_memory_mb}
    limit = check_timeout * (len(ex.questions) + 1) + 60
    code, log = _run_worker("grade", job, tmp, cwd=work, limit=limit)
    records = []
    if results_file.exists():
        for line in results_file.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    reasons = []
    done = False
    current = None
    tampered: list[str] = []
    for rec in records:
        kind = rec.get("kind")
        if kind == "start":
            current = rec.get("question")
        elif kind == "result" and rec.get("question") in sub.questions:
            sub.results[rec["question"]] = rec
            current = None
        elif kind == "tampering":
            tampered.extend(rec.get("changed", []))
        elif kind == "done":
            done = True
    slow = [q for q, r in sub.results.items() if r.get("timed_out")]
    if slow:
        sub.status = "timeout" if sub.status == "ok" else sub.status
        reasons.append(f"checking {', '.join(slow)} took longer than {check_timeout:g} s")
    if not done:
        last = _last_error_line(log)
        why = (f"was stopped after {limit:g} s" if code is None
               else f"stopped (exit {code})" + (f": {last}" if last else ""))
        if sub.status == "ok":
            sub.status = "timeout" if code is None else "error"
        reasons.append(f"the grading process {why}" + (f" while checking {current}"
                                                       if current else ""))
        for q in ex.questions:
            if q.name not in sub.results:
                msg = (f"Not graded: the grading process {why} while checking this question."
                       if q.name == current else
                       "Not graded: the grading process stopped before this question.")
                sub.results[q.name] = {"question": q.name, "outcome": "error", "points": 0.0,
                                       "max_points": q.points, "message": msg}
    if tampered:
        reasons.append("grading code was modified at check time and restored: "
                       + ", ".join(sorted(set(tampered))[:5]))
    return reasons


def _grade_safely(path: Path, **kwargs) -> _Submission:
    started = time.perf_counter()
    try:
        sub = _grade_one(path, **kwargs)
        sub.seconds = max(sub.seconds, time.perf_counter() - started)
        return sub
    except Exception as exc:  # one broken submission never stops the batch
        sub = _Submission(path=path, student=path.stem, exercise=kwargs.get("exercise") or "",
                          status="error", reason=f"grader error: {type(exc).__name__}: "
                                                 f"{_short(exc, 160)}")
        sub.seconds = time.perf_counter() - started
        return sub


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
    lines = ["# Class summary", "", f"{len(df)} submissions graded.", "", "## Status", "",
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
                      progress: bool = True):
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
    from tqdm.auto import tqdm

    from mlserving_lab.course.exercises.core import load_exercise

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
    if exercise is not None:
        load_exercise(exercise)  # ValueError listing the available exercises
    files = _expand(paths)
    kwargs = {"exercise": exercise, "timeout": float(timeout),
              "check_timeout": float(check_timeout), "max_memory_mb": max_memory_mb or 0}
    subs: list[_Submission | None] = [None] * len(files)
    bar = tqdm(total=len(files), desc="grading", unit="nb", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    try:
        with ThreadPoolExecutor(max_workers=min(jobs, len(files))) as pool:
            futures = {pool.submit(_grade_safely, path, **kwargs): i
                       for i, path in enumerate(files)}
            for future in as_completed(futures):
                sub = future.result()
                subs[futures[future]] = sub
                bar.set_postfix_str(f"{sub.student}: {sub.status}", refresh=False)
                bar.update(1)
    finally:
        bar.close()
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
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    from mlserving_lab.course._grade_worker import _skip_slow_schema_formats

    _skip_slow_schema_formats()  # this process is the command itself: safe to do here
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.submissions:
        parser.print_usage(sys.stderr)
        print("mlserving-lab grade: error: no submissions given", file=sys.stderr)
        return 2
    try:
        df = grade_submissions(args.submissions, exercise=args.exercise, timeout=args.timeout,
                               jobs=args.jobs, feedback_dir=args.feedback, out=args.out,
                               check_timeout=args.check_timeout, max_memory_mb=args.max_memory,
                               progress=not args.quiet)
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
