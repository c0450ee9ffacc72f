"""Batch grading (`make grade SUBMISSIONS=dir/`, tools/batch.py).

Fast: finding the submissions and whose they are, shards, what is refused before grading, the
gradebook written from reports. Slow: a class of seven (right, wrong, stub, crash, infinite
loop, forged, not a notebook) graded two at a time into exactly the expected gradebook.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from tools import batch, grade, student
from tools.project import NOTEBOOKS

START_HERE = NOTEBOOKS[0]


def touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_submissions_are_named_by_their_folder_or_their_file(tmp_path):
    touch(tmp_path / "alice" / "01_backend_ops.ipynb")
    touch(tmp_path / "alice" / ".ipynb_checkpoints" / "01_backend_ops-checkpoint.ipynb")
    touch(tmp_path / "bob.ipynb")
    touch(tmp_path / "carol" / "deep" / "notes.ipynb")
    touch(tmp_path / "readme.md")
    found = [
        (item.student, item.path.relative_to(tmp_path.resolve()).as_posix())
        for item in batch.find(tmp_path)
    ]
    assert found == [
        ("alice", "alice/01_backend_ops.ipynb"),
        ("bob", "bob.ipynb"),
        ("carol", "carol/deep/notes.ipynb"),
    ]
    touch(tmp_path / "bad name" / "x.ipynb")
    with pytest.raises(ValueError, match="a student's name is letters, digits and"):
        batch.find(tmp_path)
    with pytest.raises(ValueError, match="is not a folder of submissions"):
        batch.find(tmp_path / "bob.ipynb")


def test_shards_split_the_class_without_overlap():
    items = [batch.Submission(f"s{n}", Path(f"s{n}.ipynb")) for n in range(7)]
    shares = [batch.shard(items, f"{i}/3") for i in (1, 2, 3)]
    assert sorted((s for share in shares for s in share), key=lambda s: s.student) == items
    assert [len(share) for share in shares] == [3, 2, 2]
    for bad in ("0/3", "4/3", "1-3", "a/b", "1/0"):
        with pytest.raises(ValueError, match="--shard"):
            batch.shard(items, bad)


def test_what_cannot_be_graded_is_refused_before_grading(tmp_path):
    full = START_HERE.read_text()
    items = [
        batch.Submission("alice", touch(tmp_path / "alice" / "a.ipynb", full)),
        batch.Submission("alice", touch(tmp_path / "alice" / "b.ipynb", full)),
        batch.Submission("bob", touch(tmp_path / "bob" / "02_custom_activations.ipynb", full)),
        batch.Submission("carol", touch(tmp_path / "carol.ipynb", "not json")),
    ]
    ready, refused = batch.plan(items, None)
    assert [(item.student, reference) for item, reference in ready] == [("alice", START_HERE)]
    assert [(item.student, problem[:40]) for item, problem in refused] == [
        ("alice", "alice handed in 00_start_here.ipynb twic"),
        ("bob", "02_custom_activations.ipynb is named lik"),
        ("carol", f"{tmp_path / 'carol.ipynb'}: not a readable"[:40]),
    ]


def report(student_name: str, statuses: list[str]) -> dict:
    exercises = [
        {"number": n, "name": name, "status": status}
        for n, (name, status) in enumerate(zip(["a", "b"], statuses, strict=True), start=1)
    ]
    return {
        "student": student_name,
        "submission": "00_start_here.ipynb",
        "notebook": "00_start_here.ipynb",
        "backend": "jax",
        "exercises": exercises,
        "sha256": "f" * 64,
        "graded_at": "2026-12-05T12:00:00+00:00",
        "grader": "0.1.0",
    }


def test_the_gradebook_has_a_row_per_student_and_a_column_per_exercise(tmp_path):
    touch(tmp_path / "bob.00_start_here.jax.json", json.dumps(report("bob", ["failed", "passed"])))
    touch(tmp_path / "al.00_start_here.jax.json", json.dumps(report("al", ["passed", "passed"])))
    batch.not_graded(tmp_path, batch.Submission("cy", touch(tmp_path / "in" / "cy.ipynb")), "why")
    (path,) = batch.gradebooks(tmp_path)
    assert path.name == "gradebook.00_start_here.jax.csv"
    rows = list(csv.reader(path.open()))
    assert [row[:6] for row in rows] == [
        ["student", "status", "1 a", "2 b", "total", "out_of"],
        ["al", "graded", "1", "1", "2", "2"],
        ["bob", "graded", "0", "1", "1", "2"],
        ["cy", "not graded: why", "0", "0", "0", "2"],
    ]
    assert rows[1][6:] == ["00_start_here.ipynb", "f" * 64, "2026-12-05T12:00:00+00:00", "0.1.0"]


# --- a class, graded (slow) ------------------------------------------------------------------


def solution_of(cell: dict) -> str:
    """A shipped solution without its markers: a learner's right answer."""
    return re.sub(r"\n *### (BEGIN|END) SOLUTION", "", student.cell_source(cell))


@pytest.mark.slow
def test_a_class_is_graded_into_the_expected_gradebook(tmp_path):
    if grade.sandbox.probe() is not None:
        pytest.skip("this machine cannot start the grader's sandbox")
    notebook = json.loads(START_HERE.read_text())
    cells = {cell["id"]: cell for cell in notebook["cells"]}
    exercises = grade.exercises_of(notebook)
    imports = "import sys\nimport helpers\nimport keras\nimport numpy as np\nfrom keras import ops"

    def small(answers: list[str], before: str = "pass") -> str:
        kept = [
            {"cell_type": "code", "id": "imports", "metadata": {}, "outputs": [],
             "execution_count": None, "source": imports + "\n" + before},
        ]  # fmt: skip
        for exercise, answer in zip(exercises, answers, strict=True):
            solution = json.loads(json.dumps(cells[exercise.solution_id]))
            solution["source"] = answer
            kept += [solution, cells[exercise.check_id]]
        return json.dumps({"cells": kept, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

    right = [solution_of(cells[exercise.solution_id]) for exercise in exercises]
    stubs = [
        f"def {e.name}(*arguments):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
        for e in exercises
    ]
    reference = touch(
        tmp_path / "reference.ipynb",
        small([student.cell_source(cells[e.solution_id]) for e in exercises]),
    )
    folder = tmp_path / "class"
    touch(folder / "alice" / "00.ipynb", small(right))
    touch(folder / "bob" / "00.ipynb", small(["def standardize(x):\n    return x\n", *right[1:]]))
    touch(folder / "carol" / "00.ipynb", small(stubs))
    touch(folder / "dave" / "00.ipynb", small(right, before="1 / 0"))
    touch(folder / "erin" / "00.ipynb", small(right, before="while True:\n    pass"))
    forged = (
        stubs[1]
        + "helpers.checks.check_noisy_copy = lambda f: print('noisy_copy: passed (3 cases)')"
    )
    touch(folder / "frank" / "00.ipynb", small([stubs[0], forged, stubs[2]]))
    touch(folder / "grace" / "00.ipynb", "not a notebook")
    out = tmp_path / "out"
    status = batch.main(
        [
            str(folder),
            "--jobs",
            "2",
            "--timeout",
            "30",
            "--out",
            str(out),
            "--notebook",
            str(reference),
        ]
    )
    assert status == 2  # grace's could not be graded
    rows = list(csv.reader((out / "gradebook.reference.tensorflow.csv").open()))
    header = ["1 standardize", "2 noisy_copy", "3 dense_parameter_count", "total", "out_of"]
    assert [row[:7] for row in rows] == [
        ["student", "status", *header],
        ["alice", "graded", "1", "1", "1", "3", "3"],
        ["bob", "graded", "0", "1", "1", "2", "3"],
        ["carol", "graded", "0", "0", "0", "0", "3"],
        ["dave", "graded", "1", "1", "1", "3", "3"],
        ["erin", "graded", "1", "1", "1", "3", "3"],
        ["frank", "graded", "0", "0", "0", "0", "3"],
        ["grace", rows[7][1], "0", "0", "0", "0", "3"],
    ]  # fmt: skip
    assert rows[7][1].startswith("not graded: ")
    assert "not a readable notebook" in rows[7][1]
    erin = json.loads((out / "erin.reference.tensorflow.json").read_text())
    assert [(t["cell"], t["limit"], t["killed"]) for t in erin["timeouts"]] == [
        (1, "the cell's", False)
    ]
    dave = json.loads((out / "dave.reference.tensorflow.json").read_text())
    assert [e["error"] for e in dave["errors"]] == ["ZeroDivisionError: division by zero"]
    frank = json.loads((out / "frank.reference.tensorflow.json").read_text())
    assert frank["exercises"][1]["message"].startswith(grade.recheck.NOT_CONFIRMED)
    assert frank["sha256"] == grade.sha256_of(folder / "frank" / "00.ipynb")
