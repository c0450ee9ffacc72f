"""Checks for the exercises of ``notebooks/08_export_and_interop.ipynb``.

Tested in ``tests/checks/test_nb08_export_and_interop.py``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from helpers.checks._base import (
    ExerciseFailed,
    _Cases,
    _construct,
    _input_rng,
    _require_callable,
    _require_subclass,
    _to_numpy,
    exercise,
)
from helpers.checks.nb05_stateful_layers import _cause, _values_unreadable_in_python


def _error_text(error: BaseException) -> str:
    """``"TypeName: text"`` of an error, as :func:`_cause` gives it, without TensorFlow's
    ``{{function_node ...}}`` prefix; cut back to its last whole sentence when it was cut."""
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", _cause(error))
    kind, _, message = text.partition(": ")
    if len(message) >= 150:  # _cause keeps 160 characters of the first line
        sentences = re.split(r"(?<=\.)\s+(?=[A-Z])", message)
        message = sentences[0] if len(sentences) > 1 else message.rstrip(" ,") + "…"
    message = re.sub(r"\s*\bname:\s*$", "", message)  # TensorFlow's empty op name
    return f"{kind}: {message.rstrip('.').strip()}"


def _run(name: str, what: str, function: Callable[[], Any], advice: str = "") -> Any:
    """``function()``; if the learner's code raises, ExerciseFailed saying that ``what``
    failed, with the error (Keras' wrapping lines left out), then ``advice``."""
    try:
        return function()
    except ExerciseFailed:
        raise
    except Exception as error:  # whatever the learner's code raised
        raise ExerciseFailed(
            f"{name}: {what} failed ({_error_text(error)})." + (f" {advice}." if advice else "")
        ) from error


# --- Jitter ------------------------------------------------------------------------------

_RANDOM_ADVICE = (
    "Draw the noise with keras.random.normal and a keras.random.SeedGenerator made in "
    "__init__ (seed=self.seed_generator)"
)
_INFERENCE = (
    "exported models and predict() run the layer with training=False, so the noise must be off "
    "there: add it only when training is true"
)


def _seed_states(layer: Any) -> list[np.ndarray]:
    """The values of the layer's random state: the variables that are not its weights, which
    are the states of its ``SeedGenerator``s (its sub-layers' included)."""
    weights = {id(weight) for weight in layer.weights}
    return [
        np.array(_to_numpy("Jitter", variable))
        for variable in layer.variables
        if id(variable) not in weights
    ]


def _numpy_random_state() -> tuple[Any, ...]:
    """NumPy's global random state, comparable with ``==``: it moves when ``np.random.normal``
    and the like draw."""
    kind, keys, position, has_gauss, cached = np.random.get_state()  # noqa: NPY002
    return kind, keys.tobytes(), position, has_gauss, cached


@exercise
def check_jitter(jitter_class: object) -> None:
    """Exercise 08.1: ``Jitter(stddev)``, Gaussian noise in training calls only.

    In a Functional model ``keras.Input((4,)) -> Dense(3) -> Jitter(0.5) -> Dense(2)``, built
    on symbolic tensors, a call with ``training=True`` adds noise drawn with
    ``keras.random.normal`` and the layer's own ``keras.random.SeedGenerator`` (new noise at
    every call, the generator's state moving on), also when traced symbolically; every other
    call (no ``training`` argument, ``training=False``, ``predict``: what exported models
    compute) returns the inputs unchanged, the model's output then equal to its Dense layers'.
    The noise has mean 0 and standard deviation ``stddev`` (measured on 20,000 values).
    NumPy's random functions are refused: on TensorFlow and JAX they cannot draw for a
    symbolic batch; on PyTorch, whose calls are eager, a training call must leave NumPy's
    global random state alone, and on every backend it must move the layer's own random state.
    The notebook gives ``get_config``, and the check never calls it: on JAX and PyTorch a
    layer's ``get_config`` loads TensorFlow where it is installed (Keras 3.15.1), which would
    take the kernel over 1 GB.
    """
    import keras

    name = "Jitter"
    layer_class = _require_subclass(name, jitter_class)
    cases = _Cases(name)
    rng = _input_rng(8)

    jitter = _construct(name, layer_class, {"stddev": 0.5})
    before, after = keras.layers.Dense(3), keras.layers.Dense(2)
    inputs = keras.Input(shape=(4,))
    model = _run(
        name,
        "building the Functional model keras.Input((4,)) -> Dense(3) -> Jitter(0.5) -> Dense(2)",
        lambda: keras.Model(inputs, after(jitter(before(inputs)))),
        "A model (and an exporter) calls the layer on symbolic tensors: in call(), use "
        "keras.ops and keras.random only",
    )
    cases.passed("a Functional model on keras.Input")

    traced = _run(
        name,
        "a symbolic call with training=True, as a compiled fit traces it,",
        lambda: _construct(name, layer_class, {"stddev": 0.5})(
            keras.Input(shape=(4,)), training=True
        ),
        f"{_RANDOM_ADVICE}: NumPy cannot draw for a symbolic batch, and a compiled step "
        "needs random state that the layer owns",
    )
    if not keras.backend.is_keras_tensor(traced) or tuple(traced.shape) != (None, 4):
        raise ExerciseFailed(
            f"{name}: called with training=True on keras.Input(shape=(4,)) it must return a "
            f"symbolic tensor of shape (None, 4), the inputs plus noise. Received: {traced!r}"
        )
    cases.passed("a symbolic call with training=True")

    x = rng.normal(size=(6, 4)).astype("float32")
    tensor = keras.ops.convert_to_tensor(x)
    expected = _to_numpy(name, after(before(tensor)))  # the model without the noise
    drawn = _numpy_random_state()
    states = _seed_states(jitter)
    first, second = (
        _to_numpy(name, _run(name, "model(x, training=True)", lambda: model(x, training=True)))
        for _ in range(2)
    )
    if first.shape != expected.shape or np.allclose(first, expected, atol=1e-6):
        raise ExerciseFailed(
            f"{name}: model(x, training=True) returned what the model computes without the "
            "layer: add noise in training calls (when training is true), and only there."
        )
    if _numpy_random_state() != drawn:
        raise ExerciseFailed(
            f"{name}: a training call drew its noise with NumPy (np.random): a compiled fit "
            "or an exporter runs that only once, when it traces the step, or fails on the "
            f"symbolic batch. {_RANDOM_ADVICE}."
        )
    if np.allclose(first, second, atol=1e-6):
        raise ExerciseFailed(
            f"{name}: two training calls added the same noise: a fixed int seed draws the same "
            "numbers at every call. Create a keras.random.SeedGenerator in __init__ and pass "
            "it as seed=self.seed_generator: it moves on at each draw."
        )
    moved = _seed_states(jitter)
    if not states or all(np.array_equal(old, new) for old, new in zip(states, moved, strict=True)):
        what = "its SeedGenerator did not move" if states else "it has no SeedGenerator"
        raise ExerciseFailed(
            f"{name}: the noise was not drawn with the layer's own random state ({what}): "
            "JAX compiles a training step only with random state that the layer owns (it "
            f"refuses unseeded random ops). {_RANDOM_ADVICE}."
        )
    cases.passed("training calls add new noise each time")

    for call, how, run in (
        ("model(x)", "model(x), without a training argument,", lambda: model(x)),
        ("model(x, training=False)", "model(x, training=False)", lambda: model(x, training=False)),
        ("model.predict(x)", "model.predict(x)", lambda: model.predict(x, verbose=0)),
    ):
        output = _to_numpy(name, _run(name, call, run))
        if output.shape != expected.shape or not np.allclose(output, expected, atol=1e-5):
            raise ExerciseFailed(
                f"{name}: {how} differs from the same model without the layer: {_INFERENCE}."
            )
        cases.passed(call)

    stddev = round(float(rng.uniform(0.2, 0.4)), 2)
    level = round(float(rng.uniform(-2.0, 2.0)), 2)
    noise = _measure_noise(name, _construct(name, layer_class, {"stddev": stddev}), level)
    measured, mean = float(noise.std()), float(noise.mean())
    if abs(measured - stddev) > 0.05 * stddev:
        hint = (
            "that is keras.random.normal's default: pass stddev=self.stddev"
            if abs(measured - 1.0) < 0.05
            else "draw it with keras.random.normal(shape, stddev=self.stddev, seed=...)"
        )
        raise ExerciseFailed(
            f"{name}: Jitter(stddev={stddev}) added noise of standard deviation {measured:.3f} "
            f"(over 20,000 values): {hint}."
        )
    if abs(mean) > 0.05 * stddev:
        raise ExerciseFailed(
            f"{name}: the noise must have mean 0; over 20,000 values its mean is {mean:.3f}. Add "
            "keras.random.normal(shape, stddev=self.stddev, seed=...) to the inputs."
        )
    cases.passed("the noise's standard deviation")
    cases.report()


def _measure_noise(name: str, layer: Any, level: float) -> np.ndarray:
    """The noise ``layer`` adds in a training call to 20,000 inputs all equal to ``level``."""
    x = np.full((200, 100), level, "float32")
    output = _run(
        name, "a training call on a batch of shape (200, 100)", lambda: layer(x, training=True)
    )
    output = _to_numpy(name, output)
    if output.shape != x.shape:
        raise ExerciseFailed(
            f"{name}: on a batch of shape {x.shape} it returned shape {output.shape}: return "
            "the inputs plus noise of the same shape (keras.ops.shape(inputs))."
        )
    return output.astype("float64") - level


# --- momentum_step -----------------------------------------------------------------------

#: The shapes of the parameters of each run: three, so that a pair is never mistaken for them.
_SHAPES = ((3, 2), (2,), (2, 1, 3))


def _sgd_reference(
    params: list[np.ndarray], grads: list[list[np.ndarray]], learning_rate: float, momentum: float
) -> list[list[np.ndarray]]:
    """The parameters after each step of Keras' own ``SGD(learning_rate, momentum=momentum)``,
    applied to ``keras.Variable``s with the gradients ``grads[step]``."""
    import keras

    variables = [keras.Variable(p.copy()) for p in params]
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=float(momentum))
    trajectory = []
    for step_grads in grads:
        gradients = [keras.ops.convert_to_tensor(g) for g in step_grads]
        optimizer.apply_gradients(zip(gradients, variables, strict=True))
        trajectory.append([np.array(keras.ops.convert_to_numpy(v)) for v in variables])
    return trajectory


def _rule_trajectory(
    params: list[np.ndarray],
    grads: list[list[np.ndarray]],
    learning_rate: float,
    momentum: float,
    rule: str,
) -> list[list[np.ndarray]]:
    """The parameters after each step of a mistaken update ``rule``, in float64."""
    p = [x.astype("float64") for x in params]
    v = [np.zeros_like(x) for x in p]
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if rule == "plain":
                p[i] = p[i] - learning_rate * g
            elif rule == "ascent":
                v[i] = momentum * v[i] + learning_rate * g
                p[i] = p[i] + v[i]
            else:  # "nesterov"
                v[i] = momentum * v[i] - learning_rate * g
                p[i] = p[i] + momentum * v[i] - learning_rate * g
        trajectory.append([x.copy() for x in p])
    return trajectory


_RULE_ADVICE = {
    "plain": (
        "they are plain SGD's (p - learning_rate * g): the old velocity is ignored. Keep it: "
        "v = momentum * v - learning_rate * g, then p = p + v"
    ),
    "ascent": (
        "the parameters moved up the gradient: subtract it, v = momentum * v - learning_rate * "
        "g, then p = p + v"
    ),
    "nesterov": (
        "that is the Nesterov update (p + momentum * v - learning_rate * g); "
        "SGD(momentum=...) without nesterov=True adds the new velocity itself: p = p + v"
    ),
}
_FORMULA = "SGD with momentum is v = momentum * v - learning_rate * g, then p = p + v"


def _sequence(name: str, value: object, what: str, length: int) -> list[Any]:
    """``value`` must be a list or tuple of ``length`` items; ExerciseFailed otherwise."""
    if inspect.isgenerator(value) or isinstance(value, Iterator):
        raise ExerciseFailed(
            f"{name}: {what} is a {type(value).__name__}, which can be read only once: return "
            "a list ([... for ...]); the training loop reads it again at the next step."
        )
    if not isinstance(value, (list, tuple)) or len(value) != length:
        size = f" of {len(value)} items" if isinstance(value, (list, tuple)) else ""
        raise ExerciseFailed(
            f"{name}: {what} must be a list of {length} arrays, one per parameter. Received a "
            f"{type(value).__name__}{size}."
        )
    return list(value)


def _unpack(name: str, result: object, count: int) -> tuple[list[np.ndarray], list[Any]]:
    """``(new_params, new_velocities)`` of the learner's result, the parameters as NumPy."""
    pair = "two lists, (new_params, new_velocities)"
    if inspect.isgenerator(result) or isinstance(result, Iterator):
        raise ExerciseFailed(
            f"{name}: it returned a {type(result).__name__}, which can be read only once: "
            f"return {pair}."
        )
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        size = f" of {len(result)} items" if isinstance(result, (list, tuple)) else ""
        raise ExerciseFailed(
            f"{name}: it must return {pair}: the loop needs the new velocities for the next "
            f"step. Received a {type(result).__name__}{size}."
        )
    new_params = _sequence(name, result[0], "new_params", count)
    new_velocities = _sequence(name, result[1], "new_velocities", count)
    return [_to_numpy(name, p) for p in new_params], new_velocities


def _require_unchanged(
    name: str, given: dict[str, list[Any]], copies: dict[str, list[np.ndarray]]
) -> None:
    """The lists ``given`` to the learner must hold the same arrays with the same values."""
    for what, items in given.items():
        for index, (item, copy) in enumerate(zip(items, copies[what], strict=True)):
            if not np.array_equal(_to_numpy(name, item), copy):
                raise ExerciseFailed(
                    f"{name}: it changed {what}[{index}] in place: JAX arrays cannot change "
                    "in place, and JAX's training loop needs a pure function that leaves its "
                    "inputs as they were. Build new arrays (p + v, not p += v) and return them."
                )


@exercise
def check_momentum_step(momentum_step: object) -> None:
    """Exercise 08.2: ``momentum_step(params, grads, velocities, learning_rate, momentum)``.

    The update step of a hand-written JAX training loop: from lists of arrays it returns
    ``(new_params, new_velocities)``, two lists (or tuples) with one array per parameter, and
    leaves its inputs as they were (a pure function). Run for 3 or 4 steps on three
    parameters of different shapes, the returned velocities fed back in (zeros at first),
    the parameters after each step must be those of Keras' own
    ``keras.optimizers.SGD(learning_rate, momentum=momentum)`` applied to ``keras.Variable``s
    (``v = momentum * v - learning_rate * g``, ``p = p + v``). The velocities are only threaded
    back, so any convention for them whose parameters match passes (PyTorch's ``v = momentum *
    v + g``, ``p = p - learning_rate * v`` too), but they must not come back as they were
    given. Run on NumPy arrays, then once on backend tensors.
    """
    import keras

    name = "momentum_step"
    function = _require_callable(name, momentum_step)
    cases = _Cases(name)
    rng = _input_rng(82)

    def step(
        params: list[Any],
        grads: list[Any],
        velocities: list[Any],
        lr: float,
        momentum: float,
        on: str = "NumPy arrays",
    ) -> tuple[list[np.ndarray], list[Any]]:
        given = {"params": list(params), "grads": list(grads), "velocities": list(velocities)}
        copies = {what: [np.array(_to_numpy(name, x)) for x in xs] for what, xs in given.items()}
        result = _run(
            name,
            f"momentum_step(params, grads, velocities, {lr}, {momentum}) on {on}",
            lambda: function(params, grads, velocities, lr, momentum),
            "Use arithmetic operators or keras.ops, which work on NumPy arrays and backend "
            "tensors alike",
        )
        passed = {"params": params, "grads": grads, "velocities": velocities}
        for what, items in given.items():  # the lists themselves, then their arrays
            if list(map(id, passed[what])) != list(map(id, items)):
                raise ExerciseFailed(
                    f"{name}: it changed the list {what} it was given: the caller keeps its "
                    "inputs (a pure function): build new lists and return them."
                )
        _require_unchanged(name, given, copies)
        new_params, new_velocities = _unpack(name, result, len(params))
        for index, (new, old) in enumerate(zip(new_params, copies["params"], strict=True)):
            if new.shape != old.shape:
                raise ExerciseFailed(
                    f"{name}: new_params[{index}] has shape {new.shape}, not the parameter's "
                    f"{old.shape}."
                )
        if momentum and all(
            np.array_equal(_to_numpy(name, new), old)
            for new, old in zip(new_velocities, copies["velocities"], strict=True)
        ):
            raise ExerciseFailed(
                f"{name}: the velocities it returned are the ones it was given: return the new "
                "velocities (v = momentum * v - learning_rate * g): the next step needs them."
            )
        return new_params, new_velocities

    for lr, momentum, steps in ((0.1, 0.9, 3), (0.05, 0.5, 4), (0.2, 0.0, 3)):
        start = [rng.normal(size=shape).astype("float32") for shape in _SHAPES]
        grads = [[rng.normal(size=s).astype("float32") for s in _SHAPES] for _ in range(steps)]
        reference = _sgd_reference(start, grads, lr, momentum)
        params, velocities = [p.copy() for p in start], [np.zeros_like(p) for p in start]
        for index in range(steps):
            new_params, new_velocities = step(
                params, [g.copy() for g in grads[index]], velocities, lr, momentum
            )
            if not all(
                np.allclose(new, wanted, atol=1e-6)
                for new, wanted in zip(new_params, reference[index], strict=True)
            ):
                raise ExerciseFailed(
                    f"{name}: after step {index + 1} with learning_rate={lr}, momentum="
                    f"{momentum}, the parameters differ from keras.optimizers.SGD's: "
                    + _momentum_diagnosis(start, grads, lr, momentum, index, new_params)
                    + "."
                )
            params = [p.copy() for p in new_params]
            velocities = [np.array(_to_numpy(name, v)) for v in new_velocities]
        cases.passed(f"{steps} steps with learning_rate={lr}, momentum={momentum}")
    cases.passed("its inputs are left as they were")

    start = [rng.normal(size=shape).astype("float32") for shape in _SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in _SHAPES] for _ in range(2)]
    reference = _sgd_reference(start, grads, 0.1, 0.9)
    params = [keras.ops.convert_to_tensor(p) for p in start]
    velocities = [keras.ops.zeros_like(p) for p in params]
    for index in range(2):
        tensors = [keras.ops.convert_to_tensor(g) for g in grads[index]]
        new_params, new_velocities = step(
            params, tensors, velocities, 0.1, 0.9, on="backend tensors"
        )
        if not all(
            np.allclose(new, wanted, atol=1e-5)
            for new, wanted in zip(new_params, reference[index], strict=True)
        ):
            raise ExerciseFailed(
                f"{name}: on backend tensors (what a JAX loop passes) step {index + 1} differs "
                "from keras.optimizers.SGD's: use arithmetic operators or keras.ops, which work "
                "on NumPy arrays and tensors alike."
            )
        params = [keras.ops.convert_to_tensor(p) for p in new_params]
        velocities = list(new_velocities)
    cases.passed("backend tensors as inputs")
    cases.report()


def _momentum_diagnosis(
    start: list[np.ndarray],
    grads: list[list[np.ndarray]],
    learning_rate: float,
    momentum: float,
    index: int,
    received: list[np.ndarray],
) -> str:
    """What a wrong step ``index`` most likely comes from, said as advice."""
    for rule, advice in _RULE_ADVICE.items():
        trajectory = _rule_trajectory(start, grads, learning_rate, momentum, rule)
        if all(
            np.allclose(new, wanted, atol=1e-5)
            for new, wanted in zip(received, trajectory[index], strict=True)
        ):
            return advice
    return _FORMULA


# --- RMSNormalize ------------------------------------------------------------------------

_TRACE_ADVICE = (
    "Exporters (model.export, ONNX, LiteRT) trace call() with symbolic tensors that have no "
    "values: write call() with keras.ops (ops.mean, ops.sqrt, ops.square), not NumPy or "
    "ops.convert_to_numpy"
)


def _rms(x: np.ndarray, epsilon: float, axis: int = -1) -> np.ndarray:
    x = x.astype("float64")
    return x / np.sqrt(np.mean(x**2, axis=axis, keepdims=True) + epsilon)


def _rms_diagnosis(x: np.ndarray, epsilon: float, received: np.ndarray) -> str:
    """What a wrong ``received`` for ``x`` most likely comes from, said as advice."""
    x64 = x.astype("float64")
    squares = x64**2
    candidates = [
        (
            _rms(x, epsilon, axis=0),
            "it normalized over the batch (axis 0): normalize each row over its own "
            "features, the last axis (axis=-1)",
        ),
        (
            x64 / np.sqrt(np.sum(squares, axis=-1, keepdims=True) + epsilon),
            "it divided by the L2 norm (square root of the sum): the root mean square is "
            "the square root of the mean, ops.mean(ops.square(x), axis=-1, keepdims=True)",
        ),
        (
            x64 / (np.sqrt(np.mean(squares, axis=-1, keepdims=True)) + epsilon),
            "epsilon goes inside the square root: sqrt(mean(x**2) + epsilon)",
        ),
        (
            _rms(x, 1e-6),
            f"epsilon={epsilon} was ignored: use self.epsilon, set from the argument",
        ),
    ]
    if x.ndim == 3:
        candidates.append(
            (
                x64 / np.sqrt(np.mean(squares, axis=(1, 2), keepdims=True) + epsilon),
                "on a 3-D input normalize over the last axis only (axis=-1)",
            )
        )
        candidates.append(
            (
                x64 / np.sqrt(np.mean(squares, axis=1, keepdims=True) + epsilon),
                "on a 3-D input normalize over the last axis only (axis=-1), not axis 1",
            )
        )
    for wrong, advice in candidates:
        if np.allclose(received, wrong, atol=1e-5, rtol=1e-4):
            return advice
    return "each row must be x / sqrt(mean(x**2 over the last axis) + epsilon)"


@exercise
def check_rms_normalize(rms_normalize_class: object) -> None:
    """Exercise 08.3: ``RMSNormalize(epsilon=1e-6)``, a layer that an exporter can trace.

    The layer returns ``x / sqrt(mean(x**2, axis=-1, keepdims=True) + epsilon)``: each row
    normalized over its last axis only. Checked against NumPy in eager calls on batches of 1,
    4 and 7 rows and on a 3-D input (float32 kept), on a row of zeros (zeros back, finite),
    with ``epsilon=1.0`` on small values (inside the square root, from the argument); then on
    a symbolic ``keras.Input(shape=(None, 5))``, as exporters trace the call (NumPy or
    ``ops.convert_to_numpy`` fails there on TensorFlow and JAX; on PyTorch, where Keras falls
    back to real tensors, a call with Python reads of tensor values switched off stands in for
    the trace), and in a Functional model's ``predict``.
    """
    import keras

    name = "RMSNormalize"
    layer_class = _require_subclass(name, rms_normalize_class)
    cases = _Cases(name)
    rng = _input_rng(83)
    layer = _construct(name, layer_class)

    def compare(layer: Any, x: np.ndarray, epsilon: float, what: str) -> None:
        output = _run(
            name,
            f"a call on {what}",
            lambda: layer(keras.ops.convert_to_tensor(x)),
            "If the shapes do not broadcast, keep the reduced axis (keepdims=True), so that "
            "each row is divided by its own root mean square",
        )
        received = _to_numpy(name, output)
        if received.shape != x.shape:
            raise ExerciseFailed(
                f"{name}: on {what} it returned shape {received.shape}: the output must have "
                "the input's shape (keepdims=True keeps the reduced axis for the division)."
            )
        if received.dtype != x.dtype:
            raise ExerciseFailed(
                f"{name}: on a float32 input it returned {received.dtype}: keep the input's "
                "dtype (use keras.ops on the inputs, not NumPy's float64)."
            )
        if not np.all(np.isfinite(received)):
            raise ExerciseFailed(
                f"{name}: on {what} it returned NaN or inf: a row of zeros has a root mean "
                "square of 0; add epsilon under the square root, sqrt(mean(x**2) + epsilon)."
            )
        if not np.allclose(received, _rms(x, epsilon), atol=1e-5, rtol=1e-4):
            raise ExerciseFailed(
                f"{name}: wrong values on {what}: " + _rms_diagnosis(x, epsilon, received) + "."
            )

    for rows in (1, 4, 7):
        x = (rng.normal(size=(rows, 5)) * rng.uniform(0.5, 3.0, size=(rows, 1))).astype("float32")
        compare(layer, x, 1e-6, f"a batch of shape {x.shape}")
        cases.passed(f"a batch of {rows} rows")
    x = rng.normal(size=(2, 3, 5)).astype("float32")
    compare(layer, x, 1e-6, "a 3-D input of shape (2, 3, 5)")
    cases.passed("a 3-D input")
    x = rng.normal(size=(3, 5)).astype("float32")
    x[1] = 0.0
    compare(layer, x, 1e-6, "a batch whose second row is all zeros")
    cases.passed("a row of zeros")
    x = (rng.normal(size=(4, 5)) * 0.1).astype("float32")
    compare(_construct(name, layer_class, {"epsilon": 1.0}), x, 1.0, "small values, epsilon=1.0")
    cases.passed("epsilon=1.0")

    symbolic = _run(
        name,
        "a call on keras.Input(shape=(None, 5)), as an exporter traces it,",
        lambda: _construct(name, layer_class)(keras.Input(shape=(None, 5))),
        _TRACE_ADVICE,
    )
    if not keras.backend.is_keras_tensor(symbolic) or tuple(symbolic.shape) != (None, None, 5):
        raise ExerciseFailed(
            f"{name}: called on keras.Input(shape=(None, 5)) it must return a symbolic tensor "
            f"of shape (None, None, 5). Received: {symbolic!r}. {_TRACE_ADVICE}."
        )
    if keras.backend.backend() == "torch":  # Keras built the symbolic call on real tensors
        probe = _construct(name, layer_class)
        batch = keras.ops.ones((2, 5))
        probe(batch)

        def traced() -> None:
            with _values_unreadable_in_python():
                probe(batch)

        _run(
            name,
            "a call with the tensor's values hidden, as an exporter traces it,",
            traced,
            _TRACE_ADVICE,
        )
    cases.passed("a symbolic input, as exporters trace it")

    inputs = keras.Input(shape=(5,))
    model = keras.Model(inputs, _construct(name, layer_class)(inputs))
    x = rng.normal(size=(7, 5)).astype("float32")
    predicted = _to_numpy(
        name, _run(name, "predict() of a model using it", lambda: model.predict(x, verbose=0))
    )
    if not np.allclose(predicted, _rms(x, 1e-6), atol=1e-5, rtol=1e-4):
        raise ExerciseFailed(
            f"{name}: predict() of a Functional model using it computes differently from a "
            "direct call: " + _rms_diagnosis(x, 1e-6, predicted) + "."
        )
    cases.passed("predict() in a Functional model")
    cases.report()
