"""The Pythons the collection supports: `make` finds one by itself, or says what to do.

The Makefile's PYTHONS is the one list; the README, CONTRIBUTING, pyproject.toml, the workflow's
matrix (oldest and newest) and `make newest` (newest first) agree with it. The discovery runs
`make` with a PATH that holds only the interpreters a test puts there: links to this test's own
Python under other names, a broken pyenv-like shim, and a script that claims to be Python 3.10.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tools import newest
from tools.project import REPO

SUPPORTED = ("3.11", "3.12", "3.13")
MAKEFILE = (REPO / "Makefile").read_text()
NEEDED = "Python 3.11, 3.12 or 3.13 is required"
BROKEN_SHIM = '#!/bin/sh\necho "pyenv: $(basename $0): command not found" >&2\nexit 127\n'
# Says where it is and which version it is, and fails any version check, as Python 3.10 would.
PYTHON_3_10 = """#!/bin/sh
case "$*" in
  --version) echo "Python 3.10.13" ;;
  *sys.executable*) echo "$0" ;;
  *) exit 1 ;;
esac
"""


def make_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(.*)$", MAKEFILE, re.MULTILINE)
    assert match, f"the Makefile has no {name}"
    return match.group(1).strip()


def test_the_supported_versions_agree_everywhere():
    assert tuple(make_variable("PYTHONS").split()) == SUPPORTED
    assert tuple(make_variable("PYTHONS_NEWEST_FIRST").split()) == SUPPORTED[::-1]
    assert make_variable("NEEDED") == NEEDED
    assert tuple(make_variable("UNPINNED").split()) == newest.UNPINNED
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # No upper bound: a hosted notebook on a newer Python (Colab, Kaggle) still installs helpers.
    assert project["requires-python"] == f">={SUPPORTED[0]}"
    for doc in ("README.md", "CONTRIBUTING.md"):
        assert "Python 3.11, 3.12 or 3.13" in (REPO / doc).read_text(), doc


def test_the_workflow_runs_the_oldest_and_the_newest():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "notebooks.yml").read_text())
    matrix = workflow["jobs"]["notebooks"]["strategy"]["matrix"]
    assert matrix["python"] == [SUPPORTED[0], SUPPORTED[-1]]
    weekly = yaml.safe_load((REPO / ".github" / "workflows" / "newest.yml").read_text())
    setup = [
        step
        for job in weekly["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    ]
    assert [step["with"]["python-version"] for step in setup] == [SUPPORTED[-1]]


def fake_path(tmp_path: Path, entries: dict[str, str | None]) -> str:
    """A folder for PATH holding `entries`: a link to this Python (None) or a script (text)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, script in entries.items():
        target = folder / name
        if script is None:
            target.symlink_to(sys.executable)
        else:
            target.write_text(script)
            target.chmod(0o755)
    return str(folder)


def run_make(path: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("make") or "make", "-s", "--no-print-directory", *args],
        cwd=REPO,
        env={"PATH": path, "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def chosen_python(path: str) -> str:
    result = run_make(path, "--eval", "chosen: ; $(info $(PYTHON))", "chosen")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ({"python3.13": None}, "python3.13"),
        ({"python3.12": None, "python3.13": None}, "python3.12"),
        ({"python3.11": None, "python3.13": None}, "python3.11"),
        ({"python3.11": BROKEN_SHIM, "python3.12": None}, "python3.12"),
        ({"python3.10": None, "python3": None}, ""),
    ],
    ids=["only-3.13", "oldest-first", "3.11-first", "skips-a-broken-shim", "none-supported"],
)
def test_make_takes_the_first_supported_python_that_runs(tmp_path, entries, expected):
    chosen = chosen_python(fake_path(tmp_path, entries))
    assert Path(chosen).name == expected if expected else chosen == ""


@pytest.mark.slow
def test_make_says_what_to_do_without_a_python(tmp_path):
    venv = tmp_path / "venv"
    result = run_make(fake_path(tmp_path, {}), f"VENV={venv}", f"{venv}/bin/python")
    assert result.returncode != 0
    assert f"{NEEDED}: no python3.11 python3.12 python3.13 on the PATH runs." in result.stdout
    assert "make PYTHON=/path/to/python3" in result.stdout
    assert not venv.exists()


@pytest.mark.slow
def test_make_refuses_an_unsupported_python(tmp_path):
    venv = tmp_path / "venv"
    path = fake_path(tmp_path, {"python3.11": PYTHON_3_10})
    result = run_make(path, f"VENV={venv}", f"{venv}/bin/python")
    assert result.returncode != 0
    assert f"{NEEDED}: '{path}/python3.11' is Python 3.10.13." in result.stdout
    assert not venv.exists()
    missing = run_make(path, "PYTHON=nope", f"VENV={venv}", f"{venv}/bin/python")
    assert f"{NEEDED}: 'nope' was not found." in missing.stdout


@pytest.mark.slow
def test_make_creates_the_venv_with_the_python_it_found(tmp_path):
    venv = tmp_path / "venv"
    path = fake_path(tmp_path, {"python3.13": None})
    result = run_make(path, f"VENV={venv}", f"{venv}/bin/python")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (venv / "bin" / "python").exists()
