"""Tests for :mod:`helpers.checks.nb01_backend_ops`: right answers pass, typical mistakes are
refused.

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

# --- clipped_binary_crossentropy -------------------------------------------------------


def bce_correct(y_true, y_pred):
    epsilon = keras.backend.epsilon()
    y_pred = keras.ops.clip(y_pred, epsilon, 1.0 - epsilon)
    log_likelihood = y_true * keras.ops.log(y_pred) + (1.0 - y_true) * keras.ops.log(1.0 - y_pred)
    return -keras.ops.mean(log_likelihood, axis=-1)


def bce_keras_loss(y_true, y_pred):
    return keras.losses.binary_crossentropy(y_true, y_pred)


def bce_unclipped(y_true, y_pred):
    log_likelihood = y_true * keras.ops.log(y_pred) + (1.0 - y_true) * keras.ops.log(1.0 - y_pred)
    return -keras.ops.mean(log_likelihood, axis=-1)


def bce_mean_over_everything(y_true, y_pred):
    return keras.ops.mean(bce_correct(y_true, y_pred))


def bce_keepdims(y_true, y_pred):
    return keras.ops.expand_dims(bce_correct(y_true, y_pred), axis=-1)


def bce_sum(y_true, y_pred):
    return bce_correct(y_true, y_pred) * keras.ops.cast(keras.ops.shape(y_true)[-1], "float32")


def bce_wrong_sign(y_true, y_pred):
    return -bce_correct(y_true, y_pred)


def bce_one_term(y_true, y_pred):
    epsilon = keras.backend.epsilon()
    y_pred = keras.ops.clip(y_pred, epsilon, 1.0 - epsilon)
    return -keras.ops.mean(y_true * keras.ops.log(y_pred), axis=-1)


def bce_coarse_epsilon(y_true, y_pred):
    y_pred = keras.ops.clip(y_pred, 1e-3, 1.0 - 1e-3)
    log_likelihood = y_true * keras.ops.log(y_pred) + (1.0 - y_true) * keras.ops.log(1.0 - y_pred)
    return -keras.ops.mean(log_likelihood, axis=-1)


def bce_numpy(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    epsilon = keras.backend.epsilon()
    y_pred = np.clip(y_pred, epsilon, 1.0 - epsilon)
    return -np.mean(y_true * np.log(y_pred) + (1.0 - y_true) * np.log(1.0 - y_pred), axis=-1)


def bce_none(y_true, y_pred):
    return None


@pytest.mark.parametrize(
    "answer",
    [pytest.param(bce_correct, id="ops"), pytest.param(bce_keras_loss, id="keras-loss")],
)
def test_check_clipped_binary_crossentropy_passes_right_answers(answer, capsys):
    expect_pass(checks.check_clipped_binary_crossentropy, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(
            bce_unclipped, "inf or nan for predictions that are exactly 0 or 1", id="unclipped"
        ),
        pytest.param(
            bce_mean_over_everything, r"shape \(4,\) .*Received shape \(\)", id="mean-everything"
        ),
        pytest.param(bce_keepdims, r"without keepdims\)\. Received shape \(4, 1\)", id="keepdims"),
        pytest.param(bce_sum, "use the mean", id="sum"),
        pytest.param(bce_wrong_sign, "never negative", id="wrong-sign"),
        pytest.param(bce_one_term, "both log terms", id="one-term"),
        pytest.param(
            bce_coarse_epsilon, "wrong values for predictions that are exactly 0 or 1", id="eps"
        ),
        pytest.param(bce_numpy, "symbolic tensors .* not NumPy", id="numpy"),
        pytest.param(bce_none, "expected a tensor or array", id="none"),
    ],
)
def test_check_clipped_binary_crossentropy_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_clipped_binary_crossentropy, answer, match, capsys)


# --- log_sum_exp -----------------------------------------------------------------------


def log_sum_exp_correct(x, axis):
    peak = keras.ops.max(x, axis=axis, keepdims=True)
    total = keras.ops.sum(keras.ops.exp(x - peak), axis=axis)
    return keras.ops.squeeze(peak, axis=axis) + keras.ops.log(total)


def log_sum_exp_keras(x, axis):
    return keras.ops.logsumexp(x, axis=axis)


def log_sum_exp_naive(x, axis):
    return keras.ops.log(keras.ops.sum(keras.ops.exp(x), axis=axis))


def log_sum_exp_global_max(x, axis):
    peak = keras.ops.max(x)
    return peak + keras.ops.log(keras.ops.sum(keras.ops.exp(x - peak), axis=axis))


def log_sum_exp_forgets_max(x, axis):
    peak = keras.ops.max(x, axis=axis, keepdims=True)
    return keras.ops.log(keras.ops.sum(keras.ops.exp(x - peak), axis=axis))


def log_sum_exp_ignores_axis(x, axis):
    return keras.ops.logsumexp(x)


def log_sum_exp_keepdims(x, axis):
    return keras.ops.logsumexp(x, axis=axis, keepdims=True)


def log_sum_exp_unsqueezed_max(x, axis):
    peak = keras.ops.max(x, axis=axis, keepdims=True)
    return peak + keras.ops.log(keras.ops.sum(keras.ops.exp(x - peak), axis=axis))


def log_sum_exp_last_axis_only(x, axis):
    return log_sum_exp_correct(x, -1)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(log_sum_exp_correct, id="max-trick"),
        pytest.param(log_sum_exp_keras, id="keras-logsumexp"),
    ],
)
def test_check_log_sum_exp_passes_right_answers(answer, capsys):
    expect_pass(checks.check_log_sum_exp, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(log_sum_exp_naive, r"inf or nan for values around \+1000", id="naive"),
        pytest.param(
            log_sum_exp_global_max,
            "inf or nan for rows at very different scales .*maximum along `axis`",
            id="global-max",
        ),
        pytest.param(
            log_sum_exp_forgets_max,
            "wrong values for small values .*add the maximum back",
            id="forgets-max",
        ),
        pytest.param(log_sum_exp_ignores_axis, r"shape \(3,\) .*Received shape \(\)", id="no-axis"),
        pytest.param(log_sum_exp_keepdims, r"Received shape \(3, 1\)", id="keepdims"),
        pytest.param(log_sum_exp_unsqueezed_max, r"Received shape \(3, 3\)", id="unsqueezed"),
        pytest.param(
            log_sum_exp_last_axis_only, r"axis=0: .*Received shape \(4,\)", id="last-axis-only"
        ),
    ],
)
def test_check_log_sum_exp_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_log_sum_exp, answer, match, capsys)


def test_the_naive_log_sum_exp_really_overflows_in_float32():
    """The check's large case is one where the naive formula fails, on this backend too."""
    x = keras.ops.convert_to_tensor(np.full((1, 3), 1000.0, dtype="float32"))
    assert np.isinf(keras.ops.convert_to_numpy(log_sum_exp_naive(x, 1))).all()
    assert np.allclose(keras.ops.convert_to_numpy(log_sum_exp_correct(x, 1)), 1000 + np.log(3))


# --- ShapeLogger -----------------------------------------------------------------------


class ShapeLoggerCorrect(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shapes = []

    def call(self, x):
        self.shapes.append(tuple(keras.ops.shape(x)))
        return x


class ShapeLoggerRawShape(ShapeLoggerCorrect):
    def call(self, x):
        self.shapes.append(x.shape)  # TensorShape / tuple / torch.Size: all fine
        return x


class ShapeLoggerChangesValues(ShapeLoggerCorrect):
    def call(self, x):
        super().call(x)
        return x * 2.0


class ShapeLoggerReturnsNone(ShapeLoggerCorrect):
    def call(self, x):
        super().call(x)


class ShapeLoggerInBuild(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shapes = []

    def build(self, input_shape):
        self.shapes.append(tuple(input_shape))

    def call(self, x):
        return x


class ShapeLoggerWithoutBatch(ShapeLoggerCorrect):
    def call(self, x):
        self.shapes.append(tuple(keras.ops.shape(x))[1:])
        return x


class ShapeLoggerNoList(keras.layers.Layer):
    def call(self, x):
        print(keras.ops.shape(x))
        return x


class ShapeLoggerNumpy(ShapeLoggerCorrect):
    def call(self, x):
        self.shapes.append(tuple(keras.ops.shape(x)))
        return keras.ops.convert_to_tensor(np.asarray(x))


class ShapeLoggerStopsGradient(ShapeLoggerCorrect):
    def call(self, x):
        super().call(x)
        return keras.ops.stop_gradient(x)


def make_shape_logger_with_shared_list():
    class ShapeLoggerSharedList(keras.layers.Layer):
        shapes = []  # noqa: RUF012 - the mistake under test: one list for every instance

        def call(self, x):
            self.shapes.append(tuple(keras.ops.shape(x)))
            return x

    return ShapeLoggerSharedList


class ShapeLoggerNeedsArgument(ShapeLoggerCorrect):
    def __init__(self, name_prefix, **kwargs):
        super().__init__(**kwargs)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(ShapeLoggerCorrect, id="ops-shape"),
        pytest.param(ShapeLoggerRawShape, id="raw-shape"),
    ],
)
def test_check_shape_logger_passes_right_answers(answer, capsys):
    expect_pass(checks.check_shape_logger, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(ShapeLoggerChangesValues, "return its input unchanged", id="changes-values"),
        pytest.param(ShapeLoggerReturnsNone, "expected a tensor or array", id="returns-none"),
        pytest.param(ShapeLoggerInBuild, "called 3 times but `shapes` holds 1", id="in-build"),
        pytest.param(ShapeLoggerWithoutBatch, "batch dimension included", id="no-batch-dim"),
        pytest.param(ShapeLoggerNoList, "must have an empty list `shapes`", id="no-list"),
        pytest.param(ShapeLoggerNumpy, "inside a model that trains .*not NumPy", id="numpy"),
        pytest.param(
            ShapeLoggerStopsGradient,
            "no gradient flows",
            id="stop-gradient",
            marks=pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning"),
        ),
        pytest.param(
            make_shape_logger_with_shared_list(),
            r"a new layer must have an empty list `shapes`\. Received: shapes=\[\(2, 3\)",
            id="class-attribute",
        ),
        pytest.param(ShapeLoggerNeedsArgument, "should need no arguments", id="needs-argument"),
    ],
)
def test_check_shape_logger_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_shape_logger, answer, match, capsys)


def test_check_shape_logger_refuses_an_instance(capsys):
    expect_refusal(
        checks.check_shape_logger,
        ShapeLoggerCorrect(),
        r"Pass the class itself, not an instance: ShapeLogger, not ShapeLogger\(\)\. Received:",
        capsys,
        error=TypeError,
    )
