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


def check_mish(mish: object) -> None:
    """Exercise 02.1: ``mish(x) = x * tanh(softplus(x))`` with ``keras.ops``.

    The answer's values *and* its derivative (by the backend's autodiff, as training would
    compute it) are compared with NumPy at points from -20 to 20, where a naive softplus
    ``log(1 + exp(x))`` overflows. It must also accept a symbolic ``keras.Input``.
    """
    import keras

    from helpers.gradients import elementwise_derivative

    name = "mish"
    function = _require_callable(name, mish)
    x64 = np.array([-20.0, -3.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5, 20.0, 100.0])
    softplus = np.logaddexp(0.0, x64)
    expected = x64 * np.tanh(softplus)
    sigmoid = 1.0 / (1.0 + np.exp(-x64))
    expected_slope = np.tanh(softplus) + x64 * sigmoid * (1.0 - np.tanh(softplus) ** 2)
    x = keras.ops.convert_to_tensor(x64.astype("float32"))
    received = _to_numpy(name, function(x))
    _check_shape(name, received, x64.shape, "an activation is element-wise")
    if not np.all(np.isfinite(received)):
        raise ExerciseFailed(
            f"{name}: returned inf or nan at x={x64[~np.isfinite(received)].tolist()}. "
            "log(1 + exp(x)) overflows for large x: use ops.softplus."
        )
    if not np.allclose(received, expected, rtol=1e-4, atol=1e-5):
        raise ExerciseFailed(
            f"{name}: wrong values at x={x64.tolist()}: expected "
            f"{np.round(expected, 4).tolist()}, received {np.round(received, 4).tolist()}."
        )
    try:
        slope = elementwise_derivative(function, x)
    except Exception as error:  # e.g. NumPy code under JAX's tracer
        raise ExerciseFailed(
            f"{name}: the backend could not differentiate it ({type(error).__name__}). "
            "Write it with keras.ops only, no NumPy."
        ) from error
    slope = np.asarray(slope, dtype="float64")
    if not np.all(np.isfinite(slope)):
        raise ExerciseFailed(
            f"{name}: the values are right but the derivative is inf or nan at "
            f"x={x64[~np.isfinite(slope)].tolist()}: exp(x) overflows inside the gradient of "
            "log(1 + exp(x)). Use ops.softplus, which is written to stay finite."
        )
    if not np.allclose(slope, expected_slope, rtol=1e-3, atol=1e-4):
        raise ExerciseFailed(
            f"{name}: the values are right but the derivative is not: expected "
            f"{np.round(expected_slope, 3).tolist()}, autodiff gives "
            f"{np.round(slope, 3).tolist()}. Training would see no (or a wrong) gradient: "
            "do not convert to NumPy or stop the gradient."
        )
    try:
        output = function(keras.Input(shape=(3,)))
    except Exception as error:  # whatever breaks on a symbolic tensor
        raise ExerciseFailed(
            f"{name}: it must also work on a symbolic keras.Input, as in a model, but it "
            f"raised {type(error).__name__}. Use keras.ops."
        ) from error
    if not keras.backend.is_keras_tensor(output) or tuple(output.shape) != (None, 3):
        raise ExerciseFailed(
            f"{name}: on keras.Input(shape=(3,)) it must return a symbolic tensor of shape "
            f"(None, 3). Received: {output!r}"
        )
    _passed(name, 3)


def _require_layer_class(name: str, answer: object) -> type:
    import keras

    if not (isinstance(answer, type) and issubclass(answer, keras.layers.Layer)):
        instance_hint = (
            f" Pass the class itself, not an instance: {name}, not {name}(...)."
            if isinstance(answer, keras.layers.Layer)
            else ""
        )
        raise TypeError(
            f"The answer to {name!r} must be a subclass of keras.layers.Layer.{instance_hint} "
            f"Received: {answer!r} of type {type(answer).__name__}"
        )
    return answer


def _reload(name: str, model: Any, hint: str = "") -> Any:
    """Save ``model`` to a ``.keras`` file and load it back, as an exercise check does."""
    from helpers.saving import save_and_load

    try:
        return save_and_load(model, filename=f"{name.lower()}.keras")
    except Exception as error:  # unregistered class, missing config, ...
        raise ExerciseFailed(
            f"{name}: a model using it was saved but could not be loaded "
            f"({type(error).__name__}). Decorate the class with "
            f"@keras.saving.register_keras_serializable(package=...){hint}."
        ) from error


def check_scaled_tanh(scaled_tanh_class: object) -> None:
    """Exercise 02.2: a serializable learnable activation ``ScaledTanh(initial_scale=1.0)``.

    ``ScaledTanh(initial_scale=s)`` computes ``scale * tanh(x)`` with one trainable scalar
    weight ``scale`` that starts at ``s``. Checked: the values, that ``scale`` is the layer's
    only trainable weight and gets a gradient, that ``get_config``/``from_config`` keep
    ``initial_scale``, and that a model using it survives ``save`` / ``load_model`` to a
    ``.keras`` file (which needs ``@keras.saving.register_keras_serializable``) with the
    trained value of ``scale`` and identical predictions.
    """

    import keras

    name = "ScaledTanh"
    layer_class = _require_layer_class(name, scaled_tanh_class)
    x = np.linspace(-2.0, 2.0, 6, dtype="float32").reshape(2, 3)
    for initial_scale in (0.5, 2.0):
        try:
            layer = layer_class(initial_scale=initial_scale)
        except Exception as error:  # any failure to construct
            raise ExerciseFailed(
                f"{name}: {name}(initial_scale={initial_scale}) raised "
                f"{type(error).__name__}: {error}"
            ) from error
        received = _to_numpy(name, layer(keras.ops.convert_to_tensor(x)))
        expected = initial_scale * np.tanh(x)
        if received.shape != x.shape or not np.allclose(received, expected, atol=1e-5):
            raise ExerciseFailed(
                f"{name}(initial_scale={initial_scale}) must compute scale * tanh(x) with scale "
                f"starting at {initial_scale}: expected {np.round(expected, 3).tolist()}, "
                f"received {np.round(received, 3).tolist()}."
            )
        if len(layer.trainable_weights) != 1 or tuple(layer.trainable_weights[0].shape) != ():
            raise ExerciseFailed(
                f"{name}: the layer must have exactly one trainable weight, a scalar (shape "
                f"()). Received trainable weights of shapes "
                f"{[tuple(weight.shape) for weight in layer.trainable_weights]}."
            )
        config = layer.get_config()
        if config.get("initial_scale") != initial_scale:
            raise ExerciseFailed(
                f"{name}: get_config() must hold initial_scale={initial_scale} (add it to the "
                f"dict from super().get_config()). Received: {config!r}"
            )
        copy = layer_class.from_config(config)
        copied = _to_numpy(name, copy(keras.ops.convert_to_tensor(x)))
        if not np.allclose(copied, expected, atol=1e-5):
            raise ExerciseFailed(
                f"{name}: a copy made by from_config(get_config()) computes other values: "
                "__init__ must store initial_scale and build() must use it."
            )

    from helpers.env import seed_everything

    seed_everything(0)  # keras.utils.set_random_seed would import TensorFlow on any backend
    model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(3), layer_class(initial_scale=0.5)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, 3.0 * np.ones_like(x), epochs=3, verbose=0)
    activation = model.layers[-1]
    trained = float(_to_numpy(name, activation.trainable_weights[0]))
    if np.isclose(trained, 0.5):
        raise ExerciseFailed(
            f"{name}: after training towards targets of 3, scale is still 0.5: it gets no "
            "gradient. Create it with add_weight(..., trainable=True) and use it in call()."
        )
    loaded = _reload(name, model, " and give it a get_config() that returns initial_scale")
    if type(loaded.layers[-1]) is not layer_class:
        raise ExerciseFailed(
            f"{name}: the loaded model's last layer is a {type(loaded.layers[-1]).__name__}, "
            f"not your {name}: register the class you are checking."
        )
    loaded_scale = float(_to_numpy(name, loaded.layers[-1].trainable_weights[0]))
    same = np.allclose(
        _to_numpy(name, model(x)), _to_numpy(name, loaded(x)), atol=1e-6
    ) and np.isclose(loaded_scale, trained)
    if not same:
        raise ExerciseFailed(
            f"{name}: after save and load, scale is {loaded_scale:.4f} instead of the trained "
            f"{trained:.4f}: create the weight in build() with self.add_weight, so Keras saves it."
        )
    _passed(name, 4)


def check_unit_interval(unit_interval_class: object) -> None:
    """Exercise 02.3: a constraint ``UnitInterval()`` that keeps a weight in ``[0, 1]``.

    ``UnitInterval`` must subclass ``keras.constraints.Constraint``; calling an instance on a
    tensor clips it to ``[0, 1]`` (values inside are unchanged). Used as the ``constraint`` of
    a learnable slope and trained with a gradient that pushes the slope far outside, the slope
    must stay in ``[0, 1]`` on every step.
    """
    import keras

    name = "UnitInterval"
    if not (
        isinstance(unit_interval_class, type)
        and issubclass(unit_interval_class, keras.constraints.Constraint)
    ):
        instance_hint = (
            " Pass the class itself, not an instance: UnitInterval, not UnitInterval()."
            if isinstance(unit_interval_class, keras.constraints.Constraint)
            else ""
        )
        raise TypeError(
            f"The answer to {name!r} must be a subclass of keras.constraints.Constraint."
            f"{instance_hint} Received: {unit_interval_class!r} of type "
            f"{type(unit_interval_class).__name__}"
        )
    try:
        constraint = unit_interval_class()
    except Exception as error:  # any failure to construct
        raise ExerciseFailed(
            f"{name}: {name}() raised {type(error).__name__}: {error}. It needs no arguments."
        ) from error
    weights = np.array([-3.0, -0.1, 0.0, 0.25, 0.5, 1.0, 1.5, 40.0], dtype="float32")
    received = _to_numpy(name, constraint(keras.ops.convert_to_tensor(weights)))
    expected = np.clip(weights, 0.0, 1.0)
    _check_shape(name, received, weights.shape, "same shape as the weight")
    if not np.allclose(received, expected, atol=1e-6):
        raise ExerciseFailed(
            f"{name}: for weights {weights.tolist()} expected {expected.tolist()}, received "
            f"{np.round(received, 4).tolist()}. Clip to [0, 1]; leave values inside unchanged."
        )

    class Slope(keras.layers.Layer):
        def build(self, input_shape):
            self.slope = self.add_weight(
                shape=(), initializer=keras.initializers.Constant(0.5), constraint=constraint
            )

        def call(self, inputs):
            return self.slope * inputs

    for target in (10.0, -10.0):  # push the slope far above 1, then far below 0
        layer = Slope()
        model = keras.Sequential([keras.Input(shape=(1,)), layer])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="mse")
        x = np.ones((4, 1), dtype="float32")
        try:
            model.fit(x, target * x, epochs=3, verbose=0)
        except Exception as error:  # e.g. NumPy inside compiled training
            raise ExerciseFailed(
                f"{name}: training with the constraint failed ({type(error).__name__}). "
                "Write __call__ with keras.ops only."
            ) from error
        slope = float(_to_numpy(name, layer.slope))
        if not 0.0 <= slope <= 1.0:
            raise ExerciseFailed(
                f"{name}: trained towards a slope of {target}, the slope ended at {slope:.3f}, "
                "outside [0, 1]."
            )
    _passed(name, 3)


# --- notebook 03 -----------------------------------------------------------------------


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
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3)).astype("float32")
    upstream = rng.uniform(0.5, 2.0, size=(2, 3)).astype("float32")
    upstream_tensor = keras.ops.convert_to_tensor(upstream)
    factors = [0.5, -1.0, 3.0, 0.0]
    for factor in factors:
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
    _passed(name, len(factors))


def check_clip_by_norm(clip_by_norm: object) -> None:
    """Exercise 03.2: ``clip_by_norm(tensor, max_norm)`` for a single tensor.

    Rescales the whole tensor so that its L2 norm (over all its entries) is at most
    ``max_norm``; a tensor already within the limit, including an all-zero one, comes back
    unchanged (and without NaN).
    """
    import keras

    name = "clip_by_norm"
    function = _require_callable(name, clip_by_norm)
    cases = [
        ("a vector of norm 5", np.array([3.0, -4.0]), 1.0),
        ("a vector of norm 5, limit 10", np.array([3.0, -4.0]), 10.0),
        ("a 2x2 matrix of norm 10", np.array([[6.0, 0.0], [0.0, 8.0]]), 2.0),
        ("an all-zero tensor", np.zeros((2, 3)), 1.0),
        ("a 3-D tensor", np.arange(-6.0, 6.0).reshape(2, 3, 2), 4.0),
    ]
    for description, tensor, max_norm in cases:
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
    _passed(name, len(cases))


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
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    cases = [("sigmoid", 5), ("relu", 2)]
    for activation, depth in cases:
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
    _passed(name, len(cases))


# --- notebook 04 -----------------------------------------------------------------------


def _make_layer(name: str, layer_class: type, **kwargs: Any) -> Any:
    arguments = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    try:
        return layer_class(**kwargs)
    except Exception as error:  # any failure to construct
        raise ExerciseFailed(
            f"{name}: {name}({arguments}) raised {type(error).__name__}: {error}"
        ) from error


def _call_layer(name: str, layer: Any, batch: np.ndarray, **kwargs: Any) -> np.ndarray:
    """Call the answer's layer eagerly on ``batch``; its errors become ExerciseFailed."""
    import keras

    try:
        return _to_numpy(name, layer(keras.ops.convert_to_tensor(batch), **kwargs))
    except ExerciseFailed:
        raise
    except Exception as error:  # the learner's call() failed
        raise ExerciseFailed(
            f"{name}: calling the layer on a batch of shape {batch.shape} raised "
            f"{type(error).__name__}: {str(error)[:200]}. Make the weights' shapes follow "
            "input_shape in build()."
        ) from error


def _state_variable(name: str, layer: Any, attribute: str, shape: tuple[int, ...]) -> Any:
    """The layer's ``attribute`` must be a non-trainable ``keras.Variable`` of ``shape``."""
    import keras

    variable = getattr(layer, attribute, None)
    if not isinstance(variable, keras.Variable):
        raise ExerciseFailed(
            f"{name}: after the layer is built, `self.{attribute}` must be a weight made with "
            f"self.add_weight(..., trainable=False) in build(). Received: {variable!r}"
        )
    if variable.trainable or any(variable is weight for weight in layer.trainable_weights):
        raise ExerciseFailed(
            f"{name}: `{attribute}` is trainable, so the optimizer would change it. Create it "
            "with add_weight(..., trainable=False)."
        )
    if tuple(variable.shape) != shape:
        raise ExerciseFailed(
            f"{name}: `{attribute}` must have shape {shape}. Received: {tuple(variable.shape)}"
        )
    return variable


def _fit_quietly(name: str, model: Any, x: np.ndarray, y: np.ndarray, **kwargs: Any) -> None:
    try:
        model.fit(x, y, verbose=0, shuffle=False, **kwargs)
    except Exception as error:  # e.g. NumPy or a Python `if` on a tensor inside fit
        raise ExerciseFailed(
            f"{name}: training a model that uses the layer failed ({type(error).__name__}: "
            f"{str(error)[:200]}). Inside call(), use keras.ops only and change state with "
            "variable.assign(...)."
        ) from error


def _identity_model(layer: Any, features: int, *, dense_before: bool = False) -> Any:
    """``layer`` followed by a Dense(1), optionally after a Dense(features); compiled, SGD."""
    import keras

    from helpers.env import seed_everything

    seed_everything(0)  # keras.utils.set_random_seed would import TensorFlow on any backend
    before = [keras.layers.Dense(features)] if dense_before else []
    model = keras.Sequential(
        [keras.Input(shape=(features,)), *before, layer, keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def check_moving_average(moving_average_class: object) -> None:
    """Exercise 04.1: ``ExponentialMovingAverage(momentum=0.9)``, a layer that tracks its input.

    The layer returns its input unchanged. It keeps a non-trainable weight ``average`` of
    shape ``(features,)``, starting at zeros, and on each call with ``training=True`` sets
    ``average = momentum * average + (1 - momentum) * mean of the batch``. With
    ``training=False`` or no ``training`` argument (``predict``, ``evaluate``, a plain call) it
    leaves ``average`` alone. Checked in eager calls against NumPy, with batches of different
    sizes and 3 or 4 features; inside ``fit`` / ``predict``, where state must be changed with
    ``assign`` to survive compilation (and JAX's stateless training); and that gradients still
    flow through the layer to the layers before it.
    """

    name = "ExponentialMovingAverage"
    layer_class = _require_layer_class(name, moving_average_class)
    rng = np.random.default_rng(4)
    for momentum, features in ((0.9, 3), (0.5, 4)):
        layer = _make_layer(name, layer_class, momentum=momentum)
        expected = np.zeros(features)
        for size in (5, 2, 7, 3):
            batch = rng.normal(2.0, 1.0, size=(size, features)).astype("float32")
            output = _call_layer(name, layer, batch, training=True)
            if output.shape != batch.shape or not np.allclose(output, batch, atol=1e-6):
                raise ExerciseFailed(f"{name}: the layer must return its input unchanged.")
            average = _state_variable(name, layer, "average", (features,))
            expected = momentum * expected + (1 - momentum) * batch.mean(axis=0)
            received = _to_numpy(name, average)
            if not np.allclose(received, expected, atol=1e-5):
                raise ExerciseFailed(
                    f"{name}(momentum={momentum}): after a training call on a batch of {size} "
                    f"samples the average should be {np.round(expected, 4).tolist()}, received "
                    f"{np.round(received, 4).tolist()}. Keep `momentum` of the old average and "
                    "add (1 - momentum) of the batch mean over axis 0; start from zeros."
                )
        if layer.trainable_weights:
            raise ExerciseFailed(f"{name}: the layer must have no trainable weights.")
        for how, training in (
            ("training=False", {"training": False}),
            ("no training argument", {}),
        ):
            _call_layer(name, layer, batch + 100.0, **training)
            if not np.allclose(_to_numpy(name, layer.average), expected, atol=1e-5):
                raise ExerciseFailed(
                    f"{name}: a call with {how} changed the average: update it only when "
                    "training is True (give `training` the default False)."
                )

    layer = _make_layer(name, layer_class, momentum=0.9)
    model = _identity_model(layer, features=3)
    x = rng.normal(2.0, 1.0, size=(15, 3)).astype("float32")  # 3 batches of 5
    _fit_quietly(name, model, x, np.zeros((15, 1), "float32"), batch_size=5, epochs=1)
    expected = np.zeros(3)
    for batch in x.reshape(3, 5, 3):
        expected = 0.9 * expected + 0.1 * batch.mean(axis=0)
    received = _to_numpy(name, _state_variable(name, layer, "average", (3,)))
    if not np.allclose(received, expected, atol=1e-4):
        raise ExerciseFailed(
            f"{name}: after fit on 3 batches the average should be "
            f"{np.round(expected, 4).tolist()}, received {np.round(received, 4).tolist()}. "
            "Update it with self.average.assign(...) inside call()."
        )
    model.predict(x + 100.0, batch_size=5, verbose=0)
    if not np.allclose(_to_numpy(name, layer.average), expected, atol=1e-4):
        raise ExerciseFailed(
            f"{name}: predict() changed the average: update it only when training is True."
        )

    model = _identity_model(_make_layer(name, layer_class, momentum=0.9), 3, dense_before=True)
    before = _to_numpy(name, model.layers[0].kernel).copy()
    _fit_quietly(name, model, x, np.ones((15, 1), "float32"), batch_size=5, epochs=1)
    if np.allclose(before, _to_numpy(name, model.layers[0].kernel)):
        raise ExerciseFailed(
            f"{name}: a Dense layer placed before it did not learn: the layer blocks the "
            "gradient. Return the inputs themselves, not ops.stop_gradient(inputs)."
        )
    _passed(name, 5)


def check_call_counter(call_counter_class: object) -> None:
    """Exercise 04.2: ``CallCounter()``, which counts training batches and survives save/load.

    The layer returns its input unchanged and keeps a non-trainable scalar weight ``calls``
    that grows by one on every call with ``training=True`` (one per batch in ``fit``), not in
    ``predict``. A model using it is saved to a ``.keras`` file and loaded back: the loaded
    layer must still hold the count and go on counting from there.
    """

    name = "CallCounter"
    layer_class = _require_layer_class(name, call_counter_class)
    layer = _make_layer(name, layer_class)
    model = _identity_model(layer, features=2)
    x = np.linspace(-1.0, 1.0, 24, dtype="float32").reshape(12, 2)
    y = np.zeros((12, 1), "float32")

    def count(counter: Any) -> float:
        return float(_to_numpy(name, _state_variable(name, counter, "calls", ())))

    _fit_quietly(name, model, x, y, batch_size=4, epochs=2)
    if count(layer) != 6:
        raise ExerciseFailed(
            f"{name}: fit on 12 samples, batch size 4, 2 epochs is 6 training batches; the "
            f"counter reads {count(layer):g}. Add one per call with training=True, with "
            "self.calls.assign_add(...)."
        )
    output = _to_numpy(name, model.layers[0](x))
    if not np.allclose(output, x):
        raise ExerciseFailed(f"{name}: the layer must return its input unchanged.")
    model.predict(x, batch_size=4, verbose=0)
    if count(layer) != 6:
        raise ExerciseFailed(
            f"{name}: predict() changed the count to {count(layer):g}: count only calls with "
            "training=True."
        )
    loaded = _reload(name, model)
    counter = loaded.layers[0]
    if type(counter) is not layer_class:
        raise ExerciseFailed(
            f"{name}: the loaded model's first layer is a {type(counter).__name__}, not your "
            f"{name}: register the class you are checking."
        )
    if count(counter) != 6:
        raise ExerciseFailed(
            f"{name}: after save and load the counter reads {count(counter):g} instead of 6: "
            "make it a weight (self.add_weight in build()), so the .keras file stores it."
        )
    _fit_quietly(name, loaded, x, y, batch_size=4, epochs=1)
    if count(counter) != 9:
        raise ExerciseFailed(
            f"{name}: after one more epoch (3 batches) the loaded counter should read 9, "
            f"received {count(counter):g}."
        )
    _passed(name, 4)


def check_resetting_sum(resetting_sum_class: object) -> None:
    """Exercise 04.3: ``ResettingSum(period)``, a running sum that starts over by itself.

    The layer keeps a non-trainable weight ``total`` of shape ``(features,)``. On every call
    (training or not), if it has already summed ``period`` batches since it last started, it
    starts again from zero; then it adds the batch's sum over axis 0 to ``total`` and returns
    ``total`` broadcast to the input's shape. ``period`` must be a positive integer:
    ``ResettingSum(period=0)`` raises ``ValueError``. Checked in eager calls on batches of
    different sizes (the weight ``total`` must hold what is returned) and inside a compiled
    ``predict``, where a Python ``if`` on a tensor cannot decide when to reset (on PyTorch,
    which Keras runs eagerly, such an ``if`` happens to work).
    """
    import keras

    name = "ResettingSum"
    layer_class = _require_layer_class(name, resetting_sum_class)
    for bad_period in (0, -2, 2.5, "3"):
        try:
            layer_class(period=bad_period)
        except ValueError:
            continue
        except Exception as error:  # wrong error type
            raise ExerciseFailed(
                f"{name}(period={bad_period!r}) raised {type(error).__name__}; raise ValueError "
                "for a period that is not a positive integer."
            ) from error
        raise ExerciseFailed(
            f"{name}(period={bad_period!r}) was accepted: validate `period` in __init__ (a "
            "positive int) and raise ValueError saying what was expected."
        )

    def make_batches(sizes: tuple[int, ...]) -> list[np.ndarray]:
        values = np.arange(1, 2 * sum(sizes) + 1, dtype="float32").reshape(-1, 2)
        return np.split(values * np.array([1.0, 10.0], "float32"), np.cumsum(sizes)[:-1])

    def expected_totals(batches: list[np.ndarray], period: int) -> list[np.ndarray]:
        totals, total = [], np.zeros(2)
        for index, batch in enumerate(batches):
            if index % period == 0:
                total = np.zeros(2)
            total = total + batch.sum(axis=0)
            totals.append(total)
        return totals

    batches = make_batches((2, 3, 1, 2, 4, 3, 2))  # batches of different sizes
    for period in (3, 2, 1):
        layer = _make_layer(name, layer_class, period=period)
        for index, (batch, total) in enumerate(
            zip(batches, expected_totals(batches, period), strict=True)
        ):
            received = _call_layer(name, layer, batch)
            expected = np.broadcast_to(total, batch.shape)
            if received.shape != batch.shape or not np.allclose(received, expected):
                raise ExerciseFailed(
                    f"{name}(period={period}): call {index + 1} (a batch of {len(batch)}) "
                    f"should return {expected.tolist()}, received "
                    f"{np.round(received, 3).tolist()}."
                )
            stored = _to_numpy(name, _state_variable(name, layer, "total", (2,)))
            if not np.allclose(stored, total):
                raise ExerciseFailed(
                    f"{name}(period={period}): after call {index + 1}, `total` holds "
                    f"{np.round(stored, 3).tolist()} but the layer returned {total.tolist()}: "
                    "keep the running total itself in the weight."
                )
    layer = _make_layer(name, layer_class, period=2)
    model = keras.Sequential([keras.Input(shape=(2,)), layer])
    even = make_batches((2,) * 7)
    try:
        received = _to_numpy(name, model.predict(np.concatenate(even), batch_size=2, verbose=0))
    except Exception as error:  # a Python `if` on a symbolic tensor, NumPy in call, ...
        raise ExerciseFailed(
            f"{name}: predict() failed ({type(error).__name__}: {str(error)[:200]}). Inside a "
            "compiled call a Python `if` cannot look at a tensor's value: choose between the "
            "old total and zeros with keras.ops.where."
        ) from error
    expected = np.concatenate(
        [np.broadcast_to(total, (2, 2)) for total in expected_totals(even, 2)]
    )
    if not np.allclose(received, expected):
        raise ExerciseFailed(
            f"{name}(period=2): compiled predict() (batch size 2) returned "
            f"{received.tolist()}, expected {expected.tolist()}. The reset must happen inside "
            "the compiled step too."
        )
    _passed(name, 3)
