"""The collection as a static website (`make site`), with every backend's output.

``python -m tools.website build`` writes ``build/site/`` (open ``build/site/index.html``):

1. **Sources** (``build/site-src/``): the home page (the README's introduction and its table of
   notebooks and error index), CONTRIBUTING.md, INSTRUCTORS.md and every notebook, prepared for
   reading: nbgrader's marker lines (and nbval's older comment markers) left out of the code
   shown, collapsed cells (setup, checks, figures' code) and solutions folded behind a toggle,
   "Under the hood" notes (``<details>``) kept as they are, interactive figures shown as their
   stored picture with a line saying so, badges that load pictures from other hosts turned into
   plain links, and links to files that are not pages pointed at the repository on GitHub.
2. **Every backend's output**: the TensorFlow view is the notebook's stored outputs. The JAX and
   PyTorch outputs come from :data:`OUTPUTS` (``build/backend-outputs/``), where ``make test``'s
   nbval runs leave them (``--nb-save-outputs``, see conftest.py) and where this module runs a
   notebook itself when they are missing or stale. Each is keyed by :func:`outputs_key` (the
   notebook's code, ``helpers/`` and the pins), so a change to any of them runs it again.
   Wherever a code cell's outputs differ between backends (text after the nbval sanitize rules
   of ``tests/nbval_sanitize.cfg``, or a figure), the page shows one tab per backend.
3. **HTML**: Sphinx with myst-nb (never executing anything) and sphinx-book-theme, configured in
   ``website/conf.py``, warnings as errors. Everything the pages load (scripts, styles, fonts,
   MathJax) is in ``build/site/``: the site works with no network.
4. **Weight**: the theme's icon script goes and its icon fonts keep the icons the pages use
   (``tools/site_weight.py``), so that no page loads more than 1.5 MB.
"""

from __future__ import annotations

import argparse
import base64
import configparser
import copy
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools import site_weight
from tools.project import BACKENDS, NOTEBOOKS, REPO, REPOSITORY, heading_anchor, is_hidden

__all__ = [
    "BACKEND_NAMES",
    "OUTPUTS",
    "SITE",
    "SOURCES",
    "build",
    "facts_list",
    "home_page",
    "merge_backends",
    "outputs_differ",
    "outputs_key",
    "pictures_to_files",
    "prepare_notebook",
    "read_outputs",
    "rewrite_links",
    "run_notebook",
    "run_notebooks",
    "with_download_link",
    "write_outputs",
]

#: Where the site is written, and the sources Sphinx reads (both generated, never committed).
SITE = REPO / "build" / "site"
SOURCES = REPO / "build" / "site-src"
#: Each backend's outputs of each notebook: ``OUTPUTS / backend / notebook-name``.
OUTPUTS = REPO / "build" / "backend-outputs"
#: The Sphinx configuration and the site's own styles and script.
CONFIG = REPO / "website"
#: The label of each backend's tab.
BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
#: The pages besides the notebooks, as (repository file, page) pairs.
PAGES = {"CONTRIBUTING.md": "CONTRIBUTING.md", "INSTRUCTORS.md": "INSTRUCTORS.md"}
#: What an interactive figure's page says under its picture.
INTERACTIVE_NOTE = (
    "Interactive in JupyterLab: the sliders redraw this figure. The site shows the picture "
    "the notebook stored."
)
#: Lines of a code cell the site does not show: nbval's and nbgrader's markers.
_MARKER_LINE = re.compile(r"^[ \t]*#+ ?(NBVAL_[A-Z_]+|BEGIN SOLUTION|END SOLUTION)[ \t]*\n?", re.M)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Markdown links and images: ``[text](target)`` and ``![alt](target)``.
_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")
#: Fenced code blocks and code spans.
_CODE = re.compile(r"^```.*?^```[ \t]*$|``[^`].*?``|`[^`\n]+`", re.M | re.S)
_WIDGET = "application/vnd.jupyter.widget-view+json"
#: Two pictures of a figure count as the same while their mean absolute pixel difference (0 to 1)
#: is at most this: a curve drawn from slightly different float32 values moves a few anti-aliased
#: pixels. Measured on this collection's figures (pins of 2026-12): the same figure on two
#: backends differs by 0.0, different ones (other random weights, other losses) by 0.013 or more.
IMAGE_TOLERANCE = 0.002


# --- each backend's outputs ------------------------------------------------------------------


def outputs_key(notebook: Path) -> str:
    """A digest of what a notebook's outputs depend on: its code cells, ``helpers/`` and the
    pinned requirements. A cached run with another key is stale."""
    digest = hashlib.sha256()
    cells = json.loads(notebook.read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] == "code":
            digest.update("".join(cell["source"]).encode() + b"\0")
    for path in sorted((REPO / "helpers").rglob("*.py")) + sorted(REPO.glob("requirements/*.txt")):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _outputs_path(backend: str, notebook: Path, folder: Path | None) -> Path:
    return (OUTPUTS if folder is None else folder) / backend / notebook.name


def write_outputs(
    backend: str, notebook: Path, outputs: list[list[dict]], folder: Path | None = None
) -> Path:
    """Store one backend's outputs of ``notebook`` (one list per code cell, in order) in
    ``folder`` (:data:`OUTPUTS` by default)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}. Received: {backend!r}")
    codes = sum(cell["cell_type"] == "code" for cell in json.loads(notebook.read_text())["cells"])
    if len(outputs) != codes:
        raise ValueError(
            f"{notebook.name} has {codes} code cells; received outputs for {len(outputs)}"
        )
    path = _outputs_path(backend, notebook, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"key": outputs_key(notebook), "backend": backend, "outputs": outputs}
    path.write_text(json.dumps(record))
    return path


def read_outputs(
    backend: str, notebook: Path, folder: Path | None = None
) -> list[list[dict]] | None:
    """One backend's stored outputs of ``notebook`` (one list per code cell) in ``folder``
    (:data:`OUTPUTS` by default), or None when there are none or they are stale."""
    path = _outputs_path(backend, notebook, folder)
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return record["outputs"] if record.get("key") == outputs_key(notebook) else None


def run_notebook(
    backend: str, notebook: Path, timeout: int, folder: Path | None = None
) -> list[list[dict]]:
    """Run ``notebook`` under ``backend`` in a fresh kernel, offline, in an empty folder (as the
    nbval runs do), and store its outputs in ``folder`` (:data:`OUTPUTS` by default). Returns
    them."""
    import nbformat
    from nbclient import NotebookClient

    from tools.harness import coalesce_streams, isolate
    from tools.project import offline_pythonpath

    nb = nbformat.read(notebook, as_version=4)
    print(f"running {notebook.name} on {backend} (its outputs are missing or stale)")
    saved = os.environ.copy()
    try:
        with tempfile.TemporaryDirectory(prefix="kuth-site-") as base:
            isolate(Path(base))  # per-user folders, for this run only
            os.environ["KERAS_BACKEND"] = backend
            os.environ["PYTHONPATH"] = offline_pythonpath()
            empty = Path(base) / "kernel"
            empty.mkdir()
            client = NotebookClient(
                nb,
                timeout=timeout,
                kernel_name="python3",
                record_timing=False,
                resources={"metadata": {"path": str(empty)}},
            )
            client.execute()  # a cell that fails stops the build, saying which
    finally:
        os.environ.clear()
        os.environ.update(saved)
    outputs = [
        json.loads(json.dumps(coalesce_streams(cell.outputs)))
        for cell in nb.cells
        if cell.cell_type == "code"
    ]
    write_outputs(backend, notebook, outputs, folder)
    return outputs


def run_notebooks(
    runs: list[tuple[str, Path]], timeout: int, jobs: int, folder: Path | None = None
) -> dict[tuple[str, Path], list[list[dict]]]:
    """Run every ``(backend, notebook)`` of ``runs`` as :func:`run_notebook` does, ``jobs`` at a
    time, each from its own process (a run changes its process's environment). Returns each
    run's outputs. A failing cell stops the build: runs not yet started are cancelled and its
    error is raised."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1. Received: jobs={jobs!r}")
    if jobs == 1 or len(runs) < 2:
        return {run: run_notebook(*run, timeout, folder) for run in runs}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    spawn = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    results = {}
    with ProcessPoolExecutor(max_workers=min(jobs, len(runs)), mp_context=spawn) as pool:
        futures = {pool.submit(run_notebook, *run, timeout, folder): run for run in runs}
        for future in as_completed(futures):
            try:
                results[futures[future]] = future.result()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    return {run: results[run] for run in runs}


# --- comparing and merging outputs ------------------------------------------------------------


def _sanitizers() -> list[tuple[re.Pattern[str], str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "tests" / "nbval_sanitize.cfg")
    return [
        (re.compile(parser[name]["regex"]), parser[name]["replace"]) for name in parser.sections()
    ]


_SANITIZE = _sanitizers()


def _sanitized(text: str) -> str:
    text = _ANSI.sub("", text)
    for pattern, replacement in _SANITIZE:
        text = pattern.sub(replacement, text)
    return text


def _pixels(png: str) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(png))) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def _same_picture(first: str, second: str) -> bool:
    if first == second:
        return True
    a, b = _pixels(first), _pixels(second)
    return a.shape == b.shape and float(abs(a - b).mean()) <= IMAGE_TOLERANCE


def _summary(output: dict) -> tuple[str, str]:
    kind = output["output_type"]
    if kind == "stream":
        return (output["name"], _sanitized(_text(output["text"])))
    if kind == "error":
        return ("error", _sanitized(f"{output['ename']}: {output['evalue']}"))
    data = output.get("data", {})
    if "image/png" in data:
        return ("image/png", _text(data["image/png"]))
    for mime in ("text/html", "text/plain"):
        if mime in data:
            return (mime, _sanitized(_text(data[mime])))
    return ("other", json.dumps(sorted(data)))


def outputs_differ(first: list[dict], second: list[dict]) -> bool:
    """Whether two backends' outputs of one cell differ for a reader: their text after the
    nbval sanitize rules (timings, addresses, progress bars), or their pictures."""
    a, b = [_summary(o) for o in first], [_summary(o) for o in second]
    if len(a) != len(b):
        return True
    for (kind_a, value_a), (kind_b, value_b) in zip(a, b, strict=True):
        if kind_a != kind_b:
            return True
        if kind_a == "image/png":
            if not _same_picture(value_a, value_b):
                return True
        elif value_a != value_b:
            return True
    return False


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _output_html(output: dict, alt: str = "figure") -> str:
    kind = output["output_type"]
    if kind == "stream":
        css = "kuh-stderr" if output["name"] == "stderr" else "kuh-stdout"
        return f'<pre class="{css}">{html.escape(_ANSI.sub("", _text(output["text"])))}</pre>'
    if kind == "error":
        text = f"{output['ename']}: {output['evalue']}"
        return f'<pre class="kuh-error">{html.escape(_ANSI.sub("", text))}</pre>'
    data = output.get("data", {})
    if "image/png" in data:
        picture = _text(data["image/png"]).strip()
        # A figure drawn at twice its size says the size to show it at (as myst-nb reads it).
        size = output.get("metadata", {}).get("image/png", {})
        shown = "".join(
            f' {side}="{int(size[side])}"' for side in ("width", "height") if side in size
        )
        return f'<img alt="{html.escape(alt)}"{shown} src="data:image/png;base64,{picture}">'
    if "text/html" in data:
        return _text(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(_ANSI.sub('', _text(data['text/plain'])))}</pre>"
    return ""


def _tabs(cell_id: str, outputs: dict[str, list[dict]], alt: str = "", caption: str = "") -> dict:
    """One output holding a tab per backend (a panel each, labelled, when scripts are off);
    ``alt``: what a figure among the outputs shows (the cell's ``mystnb.image.alt``);
    ``caption``: its caption (``mystnb.figure.caption``), under the tabs."""
    buttons, panels = [], []
    for index, (backend, outs) in enumerate(outputs.items()):
        tab, panel = f"kuh-{cell_id}-{backend}-tab", f"kuh-{cell_id}-{backend}"
        selected = "true" if index == 0 else "false"
        buttons.append(
            f'<button type="button" role="tab" id="{tab}" aria-controls="{panel}" '
            f'aria-selected="{selected}" data-backend="{backend}">{BACKEND_NAMES[backend]}</button>'
        )
        described = f"{alt} ({BACKEND_NAMES[backend]})" if alt else f"figure on {backend}"
        body = "".join(_output_html(o, described) for o in outs)
        body = body or '<p class="kuh-empty">(no output)</p>'
        panels.append(
            f'<div role="tabpanel" id="{panel}" aria-labelledby="{tab}" data-backend="{backend}">'
            f'<p class="kuh-label">{BACKEND_NAMES[backend]}</p>{body}</div>'
        )
    markup = (
        '<div class="kuh-backends"><div role="tablist" aria-label="Output on each backend">'
        + "".join(buttons)
        + "</div>"
        + "".join(panels)
        + "</div>"
    )
    if caption:
        markup += f'<p class="kuh-caption">{html.escape(caption)}</p>'
    plain = "\n".join(
        f"[{BACKEND_NAMES[b]}]\n"
        + "".join(_summary(o)[1] for o in outs if o["output_type"] == "stream")
        for b, outs in outputs.items()
    )
    return {
        "output_type": "display_data",
        "data": {"text/html": markup, "text/plain": plain},
        "metadata": {"kuh": {"backends": list(outputs)}},
    }


def _without_widgets(outputs: list[dict]) -> list[dict]:
    """Interactive figures as their stored picture, followed by a line saying so."""
    shown: list[dict] = []
    for output in outputs:
        data = output.get("data", {})
        if _WIDGET not in data:
            shown.append(output)
            continue
        rest = {mime: value for mime, value in data.items() if mime != _WIDGET}
        if rest:
            shown.append({**output, "data": rest})
        note = f'<p class="kuh-interactive">{html.escape(INTERACTIVE_NOTE)}</p>'
        shown.append(
            {
                "output_type": "display_data",
                "data": {"text/html": note, "text/plain": INTERACTIVE_NOTE},
                "metadata": {},
            }
        )
    return shown


#: The line under a notebook page's title when some of its outputs have a tab per backend.
TABS_NOTE = (
    '<p class="kuh-tabs-note">Where an output differs between TensorFlow, JAX and PyTorch, it '
    "has a tab per backend: the one you pick is shown everywhere on the site. An output without "
    "tabs is the same on all three (timings and memory addresses aside).</p>"
)


#: Where :func:`pictures_to_files` puts the tabbed figures' pictures in the sources; the build
#: copies them to the site's ``_images/`` (a notebook page links them as ``../_images/...``).
TAB_PICTURES = "_tab_pictures"
_DATA_PICTURE = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def pictures_to_files(nb: dict, folder: Path) -> dict:
    """``nb`` with each picture inside a tab group written to ``folder`` (named by its digest)
    and linked from there, loaded lazily: a reader's browser fetches the picture of the backend
    shown, not all three (a picture in a hidden tab is not loaded until its tab is chosen)."""
    moved = copy.deepcopy(nb)

    def to_file(match: re.Match[str]) -> str:
        data = base64.b64decode(match.group(1))
        name = f"kuh-{hashlib.sha256(data).hexdigest()[:32]}.png"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        return f'loading="lazy" src="../_images/{name}"'

    for cell in moved["cells"]:
        for output in cell.get("outputs", []):
            if "kuh" in output.get("metadata", {}):
                markup = output["data"]["text/html"]
                output["data"]["text/html"] = _DATA_PICTURE.sub(to_file, markup)
    return moved


def _markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "id": "kuh-tabs-note", "metadata": {}, "source": text}


def merge_backends(nb: dict, others: dict[str, list[list[dict]]]) -> tuple[dict, int]:
    """``nb`` (TensorFlow's stored outputs) with a tab per backend in every code cell whose
    outputs differ between backends. ``others``: the other backends' outputs, one list per code
    cell. Returns the new notebook and how many cells got tabs."""
    merged = copy.deepcopy(nb)
    code_cells = [cell for cell in merged["cells"] if cell["cell_type"] == "code"]
    for backend, outputs in others.items():
        if len(outputs) != len(code_cells):
            raise ValueError(
                f"{backend}: outputs for {len(outputs)} code cells, the notebook has "
                f"{len(code_cells)}; run it again (make site)"
            )
    tabbed = 0
    for index, cell in enumerate(code_cells):
        per_backend = {"tensorflow": _without_widgets(cell.get("outputs", []))}
        for backend, outputs in others.items():
            per_backend[backend] = _without_widgets(outputs[index])
        reference = per_backend["tensorflow"]
        if others and any(outputs_differ(reference, outs) for outs in per_backend.values()):
            shown = cell.get("metadata", {}).get("mystnb", {})
            alt = shown.get("image", {}).get("alt", "")
            caption = shown.get("figure", {}).get("caption", "")
            cell["outputs"] = [_tabs(cell.get("id", str(index)), per_backend, alt, caption)]
            tabbed += 1
        else:
            cell["outputs"] = reference
    if tabbed:
        merged["cells"].insert(1, _markdown_cell(TABS_NOTE))
    return merged, tabbed


# --- preparing the pages ----------------------------------------------------------------------


def _github_slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.lstrip("#").strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _headings(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return [line for line in text.splitlines() if re.match(r"#{1,6} ", line)]


def _anchor(target: Path, anchor: str) -> str:
    """``anchor`` as the site spells it: the anchor JupyterLab gives the heading (the site uses
    the same ids), also for a GitHub-style anchor of a markdown file."""
    headings = _headings(target)
    if any(heading_anchor(h) == anchor for h in headings):
        return anchor
    for heading in headings:
        if _github_slug(heading) == anchor:
            return heading_anchor(heading)
    raise ValueError(f"no heading of {target.relative_to(REPO)} has the anchor #{anchor}")


def rewrite_links(text: str, source: Path, page_of: dict[Path, str]) -> str:
    """The markdown ``text`` of repository file ``source``, with links made to work on the site:

    - a link to a file that has a page (``page_of``: repository file -> page path) points at the
      page, its anchor spelled as the site spells it;
    - a link to any other repository file points at it on GitHub;
    - a picture from another host (a badge) becomes its alternative text, so that no page
      loads anything from elsewhere; links to other hosts stay.
    """
    page = page_of[source]

    def replace(match: re.Match[str]) -> str:
        bang, label, target = match.groups()
        if bang:
            return label if re.match(r"[a-z]+://", target) else match.group(0)
        label = _LINK.sub(replace, label)  # a badge inside a link
        if re.match(r"[a-z]+:|#", target):
            return f"[{label}]({target})"
        path_part, _, anchor = target.partition("#")
        path = (source.parent / path_part).resolve()
        if not path.exists():
            raise ValueError(f"{source.relative_to(REPO)} links to a missing file: {target}")
        if path in page_of:
            relative = os.path.relpath(page_of[path], os.path.dirname(page) or ".")
            return f"[{label}]({relative}{'#' + _anchor(path, anchor) if anchor else ''})"
        kind = "tree" if path.is_dir() else "blob"
        return f"[{label}]({REPOSITORY}/{kind}/main/{path.relative_to(REPO).as_posix()})"

    # Links are rewritten in the prose only: code blocks and code spans stay as written.
    code = [match.span() for match in _CODE.finditer(text)]

    def outside_code(match: re.Match[str]) -> str:
        in_code = any(start <= match.start() < end for start, end in code)
        return match.group(0) if in_code else replace(match)

    return _LINK.sub(outside_code, text)


def is_folded(cell: dict) -> bool:
    """Whether a code cell's source is folded on its page: what JupyterLab shows collapsed
    (the setup, check and figure cells) and every solution."""
    return is_hidden(cell) or bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


#: A notebook's facts table (backends, run time, study time, ...): a table with an empty header.
_FACTS = re.compile(r"^\| \| \|\n\|---\|---\|\n((?:\|.*\|[ \t]*(?:\n|$))+)", re.M)
#: A notebook's launch links, as :func:`rewrite_links` leaves its badges.
_LAUNCH_LINKS = re.compile(r"^\[Open In Colab\]\(.*$", re.M)
#: Where the notebooks offered for download go in the sources (``downloads`` is not a page).
DOWNLOADS = "downloads"


def facts_list(text: str) -> str:
    """A notebook's facts table (``| | |`` header, then ``| **Term** | value |`` rows) as a
    definition list in a ``kuh-facts`` container: the same facts, without a table whose
    header row is empty."""

    def as_list(match: re.Match[str]) -> str:
        items = []
        for row in match.group(1).strip().splitlines():
            cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
            if len(cells) != 2 or not cells[0]:
                raise ValueError(f"a facts table row must be | **term** | value |, not: {row}")
            term = cells[0].removeprefix("**").removesuffix("**")
            items.append(f"{term}\n: {cells[1]}\n")
        return "```{container} kuh-facts\n" + "\n".join(items) + "```\n"

    return _FACTS.sub(as_list, text)


def with_download_link(text: str, notebook: Path) -> str:
    """The first cell's launch links with a link to download the notebook after them."""
    link = f" {{download}}`Download .ipynb <../{DOWNLOADS}/{notebook.name}>`"
    linked, count = _LAUNCH_LINKS.subn(lambda match: match.group(0) + link, text, count=1)
    if not count:
        raise ValueError(f"{notebook.name}: no 'Open In Colab' link in its first cell")
    return linked


def prepare_notebook(nb: dict, path: Path, page_of: dict[Path, str]) -> dict:
    """A notebook ready for its page (outputs already merged): markers out of the code shown,
    collapsed cells and solutions folded, links rewritten, no widget state (the site loads no
    widget scripts); in the first cell, the facts as a list and a download link."""
    prepared = copy.deepcopy(nb)
    prepared["metadata"].pop("widgets", None)
    for index, cell in enumerate(prepared["cells"]):
        source = _text(cell["source"])
        if cell["cell_type"] == "markdown":
            cell["source"] = rewrite_links(source, path, page_of)
            if index == 0:
                cell["source"] = with_download_link(facts_list(cell["source"]), path)
        elif cell["cell_type"] == "code":
            cell["source"] = _MARKER_LINE.sub("", source).strip("\n")
            tags = cell["metadata"].setdefault("tags", [])
            if is_folded(cell) and "hide-input" not in tags:
                tags.append("hide-input")
            cell["outputs"] = _without_widgets(cell.get("outputs", []))
    return prepared


def home_page(readme: str) -> str:
    """The home page: the README's title and introduction, and its section on the notebooks
    (the table and the error index)."""
    introduction = readme.split("\n## ", 1)[0]
    sections = re.split(r"(?m)^(?=## )", readme)
    notebooks = [s for s in sections if s.startswith("## The notebooks")]
    if not notebooks:
        raise ValueError("README.md has no '## The notebooks' section")
    extra = (
        "\n## Run them\n\nEvery notebook page has Binder and Colab buttons (the rocket at the "
        "top); to run them on your own machine, see the repository's "
        f"[README]({REPOSITORY}#quick-start). Cells whose output differs between TensorFlow, "
        "JAX and PyTorch show one tab per backend.\n\n"
        "```{toctree}\n:hidden:\n:caption: Notebooks\n\n"
        + "\n".join(f"notebooks/{p.stem}" for p in NOTEBOOKS)
        + "\n```\n\n```{toctree}\n:hidden:\n:caption: More\n\nINSTRUCTORS\nCONTRIBUTING\n```\n"
    )
    return introduction.rstrip() + "\n\n" + notebooks[0].rstrip() + "\n" + extra


def prepare(
    timeout: int, *, run_missing: bool = True, every_backend: bool = True, jobs: int = 1
) -> dict[str, int]:
    """Write the site's sources into :data:`SOURCES`. Returns, per notebook, how many of its
    cells show one tab per backend. ``every_backend=False``: TensorFlow's outputs only, no tabs.
    Missing or stale outputs are run ``jobs`` at a time (``run_missing=False``: an error)."""
    if SOURCES.exists():
        shutil.rmtree(SOURCES)
    (SOURCES / "notebooks").mkdir(parents=True)
    (SOURCES / DOWNLOADS).mkdir()
    page_of = {REPO / "README.md": "index.md"}
    page_of |= {REPO / name: page for name, page in PAGES.items()}
    page_of |= {path: f"notebooks/{path.name}" for path in NOTEBOOKS}
    readme = REPO / "README.md"
    (SOURCES / "index.md").write_text(rewrite_links(home_page(readme.read_text()), readme, page_of))
    for name, page in PAGES.items():
        source = REPO / name
        (SOURCES / page).write_text(rewrite_links(source.read_text(), source, page_of))
    others_of: dict[Path, dict[str, list[list[dict]]]] = {path: {} for path in NOTEBOOKS}
    missing = []
    for path in NOTEBOOKS:
        for backend in BACKENDS if every_backend else ():
            if backend == "tensorflow":
                continue
            outputs = read_outputs(backend, path)
            if outputs is not None:
                others_of[path][backend] = outputs
            elif not run_missing:
                raise FileNotFoundError(f"no current {backend} outputs of {path.name} in {OUTPUTS}")
            else:
                missing.append((backend, path))
    for (backend, path), outputs in run_notebooks(missing, timeout, jobs).items():
        others_of[path][backend] = outputs
    tabs = {}
    for path in NOTEBOOKS:
        others = {
            backend: others_of[path][backend] for backend in BACKENDS if backend in others_of[path]
        }
        nb = json.loads(path.read_text())
        merged, tabs[path.name] = merge_backends(nb, others)
        page = prepare_notebook(pictures_to_files(merged, SOURCES / TAB_PICTURES), path, page_of)
        (SOURCES / "notebooks" / path.name).write_text(json.dumps(page, indent=1))
        shutil.copyfile(path, SOURCES / DOWNLOADS / path.name)
    return tabs


def build(
    timeout: int = 120, *, run_missing: bool = True, every_backend: bool = True, jobs: int = 1
) -> Path:
    """Prepare the sources and build the site into :data:`SITE`. Returns its index page."""
    started = time.monotonic()
    tabs = prepare(timeout, run_missing=run_missing, every_backend=every_backend, jobs=jobs)
    prepared = time.monotonic()
    if SITE.exists():
        shutil.rmtree(SITE)
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
        "-c", str(CONFIG), "-d", str(REPO / "build" / "site-doctrees"), str(SOURCES), str(SITE),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=REPO)
    if (SOURCES / TAB_PICTURES).is_dir():
        shutil.copytree(SOURCES / TAB_PICTURES, SITE / "_images", dirs_exist_ok=True)
    site_weight.slim(SITE)
    finished = time.monotonic()
    for name, count in tabs.items():
        print(f"{name}: {count} cells show each backend's output")
    print(
        f"site built in {finished - started:.0f} s ({prepared - started:.0f} s preparing, "
        f"{finished - prepared:.0f} s Sphinx): {(SITE / 'index.html').relative_to(REPO)}"
    )
    return SITE / "index.html"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    site = commands.add_parser("build", help="build the site into build/site/")
    site.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    site.add_argument(
        "--jobs", type=int, default=1, help="notebooks run at a time when outputs are missing"
    )
    site.add_argument(
        "--no-run",
        action="store_true",
        help="fail instead of running a notebook whose JAX or PyTorch outputs are missing",
    )
    site.add_argument(
        "--tensorflow-only",
        action="store_true",
        help="show the stored (TensorFlow) outputs only: no runs, no tabs",
    )
    args = parser.parse_args(argv)
    build(
        args.timeout,
        run_missing=not args.no_run,
        every_backend=not args.tensorflow_only,
        jobs=args.jobs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
