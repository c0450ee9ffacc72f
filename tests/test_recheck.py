"""The independent run that confirms a kernel's passes (tools/recheck.py and the runner,
helpers/checks/_recheck.py).

Fast: which statements of a notebook define an answer, the strict reading of a run's results,
and how a kernel's verdicts are merged with the runs'. Slow (a Python with Keras per test): the
runner itself, on right answers and on answers that try to forge a pass from inside the body.
The forgeries through a whole graded notebook, in a sandbox, are in tests/test_grade.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import grade, recheck
from tools.project import NOTEBOOKS


def notebook_of(*sources: str) -> dict:
    cells = [
        {"cell_type": "code", "id": f"c{n}", "metadata": {}, "outputs": [], "source": source}
        for n, source in enumerate(sources)
    ]
    return {"cells": [*cells, {"cell_type": "code", "id": "check", "source": "check(it)"}]}


def defined(name: str, *sources: str) -> list[str]:
    return recheck.definition(recheck.cells_before(notebook_of(*sources), "check"), name)


# --- which statements define an answer ---------------------------------------------------


def test_the_answer_comes_with_what_it_uses_and_nothing_else():
    found = defined(
        "mish",
        "import numpy as np\nimport keras\nfrom keras import ops",
        "SCALE = 2.0\nunused = 3",
        "def helper(x):\n    return SCALE * x\n\nnp.allclose = lambda *a, **k: True",
        "def mish(x):\n    # my answer\n    return helper(ops.tanh(x))\nprint('mish: passed')",
    )
    assert found == [
        "from keras import ops\n",
        "SCALE = 2.0\n",
        "def helper(x):\n    return SCALE * x\n",
        "def mish(x):\n    # my answer\n    return helper(ops.tanh(x))\n",
    ]


def test_the_last_binding_before_each_use_counts():
    found = defined(
        "f",
        "k = 1",
        "def f(x):\n    return k * x",
        "k = 2",
        "def f(x):\n    return -k * x",
        "k = 3",
    )
    assert found == ["k = 2\n", "def f(x):\n    return -k * x\n"]


def test_decorators_classes_and_rebinding_by_augmented_assignment():
    found = defined(
        "Layer",
        "import keras",
        "n = 1\nn += 1",
        "@keras.saving.register_keras_serializable(package='me')\n"
        "class Layer(keras.layers.Layer):\n    units = n\n    def call(self, x):\n        return x",
    )
    assert found[:3] == ["import keras\n", "n = 1\n", "n += 1\n"]
    assert found[3].startswith("@keras.saving.register_keras_serializable(package='me')\nclass")


def test_magics_broken_cells_and_shared_lines():
    assert defined("f", "%%time\ndef f():\n    return 1") == ["def f():\n    return 1\n"]
    found = defined(
        "g",
        "%%writefile script.py\nprint('hi')",
        "!ls\nimport math",
        "def g(:\n    pass",  # a syntax error: the kernel could not run it either
        "a = 1; g = lambda x: math.sqrt(x) + a",
    )
    assert found == ["import math\n", "a = 1\n", "g = lambda x: math.sqrt(x) + a\n"]


def test_nothing_defines_an_answer_the_notebook_never_binds():
    assert defined("mish", "import keras", "helpers.checks.check_mish = print") == []


def test_every_exercise_of_the_collection_is_found_in_its_own_notebook():
    for path in NOTEBOOKS:
        notebook = grade.read_notebook(path)
        exercises = grade.exercises_of(notebook)
        for item in recheck.job_for(notebook, exercises, 0)["exercises"]:
            assert any("### BEGIN SOLUTION" in text for text in item["statements"]), item["name"]


# --- reading a run's results and merging them with the kernel's ---------------------------


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data))
    return path


def result(name: str = "mish", kind: str = "passed", cases: int | None = 3) -> dict:
    return {"name": name, "result": kind, "cases": cases, "message": ""}


def test_results_are_read_with_a_strict_schema(tmp_path):
    assert recheck._read(write(tmp_path, {"exercises": [result()]}), ["mish"]) == [result()]
    for bad in [
        [],
        {"exercises": []},
        {"exercises": [result("other")]},
        {"exercises": [result(kind="passed!")]},
        {"exercises": [result(cases=0)]},
        {"exercises": [result(cases=True)]},
        {"exercises": [result() | {"extra": 1}]},
        {"exercises": ["mish: passed (3 cases)"]},
    ]:
        with pytest.raises((ValueError, KeyError, TypeError)):
            recheck._read(write(tmp_path, bad), ["mish"])


PASSED = grade.Result(1, "mish", "check_mish", "passed", "3 cases")
SHIPPED = {"mish": result(kind="shipped solution")}


@pytest.mark.parametrize(
    ("answers", "status", "message"),
    [
        ({"mish": result()}, "passed", "3 cases"),
        (SHIPPED, "passed", "3 cases (the shipped solution)"),
        ({"mish": result(cases=2)}, "failed", "it passed 2 cases, not 3"),
        ({"mish": result(kind="not written", cases=None)}, "failed", "there it is still the stub"),
        ({"mish": "it ran longer than 240 s"}, "failed", "it ran longer than 240 s"),
        (
            {"mish": result(kind="failed", cases=None) | {"message": "mish: wrong at 0"}},
            "failed",
            "mish: wrong at 0",
        ),
    ],
)
def test_a_kernel_pass_stands_only_if_the_independent_run_passed_too(answers, status, message):
    (merged,) = recheck.confirm([PASSED], answers, SHIPPED)
    assert merged.status == status
    if status == "failed":
        assert merged.message == f"{recheck.NOT_CONFIRMED}: {message}"
        assert not merged.shipped_solution
    else:
        assert merged.message == message


def test_other_verdicts_are_the_kernels_and_a_broken_reference_does_not_fail_anyone():
    failed = grade.Result(1, "mish", "check_mish", "failed", "ExerciseFailed: ...")
    assert recheck.confirm([failed], {}, {}) == [failed]
    (merged,) = recheck.confirm([PASSED], {"mish": result()}, {"mish": "it ended with status 1"})
    assert merged.status == "passed"
    assert "not confirmed" in merged.message


# --- the runner (slow: it imports Keras) ---------------------------------------------------

RIGHT_MISH = "from keras import ops\ndef mish(x):\n    return x * ops.tanh(ops.softplus(x))\n"
FORGERIES = {
    "patches np.allclose in its body": (
        "import numpy\ndef mish(x):\n    numpy.allclose = lambda *a, **k: True\n    return x\n",
        "tampered",
    ),
    "replaces the check's code": (
        "def mish(x):\n    import helpers.checks._base as b\n"
        "    b._Cases.report = lambda self: None\n    return x\n",
        "tampered",
    ),
    "prints pass lines": (
        "import sys\ndef mish(x):\n    print('mish: passed (3 cases)')\n"
        "    print('mish: passed (3 cases)', file=sys.stderr)\n    return x\n",
        "failed",
    ),
    "exits the process": ("import sys\ndef mish(x):\n    sys.exit(0)\n", "failed"),
    "is a stub": (
        "def mish(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n",
        "not written",
    ),
    "is not there": ("def other(x):\n    return x\n", "undefined"),
}


def run_job(tmp_path: Path, entries: list[tuple[str, str]], secret: int = 7) -> list[dict]:
    job = {
        "secret": secret,
        "exercises": [
            {"name": "mish", "check": "check_mish", "statements": [text]} for _, text in entries
        ],
    }
    job_path, result_path = tmp_path / "job.json", tmp_path / "result.json"
    job_path.write_text(json.dumps(job))
    environment = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow")}
    subprocess.run(
        [sys.executable, "-m", "helpers.checks._recheck", str(job_path), str(result_path)],
        check=True,
        env=environment,
        capture_output=True,
        timeout=300,
    )
    return recheck._read(result_path, ["mish"] * len(entries))


@pytest.mark.slow
@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_an_answer_cannot_forge_its_pass_inside_the_independent_run(forgery, tmp_path):
    source, expected = FORGERIES[forgery]
    first, after = run_job(tmp_path, [(forgery, source), ("right", RIGHT_MISH)])
    assert first["result"] == expected, first
    if expected == "tampered":  # the process is not trusted after it
        assert after["result"] == "not judged"
    else:
        assert after == result(cases=3)


# --- what an answer may not use ----------------------------------------------------------


def test_an_answer_that_reads_the_checks_frames_or_code_is_flagged():
    reads_expected = (
        "import sys\ndef dense_parameter_count(i, u, b):\n"
        "    return sys._getframe(1).f_locals['expected']\n"
    )
    assert recheck.forbidden([reads_expected]) == ["_getframe", "f_locals"]
    assert recheck.forbidden(["getattr(sys, '_getframe')(1)"]) == ["_getframe"]
    assert recheck.forbidden(["import helpers\nhelpers.checks.check_mish = print"]) == [
        "helpers.checks"
    ]
    assert recheck.forbidden(["from helpers.checks import _base", "import gc, math"]) == [
        "gc",
        "helpers.checks",
        "helpers.checks._base",
    ]
    (merged,) = recheck.confirm([PASSED], {"mish": result()}, SHIPPED, {"mish": ["_getframe"]})
    assert merged.status == "failed"
    assert "it uses _getframe, which an answer has no reason to use" in merged.message


def test_the_collections_own_solutions_use_nothing_forbidden():
    for path in NOTEBOOKS:  # notebook 03's uses helpers.gradients: allowed
        notebook = grade.read_notebook(path)
        for item in recheck.job_for(notebook, grade.exercises_of(notebook), 0)["exercises"]:
            assert recheck.forbidden(item["statements"]) == [], item["name"]
