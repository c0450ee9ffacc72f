"""The autograder (`make grade`, tools/grade.py).

Without a kernel: how it finds the notebook and its exercises, restores the check cells and
judges executed cells. With kernels (slow): the full notebooks pass (as the shipped solution),
every student notebook runs top to bottom with each exercise not attempted and no other cell
failing, a submission with a wrong answer and a crashing cell gets exactly the report it should,
attacks from the kernel on the sandbox fail, and verdicts forged in the kernel are not confirmed
by the independent run (tools/recheck.py).
"""

from __future__ import annotations

import json
import socket
import tempfile
import time
from pathlib import Path

import pytest

from helpers import checks
from helpers.checks._base import shipped_line, unwritten_line
from tools import grade, student
from tools.instructors import catalogued_function
from tools.project import BACKENDS, NOTEBOOKS

START_HERE = NOTEBOOKS[0]
TIMEOUT = 300


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("student")
    return {path.name: path for path in student.write_student_editions(out)}


def code_cell(source: str, cell_id: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


# --- without a kernel --------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_exercises_are_the_solution_and_check_cells(path):
    notebook = load(path)
    exercises = grade.exercises_of(notebook)
    assert len(exercises) == sum(student.is_solution(cell) for cell in notebook["cells"])
    for exercise in exercises:
        assert f"helpers.checks.{exercise.check}({exercise.name})" in exercise.check_source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_notebook_is_found_by_its_cells_whatever_the_file_is_called(path, editions):
    assert grade.identify(load(editions[path.name]), NOTEBOOKS) == path


def test_a_notebook_of_something_else_is_not_graded(tmp_path):
    other = {"cells": [code_cell("print(1)", "x")], "metadata": {}, "nbformat": 4}
    with pytest.raises(grade.GradingError, match="pass --notebook"):
        grade.identify(other, NOTEBOOKS)
    path = tmp_path / "notes.ipynb"
    path.write_text("not json")
    with pytest.raises(grade.GradingError, match="not a readable notebook"):
        grade.read_notebook(path)


def test_edited_and_deleted_check_cells_are_put_back(editions):
    notebook = load(editions[START_HERE.name])
    exercises = grade.exercises_of(load(START_HERE))
    first, second = exercises[0], exercises[1]
    for cell in notebook["cells"]:
        if cell["id"] == first.check_id:
            cell["source"] = 'print("standardize: passed (3 cases)")'
    notebook["cells"] = [cell for cell in notebook["cells"] if cell["id"] != second.check_id]
    restored = grade.restore_checks(notebook, exercises)
    ids = [cell["id"] for cell in restored["cells"]]
    for exercise in (first, second):
        cell = restored["cells"][ids.index(exercise.check_id)]
        assert student.cell_source(cell) == exercise.check_source
        assert ids.index(exercise.check_id) == ids.index(exercise.solution_id) + 1


def executed(check_outputs: list[dict], answer_outputs: list[dict] | None = None) -> dict:
    """A notebook of one exercise's answer and check cells, as if run."""
    answer = code_cell("", "answer") | {"outputs": answer_outputs or [], "execution_count": 1}
    check = code_cell("", "check") | {"outputs": check_outputs, "execution_count": 2}
    return {"cells": [answer, check]}


def printed(line: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": line + "\n"}


def raised(name: str, value: str) -> dict:
    return {"output_type": "error", "ename": name, "evalue": value, "traceback": []}


EXERCISE = grade.Exercise(1, "mish", "check_mish", "answer", "check", "")


@pytest.mark.parametrize(
    ("notebook", "expected"),
    [
        (executed([printed("mish: passed (4 cases)")]), ("passed", "4 cases", False)),
        (
            executed([printed(shipped_line("mish", 4))]),
            ("passed", "4 cases (the shipped solution)", True),
        ),
        (
            executed([printed(unwritten_line("mish"))]),
            ("not attempted", "not written yet: the stub is still there", False),
        ),
        (
            executed([raised("ExerciseFailed", "mish: wrong values at x = 0")]),
            ("failed", "ExerciseFailed: mish: wrong values at x = 0", False),
        ),
        (
            executed([raised("NameError", "name 'mish' is not defined")]),
            ("not attempted", "mish is not defined", False),
        ),
        (
            executed(
                [raised("NameError", "name 'mish' is not defined")],
                [raised("SyntaxError", "bad (line 2)")],
            ),
            (
                "failed",
                "the cell with your answer raised SyntaxError: bad (line 2)",
                False,
            ),
        ),
        (
            executed([printed(unwritten_line("mish"))], [raised("NotImplementedError", "")]),
            ("not attempted", "not written yet: the stub is still there", False),
        ),
        (
            executed([raised("NameError", "name 'ops' is not defined")]),
            ("failed", "NameError: name 'ops' is not defined", False),
        ),
        (
            executed([printed('print("mish: passed")')]),
            ("failed", "the check printed no result", False),
        ),
        (
            {"cells": [code_cell("", "answer"), code_cell("", "check")]},
            ("not run", "the run never reached its check (DeadKernelError: Kernel died)", False),
        ),
    ],
    ids=[
        "passed",
        "shipped",
        "stub",
        "wrong",
        "deleted",
        "syntax-error",
        "top-level-stub",
        "other-error",
        "no-result",
        "kernel-died",
    ],
)
def test_judge_reads_each_outcome(notebook, expected):
    cells = {cell["id"]: cell for cell in notebook["cells"]}
    assert grade.judge(EXERCISE, cells, "DeadKernelError: Kernel died") == expected


def test_the_report_says_how_many_passed(tmp_path):
    results = [
        grade.Result(1, "mish", "check_mish", "passed", "4 cases"),
        grade.Result(2, "ScaledTanh", "check_scaled_tanh", "failed", "wrong | values"),
    ]
    report = grade.Report("answers.ipynb", "02.ipynb", "jax", "offline", results)
    json_path, md_path = grade.write_report(report, tmp_path)
    data = json.loads(json_path.read_text())
    assert (data["passed"], data["total"]) == (1, 2)
    text = md_path.read_text()
    assert text.startswith("# answers.ipynb: 1 of 2 exercises passed\n")
    assert "| 2. `ScaledTanh` | failed | wrong \\| values |" in text


def test_a_written_report_answers_for_one_exercise(tmp_path, capsys):
    results = [
        grade.Result(1, "mish", "check_mish", "passed", "4 cases"),
        grade.Result(2, "ScaledTanh", "check_scaled_tanh", "not attempted", "not written yet"),
    ]
    json_path, _ = grade.write_report(grade.Report("a.ipynb", "02", "jax", "-", results), tmp_path)
    assert grade.main(["--passed", str(json_path), "1"]) == 0
    assert grade.main(["--passed", str(json_path), "2"]) == 1
    assert grade.main(["--passed", str(json_path), "3"]) == 2
    assert grade.main(["--passed", str(tmp_path / "none.json"), "1"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "exercise 1 (mish): passed: 4 cases",
        "exercise 2 (ScaledTanh): not attempted: not written yet",
    ]


def test_without_a_sandbox_it_refuses_to_run(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(grade.sandbox, "probe", lambda: "no user namespaces (a test)")
    assert grade.main([str(START_HERE), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot start a sandbox" in err
    assert "no user namespaces (a test)" in err
    assert "--no-sandbox" in err
    assert not list(tmp_path.iterdir())


def test_a_notebook_under_another_notebooks_name_is_refused(tmp_path):
    """The full notebook 00 handed in as 02_custom_activations.ipynb is not graded as 00."""
    renamed = tmp_path / "02_custom_activations.ipynb"
    renamed.write_text(START_HERE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(
        grade.GradingError, match=r"named like 02_custom_activations.*pass --notebook"
    ):
        grade.grade(renamed, "tensorflow", 10, "-", use_sandbox=False)
    grade.check_name(tmp_path / "alice.ipynb", START_HERE, NOTEBOOKS)  # any other name will do
    grade.check_name(tmp_path / "00_start_here (1).ipynb", START_HERE, NOTEBOOKS)


def test_each_backend_and_notebook_has_its_own_report(tmp_path):
    results = [grade.Result(1, "mish", "check_mish", "passed", "4 cases")]
    paths = [
        grade.write_report(grade.Report(name, notebook, backend, "-", results), tmp_path)[0].name
        for name, notebook, backend in [
            ("02_custom_activations.ipynb", "02_custom_activations.ipynb", "tensorflow"),
            ("02_custom_activations.ipynb", "02_custom_activations.ipynb", "jax"),
            ("alice.ipynb", "02_custom_activations.ipynb", "jax"),
        ]
    ]
    assert paths == [
        "02_custom_activations.tensorflow.json",
        "02_custom_activations.jax.json",
        "alice.02_custom_activations.jax.json",
    ]


def test_cells_are_named_as_jupyterlab_numbers_them():
    cell = code_cell("\n# the loop\nwhile True:\n    pass", "x")
    assert grade.cell_name(7, cell) == "[7] `# the loop`"
    assert grade.cell_name(None, code_cell("x = 1", "y")) == "[ ] `x = 1`"
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Title"},
            code_cell("1 / 0", "crash") | {"execution_count": 3, "outputs": [raised("E", "v")]},
        ]
    }
    assert grade.other_errors(notebook, []) == [
        {"cell": 3, "line": "1 / 0", "id": "crash", "error": "E: v"}
    ]


# --- with kernels ------------------------------------------------------------------------


def run_grader(path: Path, out: Path, backend: str = "tensorflow") -> tuple[int, dict]:
    status = grade.main(
        [str(path), "--backend", backend, "--timeout", str(TIMEOUT), "--out", str(out)]
    )
    (report,) = out.glob(f"{path.stem}.*{backend}.json")
    return status, json.loads(report.read_text())


#: The full notebooks graded whole: nbval already compares every shipped solution's check line
#: on every backend (strictly on TensorFlow); here two notebooks show the grader reads them.
FULL_RUNS = [NOTEBOOKS[2], NOTEBOOKS[4]]
#: Each student edition runs once, on one backend (in turn: every backend runs some of them).
#: What may differ between backends, the lesson's cells, nbval runs on all three.
STUDENT_RUNS = [(path, BACKENDS[index % len(BACKENDS)]) for index, path in enumerate(NOTEBOOKS)]


@pytest.mark.slow
@pytest.mark.parametrize("path", FULL_RUNS, ids=lambda path: path.name)
def test_the_full_notebook_passes_every_exercise_as_the_shipped_solution(path, tmp_path):
    status, report = run_grader(path, tmp_path)
    assert status == 0, report
    assert report["problem"] is None
    assert report["errors"] == []
    assert [e["status"] for e in report["exercises"]] == ["passed"] * report["total"]
    assert all(e["shipped_solution"] for e in report["exercises"])
    assert report["isolation"] == grade.SANDBOXED


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "backend"), STUDENT_RUNS, ids=[f"{p.name}-{b}" for p, b in STUDENT_RUNS]
)
def test_the_student_notebook_runs_and_nothing_is_attempted(path, backend, editions, tmp_path):
    status, report = run_grader(editions[path.name], tmp_path, backend)
    assert status == 1
    assert report["problem"] is None
    assert report["errors"] == [], "cells other than the exercises must run in the student edition"
    assert [(e["status"], e["message"]) for e in report["exercises"]] == [
        ("not attempted", "not written yet: the stub is still there")
    ] * report["total"]


def with_cells(path: Path, changes: dict[str, list[dict]]) -> dict:
    """The notebook at ``path`` with new cells inserted after the cells of the given ids."""
    notebook = load(path)
    cells = []
    for cell in notebook["cells"]:
        cells.append(cell)
        cells += changes.get(cell["id"], [])
    notebook["cells"] = cells
    return notebook


@pytest.mark.slow
def test_a_wrong_answer_and_a_crashing_cell_get_exactly_this_report(editions, tmp_path):
    """Exercise 1 answered with a wrong answer of the checks' catalogue (a global mean), an
    early cell that crashes, exercises 2 and 3 left as stubs."""
    first = grade.exercises_of(load(START_HERE))[0]
    wrong = catalogued_function("nb00_start_here", "standardize_global")
    wrong = wrong.replace("def standardize_global(", "def standardize(")
    namespace: dict = {}
    exec("import keras\n" + wrong, namespace)  # the same answer, here, for the expected message
    with pytest.raises(checks.ExerciseFailed) as refusal:
        checks.check_standardize(namespace["standardize"])
    setup = load(START_HERE)["cells"][2]["id"]
    notebook = with_cells(
        editions[START_HERE.name],
        {setup: [code_cell("1 / 0", "crash")], first.solution_id: [code_cell(wrong, "mine")]},
    )
    path = tmp_path / "submission.ipynb"
    path.write_text(json.dumps(notebook))
    status, report = run_grader(path, tmp_path / "out")
    assert status == 1
    assert report["exercises"] == [
        {
            "number": 1,
            "name": "standardize",
            "check": "check_standardize",
            "status": "failed",
            "message": f"ExerciseFailed: {refusal.value}",
            "shipped_solution": False,
        },
        {
            "number": 2,
            "name": "noisy_copy",
            "check": "check_noisy_copy",
            "status": "not attempted",
            "message": "not written yet: the stub is still there",
            "shipped_solution": False,
        },
        {
            "number": 3,
            "name": "dense_parameter_count",
            "check": "check_dense_parameter_count",
            "status": "not attempted",
            "message": "not written yet: the stub is still there",
            "shipped_solution": False,
        },
    ]
    code_cells = [cell["id"] for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert report["errors"] == [  # by its execution number, as JupyterLab shows it
        {
            "cell": code_cells.index("crash") + 1,
            "line": "1 / 0",
            "id": "crash",
            "error": "ZeroDivisionError: division by zero",
        }
    ]
    assert report["passed"] == 0


@pytest.mark.slow
def test_an_answer_after_the_solution_is_what_gets_checked(tmp_path):
    """In the full edition: a learner's (right) answer below the solution passes as theirs;
    the exercises without one are reported as the shipped solution."""
    first = grade.exercises_of(load(START_HERE))[0]
    mine = catalogued_function("nb00_start_here", "standardize_with_variance")
    mine = mine.replace("def standardize_with_variance(", "def standardize(")
    notebook = with_cells(START_HERE, {first.solution_id: [code_cell(mine, "mine")]})
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps(notebook))
    status, report = run_grader(path, tmp_path / "out")
    assert status == 0
    assert [(e["status"], e["shipped_solution"]) for e in report["exercises"]] == [
        ("passed", False),
        ("passed", True),
        ("passed", True),
    ]


# --- attacks from a kernel, in the sandbox (slow) -----------------------------------------
# Tiny notebooks of plain Python (no Keras), so that each run is a kernel's start and a few
# seconds. The direct attacks on the sandbox itself are in tests/test_sandbox.py.


@pytest.fixture(scope="module")
def can_sandbox() -> None:
    why = grade.sandbox.probe()
    if why is not None:
        pytest.skip(f"this machine cannot start the grader's sandbox: {why}")


def one_exercise(*before: str) -> dict:
    """A notebook of the cells ``before``, then one exercise (notebook 00's third)."""
    solution = code_cell("def dense_parameter_count(i, u, b):\n    return 0\n", "solution")
    solution["metadata"] = {
        "tags": ["solution"],
        "nbgrader": {"solution": True, "grade_id": "nb00-dense_parameter_count"},
    }
    check = code_cell(
        "import helpers\nhelpers.checks.check_dense_parameter_count(dense_parameter_count)", "check"
    )
    cells = [code_cell(source, f"c{n}") for n, source in enumerate(before, start=1)]
    return {"cells": [*cells, solution, check], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def grade_tiny(tmp_path: Path, notebook: dict, timeout: int, deadline: int | None = None):
    path = tmp_path / "tiny.ipynb"
    path.write_text(json.dumps(notebook))
    return grade.grade(path, "tensorflow", timeout, "-", path, deadline=deadline)


SWALLOWS_INTERRUPTS = """import time
end = time.monotonic() + 60  # bounded: the grader kills it long before
while time.monotonic() < end:
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass"""


@pytest.mark.slow
def test_a_kernel_that_swallows_interrupts_is_killed_and_the_rest_is_not_run(can_sandbox, tmp_path):
    started = time.monotonic()
    report = grade_tiny(tmp_path, one_exercise("x = 1", SWALLOWS_INTERRUPTS), timeout=2)
    assert time.monotonic() - started < 45
    assert report.timeouts == [
        {"cell": 2, "line": "import time", "limit": "the cell's", "seconds": 2, "killed": True}
    ]
    assert report.problem == (
        "the kernel was killed: cell [2] `import time` ran past the cell's time limit (2 s) "
        f"and ignored the interrupt for {grade.GRACE} s"
    )
    assert [(e.status, e.message) for e in report.exercises] == [
        ("not run", f"the run never reached its check ({report.problem})")
    ]
    text = grade.markdown(report)
    assert "| 1. `dense_parameter_count` | not run |" in text
    assert "- cell [2] `import time`: past the cell's time limit (2 s), killed" in text


@pytest.mark.slow
def test_the_submission_has_a_deadline_too(can_sandbox, tmp_path):
    sleeps = "import time\ntime.sleep(30)"  # interruptible
    report = grade_tiny(tmp_path, one_exercise(sleeps, sleeps), timeout=20, deadline=3)
    assert [(t["cell"], t["limit"], t["killed"]) for t in report.timeouts] == [
        (1, "the submission's", False)
    ]
    assert report.problem.startswith("the submission's time limit was spent before")
    assert report.exercises[0].status == "not run"


#: What a process left behind runs: two seconds after, it rewrites a report.
LATER = "import time; time.sleep(2); open({path!r}, 'w').write('3/3')"


@pytest.mark.slow
def test_attacks_from_the_kernel_are_refused_or_neutralised(can_sandbox, tmp_path, monkeypatch):
    """What a submission tried in issue 31, each from a cell that prints what it got: the
    grader's secret, the full notebook, another submission, a report to overwrite, a Unix
    socket outside, a process left behind to rewrite a report after grading."""
    monkeypatch.setenv("KUH_GRADER_TOKEN", "s3cret")
    report = tmp_path / "out" / "alice.tensorflow.json"
    report.parent.mkdir()
    report.write_text('{"passed": 0}')
    other = tmp_path / "bob.ipynb"
    other.write_text("bob's answers")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "docker.sock"))
    server.listen(1)
    reference = NOTEBOOKS[2]
    cells = [
        "import os\nprint('secret', 's3cret' in str(os.environ))",
        f"try:\n    print('full', len(open({str(reference)!r}).read()))\n"
        "except OSError as error:\n    print('full', type(error).__name__)",
        f"try:\n    print('other', open({str(other)!r}).read())\n"
        "except OSError as error:\n    print('other', type(error).__name__)",
        f"try:\n    open({str(reference)!r}, 'a').write('poison')\n    print('poison', 'done')\n"
        "except OSError as error:\n    print('poison', type(error).__name__)",
        "import socket\ns = socket.socket(socket.AF_UNIX)\n"
        f"try:\n    s.connect({str(tmp_path / 'docker.sock')!r})\n"
        "    print('socket', 'connected')\n"
        "except OSError as error:\n    print('socket', type(error).__name__)",
        "import subprocess, sys\n"
        f"later = {LATER.format(path=str(report))!r}\n"
        "subprocess.Popen([sys.executable, '-c', later], start_new_session=True)\nprint('left')",
    ]
    before = reference.read_bytes()
    with tempfile.TemporaryDirectory(prefix="kuh-test-") as folder:
        box = grade.sandbox_for(Path(folder), "tensorflow")
        attacks = one_exercise(*cells)
        attacks["cells"] = attacks["cells"][: len(cells)]  # no check: no Keras to import
        run = grade.execute(attacks, "tensorflow", 30, Path(folder), box)
    server.setblocking(False)
    with pytest.raises(BlockingIOError):
        server.accept()  # nobody came
    server.close()
    printed = [
        "".join(output.get("text", output.get("evalue", ""))).strip()
        for cell in run.notebook["cells"][: len(cells)]
        for output in cell["outputs"]
    ]
    assert printed == [
        "secret False",
        "full FileNotFoundError",
        "other FileNotFoundError",
        "poison FileNotFoundError",
        "socket FileNotFoundError",
        "left",
    ]
    time.sleep(3)
    assert report.read_text() == '{"passed": 0}'
    assert reference.read_bytes() == before


# --- forged verdicts: a pass counts only if an independent run confirms it (slow) ----------
# A small notebook of notebook 00's three exercises: its solution and check cells as they are,
# after one cell of imports. Each submission answers them with forgeries that made the grader
# report "passed" before issue 31; now each is failed by the independent run, and a right
# answer next to them still passes.

IMPORTS = "import sys\nimport helpers\nimport keras\nimport numpy as np\nfrom keras import ops"


def small_reference(tmp_path: Path) -> tuple[dict, Path]:
    notebook = load(START_HERE)
    cells = {cell["id"]: cell for cell in notebook["cells"]}
    kept = [code_cell(IMPORTS, "imports")]
    for exercise in grade.exercises_of(notebook):
        kept += [cells[exercise.solution_id], cells[exercise.check_id]]
    reference = {"cells": kept, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "reference.ipynb"
    path.write_text(json.dumps(reference))
    return reference, path


def submission(reference: dict, answers: list[str]) -> dict:
    """``reference`` with each solution cell's source replaced by an answer."""
    notebook = json.loads(json.dumps(reference))
    solutions = [cell for cell in notebook["cells"] if student.is_solution(cell)]
    for cell, answer in zip(solutions, answers, strict=True):
        cell["source"] = answer
    return notebook


def grade_small(tmp_path: Path, answers: list[str]) -> list[tuple[str, str]]:
    reference, reference_path = small_reference(tmp_path)
    path = tmp_path / "forged.ipynb"
    path.write_text(json.dumps(submission(reference, answers)))
    report = grade.grade(path, "tensorflow", 120, "-", reference_path)
    return [(result.status, result.message) for result in report.exercises]


STUB = "def {name}(*arguments):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
NOT_CONFIRMED = grade.recheck.NOT_CONFIRMED


@pytest.mark.slow
def test_verdicts_forged_from_the_kernel_are_not_confirmed(can_sandbox, tmp_path):
    answers = [
        # 1. A wrong answer, and NumPy's comparison patched for the checks after it.
        "def standardize(x):\n    return x\n\nnp.allclose = lambda *a, **k: True",
        # 2. The stub, and the check replaced by one that prints a pass line.
        STUB.format(name="noisy_copy")
        + "helpers.checks.check_noisy_copy = lambda f: print('noisy_copy: passed (3 cases)')",
        # 3. A wrong answer that prints the pass line, on stdout and on stderr.
        "def dense_parameter_count(input_dim, units, use_bias):\n"
        "    print('dense_parameter_count: passed (5 cases)')\n"
        "    print('anything: passed (1 cases)', file=sys.stderr)\n"
        "    return 0",
    ]
    verdicts = grade_small(tmp_path, answers)
    wrong = "dense_parameter_count(3, 4, use_bias=True) returned 0, but a Dense layer like that"
    assert [status for status, _ in verdicts] == ["failed"] * 3, verdicts
    assert verdicts[0][1].startswith(f"{NOT_CONFIRMED}: standardize: ")
    assert verdicts[1][1] == f"{NOT_CONFIRMED}: there it is still the stub"
    assert verdicts[2][1].startswith(f"{NOT_CONFIRMED}: {wrong}")


@pytest.mark.slow
def test_an_exception_hook_and_a_peek_at_the_check_are_not_confirmed(can_sandbox, tmp_path):
    mine = catalogued_function("nb00_start_here", "standardize_with_variance")
    answers = [
        # 1. A right answer of the learner's own: its verdict is unchanged.
        "from keras import ops\n" + mine.replace("standardize_with_variance(", "standardize("),
        # 2. A wrong answer (no noise), and an exception handler that prints a pass line for
        # any error after: the check's refusal included.
        "def noisy_copy(x, seed):\n    return x\n\n"
        "get_ipython().set_custom_exc((Exception,), lambda *a, **k: "
        "print('noisy_copy: passed (3 cases)'))",
        # 3. An answer that reads the value the check expects from the check's own frame.
        "def dense_parameter_count(input_dim, units, use_bias):\n"
        "    return sys._getframe(1).f_locals['expected']",
    ]
    verdicts = grade_small(tmp_path, answers)
    assert verdicts[1][0] == "failed"
    assert verdicts[1][1].startswith(f"{NOT_CONFIRMED}: noisy_copy: ")
    assert verdicts[::2] == [
        ("passed", "3 cases"),
        (
            "failed",
            f"{NOT_CONFIRMED}: it uses _getframe, f_locals, which an answer has no reason to "
            "use: it reads or changes the code that checks it",
        ),
    ]
