"""Tests for :mod:`helpers.checks.nb02_custom_activations`: right answers pass, typical mistakes
are refused.

The answers are written with ``keras.ops``, so this file runs on whichever backend
``KERAS_BACKEND`` selects. What is not an answer at all (``None``, a number, a function where a
class is expected) is refused by every check; ``tests/checks/test_base.py`` tests that once for
all of them.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import checks
from tests.checks.expect import expect_pass, expect_refusal

# --- mish ------------------------------------------------------------------------------


def mish_correct(x):
    return x * keras.ops.tanh(keras.ops.softplus(x))


def mish_with_log1p_softplus(x):
    return x * keras.ops.tanh(keras.ops.log1p(keras.ops.exp(-keras.ops.abs(x))) + keras.ops.relu(x))


def mish_naive_softplus(x):
    return x * keras.ops.tanh(keras.ops.log(1.0 + keras.ops.exp(x)))


def mish_without_softplus(x):
    return x * keras.ops.tanh(x)


def mish_swish(x):
    return x * keras.ops.sigmoid(x)


def mish_numpy(x):
    values = np.asarray(keras.ops.convert_to_numpy(x))
    return keras.ops.convert_to_tensor(values * np.tanh(np.logaddexp(0.0, values)))


def mish_stop_gradient(x):
    return keras.ops.stop_gradient(mish_correct(x))


def mish_reduces(x):
    return keras.ops.sum(mish_correct(x))


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(mish_correct, id="softplus"),
        pytest.param(mish_with_log1p_softplus, id="log1p-softplus"),
    ],
)
def test_check_mish_passes_right_answers(answer, capsys):
    expect_pass(checks.check_mish, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(mish_naive_softplus, "derivative is inf or nan", id="naive-softplus"),
        pytest.param(mish_without_softplus, "wrong values", id="no-softplus"),
        pytest.param(mish_swish, "wrong values", id="swish"),
        pytest.param(mish_numpy, "derivative is not|could not differentiate", id="numpy"),
        pytest.param(
            mish_stop_gradient,
            "derivative is not",
            id="stop-gradient",
            marks=pytest.mark.filterwarnings("ignore::UserWarning"),
        ),
        pytest.param(mish_reduces, r"output must have shape \(10,\)", id="reduces"),
    ],
)
def test_check_mish_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_mish, answer, match, capsys)


# --- ScaledTanh ------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="tests_checks_nb02")
class ScaledTanhCorrect(keras.layers.Layer):
    def __init__(self, initial_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_scale = initial_scale

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_scale)
        )

    def call(self, x):
        return self.scale * keras.ops.tanh(x)

    def get_config(self):
        return {**super().get_config(), "initial_scale": self.initial_scale}


class ScaledTanhUnregistered(ScaledTanhCorrect):
    pass


@keras.saving.register_keras_serializable(package="tests_checks_nb02")
class ScaledTanhNoConfig(ScaledTanhCorrect):
    def get_config(self):
        return keras.layers.Layer.get_config(self)


@keras.saving.register_keras_serializable(package="tests_checks_nb02")
class ScaledTanhFrozen(ScaledTanhCorrect):
    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_scale), trainable=False
        )


@keras.saving.register_keras_serializable(package="tests_checks_nb02")
class ScaledTanhPlainFloat(ScaledTanhCorrect):
    def build(self, input_shape):
        self.scale = self.initial_scale


@keras.saving.register_keras_serializable(package="tests_checks_nb02")
class ScaledTanhPerUnit(ScaledTanhCorrect):
    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.initial_scale)
        )


@keras.saving.register_keras_serializable(package="tests_checks_nb02")
class ScaledTanhIgnoresInitialScale(ScaledTanhCorrect):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones")


@pytest.mark.parametrize("answer", [pytest.param(ScaledTanhCorrect, id="scalar-weight")])
def test_check_scaled_tanh_passes_right_answers(answer, capsys):
    expect_pass(checks.check_scaled_tanh, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(ScaledTanhUnregistered, "register_keras_serializable", id="unregistered"),
        pytest.param(ScaledTanhNoConfig, r"get_config\(\) must hold initial_scale", id="config"),
        pytest.param(ScaledTanhFrozen, "exactly one trainable weight", id="frozen"),
        pytest.param(ScaledTanhPlainFloat, "exactly one trainable weight", id="plain-float"),
        pytest.param(ScaledTanhPerUnit, r"a scalar \(shape", id="per-unit"),
        pytest.param(ScaledTanhIgnoresInitialScale, "scale starting at 0.5", id="ignores-init"),
    ],
)
def test_check_scaled_tanh_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_scaled_tanh, answer, match, capsys)


# --- UnitInterval ----------------------------------------------------------------------


class UnitIntervalCorrect(keras.constraints.Constraint):
    def __call__(self, w):
        return keras.ops.clip(w, 0.0, 1.0)


class UnitIntervalNonNegOnly(keras.constraints.Constraint):
    def __call__(self, w):
        return keras.ops.relu(w)


class UnitIntervalSigmoid(keras.constraints.Constraint):
    def __call__(self, w):
        return keras.ops.sigmoid(w)


class UnitIntervalAbs(keras.constraints.Constraint):
    def __call__(self, w):
        return keras.ops.minimum(keras.ops.abs(w), 1.0)


class UnitIntervalNeedsArguments(keras.constraints.Constraint):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def __call__(self, w):
        return keras.ops.clip(w, self.low, self.high)


@pytest.mark.parametrize("answer", [pytest.param(UnitIntervalCorrect, id="clip")])
def test_check_unit_interval_passes_right_answers(answer, capsys):
    expect_pass(checks.check_unit_interval, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(UnitIntervalNonNegOnly, r"expected \[0\.0", id="non-negative-only"),
        pytest.param(UnitIntervalSigmoid, "leave values inside unchanged", id="sigmoid"),
        pytest.param(UnitIntervalAbs, "received", id="abs"),
        pytest.param(UnitIntervalNeedsArguments, "needs no arguments", id="arguments"),
    ],
)
def test_check_unit_interval_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_unit_interval, answer, match, capsys)


# --- an instance where the class is expected -------------------------------------------


@pytest.mark.parametrize(
    ("check", "answer", "match"),
    [
        pytest.param(
            checks.check_scaled_tanh,
            ScaledTanhCorrect(),
            r"Pass the class itself, not an instance: ScaledTanh, not ScaledTanh\(\.\.\.\)\.",
            id="ScaledTanh",
        ),
        pytest.param(
            checks.check_unit_interval,
            UnitIntervalCorrect(),
            r"Pass the class itself, not an instance: UnitInterval, not UnitInterval\(\)\.",
            id="UnitInterval",
        ),
    ],
)
def test_class_checks_refuse_an_instance(check, answer, match, capsys):
    expect_refusal(check, answer, match, capsys, error=TypeError)
