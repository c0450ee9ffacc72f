"""The notebook runs of `make nbval-<backend>` can fail for each reason they exist to catch.

`conftest.py` adds three options to nbval (`--nb-offline`, `--nb-kernel-cwd`, `--nb-run-twice`)
and a probe after every notebook; a fourth, `--nb-save-outputs`, keeps the outputs of each
notebook whose first run passed. Each test here runs pytest on a tiny notebook written for one
failure (state that piles up when cells are re-run, a download, a file read from beside the
notebook) and checks that the run catches it, and that a sound notebook passes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import website
from tools.project import REPO

IMPORT_KERAS = 'import os\nos.environ.setdefault("KERAS_BACKEND", "jax")\nimport keras'
ALL_OPTIONS = ("--nb-offline", "--nb-run-twice", "--nb-kernel-cwd=tmp")


def write_notebook(path: Path, *cells: tuple[str, str | None]) -> Path:
    """A notebook of ``(source, stored stdout or None)`` code cells after an `import keras` cell;
    a cell with a stored stdout is tagged ``nbval-check-output``."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    for count, (source, stdout) in enumerate(((IMPORT_KERAS, None), *cells), start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=count)
        if stdout is not None:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stdout)]
            cell.metadata["tags"] = ["nbval-check-output"]
        notebook.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def run_nbval(paths: list[Path], *options: str) -> dict[str, str]:
    """pytest --nbval-lax on notebooks, with this repository's conftest.py as a plugin.

    Returns each test's outcome by name (``"sound.ipynb::Cell 1 (second run)"``: ``"PASSED"``),
    plus the whole output under ``"output"``.
    """
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conftest", "-v"]
        + ["--nbval-lax", "--nbval-current-env", "--rootdir", str(paths[0].parent), *options]
        + [str(path) for path in paths],
        cwd=REPO,  # so that `-p conftest` finds this repository's conftest.py
        env={**os.environ, "KERAS_BACKEND": "jax"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    outcomes = {
        # nbval names its own items `name::ipynb::Cell N`; ours are `name.ipynb::...`
        match["test"].replace("::ipynb::", ".ipynb::"): match["outcome"]
        for match in re.finditer(
            r"(?P<test>\w+(::|\.)ipynb::.+?) (?P<outcome>PASSED|FAILED)", result.stdout
        )
    }
    return {**outcomes, "output": result.stdout + result.stderr}


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> dict[str, Path]:
    """One sound notebook and one for each failure, side by side in one folder."""
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "data.txt").write_text("beside the notebooks\n")
    return {
        "sound": write_notebook(folder / "sound.ipynb", ("print(2 + 2)", "4\n")),
        "piles_up": write_notebook(
            folder / "piles_up.ipynb",
            ("calls = globals().get('calls', 0) + 1\nprint(calls)", "1\n"),
        ),
        "downloads": write_notebook(
            folder / "downloads.ipynb",
            ("import socket\nsocket.getaddrinfo('example.com', 443)", None),
        ),
        "reads_beside": write_notebook(
            folder / "reads_beside.ipynb", ("print(open('data.txt').read())", None)
        ),
    }


@pytest.mark.slow
def test_each_option_catches_what_it_is_for(notebooks, tmp_path):
    # Without the options, the notebooks that do not download pass (in their own folder, once).
    plain = run_nbval([notebooks[name] for name in ("sound", "piles_up", "reads_beside")])
    assert {test: result for test, result in plain.items() if test != "output"} == {
        f"{name}.ipynb::{test}": "PASSED"
        for name in ("sound", "piles_up", "reads_beside")
        for test in ("Cell 0", "Cell 1", "backend probe")
    }, plain["output"][-3000:]

    kept = tmp_path / "outputs"
    runs = run_nbval(list(notebooks.values()), *ALL_OPTIONS, f"--nb-save-outputs={kept}")
    output = runs.pop("output")
    failed = sorted(test for test, result in runs.items() if result == "FAILED")
    assert failed == [
        "downloads.ipynb::Cell 1",  # --nb-offline
        "downloads.ipynb::Cell 1 (second run)",
        "piles_up.ipynb::Cell 1 (second run)",  # --nb-run-twice
        "reads_beside.ipynb::Cell 1",  # --nb-kernel-cwd=tmp
        "reads_beside.ipynb::Cell 1 (second run)",
    ], output[-3000:]
    assert "NetworkBlocked" in output
    assert "FileNotFoundError" in output
    # every notebook ran twice, and its probe (backend, folder, network) passed
    for name in notebooks:
        assert runs[f"{name}.ipynb::Cell 0 (second run)"] == "PASSED"
        assert runs[f"{name}.ipynb::backend probe"] == "PASSED", output[-3000:]
    # --nb-save-outputs: the outputs of each notebook whose first run passed, none of the others
    assert sorted(path.name for path in (kept / "jax").iterdir()) == [
        "piles_up.ipynb",
        "sound.ipynb",
    ]
    sound = website.read_outputs("jax", notebooks["sound"], kept)
    assert sound == [[], [{"output_type": "stream", "name": "stdout", "text": "4\n"}]]


@pytest.mark.slow
def test_kernel_cwd_must_be_a_folder_or_tmp(notebooks, tmp_path):
    result = run_nbval([notebooks["sound"]], f"--nb-kernel-cwd={tmp_path / 'missing'}")
    assert "--nb-kernel-cwd must be a folder or 'tmp'" in result["output"]
