"""Checks for the exercises of ``notebooks/05_stateful_layers.ipynb``.

Tested in ``tests/checks/test_nb05_stateful_layers.py``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _construct,
    _fit_quietly,
    _identity_model,
    _input_rng,
    _reload,
    _require_gradient_flow,
    _require_reloaded_class,
    _require_subclass,
    _require_value_error,
    _to_numpy,
    exercise,
)


def _call_layer(name: str, layer: Any, batch: np.ndarray, **kwargs: Any) -> np.ndarray:
    """Call the answer's layer eagerly on ``batch``; its errors become ExerciseFailed."""
    import keras

    try:
        return _to_numpy(name, layer(keras.ops.convert_to_tensor(batch), **kwargs))
    except ExerciseFailed:
        raise
    except Exception as error:  # the learner's call() failed
        raise ExerciseFailed(
            f"{name}: calling the layer on a batch of shape {batch.shape} raised "
            f"{type(error).__name__}: {str(error)[:200]}. Make the weights' shapes follow "
            "input_shape in build()."
        ) from error


def _state_variable(name: str, layer: Any, attribute: str, shape: tuple[int, ...]) -> Any:
    """The layer's ``attribute`` must be a non-trainable ``keras.Variable`` of ``shape``."""
    import keras

    variable = getattr(layer, attribute, None)
    if not isinstance(variable, keras.Variable):
        raise ExerciseFailed(
            f"{name}: after the layer is built, `self.{attribute}` must be a weight made with "
            f"self.add_weight(..., trainable=False) in build(). Received: {variable!r}"
        )
    if variable.trainable or any(variable is weight for weight in layer.trainable_weights):
        raise ExerciseFailed(
            f"{name}: `{attribute}` is trainable, so the optimizer would change it. Create it "
            "with add_weight(..., trainable=False)."
        )
    if tuple(variable.shape) != shape:
        raise ExerciseFailed(
            f"{name}: `{attribute}` must have shape {shape}. Received: {tuple(variable.shape)}"
        )
    return variable


@exercise
def check_moving_average(moving_average_class: object) -> None:
    """Exercise 05.1: ``ExponentialMovingAverage(momentum=0.9)``, a layer that tracks its input.

    The layer returns its input unchanged. It keeps a non-trainable weight ``average`` of
    shape ``(features,)``, starting at zeros, and on each call with ``training=True`` sets
    ``average = momentum * average + (1 - momentum) * mean of the batch``. With
    ``training=False`` or no ``training`` argument (``predict``, ``evaluate``, a plain call) it
    leaves ``average`` alone. Checked in eager calls against NumPy, with batches of different
    sizes and 3 or 4 features; inside ``fit`` / ``predict``, where state must be changed with
    ``assign`` to survive compilation (and JAX's stateless training; on PyTorch, whose ``fit``
    runs eagerly, a call with Python reads of tensor values switched off); and that gradients
    still flow through the layer to the layers before it.
    """

    name = "ExponentialMovingAverage"
    layer_class = _require_subclass(name, moving_average_class)
    cases = _Cases(name)
    rng = _input_rng(4)
    for momentum, features in ((0.9, 3), (0.5, 4)):
        layer = _construct(name, layer_class, {"momentum": momentum})
        expected = np.zeros(features)
        for size in (5, 2, 7, 3):
            batch = rng.normal(2.0, 1.0, size=(size, features)).astype("float32")
            output = _call_layer(name, layer, batch, training=True)
            if output.shape != batch.shape or not np.allclose(output, batch, atol=1e-6):
                raise ExerciseFailed(f"{name}: the layer must return its input unchanged.")
            average = _state_variable(name, layer, "average", (features,))
            expected = momentum * expected + (1 - momentum) * batch.mean(axis=0)
            received = _to_numpy(name, average)
            if not np.allclose(received, expected, atol=1e-5):
                raise ExerciseFailed(
                    f"{name}(momentum={momentum}): after a training call on a batch of {size} "
                    f"samples the average should be {np.round(expected, 4).tolist()}, received "
                    f"{np.round(received, 4).tolist()}. Keep `momentum` of the old average and "
                    "add (1 - momentum) of the batch mean over axis 0; start from zeros."
                )
        if layer.trainable_weights:
            raise ExerciseFailed(f"{name}: the layer must have no trainable weights.")
        for how, training in (
            ("training=False", {"training": False}),
            ("no training argument", {}),
        ):
            _call_layer(name, layer, batch + 100.0, **training)
            if not np.allclose(_to_numpy(name, layer.average), expected, atol=1e-5):
                raise ExerciseFailed(
                    f"{name}: a call with {how} changed the average: update it only when "
                    "training is True (give `training` the default False)."
                )
        cases.passed(f"eager calls with momentum={momentum} on {features} features")

    _as_a_compiled_step_would(name, layer_class, {"momentum": 0.9}, 3, training=True)
    layer = _construct(name, layer_class, {"momentum": 0.9})
    model = _identity_model(layer, features=3)
    x = rng.normal(2.0, 1.0, size=(15, 3)).astype("float32")  # 3 batches of 5
    _fit_quietly(name, model, x, np.zeros((15, 1), "float32"), batch_size=5, epochs=1)
    expected = np.zeros(3)
    for batch in x.reshape(3, 5, 3):
        expected = 0.9 * expected + 0.1 * batch.mean(axis=0)
    received = _to_numpy(name, _state_variable(name, layer, "average", (3,)))
    if not np.allclose(received, expected, atol=1e-4):
        raise ExerciseFailed(
            f"{name}: after fit on 3 batches the average should be "
            f"{np.round(expected, 4).tolist()}, received {np.round(received, 4).tolist()}. "
            "Update it with self.average.assign(...) inside call()."
        )
    cases.passed("fit")
    model.predict(x + 100.0, batch_size=5, verbose=0)
    if not np.allclose(_to_numpy(name, layer.average), expected, atol=1e-4):
        raise ExerciseFailed(
            f"{name}: predict() changed the average: update it only when training is True."
        )
    cases.passed("predict")

    model = _identity_model(_construct(name, layer_class, {"momentum": 0.9}), 3, dense_before=True)
    _require_gradient_flow(
        name,
        model.layers[0],
        lambda: _fit_quietly(name, model, x, np.ones((15, 1), "float32"), batch_size=5, epochs=1),
        "a Dense layer placed before it did not learn: the layer blocks the gradient. Return "
        "the inputs themselves, not ops.stop_gradient(inputs).",
    )
    cases.passed("the gradient flows through the layer")
    cases.report()


@exercise
def check_call_counter(call_counter_class: object) -> None:
    """Exercise 05.2: ``CallCounter()``, which counts training batches and survives save/load.

    The layer returns its input unchanged and keeps a non-trainable scalar weight ``calls``
    that grows by one on every call with ``training=True`` (one per batch in ``fit``), not in
    ``predict``, without reading a tensor's value in Python (on PyTorch, whose ``fit`` runs
    eagerly, checked in a call with such reads switched off). A model using it is saved to a
    ``.keras`` file and loaded back: the loaded layer must still hold the count and go on
    counting from there.
    """

    name = "CallCounter"
    layer_class = _require_subclass(name, call_counter_class)
    cases = _Cases(name)
    _as_a_compiled_step_would(name, layer_class, {}, 2, training=True)
    layer = _construct(name, layer_class)
    model = _identity_model(layer, features=2)
    x = np.linspace(-1.0, 1.0, 24, dtype="float32").reshape(12, 2)
    y = np.zeros((12, 1), "float32")

    def count(counter: Any) -> float:
        return float(_to_numpy(name, _state_variable(name, counter, "calls", ())))

    _fit_quietly(name, model, x, y, batch_size=4, epochs=2)
    if count(layer) != 6:
        raise ExerciseFailed(
            f"{name}: fit on 12 samples, batch size 4, 2 epochs is 6 training batches; the "
            f"counter reads {count(layer):g}. Add one per call with training=True, with "
            "self.calls.assign_add(...)."
        )
    output = _to_numpy(name, model.layers[0](x))
    if not np.allclose(output, x):
        raise ExerciseFailed(f"{name}: the layer must return its input unchanged.")
    cases.passed("fit counts the training batches")
    model.predict(x, batch_size=4, verbose=0)
    if count(layer) != 6:
        raise ExerciseFailed(
            f"{name}: predict() changed the count to {count(layer):g}: count only calls with "
            "training=True."
        )
    cases.passed("predict does not count")
    loaded = _reload(name, model)
    counter = _require_reloaded_class(name, loaded, 0, layer_class)
    if count(counter) != 6:
        raise ExerciseFailed(
            f"{name}: after save and load the counter reads {count(counter):g} instead of 6: "
            "make it a weight (self.add_weight in build()), so the .keras file stores it."
        )
    cases.passed("save and load keep the count")
    _fit_quietly(name, loaded, x, y, batch_size=4, epochs=1)
    if count(counter) != 9:
        raise ExerciseFailed(
            f"{name}: after one more epoch (3 batches) the loaded counter should read 9, "
            f"received {count(counter):g}."
        )
    cases.passed("the loaded layer counts on")
    cases.report()


@contextlib.contextmanager
def _values_unreadable_in_python() -> Iterator[None]:
    """On PyTorch, make reading a tensor's value in Python (``if tensor:``, ``int(tensor)``,
    ``convert_to_numpy``) raise, as it does in the compiled steps of TensorFlow and JAX."""
    import torch

    names = ("__bool__", "__int__", "__float__", "__index__", "item", "numpy", "tolist")
    saved = {name: torch.Tensor.__dict__.get(name) for name in names}

    def refusal(method: str) -> Any:
        def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise TypeError(f"Tensor.{method}() reads a tensor's value in Python")

        return refuse

    try:
        for name in names:
            setattr(torch.Tensor, name, refusal(name))
        yield
    finally:
        for name, method in saved.items():
            if method is None:
                delattr(torch.Tensor, name)
            else:
                setattr(torch.Tensor, name, method)


def _cause(error: BaseException) -> str:
    """``"TypeName: first line"`` of the error a learner's ``call()`` raised, up to 160
    characters, without the lines Keras wraps it in ("Exception encountered when calling ...",
    "Could not automatically infer ... Error encountered:"). When Keras' re-raise itself
    breaks (JAX's tracer errors: ``'str' object has no attribute '_error_repr'``), the error
    it was re-raising is named instead."""
    while "_error_repr" in str(error) and error.__context__ is not None:
        error = error.__context__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split("Error encountered:")[-1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Exception encountered")] or [""]
    return f"{type(error).__name__}: {lines[0][:160]}"


def _as_a_compiled_step_would(
    name: str, layer_class: type, arguments: dict[str, Any], features: int, **call: Any
) -> None:
    """On PyTorch, whose ``fit`` runs eagerly, call a fresh layer (built first) with Python
    reads of tensor values switched off, as TensorFlow's and JAX's compiled ``fit`` refuse
    them; elsewhere nothing (their ``fit`` refuses such reads itself)."""
    import keras

    if keras.backend.backend() != "torch":
        return
    probe = _construct(name, layer_class, arguments)
    batch = keras.ops.ones((4, features))
    probe(batch, **call)
    try:
        with _values_unreadable_in_python():
            probe(batch, **call)
    except Exception as error:
        raise ExerciseFailed(
            f"{name}: a call as in a compiled training step failed ({_cause(error)}): it "
            "reads a tensor's value in Python, which TensorFlow's and JAX's fit cannot do. "
            "Inside call(), use keras.ops only and change state with variable.assign(...)."
        ) from None


@exercise
def check_resetting_sum(resetting_sum_class: object) -> None:
    """Exercise 05.3: ``ResettingSum(period)``, a running sum that starts over by itself.

    The layer returns its input unchanged (what it returns) and keeps a non-trainable weight
    ``total`` of shape ``(features,)`` (what it remembers). On every call (training or not),
    if it has already summed ``period`` batches since it last started, it starts again from
    zero; then it adds the batch's sum over axis 0 to ``total``. ``period`` must be a positive
    integer: ``ResettingSum(period=0)`` raises ``ValueError``. Checked in eager calls on
    batches of different sizes, then in a model built on ``keras.Input`` and its compiled
    ``predict``, where a Python ``if`` on a tensor cannot decide when to reset. PyTorch runs
    ``predict`` eagerly, so there the check also calls the layer with Python reads of a
    tensor's value switched off: such an ``if`` is refused on every backend.
    """
    import keras

    name = "ResettingSum"
    layer_class = _require_subclass(name, resetting_sum_class)
    cases = _Cases(name)
    _require_value_error(name, layer_class, "period", (0, -2, 2.5, "3"), "a positive integer")
    cases.passed("periods that are not positive integers are refused")

    def make_batches(sizes: tuple[int, ...]) -> list[np.ndarray]:
        values = np.arange(1, 2 * sum(sizes) + 1, dtype="float32").reshape(-1, 2)
        return np.split(values * np.array([1.0, 10.0], "float32"), np.cumsum(sizes)[:-1])

    def expected_totals(batches: list[np.ndarray], period: int) -> list[np.ndarray]:
        totals, total = [], np.zeros(2)
        for index, batch in enumerate(batches):
            if index % period == 0:
                total = np.zeros(2)
            total = total + batch.sum(axis=0)
            totals.append(total)
        return totals

    advice = (
        "Inside a compiled call a Python `if` cannot look at a tensor's value: choose between "
        "the old total and zeros with keras.ops.where."
    )
    batches = make_batches((2, 3, 1, 2, 4, 3, 2))  # batches of different sizes
    for period in (3, 2, 1):
        layer = _construct(name, layer_class, {"period": period})
        for index, (batch, total) in enumerate(
            zip(batches, expected_totals(batches, period), strict=True)
        ):
            received = _call_layer(name, layer, batch)
            if received.shape != batch.shape or not np.allclose(received, batch):
                raise ExerciseFailed(
                    f"{name}: call {index + 1} (a batch of {len(batch)}) must return its input "
                    f"unchanged, received {np.round(received, 3).tolist()}. Return the "
                    "per-sample result (here the input itself), and remember the total in "
                    "the weight: never return the state."
                )
            stored = _to_numpy(name, _state_variable(name, layer, "total", (2,)))
            if not np.allclose(stored, total):
                raise ExerciseFailed(
                    f"{name}(period={period}): after call {index + 1} (a batch of "
                    f"{len(batch)}) `total` should hold {total.tolist()}, received "
                    f"{np.round(stored, 3).tolist()}."
                )
    cases.passed("eager calls with periods 3, 2 and 1")
    even = make_batches((2,) * 7)
    try:
        layer = _construct(name, layer_class, {"period": 3})
        model = keras.Sequential([keras.Input(shape=(2,)), layer])
        received = _to_numpy(name, model.predict(np.concatenate(even), batch_size=2, verbose=0))
        if keras.backend.backend() == "torch":  # predict ran eagerly: call it as if compiled
            probe = _construct(name, layer_class, {"period": 3})
            probe(keras.ops.ones((2, 2)))  # built, then called as a compiled step would
            with _values_unreadable_in_python():
                probe(keras.ops.ones((2, 2)))
    except ExerciseFailed:
        raise
    except Exception as error:  # a Python `if` on a symbolic tensor, NumPy in call, ...
        raise ExerciseFailed(
            f"{name}: building a model on keras.Input and running its predict() failed "
            f"({_cause(error)}). {advice}"
        ) from None
    stored = _to_numpy(name, _state_variable(name, layer, "total", (2,)))
    expected = expected_totals(even, 3)[-1]
    if not np.allclose(received, np.concatenate(even)) or not np.allclose(stored, expected):
        raise ExerciseFailed(
            f"{name}(period=3): after a compiled predict() on 7 batches of 2, `total` should "
            f"hold {expected.tolist()} (the last batch alone), received "
            f"{np.round(stored, 3).tolist()}, and the output must be the input. The reset "
            "must happen inside the compiled step too."
        )
    cases.passed("a model on keras.Input and its compiled predict()")
    cases.report()


def _fraction_batches() -> list[tuple[np.ndarray, np.ndarray]]:
    """``(y_true, y_pred)`` batches of 3, 5, 1 and 4 rows, some exactly 0.5 or 1.0 apart.

    Every value is a multiple of 0.25, so the distances are exact in float32 and the
    boundary case ``abs(y_true - y_pred) == tolerance`` really is equal. The distances are
    chosen so that each typical mistake gives another result from the second batch on.
    """
    distances = ([0.0, 0.5, 0.75], [-0.5, 1.0, 0.25, -1.0, 1.25], [2.0], [0.0, -0.25, 0.75, -1.5])
    targets = ([1.0, -2.0, 0.25], [0.5, 1.5, -1.0, 2.0, -0.75], [-0.5], [1.25, 0.0, -1.5, 0.75])
    return [
        (
            np.array(target, "float32").reshape(-1, 1),
            (np.array(target) + np.array(distance)).astype("float32").reshape(-1, 1),
        )
        for target, distance in zip(targets, distances, strict=True)
    ]


def _fraction_close(batches: list[tuple[np.ndarray, np.ndarray]], tolerance: float) -> float:
    """The fraction of values within ``tolerance`` over all ``batches`` together."""
    y_true = np.concatenate([pair[0] for pair in batches])
    y_pred = np.concatenate([pair[1] for pair in batches])
    return float(np.mean(np.abs(y_true - y_pred) <= tolerance))


def _fraction_within_diagnosis(
    batches: list[tuple[np.ndarray, np.ndarray]], tolerance: float, received: float
) -> str:
    """What a wrong value after ``batches`` most likely comes from, said as advice."""
    per_batch = [_fraction_close([pair], tolerance) for pair in batches]
    strict = float(
        np.mean(
            np.abs(
                np.concatenate([pair[0] for pair in batches])
                - np.concatenate([pair[1] for pair in batches])
            )
            < tolerance
        )
    )
    if len(batches) > 1 and np.isclose(received, np.mean(per_batch)):
        return (
            "That is the average of the batches' fractions, which weighs a batch of 1 like a "
            "batch of 5: count close values and all values, and divide in result()."
        )
    if len(batches) > 1 and np.isclose(received, per_batch[-1]):
        return (
            "That is the last batch alone: add to the counts with assign_add instead of "
            "replacing them."
        )
    other = 1.0 if tolerance == 0.5 else 0.5
    if np.isclose(received, _fraction_close(batches, other)):
        return f"That is the fraction for tolerance={other}: use the tolerance given to __init__."
    if np.isclose(received, strict):
        return f"Values exactly {tolerance} apart count as close: use <=, not <."
    return "Count abs(y_true - y_pred) <= tolerance over every value seen since the last reset."


@exercise
def check_fraction_within(fraction_within_class: object) -> None:
    """Exercise 05.4: ``FractionWithin(tolerance=0.5)``, a metric with state of its own.

    A ``keras.metrics.Metric`` whose result is the fraction of predicted values within
    ``tolerance`` of the target (``abs(y_true - y_pred) <= tolerance``) over every value seen
    since the last reset, kept in variables made with ``self.add_variable``. ``tolerance``
    must be a positive number (``ValueError`` otherwise). Checked against NumPy after every
    ``update_state`` on batches of different sizes (values exactly ``tolerance`` apart
    included), with two tolerances, after ``reset_state()``, and inside a compiled
    ``evaluate`` run twice (Keras resets the metric at the start of each).
    """
    import keras

    name = "FractionWithin"
    metric_class = _require_subclass(name, fraction_within_class, base="keras.metrics.Metric")
    cases = _Cases(name)
    _require_value_error(name, metric_class, "tolerance", (0, -0.5), "a positive number")
    cases.passed("tolerances that are not positive are refused")

    batches = _fraction_batches()

    def result(metric: Any, what: str) -> float:
        try:
            value = _to_numpy(name, metric.result())
        except ExerciseFailed:
            raise
        except Exception as error:  # the learner's result() failed
            raise ExerciseFailed(
                f"{name}: result() {what} raised {type(error).__name__}: {str(error)[:200]}"
            ) from error
        if value.size != 1:
            raise ExerciseFailed(
                f"{name}: result() must return a scalar; received shape {value.shape}."
            )
        return float(value.reshape(()))

    for tolerance in (0.5, 1.0):
        metric = _construct(name, metric_class, {"tolerance": tolerance})
        if not metric.variables:
            raise ExerciseFailed(
                f"{name}: the metric has no variables. Keep the counts in variables made with "
                "self.add_variable(...) in __init__: Keras resets, saves and compiles only those."
            )
        for seen in range(1, len(batches) + 1):
            y_true, y_pred = batches[seen - 1]
            try:
                metric.update_state(y_true, y_pred)
            except Exception as error:  # the learner's update_state failed
                raise ExerciseFailed(
                    f"{name}: update_state on a batch of shape {y_true.shape} raised "
                    f"{type(error).__name__}: {str(error)[:200]}"
                ) from error
            expected = _fraction_close(batches[:seen], tolerance)
            received = result(metric, f"after {seen} batch" + "es" * (seen > 1))
            if not np.isclose(received, expected, atol=1e-6):
                raise ExerciseFailed(
                    f"{name}(tolerance={tolerance}): after {seen} batch{'es' * (seen > 1)} (sizes "
                    f"{[len(pair[0]) for pair in batches[:seen]]}) the result should be "
                    f"{expected:.4f}, received {received:.4f}. "
                    + _fraction_within_diagnosis(batches[:seen], tolerance, received)
                )
        cases.passed(f"update_state and result with tolerance={tolerance}")

    metric.reset_state()
    metric.update_state(*batches[1])
    expected, received = _fraction_close(batches[1:2], 1.0), result(metric, "after a reset")
    if not np.isclose(received, expected, atol=1e-6):
        raise ExerciseFailed(
            f"{name}: after reset_state() and one batch the result should be {expected:.4f}, "
            f"received {received:.4f}: reset_state() must clear every count (the default "
            "zeroes each variable made with add_variable; plain Python attributes stay)."
        )
    cases.passed("reset_state")

    y_true = np.concatenate([pair[0] for pair in batches])
    y_pred = np.concatenate([pair[1] for pair in batches])
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Identity()])
    model.compile(loss="mse", metrics=[_construct(name, metric_class, {"tolerance": 0.5})])
    expected = _fraction_close(batches, 0.5)
    for run in ("first", "second"):
        try:
            scores = model.evaluate(y_pred, y_true, batch_size=4, verbose=0, return_dict=True)
        except Exception as error:  # Python numbers or NumPy in update_state, ...
            raise ExerciseFailed(
                f"{name}: a compiled evaluate() failed ({type(error).__name__}: "
                f"{str(error)[:200]}). In update_state, use keras.ops only and change the "
                "variables with assign_add."
            ) from error
        received = float(next(value for key, value in scores.items() if key != "loss"))
        if not np.isclose(received, expected, atol=1e-6):
            raise ExerciseFailed(
                f"{name}: the {run} compiled evaluate() (batches of 4, 4, 4, 1) gave "
                f"{received:.4f}, expected {expected:.4f}. Keep the counts in variables and "
                "update them with assign_add, so that compiled code and resets see them."
            )
    cases.passed("a compiled evaluate(), twice")
    cases.report()
