# Keras Under the Hood: the two commands are `make lab` and `make test`.
# Everything installs into ./.venv; nothing is installed globally.

# The Python versions the collection supports, oldest first. `make` takes the first of
# python3.11, python3.12 and python3.13 on the PATH that runs (a pyenv shim of a version that is
# not selected does not); `make ... PYTHON=/path/to/python` picks one.
PYTHONS   := 3.11 3.12 3.13
# The first of python$(1) (e.g. python3.11 python3.12) that runs, as its full path; looked for
# only when needed (lazily, once), so that `make -n` and a set-up .venv start no Python.
found      = $(if $(1),$(or $(shell python$(firstword $(1)) -c 'import sys; print(sys.executable)' \
             2>/dev/null),$(call found,$(wordlist 2,$(words $(1)),$(1)))))
ifeq ($(origin PYTHON),undefined)
PYTHON     = $(eval PYTHON := $(call found,$(PYTHONS)))$(PYTHON)
endif
NEEDED    := Python 3.11, 3.12 or 3.13 is required
# Stops with a message that says what to do unless $(1) names a Python of a supported version.
need_python = \
	test -n "$(1)" || { echo "$(NEEDED): no $(addprefix python,$(PYTHONS)) on the PATH runs. \
	Install one, or run 'make PYTHON=/path/to/python3 ...'."; exit 1; }; \
	command -v "$(1)" >/dev/null || { echo "$(NEEDED): '$(1)' was not found."; exit 1; }; \
	"$(1)" -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] not in "$(PYTHONS)".split())' \
	|| { echo "$(NEEDED): '$(1)' is $$("$(1)" --version 2>&1)."; exit 1; }
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
REQS      := requirements/lab.txt requirements/backends.txt requirements/test.txt requirements/site.txt
# Every install is constrained by all pins, so separate installs cannot drift apart.
PIP       := $(BIN)/python -m pip install --disable-pip-version-check $(addprefix -c ,$(REQS))
PYTEST    := $(BIN)/python -m pytest -p no:cacheprovider
# Every notebook run is offline and runs the notebook twice in one kernel (see conftest.py).
NBVAL     := $(PYTEST) --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) --nb-offline --nb-run-twice
LINTED    := helpers tools tests notebooks benchmarks website conftest.py
ROOT_FLAG  = $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test test-python test-ui test-notebooks nbval-tensorflow nbval-jax nbval-torch \
        test-backends test-site site lint execute bench bench-suite newest student student-repo grade install-grade install install-lab install-test install-lint clean help pre-commit

help:
	@echo "make lab      set up .venv if needed and open JupyterLab on notebooks/"
	@echo "              (BACKENDS=tensorflow for a lighter install; LAB_IP, LAB_PORT)"
	@echo "make test     set up .venv if needed and run the whole test suite"
	@echo "make execute  re-run the notebooks on TensorFlow and store their outputs"
	@echo "make site     the collection as a website, every backend's output, in build/site/"
	@echo "make bench    time and memory of every notebook on every backend"
	@echo "make bench-suite  time every stage of 'make test' in a fresh clone (as long as make test)"
	@echo "make pre-commit  install the git hooks (ruff, ruff format, file checks) for contributors"
	@echo "make student  the student edition (solutions stubbed) in build/student/"
	@echo "make student-repo  a history-free student repository in build/student-repo/"
	@echo "make grade SUBMISSION=nb.ipynb  grade a submitted notebook (report in build/grade/)"
	@echo "make grade SUBMISSIONS=dir/     grade a class, JOBS at a time (gradebook in build/grade/batch/)"
	@echo "make newest   every notebook on the newest keras, tensorflow, jax, torch and numpy"
	@echo "make clean    remove .venv and .venv-newest"

# --- set-up --------------------------------------------------------------------------------

$(BIN)/python:
	@$(call need_python,$(PYTHON))
	$(PYTHON) -m venv $(VENV)

$(VENV)/.lab.stamp: $(BIN)/python requirements/lab.txt pyproject.toml
	$(PIP) -r requirements/lab.txt -e .
	@touch $@

$(VENV)/.backends.stamp: $(VENV)/.lab.stamp requirements/backends.txt
	$(PIP) -r requirements/backends.txt
	@touch $@

$(VENV)/.test.stamp: $(VENV)/.backends.stamp requirements/test.txt requirements/site.txt
	$(PIP) -r requirements/test.txt -r requirements/site.txt
	@touch $@

install-lab: $(VENV)/.lab.stamp $(if $(filter tensorflow,$(BACKENDS)),,$(VENV)/.backends.stamp)
install-test: $(VENV)/.test.stamp
# Lint needs ruff alone (at its pinned version), not the 4 GB of backends.
$(VENV)/.lint.stamp: $(BIN)/python requirements/test.txt
	$(PIP) ruff
	@touch $@

install-lint: $(VENV)/.lint.stamp
install: install-test

# --- the two commands ----------------------------------------------------------------------

lab: install-lab
	$(BIN)/jupyter lab --ServerApp.ip=$(LAB_IP) --ServerApp.port=$(LAB_PORT) \
	    --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_FLAGS)

# Lint and the Python tests first (quick to fail); then the browser tests and the three notebook
# runs, side by side (each keeps about one core busy), the longest first; last the website,
# from the outputs the JAX and PyTorch runs left.
test: install-test
	$(MAKE) --no-print-directory lint test-python
	$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target nbval-tensorflow test-ui nbval-jax nbval-torch
	$(MAKE) --no-print-directory test-site

# --- the parts of `make test` --------------------------------------------------------------

lint: install-lint
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

# helpers unit tests, environment-file consistency, notebook hygiene, `make lab` smoke test,
# on TensorFlow; then test-backends.
test-python: install-test
	KERAS_BACKEND=tensorflow $(PYTEST) -n $(JOBS) --ignore=tests/ui --ignore=tests/site tests
	$(MAKE) --no-print-directory test-backends

# The tests that run Keras in pytest's own process, so on one backend (the exercise checks,
# helpers.portable through Keras' layer test harness, helpers.env), again on JAX and on
# PyTorch. Their `slow` tests start a process per backend themselves: test-python ran them.
BACKEND_TESTS := tests/checks tests/test_portable.py tests/test_portable_layer_harness.py \
                 tests/test_env.py
test-backends: install-test
	KERAS_BACKEND=jax $(PYTEST) -n $(JOBS) -m "not slow" $(BACKEND_TESTS)
	KERAS_BACKEND=torch $(PYTEST) -n $(JOBS) -m "not slow" $(BACKEND_TESTS)

# Every notebook in a real JupyterLab in headless Chromium (Debian's `chromium` package; the
# tests skip, saying so, without it): Run All from the menu, no errors, every figure shown,
# every slider redraws its figure. Screenshots go to tests/ui/artifacts/.
test-ui: install-test
	$(PYTEST) tests/ui

# The website (make site) in headless Chromium with every other host blocked: each page loads
# with no error and nothing from elsewhere, maths is typeset, solutions fold, each backend's tab
# shows its own output, search works. Builds the site first (tests/site/conftest.py).
test-site: install-test
	$(PYTEST) tests/site

# Every notebook in a fresh kernel per backend, offline, top to bottom and then all over again
# in the same kernel. On TensorFlow (the backend the outputs were stored from) in the notebook's
# own folder, comparing every stored output (strict); on JAX and PyTorch in an empty temporary
# folder, comparing the cells tagged nbval-check-output (lax). In the second run only those
# are compared. The three runs are independent, so they run side by side.
test-notebooks: nbval-tensorflow nbval-jax nbval-torch

nbval-tensorflow: install-test
	KERAS_BACKEND=tensorflow $(NBVAL) --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg $(NOTEBOOKS)

nbval-jax nbval-torch: nbval-%: install-test
	KERAS_BACKEND=$* $(NBVAL) --nbval-lax --nb-kernel-cwd=tmp \
	    --nb-save-outputs=build/backend-outputs $(NOTEBOOKS)

# --- maintenance ---------------------------------------------------------------------------

# Re-run every notebook on TensorFlow (the default backend) and store the outputs that
# `make test` compares against. Deterministic: every notebook seeds itself.
execute: install-test
	$(BIN)/python -m tools.harness execute $(NOTEBOOKS) --timeout $(CELL_TIMEOUT)

# The collection as a static website in build/site/ (open build/site/index.html): the stored
# (TensorFlow) outputs, and a tab per backend wherever JAX's or PyTorch's output differs. Those
# come from build/backend-outputs/, left by `make test`; a notebook whose outputs there are
# missing or stale (its code, helpers/ or the pins changed) is run first. Nothing is loaded from
# another host. SITE_FLAGS=--tensorflow-only: stored outputs only, no runs.
SITE_FLAGS ?=
site: install-test
	$(BIN)/python -m tools.website build --timeout $(CELL_TIMEOUT) --jobs $(JOBS) $(SITE_FLAGS)

# Time and memory of every notebook under every backend (3 fresh-kernel runs each), then the
# custom ops against Keras built-ins; writes benchmarks/results/ and the tables in README.md.
# Run it on an otherwise idle machine.
bench: install-test
	$(BIN)/python -m benchmarks.run_notebooks
	$(BIN)/python -m benchmarks.custom_ops

# Every stage of `make test` (install, lint, test-python, test-ui, test-notebooks), timed in a
# fresh clone of HEAD; writes benchmarks/results/test_suite.* and the README's suite table.
# Takes as long as `make test` from scratch. SUITE_FLAGS, e.g. "--label before --ref abc123".
SUITE_FLAGS ?=
bench-suite: install-test
	$(BIN)/python -m benchmarks.test_suite $(SUITE_FLAGS)

# For contributors: installs pre-commit into .venv (the version pinned in requirements/test.txt)
# and the git hooks of .pre-commit-config.yaml, which then run on every `git commit`.
pre-commit: $(BIN)/python
	$(PIP) pre-commit
	$(BIN)/pre-commit install

# --- for instructors (INSTRUCTORS.md) -------------------------------------------------------

# The student edition of every notebook, in build/student/notebooks/: each solution's body
# becomes nbgrader's stub (`# YOUR CODE HERE` / `raise NotImplementedError()`), the rest is left
# as it is. STUDENT_REF: the branch the student edition is published on (its Colab and Kaggle
# badges).
STUDENT_REF ?= student
student: install-lab
	$(BIN)/python -m tools.student build/student --colab-ref $(STUDENT_REF)

# A student repository, to publish or to make a GitHub Classroom template of: the student
# notebooks, helpers/ and what `make lab` needs, one commit and no history (so no solution),
# in build/student-repo. STUDENT_REPO_URL: the repository its badges open (on branch main).
STUDENT_REPO_URL ?=
student-repo: install-lab
	rm -rf build/student-repo
	$(BIN)/python -m tools.student build/student-repo --repository \
	    $(if $(STUDENT_REPO_URL),--badges-repository $(STUDENT_REPO_URL))

# Grade a submitted notebook: make grade SUBMISSION=path/to/notebook.ipynb [GRADE_BACKEND=jax].
# Runs it in a fresh kernel in a sandbox (tools/sandbox.py: no network, nothing of this machine
# but the Python environment and helpers/ visible, limits), CELL_TIMEOUT seconds per cell and
# 6 times that for the whole submission; writes build/grade/<name>.<backend>.json and .md
# (<name>.<notebook>.<backend> when the file is not named like the notebook). The grader exits 0
# when every exercise passed, 1 when one did not, 2 when it could not grade; GNU make exits 2 for
# any failing recipe, so the last line says which. GRADE_FLAGS, e.g. --notebook, --deadline
# SECONDS, --no-sandbox (see INSTRUCTORS.md).
# A class: make grade SUBMISSIONS=folder/ [JOBS=2] [SHARD=1/4] grades every notebook in the folder,
# JOBS at a time, into build/grade/batch (empty it first): a report per student and a gradebook
# CSV per notebook (tools/batch.py; GRADE_FLAGS: --notebook, --deadline).
SUBMISSION    ?=
SUBMISSIONS   ?=
SHARD         ?=
GRADE_BACKEND ?= tensorflow
GRADE_FLAGS   ?=
# Grading needs the lab's packages and the backend it grades on, not the test tools.
install-grade: $(VENV)/.lab.stamp $(if $(filter tensorflow,$(GRADE_BACKEND)),,$(VENV)/.backends.stamp)
grade: install-grade
	@test -n "$(SUBMISSION)$(SUBMISSIONS)" || { echo "Say which notebook: make grade SUBMISSION=path/to/notebook.ipynb (or a folder: SUBMISSIONS=dir/)"; exit 2; }
	@if [ -n "$(SUBMISSIONS)" ]; then \
	  $(BIN)/python -m tools.batch "$(SUBMISSIONS)" --backend $(GRADE_BACKEND) --jobs $(JOBS) \
	    --timeout $(CELL_TIMEOUT) --out build/grade/batch $(if $(SHARD),--shard $(SHARD)) $(GRADE_FLAGS); \
	else \
	  $(BIN)/python -m tools.grade "$(SUBMISSION)" --backend $(GRADE_BACKEND) \
	    --timeout $(CELL_TIMEOUT) --out build/grade $(GRADE_FLAGS); \
	fi; status=$$?; \
	case $$status in \
	  1) echo "grade: exit status 1: graded, not every exercise passed" ;; \
	  2) echo "grade: exit status 2: could not grade (above: why)" ;; \
	esac; exit $$status

# The notebooks on the newest releases of the libraries they teach, as a learner on Colab or a
# fresh install meets them: keras, tensorflow, jax, jaxlib, torch and numpy unpinned (everything
# else pinned), on the newest supported Python, in a new .venv-newest. Every notebook, with nbval
# (lax), on each backend; build/newest/report.md and report.json say what failed, and the exit
# status is non-zero if anything did. Never part of `make test`: run weekly by
# .github/workflows/newest.yml. NEWEST_PYTHON=/path/to/python picks the interpreter.
NEWEST        := .venv-newest
NEWEST_DIR    := build/newest
UNPINNED      := keras tensorflow jax jaxlib torch numpy
NEWEST_PYTHON ?= $(call found,$(PYTHONS_NEWEST_FIRST))
PYTHONS_NEWEST_FIRST := 3.13 3.12 3.11
NEWEST_NBVAL   = $(NEWEST)/bin/python -m pytest -p no:cacheprovider --nbval-current-env \
                 --nbval-cell-timeout=$(CELL_TIMEOUT) --nb-offline --nb-run-twice --nbval-lax \
                 --nb-kernel-cwd=tmp

newest:
	@$(call need_python,$(NEWEST_PYTHON))
	rm -rf $(NEWEST) $(NEWEST_DIR)
	mkdir -p $(NEWEST_DIR)
	$(NEWEST_PYTHON) -m venv $(NEWEST)
	grep -h -v -E '^($(subst $(eval) ,|,$(UNPINNED)))==' $(REQS) > $(NEWEST_DIR)/pins.txt
	$(NEWEST)/bin/python -m pip install --disable-pip-version-check -r $(NEWEST_DIR)/pins.txt \
	    -e . $(UNPINNED)
	-$(MAKE) --no-print-directory -j$(JOBS) -k $(addprefix newest-nbval-,tensorflow jax torch)
	$(NEWEST)/bin/python -m tools.newest report $(NEWEST_DIR)

# One backend's run for `make newest`; its output goes to build/newest/<backend>.log.
newest-nbval-%:
	KERAS_BACKEND=$* $(NEWEST_NBVAL) --junitxml=$(NEWEST_DIR)/$*.xml $(NOTEBOOKS) \
	    > $(NEWEST_DIR)/$*.log 2>&1

clean:
	rm -rf $(VENV) $(NEWEST)
