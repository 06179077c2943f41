"""Generate the learner notebooks in ``notebooks/`` from the solution notebooks in ``solutions/``.

``solutions/*.ipynb`` are the single source. For each one, :func:`release` writes a learner
version that

* replaces every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block with a ``# YOUR CODE HERE``
  prompt plus ``name = ____`` for each name the block assigns at its top level (or just
  ``return ____`` when the block returns: it is a function body), so the notebook still runs
  top to bottom;
* replaces ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->`` in markdown cells with a
  prompt for the learner's own answer;
* drops cells tagged ``instructor`` (hidden tests);
* strips outputs and execution counts;
* records the notebook's exercise module in ``metadata["mlserving_lab"]``;
* writes the solution text of every question, the solution notebook's own code, to
  ``mlserving_lab/course/instructor/solutions/<exercise>.json`` (:func:`solution_texts`),
  which ``q.solution()`` shows. There is no second, hand-written copy to drift.

``mlserving-lab release --check`` writes nothing and lists the notebooks that differ.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from mlserving_lab.atomic import atomic_write_text

__all__ = ["INSTRUCTOR_TAG", "ReleaseError", "ReleaseReport", "exercise_for", "learner_version",
           "release", "solution_texts", "strip_solution_blocks"]

INSTRUCTOR_TAG = "instructor"
_BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
_MD_BEGIN = re.compile(r"^\s*<!--\s*BEGIN SOLUTION\s*-->\s*$")
_MD_END = re.compile(r"^\s*<!--\s*END SOLUTION\s*-->\s*$")
_CHECK_CALL = re.compile(r"^\s*(?:_\s*=\s*)?(\w+)\.check\(")
_NAME = re.compile(r"^(?:ex\d+|\d\d)_[a-z0-9_]+$")
MD_PROMPT = "_Write your answer here._"


class ReleaseError(ValueError):
    """A solution notebook cannot be turned into a learner notebook (the message says where)."""


def exercise_for(stem: str) -> str:
    """The exercise module for a notebook: ``ex1_x`` -> ``ex1_x``; ``02_x`` -> ``l02_x``.

    Raises
    ------
    ReleaseError
        If the name does not follow ``NN_topic`` or ``exN_topic``.
    """
    if not _NAME.match(stem):
        raise ReleaseError(f"notebook name {stem!r} must look like 'NN_topic' (lessons) or "
                           "'exN_topic' (exercises), lower case")
    return stem if stem.startswith("ex") else f"l{stem}"


def _assigned_names(target) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _assigned_names(elt)]
    if isinstance(target, ast.Starred):
        return _assigned_names(target.value)
    return []  # attribute or subscript assignment: not a new answer variable


def _returns(node) -> bool:
    for child in ast.walk(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and child is not node:
            continue
        if isinstance(child, ast.Return):
            return True
    return False


def _stub_lines(block: list[str], indent: str, where: str) -> list[str]:
    code = textwrap.dedent("\n".join(block))
    # A `return` outside a function is a syntax error on its own; wrap to parse.
    try:
        tree = ast.parse(f"def _wrapper():\n{textwrap.indent(code, '    ')}\n")
    except SyntaxError as exc:
        raise ReleaseError(f"{where}: the solution block is not valid Python on its own "
                           f"({exc.msg}, line {(exc.lineno or 2) - 1})") from None
    body = tree.body[0].body
    names: list[str] = []
    returns = False
    for stmt in body:
        if isinstance(stmt, ast.Assign):
            targets = [n for t in stmt.targets for n in _assigned_names(t)]
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets = _assigned_names(stmt.target)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [stmt.name]
        else:
            targets = []
        names.extend(n for n in targets if n not in names)
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            returns = returns or _returns(stmt)
    if returns:
        # A block that returns is a function body: its local variables are not answers.
        return [f"{indent}return ____"]
    return [f"{indent}{name} = ____" for name in names]


def strip_solution_blocks(source: str, *, where: str = "cell") -> str:
    """Replace ``# BEGIN SOLUTION`` / ``# END SOLUTION`` blocks in code with placeholders.

    Parameters
    ----------
    source : str
        Code cell source.
    where : str
        Used in error messages (notebook and cell).

    Returns
    -------
    str

    Examples
    --------
    >>> print(strip_solution_blocks("# BEGIN SOLUTION\\nanswer = 6 * 7\\n# END SOLUTION"))
    # YOUR CODE HERE
    answer = ____
    """
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _BEGIN.match(lines[i])
        if not m:
            if _END.match(lines[i]):
                raise ReleaseError(f"{where}: '# END SOLUTION' at line {i + 1} has no "
                                   "matching '# BEGIN SOLUTION'")
            out.append(lines[i])
            i += 1
            continue
        indent, start = m.group(1), i
        i += 1
        block: list[str] = []
        while i < len(lines) and not _END.match(lines[i]):
            if _BEGIN.match(lines[i]):
                raise ReleaseError(f"{where}: nested '# BEGIN SOLUTION' at line {i + 1}")
            block.append(lines[i])
            i += 1
        if i == len(lines):
            raise ReleaseError(f"{where}: '# BEGIN SOLUTION' at line {start + 1} is never "
                               "closed by '# END SOLUTION'")
        i += 1  # skip END
        stubs = _stub_lines(block, indent, where)
        out.append(f"{indent}# YOUR CODE HERE")
        if stubs:
            out.extend(stubs)
        else:
            prev = next((ln for ln in reversed(out[:-1]) if ln.strip()
                         and not ln.strip().startswith("#")), "")
            if prev.rstrip().endswith(":"):
                out.append(f"{indent}pass")
    result = "\n".join(out)
    _check_syntax(result, where)
    return result


def _check_syntax(code: str, where: str) -> None:
    plain = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln
                      for ln in code.split("\n"))
    try:
        ast.parse(plain)
    except SyntaxError as exc:
        raise ReleaseError(f"{where}: the learner version is not valid Python "
                           f"({exc.msg}, line {exc.lineno})") from None


def _strip_markdown(source: str, where: str) -> str:
    out, inside = [], False
    for line in source.split("\n"):
        if _MD_BEGIN.match(line):
            if inside:
                raise ReleaseError(f"{where}: nested <!-- BEGIN SOLUTION -->")
            inside = True
            out.append(MD_PROMPT)
        elif _MD_END.match(line):
            if not inside:
                raise ReleaseError(f"{where}: <!-- END SOLUTION --> without BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}: <!-- BEGIN SOLUTION --> is never closed")
    return "\n".join(out)


def _solution_cell_text(source: str) -> str:
    """A cell's code as a solution: markers and ``q.check(...)`` lines dropped."""
    keep = [ln for ln in source.split("\n")
            if not (_BEGIN.match(ln) or _END.match(ln) or _CHECK_CALL.match(ln))]
    return "\n".join(keep).strip("\n").rstrip()


def solution_texts(nb, *, name: str = "notebook") -> dict[str, str]:
    """The solution code of each question of solution notebook ``nb``.

    Code cells with a ``# BEGIN SOLUTION`` block belong to the next question checked
    (``qN.check(...)``) in the same or a later cell. Each question's text is those cells, in
    order, without the markers and the ``check`` call. Instructor cells are skipped.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    name : str
        Used in error messages.

    Returns
    -------
    dict
        ``{question name: code}``.

    Raises
    ------
    ReleaseError
        If a solution block is never followed by a check.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "# BEGIN SOLUTION\\nanswer = 6 * 7\\n# END SOLUTION\\nq1.check(answer)")])
    >>> solution_texts(nb)
    {'q1': 'answer = 6 * 7'}
    """
    texts: dict[str, list[str]] = {}
    pending: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or INSTRUCTOR_TAG in cell.get("metadata", {}).get(
                "tags", []):
            continue
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        lines = source.split("\n")
        if any(_BEGIN.match(ln) for ln in lines):
            pending.append(_solution_cell_text(source))
        checked = [m.group(1) for ln in lines if (m := _CHECK_CALL.match(ln))]
        if checked and pending:
            texts.setdefault(checked[0], []).extend(pending)
            pending = []
        last = index
    if pending:
        raise ReleaseError(f"solutions/{name}.ipynb: a solution block after the last "
                           f"`qN.check(...)` (cell {last}) belongs to no question")
    return {q: "\n\n".join(parts) for q, parts in texts.items()}


def _clean_metadata(meta: dict) -> dict:
    tags = [t for t in meta.get("tags", []) if t != INSTRUCTOR_TAG]
    return {"tags": tags} if tags else {}


def learner_version(nb, *, name: str):
    """Return the learner version of solution notebook ``nb`` (a new object).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The solution notebook.
    name : str
        Its file stem, e.g. ``"ex1_optimization_benchmark"``.
    """
    import nbformat

    exercise = exercise_for(name)
    out = copy.deepcopy(nb)
    cells = []
    for index, cell in enumerate(nb.cells):
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        cell = copy.deepcopy(cell)
        where = f"solutions/{name}.ipynb cell {index}"
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if cell.cell_type == "code":
            cell.source = strip_solution_blocks(source, where=where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = _strip_markdown(source, where)
        cell.metadata = _clean_metadata(cell.get("metadata", {}))
        cells.append(cell)
    out.cells = cells
    meta = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    meta["mlserving_lab"] = {
        "exercise": exercise,
        "source": f"solutions/{name}.ipynb",
        "generated_by": "mlserving-lab release; edit the solution notebook instead",
    }
    out.metadata = meta
    nbformat.validate(out)
    return out


@dataclass
class ReleaseReport:
    """What :func:`release` did or (with ``check=True``) would do."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return not self.differs and not self.orphans


def _find_root(start: Path) -> Path:
    for folder in [start, *start.parents]:
        if (folder / "solutions").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    return start


def _default_texts_dir() -> Path:
    return Path(__file__).resolve().parent / "instructor" / "solutions"


def release(solutions_dir=None, notebooks_dir=None, *, check: bool = False,
            verify_exercises: bool = True, texts_dir=None) -> ReleaseReport:
    """Write ``notebooks/`` from ``solutions/`` (or, with ``check=True``, only compare).

    Parameters
    ----------
    solutions_dir, notebooks_dir : path, optional
        Default to ``solutions/`` and ``notebooks/`` of the project that contains the current
        directory.
    check : bool, default False
        Write nothing; report notebooks that are missing, differ, or have no source.
    verify_exercises : bool, default True
        Require ``mlserving_lab.course.exercises.<exercise>`` to exist for every notebook.
    texts_dir : path, optional
        Where to write the solution texts (``<exercise>.json``). Defaults to the package's
        ``course/instructor/solutions/`` when ``solutions_dir`` is the project's own, and to
        nowhere otherwise.

    Returns
    -------
    ReleaseReport
    """
    import nbformat

    root = _find_root(Path.cwd())
    src = Path(solutions_dir) if solutions_dir else root / "solutions"
    dst = Path(notebooks_dir) if notebooks_dir else root / "notebooks"
    if not src.is_dir():
        raise ReleaseError(f"no solutions folder at {src}")
    if texts_dir is None and solutions_dir is None:
        texts_dir = _default_texts_dir()
    report = ReleaseReport()
    expected = set()
    for path in sorted(src.glob("*.ipynb")):
        name = path.stem
        expected.add(path.name)
        exercise = exercise_for(name)
        if verify_exercises and importlib.util.find_spec(
                f"mlserving_lab.course.exercises.{exercise}") is None:
            raise ReleaseError(f"{path}: its questions module mlserving_lab/course/exercises/"
                               f"{exercise}.py does not exist")
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # malformed JSON, wrong schema
            raise ReleaseError(f"{path} is not a readable notebook: {exc}") from None
        outputs = [(dst / path.name, nbformat.writes(learner_version(nb, name=name)) + "\n")]
        if texts_dir is not None:
            texts = solution_texts(nb, name=name)
            outputs.append((Path(texts_dir) / f"{exercise}.json",
                            json.dumps(texts, indent=1, sort_keys=True) + "\n"))
        for target, text in outputs:
            current = target.read_text(encoding="utf-8") if target.exists() else None
            if current == text:
                report.unchanged.append(str(target))
            elif check:
                report.differs.append(str(target) + (" (missing)" if current is None else ""))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_text(target, text)
                report.written.append(str(target))
    if dst.is_dir():
        report.orphans = [str(p) for p in sorted(dst.glob("*.ipynb")) if p.name not in expected]
    return report


def _student_main(out: str, *, with_solutions: bool) -> int:
    from mlserving_lab.course.student import build_student_bundle

    check = release(check=True)
    if not check.in_sync:
        for path in check.differs + check.orphans:
            print(f"out of sync: {path}")
        print("run `mlserving-lab release` first: the bundle must match the committed notebooks")
        return 1
    try:
        bundle = build_student_bundle(out, with_solutions=with_solutions)
    except (ReleaseError, ValueError, FileNotFoundError) as exc:
        print(f"release --student failed: {exc}")
        return 2
    what = "with solutions" if with_solutions else "without solutions or hidden checks"
    print(f"wrote a student bundle ({what}) to {bundle.root}: {len(bundle.notebooks)} "
          f"notebooks and {bundle.wheel.name}")
    print(f"students run `make lab` in {bundle.root}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``mlserving-lab release [--check | --student OUT [--with-solutions]]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="mlserving-lab release",
        description="Generate learner notebooks (notebooks/) from solution notebooks "
                    "(solutions/).")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and list notebooks that are out of sync")
    parser.add_argument("--solutions", default=None, help="source folder (default solutions/)")
    parser.add_argument("--notebooks", default=None, help="output folder (default notebooks/)")
    parser.add_argument("--student", metavar="OUT", default=None,
                        help="write a student bundle to OUT: learner notebooks and a wheel "
                             "without solutions or hidden checks")
    parser.add_argument("--with-solutions", action="store_true",
                        help="with --student: include the solutions (for after the deadline)")
    args = parser.parse_args(argv)
    if args.with_solutions and not args.student:
        parser.error("--with-solutions needs --student OUT")
    if args.student:
        if args.check:
            parser.error("--student and --check cannot be combined")
        return _student_main(args.student, with_solutions=args.with_solutions)
    try:
        report = release(args.solutions, args.notebooks, check=args.check)
    except ReleaseError as exc:
        print(f"release failed: {exc}")
        return 2
    for path in report.written:
        print(f"wrote {path}")
    if args.check:
        for path in report.differs:
            print(f"out of sync: {path}")
        for path in report.orphans:
            print(f"no source in solutions/: {path}")
        if not report.in_sync:
            print("run `mlserving-lab release` (or `make release`) and commit notebooks/")
            return 1
        print(f"{len(report.unchanged)} learner notebooks and solution texts are in sync with "
              "solutions/")
        return 0
    for path in report.orphans:
        print(f"warning: {path} has no source in solutions/")
    print(f"{len(report.written)} written, {len(report.unchanged)} unchanged")
    return 0
