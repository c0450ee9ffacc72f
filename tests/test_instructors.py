"""INSTRUCTORS.md: its generated part is current, and it covers every notebook and exercise."""

from __future__ import annotations

import json

import pytest

from tools import instructors, student
from tools.project import NOTEBOOKS, REPO


def test_the_generated_part_is_current():
    assert instructors.current() == instructors.generated(), (
        "INSTRUCTORS.md is out of date: run `python -m tools.instructors`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_exercise_is_listed_with_mistakes(path):
    part = instructors.notebook_part(path)
    solutions = [
        cell for cell in json.loads(path.read_text())["cells"] if student.is_solution(cell)
    ]
    for number in range(1, len(solutions) + 1):
        assert f"\n{number}. `" in part
    assert f"\n{len(solutions) + 1}. `" not in part
    assert part.count("\n   - *") >= 3 * len(solutions), "at least three mistakes per exercise"


def test_every_exercise_has_a_catalogue_of_mistakes():
    with pytest.raises(ValueError, match="has no test_check_nothing_refuses_wrong_answers"):
        instructors.mistakes("check_nothing", "nb00_start_here")
    with pytest.raises(ValueError, match="has no function nothing"):
        instructors.catalogued_function("nb00_start_here", "nothing")


def test_the_guide_is_linked_from_the_readme_and_notebook_00():
    assert "[INSTRUCTORS.md](INSTRUCTORS.md)" in (REPO / "README.md").read_text()
    start = (REPO / "notebooks" / "00_start_here.ipynb").read_text()
    assert "(../INSTRUCTORS.md)" in start
