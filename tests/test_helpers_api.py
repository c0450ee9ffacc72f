"""Rules for the `helpers` package as a whole, so new helpers cannot skip them.

- one test file per module (`helpers/data.py` -> `tests/test_data.py`);
- every public function is documented and fully typed;
- every public function that takes arguments has an invalid-input test: a test in its module's
  test file that uses `pytest.raises` and names the function (directly, or through a
  module-level list it is parametrized over).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import helpers

TESTS = Path(__file__).resolve().parent
MODULES = sorted(info.name for info in pkgutil.iter_modules(helpers.__path__))


def public_functions(module_name: str):
    module = importlib.import_module(f"helpers.{module_name}")
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if not name.startswith("_") and function.__module__ == module.__name__:
            yield name, function


def names_covered_by_invalid_input_tests(test_file: Path) -> set[str]:
    """Every identifier used by a test that expects an exception (plus the lists it uses)."""
    source = test_file.read_text()
    tree = ast.parse(source)
    constants = {
        target.id: ast.get_source_segment(source, node)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    covered: set[str] = set()
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        if "pytest.raises" not in ast.get_source_segment(source, node):
            continue
        used = {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}
        used |= {child.attr for child in ast.walk(node) if isinstance(child, ast.Attribute)}
        text = " ".join(constants[name] for name in used if name in constants)
        covered |= used | set(re.findall(r"\w+", text))
    return covered


def test_there_are_helper_modules():
    assert {"checks", "data", "env"} <= set(MODULES)


@pytest.mark.parametrize("module_name", MODULES)
def test_each_module_has_its_test_file(module_name):
    assert (TESTS / f"test_{module_name}.py").is_file()


@pytest.mark.parametrize("module_name", MODULES)
def test_public_functions_are_documented_and_typed(module_name):
    for name, function in public_functions(module_name):
        assert inspect.getdoc(function), f"helpers.{module_name}.{name} needs a docstring"
        annotations = inspect.get_annotations(function)
        assert "return" in annotations, f"helpers.{module_name}.{name}: annotate the return type"
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            assert parameter.name in annotations, (
                f"helpers.{module_name}.{name}: annotate parameter {parameter.name!r}"
            )


@pytest.mark.parametrize("module_name", MODULES)
def test_functions_with_arguments_have_invalid_input_tests(module_name):
    covered = names_covered_by_invalid_input_tests(TESTS / f"test_{module_name}.py")
    for name, function in public_functions(module_name):
        if inspect.signature(function).parameters:
            assert name in covered, (
                f"helpers.{module_name}.{name} takes arguments but no test in "
                f"tests/test_{module_name}.py checks that bad ones raise (pytest.raises)"
            )
