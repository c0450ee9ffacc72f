"""What am I running on? Backend, versions, devices, and one seeding call.

Every notebook starts by choosing a backend (``KERAS_BACKEND``) *before*
``import keras``, then calls :func:`seed_everything` once and prints
:func:`describe` in a cell whose output is not compared (it differs from
machine to machine).

Keras is imported lazily inside the functions, so ``import helpers`` never
decides the backend for you.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import numbers
import platform
import random

import numpy as np

#: The backends this collection is written and tested for.
BACKENDS: tuple[str, ...] = ("tensorflow", "jax", "torch")

_MAX_SEED = 2**32 - 1  # NumPy's legacy seeding accepts 0 .. 2**32 - 1


def backend() -> str:
    """Return the name of the Keras backend in use: ``"tensorflow"``, ``"jax"`` or ``"torch"``.

    Importing Keras here is harmless: the backend was fixed by
    ``KERAS_BACKEND`` (or ``~/.keras/keras.json``) when Keras was first
    imported, and it cannot change without restarting the kernel.
    """
    import keras

    return keras.backend.backend()


def versions() -> dict[str, str]:
    """Return the versions that matter for reproducing a notebook's results.

    Keys: ``python``, ``keras``, ``numpy``, ``backend`` and the current
    backend's framework (e.g. ``jax``).
    """
    import keras

    name = keras.backend.backend()
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "numpy": np.__version__,
        "backend": name,
        name: importlib.metadata.version(name),  # each backend's distribution has its name,
    }


def devices() -> list[str]:
    """Return the devices Keras will compute on, e.g. ``["cpu:0"]`` or ``["gpu:0", "gpu:1"]``.

    Accelerators are listed when there are any, the CPU otherwise, named the
    way ``keras.device(...)`` expects them on every backend.

    ``keras.distribution.list_devices()`` does this on TensorFlow and JAX, but
    Keras 3.15 has no distribution support for PyTorch (that call raises
    ``AttributeError`` there). On PyTorch this reports the device Keras picks
    itself: the one ``KERAS_TORCH_DEVICE`` names, else Apple's ``mps``, else the
    CUDA GPUs (as ``gpu:N``), else Intel's ``xpu``, else the CPU; inside
    ``with keras.device(...)``, that device.

    Raises:
        ValueError: on PyTorch, if ``KERAS_TORCH_DEVICE`` names no PyTorch device.
    """
    import keras

    if keras.backend.backend() == "torch":
        from keras.src.backend.torch.core import get_device

        return _torch_devices(str(get_device()))
    return list(keras.distribution.list_devices())


def _torch_devices(name: str) -> list[str]:
    """The devices behind Keras' PyTorch device ``name`` (``"cuda"``, ``"mps"``, ``"xpu:1"``...).

    A name without an index stands for every device of its type; CUDA devices are named
    ``gpu:N``, as on the other backends.
    """
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(
            f"Keras on PyTorch cannot compute on {name!r}: PyTorch has no such device. Set "
            "KERAS_TORCH_DEVICE to e.g. 'cpu', 'cuda', 'cuda:1', 'mps' or 'xpu'. "
            f"Received: KERAS_TORCH_DEVICE={name!r}"
        ) from None
    kind = "gpu" if device.type == "cuda" else device.type
    if device.index is not None:
        return [f"{kind}:{device.index}"]
    if device.type == "cuda":
        count = torch.cuda.device_count()
    elif device.type == "xpu":
        count = torch.xpu.device_count()
    else:
        count = 1  # the CPU, Apple's mps
    return [f"{kind}:{index}" for index in range(max(count, 1))]


def have(*packages: str) -> bool:
    """Return True when every one of ``packages`` (import names) is installed; otherwise print
    one line saying which are missing, and return False.

    Binder, and ``make lab BACKENDS=tensorflow``, install TensorFlow alone: a cell that needs
    another backend (in a fresh process) asks ``if have("jax"):`` and says why it does nothing.

    Raises:
        ValueError: if no package is named.
        TypeError: if a name is not a string.
    """
    if not packages:
        raise ValueError("have() needs at least one package name, e.g. have('jax').")
    for name in packages:
        if not isinstance(name, str):
            raise TypeError(
                f"have() takes package names as strings. Received: {name!r} of type "
                f"{type(name).__name__}"
            )
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if missing:
        print(f"Skipped: needs {', '.join(missing)} (`make lab` installs all three backends).")
    return not missing


def has_gpu() -> bool:
    """Return True when the current backend sees at least one GPU."""
    return any(device.startswith("gpu") for device in devices())


def describe() -> str:
    """Return a short multi-line report: versions, backend and devices.

    Example output::

        python      3.11.7
        keras       3.15.1
        numpy       2.4.6
        backend     jax
        jax         0.10.2
        devices     cpu:0
    """
    rows = dict(versions())
    rows["devices"] = ", ".join(devices())
    width = max(len(key) for key in rows) + 2
    return "\n".join(f"{key:<{width}}{value}" for key, value in rows.items())


def seed_everything(seed: int) -> None:
    """Seed every source of randomness a notebook uses, for the current backend only.

    Seeds Python's ``random``, NumPy's global generator and Keras' global
    seed generator (used by ``keras.random`` and weight initialisers), and
    the backend framework where it has a global seed of its own
    (TensorFlow, PyTorch). JAX has no global seed: Keras' generator covers it.

    Unlike ``keras.utils.set_random_seed``, this never imports TensorFlow on
    a JAX or PyTorch kernel (that import alone costs a few seconds and
    hundreds of megabytes).

    Args:
        seed: an integer in ``[0, 2**32 - 1]``.

    Raises:
        TypeError: if ``seed`` is not an integer (``bool`` is refused too).
        ValueError: if ``seed`` is outside ``[0, 2**32 - 1]``.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            "seed_everything() expects an integer seed. "
            f"Received: seed={seed!r} of type {type(seed).__name__}"
        )
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(
            f"seed_everything() expects a seed in [0, {_MAX_SEED}]. Received: seed={seed}"
        )

    import keras

    name = keras.backend.backend()
    if name == "tensorflow":
        # TensorFlow is loaded anyway: the public utility does exactly what we need.
        keras.utils.set_random_seed(seed)
        return

    # keras.utils.set_random_seed() would import TensorFlow whenever it is
    # installed. Do the same work without it: record the seed, drop Keras'
    # global SeedGenerator (it is re-created from Python's `random`), and seed
    # Python, NumPy and (for PyTorch) torch.
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - notebooks may use the legacy global generator
    if name == "torch":
        import torch

        torch.manual_seed(seed)
