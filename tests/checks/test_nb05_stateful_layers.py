"""Tests for :mod:`helpers.checks.nb05_stateful_layers`: right answers pass, typical mistakes
are refused.

The answers are written with ``keras.ops``, so this file runs on whichever backend
``KERAS_BACKEND`` selects. What is not an answer at all (``None``, a number, a function where a
class is expected) is refused by every check; ``tests/checks/test_base.py`` tests that once for
all of them.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

from helpers import checks
from tests.checks.expect import expect_pass, expect_refusal

# --- ExponentialMovingAverage ----------------------------------------------------------


class MovingAverageCorrect(keras.layers.Layer):
    def __init__(self, momentum=0.9, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def build(self, input_shape):
        self.average = self.add_weight(
            name="average", shape=(input_shape[-1],), initializer="zeros", trainable=False
        )

    def call(self, inputs, training=False):
        if training:
            batch_mean = keras.ops.mean(inputs, axis=0)
            self.average.assign(self.momentum * self.average + (1 - self.momentum) * batch_mean)
        return inputs


class MovingAverageReadsInPython(MovingAverageCorrect):
    """The batch mean computed in NumPy: fine eagerly, not in a compiled fit."""

    def call(self, inputs, training=False):
        if training:
            batch_mean = np.mean(keras.ops.convert_to_numpy(inputs), axis=0)
            self.average.assign(self.momentum * self.average + (1 - self.momentum) * batch_mean)
        return inputs


class MovingAverageAlwaysUpdates(MovingAverageCorrect):
    def call(self, inputs, training=False):
        return super().call(inputs, training=True)


class MovingAverageSwappedMomentum(MovingAverageCorrect):
    def call(self, inputs, training=False):
        if training:
            batch_mean = keras.ops.mean(inputs, axis=0)
            self.average.assign((1 - self.momentum) * self.average + self.momentum * batch_mean)
        return inputs


class MovingAverageTrainable(MovingAverageCorrect):
    def build(self, input_shape):
        self.average = self.add_weight(
            name="average", shape=(input_shape[-1],), initializer="zeros", trainable=True
        )


class MovingAverageReturnsAverage(MovingAverageCorrect):
    def call(self, inputs, training=False):
        super().call(inputs, training=training)
        return keras.ops.zeros_like(inputs) + self.average


class MovingAverageInPython(keras.layers.Layer):
    """Keeps the average in a Python attribute: right in eager calls, lost inside fit."""

    def __init__(self, momentum=0.9, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.average = None

    def call(self, inputs, training=False):
        if training:
            mean = keras.ops.convert_to_numpy(keras.ops.mean(inputs, axis=0))
            old = 0.0 if self.average is None else self.average
            self.average = self.momentum * old + (1 - self.momentum) * mean
        return inputs


class MovingAverageThreeFeatures(MovingAverageCorrect):
    def build(self, input_shape):
        self.average = self.add_weight(
            name="average", shape=(3,), initializer="zeros", trainable=False
        )


class MovingAverageDividesByFive(MovingAverageCorrect):
    def call(self, inputs, training=False):
        if training:
            batch_mean = keras.ops.sum(inputs, axis=0) / 5
            self.average.assign(self.momentum * self.average + (1 - self.momentum) * batch_mean)
        return inputs


class MovingAverageStopsGradient(MovingAverageCorrect):
    def call(self, inputs, training=False):
        return keras.ops.stop_gradient(super().call(inputs, training=training))


class MovingAverageTrainsByDefault(MovingAverageCorrect):
    def call(self, inputs, training=True):
        return super().call(inputs, training=training)


@pytest.mark.parametrize("answer", [pytest.param(MovingAverageCorrect, id="assign")])
def test_check_moving_average_passes_right_answers(answer, capsys):
    expect_pass(checks.check_moving_average, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(
            MovingAverageAlwaysUpdates,
            r"training=False\ changed\ the\ average",
            id="always-updates",
        ),
        pytest.param(
            MovingAverageSwappedMomentum,
            r"on\ a\ batch\ of\ 5\ samples\ the\ average\ should\ be",
            id="swapped-momentum",
        ),
        pytest.param(MovingAverageTrainable, r"is\ trainable", id="trainable"),
        pytest.param(
            MovingAverageReturnsAverage, r"return\ its\ input\ unchanged", id="returns-average"
        ),
        pytest.param(
            MovingAverageInPython, r"must\ be\ a\ weight\ made\ with", id="python-attribute"
        ),
        pytest.param(
            MovingAverageThreeFeatures,
            r"calling\ the\ layer\ on\ a\ batch\ of\ shape\ \(5,\ 4\)\ raised",
            id="fixed-features",
        ),
        pytest.param(
            MovingAverageDividesByFive, r"on\ a\ batch\ of\ 2\ samples", id="divides-by-five"
        ),
        pytest.param(MovingAverageStopsGradient, r"blocks\ the\ gradient", id="stop-gradient"),
        pytest.param(
            MovingAverageReadsInPython,
            r"Inside\ call\(\),\ use\ keras\.ops\ only",
            id="numpy-mean",
        ),
        pytest.param(
            MovingAverageTrainsByDefault,
            r"a\ call\ with\ no\ training\ argument\ changed\ the\ average",
            id="trains-by-default",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning")  # the blocked one
def test_check_moving_average_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_moving_average, answer, match, capsys)


# --- CallCounter -----------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="tests_checks_nb05")
class CallCounterCorrect(keras.layers.Layer):
    def build(self, input_shape):
        self.calls = self.add_weight(
            name="calls", shape=(), initializer="zeros", dtype="int32", trainable=False
        )

    def call(self, inputs, training=False):
        if training:
            self.calls.assign_add(1)
        return inputs


@keras.saving.register_keras_serializable(package="tests_checks_nb05")
class CallCounterFloat(keras.layers.Layer):
    """A float counter is fine too."""

    def build(self, input_shape):
        self.calls = self.add_weight(name="calls", shape=(), initializer="zeros", trainable=False)

    def call(self, inputs, training=False):
        if training:
            self.calls.assign_add(1.0)
        return inputs


@keras.saving.register_keras_serializable(package="tests_checks_nb05")
class CallCounterCountsEverything(CallCounterCorrect):
    def call(self, inputs, training=False):
        self.calls.assign_add(1)
        return inputs


@keras.saving.register_keras_serializable(package="tests_checks_nb05")
class CallCounterCountsSamples(CallCounterCorrect):
    def call(self, inputs, training=False):
        if training:
            self.calls.assign_add(keras.ops.cast(keras.ops.shape(inputs)[0], "int32"))
        return inputs


class CallCounterUnregistered(CallCounterCorrect):
    pass


@keras.saving.register_keras_serializable(package="tests_checks_nb05")
class CallCounterReadsInPython(CallCounterCorrect):
    """Adds one to the count read back as a Python int: fine eagerly, not in a compiled fit."""

    def call(self, inputs, training=False):
        if training:
            self.calls.assign(int(keras.ops.convert_to_numpy(self.calls)) + 1)
        return inputs


@keras.saving.register_keras_serializable(package="tests_checks_nb05")
class CallCounterNotSaved(keras.layers.Layer):
    """Counts in a variable that is not tracked as a weight, so the file does not keep it."""

    def build(self, input_shape):
        self.calls = self.add_weight(
            name="calls", shape=(), initializer="zeros", dtype="int32", trainable=False
        )

    def call(self, inputs, training=False):
        if training:
            self.calls.assign_add(1)
        return inputs

    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(CallCounterCorrect, id="int-counter"),
        pytest.param(CallCounterFloat, id="float-counter"),
    ],
)
def test_check_call_counter_passes_right_answers(answer, capsys):
    expect_pass(checks.check_call_counter, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(
            CallCounterCountsEverything, r"predict\(\)\ changed\ the\ count", id="counts-everything"
        ),
        pytest.param(
            CallCounterCountsSamples,
            r"6\ training\ batches;\ the\ counter\ reads\ 24",
            id="counts-samples",
        ),
        pytest.param(CallCounterUnregistered, r"register_keras_serializable", id="unregistered"),
        pytest.param(
            CallCounterReadsInPython,
            r"Inside\ call\(\),\ use\ keras\.ops\ only",
            id="python-int",
        ),
        pytest.param(
            CallCounterNotSaved, r"after\ save\ and\ load\ the\ counter\ reads\ 0", id="not-saved"
        ),
    ],
)
def test_check_call_counter_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_call_counter, answer, match, capsys)


# --- ResettingSum ----------------------------------------------------------------------


class ResettingSumCorrect(keras.layers.Layer):
    def __init__(self, period, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(period, int) or period < 1:
            raise ValueError(f"`period` must be a positive integer. Received: period={period!r}")
        self.period = period

    def build(self, input_shape):
        self.total = self.add_weight(
            name="total", shape=(input_shape[-1],), initializer="zeros", trainable=False
        )
        self.batches = self.add_weight(
            name="batches", shape=(), initializer="zeros", dtype="int32", trainable=False
        )

    def start_over(self):
        return keras.ops.equal(self.batches % self.period, 0)

    def call(self, inputs):
        previous = keras.ops.where(self.start_over(), 0.0, self.total.value)
        self.total.assign(previous + keras.ops.sum(inputs, axis=0))
        self.batches.assign_add(1)
        return inputs


class ResettingSumUnvalidated(ResettingSumCorrect):
    def __init__(self, period, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        self.period = period


class ResettingSumOffByOne(ResettingSumCorrect):
    def start_over(self):
        return keras.ops.equal(self.batches % (self.period + 1), 0)


class ResettingSumNeverResets(ResettingSumCorrect):
    def start_over(self):
        return keras.ops.equal(self.batches, -1)


class ResettingSumPythonIf(ResettingSumCorrect):
    """Right in eager calls; reads the counter in Python, which no compiled step can do."""

    def call(self, inputs):
        if int(keras.ops.convert_to_numpy(self.batches)) % self.period == 0:
            self.total.assign(keras.ops.zeros_like(self.total.value))
        self.total.assign(self.total + keras.ops.sum(inputs, axis=0))
        self.batches.assign_add(1)
        return inputs


class ResettingSumPythonIfOnTensor(ResettingSumCorrect):
    """`if tensor:`, the most common Python `if`: right eagerly, not in a compiled step."""

    def call(self, inputs):
        if self.batches % self.period == 0:
            self.total.assign(keras.ops.zeros_like(self.total.value))
        self.total.assign(self.total + keras.ops.sum(inputs, axis=0))
        self.batches.assign_add(1)
        return inputs


class ResettingSumCountsSamples(ResettingSumCorrect):
    def call(self, inputs):
        previous = keras.ops.where(self.start_over(), 0.0, self.total.value)
        self.total.assign(previous + keras.ops.sum(inputs, axis=0))
        self.batches.assign_add(keras.ops.cast(keras.ops.shape(inputs)[0], "int32"))
        return inputs


class ResettingSumZeroesAfterwards(ResettingSumCorrect):
    """Empties the weight at the end of each period instead of at the start of the next."""

    def call(self, inputs):
        total = self.total + keras.ops.sum(inputs, axis=0)
        self.batches.assign_add(1)
        self.total.assign(keras.ops.where(self.start_over(), 0.0, total))
        return inputs


class ResettingSumReturnsTotal(ResettingSumCorrect):
    """The pattern section 2 argues against: returns its state, broadcast to the input."""

    def call(self, inputs):
        super().call(inputs)
        return keras.ops.zeros_like(inputs) + self.total


class ResettingSumOnlyPositive(ResettingSumCorrect):
    def __init__(self, period, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        if period <= 0:
            raise ValueError(f"`period` must be positive. Received: period={period!r}")
        self.period = period


@pytest.mark.parametrize("answer", [pytest.param(ResettingSumCorrect, id="ops-where")])
def test_check_resetting_sum_passes_right_answers(answer, capsys):
    expect_pass(checks.check_resetting_sum, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(
            ResettingSumUnvalidated, r"ResettingSum\(period=0\)\ was\ accepted", id="unvalidated"
        ),
        pytest.param(
            ResettingSumOnlyPositive,
            r"ResettingSum\(period=2\.5\)\ was\ accepted",
            id="float-period",
        ),
        pytest.param(
            ResettingSumCountsSamples,
            r"after\ call\ 6\ \(a\ batch\ of\ 3\)\ `total`\ should\ hold",
            id="counts-samples",
        ),
        pytest.param(
            ResettingSumZeroesAfterwards,
            r"after\ call\ 3\ \(a\ batch\ of\ 1\)\ `total`\ should\ hold",
            id="zeroes-afterwards",
        ),
        pytest.param(
            ResettingSumReturnsTotal,
            r"must\ return\ its\ input\ unchanged.*never\ return\ the\ state",
            id="returns-its-state",
        ),
        pytest.param(
            ResettingSumOffByOne,
            r"after\ call\ 4\ \(a\ batch\ of\ 2\)\ `total`\ should\ hold",
            id="off-by-one",
        ),
        pytest.param(
            ResettingSumNeverResets,
            r"after\ call\ 4\ \(a\ batch\ of\ 2\)\ `total`\ should\ hold",
            id="never-resets",
        ),
        pytest.param(
            ResettingSumPythonIf,
            r"its\ predict\(\)\ failed.*keras\.ops\.where",
            id="python-if-convert_to_numpy",
        ),
        pytest.param(
            ResettingSumPythonIfOnTensor,
            r"its\ predict\(\)\ failed.*keras\.ops\.where",
            id="python-if-on-a-tensor",
        ),
    ],
)
def test_check_resetting_sum_refuses_wrong_answers(answer, match, capsys):
    """Every wrong answer is refused on every backend, with the hint: a Python `if` too, on
    PyTorch as well (Keras runs its predict eagerly, so the check calls the layer once more
    with Python reads of a tensor's value switched off)."""
    expect_refusal(checks.check_resetting_sum, answer, match, capsys)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(ResettingSumPythonIf, id="python-if-convert_to_numpy"),
        pytest.param(ResettingSumPythonIfOnTensor, id="python-if-on-a-tensor"),
    ],
)
def test_check_resetting_sum_names_the_error_of_a_python_if(answer, capsys):
    """The refusal quotes the learner's error, not Keras' wrapper line around it, nor (on JAX)
    the ``'str' object has no attribute '_error_repr'`` that Keras' re-raise of it hits."""
    message = expect_refusal(checks.check_resetting_sum, answer, r"keras\.ops\.where", capsys)
    cause = message.split(" failed (", 1)[1]
    assert re.match(r"\w+: (?!Exception encountered|Could not automatically)\S", cause), message
    assert "_error_repr" not in message
    assert "\x1b" not in message


# --- FractionWithin ---------------------------------------------------------------------


class FractionWithinCorrect(keras.metrics.Metric):
    def __init__(self, tolerance=0.5, name="fraction_within", **kwargs):
        super().__init__(name=name, **kwargs)
        if not tolerance > 0:
            raise ValueError(f"`tolerance` must be positive. Received: {tolerance!r}")
        self.tolerance = tolerance
        self.close = self.add_variable(shape=(), initializer="zeros", name="close")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        distance = keras.ops.abs(keras.ops.cast(y_true, "float32") - y_pred)
        close = keras.ops.cast(distance <= self.tolerance, "float32")
        self.close.assign_add(keras.ops.sum(close))
        self.total.assign_add(keras.ops.cast(keras.ops.size(close), "float32"))

    def result(self):
        return keras.ops.divide_no_nan(self.close, self.total)


class FractionWithinBatchAverage(FractionWithinCorrect):
    """Averages the batches' fractions: a batch of 1 weighs like a batch of 5."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        distance = keras.ops.abs(y_true - y_pred)
        fraction = keras.ops.mean(keras.ops.cast(distance <= self.tolerance, "float32"))
        self.close.assign_add(fraction)
        self.total.assign_add(1.0)


class FractionWithinStrict(FractionWithinCorrect):
    def update_state(self, y_true, y_pred, sample_weight=None):
        close = keras.ops.cast(keras.ops.abs(y_true - y_pred) < self.tolerance, "float32")
        self.close.assign_add(keras.ops.sum(close))
        self.total.assign_add(keras.ops.cast(keras.ops.size(close), "float32"))


class FractionWithinLastBatch(FractionWithinCorrect):
    def update_state(self, y_true, y_pred, sample_weight=None):
        close = keras.ops.cast(keras.ops.abs(y_true - y_pred) <= self.tolerance, "float32")
        self.close.assign(keras.ops.sum(close))
        self.total.assign(keras.ops.cast(keras.ops.size(close), "float32"))


class FractionWithinFixedTolerance(FractionWithinCorrect):
    def update_state(self, y_true, y_pred, sample_weight=None):
        close = keras.ops.cast(keras.ops.abs(y_true - y_pred) <= 0.5, "float32")
        self.close.assign_add(keras.ops.sum(close))
        self.total.assign_add(keras.ops.cast(keras.ops.size(close), "float32"))


class FractionWithinNoValidation(FractionWithinCorrect):
    def __init__(self, tolerance=0.5, **kwargs):
        keras.metrics.Metric.__init__(self, name="fraction_within", **kwargs)
        self.tolerance = tolerance
        self.close = self.add_variable(shape=(), initializer="zeros", name="close")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")


class FractionWithinTypeError(FractionWithinCorrect):
    def __init__(self, tolerance=0.5, **kwargs):
        if tolerance <= 0:
            raise TypeError("tolerance")
        super().__init__(tolerance=tolerance, **kwargs)


class FractionWithinPythonCounts(keras.metrics.Metric):
    """Counts in Python numbers: right in eager calls, not reset, not compilable."""

    def __init__(self, tolerance=0.5, **kwargs):
        super().__init__(name="fraction_within", **kwargs)
        if not tolerance > 0:
            raise ValueError("tolerance")
        self.tolerance, self.close, self.total = tolerance, 0.0, 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        distance = keras.ops.convert_to_numpy(keras.ops.abs(y_true - y_pred))
        self.close += float((distance <= self.tolerance).sum())
        self.total += float(distance.size)

    def result(self):
        return self.close / self.total


class FractionWithinReturnsList(FractionWithinCorrect):
    def result(self):
        return keras.ops.stack([self.close.value, self.total.value])


class FractionWithinNoReset(FractionWithinCorrect):
    def reset_state(self):
        self.total.assign(0.0)


def test_check_fraction_within_accepts_a_correct_metric(capsys):
    expect_pass(checks.check_fraction_within, FractionWithinCorrect, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(FractionWithinBatchAverage, r"average\ of\ the\ batches", id="batch-mean"),
        pytest.param(FractionWithinStrict, r"use\ <=,\ not\ <", id="strict"),
        pytest.param(FractionWithinLastBatch, r"last\ batch\ alone", id="assign"),
        pytest.param(
            FractionWithinFixedTolerance, r"fraction\ for\ tolerance=0\.5", id="fixed-tolerance"
        ),
        pytest.param(FractionWithinNoValidation, r"tolerance=0\)\ was\ accepted", id="unchecked"),
        pytest.param(FractionWithinTypeError, r"raised\ TypeError", id="wrong-error"),
        pytest.param(FractionWithinPythonCounts, r"has\ no\ variables", id="python-numbers"),
        pytest.param(FractionWithinReturnsList, r"must\ return\ a\ scalar", id="not-scalar"),
        pytest.param(FractionWithinNoReset, r"after\ reset_state\(\)", id="no-reset"),
    ],
)
def test_check_fraction_within_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_fraction_within, answer, match, capsys)


def test_check_fraction_within_refuses_a_layer(capsys):
    expect_refusal(
        checks.check_fraction_within,
        MovingAverageCorrect,
        "must be a subclass of keras.metrics.Metric",
        capsys,
        error=TypeError,
    )


# --- an instance where the class is expected -------------------------------------------


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(checks.check_moving_average, id="ExponentialMovingAverage"),
        pytest.param(checks.check_call_counter, id="CallCounter"),
        pytest.param(checks.check_resetting_sum, id="ResettingSum"),
    ],
)
def test_class_checks_refuse_an_instance(check, capsys):
    expect_refusal(
        check,
        MovingAverageCorrect(),
        "Pass the class itself, not an instance",
        capsys,
        error=TypeError,
    )
