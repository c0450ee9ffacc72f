"""Small, deterministic, synthetic data sets made on the spot.

The notebooks never download anything: every data set here is a NumPy
function of its arguments and a seed, small enough to train on in seconds on
two CPU cores. Features are ``float32`` (Keras' default ``floatx``) and
class labels ``int32``.

Each maker validates its arguments and raises ``TypeError`` / ``ValueError``
saying what it received and what it expected; nothing is silently coerced.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray]

_MAX_SEED = 2**32 - 1


# --- argument checks -------------------------------------------------------------------


def _check_int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"`{name}` must be an integer >= {minimum}. "
            f"Received: {name}={value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value}")
    return int(value)


def _check_noise(noise: object) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(
            "`noise` must be a real number >= 0 (the standard deviation of the noise). "
            f"Received: noise={noise!r} of type {type(noise).__name__}"
        )
    try:
        finite = math.isfinite(noise)
    except OverflowError:  # an integer too large for a float
        finite = False
    if not finite or noise < 0:
        raise ValueError(
            "`noise` must be a finite number >= 0 (the standard deviation of the noise). "
            f"Received: noise={noise}"
        )
    return float(noise)


def _check_seed(seed: object) -> int:
    seed = _check_int("seed", seed, minimum=0)
    if seed > _MAX_SEED:
        raise ValueError(f"`seed` must be in [0, {_MAX_SEED}]. Received: seed={seed}")
    return seed


# --- classification --------------------------------------------------------------------


def make_moons(n_samples: int = 200, *, noise: float = 0.1, seed: int = 0) -> Arrays:
    """Two interleaving half circles: a tiny non-linear binary classification task.

    Args:
        n_samples: total number of points (>= 2); the classes differ by at most one point.
        noise: standard deviation of Gaussian noise added to each coordinate (>= 0).
        seed: seed of the NumPy generator; the same seed gives the same data.

    Returns:
        ``(x, y)``: ``x`` of shape ``(n_samples, 2)`` and dtype float32,
        ``y`` of shape ``(n_samples,)`` and dtype int32 with values 0 and 1.

    Example:
        >>> x, y = make_moons(4, noise=0.0)
        >>> x.shape, y.tolist()
        ((4, 2), [0, 0, 1, 1])
    """
    n_samples = _check_int("n_samples", n_samples, minimum=2)
    noise = _check_noise(noise)
    rng = np.random.default_rng(_check_seed(seed))

    n_upper = (n_samples + 1) // 2
    n_lower = n_samples - n_upper
    angle_upper = np.linspace(0.0, math.pi, n_upper)
    angle_lower = np.linspace(0.0, math.pi, n_lower)
    upper = np.stack([np.cos(angle_upper), np.sin(angle_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(angle_lower), 0.5 - np.sin(angle_lower)], axis=1)

    x = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n_samples, 2))
    y = np.concatenate([np.zeros(n_upper), np.ones(n_lower)])
    return x.astype("float32"), y.astype("int32")


# --- regression ------------------------------------------------------------------------

_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": lambda x: np.sin(math.pi * x),
    "cubic": lambda x: x**3 - 0.5 * x,
    "step": lambda x: np.where(x < 0.0, -0.5, 0.5),
}


def make_regression_1d(
    n_samples: int = 128, *, function: str = "sine", noise: float = 0.1, seed: int = 0
) -> Arrays:
    """Noisy samples of a 1-D function on ``[-1, 1]``, sorted by ``x`` (handy for plotting).

    Args:
        n_samples: number of points (>= 1).
        function: ``"sine"`` (sin(pi x)), ``"cubic"`` (x^3 - x/2) or ``"step"`` (-0.5 / +0.5).
        noise: standard deviation of Gaussian noise added to the targets (>= 0).
        seed: seed of the NumPy generator.

    Returns:
        ``(x, y)``, both of shape ``(n_samples, 1)`` and dtype float32.
    """
    n_samples = _check_int("n_samples", n_samples, minimum=1)
    if not isinstance(function, str) or function not in _FUNCTIONS:
        raise ValueError(
            f"`function` must be one of {sorted(_FUNCTIONS)}. Received: function={function!r}"
        )
    noise = _check_noise(noise)
    rng = np.random.default_rng(_check_seed(seed))

    x = np.sort(rng.uniform(-1.0, 1.0, size=n_samples))
    y = _FUNCTIONS[function](x) + rng.normal(0.0, noise, size=n_samples)
    return x.reshape(-1, 1).astype("float32"), y.reshape(-1, 1).astype("float32")


# --- sequences -------------------------------------------------------------------------


def make_sequences(
    n_sequences: int = 64, *, length: int = 20, noise: float = 0.1, seed: int = 0
) -> Arrays:
    """Short noisy sine waves; the target is the value one step after the end.

    Each sequence has its own frequency and phase, so a model must read the
    sequence to predict what comes next.

    Args:
        n_sequences: number of sequences (>= 1).
        length: time steps per sequence (>= 2).
        noise: standard deviation of Gaussian noise added to the inputs (>= 0).
        seed: seed of the NumPy generator.

    Returns:
        ``(x, y)``: ``x`` of shape ``(n_sequences, length, 1)`` and ``y`` of
        shape ``(n_sequences, 1)``, both float32.
    """
    n_sequences = _check_int("n_sequences", n_sequences, minimum=1)
    length = _check_int("length", length, minimum=2)
    noise = _check_noise(noise)
    rng = np.random.default_rng(_check_seed(seed))

    frequency = rng.uniform(0.05, 0.2, size=(n_sequences, 1))
    phase = rng.uniform(0.0, 2.0 * math.pi, size=(n_sequences, 1))
    steps = np.arange(length + 1)
    waves = np.sin(2.0 * math.pi * frequency * steps + phase)
    x = waves[:, :length] + rng.normal(0.0, noise, size=(n_sequences, length))
    y = waves[:, length:]
    return x[..., np.newaxis].astype("float32"), y.astype("float32")


# --- images ----------------------------------------------------------------------------

#: What each label of :func:`make_images` means.
IMAGE_CLASSES: tuple[str, ...] = ("horizontal", "vertical", "diagonal", "anti-diagonal")


def make_images(
    n_samples: int = 256, *, size: int = 12, noise: float = 0.1, seed: int = 0
) -> Arrays:
    """Small grey images of one bar each; the label is the bar's direction.

    A stand-in for MNIST that needs no download: a convolutional network learns it in a
    few epochs, a dense one more slowly. The classes are :data:`IMAGE_CLASSES`
    (horizontal, vertical, diagonal, anti-diagonal), equally frequent up to one image; each
    bar is one pixel wide and sits at a random offset.

    Args:
        n_samples: number of images (>= 1).
        size: height and width in pixels (>= 4).
        noise: standard deviation of Gaussian noise added to every pixel (>= 0).
        seed: seed of the NumPy generator.

    Returns:
        ``(x, y)``: ``x`` of shape ``(n_samples, size, size, 1)`` (channels last) and dtype
        float32, with bar pixels near 1 and background near 0; ``y`` of shape
        ``(n_samples,)`` and dtype int32 with values 0 to 3.

    Example:
        >>> x, y = make_images(8, size=6)
        >>> x.shape, sorted(set(y.tolist()))
        ((8, 6, 6, 1), [0, 1, 2, 3])
    """
    n_samples = _check_int("n_samples", n_samples, minimum=1)
    size = _check_int("size", size, minimum=4)
    noise = _check_noise(noise)
    rng = np.random.default_rng(_check_seed(seed))

    labels = rng.permutation(np.arange(n_samples) % len(IMAGE_CLASSES))
    offsets = rng.integers(-(size // 2) + 1, size // 2, size=n_samples)
    images = np.zeros((n_samples, size, size))
    for index, (label, offset) in enumerate(zip(labels, offsets, strict=True)):
        row = size // 2 + offset
        if label == 0:
            images[index, row, :] = 1.0
        elif label == 1:
            images[index, :, row] = 1.0
        elif label == 2:
            images[index] = np.eye(size, k=offset)
        else:
            images[index] = np.fliplr(np.eye(size, k=offset))
    images += rng.normal(0.0, noise, size=images.shape)
    return images[..., np.newaxis].astype("float32"), labels.astype("int32")
