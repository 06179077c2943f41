"""Every learner notebook runs top to bottom unanswered and every question reports `not_attempted`."""

import pytest
from _notebook_outcomes import notebooks, outcomes_by_question


@pytest.mark.parametrize("path", notebooks("notebooks"), ids=lambda p: p.stem)
def test_learner_notebook_reports_not_attempted(path, tmp_path):
    exercise, found = outcomes_by_question(path, tmp_path)
    for question in exercise:
        outcomes = found.get(question.name)
        assert outcomes, f"{path.name} never checks {question.name}"
        assert set(outcomes) == {"not_attempted"}, (
            f"{path.name}: {question.name} reported {outcomes} with every answer blank")
