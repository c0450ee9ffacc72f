"""The grader's independent run of the exercise checks (``tools/recheck.py`` starts it).

    python -m helpers.checks._recheck JOB.json RESULT.json

runs in a sandbox of its own, never in the learner's kernel. It imports Keras and the checks
first and keeps the check functions; then, for each exercise of ``JOB.json``
(``{"secret": int, "exercises": [{"name", "check", "statements": [...]}]}``), it runs only the
statements that define the answer (extracted by the grader, in the notebook's order) in a fresh
namespace, and calls the check it kept, with inputs drawn with the secret. The check's result
is the one it recorded (``_base._record``), not a printed line; what the answer prints is
thrown away. After each exercise the run verifies that the answer changed nothing of NumPy,
the builtins or the checks (an answer that patches ``np.allclose`` while the check runs is
caught); an exercise after such an answer is not judged.

``RESULT.json`` holds plain data only: per exercise ``{"name", "result", "cases",
"message"}``, ``result`` one of ``passed``, ``shipped solution``, ``not written``,
``failed``, ``undefined``, ``tampered`` or ``not judged``. Standard library, NumPy, Keras and
``helpers`` only: the sandbox has nothing else of the collection. Tested in
``tests/test_recheck.py`` (and through whole graded notebooks in ``tests/test_grade.py``).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import linecache
import sys
import traceback
from types import ModuleType
from typing import Any

#: The modules whose attributes an answer must leave as they were while its check runs.
WATCHED = ("builtins", "numpy", "numpy.testing", "helpers.checks", "keras.ops")


def _watched_modules() -> list[ModuleType]:
    names = [*WATCHED, *(name for name in sys.modules if name.startswith("helpers.checks."))]
    return [sys.modules[name] for name in dict.fromkeys(names) if name in sys.modules]


def _snapshot() -> dict[str, int]:
    """``id`` of every attribute of the watched modules and of the classes and functions the
    checks define (their ``__code__`` too), by dotted name."""
    found: dict[str, int] = {}
    for module in _watched_modules():
        for key, value in list(vars(module).items()):
            found[f"{module.__name__}.{key}"] = id(value)
            owner = getattr(value, "__module__", None)
            if not (isinstance(owner, str) and owner.startswith("helpers.checks")):
                continue
            if isinstance(value, type):
                for attribute, member in list(vars(value).items()):
                    found[f"{module.__name__}.{key}.{attribute}"] = id(member)
            code = getattr(value, "__code__", None)
            if code is not None:
                found[f"{module.__name__}.{key}.__code__"] = id(code)
    return found


def _changed(before: dict[str, int]) -> list[str]:
    """The names in ``before`` whose value is no longer the same object."""
    now = _snapshot()
    return sorted(name for name, ident in before.items() if now.get(name) != ident)


def _define(number: int, statements: list[str], namespace: dict[str, Any]) -> list[str]:
    """Run ``statements`` in ``namespace``, each under a file name ``inspect`` can read back
    (the checks look for the SOLUTION markers and the stub in the answer's source); return the
    errors of those that raised."""
    errors = []
    for index, text in enumerate(statements):
        filename = f"<exercise {number}, statement {index + 1}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        try:
            exec(compile(text, filename, "exec"), namespace)
        except BaseException as error:  # the learner's code: report it, go on
            if isinstance(error, KeyboardInterrupt):
                raise
            errors.append(f"{type(error).__name__}: {error}")
    return errors


def _run(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Judge every exercise of ``job``; see the module's docstring."""
    import keras  # noqa: F401 - imported before any answer runs, as the checks need it
    import numpy  # noqa: F401

    import helpers.checks
    from helpers.checks import _base

    checks = {item["check"]: getattr(helpers.checks, item["check"]) for item in job["exercises"]}
    judging: dict[str, Any] = {"secret": int(job["secret"]), "outcomes": []}
    recorded: list[dict[str, Any]] = judging["outcomes"]
    errors_type = _base.ExerciseFailed
    _base._JUDGING = judging
    before = _snapshot()
    results: list[dict[str, Any]] = []
    tampered_by: str | None = None
    for number, item in enumerate(job["exercises"], start=1):
        name = item["name"]
        if tampered_by is not None:
            message = f"not judged: the answer to {tampered_by} changed the checks' code"
            results.append(
                {"name": name, "result": "not judged", "cases": None, "message": message}
            )
            continue
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        start = len(recorded)
        returned, message = False, ""
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            errors = _define(number, item["statements"], namespace)
            if name in namespace:
                try:
                    checks[item["check"]](namespace[name])
                    returned = True
                except errors_type as error:
                    message = str(error)
                except BaseException as error:  # the learner's code raised
                    if isinstance(error, KeyboardInterrupt):
                        raise
                    last = traceback.extract_tb(error.__traceback__)[-1:]
                    where = f" (in {last[0].name})" if last else ""
                    message = f"{type(error).__name__}: {str(error)[:300]}{where}"
        outcomes = recorded[start:]
        tampering = _changed(before)
        result, cases = "failed", None
        if tampering:
            tampered_by = name
            result = "tampered"
            message = "while its check ran, the answer changed " + ", ".join(tampering[:5])
        elif name not in namespace:
            result = "undefined"
            message = f"{name} is not defined by the cells before its check" + (
                f" (a statement that should define it raised {errors[-1]})" if errors else ""
            )
        elif returned and len(outcomes) == 1:
            result, cases = outcomes[0]["result"], outcomes[0]["cases"]
        elif returned:
            message = f"the check recorded {len(outcomes)} results instead of one"
        results.append({"name": name, "result": result, "cases": cases, "message": message})
    return results


def _main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m helpers.checks._recheck JOB.json RESULT.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as file:
        job = json.load(file)
    dump = json.dumps  # kept before any answer runs
    results = _run(job)
    with open(argv[1], "w", encoding="utf-8") as file:
        file.write(dump({"exercises": results}))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
