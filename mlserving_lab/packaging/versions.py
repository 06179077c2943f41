"""Library versions and pinned requirements of an artifact.

Lesson 06. :func:`library_versions` records what a model was saved with,
:func:`version_differences` compares that with what is installed, and
:func:`parse_requirements` reads a requirements file into exact pins and everything else.
Versions and requirement lines are read with :mod:`packaging` (PEP 440 / PEP 508), the rules
pip itself uses, so ``2.4`` and ``2.4.0`` are the same version and ``Scikit_Learn`` is
``scikit-learn``.
"""

from __future__ import annotations

import platform
from importlib import metadata as _im

import numpy as np
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = ["library_versions", "parse_requirements", "requirements_text", "same_version",
           "version_differences"]

_CORE_LIBRARIES = ("numpy", "scipy", "pandas", "scikit-learn", "joblib")


def _dist_version(name: str) -> str | None:
    try:
        return _im.version(name)
    except _im.PackageNotFoundError:
        return None


def _model_distributions(model, limit: int = 20000) -> set[str]:
    """Distributions whose classes appear inside ``model`` (walks attributes, lists, dicts)."""
    try:
        mapping = _im.packages_distributions()
    except Exception:  # noqa: BLE001 - metadata can be broken in odd environments
        mapping = {}
    roots: set[str] = set()
    seen: set[int] = set()
    stack = [model]
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        roots.add(type(obj).__module__.split(".")[0])
        if isinstance(obj, np.ndarray) or isinstance(obj, (str, bytes, int, float, bool)):
            continue
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
        if callable(obj) and hasattr(obj, "__module__") and isinstance(obj.__module__, str):
            roots.add(obj.__module__.split(".")[0])
    dists = set()
    for root in roots:
        for dist in mapping.get(root, []):
            dists.add(dist)
    return dists


def library_versions(model=None, *, extra=()) -> dict[str, str]:
    """Installed versions of the core libraries and of every library ``model`` uses.

    Lesson 06.

    Parameters
    ----------
    model : object, optional
        Its classes' packages are added (e.g. ``torch`` for a torch module).
    extra : iterable of str
        More distribution names to record.

    Returns
    -------
    dict
        ``{"python": "3.11.7", "numpy": "2.4.6", ...}`` (only installed distributions).

    Examples
    --------
    >>> "numpy" in library_versions()
    True
    """
    names = set(_CORE_LIBRARIES) | set(extra)
    if model is not None:
        names |= _model_distributions(model)
    versions = {"python": platform.python_version()}
    for name in sorted(names, key=str.lower):
        v = _dist_version(name)
        if v is not None:
            versions[canonicalize_name(name)] = v
    return versions


def version_differences(saved: dict, current: dict | None = None):
    """Libraries whose versions differ between ``saved`` and ``current``.

    Lesson 06.

    Parameters
    ----------
    saved : dict
        ``{library: version}`` as recorded in an artifact's metadata.
    current : dict, optional
        Defaults to the installed versions of the same libraries.

    Returns
    -------
    pandas.DataFrame
        Columns ``library``, ``saved``, ``installed`` (``"not installed"`` when missing); one
        row per difference, empty when everything matches. Versions are compared as PEP 440
        versions (``1.6`` equals ``1.6.0``).

    Examples
    --------
    >>> version_differences({"numpy": "2.4", "pandas": "3.1.1"},
    ...                     {"numpy": "2.4.0", "pandas": "3.0.2"}).to_dict("records")
    [{'library': 'pandas', 'saved': '3.1.1', 'installed': '3.0.2'}]
    """
    import pandas as pd

    if not isinstance(saved, dict):
        raise TypeError(f"saved must be a dict of versions, got {type(saved).__name__}")
    rows = []
    for lib, ver in sorted(saved.items()):
        if current is not None:
            now = current.get(lib)
        elif lib == "python":
            now = platform.python_version()
        else:
            now = _dist_version(lib)
        if not same_version(ver, now):
            rows.append({"library": lib, "saved": ver, "installed": now or "not installed"})
    return pd.DataFrame(rows, columns=["library", "saved", "installed"])


def same_version(a, b) -> bool:
    """Whether two version strings name the same PEP 440 version (text equality otherwise).

    Examples
    --------
    >>> same_version("2.4", "2.4.0"), same_version("2.4.6", "2.4.7"), same_version("1.0", None)
    (True, False, False)
    """
    if a is None or b is None:
        return a is b
    try:
        return Version(str(a)) == Version(str(b))
    except InvalidVersion:
        return str(a) == str(b)


def requirements_text(deps: dict) -> str:
    """``requirements.txt`` pinning every library of ``deps`` exactly (``name==version``).

    Examples
    --------
    >>> print(requirements_text({"python": "3.11.7", "numpy": "2.4.6"}), end="")
    # written by mlserving_lab.packaging; python 3.11.7
    numpy==2.4.6
    """
    lines = [f"# written by mlserving_lab.packaging; python {deps.get('python', '?')}"]
    lines += [f"{name}=={ver}" for name, ver in sorted(deps.items()) if name != "python"]
    return "\n".join(lines) + "\n"


def parse_requirements(text: str) -> tuple[list[Requirement], list[str]]:
    r"""Split a requirements file into exact pins and every other line.

    A pin is a PEP 508 requirement with exactly one ``==`` specifier and no wildcard
    (``numpy==2.4.6``, also with extras or an environment marker). Everything else is
    "loose": ranges (``numpy>=2``), bare names, ``==2.*``, URLs, pip options (``-r``, ``-e``)
    and lines that are not requirements at all. Comments and blank lines are skipped.

    Parameters
    ----------
    text : str
        The contents of a requirements file.

    Returns
    -------
    pins : list of packaging.requirements.Requirement
    loose : list of str
        The offending lines, stripped of comments.

    Examples
    --------
    >>> pins, loose = parse_requirements("numpy==2.4.6  # exact\npandas>=2\n")
    >>> [str(r) for r in pins], loose
    (['numpy==2.4.6'], ['pandas>=2'])
    """
    pins: list[Requirement] = []
    loose: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            loose.append(line)
            continue
        specs = list(req.specifier)
        exact = (len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version
                 and req.url is None)
        (pins if exact else loose).append(req if exact else line)
    return pins, loose
