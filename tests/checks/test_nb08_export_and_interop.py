"""Tests for :mod:`helpers.checks.nb08_export_and_interop`: right answers pass, typical mistakes
are refused.

The answers are written with ``keras.ops``, ``keras.random`` and NumPy, so this file runs on
whichever backend ``KERAS_BACKEND`` selects; every wrong answer is refused on each of the three,
with the same advice. What is not an answer at all (``None``, a number, a function where a class
is expected) is refused by every check; ``tests/checks/test_base.py`` tests that once for all of
them.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from helpers import checks
from tests.checks.expect import expect_pass, expect_refusal

# --- Jitter ------------------------------------------------------------------------------


class JitterCorrect(keras.layers.Layer):
    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator(1)

    def call(self, inputs, training=False):
        if training:
            noise = keras.random.normal(
                ops.shape(inputs), stddev=self.stddev, seed=self.seed_generator
            )
            return inputs + noise
        return inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class JitterTrainingNone(JitterCorrect):
    """``training=None`` by default, and no seed for the generator: right too."""

    def __init__(self, stddev, **kwargs):
        super().__init__(stddev, **kwargs)
        self.seed_generator = keras.random.SeedGenerator()

    def call(self, inputs, training=None):
        return super().call(inputs, training=training)


class JitterGaussianNoise(keras.layers.Layer):
    """Keras' own GaussianNoise as a sub-layer: its SeedGenerator is the layer's state."""

    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.noise = keras.layers.GaussianNoise(stddev, seed=3)

    def call(self, inputs, training=False):
        return self.noise(inputs, training=training)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class JitterAlways(JitterCorrect):
    def call(self, inputs, training=False):
        return super().call(inputs, training=True)


class JitterInverted(JitterCorrect):
    def call(self, inputs, training=False):
        return super().call(inputs, training=not training)


class JitterTrainsByDefault(JitterCorrect):
    def call(self, inputs, training=True):
        return super().call(inputs, training=training)


class JitterFixedSeed(JitterCorrect):
    def call(self, inputs, training=False):
        if training:
            return inputs + keras.random.normal(ops.shape(inputs), stddev=self.stddev, seed=1)
        return inputs


class JitterUnseeded(JitterCorrect):
    def call(self, inputs, training=False):
        if training:
            return inputs + keras.random.normal(ops.shape(inputs), stddev=self.stddev)
        return inputs


class JitterNumPy(JitterCorrect):
    def call(self, inputs, training=False):
        if training:
            noise = np.random.normal(0.0, self.stddev, size=ops.shape(inputs))  # noqa: NPY002
            return inputs + ops.convert_to_tensor(noise, dtype=inputs.dtype)
        return inputs


class JitterNumPyGenerator(JitterCorrect):
    def __init__(self, stddev, **kwargs):
        super().__init__(stddev, **kwargs)
        self.rng = np.random.default_rng(0)

    def call(self, inputs, training=False):
        if training:
            noise = self.rng.normal(0.0, self.stddev, size=ops.shape(inputs))
            return inputs + ops.convert_to_tensor(noise, dtype=inputs.dtype)
        return inputs


class JitterIgnoresStddev(JitterCorrect):
    def call(self, inputs, training=False):
        if training:
            return inputs + keras.random.normal(ops.shape(inputs), seed=self.seed_generator)
        return inputs


class JitterVariance(JitterCorrect):
    def call(self, inputs, training=False):
        if training:
            noise = keras.random.normal(
                ops.shape(inputs), stddev=self.stddev**2, seed=self.seed_generator
            )
            return inputs + noise
        return inputs


class JitterFixedStddevInInit(JitterCorrect):
    def __init__(self, stddev, **kwargs):
        super().__init__(stddev, **kwargs)
        self.stddev = 0.5


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(JitterCorrect, id="seed-generator"),
        pytest.param(JitterTrainingNone, id="training-none"),
        pytest.param(JitterGaussianNoise, id="gaussian-noise-layer"),
    ],
)
def test_check_jitter_passes_right_answers(answer, capsys):
    expect_pass(checks.check_jitter, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(
            JitterAlways,
            r"exported models and predict\(\) run the layer with training=False",
            id="noise-always",
        ),
        pytest.param(JitterInverted, r"add noise in training calls", id="inverted"),
        pytest.param(
            JitterTrainsByDefault,
            r"model\(x\), without a training argument, differs",
            id="trains-by-default",
        ),
        pytest.param(
            JitterFixedSeed,
            r"a fixed int seed .* keras\.random\.SeedGenerator in __init__",
            id="int-seed",
        ),
        pytest.param(JitterNumPy, r"Draw the noise with keras\.random\.normal", id="np-random"),
        pytest.param(
            JitterNumPyGenerator, r"Draw the noise with keras\.random\.normal", id="numpy-rng"
        ),
        pytest.param(JitterUnseeded, r"SeedGenerator made in __init__", id="unseeded"),
        pytest.param(JitterIgnoresStddev, r"pass stddev=self\.stddev", id="stddev-ignored"),
        pytest.param(JitterVariance, r"added noise of standard deviation", id="variance"),
        pytest.param(
            JitterFixedStddevInInit, r"added noise of standard deviation", id="stddev-overwritten"
        ),
    ],
)
def test_check_jitter_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_jitter, answer, match, capsys)


# --- momentum_step -----------------------------------------------------------------------


def momentum_correct(params, grads, velocities, learning_rate, momentum):
    new_velocities = [
        momentum * v - learning_rate * g for v, g in zip(velocities, grads, strict=True)
    ]
    new_params = [p + v for p, v in zip(params, new_velocities, strict=True)]
    return new_params, new_velocities


def momentum_torch_convention(params, grads, velocities, learning_rate, momentum):
    """PyTorch's velocity, ``v = momentum * v + g``: another convention, the same steps."""
    new_velocities = [momentum * v + g for v, g in zip(velocities, grads, strict=True)]
    new_params = [p - learning_rate * v for p, v in zip(params, new_velocities, strict=True)]
    return new_params, new_velocities


def momentum_tuples(params, grads, velocities, learning_rate, momentum):
    new_params, new_velocities = momentum_correct(
        params, grads, velocities, learning_rate, momentum
    )
    return tuple(new_params), tuple(new_velocities)


def momentum_keras_ops(params, grads, velocities, learning_rate, momentum):
    new_velocities = [
        ops.subtract(ops.multiply(momentum, v), ops.multiply(learning_rate, g))
        for v, g in zip(velocities, grads, strict=True)
    ]
    return [ops.add(p, v) for p, v in zip(params, new_velocities, strict=True)], new_velocities


def momentum_plain_sgd(params, grads, velocities, learning_rate, momentum):
    new_velocities = [-learning_rate * g for g in grads]
    return [p + v for p, v in zip(params, new_velocities, strict=True)], new_velocities


def momentum_old_velocities(params, grads, velocities, learning_rate, momentum):
    new_params, _ = momentum_correct(params, grads, velocities, learning_rate, momentum)
    return new_params, velocities


def momentum_in_place(params, grads, velocities, learning_rate, momentum):
    for p, g, v in zip(params, grads, velocities, strict=True):
        v *= momentum
        v -= learning_rate * g
        p += v
    return params, velocities


def momentum_list_changed(params, grads, velocities, learning_rate, momentum):
    new_params, new_velocities = momentum_correct(
        params, grads, velocities, learning_rate, momentum
    )
    params[:] = new_params
    return params, new_velocities


def momentum_ascends(params, grads, velocities, learning_rate, momentum):
    new_velocities = [
        momentum * v + learning_rate * g for v, g in zip(velocities, grads, strict=True)
    ]
    return [p + v for p, v in zip(params, new_velocities, strict=True)], new_velocities


def momentum_nesterov(params, grads, velocities, learning_rate, momentum):
    new_velocities = [
        momentum * v - learning_rate * g for v, g in zip(velocities, grads, strict=True)
    ]
    new_params = [
        p + momentum * v - learning_rate * g
        for p, v, g in zip(params, new_velocities, grads, strict=True)
    ]
    return new_params, new_velocities


def momentum_params_only(params, grads, velocities, learning_rate, momentum):
    return momentum_correct(params, grads, velocities, learning_rate, momentum)[0]


def momentum_generators(params, grads, velocities, learning_rate, momentum):
    new_velocities = [
        momentum * v - learning_rate * g for v, g in zip(velocities, grads, strict=True)
    ]
    return (p + v for p, v in zip(params, new_velocities, strict=True)), (v for v in new_velocities)


def momentum_yields(params, grads, velocities, learning_rate, momentum):
    new_params, new_velocities = momentum_correct(
        params, grads, velocities, learning_rate, momentum
    )
    yield new_params
    yield new_velocities


def momentum_dict(params, grads, velocities, learning_rate, momentum):
    new_params, new_velocities = momentum_correct(
        params, grads, velocities, learning_rate, momentum
    )
    return {"params": new_params, "velocities": new_velocities}


def momentum_swapped(params, grads, velocities, learning_rate, momentum):
    return momentum_correct(params, grads, velocities, momentum, learning_rate)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(momentum_correct, id="keras-convention"),
        pytest.param(momentum_torch_convention, id="torch-convention"),
        pytest.param(momentum_tuples, id="tuples"),
        pytest.param(momentum_keras_ops, id="keras-ops"),
    ],
)
def test_check_momentum_step_passes_right_answers(answer, capsys):
    expect_pass(checks.check_momentum_step, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(momentum_plain_sgd, r"the old velocity is ignored", id="plain-sgd"),
        pytest.param(
            momentum_old_velocities,
            r"the velocities it returned are the ones it was given",
            id="old-velocities",
        ),
        pytest.param(momentum_in_place, r"changed params\[0\] in place", id="in-place"),
        pytest.param(momentum_list_changed, r"changed the list params", id="list-changed"),
        pytest.param(momentum_ascends, r"moved up the gradient", id="ascends"),
        pytest.param(momentum_nesterov, r"that is the Nesterov update", id="nesterov"),
        pytest.param(momentum_params_only, r"must return two lists", id="params-only"),
        pytest.param(momentum_generators, r"new_params is a generator", id="generators"),
        pytest.param(momentum_yields, r"it returned a generator", id="yields"),
        pytest.param(momentum_dict, r"must return two lists", id="a-dict"),
        pytest.param(
            momentum_swapped, r"v = momentum \* v - learning_rate \* g", id="swapped-arguments"
        ),
    ],
)
def test_check_momentum_step_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_momentum_step, answer, match, capsys)


# --- RMSNormalize ------------------------------------------------------------------------


class RMSNormalizeCorrect(keras.layers.Layer):
    def __init__(self, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        mean_square = ops.mean(ops.square(inputs), axis=-1, keepdims=True)
        return inputs / ops.sqrt(mean_square + self.epsilon)


class RMSNormalizeRsqrt(RMSNormalizeCorrect):
    def call(self, inputs):
        return inputs * ops.rsqrt(ops.mean(inputs**2, axis=-1, keepdims=True) + self.epsilon)


class RMSNormalizeNumPy(RMSNormalizeCorrect):
    """The layer the exercise starts from: right values, eagerly."""

    def call(self, inputs):
        x = ops.convert_to_numpy(inputs)
        return x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + self.epsilon)


class RMSNormalizeNumPyBack(RMSNormalizeCorrect):
    """NumPy in the middle, and a tensor again at the end: still no trace."""

    def call(self, inputs):
        x = np.asarray(inputs)
        rms = np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + self.epsilon)
        return ops.convert_to_tensor(x / rms)


class RMSNormalizeBatchAxis(RMSNormalizeCorrect):
    def call(self, inputs):
        return inputs / ops.sqrt(ops.mean(inputs**2, axis=0, keepdims=True) + self.epsilon)


class RMSNormalizeNoKeepdims(RMSNormalizeCorrect):
    def call(self, inputs):
        return inputs / ops.sqrt(ops.mean(inputs**2, axis=-1) + self.epsilon)


class RMSNormalizeEpsilonOutside(RMSNormalizeCorrect):
    def call(self, inputs):
        return inputs / (ops.sqrt(ops.mean(inputs**2, axis=-1, keepdims=True)) + self.epsilon)


class RMSNormalizeNoEpsilon(RMSNormalizeCorrect):
    def call(self, inputs):
        return inputs / ops.sqrt(ops.mean(inputs**2, axis=-1, keepdims=True))


class RMSNormalizeL2Norm(RMSNormalizeCorrect):
    def call(self, inputs):
        return inputs / ops.sqrt(ops.sum(inputs**2, axis=-1, keepdims=True) + self.epsilon)


class RMSNormalizeFixedEpsilon(RMSNormalizeCorrect):
    def call(self, inputs):
        return inputs / ops.sqrt(ops.mean(inputs**2, axis=-1, keepdims=True) + 1e-6)


class RMSNormalizeAxis1(RMSNormalizeCorrect):
    def call(self, inputs):
        return inputs / ops.sqrt(ops.mean(inputs**2, axis=1, keepdims=True) + self.epsilon)


class RMSNormalizeFloat64(RMSNormalizeCorrect):
    def call(self, inputs):
        return ops.cast(super().call(inputs), "float64")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(RMSNormalizeCorrect, id="sqrt"),
        pytest.param(RMSNormalizeRsqrt, id="rsqrt"),
    ],
)
def test_check_rms_normalize_passes_right_answers(answer, capsys):
    expect_pass(checks.check_rms_normalize, answer, capsys)


TRACE = r"write call\(\) with keras\.ops"


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(RMSNormalizeNumPy, TRACE, id="numpy"),
        pytest.param(RMSNormalizeNumPyBack, TRACE, id="numpy-and-back"),
        pytest.param(RMSNormalizeBatchAxis, r"normalized over the batch \(axis 0\)", id="axis-0"),
        pytest.param(RMSNormalizeNoKeepdims, r"keepdims=True", id="no-keepdims"),
        pytest.param(
            RMSNormalizeEpsilonOutside, r"epsilon goes inside the square root", id="eps-outside"
        ),
        pytest.param(RMSNormalizeNoEpsilon, r"NaN or inf", id="no-epsilon"),
        pytest.param(RMSNormalizeL2Norm, r"divided by the L2 norm", id="l2-norm"),
        pytest.param(RMSNormalizeFixedEpsilon, r"epsilon=1\.0 was ignored", id="fixed-epsilon"),
        pytest.param(RMSNormalizeAxis1, r"normalize over the last axis only", id="axis-1"),
    ],
)
def test_check_rms_normalize_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_rms_normalize, answer, match, capsys)


@pytest.mark.filterwarnings("ignore:Explicitly requested dtype float64:UserWarning")
def test_check_rms_normalize_refuses_float64_where_the_backend_computes_it(capsys):
    """JAX (without x64) computes the cast to float64 in float32: there it changes nothing."""
    if keras.backend.backend() == "jax":
        expect_pass(checks.check_rms_normalize, RMSNormalizeFloat64, capsys)
    else:
        expect_refusal(
            checks.check_rms_normalize, RMSNormalizeFloat64, "keep the input's dtype", capsys
        )


def test_check_rms_normalize_says_why_numpy_fails(capsys):
    message = expect_refusal(checks.check_rms_normalize, RMSNormalizeNumPy, TRACE, capsys)
    assert "Exporters" in message
    assert "symbolic tensors" in message


# --- an instance where the class is expected -------------------------------------------


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        pytest.param(checks.check_jitter, JitterCorrect(0.5), id="Jitter"),
        pytest.param(checks.check_rms_normalize, RMSNormalizeCorrect(), id="RMSNormalize"),
    ],
)
def test_class_checks_refuse_an_instance(check, answer, capsys):
    expect_refusal(check, answer, "Pass the class itself, not an instance", capsys, error=TypeError)
