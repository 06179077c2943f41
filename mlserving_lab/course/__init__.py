"""mlserving_lab.course: the course built on the library.

Everything here exists only for the workbook: the check / hint / solution framework and every
notebook's questions (:mod:`mlserving_lab.course.exercises`), the release that turns
``solutions/`` into learner notebooks, notebook execution, grading, and the ``mlserving-lab``
command line. The library (:mod:`mlserving_lab`) never imports this package.
"""
