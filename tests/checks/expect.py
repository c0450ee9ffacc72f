"""How a test of an exercise check ends: the answer passes, or it is refused. Not a test module.

``expect_pass`` and ``expect_refusal`` are the only two ways the ``tests/checks/test_nb*.py``
modules run a check. Both take the exercise's name (which starts the pass line and every
message of a check) from the notebook that calls the check. Its stored output holds the line
the check printed for the shipped solution, e.g. ``ShapeLogger: this is the shipped solution
(4 cases pass), ...``; a learner's passing answer must print the pass line with the same name
and count, ``ShapeLogger: passed (4 cases)``, so these tests also pin what the notebooks
compare.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable

import pytest

from helpers.checks import ExerciseFailed, read_result
from helpers.checks._base import pass_line
from tools.project import NOTEBOOKS

CHECK_CALL = re.compile(r"\bhelpers\.checks\.(check_\w+)\(")


@functools.cache
def checks_called_by_notebooks() -> dict[str, dict[str, str]]:
    """``{notebook stem: {check name: its pass line}}`` for every stored notebook.

    A check cell calls one check; its pass line is the one a learner's passing answer prints,
    with the name and count of the stored line the check printed for the shipped solution
    (empty when the cell has no such line).
    """
    calls: dict[str, dict[str, str]] = {}
    for path in NOTEBOOKS:
        calls[path.stem] = {}
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            results = [
                read_result(line)
                for output in cell.get("outputs", [])
                for line in "".join(output.get("text", "")).splitlines()
            ]
            printed = [
                pass_line(result[0], result[2])
                for result in results
                if result is not None and result[2] is not None
            ]
            for check in CHECK_CALL.findall("".join(cell["source"])):
                calls[path.stem][check] = printed[0] if len(printed) == 1 else ""
    return calls


def _stored_pass_line(check: Callable[[object], None]) -> str:
    for called in checks_called_by_notebooks().values():
        if called.get(check.__name__):
            return called[check.__name__]
    raise AssertionError(
        f"no notebook stores the pass line of helpers.checks.{check.__name__}: call it in a "
        "check cell of its notebook and store the outputs (make execute)"
    )


def exercise_name(check: Callable[[object], None]) -> str:
    """The name a check's pass line and messages start with (``ShapeLogger``, ``mish``)."""
    return _stored_pass_line(check).split(": passed (")[0]


def expect_pass(check: Callable[[object], None], answer: object, capsys) -> None:
    """``check(answer)`` passes, printing exactly the pass line its notebook stores."""
    expected = _stored_pass_line(check)
    check(answer)
    assert capsys.readouterr().out.splitlines() == [expected]


def expect_refusal(
    check: Callable[[object], None],
    answer: object,
    match: str,
    capsys,
    *,
    error: type[Exception] = ExerciseFailed,
) -> str:
    """``check(answer)`` raises ``error`` matching ``match``, named for the exercise, silently.

    ``error`` is :class:`ExerciseFailed` for a wrong answer, whose message starts with the
    exercise's name and then ``:`` or ``(``; it is ``TypeError`` for what is not an answer at
    all, whose message starts ``The answer to '<name>' must be``. Either way nothing may say
    "passed". Returns the message, for tests that read more of it.
    """
    assert error in (ExerciseFailed, TypeError), f"a check refuses with these only: {error}"
    name = exercise_name(check)
    with pytest.raises(error, match=match) as refusal:
        check(answer)
    message = str(refusal.value)
    if error is TypeError:
        assert message.startswith(f"The answer to {name!r} must be "), message
    else:
        assert re.match(rf"{re.escape(name)}[:(]", message), message
    assert "passed" not in capsys.readouterr().out
    return message
