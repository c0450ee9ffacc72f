"""The autograder (`make grade`, tools/grade.py).

Without a kernel: how it finds the notebook and its exercises, restores the check cells and
judges executed cells. With kernels (slow): the full notebooks pass (as the shipped solution),
every student notebook runs top to bottom on every backend with each exercise not attempted and
no other cell failing, and a submission with a wrong answer and a crashing cell gets exactly the
report it should.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import checks
from helpers.checks._base import shipped_line, unwritten_line
from tools import grade, student
from tools.instructors import catalogued_function
from tools.project import BACKENDS, NOTEBOOKS

START_HERE = NOTEBOOKS[0]
TIMEOUT = 300


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("student")
    return {path.name: path for path in student.write_student_editions(out)}


def code_cell(source: str, cell_id: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


# --- without a kernel --------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_exercises_are_the_solution_and_check_cells(path):
    notebook = load(path)
    exercises = grade.exercises_of(notebook)
    assert len(exercises) == sum(student.is_solution(cell) for cell in notebook["cells"])
    for exercise in exercises:
        assert f"helpers.checks.{exercise.check}({exercise.name})" in exercise.check_source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_notebook_is_found_by_its_cells_whatever_the_file_is_called(path, editions):
    assert grade.identify(load(editions[path.name]), NOTEBOOKS) == path


def test_a_notebook_of_something_else_is_not_graded(tmp_path):
    other = {"cells": [code_cell("print(1)", "x")], "metadata": {}, "nbformat": 4}
    with pytest.raises(grade.GradingError, match="pass --notebook"):
        grade.identify(other, NOTEBOOKS)
    path = tmp_path / "notes.ipynb"
    path.write_text("not json")
    with pytest.raises(grade.GradingError, match="not a readable notebook"):
        grade.read_notebook(path)


def test_edited_and_deleted_check_cells_are_put_back(editions):
    notebook = load(editions[START_HERE.name])
    exercises = grade.exercises_of(load(START_HERE))
    first, second = exercises[0], exercises[1]
    for cell in notebook["cells"]:
        if cell["id"] == first.check_id:
            cell["source"] = 'print("standardize: passed (3 cases)")'
    notebook["cells"] = [cell for cell in notebook["cells"] if cell["id"] != second.check_id]
    restored = grade.restore_checks(notebook, exercises)
    ids = [cell["id"] for cell in restored["cells"]]
    for exercise in (first, second):
        cell = restored["cells"][ids.index(exercise.check_id)]
        assert student.cell_source(cell) == exercise.check_source
        assert ids.index(exercise.check_id) == ids.index(exercise.solution_id) + 1


def executed(check_outputs: list[dict], answer_outputs: list[dict] | None = None) -> dict:
    """A notebook of one exercise's answer and check cells, as if run."""
    answer = code_cell("", "answer") | {"outputs": answer_outputs or [], "execution_count": 1}
    check = code_cell("", "check") | {"outputs": check_outputs, "execution_count": 2}
    return {"cells": [answer, check]}


def printed(line: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": line + "\n"}


def raised(name: str, value: str) -> dict:
    return {"output_type": "error", "ename": name, "evalue": value, "traceback": []}


EXERCISE = grade.Exercise(1, "mish", "check_mish", "answer", "check", "")


@pytest.mark.parametrize(
    ("notebook", "expected"),
    [
        (executed([printed("mish: passed (4 cases)")]), ("passed", "4 cases", False)),
        (
            executed([printed(shipped_line("mish", 4))]),
            ("passed", "4 cases (the shipped solution)", True),
        ),
        (
            executed([printed(unwritten_line("mish"))]),
            ("not attempted", "not written yet: the stub is still there", False),
        ),
        (
            executed([raised("ExerciseFailed", "mish: wrong values at x = 0")]),
            ("failed", "ExerciseFailed: mish: wrong values at x = 0", False),
        ),
        (
            executed([raised("NameError", "name 'mish' is not defined")]),
            ("not attempted", "mish is not defined", False),
        ),
        (
            executed(
                [raised("NameError", "name 'mish' is not defined")],
                [raised("SyntaxError", "bad (line 2)")],
            ),
            (
                "failed",
                "the cell with your answer raised SyntaxError: bad (line 2)",
                False,
            ),
        ),
        (
            executed([printed(unwritten_line("mish"))], [raised("NotImplementedError", "")]),
            ("not attempted", "not written yet: the stub is still there", False),
        ),
        (
            executed([raised("NameError", "name 'ops' is not defined")]),
            ("failed", "NameError: name 'ops' is not defined", False),
        ),
        (
            executed([printed('print("mish: passed")')]),
            ("failed", "the check printed no result", False),
        ),
        (
            {"cells": [code_cell("", "answer"), code_cell("", "check")]},
            ("failed", "the check did not run (DeadKernelError: Kernel died)", False),
        ),
    ],
    ids=[
        "passed",
        "shipped",
        "stub",
        "wrong",
        "deleted",
        "syntax-error",
        "top-level-stub",
        "other-error",
        "no-result",
        "kernel-died",
    ],
)
def test_judge_reads_each_outcome(notebook, expected):
    cells = {cell["id"]: cell for cell in notebook["cells"]}
    assert grade.judge(EXERCISE, cells, "DeadKernelError: Kernel died") == expected


def test_the_report_says_how_many_passed(tmp_path):
    results = [
        grade.Result(1, "mish", "check_mish", "passed", "4 cases"),
        grade.Result(2, "ScaledTanh", "check_scaled_tanh", "failed", "wrong | values"),
    ]
    report = grade.Report("answers.ipynb", "02.ipynb", "jax", "offline", results)
    json_path, md_path = grade.write_report(report, tmp_path)
    data = json.loads(json_path.read_text())
    assert (data["passed"], data["total"]) == (1, 2)
    text = md_path.read_text()
    assert text.startswith("# answers.ipynb: 1 of 2 exercises passed\n")
    assert "| 2. `ScaledTanh` | failed | wrong \\| values |" in text


def test_a_written_report_answers_for_one_exercise(tmp_path, capsys):
    results = [
        grade.Result(1, "mish", "check_mish", "passed", "4 cases"),
        grade.Result(2, "ScaledTanh", "check_scaled_tanh", "not attempted", "not written yet"),
    ]
    json_path, _ = grade.write_report(grade.Report("a.ipynb", "02", "jax", "-", results), tmp_path)
    assert grade.main(["--passed", str(json_path), "1"]) == 0
    assert grade.main(["--passed", str(json_path), "2"]) == 1
    assert grade.main(["--passed", str(json_path), "3"]) == 2
    assert grade.main(["--passed", str(tmp_path / "none.json"), "1"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "exercise 1 (mish): passed: 4 cases",
        "exercise 2 (ScaledTanh): not attempted: not written yet",
    ]


def test_without_a_namespace_it_refuses_to_run(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv(grade.IN_NAMESPACE, raising=False)
    monkeypatch.setattr(grade, "namespace_command", lambda: None)
    assert grade.main([str(START_HERE), "--out", str(tmp_path)]) == 2
    assert "--no-namespace" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# --- with kernels ------------------------------------------------------------------------


def run_grader(path: Path, out: Path, backend: str = "tensorflow") -> tuple[int, dict]:
    status = grade.main(
        [str(path), "--backend", backend, "--timeout", str(TIMEOUT), "--out", str(out)]
    )
    return status, json.loads((out / f"{path.stem}.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_full_notebook_passes_every_exercise_as_the_shipped_solution(path, tmp_path):
    status, report = run_grader(path, tmp_path)
    assert status == 0, report
    assert report["problem"] is None
    assert report["errors"] == []
    assert [e["status"] for e in report["exercises"]] == ["passed"] * report["total"]
    assert all(e["shipped_solution"] for e in report["exercises"])
    assert report["isolation"] == "run in a network namespace with loopback only"


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_student_notebook_runs_and_nothing_is_attempted(path, backend, editions, tmp_path):
    status, report = run_grader(editions[path.name], tmp_path, backend)
    assert status == 1
    assert report["problem"] is None
    assert report["errors"] == [], "cells other than the exercises must run in the student edition"
    assert [(e["status"], e["message"]) for e in report["exercises"]] == [
        ("not attempted", "not written yet: the stub is still there")
    ] * report["total"]


def with_cells(path: Path, changes: dict[str, list[dict]]) -> dict:
    """The notebook at ``path`` with new cells inserted after the cells of the given ids."""
    notebook = load(path)
    cells = []
    for cell in notebook["cells"]:
        cells.append(cell)
        cells += changes.get(cell["id"], [])
    notebook["cells"] = cells
    return notebook


@pytest.mark.slow
def test_a_wrong_answer_and_a_crashing_cell_get_exactly_this_report(editions, tmp_path):
    """Exercise 1 answered with a wrong answer of the checks' catalogue (a global mean), an
    early cell that crashes, exercises 2 and 3 left as stubs."""
    first = grade.exercises_of(load(START_HERE))[0]
    wrong = catalogued_function("nb00_start_here", "standardize_global")
    wrong = wrong.replace("def standardize_global(", "def standardize(")
    namespace: dict = {}
    exec("import keras\n" + wrong, namespace)  # the same answer, here, for the expected message
    with pytest.raises(checks.ExerciseFailed) as refusal:
        checks.check_standardize(namespace["standardize"])
    setup = load(START_HERE)["cells"][2]["id"]
    notebook = with_cells(
        editions[START_HERE.name],
        {setup: [code_cell("1 / 0", "crash")], first.solution_id: [code_cell(wrong, "mine")]},
    )
    path = tmp_path / "submission.ipynb"
    path.write_text(json.dumps(notebook))
    status, report = run_grader(path, tmp_path / "out")
    assert status == 1
    assert report["exercises"] == [
        {
            "number": 1,
            "name": "standardize",
            "check": "check_standardize",
            "status": "failed",
            "message": f"ExerciseFailed: {refusal.value}",
            "shipped_solution": False,
        },
        {
            "number": 2,
            "name": "noisy_copy",
            "check": "check_noisy_copy",
            "status": "not attempted",
            "message": "not written yet: the stub is still there",
            "shipped_solution": False,
        },
        {
            "number": 3,
            "name": "dense_parameter_count",
            "check": "check_dense_parameter_count",
            "status": "not attempted",
            "message": "not written yet: the stub is still there",
            "shipped_solution": False,
        },
    ]
    assert report["errors"] == [
        {"cell": 4, "id": "crash", "error": "ZeroDivisionError: division by zero"}
    ]
    assert report["passed"] == 0


@pytest.mark.slow
def test_an_answer_after_the_solution_is_what_gets_checked(tmp_path):
    """In the full edition: a learner's (right) answer below the solution passes as theirs;
    the exercises without one are reported as the shipped solution."""
    first = grade.exercises_of(load(START_HERE))[0]
    mine = catalogued_function("nb00_start_here", "standardize_with_variance")
    mine = mine.replace("def standardize_with_variance(", "def standardize(")
    notebook = with_cells(START_HERE, {first.solution_id: [code_cell(mine, "mine")]})
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps(notebook))
    status, report = run_grader(path, tmp_path / "out")
    assert status == 0
    assert [(e["status"], e["shipped_solution"]) for e in report["exercises"]] == [
        ("passed", False),
        ("passed", True),
        ("passed", True),
    ]
