"""Micro-benchmark: the collection's custom ops against the closest Keras built-ins.

    python -m benchmarks.custom_ops            # every backend (part of `make bench`)

Pairs (each op applied 4 times, between learnable element-wise scales, on a 512 x 512 batch):

- ``swish`` written with ``keras.ops`` (notebook 02) vs ``keras.activations.silu``;
- ``ClipGradient``, an identity whose backward pass clips (``keras.ops.custom_gradient``,
  notebook 03) vs ``keras.layers.Identity``.

One training step (`train_on_batch`: forward, backward and update, compiled the way Keras
compiles by default on that backend) is timed. The two models of a pair take turns, step after
step (after 5 warm-up steps each), so that a slow spell of the machine hits both alike; each
round gives one ratio custom / built-in. Reported: the median step time of each, and the median
ratio with its interquartile range over 60 rounds (the target is a median ratio <= 1.2). Each
backend runs in a fresh process, since a process can use only one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from benchmarks.run_notebooks import publish_table
from tools.project import BACKENDS, REPO, run_under_backend

RESULTS = REPO / "benchmarks" / "results"
PAIRS = (("swish", "silu"), ("clip_gradient", "identity"))
TARGET_RATIO = 1.2
README_START = "<!-- custom-ops-table:start -->"
README_END = "<!-- custom-ops-table:end -->"


def build_ops():
    """The four ops as layer factories (imports Keras: call it in the measuring process)."""
    import keras
    from keras import ops

    class Scale(keras.layers.Layer):
        """A learnable element-wise scale, so there are weights to train between the ops."""

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.scale

    class ClipGradient(keras.layers.Layer):
        """Identity forward; the gradient passed back is clipped to [-1, 1] (as notebook 03)."""

        def call(self, inputs):
            @ops.custom_gradient
            def identity_with_clipped_gradient(x):
                def grad(*args, upstream=None):  # the signature every backend accepts
                    if upstream is None:
                        (upstream,) = args
                    return ops.clip(upstream, -1.0, 1.0)

                return x, grad

            return identity_with_clipped_gradient(inputs)

    def swish(x):
        return x * ops.sigmoid(x)

    return Scale, {
        "swish": lambda: keras.layers.Activation(swish),
        "silu": lambda: keras.layers.Activation(keras.activations.silu),
        "clip_gradient": ClipGradient,
        "identity": keras.layers.Identity,
    }


def measure_pair(
    custom: str, built_in: str, *, width: int = 512, rounds: int = 60, warmup: int = 5
) -> dict[str, float]:
    """Time models made of 4 x (Scale, op) for two ops, taking turns step by step.

    Returns the median seconds per step of each (keyed by op name), and ``ratio``,
    ``ratio_q1``, ``ratio_q3``: the median and quartiles of the per-round ratio custom / built-in.
    """
    import keras
    import numpy as np

    scale, factories = build_ops()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(width, width)).astype("float32")
    y = rng.normal(size=(width, width)).astype("float32")
    models = {}
    for name in (custom, built_in):
        layers = [keras.Input(shape=(width,))]
        for _ in range(4):
            layers += [scale(), factories[name]()]
        models[name] = keras.Sequential(layers)
        models[name].compile(optimizer="sgd", loss="mse")
        for _ in range(warmup):
            models[name].train_on_batch(x, y)
    times: dict[str, list[float]] = {custom: [], built_in: []}
    for _ in range(rounds):
        for name, model in models.items():
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times[name].append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(times[custom], times[built_in], strict=True)]
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    return {
        custom: statistics.median(times[custom]),
        built_in: statistics.median(times[built_in]),
        "ratio": statistics.median(ratios),
        "ratio_q1": quartiles[0],
        "ratio_q3": quartiles[2],
    }


def run_backend(backend: str) -> dict[str, dict[str, float]]:
    """Measure every pair under one backend, in a fresh process; keyed by the custom op."""
    code = "from benchmarks.custom_ops import main\nmain(['--measure'])"
    return run_under_backend(backend, code, timeout=600)


def markdown_table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """One row per backend and pair: both step times, the median ratio and its quartiles."""
    lines = [
        "Median time of one compiled training step (forward + backward + update), the two "
        f"models of a pair taking turns, {os.cpu_count()} CPU cores. Ratio: median of the "
        "per-step ratios, with their interquartile range.",
        "",
        "| backend | custom op | built-in | custom (ms) | built-in (ms) | ratio | middle 50 % |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for backend, pairs in results.items():
        for custom, built_in in PAIRS:
            times = pairs[custom]
            flag = "" if times["ratio"] <= TARGET_RATIO else " (over 1.2)"
            lines.append(
                f"| {backend} | {custom} | {built_in} | {times[custom] * 1000:.2f} | "
                f"{times[built_in] * 1000:.2f} | {times['ratio']:.2f}{flag} | "
                f"{times['ratio_q1']:.2f}-{times['ratio_q3']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:  # the child process: this backend only
        print(json.dumps({pair[0]: measure_pair(*pair) for pair in PAIRS}))
        return 0
    results = {backend: run_backend(backend) for backend in args.backends}
    table = markdown_table(results)
    args.output.mkdir(parents=True, exist_ok=True)
    publish_table(
        table, args.output / "custom_ops.md", not args.no_readme, README_START, README_END
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
