"""The exercise framework: outcomes, messages, placeholder, warnings, learner errors."""

import pickle
import re
import sys
import warnings

import cloudpickle
import pytest

from mlserving_lab.course.exercises import (
    CORRECT,
    ERROR,
    INCORRECT,
    NOT_ATTEMPTED,
    Exercise,
    Incorrect,
    NotAttempted,
    Question,
    ____,
    assert_check_failed,
    assert_check_passed,
    available_exercises,
    call,
    is_placeholder,
    load_exercise,
)
from mlserving_lab.course.exercises.core import RESULT_MIMETYPE, CheckResult


def _percentiles(p50, p99):
    if p99 < p50:
        raise Incorrect(f"your p99 ({p99:.1f} ms) is below your p50 ({p50:.1f} ms): "
                        "percentiles must grow")
    return "Correct: the tail is above the median."


def _uses_function(fn):
    if call(fn, 2) != 4:
        raise Incorrect("fn(2) should be 4")


def make_question(**overrides):
    kwargs = dict(prompt="p", answers=("p50", "p99"), checker=_percentiles, hint="sort them",
                  solution="p50, p99 = 1, 2", points=2)
    kwargs.update(overrides)
    return Question("q1", **kwargs)


def test_correct_answer_gets_full_points_and_message():
    r = make_question().check(1.0, 2.0)
    assert r.outcome == CORRECT and r.correct
    assert r.points == r.max_points == 2
    assert r.message == "the tail is above the median."   # headline says "Correct" already


def test_incorrect_message_names_the_learners_numbers():
    r = make_question().check(4.0, 3.1)
    assert r.outcome == INCORRECT and r.points == 0
    assert r.message == "your p99 (3.1 ms) is below your p50 (4.0 ms): percentiles must grow"


def test_placeholder_is_not_attempted_and_names_the_variable():
    r = make_question().check(1.0, ____)
    assert r.outcome == NOT_ATTEMPTED
    assert "`p99`" in r.message and "`p50`" not in r.message


def test_wrong_number_of_answers_is_a_type_error():
    with pytest.raises(TypeError, match=r"takes 2 answer\(s\) \(p50, p99\), got 1"):
        make_question().check(1.0)


def test_learner_exception_is_error_quoting_their_line():
    q = make_question(answers=("fn",), checker=_uses_function)

    def fn(x):
        return x.nonexistent_attribute

    r = q.check(fn)
    assert r.outcome == ERROR
    assert "Your code raised `AttributeError`" in r.message
    assert "return x.nonexistent_attribute" in r.message
    assert "in `fn`" in r.message


def test_function_returning_placeholder_is_not_attempted():
    q = make_question(answers=("fn",), checker=_uses_function)

    def fn(x):
        return ____

    r = q.check(fn)
    assert r.outcome == NOT_ATTEMPTED
    assert "`fn` still returns `____`" in r.message


def test_non_callable_answer_is_incorrect():
    q = make_question(answers=("fn",), checker=_uses_function)
    assert_check_failed(q, 42, match="expected a function, got int")


def test_exception_inside_library_code_is_error_not_crash():
    from mlserving_lab._validation import check_positive_int

    # A checker that fails inside the package (not in learner code) is still an outcome.
    r = make_question(answers=("value", "name"), checker=check_positive_int).check("a", "n")
    assert r.outcome == ERROR
    assert "Checking your answer raised `TypeError`: n must be a positive integer" in r.message


def test_warnings_never_change_the_outcome_but_are_reported():
    def noisy(fn):
        warnings.warn("torch.jit.trace is deprecated", DeprecationWarning)
        warnings.warn("float64 input cast to float32", UserWarning)
        print("progress output on stderr", file=sys.stderr)
        _uses_function(fn)

    q = make_question(answers=("fn",), checker=noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # even when the caller turns warnings into errors
        r = q.check(lambda x: 2 * x)
    assert r.outcome == CORRECT
    assert r.warnings == ["DeprecationWarning: torch.jit.trace is deprecated",
                          "UserWarning: float64 input cast to float32"]
    assert "2 warnings raised while checking" in str(r)


def test_not_attempted_raised_by_checker():
    def checker(x):
        raise NotAttempted("run the benchmark cell first")

    r = make_question(answers=("x",), checker=checker).check(1)
    assert r.outcome == NOT_ATTEMPTED and "run the benchmark cell first" in r.message


def test_hidden_checks_run_only_when_grading():
    def hidden(p50, p99):
        if p99 > 100:
            raise Incorrect("p99 above 100 ms is implausible for this model")

    q = make_question(hidden=(hidden,))
    assert q.check(1.0, 500.0).outcome == CORRECT
    graded = q.grade(1.0, 500.0)
    assert graded.outcome == INCORRECT and "implausible" in graded.message
    assert_check_failed(q, 1.0, 500.0, hidden=True, match="implausible")


def test_assert_helpers_fail_when_they_should():
    q = make_question()
    assert_check_passed(q, 1.0, 2.0)
    with pytest.raises(AssertionError, match="should pass but reported incorrect"):
        assert_check_passed(q, 2.0, 1.0)
    with pytest.raises(AssertionError, match="should report incorrect but reported correct"):
        assert_check_failed(q, 1.0, 2.0)
    with pytest.raises(AssertionError, match="does not match"):
        assert_check_failed(q, 2.0, 1.0, match="median")
    with pytest.raises(ValueError):
        assert_check_failed(q, 2.0, 1.0, outcome=CORRECT)


def test_placeholder_is_a_singleton_through_pickle_and_cloudpickle():
    assert pickle.loads(pickle.dumps(____)) is ____
    assert cloudpickle.loads(cloudpickle.dumps({"x": ____}))["x"] is ____
    assert is_placeholder(____) and not is_placeholder(None)
    assert repr(____) == "____"


def test_result_renders_as_html_markdown_and_json():
    r = make_question().check(4.0, 3.1)
    bundle = r._mimebundle()
    assert bundle[RESULT_MIMETYPE]["outcome"] == INCORRECT
    assert "<code>" not in bundle["text/html"] or "percentiles" in bundle["text/html"]
    assert "Incorrect" in bundle["text/html"] and "percentiles must grow" in bundle["text/markdown"]


def test_check_result_display_is_not_echoed_twice(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append(a))
    r = CheckResult("q1", CORRECT, "ok")
    r._suppress_next_display = True       # as check() leaves it inside IPython
    r._ipython_display_()
    assert shown == []
    r._ipython_display_()                 # a later explicit display shows it
    assert len(shown) == 1


def test_hint_and_solution_print_outside_ipython(capsys):
    q = make_question()
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert "Hint (q1):** sort them" in out and "p50, p99 = 1, 2" in out


def test_exercise_grades_a_namespace_and_reports_missing_variables():
    q1 = make_question()
    q2 = Question("q2", prompt="p", answers=("fn",), checker=_uses_function, hint="h",
                  solution="s")
    ex = Exercise("ex_demo", [q1, q2])
    assert ex.max_score == 3 and ex.answer_names == ["p50", "p99", "fn"]
    results = ex.grade_namespace({"p50": 1.0, "p99": 2.0})
    assert [r.outcome for r in results] == [CORRECT, NOT_ATTEMPTED]
    assert "`fn` was not defined" in results[1].message
    assert results[0].exercise == "ex_demo"
    with pytest.raises(KeyError, match="has no question 'q9'"):
        ex["q9"]


def test_question_validation():
    with pytest.raises(ValueError, match="at least one answer"):
        make_question(answers=())
    with pytest.raises(ValueError, match="points must be positive"):
        make_question(points=0)
    with pytest.raises(ValueError, match="duplicate question names"):
        Exercise("x", [make_question(), make_question()])


def test_load_exercise_and_unknown_names():
    assert "l00_start_here" in available_exercises()
    ex = load_exercise("l00_start_here")
    assert [q.name for q in ex] == ["q1", "q2", "q3"]
    with pytest.raises(ValueError, match="unknown exercise 'ex9_nope'; available: .*l00_start_here"):
        load_exercise("ex9_nope")
    with pytest.raises(ValueError, match="not a valid exercise name"):
        load_exercise("../etc")


def test_expect_number_names_the_variable():
    import numpy as np

    from mlserving_lab.course.exercises import expect_number

    assert expect_number(np.float32(2.5), "p50_ms") == 2.5
    for bad, match in [("3", "`p50_ms` should be a number of ms, but it is str `'3'`"),
                       (True, "but it is bool"), (np.bool_(True), "but it is bool"),
                       ([1.0], "but it is list"), (float("inf"), "expected a finite number")]:
        with pytest.raises(Incorrect, match=re.escape(match) if "`" in match else match):
            expect_number(bad, "p50_ms", unit="ms")
    with pytest.raises(Incorrect, match="`budget` is -1; it must be positive"):
        expect_number(-1, "budget", positive=True)
