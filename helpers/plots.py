"""Plots shared by the notebooks.

:func:`draw_activation` draws one or more activation functions and their derivatives side by
side, the derivative computed by the current backend's autodiff
(:func:`helpers.gradients.elementwise_derivative`). It returns the Figure, so it can be shown
with ``plt.show()`` or handed to :func:`helpers.widgets.explore` as the body of a ``draw``
function that sliders redraw.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

Activation = Callable[[Any], Any]


def _check_range(x_range: object) -> tuple[float, float]:
    if (
        not isinstance(x_range, Sequence)
        or isinstance(x_range, str)
        or len(x_range) != 2
        or not all(isinstance(end, numbers.Real) and not isinstance(end, bool) for end in x_range)
    ):
        raise TypeError(
            "`x_range` must be a pair of numbers (low, high), e.g. (-4.0, 4.0). "
            f"Received: x_range={x_range!r}"
        )
    low, high = float(x_range[0]), float(x_range[1])
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ValueError(
            "`x_range` must be two finite numbers with low < high. "
            f"Received: x_range={tuple(x_range)!r}"
        )
    return low, high


def _named_functions(function: object) -> dict[str, Activation]:
    if isinstance(function, Mapping):
        if not function:
            raise ValueError("`function` is an empty mapping: give at least one activation.")
        named = dict(function)
    else:
        named = {getattr(function, "__name__", type(function).__name__): function}
    for name, candidate in named.items():
        if not isinstance(name, str):
            raise TypeError(
                f"The names of the activations must be strings. Received: {name!r} "
                f"of type {type(name).__name__}"
            )
        if not callable(candidate):
            raise TypeError(
                "`function` must be an activation (a callable such as keras.activations.relu) "
                f"or a mapping from names to activations. Received: {name}={candidate!r} "
                f"of type {type(candidate).__name__}"
            )
    return named


def draw_activation(
    function: Activation | Mapping[str, Activation],
    x_range: Sequence[float] = (-4.0, 4.0),
    *,
    num_points: int = 201,
    title: str | None = None,
    figsize: tuple[float, float] = (7.0, 2.6),
) -> Any:
    """Plot activations (left) and their derivatives (right) on one Figure, and return it.

    The derivative is computed by the backend's autodiff, so it shows what training really
    uses, including at kinks (e.g. ReLU's derivative at 0 is whatever the backend chose).

    Args:
        function: an element-wise activation written with ``keras.ops`` (or a Keras layer),
            or a mapping ``{name: activation}`` to compare several on the same axes.
        x_range: ``(low, high)``, the interval of inputs to plot, low < high.
        num_points: how many evenly spaced inputs to evaluate, an integer >= 2.
        title: an optional title for the whole figure.
        figsize: the figure's size in inches.

    Returns:
        The ``matplotlib.figure.Figure``; its two axes hold one line per activation, labelled
        with its name (the function's ``__name__`` when a single callable is given).

    Raises:
        TypeError: if ``function`` is not callable (or a mapping holds something that is
            not), ``x_range`` is not a pair of numbers, or ``num_points`` not an integer.
        ValueError: if ``x_range`` is empty or not finite, ``num_points < 2``, or an
            activation returns values of another shape than its input.

    Example:
        >>> figure = draw_activation({"relu": keras.activations.relu}, (-3, 3))
        >>> plt.show()
    """
    import keras
    import matplotlib.pyplot as plt

    from helpers.gradients import elementwise_derivative

    named = _named_functions(function)
    low, high = _check_range(x_range)
    if isinstance(num_points, bool) or not isinstance(num_points, numbers.Integral):
        raise TypeError(
            f"`num_points` must be an integer >= 2. Received: num_points={num_points!r} "
            f"of type {type(num_points).__name__}"
        )
    if num_points < 2:
        raise ValueError(f"`num_points` must be an integer >= 2. Received: num_points={num_points}")

    x = np.linspace(low, high, int(num_points)).astype(keras.config.floatx())
    figure, (value_axis, slope_axis) = plt.subplots(1, 2, figsize=figsize)
    for name, activation in named.items():
        values = np.asarray(keras.ops.convert_to_numpy(activation(keras.ops.convert_to_tensor(x))))
        if values.shape != x.shape:
            raise ValueError(
                f"Activation {name!r} must be element-wise (output shape = input shape). "
                f"Received an output of shape {values.shape} for an input of shape {x.shape}"
            )
        value_axis.plot(x, values, label=name)
        slope_axis.plot(x, elementwise_derivative(activation, x), label=name)
    value_axis.set_title("activation f(x)")
    slope_axis.set_title("derivative f'(x) (autodiff)")
    for axis in (value_axis, slope_axis):
        axis.axhline(0.0, color="gray", linewidth=0.5)
        axis.axvline(0.0, color="gray", linewidth=0.5)
        axis.set_xlabel("x")
    value_axis.legend(fontsize="small")
    if title is not None:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
