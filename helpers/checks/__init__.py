"""Automatic checks for the exercises at the end of each notebook.

Each ``check_*`` function takes the learner's answer (usually a function or a class), runs it
on cases it makes itself, and either prints one line saying the answer passed, with the number
of cases (``"standardize: passed (3 cases)"``: the notebooks store and compare these lines), or
raises :class:`ExerciseFailed` saying what was wrong. Passing something that is not an answer
at all (e.g. a number where a function is expected) raises ``TypeError`` instead.

One module per notebook, each tested by ``tests/checks/test_<module>.py``, which feeds the
checks typical wrong answers and asserts that they are refused:

    helpers.checks._base                        ExerciseFailed and the steps every check shares
    helpers.checks.nb00_start_here              notebooks/00_start_here.ipynb
    helpers.checks.nb01_backend_ops             notebooks/01_backend_ops.ipynb
    helpers.checks.nb02_custom_activations      notebooks/02_custom_activations.ipynb
    helpers.checks.nb03_gradient_manipulation   notebooks/03_gradient_manipulation.ipynb
    helpers.checks.nb04_custom_optimizers       notebooks/04_custom_optimizers.ipynb
    helpers.checks.nb05_stateful_layers         notebooks/05_stateful_layers.ipynb
    helpers.checks.nb06_backend_agnostic        notebooks/06_backend_agnostic.ipynb
    helpers.checks.nb07_scaling_out             notebooks/07_scaling_out.ipynb
    helpers.checks.nb08_export_and_interop      notebooks/08_export_and_interop.ipynb

Every check is re-exported here, so notebooks call ``helpers.checks.check_*``. Importing this
package does not import Keras: the checks import it when they run.

Besides "passed", a check prints one of two other lines (see ``helpers.checks._base.exercise``):
that the answer is the **shipped solution** of the full edition (it still passes), or that the
exercise is **not written yet** (a stub of the student edition). ``read_result`` reads any of
the three back, for the autograder (``tools/grade.py``).
"""

from helpers.checks._base import ExerciseFailed, read_result
from helpers.checks.nb00_start_here import (
    check_dense_parameter_count,
    check_noisy_copy,
    check_standardize,
)
from helpers.checks.nb01_backend_ops import (
    check_clipped_binary_crossentropy,
    check_log_sum_exp,
    check_shape_logger,
)
from helpers.checks.nb02_custom_activations import (
    check_mish,
    check_scaled_tanh,
    check_unit_interval,
)
from helpers.checks.nb03_gradient_manipulation import (
    check_clip_by_norm,
    check_kernel_gradient_norms,
    check_scale_gradient,
)
from helpers.checks.nb04_custom_optimizers import (
    check_linear_warmup,
    check_predicted_update,
    check_signum,
)
from helpers.checks.nb05_stateful_layers import (
    check_call_counter,
    check_fraction_within,
    check_moving_average,
    check_resetting_sum,
)
from helpers.checks.nb06_backend_agnostic import (
    check_per_feature_bias,
    check_relu_or_negate,
    check_soft_clip,
)
from helpers.checks.nb07_scaling_out import (
    check_averaged_gradient,
    check_pad_to_multiple,
    check_wide_layout,
)
from helpers.checks.nb08_export_and_interop import (
    check_jitter,
    check_momentum_step,
    check_rms_normalize,
)

__all__ = [
    "ExerciseFailed",
    "check_averaged_gradient",
    "check_call_counter",
    "check_clip_by_norm",
    "check_clipped_binary_crossentropy",
    "check_dense_parameter_count",
    "check_fraction_within",
    "check_jitter",
    "check_kernel_gradient_norms",
    "check_linear_warmup",
    "check_log_sum_exp",
    "check_mish",
    "check_momentum_step",
    "check_moving_average",
    "check_noisy_copy",
    "check_pad_to_multiple",
    "check_per_feature_bias",
    "check_predicted_update",
    "check_relu_or_negate",
    "check_resetting_sum",
    "check_rms_normalize",
    "check_scale_gradient",
    "check_scaled_tanh",
    "check_shape_logger",
    "check_signum",
    "check_soft_clip",
    "check_standardize",
    "check_unit_interval",
    "check_wide_layout",
    "read_result",
]
