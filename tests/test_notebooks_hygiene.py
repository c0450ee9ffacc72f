"""Static checks on every stored notebook: format, stored outputs, skeleton, links, exercises,
study time and navigation; and that the README and notebook 00 list the notebooks alike.

The notebooks are discovered, never listed, so a new notebook is covered the day it is added.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from tools.project import (
    MAX_NOTEBOOK_BYTES,
    NOTEBOOKS,
    REPO,
    REPOSITORY,
    heading_anchor,
    is_navigation_cell,
    markdown_tables,
    markdown_text,
    notebook_sections,
    study_minutes,
)

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
# The header's study time: `| **Study time** | about 45 min, ... |`.
STUDY_TIME = re.compile(r"^\|\s*\*\*Study time\*\*\s*\|\s*about (\d+) min\b", re.MULTILINE)
# A markdown link's target; one level of parentheses allowed inside it.
LINK = re.compile(r"\[[^\]]*\]\(((?:[^()\s]|\([^()\s]*\))+)\)")
START_HERE = NOTEBOOK_DIR / "00_start_here.ipynb"
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


# --- study time, navigation and the tables of notebooks ----------------------------------


def notebook_table(text: str, where: str) -> dict[str, dict[str, str]]:
    """The table of notebooks in a markdown text, by notebook number, each row by column."""
    tables = [table for table in markdown_tables(text) if table[0][:2] == ["#", "Notebook"]]
    assert len(tables) == 1, f"{where}: expected one table of notebooks (| # | Notebook | ...)"
    header, *rows = tables[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def readme_notebook_table() -> dict[str, dict[str, str]]:
    return notebook_table((REPO / "README.md").read_text(), "README.md")


def start_here_notebook_table() -> dict[str, dict[str, str]]:
    return notebook_table(markdown_text(nbformat.read(START_HERE, as_version=4)), START_HERE.name)


def test_readme_and_start_here_list_the_notebooks_alike():
    """Notebook 00's table of notebooks is the README's, less its Colab column, with links
    relative to `notebooks/`, and `this notebook` as the status of notebook 00."""
    readme, start = readme_notebook_table(), start_here_notebook_table()
    numbers = [path.name[:2] for path in NOTEBOOKS]
    assert list(readme) == numbers, f"README.md: one row per notebook, in order: {numbers}"
    assert list(start) == numbers, f"{START_HERE.name}: one row per notebook, in order: {numbers}"
    for number, path in zip(numbers, NOTEBOOKS, strict=True):
        expected = {
            column: value.replace("](notebooks/", "](")
            for column, value in readme[number].items()
            if column != "Colab"
        }
        if number == "00":
            expected["Status"] = "this notebook"
        assert start[number] == expected, (
            f"row {number} differs between README.md and {START_HERE.name}:\n"
            f"  README:  {expected}\n  00:      {start[number]}"
        )
        assert f"](notebooks/{path.name})" in readme[number]["Notebook"], (
            f"README.md: row {number} must link notebooks/{path.name}"
        )


def test_study_time(notebook):
    """The header's Study time row: the estimate of `tools.project.study_minutes` (reading at
    150 words a minute, 10 min per exercise), within 5 min, and the same in both tables."""
    path, nb = notebook
    estimate = study_minutes(nb)
    found = STUDY_TIME.search(nb.cells[0].source)
    assert found, (
        f"{path.name}: the header needs a row `| **Study time** | about {estimate} min, ... |` "
        "after Run time (see CONTRIBUTING.md, Adding a notebook)"
    )
    stated = int(found[1])
    assert abs(stated - estimate) <= 5, (
        f"{path.name}: Study time says {stated} min, the estimate is now {estimate} min "
        "(tools.project.study_minutes): update the header and both tables of notebooks"
    )
    for where, table in (
        ("README.md", readme_notebook_table()),
        ("00", start_here_notebook_table()),
    ):
        listed = table.get(path.name[:2], {}).get("Study time")
        assert listed == f"{stated} min", (
            f"{path.name}: the header says {stated} min, the table of notebooks in {where} "
            f"says {listed!r}"
        )


def test_ends_with_a_link_to_the_next_notebook(notebook):
    """The last cell, markdown: a `---` rule, then `**Next: [NN · Title](NN_name.ipynb)**`, or,
    in the last notebook, a link back to notebook 00."""
    path, nb = notebook
    last = nb.cells[-1]
    assert is_navigation_cell(last), (
        f"{path.name}: end with a markdown cell that starts with a `---` line, a blank line and "
        "`**Next: [NN · Title](NN_name.ipynb)**` (see CONTRIBUTING.md, Adding a notebook)"
    )
    later = NOTEBOOKS[NOTEBOOKS.index(path) + 1 :]
    if later:
        header = nbformat.read(later[0], as_version=4).cells[0].source.splitlines()[0]
        expected = f"**Next: [{header.lstrip('#').strip()}]({later[0].name})**"
        assert expected in last.source, f"{path.name}: the last cell must say {expected}"
    else:
        assert f"]({START_HERE.name}#" in last.source, (
            f"{path.name} is the last notebook: its last cell links back to {START_HERE.name}"
        )
    for index, cell in enumerate(nb.cells[:-1]):
        assert not is_navigation_cell(cell), f"{path.name}: cell {index} looks like the last one"


def links_to_notebooks(text: str, document: Path) -> list[tuple[str, Path, str]]:
    """(link, notebook, anchor) for every link in ``text``, the markdown of ``document``, to a
    notebook or to a section of one; a bare `#anchor` in a notebook points into itself."""
    found = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
            continue
        file, _, anchor = target.partition("#")
        if file.endswith(".ipynb"):
            found.append((target, (document.parent / file).resolve(), anchor))
        elif not file and document.suffix == ".ipynb":
            found.append((target, document, anchor))
    return found


def test_links_to_notebooks_and_their_sections_resolve():
    """Every link to a notebook, or to a section of one (`NN_name.ipynb#Heading-text`, the
    anchor JupyterLab gives the heading), from the README and from every notebook, resolves."""
    documents = {REPO / "README.md": (REPO / "README.md").read_text()}
    for path in NOTEBOOKS:
        documents[path] = markdown_text(nbformat.read(path, as_version=4))
    broken = []
    for document, text in documents.items():
        for target, notebook, anchor in links_to_notebooks(text, document):
            if not notebook.is_file():
                broken.append(f"{document.name}: {target} (no such notebook)")
            elif anchor:
                sections = notebook_sections(nbformat.read(notebook, as_version=4))
                matches = [section for section in sections if section.anchor == anchor]
                if len(matches) != 1:
                    broken.append(
                        f"{document.name}: {target} ({len(matches)} headings of "
                        f"{notebook.name} have that anchor)"
                    )
    assert not broken, "links that do not resolve:\n" + "\n".join(broken)


# --- the notebook-reading tools these tests use (tools/project.py) -----------------------


def test_heading_anchors_match_nbconvert(notebook):
    """`heading_anchor` gives every heading the id nbconvert (and JupyterLab) gives it."""
    from nbconvert import HTMLExporter

    path, nb = notebook
    markdown_only = nbformat.v4.new_notebook(
        cells=[cell for cell in nb.cells if cell.cell_type == "markdown"], metadata=nb.metadata
    )
    body, _ = HTMLExporter(template_name="basic").from_notebook_node(markdown_only)
    expected = [html.unescape(found) for found in re.findall(r'<h[1-6] id="([^"]*)"', body)]
    assert [section.anchor for section in notebook_sections(nb)] == expected, path.name


def test_heading_anchor_drops_code_and_links_and_encodes_quotes():
    assert heading_anchor("## 3. Per-layer `clip` with [a link](x.ipynb)") == (
        "3.-Per-layer-clip-with-a-link"
    )
    assert heading_anchor('## The "stateful layer", fixed') == "The-%22stateful-layer%22,-fixed"
    assert heading_anchor("### Exercise 1 — why?") == "Exercise-1-%E2%80%94-why?"


def test_notebook_sections_reach_the_next_heading_of_their_level():
    cells = [
        nbformat.v4.new_markdown_cell("intro\n\n## 1. One"),
        nbformat.v4.new_code_cell("a"),
        nbformat.v4.new_markdown_cell("### 1.1 Sub\n```\n## not a heading\n```"),
        nbformat.v4.new_code_cell("b"),
        nbformat.v4.new_markdown_cell("## 2. Two"),
        nbformat.v4.new_code_cell("c"),
    ]
    sections = notebook_sections(nbformat.v4.new_notebook(cells=cells))
    assert [(s.level, s.title, s.code_cells) for s in sections] == [
        (2, "1. One", (1, 3)),
        (3, "1.1 Sub", (3,)),
        (2, "2. Two", (5,)),
    ]


def test_markdown_tables_reads_rows_without_the_rule():
    text = "para\n\n| a | b |\n|---|:-:|\n| 1 | `x` |\n\n| c |\n|---|\n"
    assert markdown_tables(text) == [[["a", "b"], ["1", "`x`"]], [["c"]]]


def test_study_minutes_counts_prose_and_exercises_only():
    words = " ".join(["word"] * 1500)  # 10 min of reading
    cells = [
        nbformat.v4.new_markdown_cell("# 99 · Header " + words),  # the header is left out
        nbformat.v4.new_markdown_cell(words),
        nbformat.v4.new_code_cell(words),  # code is left out
        nbformat.v4.new_code_cell("", metadata={"tags": ["solution"]}),  # an exercise: 10 min
        nbformat.v4.new_markdown_cell("---\n\n**Next: " + words),  # navigation is left out
    ]
    assert study_minutes(nbformat.v4.new_notebook(cells=cells)) == 20
    assert study_minutes(nbformat.v4.new_notebook(cells=cells[:1])) == 5  # never less than 5
