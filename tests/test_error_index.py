"""The error index: a table from an error message to the section that explains it.

The README's table is the one source; notebook 00 holds the same table with links relative to
`notebooks/`. Each message must still be printed, in the stored (TensorFlow) output of a code
cell of the section it links to, so the index cannot drift from the notebooks.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tools.project import REPO, markdown_tables, markdown_text, notebook_sections

README = REPO / "README.md"
START_HERE = REPO / "notebooks" / "00_start_here.ipynb"
COLUMNS = ["Message", "What it means, in short", "Explained in"]
# What the index must cover at least (issue 15): a piece of each message.
REQUIRED = (
    "module 'keras.backend' has no attribute",
    "grad_fn must accept keyword argument 'variables'",
    "No gradients provided for any variable",
    "__jax_array__",
    "[JAX RNG]",
    "`optimizer_variables` must be a list of tensors",
    "`Lambda` layer",
    "batch_input_shape",
    "reset_states",
    "input_shape",
)
CODE_SPAN = re.compile(r"(`+)\s?(.+?)\s?\1")
LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<file>[^)#\s]+)#(?P<anchor>[^)\s]+)\)")


def error_index(text: str, where: str) -> list[list[str]]:
    tables = [table for table in markdown_tables(text) if table[0] == COLUMNS]
    assert len(tables) == 1, f"{where}: expected one error index, a table | {' | '.join(COLUMNS)} |"
    return tables[0][1:]


def readme_rows() -> list[list[str]]:
    return error_index(README.read_text(), README.name)


def start_here_rows() -> list[list[str]]:
    return error_index(markdown_text(nbformat.read(START_HERE, as_version=4)), START_HERE.name)


def message_of(row: list[str]) -> str:
    """The message of a row: its first column, one code span."""
    match = CODE_SPAN.fullmatch(row[0])
    assert match, f"the Message column holds one code span, got {row[0]!r}"
    return match[2]


def pattern_of(message: str) -> re.Pattern[str]:
    """`...` in a message stands for any text on the same line."""
    return re.compile("[^\n]*?".join(re.escape(piece) for piece in message.split("...")))


def stored_output(nb: nbformat.NotebookNode, cell_index: int) -> str:
    texts = []
    for output in nb.cells[cell_index].get("outputs", []):
        if output.output_type == "stream":
            texts.append(output.text)
        elif "text/plain" in output.get("data", {}):
            texts.append(output.data["text/plain"])
    return "\n".join(texts)


def test_readme_and_start_here_have_the_same_index():
    """Notebook 00's index is the README's, with links relative to `notebooks/`."""
    expected = [[cell.replace("](notebooks/", "](") for cell in row] for row in readme_rows()]
    assert start_here_rows() == expected, (
        f"copy the README's error index into {START_HERE.name} (links without `notebooks/`)"
    )


def test_index_covers_the_common_messages():
    messages = [message_of(row) for row in readme_rows()]
    for piece in REQUIRED:
        assert any(piece in message for message in messages), f"the index must cover {piece!r}"


def index_params() -> list:
    return [pytest.param(message_of(row), row[2], id=message_of(row)[:40]) for row in readme_rows()]


@pytest.mark.parametrize(("message", "link"), index_params())
def test_message_is_printed_in_the_section_it_links_to(message, link):
    found = LINK.fullmatch(link)
    assert found, f"{message!r}: link to a section, [NN · Section](notebooks/NN_name.ipynb#Anchor)"
    path = (README.parent / found["file"]).resolve()
    assert path.parent == START_HERE.parent, f"{found['file']} is not in notebooks/"
    assert path.is_file(), f"no notebook {found['file']}"
    nb = nbformat.read(path, as_version=4)
    sections = [s for s in notebook_sections(nb) if s.anchor == found["anchor"]]
    assert len(sections) == 1, f"{path.name} has no heading with the anchor {found['anchor']!r}"
    pattern = pattern_of(message)
    assert any(pattern.search(stored_output(nb, index)) for index in sections[0].code_cells), (
        f"{message!r} is not in the stored output of any code cell of {path.name}, section "
        f"{sections[0].title!r} (up to the next heading of its level): print it there, or "
        "point the index at the section that does"
    )


def test_pattern_of_reads_dots_as_any_text_on_a_line():
    pattern = pattern_of("module 'keras.backend' has no attribute '...'")
    assert pattern.search("AttributeError: module 'keras.backend' has no attribute 'relu'")
    assert not pattern.search("module 'keras.backend' has no attribute '\nrelu'")
    assert pattern_of("[JAX RNG]").search("ValueError: [JAX RNG] When tracing")
    assert not pattern_of("[JAX RNG]").search("ValueError: J")


def test_message_of_reads_double_backtick_spans():
    row = ["``a `Lambda` layer``", "", ""]
    assert message_of(row) == "a `Lambda` layer"
