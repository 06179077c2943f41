"""The two layers: the library never imports the course; nobody imports others' private names.

import-linter (run by `make lint`) enforces the first rule on the import graph. These tests make
sure its contract lists every library module, and add the rule import-linter cannot express:
no module imports a private (leading underscore) name of a third-party library, and the course
imports only the library's public names.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mlserving_lab"
THIRD_PARTY = {"scipy", "sklearn", "numpy", "pandas", "onnx", "onnxruntime", "skl2onnx", "torch"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(imported module, imported name or None, line) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.module, alias.name, node.lineno


def _contract_sources() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    forbidden = [c for c in contracts if "mlserving_lab.course" in c.get("forbidden_modules", [])]
    assert forbidden, "pyproject.toml has no import-linter contract forbidding the course"
    return set(forbidden[0]["source_modules"])


def test_the_contract_lists_every_public_library_module():
    library = {_dotted(p).split(".")[1] for p in PACKAGE.iterdir()
               if (p.suffix == ".py" or (p / "__init__.py").exists())
               and p.name not in ("__init__.py", "course") and not p.name.startswith("_")}
    listed = {m.split(".")[1] for m in _contract_sources()}
    assert library - listed == set(), "add these modules to the import-linter contract"
    assert listed - library == set(), "the contract lists modules that do not exist"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_of_other_libraries(path):
    bad = []
    for module, name, line in _imports(path):
        top = module.split(".")[0]
        if top not in THIRD_PARTY:
            continue
        private_module = any(part.startswith("_") and not part.startswith("__")
                             for part in module.split("."))
        if private_module or (name or "").startswith("_"):
            bad.append(f"line {line}: {module} {name or ''}")
    assert not bad, f"{path.name} imports private names of other libraries: {bad}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "course").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_course_imports_only_public_library_names(path):
    bad = []
    for module, name, line in _imports(path):
        parts = module.split(".")
        if parts[0] != "mlserving_lab" or module.startswith("mlserving_lab.course"):
            continue
        private_name = (name or "").startswith("_") and not (name or "").startswith("__")
        if any(p.startswith("_") for p in parts[1:]) or private_name:
            bad.append(f"line {line}: from {module} import {name}")
    assert not bad, f"{path.name} imports private library names: {bad}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "course" / "exercises").glob("*.py")),
                         ids=lambda p: p.name)
def test_question_modules_share_checkers_by_public_names(path):
    bad = [f"line {line}: from {module} import {name}" for module, name, line in _imports(path)
           if module.startswith("mlserving_lab.course.exercises.")
           and (name or "").startswith("_") and not (name or "").startswith("__")]
    assert not bad, f"{path.name} imports another question module's private names: {bad}"
