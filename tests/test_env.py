"""Tests for :mod:`helpers.env`: seeding, backend, versions and devices.

The in-process tests run on whatever backend ``KERAS_BACKEND`` selects. The
``slow`` tests start one Python process per backend, because a process can
only ever use the backend Keras was first imported with.
"""

from __future__ import annotations

import random
import re
import sys

import keras
import numpy as np
import pytest

import helpers
from helpers import env
from tools.project import run_under_backend

# --- seed_everything, in process -------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "type_name"), [(1.5, "float"), ("3", "str"), (True, "bool"), (None, "NoneType")]
)
def test_seed_everything_rejects_non_integers(seed, type_name):
    with pytest.raises(TypeError, match=re.escape(f"Received: seed={seed!r} of type {type_name}")):
        env.seed_everything(seed)


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_everything_rejects_out_of_range_seeds(seed):
    with pytest.raises(ValueError, match=re.escape(f"Received: seed={seed}")):
        env.seed_everything(seed)


def test_seed_everything_leaves_the_generators_alone_when_it_refuses_a_seed():
    env.seed_everything(5)
    expected = np.random.rand(3)  # noqa: NPY002 - the global generator is what is seeded
    env.seed_everything(5)
    with pytest.raises(ValueError, match="Received: seed=-1"):
        env.seed_everything(-1)
    np.testing.assert_array_equal(np.random.rand(3), expected)  # noqa: NPY002


def test_seed_everything_is_exported_by_the_package():
    assert helpers.seed_everything is env.seed_everything


@pytest.mark.parametrize("seed", [0, np.int64(7), np.uint32(2**32 - 1)])
def test_seed_everything_accepts_integers_in_range(seed):
    env.seed_everything(seed)


def _draw() -> tuple[list[float], list[float], float]:
    """One draw from each seeded source: Keras, NumPy's global generator, Python's random."""
    return (
        keras.ops.convert_to_numpy(keras.random.normal((4,))).tolist(),
        np.random.rand(3).tolist(),  # noqa: NPY002
        random.random(),
    )


def test_seed_everything_makes_draws_repeat():
    env.seed_everything(3)
    first = _draw()
    env.seed_everything(3)
    assert _draw() == first


def test_seed_everything_with_numpy_integer_equals_python_integer():
    env.seed_everything(np.int64(11))
    first = _draw()
    env.seed_everything(11)
    assert _draw() == first


def test_different_seeds_give_different_draws():
    env.seed_everything(3)
    first = _draw()
    env.seed_everything(4)
    second = _draw()
    assert all(a != b for a, b in zip(first, second, strict=True))


# --- backend, versions, devices, in process --------------------------------------------


def test_backend_is_the_keras_backend():
    assert env.backend() == keras.backend.backend()
    assert env.backend() in env.BACKENDS


def test_versions_has_the_expected_keys():
    versions = env.versions()
    backend = keras.backend.backend()
    assert set(versions) == {"python", "keras", "numpy", "backend", backend}
    assert versions["backend"] == backend
    assert versions["keras"] == keras.__version__
    assert versions["numpy"] == np.__version__
    assert versions["python"] == ".".join(str(part) for part in sys.version_info[:3])
    assert all(isinstance(value, str) and value for value in versions.values())


def test_devices_are_named_like_keras_device_expects():
    devices = env.devices()
    assert isinstance(devices, list)
    assert devices
    for device in devices:
        assert isinstance(device, str)
        assert re.fullmatch(r"(cpu|gpu|tpu|mps|xpu):\d+", device), device
        with keras.device(device):
            pass


#: Tests of what `devices()` reports on PyTorch: the main run is on TensorFlow, `make
#: test-backends` runs this file on PyTorch too.
on_torch = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="PyTorch only (make test-backends runs it)"
)


@on_torch
@pytest.mark.parametrize(
    ("keras_device", "counts", "expected"),
    [
        pytest.param("cpu", {}, ["cpu:0"], id="cpu"),
        pytest.param("cuda", {"cuda": 2}, ["gpu:0", "gpu:1"], id="every-cuda-gpu"),
        pytest.param("cuda:1", {"cuda": 2}, ["gpu:1"], id="one-cuda-gpu"),
        pytest.param("mps", {"cuda": 1}, ["mps:0"], id="mps"),
        pytest.param("xpu", {"xpu": 2}, ["xpu:0", "xpu:1"], id="xpu"),
    ],
)
def test_devices_on_torch_reports_the_device_keras_picked(
    monkeypatch, keras_device, counts, expected
):
    """Keras picks ``KERAS_TORCH_DEVICE``, else mps, CUDA, xpu, the CPU (``DEFAULT_DEVICE``)."""
    import torch
    from keras.src.backend.torch import core

    monkeypatch.setattr(core, "DEFAULT_DEVICE", keras_device)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: counts.get("cuda", 0))
    monkeypatch.setattr(torch.xpu, "device_count", lambda: counts.get("xpu", 0))
    assert env.devices() == expected
    assert env.has_gpu() == (keras_device.startswith("cuda"))


@on_torch
def test_devices_on_torch_follows_a_keras_device_scope():
    with keras.device("cpu:0"):
        assert env.devices() == ["cpu:0"]


@on_torch
def test_devices_on_torch_refuses_a_device_pytorch_does_not_know(monkeypatch):
    from keras.src.backend.torch import core

    monkeypatch.setattr(core, "DEFAULT_DEVICE", "banana")
    with pytest.raises(ValueError, match=re.escape("Received: KERAS_TORCH_DEVICE='banana'")):
        env.devices()


def test_has_gpu_is_consistent_with_devices():
    has_gpu = env.has_gpu()
    assert isinstance(has_gpu, bool)
    assert has_gpu == any(device.startswith("gpu:") for device in env.devices())


def test_describe_contains_every_version_and_the_devices():
    report = env.describe()
    for key, value in env.versions().items():
        assert re.search(rf"^{re.escape(key)}\s+{re.escape(value)}$", report, re.MULTILINE)
    assert re.search(rf"^devices\s+{re.escape(', '.join(env.devices()))}$", report, re.MULTILINE)


# --- every backend, one process each ---------------------------------------------------


SEED_AND_REPORT = """
    import json
    import sys

    import keras

    import helpers

    helpers.seed_everything(3)
    first = keras.ops.convert_to_numpy(keras.random.normal((4,))).tolist()
    helpers.seed_everything(3)
    second = keras.ops.convert_to_numpy(keras.random.normal((4,))).tolist()
    assert first == second, (first, second)
    print(json.dumps({
        "backend": helpers.env.backend(),
        "frameworks": [name for name in helpers.env.BACKENDS if name in sys.modules],
        "devices": helpers.env.devices(),
    }))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", env.BACKENDS)
def test_seed_everything_under_each_backend(backend):
    """Re-seeding repeats draws, and on JAX / PyTorch TensorFlow is never imported."""
    report = run_under_backend(backend, SEED_AND_REPORT)
    assert report["backend"] == backend
    assert backend in report["frameworks"]
    if backend != "tensorflow":
        assert "tensorflow" not in report["frameworks"]
    assert report["devices"]


EQUIVALENCE = """
    import json
    import random

    import keras
    import numpy as np

    import helpers

    def draw():
        return [
            keras.ops.convert_to_numpy(keras.random.normal((5,))).tolist(),
            np.random.rand(3).tolist(),
            random.random(),
        ]

    ours, reference = {}, {}
    for seed in (0, 3, 2**32 - 1):
        helpers.seed_everything(seed)
        ours[seed] = draw()
    # keras.utils.set_random_seed imports TensorFlow: only call it after our own draws.
    for seed in (0, 3, 2**32 - 1):
        keras.utils.set_random_seed(seed)
        reference[seed] = draw()
    print(json.dumps({"ours": ours, "reference": reference}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", env.BACKENDS)
def test_seed_everything_equals_keras_set_random_seed(backend):
    """Same Keras, NumPy and Python draws as ``keras.utils.set_random_seed``, seed by seed."""
    report = run_under_backend(backend, EQUIVALENCE)
    assert report["ours"] == report["reference"]
    assert len(report["ours"]) == 3


def test_have_is_true_for_installed_packages(capsys):
    assert env.have("numpy", "json")
    assert capsys.readouterr().out == ""


def test_have_names_what_is_missing(capsys):
    assert not env.have("numpy", "no_such_package_here")
    assert capsys.readouterr().out == (
        "Skipped: needs no_such_package_here (`make lab` installs all three backends).\n"
    )


def test_have_refuses_no_names_and_non_strings():
    with pytest.raises(ValueError, match="at least one package name"):
        env.have()
    with pytest.raises(TypeError, match=r"as strings\. Received: 3 of type int"):
        env.have("numpy", 3)
