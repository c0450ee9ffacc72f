"""Portable building blocks: custom layers and a model written with ``keras.ops`` only.

Notebook 06 shows their source, trains them on every backend and moves saved models between
backends; notebook 07 reuses them, with notebook 02's learnable activation and notebook 05's
running statistic. Import this module *after* choosing the backend: unlike
the rest of :mod:`helpers`, it imports Keras, because its classes subclass Keras' own.
``import helpers`` does not import it.

Every class is registered for serialization under the package ``"keras_under_the_hood"``, so
a ``.keras`` file that uses them loads in any process that has imported this module, on any
backend, with ``safe_mode`` on and without ``custom_objects``.

Every class passes Keras' own layer test harness, its training and mixed-precision checks
included, on every backend (``tests/test_portable_layer_harness.py``).

:func:`seed_weights` gives a model the same starting weights on every backend (Keras'
initializers draw different numbers on TensorFlow, JAX and PyTorch from the same seed).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import keras
import numpy as np
from keras import ops

from helpers.data import _check_seed  # the one check of a NumPy seed

PACKAGE = "keras_under_the_hood"


def _check_units(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ElementwiseScale(keras.layers.Layer):
    """Multiplies each feature by its own learnable factor: ``outputs = inputs * scale``.

    Args:
        initializer: initial value of ``scale`` (default ``"ones"``: the identity).
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Example:
        >>> layer = ElementwiseScale()
        >>> tuple(ops.shape(layer(np.ones((2, 3)))))
        (2, 3)
    """

    def __init__(self, initializer: Any = "ones", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer=self.initializer
        )

    def call(self, inputs: Any) -> Any:
        return inputs * self.scale

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["initializer"] = keras.initializers.serialize(self.initializer)
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResidualBlock(keras.layers.Layer):
    """``projection(x) + scale(dense(x))``: a layer that owns three sublayers.

    The sublayers are created in ``__init__``, with the block's dtype policy (so that
    ``dtype="mixed_float16"`` reaches them), and built in ``build()``, so that a loaded model
    has every weight in place before the saved values are read into it.

    Args:
        units: width of the output (a positive integer).
        activation: activation of the inner ``Dense`` layer (default ``"relu"``).
        **kwargs: passed to ``keras.layers.Layer``.
    """

    def __init__(self, units: int, activation: Any = "relu", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = _check_units("units", units)
        self.activation = keras.activations.get(activation)
        policy = self.dtype_policy  # the sublayers compute in the block's dtype
        self.dense = keras.layers.Dense(
            self.units, activation=self.activation, name="dense", dtype=policy
        )
        self.projection = keras.layers.Dense(
            self.units, use_bias=False, name="projection", dtype=policy
        )
        self.scale = ElementwiseScale(name="scale", dtype=policy)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.dense.build(input_shape)
        self.projection.build(input_shape)
        self.scale.build((*input_shape[:-1], self.units))

    def call(self, inputs: Any) -> Any:
        return self.projection(inputs) + self.scale(self.dense(inputs))

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["units"] = self.units
        config["activation"] = keras.activations.serialize(self.activation)
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class LearnableSwish(keras.layers.Layer):
    """``inputs * sigmoid(beta * inputs)`` with one learnable scalar ``beta``: notebook 02's
    activation with a learnable parameter.

    Args:
        initial_beta: the starting value of ``beta``, a finite number (default 1.0: swish).
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Example:
        >>> layer = LearnableSwish(initial_beta=2.0)
        >>> tuple(ops.shape(layer(np.ones((2, 3)))))
        (2, 3)
    """

    def __init__(self, initial_beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if (
            isinstance(initial_beta, bool)
            or not isinstance(initial_beta, numbers.Real)
            or not math.isfinite(initial_beta)
        ):
            raise ValueError(
                f"`initial_beta` must be a finite number. Received: initial_beta={initial_beta!r}"
            )
        self.initial_beta = float(initial_beta)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.beta = self.add_weight(
            name="beta", shape=(), initializer=keras.initializers.Constant(self.initial_beta)
        )

    def call(self, inputs: Any) -> Any:
        return inputs * ops.sigmoid(self.beta * inputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "initial_beta": self.initial_beta}


@keras.saving.register_keras_serializable(package=PACKAGE)
class RunningMean(keras.layers.Layer):
    """Returns its input unchanged and remembers a moving average of the batches' means.

    The state, ``moving_mean`` (shape ``(features,)``, non-trainable), follows notebook 05's
    rules: it changes only in training calls of a trainable layer (``training and
    self.trainable``, as in ``BatchNormalization``), by
    ``moving_mean = momentum * moving_mean + (1 - momentum) * mean of the batch``, and it is
    kept and updated in float32 without autocasting, so mixed precision neither rounds nor
    (on PyTorch) drops its updates. Created with ``aggregation="mean"``: under a TensorFlow
    distribution strategy, the replicas' new values are averaged.

    Args:
        momentum: the weight of the old average in each update, in [0, 1) (default 0.9).
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Example:
        >>> layer = RunningMean(momentum=0.5)
        >>> _ = layer(np.ones((4, 2), "float32"), training=True)  # moving_mean is now 0.5
    """

    def __init__(self, momentum: float = 0.9, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, numbers.Real)
            or not 0 <= momentum < 1
        ):
            raise ValueError(
                f"`momentum` must be a number in [0, 1). Received: momentum={momentum!r}"
            )
        self.momentum = float(momentum)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=(input_shape[-1],),
            initializer="zeros",
            dtype="float32",
            trainable=False,
            autocast=False,
            aggregation="mean",
        )

    def call(self, inputs: Any, training: bool = False) -> Any:
        if training and self.trainable:
            axes = tuple(range(len(inputs.shape) - 1))
            batch_mean = ops.mean(ops.cast(inputs, "float32"), axis=axes)
            keep = self.momentum
            self.moving_mean.assign(keep * self.moving_mean + (1 - keep) * batch_mean)
        return inputs

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PortableClassifier(keras.Model):
    """A subclassed model: flatten, one :class:`ResidualBlock`, a softmax head.

    Args:
        num_classes: number of classes (a positive integer, at least 2).
        hidden_units: width of the residual block (a positive integer).
        **kwargs: passed to ``keras.Model`` (``name``, ...).
    """

    def __init__(self, num_classes: int, hidden_units: int = 32, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_classes = _check_units("num_classes", num_classes)
        if self.num_classes < 2:
            raise ValueError(
                f"`num_classes` must be at least 2. Received: num_classes={num_classes}"
            )
        self.hidden_units = _check_units("hidden_units", hidden_units)
        policy = self.dtype_policy  # the sublayers compute in the model's dtype
        self.flatten = keras.layers.Flatten(dtype=policy)
        self.block = ResidualBlock(self.hidden_units, name="block", dtype=policy)
        self.head = keras.layers.Dense(
            self.num_classes, activation="softmax", name="head", dtype=policy
        )

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        flat_shape = self.flatten.compute_output_shape(input_shape)
        self.block.build(flat_shape)
        self.head.build((flat_shape[0], self.hidden_units))

    def call(self, inputs: Any) -> Any:
        return self.head(self.block(self.flatten(inputs)))

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], self.num_classes)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "hidden_units": self.hidden_units,
        }


def seed_weights(model: Any, seed: int) -> None:
    """Give every kernel of ``model`` the same starting values on every backend.

    Each trainable weight with two or more dimensions is drawn again, Glorot-uniform, from a
    NumPy generator seeded with ``seed``, in the order of ``model.weights``; biases, scales
    and non-trainable state keep their (deterministic) initial values. Keras' own
    initializers draw different numbers on each backend from the same seed, so two backends
    can only train alike when their weights come from somewhere else.

    Args:
        model: a built ``keras.Model`` or ``keras.layers.Layer`` (it must have weights).
        seed: an integer in ``[0, 2**32 - 1]``.

    Raises:
        TypeError: if ``model`` is not a Keras layer or model, or ``seed`` not an integer.
        ValueError: if ``model`` has no weights yet (build it first), or ``seed`` is out of
            range.
    """
    if not isinstance(model, keras.layers.Layer):
        raise TypeError(
            "seed_weights() expects a keras.Model or keras.layers.Layer. "
            f"Received: model={model!r} of type {type(model).__name__}"
        )
    seed = _check_seed(seed)
    if not model.weights:
        raise ValueError(
            f"seed_weights() needs a built model, with its weights. {model.name!r} has none "
            "yet: start it with keras.Input(...), or call it once on a batch. "
            f"Received: model={model.name!r} with 0 weights"
        )
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        shape = tuple(weight.shape)
        if len(shape) < 2:
            continue
        receptive_field = math.prod(shape[:-2])
        fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        weight.assign(ops.convert_to_tensor(rng.uniform(-limit, limit, size=shape), weight.dtype))
