"""Checks for the exercises of ``notebooks/03_gradient_manipulation.ipynb``.

Tested in ``tests/checks/test_nb03_gradient_manipulation.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _check_shape,
    _construct,
    _fit_quietly,
    _reload,
    _require_callable,
    _require_subclass,
    _to_numpy,
)


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
    rng = np.random.default_rng(3)
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
    rng = np.random.default_rng(5)
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


# --- Signum ------------------------------------------------------------------------------

# Two variables and three steps of gradients, chosen so that every mistake below ends
# somewhere else than the right rule, and no momentum entry comes near 0 (where the sign of a
# float32 round-off would decide).
_SIGNUM_START = (
    np.array([0.5, -1.0, 2.0], "float32"),
    np.array([[1.0, 0.0], [0.0, -1.0]], "float32"),
)
_SIGNUM_GRADIENTS = (
    (np.array([3.0, -4.0, 0.5]), np.array([[0.2, -0.1], [1.0, 2.0]])),
    (np.array([-5.0, 1.0, -0.75]), np.array([[-1.0, 0.3], [-1.0, -1.5]])),
    (np.array([1.0, 2.0, -4.0]), np.array([[0.5, 0.5], [-3.0, 0.0]])),
)
# What a wrong rule does differently, and what the learner should look at.
_SIGNUM_MISTAKES = {
    "no learning rate": "multiply the step by `learning_rate`, the argument of update_step.",
    "uphill": "it moved uphill: subtract the step (self.assign_sub), do not add it.",
    "sign of the gradient": (
        "it follows the sign of each new gradient, as if the momentum were forgotten between "
        "steps: keep the momentum in a variable made in build() and update it with "
        "self.assign(momentum, ...) in every step."
    ),
    "no sign": "step by learning_rate * sign(momentum) (ops.sign), not by the momentum itself.",
    "old momentum": "update the momentum first, then step along the sign of the new momentum.",
    "beta swapped": "keep beta of the old momentum and add (1 - beta) of the gradient.",
}


def _signum_numpy(
    learning_rate: float, beta: float, steps: int, mistake: str = ""
) -> list[np.ndarray]:
    """The variables after ``steps`` steps of Signum on the crafted gradients, by NumPy."""
    weights = [w.astype("float64") for w in _SIGNUM_START]
    momentums = [np.zeros_like(w) for w in weights]
    for gradients in _SIGNUM_GRADIENTS[:steps]:
        for index, gradient in enumerate(gradients):
            old = momentums[index]
            if mistake == "beta swapped":
                momentums[index] = (1 - beta) * old + beta * gradient
            else:
                momentums[index] = beta * old + (1 - beta) * gradient
            direction = {
                "sign of the gradient": np.sign(gradient),
                "no sign": momentums[index],
                "old momentum": np.sign(old),
            }.get(mistake, np.sign(momentums[index]))
            step = direction if mistake == "no learning rate" else learning_rate * direction
            weights[index] = weights[index] + step if mistake == "uphill" else weights[index] - step
    return weights


def _apply_signum(name: str, optimizer: Any, variables: Sequence[Any], gradients: Any) -> None:
    """``optimizer.apply(gradients, variables)``; the learner's errors become ExerciseFailed."""
    import keras

    try:
        optimizer.apply([keras.ops.convert_to_tensor(g, "float32") for g in gradients], variables)
    except Exception as error:  # whatever the learner's build() or update_step() raised
        if "Unknown variable" in str(error):
            detail = "Unknown variable. In build(), call super().build(variables) first: it "
            detail += "records the variables, and apply() refuses any it does not know."
        else:
            detail = f"{str(error)[:200]}. Make the momentum variables in build() (after "
            detail += "super().build(variables)) and change variables only with self.assign / "
            detail += "self.assign_sub in update_step()."
        raise ExerciseFailed(
            f"{name}: optimizer.apply(gradients, variables) raised {type(error).__name__}: {detail}"
        ) from error


def _check_signum_steps(
    name: str, optimizer: Any, learning_rate: float, beta: float, configured: str
) -> list[Any]:
    """Three ``apply`` steps on the crafted gradients, then each compared with NumPy; a wrong
    answer is told the mistake whose NumPy version it follows at every step, if any."""
    import keras

    variables = [keras.Variable(w, name=f"w{i}") for i, w in enumerate(_SIGNUM_START)]
    received = []
    for gradients in _SIGNUM_GRADIENTS:
        _apply_signum(name, optimizer, variables, gradients)
        received.append([_to_numpy(name, v) for v in variables])

    def follows(mistake: str) -> bool:
        return all(
            np.allclose(r, e, atol=1e-5)
            for step, values in enumerate(received, start=1)
            for r, e in zip(values, _signum_numpy(learning_rate, beta, step, mistake), strict=True)
        )

    if follows(""):
        return variables
    hint = next(
        (advice for mistake, advice in _SIGNUM_MISTAKES.items() if follows(mistake)),
        "the rule is: momentum = beta * momentum + (1 - beta) * gradient, then "
        "variable -= learning_rate * sign(momentum), with the momentum starting at zeros.",
    )
    step, values = next(
        (step, values)
        for step, values in enumerate(received, start=1)
        if not all(
            np.allclose(r, e, atol=1e-5)
            for r, e in zip(values, _signum_numpy(learning_rate, beta, step), strict=True)
        )
    )
    expected = _signum_numpy(learning_rate, beta, step)
    wrong = next(
        index
        for index, (r, e) in enumerate(zip(values, expected, strict=True))
        if not np.allclose(r, e, atol=1e-5)
    )
    raise ExerciseFailed(
        f"{name}({configured}): after step {step} variable {wrong} should be "
        f"{np.round(expected[wrong], 4).tolist()}, received "
        f"{np.round(values[wrong].astype('float64'), 4).tolist()}: {hint}"
    )


def _signum_fit(name: str, optimizer_class: type, advice: str) -> Any:
    """A linear model trained by the answer for 5 compiled full-batch steps, checked against
    the same steps by NumPy; the weights oscillate, so the momentum's sign decides."""
    import keras

    x = np.array(
        [[1.0, -0.5], [0.5, 1.0], [-1.0, 0.25], [2.0, -1.0], [0.0, 1.5], [-0.5, -2.0]], "float32"
    )
    y = x @ np.array([[0.45], [-0.3]], "float32") + 0.15
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.set_weights([np.zeros((2, 1), "float32"), np.zeros(1, "float32")])
    optimizer = _construct(name, optimizer_class, {"learning_rate": 0.2, "beta": 0.5}, advice)
    model.compile(optimizer=optimizer, loss="mse")
    _fit_quietly(
        name,
        model,
        x,
        y,
        what="a linear model with it",
        advice="Write update_step with keras.ops only and change state with self.assign.",
        batch_size=len(x),
        epochs=5,
    )
    weights, bias = np.zeros((2, 1)), np.zeros(1)
    momentum_weights, momentum_bias = np.zeros((2, 1)), np.zeros(1)
    for _ in range(5):  # the gradients of the mean squared error, by hand
        residual = x @ weights + bias - y
        momentum_weights = 0.5 * momentum_weights + 0.5 * (2 / len(x)) * (x.T @ residual)
        momentum_bias = 0.5 * momentum_bias + 0.5 * (2 / len(x)) * residual.sum(axis=0)
        weights = weights - 0.2 * np.sign(momentum_weights)
        bias = bias - 0.2 * np.sign(momentum_bias)
    received = np.concatenate([w.ravel() for w in model.get_weights()])
    expected = np.concatenate([weights.ravel(), bias])
    if not np.allclose(received, expected, atol=1e-5):
        raise ExerciseFailed(
            f"{name}: after 5 compiled fit steps (learning_rate=0.2, beta=0.5) the weights "
            f"should be {np.round(expected, 4).tolist()}, received "
            f"{np.round(received, 4).tolist()}. If apply() was right step by step, something "
            "is kept in Python between steps: keep the momentum in optimizer variables and "
            "change it with self.assign."
        )
    return model


def check_signum(signum_class: object) -> None:
    """Exercise 03.4: ``Signum(learning_rate=0.01, beta=0.9)``, sign descent with momentum.

    A ``keras.optimizers.Optimizer`` subclass keeping a momentum per variable (zeros at
    first): each step ``momentum = beta * momentum + (1 - beta) * gradient``, then
    ``variable -= learning_rate * sign(momentum)``. Checked step by step with ``apply`` against
    NumPy for two settings; the momentum must live in optimizer variables; ``get_config`` /
    ``from_config`` keep ``beta``; a compiled ``fit`` of a linear model matches NumPy (the
    weights oscillate, so a forgotten momentum shows); and the model, saved with its
    optimizer and loaded back, has the same optimizer state.
    """
    name = "Signum"
    optimizer_class = _require_subclass(name, signum_class, base="keras.optimizers.Optimizer")
    cases = _Cases(name)
    advice = "Take learning_rate and beta as arguments and pass **kwargs to super().__init__."
    for learning_rate, beta in ((0.1, 0.5), (0.02, 0.9)):
        configured = f"learning_rate={learning_rate}, beta={beta}"
        arguments = {"learning_rate": learning_rate, "beta": beta}
        optimizer = _construct(name, optimizer_class, arguments, advice)
        variables = _check_signum_steps(name, optimizer, learning_rate, beta, configured)
        cases.passed(f"three steps with {configured}")

    shapes = [tuple(v.shape) for v in optimizer.variables]
    if any(tuple(v.shape) not in shapes for v in variables):
        raise ExerciseFailed(
            f"{name}: the optimizer's variables have shapes {shapes}: keep the momentum in "
            "optimizer variables, one per model variable (self.add_variable_from_reference("
            "variable, 'momentum') in build()), so that compiled steps, JAX and saving see it."
        )
    cases.passed("the momentum is kept in optimizer variables")

    config = optimizer.get_config()
    if config.get("beta") != 0.9:
        raise ExerciseFailed(
            f"{name}: get_config() must include beta (0.9 here). Received the keys "
            f"{sorted(config)}. Add beta to the dict of super().get_config()."
        )
    try:
        rebuilt = optimizer_class.from_config(config)
    except Exception as error:  # the learner's __init__ refused the config
        raise ExerciseFailed(
            f"{name}: {name}.from_config(optimizer.get_config()) raised "
            f"{type(error).__name__}: {error}. {advice}"
        ) from error
    _check_signum_steps(name, rebuilt, 0.02, 0.9, "from_config(get_config())")
    cases.passed("get_config / from_config")

    model = _signum_fit(name, optimizer_class, advice)
    cases.passed("compiled fit")

    loaded = _reload(name, model)
    if type(loaded.optimizer) is not optimizer_class:
        raise ExerciseFailed(
            f"{name}: the loaded model's optimizer is a {type(loaded.optimizer).__name__}, not "
            "your Signum: register the class you are checking."
        )
    saved = [_to_numpy(name, v) for v in model.optimizer.variables]
    restored = [_to_numpy(name, v) for v in loaded.optimizer.variables]
    if len(saved) != len(restored) or not all(
        np.allclose(s, r) for s, r in zip(saved, restored, strict=False)
    ):
        raise ExerciseFailed(
            f"{name}: after save and load the optimizer's variables (iterations, learning "
            "rate, momentums) differ from the saved ones: make every momentum in build() with "
            "self.add_variable_from_reference."
        )
    cases.passed("save and load with its model")
    cases.report()
