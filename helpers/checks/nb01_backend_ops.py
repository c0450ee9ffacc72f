"""Checks for the exercises of ``notebooks/01_backend_ops.ipynb``.

Tested in ``tests/checks/test_nb01_backend_ops.py``.
"""

from __future__ import annotations

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _check_shape,
    _construct,
    _input_rng,
    _require_callable,
    _require_gradient_flow,
    _require_subclass,
    _require_symbolic,
    _to_numpy,
    exercise,
)


@exercise
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
    cases = _Cases(name)
    epsilon = np.float32(keras.backend.epsilon())
    rng = _input_rng(1)
    for description, y_true, y_pred in [
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
    ]:
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
        cases.passed(description)

    _require_symbolic(
        name,
        function,
        inputs=2,
        expected_shape=(None,),
        called_on="called on two keras.Input(shape=(3,))",
        context="symbolic tensors (keras.Input), as it will inside a model",
        advice="Use keras.ops, not NumPy or a backend's own functions.",
    )
    cases.passed("symbolic inputs")
    cases.report()


@exercise
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
    cases = _Cases(name)
    rng = _input_rng(2)
    for description, x, axis in [
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
    ]:
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
        cases.passed(description)
    cases.report()


@exercise
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
    layer_class = _require_subclass(name, shape_logger_class, call="()")
    cases = _Cases(name)

    def make() -> object:
        layer = _construct(
            name,
            layer_class,
            advice="The constructor should need no arguments (pass **kwargs on to "
            "super().__init__).",
        )
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
    cases.passed(*(f"a call on an input of shape {shape}" for shape in input_shapes))

    # A second layer must not see the first one's shapes, and must not break training:
    # between two Dense layers, gradients flow through it to the first one.
    fresh = make()
    first = keras.layers.Dense(2, kernel_initializer="ones")
    first.build((None, 3))

    def train() -> None:
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

    _require_gradient_flow(
        name,
        first,
        train,
        f"in a model Dense -> {name} -> Dense, training did not change the first Dense layer: "
        "no gradient flows through your layer. Return the input tensor itself.",
    )
    cases.passed("training a model Dense -> ShapeLogger -> Dense")
    cases.report()
