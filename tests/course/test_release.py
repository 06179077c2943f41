"""The release tool: solution blocks, instructor cells, outputs, metadata, --check."""

import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mlserving_lab.course.release import (
    MD_PROMPT,
    ReleaseError,
    exercise_for,
    learner_version,
    release,
    strip_solution_blocks,
)


def test_assignments_become_placeholders():
    src = "x = 1\n# BEGIN SOLUTION\nimport math\ntable, choice = f(), g()\nscore: float = 2\n# END SOLUTION\ncheck(table)"
    assert strip_solution_blocks(src) == (
        "x = 1\n# YOUR CODE HERE\ntable = ____\nchoice = ____\nscore = ____\ncheck(table)")


def test_function_body_becomes_return_placeholder_keeping_indent():
    src = ("def detect(a, b):\n    # BEGIN SOLUTION\n    a = sorted(a)\n    if a:\n"
           "        return 1\n    return 0\n    # END SOLUTION\n")
    assert strip_solution_blocks(src) == "def detect(a, b):\n    # YOUR CODE HERE\n    return ____\n"


def test_block_without_assignments_keeps_the_suite_valid():
    src = "for i in range(3):\n    # BEGIN SOLUTION\n    print(i)\n    # END SOLUTION\n"
    assert strip_solution_blocks(src) == "for i in range(3):\n    # YOUR CODE HERE\n    pass\n"
    assert strip_solution_blocks("# BEGIN SOLUTION\nprint(1)\n# END SOLUTION") == "# YOUR CODE HERE"


def test_defined_function_in_block_becomes_placeholder_name():
    src = "# BEGIN SOLUTION\ndef f(x):\n    return x\n# END SOLUTION"
    assert strip_solution_blocks(src) == "# YOUR CODE HERE\nf = ____"


def test_magics_are_allowed():
    src = "%timeit f()\n# BEGIN SOLUTION\ny = 2\n# END SOLUTION"
    assert strip_solution_blocks(src) == "%timeit f()\n# YOUR CODE HERE\ny = ____"


@pytest.mark.parametrize("src, match", [
    ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n# END SOLUTION", "has no matching"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "nested"),
    ("# BEGIN SOLUTION\nx = (\n# END SOLUTION", "not valid Python on its own"),
])
def test_malformed_markers_are_reported_with_location(src, match):
    with pytest.raises(ReleaseError, match=match):
        strip_solution_blocks(src, where="solutions/x.ipynb cell 3")


def _solution_nb():
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}, "language_info": {"name": "python"},
                   "widgets": {"junk": 1}}
    code = new_code_cell("# BEGIN SOLUTION\nanswer = 42\n# END SOLUTION\nq1.check(answer)",
                         metadata={"tags": ["keep"], "collapsed": True})
    code.outputs = [new_output("stream", name="stdout", text="42")]
    code.execution_count = 7
    hidden = new_code_cell("assert_check_failed(q1, 41)", metadata={"tags": ["instructor"]})
    md = new_markdown_cell("Why?\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->")
    nb.cells = [code, hidden, md]
    return nb


def test_learner_version_strips_and_records_metadata():
    out = learner_version(_solution_nb(), name="ex1_demo")
    assert len(out.cells) == 2
    code, md = out.cells
    assert code.source == "# YOUR CODE HERE\nanswer = ____\nq1.check(answer)"
    assert code.outputs == [] and code.execution_count is None
    assert code.metadata == {"tags": ["keep"]}
    assert md.source == f"Why?\n{MD_PROMPT}"
    assert out.metadata["mlserving_lab"]["exercise"] == "ex1_demo"
    assert "widgets" not in out.metadata


def test_exercise_names():
    assert exercise_for("ex3_drift_detection") == "ex3_drift_detection"
    assert exercise_for("07_monitoring_drift") == "l07_monitoring_drift"
    with pytest.raises(ReleaseError, match="must look like"):
        exercise_for("Lesson 7")


def test_release_writes_then_check_detects_drift(tmp_path):
    src, dst = tmp_path / "solutions", tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(_solution_nb(), src / "ex1_demo.ipynb")
    report = release(src, dst, check=True, verify_exercises=False)
    assert not report.in_sync and report.differs == [str(dst / "ex1_demo.ipynb") + " (missing)"]
    report = release(src, dst, verify_exercises=False)
    assert report.written == [str(dst / "ex1_demo.ipynb")]
    assert release(src, dst, check=True, verify_exercises=False).in_sync
    # hand-editing the learner notebook is detected
    (dst / "ex1_demo.ipynb").write_text((dst / "ex1_demo.ipynb").read_text().replace("____", "42"))
    assert release(src, dst, check=True, verify_exercises=False).differs
    # a learner notebook without a source is an orphan
    release(src, dst, verify_exercises=False)
    nbformat.write(_solution_nb(), dst / "ex2_orphan.ipynb")
    report = release(src, dst, check=True, verify_exercises=False)
    assert report.orphans == [str(dst / "ex2_orphan.ipynb")] and not report.in_sync


def test_release_requires_the_exercise_module(tmp_path):
    src = tmp_path / "solutions"
    src.mkdir()
    nbformat.write(_solution_nb(), src / "ex9_missing.ipynb")
    with pytest.raises(ReleaseError, match="ex9_missing.py does not exist"):
        release(src, tmp_path / "notebooks")


def test_release_check_cli_exit_codes(tmp_path):
    src, dst = tmp_path / "solutions", tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(_solution_nb(), src / "00_start_here.ipynb")
    cmd = [sys.executable, "-m", "mlserving_lab.course.cli", "release", "--solutions", str(src),
           "--notebooks", str(dst)]
    proc = subprocess.run([*cmd, "--check"], capture_output=True, text=True)
    assert proc.returncode == 1 and "out of sync" in proc.stdout
    assert not dst.exists()        # --check writes nothing
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    proc = subprocess.run([*cmd, "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    (src / "00_start_here.ipynb").write_text("{not json")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and "not a readable notebook" in proc.stdout
