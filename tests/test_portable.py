"""Tests for :mod:`helpers.portable`: the portable layers and model, and ``seed_weights``.

They run on whichever backend ``KERAS_BACKEND`` selects (the suite runs on each); the ``slow``
test saves a model on one backend and loads it on the other two, in fresh processes.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
from keras import ops

from helpers import portable
from helpers.processes import run_fresh
from helpers.saving import keep_tensorflow_unloaded, save_and_load

X = np.linspace(-1.0, 1.0, 24, dtype="float32").reshape(4, 6)


def test_elementwise_scale_starts_as_the_identity_and_learns_one_factor_per_feature():
    layer = portable.ElementwiseScale()
    np.testing.assert_allclose(ops.convert_to_numpy(layer(X)), X)
    assert [tuple(weight.shape) for weight in layer.trainable_weights] == [(6,)]
    layer.scale.assign(np.arange(6, dtype="float32"))
    np.testing.assert_allclose(ops.convert_to_numpy(layer(X)), X * np.arange(6))


def test_elementwise_scale_config_round_trip_keeps_the_initializer():
    layer = portable.ElementwiseScale(initializer=keras.initializers.Constant(2.0), name="s")
    copy = portable.ElementwiseScale.from_config(layer.get_config())
    np.testing.assert_allclose(ops.convert_to_numpy(copy(X)), 2.0 * X)


def test_residual_block_builds_every_sublayer_in_build():
    block = portable.ResidualBlock(3)
    block.build((None, 6))
    assert len(block.weights) == 4  # dense kernel and bias, projection kernel, scale
    assert block.compute_output_shape((None, 6)) == (None, 3)
    expected = ops.convert_to_numpy(
        block.projection(X) + block.scale(block.dense(X))  # the documented formula
    )
    np.testing.assert_allclose(ops.convert_to_numpy(block(X)), expected, rtol=1e-6)


def test_portable_classifier_trains_saves_and_loads_with_safe_mode():
    model = portable.PortableClassifier(num_classes=3, hidden_units=4)
    model.build((None, 2, 3, 1))
    assert len(model.weights) == 6  # the block's 4 and the head's kernel and bias
    portable.seed_weights(model, 1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X.reshape(4, 2, 3, 1), np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    loaded = save_and_load(model)  # safe_mode on, no custom_objects
    assert type(loaded) is portable.PortableClassifier
    assert loaded.get_config()["num_classes"] == 3
    assert loaded.get_config()["hidden_units"] == 4
    np.testing.assert_allclose(
        loaded.predict(X.reshape(4, 2, 3, 1), verbose=0),
        model.predict(X.reshape(4, 2, 3, 1), verbose=0),
        atol=1e-6,
    )


def test_every_class_is_registered_under_the_package():
    for cls in (
        portable.ElementwiseScale,
        portable.ResidualBlock,
        portable.LearnableSwish,
        portable.RunningMean,
        portable.PortableClassifier,
    ):
        assert keras.saving.get_registered_name(cls) == f"keras_under_the_hood>{cls.__name__}"


def test_seed_weights_draws_kernels_from_numpy_and_keeps_the_rest():
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(5), portable.ElementwiseScale()]
    )
    portable.seed_weights(model, 7)
    kernel, bias, scale = (ops.convert_to_numpy(weight) for weight in model.weights)
    limit = np.sqrt(6.0 / (6 + 5))
    expected = np.random.default_rng(7).uniform(-limit, limit, size=(6, 5))
    np.testing.assert_allclose(kernel, expected.astype("float32"))
    np.testing.assert_array_equal(bias, np.zeros(5))
    np.testing.assert_array_equal(scale, np.ones(5))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"model": "model"}, TypeError, "Received: model='model'", id="not-a-model"),
        pytest.param({"seed": 1.5}, TypeError, "Received: seed=1.5 of type float", id="float"),
        pytest.param({"seed": True}, TypeError, "of type bool", id="bool"),
        pytest.param({"seed": -1}, ValueError, "Received: seed=-1", id="negative"),
        pytest.param({"seed": 2**32}, ValueError, f"Received: seed={2**32}", id="too-large"),
        pytest.param(
            {"model": keras.Sequential([keras.layers.Dense(2)])},
            ValueError,
            "needs a built model",
            id="unbuilt",
        ),
    ],
)
def test_seed_weights_rejects_invalid_input(kwargs, error, match):
    arguments = {"model": keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]), "seed": 0}
    with pytest.raises(error, match=re.escape(match)):
        portable.seed_weights(**{**arguments, **kwargs})


@pytest.mark.parametrize(
    ("make", "match"),
    [
        pytest.param(lambda: portable.ResidualBlock(0), "Received: units=0", id="units-zero"),
        pytest.param(lambda: portable.ResidualBlock(2.0), "Received: units=2.0", id="units-float"),
        pytest.param(
            lambda: portable.PortableClassifier(1), "at least 2. Received: num_classes=1", id="one"
        ),
        pytest.param(
            lambda: portable.PortableClassifier(3, hidden_units=True),
            "Received: hidden_units=True",
            id="hidden-bool",
        ),
        pytest.param(
            lambda: portable.LearnableSwish(float("nan")),
            "finite number. Received: initial_beta=nan",
            id="beta-nan",
        ),
        pytest.param(
            lambda: portable.LearnableSwish("1"), "Received: initial_beta='1'", id="beta-str"
        ),
        pytest.param(lambda: portable.RunningMean(1.0), "Received: momentum=1.0", id="momentum-1"),
        pytest.param(lambda: portable.RunningMean(-0.1), "[0, 1)", id="momentum-negative"),
        pytest.param(
            lambda: portable.RunningMean(True), "Received: momentum=True", id="momentum-bool"
        ),
    ],
)
def test_constructors_reject_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        make()


LOAD_AND_PREDICT = """
import sys

import keras
import numpy as np

from helpers import portable  # registers the classes
from helpers.saving import keep_tensorflow_unloaded

with keep_tensorflow_unloaded():
    model = keras.saving.load_model(sys.argv[1])
x = np.linspace(-1.0, 1.0, 24, dtype="float32").reshape(4, 2, 3, 1)
np.save(sys.argv[2], model.predict(x, verbose=0))
"""


@pytest.mark.slow
def test_a_model_saved_here_predicts_the_same_on_every_backend(tmp_path):
    model = portable.PortableClassifier(num_classes=3, hidden_units=4)
    model.build((None, 2, 3, 1))
    portable.seed_weights(model, 2)
    with keep_tensorflow_unloaded():
        model.save(tmp_path / "model.keras")
    expected = model.predict(X.reshape(4, 2, 3, 1), verbose=0)
    for backend in ("tensorflow", "jax", "torch"):
        out = tmp_path / f"{backend}.npy"
        run_fresh(LOAD_AND_PREDICT, backend=backend, args=[str(tmp_path / "model.keras"), str(out)])
        np.testing.assert_allclose(np.load(out), expected, atol=1e-6, err_msg=backend)


def test_learnable_swish_computes_x_sigmoid_beta_x_and_learns_beta():
    x = np.linspace(-3.0, 3.0, 12, dtype="float32").reshape(4, 3)
    layer = portable.LearnableSwish(initial_beta=2.0)
    expected = x / (1.0 + np.exp(-2.0 * x))
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), expected, rtol=1e-5, atol=1e-6)
    assert [weight.name for weight in layer.trainable_weights] == ["beta"]
    model = keras.Sequential([keras.Input((3,)), layer, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, np.ones((4, 1), "float32"), epochs=2, verbose=0)
    assert float(ops.convert_to_numpy(layer.beta)) != 2.0
    restored = portable.LearnableSwish.from_config(layer.get_config())
    assert restored.initial_beta == 2.0


def test_running_mean_updates_only_in_training_calls_of_a_trainable_layer():
    x = np.arange(12, dtype="float32").reshape(4, 3)  # column means 4.5, 5.5, 6.5
    layer = portable.RunningMean(momentum=0.5)
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x, training=True)), x)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_mean), [2.25, 2.75, 3.25])
    layer(x + 100.0)  # inference: no change
    layer.trainable = False
    layer(x + 100.0, training=True)  # frozen: no change either
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_mean), [2.25, 2.75, 3.25])
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 1


def test_running_mean_in_fit_and_under_mixed_precision():
    x = np.full((8, 2), 1000.25, dtype="float32")  # not a float16 number: 1000.0 or 1000.5
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = portable.RunningMean(momentum=0.5, name="running")
        model = keras.Sequential([keras.Input((2,)), layer, keras.layers.Dense(1)])
    finally:
        keras.config.set_dtype_policy("float32")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((8, 1), "float32"), batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert layer.moving_mean.dtype == "float32"
    # Two batches, as float16 inputs (1000.25 rounds to 1000.0), the average kept in float32.
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_mean), [750.0, 750.0])
    model.predict(x, verbose=0)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_mean), [750.0, 750.0])
