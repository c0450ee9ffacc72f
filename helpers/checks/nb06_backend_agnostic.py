"""Checks for the exercises of ``notebooks/06_backend_agnostic.ipynb``.

Tested in ``tests/checks/test_nb06_backend_agnostic.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _construct,
    _fit_quietly,
    _identity_model,
    _reload,
    _require_callable,
    _require_gradient_flow,
    _require_reloaded_class,
    _require_subclass,
    _require_symbolic,
    _require_value_error,
    _to_numpy,
    exercise,
)

_PORTABLE_ADVICE = (
    "Use keras.ops (ops.tanh, ops.where, ...), not NumPy or a backend's own functions."
)


def _call_eagerly(name: str, function: Any, x: np.ndarray, what: str) -> np.ndarray:
    """``function(x)`` on a backend tensor, as NumPy; if the learner's code raises,
    ExerciseFailed saying ``what`` raised it (e.g. "calling the layer on a batch")."""
    import keras

    try:
        return _to_numpy(name, function(keras.ops.convert_to_tensor(x)))
    except ExerciseFailed:
        raise
    except Exception as error:  # the learner's code failed on a plain tensor
        raise ExerciseFailed(
            f"{name}: {what} raised {type(error).__name__}: {str(error)[:200]}"
        ) from error


@exercise
def check_soft_clip(soft_clip_class: object) -> None:
    """Exercise 06.1: a portable ``SoftClip(limit)`` layer, ``limit * tanh(x / limit)``.

    Checked against NumPy in eager calls for two limits; ``limit`` must be validated
    (``ValueError`` for 0, a negative number or a string); the layer must accept a symbolic
    tensor (NumPy inside ``call()`` does not, on any backend), run in a model's compiled
    ``predict`` and ``fit`` with the gradient flowing through it, and rebuild from its
    ``get_config()``.
    """

    name = "SoftClip"
    layer_class = _require_subclass(name, soft_clip_class)
    cases = _Cases(name)
    x = np.linspace(-6.0, 6.0, 12, dtype="float32").reshape(4, 3)
    for limit in (1.0, 2.5):
        layer = _construct(name, layer_class, {"limit": limit})
        output = _call_eagerly(name, layer, x, f"calling SoftClip(limit={limit}) on a batch")
        expected = limit * np.tanh(x / limit)
        if output.shape != x.shape or not np.allclose(output, expected, atol=1e-5):
            raise ExerciseFailed(
                f"{name}: SoftClip(limit={limit}) must return limit * tanh(x / limit). For x = "
                f"6.0 expected {expected[-1, -1]:.4f}, received {output.reshape(-1)[-1]:.4f}."
            )
    cases.passed("values for limit=1.0 and limit=2.5")

    _require_value_error(name, layer_class, "limit", (0, -1.0, "2"), "a positive number")
    cases.passed("invalid limits raise ValueError")

    _require_symbolic(
        name,
        _construct(name, layer_class, {"limit": 2.0}),
        inputs=1,
        expected_shape=(None, 3),
        called_on="called on keras.Input(shape=(3,))",
        context="symbolic tensors (keras.Input), as it will inside a model",
        advice=_PORTABLE_ADVICE,
    )
    cases.passed("symbolic inputs")

    model = _identity_model(_construct(name, layer_class, {"limit": 2.0}), 3, dense_before=True)
    try:
        model.predict(x, verbose=0)
    except Exception as error:  # e.g. NumPy on a symbolic tf.Tensor or a JAX tracer
        raise ExerciseFailed(
            f"{name}: a model's compiled predict() failed ({type(error).__name__}). "
            f"{_PORTABLE_ADVICE}"
        ) from error
    _require_gradient_flow(
        name,
        model.layers[0],
        lambda: _fit_quietly(
            name, model, x, np.ones((4, 1), "float32"), epochs=2, advice=_PORTABLE_ADVICE
        ),
        "a Dense layer placed before it did not learn: no gradient flows through the layer. "
        "Compute the output from the input with keras.ops (a detour through NumPy cuts the "
        "gradient).",
    )
    cases.passed("predict and fit in a model")

    layer = _construct(name, layer_class, {"limit": 2.5})
    config = layer.get_config()
    if config.get("limit") != 2.5:
        raise ExerciseFailed(
            f"{name}: get_config() must include the limit, so the layer can be saved and "
            f"loaded. SoftClip(limit=2.5).get_config() returned {config!r}"
        )
    copy = layer_class.from_config(config)
    if not np.allclose(_to_numpy(name, copy(x)), 2.5 * np.tanh(x / 2.5), atol=1e-5):
        raise ExerciseFailed(f"{name}: the layer rebuilt from get_config() computes differently.")
    cases.passed("get_config")
    cases.report()


@exercise
def check_per_feature_bias(per_feature_bias_class: object) -> None:
    """Exercise 06.2: ``PerFeatureBias()``, a learnable bias that loads anywhere.

    The layer adds a trainable weight of shape ``(features,)``, zeros at first, to its input.
    A model using it is trained, saved to a ``.keras`` file and loaded with ``safe_mode`` on
    and no ``custom_objects``: the class must be registered, and the loaded model must
    predict what the trained one does.
    """
    import keras

    name = "PerFeatureBias"
    layer_class = _require_subclass(name, per_feature_bias_class, call="()")
    cases = _Cases(name)
    layer = _construct(name, layer_class)
    x = np.linspace(-1.0, 1.0, 15, dtype="float32").reshape(5, 3)
    output = _call_eagerly(name, layer, x, "calling the layer on a batch of shape (5, 3)")
    weights = layer.trainable_weights
    if len(weights) != 1 or tuple(weights[0].shape) != (3,):
        shapes = [tuple(weight.shape) for weight in weights]
        raise ExerciseFailed(
            f"{name}: on inputs with 3 features the layer needs one trainable weight of "
            f"shape (3,), made with self.add_weight in build(). Received weights of shapes "
            f"{shapes}"
        )
    if not np.allclose(output, x):
        raise ExerciseFailed(
            f"{name}: before training the bias must be zeros, so the layer returns its input "
            "unchanged (initializer='zeros')."
        )
    cases.passed("a (features,) bias, zeros at first")

    model = keras.Sequential([keras.Input(shape=(3,)), _construct(name, layer_class)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    _fit_quietly(name, model, x, x + 1.0, epochs=20, batch_size=5)
    learned = _to_numpy(name, model.layers[0].trainable_weights[0])
    if not np.allclose(learned, 1.0, atol=0.05):
        raise ExerciseFailed(
            f"{name}: trained to map x to x + 1, the bias should reach 1.0; it reached "
            f"{np.round(learned, 3).tolist()}. Add the bias to the input in call()."
        )
    cases.passed("the bias learns")

    loaded = _reload(name, model)
    _require_reloaded_class(name, loaded, 0, layer_class)
    predicted = _to_numpy(name, loaded.predict(x, verbose=0))
    if not np.allclose(predicted, _to_numpy(name, model.predict(x, verbose=0)), atol=1e-6):
        raise ExerciseFailed(f"{name}: the loaded model predicts differently from the saved one.")
    cases.passed("loads without custom_objects and predicts the same")
    cases.report()


@exercise
def check_relu_or_negate(relu_or_negate: object) -> None:
    """Exercise 06.3: ``relu_or_negate(x)`` without a Python ``if`` on a tensor.

    ``relu(x)`` when the largest element of ``x`` is positive, ``-x`` otherwise; checked on
    both kinds of input, then without values: inside a layer of a model built on
    ``keras.Input`` (traced like compiled code on TensorFlow and JAX), and on a bare
    ``keras.KerasTensor``, whose truth value is an error on every backend. That second step
    catches a Python ``if`` on PyTorch, which builds layers on real tensors when it must. It
    is skipped on JAX, where Keras 3.15's ``ops.cond`` cannot take bare KerasTensors
    (``keras/src/backend/jax/core.py``, ``compute_output_spec``) and the first step already
    catches a Python ``if``.
    """
    import keras

    name = "relu_or_negate"
    function = _require_callable(name, relu_or_negate)
    cases = _Cases(name)
    cases_in = {
        "some element positive": np.array([[-2.0, 0.5], [1.5, -0.25]], "float32"),
        "no element positive": np.array([[-2.0, -0.5], [0.0, -0.25]], "float32"),
    }
    for label, x in cases_in.items():
        expected = np.maximum(x, 0.0) if x.max() > 0 else -x
        output = _call_eagerly(name, function, x, f"calling it on a tensor with {label}")
        if output.shape != x.shape or not np.allclose(output, expected):
            raise ExerciseFailed(
                f"{name}: on {x.tolist()} ({label}) expected {expected.tolist()}, received "
                f"{np.round(output, 4).tolist()}."
            )
        cases.passed(label)

    advice = "Decide with ops.where(condition, a, b), or use ops.cond."

    class InALayer(keras.layers.Layer):
        def call(self, x: Any) -> Any:
            return function(x)

    try:
        keras.Sequential([keras.Input(shape=(3,)), InALayer()])
    except Exception as error:  # a Python `if` or NumPy on a traced tensor
        raise ExerciseFailed(
            f"{name}: inside a layer of a model it must work on tensors without values (as in "
            f"compiled code), but it raised {type(error).__name__}. {advice}"
        ) from error
    if keras.backend.backend() != "jax":
        _require_symbolic(
            name,
            function,
            inputs=1,
            expected_shape=(None, 3),
            called_on="called on keras.Input(shape=(3,))",
            context="a symbolic tensor, which has no value (as inside compiled code)",
            advice=advice,
        )
    cases.passed("tensors without values")
    cases.report()
