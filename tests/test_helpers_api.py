"""Rules for the `helpers` package as a whole, so new helpers cannot skip them.

Every module is held to them, sub-packages included (`pkgutil.walk_packages`):

- **a test file per module**, at the same place under `tests/`: `helpers/foo.py` ->
  `tests/test_foo.py`; `helpers/checks/nb03_x.py` -> `tests/checks/test_nb03_x.py`; and a
  folder `tests/checks/` per sub-package `helpers/checks/`;
- every public function is **documented and fully typed**;
- every public function that takes arguments has an **invalid-input test**: a test in its
  module's test file that uses `pytest.raises` (directly, or through
  `tests/checks/expect.py`'s `expect_refusal`) and names the function (directly, or through a
  module-level list it is parametrized over);
- a package's `__init__` only re-exports: it defines no public function;
- no module imports Keras or a backend when it is imported (`import helpers` stays quick and
  lets the notebook choose the backend first): import them inside the functions.

A function is held to the rules in the module that defines it (`function.__module__`): a
re-export such as `helpers.checks.check_mish` counts once, in
`helpers.checks.nb02_custom_activations`. Private functions (a leading `_`) are exempt. So is a
private module (`helpers/checks/_base.py`) as long as it defines only private functions; a
public function in it is held to every rule, its test file named without the underscore
(`tests/checks/test_base.py`).

Each rule is a function that returns the problems it finds, so that the last tests can run the
same rules on a deliberately bad package and see them caught.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import helpers

TESTS = Path(__file__).resolve().parent
#: Calls that make a test an invalid-input test: it expects an exception.
RAISES = ("pytest.raises", "expect_refusal")
#: What no module may import at import time.
FRAMEWORKS = {"keras", "tensorflow", "jax", "torch"}
#: The exception: modules whose classes subclass Keras' own, so they import Keras when imported.
#: `import helpers` does not import them (test_import_helpers_imports_no_framework checks that).
DEFINES_KERAS_CLASSES = {"helpers.portable"}


def walk(package: ModuleType) -> list[ModuleType]:
    """``package`` itself and every module and sub-package under it, imported."""
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        found.append(importlib.import_module(info.name))
    return found


def is_package(module: ModuleType) -> bool:
    return hasattr(module, "__path__")


def relative_parts(module: ModuleType, package: ModuleType) -> list[str]:
    """``helpers.checks.nb00_x`` -> ``["checks", "nb00_x"]``."""
    return module.__name__.split(".")[len(package.__name__.split(".")) :]


def is_private(module: ModuleType, package: ModuleType) -> bool:
    return any(part.startswith("_") for part in relative_parts(module, package))


def expected_test_file(module: ModuleType, package: ModuleType, tests: Path) -> Path:
    """``helpers/checks/nb00_x.py`` -> ``tests/checks/test_nb00_x.py``; ``_base`` ->
    ``test_base.py``."""
    *folders, leaf = relative_parts(module, package)
    return tests.joinpath(*folders, f"test_{leaf.lstrip('_')}.py")


def public_functions(module: ModuleType) -> list[tuple[str, Callable[..., object]]]:
    """The public functions ``module`` defines (not those it imports or re-exports)."""
    return [
        (name, function)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and function.__module__ == module.__name__
    ]


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
        if not any(call in ast.get_source_segment(source, node) for call in RAISES):
            continue
        used = {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}
        used |= {child.attr for child in ast.walk(node) if isinstance(child, ast.Attribute)}
        text = " ".join(constants[name] for name in used if name in constants)
        covered |= used | set(re.findall(r"\w+", text))
    return covered


def imported_at_import_time(source: str) -> set[str]:
    """Top-level names of what ``source`` imports outside its functions' bodies."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name.split(".")[0] for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.add(child.module.split(".")[0])
            visit(child)

    visit(ast.parse(source))
    return found


# --- the rules: each returns the problems it finds in one module -----------------------


def missing_test_file_problems(module: ModuleType, package: ModuleType, tests: Path) -> list[str]:
    if is_package(module):
        folder = tests.joinpath(*relative_parts(module, package))
        return [] if folder.is_dir() else [f"{module.__name__}: its tests go in {folder}/"]
    if is_private(module, package) and not public_functions(module):
        return []
    test_file = expected_test_file(module, package, tests)
    return [] if test_file.is_file() else [f"{module.__name__}: needs its test file {test_file}"]


def documentation_problems(module: ModuleType) -> list[str]:
    problems = []
    for name, function in public_functions(module):
        where = f"{module.__name__}.{name}"
        if not inspect.getdoc(function):
            problems.append(f"{where} needs a docstring")
        annotations = inspect.get_annotations(function)
        if "return" not in annotations:
            problems.append(f"{where}: annotate the return type")
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            if parameter.name not in annotations:
                problems.append(f"{where}: annotate parameter {parameter.name!r}")
    return problems


def invalid_input_test_problems(module: ModuleType, package: ModuleType, tests: Path) -> list[str]:
    taking_arguments = [
        name
        for name, function in public_functions(module)
        if inspect.signature(function).parameters
    ]
    if is_package(module) or not taking_arguments:
        return []
    test_file = expected_test_file(module, package, tests)
    covered = names_covered_by_invalid_input_tests(test_file) if test_file.is_file() else set()
    return [
        f"{module.__name__}.{name} takes arguments but no test in {test_file} checks that bad "
        f"ones raise ({' or '.join(RAISES)})"
        for name in taking_arguments
        if name not in covered
    ]


def package_init_problems(module: ModuleType) -> list[str]:
    if not is_package(module):
        return []
    return [
        f"{module.__name__}.{name} is defined in a package's __init__: define it in a module "
        "and re-export it"
        for name, _ in public_functions(module)
    ]


def import_time_problems(module: ModuleType) -> list[str]:
    source = Path(inspect.getfile(module)).read_text()
    forbidden = FRAMEWORKS - {"keras"} if module.__name__ in DEFINES_KERAS_CLASSES else FRAMEWORKS
    return [
        f"{module.__name__} imports {framework} when it is imported: import it inside the "
        "functions that need it"
        for framework in sorted(imported_at_import_time(source) & forbidden)
    ]


def all_problems(package: ModuleType, tests: Path) -> list[str]:
    """What every rule finds in every module of ``package``, whose tests are under ``tests``."""
    problems = []
    for module in walk(package):
        problems += missing_test_file_problems(module, package, tests)
        problems += documentation_problems(module)
        problems += invalid_input_test_problems(module, package, tests)
        problems += package_init_problems(module)
        problems += import_time_problems(module)
    return problems


# --- the rules, on `helpers` -----------------------------------------------------------

MODULES = {module.__name__: module for module in walk(helpers)}


def test_there_are_helper_modules():
    expected = {"helpers", "helpers.checks", "helpers.checks.nb00_start_here", "helpers.data"}
    assert expected <= set(MODULES)


@pytest.mark.parametrize("module_name", MODULES)
def test_each_module_has_its_test_file(module_name):
    assert missing_test_file_problems(MODULES[module_name], helpers, TESTS) == []


@pytest.mark.parametrize("module_name", MODULES)
def test_public_functions_are_documented_and_typed(module_name):
    assert documentation_problems(MODULES[module_name]) == []


@pytest.mark.parametrize("module_name", MODULES)
def test_functions_with_arguments_have_invalid_input_tests(module_name):
    assert invalid_input_test_problems(MODULES[module_name], helpers, TESTS) == []


@pytest.mark.parametrize("module_name", MODULES)
def test_packages_only_re_export(module_name):
    assert package_init_problems(MODULES[module_name]) == []


@pytest.mark.parametrize("module_name", MODULES)
def test_no_module_imports_a_framework_when_imported(module_name):
    assert import_time_problems(MODULES[module_name]) == []


def test_every_package_is_distributed():
    """Colab installs the helpers with pip from GitHub: every sub-package must be in the wheel."""
    setuptools = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {module.__name__ for module in MODULES.values() if is_package(module)}
    assert set(setuptools["packages"]) == packages


@pytest.mark.slow
def test_import_helpers_imports_no_framework():
    """The same, for real: a fresh Python imports `helpers` and no framework comes with it."""
    code = (
        f"import sys, helpers; print(sorted(set(sys.modules).intersection({sorted(FRAMEWORKS)!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


# --- the rules cannot silently lose a function -----------------------------------------


def test_the_rules_walk_over_every_exported_check():
    walked = {function for module in MODULES.values() for _, function in public_functions(module)}
    exported = {getattr(helpers.checks, name) for name in helpers.checks.__all__}
    exported_checks = {function for function in exported if inspect.isfunction(function)}
    assert len(exported_checks) >= 15
    assert exported_checks <= walked


def test_the_rules_walk_over_every_function_a_module_exposes():
    """Whatever public function of `helpers` a module exposes (re-exports included) is walked."""
    walked = {function for module in MODULES.values() for _, function in public_functions(module)}
    exposed = {
        function
        for module in MODULES.values()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and function.__module__.startswith("helpers.")
    }
    assert exposed - walked == set()
    assert helpers.seed_everything in walked


BAD_PACKAGE = {
    "__init__.py": """
        from fake_helpers.sub.nb01_x import check_bad

        def defined_in_init(x: int) -> int:
            '''Belongs in a module.'''
            return x
    """,
    "alone.py": """
        def documented(x: int) -> int:
            '''Fine, but nothing tests this module.'''
            return x
    """,
    "sub/__init__.py": "",
    "sub/_core.py": """
        def leaked(x: int) -> int:
            '''Public, in a private module without a test file.'''
            return x

        def _private(x):
            return x
    """,
    "sub/nb01_x.py": """
        if False:  # never runs: the rule reads the source
            import keras

        def check_bad(answer):
            return answer

        def check_good(answer: object) -> None:
            '''Documented, typed and tested.'''
    """,
    "untested/__init__.py": "",
}
BAD_TESTS = {
    "sub/test_nb01_x.py": """
        import pytest

        def test_check_bad_runs():
            check_bad(None)

        def test_check_good_refuses():
            with pytest.raises(TypeError):
                check_good(None)
    """,
}


@pytest.fixture
def bad_package(tmp_path, monkeypatch):
    for files, root in ((BAD_PACKAGE, tmp_path / "fake_helpers"), (BAD_TESTS, tmp_path / "tests")):
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(tmp_path)
    yield importlib.import_module("fake_helpers"), tmp_path / "tests"
    for name in [name for name in sys.modules if name.split(".")[0] == "fake_helpers"]:
        del sys.modules[name]


def test_the_rules_catch_a_bad_package(bad_package):
    package, tests = bad_package
    problems = "\n".join(all_problems(package, tests))
    for expected in [
        "fake_helpers.alone: needs its test file",
        "fake_helpers.sub._core: needs its test file",
        "fake_helpers.untested: its tests go in",
        "fake_helpers.sub.nb01_x.check_bad needs a docstring",
        "fake_helpers.sub.nb01_x.check_bad: annotate the return type",
        "fake_helpers.sub.nb01_x.check_bad: annotate parameter 'answer'",
        "fake_helpers.sub.nb01_x.check_bad takes arguments but no test",
        "fake_helpers.sub._core.leaked takes arguments but no test",
        "fake_helpers.defined_in_init is defined in a package's __init__",
        "fake_helpers.sub.nb01_x imports keras when it is imported",
    ]:
        assert expected in problems, f"not caught: {expected}\n{problems}"
    assert "check_good" not in problems
    assert "_private" not in problems
    assert "fake_helpers.sub: " not in problems  # sub-package with its tests folder
    assert "check_bad is defined in a package's __init__" not in problems  # a re-export


def test_the_rules_find_no_problem_in_helpers():
    assert all_problems(helpers, TESTS) == []
