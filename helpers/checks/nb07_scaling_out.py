"""Checks for the exercises of ``notebooks/07_scaling_out.ipynb``.

Tested in ``tests/checks/test_nb07_scaling_out.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _input_rng,
    _require_callable,
    _to_numpy,
    exercise,
)

# --- pad_to_multiple -----------------------------------------------------------------------


@exercise
def check_pad_to_multiple(pad_to_multiple: object) -> None:
    """Exercise 07.1: ``pad_to_multiple(x, multiple)`` pads rows so the devices share evenly.

    Returns ``x`` with rows added at the end so that its length is the smallest multiple of
    ``multiple`` that is at least ``len(x)``: ``x`` itself (same rows, same dtype) when it
    already divides, the original rows first, and finite values in the added rows.
    """
    name = "pad_to_multiple"
    function = _require_callable(name, pad_to_multiple)
    cases = _Cases(name)
    rng = _input_rng(7)
    for rows, multiple, shape in [
        (7, 4, (8,)),
        (8, 4, (8,)),
        (1, 4, (3,)),
        (9, 2, (2, 3)),
        (5, 1, (2,)),
    ]:
        x = rng.normal(size=(rows, *shape)).astype("float32")
        description = f"{rows} rows for {multiple} devices"
        padded = _to_numpy(name, function(x.copy(), multiple))
        wanted = -(-rows // multiple) * multiple
        if padded.shape[1:] != x.shape[1:]:
            raise ExerciseFailed(
                f"{name}: for {description} each row has shape {padded.shape[1:]}, not "
                f"{x.shape[1:]}: add whole rows, along the first axis only."
            )
        if len(padded) != wanted:
            hint = (
                "it dropped rows: round the length up, never down"
                if len(padded) < rows
                else "add only the rows that are missing (none when the length already divides)"
                if len(padded) > wanted
                else f"the length must be a multiple of {multiple}"
            )
            raise ExerciseFailed(
                f"{name}: for {description} it returned {len(padded)} rows, expected "
                f"{wanted}: {hint}."
            )
        if not np.array_equal(padded[:rows], x):
            raise ExerciseFailed(
                f"{name}: for {description} the first {rows} rows are not x's rows: keep them "
                "first and in order, and add the padding at the end (predictions are read "
                "back as the first len(x) rows)."
            )
        if padded.dtype != x.dtype:
            raise ExerciseFailed(
                f"{name}: it returned {padded.dtype}, not x's {x.dtype}: keep the dtype."
            )
        if not np.all(np.isfinite(padded)):
            raise ExerciseFailed(
                f"{name}: the added rows hold NaN or inf: pad with real values (zeros, or "
                "copies of the last row), so that nothing non-finite flows through the model."
            )
        cases.passed(description)
    cases.report()


# --- wide_layout -----------------------------------------------------------------------------

_LAYOUT_CASES = (
    ("scaled/wide/kernel", (None, "model"), "split the kernel's columns over 'model', rows whole"),
    ("scaled/wide/bias", ("model",), "split the bias over 'model' too, like the columns"),
    ("scaled/out/kernel", None, "leave the other layers out of the map"),
    ("scaled/out/bias", None, "leave the other layers out of the map"),
    ("scaled/swish/beta", None, "leave the other layers out of the map"),
    ("scaled/running_mean/moving_mean", None, "leave the other layers out of the map"),
    ("other/wide/kernel", (None, "model"), "match the layer by its name, whatever the model's"),
    ("scaled/overwide/kernel", None, "match the layer named wide only: '.*/wide/kernel'"),
)


@exercise
def check_wide_layout(wide_layout: object) -> None:
    """Exercise 07.2: ``wide_layout(mesh)``, the ``LayoutMap`` that splits the layer ``wide``.

    For a mesh with axes ``("batch", "model")``, the map must split the columns of any layer
    named ``wide`` over ``"model"`` (kernel axes ``(None, "model")``, bias ``("model",)``)
    and match no other variable. Checked on variable paths, so it runs on any backend and
    needs no devices.
    """
    import keras

    name = "wide_layout"
    function = _require_callable(name, wide_layout)
    cases = _Cases(name)
    devices = [f"cpu:{index}" for index in range(4)]
    mesh = keras.distribution.DeviceMesh(
        shape=(2, 2), axis_names=["batch", "model"], devices=devices
    )
    layout_map = function(mesh)
    if not isinstance(layout_map, keras.distribution.LayoutMap):
        raise ExerciseFailed(
            f"{name}: it returned a {type(layout_map).__name__}, not a "
            "keras.distribution.LayoutMap: make one with keras.distribution.LayoutMap(mesh) "
            "and set its entries."
        )
    for path, expected, advice in _LAYOUT_CASES:
        try:
            layout = layout_map[path]
        except ValueError as error:  # several keys match the path
            raise ExerciseFailed(f"{name}: looking up {path!r} failed: {error}") from error
        axes = None if layout is None else tuple(layout.axes)
        if axes != expected:
            raise ExerciseFailed(
                f"{name}: the variable {path!r} gets the layout {axes}, expected {expected}: "
                f"{advice}."
            )
        cases.passed(path)
    cases.report()


# --- averaged_gradient -------------------------------------------------------------------


def _weighted_mean(gradients: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    return sum(n * g for n, g in zip(sizes, gradients, strict=True)) / sum(sizes)


@exercise
def check_averaged_gradient(averaged_gradient: object) -> None:
    """Exercise 07.3: ``averaged_gradient(gradients, sizes)``, the step of data parallelism.

    Each device computed the gradient of the *mean* loss over its own ``sizes[i]`` rows; the
    answer is the gradient of the mean loss over all the rows: ``sum(n_i * g_i) / sum(n_i)``.
    Checked with equal and unequal shares, against NumPy.
    """
    name = "averaged_gradient"
    function = _require_callable(name, averaged_gradient)
    cases = _Cases(name)
    rng = _input_rng(11)
    for description, sizes in [
        ("4 devices, 8 rows each", [8, 8, 8, 8]),
        ("2 devices, 8 rows each", [8, 8]),
        ("4 devices, 8, 8, 8 and 2 rows (a last partial batch)", [8, 8, 8, 2]),
        ("one device", [5]),
    ]:
        gradients = [rng.normal(size=(3, 2)).astype("float32") for _ in sizes]
        expected = _weighted_mean(gradients, sizes)
        answer: Any = function([g.copy() for g in gradients], list(sizes))
        got = _to_numpy(name, answer).astype("float64")
        if got.shape != expected.shape:
            raise ExerciseFailed(
                f"{name}: for {description} it returned shape {got.shape}, expected "
                f"{expected.shape}, the shape of one gradient: combine the devices' gradients "
                "entry by entry."
            )
        if np.allclose(got, expected, atol=1e-5):
            cases.passed(description)
            continue
        if np.allclose(got, np.mean(gradients, axis=0), atol=1e-5):
            advice = (
                "it took the plain mean of the devices' gradients, which is right only when "
                "every device had as many rows: weight each by its row count."
            )
        elif np.allclose(got, np.sum(gradients, axis=0), atol=1e-5) or np.allclose(
            got, sum(n * g for n, g in zip(sizes, gradients, strict=True)), atol=1e-5
        ):
            advice = "it summed: divide by the total number of rows, the loss is a mean."
        else:
            advice = "the gradient of the mean over all rows is sum(n_i * g_i) / sum(n_i)."
        raise ExerciseFailed(f"{name}: wrong result for {description}: {advice}")
    cases.report()
