"""Instructor-only course material: hidden grading checks and the solution texts.

* ``<exercise>.py`` (for example ``ex1_optimization_benchmark.py``) defines ``HIDDEN``, a
  ``{question name: (check, ...)}`` mapping. Each check takes the question's answers, like its
  public checker, and runs only when a submission is graded
  (:meth:`mlserving_lab.course.exercises.core.Question.grade`).
* ``solutions/<exercise>.json`` maps each question to the code of its solution notebook, as
  ``mlserving-lab release`` extracted it. ``q.solution()`` shows it.

A student release (``mlserving-lab release --student``) builds the package without this
sub-package. The questions then still check, hint and run, ``q.solution()`` says that solutions
are not part of the release, and ``mlserving-lab grade`` refuses.
"""

#: This install can grade: the hidden checks are here. (A ``--with-solutions`` student wheel
#: replaces this file with one that says False.)
GRADING = True
