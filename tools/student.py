"""The student edition: every notebook with its worked solutions replaced by stubs.

``python -m tools.student build/student`` (what `make student` runs) writes
``build/student/notebooks/NN_name.ipynb`` for every notebook. In each solution cell (tagged
``solution``), every region between nbgrader's markers::

    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

becomes nbgrader's code stub, indented like the markers::

    # YOUR CODE HERE
    raise NotImplementedError()

so what the learner needs (imports, decorators, ``def``/``class`` lines, docstrings) stays. The
cell's outputs are cleared and its code expanded. The header's Colab and Kaggle badges point to
where the student edition is published (``--colab-ref``, a branch of the repository; ``student``
by default). Every other cell is left byte for byte as it is. nbgrader 0.9's ``generate_assignment``
gives the same sources (see INSTRUCTORS.md). The result depends on the notebooks only: running it
twice gives the same files.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from helpers.checks._base import SOLUTION_MARKER, STUB
from tools.project import NOTEBOOKS, REPOSITORY

END_MARKER = "### END SOLUTION"
#: A check cell's call: the check's name and the answer's (``helpers.checks.check_mish(mish)``).
CHECK_CALL = re.compile(r"\bhelpers\.checks\.(check_\w+)\((\w+)\)")
COLAB = "https://colab.research.google.com/github/"
KAGGLE = "https://kaggle.com/kernels/welcome?src="
#: The branch of the repository the student edition is published on, by default.
STUDENT_REF = "student"


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def as_lines(text: str) -> list[str]:
    """A source as nbformat stores it: lines that keep their newline, the last without."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def is_solution(cell: dict[str, Any]) -> bool:
    return cell.get("cell_type") == "code" and "solution" in cell.get("metadata", {}).get(
        "tags", []
    )


def stub_source(source: str, where: str = "a solution cell") -> str:
    """``source`` with every marked solution region replaced by the indented stub.

    Raises ValueError, naming ``where``, for a cell without a region, a region that is not
    closed, or one opened inside another.
    """
    lines: list[str] = []
    inside = False
    regions = 0
    for line in source.split("\n"):
        if line.strip() == SOLUTION_MARKER:
            if inside:
                raise ValueError(f"{where}: a `{SOLUTION_MARKER}` inside another region")
            inside = True
            regions += 1
            indent = line[: line.index(SOLUTION_MARKER)]
            lines += [indent + stub for stub in STUB]
        elif line.strip() == END_MARKER:
            if not inside:
                raise ValueError(f"{where}: `{END_MARKER}` without a `{SOLUTION_MARKER}`")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ValueError(f"{where}: a `{SOLUTION_MARKER}` is never closed by `{END_MARKER}`")
    if not regions:
        raise ValueError(
            f"{where}: no `{SOLUTION_MARKER}` ... `{END_MARKER}` region; put the body of the "
            "answer between the markers (see CONTRIBUTING.md, Exercises)"
        )
    return "\n".join(lines)


def colab_url(name: str, ref: str) -> str:
    """Where Colab opens notebook ``name`` of the repository at branch or tag ``ref``."""
    return f"{COLAB}{REPOSITORY.removeprefix('https://github.com/')}/blob/{ref}/notebooks/{name}"


def kaggle_url(name: str, ref: str) -> str:
    """Where Kaggle imports notebook ``name`` of the repository at branch or tag ``ref``."""
    return f"{KAGGLE}{REPOSITORY}/blob/{ref}/notebooks/{name}"


def student_edition(notebook: dict[str, Any], name: str, ref: str = STUDENT_REF) -> dict[str, Any]:
    """The student edition of ``notebook`` (JSON as loaded), named ``name``; a new object."""
    edition = copy.deepcopy(notebook)
    header = edition["cells"][0]
    full_badge = colab_url(name, "main")
    if full_badge not in cell_source(header):
        raise ValueError(f"{name}: the first cell has no Colab badge linking {full_badge}")
    for url in (colab_url, kaggle_url):
        header["source"] = as_lines(cell_source(header).replace(url(name, "main"), url(name, ref)))
    solutions = 0
    for index, cell in enumerate(edition["cells"]):
        if not is_solution(cell):
            continue
        solutions += 1
        cell["source"] = as_lines(stub_source(cell_source(cell), f"{name}, cell {index}"))
        cell["outputs"] = []
        cell["execution_count"] = None
        jupyter = cell["metadata"].get("jupyter", {})
        jupyter.pop("source_hidden", None)
        if not jupyter:
            cell["metadata"].pop("jupyter", None)
    if not solutions:
        raise ValueError(f"{name}: no solution cell (tagged `solution`)")
    return edition


def dumps(notebook: dict[str, Any]) -> str:
    """A notebook as nbformat writes it (so unchanged cells stay byte for byte the same)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_student_editions(
    out: Path, notebooks: list[Path] | None = None, ref: str = STUDENT_REF
) -> list[Path]:
    """Write the student edition of each notebook to ``out/notebooks/``; return the paths."""
    folder = out / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks if notebooks is not None else NOTEBOOKS:
        edition = student_edition(json.loads(path.read_text(encoding="utf-8")), path.name, ref)
        target = folder / path.name
        target.write_text(dumps(edition), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.student", description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write notebooks/ into")
    parser.add_argument(
        "--colab-ref",
        default=STUDENT_REF,
        help=f"branch the Colab and Kaggle badges open (default: {STUDENT_REF})",
    )
    args = parser.parse_args(argv)
    for path in write_student_editions(args.out, ref=args.colab_ref):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
