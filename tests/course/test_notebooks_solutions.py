"""Every solution notebook runs from a fresh kernel and every question reports `correct`."""

import pytest
from _notebook_outcomes import notebooks, outcomes_by_question


@pytest.mark.parametrize("path", notebooks("solutions"), ids=lambda p: p.stem)
def test_solution_notebook_answers_are_correct(path, tmp_path):
    exercise, found = outcomes_by_question(path, tmp_path)
    for question in exercise:
        outcomes = found.get(question.name)
        assert outcomes, f"{path.name} never checks {question.name}"
        assert outcomes[-1] == "correct", (
            f"{path.name}: {question.name} ended {outcomes[-1]} (all: {outcomes})")
