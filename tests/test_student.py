"""The student edition (`make student`, tools/student.py): every solution stubbed, nothing else.

Run without a kernel; tests/test_grade.py runs the student notebooks themselves.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest

from helpers.checks._base import SOLUTION_MARKER, STUB
from tools import student
from tools.project import NOTEBOOKS, REPO

END = student.END_MARKER


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def regions(source: str) -> list[list[str]]:
    """The lines inside each marked region of a solution cell."""
    found: list[list[str]] = []
    inside = False
    for line in source.split("\n"):
        if line.strip() == SOLUTION_MARKER:
            found.append([])
            inside = True
        elif line.strip() == END:
            inside = False
        elif inside:
            found[-1].append(line)
    return found


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("student")
    return {path.name: path for path in student.write_student_editions(out)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebooks_are_stored_as_the_student_tool_writes_them(path):
    """So the student edition can leave every other cell byte for byte as it is."""
    text = path.read_text(encoding="utf-8")
    assert student.dumps(json.loads(text)) == text, (
        f"{path.name} is not stored as nbformat writes it: run `make execute` or save it in "
        "JupyterLab"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_each_solution_cell_is_marked_for_nbgrader(path):
    cells = load(path)["cells"]
    solutions = [(i, cell) for i, cell in enumerate(cells) if student.is_solution(cell)]
    assert solutions, f"{path.name} has no solution cell"
    grade_ids = set()
    for index, cell in solutions:
        source = student.cell_source(cell)
        assert regions(source), f"{path.name}, cell {index}: mark the solution's body"
        assert all(any(line.strip() for line in region) for region in regions(source))
        metadata = cell["metadata"].get("nbgrader", {})
        (check, answer) = student.CHECK_CALL.findall(student.cell_source(cells[index + 1]))[0]
        assert metadata == {
            "grade": False,
            "grade_id": f"nb{path.name[:2]}-{answer}",
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }, f"{path.name}, cell {index}: nbgrader's metadata of a solution cell ({check})"
        defined = {
            node.name
            for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef | ast.ClassDef)
        }
        assert answer in defined, f"{path.name}, cell {index} must define {answer}"
        grade_ids.add(metadata["grade_id"])
    assert len(grade_ids) == len(solutions), "grade ids must be unique"


def test_the_student_edition_is_deterministic(editions, tmp_path):
    again = student.write_student_editions(tmp_path)
    assert [path.name for path in again] == sorted(editions)
    for path in again:
        assert path.read_bytes() == editions[path.name].read_bytes(), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_solution_is_a_stub_that_parses_and_nothing_else_changes(path, editions):
    full = load(path)
    edition = load(editions[path.name])
    assert len(edition["cells"]) == len(full["cells"])
    for index, (before, after) in enumerate(zip(full["cells"], edition["cells"], strict=True)):
        where = f"{path.name}, cell {index}"
        if student.is_solution(before):
            source = student.cell_source(after)
            ast.parse(source)  # the stub parses
            assert "\n".join(STUB) in "\n".join(line.strip() for line in source.split("\n"))
            assert SOLUTION_MARKER not in source
            assert END not in source
            body = {line.strip() for r in regions(student.cell_source(before)) for line in r}
            leaked = body & {line.strip() for line in source.split("\n")} - {""}
            assert not leaked, f"{where}: solution lines left in the stub: {leaked}"
            assert after["outputs"] == []
            assert after["execution_count"] is None
            assert "source_hidden" not in after["metadata"].get("jupyter", {}), where
            assert after["metadata"]["tags"] == before["metadata"]["tags"]
        elif index == 0:
            ref = f"/blob/{student.STUDENT_REF}/notebooks/{path.name}"
            assert ref in student.cell_source(after)
            assert student.cell_source(after).replace(ref, f"/blob/main/notebooks/{path.name}") == (
                student.cell_source(before)
            )
        elif student.is_check(before):  # its stored output was the shipped solution's line
            assert after["outputs"] == []
            assert after["execution_count"] is None
            assert after["source"] == before["source"]
            assert after["metadata"] == before["metadata"]
        else:
            assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True), where


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_solution_body_is_anywhere_in_the_student_edition(path, editions):
    text = "\n".join(student.cell_source(cell) for cell in load(editions[path.name])["cells"])
    for cell in load(path)["cells"]:
        if student.is_solution(cell):
            for region in regions(student.cell_source(cell)):
                block = "\n".join(region).strip()
                assert block not in text, f"{path.name}: a solution is in the student edition"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            'def f(x):\n    "Doc."\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION',
            'def f(x):\n    "Doc."\n    # YOUR CODE HERE\n    raise NotImplementedError()',
        ),
        (
            "### BEGIN SOLUTION\ny = 1\n### END SOLUTION\nprint(y)",
            "# YOUR CODE HERE\nraise NotImplementedError()\nprint(y)",
        ),
    ],
    ids=["indented", "top-level"],
)
def test_stub_source_replaces_each_region_like_nbgrader(source, expected):
    assert student.stub_source(source) == expected


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("def f():\n    return 1", "no `### BEGIN SOLUTION` ... `### END SOLUTION` region"),
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
        ("x = 1\n### END SOLUTION", "without a"),
    ],
    ids=["no-region", "unclosed", "nested", "stray-end"],
)
def test_stub_source_says_what_is_wrong_with_the_markers(source, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        student.stub_source(source, "03, cell 7")


def test_a_notebook_without_its_badge_or_solutions_is_refused():
    notebook = load(NOTEBOOKS[0])
    badgeless = json.loads(json.dumps(notebook))
    badgeless["cells"][0]["source"] = "# Title"
    with pytest.raises(ValueError, match="no Colab badge"):
        student.student_edition(badgeless, NOTEBOOKS[0].name)
    unsolved = json.loads(json.dumps(notebook))
    for cell in unsolved["cells"]:
        cell.get("metadata", {}).pop("tags", None)
    with pytest.raises(ValueError, match="no solution cell"):
        student.student_edition(unsolved, NOTEBOOKS[0].name)


def test_colab_and_kaggle_badges_can_point_to_another_branch(tmp_path):
    (path,) = student.write_student_editions(tmp_path, NOTEBOOKS[:1], ref="fall-2027")
    header = student.cell_source(load(path)["cells"][0])
    assert f"({student.colab_url(path.name, 'fall-2027')})" in header
    assert f"({student.kaggle_url(path.name, 'fall-2027')})" in header
    assert "/blob/main/" not in header


def test_the_badges_can_open_another_repository(tmp_path):
    mine = "https://github.com/my-course/fall-2027"
    (path,) = student.write_student_editions(tmp_path, NOTEBOOKS[:1], "main", mine)
    header = student.cell_source(load(path)["cells"][0])
    assert "colab.research.google.com/github/my-course/fall-2027/blob/main/notebooks/" in header
    assert f"kernels/welcome?src={mine}/blob/main/notebooks/" in header
    for bad in ("my-course/fall-2027", "https://gitlab.com/a/b", "https://github.com/a"):
        with pytest.raises(ValueError, match=r"expected a repository as https://github\.com/OWNER"):
            student.write_student_editions(tmp_path, NOTEBOOKS[:1], "main", bad)


def test_a_student_repository_has_one_commit_and_no_solution_tests_or_grader(tmp_path):
    out = tmp_path / "repo"
    student.write_repository(out, "main", "https://github.com/my-course/fall-2027")
    git = ["git", "-C", str(out)]
    log = subprocess.run([*git, "log", "--format=%s"], capture_output=True, text=True, check=True)
    assert log.stdout.split("\n")[:-1] == ["Student edition"]
    files = subprocess.run([*git, "ls-files"], capture_output=True, text=True, check=True)
    tops = {name.split("/")[0] for name in files.stdout.split()}
    assert tops == {*student.STUDENT_REPOSITORY_FILES, "README.md", "notebooks"}
    assert {name for name in files.stdout.split() if name.startswith("notebooks/")} == {
        f"notebooks/{path.name}" for path in NOTEBOOKS
    }
    for path in (out / "notebooks").iterdir():  # no solution, and no stored output of one
        assert SOLUTION_MARKER not in path.read_text(), path.name
        assert not re.search(r"\(\d+ cases pass\), not your answer", path.read_text()), path.name
    with pytest.raises(ValueError, match="is not empty"):
        student.write_repository(out)


def make_dry_run(*arguments: str) -> str:
    """What `make -n ARGUMENTS` would run (nothing is executed)."""
    return subprocess.run(
        ["make", "-n", "--no-print-directory", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def test_make_student_writes_into_build():
    assert "-m tools.student build/student" in make_dry_run("student")


def test_make_student_repo_writes_a_fresh_repository_into_build():
    dry = make_dry_run("student-repo", "STUDENT_REPO_URL=https://github.com/a/b")
    assert "rm -rf build/student-repo" in dry
    assert "-m tools.student build/student-repo --repository" in dry
    assert "--badges-repository https://github.com/a/b" in dry


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_only_solution_cells_mention_the_markers(path):
    """nbgrader 0.9 starts a region at any line *containing* "BEGIN SOLUTION", in any cell
    (markdown too): elsewhere the words would break `nbgrader generate_assignment`."""
    for index, cell in enumerate(load(path)["cells"]):
        if not student.is_solution(cell):
            text = student.cell_source(cell)
            assert "BEGIN SOLUTION" not in text, f"{path.name}, cell {index}"
            assert "END SOLUTION" not in text, f"{path.name}, cell {index}"
