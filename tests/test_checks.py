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


@pytest.mark.parametrize("answer", [mish_correct, mish_with_log1p_softplus])
def test_check_mish_accepts_a_correct_answer(answer, capsys):
    checks.check_mish(answer)
    assert capsys.readouterr().out.splitlines() == ["mish: passed (3 cases)"]


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
def test_check_mish_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_mish(answer)
    assert str(failure.value).startswith("mish")
    assert "passed" not in capsys.readouterr().out


@keras.saving.register_keras_serializable(package="test_checks_02")
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


@keras.saving.register_keras_serializable(package="test_checks_02")
class ScaledTanhNoConfig(ScaledTanhCorrect):
    def get_config(self):
        return keras.layers.Layer.get_config(self)


@keras.saving.register_keras_serializable(package="test_checks_02")
class ScaledTanhFrozen(ScaledTanhCorrect):
    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_scale), trainable=False
        )


@keras.saving.register_keras_serializable(package="test_checks_02")
class ScaledTanhPlainFloat(ScaledTanhCorrect):
    def build(self, input_shape):
        self.scale = self.initial_scale


@keras.saving.register_keras_serializable(package="test_checks_02")
class ScaledTanhPerUnit(ScaledTanhCorrect):
    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.initial_scale)
        )


@keras.saving.register_keras_serializable(package="test_checks_02")
class ScaledTanhIgnoresInitialScale(ScaledTanhCorrect):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones")


def test_check_scaled_tanh_accepts_a_correct_answer(capsys):
    checks.check_scaled_tanh(ScaledTanhCorrect)
    assert capsys.readouterr().out.splitlines() == ["ScaledTanh: passed (4 cases)"]


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(ScaledTanhUnregistered, "register_keras_serializable", id="unregistered"),
        pytest.param(ScaledTanhNoConfig, "get_config\\(\\) must hold initial_scale", id="config"),
        pytest.param(ScaledTanhFrozen, "exactly one trainable weight", id="frozen"),
        pytest.param(ScaledTanhPlainFloat, "exactly one trainable weight", id="plain-float"),
        pytest.param(ScaledTanhPerUnit, r"a scalar \(shape", id="per-unit"),
        pytest.param(ScaledTanhIgnoresInitialScale, "scale starting at 0.5", id="ignores-init"),
    ],
)
def test_check_scaled_tanh_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_scaled_tanh(answer)
    assert str(failure.value).startswith("ScaledTanh")
    assert "passed" not in capsys.readouterr().out


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


def test_check_unit_interval_accepts_a_correct_answer(capsys):
    checks.check_unit_interval(UnitIntervalCorrect)
    assert capsys.readouterr().out.splitlines() == ["UnitInterval: passed (3 cases)"]


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(UnitIntervalNonNegOnly, r"expected \[0\.0", id="non-negative-only"),
        pytest.param(UnitIntervalSigmoid, "leave values inside unchanged", id="sigmoid"),
        pytest.param(UnitIntervalAbs, "received", id="abs"),
        pytest.param(UnitIntervalNeedsArguments, "needs no arguments", id="arguments"),
    ],
)
def test_check_unit_interval_rejects_a_wrong_answer(answer, match, capsys):
    with pytest.raises(checks.ExerciseFailed, match=match) as failure:
        checks.check_unit_interval(answer)
    assert str(failure.value).startswith("UnitInterval")
    assert "passed" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("check", "answer", "message"),
    [
        (checks.check_mish, 42, "The answer to 'mish' must be a function. Received: 42"),
        (checks.check_mish, None, "The answer to 'mish' must be a function. Received: None"),
        (checks.check_scaled_tanh, 42, "must be a subclass of keras.layers.Layer. Received: 42"),
        (
            checks.check_scaled_tanh,
            ScaledTanhCorrect(),
            "Pass the class itself, not an instance: ScaledTanh, not ScaledTanh(...).",
        ),
        (checks.check_unit_interval, np.clip, "subclass of keras.constraints.Constraint."),
        (
            checks.check_unit_interval,
            UnitIntervalCorrect(),
            "Pass the class itself, not an instance: UnitInterval, not UnitInterval().",
        ),
    ],
)
def test_notebook_02_checks_refuse_what_is_not_an_answer(check, answer, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        check(answer)


# --- notebook 03 -----------------------------------------------------------------------


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


@pytest.mark.parametrize("answer", [scale_gradient_correct, scale_gradient_with_stop_gradient])
def test_check_scale_gradient_accepts_correct_answers(answer, capsys):
    checks.check_scale_gradient(answer)
    assert capsys.readouterr().out.splitlines() == ["scale_gradient: passed (4 cases)"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (scale_gradient_scales_forward, "the forward pass changed x"),
        (scale_gradient_identity, "must return upstream \\* factor"),
        (scale_gradient_forgets_factor, "must return upstream \\* factor"),
        (scale_gradient_ignores_upstream, "must return upstream \\* factor"),
        (scale_gradient_divides, "must return upstream \\* factor"),
    ],
)
def test_check_scale_gradient_refuses_wrong_answers(answer, message):
    with pytest.raises(checks.ExerciseFailed, match=message):
        checks.check_scale_gradient(answer)


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


def test_check_clip_by_norm_accepts_a_correct_answer(capsys):
    checks.check_clip_by_norm(clip_by_norm_correct)
    assert capsys.readouterr().out.splitlines() == ["clip_by_norm: passed (5 cases)"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (clip_by_norm_elementwise, "never clip entries one by one"),
        (clip_by_norm_always_rescales, "only shrink"),
        (clip_by_norm_nan_on_zeros, "NaN or inf for an all-zero tensor"),
        (clip_by_norm_per_row, "Take one norm over all entries"),
    ],
)
def test_check_clip_by_norm_refuses_wrong_answers(answer, message):
    with pytest.raises(checks.ExerciseFailed, match=message):
        checks.check_clip_by_norm(answer)


def _kernel_norms(model, x, y, keep="kernel", power=1.0, reverse=False):
    from helpers import gradients

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


def test_check_kernel_gradient_norms_accepts_a_correct_answer(capsys):
    checks.check_kernel_gradient_norms(kernel_norms_correct)
    assert capsys.readouterr().out.splitlines() == ["kernel_gradient_norms: passed (2 cases)"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (kernel_norms_with_biases, "Leave the biases out"),
        (kernel_norms_squared, "Use the L2 norm"),
        (kernel_norms_reversed, "reverse order"),
        (kernel_norms_of_weights, "Use the L2 norm"),
        (kernel_norms_not_numbers, "must return a list of numbers"),
    ],
)
def test_check_kernel_gradient_norms_refuses_wrong_answers(answer, message):
    with pytest.raises(checks.ExerciseFailed, match=message):
        checks.check_kernel_gradient_norms(answer)


@pytest.mark.parametrize(
    "check",
    [checks.check_scale_gradient, checks.check_clip_by_norm, checks.check_kernel_gradient_norms],
)
@pytest.mark.parametrize(("answer", "type_name"), [(None, "NoneType"), (2.0, "float")])
def test_notebook_03_checks_refuse_a_non_callable_answer(check, answer, type_name):
    name = check.__name__.removeprefix("check_")
    message = f"The answer to {name!r} must be a function. Received: {answer!r} of type {type_name}"
    with pytest.raises(TypeError, match=re.escape(message)):
        check(answer)


# --- notebook 04 -----------------------------------------------------------------------


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


def test_check_moving_average_accepts_a_correct_answer(capsys):
    checks.check_moving_average(MovingAverageCorrect)
    assert capsys.readouterr().out.splitlines() == ["ExponentialMovingAverage: passed (5 cases)"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (MovingAverageAlwaysUpdates, "training=False changed the average"),
        (MovingAverageSwappedMomentum, "on a batch of 5 samples the average should be"),
        (MovingAverageTrainable, "is trainable"),
        (MovingAverageReturnsAverage, "return its input unchanged"),
        (MovingAverageInPython, "must be a weight made with"),
        (MovingAverageThreeFeatures, "calling the layer on a batch of shape (5, 4) raised"),
        (MovingAverageDividesByFive, "on a batch of 2 samples"),
        (MovingAverageStopsGradient, "blocks the gradient"),
        (MovingAverageTrainsByDefault, "a call with no training argument changed the average"),
    ],
)
@pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning")  # the blocked one
def test_check_moving_average_refuses_wrong_answers(answer, message):
    with pytest.raises(checks.ExerciseFailed, match=re.escape(message)):
        checks.check_moving_average(answer)


@keras.saving.register_keras_serializable(package="tests_checks_04")
class CallCounterCorrect(keras.layers.Layer):
    def build(self, input_shape):
        self.calls = self.add_weight(
            name="calls", shape=(), initializer="zeros", dtype="int32", trainable=False
        )

    def call(self, inputs, training=False):
        if training:
            self.calls.assign_add(1)
        return inputs


@keras.saving.register_keras_serializable(package="tests_checks_04")
class CallCounterFloat(keras.layers.Layer):
    """A float counter is fine too."""

    def build(self, input_shape):
        self.calls = self.add_weight(name="calls", shape=(), initializer="zeros", trainable=False)

    def call(self, inputs, training=False):
        if training:
            self.calls.assign_add(1.0)
        return inputs


@keras.saving.register_keras_serializable(package="tests_checks_04")
class CallCounterCountsEverything(CallCounterCorrect):
    def call(self, inputs, training=False):
        self.calls.assign_add(1)
        return inputs


@keras.saving.register_keras_serializable(package="tests_checks_04")
class CallCounterCountsSamples(CallCounterCorrect):
    def call(self, inputs, training=False):
        if training:
            self.calls.assign_add(keras.ops.cast(keras.ops.shape(inputs)[0], "int32"))
        return inputs


class CallCounterUnregistered(CallCounterCorrect):
    pass


@keras.saving.register_keras_serializable(package="tests_checks_04")
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


def test_check_call_counter_accepts_correct_answers(capsys):
    checks.check_call_counter(CallCounterCorrect)
    checks.check_call_counter(CallCounterFloat)
    assert capsys.readouterr().out.splitlines() == ["CallCounter: passed (4 cases)"] * 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (CallCounterCountsEverything, "predict() changed the count"),
        (CallCounterCountsSamples, "6 training batches; the counter reads 24"),
        (CallCounterUnregistered, "register_keras_serializable"),
        (CallCounterNotSaved, "after save and load the counter reads 0"),
    ],
)
def test_check_call_counter_refuses_wrong_answers(answer, message):
    with pytest.raises(checks.ExerciseFailed, match=re.escape(message)):
        checks.check_call_counter(answer)


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
        return keras.ops.zeros_like(inputs) + self.total


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
    """Right in eager calls; a Python `if` on a tensor cannot run inside compiled predict."""

    def call(self, inputs):
        if int(keras.ops.convert_to_numpy(self.batches)) % self.period == 0:
            self.total.assign(keras.ops.zeros_like(self.total.value))
        self.total.assign(self.total + keras.ops.sum(inputs, axis=0))
        self.batches.assign_add(1)
        return keras.ops.zeros_like(inputs) + self.total


class ResettingSumCountsSamples(ResettingSumCorrect):
    def call(self, inputs):
        previous = keras.ops.where(self.start_over(), 0.0, self.total.value)
        self.total.assign(previous + keras.ops.sum(inputs, axis=0))
        self.batches.assign_add(keras.ops.cast(keras.ops.shape(inputs)[0], "int32"))
        return keras.ops.zeros_like(inputs) + self.total


class ResettingSumZeroesAfterwards(ResettingSumCorrect):
    """Returns the right totals but empties the weight at the end of each period."""

    def call(self, inputs):
        total = self.total + keras.ops.sum(inputs, axis=0)
        self.batches.assign_add(1)
        self.total.assign(keras.ops.where(self.start_over(), 0.0, total))
        return keras.ops.zeros_like(inputs) + total


class ResettingSumTwoRows(ResettingSumCorrect):
    def call(self, inputs):
        super().call(inputs)
        return keras.ops.stack([self.total.value, self.total.value])


class ResettingSumOnlyPositive(ResettingSumCorrect):
    def __init__(self, period, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        if period <= 0:
            raise ValueError(f"`period` must be positive. Received: period={period!r}")
        self.period = period


class ResettingSumReturnsInput(ResettingSumCorrect):
    def call(self, inputs):
        super().call(inputs)
        return inputs


def test_check_resetting_sum_accepts_a_correct_answer(capsys):
    checks.check_resetting_sum(ResettingSumCorrect)
    assert capsys.readouterr().out.splitlines() == ["ResettingSum: passed (3 cases)"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (ResettingSumUnvalidated, "ResettingSum(period=0) was accepted"),
        (ResettingSumOnlyPositive, "ResettingSum(period=2.5) was accepted"),
        (ResettingSumCountsSamples, "call 6 (a batch of 3) should return"),
        (ResettingSumZeroesAfterwards, "keep the running total itself in the weight"),
        (ResettingSumTwoRows, "call 2 (a batch of 3) should return"),
        (ResettingSumOffByOne, "call 4 (a batch of 2) should return"),
        (ResettingSumNeverResets, "call 4 (a batch of 2) should return"),
        (ResettingSumReturnsInput, "call 1 (a batch of 2) should return"),
        (ResettingSumPythonIf, "predict() failed"),
    ],
)
def test_check_resetting_sum_refuses_wrong_answers(answer, message):
    with pytest.raises(checks.ExerciseFailed, match=re.escape(message)):
        checks.check_resetting_sum(answer)


@pytest.mark.parametrize(
    "check", [checks.check_moving_average, checks.check_call_counter, checks.check_resetting_sum]
)
@pytest.mark.parametrize(
    ("answer", "message"),
    [(MovingAverageCorrect(), "not an instance"), (len, "builtin_function_or_method")],
)
def test_notebook_04_checks_refuse_what_is_not_a_layer_class(check, answer, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        check(answer)
