"""The report of `make newest`: the notebooks on the newest releases of the libraries they teach.

`make newest` installs the newest keras, tensorflow, jax, jaxlib, torch and numpy (everything
else at its pin) into `.venv-newest`, runs every notebook with nbval (lax) on each backend and
writes one JUnit XML file per backend into a folder. This module reads that folder::

    python -m tools.newest report build/newest

and writes `report.md` (versions, a line per backend, a row per failing cell: for a job summary)
and `report.json` (the same, with each failure's full message, ANSI colours removed) next to
the XML files. It exits with 0 when every cell of every backend passed, 1 otherwise (a failing
cell, or a backend that left no result because its run crashed or never started).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import re
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools.project import BACKENDS, REQUIREMENTS, normalize, read_requirements

#: The distributions `make newest` leaves unpinned (the Makefile's UNPINNED agrees: tested).
UNPINNED = ("keras", "tensorflow", "jax", "jaxlib", "torch", "numpy")
#: Lines of a failure's message kept in report.json (the head says which cell and why).
DETAIL_LINES = 60
_ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")


@dataclass
class Failure:
    """One cell that failed: where, a one-line summary, and the message nbval gave."""

    notebook: str
    cell: str
    summary: str
    detail: str


@dataclass
class BackendResult:
    """What one backend's run left: counts and failures, or `missing` if it left no XML."""

    backend: str
    passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    missing: bool = False


def plain(text: str) -> str:
    """`text` without the ANSI colour codes nbval writes (raw or escaped as `#x1B[`)."""
    return _ANSI.sub("", text)


def summarize(message: str) -> str:
    """One line that says why a cell failed: nbval's reason, and the exception if it names one.

    >>> summarize("Cell 3: Cell execution caused an exception\\n...\\nValueError: bad\\n")
    'Cell execution caused an exception: ValueError: bad'
    """
    lines = [line.strip() for line in plain(message).splitlines() if line.strip()]
    reason = next((line for line in lines if re.match(r"Cell \d+: ", line)), "")
    reason = re.sub(r"^Cell \d+: ", "", reason) or (lines[0] if lines else "failed")
    errors = [line for line in lines if re.match(r"^[A-Z]\w*(Error|Exception|Exit)\b.*:", line)]
    return f"{reason}: {errors[-1]}" if errors else reason


def read_junit(path: Path, backend: str) -> BackendResult:
    """The result of one backend's nbval run from its JUnit XML file."""
    result = BackendResult(backend)
    if not path.is_file():
        result.missing = True
        return result
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        problems = [child for child in case if child.tag in ("failure", "error")]
        if not problems:
            if not any(child.tag == "skipped" for child in case):
                result.passed += 1
            continue
        message = problems[0].text or problems[0].get("message", "")
        detail = "\n".join(plain(message).splitlines()[:DETAIL_LINES])
        result.failures.append(
            Failure(case.get("classname", "?"), case.get("name", "?"), summarize(message), detail)
        )
    return result


def versions() -> dict[str, dict[str, str]]:
    """For Python and each unpinned distribution: the installed version and the project's pin."""
    pins: dict[str, str] = {}
    for path in REQUIREMENTS.values():
        pins.update(read_requirements(path))
    table = {"python": {"installed": platform.python_version(), "pinned": "3.11-3.13"}}
    for name in UNPINNED:
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "not installed"
        table[name] = {"installed": installed, "pinned": pins.get(normalize(name), "-")}
    return table


def markdown(results: list[BackendResult], table: dict[str, dict[str, str]]) -> str:
    """The report as Markdown: versions, one line per backend, one row per failing cell."""
    out = ["## Notebooks on the newest releases", "", "| | installed | pinned |", "|---|---|---|"]
    out += [f"| {name} | {row['installed']} | {row['pinned']} |" for name, row in table.items()]
    out += ["", "| backend | result |", "|---|---|"]
    for result in results:
        if result.missing:
            line = "no result: the run crashed or never started (see its log)"
        else:
            line = f"{result.passed} passed, {len(result.failures)} failed"
        out.append(f"| {result.backend} | {line} |")
    failures = [(r.backend, f) for r in results for f in r.failures]
    if failures:
        out += ["", "| backend | notebook | cell | why |", "|---|---|---|---|"]
        for backend, failure in failures:
            why = failure.summary.replace("|", "\\|")
            out.append(f"| {backend} | {failure.notebook} | {failure.cell} | {why} |")
        out += ["", "Each failure's whole message is in `report.json`."]
    return "\n".join(out) + "\n"


def report(folder: Path) -> int:
    """Write report.md and report.json into `folder` from its `<backend>.xml` files; return the
    exit status (0: every cell of every backend passed)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: run `make newest` first")
    results = [read_junit(folder / f"{backend}.xml", backend) for backend in BACKENDS]
    table = versions()
    text = markdown(results, table)
    (folder / "report.md").write_text(text)
    data = {"versions": table, "backends": [asdict(result) for result in results]}
    (folder / "report.json").write_text(json.dumps(data, indent=1) + "\n")
    print(text)
    return 0 if all(not r.missing and not r.failures for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.newest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("report", help="write report.md and report.json")
    write.add_argument("folder", type=Path, help="where the <backend>.xml files are")
    args = parser.parse_args(argv)
    return report(args.folder)


if __name__ == "__main__":
    sys.exit(main())
