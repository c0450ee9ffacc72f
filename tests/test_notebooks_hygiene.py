"""Static checks on every stored notebook: format, stored outputs, skeleton, links, exercises.

The notebooks are discovered, never listed, so a new notebook is covered the day it is added.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from tools.project import MAX_NOTEBOOK_BYTES, NOTEBOOKS, REPO, REPOSITORY

NOTEBOOK_DIR = REPO / "notebooks"
BACKEND_NAMES = ("TensorFlow", "JAX", "PyTorch")
SECTIONS = ("## What you will learn", "## Setup", "## Summary", "## Exercises")
SETUP_LINE = 'os.environ.setdefault("KERAS_BACKEND", "tensorflow")'
# Absolute paths of this machine or anyone's home; outputs must not leak them.
ABSOLUTE_PATH = re.compile(r"(/(home|root|tmp|work|Users|private)/\S+|[A-Za-z]:\\Users\\)")
# Code that would fetch data or weights from the network.
DOWNLOADS = re.compile(
    r"(load_data\(|get_file\(|urlopen|urlretrieve|requests\.|https?://|"
    r"weights\s*=\s*[\"']imagenet|from_pretrained|hf_hub)"
)
# The one download allowed: the setup cell installs the helpers from this repository on Colab.
COLAB_INSTALL_URL = f"git+{REPOSITORY}@main"


def notebook_id(path: Path) -> str:
    return path.name


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=notebook_id)
def notebook(request) -> tuple[Path, nbformat.NotebookNode]:
    path = request.param
    return path, nbformat.read(path, as_version=4)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def markdown_text(nb) -> str:
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def test_there_are_notebooks():
    assert (NOTEBOOK_DIR / "00_start_here.ipynb") in NOTEBOOKS


def test_file_name(notebook):
    path, _ = notebook
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), (
        f"{path.name}: name notebooks NN_snake_case.ipynb"
    )


def test_valid_nbformat_and_python3_kernel(notebook):
    _, nb = notebook
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["kernelspec"]["language"] == "python"


def test_size_limit(notebook):
    path, _ = notebook
    assert path.stat().st_size <= MAX_NOTEBOOK_BYTES, (
        f"{path.name} is over {MAX_NOTEBOOK_BYTES} bytes"
    )


def test_stored_outputs_are_from_one_clean_run(notebook):
    """Every code cell ran, once, top to bottom, in a fresh kernel (`make execute`)."""
    path, nb = notebook
    counts = [cell.execution_count for cell in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; run `make execute` to store a clean run"
    )


def test_no_stored_errors(notebook):
    path, nb = notebook
    for index, cell in enumerate(code_cells(nb)):
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name}: code cell {index} stores an error"
            if output.output_type == "stream":
                assert "Traceback (most recent call last)" not in output.text


def test_no_absolute_paths_or_user_names_in_outputs(notebook):
    path, nb = notebook
    home = os.path.expanduser("~")
    for index, cell in enumerate(code_cells(nb)):
        text = json.dumps(cell.outputs)
        found = ABSOLUTE_PATH.search(text)
        assert not found, f"{path.name}: code cell {index} output holds a path: {found.group(0)!r}"
        assert str(REPO) not in text
        if home not in ("/", ""):
            assert home not in text


def test_header(notebook):
    """`# NN · Title`, an italic one-line description, then Backends and Run time."""
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    lines = [line for line in first.source.splitlines() if line.strip()]
    assert re.fullmatch(rf"# {path.name[:2]} · \S.*", lines[0]), (
        f"{path.name}: the first line must be '# {path.name[:2]} · Title', got {lines[0]!r}"
    )
    assert re.fullmatch(r"\*[^*].*[^*]\*", lines[1]), f"{path.name}: an italic description"
    backends = next((line for line in lines if "**Backends**" in line), "")
    for name in BACKEND_NAMES:
        assert name in backends, f"{path.name}: the header's Backends row must list {name}"
    run_time = next((line for line in lines if "**Run time**" in line), "")
    assert re.search(r"\d+ (s|min)", run_time), f"{path.name}: say the run time, e.g. '20 s'"


def test_sections_in_order(notebook):
    path, nb = notebook
    headings = [
        line.strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]
    positions = []
    for section in SECTIONS:
        assert section in headings, f"{path.name}: missing section {section!r}"
        positions.append(headings.index(section))
    assert positions == sorted(positions), f"{path.name}: sections must come in order {SECTIONS}"
    assert headings[0] == "## What you will learn"
    assert headings[1] == "## Setup"


def test_backend_is_chosen_before_keras_is_imported(notebook):
    path, nb = notebook
    cells = code_cells(nb)
    setup = cells[0].source
    assert SETUP_LINE in setup, f"{path.name}: the first code cell must contain {SETUP_LINE}"
    keras_import = re.search(r"^(import keras|from keras)", setup, re.MULTILINE)
    assert keras_import, f"{path.name}: the setup cell imports keras"
    assert setup.index(SETUP_LINE) < keras_import.start()


def test_setup_reports_the_environment_in_an_unchecked_cell(notebook):
    """Versions and devices differ by machine: printed by a helper, never compared."""
    path, nb = notebook
    report = code_cells(nb)[1].source
    assert report.startswith("# NBVAL_IGNORE_OUTPUT"), f"{path.name}: mark the report unchecked"
    assert "helpers.env.describe()" in report, f"{path.name}: the 2nd code cell reports the env"


def test_no_skipped_cells_and_checked_cells_have_outputs(notebook):
    """A skipped cell or a checked cell without a stored output would be a test that cannot fail."""
    path, nb = notebook
    for index, cell in enumerate(code_cells(nb)):
        tags = cell.metadata.get("tags", [])
        skipped = "NBVAL_SKIP" in cell.source or "nbval-skip" in tags
        assert not skipped, f"{path.name}: code cell {index} is skipped under nbval"
        assert "NBVAL_RAISES_EXCEPTION" not in cell.source, (
            f"{path.name}: code cell {index}: show an expected error with try/except and print it"
        )
        if cell.source.startswith("# NBVAL_CHECK_OUTPUT"):
            assert cell.outputs, f"{path.name}: code cell {index} is checked but stores no output"


def test_nothing_is_downloaded(notebook):
    path, nb = notebook
    for index, cell in enumerate(code_cells(nb)):
        source = cell.source.replace(COLAB_INSTALL_URL, "") if index == 0 else cell.source
        found = DOWNLOADS.search(source)
        assert not found, (
            f"{path.name}: code cell {index} looks like a download: {found.group(0)!r}"
        )


def test_exercises_have_collapsed_solutions_and_checks(notebook):
    path, nb = notebook
    cells = nb.cells
    exercise_start = next(
        index for index, cell in enumerate(cells) if cell.source.startswith("## Exercises")
    )
    solutions = [
        index
        for index, cell in enumerate(cells)
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])
    ]
    assert len(solutions) >= 3, f"{path.name}: at least three exercises with solutions"
    for index in solutions:
        assert index > exercise_start, f"{path.name}: solutions belong in the Exercises section"
        assert cells[index].metadata.get("jupyter", {}).get("source_hidden") is True, (
            f"{path.name}: solution cell {index} must be collapsed"
        )
        check = cells[index + 1]
        assert check.cell_type == "code"
        assert "helpers.checks.check_" in check.source, (
            f"{path.name}: solution cell {index} must be followed by a helpers.checks call"
        )
        assert check.source.startswith("# NBVAL_CHECK_OUTPUT")


def linked_notebooks(text: str) -> set[str]:
    return set(re.findall(r"\]\((?:notebooks/)?(\d\d_[a-z0-9_]+\.ipynb)\)", text))


def test_readme_table_of_contents_links_every_notebook():
    readme = (REPO / "README.md").read_text()
    linked = linked_notebooks(readme)
    assert {path.name for path in NOTEBOOKS} <= linked, "link every notebook from the README"
    for name in linked:
        assert (NOTEBOOK_DIR / name).is_file(), f"README links a missing notebook: {name}"


def test_start_here_links_every_notebook():
    nb = nbformat.read(NOTEBOOK_DIR / "00_start_here.ipynb", as_version=4)
    linked = linked_notebooks(markdown_text(nb))
    assert {path.name for path in NOTEBOOKS} <= linked
    for name in linked:
        assert (NOTEBOOK_DIR / name).is_file(), f"00_start_here links a missing notebook: {name}"
