"""Checks for the exercises of ``notebooks/04_custom_optimizers.ipynb``.

Tested in ``tests/checks/test_nb04_custom_optimizers.py``.
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
    exercise,
)

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


@exercise
def check_signum(signum_class: object) -> None:
    """Exercise 04.1: ``Signum(learning_rate=0.01, beta=0.9)``, sign descent with momentum.

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


# --- predicted_update ----------------------------------------------------------------------

# (description, micro-step gradients before scaling, clipnorm, loss_scale_factor). Each of the
# mistakes below gives a different answer than the right order in at least one case.
_UPDATE_CASES = (
    ("one step, no accumulation", ([3.0, -4.0],), 1.0, None),
    ("2 micro-steps, both gradients above clipnorm", ([2.0, 0.0], [0.0, 2.0]), 1.0, None),
    ("3 micro-steps, their mean below clipnorm", ([1.0, 0.0], [0.0, 1.0], [1.0, 1.0]), 2.0, None),
    ("2 micro-steps, loss scaled by 1024", ([2.0, 0.0], [0.0, 2.0]), 10.0, 1024.0),
    ("one step, loss scaled by 8", ([0.3, 0.4],), 0.25, 8.0),
)

_UPDATE_MISTAKES = {
    "gradient": (
        "it returned the clipped gradient, not the change of the variable: SGD subtracts "
        "learning_rate x gradient, so the change is minus the gradient."
    ),
    "clip each": (
        "it clipped each micro-step's gradient, then averaged: `apply` averages the k "
        "gradients first and clips their mean, once per update."
    ),
    "last only": "it used the last micro-step's gradient alone: the update uses the mean of all k.",
    "sum": "it summed the k gradients: the accumulated update uses their mean.",
    "not unscaled": (
        "it forgot to unscale: `apply` divides every gradient by loss_scale_factor before "
        "anything else."
    ),
    "clip scaled": (
        "it clipped the gradient while still scaled and unscaled afterwards: `apply` unscales "
        "first, so clipnorm limits the unscaled gradient."
    ),
}


def _clip(gradient: np.ndarray, clipnorm: float) -> np.ndarray:
    norm = float(np.linalg.norm(gradient))
    return gradient * min(1.0, clipnorm / norm) if norm > 0 else gradient


def _predicted_by_rule(
    received: Sequence[np.ndarray], clipnorm: float, scale: float | None, mistake: str = ""
) -> np.ndarray:
    """The change of a variable after k micro-steps of SGD(1.0), in NumPy, or after a mistake."""
    factor = 1.0 if scale is None else scale
    unscaled = [g / factor for g in received]
    if mistake == "clip each":
        return -np.mean([_clip(g, clipnorm) for g in unscaled], axis=0)
    if mistake == "clip scaled":
        return -_clip(np.mean(received, axis=0), clipnorm) / factor
    combined = {
        "last only": unscaled[-1],
        "sum": np.sum(unscaled, axis=0),
        "not unscaled": np.mean(received, axis=0),
    }.get(mistake, np.mean(unscaled, axis=0))
    change = -_clip(combined, clipnorm)
    return -change if mistake == "gradient" else change


def _update_by_keras(received: Sequence[np.ndarray], clipnorm: float, scale: float | None) -> Any:
    """The change of a zero variable after ``len(received)`` calls of Keras' SGD ``apply``."""
    import keras

    steps = len(received)
    optimizer = keras.optimizers.SGD(
        learning_rate=1.0,
        clipnorm=clipnorm,
        gradient_accumulation_steps=steps if steps > 1 else None,
        loss_scale_factor=scale,
    )
    variable = keras.Variable(np.zeros_like(received[0]), name="w")
    for gradient in received:
        optimizer.apply([keras.ops.convert_to_tensor(gradient)], [variable])
    return keras.ops.convert_to_numpy(variable)


@exercise
def check_predicted_update(predicted_update: object) -> None:
    """Exercise 04.2: ``predicted_update(gradients, clipnorm, loss_scale_factor)`` in NumPy.

    ``gradients`` is the list of the k gradients one variable receives over k micro-steps, as
    ``apply`` gets them (multiplied by ``loss_scale_factor`` unless it is ``None``). The answer
    is the change of a zero variable after the k-th micro-step of
    ``SGD(learning_rate=1.0, clipnorm=clipnorm, gradient_accumulation_steps=k,
    loss_scale_factor=loss_scale_factor)`` (no accumulation when k is 1). Each case is also run
    through Keras' own SGD on the current backend, and the answer must match both.
    """
    name = "predicted_update"
    function = _require_callable(name, predicted_update)
    cases = _Cases(name)
    for description, gradients, clipnorm, scale in _UPDATE_CASES:
        factor = 1.0 if scale is None else scale
        received = [np.array(g, "float32") * np.float32(factor) for g in gradients]
        expected = _predicted_by_rule(received, clipnorm, scale).astype("float64")
        by_keras = _update_by_keras(received, clipnorm, scale)
        if not np.allclose(by_keras, expected, rtol=1e-5, atol=1e-6):  # pragma: no cover
            raise RuntimeError(
                f"{name}: Keras' SGD gave {by_keras} for {description}, the rule {expected}: "
                "this Keras version orders the steps of `apply` differently; please report it."
            )
        answer = function([g.copy() for g in received], clipnorm, scale)
        got = _to_numpy(name, answer).astype("float64")
        _check_shape(name, got, expected.shape, "the change has the variable's shape")
        if np.allclose(got, expected, rtol=1e-4, atol=1e-6):
            cases.passed(description)
            continue
        advice = next(
            (
                text
                for mistake, text in _UPDATE_MISTAKES.items()
                if np.allclose(got, _predicted_by_rule(received, clipnorm, scale, mistake))
            ),
            "follow the order of section 4: unscale, average the k gradients, clip, then step.",
        )
        raise ExerciseFailed(
            f"{name}: for {description} (clipnorm={clipnorm}, loss_scale_factor={scale}) "
            f"Keras moves the variable by {np.round(expected, 4).tolist()}, the answer says "
            f"{np.round(got, 4).tolist()}: {advice}"
        )
    cases.report()


# --- LinearWarmup --------------------------------------------------------------------------

_WARMUP_PEAK, _WARMUP_STEPS, _WARMUP_SHOWN = 0.1, 4, 7


def _warmup_expected(steps: int) -> np.ndarray:
    """``peak * min(1, (s + 1) / warmup_steps)`` for ``s = 0 .. steps - 1``, in NumPy."""
    return _WARMUP_PEAK * np.minimum(1.0, (np.arange(steps) + 1.0) / _WARMUP_STEPS)


def _warmup_advice(rates: np.ndarray) -> str:
    """What a wrong sequence of learning rates suggests the learner look at."""
    steps = np.arange(len(rates))
    if np.allclose(rates, _WARMUP_PEAK * np.minimum(1.0, steps / _WARMUP_STEPS)):
        return (
            "it starts at 0: the first update is step 0, and it already gets peak / warmup_steps."
        )
    if np.allclose(rates, _WARMUP_PEAK * (steps + 1.0) / _WARMUP_STEPS):
        return f"it keeps climbing after {_WARMUP_STEPS} steps: cap it at peak (ops.minimum)."
    if np.allclose(rates, _WARMUP_PEAK * np.minimum(1, (steps + 1) // _WARMUP_STEPS)):
        return "it jumps instead of climbing: divide as floats (cast the step to float32 first)."
    return "the rule is: peak * min(1, (step + 1) / warmup_steps)."


@exercise
def check_linear_warmup(warmup_class: object) -> None:
    """Exercise 04.3: ``LinearWarmup(peak, warmup_steps)``, a learning-rate schedule.

    At step ``s`` (0 for the first update) the rate is ``peak * min(1, (s + 1) / warmup_steps)``.
    Called step by step; then used by ``SGD`` in a compiled ``fit``, where each update's rate
    is read back from the weights (a zero kernel, inputs of 1 and a mean absolute error below
    its target, so that every gradient is -1, one update per ``fit``); then saved and loaded
    with its model.
    """
    import keras

    name = "LinearWarmup"
    base = "keras.optimizers.schedules.LearningRateSchedule"
    answer_class = _require_subclass(name, warmup_class, base)
    cases = _Cases(name)
    arguments = {"peak": _WARMUP_PEAK, "warmup_steps": _WARMUP_STEPS}
    schedule = _construct(name, answer_class, arguments)

    expected = _warmup_expected(_WARMUP_SHOWN)
    try:
        called = np.array(
            [
                float(_to_numpy(name, schedule(keras.ops.convert_to_tensor(step, "int32"))))
                for step in range(_WARMUP_SHOWN)
            ]
        )
    except ExerciseFailed:
        raise
    except Exception as error:  # the learner's __call__ failed on a tensor step
        raise ExerciseFailed(
            f"{name}: calling it with a step tensor raised {type(error).__name__}: {error}. "
            "Keras passes the optimizer's step counter, an integer variable: cast it with ops.cast."
        ) from error
    if not np.allclose(called, expected, rtol=1e-5):
        raise ExerciseFailed(
            f"{name}(peak={_WARMUP_PEAK}, warmup_steps={_WARMUP_STEPS}) at steps 0 to "
            f"{_WARMUP_SHOWN - 1} gave {np.round(called, 4).tolist()}, expected "
            f"{np.round(expected, 4).tolist()}: {_warmup_advice(called)}"
        )
    cases.passed("called step by step")

    dense = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")
    model = keras.Sequential([keras.Input((1,)), dense])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mae")
    kernels = []
    for _ in range(_WARMUP_SHOWN - 1):  # one update per fit: the step counter carries on
        _fit_quietly(
            name,
            model,
            np.ones((1, 1), "float32"),
            np.full((1, 1), 100.0, "float32"),
            what=f"with SGD(learning_rate={name}(...))",
            advice="Keras calls the schedule inside the compiled step: use keras.ops, not a "
            "Python if or min() on the step.",
        )
        kernels.append(float(_to_numpy(name, dense.kernel).ravel()[0]))
    rates = np.diff([0.0, *kernels])
    if not np.allclose(rates, expected[: len(rates)], rtol=1e-4):
        raise ExerciseFailed(
            f"{name}: in fit, the updates used the rates {np.round(rates, 4).tolist()}, "
            f"expected {np.round(expected[: len(rates)], 4).tolist()}: {_warmup_advice(rates)}"
        )
    cases.passed("in a compiled fit")

    loaded = _reload(name, model, " and give the schedule a get_config() with its arguments")
    restored = loaded.optimizer.get_config()["learning_rate"]
    if not isinstance(restored, dict) or restored.get("config") != schedule.get_config():
        raise ExerciseFailed(
            f"{name}: after saving and loading, the optimizer's learning rate is {restored!r}, "
            f"not the schedule: get_config() must return {{'peak': ..., 'warmup_steps': ...}}."
        )
    cases.passed("saved and loaded with its model")
    cases.report()
