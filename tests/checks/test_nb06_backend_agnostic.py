"""Tests for :mod:`helpers.checks.nb06_backend_agnostic`: right answers pass, typical mistakes
are refused.

The answers are written with ``keras.ops`` (or deliberately without it), so this file runs on
whichever backend ``KERAS_BACKEND`` selects; every wrong answer here is refused on all three.
What is not an answer at all is refused by every check through ``tests/checks/test_base.py``.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from helpers import checks
from tests.checks.expect import expect_pass, expect_refusal

# --- SoftClip --------------------------------------------------------------------------


class SoftClipCorrect(keras.layers.Layer):
    def __init__(self, limit=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
            raise ValueError(f"`limit` must be a positive number. Received: limit={limit!r}")
        self.limit = float(limit)

    def call(self, x):
        return self.limit * ops.tanh(x / self.limit)

    def get_config(self):
        return {**super().get_config(), "limit": self.limit}


class SoftClipWithNumpy(SoftClipCorrect):  # the notebook's starting point, validated
    def call(self, x):
        return self.limit * np.tanh(x / self.limit)


class SoftClipConvertsToNumpy(SoftClipCorrect):
    def call(self, x):
        return ops.convert_to_tensor(self.limit * np.tanh(ops.convert_to_numpy(x) / self.limit))


class SoftClipForgetsDivision(SoftClipCorrect):
    def call(self, x):
        return self.limit * ops.tanh(x)


class SoftClipIgnoresLimit(SoftClipCorrect):
    def call(self, x):
        return ops.tanh(x)


class SoftClipHardClip(SoftClipCorrect):
    def call(self, x):
        return ops.clip(x, -self.limit, self.limit)


class SoftClipNoValidation(SoftClipCorrect):
    def __init__(self, limit=1.0, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        self.limit = limit


class SoftClipTypeError(SoftClipCorrect):
    def __init__(self, limit=1.0, **kwargs):
        if not isinstance(limit, (int, float)) or limit <= 0:
            raise TypeError("limit")
        super().__init__(limit, **kwargs)


class SoftClipNoConfig(SoftClipCorrect):
    def get_config(self):
        return keras.layers.Layer.get_config(self)


class SoftClipStopsGradient(SoftClipCorrect):
    def call(self, x):
        return ops.stop_gradient(self.limit * ops.tanh(x / self.limit))


@pytest.mark.parametrize("answer", [pytest.param(SoftClipCorrect, id="ops.tanh")])
def test_check_soft_clip_passes_right_answers(answer, capsys):
    expect_pass(checks.check_soft_clip, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        # Refused at the symbolic step (TensorFlow, JAX) or in training (PyTorch).
        pytest.param(SoftClipWithNumpy, r"keras\.ops", id="numpy"),
        pytest.param(SoftClipConvertsToNumpy, r"keras\.ops", id="convert-to-numpy"),
        pytest.param(SoftClipForgetsDivision, r"limit\ \*\ tanh\(x\ /\ limit\)", id="no-division"),
        pytest.param(SoftClipIgnoresLimit, r"limit\ \*\ tanh\(x\ /\ limit\)", id="no-limit"),
        pytest.param(SoftClipHardClip, r"For\ x\ =\ 6\.0\ expected", id="hard-clip"),
        pytest.param(SoftClipNoValidation, r"SoftClip\(limit=0\)\ was\ accepted", id="no-check"),
        pytest.param(SoftClipTypeError, r"raised\ TypeError;\ raise\ ValueError", id="type-error"),
        pytest.param(SoftClipNoConfig, r"get_config\(\)\ must\ include\ the\ limit", id="config"),
        pytest.param(SoftClipStopsGradient, r"no\ gradient\ flows", id="stop-gradient"),
    ],
)
def test_check_soft_clip_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_soft_clip, answer, match, capsys)


# --- PerFeatureBias --------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="test_nb06")
class PerFeatureBiasCorrect(keras.layers.Layer):
    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        return x + self.bias


class PerFeatureBiasUnregistered(keras.layers.Layer):
    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        return x + self.bias


@keras.saving.register_keras_serializable(package="test_nb06")
class PerFeatureBiasScalar(PerFeatureBiasCorrect):
    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(), initializer="zeros")


@keras.saving.register_keras_serializable(package="test_nb06")
class PerFeatureBiasOnes(PerFeatureBiasCorrect):
    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer="ones")


@keras.saving.register_keras_serializable(package="test_nb06")
class PerFeatureBiasFrozen(PerFeatureBiasCorrect):
    def build(self, input_shape):
        self.bias = self.add_weight(
            name="bias", shape=(input_shape[-1],), initializer="zeros", trainable=False
        )


@keras.saving.register_keras_serializable(package="test_nb06")
class PerFeatureBiasMultiplies(PerFeatureBiasCorrect):
    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.bias


@keras.saving.register_keras_serializable(package="test_nb06")
class PerFeatureBiasFixedWidth(PerFeatureBiasCorrect):
    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(4,), initializer="zeros")


@pytest.mark.parametrize("answer", [pytest.param(PerFeatureBiasCorrect, id="registered")])
def test_check_per_feature_bias_passes_right_answers(answer, capsys):
    expect_pass(checks.check_per_feature_bias, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(PerFeatureBiasUnregistered, r"register_keras_serializable", id="unregistered"),
        pytest.param(PerFeatureBiasScalar, r"shape\ \(3,\)", id="scalar"),
        pytest.param(PerFeatureBiasOnes, r"must\ be\ zeros", id="ones"),
        pytest.param(PerFeatureBiasFrozen, r"one\ trainable\ weight", id="not-trainable"),
        pytest.param(PerFeatureBiasMultiplies, r"should\ reach\ 1\.0", id="multiplies"),
        pytest.param(
            PerFeatureBiasFixedWidth, r"calling\ the\ layer\ on\ a\ batch", id="fixed-width"
        ),
    ],
)
def test_check_per_feature_bias_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_per_feature_bias, answer, match, capsys)


# --- relu_or_negate --------------------------------------------------------------------


def relu_or_negate_where(x):
    return ops.where(ops.max(x) > 0, ops.relu(x), -x)


def relu_or_negate_cond(x):
    return ops.cond(ops.max(x) > 0, lambda: ops.relu(x), lambda: -x)


def relu_or_negate_python_if(x):
    if ops.max(x) > 0:
        return ops.relu(x)
    return -x


def relu_or_negate_numpy(x):
    array = np.asarray(x)
    return np.maximum(array, 0.0) if array.max() > 0 else -array


def relu_or_negate_elementwise(x):
    return ops.where(x > 0, ops.relu(x), -x)


def relu_or_negate_always_relu(x):
    return ops.relu(x)


def relu_or_negate_mean(x):
    return ops.where(ops.mean(x) > 0, ops.relu(x), -x)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(relu_or_negate_where, id="where"),
        pytest.param(relu_or_negate_cond, id="cond"),
    ],
)
def test_check_relu_or_negate_passes_right_answers(answer, capsys):
    expect_pass(checks.check_relu_or_negate, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(relu_or_negate_python_if, r"ops\.where\(condition", id="python-if"),
        pytest.param(relu_or_negate_numpy, r"ops\.where\(condition", id="numpy"),
        pytest.param(relu_or_negate_elementwise, r"some\ element\ positive", id="elementwise"),
        pytest.param(relu_or_negate_always_relu, r"no\ element\ positive", id="always-relu"),
        pytest.param(relu_or_negate_mean, r"some\ element\ positive", id="mean"),
    ],
)
def test_check_relu_or_negate_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_relu_or_negate, answer, match, capsys)
