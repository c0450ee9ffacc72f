"""helpers.gradients: autodiff on the current backend, checked against hand-computed values and
finite differences, on every backend (the slow tests run one subprocess per backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

import helpers
from helpers import gradients
from tools.project import BACKENDS, run_under_backend


def tiny_model(seed: int = 0) -> keras.Model:
    helpers.seed_everything(seed)
    inputs = keras.Input(shape=(2,))
    hidden = keras.layers.Dense(3, activation="tanh", name="hidden")(inputs)
    outputs = keras.layers.Dense(1, name="out")(hidden)
    return keras.Model(inputs, outputs)


X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]], dtype="float32")
Y = np.array([[1.0], [-1.0], [0.5]], dtype="float32")


# --- elementwise_derivative and numerical_derivative ----------------------------------


def test_elementwise_derivative_of_square_is_twice_x():
    x = np.array([1.0, -2.0, 0.5], dtype="float32")
    np.testing.assert_allclose(gradients.elementwise_derivative(ops.square, x), 2 * x)


def test_elementwise_derivative_of_sigmoid_matches_the_formula():
    x = np.linspace(-4, 4, 9).astype("float32")
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(
        gradients.elementwise_derivative(ops.sigmoid, x), sigmoid * (1 - sigmoid), atol=1e-6
    )


def test_elementwise_derivative_keeps_the_shape():
    x = np.ones((2, 3), dtype="float32")
    assert gradients.elementwise_derivative(ops.tanh, x).shape == (2, 3)


def test_numerical_derivative_agrees_where_smooth_and_not_at_a_kink():
    x = np.array([-1.0, 0.0005, 1.0], dtype="float32")
    numerical = gradients.numerical_derivative(ops.relu, x)
    exact = gradients.elementwise_derivative(ops.relu, x)
    assert numerical.dtype == np.float64
    np.testing.assert_allclose(numerical[[0, 2]], exact[[0, 2]], atol=1e-3)
    # 0.0005 is closer to the kink than epsilon: the difference quotient is 0.75, not 1.
    assert abs(numerical[1] - exact[1]) > 0.2


def test_constant_function_gives_zero_derivative():
    x = np.array([1.0, 2.0], dtype="float32")
    derivative = gradients.elementwise_derivative(lambda t: ops.stop_gradient(t) * 3.0, x)
    np.testing.assert_array_equal(derivative, [0.0, 0.0])


@pytest.mark.parametrize("function", [42, "relu", None])
def test_derivatives_reject_a_non_callable(function):
    for derivative in (gradients.elementwise_derivative, gradients.numerical_derivative):
        with pytest.raises(TypeError, match=r"`function` must be callable\. Received: function="):
            derivative(function, np.ones(2, dtype="float32"))


def test_elementwise_derivative_rejects_integer_points():
    with pytest.raises(TypeError, match=r"floating-point numbers.*Received dtype int32"):
        gradients.elementwise_derivative(ops.square, np.array([1, 2], dtype="int32"))


@pytest.mark.parametrize(
    ("epsilon", "error"),
    [
        (0.0, ValueError),
        (-1e-3, ValueError),
        (float("nan"), ValueError),
        ("0.1", TypeError),
        (True, TypeError),
    ],
)
def test_numerical_derivative_rejects_a_bad_epsilon(epsilon, error):
    with pytest.raises(error, match="Received: epsilon="):
        gradients.numerical_derivative(ops.square, np.ones(2), epsilon=epsilon)


# --- value_and_grads ------------------------------------------------------------------


def test_value_and_grads_of_a_linear_model_matches_hand_computation():
    """y_pred = x w + b with MSE: dL/dw = 2/n x^T (y_pred - y), dL/db = 2/n sum(y_pred - y)."""
    layer = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    layer.build((None, 2))
    loss, (kernel_gradient, bias_gradient) = gradients.value_and_grads(
        layer, keras.losses.MeanSquaredError(), X, Y
    )
    residual = X @ np.ones((2, 1)) - Y
    assert loss == pytest.approx(float(np.mean(residual**2)), rel=1e-6)
    np.testing.assert_allclose(kernel_gradient, 2 / 3 * X.T @ residual, rtol=1e-5)
    np.testing.assert_allclose(bias_gradient, [2 / 3 * residual.sum()], rtol=1e-5)


def test_value_and_grads_matches_finite_differences_and_changes_nothing():
    model = tiny_model()
    loss_fn = keras.losses.MeanSquaredError()
    before = [variable.numpy().copy() for variable in model.trainable_variables]
    loss, grads = gradients.value_and_grads(model, loss_fn, X, Y)
    assert [g.shape for g in grads] == [tuple(v.shape) for v in model.trainable_variables]
    kernel = model.trainable_variables[0]
    epsilon = 1e-2
    for index in [(0, 0), (1, 2)]:
        shifted = []
        for sign in (1, -1):
            values = before[0].copy()
            values[index] += sign * epsilon
            kernel.assign(values)
            shifted.append(float(ops.convert_to_numpy(loss_fn(Y, model(X)))))
        kernel.assign(before[0])
        numerical = (shifted[0] - shifted[1]) / (2 * epsilon)
        assert grads[0][index] == pytest.approx(numerical, rel=1e-2, abs=1e-4)
    for variable, value in zip(model.trainable_variables, before, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
    assert loss == pytest.approx(float(ops.convert_to_numpy(loss_fn(Y, model(X)))), rel=1e-6)


def test_value_and_grads_gives_zeros_for_a_variable_cut_off_by_stop_gradient():
    inputs = keras.Input(shape=(2,))
    frozen = keras.layers.Dense(2, name="frozen")(inputs)
    outputs = keras.layers.Dense(1, name="head")(keras.layers.Lambda(ops.stop_gradient)(frozen))
    model = keras.Model(inputs, outputs)
    _, grads = gradients.value_and_grads(model, keras.losses.MeanSquaredError(), X, Y)
    frozen_kernel, frozen_bias, head_kernel, _ = grads
    np.testing.assert_array_equal(frozen_kernel, np.zeros((2, 2)))
    np.testing.assert_array_equal(frozen_bias, np.zeros(2))
    assert np.abs(head_kernel).sum() > 0


@pytest.mark.parametrize("model", [None, "model", keras.losses.MeanSquaredError()])
def test_value_and_grads_rejects_a_non_model(model):
    with pytest.raises(
        TypeError, match=r"must be a keras\.Model or keras\.layers\.Layer\. Received"
    ):
        gradients.value_and_grads(model, keras.losses.MeanSquaredError(), X, Y)


def test_value_and_grads_rejects_a_non_callable_loss():
    with pytest.raises(TypeError, match=r"`loss_fn` must be callable\. Received: loss_fn='mse'"):
        gradients.value_and_grads(tiny_model(), "mse", X, Y)


def test_value_and_grads_rejects_an_unbuilt_model():
    with pytest.raises(ValueError, match="is not built yet"):
        gradients.value_and_grads(keras.layers.Dense(1), keras.losses.MeanSquaredError(), X, Y)


def test_value_and_grads_rejects_a_per_sample_loss():
    with pytest.raises(ValueError, match=r"must return a scalar.*shape \(3,\)"):
        gradients.value_and_grads(tiny_model(), keras.losses.mean_squared_error, X, Y)


# --- every backend ---------------------------------------------------------------------

SCRIPT = """
import json, numpy as np, keras
from keras import ops
from helpers import gradients
layer = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
layer.build((None, 2))
x = np.array([[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]], dtype="float32")
y = np.array([[1.0], [-1.0], [0.5]], dtype="float32")
loss, grads = gradients.value_and_grads(layer, keras.losses.MeanSquaredError(), x, y)
points = np.linspace(-3, 3, 7).astype("float32")
errors = {}
weightless = keras.Sequential([keras.Input(shape=(2,)), keras.layers.ReLU()])
for case, arguments in {
    "no trainable variables": (weightless, keras.losses.MeanSquaredError(), x, y),
    "different lengths": (layer, keras.losses.MeanSquaredError(), x, y[:2]),
    "per-sample loss": (layer, keras.losses.mean_squared_error, x, y),
}.items():
    try:
        gradients.value_and_grads(*arguments)
        errors[case] = "no error"
    except ValueError as error:
        errors[case] = str(error)
print(json.dumps({
    "errors": errors,
    "loss": loss,
    "grads": [g.tolist() for g in grads],
    "swish": gradients.elementwise_derivative(lambda t: t * ops.sigmoid(t), points).tolist(),
    "numerical": gradients.numerical_derivative(lambda t: t * ops.sigmoid(t), points).tolist(),
    "check": gradients.max_gradient_error(ops.tanh, points),
}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_gives_the_same_gradients(backend):
    report = run_under_backend(backend, SCRIPT)
    residual = X @ np.ones((2, 1)) - Y
    assert report["loss"] == pytest.approx(float(np.mean(residual**2)), rel=1e-6)
    np.testing.assert_allclose(report["grads"][0], 2 / 3 * X.T @ residual, rtol=1e-5)
    np.testing.assert_allclose(report["grads"][1], [2 / 3 * residual.sum()], rtol=1e-5)
    np.testing.assert_allclose(report["swish"], report["numerical"], atol=1e-3)
    assert report["check"] < 1e-3
    errors = report["errors"]
    assert "has no trainable variables" in errors["no trainable variables"]
    assert "same number of samples" in errors["different lengths"]
    assert "must return a scalar" in errors["per-sample loss"]


# --- value_and_grads: more invalid input, layers without `training` -------------------


class Doubler(keras.layers.Layer):
    """A layer whose call() takes no `training` argument, with one trainable scale."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, inputs):
        return inputs * self.scale * 2.0


def test_value_and_grads_works_for_a_layer_whose_call_takes_no_training_argument():
    layer = Doubler()
    layer.build((None, 2))
    loss, (scale_gradient,) = gradients.value_and_grads(
        layer, lambda y_true, y_pred: ops.sum(y_pred), X, Y
    )
    assert loss == pytest.approx(2 * float(X.sum()), rel=1e-6)
    assert float(scale_gradient) == pytest.approx(2 * float(X.sum()), rel=1e-6)


def test_value_and_grads_rejects_a_model_without_trainable_variables():
    frozen = tiny_model()
    frozen.trainable = False
    with pytest.raises(ValueError, match=r"has no trainable variables.*Received a model with 4"):
        gradients.value_and_grads(frozen, keras.losses.MeanSquaredError(), X, Y)
    weightless = keras.Sequential([keras.Input(shape=(2,)), keras.layers.ReLU()])
    with pytest.raises(ValueError, match=r"has no trainable variables.*Received a model with 0"):
        gradients.value_and_grads(weightless, keras.losses.MeanSquaredError(), X, Y)


@pytest.mark.parametrize(
    ("x", "y"),
    [(X, Y[:2]), (X[:1], Y), (np.float32(1.0), Y)],
    ids=["fewer targets", "fewer inputs", "scalar input"],
)
def test_value_and_grads_rejects_inputs_and_targets_of_different_lengths(x, y):
    with pytest.raises(ValueError, match=r"same number of samples.*Received: x of shape"):
        gradients.value_and_grads(tiny_model(), keras.losses.MeanSquaredError(), x, y)


# --- max_gradient_error ---------------------------------------------------------------


def test_max_gradient_error_is_small_for_smooth_functions():
    x = np.linspace(-3, 3, 13).astype("float32")
    for function in (ops.tanh, ops.sigmoid, ops.softplus, lambda t: t * t * t / 10):
        assert gradients.max_gradient_error(function, x) < 1e-3


def test_max_gradient_error_flags_a_kink_and_a_wrong_custom_gradient():
    assert gradients.max_gradient_error(ops.relu, np.array([0.0002], "float32")) > 0.2

    @ops.custom_gradient
    def doubled_gradient(x):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return 2.0 * ops.cos(x) * upstream  # twice the true derivative

        return ops.sin(x), grad

    x = np.array([0.0, 1.0], "float32")
    assert gradients.max_gradient_error(doubled_gradient, x) == pytest.approx(1.0, abs=1e-3)


def test_max_gradient_error_rejects_bad_input():
    with pytest.raises(TypeError, match=r"`function` must be callable\. Received"):
        gradients.max_gradient_error("tanh", np.ones(2, "float32"))
    with pytest.raises(ValueError, match=r"Received: epsilon=0"):
        gradients.max_gradient_error(ops.tanh, np.ones(2, "float32"), epsilon=0.0)
    with pytest.raises(ValueError, match=r"must be element-wise.*Received outputs of shape \(\)"):
        gradients.max_gradient_error(ops.sum, np.ones(3, "float32"))
