"""helpers.plots: draw_activation plots values and autodiff derivatives, and refuses bad input."""

from __future__ import annotations

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from helpers import plots


def line_data(axis):
    return {
        line.get_label(): (line.get_xdata(), line.get_ydata())
        for line in axis.get_lines()
        if not line.get_label().startswith("_")  # skip the unlabelled zero lines
    }


def test_draw_activation_plots_values_and_derivatives():
    figure = plots.draw_activation(keras.ops.square, (-2.0, 2.0), num_points=5)
    try:
        assert isinstance(figure, Figure)
        value_axis, slope_axis = figure.axes
        ((x, values),) = line_data(value_axis).values()
        ((_, slopes),) = line_data(slope_axis).values()
        np.testing.assert_allclose(x, [-2.0, -1.0, 0.0, 1.0, 2.0])
        np.testing.assert_allclose(values, [4.0, 1.0, 0.0, 1.0, 4.0])
        np.testing.assert_allclose(slopes, [-4.0, -2.0, 0.0, 2.0, 4.0])
        assert list(line_data(value_axis)) == ["square"]
    finally:
        plt.close(figure)


def test_draw_activation_compares_several_by_name_and_accepts_a_layer():
    functions = {"relu": keras.activations.relu, "layer": keras.layers.Activation("tanh")}
    figure = plots.draw_activation(functions, [-1, 1], num_points=3, title="two")
    try:
        lines = line_data(figure.axes[1])
        assert list(lines) == ["relu", "layer"]
        np.testing.assert_allclose(
            lines["layer"][1], 1.0 - np.tanh([-1.0, 0.0, 1.0]) ** 2, rtol=1e-5
        )
        assert figure._suptitle.get_text() == "two"
    finally:
        plt.close(figure)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"function": 3.0}, TypeError, r"callable.*Received: float=3\.0", id="number"),
        pytest.param({"function": {"relu": "relu"}}, TypeError, "Received: relu='relu'", id="str"),
        pytest.param({"function": {}}, ValueError, "empty mapping", id="empty"),
        pytest.param({"function": {1: keras.ops.relu}}, TypeError, "must be strings", id="key"),
        pytest.param({"x_range": (2.0, -2.0)}, ValueError, r"low < high\. Received", id="order"),
        pytest.param({"x_range": (1.0, 1.0)}, ValueError, "low < high", id="empty-range"),
        pytest.param({"x_range": (0.0, np.inf)}, ValueError, "finite", id="infinite"),
        pytest.param({"x_range": 4.0}, TypeError, "pair of numbers", id="scalar"),
        pytest.param({"x_range": (0, 1, 2)}, TypeError, "pair of numbers", id="triple"),
        pytest.param({"x_range": ("a", "b")}, TypeError, "pair of numbers", id="strings"),
        pytest.param({"num_points": 1}, ValueError, "num_points=1", id="one-point"),
        pytest.param({"num_points": 2.5}, TypeError, "of type float", id="float-points"),
        pytest.param({"num_points": True}, TypeError, "of type bool", id="bool-points"),
        pytest.param(
            {"function": keras.ops.sum}, ValueError, "must be element-wise", id="not-elementwise"
        ),
    ],
)
def test_draw_activation_rejects_invalid_input(kwargs, error, match):
    arguments = {"function": keras.activations.relu, "x_range": (-1.0, 1.0), **kwargs}
    before = plt.get_fignums()
    with pytest.raises(error, match=match):
        plots.draw_activation(**arguments)
    for number in set(plt.get_fignums()) - set(before):
        plt.close(number)
