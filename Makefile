# mlserving-lab: the two commands a learner needs are `make lab` and `make test`.
# Both run `make setup` first, which creates .venv/ and installs the pinned stack.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Jupyter refuses to run as root without --allow-root; add it only when we are root.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
JOBS ?= 2
ARGS ?=

.PHONY: help setup lab test unit doctest notebooks lint release release-check student doctor pins bench stress clean

help:
	@echo "make lab      install (first time) and open JupyterLab on notebooks/00_start_here.ipynb"
	@echo "make test     install (first time) and run lint, unit tests and every notebook"
	@echo "make setup    only create .venv/ and install the pinned dependencies"
	@echo "make release  regenerate notebooks/ from solutions/"
	@echo "make student OUT=handout   write a student bundle (no solutions, no hidden checks)"
	@echo "make bench    run the benchmarks in benchmarks/ (slow; not part of make test)"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if (3, 11) <= v[:2] < (3, 14) else "mlserving-lab needs Python 3.11-3.13, found %d.%d (set PYTHON=/path/to/python3.11)" % v[:2])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)
	@$(BIN)/mlserving-lab doctor

lab: setup
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" notebooks/00_start_here.ipynb $(ARGS)

lint: setup
	$(BIN)/ruff check mlserving_lab tests $(wildcard benchmarks)
	$(BIN)/lint-imports --no-cache

unit: setup
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile tests

notebooks: setup
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval-lax --nbval-current-env solutions notebooks

# The whole suite: lint and the import contract, unit tests (which also execute every notebook
# and check its outcomes), the numpydoc Examples as doctests, and nbval over solutions/ and
# notebooks/ -- in one pytest run so both cores stay busy.
test: setup lint
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --durations=15 --doctest-modules --nbval-lax --nbval-current-env tests mlserving_lab solutions notebooks

doctest: setup
	$(BIN)/python -m pytest -n $(JOBS) --doctest-modules mlserving_lab

release: setup
	$(BIN)/mlserving-lab release

release-check: setup
	$(BIN)/mlserving-lab release --check

OUT ?= student-bundle
student: setup
	$(BIN)/mlserving-lab release --student $(OUT)

doctor: setup
	$(BIN)/mlserving-lab doctor

bench: setup
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# Every solution notebook idle and again under two CPU burners: no check's verdict may flip.
stress: setup
	$(BIN)/python benchmarks/stress_checkers.py

# Re-resolve the exact pins after editing pyproject.toml (needs the registry).
pins:
	rm -rf /tmp/mlserving-pins && $(PYTHON) -m venv /tmp/mlserving-pins
	/tmp/mlserving-pins/bin/python -m pip install --quiet --upgrade pip
	/tmp/mlserving-pins/bin/python -m pip install --quiet "torch==2.13.0" -e ".[dev]"
	{ sed -n '1,3p' constraints.txt; /tmp/mlserving-pins/bin/python -m pip freeze --exclude-editable | sed 's/^torch==2.13.0+cpu/torch==2.13.0/'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
