"""helpers.saving: round trips through a .keras file, and TensorFlow stays unloaded elsewhere."""

from __future__ import annotations

import sys

import keras
import numpy as np
import pytest

from helpers import saving
from tools.project import run_python


def small_model():
    return keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation="tanh")])


def test_save_and_load_gives_identical_predictions():
    model = small_model()
    x = np.array([[0.5, -1.0], [2.0, 0.3]], dtype="float32")
    loaded = saving.save_and_load(model, filename="copy.keras")
    assert loaded is not model
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)), atol=1e-6
    )


def test_save_and_load_passes_load_arguments_and_errors_through():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda x: x * 2.0)])
    with pytest.raises(ValueError, match="Python lambda"):
        saving.save_and_load(model)
    loaded = saving.save_and_load(model, safe_mode=False)
    assert isinstance(loaded.layers[0], keras.layers.Lambda)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"model": keras.layers.Dense(2)}, TypeError, "keras.Model", id="layer"),
        pytest.param({"model": None}, TypeError, "Received: model=None", id="none"),
        pytest.param({"filename": "model.h5"}, ValueError, "ending in '.keras'", id="suffix"),
        pytest.param({"filename": "a/b.keras"}, ValueError, "plain file name", id="folder"),
        pytest.param({"filename": "../x.keras"}, ValueError, "Received", id="parent"),
        pytest.param({"filename": ".keras"}, ValueError, "Received", id="no-stem"),
        pytest.param({"filename": 3}, ValueError, "Received: filename=3", id="int"),
    ],
)
def test_save_and_load_rejects_invalid_input(kwargs, error, match):
    arguments = {"model": small_model(), **kwargs}
    with pytest.raises(error, match=match):
        saving.save_and_load(**arguments)


def test_keep_tensorflow_unloaded_restores_sys_modules():
    before = sys.modules.get("tensorflow", "absent")
    with saving.keep_tensorflow_unloaded():
        pass
    assert sys.modules.get("tensorflow", "absent") is before


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_saving_on_jax_or_torch_does_not_import_tensorflow(backend):
    """In a fresh process, save_and_load leaves TensorFlow unloaded, and hides it while active."""
    snippet = """
import sys
import keras
from helpers import saving

model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3)])
saving.save_and_load(model)
print("tensorflow" in sys.modules, type(sys.modules.get("tensorflow")).__name__)
try:
    with saving.keep_tensorflow_unloaded():
        import tensorflow  # noqa: F401
except ImportError:
    print("hidden")
from keras.src.utils.module_utils import tensorflow as lazy_tensorflow
print(lazy_tensorflow._available)  # Keras remembers "not installed" (see the docstring)
"""
    result = run_python(snippet, backend=backend)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["False", "NoneType", "hidden", "False"]
