"""Tests for :mod:`helpers.checks._base`, the steps every exercise check shares.

Also the one table of what is not an answer at all, run through every check of
``helpers.checks`` (discovered, so a new check is covered the day it is added): each refuses it
with the ``TypeError`` of the shared steps ``_require_callable`` / ``_require_subclass``.
"""

from __future__ import annotations

import inspect
import re

import keras
import numpy as np
import pytest

from helpers import checks
from helpers.checks import _base
from tests.checks.expect import expect_refusal

# --- what is not an answer, for every check --------------------------------------------

CHECKS = [function for name, function in inspect.getmembers(checks) if name.startswith("check_")]


def wants_a_class(check) -> bool:
    """Checks of a class name their one parameter ``*_class``; the others take a function."""
    (parameter,) = inspect.signature(check).parameters
    return parameter.endswith("_class")


NOT_ANSWERS = [
    pytest.param(None, id="None"),
    pytest.param(42, id="int"),
    pytest.param(2.0, id="float"),
    pytest.param("x - x.mean()", id="str"),
    # Functions: answers for most checks, but not where a class is expected.
    pytest.param(len, id="builtin-function"),
    pytest.param(lambda x: x, id="lambda"),
    pytest.param(np.clip, id="numpy-function"),
]
REFUSALS = [
    pytest.param(check, *answer.values, id=f"{check.__name__}-{answer.id}")
    for check in CHECKS
    for answer in NOT_ANSWERS
    if wants_a_class(check) or not callable(answer.values[0])
]


def test_checks_are_discovered_of_both_kinds():
    assert len(CHECKS) >= 15
    assert any(wants_a_class(check) for check in CHECKS)
    assert not all(wants_a_class(check) for check in CHECKS)


@pytest.mark.parametrize(("check", "answer"), REFUSALS)
def test_every_check_refuses_what_is_not_an_answer(check, answer, capsys):
    kind = r"a subclass of keras(\.\w+)+" if wants_a_class(check) else "a function"
    received = re.escape(f"Received: {answer!r} of type {type(answer).__name__}")
    expect_refusal(check, answer, rf"must be {kind}\. {received}$", capsys, error=TypeError)


def test_exercise_failed_is_an_assertion_error():
    """Notebooks show a failed check like a failed ``assert``."""
    assert issubclass(checks.ExerciseFailed, AssertionError)
    assert checks.ExerciseFailed is _base.ExerciseFailed


# --- _Cases: the pass line counts the cases --------------------------------------------


def test_cases_count_what_passed_and_print_the_pass_line(capsys):
    cases = _base._Cases("mish")
    cases.passed("the values")
    cases.passed("the derivative", "a symbolic input")
    assert len(cases) == 3
    cases.report()
    assert capsys.readouterr().out == "mish: passed (3 cases)\n"


def test_cases_refuse_to_report_a_check_that_verified_nothing(capsys):
    with pytest.raises(RuntimeError, match="without passing a single case"):
        _base._Cases("mish").report()
    assert capsys.readouterr().out == ""


# --- exercise: the shipped solution and the student edition's stubs -------------------


def shipped_double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


def own_double(x):
    return 2 * x


def stub_double(x):
    # YOUR CODE HERE
    raise NotImplementedError()


class ShippedLayer(keras.layers.Layer):
    "A docstring stays in the student edition."

    def call(self, x):
        ### BEGIN SOLUTION
        return x
        ### END SOLUTION


class HalfWrittenLayer(keras.layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones")

    def call(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()


class ForgotUpdateState(keras.metrics.Metric):
    """Keras' own Metric.update_state raises a bare NotImplementedError: a wrong answer."""

    def result(self):
        return 0.0


@_base.exercise
def check_double(double):
    """A check built like the real ones: it calls the answer, then reports."""
    cases = _base._Cases(getattr(double, "__name__", "double"))
    if double(3) != 6:
        raise checks.ExerciseFailed("double: double(3) must be 6")
    cases.passed("double(3)")
    cases.report()


@_base.exercise
def check_layer(layer_class):
    """Wraps what the answer raises, as _construct and _fit_quietly do."""
    cases = _base._Cases(layer_class.__name__)
    try:
        if issubclass(layer_class, keras.metrics.Metric):
            layer_class().update_state(np.ones(2), np.ones(2))
        else:
            layer_class()(np.ones((1, 2)))
    except Exception as error:
        raise checks.ExerciseFailed(f"{layer_class.__name__}: it raised {error!r}") from error
    cases.passed("called")
    cases.report()


def test_a_learners_answer_passes(capsys):
    check_double(own_double)
    assert capsys.readouterr().out == "own_double: passed (1 cases)\n"


def test_the_shipped_solution_is_run_and_named_not_passed(capsys):
    check_double(shipped_double)
    out = capsys.readouterr().out
    assert out == _base.shipped_line("shipped_double", 1) + "\n"
    assert "passed" not in out
    assert _base._is_shipped_solution(ShippedLayer)
    assert not _base._is_shipped_solution(own_double)
    assert not _base._is_shipped_solution(len)


def test_the_shipped_solution_still_fails_loudly_when_wrong():
    def shipped_wrong(x):
        ### BEGIN SOLUTION
        return x
        ### END SOLUTION

    with pytest.raises(checks.ExerciseFailed, match="must be 6"):
        check_double(shipped_wrong)


def test_after_a_shipped_check_the_next_answer_is_judged_on_its_own(capsys):
    check_double(shipped_double)
    check_double(own_double)
    assert capsys.readouterr().out.splitlines()[-1] == "own_double: passed (1 cases)"


@pytest.mark.parametrize("answer", [stub_double, HalfWrittenLayer], ids=["function", "method"])
def test_a_stub_gets_one_line_and_no_traceback(answer, capsys):
    check = check_double if answer is stub_double else check_layer
    check(answer)  # returns: a learner running the notebook top to bottom is not stopped
    out = capsys.readouterr().out
    assert out.splitlines() == [_base.unwritten_line(answer.__name__)]
    assert "Traceback" not in out


def test_a_not_implemented_error_of_keras_is_a_wrong_answer_not_a_stub():
    with pytest.raises(checks.ExerciseFailed, match="NotImplementedError"):
        check_layer(ForgotUpdateState)


def test_an_empty_not_implemented_error_elsewhere_is_not_a_stub():
    library = eval(compile("lambda: (_ for _ in ()).throw(NotImplementedError())", "<lib>", "eval"))

    def calls_library(x):
        return library()  # a library raising a bare NotImplementedError: no stub, not its code

    with pytest.raises(NotImplementedError):
        check_double(calls_library)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("mish: passed (3 cases)", ("mish", "passed", 3)),
        (_base.shipped_line("ShapeLogger", 4), ("ShapeLogger", "shipped solution", 4)),
        (_base.unwritten_line("ShapeLogger"), ("ShapeLogger", "not written", None)),
        ("mish: passed (3 cases) and more", None),
        ("print('mish: passed')", None),
        ("", None),
    ],
)
def test_read_result_reads_the_three_lines_back(line, expected):
    assert checks.read_result(line) == expected


def test_the_lines_and_the_decorator_refuse_bad_input():
    with pytest.raises(TypeError, match="reads a line of text"):
        checks.read_result(None)
    with pytest.raises(ValueError, match="must be an identifier"):
        _base.pass_line("two words", 3)
    with pytest.raises(TypeError, match="`cases` must be an int"):
        _base.shipped_line("mish", 3.0)
    with pytest.raises(ValueError, match="at least 1"):
        _base.pass_line("mish", 0)
    with pytest.raises(ValueError, match="must be an identifier"):
        _base.unwritten_line("")
    with pytest.raises(TypeError, match="decorates a check function"):
        _base.exercise("check_mish")


# --- answers of the wrong kind ---------------------------------------------------------


def test_require_callable_returns_the_answer():
    assert _base._require_callable("f", len) is len


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(3, r"'f' must be a function\. Received: 3 of type int$", id="int"),
        pytest.param(None, "Received: None of type NoneType$", id="None"),
    ],
)
def test_require_callable_refuses_what_cannot_be_called(answer, match):
    with pytest.raises(TypeError, match=match):
        _base._require_callable("f", answer)


class Identity(keras.layers.Layer):
    def call(self, inputs):
        return inputs


class Clip(keras.constraints.Constraint):
    def __call__(self, w):
        return keras.ops.clip(w, 0.0, 1.0)


def test_require_subclass_returns_the_class():
    assert _base._require_subclass("Identity", Identity) is Identity
    assert _base._require_subclass("Clip", Clip, "keras.constraints.Constraint") is Clip


@pytest.mark.parametrize(
    ("answer", "base", "call", "match"),
    [
        pytest.param(
            3,
            "keras.layers.Layer",
            "(...)",
            r"must be a subclass of keras\.layers\.Layer\. Received: 3 of type int$",
            id="int",
        ),
        pytest.param(
            Identity(),
            "keras.layers.Layer",
            "(...)",
            r"not an instance: Layer, not Layer\(\.\.\.\)\. Received: <Identity",
            id="instance",
        ),
        pytest.param(
            Clip(),
            "keras.constraints.Constraint",
            "()",
            r"Constraint\. Pass the class itself, not an instance: Layer, not Layer\(\)\.",
            id="constraint-instance",
        ),
        pytest.param(
            Identity,
            "keras.constraints.Constraint",
            "()",
            r"must be a subclass of keras\.constraints\.Constraint\. Received: <class",
            id="other-base",
        ),
    ],
)
def test_require_subclass_refuses_what_is_not_such_a_class(answer, base, call, match):
    with pytest.raises(TypeError, match=match):
        _base._require_subclass("Layer", answer, base, call)


# --- running the learner's code --------------------------------------------------------


class NeedsUnits(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        if units < 1:
            raise ValueError("units must be positive")
        self.units = units


def test_construct_passes_the_arguments():
    assert _base._construct("NeedsUnits", NeedsUnits, {"units": 3}).units == 3


@pytest.mark.parametrize(
    ("arguments", "advice", "match"),
    [
        pytest.param(
            {"units": 0},
            "",
            r"^NeedsUnits: NeedsUnits\(units=0\) raised ValueError: units must be positive$",
            id="raises",
        ),
        pytest.param(
            None,
            "Give units a default.",
            r"^NeedsUnits: NeedsUnits\(\) raised TypeError: .*units.*\. Give units a default\.$",
            id="missing-argument-with-advice",
        ),
    ],
)
def test_construct_turns_a_failing_constructor_into_exercise_failed(arguments, advice, match):
    with pytest.raises(checks.ExerciseFailed, match=match):
        _base._construct("NeedsUnits", NeedsUnits, arguments, advice)


def test_to_numpy_converts_tensors():
    array = _base._to_numpy("f", keras.ops.ones((2, 3)))
    assert isinstance(array, np.ndarray)
    assert array.shape == (2, 3)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        pytest.param(None, "^f: expected a tensor or array of numbers, but got None", id="None"),
        pytest.param("abc", "but got 'abc' of type str", id="str"),
        pytest.param(object(), "of type object", id="object"),
    ],
)
def test_to_numpy_refuses_what_is_not_numbers(value, match):
    with pytest.raises(checks.ExerciseFailed, match=match):
        _base._to_numpy("f", value)


def test_check_shape_accepts_the_expected_shape():
    _base._check_shape("f", np.zeros((2, 3)), (2, 3), "hint")


@pytest.mark.parametrize(
    ("hint", "requirement", "match"),
    [
        pytest.param(
            "the hint",
            "",
            r"^f: the output must have shape \(2, 3\) \(the hint\)\. Received shape \(3,\)$",
            id="hint",
        ),
        pytest.param(
            "",
            "it must keep the shape",
            r"^f: it must keep the shape\. Received shape \(3,\)$",
            id="requirement",
        ),
    ],
)
def test_check_shape_refuses_another_shape(hint, requirement, match):
    with pytest.raises(checks.ExerciseFailed, match=match):
        _base._check_shape("f", np.zeros(3), (2, 3), hint, requirement=requirement)


SYMBOLIC_TEXTS = {
    "called_on": "on keras.Input(shape=(3,))",
    "context": "a symbolic keras.Input, as in a model",
    "advice": "Use keras.ops.",
}


def test_require_symbolic_accepts_keras_ops_code():
    _base._require_symbolic(
        "f", keras.ops.tanh, inputs=1, expected_shape=(None, 3), **SYMBOLIC_TEXTS
    )
    _base._require_symbolic(
        "f", keras.ops.add, inputs=2, expected_shape=(None, 3), **SYMBOLIC_TEXTS
    )


def numpy_tanh(x):
    return np.tanh(np.asarray(x))


@pytest.mark.parametrize(
    ("function", "match"),
    [
        pytest.param(
            numpy_tanh,
            r"^f: it must also work on a symbolic keras\.Input, as in a model, but it raised "
            r"\w+\. Use keras\.ops\.$",
            id="numpy",
        ),
        pytest.param(
            keras.ops.sum,
            r"^f: on keras\.Input\(shape=\(3,\)\) it must return a symbolic tensor of shape "
            r"\(None, 3\)\. Received: <KerasTensor",
            id="wrong-shape",
        ),
    ],
)
def test_require_symbolic_refuses_code_that_fails_on_symbolic_tensors(function, match):
    with pytest.raises(checks.ExerciseFailed, match=match):
        _base._require_symbolic("f", function, inputs=1, expected_shape=(None, 3), **SYMBOLIC_TEXTS)


# --- training and saving ---------------------------------------------------------------


def model_around(layer):
    """Dense -> layer -> Dense on 3 features, compiled with SGD; the first Dense built."""
    first = keras.layers.Dense(3)
    first.build((None, 3))
    model = keras.Sequential([keras.Input(shape=(3,)), first, layer, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


X = np.linspace(-1.0, 1.0, 12, dtype="float32").reshape(4, 3)
Y = np.ones((4, 1), "float32")


class StopsGradient(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.stop_gradient(inputs)


class NumpyInCall(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.convert_to_tensor(np.asarray(inputs) * 2.0)


def test_fit_quietly_trains():
    model = model_around(Identity())
    before = keras.ops.convert_to_numpy(model.layers[0].kernel).copy()
    _base._fit_quietly("f", model, X, Y, epochs=1)
    assert not np.allclose(before, keras.ops.convert_to_numpy(model.layers[0].kernel))


@pytest.mark.parametrize(
    ("texts", "match"),
    [
        pytest.param(
            {},
            r"(?s)^f: training a model that uses the layer failed \(\w+: .+\)\. "
            r"Inside call\(\), use keras\.ops only",
            id="default",
        ),
        pytest.param(
            {"what": "with the constraint", "advice": "Use ops.", "error_text": False},
            r"^f: training with the constraint failed \(\w+\)\. Use ops\.$",
            id="without-error-text",
        ),
    ],
)
def test_fit_quietly_turns_a_failing_fit_into_exercise_failed(texts, match):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    wrong_targets = np.ones((5, 1), "float32")  # 4 samples, 5 targets: fit raises
    with pytest.raises(checks.ExerciseFailed, match=match):
        _base._fit_quietly("f", model, X, wrong_targets, **texts)


def test_require_gradient_flow_accepts_a_layer_the_gradient_goes_through():
    model = model_around(Identity())
    _base._require_gradient_flow(
        "f", model.layers[0], lambda: _base._fit_quietly("f", model, X, Y), "blocked"
    )


@pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning")
def test_require_gradient_flow_refuses_a_layer_that_blocks_the_gradient():
    model = model_around(StopsGradient())
    with pytest.raises(checks.ExerciseFailed, match=r"^f: the layer blocks the gradient$"):
        _base._require_gradient_flow(
            "f",
            model.layers[0],
            lambda: _base._fit_quietly("f", model, X, Y),
            "the layer blocks the gradient",
        )


def test_require_gradient_flow_lets_training_failures_through():
    model = model_around(Identity())

    def train():
        raise checks.ExerciseFailed("f: training failed")

    with pytest.raises(checks.ExerciseFailed, match=r"^f: training failed$"):
        _base._require_gradient_flow("f", model.layers[0], train, "blocked")


@keras.saving.register_keras_serializable(package="tests_checks_base")
class RegisteredIdentity(keras.layers.Layer):
    def call(self, inputs):
        return inputs


class UnregisteredIdentity(keras.layers.Layer):
    def call(self, inputs):
        return inputs


def test_reload_and_require_reloaded_class_accept_a_registered_layer():
    model = model_around(RegisteredIdentity())
    loaded = _base._reload("RegisteredIdentity", model)
    assert _base._require_reloaded_class("f", loaded, -1, keras.layers.Dense) is loaded.layers[-1]
    assert type(loaded.layers[1]) is RegisteredIdentity


def test_reload_refuses_an_unregistered_layer():
    model = model_around(UnregisteredIdentity())
    with pytest.raises(
        checks.ExerciseFailed,
        match=r"^Unregistered: a model using it was saved but could not be loaded \(\w+\)\. "
        r"Decorate the class with @keras\.saving\.register_keras_serializable\(package=\.\.\.\) "
        r"and register it\.$",
    ):
        _base._reload("Unregistered", model, " and register it")


@pytest.mark.parametrize(
    ("index", "position"),
    [pytest.param(0, "first", id="first"), pytest.param(-1, "last", id="last")],
)
def test_require_reloaded_class_refuses_another_class(index, position):
    loaded = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(3), Identity()])
    match = (
        rf"^Clip: the loaded model's {position} layer is a \w+, not your Clip: register the "
        r"class you are checking\.$"
    )
    with pytest.raises(checks.ExerciseFailed, match=match):
        _base._require_reloaded_class("Clip", loaded, index, Clip)


class _Positive:
    """Takes `size`; refuses what is not a positive int with ValueError."""

    def __init__(self, size=1):
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"`size` must be a positive integer. Received: size={size!r}")


class _AcceptsAnything:
    def __init__(self, size=1):
        self.size = size


class _RefusesWithTypeError:
    def __init__(self, size=1):
        if not isinstance(size, int) or size < 1:
            raise TypeError("size")


def test_require_value_error_accepts_a_class_that_refuses_each_bad_value():
    _base._require_value_error("Sized", _Positive, "size", (0, -3, 2.5), "a positive integer")


@pytest.mark.parametrize(
    ("answer_class", "match"),
    [
        pytest.param(
            _AcceptsAnything,
            r"^Sized\(size=0\) was accepted: check `size` in __init__ and raise ValueError, "
            r"saying what was expected, when it is not a positive integer\.$",
            id="accepted",
        ),
        pytest.param(
            _RefusesWithTypeError,
            r"^Sized\(size=0\) raised TypeError; raise ValueError when `size` is not a "
            r"positive integer\.$",
            id="type-error",
        ),
    ],
)
def test_require_value_error_refuses_a_class_that_does_not(answer_class, match):
    with pytest.raises(checks.ExerciseFailed, match=match):
        _base._require_value_error("Sized", answer_class, "size", (0, -3), "a positive integer")
