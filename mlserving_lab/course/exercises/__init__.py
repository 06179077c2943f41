"""Exercises and check-yourself questions for every notebook.

``from mlserving_lab.course.exercises.ex1_optimization_benchmark import q1`` gives a question; call
``q1.check(...)``, ``q1.hint()`` or ``q1.solution()``. The framework lives in :mod:`.core`;
everything it exports is available here too.
"""

from mlserving_lab.course.exercises import core
from mlserving_lab.course.exercises.core import *  # noqa: F403  (re-export the framework)

__all__ = list(core.__all__)
