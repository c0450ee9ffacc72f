"""One home for what the tests, the benchmarks and `make execute` share.

- **Facts about the repository**: its root, its notebooks (discovered, never listed), the
  GitHub repository the badges point to, the requirement files and how to read their pins, and
  the notebook size limit. The backends are `helpers.env.BACKENDS`, re-exported here.
- **Notebooks as documents**: the anchor JupyterLab gives a heading, the sections of a
  notebook, the tables of a markdown text, and a notebook's estimated study time. The hygiene
  tests use them to check the tables of notebooks, the error index and the navigation links.
- **Processes**: run a Python snippet under one Keras backend in a fresh process (a process can
  use only the backend Keras was first imported with), find a command-line tool installed next
  to this Python, and start / stop a local server.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import tokenize
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from helpers.env import BACKENDS
from helpers.processes import free_port  # one implementation, for the tests too

__all__ = [
    "BACKENDS",
    "CODE_LINE_WIDTH",
    "DEEP_DIVE_HEADING",
    "MAX_NOTEBOOK_BYTES",
    "MINUTES_PER_EXERCISE",
    "NAVIGATION_START",
    "NOTEBOOKS",
    "OFFLINE_GUARD",
    "REPO",
    "REPOSITORY",
    "REQUIREMENTS",
    "WORDS_PER_MINUTE",
    "Section",
    "StudyTime",
    "code_lines",
    "find_tool",
    "free_port",
    "get_json",
    "heading_anchor",
    "is_hidden",
    "is_navigation_cell",
    "markdown_tables",
    "markdown_text",
    "normalize",
    "notebook_sections",
    "offline_pythonpath",
    "prose_sentences",
    "read_requirements",
    "run_python",
    "run_under_backend",
    "stop_server",
    "study_time",
]

#: The repository root.
REPO = Path(__file__).resolve().parent.parent
#: Every notebook of the collection, discovered (never listed), in order.
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: The GitHub repository the badges and the Colab install line point to.
REPOSITORY: str = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"][
    "Repository"
]
#: The pip requirement files, by name: every install is constrained by all of them.
REQUIREMENTS = {
    name: REPO / "requirements" / f"{name}.txt" for name in ("lab", "backends", "test", "site")
}
#: The folder whose `sitecustomize.py` blocks the network of a Python started with it on its
#: PYTHONPATH (see :func:`offline_pythonpath`).
OFFLINE_GUARD = REPO / "tests" / "offline"
#: The largest notebook (stored outputs included) the collection accepts, in bytes. One with a
#: handful of small figures is ~100 kB; 1 MB leaves room for widgets and plots while keeping the
#: repository quick to clone and diffs readable.
MAX_NOTEBOOK_BYTES = 1_000_000

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s#]+)\s+#\s*\S")


def normalize(name: str) -> str:
    """PEP 503 name normalization: `PyYAML`, `pyyaml` and `py_yaml` are the same package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path) -> dict[str, str]:
    """Parse `name==version  # why` lines; anything else (but comments) is a ValueError."""
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _PIN.match(line)
        if not match:
            raise ValueError(
                f"{path.name}:{number}: expected `name==version  # why it is here`. "
                f"Received: {line!r}"
            )
        name = normalize(match["name"])
        if name in pins:
            raise ValueError(f"{path.name}:{number}: {name} is pinned twice")
        pins[name] = match["version"]
    return pins


def offline_pythonpath() -> str:
    """This process' PYTHONPATH with the offline guard first: give it to a Python to block its
    network (only loopback is allowed, and refused connections raise ``NetworkBlocked``)."""
    path = os.environ.get("PYTHONPATH")
    return f"{OFFLINE_GUARD}{os.pathsep}{path}" if path else str(OFFLINE_GUARD)


# --- notebooks as documents --------------------------------------------------------------

#: Reading speed for the study-time estimate: technical prose, with its code, read closely.
WORDS_PER_MINUTE = 150
#: Reading speed for code: the lines a learner sees (not blank, not comments), read closely.
CODE_LINES_PER_MINUTE = 8
#: Study time per exercise (try it, check it, perhaps open the solution), in minutes.
MINUTES_PER_EXERCISE = 10
#: How the last cell of every notebook starts: a rule, then the link to the next notebook.
NAVIGATION_START = "---\n\n**Next"

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def _source(cell: dict) -> str:
    """A cell's source as one string, whether stored as a string or a list of lines."""
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def markdown_text(nb: dict) -> str:
    """All the markdown cells of a notebook, as one markdown text."""
    return "\n\n".join(_source(cell) for cell in nb["cells"] if cell["cell_type"] == "markdown")


def heading_anchor(heading: str) -> str:
    """The anchor JupyterLab and nbconvert give a markdown heading: its rendered text with
    spaces turned into `-`, and what a URL fragment cannot hold percent-encoded (as nbconvert
    does). ``"## 3. Per-layer `clip`"`` -> ``"3.-Per-layer-clip"``.

    Rendering is approximated: code spans lose their backticks, links keep their text, and
    `*` emphasis outside code spans is dropped.
    """
    text = heading.lstrip("#").strip()
    parts = _CODE_SPAN.split(text)
    # split() with one group per match: [text, ticks, code, text, ticks, code, ..., text]
    rendered = []
    for index, part in enumerate(parts):
        if index % 3 == 0:
            part = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", part).replace("*", "")
            rendered.append(part)
        elif index % 3 == 2:
            rendered.append(part)
    return urllib.parse.quote("".join(rendered).replace(" ", "-"), safe="?/:@!$&'()*+,;=")


@dataclass(frozen=True)
class Section:
    """A heading of a notebook and the code cells under it, up to the next heading of the same
    or a higher level (its sub-sections included)."""

    level: int
    title: str
    anchor: str
    code_cells: tuple[int, ...]  # indices into the notebook's cells


def notebook_sections(nb: dict) -> list[Section]:
    """Every markdown heading of a notebook (a dict or NotebookNode), in order, with its code
    cells. A heading may sit anywhere in a markdown cell; the code cells after that markdown
    cell belong to it."""
    headings: list[tuple[int, str, int]] = []  # level, title, index of the cell holding it
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        source = _source(cell)
        in_fence = False
        for line in source.splitlines():
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
            match = None if in_fence else _HEADING.match(line)
            if match:
                headings.append((len(match[1]), match[2], index))
    sections = []
    for number, (level, title, index) in enumerate(headings):
        end = next(
            (later for lvl, _, later in headings[number + 1 :] if lvl <= level),
            len(nb["cells"]),
        )
        code = tuple(
            position
            for position in range(index + 1, end)
            if nb["cells"][position]["cell_type"] == "code"
        )
        sections.append(Section(level, title, heading_anchor(title), code))
    return sections


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The pipe tables of a markdown text: each a list of rows (its header row first, the
    `|---|` line left out), each row a list of stripped cells."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            cells = [cell.strip() for cell in stripped[1:-1].split("|")]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def is_navigation_cell(cell: dict) -> bool:
    """Whether a cell is the navigation cell that ends every notebook (see
    :data:`NAVIGATION_START`)."""
    source = _source(cell)
    return cell["cell_type"] == "markdown" and source.startswith(NAVIGATION_START)


#: The heading that starts a notebook's deep dive: everything before it is the core.
DEEP_DIVE_HEADING = "## Deep dive"
#: A collapsible note: ``<details>`` up to ``</details>``; its words are deep-dive reading.
_DETAILS = re.compile(r"<details\b.*?</details>", re.S | re.I)


@dataclass(frozen=True)
class StudyTime:
    """A notebook's study time in minutes, rounded to 5: its core (header to exercises) and its
    deep dive (the ``## Deep dive`` part and every collapsed "Under the hood" note; 0 when it
    has neither)."""

    core: int
    deep_dive: int


#: The width of a line of code in :func:`code_lines`: the notebooks were written at 100 columns.
CODE_LINE_WIDTH = 100


def code_lines(source: str) -> int:
    """The lines of code a learner reads in a cell, whatever its layout: each statement counts
    as the lines it fills at :data:`CODE_LINE_WIDTH` columns (at least one), from its lines
    that are not blank and not comments; magics (``%``, ``!``) are left out. So a call split one
    argument per line, or code wrapped at 88 columns for the website, reads as long as the same
    code on one line. A cell Python cannot tokenize counts its lines as they are."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    code = "\n".join(lines) + "\n"
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return sum(1 for line in lines if line.strip() and not line.lstrip().startswith("#"))
    count, first = 0, None
    for token in tokens:
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) and first is not None:
            body = [line.strip() for line in lines[first - 1 : token.start[0]]]
            body = [line for line in body if line and not line.startswith("#")]
            indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
            width = indent + sum(map(len, body)) + len(body) - 1
            count += max(1, -(-width // CODE_LINE_WIDTH))
            first = None
        elif first is None and token.type not in _LAYOUT_TOKENS:
            first = token.start[0]
    return count


_LAYOUT_TOKENS = {
    tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
    tokenize.ENCODING, tokenize.ENDMARKER,
}  # fmt: skip


def is_hidden(cell: dict) -> bool:
    """Whether a code cell's source is collapsed (the setup, check and solution cells)."""
    return bool(cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"))


def _round5(minutes: float) -> int:
    return int(minutes / 5 + 0.5) * 5


def study_time(nb: dict) -> StudyTime:
    """Estimated study time of a notebook (CONTRIBUTING.md, *Teaching conventions*): prose at
    :data:`WORDS_PER_MINUTE` (the header and the navigation cell left out), the lines of the
    code cells a learner sees at :data:`CODE_LINES_PER_MINUTE` (collapsed cells left out), and
    :data:`MINUTES_PER_EXERCISE` per exercise (per code cell tagged ``solution``). The core is
    every cell before the ``## Deep dive`` heading, less its collapsed notes; the core is at
    least 5 min."""
    core = deep = 0.0
    in_deep = False
    for index, cell in enumerate(nb["cells"]):
        source = _source(cell)
        if cell["cell_type"] == "markdown":
            if source.startswith(DEEP_DIVE_HEADING):
                in_deep = True
            if index == 0 or is_navigation_cell(cell):
                continue
            notes = " ".join(_DETAILS.findall(source))
            deep += len(notes.split()) / WORDS_PER_MINUTE
            minutes = len(_DETAILS.sub(" ", source).split()) / WORDS_PER_MINUTE
        elif "solution" in cell.get("metadata", {}).get("tags", []):
            minutes = MINUTES_PER_EXERCISE
        elif is_hidden(cell):
            continue
        else:
            minutes = code_lines(source) / CODE_LINES_PER_MINUTE
        if in_deep:
            deep += minutes
        else:
            core += minutes
    return StudyTime(max(5, _round5(core)), _round5(deep))


# --- processes ---------------------------------------------------------------------------


def find_tool(name: str, install_hint: str = "run `make install`") -> str:
    """The command `name` installed next to this Python (in .venv), else the one on PATH.

    Raises FileNotFoundError, saying how to install it, when there is neither.
    """
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed: {install_hint}")
    return found


def run_python(
    code: str,
    *,
    backend: str,
    cwd: Path = REPO,
    timeout: float = 240,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet (dedented) in a fresh process under one Keras backend.

    The process inherits this one's environment, plus ``env`` and ``KERAS_BACKEND``. Returns
    the completed process whatever its exit status; see :func:`run_under_backend` for the
    common "must succeed and print JSON" case.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}. Received: backend={backend!r}")
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **(env or {}), "KERAS_BACKEND": backend},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_under_backend(backend: str, code: str, *, timeout: float = 240) -> object:
    """Run ``code`` under ``backend`` in a fresh process; return the JSON of its last line.

    Raises RuntimeError with the end of the process' stderr if it fails.
    """
    completed = run_python(code, backend=backend, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"the {backend} process failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def get_json(url: str) -> object:
    """GET a local URL that must answer 200 with JSON."""
    with urllib.request.urlopen(url, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        return json.load(response)


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started in its own process group (it shuts its kernels down on SIGTERM)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- reading prose -------------------------------------------------------------------------

_FENCE = re.compile(r"^```.*?^```[^\n]*$", re.S | re.M)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]*_]*\s+")


def prose_sentences(markdown: str) -> list[str]:
    """The sentences of a markdown text's running prose: without collapsed notes
    (``<details>``), code blocks, tables, headings and HTML lines; links read as their text;
    list items and paragraphs end a sentence."""
    text = _FENCE.sub("", _DETAILS.sub("", markdown))
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("|", "#", "<")):
            lines.append("")
        elif re.match(r"^([-*+]|\d+\.)\s", stripped):
            lines.extend(["", re.sub(r"^([-*+]|\d+\.)\s+", "", stripped)])
        else:
            lines.append(stripped)
    sentences = []
    for paragraph in re.split(r"\n\s*\n", "\n".join(lines)):
        flat = _MD_LINK.sub(r"\1", " ".join(paragraph.split()))
        sentences.extend(part for part in _SENTENCE_END.split(flat) if part.strip())
    return sentences
