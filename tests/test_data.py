"""Tests for :mod:`helpers.data`: exact values, shapes, determinism and argument checks."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from helpers import data

MAKERS = [data.make_moons, data.make_regression_1d, data.make_sequences, data.make_images]


# --- make_moons ------------------------------------------------------------------------


def test_make_moons_without_noise_gives_the_exact_half_circles():
    """Upper half circle at angles 0 and pi; lower one at (1 - cos, 0.5 - sin) of the same."""
    x, y = data.make_moons(4, noise=0.0)
    expected = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], dtype="float32")
    np.testing.assert_allclose(x, expected, rtol=0, atol=1e-7)
    assert y.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("n_samples", [2, 3, 7, 200])
def test_make_moons_shapes_dtypes_and_balanced_classes(n_samples):
    x, y = data.make_moons(n_samples)
    assert x.shape == (n_samples, 2)
    assert y.shape == (n_samples,)
    assert x.dtype == np.float32
    assert y.dtype == np.int32
    assert set(y.tolist()) == {0, 1}
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1


def test_make_moons_points_lie_on_the_two_half_circles_without_noise():
    x, y = data.make_moons(50, noise=0.0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert (upper[:, 1] >= -1e-6).all()
    assert (lower[:, 1] <= 0.5 + 1e-6).all()


def test_make_moons_noise_is_added_around_the_noise_free_points():
    clean, _ = data.make_moons(4000, noise=0.0, seed=1)
    noisy, _ = data.make_moons(4000, noise=0.2, seed=1)
    difference = noisy - clean
    assert abs(difference.mean()) < 0.01
    assert difference.std() == pytest.approx(0.2, rel=0.05)


# --- make_regression_1d ----------------------------------------------------------------


@pytest.mark.parametrize("function", ["sine", "cubic", "step"])
def test_make_regression_1d_shapes_sorted_and_in_range(function):
    x, y = data.make_regression_1d(257, function=function)
    assert x.shape == y.shape == (257, 1)
    assert x.dtype == y.dtype == np.float32
    assert (np.diff(x[:, 0]) >= 0).all()
    assert x.min() >= -1.0
    assert x.max() <= 1.0


@pytest.mark.parametrize(
    ("function", "formula"),
    [
        ("sine", lambda x: np.sin(math.pi * x)),
        ("cubic", lambda x: x**3 - 0.5 * x),
        ("step", lambda x: np.where(x < 0.0, -0.5, 0.5)),
    ],
)
def test_make_regression_1d_without_noise_gives_the_function_values(function, formula):
    x, y = data.make_regression_1d(100, function=function, noise=0.0, seed=3)
    expected = formula(x.astype("float64"))
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-6)


def test_make_regression_1d_step_is_exact():
    x, y = data.make_regression_1d(100, function="step", noise=0.0)
    assert set(y[x < 0].tolist()) == {-0.5}
    assert set(y[x >= 0].tolist()) == {0.5}


def test_make_regression_1d_noise_is_added_to_the_targets_only():
    clean_x, clean_y = data.make_regression_1d(4000, noise=0.0, seed=2)
    noisy_x, noisy_y = data.make_regression_1d(4000, noise=0.3, seed=2)
    np.testing.assert_array_equal(noisy_x, clean_x)
    residual = noisy_y - clean_y
    assert abs(residual.mean()) < 0.02
    assert residual.std() == pytest.approx(0.3, rel=0.05)


# --- make_sequences --------------------------------------------------------------------


@pytest.mark.parametrize(("n_sequences", "length"), [(1, 2), (64, 20), (5, 33)])
def test_make_sequences_shapes_and_dtypes(n_sequences, length):
    x, y = data.make_sequences(n_sequences, length=length)
    assert x.shape == (n_sequences, length, 1)
    assert y.shape == (n_sequences, 1)
    assert x.dtype == y.dtype == np.float32


def test_make_sequences_target_continues_the_noise_free_sine():
    """A sampled sine obeys s[t+1] = c s[t] - s[t-1] with c = 2 cos(omega).

    Fit c on each noise-free sequence, then predict the step after the end:
    it must be the target, and omega must match a frequency in [0.05, 0.2].
    """
    x, y = data.make_sequences(32, length=20, noise=0.0, seed=5)
    waves = x[..., 0].astype("float64")
    for wave, target in zip(waves, y[:, 0], strict=True):
        previous, current, following = wave[:-2], wave[1:-1], wave[2:]
        c = np.dot(current, previous + following) / np.dot(current, current)
        np.testing.assert_allclose(previous + following, c * current, atol=1e-5)
        assert (
            2 * math.cos(2 * math.pi * 0.2) - 1e-4 <= c <= 2 * math.cos(2 * math.pi * 0.05) + 1e-4
        )
        assert target == pytest.approx(c * wave[-1] - wave[-2], abs=1e-4)
    assert np.abs(waves).max() <= 1.0


def test_make_sequences_noise_changes_the_inputs_but_not_the_targets():
    clean_x, clean_y = data.make_sequences(200, length=20, noise=0.0, seed=4)
    noisy_x, noisy_y = data.make_sequences(200, length=20, noise=0.3, seed=4)
    np.testing.assert_array_equal(noisy_y, clean_y)
    assert (noisy_x - clean_x).std() == pytest.approx(0.3, rel=0.05)


# --- make_images -----------------------------------------------------------------------


@pytest.mark.parametrize(("n_samples", "size"), [(1, 4), (9, 6), (64, 12)])
def test_make_images_shapes_dtypes_and_balanced_classes(n_samples, size):
    x, y = data.make_images(n_samples, size=size)
    assert x.shape == (n_samples, size, size, 1)
    assert x.dtype == np.float32
    assert y.shape == (n_samples,)
    assert y.dtype == np.int32
    counts = np.bincount(y, minlength=4)
    assert counts.max() - counts.min() <= 1
    assert set(y.tolist()) <= {0, 1, 2, 3}


def test_make_images_without_noise_draws_one_bar_in_the_labelled_direction():
    x, y = data.make_images(40, size=8, noise=0.0, seed=3)
    for image, label in zip(x[..., 0], y, strict=True):
        assert set(np.unique(image).tolist()) == {0.0, 1.0}
        rows, columns = np.nonzero(image)
        if label == 0:  # one full row
            assert len(set(rows.tolist())) == 1
            assert len(rows) == 8
        elif label == 1:  # one full column
            assert len(set(columns.tolist())) == 1
            assert len(columns) == 8
        elif label == 2:  # a diagonal: column - row is constant
            assert len(set((columns - rows).tolist())) == 1
        else:  # an anti-diagonal: column + row is constant
            assert len(set((columns + rows).tolist())) == 1
    assert data.IMAGE_CLASSES == ("horizontal", "vertical", "diagonal", "anti-diagonal")


def test_make_images_noise_is_added_to_every_pixel():
    clean, labels = data.make_images(50, noise=0.0, seed=2)
    noisy, noisy_labels = data.make_images(50, noise=0.2, seed=2)
    np.testing.assert_array_equal(labels, noisy_labels)
    assert (noisy - clean).std() == pytest.approx(0.2, rel=0.05)


# --- determinism -----------------------------------------------------------------------


@pytest.mark.parametrize("maker", MAKERS, ids=lambda maker: maker.__name__)
def test_same_seed_gives_identical_arrays(maker):
    first_x, first_y = maker(seed=11)
    second_x, second_y = maker(seed=11)
    np.testing.assert_array_equal(first_x, second_x)
    np.testing.assert_array_equal(first_y, second_y)


@pytest.mark.parametrize("maker", MAKERS, ids=lambda maker: maker.__name__)
def test_different_seeds_give_different_arrays(maker):
    first_x, _ = maker(seed=11)
    second_x, _ = maker(seed=12)
    assert not np.array_equal(first_x, second_x)


@pytest.mark.parametrize("maker", MAKERS, ids=lambda maker: maker.__name__)
def test_largest_seed_is_accepted(maker):
    maker(seed=2**32 - 1)


def test_numpy_scalars_are_accepted():
    x, y = data.make_moons(np.int64(6), noise=np.float32(0.0), seed=np.uint32(1))
    expected_x, expected_y = data.make_moons(6, noise=0.0, seed=1)
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)


# --- invalid arguments -----------------------------------------------------------------

# (maker, name of the size argument, its minimum)
SIZES = [
    (data.make_moons, "n_samples", 2),
    (data.make_regression_1d, "n_samples", 1),
    (data.make_sequences, "n_sequences", 1),
    (data.make_sequences, "length", 2),
    (data.make_images, "n_samples", 1),
    (data.make_images, "size", 4),
]


def _call(maker, argument, value):
    """Call ``maker`` with one argument set (the first one positionally, as users do)."""
    if argument in ("n_samples", "n_sequences"):
        return maker(value)
    return maker(**{argument: value})


@pytest.mark.parametrize(("maker", "argument", "minimum"), SIZES)
@pytest.mark.parametrize("value", [-5, 0])
def test_negative_or_zero_sizes_raise_value_error(maker, argument, minimum, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={value}")):
        _call(maker, argument, value)


@pytest.mark.parametrize(("maker", "argument", "minimum"), SIZES)
def test_size_one_below_the_minimum_raises_value_error(maker, argument, minimum):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={minimum - 1}")):
        _call(maker, argument, minimum - 1)


@pytest.mark.parametrize(("maker", "argument", "minimum"), SIZES)
@pytest.mark.parametrize(
    ("value", "type_name"), [(True, "bool"), (3.0, "float"), ("3", "str"), (None, "NoneType")]
)
def test_non_integer_sizes_raise_type_error(maker, argument, minimum, value, type_name):
    message = f"Received: {argument}={value!r} of type {type_name}"
    with pytest.raises(TypeError, match=re.escape(message)):
        _call(maker, argument, value)


@pytest.mark.parametrize("maker", MAKERS, ids=lambda maker: maker.__name__)
@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf"), -float("inf")])
def test_negative_or_non_finite_noise_raises_value_error(maker, noise):
    with pytest.raises(ValueError, match=re.escape(f"Received: noise={noise}")):
        maker(noise=noise)


@pytest.mark.parametrize("maker", MAKERS, ids=lambda maker: maker.__name__)
@pytest.mark.parametrize(
    ("noise", "type_name"), [(True, "bool"), ("0.1", "str"), (None, "NoneType"), (1j, "complex")]
)
def test_non_real_noise_raises_type_error(maker, noise, type_name):
    message = f"Received: noise={noise!r} of type {type_name}"
    with pytest.raises(TypeError, match=re.escape(message)):
        maker(noise=noise)


@pytest.mark.parametrize("maker", MAKERS, ids=lambda maker: maker.__name__)
@pytest.mark.parametrize(
    ("seed", "expected"), [(-1, "Received: seed=-1"), (2**32, f"Received: seed={2**32}")]
)
def test_seed_out_of_range_raises_value_error(maker, seed, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        maker(seed=seed)


@pytest.mark.parametrize("maker", MAKERS, ids=lambda maker: maker.__name__)
@pytest.mark.parametrize(("seed", "type_name"), [(1.5, "float"), (True, "bool"), ("0", "str")])
def test_non_integer_seed_raises_type_error(maker, seed, type_name):
    with pytest.raises(TypeError, match=re.escape(f"Received: seed={seed!r} of type {type_name}")):
        maker(seed=seed)


@pytest.mark.parametrize("function", ["cosine", "Sine", "", None, 3])
def test_make_regression_1d_unknown_function_raises_value_error(function):
    with pytest.raises(ValueError, match=re.escape(f"Received: function={function!r}")):
        data.make_regression_1d(function=function)


def test_huge_integer_noise_raises_value_error():
    with pytest.raises(ValueError, match="Received: noise="):
        data.make_moons(noise=10**400)
