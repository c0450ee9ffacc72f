"""Automatic checks for the exercises at the end of each notebook.

Each ``check_*`` function takes the learner's answer (usually a function),
runs it on cases it makes itself, and either prints one line saying the
answer passed or raises :class:`ExerciseFailed` saying what was wrong. A
check must reject wrong answers: ``tests/test_checks.py`` feeds each one
typical mistakes and asserts that they are refused.

Passing something that is not an answer at all (e.g. a number where a
function is expected) raises ``TypeError`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class ExerciseFailed(AssertionError):
    """The answer ran but is not right yet; the message says what to look at."""


def _require_callable(name: str, answer: object) -> Callable[..., Any]:
    if not callable(answer):
        raise TypeError(
            f"The answer to {name!r} must be a function. "
            f"Received: {answer!r} of type {type(answer).__name__}"
        )
    return answer


def _to_numpy(name: str, value: object) -> np.ndarray:
    """Convert a backend tensor or array-like to NumPy, with an exercise-friendly error."""
    import keras

    expected = f"{name}: expected a tensor or array of numbers, but got {value!r} of type "
    try:
        array = np.asarray(keras.ops.convert_to_numpy(value))
    except Exception as error:  # any failure means "not a tensor"
        raise ExerciseFailed(f"{expected}{type(value).__name__} ({error})") from error
    if not np.issubdtype(array.dtype, np.number):
        raise ExerciseFailed(f"{expected}{type(value).__name__}")
    return array


def _passed(name: str, n_cases: int) -> None:
    print(f"{name}: passed ({n_cases} cases)")


# --- notebook 00 -----------------------------------------------------------------------


def check_standardize(standardize: object) -> None:
    """Exercise 00.1: ``standardize(x)`` rescales each column to mean 0 and std 1.

    The column statistics are the population ones (``keras.ops.std``, no
    Bessel correction). The answer is called on backend tensors of several
    shapes and scales and compared with NumPy.
    """
    import keras

    name = "standardize"
    function = _require_callable(name, standardize)
    rng = np.random.default_rng(0)
    cases = [
        rng.normal(5.0, 2.0, size=(5, 3)),
        rng.normal(-1.0, 0.1, size=(8, 1)),
        rng.uniform(0.0, 100.0, size=(16, 4)) * np.array([1.0, 10.0, 0.1, 3.0]),
    ]
    for x in cases:
        x = x.astype("float32")
        expected = (x - x.mean(axis=0)) / x.std(axis=0)
        received = _to_numpy(name, function(keras.ops.convert_to_tensor(x)))
        if received.shape != x.shape:
            raise ExerciseFailed(
                f"{name}: for an input of shape {x.shape} the output must have the same shape. "
                f"Received shape {received.shape}"
            )
        if not np.allclose(received, expected, atol=1e-4):
            raise ExerciseFailed(
                f"{name}: wrong values for an input of shape {x.shape}. Each column should "
                f"have mean 0 and standard deviation 1; the columns you returned have means "
                f"{np.round(received.mean(axis=0), 3).tolist()} and standard deviations "
                f"{np.round(received.std(axis=0), 3).tolist()}. Reduce over axis 0 only."
            )
    _passed(name, len(cases))


def check_noisy_copy(noisy_copy: object) -> None:
    """Exercise 00.2: ``noisy_copy(x, seed)`` adds N(0, 0.1^2) noise, reproducibly.

    Checked on an input whose values spread over ``[-3, 7]``: the shape is
    kept; the same seed gives the same result; another seed gives another
    result; the added noise (output minus input) has mean about 0 and
    standard deviation about 0.1, both where ``x`` is small and where it is
    large (so noise that is multiplied by ``x``, or that ignores ``x``, fails).
    """
    import keras

    name = "noisy_copy"
    function = _require_callable(name, noisy_copy)
    x_values = np.linspace(-3.0, 7.0, 20_000, dtype="float32").reshape(100, 200)
    x = keras.ops.convert_to_tensor(x_values)

    first = _to_numpy(name, function(x, 7))
    if first.shape != x_values.shape:
        raise ExerciseFailed(
            f"{name}: the output must keep the input's shape {x_values.shape}. "
            f"Received shape {first.shape}"
        )
    again = _to_numpy(name, function(x, 7))
    if not np.array_equal(first, again):
        raise ExerciseFailed(
            f"{name}: two calls with the same seed gave different results. "
            "Pass `seed` on to keras.random."
        )
    other = _to_numpy(name, function(x, 8))
    if np.array_equal(first, other):
        raise ExerciseFailed(
            f"{name}: seeds 7 and 8 gave identical results. The noise must depend on the seed."
        )

    noise = first - x_values
    for where, region in (("small", np.abs(x_values) < 1.0), ("large", x_values > 5.0)):
        mean, std = float(noise[region].mean()), float(noise[region].std())
        if abs(mean) > 0.02 or not 0.09 <= std <= 0.11:
            raise ExerciseFailed(
                f"{name}: the added noise (output - x) should have mean 0 and standard "
                f"deviation 0.1 whatever x is. Where x is {where}, it has mean {mean:.4f} and "
                f"standard deviation {std:.4f}"
            )
    _passed(name, 3)


def check_dense_parameter_count(dense_parameter_count: object) -> None:
    """Exercise 00.3: ``dense_parameter_count(input_dim, units, use_bias)`` without Keras.

    The answer's counts are compared with what a real ``keras.layers.Dense``
    reports through ``count_params()`` after it is built.
    """
    import keras

    name = "dense_parameter_count"
    function = _require_callable(name, dense_parameter_count)
    cases = [(3, 4, True), (10, 1, True), (1, 7, True), (5, 6, False), (128, 64, True)]
    for input_dim, units, use_bias in cases:
        layer = keras.layers.Dense(units, use_bias=use_bias)
        layer.build((None, input_dim))
        expected = layer.count_params()
        received = function(input_dim, units, use_bias)
        if isinstance(received, bool) or not isinstance(received, (int, np.integer)):
            raise ExerciseFailed(
                f"{name}: must return an integer. "
                f"Received: {received!r} of type {type(received).__name__}"
            )
        if received != expected:
            raise ExerciseFailed(
                f"{name}({input_dim}, {units}, use_bias={use_bias}) returned {received}, "
                f"but a Dense layer like that has {expected} parameters."
            )
    _passed(name, len(cases))


# --- notebook 01 -----------------------------------------------------------------------


def _check_shape(name: str, received: np.ndarray, expected: tuple[int, ...], hint: str) -> None:
    """Raise ExerciseFailed, with ``hint``, when ``received`` does not have shape ``expected``."""
    if received.shape != expected:
        raise ExerciseFailed(
            f"{name}: the output must have shape {expected} ({hint}). "
            f"Received shape {received.shape}"
        )


def check_clipped_binary_crossentropy(clipped_binary_crossentropy: object) -> None:
    """Exercise 01.1: port a Keras 2 loss to ``keras.ops``.

    ``clipped_binary_crossentropy(y_true, y_pred)`` clips ``y_pred`` to
    ``[epsilon, 1 - epsilon]`` (``keras.backend.epsilon()``), then returns the
    binary cross-entropy averaged over the last axis: one value per sample.

    Checked against NumPy (in float32, like the answer) on predictions that
    include exact 0s and 1s, for 2-D and 3-D inputs, and on symbolic inputs
    (``keras.Input``), which only ``keras.ops`` code accepts.
    """
    import keras

    name = "clipped_binary_crossentropy"
    function = _require_callable(name, clipped_binary_crossentropy)
    epsilon = np.float32(keras.backend.epsilon())
    rng = np.random.default_rng(1)
    cases = [
        (
            "predictions strictly between 0 and 1",
            rng.integers(0, 2, size=(4, 3)),
            rng.uniform(0.05, 0.95, size=(4, 3)),
        ),
        (
            "predictions that are exactly 0 or 1",
            np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 0]]),
            np.array([[0.0, 1.0, 1.0, 0.5, 0.0], [1.0, 0.0, 0.9, 0.2, 1.0]]),
        ),
        ("a 3-D input", rng.integers(0, 2, size=(2, 2, 4)), rng.uniform(0.0, 1.0, size=(2, 2, 4))),
    ]
    for description, y_true, y_pred in cases:
        y_true = y_true.astype("float32")
        y_pred = y_pred.astype("float32")
        clipped = np.clip(y_pred, epsilon, np.float32(1.0) - epsilon)
        expected = -np.mean(
            y_true * np.log(clipped) + (1.0 - y_true) * np.log(1.0 - clipped), axis=-1
        )
        received = _to_numpy(
            name,
            function(keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred)),
        )
        _check_shape(
            name,
            received,
            expected.shape,
            f"one value per sample for inputs of shape {y_true.shape}: average over the last "
            "axis only (axis=-1), without keepdims",
        )
        if not np.all(np.isfinite(received)):
            raise ExerciseFailed(
                f"{name}: returned inf or nan for {description}. Clip y_pred to "
                "[epsilon, 1 - epsilon] with keras.backend.epsilon() before taking logs."
            )
        if not np.allclose(received, expected, rtol=1e-4, atol=1e-4):
            hint = (
                " Cross-entropy is never negative: check the sign."
                if np.any(received < 0)
                else " Check the clipping bounds, both log terms, and use the mean (not the sum)."
            )
            raise ExerciseFailed(
                f"{name}: wrong values for {description}: expected "
                f"{np.round(expected, 4).tolist()}, received {np.round(received, 4).tolist()}."
                + hint
            )

    symbolic = keras.Input(shape=(3,))
    try:
        output = function(symbolic, keras.Input(shape=(3,)))
    except Exception as error:  # whatever breaks on a symbolic tensor
        raise ExerciseFailed(
            f"{name}: it must also work on symbolic tensors (keras.Input), as it will inside a "
            f"model, but it raised {type(error).__name__}. Use keras.ops, not NumPy or a "
            "backend's own functions."
        ) from error
    if not keras.backend.is_keras_tensor(output) or tuple(output.shape) != (None,):
        raise ExerciseFailed(
            f"{name}: called on two keras.Input(shape=(3,)) it must return a symbolic tensor of "
            f"shape (None,). Received: {output!r}"
        )
    _passed(name, len(cases) + 1)


def check_log_sum_exp(log_sum_exp: object) -> None:
    """Exercise 01.2: a numerically stable ``log_sum_exp(x, axis)``.

    Must equal ``log(sum(exp(x), axis))`` with ``axis`` reduced away (no
    ``keepdims``), and stay finite in float32 where the naive formula
    overflows (values around +1000) or underflows (around -1000), including
    rows at very different scales (so the maximum must be taken along
    ``axis``, not over the whole tensor).
    """
    import keras

    name = "log_sum_exp"
    function = _require_callable(name, log_sum_exp)
    rng = np.random.default_rng(2)
    cases = [
        ("small values", rng.normal(size=(3, 4)), -1),
        ("values around +1000", 1000.0 + rng.normal(size=(2, 5)), 1),
        ("values around -1000", -1000.0 + rng.normal(size=(2, 5)), -1),
        (
            "rows at very different scales",
            np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]]),
            1,
        ),
        ("a reduction over axis 0", rng.normal(size=(4, 3)), 0),
        ("a 3-D input reduced over axis 1", rng.normal(size=(2, 3, 4)), 1),
    ]
    for description, x, axis in cases:
        x = x.astype("float32")
        x64 = x.astype("float64")
        peak = np.max(x64, axis=axis, keepdims=True)
        expected = np.squeeze(peak, axis=axis) + np.log(np.sum(np.exp(x64 - peak), axis=axis))
        received = _to_numpy(name, function(keras.ops.convert_to_tensor(x), axis))
        _check_shape(
            name,
            received,
            expected.shape,
            f"for x of shape {x.shape} and axis={axis}: the axis is reduced away, as with "
            "keepdims=False",
        )
        if not np.all(np.isfinite(received)):
            raise ExerciseFailed(
                f"{name}: returned inf or nan for {description} (axis={axis}): exp overflows or "
                "underflows in float32. Subtract the maximum along `axis` (keepdims=True) "
                "before exp, and add it back after log."
            )
        if not np.allclose(received, expected, rtol=1e-5, atol=1e-4):
            raise ExerciseFailed(
                f"{name}: wrong values for {description} (axis={axis}): expected "
                f"{np.round(expected, 4).tolist()}, received {np.round(received, 4).tolist()}. "
                "Did you add the maximum back after the log?"
            )
    _passed(name, len(cases))


def check_shape_logger(shape_logger_class: object) -> None:
    """Exercise 01.3: a ``ShapeLogger`` layer for debugging shapes.

    ``ShapeLogger()`` must be a Keras layer that returns its input unchanged
    and appends the shape of every input it is called on, as a tuple of ints
    including the batch dimension, to its own list ``shapes`` (empty when the
    layer is made). It must also work inside a model that trains: between two
    ``Dense`` layers, gradients must flow through it.
    """
    import keras

    name = "ShapeLogger"
    if not (
        isinstance(shape_logger_class, type) and issubclass(shape_logger_class, keras.layers.Layer)
    ):
        instance_hint = (
            " Pass the class itself, not an instance: ShapeLogger, not ShapeLogger()."
            if isinstance(shape_logger_class, keras.layers.Layer)
            else ""
        )
        raise TypeError(
            f"The answer to {name!r} must be a subclass of keras.layers.Layer.{instance_hint} "
            f"Received: {shape_logger_class!r} of type {type(shape_logger_class).__name__}"
        )

    def make() -> Any:
        try:
            layer = shape_logger_class()
        except Exception as error:  # any failure to construct
            raise ExerciseFailed(
                f"{name}: {name}() raised {type(error).__name__}: {error}. The constructor "
                "should need no arguments (pass **kwargs on to super().__init__)."
            ) from error
        shapes = getattr(layer, "shapes", None)
        if not isinstance(shapes, list) or shapes:
            raise ExerciseFailed(
                f"{name}: a new layer must have an empty list `shapes`. Received: "
                f"shapes={shapes!r}. Create it in __init__ with `self.shapes = []`."
            )
        return layer

    layer = make()
    input_shapes = [(2, 3), (5, 3), (1, 4, 2)]
    for shape in input_shapes:
        x = np.arange(np.prod(shape), dtype="float32").reshape(shape) - 3.0
        received = _to_numpy(name, layer(keras.ops.convert_to_tensor(x)))
        if received.shape != x.shape or not np.array_equal(received, x):
            raise ExerciseFailed(
                f"{name}: the layer must return its input unchanged; for an input of shape "
                f"{shape} it returned values of shape {received.shape} that differ from it."
            )

    recorded = list(layer.shapes)
    if len(recorded) != len(input_shapes):
        raise ExerciseFailed(
            f"{name}: the layer was called {len(input_shapes)} times but `shapes` holds "
            f"{len(recorded)} entries: {recorded!r}. Append to it in call(), which runs at "
            "every call (build() runs only once)."
        )
    try:
        as_tuples = [tuple(int(size) for size in shape) for shape in recorded]
    except (TypeError, ValueError) as error:
        raise ExerciseFailed(
            f"{name}: each entry of `shapes` must be a tuple of ints. Received: {recorded!r}"
        ) from error
    if as_tuples != input_shapes:
        raise ExerciseFailed(
            f"{name}: after calls on inputs of shapes {input_shapes}, `shapes` holds "
            f"{as_tuples}. Record the full shape, batch dimension included: ops.shape(x)."
        )

    # A second layer must not see the first one's shapes, and must not break training:
    # between two Dense layers, gradients flow through it to the first one.
    fresh = make()
    first = keras.layers.Dense(2, kernel_initializer="ones")
    try:
        model = keras.Sequential(
            [
                keras.Input(shape=(3,)),
                first,
                fresh,
                keras.layers.Dense(1, kernel_initializer="ones"),
            ]
        )
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        model.train_on_batch(np.ones((4, 3), "float32"), np.zeros((4, 1), "float32"))
    except Exception as error:  # whatever breaks inside a model
        raise ExerciseFailed(
            f"{name}: the layer must also work inside a model that trains (symbolic tensors "
            f"while the model is built, compiled code while it trains), but it raised "
            f"{type(error).__name__}. Use keras.ops, not NumPy, in call()."
        ) from error
    if np.allclose(_to_numpy(name, first.kernel), 1.0):
        raise ExerciseFailed(
            f"{name}: in a model Dense -> {name} -> Dense, training did not change the first "
            "Dense layer: no gradient flows through your layer. Return the input tensor itself."
        )
    _passed(name, len(input_shapes) + 1)


# --- notebook 02 -----------------------------------------------------------------------


# --- notebook 03 -----------------------------------------------------------------------
