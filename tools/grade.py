"""The autograder: run a submitted notebook in a fresh kernel and report every exercise.

    python -m tools.grade SUBMISSION.ipynb --backend jax --timeout 120 --out build/grade

(what ``make grade SUBMISSION=...`` runs). It

1. finds which notebook of the collection the submission is (the one that shares most cell
   ids with it; ``--notebook`` says it instead) and its exercises: each solution cell and the
   check cell after it;
2. puts back every check cell as the collection has it (a student may have edited or deleted
   one), so the checks that run are the real ones;
3. runs the notebook top to bottom in a fresh kernel on the backend asked for, with a time
   limit per cell and one for the whole submission; a cell that fails does not stop the run
   (``allow_errors``), a cell past its limit is interrupted, a kernel that ignores the
   interrupt for ``GRACE`` seconds is killed, and the cells after a kernel that died are not run
   (its exercises are reported "not run");
4. in a sandbox of its own (``tools/sandbox.py``: user, PID, mount and network namespaces, only
   a fresh temporary folder writable, the Python environment and ``helpers`` read-only, nothing
   else of this machine visible, an allow-listed environment, rlimits), talking to the kernel
   over Unix sockets in that folder. Where no sandbox can be started it refuses to run unless
   ``--no-sandbox`` says to run the kernel as the grader's user with the Python network guard
   of ``tests/offline`` only;
5. confirms each exercise the kernel reports passed by an independent run, in a sandbox of its
   own, of the answer's definition alone, on new inputs (``tools/recheck.py``): a pass that
   run does not confirm is failed;
6. writes ``<out>/<name>.<notebook>.<backend>.json`` and ``.md`` (``<name>.<backend>`` when the
   file has the notebook's name), from this process, outside the sandbox: per exercise
   ``passed``, ``failed`` (with the check's message), ``not attempted`` or ``not run``, every
   other cell that raised and every cell that ran out of time, by execution number (``[7]``, as
   JupyterLab shows it) and first line.

Exit status: 0 when every exercise passed, 1 when one did not, 2 when the submission could not
be graded at all (not a notebook, not one of the collection, a notebook of the collection under
another one's name, no sandbox).

    python -m tools.grade --passed build/grade/NAME.json 2

reads a report back: exit status 0 when exercise 2 passed, 1 otherwise (one line says which),
so that a CI with a score per test (GitHub Classroom) can give each exercise its points.

In the kernel, a check's result is read from the line it printed
(``helpers.checks.read_result``) or the error it raised; a pass counts only once the
independent run confirms it, so nothing the kernel prints can mark an exercise passed. The
shipped solution of the full edition counts as passed, flagged ``shipped_solution`` (the full
notebook passes; a student who hands it in is visible). INSTRUCTORS.md says what the sandbox
and the independent run do and do not defend against.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import monotonic
from typing import Any, Literal

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from helpers.checks import read_result
from tools import recheck, sandbox
from tools.harness import ISOLATED_DIRS, isolate
from tools.project import BACKENDS, NOTEBOOKS, OFFLINE_GUARD, REPO, offline_pythonpath
from tools.student import CHECK_CALL, cell_source, is_solution

Status = Literal["passed", "failed", "not attempted", "not run"]
#: Seconds a kernel has to stop a cell after the interrupt before it is killed.
GRACE = 10
#: The whole submission's time limit, in cell time limits (``--deadline`` sets it in seconds).
DEADLINE_CELLS = 6
SANDBOX_HELP = (
    "cannot start a sandbox for the submission, so its code would run as you, see your files "
    "and reach the network: {why}. Or pass --no-sandbox to run it anyway with the Python socket "
    "guard alone (for your own notebooks: it does not stop code that sets out to get out)."
)
SANDBOXED = (
    "run in a sandbox: namespaces (user, PID, mount, network: loopback only), only its temporary "
    "folder writable, an allow-listed environment, limits on memory, processes, CPU time and "
    "file size"
)
NO_SANDBOX = "run without a sandbox, with the Python socket guard only (--no-sandbox)"
#: The variables the kernel gets (besides HOME, PATH and those of ``tools.harness.isolate``);
#: nothing else of the grader's environment reaches it.
PASSED_ON = ("LANG", "LC_ALL", "TZ")


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
    timeouts: list[dict[str, Any]] = field(default_factory=list)
    #: Who handed it in (batch grading: the folder or file it came in), or None.
    student: str | None = None
    #: The SHA-256 of the submitted file, the grader's version, when it was graded (UTC).
    sha256: str = ""
    grader: str = ""
    graded_at: str = ""

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


def check_name(submission_path: Path, reference: Path, notebooks: list[Path]) -> None:
    """GradingError if the file is named like one notebook of the collection (``NN_...``) but
    its cells are those of another one: a notebook handed in under another one's name."""
    number = re.match(r"(\d\d)_", submission_path.name)
    named = [path for path in notebooks if number and path.name.startswith(number.group(0))]
    if named and reference not in named:
        raise GradingError(
            f"{submission_path.name} is named like {named[0].name}, but its cells are those of "
            f"{reference.name}: pass --notebook notebooks/NN_name.ipynb to grade it as one of them"
        )


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


def first_line(cell: dict[str, Any] | None) -> str:
    """A cell's first line that is not blank, shortened: how the report names a cell."""
    lines = [line.strip() for line in cell_source(cell or {"source": ""}).splitlines()]
    line = next((line for line in lines if line), "")
    return line if len(line) <= 60 else line[:57] + "..."


def cell_name(number: int | None, cell: dict[str, Any] | None) -> str:
    """``[7] `first line``` : the execution number JupyterLab shows, and the first line."""
    return f"[{number if number is not None else ' '}] `{first_line(cell)}`"


class KernelKilled(DeadKernelError):
    """The kernel ignored the interrupt after a time limit and was killed."""


class OutOfTime(RuntimeError):
    """The submission's time limit is spent: the cells after are not run."""


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel in a :class:`tools.sandbox.Sandbox`, spoken to over Unix sockets in its
    writable folder (a network namespace has no way back to this machine's loopback)."""

    sandbox: sandbox.Sandbox | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.sandbox is not None:
            runtime = Path(self.sandbox.work) / ".kernel"
            runtime.mkdir(exist_ok=True)
            self.transport = "ipc"
            self.ip = str(runtime / "ipc")
            self.connection_file = str(runtime / "connection.json")

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        return self.sandbox.command(command) if self.sandbox is not None else command

    async def post_start_kernel(self, **kwargs: Any) -> None:
        await AsyncKernelManager.post_start_kernel(self, **kwargs)
        self.launcher = getattr(self.provisioner, "process", None)

    def kill_everything(self) -> None:
        """Kill the kernel, and in a sandbox every process in it."""
        process = getattr(self, "launcher", None)
        if process is not None and process.poll() is None:
            sandbox.kill(process) if self.sandbox is not None else process.kill()


class GradingClient(NotebookClient):
    """nbclient's client with a deadline for the whole run, a kernel killed when it ignores an
    interrupt, and a record of the cells that ran out of time or killed the kernel."""

    def __init__(self, notebook: Any, cell_timeout: int, deadline: float, **kwargs: Any) -> None:
        super().__init__(notebook, **kwargs)
        self.cell_timeout = cell_timeout
        self.deadline = deadline  # a time.monotonic() value
        self.timeouts: list[dict[str, Any]] = []
        self.running: tuple[int, dict[str, Any]] | None = None  # execution number, cell
        self.timeout_func = self._timeout_of
        self.on_cell_execute = self._starts
        self.manager: SandboxedKernelManager | None = None

    def create_kernel_manager(self) -> Any:
        self.manager = super().create_kernel_manager()
        return self.manager

    def _timeout_of(self, cell: Any) -> int:
        # Rounded up: a cell cut short by the submission's limit is cut at it, not before.
        return max(1, min(self.cell_timeout, math.ceil(self.deadline - monotonic())))

    def _starts(self, cell: Any, cell_index: int) -> None:
        if monotonic() >= self.deadline:
            raise OutOfTime(f"the submission's time limit was spent before {first_line(cell)}")
        self.running = (self.code_cells_executed + 1, cell)

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> dict[str, Any] | None:
        number = self.running[0] if self.running else None
        whose = "the submission's" if self.deadline - monotonic() < 1 else "the cell's"
        record = {"cell": number, "line": first_line(cell), "limit": whose, "seconds": timeout}
        self.timeouts.append(record | {"killed": False})
        await ensure_async(self.km.interrupt_kernel())
        try:  # the execute reply: the interrupt stopped the cell
            await ensure_async(self.kc.shell_channel.get_msg(timeout=GRACE))
        except Exception:  # queue.Empty: the kernel ignores the interrupt
            self.timeouts[-1]["killed"] = True
            self.km.kill_everything()
            raise KernelKilled(
                f"the kernel was killed: cell {cell_name(number, cell)} ran past {whose} time "
                f"limit ({timeout} s) and ignored the interrupt for {GRACE} s"
            ) from None
        return {
            "content": {
                "status": "error",
                "ename": "CellTimeout",
                "evalue": f"the cell ran longer than {whose} time limit ({timeout} s) and was "
                "interrupted",
                "traceback": [],
            }
        }


@dataclass
class Run:
    """An executed notebook and what happened to the run."""

    notebook: dict[str, Any]
    problem: str | None = None
    timeouts: list[dict[str, Any]] = field(default_factory=list)


def kernel_environment(folder: Path, backend: str) -> dict[str, str]:
    """The whole environment of the kernel: allow-listed, nothing else of the grader's."""
    saved = dict(os.environ)
    try:
        isolate(folder / "home")  # sets os.environ: put back below
        isolated = {name: os.environ[name] for name in [*ISOLATED_DIRS, "MPLBACKEND"]}
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {
        "PATH": os.pathsep.join(
            [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "HOME": str(folder / "home"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        **{name: os.environ[name] for name in PASSED_ON if name in os.environ},
        **isolated,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": str(OFFLINE_GUARD),
    }


def sandbox_for(
    folder: Path, backend: str, limits: sandbox.Limits | None = None
) -> sandbox.Sandbox:
    """The sandbox of one submission, in ``folder`` (a fresh temporary folder): it reads the
    Python environment, ``helpers`` and the offline guard, and writes only ``folder/work``."""
    box = sandbox.Sandbox.create(folder, read_only=[REPO / "helpers", OFFLINE_GUARD], limits=limits)
    box.environment = kernel_environment(Path(box.work), backend)
    return box


def execute(
    notebook: dict[str, Any],
    backend: str,
    timeout: int,
    folder: Path,
    box: sandbox.Sandbox | None = None,
    deadline: int | None = None,
) -> Run:
    """Run ``notebook`` in a fresh kernel, in ``box`` if given, in ``folder`` otherwise; return
    it with its outputs, what stopped the run early and the cells that ran out of time."""
    import nbformat

    node = nbformat.reads(json.dumps(notebook), as_version=4)
    manager = type("Manager", (SandboxedKernelManager,), {"sandbox": box})
    client = GradingClient(
        node,
        cell_timeout=timeout,
        deadline=monotonic() + (deadline or timeout * DEADLINE_CELLS),
        kernel_manager_class=manager,
        startup_timeout=120,
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        kernel_name="python3",
        resources={"metadata": {"path": str(box.work if box else folder)}},
    )
    if box is None:  # as before the sandbox: the grader's environment, with the guard
        environment = {**os.environ, **kernel_environment(folder, backend)}
        environment["PYTHONPATH"] = offline_pythonpath()
    else:
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # unshare's own
    problem = None
    try:
        client.execute(env=environment)
    except KernelKilled as error:
        problem = str(error)
    except OutOfTime as error:
        problem = str(error)
    except DeadKernelError:
        number, cell = client.running or (None, None)
        problem = f"the kernel died in cell {cell_name(number, cell)}"
    except (RuntimeError, TimeoutError) as error:  # never started
        problem = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300]}"
    finally:
        if client.manager is not None:
            client.manager.kill_everything()
    return Run(json.loads(json.dumps(node)), problem, client.timeouts)


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
    if check_cell.get("execution_count") is None and not check_cell.get("outputs"):
        return "not run", f"the run never reached its check ({problem or 'not reached'})", False
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
    execution number (as JupyterLab shows it), first line, id and error."""
    checks = {exercise.check_id for exercise in exercises}
    solutions = {exercise.solution_id for exercise in exercises}
    found = []
    for cell in notebook["cells"]:
        if cell.get("id") in checks:
            continue
        for name, value in _outputs(cell)[1]:
            if cell.get("id") in solutions and (name, value) == ("NotImplementedError", ""):
                continue
            found.append(
                {
                    "cell": cell.get("execution_count"),
                    "line": first_line(cell),
                    "id": cell.get("id"),
                    "error": f"{name}: {value}",
                }
            )
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
        out += ["", f"The run stopped early: {report.problem}."]
    if report.timeouts:
        out += ["", "Cells that ran out of time:", ""]
        out += [
            f"- cell {cell_name(t['cell'], {'source': t['line']})}: past {t['limit']} time "
            f"limit ({t['seconds']} s), " + ("killed" if t["killed"] else "interrupted")
            for t in report.timeouts
        ]
    if report.errors:
        out += ["", "Other cells that raised:", ""]
        out += [
            f"- cell {cell_name(error['cell'], {'source': error['line']})}: {error['error']}"
            for error in report.errors
        ]
    if report.sha256:
        out += ["", f"SHA-256 {report.sha256}; graded by {report.grader} at {report.graded_at}."]
    return "\n".join(out) + "\n"


def report_name(submission: str, notebook: str, backend: str, student: str | None = None) -> str:
    """``<file>.<notebook>.<backend>``, or ``<file>.<backend>`` when the file has the notebook's
    name: one report per submission, notebook and backend; ``<student>.<notebook>.<backend>``
    for a student's (batch grading)."""
    stem, reference = Path(submission).stem, Path(notebook).stem
    if student is not None:
        return f"{student}.{reference}.{backend}"
    return f"{stem}.{backend}" if stem == reference else f"{stem}.{reference}.{backend}"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grader_version() -> str:
    """The collection's version, and the commit graded from where there is one."""
    version = importlib.metadata.version("keras-under-the-hood-helpers")
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version} ({commit})"


def write_report(report: Report, out: Path) -> tuple[Path, Path]:
    """``<out>/<report_name>.json`` and ``.md``."""
    out.mkdir(parents=True, exist_ok=True)
    stem = report_name(report.submission, report.notebook, report.backend, report.student)
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
    use_sandbox: bool = True,
    deadline: int | None = None,
    limits: sandbox.Limits | None = None,
    student: str | None = None,
) -> Report:
    """Grade one submission (see the module's docstring)."""
    submission = read_notebook(submission_path)
    digest = sha256_of(submission_path)
    if reference is None:
        reference = identify(submission, NOTEBOOKS)
        check_name(submission_path, reference, NOTEBOOKS)
    exercises = exercises_of(read_notebook(reference))
    notebook = restore_checks(submission, exercises)
    with tempfile.TemporaryDirectory(prefix="kuh-grade-") as temporary:
        folder = Path(temporary).resolve()
        box = sandbox_for(folder, backend, limits) if use_sandbox else None
        run = execute(notebook, backend, timeout, folder, box, deadline)
    versions = {"python": platform.python_version()}
    for name in ("keras", backend):  # the backends' distributions have their names
        versions[name] = importlib.metadata.version(name)
    return Report(
        submission=submission_path.name,
        notebook=reference.name,
        backend=backend,
        isolation=isolation,
        exercises=confirm_passes(
            notebook,
            reference,
            exercises,
            classify(run.notebook, exercises, run.problem),
            backend,
            timeout,
            use_sandbox,
            limits,
        ),
        errors=other_errors(run.notebook, exercises),
        problem=run.problem,
        versions=versions,
        timeouts=run.timeouts,
        student=student,
        sha256=digest,
        grader=grader_version(),
        graded_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )


def confirm_passes(
    notebook: dict[str, Any],
    reference: Path,
    exercises: list[Exercise],
    results: list[Result],
    backend: str,
    timeout: int,
    use_sandbox: bool = True,
    limits: sandbox.Limits | None = None,
) -> list[Result]:
    """``results`` with each pass confirmed, or not, by an independent run of the answer and
    of the notebook's solution, side by side, each in a sandbox of its own
    (``tools/recheck.py``)."""
    passed = [e for e, r in zip(exercises, results, strict=True) if r.status == "passed"]
    if not passed:
        return results
    secret = recheck.new_secret()
    jobs = [
        recheck.job_for(notebook, passed, secret),
        recheck.job_for(read_notebook(reference), passed, secret),
    ]

    def make_box(folder: Path) -> tuple[dict[str, str], sandbox.Sandbox | None]:
        if use_sandbox:
            return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, sandbox_for(
                folder, backend, limits
            )
        environment = {**os.environ, **kernel_environment(folder, backend)}
        return environment | {"PYTHONPATH": offline_pythonpath()}, None

    runs = recheck.run_jobs(jobs, make_box, timeout=timeout * (1 + len(passed)))

    def by_name(run: list[dict[str, Any]] | str) -> dict[str, Any]:
        if isinstance(run, str):
            return {exercise.name: run for exercise in passed}
        return {exercise.name: found for exercise, found in zip(passed, run, strict=True)}

    answers, solution = map(by_name, runs)
    flagged = {item["name"]: recheck.forbidden(item["statements"]) for item in jobs[0]["exercises"]}
    return recheck.confirm(results, answers, solution, flagged)


def student_name(name: str) -> str:
    """``name`` if it can name a student's reports (letters, digits, ``._-``, not starting with
    a dot); argparse's error otherwise."""
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", name):
        raise argparse.ArgumentTypeError(
            f"a student's name is letters, digits and ._- (not first a dot): {name!r}"
        )
    return name


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
    parser.add_argument(
        "--deadline",
        type=int,
        help=f"seconds for the whole submission (default: {DEADLINE_CELLS} times --timeout)",
    )
    parser.add_argument("--out", type=Path, default=Path("build/grade"), help="report folder")
    parser.add_argument("--notebook", type=Path, help="the collection notebook it answers")
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the kernel as you, with the Python socket guard only (no sandbox)",
    )
    parser.add_argument(
        "--student", type=student_name, help="whose it is: names the report (batch grading)"
    )
    args = parser.parse_args(argv)
    if args.passed:
        return exercise_passed(Path(args.passed[0]), args.passed[1])
    if args.submission is None:
        parser.error("say which notebook to grade")
    if args.timeout < 1:
        parser.error(f"--timeout must be a positive number of seconds, not {args.timeout}")

    if args.deadline is not None and args.deadline < 1:
        parser.error(f"--deadline must be a positive number of seconds, not {args.deadline}")

    if args.no_sandbox:
        isolation = NO_SANDBOX
    else:
        why = sandbox.probe()
        if why is not None:
            print(f"grade: {SANDBOX_HELP.format(why=why)}", file=sys.stderr)
            return 2
        isolation = SANDBOXED
    try:
        report = grade(
            args.submission,
            args.backend,
            args.timeout,
            isolation,
            args.notebook,
            use_sandbox=not args.no_sandbox,
            deadline=args.deadline,
            student=args.student,
        )
    except GradingError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    json_path, md_path = write_report(report, args.out)
    print(markdown(report))
    print(f"wrote {json_path} and {md_path}")
    return 0 if report.passed == len(report.exercises) else 1


if __name__ == "__main__":
    sys.exit(main())
