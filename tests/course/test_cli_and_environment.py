"""Environment check, pins kept in step, and the console script."""

import re
import subprocess
import sys
import warnings

import pytest
from _notebook_outcomes import ROOT

from mlserving_lab import check_environment
from mlserving_lab.environment import TESTED_VERSIONS, EnvironmentMismatchWarning


def test_this_environment_matches_the_tested_versions():
    report = check_environment(warn=False)
    assert report.ok, report.problems
    frame = report.to_frame()
    assert {"numpy", "torch", "scikit-learn", "python"} <= set(frame.index)
    assert "Environment OK" in report._repr_html_()


def test_mismatch_warns_clearly():
    with pytest.warns(EnvironmentMismatchWarning, match=r"numpy .* is installed, the course "
                                                       r"was tested with 1\.0\.0"):
        report = check_environment(packages={"numpy": "1.0.0"})
    assert not report.ok and report.to_frame().loc["numpy", "status"] == "DIFFERENT"


def test_missing_package_is_reported():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_environment(packages={"no-such-package-xyz": "1.0"}, warn=False)
    assert report.problems == ["no-such-package-xyz is not installed (tested with 1.0); "
                               "run `make setup`"]


def test_patch_difference_is_fine():
    installed = check_environment(warn=False).to_frame().loc["numpy", "installed"]
    major, minor, _ = installed.split(".")
    report = check_environment(packages={"numpy": f"{major}.{minor}.999"}, warn=False)
    assert report.ok and report.to_frame().loc["numpy", "status"] == "ok (patch differs)"


def _pins(text, pattern):
    return {m.group(1).lower(): m.group(2) for m in re.finditer(pattern, text, re.M)}


def test_tested_versions_match_constraints_and_environment_yml():
    constraints = _pins((ROOT / "constraints.txt").read_text(), r"^([A-Za-z0-9_.-]+)==(\S+)")
    env_yml = _pins((ROOT / "environment.yml").read_text(), r"^\s*-\s*([A-Za-z0-9_.-]+)==([^\s#]+)")
    for package, version in TESTED_VERSIONS.items():
        if package == "python":
            assert re.search(rf"python={version}", (ROOT / "environment.yml").read_text())
            continue
        assert constraints.get(package) == version, f"{package}: constraints.txt differs"
        assert env_yml.get(package) == version, f"{package}: environment.yml differs"
    assert constraints["torch"] == "2.13.0"


def test_doctor_command():
    proc = subprocess.run([sys.executable, "-m", "mlserving_lab.course.cli", "doctor"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "Environment OK" in proc.stdout and "scikit-learn" in proc.stdout


def test_console_script_usage():
    exe = ROOT / ".venv" / "bin" / "mlserving-lab"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "mlserving_lab.course.cli"]
    proc = subprocess.run([*cmd, "bogus"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "unknown command 'bogus'" in proc.stderr
    proc = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "release" in proc.stdout and "grade" in proc.stdout
