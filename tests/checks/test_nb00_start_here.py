"""Tests for :mod:`helpers.checks.nb00_start_here`: right answers pass, typical mistakes are
refused.

The answers are written with ``keras.ops`` / ``keras.random``, so this file runs on whichever
backend ``KERAS_BACKEND`` selects. What is not an answer at all (``None``, a number) is refused
by every check; ``tests/checks/test_base.py`` tests that once for all of them.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

from helpers import checks
from tests.checks.expect import expect_pass, expect_refusal

# --- standardize -----------------------------------------------------------------------


def standardize_with_keepdims(x):
    mean = keras.ops.mean(x, axis=0, keepdims=True)
    std = keras.ops.std(x, axis=0, keepdims=True)
    return (x - mean) / std


def standardize_with_variance(x):
    return (x - keras.ops.mean(x, axis=0)) / keras.ops.sqrt(keras.ops.var(x, axis=0))


def standardize_global(x):
    return (x - keras.ops.mean(x)) / keras.ops.std(x)


def standardize_per_row(x):
    mean = keras.ops.mean(x, axis=1, keepdims=True)
    return (x - mean) / keras.ops.std(x, axis=1, keepdims=True)


def standardize_bessel_numpy(x):
    x = keras.ops.convert_to_numpy(x)
    return (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)


def standardize_bessel_ops(x):
    n = keras.ops.shape(x)[0]
    variance = keras.ops.var(x, axis=0) * n / (n - 1)
    return (x - keras.ops.mean(x, axis=0)) / keras.ops.sqrt(variance)


def standardize_without_dividing(x):
    return x - keras.ops.mean(x, axis=0)


def standardize_means_only(x):
    return keras.ops.mean(x, axis=0)


def standardize_returning_none(x):
    return None


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(standardize_with_keepdims, id="keepdims"),
        pytest.param(standardize_with_variance, id="sqrt-of-var"),
    ],
)
def test_check_standardize_passes_right_answers(answer, capsys):
    expect_pass(checks.check_standardize, answer, capsys)


def test_check_standardize_calls_the_answer_on_backend_tensors(capsys):
    received = []

    def spy(x):
        received.append(x)
        return standardize_with_keepdims(x)

    expect_pass(checks.check_standardize, spy, capsys)
    assert len(received) == 3
    assert all(keras.ops.is_tensor(x) for x in received)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(standardize_global, "Reduce over axis 0 only", id="global-mean"),
        pytest.param(standardize_per_row, "Reduce over axis 0 only", id="per-row"),
        pytest.param(standardize_bessel_numpy, "standard deviations", id="ddof-1-numpy"),
        pytest.param(standardize_bessel_ops, "standard deviations", id="ddof-1-ops"),
        pytest.param(standardize_without_dividing, "wrong values", id="no-division"),
        pytest.param(
            standardize_means_only, r"same shape\. Received shape \(3,\)", id="means-only"
        ),
        pytest.param(standardize_returning_none, "expected a tensor or array", id="none"),
    ],
)
def test_check_standardize_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_standardize, answer, match, capsys)


# --- noisy_copy ------------------------------------------------------------------------


def noisy_copy_correct(x, seed):
    return x + keras.random.normal(keras.ops.shape(x), stddev=0.1, seed=seed)


def noisy_copy_with_seed_generator(x, seed):
    generator = keras.random.SeedGenerator(seed)
    return x + 0.1 * keras.random.normal(keras.ops.shape(x), seed=generator)


def noisy_copy_unseeded_keras(x, seed):
    return x + keras.random.normal(keras.ops.shape(x), stddev=0.1)


def noisy_copy_global_numpy(x, seed):
    noise = np.random.normal(0.0, 0.1, size=tuple(keras.ops.shape(x)))  # noqa: NPY002
    return x + keras.ops.convert_to_tensor(noise, dtype=x.dtype)


def noisy_copy_fixed_seed(x, seed):
    return x + keras.random.normal(keras.ops.shape(x), stddev=0.1, seed=42)


def noisy_copy_stddev_one(x, seed):
    return x + keras.random.normal(keras.ops.shape(x), stddev=1.0, seed=seed)


def noisy_copy_stddev_hundredth(x, seed):
    return x + keras.random.normal(keras.ops.shape(x), stddev=0.01, seed=seed)


def noisy_copy_unchanged(x, seed):
    return x


def noisy_copy_wrong_shape(x, seed):
    return x[0] + keras.random.normal(keras.ops.shape(x[0]), stddev=0.1, seed=seed)


def noisy_copy_offset(x, seed):
    return x + keras.random.normal(keras.ops.shape(x), mean=0.1, stddev=0.1, seed=seed)


def noisy_copy_ignoring_x(x, seed):
    return keras.random.normal(keras.ops.shape(x), mean=1.0, stddev=0.1, seed=seed)


def noisy_copy_multiplicative(x, seed):
    return x * (1.0 + keras.random.normal(keras.ops.shape(x), stddev=0.1, seed=seed))


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(noisy_copy_correct, id="stddev-argument"),
        pytest.param(noisy_copy_with_seed_generator, id="seed-generator"),
    ],
)
def test_check_noisy_copy_passes_right_answers(answer, capsys):
    expect_pass(checks.check_noisy_copy, answer, capsys)


NOISE_IS_WRONG = r"should have mean 0 and standard deviation 0\.1 whatever x is"


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(noisy_copy_unseeded_keras, "same seed gave different", id="unseeded-keras"),
        pytest.param(noisy_copy_global_numpy, "same seed gave different", id="global-numpy"),
        pytest.param(noisy_copy_fixed_seed, "seeds 7 and 8 gave identical", id="fixed-seed"),
        pytest.param(noisy_copy_unchanged, "seeds 7 and 8 gave identical", id="unchanged"),
        pytest.param(noisy_copy_wrong_shape, r"shape \(100, 200\)", id="wrong-shape"),
        # Answers that would pass if x were all ones: the noise must not depend on x.
        pytest.param(noisy_copy_ignoring_x, NOISE_IS_WRONG, id="ignores-x"),
        pytest.param(noisy_copy_multiplicative, NOISE_IS_WRONG, id="multiplicative"),
    ],
)
def test_check_noisy_copy_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_noisy_copy, answer, match, capsys)


@pytest.mark.parametrize(
    ("answer", "expected_mean", "expected_std"),
    [
        pytest.param(noisy_copy_stddev_one, 0.0, 1.0, id="stddev-1"),
        pytest.param(noisy_copy_stddev_hundredth, 0.0, 0.01, id="stddev-0.01"),
        pytest.param(noisy_copy_offset, 0.1, 0.1, id="nonzero-mean"),
    ],
)
def test_check_noisy_copy_refuses_wrong_noise_and_reports_its_statistics(
    answer, expected_mean, expected_std, capsys
):
    """The message names the target (mean 0, std 0.1) and what the answer's noise had."""
    message = expect_refusal(checks.check_noisy_copy, answer, NOISE_IS_WRONG, capsys)
    received = re.search(r"it has mean (-?\d+\.\d+) and standard deviation (\d+\.\d+)$", message)
    assert received is not None, message
    # Each region holds 4,000 noise values: allow five standard errors (std / 63) on the mean.
    assert float(received[1]) == pytest.approx(expected_mean, abs=5 * expected_std / 60)
    assert float(received[2]) == pytest.approx(expected_std, rel=0.05)


# --- dense_parameter_count -------------------------------------------------------------


def dense_parameter_count_correct(input_dim, units, use_bias):
    return input_dim * units + (units if use_bias else 0)


def dense_parameter_count_numpy_integer(input_dim, units, use_bias):
    return np.int64(input_dim * units + (units if use_bias else 0))


def dense_parameter_count_without_bias(input_dim, units, use_bias):
    return input_dim * units


def dense_parameter_count_always_bias(input_dim, units, use_bias):
    return (input_dim + 1) * units


def dense_parameter_count_bias_per_input(input_dim, units, use_bias):
    return input_dim * units + (input_dim if use_bias else 0)


def dense_parameter_count_float(input_dim, units, use_bias):
    return float(input_dim * units + (units if use_bias else 0))


def dense_parameter_count_bool(input_dim, units, use_bias):
    return True


class _EqualToAnything(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


def dense_parameter_count_equal_to_anything(input_dim, units, use_bias):
    return _EqualToAnything(0)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(dense_parameter_count_correct, id="int"),
        pytest.param(dense_parameter_count_numpy_integer, id="numpy-int64"),
    ],
)
def test_check_dense_parameter_count_passes_right_answers(answer, capsys):
    expect_pass(checks.check_dense_parameter_count, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(
            dense_parameter_count_without_bias,
            r"\(3, 4, use_bias=True\) returned 12, but a Dense layer like that has 16",
            id="forgets-bias",
        ),
        pytest.param(
            dense_parameter_count_always_bias,
            r"\(5, 6, use_bias=False\) returned 36, but a Dense layer like that has 30",
            id="bias-when-use-bias-false",
        ),
        pytest.param(
            dense_parameter_count_bias_per_input,
            r"\(3, 4, use_bias=True\) returned 15",
            id="bias-per-input",
        ),
        pytest.param(
            dense_parameter_count_float,
            r"must return an integer\. Received: 16\.0 of type float",
            id="float",
        ),
        pytest.param(
            dense_parameter_count_bool,
            r"must return an integer\. Received: True of type bool",
            id="bool",
        ),
        pytest.param(
            dense_parameter_count_equal_to_anything,
            r"must return an integer\. Received: 0 of type _EqualToAnything",
            id="forged-int",
        ),
    ],
)
def test_check_dense_parameter_count_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_dense_parameter_count, answer, match, capsys)
