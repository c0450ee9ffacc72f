"""tools/website.py: what the site's pages are made of (no Sphinx, no browser; those are in
tests/site/)."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tools import website
from tools.project import NOTEBOOKS, REPO, REPOSITORY

PAGE_OF = {REPO / "README.md": "index.md", REPO / "CONTRIBUTING.md": "CONTRIBUTING.md"} | {
    path: f"notebooks/{path.name}" for path in NOTEBOOKS
}
NOTEBOOK = NOTEBOOKS[1]


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def png(shift: int = 0, size: int = 40) -> dict:
    pixels = np.full((size, size, 3), 255, dtype=np.uint8)
    pixels[10 + shift : 12 + shift, :, :] = 0  # a line, moved down by `shift` pixels
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    data = {"image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"}
    return {"output_type": "display_data", "data": data, "metadata": {}}


# --- links -------------------------------------------------------------------------------------


def test_links_to_pages_stay_relative_and_anchors_are_the_sites():
    source = NOTEBOOKS[0]
    text = "[next](01_backend_ops.ipynb) and [index](#Error-index) and [c](../CONTRIBUTING.md)"
    assert website.rewrite_links(text, source, PAGE_OF) == (
        "[next](01_backend_ops.ipynb) and [index](#Error-index) and [c](../CONTRIBUTING.md)"
    )
    anchored = "[clip](03_gradient_manipulation.ipynb#2.-Optimizer-wide-clipping)"
    assert website.rewrite_links(anchored, source, PAGE_OF) == anchored


def test_github_style_anchor_of_a_markdown_file_becomes_the_heading_id():
    text = "see [adding](CONTRIBUTING.md#adding-a-notebook)"
    assert website.rewrite_links(text, REPO / "README.md", PAGE_OF) == (
        "see [adding](CONTRIBUTING.md#Adding-a-notebook)"
    )


def test_links_to_other_files_point_at_github_and_missing_ones_are_errors():
    text = "[plots](../helpers/plots.py), [folder](../helpers)"
    assert website.rewrite_links(text, NOTEBOOK, PAGE_OF) == (
        f"[plots]({REPOSITORY}/blob/main/helpers/plots.py), "
        f"[folder]({REPOSITORY}/tree/main/helpers)"
    )
    with pytest.raises(ValueError, match=r"links to a missing file: nowhere\.md"):
        website.rewrite_links("[x](nowhere.md)", NOTEBOOK, PAGE_OF)
    with pytest.raises(ValueError, match="has the anchor #No-such-heading"):
        website.rewrite_links("[x](00_start_here.ipynb#No-such-heading)", NOTEBOOK, PAGE_OF)


def test_badges_from_other_hosts_become_text_and_code_is_left_alone():
    badge = "[![Open In Colab](https://colab.example/badge.svg)](https://colab.example/nb)"
    assert (
        website.rewrite_links(badge, NOTEBOOK, PAGE_OF)
        == "[Open In Colab](https://colab.example/nb)"
    )
    code = "`[NN · Title](NN_name.ipynb)` and\n```\n[x](nowhere.md)\n```\n"
    assert website.rewrite_links(code, NOTEBOOK, PAGE_OF) == code


# --- comparing outputs -------------------------------------------------------------------------


def test_outputs_differ_by_text_after_the_sanitize_rules():
    assert not website.outputs_differ([stream("took 3.2 ms\n")], [stream("took 41 ms\n")])
    assert not website.outputs_differ([stream("at 0x7f3a2b1c\n")], [stream("at 0x55aa00bb\n")])
    assert website.outputs_differ([stream("(5, 2, 5, 4)\n")], [stream("(5, 2, 4)\n")])
    assert website.outputs_differ([stream("x\n")], [stream("x\n", name="stderr")])
    assert website.outputs_differ([stream("x\n")], [stream("x\n"), stream("y\n", "stderr")])


def test_outputs_differ_by_picture_beyond_antialiasing():
    assert not website.outputs_differ([png()], [png()])
    assert website.outputs_differ([png()], [png(shift=8)])
    assert website.outputs_differ([png()], [png(size=41)])


def test_merge_makes_tabs_only_where_backends_differ():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "# T", "metadata": {}},
            {
                "cell_type": "code",
                "id": "same",
                "source": "a",
                "metadata": {},
                "outputs": [stream("1\n")],
            },
            {
                "cell_type": "code",
                "id": "diff",
                "source": "b",
                "metadata": {},
                "outputs": [stream("tf\n")],
            },
        ],
        "metadata": {},
    }
    others = {
        "jax": [[stream("1\n")], [stream("jax\n")]],
        "torch": [[stream("1\n")], [stream("<torch>\n")]],
    }
    merged, tabbed = website.merge_backends(nb, others)
    assert tabbed == 1
    assert merged["cells"][1]["source"] == website.TABS_NOTE, "the page says what tabs are"
    assert merged["cells"][2]["outputs"] == [stream("1\n")]
    (tabs,) = merged["cells"][3]["outputs"]
    markup = tabs["data"]["text/html"]
    assert markup.count('role="tab"') == 3
    assert markup.count('role="tabpanel"') == 3
    assert "TensorFlow" in markup, "each output is labelled with its backend"
    assert "&lt;torch&gt;" in markup, "text is escaped"
    assert nb["cells"][2]["outputs"] == [stream("tf\n")], "the notebook itself is not changed"
    with pytest.raises(ValueError, match="outputs for 1 code cells, the notebook has 2"):
        website.merge_backends(nb, {"jax": [[]]})
    same = {"jax": [[stream("1\n")], [stream("tf\n")]]}
    unchanged, tabbed = website.merge_backends(nb, same)
    assert tabbed == 0
    assert len(unchanged["cells"]) == len(nb["cells"]), "no tabs, no note"


def test_a_tabbed_figure_keeps_its_alt_text_with_the_backends_name():
    figure = {
        "cell_type": "code",
        "id": "fig",
        "source": "plot()",
        "metadata": {"mystnb": {"image": {"alt": "Loss against epoch"}}},
        "outputs": [png()],
    }
    nb = {"cells": [{"cell_type": "markdown", "source": "# T", "metadata": {}}, figure]}
    merged, tabbed = website.merge_backends(nb, {"jax": [[png(shift=8)]]})
    assert tabbed == 1
    markup = merged["cells"][2]["outputs"][0]["data"]["text/html"]
    assert 'alt="Loss against epoch (TensorFlow)"' in markup
    assert 'alt="Loss against epoch (JAX)"' in markup
    assert "width=" not in markup, "a picture without a size in its metadata is shown as it is"
    assert "kuh-caption" not in markup
    figure["metadata"]["mystnb"]["figure"] = {"caption": "Loss <per> epoch"}
    merged, _ = website.merge_backends(nb, {"jax": [[png(shift=8)]]})
    markup = merged["cells"][2]["outputs"][0]["data"]["text/html"]
    assert markup.endswith('</div><p class="kuh-caption">Loss &lt;per&gt; epoch</p>')


def test_a_tabbed_figure_drawn_at_twice_its_size_is_shown_at_its_size():
    retina = {**png(size=40), "metadata": {"image/png": {"width": 20, "height": 20}}}
    figure = {"cell_type": "code", "id": "f", "source": "", "metadata": {}, "outputs": [retina]}
    nb = {"cells": [{"cell_type": "markdown", "source": "# T", "metadata": {}}, figure]}
    other = {**png(shift=8), "metadata": retina["metadata"]}
    merged, tabbed = website.merge_backends(nb, {"jax": [[other]]})
    assert tabbed == 1
    markup = merged["cells"][2]["outputs"][0]["data"]["text/html"]
    assert markup.count('alt="figure on tensorflow" width="20" height="20" src=') == 1


def test_tabbed_pictures_become_files_loaded_lazily(tmp_path: Path):
    figure = {"cell_type": "code", "id": "f", "source": "", "metadata": {}, "outputs": [png()]}
    plain = {"cell_type": "code", "id": "p", "source": "", "metadata": {}, "outputs": [png()]}
    nb = {"cells": [{"cell_type": "markdown", "source": "# T", "metadata": {}}, figure, plain]}
    merged, _ = website.merge_backends(nb, {"jax": [[png(shift=8)], [png()]]})
    moved = website.pictures_to_files(merged, tmp_path / "pictures")
    markup = moved["cells"][2]["outputs"][0]["data"]["text/html"]
    assert "data:image" not in markup
    names = sorted(path.name for path in (tmp_path / "pictures").iterdir())
    assert len(names) == 2, "one file per backend's picture"
    for name in names:
        assert f'loading="lazy" src="../_images/{name}"' in markup
    assert moved["cells"][3] == merged["cells"][3], "an untabbed figure is left to myst-nb"
    assert "data:image" in merged["cells"][2]["outputs"][0]["data"]["text/html"], "a copy"


# --- pages -------------------------------------------------------------------------------------


def test_prepared_notebook_hides_markers_folds_solutions_and_shows_widget_pictures():
    nb = json.loads((REPO / "notebooks" / "02_custom_activations.ipynb").read_text())
    page = website.prepare_notebook(nb, REPO / "notebooks" / "02_custom_activations.ipynb", PAGE_OF)
    code = [cell for cell in page["cells"] if cell["cell_type"] == "code"]
    assert not any("NBVAL_" in cell["source"] or "SOLUTION" in cell["source"] for cell in code)
    solutions = [cell for cell in code if cell["metadata"].get("nbgrader", {}).get("solution")]
    assert solutions
    assert all("hide-input" in cell["metadata"]["tags"] for cell in solutions)
    collapsed = [
        cell for cell in nb["cells"] if cell["metadata"].get("jupyter", {}).get("source_hidden")
    ]
    assert len(collapsed) > len(solutions), "the setup cell is collapsed too"
    folded = [cell for cell in code if "hide-input" in cell["metadata"]["tags"]]
    assert len(folded) == len(collapsed), "what JupyterLab collapses, the site folds"
    outputs = [output for cell in code for output in cell["outputs"]]
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    notes = [o for o in outputs if o.get("data", {}).get("text/plain") == website.INTERACTIVE_NOTE]
    assert len(notes) == 1
    assert "widgets" not in page["metadata"], "no widget state: the site loads no widget scripts"


def test_every_notebooks_facts_become_a_list_and_its_launch_links_gain_a_download():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        first = website.prepare_notebook(nb, path, PAGE_OF)["cells"][0]["source"]
        assert "| | |" not in first, f"{path.name}: the facts table is still a table"
        assert "```{container} kuh-facts\nBackends\n: TensorFlow · JAX · PyTorch" in first
        assert "\nStudy time\n: " in first, path.name
        link = f"{{download}}`Download .ipynb <../downloads/{path.name}>`"
        launch = next(line for line in first.splitlines() if line.startswith("[Open In Colab]"))
        assert launch.endswith(link), path.name


def test_a_facts_row_that_is_not_term_and_value_is_an_error():
    good = "| | |\n|---|---|\n| **Run time** | 25 s |\n| **Study time** | 45 min |\n\nText"
    assert website.facts_list(good) == (
        "```{container} kuh-facts\nRun time\n: 25 s\n\nStudy time\n: 45 min\n```\n\nText"
    )
    with pytest.raises(ValueError, match=r"\| \*\*term\*\* \| value \|"):
        website.facts_list("| | |\n|---|---|\n| a | b | c |\n")
    with pytest.raises(ValueError, match="no 'Open In Colab' link"):
        website.with_download_link("# A title\n", NOTEBOOK)


def test_folded_cells_are_the_collapsed_ones_and_the_solutions():
    def cell(metadata: dict) -> dict:
        return {"cell_type": "code", "metadata": metadata, "source": "", "outputs": []}

    assert website.is_folded(cell({"jupyter": {"source_hidden": True}, "tags": ["check"]}))
    assert website.is_folded(cell({"nbgrader": {"solution": True}}))
    assert not website.is_folded(cell({"jupyter": {"source_hidden": False}}))
    assert not website.is_folded(cell({"tags": ["nbval-check-output"]}))


def test_home_page_is_the_readmes_introduction_and_table():
    readme = (REPO / "README.md").read_text()
    home = website.home_page(readme)
    assert home.startswith("# Keras Under the Hood\n")
    table = [line for line in readme.splitlines() if "colab-badge.svg" in line]
    assert len(table) == len(NOTEBOOKS)
    for line in table:
        assert line.split(" | [![")[0] in home, f"the home page lacks the README's row {line[:40]}"
    assert "### Error index" in home
    assert "## Tests" not in home


# --- stored outputs ----------------------------------------------------------------------------


def test_stored_outputs_are_keyed_to_code_helpers_and_pins(tmp_path, monkeypatch):
    monkeypatch.setattr(website, "OUTPUTS", tmp_path)
    notebook = tmp_path / "nb.ipynb"
    cell = {"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": []}
    notebook.write_text(json.dumps({"cells": [cell], "metadata": {}}))
    assert website.read_outputs("jax", notebook) is None
    website.write_outputs("jax", notebook, [[stream("1\n")]])
    assert website.read_outputs("jax", notebook) == [[stream("1\n")]]
    assert website.read_outputs("torch", notebook) is None
    cell["source"] = "print(2)"
    notebook.write_text(json.dumps({"cells": [cell], "metadata": {}}))
    assert website.read_outputs("jax", notebook) is None, "stale once the code changed"
    with pytest.raises(ValueError, match="has 1 code cells; received outputs for 2"):
        website.write_outputs("jax", notebook, [[], []])
    with pytest.raises(ValueError, match="backend must be one of"):
        website.write_outputs("mxnet", notebook, [[]])


def test_the_nbval_runs_keep_their_outputs_where_the_site_reads_them():
    folder = website.OUTPUTS.relative_to(REPO).as_posix()
    makefile = (REPO / "Makefile").read_text()
    assert f"--nb-save-outputs={folder} $(NOTEBOOKS)" in makefile


@pytest.mark.slow
def test_a_missing_backend_run_happens_offline_and_a_failing_cell_stops_it(tmp_path, monkeypatch):
    import nbformat
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setattr(website, "OUTPUTS", tmp_path / "outputs")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    probe = (
        "import os, socket\n"
        "try:\n    socket.getaddrinfo('example.com', 443)\n    network = 'open'\n"
        "except OSError as error:\n    network = type(error).__name__\n"
        "print(os.environ['KERAS_BACKEND'], network, os.listdir('.'))"
    )
    notebook.cells = [nbformat.v4.new_code_cell(probe)]
    path = tmp_path / "probe.ipynb"
    nbformat.write(notebook, path)
    environment = dict(os.environ)
    outputs = website.run_notebook("jax", path, timeout=60)
    assert outputs[0][0]["text"] == "jax NetworkBlocked []\n", "offline, in an empty folder"
    assert website.read_outputs("jax", path) == outputs
    assert dict(os.environ) == environment, "this process's environment is left as it was"
    notebook.cells.append(nbformat.v4.new_code_cell("1 / 0"))
    nbformat.write(notebook, path)
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        website.run_notebook("torch", path, timeout=60)
    assert website.read_outputs("torch", path) is None


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True, "2"])
def test_run_notebooks_wants_a_whole_number_of_jobs(jobs):
    with pytest.raises(ValueError, match="jobs must be a whole number of at least 1"):
        website.run_notebooks([], timeout=60, jobs=jobs)


@pytest.mark.slow
def test_missing_runs_go_side_by_side_and_a_failing_one_stops_the_build(tmp_path):
    import nbformat
    from nbclient.exceptions import CellExecutionError

    def notebook(name: str, *sources: str) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
        path = tmp_path / name
        nbformat.write(nb, path)
        return path

    # Each run waits until both kernels have started: the two only finish if they run together.
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    wait = (
        "import os, pathlib, time\n"
        f"here = pathlib.Path({str(meeting)!r})\n"
        "(here / os.environ['KERAS_BACKEND']).touch()\n"
        "deadline = time.monotonic() + 50\n"
        "while len(list(here.iterdir())) < 2 and time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
        "print(sorted(path.name for path in here.iterdir()))"
    )
    first, second = notebook("first.ipynb", wait), notebook("second.ipynb", wait)
    folder = tmp_path / "outputs"
    runs = [("jax", first), ("torch", second)]
    outputs = website.run_notebooks(runs, timeout=60, jobs=2, folder=folder)
    assert list(outputs) == runs, "the outputs come back in the order of the runs"
    for backend, path in runs:
        assert outputs[backend, path][0][0]["text"] == "['jax', 'torch']\n", "side by side"
        assert website.read_outputs(backend, path, folder) == outputs[backend, path]
    failing = notebook("failing.ipynb", "1 / 0")
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        website.run_notebooks([("jax", failing), ("torch", failing)], 60, jobs=2, folder=folder)
    assert website.read_outputs("jax", failing, folder) is None
