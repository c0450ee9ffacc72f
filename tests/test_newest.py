"""`make newest` and its report (tools/newest.py), without installing anything.

The install and the runs themselves are exercised by the weekly workflow (newest.yml); here:
the pins it keeps, how it reads nbval's JUnit files, and the report and exit status it gives.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tools import newest
from tools.project import BACKENDS, REPO, REQUIREMENTS, read_requirements

PASSED = '<testcase classname="notebooks/01_backend_ops.ipynb" name="Cell 3" time="0.1"/>'
FAILED = """<testcase classname="notebooks/01_backend_ops.ipynb" name="Cell 7" time="0.2">
<failure message="failed">#x1B[91mNotebook cell execution failed#x1B[0m
#x1B[94mCell 7: Cell execution caused an exception

Input:
#x1B[0mops.dot(a, b)

#x1B[94mTraceback:#x1B[0m
Traceback (most recent call last):
ValueError: Incompatible shapes | (5, 2, 4)
</failure></testcase>"""
MISMATCH = """<testcase classname="notebooks/03_gradient_manipulation.ipynb"
name="Cell 12" time="0.2"><failure message="failed">#x1B[91mNotebook cell execution failed#x1B[0m
#x1B[94mCell 12: Cell outputs differ

Input:
print(round(norm, 4))
</failure></testcase>"""
SKIPPED = """<testcase classname="notebooks/00_start_here.ipynb" name="Cell 1" time="0">
<skipped message="skip"/></testcase>"""


def junit(*cases: str) -> str:
    return f'<testsuites><testsuite name="pytest">{"".join(cases)}</testsuite></testsuites>'


def write_results(folder: Path, results: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for backend, text in results.items():
        (folder / f"{backend}.xml").write_text(text)
    return folder


def test_summary_names_the_reason_and_the_exception():
    message = newest.plain(FAILED)
    assert newest.summarize(message) == (
        "Cell execution caused an exception: ValueError: Incompatible shapes | (5, 2, 4)"
    )
    assert newest.summarize(MISMATCH) == "Cell outputs differ"
    assert newest.summarize("") == "failed"


def test_colours_are_removed_raw_or_escaped():
    assert newest.plain("#x1B[94mCell 7#x1B[0m and \x1b[91mred\x1b[0m") == "Cell 7 and red"


def test_a_run_is_read_cell_by_cell(tmp_path):
    path = tmp_path / "jax.xml"
    path.write_text(junit(PASSED, FAILED, MISMATCH, SKIPPED))
    result = newest.read_junit(path, "jax")
    assert result.passed == 1
    assert [(f.notebook, f.cell) for f in result.failures] == [
        ("notebooks/01_backend_ops.ipynb", "Cell 7"),
        ("notebooks/03_gradient_manipulation.ipynb", "Cell 12"),
    ]
    assert "ops.dot(a, b)" in result.failures[0].detail
    assert "#x1B" not in result.failures[0].detail
    assert not result.missing


def test_a_backend_without_a_file_is_missing(tmp_path):
    result = newest.read_junit(tmp_path / "torch.xml", "torch")
    assert result.missing
    assert result.passed == 0


def test_all_passed_exits_0_with_a_report(tmp_path, capsys):
    folder = write_results(tmp_path / "newest", dict.fromkeys(BACKENDS, junit(PASSED)))
    assert newest.main(["report", str(folder)]) == 0
    text = (folder / "report.md").read_text()
    assert text == capsys.readouterr().out.rstrip("\n") + "\n"
    for backend in BACKENDS:
        assert f"| {backend} | 1 passed, 0 failed |" in text
    assert "| keras |" in text
    assert "| backend | notebook | cell | why |" not in text
    data = json.loads((folder / "report.json").read_text())
    assert set(data["versions"]) == {"python", *newest.UNPINNED}
    assert data["versions"]["keras"]["pinned"] == read_requirements(REQUIREMENTS["lab"])["keras"]


def test_a_failure_or_a_missing_backend_exits_1(tmp_path):
    folder = write_results(
        tmp_path / "newest", {"tensorflow": junit(PASSED), "jax": junit(PASSED, FAILED)}
    )
    assert newest.report(folder) == 1
    text = (folder / "report.md").read_text()
    assert "| jax | 1 passed, 1 failed |" in text
    assert "| torch | no result: the run crashed or never started (see its log) |" in text
    # A `|` inside the reason is escaped so the table keeps its columns.
    assert (
        "| jax | notebooks/01_backend_ops.ipynb | Cell 7 | Cell execution caused an exception: "
        "ValueError: Incompatible shapes \\| (5, 2, 4) |"
    ) in text
    failures = json.loads((folder / "report.json").read_text())["backends"][1]["failures"]
    assert "Traceback" in failures[0]["detail"]


def test_no_folder_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `make newest` first"):
        newest.report(tmp_path / "nothing")


def test_newest_keeps_every_pin_but_the_unpinned(tmp_path):
    """The Makefile's grep, run as `make -n newest` prints it, leaves exactly the other pins."""
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "newest", "NEWEST_PYTHON=python3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    line = next(line for line in dry.splitlines() if line.startswith("grep "))
    command = re.sub(r">\s*\S+$", "", line)
    kept = subprocess.run(
        ["sh", "-c", command], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    pins = {}
    for path in REQUIREMENTS.values():
        pins.update(read_requirements(path))
    kept_names = {line.split("==")[0] for line in kept.splitlines() if "==" in line}
    assert kept_names == set(pins) - set(newest.UNPINNED)
    assert set(newest.UNPINNED) <= set(pins), "every unpinned package is pinned for `make test`"
