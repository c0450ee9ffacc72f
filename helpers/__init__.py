"""Small shared helpers for the *Keras Under the Hood* notebooks.

Split by concern, one module each:

- :mod:`helpers.env` - backend, versions, devices, and :func:`seed_everything`;
- :mod:`helpers.data` - small deterministic synthetic data sets (nothing is downloaded);
- :mod:`helpers.checks` - automatic checks for the exercises.

``import helpers`` does not import Keras: set ``KERAS_BACKEND`` first, then
import Keras, then use the helpers.
"""

from helpers import checks, data, env
from helpers.env import seed_everything

__all__ = ["checks", "data", "env", "seed_everything"]
__version__ = "0.1.0"
