"""Tests for :mod:`helpers.checks.nb07_scaling_out`: right answers pass, typical mistakes are
refused.

The answers use NumPy and ``keras.distribution.LayoutMap``, which work on every backend without
devices, so this file runs on whichever backend ``KERAS_BACKEND`` selects.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import checks
from tests.checks.expect import expect_pass, expect_refusal

# --- pad_to_multiple -------------------------------------------------------------------


def pad_correct(x, multiple):
    missing = -len(x) % multiple
    return np.concatenate([x, np.repeat(x[-1:], missing, axis=0)])


def pad_with_zeros(x, multiple):
    missing = -len(x) % multiple
    return np.concatenate([x, np.zeros((missing, *x.shape[1:]), x.dtype)])


def pad_always(x, multiple):
    return np.concatenate([x, np.repeat(x[-1:], multiple - len(x) % multiple, axis=0)])


def pad_at_front(x, multiple):
    missing = -len(x) % multiple
    return np.concatenate([np.repeat(x[:1], missing, axis=0), x])


def pad_rounds_down(x, multiple):
    return x[: len(x) // multiple * multiple]


def pad_with_nan(x, multiple):
    missing = -len(x) % multiple
    return np.concatenate([x, np.full((missing, *x.shape[1:]), np.nan, x.dtype)])


def pad_in_float64(x, multiple):
    return pad_correct(x, multiple).astype("float64")


def pad_flattened(x, multiple):
    return pad_correct(x.reshape(len(x), -1), multiple)


@pytest.mark.parametrize("answer", [pad_correct, pad_with_zeros])
def test_check_pad_to_multiple_passes_right_answers(answer, capsys):
    expect_pass(checks.check_pad_to_multiple, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(pad_always, "add only the rows that are missing", id="always"),
        pytest.param(pad_at_front, "add the padding at the end", id="front"),
        pytest.param(pad_rounds_down, "round the length up", id="round-down"),
        pytest.param(pad_with_nan, "NaN or inf", id="nan"),
        pytest.param(pad_in_float64, "keep the dtype", id="float64"),
        pytest.param(pad_flattened, "along the first axis only", id="flattened"),
    ],
)
def test_check_pad_to_multiple_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_pad_to_multiple, answer, match, capsys)


# --- wide_layout -----------------------------------------------------------------------


def _layout(mesh, entries):
    layout_map = keras.distribution.LayoutMap(mesh)
    for key, axes in entries.items():
        layout_map[key] = axes
    return layout_map


def layout_correct(mesh):
    return _layout(mesh, {".*/wide/kernel": (None, "model"), ".*/wide/bias": ("model",)})


def layout_no_slash(mesh):
    return _layout(mesh, {".*wide/kernel": (None, "model"), ".*wide/bias": ("model",)})


def layout_every_kernel(mesh):
    return _layout(mesh, {".*kernel": (None, "model"), ".*wide/bias": ("model",)})


def layout_rows(mesh):
    return _layout(mesh, {".*wide/kernel": ("model", None), ".*wide/bias": ("model",)})


def layout_no_bias(mesh):
    return _layout(mesh, {".*wide/kernel": (None, "model")})


def layout_batch_axis(mesh):
    return _layout(mesh, {".*wide/kernel": (None, "batch"), ".*wide/bias": ("batch",)})


def layout_full_path(mesh):
    return _layout(mesh, {"scaled/wide/kernel": (None, "model"), "scaled/wide/bias": ("model",)})


def layout_dict(mesh):
    return {".*wide/kernel": (None, "model"), ".*wide/bias": ("model",)}


def test_check_wide_layout_passes_the_right_answer(capsys):
    expect_pass(checks.check_wide_layout, layout_correct, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(layout_every_kernel, "leave the other layers out", id="every-kernel"),
        pytest.param(layout_rows, "rows whole", id="rows"),
        pytest.param(layout_no_bias, "split the bias", id="no-bias"),
        pytest.param(layout_batch_axis, r"over 'model'", id="batch-axis"),
        pytest.param(layout_full_path, "whatever the model's", id="full-path"),
        pytest.param(layout_dict, "not a keras.distribution.LayoutMap", id="a-dict"),
        pytest.param(layout_no_slash, "the layer named wide only", id="no-slash"),
    ],
)
def test_check_wide_layout_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_wide_layout, answer, match, capsys)


# --- averaged_gradient -----------------------------------------------------------------


def averaged_correct(gradients, sizes):
    return sum(n * g for n, g in zip(sizes, gradients, strict=True)) / sum(sizes)


def averaged_plain_mean(gradients, sizes):
    return np.mean(gradients, axis=0)


def averaged_sum(gradients, sizes):
    return np.sum(gradients, axis=0)


def averaged_weighted_sum(gradients, sizes):
    return sum(n * g for n, g in zip(sizes, gradients, strict=True))


def averaged_first(gradients, sizes):
    return gradients[0]


def averaged_stacked(gradients, sizes):
    return np.stack([n * g for n, g in zip(sizes, gradients, strict=True)]) / sum(sizes)


def test_check_averaged_gradient_passes_the_right_answer(capsys):
    expect_pass(checks.check_averaged_gradient, averaged_correct, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(averaged_plain_mean, "weight each by its row count", id="plain-mean"),
        pytest.param(averaged_sum, "it summed", id="sum"),
        pytest.param(averaged_weighted_sum, "it summed", id="weighted-sum"),
        pytest.param(averaged_first, r"sum\(n_i \* g_i\) / sum\(n_i\)", id="first-only"),
        pytest.param(averaged_stacked, "entry by entry", id="stacked"),
    ],
)
def test_check_averaged_gradient_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_averaged_gradient, answer, match, capsys)
