"""Every class of :mod:`helpers.portable` through Keras' own layer test harness.

``keras.src.testing.TestCase.run_layer_test`` is what Keras runs on each of its built-in
layers: a config round trip, ``build()`` and a symbolic call with the expected weights, an eager
call, a compiled training step (``fit``), and a mixed-precision check (a layer made with
``dtype="mixed_float16"`` must return what its ``compute_output_spec`` promised, and keep float32
weights). The harness skips that last check on PyTorch without CUDA, so
``test_mixed_precision_output_is_what_its_spec_says`` repeats it on every backend and device.

These tests run on whichever backend ``KERAS_BACKEND`` selects; ``make test`` runs them on all
three (``make test-backends`` adds JAX and PyTorch).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops
from keras.src.testing import TestCase

from helpers import portable

#: class -> (constructor arguments, input shape, output shape, trainable and non-trainable
#: weights once built)
LAYERS = {
    portable.ElementwiseScale: ({}, (2, 3), (2, 3), 1, 0),
    portable.ResidualBlock: ({"units": 4}, (2, 3), (2, 4), 4, 0),
    portable.LearnableSwish: ({"initial_beta": 1.5}, (2, 3), (2, 3), 1, 0),
    portable.RunningMean: ({"momentum": 0.5}, (2, 3), (2, 3), 0, 1),
    portable.PortableClassifier: ({"num_classes": 3, "hidden_units": 4}, (2, 2, 3), (2, 3), 6, 0),
}


class PortableLayersTest(TestCase):
    """The harness once per class (a ``unittest`` class, as the harness is a method of one)."""

    def run_harness(self, cls: type) -> None:
        kwargs, input_shape, output_shape, trainable, non_trainable = LAYERS[cls]
        self.run_layer_test(
            cls,
            init_kwargs=kwargs,
            input_shape=input_shape,
            expected_output_shape=output_shape,
            expected_output_dtype="float32",
            expected_num_trainable_weights=trainable,
            expected_num_non_trainable_weights=non_trainable,
            expected_num_seed_generators=0,
            expected_num_losses=0,
            supports_masking=False,
            run_training_check=True,
            run_mixed_precision_check=True,
        )

    def test_elementwise_scale(self) -> None:
        self.run_harness(portable.ElementwiseScale)

    def test_residual_block(self) -> None:
        self.run_harness(portable.ResidualBlock)

    def test_learnable_swish(self) -> None:
        self.run_harness(portable.LearnableSwish)

    def test_running_mean(self) -> None:
        self.run_harness(portable.RunningMean)

    def test_portable_classifier(self) -> None:
        self.run_harness(portable.PortableClassifier)


def test_every_class_is_tested_here():
    classes = {
        value
        for value in vars(portable).values()
        if isinstance(value, type)
        and issubclass(value, keras.layers.Layer)
        and value.__module__ == portable.__name__
    }
    assert classes == set(LAYERS)
    tested = {name for name in vars(PortableLayersTest) if name.startswith("test_")}
    assert len(tested) == len(LAYERS)


@pytest.mark.parametrize("cls", list(LAYERS), ids=lambda cls: cls.__name__)
def test_mixed_precision_output_is_what_its_spec_says(cls):
    """The harness' mixed-precision check, on every backend: float16 out, as promised, with
    float32 weights. Before the sublayers got the block's policy, ``ResidualBlock`` returned
    float32; without ``compute_output_shape``, ``ElementwiseScale`` promised float32 and
    returned float16, and so did ``PortableClassifier`` on PyTorch (whose symbolic trace
    stands float32 tensors in for the weights: a traced spec says float32)."""
    kwargs, input_shape, output_shape, *_ = LAYERS[cls]
    layer = cls(**kwargs, dtype="mixed_float16")
    inputs = np.linspace(-1.0, 1.0, np.prod(input_shape), dtype="float32").reshape(input_shape)
    output = layer(inputs)  # builds the layer
    spec = layer.compute_output_spec(keras.KerasTensor(input_shape, dtype="float16"))
    assert (keras.backend.standardize_dtype(output.dtype), spec.dtype) == ("float16", "float16")
    assert tuple(ops.shape(output)) == spec.shape == output_shape
    assert [weight.dtype for weight in layer.weights] == ["float32"] * len(layer.weights)
