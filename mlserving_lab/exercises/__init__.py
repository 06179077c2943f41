"""Exercises and check-yourself questions for every notebook.

``from mlserving_lab.exercises.ex1_optimization_benchmark import q1`` gives a question; call
``q1.check(...)``, ``q1.hint()`` or ``q1.solution()``. The framework lives in :mod:`.core`.
"""

from mlserving_lab.exercises.core import (
    CORRECT,
    ERROR,
    INCORRECT,
    NOT_ATTEMPTED,
    OUTCOMES,
    CheckResult,
    Exercise,
    Incorrect,
    LearnerCodeError,
    NotAttempted,
    Question,
    ____,
    assert_check_failed,
    assert_check_passed,
    available_exercises,
    call,
    expect_number,
    is_placeholder,
    load_exercise,
)

__all__ = [
    "CORRECT",
    "ERROR",
    "INCORRECT",
    "NOT_ATTEMPTED",
    "OUTCOMES",
    "CheckResult",
    "Exercise",
    "Incorrect",
    "LearnerCodeError",
    "NotAttempted",
    "Question",
    "____",
    "assert_check_failed",
    "assert_check_passed",
    "available_exercises",
    "call",
    "expect_number",
    "is_placeholder",
    "load_exercise",
]
