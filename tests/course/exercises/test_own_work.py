"""A learner function that calls the library's version of the answer gets no credit."""

from __future__ import annotations

import functools

import nbformat
import pandas as pd
import pytest

from mlserving_lab.course.exercises import core, load_exercise
from mlserving_lab.course.exercises.own_work import (
    LIBRARY_VERSIONS,
    _resolve,
    library_versions_used,
)

MASK = "mlserving_lab.tradeoffs.pareto_mask"
FRONTIER = "mlserving_lab.tradeoffs.pareto_frontier"
NAMES = (MASK, FRONTIER)
TABLE = pd.DataFrame({"accuracy": [0.8, 0.85, 0.9, 0.7], "p50_ms": [0.1, 0.3, 1.0, 0.05],
                      "p99_ms": [0.2, 0.5, 2.0, 0.1]},
                     index=["LogReg", "RF(10)", "GBM(100)", "Tree(d=3)"])


def own_pareto(table):
    names = list(table.index)

    def beats(m, n):
        a, b = table.loc[m], table.loc[n]
        return (a.p99_ms <= b.p99_ms and a.accuracy >= b.accuracy
                and (a.p99_ms < b.p99_ms or a.accuracy > b.accuracy))
    return [n for n in names if not any(beats(m, n) for m in names)]


def test_every_listed_name_resolves_and_belongs_to_a_question_with_a_function_answer():
    for (exercise, question), names in LIBRARY_VERSIONS.items():
        q = load_exercise(exercise)[question]
        assert q.answers, (exercise, question)
        for name in names:
            assert callable(_resolve(name)), name


def _routes():
    import mlserving_lab
    import mlserving_lab.tradeoffs as T
    from mlserving_lab import tradeoffs
    from mlserving_lab.tradeoffs import pareto_mask as pm

    def by_alias(t):
        return list(t.index[pm(t)])

    def by_module(t):
        return list(t.index[tradeoffs.pareto_mask(t)])

    def by_frontier(t):
        return list(T.pareto_frontier(t).index)

    def by_full_path(t):
        return list(t.index[mlserving_lab.tradeoffs.pareto_mask(t)])

    def by_import_inside(t):
        from mlserving_lab.tradeoffs import pareto_mask

        return list(t.index[pareto_mask(t)])

    def helper(t):
        return pm(t)

    def through_a_helper(t):
        return list(t.index[helper(t)])

    def make_closure():
        chosen = pm

        def through_a_closure(t):
            return list(t.index[chosen(t)])
        return through_a_closure

    class Callable:
        def __call__(self, t):
            return list(t.index[pm(t)])

    return [by_alias, by_module, by_frontier, by_full_path, by_import_inside, through_a_helper,
            make_closure(), Callable(), functools.partial(lambda t, rule: rule(t), rule=pm)]


@pytest.mark.parametrize("fn", _routes(), ids=lambda f: getattr(f, "__name__", type(f).__name__))
def test_every_route_to_the_library_version_is_seen(fn):
    assert library_versions_used(fn, NAMES)


def test_own_work_and_other_library_helpers_are_not_flagged():
    from mlserving_lab.measure import LatencyReport

    def uses_other_helpers(t):
        LatencyReport.from_samples([1.0, 2.0])
        return own_pareto(t)

    assert library_versions_used(own_pareto, NAMES) == []
    assert library_versions_used(uses_other_helpers, NAMES) == []
    assert library_versions_used(lambda t: sorted(t.index), NAMES) == []


def test_the_check_refuses_credit_and_a_wrong_answer_keeps_its_own_message():
    from mlserving_lab.course.exercises.ex4_pareto_frontier import q2
    from mlserving_lab.tradeoffs import pareto_mask

    def pareto(table):
        return list(table.index[pareto_mask(table)])

    def pareto_strict(t):
        return [n for n in t.index if not any(
            t.loc[m, "p99_ms"] < t.loc[n, "p99_ms"] and t.loc[m, "accuracy"] > t.loc[n, "accuracy"]
            for m in t.index)]

    core.assert_check_failed(q2, pareto, TABLE, match=r"is or calls `mlserving_lab\.tradeoffs\."
                             r"pareto_mask`: the library's version")
    core.assert_check_passed(q2, own_pareto, TABLE)
    result = q2.evaluate(pareto_strict, TABLE)
    assert result.outcome == "incorrect" and "library" not in result.message


@pytest.mark.slow
def test_grading_refuses_credit_too(tmp_path):
    """The look at the learner's code happens in the sandbox and is replayed as data."""
    import grading_fixtures as fx

    from mlserving_lab.course.grading import grade_submissions

    nb = fx.correct_notebook("ex4_pareto_frontier")
    cell = next(c for c in nb.cells if c.cell_type == "code"
                and "q2.check(pareto, table)" in c.source)
    cell.source = ("from mlserving_lab.tradeoffs import pareto_mask\n\n\n"
                   "def pareto(table):\n    return list(table.index[pareto_mask(table)])\n\n\n"
                   "q2.check(pareto, table)")
    path = tmp_path / "uses_library.ipynb"
    nbformat.write(nb, path)
    df = grade_submissions([path], timeout=240, jobs=1, feedback_dir=tmp_path / "fb",
                           progress=False)
    row = df.set_index("student").loc["uses_library"]
    assert row["q2"] == 0 and row["q1"] > 0, row.to_dict()
    feedback = (tmp_path / "fb" / "uses_library.md").read_text()
    assert "the library's version of what this question asks you to write" in feedback


def test_the_library_version_itself_as_the_answer_gets_no_credit():
    from mlserving_lab.course.exercises.l02_model_optimization import q3
    from mlserving_lab.distill import duplicate_rows

    q3.checker(duplicate_rows)  # the checker agrees with the library ...
    core.assert_check_failed(q3, duplicate_rows, match=r"your `soft_dataset` gives the right "
                             r"answers, but it is or calls `mlserving_lab\.distill\.duplicate_rows`")
