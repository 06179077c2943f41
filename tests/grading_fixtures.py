"""Build grading fixture submissions from the committed notebooks, with their expected grades.

Nothing here is committed as a notebook: every fixture is derived at test time from
``solutions/`` and ``notebooks/`` (so it never drifts from them):

* **correct**: the solution notebook minus its instructor cells, with the learner notebook's
  metadata (which names the exercise);
* **blank**: the learner notebook as released;
* everything else edits one of those two in a known way (see :func:`build_start_here_set`).

The detailed set uses lesson ``00_start_here`` (exercise ``l00_start_here``: q1 1 point,
q2 1 point, q3 2 points), whose cells are found by the ``qN.check(...)`` call they contain,
so a change to that notebook breaks the builder loudly instead of silently.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from mlserving_lab.course.release import INSTRUCTOR_TAG, exercise_for, learner_version

ROOT = Path(__file__).resolve().parents[1]
START_HERE = "00_start_here"

# Short limits for the fixture batch (the defaults are minutes).
TIMEOUT = 10.0          # notebook budget: the infinite-loop fixtures hit it
#: The slowest fixtures (they wait for a timeout); grade them first to pack the batch.
SLOW = ("loop_ignores_interrupt", "infinite_loop", "checker_loops")
CHECK_TIMEOUT = 5.0     # per question in the grading process
MAX_MEMORY_MB = 3072    # the memory fixture runs into this cap


@dataclass(frozen=True)
class Expected:
    """What grading one fixture must produce.

    ``outcomes`` maps question -> outcome; ``reason`` and ``messages`` (question -> text) are
    regular expressions searched in the gradebook's ``reason`` and the feedback messages.
    """

    score: float
    status: str
    outcomes: dict = field(default_factory=dict)
    reason: str | None = None
    messages: dict = field(default_factory=dict)


# -- building blocks ---------------------------------------------------------------------------
def solution_notebook(stem: str):
    return nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)


def correct_notebook(stem: str):
    """The solution minus instructor cells, carrying the release metadata (the exercise)."""
    sol = solution_notebook(stem)
    nb = copy.deepcopy(sol)
    nb.cells = [c for c in nb.cells if INSTRUCTOR_TAG not in c.metadata.get("tags", [])]
    nb.metadata = learner_version(sol, name=stem).metadata
    return nb


def blank_notebook(stem: str):
    """The learner notebook exactly as committed in notebooks/."""
    return nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)


def exercise_stems() -> list[str]:
    """Stems of every graded exercise notebook (``exN_*``) whose exercise module exists."""
    import importlib.util

    stems = []
    for path in sorted((ROOT / "solutions").glob("ex*.ipynb")):
        module = f"mlserving_lab.course.exercises.{exercise_for(path.stem)}"
        if (ROOT / "notebooks" / path.name).exists() and importlib.util.find_spec(module):
            stems.append(path.stem)
    return stems


def _find(nb, text: str) -> int:
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source]
    if len(hits) != 1:
        raise LookupError(f"expected exactly one code cell containing {text!r}, found "
                          f"{len(hits)}: has {START_HERE} changed?")
    return hits[0]


def _set_answer(nb, check_call: str, code: str):
    """Replace the answer cell that contains ``check_call`` with ``code`` + the call."""
    nb.cells[_find(nb, check_call)].source = f"{code}\n{check_call}"
    return nb


def _insert_after(nb, check_call: str, code: str, tags=()):
    cell = new_code_cell(code)
    if tags:
        cell.metadata["tags"] = list(tags)
    nb.cells.insert(_find(nb, check_call) + 1, cell)
    return nb


def _append(nb, code: str, tags=()):
    cell = new_code_cell(code)
    if tags:
        cell.metadata["tags"] = list(tags)
    nb.cells.append(cell)
    return nb


Q1, Q2, Q3 = "q1.check(mean_ms)", "q2.check(p50_ms, p99_ms)", "q3.check(within_budget)"
ALL = ("q1", "q2", "q3")


def _all(outcome):
    return dict.fromkeys(ALL, outcome)


# -- the start-here set ----------------------------------------------------------------------
TAMPER_NOTEBOOK = '''
# Tampering inside the notebook: none of this reaches the grading process.
import mlserving_lab
from mlserving_lab.course.exercises import core

def _always(self, *answers, hidden=False):
    return core.CheckResult(self.name, "correct", "pwned", points=self.points,
                            max_points=self.points, exercise=self.exercise)

core.Question.evaluate = _always
core.Question.grade = _always
core.Exercise.grade_namespace = lambda self, ns: [_always(q) for q in self.questions]
core.load_exercise = lambda name: None
q1.check = lambda *answers: print("Correct!")
q2.checker = lambda *answers: None
mlserving_lab.course.exercises.l00_start_here.q3.points = 100
print(q1.check(mean_ms), q2.check(p50_ms, p99_ms).outcome)
'''

LIAR_ANSWERS = '''
class AlwaysEqual(float):
    """A number that claims to equal anything."""
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = float.__hash__

class Anything:
    def __eq__(self, other):
        return True
    def __float__(self):
        return 0.0

mean_ms = AlwaysEqual(0.0)
p50_ms, p99_ms = AlwaysEqual(1.0), AlwaysEqual(2.0)

def within_budget(latencies_ms, budget_ms):
    return Anything()
'''

CHECK_TIME_TAMPER = '''
class Sneaky(float):
    """Patches the grader when the checker converts it to a number."""
    def __float__(self):
        from mlserving_lab.course.exercises import core
        def _always(self, *answers, hidden=False):
            return core.CheckResult(self.name, "correct", "pwned", points=self.points,
                                    max_points=self.points, exercise=self.exercise)
        core.Question.evaluate = _always
        core.Question.grade = _always
        return 0.0

mean_ms = Sneaky(1.0)
'''

NOISY = '''
import logging
import sys
import warnings

for i in range(200):
    warnings.warn(f"deprecated thing {i}", DeprecationWarning)
    warnings.warn(f"user warning {i}", UserWarning)
for i in range(500):
    print(f"stderr line {i}", file=sys.stderr)
logging.getLogger("noise").warning("a logged warning")
'''

NOISY_Q3 = '''
import sys
import warnings

def within_budget(latencies_ms, budget_ms):
    warnings.warn("within_budget is noisy", RuntimeWarning)
    print("checking within_budget", file=sys.stderr)
    latencies_ms = np.asarray(latencies_ms, dtype=float)
    if latencies_ms.size == 0:
        return 0.0
    return float(np.mean(latencies_ms <= budget_ms))
'''

# np.empty reserves address space without touching it: the cap refuses it just as it would
# refuse touched memory, without making the test machine page 3 GB in.
UNPICKLABLE = '''
class Unsaveable(float):
    def __reduce__(self):
        raise TypeError("this number refuses to be pickled")

def _explode():
    raise RuntimeError("boom while loading")

class Unloadable(float):
    def __reduce__(self):
        return (_explode, ())

mean_ms = Unsaveable(float(np.mean(LATENCIES_MS)))
p50_ms, p99_ms = Unloadable(1.0), Unloadable(2.0)
'''

MEMORY_HOG = '''
import numpy as np

def fill_memory():
    hog = []
    while True:                     # 256 MB at a time until the cap says no
        hog.append(np.empty(2**25))

fill_memory()
'''


def build_start_here_set(folder) -> dict[str, Expected]:
    """Write the fixture submissions for ``00_start_here`` into ``folder``.

    Returns
    -------
    dict
        ``{student (file stem): Expected}`` for one batch graded with :data:`TIMEOUT`,
        :data:`CHECK_TIMEOUT` and :data:`MAX_MEMORY_MB` and no ``--exercise``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = START_HERE
    good = lambda: correct_notebook(stem)  # noqa: E731
    blank = lambda: blank_notebook(stem)  # noqa: E731
    expected: dict[str, Expected] = {}
    notebooks = {}

    def add(name, nb, exp):
        notebooks[name] = nb
        expected[name] = exp

    add("correct", good(), Expected(4, "ok", _all("correct"), r"^$"))
    add("correct_again", good(), Expected(4, "ok", _all("correct"), r"^$"))
    add("blank", blank(), Expected(0, "ok", _all("not_attempted"),
                                   messages={"q1": r"replace `____`"}))

    nb = good()
    nb.cells[_find(nb, Q2)] = copy.deepcopy(blank().cells[_find(blank(), Q2)])
    add("partly_right", nb, Expected(3, "ok", {"q1": "correct", "q2": "not_attempted",
                                               "q3": "correct"}))

    nb = good()
    _set_answer(nb, Q1, "mean_ms = float(np.median(LATENCIES_MS))")
    _set_answer(nb, Q2, "p50_ms, p99_ms = float(np.median(LATENCIES_MS)), max(LATENCIES_MS)")
    _set_answer(nb, Q3, "def within_budget(latencies_ms, budget_ms):\n"
                        "    return float(np.mean(np.asarray(latencies_ms) < budget_ms))")
    add("wrong_known", nb, Expected(0, "ok", _all("incorrect"), messages={
        "q1": r"is the median, not the mean", "q2": r"is the maximum",
        "q3": r"exactly the budget"}))

    add("tamper_notebook", _append(blank(), TAMPER_NOTEBOOK),
        Expected(0, "ok", _all("not_attempted"), r"^$"))

    nb = blank()
    _set_answer(nb, Q1, LIAR_ANSWERS)
    _set_answer(nb, Q2, "")
    _set_answer(nb, Q3, "")
    add("always_equal", nb, Expected(0, "ok", _all("incorrect"), messages={
        "q1": r"does not match",
        # Only data crosses to the grader: an object of the learner's own class is refused.
        "q3": r"class defined in your notebook \(`Anything`\)"}))

    nb = blank()
    nb.cells.insert(_find(nb, Q1), new_code_cell(CHECK_TIME_TAMPER))
    _set_answer(nb, Q1, "")  # keep the Sneaky mean_ms (no `mean_ms = ____` after it)
    # Its __float__ never runs in the grader: the answer crosses as the plain float 1.0.
    add("tamper_at_check_time", nb, Expected(
        0, "ok", {"q1": "incorrect", "q2": "not_attempted", "q3": "not_attempted"},
        reason=r"^$"))

    add("infinite_loop", _insert_after(good(), Q1, "while True:\n    pass"),
        Expected(1, "timeout", {"q1": "correct", "q2": "not_attempted",
                                "q3": "not_attempted"},
                 reason=r"stopped after 10 s", messages={"q2": r"was not defined"}))

    add("loop_ignores_interrupt", _insert_after(good(), Q1, (
        "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n"
        "    except KeyboardInterrupt:\n        pass")),
        Expected(0, "timeout", _all("not_attempted"),
                 reason=r"did not respond to the interrupt"))

    add("crash_exit", _insert_after(good(), Q1, "import os\nos._exit(1)"),
        Expected(0, "kernel died", _all("not_attempted"), reason=r"kernel died",
                 messages={"q1": r"none of your variables could be collected"}))

    add("segfault", _insert_after(good(), Q2, "import ctypes\nctypes.string_at(0)"),
        Expected(0, "kernel died", _all("not_attempted"), reason=r"kernel died",
                 messages={"q1": r"none of your variables could be collected"}))

    add("memory_blowup", _insert_after(good(), Q1, MEMORY_HOG),
        Expected(4, "ok", _all("correct"), reason=r"MemoryError"))

    nb = good()
    _set_answer(nb, Q1, UNPICKLABLE)
    _set_answer(nb, Q2, "")
    add("unpicklable_answers", nb, Expected(
        2, "ok", {"q1": "not_attempted", "q2": "not_attempted", "q3": "correct"},
        reason=r"`mean_ms` could not be saved: TypeError: this number refuses",
        messages={"q1": r"Not graded: `mean_ms` could not be saved",
                  "q2": r"could not be loaded for grading: RuntimeError: boom while loading"}))

    nb = good()
    del nb.cells[_find(nb, Q2)]
    add("missing_variables", nb, Expected(3, "ok", {"q1": "correct", "q2": "not_attempted",
                                                    "q3": "correct"},
                                          messages={"q2": r"`p50_ms`, `p99_ms` was not defined"}))

    add("cell_raises", _insert_after(good(), Q1, "raise ValueError('a bug in my scratch cell')"),
        Expected(4, "ok", _all("correct"), reason=r"raised ValueError: a bug in my scratch"))

    nb = _insert_after(good(), Q1, NOISY)
    _set_answer(nb, Q3, NOISY_Q3)
    add("noisy", nb, Expected(4, "ok", _all("correct"), r"^$"))

    # Hangs only outside a kernel, i.e. in the grading process (like a function that loops
    # on the hidden checks' data), so the notebook itself finishes quickly.
    add("checker_loops", _set_answer(good(), Q3, (
        "import sys\n\n"
        "def within_budget(latencies_ms, budget_ms):\n"
        "    while 'ipykernel' not in sys.modules:\n        pass\n"
        "    return float(np.mean(np.asarray(latencies_ms) <= budget_ms)) "
        "if len(latencies_ms) else 0.0")),
        Expected(2, "timeout", {"q1": "correct", "q2": "correct", "q3": "error"},
                 reason=r"^checking q3 took longer than 5 s$",
                 messages={"q3": r"longer than 5 s"}))

    # Kills the grading process (only there, not in the kernel) while q3 is checked.
    add("checker_exits", _set_answer(good(), Q3, (
        "import os\nimport sys\n\n"
        "def within_budget(latencies_ms, budget_ms):\n"
        "    if 'ipykernel' not in sys.modules:\n        os._exit(3)\n"
        "    return float(np.mean(np.asarray(latencies_ms) <= budget_ms)) "
        "if len(latencies_ms) else 0.0")),
        Expected(2, "error", {"q1": "correct", "q2": "correct", "q3": "error"},
                 reason=r"^the grading process stopped \(exit 3\).* while checking q3$",
                 messages={"q3": r"Not graded: the grading process stopped \(exit 3\)"}))

    add("leftover_instructor_cell", _append(
        good(), "mean_ms = 'replaced by an instructor cell'\nraise SystemExit",
        tags=[INSTRUCTOR_TAG]), Expected(4, "ok", _all("correct")))

    nb = good()
    nb.metadata.pop("mlserving_lab")
    add("no_metadata", nb, Expected(0, "error", reason=r"does not say which exercise"))

    nb = good()
    nb.metadata["mlserving_lab"]["exercise"] = "ex9_no_such_exercise"
    add("unknown_exercise", nb, Expected(0, "error", reason=r"unknown exercise"))

    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "empty.ipynb").write_text("")
    (folder / "truncated.ipynb").write_text(
        nbformat.writes(good())[:300])
    (folder / "not_a_notebook.ipynb").write_text('{"hello": "world"}')
    expected["empty"] = Expected(0, "invalid notebook", reason=r"empty")
    expected["truncated"] = Expected(0, "invalid notebook", reason=r"not valid notebook JSON")
    expected["not_a_notebook"] = Expected(0, "invalid notebook",
                                          reason=r"not a Jupyter notebook")
    return expected


def build_exercise_flag_set(folder) -> dict[str, Expected]:
    """Fixtures graded with ``--exercise l00_start_here`` (the metadata may disagree)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nb = correct_notebook(START_HERE)
    nb.metadata["mlserving_lab"]["exercise"] = "ex2_skew_prevention"
    nbformat.write(nb, folder / "wrong_exercise.ipynb")
    nb = correct_notebook(START_HERE)
    nb.metadata.pop("mlserving_lab")
    nbformat.write(nb, folder / "no_metadata_flagged.ipynb")
    return {
        "wrong_exercise": Expected(0, "error", reason=r"^wrong exercise: this notebook is "
                                                      r"'ex2_skew_prevention'"),
        "no_metadata_flagged": Expected(4, "ok", _all("correct")),
    }


def build_exercise_pairs(folder) -> dict[str, tuple[str, Expected]]:
    """The correct and the blank submission of every exercise notebook that exists.

    Returns
    -------
    dict
        ``{student: (exercise name, Expected)}``; outcomes are filled in by the test from the
        exercise's questions (all correct, or all not attempted).
    """
    from mlserving_lab.course.exercises import load_exercise

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for stem in exercise_stems():
        ex = load_exercise(exercise_for(stem))
        names = [q.name for q in ex.questions]
        nbformat.write(correct_notebook(stem), folder / f"{stem}__correct.ipynb")
        nbformat.write(blank_notebook(stem), folder / f"{stem}__blank.ipynb")
        out[f"{stem}__correct"] = (ex.name, Expected(ex.max_score, "ok",
                                                     dict.fromkeys(names, "correct"), r"^$"))
        out[f"{stem}__blank"] = (ex.name, Expected(0, "ok",
                                                   dict.fromkeys(names, "not_attempted"), r"^$"))
    return out


def processes_of_batch(batch_id: str) -> list[str]:
    """``pid: cmdline`` of every live process whose environment names this grading batch."""
    import os

    found = []
    needle = f"MLSERVING_GRADE_BATCH={batch_id}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and stat.rsplit(")", 1)[-1].split()[0] != "Z":
            text = cmdline.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry}: {text}")
    return found
