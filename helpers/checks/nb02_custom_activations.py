"""Checks for the exercises of ``notebooks/02_custom_activations.ipynb``.

Tested in ``tests/checks/test_nb02_custom_activations.py``.
"""

from __future__ import annotations

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _check_shape,
    _construct,
    _fit_quietly,
    _reload,
    _require_callable,
    _require_reloaded_class,
    _require_subclass,
    _require_symbolic,
    _to_numpy,
    exercise,
)


@exercise
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
    cases = _Cases(name)
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
    cases.passed("the values")
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
    cases.passed("the derivative")
    _require_symbolic(
        name,
        function,
        inputs=1,
        expected_shape=(None, 3),
        called_on="on keras.Input(shape=(3,))",
        context="a symbolic keras.Input, as in a model",
        advice="Use keras.ops.",
    )
    cases.passed("a symbolic input")
    cases.report()


@exercise
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
    layer_class = _require_subclass(name, scaled_tanh_class)
    cases = _Cases(name)
    x = np.linspace(-2.0, 2.0, 6, dtype="float32").reshape(2, 3)
    for initial_scale in (0.5, 2.0):
        layer = _construct(name, layer_class, {"initial_scale": initial_scale})
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
        cases.passed(f"initial_scale={initial_scale}")

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
    cases.passed("scale learns")
    loaded = _reload(name, model, " and give it a get_config() that returns initial_scale")
    reloaded = _require_reloaded_class(name, loaded, -1, layer_class)
    loaded_scale = float(_to_numpy(name, reloaded.trainable_weights[0]))
    same = np.allclose(
        _to_numpy(name, model(x)), _to_numpy(name, loaded(x)), atol=1e-6
    ) and np.isclose(loaded_scale, trained)
    if not same:
        raise ExerciseFailed(
            f"{name}: after save and load, scale is {loaded_scale:.4f} instead of the trained "
            f"{trained:.4f}: create the weight in build() with self.add_weight, so Keras saves it."
        )
    cases.passed("save and load")
    cases.report()


@exercise
def check_unit_interval(unit_interval_class: object) -> None:
    """Exercise 02.3: a constraint ``UnitInterval()`` that keeps a weight in ``[0, 1]``.

    ``UnitInterval`` must subclass ``keras.constraints.Constraint``; calling an instance on a
    tensor clips it to ``[0, 1]`` (values inside are unchanged). Used as the ``constraint`` of
    a learnable slope and trained with a gradient that pushes the slope far outside, the slope
    must stay in ``[0, 1]`` on every step.
    """
    import keras

    name = "UnitInterval"
    constraint_class = _require_subclass(
        name, unit_interval_class, "keras.constraints.Constraint", call="()"
    )
    cases = _Cases(name)
    constraint = _construct(name, constraint_class, advice="It needs no arguments.")
    weights = np.array([-3.0, -0.1, 0.0, 0.25, 0.5, 1.0, 1.5, 40.0], dtype="float32")
    received = _to_numpy(name, constraint(keras.ops.convert_to_tensor(weights)))
    expected = np.clip(weights, 0.0, 1.0)
    _check_shape(name, received, weights.shape, "same shape as the weight")
    if not np.allclose(received, expected, atol=1e-6):
        raise ExerciseFailed(
            f"{name}: for weights {weights.tolist()} expected {expected.tolist()}, received "
            f"{np.round(received, 4).tolist()}. Clip to [0, 1]; leave values inside unchanged."
        )
    cases.passed("clipping a weight")

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
        _fit_quietly(
            name,
            model,
            x,
            target * x,
            what="with the constraint",
            advice="Write __call__ with keras.ops only.",
            error_text=False,
            epochs=3,
            shuffle=True,
        )
        slope = float(_to_numpy(name, layer.slope))
        if not 0.0 <= slope <= 1.0:
            raise ExerciseFailed(
                f"{name}: trained towards a slope of {target}, the slope ended at {slope:.3f}, "
                "outside [0, 1]."
            )
        cases.passed(f"training towards a slope of {target}")
    cases.report()
