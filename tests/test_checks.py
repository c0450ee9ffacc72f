"""Tests for :mod:`helpers.checks`: right answers pass, typical mistakes are refused.

The answers are written with ``keras.ops`` / ``keras.random``, so this file
runs on whichever backend ``KERAS_BACKEND`` selects.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

from helpers import checks

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


@pytest.mark.parametrize("answer", [standardize_with_keepdims, standardize_with_variance])
def test_check_standardize_accepts_a_correct_answer(answer, capsys):
    checks.check_standardize(answer)
    assert capsys.readouterr().out.splitlines() == ["standardize: passed (3 cases)"]


def test_check_standardize_calls_the_answer_on_backend_tensors():
    received = []

    def spy(x):
        received.append(x)
        return standardize_with_keepdims(x)

    checks.check_standardize(spy)
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
def test_check_standardize_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_standardize(answer)
    assert str(failure.value).startswith("standardize: ")
    assert "passed" not in capsys.readouterr().out


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


@pytest.mark.parametrize("answer", [noisy_copy_correct, noisy_copy_with_seed_generator])
def test_check_noisy_copy_accepts_a_correct_answer(answer, capsys):
    checks.check_noisy_copy(answer)
    assert capsys.readouterr().out.splitlines() == ["noisy_copy: passed (3 cases)"]


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(noisy_copy_unseeded_keras, "same seed gave different", id="unseeded-keras"),
        pytest.param(noisy_copy_global_numpy, "same seed gave different", id="global-numpy"),
        pytest.param(noisy_copy_fixed_seed, "seeds 7 and 8 gave identical", id="fixed-seed"),
        pytest.param(noisy_copy_unchanged, "seeds 7 and 8 gave identical", id="unchanged"),
        pytest.param(noisy_copy_wrong_shape, r"shape \(100, 200\)", id="wrong-shape"),
    ],
)
def test_check_noisy_copy_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_noisy_copy(answer)
    assert str(failure.value).startswith("noisy_copy: ")
    assert "passed" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("answer", "expected_mean", "expected_std"),
    [
        pytest.param(noisy_copy_stddev_one, 0.0, 1.0, id="stddev-1"),
        pytest.param(noisy_copy_stddev_hundredth, 0.0, 0.01, id="stddev-0.01"),
        pytest.param(noisy_copy_offset, 0.1, 0.1, id="nonzero-mean"),
    ],
)
def test_check_noisy_copy_rejects_wrong_noise_and_reports_its_statistics(
    answer, expected_mean, expected_std
):
    """The message names the target (mean 0, std 0.1) and what the answer's noise had."""
    with pytest.raises(
        checks.ExerciseFailed, match=r"mean 0 and standard deviation 0\.1"
    ) as failure:
        checks.check_noisy_copy(answer)
    received = re.search(
        r"it has mean (-?\d+\.\d+) and standard deviation (\d+\.\d+)$", str(failure.value)
    )
    assert received is not None, str(failure.value)
    # Each region holds 4,000 noise values: allow five standard errors (std / 63) on the mean.
    assert float(received[1]) == pytest.approx(expected_mean, abs=5 * expected_std / 60)
    assert float(received[2]) == pytest.approx(expected_std, rel=0.05)


def noisy_copy_ignoring_x(x, seed):
    return keras.random.normal(keras.ops.shape(x), mean=1.0, stddev=0.1, seed=seed)


def noisy_copy_multiplicative(x, seed):
    return x * (1.0 + keras.random.normal(keras.ops.shape(x), stddev=0.1, seed=seed))


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(noisy_copy_ignoring_x, id="ignores-x"),
        pytest.param(noisy_copy_multiplicative, id="multiplicative"),
    ],
)
def test_check_noisy_copy_rejects_answers_that_only_work_for_ones(answer):
    with pytest.raises(checks.ExerciseFailed):
        checks.check_noisy_copy(answer)


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


@pytest.mark.parametrize(
    "answer", [dense_parameter_count_correct, dense_parameter_count_numpy_integer]
)
def test_check_dense_parameter_count_accepts_a_correct_answer(answer, capsys):
    checks.check_dense_parameter_count(answer)
    assert capsys.readouterr().out.splitlines() == ["dense_parameter_count: passed (5 cases)"]


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
    ],
)
def test_check_dense_parameter_count_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_dense_parameter_count(answer)
    assert str(failure.value).startswith("dense_parameter_count")
    assert "passed" not in capsys.readouterr().out


# --- not an answer at all --------------------------------------------------------------

CHECKS = [checks.check_standardize, checks.check_noisy_copy, checks.check_dense_parameter_count]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize(
    ("answer", "type_name"), [(42, "int"), (None, "NoneType"), ("x - x.mean()", "str")]
)
def test_non_callable_answer_raises_type_error(check, answer, type_name):
    name = check.__name__.removeprefix("check_")
    message = f"The answer to {name!r} must be a function. Received: {answer!r} of type {type_name}"
    with pytest.raises(TypeError, match=re.escape(message)):
        check(answer)


def test_exercise_failed_is_an_assertion_error():
    """Notebooks show a failed check like a failed ``assert``."""
    assert issubclass(checks.ExerciseFailed, AssertionError)


# --- clipped_binary_crossentropy (notebook 01) -----------------------------------------


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


@pytest.mark.parametrize("answer", [bce_correct, bce_keras_loss])
def test_check_clipped_binary_crossentropy_accepts_a_correct_answer(answer, capsys):
    checks.check_clipped_binary_crossentropy(answer)
    assert capsys.readouterr().out.splitlines() == ["clipped_binary_crossentropy: passed (4 cases)"]


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
def test_check_clipped_binary_crossentropy_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_clipped_binary_crossentropy(answer)
    assert str(failure.value).startswith("clipped_binary_crossentropy: ")
    assert "passed" not in capsys.readouterr().out


# --- log_sum_exp (notebook 01) ---------------------------------------------------------


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


@pytest.mark.parametrize("answer", [log_sum_exp_correct, log_sum_exp_keras])
def test_check_log_sum_exp_accepts_a_correct_answer(answer, capsys):
    checks.check_log_sum_exp(answer)
    assert capsys.readouterr().out.splitlines() == ["log_sum_exp: passed (6 cases)"]


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
def test_check_log_sum_exp_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_log_sum_exp(answer)
    assert str(failure.value).startswith("log_sum_exp: ")
    assert "passed" not in capsys.readouterr().out


def test_the_naive_log_sum_exp_really_overflows_in_float32():
    """The check's large case is one where the naive formula fails, on this backend too."""
    x = keras.ops.convert_to_tensor(np.full((1, 3), 1000.0, dtype="float32"))
    assert np.isinf(keras.ops.convert_to_numpy(log_sum_exp_naive(x, 1))).all()
    assert np.allclose(keras.ops.convert_to_numpy(log_sum_exp_correct(x, 1)), 1000 + np.log(3))


# --- ShapeLogger (notebook 01) ---------------------------------------------------------


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


@pytest.mark.parametrize("answer", [ShapeLoggerCorrect, ShapeLoggerRawShape])
def test_check_shape_logger_accepts_a_correct_answer(answer, capsys):
    checks.check_shape_logger(answer)
    assert capsys.readouterr().out.splitlines() == ["ShapeLogger: passed (4 cases)"]


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
def test_check_shape_logger_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_shape_logger(answer)
    assert str(failure.value).startswith("ShapeLogger: ")
    assert "passed" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(
            42,
            "must be a subclass of keras.layers.Layer. Received: 42 of type int",
            id="int",
        ),
        pytest.param(
            lambda x: x,
            "must be a subclass of keras.layers.Layer. Received: <function",
            id="function",
        ),
        pytest.param(
            ShapeLoggerCorrect(),
            "Pass the class itself, not an instance: ShapeLogger, not ShapeLogger(). Received:",
            id="instance",
        ),
    ],
)
def test_check_shape_logger_refuses_what_is_not_a_layer_class(answer, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        checks.check_shape_logger(answer)


CHECKS_01 = [checks.check_clipped_binary_crossentropy, checks.check_log_sum_exp]


@pytest.mark.parametrize("check", CHECKS_01, ids=lambda check: check.__name__)
@pytest.mark.parametrize(("answer", "type_name"), [(42, "int"), (None, "NoneType")])
def test_notebook_01_checks_refuse_a_non_callable_answer(check, answer, type_name):
    name = check.__name__.removeprefix("check_")
    message = f"The answer to {name!r} must be a function. Received: {answer!r} of type {type_name}"
    with pytest.raises(TypeError, match=re.escape(message)):
        check(answer)


# --- notebook 02 -----------------------------------------------------------------------


# --- notebook 03 -----------------------------------------------------------------------
