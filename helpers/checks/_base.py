"""What every exercise check shares: :class:`ExerciseFailed` and the steps, each written once.

Private to :mod:`helpers.checks`: the notebooks call the ``check_*`` functions of the
``nbNN_*`` modules, which are built from these steps. A step that finds a wrong answer raises
:class:`ExerciseFailed` with a message that starts with the exercise's name (``"ShapeLogger: "``
or ``"ShapeLogger(...)"``), says what was expected and what to look at; a step that finds
something that is not an answer at all raises ``TypeError``. Tested in
``tests/checks/test_base.py``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np


class ExerciseFailed(AssertionError):
    """The answer ran but is not right yet; the message says what to look at."""


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
        """Print the pass line; a check that verified nothing has no right to print it."""
        if not self.descriptions:
            raise RuntimeError(f"{self.name}: the check ended without passing a single case")
        print(f"{self.name}: passed ({len(self)} cases)")


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
