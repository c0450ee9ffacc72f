"""Gradients on every backend: the one place in `helpers` that uses native autodiff.

Keras 3 has no portable `GradientTape`: `fit` differentiates for you, and a custom train step
uses the backend's own machinery. For looking at gradients in a notebook, this module wraps
that machinery once, behind portable signatures:

- :func:`value_and_grads` - a model's loss and one gradient per trainable variable;
- :func:`elementwise_derivative` - the derivative of an element-wise function, e.g. an
  activation, at many points at once;
- :func:`numerical_derivative` - the same by central finite differences, to check the first;
- :func:`max_gradient_error` - the largest gap between the two: a gradient check.

Results come back as NumPy arrays, so they print and compare the same on every backend.
A variable or input that does not influence the loss gets a gradient of zeros (TensorFlow and
PyTorch report "no gradient" as ``None``; JAX reports zeros; here it is always zeros).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def _gradient(scalar_function: Callable[[list[Any]], Any], values: Sequence[Any]):
    """Value and gradients of ``scalar_function(values)`` with the backend's own autodiff.

    ``values`` are backend tensors; returns ``(value, [gradient or None, ...])``.
    """
    import keras

    backend = keras.backend.backend()
    # ======================= BACKEND-SPECIFIC CODE: native autodiff ========================
    if backend == "tensorflow":
        import tensorflow as tf

        watched = [tf.convert_to_tensor(value) for value in values]
        with tf.GradientTape() as tape:
            tape.watch(watched)
            result = scalar_function(watched)
        return result, tape.gradient(result, watched)
    if backend == "jax":
        import jax

        result, gradients = jax.value_and_grad(scalar_function)(list(values))
        return result, list(gradients)
    if backend == "torch":
        import torch

        leaves = [torch.as_tensor(value).detach().clone().requires_grad_(True) for value in values]
        result = scalar_function(leaves)
        if not result.requires_grad:  # nothing it computed depends on `values`
            return result.detach(), [None] * len(leaves)
        gradients = torch.autograd.grad(result, leaves, allow_unused=True)
        return result.detach(), list(gradients)
    # ======================= end of backend-specific code ==================================
    raise NotImplementedError(f"No autodiff code for the {backend!r} backend")


def _to_numpy_or_zeros(gradient: Any, like: Any) -> np.ndarray:
    import keras

    if gradient is None:
        return np.zeros(keras.ops.shape(like), dtype=keras.backend.standardize_dtype(like.dtype))
    return np.asarray(keras.ops.convert_to_numpy(gradient))


def _require_callable(name: str, value: object) -> None:
    if not callable(value):
        raise TypeError(
            f"`{name}` must be callable. Received: {name}={value!r} of type {type(value).__name__}"
        )


def value_and_grads(
    model: Any, loss_fn: Callable[[Any, Any], Any], x: Any, y: Any, *, training: bool = True
) -> tuple[float, list[np.ndarray]]:
    """Return the loss of ``model`` on ``(x, y)`` and its gradient for each trainable variable.

    The model is run with ``model.stateless_call`` on the current values of its variables, so
    nothing is updated: not the weights, not the non-trainable state (e.g. BatchNormalization
    statistics), not the optimizer.

    Args:
        model: a built ``keras.Model`` or ``keras.layers.Layer``.
        loss_fn: ``loss_fn(y_true, y_pred)`` returning a scalar, e.g.
            ``keras.losses.MeanSquaredError()``.
        x: the inputs (NumPy array or tensor).
        y: the targets.
        training: passed to the model's ``call`` (dropout and friends).

    Returns:
        ``(loss, gradients)``: a Python float and a list of NumPy arrays, in the order of
        ``model.trainable_variables``.

    Raises:
        TypeError: if ``model`` is not a Keras layer or ``loss_fn`` is not callable.
        ValueError: if the model is not built or has no trainable variables, if ``x`` and
            ``y`` hold different numbers of samples, or if the loss is not a scalar.
    """
    import inspect

    import keras

    if not isinstance(model, keras.layers.Layer):
        raise TypeError(
            "`model` must be a keras.Model or keras.layers.Layer. "
            f"Received: model={model!r} of type {type(model).__name__}"
        )
    _require_callable("loss_fn", loss_fn)
    if not model.built:
        raise ValueError(
            f"The model {model.name!r} is not built yet, so it has no weights to differentiate. "
            "Call it once on a batch (or give it a keras.Input) first."
        )
    if not model.trainable_variables:
        raise ValueError(
            f"The model {model.name!r} has no trainable variables, so there is no gradient to "
            f"compute. Received a model with {len(model.non_trainable_variables)} "
            "non-trainable variable(s) and none trainable: is `trainable` False, or does it "
            "have no weights at all?"
        )
    x = keras.ops.convert_to_tensor(x)
    y = keras.ops.convert_to_tensor(y)
    x_shape, y_shape = tuple(keras.ops.shape(x)), tuple(keras.ops.shape(y))
    if not x_shape or not y_shape or x_shape[0] != y_shape[0]:
        raise ValueError(
            "`x` and `y` must hold the same number of samples (their first dimension). "
            f"Received: x of shape {x_shape} and y of shape {y_shape}"
        )
    trainable = [variable.value for variable in model.trainable_variables]
    non_trainable = [variable.value for variable in model.non_trainable_variables]
    # Pass `training` only to a call() that takes it (Keras' layers do; many custom ones don't).
    parameters = inspect.signature(model.call).parameters.values()
    takes_training = any(
        parameter.name == "training" or parameter.kind is inspect.Parameter.VAR_KEYWORD
        for parameter in parameters
    )
    options = {"training": training} if takes_training else {}

    def loss_of(trainable_values: list[Any]) -> Any:
        y_pred, _ = model.stateless_call(trainable_values, non_trainable, x, **options)
        loss = loss_fn(y, y_pred)
        if tuple(keras.ops.shape(loss)) != ():
            raise ValueError(
                "`loss_fn` must return a scalar (use a reduction such as the mean). "
                f"Received a loss of shape {tuple(keras.ops.shape(loss))}"
            )
        return loss

    loss, gradients = _gradient(loss_of, trainable)
    arrays = [
        _to_numpy_or_zeros(gradient, value)
        for gradient, value in zip(gradients, trainable, strict=True)
    ]
    return float(keras.ops.convert_to_numpy(loss)), arrays


def elementwise_derivative(function: Callable[[Any], Any], x: Any) -> np.ndarray:
    """Return ``d function(x) / dx`` at every point of ``x``, by the backend's autodiff.

    ``function`` must be element-wise (each output depends only on the input at the same
    position), like an activation: then the gradient of ``sum(function(x))`` is exactly the
    derivative at each point.

    Args:
        function: an element-wise function written with ``keras.ops``.
        x: the points (NumPy array, list or tensor of floats).

    Returns:
        A float NumPy array of the same shape as ``x``.

    Example:
        >>> elementwise_derivative(keras.ops.square, np.array([1.0, -2.0]))
        array([ 2., -4.], dtype=float32)
    """
    import keras

    _require_callable("function", function)
    points = keras.ops.convert_to_tensor(x)
    if not keras.backend.is_float_dtype(points.dtype):
        raise TypeError(
            "`x` must hold floating-point numbers to differentiate at. "
            f"Received dtype {keras.backend.standardize_dtype(points.dtype)}"
        )

    def total(values: list[Any]) -> Any:
        return keras.ops.sum(function(values[0]))

    _, (gradient,) = _gradient(total, [points])
    return _to_numpy_or_zeros(gradient, points)


def numerical_derivative(
    function: Callable[[Any], Any], x: Any, *, epsilon: float = 1e-3
) -> np.ndarray:
    """Central finite differences ``(f(x + e) - f(x - e)) / 2e`` of an element-wise function.

    Computed in float64 NumPy around float32 evaluations, it agrees with
    :func:`elementwise_derivative` to about ``1e-3`` where the function is smooth, and
    disagrees where it is not (kinks, steps): exactly what a gradient check looks for.

    Args:
        function: an element-wise function written with ``keras.ops``.
        x: the points.
        epsilon: the half-width of the difference, a finite number > 0.

    Returns:
        A float64 NumPy array of the same shape as ``x``.
    """
    import keras

    _require_callable("function", function)
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise TypeError(
            f"`epsilon` must be a number > 0. Received: epsilon={epsilon!r} "
            f"of type {type(epsilon).__name__}"
        )
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"`epsilon` must be a finite number > 0. Received: epsilon={epsilon}")
    points = np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")

    def evaluate(at: np.ndarray) -> np.ndarray:
        tensor = keras.ops.convert_to_tensor(at.astype(keras.config.floatx()))
        return np.asarray(keras.ops.convert_to_numpy(function(tensor)), dtype="float64")

    return (evaluate(points + epsilon) - evaluate(points - epsilon)) / (2 * epsilon)


def max_gradient_error(function: Callable[[Any], Any], x: Any, *, epsilon: float = 1e-3) -> float:
    """Gradient check: the largest gap between autodiff and finite differences at ``x``.

    Compares :func:`elementwise_derivative` (what backpropagation will use, custom gradients
    included) with :func:`numerical_derivative` (what the forward pass actually does).

    How big a gap is a bug: the function runs in float32, whose values carry a relative
    round-off of about ``6e-8``; dividing a difference of two such values by ``2 * epsilon``
    turns that into an error of about ``1e-7 * |f(x)| / epsilon`` (``1e-4`` for values near
    1 and the default ``epsilon=1e-3``), while the truncation error of central differences
    is about ``epsilon**2 * |f'''(x)| / 6`` (``1e-7``). So for smooth functions of moderate
    size the result is below ``1e-3``; ``1e-2`` is a safe tolerance. Near a kink or a step
    (closer than ``epsilon``), and wherever a custom gradient deliberately differs from the
    derivative (clipping, reversal, straight-through), the gap is of order 1.

    Args:
        function: an element-wise function written with ``keras.ops``.
        x: the points (floats).
        epsilon: the finite-difference half-width, a finite number > 0.

    Returns:
        ``max |autodiff - numerical|`` over all points, as a Python float.

    Raises:
        TypeError: if ``function`` is not callable or ``epsilon`` is not a number.
        ValueError: if ``epsilon`` is not > 0, or ``function`` changes the shape.

    Example:
        >>> max_gradient_error(keras.ops.tanh, np.linspace(-2, 2, 9)) < 1e-2
        True
    """
    import keras

    numerical = numerical_derivative(function, x, epsilon=epsilon)  # validates its arguments
    points = np.asarray(keras.ops.convert_to_numpy(x), dtype=keras.config.floatx())
    exact = elementwise_derivative(function, points)
    if numerical.shape != points.shape:
        raise ValueError(
            "`function` must be element-wise (output shape = input shape). "
            f"Received outputs of shape {numerical.shape} for an input of shape {points.shape}"
        )
    return float(np.max(np.abs(exact.astype("float64") - numerical)))
