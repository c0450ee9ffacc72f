"""Tests for :mod:`helpers.checks.nb03_gradient_manipulation`: right answers pass, typical
mistakes are refused.

The answers are written with ``keras.ops``, so this file runs on whichever backend
``KERAS_BACKEND`` selects. What is not an answer at all (``None``, a number) is refused by every
check; ``tests/checks/test_base.py`` tests that once for all of them.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import checks, gradients
from tests.checks.expect import expect_pass, expect_refusal

# --- scale_gradient --------------------------------------------------------------------


def _scaled_identity(gradient_of):
    """A custom-gradient identity whose backward pass is gradient_of(upstream, factor)."""

    def answer(x, factor):
        @keras.ops.custom_gradient
        def forward(x):
            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return gradient_of(upstream, factor)

            return x, grad

        return forward(x)

    return answer


scale_gradient_correct = _scaled_identity(lambda upstream, factor: upstream * factor)
scale_gradient_divides = _scaled_identity(lambda upstream, factor: upstream / (factor + 1e-3))
scale_gradient_ignores_upstream = _scaled_identity(
    lambda upstream, factor: keras.ops.ones_like(upstream) * factor
)
scale_gradient_forgets_factor = _scaled_identity(lambda upstream, factor: upstream)


def scale_gradient_with_stop_gradient(x, factor):
    # Also correct: x * factor in the backward pass, x in the forward pass.
    scaled = x * factor
    return scaled + keras.ops.stop_gradient(x - scaled)


def scale_gradient_scales_forward(x, factor):
    return x * factor


def scale_gradient_identity(x, factor):
    return x


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(scale_gradient_correct, id="custom-gradient"),
        pytest.param(scale_gradient_with_stop_gradient, id="stop-gradient-trick"),
    ],
)
def test_check_scale_gradient_passes_right_answers(answer, capsys):
    expect_pass(checks.check_scale_gradient, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(scale_gradient_scales_forward, "the forward pass changed x", id="forward"),
        pytest.param(scale_gradient_identity, r"must return upstream \* factor", id="identity"),
        pytest.param(
            scale_gradient_forgets_factor, r"must return upstream \* factor", id="no-factor"
        ),
        pytest.param(
            scale_gradient_ignores_upstream, r"must return upstream \* factor", id="no-upstream"
        ),
        pytest.param(scale_gradient_divides, r"must return upstream \* factor", id="divides"),
    ],
)
def test_check_scale_gradient_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_scale_gradient, answer, match, capsys)


# --- clip_by_norm ----------------------------------------------------------------------


def clip_by_norm_correct(tensor, max_norm):
    norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(tensor)))
    return tensor * (max_norm / keras.ops.maximum(norm, max_norm))


def clip_by_norm_elementwise(tensor, max_norm):
    return keras.ops.clip(tensor, -max_norm, max_norm)


def clip_by_norm_always_rescales(tensor, max_norm):
    norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(tensor)))
    return tensor * max_norm / (norm + 1e-12)


def clip_by_norm_nan_on_zeros(tensor, max_norm):
    norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(tensor)))
    return tensor / norm * keras.ops.minimum(norm, max_norm)  # 0 / 0 for a zero tensor


def clip_by_norm_per_row(tensor, max_norm):
    norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(tensor), axis=-1, keepdims=True))
    return tensor * (max_norm / keras.ops.maximum(norm, max_norm))


@pytest.mark.parametrize("answer", [pytest.param(clip_by_norm_correct, id="maximum")])
def test_check_clip_by_norm_passes_right_answers(answer, capsys):
    expect_pass(checks.check_clip_by_norm, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(clip_by_norm_elementwise, "never clip entries one by one", id="elementwise"),
        pytest.param(clip_by_norm_always_rescales, "only shrink", id="always-rescales"),
        pytest.param(
            clip_by_norm_nan_on_zeros, "NaN or inf for an all-zero tensor", id="nan-on-zeros"
        ),
        pytest.param(clip_by_norm_per_row, "Take one norm over all entries", id="per-row"),
    ],
)
def test_check_clip_by_norm_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_clip_by_norm, answer, match, capsys)


# --- kernel_gradient_norms -------------------------------------------------------------


def _kernel_norms(model, x, y, keep="kernel", power=1.0, reverse=False):
    _, grads = gradients.value_and_grads(model, keras.losses.MeanSquaredError(), x, y)
    norms = [
        float(np.linalg.norm(gradient)) ** power
        for variable, gradient in zip(model.trainable_variables, grads, strict=True)
        if variable.path.endswith(keep)
    ]
    return norms[::-1] if reverse else norms


def kernel_norms_correct(model, x, y):
    return _kernel_norms(model, x, y)


def kernel_norms_with_biases(model, x, y):
    return _kernel_norms(model, x, y, keep="")


def kernel_norms_squared(model, x, y):
    return _kernel_norms(model, x, y, power=2.0)


def kernel_norms_reversed(model, x, y):
    return _kernel_norms(model, x, y, reverse=True)


def kernel_norms_of_weights(model, x, y):
    return [float(np.linalg.norm(layer.kernel)) for layer in model.layers]


def kernel_norms_not_numbers(model, x, y):
    return ["small"] * len(model.layers)


@pytest.mark.parametrize("answer", [pytest.param(kernel_norms_correct, id="value-and-grads")])
def test_check_kernel_gradient_norms_passes_right_answers(answer, capsys):
    expect_pass(checks.check_kernel_gradient_norms, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(kernel_norms_with_biases, "Leave the biases out", id="with-biases"),
        pytest.param(kernel_norms_squared, "Use the L2 norm", id="squared"),
        pytest.param(kernel_norms_reversed, "reverse order", id="reversed"),
        pytest.param(kernel_norms_of_weights, "Use the L2 norm", id="weights-not-gradients"),
        pytest.param(kernel_norms_not_numbers, "must return a list of numbers", id="strings"),
    ],
)
def test_check_kernel_gradient_norms_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_kernel_gradient_norms, answer, match, capsys)
