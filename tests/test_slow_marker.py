"""The guard of tests/conftest.py: an unmarked test cannot start a process, a slow one can."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tools.project import REPO, find_tool


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-c", "pass"],
        f"{sys.executable} -c pass",  # a command line as one string
        ["make", "--no-print-directory", "help"],  # make that runs its recipe
        [find_tool("pre-commit"), "--version"],  # a Python script, through its #! line
    ],
    ids=["python", "python-string", "make", "python-script"],
)
def test_an_unmarked_test_cannot_start_a_process(command):
    with pytest.raises(RuntimeError, match=r"not marked @pytest.mark.slow: mark it"):
        subprocess.run(command, cwd=REPO, capture_output=True, check=False)


def test_an_unmarked_test_may_run_commands_that_start_nothing():
    assert subprocess.run(["git", "--version"], capture_output=True, check=True).returncode == 0
    dry_run = subprocess.run(
        ["make", "-n", "--no-print-directory", "help"], cwd=REPO, capture_output=True, check=False
    )
    assert dry_run.returncode == 0


@pytest.mark.slow
def test_a_slow_test_may_start_python():
    result = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True)
    assert result.stdout == "42\n"
