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
from tools.project import NOTEBOOKS, REPO, REPOSITORY

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


def github_repository(url: str) -> str:
    """``url`` if it is a GitHub repository's (``https://github.com/OWNER/NAME``); ValueError
    otherwise."""
    if not re.fullmatch(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", url):
        raise ValueError(f"expected a repository as https://github.com/OWNER/NAME, not {url!r}")
    return url


def colab_url(name: str, ref: str, repository: str = REPOSITORY) -> str:
    """Where Colab opens notebook ``name`` of ``repository`` at branch or tag ``ref``."""
    owner_name = github_repository(repository).removeprefix("https://github.com/")
    return f"{COLAB}{owner_name}/blob/{ref}/notebooks/{name}"


def kaggle_url(name: str, ref: str, repository: str = REPOSITORY) -> str:
    """Where Kaggle imports notebook ``name`` of ``repository`` at branch or tag ``ref``."""
    return f"{KAGGLE}{github_repository(repository)}/blob/{ref}/notebooks/{name}"


def is_check(cell: dict[str, Any]) -> bool:
    """Whether ``cell`` runs an exercise's check (``helpers.checks.check_...(answer)``)."""
    return cell.get("cell_type") == "code" and bool(CHECK_CALL.search(cell_source(cell)))


def student_edition(
    notebook: dict[str, Any], name: str, ref: str = STUDENT_REF, repository: str = REPOSITORY
) -> dict[str, Any]:
    """The student edition of ``notebook`` (JSON as loaded), named ``name``, its badges opening
    ``repository`` at ``ref``; a new object."""
    edition = copy.deepcopy(notebook)
    header = edition["cells"][0]
    full_badge = colab_url(name, "main")
    if full_badge not in cell_source(header):
        raise ValueError(f"{name}: the first cell has no Colab badge linking {full_badge}")
    for url in (colab_url, kaggle_url):
        source = cell_source(header).replace(url(name, "main"), url(name, ref, repository))
        header["source"] = as_lines(source)
    solutions = 0
    for index, cell in enumerate(edition["cells"]):
        if is_check(cell):  # its stored output is the shipped solution's line
            cell["outputs"] = []
            cell["execution_count"] = None
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
    out: Path,
    notebooks: list[Path] | None = None,
    ref: str = STUDENT_REF,
    repository: str = REPOSITORY,
) -> list[Path]:
    """Write the student edition of each notebook to ``out/notebooks/``; return the paths."""
    folder = out / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks if notebooks is not None else NOTEBOOKS:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        edition = student_edition(notebook, path.name, ref, repository)
        target = folder / path.name
        target.write_text(dumps(edition), encoding="utf-8")
        written.append(target)
    return written


#: What a student repository holds besides the student notebooks: what `make lab`, Binder and
#: the notebooks' setup need. Not the full notebooks, the tests (their catalogue of answers),
#: the grader, the website or the instructors' guide.
STUDENT_REPOSITORY_FILES = (
    ".gitignore",
    "LICENSE",
    "LICENSE-CONTENT.md",
    "Makefile",
    "pyproject.toml",
    "environment.yml",
    "binder",
    "helpers",
    "requirements",
)
STUDENT_README = """# {title}: student edition

The notebooks of [Keras Under the Hood]({source}), each exercise's worked solution replaced by
`# YOUR CODE HERE`. Write your answer there, run the cell, then the check cell below it.

```bash
make lab                        # installs everything into .venv and opens JupyterLab
make lab BACKENDS=tensorflow    # a lighter install: TensorFlow only
```

Or open a notebook in Colab or Kaggle from the badges at its top.
"""


def write_repository(
    out: Path, ref: str = "main", repository: str = REPOSITORY, commit: bool = True
) -> list[Path]:
    """A student repository in ``out`` (an empty or new folder): the student editions, what
    they need to run (:data:`STUDENT_REPOSITORY_FILES`, as git tracks them here) and a short
    README; with ``commit``, one commit of all of it in a new git repository (no history, so
    no solution in it). The badges open ``repository`` at ``ref``. Returns the files."""
    import shutil
    import subprocess

    github_repository(repository)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty: write a student repository into a new folder")
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--", *STUDENT_REPOSITORY_FILES],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    written = []
    for name in filter(None, tracked.split("\0")):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
        written.append(target)
    written += write_student_editions(out, ref=ref, repository=repository)
    readme = out / "README.md"
    readme.write_text(STUDENT_README.format(title="Keras Under the Hood", source=REPOSITORY))
    written.append(readme)
    if commit:
        git = ["git", "-C", str(out), "-c", "user.name=Keras Under the Hood"]
        git += ["-c", "user.email=student-edition@localhost", "-c", "commit.gpgsign=false"]
        subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "Student edition"], check=True)
    return sorted(written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.student", description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write notebooks/ into")
    parser.add_argument(
        "--colab-ref",
        default=None,
        help=f"branch the Colab and Kaggle badges open (default: {STUDENT_REF}; with "
        "--repository, main)",
    )
    parser.add_argument(
        "--badges-repository",
        default=REPOSITORY,
        help=f"the GitHub repository the badges open (default: {REPOSITORY})",
    )
    parser.add_argument(
        "--repository",
        action="store_true",
        help="write a whole student repository into OUT (a new folder), one commit, no history",
    )
    args = parser.parse_args(argv)
    try:
        github_repository(args.badges_repository)
        if args.repository:
            ref = args.colab_ref or "main"
            written = write_repository(args.out, ref, args.badges_repository)
        else:
            ref = args.colab_ref or STUDENT_REF
            written = write_student_editions(args.out, ref=ref, repository=args.badges_repository)
    except ValueError as error:
        parser.error(str(error))
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
