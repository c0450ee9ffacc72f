"""The autograder: run a submitted notebook in a fresh kernel and report every exercise.

    python -m tools.grade SUBMISSION.ipynb --backend jax --timeout 120 --out build/grade

(what ``make grade SUBMISSION=...`` runs). It

1. finds which notebook of the collection the submission is (the one that shares most cell
   ids with it; ``--notebook`` says it instead) and its exercises: each solution cell and the
   check cell after it;
2. puts back every check cell as the collection has it (a student may have edited or deleted
   one), so the checks that run are the real ones;
3. runs the notebook top to bottom in a fresh kernel on the backend asked for, in a temporary
   folder that is also its HOME, with a time limit per cell; a cell that fails does not stop
   the run (``allow_errors``), a cell past the limit is interrupted, and a kernel that dies
   leaves the cells after it unrun;
4. without network: in a new network namespace (``unshare --net``, loopback only) when the
   system allows one, and always with the Python guard of ``tests/offline``; without a
   namespace it refuses to run unless ``--no-namespace`` says the guard alone will do;
5. writes ``<out>/<name>.json`` and ``<out>/<name>.md``: per exercise ``passed``, ``failed``
   (with the check's message) or ``not attempted``, and every other cell that raised.

Exit status: 0 when every exercise passed, 1 when one did not, 2 when the submission could not
be graded at all (not a notebook, not one of the collection, no namespace).

    python -m tools.grade --passed build/grade/NAME.json 2

reads a report back: exit status 0 when exercise 2 passed, 1 otherwise (one line says which),
so that a CI with a score per test (GitHub Classroom) can give each exercise its points.

A check's result is read from the line it printed (``helpers.checks.read_result``) or the error
it raised. The shipped solution of the full edition counts as passed, flagged
``shipped_solution`` (the full notebook passes; a student who hands it in is visible). The
grader trusts the kernel: it is an aid for a course, not a defence against a student who sets
out to fool it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from helpers.checks import read_result
from tools.harness import isolate
from tools.project import BACKENDS, NOTEBOOKS, offline_pythonpath
from tools.student import CHECK_CALL, cell_source, is_solution

Status = Literal["passed", "failed", "not attempted"]
#: Set in the grader's own process once it runs inside its network namespace.
IN_NAMESPACE = "KUH_GRADE_IN_NAMESPACE"
NAMESPACE_HELP = (
    "cannot start a network namespace (`unshare --net --map-root-user`), so the submission "
    "could reach the network. On Ubuntu 24.04, allow one with `sudo sysctl -w "
    "kernel.apparmor_restrict_unprivileged_userns=0`; or pass --no-namespace to rely on the "
    "Python socket guard alone (code that starts other programs is not covered by it)."
)


class GradingError(Exception):
    """The submission cannot be graded at all; the message says why."""


@dataclass
class Exercise:
    """One exercise of a notebook: its solution cell and the check cell after it."""

    number: int
    name: str
    check: str
    solution_id: str
    check_id: str
    check_source: str


@dataclass
class Result:
    """What the grader found for one exercise."""

    number: int
    name: str
    check: str
    status: Status
    message: str
    shipped_solution: bool = False


@dataclass
class Report:
    """The whole report of one submission."""

    submission: str
    notebook: str
    backend: str
    isolation: str
    exercises: list[Result]
    errors: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(result.status == "passed" for result in self.exercises)


def read_notebook(path: Path) -> dict[str, Any]:
    """The submission as JSON; GradingError if it is not a notebook."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GradingError(f"{path}: not a readable notebook ({error})") from error
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise GradingError(f"{path}: not a notebook (no list of cells)")
    return notebook


def exercises_of(notebook: dict[str, Any]) -> list[Exercise]:
    """The exercises of a collection notebook: each solution cell and the check cell after it."""
    cells = notebook["cells"]
    found = []
    for index, cell in enumerate(cells):
        if not is_solution(cell):
            continue
        check_cell = cells[index + 1]
        called = CHECK_CALL.findall(cell_source(check_cell))
        if len(called) != 1:
            raise GradingError(f"cell {index + 1} should call one helpers.checks.check_*")
        grade_id = cell["metadata"]["nbgrader"]["grade_id"]
        found.append(
            Exercise(
                number=len(found) + 1,
                name=grade_id.split("-", 1)[1],
                check=called[0][0],
                solution_id=cell["id"],
                check_id=check_cell["id"],
                check_source=cell_source(check_cell),
            )
        )
    return found


def identify(submission: dict[str, Any], notebooks: list[Path]) -> Path:
    """The notebook of the collection that shares most cell ids with ``submission``."""
    ids = {cell.get("id") for cell in submission["cells"]} - {None}
    shared = {
        path: len(ids & {cell["id"] for cell in read_notebook(path)["cells"]}) for path in notebooks
    }
    best = max(shared, key=lambda path: shared[path])
    if shared[best] < len(read_notebook(best)["cells"]) // 2:
        raise GradingError(
            "cannot tell which notebook of the collection this is (too few of its cells are "
            "there): pass --notebook notebooks/NN_name.ipynb"
        )
    return best


def restore_checks(submission: dict[str, Any], exercises: list[Exercise]) -> dict[str, Any]:
    """A copy of ``submission`` whose check cells are the collection's, outputs cleared; a
    deleted check cell comes back after its solution cell (or at the end)."""
    notebook = json.loads(json.dumps(submission))
    cells = notebook["cells"]
    for exercise in exercises:
        check = {
            "cell_type": "code",
            "execution_count": None,
            "id": exercise.check_id,
            "metadata": {},
            "outputs": [],
            "source": exercise.check_source,
        }
        ids = [cell.get("id") for cell in cells]
        if exercise.check_id in ids:
            cells[ids.index(exercise.check_id)] = check
        elif exercise.solution_id in ids:
            cells.insert(ids.index(exercise.solution_id) + 1, check)
        else:
            cells.append(check)
    return notebook


def execute(
    notebook: dict[str, Any], backend: str, timeout: int, folder: Path
) -> tuple[dict[str, Any], str | None]:
    """Run ``notebook`` in a fresh kernel in ``folder``; return it with its outputs and what
    stopped the run early, if anything did."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    node = nbformat.reads(json.dumps(notebook), as_version=4)
    client = NotebookClient(
        node,
        timeout=timeout,
        startup_timeout=120,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeout",
            "evalue": f"the cell ran longer than {timeout} s and was interrupted",
            "traceback": [],
        },
        record_timing=False,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    environment = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "HOME": str(folder),
        "PYTHONPATH": offline_pythonpath(),
    }
    problem = None
    try:
        client.execute(env=environment)
    except (DeadKernelError, RuntimeError, TimeoutError) as error:  # died, or never started
        problem = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300]}"
    return json.loads(json.dumps(node)), problem


def _outputs(cell: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """The printed lines and the (name, value) of errors of one executed cell."""
    lines = [
        line
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
        for line in "".join(output.get("text", "")).splitlines()
    ]
    errors = [
        (output.get("ename", ""), output.get("evalue", ""))
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    return lines, errors


def judge(
    exercise: Exercise, cells: dict[str | None, dict[str, Any]], problem: str | None
) -> tuple[Status, str, bool]:
    """(status, message, shipped solution?) of one exercise, from its executed check cell and
    the cell with its answer."""
    check_cell = cells[exercise.check_id]
    lines, errors = _outputs(check_cell)
    answer_errors = [
        error
        for error in _outputs(cells.get(exercise.solution_id, {}))[1]
        if error != ("NotImplementedError", "")  # a stub left at the top level of the cell
    ]
    outcome = next((found for found in map(read_result, lines) if found is not None), None)
    if outcome is not None and outcome[1] in ("passed", "shipped solution"):
        shipped = outcome[1] == "shipped solution"
        return "passed", f"{outcome[2]} cases" + (" (the shipped solution)" * shipped), shipped
    if answer_errors:
        name, value = answer_errors[0]
        return "failed", f"the cell with your answer raised {name}: {value}", False
    if outcome is not None:
        return "not attempted", "not written yet: the stub is still there", False
    if errors and errors[0][0] == "NameError" and f"'{exercise.name}'" in errors[0][1]:
        return "not attempted", f"{exercise.name} is not defined", False
    if errors:
        return "failed", f"{errors[0][0]}: {errors[0][1]}", False
    if check_cell.get("execution_count") is None:
        return "failed", f"the check did not run ({problem or 'not reached'})", False
    return "failed", "the check printed no result", False


def classify(
    notebook: dict[str, Any], exercises: list[Exercise], problem: str | None
) -> list[Result]:
    """The result of each exercise, read from the executed notebook."""
    cells = {cell.get("id"): cell for cell in notebook["cells"]}
    results = []
    for exercise in exercises:
        status, message, shipped = judge(exercise, cells, problem)
        results.append(
            Result(exercise.number, exercise.name, exercise.check, status, message, shipped)
        )
    return results


def other_errors(notebook: dict[str, Any], exercises: list[Exercise]) -> list[dict[str, Any]]:
    """Every cell that raised, but the check cells and the stubs left in solution cells: its
    number (from 1), id and error."""
    checks = {exercise.check_id for exercise in exercises}
    solutions = {exercise.solution_id for exercise in exercises}
    found = []
    for index, cell in enumerate(notebook["cells"], start=1):
        if cell.get("id") in checks:
            continue
        for name, value in _outputs(cell)[1]:
            if cell.get("id") in solutions and (name, value) == ("NotImplementedError", ""):
                continue
            found.append({"cell": index, "id": cell.get("id"), "error": f"{name}: {value}"})
    return found


def markdown(report: Report) -> str:
    """The report as a Markdown page."""
    out = [
        f"# {report.submission}: {report.passed} of {len(report.exercises)} exercises passed",
        "",
        f"Notebook {report.notebook}, backend {report.backend}; {report.isolation}.",
        "",
        "| exercise | result | details |",
        "|---|---|---|",
    ]
    for result in report.exercises:
        detail = result.message.replace("|", "\\|").replace("\n", " ")
        out.append(f"| {result.number}. `{result.name}` | {result.status} | {detail} |")
    if report.problem:
        out += ["", f"The run stopped early: {report.problem}"]
    if report.errors:
        out += ["", "Other cells that raised:", ""]
        out += [f"- cell {error['cell']}: {error['error']}" for error in report.errors]
    return "\n".join(out) + "\n"


def write_report(report: Report, out: Path) -> tuple[Path, Path]:
    """``<out>/<submission stem>.json`` and ``.md``."""
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(report.submission).stem
    data = asdict(report) | {"passed": report.passed, "total": len(report.exercises)}
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps(data, indent=1) + "\n")
    md_path.write_text(markdown(report))
    return json_path, md_path


def grade(
    submission_path: Path,
    backend: str,
    timeout: int,
    isolation: str,
    reference: Path | None = None,
) -> Report:
    """Grade one submission (see the module's docstring)."""
    submission = read_notebook(submission_path)
    reference = reference or identify(submission, NOTEBOOKS)
    exercises = exercises_of(read_notebook(reference))
    notebook = restore_checks(submission, exercises)
    saved = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory(prefix="kuh-grade-") as temporary:
            folder = Path(temporary)
            isolate(folder / "home")  # sets os.environ: put back below
            executed, problem = execute(notebook, backend, timeout, folder)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    versions = {"python": platform.python_version()}
    for name in ("keras", backend):  # the backends' distributions have their names
        versions[name] = importlib.metadata.version(name)
    return Report(
        submission=submission_path.name,
        notebook=reference.name,
        backend=backend,
        isolation=isolation,
        exercises=classify(executed, exercises, problem),
        errors=other_errors(executed, exercises),
        problem=problem,
        versions=versions,
    )


def exercise_passed(report_path: Path, number: str) -> int:
    """0 if exercise ``number`` of a written report passed, else 1; 2 if there is no such
    report or exercise. Prints one line."""
    try:
        exercises = json.loads(report_path.read_text())["exercises"]
        found = next(e for e in exercises if str(e["number"]) == number)
    except (OSError, ValueError, KeyError, StopIteration):
        print(f"grade: no exercise {number} in {report_path}", file=sys.stderr)
        return 2
    print(f"exercise {number} ({found['name']}): {found['status']}: {found['message']}")
    return 0 if found["status"] == "passed" else 1


def bring_up_loopback() -> None:
    """Switch on the loopback interface of this (new) network namespace."""
    import fcntl
    import socket
    import struct

    get_flags, set_flags, up = 0x8913, 0x8914, 0x1  # SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sh14s", b"lo", 0, b"")
        flags = struct.unpack("16sh14s", fcntl.ioctl(probe, get_flags, request))[1]
        fcntl.ioctl(probe, set_flags, struct.pack("16sh14s", b"lo", flags | up, b""))


def namespace_command() -> list[str] | None:
    """The command prefix that runs a program in a new network namespace, if this system
    allows one (Linux with user namespaces); None otherwise."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    command = [unshare, "--net", "--map-root-user"]
    probe = subprocess.run([*command, "true"], capture_output=True, check=False, timeout=30)
    return command if probe.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.grade", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("submission", type=Path, nargs="?", help="the notebook to grade")
    parser.add_argument(
        "--passed",
        nargs=2,
        metavar=("REPORT", "N"),
        help="only read REPORT (a .json this wrote): exit 0 if exercise N passed",
    )
    parser.add_argument("--backend", choices=BACKENDS, default="tensorflow")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    parser.add_argument("--out", type=Path, default=Path("build/grade"), help="report folder")
    parser.add_argument("--notebook", type=Path, help="the collection notebook it answers")
    parser.add_argument(
        "--no-namespace",
        action="store_true",
        help="run without a network namespace, with the Python socket guard only",
    )
    args = parser.parse_args(argv)
    if args.passed:
        return exercise_passed(Path(args.passed[0]), args.passed[1])
    if args.submission is None:
        parser.error("say which notebook to grade")
    if args.timeout < 1:
        parser.error(f"--timeout must be a positive number of seconds, not {args.timeout}")

    if os.environ.get(IN_NAMESPACE):
        bring_up_loopback()
        isolation = "run in a network namespace with loopback only"
    elif args.no_namespace:
        isolation = "run with the Python socket guard only (--no-namespace)"
    else:
        prefix = namespace_command()
        if prefix is None:
            print(f"grade: {NAMESPACE_HELP}", file=sys.stderr)
            return 2
        command = [*prefix, sys.executable, "-m", "tools.grade", *(argv or sys.argv[1:])]
        return subprocess.run(
            command, env={**os.environ, IN_NAMESPACE: "1"}, check=False
        ).returncode

    try:
        report = grade(args.submission, args.backend, args.timeout, isolation, args.notebook)
    except GradingError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    json_path, md_path = write_report(report, args.out)
    print(markdown(report))
    print(f"wrote {json_path} and {md_path}")
    return 0 if report.passed == len(report.exercises) else 1


if __name__ == "__main__":
    sys.exit(main())
