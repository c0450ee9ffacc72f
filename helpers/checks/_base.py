"""What every exercise check shares: :class:`ExerciseFailed` and the steps, each written once.

Private to :mod:`helpers.checks`: the notebooks call the ``check_*`` functions of the
``nbNN_*`` modules, which are built from these steps. A step that finds a wrong answer raises
:class:`ExerciseFailed` with a message that starts with the exercise's name (``"ShapeLogger: "``
or ``"ShapeLogger(...)"``), says what was expected and what to look at; a step that finds
something that is not an answer at all raises ``TypeError``. Tested in
``tests/checks/test_base.py``.

Every ``check_*`` is decorated with :func:`exercise`, which tells two answers apart from a
learner's own: the **shipped solution** (its source still has the ``### BEGIN SOLUTION``
markers of the full edition: the check runs it and says so instead of "passed") and a **stub**
of the student edition (a body that raises ``NotImplementedError()``: one line, "not written
yet", no traceback).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import numpy as np


class ExerciseFailed(AssertionError):
    """The answer ran but is not right yet; the message says what to look at."""


#: The line that opens a worked solution's body in the full edition (nbgrader's marker).
SOLUTION_MARKER = "### BEGIN SOLUTION"
#: The two lines the student edition puts where a solution's body was (nbgrader's code stub).
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
#: Whether the answer being checked now is the shipped solution (set by :func:`exercise`).
_SHIPPED: contextvars.ContextVar[bool] = contextvars.ContextVar("shipped", default=False)
_Check = TypeVar("_Check", bound=Callable[..., None])
#: Set only in the grader's independent run (:mod:`helpers.checks._recheck`): ``secret``, mixed
#: into every check's random inputs, and ``outcomes``, where the checks record what they found.
_JUDGING: dict[str, Any] | None = None
Result = Literal["passed", "shipped solution", "not written"]
_RESULT = re.compile(
    r"^(?P<name>\w+): (?:passed \((?P<passed>\d+) cases\)$"
    r"|this is the shipped solution \((?P<shipped>\d+) cases pass\)"
    r"|(?P<unwritten>not written yet)\.)"
)


def _require_line_parts(name: object, cases: object = 1) -> None:
    """An exercise's name is an identifier; a count of cases a positive int. TypeError or
    ValueError otherwise, saying what was expected."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"An exercise's name must be an identifier. Received: {name!r}")
    if isinstance(cases, bool) or not isinstance(cases, int):
        kind = type(cases).__name__
        raise TypeError(f"`cases` must be an int. Received: {cases!r} of type {kind}")
    if cases < 1:
        raise ValueError(f"`cases` must be at least 1. Received: {cases}")


def pass_line(name: str, cases: int) -> str:
    """The line a check prints when the learner's answer passed its ``cases``."""
    _require_line_parts(name, cases)
    return f"{name}: passed ({cases} cases)"


def shipped_line(name: str, cases: int) -> str:
    """The line a check prints instead when the answer is the shipped solution."""
    _require_line_parts(name, cases)
    return (
        f"{name}: this is the shipped solution ({cases} cases pass), not your answer: define "
        "yours in a new cell below it, with the same name and without the SOLUTION markers, "
        "and run this check again."
    )


def unwritten_line(name: str) -> str:
    """The one line a check prints for a student-edition stub."""
    _require_line_parts(name)
    return (
        f"{name}: not written yet. Replace `raise NotImplementedError()` (under "
        "`# YOUR CODE HERE`) with your answer, run that cell, then this one again."
    )


def read_result(line: str) -> tuple[str, Result, int | None] | None:
    """``(exercise name, result, cases)`` of a line a check printed; None for any other line.

    >>> read_result("mish: passed (4 cases)")
    ('mish', 'passed', 4)
    >>> read_result(unwritten_line("mish"))
    ('mish', 'not written', None)
    """
    if not isinstance(line, str):
        kind = type(line).__name__
        raise TypeError(f"read_result reads a line of text. Received: {line!r} of type {kind}")
    match = _RESULT.match(line.strip())
    if match is None:
        return None
    if match["passed"]:
        return match["name"], "passed", int(match["passed"])
    if match["shipped"]:
        return match["name"], "shipped solution", int(match["shipped"])
    return match["name"], "not written", None


def _input_rng(seed: int) -> np.random.Generator:
    """The random generator of a check's inputs, seeded with ``seed``; in the grader's
    independent run, with its secret as well: inputs the learner has never seen."""
    if _JUDGING is None:
        return np.random.default_rng(seed)
    return np.random.default_rng([seed, _JUDGING["secret"]])


def _record(name: str, result: Result, cases: int | None = None) -> None:
    """In the grader's independent run, record a check's result (nothing otherwise)."""
    if _JUDGING is not None:
        _JUDGING["outcomes"].append({"name": name, "result": result, "cases": cases})


def _functions_of(answer: object) -> list[Any]:
    """The Python functions whose code defines ``answer``: itself, or a class's own methods."""
    if inspect.isfunction(answer):
        return [answer]
    if not isinstance(answer, type):
        return []
    found = []
    for value in vars(answer).values():
        value = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if inspect.isfunction(value):
            found.append(value)
    return found


def _source_lines(answer: object) -> list[str]:
    """The source lines of ``answer``'s functions (Jupyter keeps each cell's), stripped."""
    lines: list[str] = []
    for function in _functions_of(answer):
        try:
            lines += [line.strip() for line in inspect.getsourcelines(function)[0]]
        except (OSError, TypeError):  # no source: built at run time, or a C function
            continue
    return lines


def _is_shipped_solution(answer: object) -> bool:
    """Whether ``answer`` was defined by a cell that still holds the ``### BEGIN SOLUTION``
    markers: the worked solution of the full edition, not the learner's own answer."""
    return SOLUTION_MARKER in _source_lines(answer)


def _is_unwritten(error: BaseException, answer: object) -> bool:
    """Whether ``error`` (or an error it was raised from) is the ``NotImplementedError()`` of a
    student-edition stub in ``answer``: raised without a message, by ``answer``'s own code or by
    an answer whose source still holds the stub."""
    files = {function.__code__.co_filename for function in _functions_of(answer)}
    lines = _source_lines(answer)
    has_stub = any(lines[i : i + 2] == list(STUB) for i in range(len(lines) - 1))
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current) is NotImplementedError and not current.args:
            frame = current.__traceback__
            while frame is not None and frame.tb_next is not None:
                frame = frame.tb_next
            if has_stub or (frame is not None and frame.tb_frame.f_code.co_filename in files):
                return True
        current = current.__cause__ or current.__context__
    return False


def exercise(check: _Check) -> _Check:
    """Decorate a ``check_*(answer)``: a stub gets one line saying it is not written yet, and
    the shipped solution's pass line says that it is the shipped solution."""
    if not callable(check):
        raise TypeError(f"exercise decorates a check function. Received: {check!r}")

    @functools.wraps(check)
    def checked(answer: object, *args: Any, **kwargs: Any) -> None:
        token = _SHIPPED.set(_is_shipped_solution(answer))
        try:
            check(answer, *args, **kwargs)
        except Exception as error:  # whatever the stub's NotImplementedError was wrapped in
            if not _is_unwritten(error, answer):
                raise
            name = getattr(answer, "__name__", "answer")
            _record(str(name), "not written")
            print(unwritten_line(name))
        finally:
            _SHIPPED.reset(token)

    return checked  # type: ignore[return-value]


class _Cases:
    """The cases of one check that an answer has passed, and the pass line that counts them.

    A check calls ``cases.passed(description)`` after each case it verified and ends with
    ``cases.report()``, which prints ``"<name>: passed (<n> cases)"``: the number is the count
    of cases that really ran, never typed by hand. The notebooks' stored outputs hold these
    lines, so regrouping the cases of a check changes a notebook.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.descriptions: list[str] = []

    def __len__(self) -> int:
        return len(self.descriptions)

    def passed(self, *descriptions: str) -> None:
        """Record one passed case per description."""
        self.descriptions.extend(descriptions)

    def report(self) -> None:
        """Print the pass line; a check that verified nothing has no right to print it.

        For the shipped solution (see :func:`exercise`) the line says so instead of "passed":
        the learner's own answer has not been checked yet.
        """
        if not self.descriptions:
            raise RuntimeError(f"{self.name}: the check ended without passing a single case")
        shipped = _SHIPPED.get()
        _record(self.name, "shipped solution" if shipped else "passed", len(self))
        print((shipped_line if shipped else pass_line)(self.name, len(self)))


def _require_callable(name: str, answer: object) -> Callable[..., Any]:
    """``answer`` must be a function (anything callable); raise TypeError otherwise."""
    if not callable(answer):
        raise TypeError(
            f"The answer to {name!r} must be a function. "
            f"Received: {answer!r} of type {type(answer).__name__}"
        )
    return answer


def _require_subclass(
    name: str, answer: object, base: str = "keras.layers.Layer", call: str = "(...)"
) -> type:
    """``answer`` must be a class derived from ``base``, a public Keras path; else TypeError.

    An instance of ``base`` gets a hint to pass the class instead; ``call`` is how the hint
    writes making an instance: ``"()"`` when the class takes no arguments.
    """
    import keras

    base_class = operator.attrgetter(base.removeprefix("keras."))(keras)
    if isinstance(answer, type) and issubclass(answer, base_class):
        return answer
    instance_hint = (
        f" Pass the class itself, not an instance: {name}, not {name}{call}."
        if isinstance(answer, base_class)
        else ""
    )
    raise TypeError(
        f"The answer to {name!r} must be a subclass of {base}.{instance_hint} "
        f"Received: {answer!r} of type {type(answer).__name__}"
    )


def _construct(
    name: str,
    answer_class: type,
    arguments: Mapping[str, object] | None = None,
    advice: str = "",
) -> Any:
    """``answer_class(**arguments)``; if the learner's constructor raises, ExerciseFailed."""
    arguments = dict(arguments or {})
    written = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    try:
        return answer_class(**arguments)
    except Exception as error:  # any failure to construct
        raise ExerciseFailed(
            f"{name}: {name}({written}) raised {type(error).__name__}: {error}"
            + (f". {advice}" if advice else "")
        ) from error


def _require_value_error(
    name: str, answer_class: type, argument: str, bad_values: tuple[object, ...], requirement: str
) -> None:
    """``answer_class(argument=value)`` must raise ``ValueError`` for each of ``bad_values``.

    ``requirement`` says what a valid value is (``"a positive integer"``). Accepting a bad
    value, or refusing it with another error type, raises ExerciseFailed.
    """
    for value in bad_values:
        written = f"{name}({argument}={value!r})"
        try:
            answer_class(**{argument: value})
        except ValueError:
            continue
        except Exception as error:  # refused, but with the wrong error type
            raise ExerciseFailed(
                f"{written} raised {type(error).__name__}; raise ValueError when `{argument}` "
                f"is not {requirement}."
            ) from error
        raise ExerciseFailed(
            f"{written} was accepted: check `{argument}` in __init__ and raise ValueError, "
            f"saying what was expected, when it is not {requirement}."
        )


def _to_numpy(name: str, value: object) -> np.ndarray:
    """Convert a backend tensor or array-like to NumPy, with an exercise-friendly error."""
    import keras

    expected = f"{name}: expected a tensor or array of numbers, but got {value!r} of type "
    try:
        array = np.asarray(keras.ops.convert_to_numpy(value))
    except Exception as error:  # any failure means "not a tensor"
        raise ExerciseFailed(f"{expected}{type(value).__name__} ({error})") from error
    if not np.issubdtype(array.dtype, np.number):
        raise ExerciseFailed(f"{expected}{type(value).__name__}")
    return array


def _check_shape(
    name: str,
    received: np.ndarray,
    expected: tuple[int, ...],
    hint: str = "",
    *,
    requirement: str = "",
) -> None:
    """Raise ExerciseFailed when ``received`` does not have shape ``expected``.

    The message states the ``requirement``; by default "the output must have shape
    ``expected`` (``hint``)".
    """
    if received.shape != expected:
        requirement = requirement or f"the output must have shape {expected} ({hint})"
        raise ExerciseFailed(f"{name}: {requirement}. Received shape {received.shape}")


def _require_symbolic(
    name: str,
    function: Callable[..., Any],
    *,
    inputs: int,
    expected_shape: tuple[int | None, ...],
    called_on: str,
    context: str,
    advice: str,
) -> None:
    """``function`` called on ``inputs`` ``keras.Input(shape=(3,))`` returns a symbolic tensor.

    Only code written with ``keras.ops`` accepts symbolic tensors, as it must inside a model.
    ``context`` says where that happens, ``advice`` what to use, ``called_on`` how the inputs
    are described in the message about the output's shape.
    """
    import keras

    try:
        output = function(*(keras.Input(shape=(3,)) for _ in range(inputs)))
    except Exception as error:  # whatever breaks on a symbolic tensor
        raise ExerciseFailed(
            f"{name}: it must also work on {context}, but it raised {type(error).__name__}. "
            f"{advice}"
        ) from error
    if not keras.backend.is_keras_tensor(output) or tuple(output.shape) != expected_shape:
        raise ExerciseFailed(
            f"{name}: {called_on} it must return a symbolic tensor of shape {expected_shape}. "
            f"Received: {output!r}"
        )


def _fit_quietly(
    name: str,
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    what: str = "a model that uses the layer",
    advice: str = ("Inside call(), use keras.ops only and change state with variable.assign(...)."),
    error_text: bool = True,
    **fit_arguments: Any,
) -> None:
    """``model.fit(x, y)`` without output and, unless told, without shuffling.

    If the learner's code fails inside training: ExerciseFailed saying ``training {what}
    failed``, the error's type (and text, with ``error_text``), then ``advice``.
    """
    try:
        model.fit(x, y, verbose=0, **{"shuffle": False, **fit_arguments})
    except Exception as error:  # e.g. NumPy or a Python `if` on a tensor inside fit
        detail = type(error).__name__
        if error_text:
            detail += f": {str(error)[:200]}"
        raise ExerciseFailed(f"{name}: training {what} failed ({detail}). {advice}") from error


def _require_gradient_flow(
    name: str, before: Any, train: Callable[[], object], blocked: str
) -> None:
    """After ``train()``, the kernel of ``before``, a built layer placed before the answer's
    layer in the model ``train`` trains, must have changed: the gradient flows through the
    answer's layer. Otherwise ExerciseFailed with ``blocked``.
    """
    kernel = _to_numpy(name, before.kernel).copy()  # a copy: PyTorch may share the memory
    train()
    if np.allclose(kernel, _to_numpy(name, before.kernel)):
        raise ExerciseFailed(f"{name}: {blocked}")


def _reload(name: str, model: Any, hint: str = "") -> Any:
    """Save ``model`` to a ``.keras`` file and load it back, as an exercise check does."""
    from helpers.saving import save_and_load

    try:
        return save_and_load(model, filename=f"{name.lower()}.keras")
    except Exception as error:  # unregistered class, missing config, ...
        raise ExerciseFailed(
            f"{name}: a model using it was saved but could not be loaded "
            f"({type(error).__name__}). Decorate the class with "
            f"@keras.saving.register_keras_serializable(package=...){hint}."
        ) from error


def _require_reloaded_class(
    name: str, loaded: Any, index: Literal[0, -1], answer_class: type
) -> Any:
    """The layer at ``index`` of the reloaded model ``loaded`` must be ``answer_class`` itself.

    Otherwise Keras found another class registered under the same name (an earlier version
    of the answer, say): ExerciseFailed.
    """
    layer = loaded.layers[index]
    if type(layer) is not answer_class:
        position = {0: "first", -1: "last"}[index]
        raise ExerciseFailed(
            f"{name}: the loaded model's {position} layer is a {type(layer).__name__}, "
            f"not your {name}: register the class you are checking."
        )
    return layer


def _identity_model(layer: Any, features: int, *, dense_before: bool = False) -> Any:
    """``layer`` followed by a Dense(1), optionally after a Dense(features); compiled with
    SGD and seeded: the model the checks train an answer's layer in."""
    import keras

    from helpers.env import seed_everything

    seed_everything(0)  # keras.utils.set_random_seed would import TensorFlow on any backend
    before = [keras.layers.Dense(features)] if dense_before else []
    model = keras.Sequential(
        [keras.Input(shape=(features,)), *before, layer, keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model
