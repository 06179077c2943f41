"""The check / hint / solution framework behind every notebook question.

Each question is one declarative :class:`Question`: the names of the learner's variables it
grades, a checker, a hint, a solution (code text) and its points. Learners pass their answers
explicitly::

    q1.check(table, choice)

and get one of four outcomes: ``correct``, ``incorrect``, ``not_attempted`` (a ``____``
placeholder is still there) or ``error`` (their own code raised; the message quotes their
line). Warnings and anything printed to stderr never change the outcome.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import math
import numbers
import os
import pkgutil
import re
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CORRECT",
    "ERROR",
    "INCORRECT",
    "INSTRUCTOR_PACKAGE",
    "NOT_ATTEMPTED",
    "OUTCOMES",
    "RESULT_MIMETYPE",
    "CheckResult",
    "Exercise",
    "Incorrect",
    "LearnerCodeError",
    "LearnerFunction",
    "NotAttempted",
    "Question",
    "____",
    "assert_check_failed",
    "assert_check_passed",
    "available_exercises",
    "call",
    "expect_number",
    "grading_supported",
    "hidden_checks",
    "instructor_material_installed",
    "is_placeholder",
    "load_exercise",
    "on_learner_side",
    "solution_text",
    "solution_texts_path",
]

CORRECT = "correct"
INCORRECT = "incorrect"
NOT_ATTEMPTED = "not_attempted"
ERROR = "error"
OUTCOMES = (CORRECT, INCORRECT, NOT_ATTEMPTED, ERROR)

#: Extra MIME type in each displayed result, so tests and tools can read outcomes from an
#: executed notebook without scraping HTML.
RESULT_MIMETYPE = "application/vnd.mlserving-lab.result+json"

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Placeholder:
    """The ``____`` left in learner notebooks. Checking it reports *not attempted*."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "____"

    def __reduce__(self):
        # Pickles as a reference to the module-level singleton, so it survives the grader's
        # round trip and is still recognised as the placeholder.
        return "____"


____ = _Placeholder()


def is_placeholder(value) -> bool:
    """True when ``value`` is the ``____`` placeholder."""
    return value is ____ or isinstance(value, _Placeholder)


class Incorrect(Exception):
    """Raise inside a checker to mark the answer incorrect; the text is shown to the learner."""


class NotAttempted(Exception):
    """Raise inside a checker when the learner has not answered yet."""


class LearnerCodeError(Exception):
    """The learner's own code raised; ``str(self)`` quotes their line."""


def _learner_frame(tb) -> traceback.FrameSummary | None:
    """The innermost traceback frame that belongs to the learner's code, not to a library."""
    frames = traceback.extract_tb(tb)
    for frame in reversed(frames):
        path = os.path.abspath(frame.filename)
        if path.startswith(_PACKAGE_DIR):
            continue
        if "site-packages" in path or "dist-packages" in path or f"{os.sep}lib{os.sep}python" in path:
            continue
        return frame
    return None


def _describe_exception(exc: BaseException, *, own_code: bool) -> str:
    name = type(exc).__name__
    text = str(exc).strip() or "(no message)"
    lead = "Your code raised" if own_code else "Checking your answer raised"
    msg = f"{lead} `{name}`: {text}"
    frame = _learner_frame(exc.__traceback__)
    if frame is not None and frame.line:
        where = f"in `{frame.name}`" if frame.name not in ("<module>", "") else "in your cell"
        msg += f"\n\n{where}, line {frame.lineno}: `{frame.line.strip()}`"
    return msg


class LearnerFunction:
    """Stands in, in the trusted grader, for a function defined in the learner's notebook.

    The learner's code never runs in the grading process: calling this (directly or through
    :func:`call`) returns what the learner's function returned for the same arguments inside
    the submission's sandbox, replayed from the recording (see
    :mod:`mlserving_lab.course._grade_worker`).
    """

    def __init__(self, name: str):
        self.name = str(name)
        self.__name__ = self.__qualname__ = self.name.split("#")[0]

    def __call__(self, *args, **kwargs):
        return call(self, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<your function {self.__name__}>"


#: Set by the grading worker: ``hook(fn, args, kwargs)`` replaces the plain call (record mode
#: in the sandbox, replay mode in the trusted grader). ``None`` in a learner's notebook.
_CALL_HOOK = None


def _invoke(fn, args, kwargs):
    """Call ``fn`` as :func:`call` does (no hook); learner exceptions become LearnerCodeError."""
    if not callable(fn):
        raise Incorrect(f"expected a function, got {type(fn).__name__} `{fn!r:.60}`")
    try:
        return fn(*args, **kwargs)
    except (Incorrect, NotAttempted, LearnerCodeError):
        raise
    except Exception as exc:
        raise LearnerCodeError(_describe_exception(exc, own_code=True)) from exc


def call(fn, *args, **kwargs):
    """Call a learner's function from inside a checker.

    Every checker calls learner functions through this, so that grading can run them in the
    submission's sandbox and replay their outputs, as data, in the trusted grader.

    Parameters
    ----------
    fn : callable
        The learner's function.
    *args, **kwargs
        Passed through.

    Returns
    -------
    object
        What ``fn`` returned.

    Raises
    ------
    NotAttempted
        If ``fn`` is the placeholder or returns it.
    Incorrect
        If ``fn`` is not callable.
    LearnerCodeError
        If the learner's code raised; the message quotes the learner's line.
    """
    if is_placeholder(fn):
        raise NotAttempted("the function is still the `____` placeholder")
    hook = _CALL_HOOK
    out = hook(fn, args, kwargs, helper=False) if hook is not None else _invoke(fn, args, kwargs)
    if is_placeholder(out):
        name = getattr(fn, "__name__", "your function")
        raise NotAttempted(f"`{name}` still returns `____`: write its body")
    return out


def _learner_functions(answer) -> list:
    """The learner-written functions in one answer (itself, or the values of a dict/list)."""
    import types

    def is_learner_function(value) -> bool:
        if isinstance(value, LearnerFunction):
            return True
        # Library functions too: an answer may *be* the library's version.
        return isinstance(value, (types.FunctionType, types.MethodType))

    if is_learner_function(answer):
        return [answer]
    items = answer.values() if isinstance(answer, dict) else (
        answer if isinstance(answer, (list, tuple)) else ())
    return [v for v in items if is_learner_function(v)]


def on_learner_side(helper, *args):
    """Run a checker's ``helper(*args)`` where the learner's files are; return its output.

    For checks that read what the learner wrote to disk (an artifact folder): during grading
    the helper runs inside the submission's sandbox, and the trusted checker gets its output
    as data (it must return data: arrays, frames, fitted models of library types, plain
    values). In a notebook it is just ``helper(*args)``.
    """
    hook = _CALL_HOOK
    if hook is None:
        return helper(*args)
    return hook(helper, args, {}, helper=True)


def expect_number(value, name: str, *, unit: str = "", positive: bool = False) -> float:
    """Return ``value`` as a float, or raise :class:`Incorrect` naming the learner's variable.

    Booleans, strings, containers, NaN and infinity are rejected (numpy scalars are fine).

    Parameters
    ----------
    value : object
        The learner's answer.
    name : str
        The variable's name, shown in the message.
    unit : str, optional
        What the number measures, e.g. ``"milliseconds"``, shown in the message.
    positive : bool, default False
        Also require ``value > 0``.

    Examples
    --------
    >>> expect_number(3, "p50_ms")
    3.0
    """
    what = f"a number of {unit}" if unit else "a number"
    if isinstance(value, bool) or type(value).__name__ == "bool_" or not isinstance(
            value, numbers.Real):
        raise Incorrect(f"`{name}` should be {what}, but it is {type(value).__name__} "
                        f"`{value!r:.60}`")
    value = float(value)
    if not math.isfinite(value):
        raise Incorrect(f"`{name}` is {value}; expected a finite number")
    if positive and value <= 0:
        raise Incorrect(f"`{name}` is {value:g}; it must be positive")
    return value


def _md_to_html(text: str) -> str:
    """Tiny markdown subset for messages: `code`, **bold**, paragraphs."""
    out = html.escape(text)
    out = re.sub(r"```(?:python)?\n(.*?)```", r"<pre>\1</pre>", out, flags=re.S)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)
    return out.replace("\n\n", "<br><br>").replace("\n", "<br>")


_STYLE = {
    CORRECT: ("#1a7f37", "#e6f4ea", "Correct"),
    INCORRECT: ("#b3261e", "#fdecea", "Incorrect"),
    NOT_ATTEMPTED: ("#5f6368", "#f1f3f4", "Not attempted"),
    ERROR: ("#b35900", "#fff4e5", "Your code raised an error"),
}


@dataclass
class CheckResult:
    """The result of checking one question.

    Attributes
    ----------
    question : str
        Question name, e.g. ``"q1"``.
    outcome : str
        One of ``"correct"``, ``"incorrect"``, ``"not_attempted"``, ``"error"``.
    message : str
        What the learner should read (markdown).
    points, max_points : float
        Points earned and available.
    exercise : str or None
        The exercise the question belongs to.
    warnings : list of str
        Warnings raised while checking; they never change the outcome.
    """

    question: str
    outcome: str
    message: str
    points: float = 0.0
    max_points: float = 1.0
    exercise: str | None = None
    warnings: list[str] = field(default_factory=list)
    _suppress_next_display: bool = field(default=False, repr=False, compare=False)

    @property
    def correct(self) -> bool:
        return self.outcome == CORRECT

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "question": self.question, "outcome": self.outcome,
                "message": self.message, "points": self.points,
                "max_points": self.max_points, "warnings": list(self.warnings)}

    def _note(self) -> str:
        if not self.warnings:
            return ""
        n = len(self.warnings)
        return (f"\n\n({n} warning{'s' if n > 1 else ''} raised while checking; "
                "warnings never affect the result.)")

    def __str__(self) -> str:
        label = _STYLE[self.outcome][2]
        body = f": {self.message}" if self.message else ""
        return f"[{self.question}] {label}{body}{self._note()}"

    def _repr_html_(self) -> str:
        fg, bg, label = _STYLE[self.outcome]
        pts = f" ({self.points:g}/{self.max_points:g} points)" if self.outcome == CORRECT else ""
        return (f"<div style='border-left:4px solid {fg};background:{bg};padding:6px 10px;"
                f"margin:4px 0'><b style='color:{fg}'>{html.escape(self.question)}: {label}"
                f"{pts}</b><br>{_md_to_html(self.message + self._note())}</div>")

    def _repr_markdown_(self) -> str:
        return f"**{self.question}: {_STYLE[self.outcome][2]}**\n\n{self.message}{self._note()}"

    def _mimebundle(self) -> dict:
        return {"text/plain": str(self), "text/html": self._repr_html_(),
                "text/markdown": self._repr_markdown_(), RESULT_MIMETYPE: self.to_dict()}

    def _ipython_display_(self) -> None:
        # check() already displayed this result; skip the echo of its return value once.
        if self._suppress_next_display:
            self._suppress_next_display = False
            return
        from IPython.display import display

        display(self._mimebundle(), raw=True)


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    return get_ipython() is not None


def _show(obj) -> None:
    if _in_ipython():
        from IPython.display import display

        display(obj, raw=True) if isinstance(obj, dict) else display(obj)
    else:
        print(obj.get("text/plain") if isinstance(obj, dict) else obj)


class Question:
    """One checkable question: what it grades, its checker, hint, solution and points.

    Parameters
    ----------
    name : str
        Short name shown to the learner, e.g. ``"q1"``.
    prompt : str
        What the question asks (markdown).
    answers : sequence of str
        Names of the learner's variables it grades, in the order ``check`` takes them.
    checker : callable
        ``checker(*answers)``; raises :class:`Incorrect` (or :class:`NotAttempted`) or returns
        ``None`` / a success message.
    hint : str
        Markdown shown by :meth:`hint`.
    solution : str, optional
        Code text shown by :meth:`solution`. Leave it out for a course question: ``release``
        writes the solution notebook's own code for each question into
        :mod:`mlserving_lab.course.instructor` (see :func:`solution_text`), and that is what
        :meth:`solution` shows.
    points : float, default 1
    hidden : sequence of callables, optional
        Extra instructor-only checks with the checker's signature; they run only in
        :meth:`grade`. A course question keeps them in its instructor module instead
        (``mlserving_lab.course.instructor.<exercise>.HIDDEN``, see :func:`hidden_checks`),
        which a student release leaves out.

    Examples
    --------
    >>> def checker(p50, p99):
    ...     if p99 < p50:
    ...         raise Incorrect(f"your p99 ({p99} ms) is below your p50 ({p50} ms)")
    >>> q = Question("q1", prompt="Percentiles", answers=("p50", "p99"), checker=checker,
    ...              hint="Sort first.", solution="p50, p99 = 1.0, 2.0")
    >>> q.check(4.0, 3.1).outcome
    [q1] Incorrect: your p99 (3.1 ms) is below your p50 (4.0 ms)
    'incorrect'
    """

    def __init__(self, name: str, *, prompt: str, answers: Sequence[str],
                 checker: Callable, hint: str, solution: str | None = None,
                 points: float = 1,
                 hidden: Sequence[Callable] = ()):
        if isinstance(answers, str):
            answers = (answers,)
        if not answers:
            raise ValueError(f"question {name!r} must grade at least one answer")
        if points <= 0:
            raise ValueError(f"question {name!r}: points must be positive, got {points}")
        self.name = name
        self.prompt = prompt
        self.answers = tuple(answers)
        self.checker = checker
        self._hint = hint
        self._solution = solution
        self.points = float(points)
        self.hidden = tuple(hidden)
        self.exercise: str | None = None

    def __repr__(self) -> str:
        return f"<Question {self.exercise or ''}.{self.name}: {', '.join(self.answers)}>"

    # -- evaluation -------------------------------------------------------------------------
    def _result(self, outcome: str, message: str, caught) -> CheckResult:
        seen: list[str] = []
        for w in caught:
            text = f"{w.category.__name__}: {w.message}"
            if text not in seen:
                seen.append(text)
        if outcome == CORRECT:
            # The headline already says "Correct"; don't repeat it in the body.
            message = re.sub(r"^\s*correct\s*[:!.,-]?\s*", "", message, flags=re.I)
        return CheckResult(self.name, outcome, message,
                           points=self.points if outcome == CORRECT else 0.0,
                           max_points=self.points, exercise=self.exercise, warnings=seen[:10])

    def evaluate(self, *answers, hidden: bool = False) -> CheckResult:
        """Check ``answers`` without displaying anything.

        Parameters
        ----------
        *answers
            The learner's answers, in the order of :attr:`answers`.
        hidden : bool, default False
            Also run the instructor-only hidden checks.

        Returns
        -------
        CheckResult
        """
        if len(answers) != len(self.answers):
            names = ", ".join(self.answers)
            raise TypeError(f"{self.name}.check() takes {len(self.answers)} answer(s) "
                            f"({names}), got {len(answers)}")
        missing = [n for n, a in zip(self.answers, answers, strict=True) if is_placeholder(a)]
        if missing:
            listed = ", ".join(f"`{n}`" for n in missing)
            return self._result(NOT_ATTEMPTED, f"Not attempted yet: replace `____` in {listed} "
                                "with your answer, run the cell, then check again.", [])
        checks = [self.checker, *(self.all_hidden() if hidden else ())]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                message = None
                for checker in checks:
                    out = checker(*answers)
                    if checker is self.checker:
                        message = out
                self._check_own_work(answers)
            except Incorrect as exc:
                return self._result(INCORRECT, str(exc) or "Not quite.", caught)
            except NotAttempted as exc:
                return self._result(NOT_ATTEMPTED, f"Not attempted yet: {exc}", caught)
            except LearnerCodeError as exc:
                return self._result(ERROR, str(exc), caught)
            except Exception as exc:
                own = _learner_frame(exc.__traceback__) is not None
                return self._result(ERROR, _describe_exception(exc, own_code=own), caught)
        return self._result(CORRECT, message or "", caught)

    def _check_own_work(self, answers) -> None:
        """Refuse credit to a learner function that calls the library's version of the answer.

        Runs after the checks pass, so a wrong answer keeps its specific message. The names come
        from :data:`~mlserving_lab.course.exercises.own_work.LIBRARY_VERSIONS`; the look at the
        learner's code runs on the learner's side.
        """
        from mlserving_lab.course.exercises import own_work

        names = own_work.reference_names(self.exercise, self.name)
        if not names:
            return
        for answer_name, answer in zip(self.answers, answers, strict=True):
            for fn in _learner_functions(answer):
                used = on_learner_side(own_work.library_versions_used, fn, tuple(names))
                if used:
                    listed = " and ".join(f"`{n}`" for n in used)
                    label = answer_name if fn is answer else (
                        getattr(fn, "__name__", None) or answer_name)
                    raise Incorrect(
                        f"your `{label}` gives the right answers, but it is or calls {listed}: "
                        "the library's version of what this question asks you to write (the "
                        "cell after the question shows it). Write the mechanism yourself, "
                        "without it, to get the credit.")

    def check(self, *answers) -> CheckResult:
        """Check your answer(s) and show the result.

        Parameters
        ----------
        *answers
            Your answers, in the order this question names them.

        Returns
        -------
        CheckResult
            ``.outcome`` is ``"correct"``, ``"incorrect"``, ``"not_attempted"`` or ``"error"``.
        """
        result = self.evaluate(*answers)
        _show(result._mimebundle())
        result._suppress_next_display = _in_ipython()
        return result

    def all_hidden(self) -> tuple:
        """The hidden checks: those given here plus the instructor module's, if installed."""
        return self.hidden + hidden_checks(self.exercise, self.name)

    def grade(self, *answers) -> CheckResult:
        """Check including the hidden instructor checks, without display (used by grading)."""
        return self.evaluate(*answers, hidden=True)

    def hint(self) -> None:
        """Show a hint."""
        text = f"**Hint ({self.name}):** {self._hint}"
        _show({"text/plain": text, "text/markdown": text})

    def solution_text(self) -> str | None:
        """The reference solution as code, or None when this install has no solutions."""
        if self._solution is not None:
            return self._solution.strip()
        return solution_text(self.exercise, self.name)

    def solution(self) -> None:
        """Show the reference solution as code (the solution notebook's own cells)."""
        text = self.solution_text()
        if text is None:
            msg = (f"Solutions are not part of this release ({self.name}). Use `{self.name}"
                   ".hint()`, and ask your instructor after the deadline.")
            _show({"text/plain": msg, "text/markdown": msg})
            return
        md = f"**Solution ({self.name}):**\n\n```python\n{text}\n```"
        _show({"text/plain": text, "text/markdown": md})


class Exercise:
    """The questions of one notebook.

    Parameters
    ----------
    name : str
        The module name under :mod:`mlserving_lab.course.exercises`, e.g. ``"ex1_optimization_benchmark"``.
    questions : sequence of Question
    """

    def __init__(self, name: str, questions: Sequence[Question]):
        names = [q.name for q in questions]
        if len(set(names)) != len(names):
            raise ValueError(f"exercise {name!r} has duplicate question names: {names}")
        self.name = name
        self.questions = list(questions)
        for q in self.questions:
            q.exercise = name

    def __iter__(self):
        return iter(self.questions)

    def __getitem__(self, name: str) -> Question:
        for q in self.questions:
            if q.name == name:
                return q
        raise KeyError(f"exercise {self.name!r} has no question {name!r}; it has "
                       f"{[q.name for q in self.questions]}")

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def answer_names(self) -> list[str]:
        """Every variable name any question grades, in order, without repeats."""
        seen: list[str] = []
        for q in self.questions:
            seen.extend(n for n in q.answers if n not in seen)
        return seen

    def grade_namespace(self, namespace: dict) -> list[CheckResult]:
        """Grade every question from a ``{variable name: value}`` mapping (hidden checks on).

        A variable that is missing from ``namespace`` makes its question *not attempted*.
        """
        results = []
        for q in self.questions:
            missing = [n for n in q.answers if n not in namespace]
            if missing:
                listed = ", ".join(f"`{n}`" for n in missing)
                results.append(q._result(NOT_ATTEMPTED, f"Not attempted: {listed} was not "
                                         "defined when the notebook finished.", []))
                continue
            results.append(q.grade(*(namespace[n] for n in q.answers)))
        return results


#: Where the instructor-only material lives: ``<package>.<exercise>`` modules with the hidden
#: checks and ``solutions/<exercise>.json`` with the solution texts. A student release leaves
#: the whole package out.
INSTRUCTOR_PACKAGE = "mlserving_lab.course.instructor"


def instructor_material_installed() -> bool:
    """True in the full (instructor) install, False in a student release."""
    try:
        return importlib.util.find_spec(INSTRUCTOR_PACKAGE) is not None
    except ModuleNotFoundError:  # pragma: no cover - parent package missing
        return False


def grading_supported() -> bool:
    """True when this install holds the hidden checks that grading needs."""
    if not instructor_material_installed():
        return False
    return bool(getattr(importlib.import_module(INSTRUCTOR_PACKAGE), "GRADING", False))


def hidden_checks(exercise: str | None, question: str) -> tuple:
    """The hidden checks of ``question`` from its exercise's instructor module.

    Returns ``()`` when the exercise has no instructor module or the install has none.
    """
    if not exercise or not instructor_material_installed():
        return ()
    name = f"{INSTRUCTOR_PACKAGE}.{exercise}"
    if importlib.util.find_spec(name) is None:
        return ()
    hidden = getattr(importlib.import_module(name), "HIDDEN", {})
    return tuple(hidden.get(question, ()))


def solution_texts_path(exercise: str):
    """Path of the solution texts of ``exercise`` (written by ``release``), or None."""
    from pathlib import Path

    if not instructor_material_installed():
        return None
    spec = importlib.util.find_spec(INSTRUCTOR_PACKAGE)
    folder = Path(next(iter(spec.submodule_search_locations))) / "solutions"
    return folder / f"{exercise}.json"


def solution_text(exercise: str | None, question: str) -> str | None:
    """The solution notebook's code for ``question``, as ``release`` recorded it, or None."""
    import json

    path = solution_texts_path(exercise) if exercise else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get(question)


def available_exercises() -> list[str]:
    """Names of every exercise module shipped with the package."""
    import mlserving_lab.course.exercises as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)
                  if re.match(r"^(ex\d+|l\d\d)_", m.name))


def load_exercise(name: str) -> Exercise:
    """Import ``mlserving_lab.course.exercises.<name>`` and return its ``EXERCISE``.

    Raises
    ------
    ValueError
        If there is no such exercise; the message lists the available ones.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or ""):
        raise ValueError(f"{name!r} is not a valid exercise name")
    if importlib.util.find_spec(f"mlserving_lab.course.exercises.{name}") is None:
        raise ValueError(f"unknown exercise {name!r}; available: "
                         f"{', '.join(available_exercises())}")
    module = importlib.import_module(f"mlserving_lab.course.exercises.{name}")
    exercise = getattr(module, "EXERCISE", None)
    if not isinstance(exercise, Exercise):
        raise ValueError(f"mlserving_lab.course.exercises.{name} defines no EXERCISE")
    return exercise


def assert_check_passed(question: Question, *answers) -> None:
    """Assert that ``answers`` pass ``question``, hidden checks included."""
    result = question.grade(*answers)
    if result.outcome != CORRECT:
        raise AssertionError(f"{question.name} should pass but reported {result.outcome}: "
                             f"{result.message}")


def assert_check_failed(question: Question, *answers, match: str | None = None,
                        outcome: str = INCORRECT, hidden: bool = False) -> None:
    """Assert that ``answers`` fail ``question`` with ``outcome`` and a message matching ``match``.

    Parameters
    ----------
    question : Question
    *answers
    match : str, optional
        Regular expression the learner-facing message must contain (``re.search``).
    outcome : str, default "incorrect"
    hidden : bool, default False
        Include the hidden checks (to test a failure only they catch).
    """
    if outcome not in OUTCOMES or outcome == CORRECT:
        raise ValueError(f"outcome must be one of {OUTCOMES[1:]}, got {outcome!r}")
    result = question.evaluate(*answers, hidden=hidden)
    if result.outcome != outcome:
        raise AssertionError(f"{question.name} should report {outcome} but reported "
                             f"{result.outcome}: {result.message}")
    if match is not None and not re.search(match, result.message):
        raise AssertionError(f"{question.name} message does not match {match!r}: "
                             f"{result.message}")
