"""Run a snippet of Python in a fresh process, on the Keras backend of your choice.

A kernel's backend is fixed when Keras is first imported. To see what another backend does,
or what a fresh start costs, a notebook runs code in a new Python process instead:
:func:`run_fresh` starts one with ``KERAS_BACKEND`` set, waits for it and returns what it
printed. The processes run one after another, never side by side, so that a notebook's
memory stays that of the kernel plus one process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from helpers.env import BACKENDS

#: How many lines of a failed process' error output :func:`run_fresh` quotes.
ERROR_LINES = 25


def run_fresh(
    code: str,
    *,
    backend: str | None,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    timeout: float = 300.0,
) -> str:
    """Run ``code`` in a fresh Python process on ``backend``; return what it printed.

    The process is this Python's interpreter (``sys.executable``), started in the current
    folder with this process' environment variables, then ``env``, then
    ``KERAS_BACKEND=backend``; with ``backend=None`` it has no ``KERAS_BACKEND`` at all, so
    Keras falls back to its ``keras.json`` file. Its command-line arguments
    (``sys.argv[1:]``) are ``args``.

    Args:
        code: the Python source to run (``python -c code``).
        backend: ``"tensorflow"``, ``"jax"``, ``"torch"``, or ``None`` (unset).
        env: extra environment variables (strings); they cannot set ``KERAS_BACKEND``.
        args: command-line arguments for the snippet (strings).
        timeout: seconds to wait before stopping the process (> 0).

    Returns:
        Its standard output.

    Raises:
        TypeError: if ``code`` is not a string, or ``env`` / ``args`` hold anything but
            strings.
        ValueError: if ``backend`` is not one of :data:`helpers.env.BACKENDS`, ``env`` sets
            ``KERAS_BACKEND``, or ``timeout`` is not positive.
        RuntimeError: if the process fails or runs out of time; the message quotes the last
            lines of its error output.
    """
    if not isinstance(code, str):
        raise TypeError(f"`code` must be a string of Python source. Received: code={code!r}")
    if backend is not None and backend not in BACKENDS:
        raise ValueError(
            f"`backend` must be one of {BACKENDS} or None. Received: backend={backend!r}"
        )
    env = dict(env or {})
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in env.items()):
        raise TypeError(f"`env` must map strings to strings. Received: env={env!r}")
    if "KERAS_BACKEND" in env:
        raise ValueError(
            "Choose the backend with `backend=`, not through `env`. "
            f"Received: env={{'KERAS_BACKEND': {env['KERAS_BACKEND']!r}}}"
        )
    if isinstance(args, str) or not all(isinstance(arg, str) for arg in args):
        raise TypeError(f"`args` must be a sequence of strings. Received: args={args!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(
            f"`timeout` must be a positive number of seconds. Received: timeout={timeout!r}"
        )

    environment = {**os.environ, **env}
    environment.pop("KERAS_BACKEND", None)
    if backend is not None:
        environment["KERAS_BACKEND"] = backend
    label = backend or "(keras.json)"
    try:
        finished = subprocess.run(
            [sys.executable, "-c", code, *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(
            f"The fresh {label} process ran longer than {timeout} s and was stopped."
        ) from error
    if finished.returncode != 0:
        tail = "\n".join(finished.stderr.strip().splitlines()[-ERROR_LINES:])
        raise RuntimeError(
            f"The fresh {label} process failed (exit status {finished.returncode}). "
            f"The end of its error output:\n{tail}"
        )
    return finished.stdout
