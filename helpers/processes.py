"""Run a snippet of Python in a fresh process, on the Keras backend of your choice.

A kernel's backend is fixed when Keras is first imported. To see what another backend does,
or what a fresh start costs, a notebook runs code in a new Python process instead:
:func:`run_fresh` starts one with ``KERAS_BACKEND`` set, waits for it and returns what it
printed. The processes run one after another, never side by side, so that a notebook's
memory stays that of the kernel plus one process. The exception is :func:`run_workers`,
which starts the ranks of one distributed process group side by side.

:func:`run_script` runs a script file a notebook wrote (``%%writefile``) the way a learner
would in a terminal, ``torchrun`` included, and prints that command line first.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
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
    environment = _environment(code, backend, env, args, timeout)
    label = f"The fresh {backend or '(keras.json)'} process"
    return _run([sys.executable, "-c", code, *args], environment, label, timeout)


#: The environment variables :func:`run_workers` sets for each rank, as ``torchrun`` does.
WORKER_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def run_workers(
    code: str,
    *,
    world_size: int,
    backend: str | None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
) -> list[str]:
    """Run ``code`` in ``world_size`` fresh processes at once, the ranks of one process group.

    What ``torchrun`` does for a script, for a snippet and from a notebook (where
    ``torch.multiprocessing.spawn`` cannot find a function defined in a cell). Each process is
    started as :func:`run_fresh` starts one, plus the variables ``torch.distributed``'s
    default ``env://`` set-up reads: ``RANK`` and ``LOCAL_RANK`` (0 to ``world_size - 1``),
    ``WORLD_SIZE``, ``MASTER_ADDR=127.0.0.1`` and ``MASTER_PORT``, a port that was free on
    the loopback interface. The processes run side by side (that is the point), so their
    memory adds up.

    Args:
        code: the Python source each rank runs (``python -c code``).
        world_size: the number of processes, an int from 1 to 8.
        backend: ``"tensorflow"``, ``"jax"``, ``"torch"``, or ``None`` (unset).
        env: extra environment variables (strings); they cannot set ``KERAS_BACKEND`` or
            any of :data:`WORKER_VARIABLES`.
        timeout: seconds to wait for all of them before stopping them all (> 0).

    Returns:
        What each rank printed, in rank order.

    Raises:
        TypeError: if ``code`` is not a string, or ``env`` holds anything but strings.
        ValueError: if ``world_size`` is not an int from 1 to 8, ``backend`` is not one of
            :data:`helpers.env.BACKENDS`, ``env`` sets ``KERAS_BACKEND`` or a worker
            variable, or ``timeout`` is not positive.
        RuntimeError: if a rank fails or they run out of time (all are stopped); the message
            quotes the last lines of the first failed rank's error output.
    """
    if isinstance(world_size, bool) or not isinstance(world_size, int) or not 1 <= world_size <= 8:
        raise ValueError(
            f"`world_size` must be an int from 1 to 8. Received: world_size={world_size!r}"
        )
    taken = sorted(set(dict(env or {})) & set(WORKER_VARIABLES))
    if taken:
        raise ValueError(
            f"run_workers sets {', '.join(taken)} itself: leave it out of `env`. "
            f"Received: env={dict(env or {})!r}"
        )
    environment = _environment(code, backend, env, (), timeout)
    environment.update(
        WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port())
    )
    label = backend or "(keras.json)"
    files = [
        (tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")) for _ in range(world_size)
    ]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env={**environment, "RANK": str(rank), "LOCAL_RANK": str(rank)},
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
        for rank, (stdout, stderr) in enumerate(files)
    ]
    deadline = time.monotonic() + timeout
    try:
        # Wait until all are done, one has failed (the others may wait for it forever), or
        # time is up.
        while any(process.poll() is None for process in processes):
            if any(process.poll() for process in processes) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        stopped = [process.poll() is None for process in processes]
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        texts = []
        for pair in files:
            for file in pair:
                file.seek(0)
            texts.append((pair[0].read(), pair[1].read()))
            for file in pair:
                file.close()
    failed = [
        rank
        for rank, process in enumerate(processes)
        if process.returncode != 0 and not stopped[rank]
    ]
    if failed:
        rank = failed[0]
        tail = "\n".join(texts[rank][1].strip().splitlines()[-ERROR_LINES:])
        raise RuntimeError(
            f"Rank {rank} of {world_size} fresh {label} processes failed (exit status "
            f"{processes[rank].returncode}); all were stopped. The end of its error "
            f"output:\n{tail}"
        )
    if any(stopped):
        raise RuntimeError(
            f"The {world_size} fresh {label} processes ran longer than {timeout} s and were "
            "stopped."
        )
    return [stdout for stdout, _ in texts]


def run_script(
    script: str | os.PathLike[str],
    *,
    backend: str | None,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    nproc_per_node: int | None = None,
    timeout: float = 300.0,
    echo: bool = True,
    placeholders: Mapping[str, str] | None = None,
) -> str:
    """Run the script file ``script`` as ``python script`` (or ``torchrun``) would; return
    what it printed.

    First prints the command a learner types in a terminal to do the same, for example
    ``$ KERAS_BACKEND=jax python dp_jax.py``; then runs it with this Python's interpreter
    (``sys.executable``), in the current folder, with this process' environment variables,
    then ``env``, then ``KERAS_BACKEND=backend``. With ``nproc_per_node=n`` it starts the
    script as ``torchrun --nproc_per_node=n script`` (``python -m torch.distributed.run``),
    one process per rank, meeting on the loopback interface (``127.0.0.1``, a free port), and
    returns what all ranks printed.

    Args:
        script: the path of a Python file (``str`` or path-like) that exists.
        backend: ``"tensorflow"``, ``"jax"``, ``"torch"``, or ``None`` (unset).
        env: extra environment variables (strings); they cannot set ``KERAS_BACKEND``.
        args: command-line arguments for the script (strings).
        nproc_per_node: ``None`` for a plain ``python`` run, or the number of ranks for
            ``torchrun``, an int from 1 to 8.
        timeout: seconds to wait before stopping it (> 0).
        echo: print the command line first.
        placeholders: names to print instead of values in that command line, e.g.
            ``{"$WORK": str(work_folder)}`` prints a temporary folder as ``$WORK``.

    Returns:
        Its standard output.

    Raises:
        TypeError: if ``script`` is not a path, or ``env`` / ``args`` hold anything but
            strings.
        FileNotFoundError: if ``script`` is not a file.
        ValueError: as :func:`run_fresh`; or if ``nproc_per_node`` is not ``None`` or an int
            from 1 to 8.
        RuntimeError: if the script fails or runs out of time; the message quotes the last
            lines of its error output.
    """
    if not isinstance(script, (str, os.PathLike)):
        raise TypeError(f"`script` must be the path of a Python file. Received: script={script!r}")
    path = os.fspath(script)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No script at {path!r} (from the folder {os.getcwd()!r}). Run the cell that "
            "writes it (%%writefile) first."
        )
    if nproc_per_node is not None and (
        isinstance(nproc_per_node, bool)
        or not isinstance(nproc_per_node, int)
        or not 1 <= nproc_per_node <= 8
    ):
        raise ValueError(
            "`nproc_per_node` must be None (plain python) or an int from 1 to 8. "
            f"Received: nproc_per_node={nproc_per_node!r}"
        )
    environment = _environment("", backend, env, args, timeout)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in (placeholders or {}).items()):
        raise TypeError(f"`placeholders` must map strings to strings. Received: {placeholders!r}")
    if nproc_per_node is None:
        shown = ["python", path, *args]
        command = [sys.executable, path, *args]
    else:
        shown = ["torchrun", f"--nproc_per_node={nproc_per_node}", path, *args]
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nnodes=1",
            f"--nproc_per_node={nproc_per_node}",
            "--master_addr=127.0.0.1",
            f"--master_port={free_port()}",
            path,
            *args,
        ]
    if echo:
        variables = {**({"KERAS_BACKEND": backend} if backend else {}), **dict(env or {})}
        prefix = [f"{key}={shlex.quote(value)}" for key, value in variables.items()]
        line = " ".join([*prefix, *(shlex.quote(part) for part in shown)])
        for name, value in (placeholders or {}).items():
            line = line.replace(value, name)
        print("$", line)
    label = f"`{' '.join(shown)}` ({backend or 'keras.json'})"
    return _run(command, environment, label, timeout)


def _run(command: list[str], environment: dict[str, str], label: str, timeout: float) -> str:
    """Run ``command``; return its standard output, or raise RuntimeError naming ``label``
    (with the end of its error output) if it fails or runs longer than ``timeout`` seconds."""
    try:
        finished = subprocess.run(
            command,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"{label} ran longer than {timeout} s and was stopped.") from error
    if finished.returncode != 0:
        tail = "\n".join(finished.stderr.strip().splitlines()[-ERROR_LINES:])
        raise RuntimeError(
            f"{label} failed (exit status {finished.returncode}). "
            f"The end of its error output:\n{tail}"
        )
    return finished.stdout


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now (another process may take
    it before it is used)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(
    code: str,
    backend: str | None,
    env: Mapping[str, str] | None,
    args: Sequence[str],
    timeout: float,
) -> dict[str, str]:
    """Check the arguments :func:`run_fresh` and :func:`run_workers` share; return the
    environment of the process to start (raising as their docstrings say)."""
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
    return environment
