"""The two child processes behind :mod:`mlserving_lab.course.grading` (not a public API).

``python -P -m mlserving_lab.course._grade_worker execute JOB.json``
    Caps its own memory (the kernel it launches inherits the cap), runs the learner's cells in
    a fresh kernel with a total time budget, then runs one extraction cell in the same kernel
    that writes every graded variable with cloudpickle to its own file. Writes a JSON report.

``python -P -m mlserving_lab.course._grade_worker grade JOB.json``
    A fresh interpreter that never ran the notebook: imports the exercise, loads the answer
    files and grades each question (hidden checks on) with a per-question alarm. Appends one
    JSON line per question to the results file as soon as it is known, so a crash or a hang
    in the middle still leaves the earlier questions graded.

``-P`` keeps the working directory (a copy of the learner's folder) off ``sys.path`` until the
exercise is imported, so a learner's own ``mlserving_lab.py`` or ``numpy.py`` cannot shadow
the grader's modules.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

_PROCESS_START = time.monotonic()
INSTRUCTOR_TAG = "instructor"

# Runs inside the learner's kernel after their cells (the helper is imported fresh there).
_EXTRACT_CELL = """
from mlserving_lab.course._grade_worker import _dump_answers as __mlserving_lab_dump
__mlserving_lab_dump(%r, %r)
"""


def _rebuild_ort_session(source, threads, providers):
    """Unpickle an ``onnxruntime.InferenceSession`` (see :func:`_dump_answers`)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads
    return ort.InferenceSession(source, options, providers=providers)


def _answer_pickler(buffer):
    """A cloudpickle pickler that also handles onnxruntime sessions.

    An ``InferenceSession`` cannot be pickled, but it keeps the model bytes (or path) it was
    built from, so it is rebuilt from those in the grading process. Objects that merely hold a
    session (a learner's wrapper) then pickle too.
    """
    import pickle

    import cloudpickle

    class _Pickler(cloudpickle.CloudPickler):
        def reducer_override(self, obj):
            ort = sys.modules.get("onnxruntime")
            if ort is not None and isinstance(obj, ort.InferenceSession):
                source = getattr(obj, "_model_bytes", None) or getattr(obj, "_model_path", None)
                if source is not None:
                    opts = obj.get_session_options()
                    threads = (opts.intra_op_num_threads, opts.inter_op_num_threads)
                    return _rebuild_ort_session, (source, threads, obj.get_providers())
            return super().reducer_override(obj)

    return _Pickler(buffer, protocol=pickle.DEFAULT_PROTOCOL)


def _dump_answers(names, folder) -> dict:
    """Write each of ``names`` from the IPython user namespace to ``folder/<name>.pkl``.

    Runs inside the learner's kernel. A missing or unpicklable variable gets no file; what
    happened to each name goes to ``folder/_extract.json``.
    """
    import builtins
    import io

    from IPython import get_ipython

    namespace = get_ipython().user_ns
    report = {}
    for name in names:
        if name not in namespace:
            report[name] = "missing"
            continue
        buffer = io.BytesIO()
        try:
            _answer_pickler(buffer).dump(namespace[name])
        except BaseException as exc:  # noqa: BLE001 - any learner object may fail to pickle
            report[name] = _short(f"could not be saved: {type(exc).__name__}: {exc}", 300)
            continue
        with builtins.open(os.path.join(folder, name + ".pkl"), "wb") as fh:
            fh.write(buffer.getvalue())
        report[name] = "saved"
    with builtins.open(os.path.join(folder, "_extract.json"), "w") as fh:
        json.dump(report, fh)
    return report


def _limit_memory(max_memory_mb) -> None:
    """Cap this process's address space (inherited by every child it starts)."""
    if not max_memory_mb:
        return
    import resource

    limit = int(max_memory_mb) * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _write_json(path, data) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def _short(text, n: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


# -- execute ------------------------------------------------------------------------------------
def _kernel_manager():
    from jupyter_client import AsyncKernelManager

    from mlserving_lab.course._nbexec import CURRENT_ENV_KERNEL, _spec_manager

    return AsyncKernelManager(kernel_name=CURRENT_ENV_KERNEL, kernel_spec_manager=_spec_manager())


def _kernel_pid(km):
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    return getattr(process, "pid", None)


def _kill_group(pid) -> None:
    """SIGKILL the process group our kernel leads (jupyter starts kernels in a new session)."""
    if not pid:
        return
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def _execute(job: dict) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(job["notebook"], as_version=4)
    nb.cells = [c for c in nb.cells
                if INSTRUCTOR_TAG not in c.get("metadata", {}).get("tags", [])]
    env = dict(os.environ)
    env["MPLBACKEND"] = "agg"
    env["PYTHONHASHSEED"] = "0"
    km = _kernel_manager()
    timeout_reply = {"ename": "TimeoutError",
                     "evalue": "the grading time budget ran out during this cell",
                     "traceback": []}
    client = NotebookClient(nb, km=km, allow_errors=True, interrupt_on_timeout=True,
                            error_on_timeout=timeout_reply, record_timing=False,
                            shutdown_kernel="immediate", iopub_timeout=2,
                            startup_timeout=job.get("startup_timeout", 60),
                            resources={"metadata": {"path": job["cwd"]}})
    report = {"status": "ok", "reason": "", "cell_errors": [], "cells_run": 0,
              "cells_total": sum(c.cell_type == "code" for c in nb.cells),
              "extract": {}, "exec_seconds": None}
    budget = float(job["timeout"])
    pid = None
    started = None
    t0 = time.monotonic()
    timings = report["timings"] = {}
    try:
        async with client.async_setup_kernel(env=env, cwd=job["cwd"]):
            timings["kernel_start"] = time.monotonic() - t0
            pid = _kernel_pid(km)
            if pid:
                Path(job["kernel_pid_file"]).write_text(str(pid))
            started = time.monotonic()
            deadline = started + budget
            try:
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code" or not cell.source.strip():
                        continue
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        report["status"] = "timeout"
                        break
                    client.timeout = max(1, int(remaining + 0.999))
                    await client.async_execute_cell(cell, index)
                    report["cells_run"] += 1
                    for out in cell.get("outputs", []):
                        if out.get("output_type") == "error":
                            report["cell_errors"].append(
                                {"cell": index, "ename": out.get("ename", ""),
                                 "evalue": _short(out.get("evalue", ""), 200)})
                    if time.monotonic() >= deadline:
                        report["status"] = "timeout"
                        break
                report["exec_seconds"] = time.monotonic() - started
                if report["status"] == "timeout":
                    report["reason"] = (f"stopped after {budget:g} s (ran {report['cells_run']} "
                                        f"of {report['cells_total']} code cells); graded on "
                                        "what had run")
                    # Is the kernel listening again? A loop that swallows KeyboardInterrupt
                    # keeps it busy; then there is nothing to collect and no point waiting.
                    probe = nbformat.v4.new_code_cell("print('ready')")
                    nb.cells.append(probe)  # nbclient looks cells up by index
                    client.timeout = 3
                    await client.async_execute_cell(probe, len(nb.cells) - 1,
                                                    store_history=False)
                    responsive = any("ready" in o.get("text", "") for o in probe.outputs)
                else:
                    responsive = True
                extract = nbformat.v4.new_code_cell(
                    _EXTRACT_CELL % (list(job["names"]), job["answers_dir"]))
                client.timeout = int(job.get("extract_timeout", 60))
                nb.cells.append(extract)
                t1 = time.monotonic()
                if responsive:
                    await client.async_execute_cell(extract, len(nb.cells) - 1,
                                                    store_history=False)
                timings["extract"] = time.monotonic() - t1
                errors = [o for o in extract.get("outputs", []) if o.get("output_type") == "error"]
                if not (Path(job["answers_dir"]) / "_extract.json").exists():
                    if errors:
                        note = (f"collecting your variables failed: {errors[0].get('ename')}: "
                                f"{_short(errors[0].get('evalue'), 120)}")
                    elif report["status"] == "timeout":
                        note = ("the kernel did not respond to the interrupt, so no variables "
                                "could be collected")
                    else:
                        note = ("collecting your variables did not finish in "
                                f"{client.timeout} s")
                    report["reason"] = "; ".join(r for r in (report["reason"], note) if r)
            except DeadKernelError:
                if started is not None and report["exec_seconds"] is None:
                    report["exec_seconds"] = time.monotonic() - started
                report["status"] = "kernel died"
                if report["cells_run"] < report["cells_total"]:
                    where = (f"while running code cell {report['cells_run'] + 1} of "
                             f"{report['cells_total']}")
                else:
                    where = "after your cells, while collecting your variables"
                report["reason"] = (f"the kernel died {where} (os._exit, a crash in compiled "
                                    "code, or memory)")
    except DeadKernelError:
        report["status"] = "kernel died"
        report["reason"] = report["reason"] or "the kernel died while starting or shutting down"
    finally:
        _kill_group(pid)
    extract_file = Path(job["answers_dir"]) / "_extract.json"
    if extract_file.exists():
        try:
            report["extract"] = json.loads(extract_file.read_text())
        except ValueError:
            report["extract"] = {}
    return report


def run_execute(job: dict) -> int:
    _limit_memory(job.get("max_memory_mb"))
    try:
        report = asyncio.run(_execute(job))
        report["timings"]["process"] = time.monotonic() - _PROCESS_START
    except Exception as exc:  # report, never crash silently
        report = {"status": "error", "reason": f"running the notebook failed: "
                  f"{type(exc).__name__}: {_short(exc, 200)}", "cell_errors": [], "extract": {}}
    _write_json(job["report"], report)
    return 0


# -- grade --------------------------------------------------------------------------------------
class _QuestionTimeout(BaseException):
    """Raised by the alarm; a BaseException so checkers' `except Exception` cannot swallow it."""


def _on_alarm(signum, frame):
    raise _QuestionTimeout()


def _snapshot() -> dict:
    """Shallow copies of every mlserving_lab module and class namespace (tamper detection)."""
    snap = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "mlserving_lab" or name.startswith("mlserving_lab.")):
            continue
        snap[("module", name)] = (module, dict(vars(module)))
        for value in list(vars(module).values()):
            if isinstance(value, type) and getattr(value, "__module__", "") == name:
                snap[("class", f"{name}.{value.__qualname__}")] = (value, dict(vars(value)))
    return snap


def _restore(snap: dict) -> list[str]:
    """Undo changes to the snapshotted namespaces; return what had been changed."""
    changed = []
    for (kind, label), (obj, saved) in snap.items():
        current = vars(obj)
        # New module attributes are mostly lazy imports of submodules: only classes count.
        for key in [k for k in current if k not in saved and kind == "class"]:
            changed.append(f"{label}.{key}")
            try:
                delattr(obj, key)
            except (AttributeError, TypeError):
                pass
        for key, value in saved.items():
            if kind == "module" and not (callable(value) or isinstance(value, type(sys))):
                continue  # module-level data may be a legitimate lazy cache: code only
            if current.get(key, _MISSING) is not value:
                changed.append(f"{label}.{key}")
                try:
                    setattr(obj, key, value)
                except (AttributeError, TypeError):
                    pass
    return changed


def _question_state(exercise) -> list:
    return [(q, dict(vars(q))) for q in exercise.questions]


def _restore_questions(state) -> list[str]:
    changed = []
    for q, saved in state:
        current = vars(q)
        for key in [k for k in current if k not in saved]:
            changed.append(f"{q.name}.{key}")
            del current[key]
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                changed.append(f"{q.name}.{key}")
                current[key] = value
    return changed


_MISSING = object()


def run_grade(job: dict) -> int:
    _limit_memory(job.get("max_memory_mb"))
    out_fd = os.open(job["results"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def emit(record: dict) -> None:
        os.write(out_fd, (json.dumps(record) + "\n").encode("utf-8"))

    import cloudpickle  # noqa: F401  (registers nothing; makes failures below clearer)

    from mlserving_lab.course.exercises.core import Exercise, load_exercise

    exercise = load_exercise(job["exercise"])
    snap = _snapshot()
    qstate = _question_state(exercise)
    # Only now make the learner's folder importable (their modules, for by-reference pickles).
    sys.path.append(os.getcwd())
    signal.signal(signal.SIGALRM, _on_alarm)
    limit = float(job["question_timeout"])
    namespace = {}
    load_notes = {name: f"Not graded: `{name}` {note}."
                  for name, note in job.get("notes", {}).items()}
    answers_dir = Path(job["answers_dir"])
    for name in job["names"]:
        path = answers_dir / f"{name}.pkl"
        if not path.exists():
            continue
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            with open(path, "rb") as fh:
                import pickle

                namespace[name] = pickle.load(fh)
        except _QuestionTimeout:
            load_notes[name] = f"Not graded: loading `{name}` took longer than {limit:g} s."
        except BaseException as exc:  # noqa: BLE001 - a learner object may raise anything
            load_notes[name] = (f"Not graded: `{name}` could not be loaded for grading: "
                                f"{type(exc).__name__}: {_short(exc, 120)}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    emit({"kind": "loaded", "notes": load_notes})
    for q in exercise.questions:
        tampered = _restore(snap) + _restore_questions(qstate)
        if tampered:
            emit({"kind": "tampering", "question": q.name, "changed": sorted(set(tampered))[:10]})
        emit({"kind": "start", "question": q.name})
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            # A one-question exercise, so each question gets its own alarm while keeping
            # Exercise.grade_namespace's handling of missing variables.
            result = Exercise(exercise.name, [q]).grade_namespace(namespace)[0].to_dict()
        except _QuestionTimeout:
            result = {"question": q.name, "outcome": "error", "points": 0.0,
                      "max_points": q.points, "timed_out": True,
                      "message": f"Grading stopped: checking this question took longer than "
                                 f"{limit:g} s (a function of yours may loop forever or be "
                                 "very slow on the checker's data)."}
        except BaseException as exc:  # noqa: BLE001 - e.g. SystemExit from learner code
            result = {"question": q.name, "outcome": "error", "points": 0.0,
                      "max_points": q.points,
                      "message": f"Checking this question stopped with "
                                 f"{type(exc).__name__}: {_short(exc, 160)}"}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        missing_notes = [load_notes[n] for n in q.answers if n in load_notes]
        if missing_notes and result.get("outcome") == "not_attempted":
            result["message"] = " ".join(missing_notes)
        result["kind"] = "result"
        result["question"] = q.name
        emit(result)
    emit({"kind": "done"})
    os.close(out_fd)
    return 0


def _skip_slow_schema_formats() -> None:
    """Make nbformat's import ~30x faster in this short-lived process.

    jsonschema imports the optional ``rfc3987_syntax`` (an IRI grammar, 1.5-3 s to build) only
    to check the "iri" string format, which the notebook schema never uses. Marking it as not
    installed makes jsonschema skip that one format check.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def main(argv=None) -> int:
    _skip_slow_schema_formats()
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 2 or argv[0] not in ("execute", "grade"):
        print("usage: python -P -m mlserving_lab.course._grade_worker {execute,grade} JOB.json",
              file=sys.stderr)
        return 2
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    return run_execute(job) if argv[0] == "execute" else run_grade(job)


if __name__ == "__main__":
    sys.exit(main())
