"""Checks for the exercises of ``notebooks/00_start_here.ipynb``.

Tested in ``tests/checks/test_nb00_start_here.py``.
"""

from __future__ import annotations

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _check_shape,
    _input_rng,
    _require_callable,
    _to_numpy,
    exercise,
)


@exercise
def check_standardize(standardize: object) -> None:
    """Exercise 00.1: ``standardize(x)`` rescales each column to mean 0 and std 1.

    The column statistics are the population ones (``keras.ops.std``, no
    Bessel correction). The answer is called on backend tensors of several
    shapes and scales and compared with NumPy.
    """
    import keras

    name = "standardize"
    function = _require_callable(name, standardize)
    cases = _Cases(name)
    rng = _input_rng(0)
    inputs = [
        rng.normal(5.0, 2.0, size=(5, 3)),
        rng.normal(-1.0, 0.1, size=(8, 1)),
        rng.uniform(0.0, 100.0, size=(16, 4)) * np.array([1.0, 10.0, 0.1, 3.0]),
    ]
    for x in inputs:
        x = x.astype("float32")
        expected = (x - x.mean(axis=0)) / x.std(axis=0)
        received = _to_numpy(name, function(keras.ops.convert_to_tensor(x)))
        _check_shape(
            name,
            received,
            x.shape,
            requirement=f"for an input of shape {x.shape} the output must have the same shape",
        )
        if not np.allclose(received, expected, atol=1e-4):
            raise ExerciseFailed(
                f"{name}: wrong values for an input of shape {x.shape}. Each column should "
                f"have mean 0 and standard deviation 1; the columns you returned have means "
                f"{np.round(received.mean(axis=0), 3).tolist()} and standard deviations "
                f"{np.round(received.std(axis=0), 3).tolist()}. Reduce over axis 0 only."
            )
        cases.passed(f"an input of shape {x.shape}")
    cases.report()


@exercise
def check_noisy_copy(noisy_copy: object) -> None:
    """Exercise 00.2: ``noisy_copy(x, seed)`` adds N(0, 0.1^2) noise, reproducibly.

    Checked on an input whose values spread over ``[-3, 7]``: the shape is
    kept; the same seed gives the same result; another seed gives another
    result; the added noise (output minus input) has mean about 0 and
    standard deviation about 0.1, both where ``x`` is small and where it is
    large (so noise that is multiplied by ``x``, or that ignores ``x``, fails).
    """
    import keras

    name = "noisy_copy"
    function = _require_callable(name, noisy_copy)
    cases = _Cases(name)
    x_values = np.linspace(-3.0, 7.0, 20_000, dtype="float32").reshape(100, 200)
    x = keras.ops.convert_to_tensor(x_values)

    first = _to_numpy(name, function(x, 7))
    _check_shape(
        name,
        first,
        x_values.shape,
        requirement=f"the output must keep the input's shape {x_values.shape}",
    )
    again = _to_numpy(name, function(x, 7))
    if not np.array_equal(first, again):
        raise ExerciseFailed(
            f"{name}: two calls with the same seed gave different results. "
            "Pass `seed` on to keras.random."
        )
    cases.passed("the same seed gives the same copy, of the input's shape")
    other = _to_numpy(name, function(x, 8))
    if np.array_equal(first, other):
        raise ExerciseFailed(
            f"{name}: seeds 7 and 8 gave identical results. The noise must depend on the seed."
        )
    cases.passed("another seed gives another copy")

    noise = first - x_values
    for where, region in (("small", np.abs(x_values) < 1.0), ("large", x_values > 5.0)):
        mean, std = float(noise[region].mean()), float(noise[region].std())
        if abs(mean) > 0.02 or not 0.09 <= std <= 0.11:
            raise ExerciseFailed(
                f"{name}: the added noise (output - x) should have mean 0 and standard "
                f"deviation 0.1 whatever x is. Where x is {where}, it has mean {mean:.4f} and "
                f"standard deviation {std:.4f}"
            )
    cases.passed("the noise is N(0, 0.1^2) where x is small and where it is large")
    cases.report()


_NUMPY_INTEGERS = frozenset(np.dtype(code).type for code in np.typecodes["AllInteger"])


@exercise
def check_dense_parameter_count(dense_parameter_count: object) -> None:
    """Exercise 00.3: ``dense_parameter_count(input_dim, units, use_bias)`` without Keras.

    The answer's counts are compared with what a real ``keras.layers.Dense``
    reports through ``count_params()`` after it is built.
    """
    import keras

    name = "dense_parameter_count"
    function = _require_callable(name, dense_parameter_count)
    cases = _Cases(name)
    for input_dim, units, use_bias in [
        (3, 4, True),
        (10, 1, True),
        (1, 7, True),
        (5, 6, False),
        (128, 64, True),
    ]:
        layer = keras.layers.Dense(units, use_bias=use_bias)
        layer.build((None, input_dim))
        expected = layer.count_params()
        received = function(input_dim, units, use_bias)
        # Python's int or one of NumPy's integer types, not a subclass (which could compare
        # equal to anything): then compared as a plain int.
        if type(received) is not int and type(received) not in _NUMPY_INTEGERS:
            raise ExerciseFailed(
                f"{name}: must return an integer. "
                f"Received: {received!r} of type {type(received).__name__}"
            )
        received = int(received)
        if received != expected:
            raise ExerciseFailed(
                f"{name}({input_dim}, {units}, use_bias={use_bias}) returned {received}, "
                f"but a Dense layer like that has {expected} parameters."
            )
        cases.passed(f"Dense({units}, use_bias={use_bias}) on {input_dim} inputs")
    cases.report()
