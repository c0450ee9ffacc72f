"""Notebooks beyond one clean run: run twice in one kernel, from other folders, offline.

Learners re-run cells, start Jupyter from wherever they are, and may have no network. For every
notebook (discovered, never listed) and every backend, one kernel

- starts in another working directory: the repository root on TensorFlow, a fresh temporary
  folder on JAX and PyTorch (nbval already covers the notebook's own folder);
- has the network blocked by `tests/offline/sitecustomize.py` (loopback only);
- runs every cell top to bottom, then every cell again.

No cell may fail in either pass, and the cells whose output is checked (`# NBVAL_CHECK_OUTPUT`)
must print the same in the second pass as in the first: state must not pile up across re-runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.harness import NOTEBOOKS

REPO = Path(__file__).resolve().parent.parent
OFFLINE = REPO / "tests" / "offline"
BACKENDS = ("tensorflow", "jax", "torch")
CELL_TIMEOUT = 120  # seconds; as `make test` gives nbval

GUARD_PROBE = """\
import socket
try:
    socket.getaddrinfo("example.com", 443)
    print("network open")
except OSError as error:
    print("network blocked" if type(error).__name__ == "NetworkBlocked" else repr(error))
"""


def offline_environment() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": f"{OFFLINE}{os.pathsep}{path}" if path else str(OFFLINE)}


def stream_text(cell) -> str:
    return "".join(
        output.get("text", "") for output in cell.outputs if output.output_type == "stream"
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_survives_a_second_run_elsewhere_and_offline(path, backend, tmp_path, monkeypatch):
    working_directory = REPO if backend == "tensorflow" else tmp_path
    monkeypatch.setenv("KERAS_BACKEND", backend)
    for variable, value in offline_environment().items():
        monkeypatch.setenv(variable, value)

    notebook = nbformat.read(path, as_version=4)
    code = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    checked = [i for i in code if notebook.cells[i].source.startswith("# NBVAL_CHECK_OUTPUT")]
    probe = nbformat.v4.new_code_cell(GUARD_PROBE)
    notebook.cells.append(probe)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(working_directory)}},
    )
    passes = []
    with client.setup_kernel():
        client.execute_cell(probe, len(notebook.cells) - 1)
        assert stream_text(probe) == "network blocked\n", "the offline guard is not active"
        for run in ("first", "second"):
            for index in code:
                cell = notebook.cells[index]
                cell.outputs = []
                try:
                    client.execute_cell(cell, index)
                except Exception as error:
                    pytest.fail(f"{run} run, cell {index} of {path.name} failed:\n{error}")
            passes.append([stream_text(notebook.cells[index]) for index in checked])

    for index, first, second in zip(checked, *passes, strict=True):
        assert first == second, f"cell {index} printed something else when re-run"


# --- the guard itself ---------------------------------------------------------------------

GUARD_CHECK = """\
import socket, urllib.request
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname(), timeout=5)  # loopback still works
client.close()
server.close()
for attempt in (
    lambda: socket.create_connection(("192.0.2.1", 80), timeout=1),  # TEST-NET-1, never routed
    lambda: urllib.request.urlopen("http://example.com", timeout=1),
    lambda: socket.getaddrinfo("example.com", 80),
):
    try:
        attempt()
        print("allowed")
    except OSError as error:
        reason = getattr(error, "reason", error)  # urllib wraps it in a URLError
        print(type(reason).__name__)
"""


def test_offline_guard_blocks_other_hosts_but_not_loopback():
    """The guard refuses before anything is sent, so this test itself makes no traffic."""
    result = subprocess.run(
        [sys.executable, "-c", GUARD_CHECK],
        env={**os.environ, **offline_environment()},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split() == ["NetworkBlocked"] * 3


def test_offline_guard_is_not_active_in_the_test_process():
    assert not hasattr(socket, "NetworkBlocked")
