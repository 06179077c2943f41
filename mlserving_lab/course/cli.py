"""The ``mlserving-lab`` command: doctor, release and grade."""

from __future__ import annotations

import sys

USAGE = """usage: mlserving-lab COMMAND [options]

commands:
  doctor     show Python and key library versions against the tested ones
  release    generate learner notebooks/ from solutions/ (--check: only compare)
  grade      grade submitted exercise notebooks into a gradebook CSV
  version    print the package version

Run `mlserving-lab COMMAND --help` for a command's options."""


def doctor(argv: list[str] | None = None) -> int:
    """`mlserving-lab doctor`: print the report; exit 1 with --strict when anything differs."""
    import argparse

    from mlserving_lab.environment import check_environment

    parser = argparse.ArgumentParser(prog="mlserving-lab doctor",
                                     description="Show installed versions against tested ones.")
    parser.add_argument("--strict", action="store_true", help="exit 1 when anything differs")
    args = parser.parse_args(argv)
    report = check_environment(warn=False)
    print(report)
    print(f"\nPython executable: {sys.executable}")
    from mlserving_lab.course.sandbox import bwrap_problem

    problem = bwrap_problem()
    sandboxed = problem is None
    if sandboxed:
        print("Grading sandbox: yes (bubblewrap works here; `mlserving-lab grade` isolates each "
              "submission)")
    else:
        print(f"Grading sandbox: NO ({problem}); `mlserving-lab grade` will refuse to run "
              "unless given `--sandbox none`. Install bubblewrap (`apt-get install "
              "bubblewrap`) or grade inside a Linux container or VM.")
    return 1 if (args.strict and not report.ok) else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlserving-lab`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "doctor":
        return doctor(rest)
    if command == "release":
        from mlserving_lab.course.release import main as release_main

        return release_main(rest)
    if command == "grade":
        from mlserving_lab.course.grading import main as grade_main

        return grade_main(rest)
    if command in ("version", "--version"):
        from mlserving_lab import __version__

        print(__version__)
        return 0
    print(f"mlserving-lab: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
