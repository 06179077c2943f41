"""The child processes behind :mod:`mlserving_lab.course.grading` (not a public API).

``python -P -m mlserving_lab.course._grade_worker sandboxed JOB.json``  (inside the sandbox)
    The sandbox's driver: applies the process cap, drops to an unprivileged uid when started
    as root, runs the learner's cells in a fresh kernel with a total time budget and an
    extraction cell that saves every graded variable with cloudpickle (inside the sandbox),
    then runs ``record``. Writes one JSON document (execute report + record log) to fd 3.

``python -P -m mlserving_lab.course._grade_worker record JOB.json``  (inside the sandbox)
    A fresh interpreter that never ran the notebook: loads the variables, encodes them with
    :mod:`mlserving_lab.course.transport` (data only; learner classes refused) and runs the
    checkers once with :func:`~mlserving_lab.course.exercises.core.call` in record mode. Their
    verdicts are ignored; what counts is (argument digest -> output as data) for each call.

``python -P -m mlserving_lab.course._grade_worker grade JOB.json``  (trusted, no sandbox)
    Decodes the answers and the recorded outputs with the allow-list loader and grades each
    question (hidden checks on) with a per-question alarm, ``call`` replaying the outputs.
    Learner code never runs here. Appends one JSON line per question to the results file.

``-P`` keeps the working directory off ``sys.path``, so a learner's own ``mlserving_lab.py``
or ``numpy.py`` cannot shadow the grader's modules.
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
RESULT_FD = 3  # the sandbox driver's result pipe (see mlserving_lab.course.sandbox)

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

    # No history database, no startup files from a profile: nothing carries between runs.
    extra = ["--HistoryManager.enabled=False", "--InteractiveShellApp.exec_files=[]",
             "--InteractiveShellApp.exec_lines=[]"]
    return AsyncKernelManager(kernel_name=CURRENT_ENV_KERNEL,
                              kernel_spec_manager=_spec_manager(extra))


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
            if pid and job.get("kernel_pid_file"):
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


# -- sandbox driver ---------------------------------------------------------------------------
def _confine(job: dict) -> None:
    """Inside the sandbox, before any learner code: uid, process cap, no new privileges."""
    import ctypes
    import resource

    nproc = job.get("max_processes")
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (int(nproc), int(nproc)))
    uid = job.get("uid")
    if uid and os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    except (OSError, AttributeError):  # pragma: no cover
        pass


def run_sandboxed(job: dict) -> int:
    """The sandbox's driver: run the notebook, then record the checkers' calls; report on fd 3."""
    import shutil

    out = os.fdopen(RESULT_FD, "wb")
    os.set_inheritable(RESULT_FD, False)
    _confine(job)
    for key in ("work_dir", "answers_dir", "home"):
        os.makedirs(job[key], exist_ok=True)
    home = job["home"]
    os.environ.update({"HOME": home, "IPYTHONDIR": os.path.join(home, ".ipython"),
                       "JUPYTER_RUNTIME_DIR": os.path.join(home, "runtime"),
                       "JUPYTER_DATA_DIR": os.path.join(home, "jupyter"),
                       "JUPYTER_CONFIG_DIR": os.path.join(home, "jupyter-config"),
                       "MPLCONFIGDIR": os.path.join(home, "mpl"), "MPLBACKEND": "agg",
                       "PYTHONHASHSEED": "0", "TMPDIR": job.get("tmp", os.path.dirname(home))})
    notebook = os.path.join(job["work_dir"], os.path.basename(job["notebook_src"]))
    shutil.copyfile(job["notebook_src"], notebook)
    execute_job = {"notebook": notebook, "cwd": job["work_dir"], "timeout": job["timeout"],
                   "names": job["names"], "answers_dir": job["answers_dir"],
                   "kernel_pid_file": job.get("kernel_pid_file"),
                   "extract_timeout": job["extract_timeout"],
                   "startup_timeout": job["startup_timeout"]}
    try:
        report = asyncio.run(_execute(execute_job))
    except Exception as exc:  # report, never crash silently
        report = {"status": "error", "reason": f"running the notebook failed: "
                  f"{type(exc).__name__}: {_short(exc, 200)}", "cell_errors": [], "extract": {}}
    result = {"execute": report, "record": [], "record_exit": None, "record_log": ""}
    if any(name.endswith(".pkl") for name in os.listdir(job["answers_dir"])):
        result.update(_run_recorder(job))
    out.write(json.dumps(result).encode("utf-8"))
    out.close()
    return 0


def _run_recorder(job: dict) -> dict:
    """Run the recording process (a fresh interpreter, still inside the sandbox)."""
    import subprocess

    record_file = os.path.join(os.path.dirname(job["answers_dir"]), "record.jsonl")
    rjob = {"exercise": job["exercise"], "names": job["names"],
            "answers_dir": job["answers_dir"], "record": record_file,
            "question_timeout": job["question_timeout"]}
    job_file = record_file + ".job"
    _write_json(job_file, rjob)
    limit = float(job["question_timeout"]) * (int(job.get("n_questions", 1)) + 1) + 60
    log_file = record_file + ".log"
    with open(log_file, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-P", "-m", "mlserving_lab.course._grade_worker",
                                 "record", job_file], cwd=job["work_dir"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait()
            code = None
    lines = []
    if os.path.exists(record_file):
        with open(record_file, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
    with open(log_file, "rb") as fh:
        tail = fh.read()[-2000:].decode("utf-8", "replace")
    return {"record": lines, "record_exit": code, "record_log": tail,
            "record_limit": limit}


# -- record (in the sandbox) -------------------------------------------------------------------
class _QuestionTimeout(BaseException):
    """Raised by the alarm; a BaseException so checkers' `except Exception` cannot swallow it."""


def _on_alarm(signum, frame):
    raise _QuestionTimeout()


def _helper_name(fn) -> str:
    return f"helper:{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}"


def _needs_recording(tree) -> bool:
    """Does a question's answer call for the sandbox: a function, or a path to files there?"""
    if isinstance(tree, dict):
        return tree.get("$t") in ("function", "path") or any(
            _needs_recording(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_needs_recording(v) for v in tree)
    return isinstance(tree, str) and tree.startswith("/")


class _Recorder:
    """``core.call`` in record mode: run the learner's function, keep its output as data."""

    def __init__(self):
        self.by_id: dict[int, str] = {}
        self.by_name: dict[str, object] = {}
        self.calls: dict[str, dict] = {}
        self.prefix = ""

    def name_of(self, fn):
        return self.by_id.get(id(fn))

    def assign(self, fn):
        name = self.by_id.get(id(fn))
        if name is None:
            name = self.prefix if self.prefix not in self.by_name else \
                f"{self.prefix}#{len(self.by_name)}"
            self.by_id[id(fn)] = name
            self.by_name[name] = fn
        return name

    def __call__(self, fn, args, kwargs, helper=False):
        from mlserving_lab.course.exercises import core
        from mlserving_lab.course.transport import Refusal, decode, digest, encode

        if helper:
            name = _helper_name(fn)
        else:
            name = self.name_of(fn)
            if name is None:
                return core._invoke(fn, args, kwargs)
        key = digest((name, list(args), dict(kwargs)), function_name=self.name_of)
        try:
            out = fn(*args, **kwargs) if helper else core._invoke(fn, args, kwargs)
        except (core.Incorrect, core.NotAttempted, core.LearnerCodeError) as exc:
            rec = {"raise": type(exc).__name__, "message": str(exc)}
            if isinstance(exc, core.LearnerCodeError) and exc.__cause__ is not None:
                try:  # the learner's own exception, when it is a library or builtin type
                    rec["cause"] = encode(exc.__cause__)
                except (Refusal, RecursionError):
                    pass
            self.calls[key] = rec
            raise
        if core.is_placeholder(out):
            self.calls[key] = {"placeholder": True}
            return out
        try:
            tree = encode(out, function_name=self.assign)
        except (Refusal, RecursionError) as exc:
            msg = (f"what your files hold cannot be graded: {exc}" if helper else
                   f"`{getattr(fn, '__name__', name)}` returned something the grader cannot "
                   f"accept: {exc}")
            self.calls[key] = {"raise": "Incorrect", "message": msg}
            raise core.Incorrect(msg) from None
        self.calls[key] = {"out": tree}
        return decode(tree, function=self.by_name.__getitem__)


def run_record(job: dict) -> int:
    """Load the answers (learner objects: only ever in the sandbox), encode them as data, and
    run the checkers once in record mode; their verdicts are ignored."""
    import pickle

    from mlserving_lab.course.exercises import core
    from mlserving_lab.course.transport import Refusal, decode, encode

    out_fd = os.open(job["record"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def emit(record: dict) -> None:
        os.write(out_fd, (json.dumps(record) + "\n").encode("utf-8"))

    exercise = core.load_exercise(job["exercise"])
    sys.path.append(os.getcwd())
    signal.signal(signal.SIGALRM, _on_alarm)
    limit = float(job["question_timeout"])
    recorder = _Recorder()
    notes, trees, namespace = {}, {}, {}
    answers_dir = Path(job["answers_dir"])
    for name in job["names"]:
        path = answers_dir / f"{name}.pkl"
        if not path.exists():
            continue
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            with open(path, "rb") as fh:
                value = pickle.load(fh)
            recorder.prefix = name
            if core.is_placeholder(value):
                trees[name] = {"$t": "placeholder"}
                namespace[name] = value
            else:
                trees[name] = encode(value, function_name=recorder.assign)
                namespace[name] = decode(trees[name], function=recorder.by_name.__getitem__)
        except _QuestionTimeout:
            notes[name] = f"Not graded: loading `{name}` took longer than {limit:g} s."
        except (Refusal, RecursionError) as exc:
            trees[name] = {"$t": "refused", "reason": _short(exc, 300)}
        except BaseException as exc:  # noqa: BLE001 - a learner object may raise anything
            notes[name] = (f"Not graded: `{name}` could not be loaded for grading: "
                           f"{type(exc).__name__}: {_short(exc, 120)}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    emit({"kind": "answers", "answers": trees, "notes": notes})
    core._CALL_HOOK = recorder
    for q in exercise.questions:
        if not any(_needs_recording(trees.get(n)) for n in q.answers) or any(
                n not in namespace for n in q.answers):
            continue
        emit({"kind": "start", "question": q.name})
        recorder.calls = {}
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            core.Exercise(exercise.name, [q]).grade_namespace(namespace)
        except _QuestionTimeout:
            emit({"kind": "timeout", "question": q.name})
            continue
        except BaseException as exc:  # noqa: BLE001 - e.g. SystemExit from learner code
            emit({"kind": "aborted", "question": q.name,
                  "message": f"{type(exc).__name__}: {_short(exc, 160)}"})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        emit({"kind": "recorded", "question": q.name, "calls": recorder.calls})
    emit({"kind": "done"})
    os.close(out_fd)
    return 0


# -- grade (trusted) -------------------------------------------------------------------------
class _NotRecorded(BaseException):
    """A replay miss for a question the sandbox never reached (not the learner's fault)."""


class _Replayer:
    """``core.call`` in replay mode: the learner's outputs, as recorded in the sandbox."""

    def __init__(self, calls: dict, statuses: dict):
        self.calls = calls
        self.statuses = statuses
        self.question = None

    @staticmethod
    def _name(value):
        from mlserving_lab.course.exercises.core import LearnerFunction

        return value.name if isinstance(value, LearnerFunction) else None

    def __call__(self, fn, args, kwargs, helper=False):
        from mlserving_lab.course.exercises import core
        from mlserving_lab.course.transport import Refusal, decode, digest

        if helper:
            name = _helper_name(fn)
        elif isinstance(fn, core.LearnerFunction):
            name = fn.name
        else:
            return core._invoke(fn, args, kwargs)
        key = digest((name, list(args), dict(kwargs)), function_name=self._name)
        rec = self.calls.get(key)
        if rec is None:
            if self.statuses.get(self.question) != "recorded":
                raise _NotRecorded()
            what = "read your files" if helper else f"re-run your function `{fn.__name__}`"
            raise core.Incorrect(
                f"could not {what} on the checker's rows: the sandbox never did it with "
                "these arguments (did your notebook change the checkers?)")
        if "raise" in rec:
            cls = {"Incorrect": core.Incorrect, "NotAttempted": core.NotAttempted}.get(
                rec["raise"], core.LearnerCodeError)
            err = cls(str(rec.get("message", "")))
            if "cause" in rec:
                try:
                    err.__cause__ = decode(rec["cause"])
                except (Refusal, RecursionError, TypeError):
                    pass
            raise err
        if rec.get("placeholder"):
            return core.____
        try:
            return decode(rec.get("out"), function=core.LearnerFunction)
        except (Refusal, RecursionError) as exc:
            raise core.Incorrect(f"`{fn.__name__}` returned something the grader cannot "
                                 f"accept: {exc}") from None


def run_grade(job: dict) -> int:
    """The trusted grader: answers and recorded outputs are DATA; no learner code runs here."""
    _limit_memory(job.get("max_memory_mb"))
    out_fd = os.open(job["results"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def emit(record: dict) -> None:
        os.write(out_fd, (json.dumps(record) + "\n").encode("utf-8"))

    from mlserving_lab.course.exercises import core
    from mlserving_lab.course.transport import Refusal, Refused, decode

    bundle = json.loads(Path(job["bundle"]).read_text(encoding="utf-8"))
    exercise = core.load_exercise(job["exercise"])
    signal.signal(signal.SIGALRM, _on_alarm)
    limit = float(job["question_timeout"])
    load_notes = {name: f"Not graded: `{name}` {note}."
                  for name, note in job.get("notes", {}).items()}
    load_notes.update(bundle.get("notes", {}))
    namespace = {}
    for name, tree in bundle.get("answers", {}).items():
        if name not in job["names"]:
            continue
        if isinstance(tree, dict) and tree.get("$t") == "placeholder":
            namespace[name] = core.____
            continue
        if isinstance(tree, dict) and tree.get("$t") == "refused":
            namespace[name] = Refused(str(tree.get("reason", "")))
            continue
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            namespace[name] = decode(tree, function=core.LearnerFunction)
        except (Refusal, RecursionError) as exc:
            namespace[name] = Refused(_short(exc, 300))
        except _QuestionTimeout:
            load_notes[name] = f"Not graded: loading `{name}` took longer than {limit:g} s."
        except Exception as exc:  # noqa: BLE001 - malformed data
            namespace[name] = Refused(f"malformed data ({type(exc).__name__})")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    replayer = _Replayer(bundle.get("calls", {}), bundle.get("statuses", {}))
    core._CALL_HOOK = replayer
    emit({"kind": "loaded", "notes": load_notes})
    for q in exercise.questions:
        emit({"kind": "start", "question": q.name})
        replayer.question = q.name
        refused = [(n, namespace[n]) for n in q.answers if isinstance(namespace.get(n), Refused)]
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            if refused:
                result = q._result(core.INCORRECT, " ".join(
                    f"`{n}` was refused for grading: {r.reason}." for n, r in refused),
                    []).to_dict()
            else:
                result = core.Exercise(exercise.name, [q]).grade_namespace(namespace)[0].to_dict()
        except _NotRecorded:
            result = {"question": q.name, "outcome": "error", "points": 0.0,
                      "max_points": q.points, "not_recorded": True,
                      "message": "Not graded: the grading process stopped before this "
                                 "question."}
        except _QuestionTimeout:
            result = {"question": q.name, "outcome": "error", "points": 0.0,
                      "max_points": q.points, "timed_out": True,
                      "message": f"Grading stopped: checking this question took longer than "
                                 f"{limit:g} s."}
        except BaseException as exc:  # noqa: BLE001
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
    commands = {"sandboxed": run_sandboxed, "record": run_record, "grade": run_grade}
    if len(argv) != 2 or argv[0] not in commands:
        print("usage: python -P -m mlserving_lab.course._grade_worker "
              "{sandboxed,record,grade} JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    return commands[argv[0]](job)


if __name__ == "__main__":
    sys.exit(main())
