"""Static checks on every stored notebook: format, stored outputs, skeleton, links, exercises,
study time and navigation; and that the README and notebook 00 list the notebooks alike.

The notebooks are discovered, never listed, so a new notebook is covered the day it is added.
"""

from __future__ import annotations

import ast
import html
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from tools.project import (
    DEEP_DIVE_HEADING,
    MAX_NOTEBOOK_BYTES,
    NOTEBOOKS,
    REPO,
    REPOSITORY,
    StudyTime,
    code_lines,
    heading_anchor,
    is_hidden,
    is_navigation_cell,
    markdown_tables,
    markdown_text,
    notebook_sections,
    prose_sentences,
    study_time,
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
# The header's study time: `| **Study time** | core about 45 min, 2 exercises included; deep
# dive about 40 min |`, or `| **Study time** | about 45 min, 3 exercises included |`.
STUDY_TIME = re.compile(
    r"^\|\s*\*\*Study time\*\*\s*\|\s*(?:core )?about (\d+) min\b[^|;]*"
    r"(?:; deep dive about (\d+) min)?",
    re.MULTILINE,
)
# Every notebook is laid out as a learner's path (CONTRIBUTING.md, Teaching conventions): its
# core fits LONGEST_CORE minutes, and has a figure and a predict-then-run question.
LEARNER_PATH = tuple(path.name[:2] for path in NOTEBOOKS)
LONGEST_CORE = 45
LONGEST_SENTENCE = 40
PREDICT = "**Predict, then run:**"
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


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def test_setup_cell_is_collapsed_and_says_what_it_does(notebook):
    path, nb = notebook
    setup = code_cells(nb)[0]
    assert is_hidden(setup), f"{path.name}: collapse the setup cell (jupyter.source_hidden)"
    assert setup.source.startswith("# Setup: "), (
        f"{path.name}: the setup cell's first line is a one-line comment, '# Setup: ...'"
    )


def test_setup_reports_the_environment_in_an_unchecked_cell(notebook):
    """Versions and devices differ by machine: printed by a helper, never compared."""
    path, nb = notebook
    report = code_cells(nb)[1]
    assert "nbval-ignore-output" in tags(report), f"{path.name}: tag the report unchecked"
    assert "helpers.env.describe()" in report.source, (
        f"{path.name}: the 2nd code cell reports the env"
    )


def test_nbval_markers_are_tags_and_nothing_is_skipped(notebook):
    """Markers are cell tags, not comments a learner reads; a skipped cell or a checked cell
    without a stored output would be a test that cannot fail."""
    path, nb = notebook
    for index, cell in enumerate(code_cells(nb)):
        marker = re.search(r"^\s*#\s*(NBVAL_\w+|PYTEST_VALIDATE_\w+)", cell.source, re.MULTILINE)
        assert not marker, (
            f"{path.name}: code cell {index} marks itself with a comment ({marker and marker[1]}): "
            "use the cell tag instead (nbval-check-output, nbval-ignore-output)"
        )
        for refused in ("nbval-skip", "raises-exception"):
            assert refused not in tags(cell), (
                f"{path.name}: code cell {index} is tagged {refused}: run it, and show an "
                "expected error with try/except and print it"
            )
        checked, ignored = "nbval-check-output" in tags(cell), "nbval-ignore-output" in tags(cell)
        assert not (checked and ignored), f"{path.name}: code cell {index} is both checked and not"
        if checked:
            assert cell.outputs, f"{path.name}: code cell {index} is checked but stores no output"


def test_check_cells_are_collapsed_and_follow_what_they_check(notebook):
    """Test-only code hides in a check cell right after the code cell it checks."""
    path, nb = notebook
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "check" not in tags(cell):
            continue
        assert is_hidden(cell), f"{path.name}: check cell {index} must be collapsed"
        assert cell.source.startswith("# Check: "), (
            f"{path.name}: check cell {index} starts with '# Check: <what it checks>'"
        )
        assert nb.cells[index - 1].cell_type == "code", (
            f"{path.name}: check cell {index} must directly follow the code cell it checks"
        )


def test_under_the_hood_notes_are_well_formed(notebook):
    """A note is a <details> block with a summary, and blank lines so that it holds markdown."""
    path, nb = notebook
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or "<details" not in cell.source:
            continue
        opened = len(re.findall(r"<details\b", cell.source))
        assert opened == cell.source.count("</details>"), f"{path.name}: cell {index}: close it"
        for block in re.findall(r"<details\b.*?</details>", cell.source, re.S):
            assert re.search(r"<summary>.+?</summary>\n\n", block, re.S), (
                f"{path.name}: cell {index}: a note needs a <summary> and a blank line after it"
            )
            assert block.endswith("\n\n</details>"), (
                f"{path.name}: cell {index}: leave a blank line before </details>"
            )


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
        assert "nbval-check-output" in tags(check), (
            f"{path.name}: tag the check cell after solution {index} nbval-check-output"
        )


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


def stated_study_time(path: Path, nb) -> tuple[int, int]:
    found = STUDY_TIME.search(nb.cells[0].source)
    assert found, (
        f"{path.name}: the header needs a row `| **Study time** | core about N min, K exercises "
        "included; deep dive about M min |` after Run time (see CONTRIBUTING.md, Study time)"
    )
    return int(found[1]), int(found[2] or 0)


def test_study_time(notebook):
    """The header's Study time row is `tools.project.study_time` (prose, the code a learner
    sees, exercises), core and deep dive, and both tables of notebooks say the same."""
    path, nb = notebook
    estimate = study_time(nb)
    stated = stated_study_time(path, nb)
    assert stated == (estimate.core, estimate.deep_dive), (
        f"{path.name}: Study time says core {stated[0]} min, deep dive {stated[1]} min; the "
        f"estimate is now {estimate} (tools.project.study_time): update the header and both "
        "tables of notebooks"
    )
    expected = f"{stated[0]} min" + (f" + {stated[1]} min deep dive" if stated[1] else "")
    for where, table in (
        ("README.md", readme_notebook_table()),
        ("00", start_here_notebook_table()),
    ):
        listed = table.get(path.name[:2], {}).get("Study time")
        assert listed == expected, (
            f"{path.name}: the header says {expected!r}, the table of notebooks in {where} "
            f"says {listed!r}"
        )


@pytest.fixture(params=LEARNER_PATH)
def learner_path(request) -> tuple[Path, nbformat.NotebookNode, list]:
    """A notebook laid out as a learner's path, and the cells of its core."""
    path = next(path for path in NOTEBOOKS if path.name.startswith(request.param))
    nb = nbformat.read(path, as_version=4)
    end = next(
        (i for i, cell in enumerate(nb.cells) if cell.source.startswith(DEEP_DIVE_HEADING)),
        len(nb.cells) - 1,
    )
    return path, nb, nb.cells[:end]


def test_core_fits_the_study_budget(learner_path):
    path, nb, _ = learner_path
    core = study_time(nb).core
    assert core <= LONGEST_CORE, (
        f"{path.name}: the core takes {core} min by tools.project.study_time; at most "
        f"{LONGEST_CORE}: move edge cases and internals to the deep dive"
    )


def core_sentences(core: list) -> list[tuple[int, str]]:
    """The sentences of the core's running prose, each with its cell's index (header left out)."""
    return [
        (index, sentence)
        for index, cell in enumerate(core[1:], start=1)
        if cell.cell_type == "markdown"
        for sentence in prose_sentences(cell.source)
    ]


def test_core_sentences_are_short(learner_path):
    path, _, core = learner_path
    for index, sentence in core_sentences(core):
        assert len(sentence.split()) <= LONGEST_SENTENCE, (
            f"{path.name}: cell {index} has a sentence of {len(sentence.split())} words "
            f"(at most {LONGEST_SENTENCE} in the core): {sentence[:120]!r}"
        )


def test_core_running_text_has_no_source_paths_or_version_notes(learner_path):
    path, _, core = learner_path
    for index, sentence in core_sentences(core):
        found = re.search(r"keras/src|Keras 3\.\d+", sentence)
        assert not found, (
            f"{path.name}: cell {index} says {found[0]!r} in the core's running text: put "
            f"it in an 'Under the hood' note: {sentence[:100]!r}"
        )


def test_core_has_a_figure_with_alt_text_at_twice_the_resolution(learner_path):
    path, _, core = learner_path
    figures = [
        cell
        for cell in core
        if cell.cell_type == "code"
        and any("image/png" in output.get("data", {}) for output in cell.outputs)
    ]
    assert figures, f"{path.name}: the core needs a figure that teaches"
    for cell in figures:
        alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
        assert len(alt.split()) >= 4, (
            f"{path.name}: figure cell {cell.get('id')} needs alt text: "
            '"mystnb": {"image": {"alt": "what it shows"}}'
        )
        for output in cell.outputs:
            if "image/png" in output.get("data", {}):
                size = output.get("metadata", {}).get("image/png", {})
                assert size.get("width"), (
                    f"{path.name}: figure cell {cell.get('id')} is not at 2x resolution: the "
                    'setup cell sets %config InlineBackend.figure_format = "retina"'
                )


def test_every_figure_has_alt_text_a_caption_and_twice_the_resolution(notebook):
    """Core or deep dive, plain or interactive: the website shows each figure sharp, in a
    <figure> with its caption, and screen readers read its alt text."""
    path, nb = notebook
    for cell in nb.cells:
        pictures = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if not pictures:
            continue
        where = f"{path.name}: figure cell {cell.get('id')}"
        shown = cell.metadata.get("mystnb", {})
        alt = shown.get("image", {}).get("alt", "")
        assert len(alt.split()) >= 4, f'{where} needs "mystnb": {{"image": {{"alt": ...}}}}'
        caption = shown.get("figure", {}).get("caption", "")
        assert 3 <= len(caption.split()) <= 25, (
            f'{where} needs a one-line caption: "mystnb": {{"figure": {{"caption": ...}}}}'
        )
        for output in pictures:
            size = output.get("metadata", {}).get("image/png", {})
            assert size.get("width"), (
                f"{where} is not at 2x resolution: a plot needs the setup cell's "
                '%config InlineBackend.figure_format = "retina"; an interactive one '
                "helpers.widgets.explore"
            )


def test_core_asks_the_learner_to_predict_then_run(learner_path):
    path, nb, core = learner_path
    asked = [
        i for i, cell in enumerate(core) if cell.cell_type == "markdown" and PREDICT in cell.source
    ]
    assert asked, f"{path.name}: the core needs a question marked {PREDICT}"
    for index in asked:
        assert nb.cells[index + 1].cell_type == "code", (
            f"{path.name}: the question in cell {index} is answered by the code cell after it"
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


def test_study_time_counts_prose_code_and_exercises():
    words = " ".join(["word"] * 1500)  # 10 min of reading
    code = "\n".join(["x = 1"] * 80 + ["# a comment", "", "%matplotlib inline"])  # 10 min
    note = "<details>\n<summary>Under the hood</summary>\n\n" + words + "\n\n</details>"
    cells = [
        nbformat.v4.new_markdown_cell("# 99 · Header " + words),  # the header is left out
        nbformat.v4.new_markdown_cell(words + "\n\n" + note),  # 10 min, and 10 min deep
        nbformat.v4.new_code_cell(code),  # 10 min
        nbformat.v4.new_code_cell(code, metadata={"jupyter": {"source_hidden": True}}),  # none
        nbformat.v4.new_code_cell(code, metadata={"tags": ["solution"]}),  # an exercise: 10 min
        nbformat.v4.new_markdown_cell("## Deep dive\n\n" + words),  # 10 min deep
        nbformat.v4.new_code_cell(code),  # 10 min deep
        nbformat.v4.new_markdown_cell("---\n\n**Next: " + words),  # navigation is left out
    ]
    assert study_time(nbformat.v4.new_notebook(cells=cells)) == StudyTime(core=30, deep_dive=30)
    assert study_time(nbformat.v4.new_notebook(cells=cells[:1])) == StudyTime(5, 0)  # at least 5


def test_code_lines_count_statements_at_100_columns_whatever_the_layout():
    one_line = "model.compile(optimizer='sgd', loss='mse', metrics=['mae'], jit_compile=False)\n"
    wrapped = (
        "model.compile(\n"
        "    optimizer='sgd',\n"
        "    loss='mse',\n"
        "    metrics=['mae'],  # a comment\n"
        "    # a comment line\n"
        "    jit_compile=False,\n"
        ")\n"
    )
    assert code_lines(one_line) == code_lines(wrapped) == 1
    long = "x = [" + ", ".join(str(i) for i in range(60)) + "]\n"  # 235 characters
    assert code_lines(long) == 3
    loop = "%%time\nfor i in range(3):\n    print(i)\n\n# done\n!ls\n%pip install x\n"
    assert code_lines(loop) == 2, "a compound statement's header and body; magics left out"
    assert code_lines('"""A docstring\nover two lines."""\n') == 1
    assert code_lines("x = (1,\ny = 2\n") == 2, "untokenizable: its lines as they are"


def test_prose_sentences_leave_out_notes_code_and_tables():
    text = (
        "One short sentence. Another, with [a link](https://x.org) and `code`!\n\n"
        "- a list item\n- another\n\n| a | b |\n|---|---|\n\n```python\nx = 1\n```\n\n"
        "<details>\n<summary>Note</summary>\n\nHidden words.\n\n</details>\n\n## A heading"
    )
    assert prose_sentences(text) == [
        "One short sentence.",
        "Another, with a link and `code`!",
        "a list item",
        "another",
    ]


def _python_source(source: str) -> str:
    """A code cell's source with its IPython lines (magics, shell commands) as `pass`."""
    lines = source.splitlines()
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + "pass"
        if line.lstrip().startswith(("%", "!"))
        else line
        for line in lines
    )


def test_code_for_other_processes_is_a_script_not_a_string(notebook):
    """Code that runs in another process is a file the learner can open and run unchanged
    (a `%%writefile` cell, run by `helpers.processes.run_script`), not Python in a string."""
    path, nb = notebook
    for index, cell in enumerate(code_cells(nb)):
        if cell.source.startswith("%%"):
            continue  # a cell magic's body (a script, a shell script) is not the kernel's Python
        for helper in ("run_fresh(", "run_workers("):
            assert helper not in cell.source, (
                f"{path.name}, code cell {index}: `{helper[:-1]}` runs code from a string; write "
                "the code with %%writefile and run the file with helpers.processes.run_script"
            )
        for node in ast.walk(ast.parse(_python_source(cell.source))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if node.value.count("\n") < 2:
                continue
            try:
                program = ast.parse(node.value)
            except SyntaxError:
                continue  # prose or data, not a program
            imports = [n for n in ast.walk(program) if isinstance(n, (ast.Import, ast.ImportFrom))]
            assert not imports, (
                f"{path.name}, code cell {index}: a string holds a Python program (line "
                f"{node.lineno}); write it with %%writefile and run it with "
                "helpers.processes.run_script"
            )
