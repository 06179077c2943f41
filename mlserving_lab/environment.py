"""Environment check: the versions this course was tested with, against what is installed."""

from __future__ import annotations

import html
import platform
import warnings
from dataclasses import dataclass, field
from importlib import metadata

from mlserving_lab.errors import (
    EnvironmentMismatchWarning,
)

__all__ = ["TESTED_VERSIONS", "EnvironmentMismatchWarning", "EnvironmentReport",
           "check_environment"]

#: Exact versions the notebooks and tests were run with (they match constraints.txt; a unit
#: test keeps the two in step). Minor-version differences produce a warning.
TESTED_VERSIONS: dict[str, str] = {
    "python": "3.11",
    "numpy": "2.4.6",
    "pandas": "3.1.1",
    "scipy": "1.17.1",
    "scikit-learn": "1.9.1",
    "matplotlib": "3.11.2",
    "joblib": "1.6.0",
    "torch": "2.13.0",
    "onnx": "1.23.2",
    "onnxruntime": "1.32.0",
    "onnxscript": "0.7.2",
    "skl2onnx": "1.20.0",
    "skops": "0.16.0",
    "jupyterlab": "4.6.6",
}

#: Packages that only some lessons need; missing ones are reported, not warned about.
OPTIONAL = {"dask": "2026.8.0", "distributed": "2026.8.0"}


def _major_minor(version: str) -> tuple[str, ...]:
    core = version.split("+")[0]
    return tuple(core.split(".")[:2])


def _installed(package: str) -> str | None:
    if package == "python":
        return platform.python_version()
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@dataclass
class EnvironmentReport:
    """What :func:`check_environment` found. Renders as a table in a notebook.

    Attributes
    ----------
    rows : list of dict
        One per package: ``package``, ``installed``, ``tested``, ``status``.
    problems : list of str
        Human-readable mismatches (empty when everything matches).
    """

    rows: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every required package matches the tested major.minor version."""
        return not self.problems

    def to_frame(self):
        """The report as a pandas DataFrame indexed by package."""
        import pandas as pd

        return pd.DataFrame(self.rows).set_index("package")

    def summary(self) -> str:
        if self.ok:
            return (f"Environment OK: Python {platform.python_version()} and "
                    f"{len(self.rows) - 1} key libraries match the tested versions.")
        return ("Environment differs from the tested one; results and exercises may not "
                "behave as described:\n  - " + "\n  - ".join(self.problems))

    def __str__(self) -> str:
        lines = [self.summary(), "", f"{'package':<14} {'installed':<16} {'tested':<10} status"]
        for r in self.rows:
            lines.append(f"{r['package']:<14} {r['installed'] or '-':<16} {r['tested']:<10} "
                         f"{r['status']}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#b35900"
        head = html.escape(self.summary()).replace("\n", "<br>")
        body = "".join(
            f"<tr><td>{html.escape(r['package'])}</td><td>{html.escape(r['installed'] or '-')}"
            f"</td><td>{html.escape(r['tested'])}</td><td>{html.escape(r['status'])}</td></tr>"
            for r in self.rows
        )
        return (f"<div><p style='color:{colour};font-weight:bold'>{head}</p>"
                "<details><summary>versions</summary><table><tr><th>package</th>"
                f"<th>installed</th><th>tested</th><th>status</th></tr>{body}</table>"
                "</details></div>")

    def __repr__(self) -> str:
        return self.summary()


def check_environment(*, warn: bool = True, packages: dict[str, str] | None = None
                      ) -> EnvironmentReport:
    """Compare Python and the key libraries with the versions the course was tested with.

    The first code cell of every notebook calls this. A different patch release is fine; a
    different major or minor release, or a missing package, is reported and (by default)
    raises an :class:`EnvironmentMismatchWarning`.

    Parameters
    ----------
    warn : bool, default True
        Emit an :class:`EnvironmentMismatchWarning` when something differs.
    packages : dict, optional
        ``{distribution name: tested version}`` to check instead of :data:`TESTED_VERSIONS`.

    Returns
    -------
    EnvironmentReport
        ``.ok`` is True when everything matches; ``.to_frame()`` gives the table.

    Examples
    --------
    >>> report = check_environment(warn=False)
    >>> report.to_frame().loc["python", "tested"]
    '3.11'
    """
    tested = dict(TESTED_VERSIONS if packages is None else packages)
    report = EnvironmentReport()
    from mlserving_lab import __version__

    report.rows.append({"package": "mlserving-lab", "installed": __version__,
                        "tested": __version__, "status": "ok"})
    for package, want in tested.items():
        have = _installed(package)
        if have is None:
            status = "MISSING"
            report.problems.append(f"{package} is not installed (tested with {want}); "
                                   "run `make setup`")
        elif _major_minor(have) != _major_minor(want):
            status = "DIFFERENT"
            report.problems.append(f"{package} {have} is installed, the course was tested "
                                   f"with {want}")
        elif want.count(".") >= 2 and have.split("+")[0] != want:
            status = "ok (patch differs)"
        else:
            status = "ok"
        report.rows.append({"package": package, "installed": have, "tested": want,
                            "status": status})
    if packages is None:
        for package, want in OPTIONAL.items():
            have = _installed(package)
            report.rows.append({"package": package, "installed": have, "tested": want,
                                "status": "ok" if have else "optional, not installed"})
    if warn and report.problems:
        warnings.warn(report.summary(), EnvironmentMismatchWarning, stacklevel=2)
    return report
