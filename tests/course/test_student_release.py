"""`mlserving-lab release --student`: a bundle without solutions or hidden checks that works
in a fresh environment, and whose completed notebooks the instructor's install grades."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest
from _notebook_outcomes import ROOT

from mlserving_lab.course.release import _BEGIN, _END
from mlserving_lab.course.release import main as release_main
from mlserving_lab.course.student import build_student_bundle

pytestmark = pytest.mark.slow

INSTRUCTOR_DIR = ROOT / "mlserving_lab" / "course" / "instructor"


def _specific(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("#")


def _solution_snippets() -> dict[str, str]:
    """Pieces of solution code -> where: every two consecutive lines of a solution block, and
    a one-line block's line when it is long enough to be specific."""
    found = {}
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            blocks, block = [], None
            for line in cell.source.split("\n"):
                if _BEGIN.match(line):
                    block = []
                elif _END.match(line):
                    blocks.append(block)
                    block = None
                elif block is not None and _specific(line):
                    block.append(line.strip())
            for lines in blocks:
                pieces = ["\n".join(lines[i:i + 2]) for i in range(len(lines) - 1)]
                if len(lines) == 1 and len(lines[0]) >= 30:
                    pieces = lines
                for piece in pieces:
                    if len(piece) >= 30:
                        found.setdefault(piece, f"{path.name} cell {index}")
    return found


def _normalised(text: str) -> str:
    """Code with each line stripped and comment/blank lines dropped, as the snippets are."""
    return "\n".join(ln.strip() for ln in text.split("\n") if _specific(ln))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_student_bundle(tmp_path_factory.mktemp("student") / "bundle", root=ROOT)


def _wheel_texts(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n).decode("utf-8", "replace") for n in zf.namelist()}


def test_bundle_layout_and_same_notebooks_as_the_repository(bundle):
    names = {p.relative_to(bundle.root).as_posix() for p in bundle.files}
    assert {"README.md", "Makefile", "constraints.txt", "MANIFEST.json"} <= names
    assert bundle.wheel.name == "mlserving_lab-0.1.0-py3-none-any.whl"
    assert (bundle.root / "constraints.txt").read_text() == (ROOT / "constraints.txt").read_text()
    # The student notebooks are the repository's own learner notebooks, byte for byte, so an
    # answer written in either is graded the same.
    ours = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in bundle.notebooks) == ours
    for path in bundle.notebooks:
        assert path.read_bytes() == (ROOT / "notebooks" / path.name).read_bytes(), path.name
    assert "make lab" in (bundle.root / "README.md").read_text()
    assert bundle.wheel.name in (bundle.root / "Makefile").read_text()


def test_no_solution_code_or_hidden_check_in_the_bundle(bundle):
    wheel = _wheel_texts(bundle.wheel)
    assert not [n for n in wheel if "/instructor/" in n], "the instructor package was shipped"
    assert not [n for n in wheel if n.endswith(".json") and "solutions" in n]
    for name, text in wheel.items():
        if name.endswith(".py"):
            assert "course.instructor" not in text.replace("course.instructor`", "") or \
                name.endswith(("exercises/core.py", "course/student.py", "course/grading.py")), \
                f"{name} refers to the instructor package"
    # The notebooks as code: each code cell's lines, as a learner sees them.
    notebooks = {}
    for path in bundle.notebooks:
        cells = nbformat.read(path, as_version=4).cells
        notebooks[path.name] = "\n".join(_normalised(c.source) for c in cells
                                         if c.cell_type == "code")
        notebooks[path.name + " (text)"] = path.read_text()
    code = {n: _normalised(t) for n, t in wheel.items() if n.endswith(".py")}
    # What the library layer itself contains is an idiom (`with warnings.catch_warnings():`),
    # not a solution.
    library = "\n".join(t for n, t in code.items() if "/course/" not in n)
    leaks = []
    for piece, where in _solution_snippets().items():
        if piece in library:
            continue
        own = where.split(" cell ")[0]
        for name, text in [*code.items(), *notebooks.items()]:
            # Code that the same lesson also gives outside its solution blocks is given code.
            if piece in text and not name.startswith(own):
                leaks.append(f"{where}: `{piece}` appears in {name}")
    assert not leaks, "\n".join(leaks[:20])
    # No hidden check's code: every instructor module's distinctive lines are absent.
    for module in sorted(INSTRUCTOR_DIR.glob("*.py")):
        for line in module.read_text().split("\n"):
            text = line.strip()
            if len(text) >= 40 and not text.startswith(("#", "from ", "import ", '"""')):
                public = [n for n, t in wheel.items() if text in t]
                assert not public or all(
                    text in (ROOT / n).read_text() for n in public if (ROOT / n).is_file()), \
                    f"{module.name}: `{text}` is in the wheel"


def test_the_bundle_is_reproducible(bundle, tmp_path):
    again = build_student_bundle(tmp_path / "again", root=ROOT)
    first = {p.relative_to(bundle.root).as_posix(): p.read_bytes() for p in bundle.files}
    second = {p.relative_to(again.root).as_posix(): p.read_bytes() for p in again.files}
    assert first.keys() == second.keys()
    assert [n for n in first if first[n] != second[n]] == []


def test_with_solutions_ships_solution_texts_but_not_hidden_checks(tmp_path):
    out = build_student_bundle(tmp_path / "after", root=ROOT, with_solutions=True)
    names = set(_wheel_texts(out.wheel))
    texts = {n for n in names if "/instructor/solutions/" in n}
    assert len(texts) == len(list((INSTRUCTOR_DIR / "solutions").glob("*.json"))) > 0
    hidden = {n for n in names if "/instructor/" in n and n.endswith(".py")}
    assert hidden == {"mlserving_lab/course/instructor/__init__.py"}
    assert "GRADING = False" in _wheel_texts(out.wheel)[next(iter(hidden))]
    assert sorted(p.name for p in (out.root / "solutions").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "solutions").glob("*.ipynb"))


def test_cli_refuses_a_folder_inside_the_sources(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert release_main(["--student", str(ROOT / "notebooks" / "x")]) == 2
    assert "folder of its own" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        release_main(["--with-solutions"])


_STUDENT_SCRIPT = r"""
import json, sys, io, contextlib
from pathlib import Path
import nbformat
import mlserving_lab
from mlserving_lab.course._nbexec import collect_results, execute_notebook
from mlserving_lab.course.exercises import core, load_exercise
from mlserving_lab.course.release import exercise_for

out = {"package": mlserving_lab.__file__, "installed": core.instructor_material_installed(),
       "notebooks": {}}
for path in sorted(Path("notebooks").glob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    work = Path(sys.argv[1]) / path.stem
    work.mkdir()
    execute_notebook(nb, cwd=work, timeout=300)
    out["notebooks"][path.stem] = [(r["question"], r["outcome"]) for r in collect_results(nb)
                                   if r.get("exercise") == exercise_for(path.stem)]
q = load_exercise("ex1_optimization_benchmark")["q2"]
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    q.solution()
out["solution"] = buf.getvalue()
out["all_questions"] = {name: [x.name for x in load_exercise(name)]
                        for name in core.available_exercises()}
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def student_python(bundle, tmp_path_factory):
    """A fresh venv with only the bundle's wheel installed (the pinned stack is shared)."""
    env_dir = tmp_path_factory.mktemp("student-env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                              "get_paths()['purelib'])"], check=True, capture_output=True,
                             text=True).stdout.strip()
    # The third-party stack comes from our venv's site-packages, added by a plain path: its own
    # .pth files (our editable install of mlserving_lab among them) are not processed.
    Path(purelib, "_course_stack.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(bundle.wheel)], check=True)
    return python


def test_student_install_runs_every_notebook_not_attempted(bundle, student_python, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    proc = subprocess.run([str(student_python), "-c", _STUDENT_SCRIPT, str(tmp_path)],
                          cwd=bundle.root, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1])
    assert Path(result["package"]).is_relative_to(student_python.parents[1])
    assert result["installed"] is False
    assert "not part of this release" in result["solution"]
    assert len(result["notebooks"]) == len(bundle.notebooks)
    for stem, outcomes in result["notebooks"].items():
        asked = {name for name, _ in outcomes}
        exercise = stem if stem.startswith("ex") else f"l{stem}"
        assert asked == set(result["all_questions"][exercise]), stem
        wrong = [(n, o) for n, o in outcomes if o != "not_attempted"]
        assert not wrong, f"{stem}: {wrong}"


def test_student_install_refuses_to_grade(bundle, student_python):
    script = student_python.parent / "mlserving-lab"
    proc = subprocess.run([str(script), "grade", "notebooks/00_start_here.ipynb"],
                          cwd=bundle.root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "student install" in proc.stderr and "instructor" in proc.stderr
    assert not (bundle.root / "grades.csv").exists()


def _completed(student_nb_path: Path) -> nbformat.NotebookNode:
    """A student's notebook with the solution code written into it, cell by cell."""
    student = nbformat.read(student_nb_path, as_version=4)
    solution = nbformat.read(ROOT / "solutions" / student_nb_path.name, as_version=4)
    cells = [c for c in solution.cells if "instructor" not in c.metadata.get("tags", [])]
    assert len(cells) == len(student.cells)
    for mine, theirs in zip(student.cells, cells, strict=True):
        if mine.cell_type == "code" and "____" in mine.source:
            mine.source = "\n".join(ln for ln in theirs.source.split("\n")
                                    if not (_BEGIN.match(ln) or _END.match(ln)))
    return student


def test_completed_student_notebooks_get_full_marks_with_the_instructor_install(
        bundle, tmp_path):
    from mlserving_lab.course.grading import grade_submissions
    from mlserving_lab.course.sandbox import bwrap_problem

    if bwrap_problem():
        pytest.skip(f"no grading sandbox here: {bwrap_problem()}")

    folder = tmp_path / "submissions"
    folder.mkdir()
    for stem in ("00_start_here", "ex3_drift_detection"):
        nbformat.write(_completed(bundle.root / "notebooks" / f"{stem}.ipynb"),
                       folder / f"{stem}.ipynb")
    df = grade_submissions(folder, progress=False, timeout=240)
    assert list(df["status"]) == ["ok", "ok"], df[["student", "status", "reason"]]
    assert (df["score"] == df["max_score"]).all(), df.to_string()


def test_makefile_installs_the_wheel_with_the_pins(bundle):
    text = (bundle.root / "Makefile").read_text()
    assert re.search(r"pip install .*-c constraints\.txt .*\$\(WHEEL\)", text)
    assert "jupyter lab" in text and "--allow-root" in text
    if shutil.which("make"):
        dry = subprocess.run(["make", "-n", "lab"], cwd=bundle.root, capture_output=True,
                             text=True)
        assert dry.returncode == 0, dry.stderr
        assert "dist/mlserving_lab-0.1.0-py3-none-any.whl" in dry.stdout
