"""Checks for the exercises of ``notebooks/03_gradient_manipulation.ipynb``.

Tested in ``tests/checks/test_nb03_gradient_manipulation.py``.
"""

from __future__ import annotations

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _check_shape,
    _input_rng,
    _require_callable,
    _to_numpy,
    exercise,
)


@exercise
def check_scale_gradient(scale_gradient: object) -> None:
    """Exercise 03.1: ``scale_gradient(x, factor)``: identity forward, gradient times ``factor``.

    The forward pass must return ``x`` unchanged; the gradient flowing back must be the
    upstream gradient multiplied by ``factor`` (so a non-uniform upstream is used, and factors
    that are negative, zero and fractional).
    """
    import keras

    from helpers import gradients

    name = "scale_gradient"
    function = _require_callable(name, scale_gradient)
    cases = _Cases(name)
    rng = _input_rng(3)
    x = rng.normal(size=(2, 3)).astype("float32")
    upstream = rng.uniform(0.5, 2.0, size=(2, 3)).astype("float32")
    upstream_tensor = keras.ops.convert_to_tensor(upstream)
    for factor in [0.5, -1.0, 3.0, 0.0]:
        received = _to_numpy(name, function(keras.ops.convert_to_tensor(x), factor))
        _check_shape(name, received, x.shape, "the forward pass returns x unchanged")
        if not np.allclose(received, x, atol=1e-6):
            raise ExerciseFailed(
                f"{name}: with factor={factor} the forward pass changed x (max change "
                f"{np.abs(received - x).max():.3g}). Only the gradient is scaled: return x itself "
                "from the forward function."
            )
        try:
            derivative = gradients.elementwise_derivative(
                lambda t, factor=factor: keras.ops.multiply(function(t, factor), upstream_tensor), x
            )
        except Exception as error:  # whatever the backend's autodiff raised
            raise ExerciseFailed(
                f"{name}: differentiating it raised {type(error).__name__}: {error}. Use "
                "@keras.ops.custom_gradient with `def grad(*args, upstream=None)` and return one "
                "gradient of x's shape."
            ) from error
        expected = factor * upstream
        if derivative.shape != x.shape or not np.allclose(derivative, expected, atol=1e-5):
            raise ExerciseFailed(
                f"{name}: with factor={factor} and an upstream gradient "
                f"{np.round(upstream[0], 3).tolist()} (first row), the gradient for x should be "
                f"{np.round(expected[0], 3).tolist()}, but it is "
                f"{np.round(np.asarray(derivative).reshape(-1)[:3], 3).tolist()}. The grad "
                "function must return upstream * factor."
            )
        cases.passed(f"factor={factor}")
    cases.report()


@exercise
def check_clip_by_norm(clip_by_norm: object) -> None:
    """Exercise 03.2: ``clip_by_norm(tensor, max_norm)`` for a single tensor.

    Rescales the whole tensor so that its L2 norm (over all its entries) is at most
    ``max_norm``; a tensor already within the limit, including an all-zero one, comes back
    unchanged (and without NaN).
    """
    import keras

    name = "clip_by_norm"
    function = _require_callable(name, clip_by_norm)
    cases = _Cases(name)
    for description, tensor, max_norm in [
        ("a vector of norm 5", np.array([3.0, -4.0]), 1.0),
        ("a vector of norm 5, limit 10", np.array([3.0, -4.0]), 10.0),
        ("a 2x2 matrix of norm 10", np.array([[6.0, 0.0], [0.0, 8.0]]), 2.0),
        ("an all-zero tensor", np.zeros((2, 3)), 1.0),
        ("a 3-D tensor", np.arange(-6.0, 6.0).reshape(2, 3, 2), 4.0),
    ]:
        tensor = tensor.astype("float32")
        norm = np.sqrt(np.sum(tensor**2))
        expected = tensor * min(1.0, max_norm / norm) if norm > 0 else tensor
        received = _to_numpy(name, function(keras.ops.convert_to_tensor(tensor), max_norm))
        _check_shape(name, received, tensor.shape, "clipping keeps the shape")
        if not np.all(np.isfinite(received)):
            raise ExerciseFailed(
                f"{name}: returned NaN or inf for {description}. A tensor whose norm is 0 is "
                "within any limit: avoid dividing by a zero norm (e.g. ops.maximum(norm, "
                "max_norm))."
            )
        if not np.allclose(received, expected, atol=1e-5):
            received_norm = float(np.sqrt(np.sum(received**2)))
            raise ExerciseFailed(
                f"{name}: wrong result for {description} with max_norm={max_norm}: expected "
                f"norm {min(norm, max_norm):.3f} with the direction unchanged, got norm "
                f"{received_norm:.3f}. Take one norm over all entries, and only shrink "
                "tensors whose norm is above max_norm (never clip entries one by one)."
            )
        cases.passed(description)
    cases.report()


@exercise
def check_kernel_gradient_norms(kernel_gradient_norms: object) -> None:
    """Exercise 03.3: ``kernel_gradient_norms(model, x, y)``, the vanishing-gradient detector.

    Returns the L2 norm of the gradient of the mean squared error for each Dense kernel, from
    the first layer to the last (biases left out), as a list of floats. Compared with
    ``helpers.gradients.value_and_grads`` on a deep sigmoid MLP and a shallow ReLU one.
    """
    import keras

    from helpers import gradients
    from helpers.env import seed_everything

    name = "kernel_gradient_norms"
    function = _require_callable(name, kernel_gradient_norms)
    cases = _Cases(name)
    rng = _input_rng(5)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    for activation, depth in [("sigmoid", 5), ("relu", 2)]:
        seed_everything(depth)  # not keras.utils.set_random_seed: it imports TensorFlow
        layers = [keras.layers.Dense(8, activation=activation) for _ in range(depth)]
        model = keras.Sequential([keras.Input(shape=(4,)), *layers, keras.layers.Dense(1)])
        _, grads = gradients.value_and_grads(model, keras.losses.MeanSquaredError(), x, y)
        expected = [
            float(np.linalg.norm(gradient))
            for variable, gradient in zip(model.trainable_variables, grads, strict=True)
            if variable.path.endswith("kernel")
        ]
        received = function(model, x, y)
        try:
            received = [float(value) for value in received]
        except (TypeError, ValueError) as error:
            raise ExerciseFailed(
                f"{name}: must return a list of numbers, one per Dense kernel. "
                f"Received: {received!r}"
            ) from error
        if len(received) != len(expected):
            raise ExerciseFailed(
                f"{name}: a model with {len(expected)} Dense layers has {len(expected)} kernels, "
                f"but {len(received)} norms came back. Leave the biases out "
                "(keep variables whose path ends with 'kernel')."
            )
        if not np.allclose(received, expected, rtol=1e-3, atol=1e-7):
            hint = (
                " They are in reverse order: go from the first layer to the last."
                if np.allclose(received[::-1], expected, rtol=1e-3, atol=1e-7)
                else " Use the L2 norm (square root of the sum of squares) of each kernel's "
                "gradient of the mean squared error."
            )
            raise ExerciseFailed(
                f"{name}: for a {depth + 1}-layer {activation} MLP expected "
                f"{np.round(expected, 6).tolist()}, received {np.round(received, 6).tolist()}."
                + hint
            )
        cases.passed(f"a {depth + 1}-layer {activation} MLP")
    cases.report()
