"""Saving and loading models without importing TensorFlow on a JAX or PyTorch kernel.

Keras' serializer asks "is TensorFlow installed?" (to recognise ``tf.TensorShape`` and other
TensorFlow objects in a config) through a lazy module that answers by *importing* TensorFlow,
on every backend (``keras/src/saving/serialization_lib.py``, ``tf.available``). On a JAX or
PyTorch kernel that costs seconds and hundreds of megabytes for nothing.

:func:`keep_tensorflow_unloaded` makes that question answer "no" instead: while it is active,
``import tensorflow`` raises ``ImportError`` (Python's documented meaning of a ``None`` entry
in ``sys.modules``). A later ``import tensorflow`` works again, but Keras remembers its answer
for the rest of the kernel's life, which keeps every later ``get_config`` and ``save`` light
too. The price: Keras' TensorFlow-based preprocessing layers (``StringLookup``,
``TextVectorization``, ``Hashing``, ...) then report TensorFlow as missing in that kernel;
restart it to use them. On the TensorFlow backend, or when TensorFlow is already loaded, it
does nothing.
:func:`save_and_load` uses it to round-trip a model through a ``.keras`` file in a temporary
folder.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def keep_tensorflow_unloaded() -> Iterator[None]:
    """Within this block, Keras treats TensorFlow as not installed, unless it is the backend.

    Does nothing on the TensorFlow backend or when TensorFlow is already imported.

    Example::

        with keep_tensorflow_unloaded():
            model.save(path)
    """
    import keras

    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules:
        yield
        return
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # `import` now raises
    try:
        yield
    finally:
        if sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]


def save_and_load(model: Any, *, filename: str = "model.keras", **load_kwargs: Any) -> Any:
    """Save ``model`` to a ``.keras`` file in a temporary folder, load it back, return the copy.

    The folder is deleted afterwards; nothing is written anywhere else. On a JAX or PyTorch
    kernel TensorFlow is not imported (see :func:`keep_tensorflow_unloaded`).

    Args:
        model: a ``keras.Model``.
        filename: the file's name inside the temporary folder; must end in ``.keras``.
        **load_kwargs: passed to ``keras.saving.load_model``, e.g. ``safe_mode=False`` or
            ``custom_objects={...}``.

    Returns:
        The loaded model.

    Raises:
        TypeError: if ``model`` is not a ``keras.Model``.
        ValueError: if ``filename`` is not a plain file name ending in ``.keras``.
        Whatever ``model.save`` or ``keras.saving.load_model`` raise, unchanged (e.g. the
        ``ValueError`` of ``safe_mode`` for a ``Lambda`` layer holding a Python lambda).
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a keras.Model. Received: model={model!r} "
            f"of type {type(model).__name__}"
        )
    if (
        not isinstance(filename, str)
        or not filename.endswith(".keras")
        or os.path.basename(filename) != filename
        or filename == ".keras"
    ):
        raise ValueError(
            "`filename` must be a plain file name ending in '.keras', e.g. 'model.keras'. "
            f"Received: filename={filename!r}"
        )
    with keep_tensorflow_unloaded(), tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, filename)
        model.save(path)
        return keras.saving.load_model(path, **load_kwargs)
