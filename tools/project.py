"""One home for what the tests, the benchmarks and `make execute` share.

- **Facts about the repository**: its root, its notebooks (discovered, never listed), the
  GitHub repository the badges point to, the requirement files and how to read their pins, and
  the notebook size limit. The backends are `helpers.env.BACKENDS`, re-exported here.
- **Processes**: run a Python snippet under one Keras backend in a fresh process (a process can
  use only the backend Keras was first imported with), find a command-line tool installed next
  to this Python, and start / stop a local server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import tomllib
import urllib.request
from pathlib import Path

from helpers.env import BACKENDS

__all__ = [
    "BACKENDS",
    "MAX_NOTEBOOK_BYTES",
    "NOTEBOOKS",
    "OFFLINE_GUARD",
    "REPO",
    "REPOSITORY",
    "REQUIREMENTS",
    "find_tool",
    "free_port",
    "get_json",
    "normalize",
    "offline_pythonpath",
    "read_requirements",
    "run_python",
    "run_under_backend",
    "stop_server",
]

#: The repository root.
REPO = Path(__file__).resolve().parent.parent
#: Every notebook of the collection, discovered (never listed), in order.
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: The GitHub repository the badges and the Colab install line point to.
REPOSITORY: str = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"][
    "Repository"
]
#: The pip requirement files, by name: every install is constrained by all of them.
REQUIREMENTS = {name: REPO / "requirements" / f"{name}.txt" for name in ("lab", "backends", "test")}
#: The folder whose `sitecustomize.py` blocks the network of a Python started with it on its
#: PYTHONPATH (see :func:`offline_pythonpath`).
OFFLINE_GUARD = REPO / "tests" / "offline"
#: The largest notebook (stored outputs included) the collection accepts, in bytes. One with a
#: handful of small figures is ~100 kB; 1 MB leaves room for widgets and plots while keeping the
#: repository quick to clone and diffs readable.
MAX_NOTEBOOK_BYTES = 1_000_000

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s#]+)\s+#\s*\S")


def normalize(name: str) -> str:
    """PEP 503 name normalization: `PyYAML`, `pyyaml` and `py_yaml` are the same package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path) -> dict[str, str]:
    """Parse `name==version  # why` lines; anything else (but comments) is a ValueError."""
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _PIN.match(line)
        if not match:
            raise ValueError(
                f"{path.name}:{number}: expected `name==version  # why it is here`. "
                f"Received: {line!r}"
            )
        name = normalize(match["name"])
        if name in pins:
            raise ValueError(f"{path.name}:{number}: {name} is pinned twice")
        pins[name] = match["version"]
    return pins


def offline_pythonpath() -> str:
    """This process' PYTHONPATH with the offline guard first: give it to a Python to block its
    network (only loopback is allowed, and refused connections raise ``NetworkBlocked``)."""
    path = os.environ.get("PYTHONPATH")
    return f"{OFFLINE_GUARD}{os.pathsep}{path}" if path else str(OFFLINE_GUARD)


# --- processes ---------------------------------------------------------------------------


def find_tool(name: str, install_hint: str = "run `make install`") -> str:
    """The command `name` installed next to this Python (in .venv), else the one on PATH.

    Raises FileNotFoundError, saying how to install it, when there is neither.
    """
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed: {install_hint}")
    return found


def run_python(
    code: str,
    *,
    backend: str,
    cwd: Path = REPO,
    timeout: float = 240,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet (dedented) in a fresh process under one Keras backend.

    The process inherits this one's environment, plus ``env`` and ``KERAS_BACKEND``. Returns
    the completed process whatever its exit status; see :func:`run_under_backend` for the
    common "must succeed and print JSON" case.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}. Received: backend={backend!r}")
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **(env or {}), "KERAS_BACKEND": backend},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_under_backend(backend: str, code: str, *, timeout: float = 240) -> object:
    """Run ``code`` under ``backend`` in a fresh process; return the JSON of its last line.

    Raises RuntimeError with the end of the process' stderr if it fails.
    """
    completed = run_python(code, backend=backend, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"the {backend} process failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> object:
    """GET a local URL that must answer 200 with JSON."""
    with urllib.request.urlopen(url, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        return json.load(response)


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started in its own process group (it shuts its kernels down on SIGTERM)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
