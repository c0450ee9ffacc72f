# Keras Under the Hood: the two commands are `make lab` and `make test`.
# Everything installs into ./.venv; nothing is installed globally.

PYTHON    ?= python3.11
VENV      := .venv
BIN       := $(VENV)/bin
# BACKENDS=tensorflow gives `make lab` a lighter install (TensorFlow only);
# `make test` always installs all three backends.
BACKENDS  ?= all
LAB_IP    ?= 127.0.0.1
LAB_PORT  ?= 8888
LAB_FLAGS ?=
# Seconds a single notebook cell may run before nbval fails it (a hung cell must
# not eat CI's whole budget).
CELL_TIMEOUT ?= 120
# Parallel jobs for the Python tests and for the notebook runs (one per core).
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
REQS      := requirements/lab.txt requirements/backends.txt requirements/test.txt
# Every install is constrained by all pins, so separate installs cannot drift apart.
PIP       := $(BIN)/python -m pip install --disable-pip-version-check $(addprefix -c ,$(REQS))
PYTEST    := $(BIN)/python -m pytest -p no:cacheprovider
NBVAL     := $(PYTEST) --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test test-python test-ui test-notebooks nbval-tensorflow nbval-jax nbval-torch \
        nbval-strict lint execute bench install install-lab install-test clean help pre-commit

help:
	@echo "make lab      set up .venv if needed and open JupyterLab on notebooks/"
	@echo "              (BACKENDS=tensorflow for a lighter install; LAB_IP, LAB_PORT)"
	@echo "make test     set up .venv if needed and run the whole test suite"
	@echo "make execute  re-run the notebooks on TensorFlow and store their outputs"
	@echo "make bench    time and memory of every notebook on every backend"
	@echo "make pre-commit  install the git hooks (ruff, ruff format, file checks) for contributors"
	@echo "make clean    remove .venv"

# --- set-up --------------------------------------------------------------------------------

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required: '$(PYTHON)' was not found. Install it, or run 'make PYTHON=/path/to/python3.11 ...'."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "Python 3.11 is required: '$(PYTHON)' is $$($(PYTHON) --version). Run 'make PYTHON=/path/to/python3.11 ...'."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.lab.stamp: $(BIN)/python requirements/lab.txt pyproject.toml
	$(PIP) -r requirements/lab.txt -e .
	@touch $@

$(VENV)/.backends.stamp: $(VENV)/.lab.stamp requirements/backends.txt
	$(PIP) -r requirements/backends.txt
	@touch $@

$(VENV)/.test.stamp: $(VENV)/.backends.stamp requirements/test.txt
	$(PIP) -r requirements/test.txt
	@touch $@

install-lab: $(VENV)/.lab.stamp $(if $(filter tensorflow,$(BACKENDS)),,$(VENV)/.backends.stamp)
install-test: $(VENV)/.test.stamp
install: install-test

# --- the two commands ----------------------------------------------------------------------

lab: install-lab
	$(BIN)/jupyter lab --ServerApp.ip=$(LAB_IP) --ServerApp.port=$(LAB_PORT) \
	    --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_FLAGS)

test: install-test
	$(MAKE) --no-print-directory lint test-python test-ui
	$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target test-notebooks

# --- the parts of `make test` --------------------------------------------------------------

lint: install-test
	$(BIN)/ruff check helpers tests notebooks benchmarks conftest.py
	$(BIN)/ruff format --check helpers tests notebooks benchmarks conftest.py

# helpers unit tests, environment-file consistency, notebook hygiene, `make lab` smoke test.
test-python: install-test
	$(PYTEST) -n $(JOBS) --ignore=tests/ui tests

# Every notebook in a real JupyterLab in headless Chromium (Debian's `chromium` package; the
# tests skip, saying so, without it): Run All from the menu, no errors, every figure shown,
# every slider redraws its figure. Screenshots go to tests/ui/artifacts/.
test-ui: install-test
	$(PYTEST) tests/ui

# Every notebook, top to bottom in a fresh kernel, once per backend (lax: only cells marked
# NBVAL_CHECK_OUTPUT are compared), plus a strict run on TensorFlow that compares every
# stored output. The four runs are independent, so they run side by side.
test-notebooks: nbval-tensorflow nbval-jax nbval-torch nbval-strict

nbval-tensorflow nbval-jax nbval-torch: nbval-%: install-test
	KERAS_BACKEND=$* $(NBVAL) --nbval-lax $(NOTEBOOKS)

nbval-strict: install-test
	KERAS_BACKEND=tensorflow $(NBVAL) --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg $(NOTEBOOKS)

# --- maintenance ---------------------------------------------------------------------------

# Re-run every notebook on TensorFlow (the default backend) and store the outputs that
# `make test` compares against. Deterministic: every notebook seeds itself.
execute: install-test
	$(BIN)/python tests/harness.py execute $(NOTEBOOKS) --timeout $(CELL_TIMEOUT)

# Time and memory of every notebook under every backend (3 fresh-kernel runs each), then the
# custom ops against Keras built-ins; writes benchmarks/results/ and the tables in README.md.
# Run it on an otherwise idle machine.
bench: install-test
	$(BIN)/python benchmarks/run_notebooks.py
	$(BIN)/python benchmarks/custom_ops.py

# For contributors: installs pre-commit into .venv (the version pinned in requirements/test.txt)
# and the git hooks of .pre-commit-config.yaml, which then run on every `git commit`.
pre-commit: $(BIN)/python
	$(PIP) pre-commit
	$(BIN)/pre-commit install

clean:
	rm -rf $(VENV)
