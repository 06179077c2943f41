"""A student release: learner notebooks plus a wheel without solutions or hidden checks.

``mlserving-lab release --student OUT`` writes::

    OUT/notebooks/*.ipynb                         the learner notebooks (as in notebooks/)
    OUT/dist/mlserving_lab-<version>-py3-none-any.whl
    OUT/constraints.txt                           the exact pins
    OUT/README.md, OUT/Makefile                   `make lab` installs and opens JupyterLab

The wheel holds the whole package except :mod:`mlserving_lab.course.instructor` (the hidden
checks and the solution texts). In a student install the questions check, hint and run as
usual, ``q.solution()`` says that solutions are not part of the release, and ``mlserving-lab
grade`` refuses: grading needs the instructor's install. ``--with-solutions`` adds the solution
texts (not the hidden checks) and the solution notebooks, for after the deadline.

The bundle is reproducible: the wheel is written file by file in sorted order with fixed
timestamps and permissions, so the same sources give byte-identical files.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from mlserving_lab.atomic import atomic_write_bytes, atomic_write_text

__all__ = ["StudentBundle", "build_student_bundle", "build_wheel"]

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP_PARTS = {"__pycache__"}
_INSTRUCTOR = ("mlserving_lab", "course", "instructor")

#: ``instructor/__init__.py`` of a ``--with-solutions`` wheel: solution texts, no hidden checks.
SOLUTIONS_ONLY_INIT = '''"""Solution texts only (a student release built with --with-solutions).

The hidden grading checks are not part of this release, so ``mlserving-lab grade`` refuses.
"""

GRADING = False
'''


@dataclass
class StudentBundle:
    """What :func:`build_student_bundle` wrote."""

    root: Path
    wheel: Path
    notebooks: list[Path] = field(default_factory=list)
    with_solutions: bool = False

    @property
    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())


def _project_root(start: Path | None = None) -> Path:
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "pyproject.toml").is_file() and (folder / "solutions").is_dir() \
                and (folder / "mlserving_lab").is_dir():
            return folder
    package_root = Path(__file__).resolve().parents[2]
    if (package_root / "pyproject.toml").is_file() and (package_root / "solutions").is_dir():
        return package_root
    raise FileNotFoundError("run `release --student` from the mlserving-lab repository (it needs "
                            "solutions/, pyproject.toml and the package sources)")


def _project_metadata(root: Path) -> dict:
    import tomllib

    with open(root / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]


def _wheel_files(root: Path, *, with_solutions: bool) -> dict[str, bytes]:
    """``{archive name: bytes}`` of the package files that go into the student wheel."""
    files: dict[str, bytes] = {}
    package = root / "mlserving_lab"
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or _SKIP_PARTS & set(rel.parts) or path.suffix in (".pyc", ".pyo"):
            continue
        if rel.parts[:3] == _INSTRUCTOR:
            keep = with_solutions and rel.parts[3:4] == ("solutions",) and path.suffix == ".json"
            if not keep:
                continue
        files[rel.as_posix()] = path.read_bytes()
    if with_solutions:
        files["/".join(_INSTRUCTOR) + "/__init__.py"] = SOLUTIONS_ONLY_INIT.encode()
    return files


def _metadata_text(project: dict, version: str) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {version}",
             f"Summary: {project.get('description', '')}",
             f"Requires-Python: {project.get('requires-python', '')}",
             f"License: {project.get('license', '')}"]
    lines += [f"Requires-Dist: {req}" for req in project.get("dependencies", [])]
    return "\n".join(lines) + "\n\nStudent release of the mlserving-lab course package.\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(out_dir, *, root=None, with_solutions: bool = False) -> Path:
    """Write the student wheel into ``out_dir``; return its path.

    Parameters
    ----------
    out_dir : path
    root : path, optional
        The repository (found from the current directory by default).
    with_solutions : bool, default False
        Include the solution texts (never the hidden checks).
    """
    root = _project_root(Path(root) if root else None)
    project = _project_metadata(root)
    version = project["version"]
    dist = f"{project['name'].replace('-', '_')}-{version}"
    info = f"{dist}.dist-info"
    files = _wheel_files(root, with_solutions=with_solutions)
    scripts = project.get("scripts", {})
    extra = {
        f"{info}/METADATA": _metadata_text(project, version).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: mlserving-lab release --student\n"
                         b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/top_level.txt": b"mlserving_lab\n",
        f"{info}/entry_points.txt": ("[console_scripts]\n" + "".join(
            f"{k} = {v}\n" for k, v in sorted(scripts.items()))).encode(),
    }
    entries = sorted(files.items()) + sorted(extra.items())
    record = "\n".join([*(_record_line(n, d) for n, d in entries), f"{info}/RECORD,,"]) + "\n"
    entries.append((f"{info}/RECORD", record.encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=_EPOCH)
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data, compresslevel=9)
    out = Path(out_dir) / f"{dist}-py3-none-any.whl"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, buf.getvalue())
    return out


_README = """# mlserving-lab: student bundle (version {version})

This folder holds the course notebooks and the course package.

## Start

```bash
make lab
```

The first run creates `.venv/` with the exact versions in `constraints.txt` and installs the
package from `dist/`. After that it opens JupyterLab on `notebooks/00_start_here.ipynb`. You need
Python 3.11 to 3.13 and access to the package registry. If `python3` is not the right Python, run
`make lab PYTHON=/path/to/python3.11`.

## Working through a notebook

Write your code where a cell says `# YOUR CODE HERE`, replacing each `____`. Then run the
`qN.check(...)` line below it. `qN.hint()` gives a hint.
{solutions_line}
## Handing in

Save the notebook and hand in the `.ipynb` file as your instructor asks. Your instructor grades it
with the full course install, which adds checks that are not in this bundle. Write your own code:
the grader runs it again on data it picks itself.
"""

_MAKEFILE = """# mlserving-lab student bundle: `make lab` installs (first time) and opens JupyterLab.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WHEEL := dist/{wheel}
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab setup clean

lab: setup
\t$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" notebooks/00_start_here.ipynb

setup: $(STAMP)

$(STAMP): $(WHEEL) constraints.txt
\t@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if (3, 11) <= v[:2] < (3, 14) else "mlserving-lab needs Python 3.11-3.13, found %d.%d (set PYTHON=/path/to/python3.11)" % v[:2])'
\t@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
\t$(BIN)/python -m pip install --quiet -c constraints.txt "$(WHEEL)"
\t@touch $(STAMP)
\t@$(BIN)/mlserving-lab doctor

clean:
\trm -rf $(VENV)
"""


def build_student_bundle(out, *, root=None, with_solutions: bool = False) -> StudentBundle:
    """Write a student bundle to ``out`` (see the module docstring); return what was written.

    Files already in ``out`` that the bundle does not contain are left alone; every file of the
    bundle is written atomically.
    """
    import nbformat

    from mlserving_lab.course.release import learner_version

    root = _project_root(Path(root) if root else None)
    out = Path(out)
    resolved = out.resolve()
    protected = [root, *(root / d for d in ("mlserving_lab", "solutions", "notebooks", "tests"))]
    if resolved == root or any(resolved == d or d in resolved.parents for d in protected[1:]):
        raise ValueError(f"{out} is the repository or inside its sources; write the student "
                         "bundle to a folder of its own")
    version = _project_metadata(root)["version"]
    wheel = build_wheel(out / "dist", root=root, with_solutions=with_solutions)
    bundle = StudentBundle(out, wheel, with_solutions=with_solutions)
    for path in sorted((root / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        target = out / "notebooks" / path.name
        atomic_write_text(target, nbformat.writes(learner_version(nb, name=path.stem)) + "\n")
        bundle.notebooks.append(target)
        if with_solutions:
            text = path.read_text(encoding="utf-8")
            atomic_write_text(out / "solutions" / path.name, text)
    atomic_write_text(out / "constraints.txt",
                      (root / "constraints.txt").read_text(encoding="utf-8"))
    solutions_line = ("`qN.solution()` shows the reference solution, and `solutions/` holds the "
                      "solution notebooks.\n" if with_solutions else
                      "Solutions are not part of this bundle.\n")
    atomic_write_text(out / "README.md", _README.format(version=version,
                                                         solutions_line=solutions_line))
    atomic_write_text(out / "Makefile", _MAKEFILE.format(wheel=wheel.name))
    manifest = {"version": version, "with_solutions": with_solutions,
                "files": {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                          for p in bundle.files if p.name != "MANIFEST.json"
                          and not p.relative_to(out).parts[0].startswith(".")}}
    atomic_write_text(out / "MANIFEST.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return bundle

