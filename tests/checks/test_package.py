"""The layout of :mod:`helpers.checks`: one module per notebook, every check re-exported.

- every check module ``helpers/checks/nbNN_name.py`` belongs to ``notebooks/NN_name.ipynb``;
- every ``helpers.checks.check_*`` a notebook calls is defined in that notebook's module, and
  every check a module defines is called by its notebook (no orphans);
- ``helpers.checks`` re-exports every check (``__all__``), the very function its module defines,
  and each call in a notebook has its pass line stored, which the tests compare (see
  ``tests/checks/expect.py``).
"""

from __future__ import annotations

import inspect
import pkgutil

import pytest

from helpers import checks
from tests.checks.expect import checks_called_by_notebooks
from tools.project import NOTEBOOKS

NOTEBOOK_STEMS = [path.stem for path in NOTEBOOKS]
MODULES = sorted(
    info.name for info in pkgutil.iter_modules(checks.__path__) if not info.name.startswith("_")
)
EXPORTED = {name: getattr(checks, name) for name in dir(checks) if name.startswith("check_")}


def module_of(notebook_stem: str) -> str:
    """``00_start_here`` -> ``helpers.checks.nb00_start_here``."""
    return f"helpers.checks.nb{notebook_stem}"


def test_there_are_check_modules_and_notebooks_that_call_checks():
    assert "nb00_start_here" in MODULES
    assert sum(bool(called) for called in checks_called_by_notebooks().values()) >= 5


@pytest.mark.parametrize("module_name", MODULES)
def test_each_check_module_belongs_to_a_notebook(module_name):
    advice = "name a check module nbNN_name after the notebook NN_name.ipynb it checks"
    assert module_name.startswith("nb"), f"helpers/checks/{module_name}.py: {advice}"
    stem = module_name.removeprefix("nb")
    assert stem in NOTEBOOK_STEMS, f"there is no notebooks/{stem}.ipynb: {advice}"


@pytest.mark.parametrize("notebook_stem", NOTEBOOK_STEMS)
def test_each_check_a_notebook_calls_lives_in_its_module(notebook_stem):
    for name in checks_called_by_notebooks()[notebook_stem]:
        assert name in EXPORTED, f"{notebook_stem}.ipynb calls helpers.checks.{name}: no such check"
        assert EXPORTED[name].__module__ == module_of(notebook_stem), (
            f"{notebook_stem}.ipynb calls helpers.checks.{name}, defined in "
            f"{EXPORTED[name].__module__}: move it to {module_of(notebook_stem)}"
        )


@pytest.mark.parametrize("module_name", MODULES)
def test_each_check_a_module_defines_is_called_by_its_notebook(module_name):
    module = getattr(checks, module_name)
    called = checks_called_by_notebooks().get(module_name.removeprefix("nb"), {})
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("check_") and function.__module__ == module.__name__:
            assert name in called, (
                f"{module.__name__}.{name} is not called by its notebook: call it in an exercise "
                "or remove it"
            )


@pytest.mark.parametrize("notebook_stem", NOTEBOOK_STEMS)
def test_each_check_call_has_its_pass_line_stored(notebook_stem):
    for name, line in checks_called_by_notebooks()[notebook_stem].items():
        assert line, (
            f"{notebook_stem}.ipynb: the cell calling helpers.checks.{name} stores no "
            "'<name>: passed (<n> cases)' line; store the outputs with `make execute`"
        )


def test_every_check_is_re_exported_from_its_module():
    defined = {
        name: function
        for module_name in MODULES
        for name, function in inspect.getmembers(getattr(checks, module_name), inspect.isfunction)
        if name.startswith("check_") and function.__module__.endswith(f".{module_name}")
    }
    assert defined == EXPORTED
    assert sorted(checks.__all__) == sorted([*EXPORTED, "ExerciseFailed", "read_result"])
