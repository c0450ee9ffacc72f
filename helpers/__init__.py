"""Small shared helpers for the Keras Under the Hood notebooks.

One module per concern:

    helpers.env        backend, versions, devices, and seed_everything()
    helpers.data       small deterministic synthetic data sets (nothing is downloaded)
    helpers.gradients  gradients and derivatives on every backend, and finite differences
    helpers.plots      activation plots: values and derivatives on one figure
    helpers.widgets    interactive figures (sliders) that fall back to a picture
    helpers.saving     save and load a model through a temporary .keras file
    helpers.processes  run a snippet in a fresh Python process, on a backend of your choice
    helpers.portable   portable custom layers and a model (imports Keras: import it yourself)
    helpers.checks     automatic checks for the exercises

`import helpers` does not import Keras: set KERAS_BACKEND, import Keras, then use the helpers.
"""

from helpers import checks, data, env, gradients, plots, processes, saving, widgets
from helpers.env import seed_everything

__all__ = [
    "checks",
    "data",
    "env",
    "gradients",
    "plots",
    "processes",
    "saving",
    "seed_everything",
    "widgets",
]
__version__ = "0.1.0"
