"""Tests for :mod:`helpers.checks.nb04_custom_optimizers`: right answers pass, typical
mistakes are refused.

The answers are written with ``keras.ops``, so this file runs on whichever backend
``KERAS_BACKEND`` selects. What is not an answer at all (``None``, a number) is refused by every
check; ``tests/checks/test_base.py`` tests that once for all of them.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import checks
from tests.checks.expect import expect_pass, expect_refusal

# --- Signum ----------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumCorrect(keras.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, beta=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta = beta

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]

    def new_momentum(self, momentum, gradient):
        return self.beta * momentum + (1 - self.beta) * gradient

    def step(self, learning_rate, momentum, new_momentum, gradient):
        return learning_rate * keras.ops.sign(new_momentum)

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = keras.ops.cast(learning_rate, variable.dtype)
        gradient = keras.ops.cast(gradient, variable.dtype)
        momentum = self.momentums[self._get_variable_index(variable)]
        new_momentum = self.new_momentum(momentum, gradient)
        step = self.step(learning_rate, momentum, new_momentum, gradient)
        self.assign(momentum, new_momentum)
        self.assign_sub(variable, step)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumInTwoAssigns(keras.optimizers.Optimizer):
    """Also right: add_optimizer_variables, the momentum updated in place in two steps."""

    def __init__(self, learning_rate=0.01, beta=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta = beta

    def build(self, variables):
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        momentum = self.momentums[self._get_variable_index(variable)]
        self.assign(momentum, momentum * self.beta)
        self.assign_add(momentum, (1 - self.beta) * gradient)
        self.assign_sub(variable, learning_rate * keras.ops.sign(momentum))

    def get_config(self):
        config = super().get_config()
        config["beta"] = self.beta
        return config


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumNoLearningRate(SignumCorrect):
    def step(self, learning_rate, momentum, new_momentum, gradient):
        return keras.ops.sign(new_momentum)


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumUphill(SignumCorrect):
    def step(self, learning_rate, momentum, new_momentum, gradient):
        return -learning_rate * keras.ops.sign(new_momentum)


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumOfGradient(SignumCorrect):
    """signSGD: ignores the momentum it keeps."""

    def step(self, learning_rate, momentum, new_momentum, gradient):
        return learning_rate * keras.ops.sign(gradient)


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumNoSign(SignumCorrect):
    def step(self, learning_rate, momentum, new_momentum, gradient):
        return learning_rate * new_momentum


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumOldMomentum(SignumCorrect):
    def step(self, learning_rate, momentum, new_momentum, gradient):
        return learning_rate * keras.ops.sign(momentum)


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumBetaSwapped(SignumCorrect):
    def new_momentum(self, momentum, gradient):
        return (1 - self.beta) * momentum + self.beta * gradient


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumFixedLearningRate(SignumCorrect):
    """Steps with the default learning rate, whatever it was given."""

    def step(self, learning_rate, momentum, new_momentum, gradient):
        return 0.01 * keras.ops.sign(new_momentum)


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumNoSuperBuild(SignumCorrect):
    def build(self, variables):
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumInPython(keras.optimizers.Optimizer):
    """Keeps the momentum as tensors in a Python list: right step by step, never saved."""

    def __init__(self, learning_rate=0.01, beta=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta = beta

    def build(self, variables):
        super().build(variables)
        self.momentums = [keras.ops.zeros(v.shape) for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        momentum = self.beta * self.momentums[index] + (1 - self.beta) * gradient
        self.momentums[index] = momentum
        self.assign_sub(variable, learning_rate * keras.ops.sign(momentum))

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumNoGetConfig(SignumCorrect):
    def get_config(self):
        return keras.optimizers.Optimizer.get_config(self)


@keras.saving.register_keras_serializable(package="test_nb04")
class SignumNoKwargs(SignumCorrect):
    def __init__(self, learning_rate=0.01, beta=0.9):
        super().__init__(learning_rate=learning_rate, beta=beta)


class SignumUnregistered(SignumCorrect):
    pass


class SignumForgetsSuperInit(SignumCorrect):
    def __init__(self, learning_rate=0.01, beta=0.9, **kwargs):
        self.beta = beta


class SignumLayer(keras.layers.Layer):
    pass


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(SignumCorrect, id="add-variable-from-reference"),
        pytest.param(SignumInTwoAssigns, id="add-optimizer-variables"),
    ],
)
def test_check_signum_passes_right_answers(answer, capsys):
    expect_pass(checks.check_signum, answer, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(SignumNoLearningRate, "multiply the step by `learning_rate`", id="no-lr"),
        pytest.param(SignumUphill, "moved uphill", id="plus"),
        pytest.param(SignumOfGradient, "momentum were forgotten", id="sign-of-gradient"),
        pytest.param(SignumNoSign, r"not by the momentum itself", id="no-sign"),
        pytest.param(SignumOldMomentum, "update the momentum first", id="old-momentum"),
        pytest.param(SignumBetaSwapped, r"keep beta of the old momentum", id="beta-swapped"),
        pytest.param(SignumFixedLearningRate, r"the rule is: momentum = beta", id="fixed-lr"),
        pytest.param(
            SignumNoSuperBuild, r"call super\(\)\.build\(variables\)", id="no-super-build"
        ),
        pytest.param(SignumInPython, "keep the momentum in optimizer variables", id="python-state"),
        pytest.param(SignumNoGetConfig, r"get_config\(\) must include beta", id="no-get-config"),
        pytest.param(SignumNoKwargs, r"pass \*\*kwargs to super", id="no-kwargs"),
        pytest.param(SignumUnregistered, "register_keras_serializable", id="unregistered"),
        pytest.param(SignumForgetsSuperInit, r"super\(\)\.__init__", id="no-super-init"),
    ],
)
def test_check_signum_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_signum, answer, match, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(SignumLayer, r"subclass of keras\.optimizers\.Optimizer", id="a-layer"),
        pytest.param(SignumCorrect(), r"Pass the class itself", id="an-instance"),
    ],
)
def test_check_signum_refuses_what_is_not_an_optimizer_class(answer, match, capsys):
    expect_refusal(checks.check_signum, answer, match, capsys, error=TypeError)


# --- predicted_update ------------------------------------------------------------------


def _clip(gradient, clipnorm):
    norm = np.linalg.norm(gradient)
    return gradient * min(1.0, clipnorm / norm)


def predicted_update_correct(gradients, clipnorm, loss_scale_factor):
    mean = np.mean(gradients, axis=0) / (loss_scale_factor or 1.0)
    return -_clip(mean, clipnorm)


def predicted_update_gradient(gradients, clipnorm, loss_scale_factor):
    return -predicted_update_correct(gradients, clipnorm, loss_scale_factor)


def predicted_update_clip_each(gradients, clipnorm, loss_scale_factor):
    scale = loss_scale_factor or 1.0
    return -np.mean([_clip(g / scale, clipnorm) for g in gradients], axis=0)


def predicted_update_last_only(gradients, clipnorm, loss_scale_factor):
    return -_clip(gradients[-1] / (loss_scale_factor or 1.0), clipnorm)


def predicted_update_sum(gradients, clipnorm, loss_scale_factor):
    return -_clip(np.sum(gradients, axis=0) / (loss_scale_factor or 1.0), clipnorm)


def predicted_update_not_unscaled(gradients, clipnorm, loss_scale_factor):
    return -_clip(np.mean(gradients, axis=0), clipnorm)


def predicted_update_clip_scaled(gradients, clipnorm, loss_scale_factor):
    return -_clip(np.mean(gradients, axis=0), clipnorm) / (loss_scale_factor or 1.0)


def predicted_update_no_clipping(gradients, clipnorm, loss_scale_factor):
    return -np.mean(gradients, axis=0) / (loss_scale_factor or 1.0)


def predicted_update_flattened(gradients, clipnorm, loss_scale_factor):
    return predicted_update_correct(gradients, clipnorm, loss_scale_factor)[:1]


def test_check_predicted_update_passes_the_right_answer(capsys):
    expect_pass(checks.check_predicted_update, predicted_update_correct, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(predicted_update_gradient, "not the change of the variable", id="sign"),
        pytest.param(predicted_update_clip_each, "averages the k gradients first", id="clip-each"),
        pytest.param(predicted_update_last_only, "last micro-step's gradient", id="last-only"),
        pytest.param(predicted_update_sum, "summed the k gradients", id="sum"),
        pytest.param(predicted_update_not_unscaled, "forgot to unscale", id="not-unscaled"),
        pytest.param(predicted_update_clip_scaled, "unscales first", id="clip-scaled"),
        pytest.param(predicted_update_no_clipping, "follow the order of section 4", id="no-clip"),
        pytest.param(predicted_update_flattened, "shape", id="wrong-shape"),
    ],
)
def test_check_predicted_update_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_predicted_update, answer, match, capsys)


# --- LinearWarmup ----------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="test_nb04")
class LinearWarmupCorrect(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak, warmup_steps):
        self.peak = float(peak)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        fraction = (keras.ops.cast(step, "float32") + 1.0) / self.warmup_steps
        return self.peak * keras.ops.minimum(1.0, fraction)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps}


@keras.saving.register_keras_serializable(package="test_nb04")
class LinearWarmupFromZero(LinearWarmupCorrect):
    def __call__(self, step):
        fraction = keras.ops.cast(step, "float32") / self.warmup_steps
        return self.peak * keras.ops.minimum(1.0, fraction)


@keras.saving.register_keras_serializable(package="test_nb04")
class LinearWarmupUncapped(LinearWarmupCorrect):
    def __call__(self, step):
        return self.peak * (keras.ops.cast(step, "float32") + 1.0) / self.warmup_steps


@keras.saving.register_keras_serializable(package="test_nb04")
class LinearWarmupIntegerDivision(LinearWarmupCorrect):
    def __call__(self, step):
        fraction = keras.ops.cast((step + 1) // self.warmup_steps, "float32")
        return self.peak * keras.ops.minimum(1.0, fraction)


@keras.saving.register_keras_serializable(package="test_nb04")
class LinearWarmupPythonIf(LinearWarmupCorrect):
    def __call__(self, step):
        if step + 1 < self.warmup_steps:  # a Python `if` on a tensor
            return self.peak * (keras.ops.cast(step, "float32") + 1.0) / self.warmup_steps
        return keras.ops.convert_to_tensor(self.peak)


@keras.saving.register_keras_serializable(package="test_nb04")
class LinearWarmupNoGetConfig(LinearWarmupCorrect):
    def get_config(self):
        return {}


class LinearWarmupUnregistered(LinearWarmupCorrect):
    pass


def test_check_linear_warmup_passes_the_right_answer(capsys):
    expect_pass(checks.check_linear_warmup, LinearWarmupCorrect, capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(LinearWarmupFromZero, "it starts at 0", id="from-zero"),
        pytest.param(LinearWarmupUncapped, "keeps climbing", id="uncapped"),
        pytest.param(LinearWarmupIntegerDivision, "divide as floats", id="integer-division"),
        pytest.param(LinearWarmupNoGetConfig, "get_config", id="no-get-config"),
        pytest.param(LinearWarmupUnregistered, "register_keras_serializable", id="unregistered"),
    ],
)
def test_check_linear_warmup_refuses_wrong_answers(answer, match, capsys):
    expect_refusal(checks.check_linear_warmup, answer, match, capsys)


def test_check_linear_warmup_python_if_fails_where_the_step_is_compiled(capsys):
    """A Python `if` on the step works eagerly (PyTorch's default) and fails in a compiled step."""
    if keras.backend.backend() == "torch":
        expect_pass(checks.check_linear_warmup, LinearWarmupPythonIf, capsys)
    else:
        expect_refusal(checks.check_linear_warmup, LinearWarmupPythonIf, "not a Python if", capsys)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(LinearWarmupCorrect(0.1, 4), "Pass the class itself", id="an-instance"),
        pytest.param(SignumCorrect, "LearningRateSchedule", id="an-optimizer"),
    ],
)
def test_check_linear_warmup_refuses_what_is_not_a_schedule_class(answer, match, capsys):
    expect_refusal(checks.check_linear_warmup, answer, match, capsys, error=TypeError)
