"""One source for solutions: `q.solution()` shows the solution notebook's own code.

`release` writes each question's solution text into the instructor package; no question module
carries a second, hand-written copy, and hidden checks live in the instructor modules, which a
student release leaves out.
"""

from __future__ import annotations

import ast
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest
from _notebook_outcomes import ROOT

from mlserving_lab.course.exercises import core, load_exercise
from mlserving_lab.course.release import ReleaseError, release, solution_texts

EXERCISES = core.available_exercises()
QUESTION_DIR = ROOT / "mlserving_lab" / "course" / "exercises"


@pytest.mark.parametrize("name", EXERCISES)
def test_every_question_shows_its_solution_notebook_code(name):
    stem = name if name.startswith("ex") else name[1:]
    nb = nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
    texts = solution_texts(nb, name=stem)
    recorded = json.loads(core.solution_texts_path(name).read_text())
    assert recorded == texts, "run `mlserving-lab release`: the solution texts are stale"
    for q in load_exercise(name):
        assert q.name in texts, f"{name}.{q.name} has no solution block in solutions/{stem}"
        assert q.solution_text() == texts[q.name]
        buf = io.StringIO()
        with redirect_stdout(buf):
            q.solution()
        assert texts[q.name].split("\n")[0] in buf.getvalue()


def _question_calls(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Question":
            yield node


@pytest.mark.parametrize("name", EXERCISES)
def test_question_modules_hold_no_solution_copy_and_no_hidden_checks(name):
    path = QUESTION_DIR / f"{name}.py"
    for call in _question_calls(path):
        keywords = {k.arg for k in call.keywords}
        assert "solution" not in keywords, (
            f"{path.name} line {call.lineno}: a hand-written solution= copy; the solution "
            "notebook is the only source")
        assert "hidden" not in keywords, (
            f"{path.name} line {call.lineno}: hidden checks belong in "
            f"mlserving_lab/course/instructor/{name}.py (HIDDEN)")
    text = path.read_text()
    assert "course.instructor" not in text and "from mlserving_lab.course import instructor" \
        not in text, f"{path.name} imports the instructor package (a student release has none)"


def test_instructor_modules_name_real_questions():
    for path in sorted((ROOT / "mlserving_lab" / "course" / "instructor").glob("*.py")):
        if path.name == "__init__.py":
            continue
        exercise = load_exercise(path.stem)
        hidden = __import__(f"mlserving_lab.course.instructor.{path.stem}",
                            fromlist=["HIDDEN"]).HIDDEN
        unknown = set(hidden) - {q.name for q in exercise}
        assert not unknown, f"{path.name}: HIDDEN names unknown questions {unknown}"
        for qname, checks in hidden.items():
            assert all(callable(c) for c in checks), f"{path.name}: {qname}"
            assert exercise[qname].all_hidden()[-len(checks):] == tuple(checks)


def test_release_check_notices_a_stale_solution_text(tmp_path):
    src, dst, texts = tmp_path / "solutions", tmp_path / "notebooks", tmp_path / "texts"
    src.mkdir()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from x import q1"),
        nbformat.v4.new_code_cell("# BEGIN SOLUTION\nanswer = 6 * 7\n# END SOLUTION\n"
                                  "q1.check(answer)")])
    nbformat.write(nb, src / "00_start_here.ipynb")
    release(src, dst, texts_dir=texts)
    assert json.loads((texts / "l00_start_here.json").read_text()) == {"q1": "answer = 6 * 7"}
    assert release(src, dst, texts_dir=texts, check=True).in_sync
    nb.cells[1].source = nb.cells[1].source.replace("6 * 7", "42")
    nbformat.write(nb, src / "00_start_here.ipynb")
    report = release(src, dst, texts_dir=texts, check=True)
    assert any(p.endswith("l00_start_here.json") for p in report.differs)


def test_solution_cells_before_a_check_belong_to_it_and_a_stray_block_is_an_error():
    cells = [nbformat.v4.new_code_cell("# BEGIN SOLUTION\ntable = make()\n# END SOLUTION\ntable"),
             nbformat.v4.new_code_cell("plot(table)"),
             nbformat.v4.new_code_cell("def f(x):\n    # BEGIN SOLUTION\n    return x\n"
                                       "    # END SOLUTION\n\n\nq2.check(table, f)"),
             nbformat.v4.new_code_cell("# BEGIN SOLUTION\nz = 1\n# END SOLUTION",
                                       metadata={"tags": ["instructor"]})]
    texts = solution_texts(nbformat.v4.new_notebook(cells=cells))
    assert texts == {"q2": "table = make()\ntable\n\ndef f(x):\n    return x"}
    cells.append(nbformat.v4.new_code_cell("# BEGIN SOLUTION\nleft = 1\n# END SOLUTION"))
    with pytest.raises(ReleaseError, match="belongs to no question"):
        solution_texts(nbformat.v4.new_notebook(cells=cells))


def test_without_the_instructor_package_solution_says_so(monkeypatch, capsys):
    monkeypatch.setattr(core, "instructor_material_installed", lambda: False)
    q = load_exercise("l00_start_here")["q1"]
    assert q.solution_text() is None
    assert core.hidden_checks("l00_start_here", "q1") == ()
    assert not core.grading_supported()
    q.solution()
    assert "not part of this release" in capsys.readouterr().out
