"""Verdicts from outside the learner's kernel: each pass is confirmed by an independent run.

The kernel that runs a submission runs the student's code, so what it prints proves nothing: a
cell can print a pass line, replace a check or patch ``np.allclose``. So an exercise the kernel
reports passed counts only if it passes again in a process the student's kernel never touched:

1. :func:`definition` takes from the submission the statements that define the answer, by
   name: the last top-level statement before the check cell that binds it, and (transitively)
   the last binding of every global name those statements use (``import``, helpers, constants);
   nothing else of the notebook;
2. :func:`run_job` runs them in a fresh sandbox of their own with ``helpers.checks._recheck``,
   which imports the checks before any of that code, draws the checks' random inputs with a
   secret the student never saw, throws away what the answer prints and records each check's
   result as data; it also notices an answer that changes NumPy, the builtins or the checks
   while its check runs;
3. :func:`confirm` keeps a kernel's "passed" only when that run passed too, with the same
   number of cases as the notebook's own solution run the same way (which also shows that the
   run itself works on this backend; where it does not, the kernel's verdict stands, flagged).

Only plain data come back (a JSON file the grader reads with a strict schema). What this does
not defend against is said in INSTRUCTORS.md.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import symtable
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tools import sandbox
from tools.student import cell_source

#: What the independent run can say about one exercise.
RESULTS = {
    "passed",
    "shipped solution",
    "not written",
    "failed",
    "undefined",
    "tampered",
    "not judged",
}
#: The start of the message of a pass the independent run did not confirm.
NOT_CONFIRMED = (
    "the check passed in your notebook, but not when the grader ran your answer on its own, "
    "on new inputs"
)


#: Names an answer has no reason to use: the frames of the code that calls it (where a check
#: keeps the values it expects), the garbage collector's view of every object, functions'
#: insides. An answer that uses one (as a name, an attribute or a string) is not confirmed.
INTROSPECTION = frozenset(
    {
        "_getframe",
        "currentframe",
        "_current_frames",
        "f_locals",
        "f_globals",
        "f_back",
        "tb_frame",
        "gi_frame",
        "cr_frame",
        "get_referrers",
        "get_referents",
        "get_objects",
        "__globals__",
        "__code__",
        "__closure__",
        "settrace",
        "setprofile",
    }
)
#: Modules an answer has no reason to import: raw memory, the garbage collector, the
#: interpreter's introspection, the grader's checks.
FORBIDDEN_MODULES = frozenset(
    {"ctypes", "gc", "inspect", "importlib", "builtins", "helpers.checks"}
)


def _forbidden_module(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in FORBIDDEN_MODULES)


@dataclass(frozen=True)
class Statement:
    """One top-level statement of a code cell: its text, the names it binds and the global
    names it uses."""

    text: str
    binds: frozenset[str]
    uses: frozenset[str]


#: Cell magics that run the rest of the cell as Python in the notebook's namespace.
TRANSPARENT_MAGICS = ("%%time", "%%capture")


def python_of(source: str) -> str:
    """A cell's source as the kernel runs it: IPython's magics and ``!`` lines made Python
    (the body of a ``%%time`` or ``%%capture`` cell is kept as the Python it is)."""
    from IPython.core.inputtransformer2 import TransformerManager

    first, _, rest = source.lstrip().partition("\n")
    if first.split(" ")[0] in TRANSPARENT_MAGICS:
        source = rest
    return TransformerManager().transform_cell(source)


def _uses(table: symtable.SymbolTable, top: bool) -> Iterator[str]:
    for symbol in table.get_symbols():
        if symbol.is_referenced() and (top or symbol.is_global()):
            yield symbol.get_name()
    for child in table.get_children():
        yield from _uses(child, top=False)


def _augmented(node: Any) -> Iterator[str]:
    """The names ``node`` rebinds with ``+=`` and friends at the top level (symtable counts
    those as bindings only, but they use the name's value before too)."""
    import ast

    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        yield node.target.id
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
        for child in ast.iter_child_nodes(node):
            yield from _augmented(child)


def statements(source: str) -> list[Statement]:
    """The top-level statements of one cell; none when it is not valid Python (the kernel
    could not run it either)."""
    import ast

    code = python_of(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    lines = code.splitlines(True)
    found = []
    for index, node in enumerate(tree.body):
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        end = node.end_lineno or node.lineno
        shares_a_line = (index > 0 and tree.body[index - 1].end_lineno == start) or (
            index + 1 < len(tree.body) and tree.body[index + 1].lineno == end
        )
        text = ast.unparse(node) + "\n" if shares_a_line else "".join(lines[start - 1 : end])
        table = symtable.symtable(text, "<statement>", "exec")
        binds = {
            symbol.get_name()
            for symbol in table.get_symbols()
            if symbol.is_assigned() or symbol.is_imported()
        }
        uses = {*_uses(table, top=True), *_augmented(node)}
        found.append(Statement(text, frozenset(binds), frozenset(uses)))
    return found


def cells_before(notebook: dict[str, Any], cell_id: str) -> list[Statement]:
    """The statements of every code cell before the cell ``cell_id``, in order."""
    found: list[Statement] = []
    for cell in notebook["cells"]:
        if cell.get("id") == cell_id:
            return found
        if cell.get("cell_type") == "code":
            found += statements(cell_source(cell))
    raise ValueError(f"no cell with id {cell_id!r} in the notebook")


def definition(found: list[Statement], name: str) -> list[str]:
    """The texts, in order, of the statements that define ``name`` after ``found``: the last
    one that binds it, and for every global name a chosen statement uses, the last statement
    before it that binds that name. Empty when nothing binds ``name``."""
    chosen: set[int] = set()
    todo = [(name, len(found))]
    seen: set[tuple[str, int]] = set()
    while todo:
        wanted, before = todo.pop()
        if (wanted, before) in seen:
            continue
        seen.add((wanted, before))
        index = next((i for i in range(before - 1, -1, -1) if wanted in found[i].binds), None)
        if index is None:
            continue  # a builtin, or a name the notebook never defined
        if index not in chosen:
            chosen.add(index)
            todo += [(used, index) for used in found[index].uses]
    return [found[index].text for index in sorted(chosen)]


def forbidden(texts: list[str]) -> list[str]:
    """What the statements ``texts`` use of :data:`INTROSPECTION` and
    :data:`FORBIDDEN_MODULES`, sorted."""
    import ast

    found: set[str] = set()
    for text in texts:
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Name) and node.id in INTROSPECTION:
                found.add(node.id)
            elif isinstance(node, ast.Attribute) and node.attr in INTROSPECTION:
                found.add(node.attr)
            elif isinstance(node, ast.Constant) and node.value in INTROSPECTION:
                found.add(str(node.value))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if _forbidden_module(f"{node.value.id}.{node.attr}"):
                    found.add(f"{node.value.id}.{node.attr}")
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if _forbidden_module(a.name)}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                found |= {name for name in names if _forbidden_module(name)}
    return sorted(found)


def job_for(notebook: dict[str, Any], exercises: list[Any], secret: int) -> dict[str, Any]:
    """What :mod:`helpers.checks._recheck` runs for ``exercises`` of ``notebook``."""
    return {
        "secret": secret,
        "exercises": [
            {
                "name": exercise.name,
                "check": exercise.check,
                "statements": definition(cells_before(notebook, exercise.check_id), exercise.name),
            }
            for exercise in exercises
        ],
    }


def _read(path: Path, names: list[str]) -> list[dict[str, Any]]:
    """The results the run wrote, checked against a strict schema (ValueError otherwise)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    results = data["exercises"] if isinstance(data, dict) else None
    if not isinstance(results, list) or len(results) != len(names):
        raise ValueError("not one result per exercise")
    for result, name in zip(results, names, strict=True):
        cases = result.get("cases") if isinstance(result, dict) else "missing"
        if (
            set(result) != {"name", "result", "cases", "message"}
            or result["name"] != name
            or result["result"] not in RESULTS
            or not isinstance(result["message"], str)
            or not (cases is None or (type(cases) is int and cases > 0))
        ):
            raise ValueError(f"a malformed result: {str(result)[:200]}")
    return results


@dataclass
class Launch:
    """One independent run under way."""

    process: subprocess.Popen
    result: Path
    names: list[str]
    box: sandbox.Sandbox | None


def start(
    job: dict[str, Any],
    folder: Path,
    environment: dict[str, str],
    box: sandbox.Sandbox | None,
) -> Launch:
    """Start ``job`` (in ``box``, or as a plain process in ``folder`` without a sandbox)."""
    work = Path(box.work) if box is not None else folder
    job_path, result = work / "job.json", work / "result.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    argv = [sys.executable, "-m", "helpers.checks._recheck", str(job_path), str(result)]
    process = subprocess.Popen(
        box.command(argv) if box is not None else argv,
        cwd=work,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return Launch(process, result, [item["name"] for item in job["exercises"]], box)


def finish(launch: Launch, timeout: float) -> list[dict[str, Any]] | str:
    """The run's results, or why there are none (it ran out of time, died, wrote nonsense)."""
    try:
        _, stderr = launch.process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"it ran longer than {timeout:.0f} s"
    finally:
        if launch.box is not None:
            sandbox.kill(launch.process)
        elif launch.process.poll() is None:
            launch.process.kill()
    if launch.process.returncode != 0:
        said = (stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        return f"it ended with status {launch.process.returncode} ({said[:200]})"
    try:
        return _read(launch.result, launch.names)
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"it left no readable result ({error})"


def run_jobs(
    jobs: list[dict[str, Any]],
    make_box: Callable[[Path], tuple[dict[str, str], sandbox.Sandbox | None]],
    timeout: float,
) -> list[list[dict[str, Any]] | str]:
    """Run ``jobs`` side by side, each in a fresh folder (and sandbox) of its own."""
    with contextlib.ExitStack() as stack:
        launches = []
        for job in jobs:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kuh-recheck-")))
            environment, box = make_box(folder.resolve())
            launches.append(start(job, folder.resolve(), environment, box))
        return [finish(launch, timeout) for launch in launches]


def confirm(
    results: list[Any],
    answers: dict[str, Any],
    reference: dict[str, Any],
    flagged: dict[str, list[str]] | None = None,
) -> list[Any]:
    """``results`` (``tools.grade.Result``) with every kernel pass checked against the
    independent runs: ``answers`` and ``reference`` map an exercise's name to what its run of
    the submission and of the notebook's solution found (or a string: why there is none);
    ``flagged``, to what the answer's statements use that an answer may not (:func:`forbidden`)."""
    confirmed = []
    for result in results:
        if result.status != "passed":
            confirmed.append(result)
            continue
        mine, theirs = answers.get(result.name), reference.get(result.name)
        uses = (flagged or {}).get(result.name)
        if uses:
            why = (
                f"it uses {', '.join(uses)}, which an answer has no reason to use: it reads or "
                "changes the code that checks it"
            )
            confirmed.append(
                replace(
                    result,
                    status="failed",
                    shipped_solution=False,
                    message=f"{NOT_CONFIRMED}: {why}",
                )
            )
        elif isinstance(theirs, str) or theirs is None or theirs["result"] != "shipped solution":
            why = theirs if isinstance(theirs, str) else (theirs or {}).get("message", "no result")
            note = f" (not confirmed: the grader's independent run failed on the solution: {why})"
            confirmed.append(replace(result, message=result.message + note))
        elif isinstance(mine, str) or mine is None:
            why = mine or "no result"
            confirmed.append(replace(result, status="failed", message=f"{NOT_CONFIRMED}: {why}"))
        elif mine["result"] in ("passed", "shipped solution") and mine["cases"] == theirs["cases"]:
            shipped = mine["result"] == "shipped solution"
            cases = f"{mine['cases']} cases" + (" (the shipped solution)" if shipped else "")
            confirmed.append(replace(result, message=cases, shipped_solution=shipped))
        else:
            confirmed.append(
                replace(
                    result,
                    status="failed",
                    shipped_solution=False,
                    message=f"{NOT_CONFIRMED}: {explain(result.name, mine, theirs['cases'])}",
                )
            )
    return confirmed


def explain(name: str, mine: dict[str, Any], cases: int) -> str:
    """Why the independent run did not confirm a pass, for the report."""
    result = mine["result"]
    if result in ("passed", "shipped solution"):
        return f"it passed {mine['cases']} cases, not {cases}"
    if result == "undefined":
        return (
            f"{mine['message']}: define {name} at the top level of a cell (with def, class or an "
            "assignment), from names defined the same way"
        )
    if result == "not written":
        return "there it is still the stub"
    return mine["message"]


def new_secret() -> int:
    """A secret for the checks' random inputs (the student never sees it)."""
    return secrets.randbits(64)
