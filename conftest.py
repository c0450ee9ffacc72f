"""pytest set-up shared by the Python tests and the nbval notebook runs.

- Every per-user directory is pointed into a temporary folder before any test
  or kernel starts (see ``tools/harness.py``), so tests never write into ``~``.
- Under nbval, three options turn one run of a notebook into the hard case a learner meets
  (``make nbval-<backend>`` uses all three):

  ``--nb-offline``
      kernels start with the network blocked by ``tests/offline/sitecustomize.py`` (loopback
      only), so a cell that downloads anything fails;
  ``--nb-kernel-cwd=tmp`` (or a folder)
      kernels start in a fresh empty temporary folder (or that folder) instead of the
      notebook's own, so nothing may depend on files beside the notebook;
  ``--nb-run-twice``
      after the last cell, every code cell runs again in the same kernel (a learner re-running
      cells): none may fail, and every ``nbval-check-output`` cell must print its stored
      output again, so no state piles up across re-runs.

  A fourth, ``--nb-save-outputs=FOLDER``, keeps the outputs of each notebook whose first run
  passed every cell, for the website's tab per backend (``tools/website.py``; ``make`` passes
  ``build/backend-outputs``), so that ``make site`` after ``make test`` runs no notebook again.

- One extra test is appended to every notebook: after its last cell it asks the *same kernel*
  which Keras backend it really ran, which frameworks it imported, where it was started and
  whether the network was blocked. The kernel inherits ``KERAS_BACKEND`` from pytest; this
  checks that the backend and the options above were honoured rather than assuming it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.harness import isolate
from tools.project import BACKENDS, offline_pythonpath

ISOLATED = pytest.StashKey[Path]()  # the temporary folder that stands in for the user's home
#: With --nb-save-outputs: per notebook, the outputs of each code cell of the first run (by
#: nbval's cell number), or None once a cell of it failed.
RECORDED = pytest.StashKey[dict[Path, dict[int, list] | None]]()
#: Folders the notebook kernels of this run were started in, in order (nbval runs one at a time).
KERNEL_FOLDERS: list[str] = []

PROBE = """\
import json as _json, os as _os, socket as _socket, sys as _sys
_network = "not probed"
if {probe_network}:
    try:
        _socket.getaddrinfo("example.com", 443)
        _network = "open"
    except OSError as _error:
        _network = "blocked" if type(_error).__name__ == "NetworkBlocked" else repr(_error)
print(_json.dumps({{
    "backend": _sys.modules["keras"].backend.backend() if "keras" in _sys.modules else None,
    "frameworks": [name for name in {backends!r} if name in _sys.modules],
    "cwd": _os.getcwd(),
    "network": _network,
}}))
"""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("notebooks", "how the notebook kernels run (with --nbval/--nbval-lax)")
    group.addoption(
        "--nb-offline", action="store_true", help="start kernels with the network blocked"
    )
    group.addoption(
        "--nb-kernel-cwd",
        metavar="FOLDER",
        help="start kernels in FOLDER, or in a fresh empty temporary folder with 'tmp'",
    )
    group.addoption(
        "--nb-run-twice",
        action="store_true",
        help="run every notebook's cells a second time in the same kernel",
    )
    group.addoption(
        "--nb-save-outputs",
        metavar="FOLDER",
        help="keep each passing notebook's outputs for the website in FOLDER "
        "(make: build/backend-outputs)",
    )


def pytest_configure(config: pytest.Config) -> None:
    base = isolate()
    config.stash[ISOLATED] = base
    if config.getoption("nb_offline"):
        os.environ["PYTHONPATH"] = offline_pythonpath()
    folder = config.getoption("nb_kernel_cwd")
    if folder is not None and _nbval_active(config):
        _start_kernels_in(_kernel_folder_factory(folder, base))


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(ISOLATED, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _nbval_active(config: pytest.Config) -> bool:
    return bool(config.getoption("nbval", False) or config.getoption("nbval_lax", False))


def _kernel_folder_factory(folder: str, base: Path) -> Callable[[], str]:
    if folder == "tmp":
        return lambda: tempfile.mkdtemp(prefix="kernel-", dir=base)
    path = Path(folder).resolve()
    if not path.is_dir():
        raise pytest.UsageError(f"--nb-kernel-cwd must be a folder or 'tmp'. Received: {folder}")
    return lambda: str(path)


def _start_kernels_in(next_folder: Callable[[], str]) -> None:
    """Make nbval start each notebook's kernel in ``next_folder()`` instead of its own folder."""
    import nbval.plugin

    start_kernel = nbval.plugin.RunningKernel

    def start_kernel_elsewhere(kernel_name, cwd=None, **kwargs):
        folder = next_folder()
        KERNEL_FOLDERS.append(folder)
        return start_kernel(kernel_name, cwd=folder, **kwargs)

    nbval.plugin.RunningKernel = start_kernel_elsewhere


def requested_backend() -> str:
    """The backend this test run asks notebooks to use (what the kernel inherits)."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


#: Notebooks whose kernel imports TensorFlow on every backend, because their lesson needs it:
#: notebook 08 exports to TensorFlow's formats (a SavedModel from JAX goes through jax2tf).
NEEDS_TENSORFLOW = {"08_export_and_interop.ipynb"}


class BackendProbe(pytest.Item):
    """Runs after a notebook's last cell, in its kernel, and checks how that kernel ran."""

    def run_probe(self, code: str) -> dict:
        kernel = self.parent.kernel
        if kernel is None or not kernel.is_alive():
            raise RuntimeError("the notebook's kernel is not running; an earlier cell killed it")
        msg_id = kernel.execute_cell_input(code, allow_stdin=False)
        kernel.await_reply(msg_id, timeout=60)
        text = ""
        while True:
            try:
                message = kernel.get_message(stream="iopub", timeout=10)
            except queue.Empty as error:
                raise RuntimeError("the kernel did not answer the backend probe") from error
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                text += message["content"]["text"]
            if message["msg_type"] == "error":
                raise RuntimeError("the backend probe failed: " + message["content"]["evalue"])
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
        return json.loads(text)

    def runtest(self) -> None:
        offline = self.config.getoption("nb_offline")
        report = self.run_probe(PROBE.format(probe_network=offline, backends=BACKENDS))
        asked = requested_backend()
        assert report["backend"] is not None, "the notebook never imported keras"
        assert report["backend"] == asked, (
            f"KERAS_BACKEND={asked} was asked for, but the kernel ran Keras on "
            f"{report['backend']!r}"
        )
        if asked != "tensorflow" and self.path.name not in NEEDS_TENSORFLOW:
            assert "tensorflow" not in report["frameworks"], (
                f"a {asked} kernel imported TensorFlow (slow, and hundreds of MB): "
                f"loaded frameworks {report['frameworks']}"
            )
        if offline:
            assert report["network"] == "blocked", f"the offline guard is not active: {report}"
        expected = (
            KERNEL_FOLDERS[-1] if self.config.getoption("nb_kernel_cwd") else str(self.path.parent)
        )
        assert Path(report["cwd"]).resolve() == Path(expected).resolve(), (
            f"the kernel ran in {report['cwd']}, not in {expected}"
        )

    def reportinfo(self):
        return self.path, None, f"{self.parent.name}::backend probe ({requested_backend()})"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """With --nb-save-outputs, record what each cell of a notebook's first run printed."""
    from nbval.plugin import IPyNbCell

    record = (
        isinstance(item, IPyNbCell)
        and item.config.getoption("nb_save_outputs")
        and not item.name.endswith("(second run)")
    )
    try:
        result = yield
    except BaseException:
        if record:
            item.config.stash.setdefault(RECORDED, {})[item.path] = None
        raise
    if record:
        notebooks = item.config.stash.setdefault(RECORDED, {})
        cells = notebooks.setdefault(item.path, {})
        if cells is not None:
            cells[item.cell_num] = json.loads(json.dumps(item.test_outputs))
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With --nb-save-outputs, store the outputs of every notebook that ran all its cells."""
    from tools.website import write_outputs

    folder = session.config.getoption("nb_save_outputs")
    for path, cells in session.config.stash.get(RECORDED, {}).items():
        if cells is not None and sorted(cells) == list(range(len(cells))):
            outputs = [cells[n] for n in sorted(cells)]
            try:
                write_outputs(requested_backend(), path, outputs, Path(folder).resolve())
            except ValueError:  # not every code cell ran (a selection of cells): nothing kept
                continue


def _second_run(notebook, first_run: list) -> list:
    """Every cell of ``first_run`` again; only the cells marked to be checked (the
    ``nbval-check-output`` tag, or nbval's older ``# NBVAL_CHECK_OUTPUT`` comment) are compared."""
    from nbval.plugin import IPyNbCell, find_comment_markers, find_metadata_tags

    items = []
    for cell in first_run:
        if not isinstance(cell, IPyNbCell):
            continue
        options = cell.options.copy()
        markers = dict(find_metadata_tags(cell.cell.metadata) or ())
        markers.update(find_comment_markers(cell.cell.source))
        options["check"] = markers.get("check") is True
        items.append(
            IPyNbCell.from_parent(
                notebook,
                name=f"{cell.name} (second run)",
                cell_num=cell.cell_num,
                cell=cell.cell,
                options=options,
            )
        )
    return items


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items) -> None:
    if not _nbval_active(config):
        return
    from nbval.plugin import IPyNbFile

    result: list = []
    group: list = []  # the items of the notebook being collected
    for index, item in enumerate(items):
        group.append(item)
        notebook = item.parent
        is_last_cell = index + 1 == len(items) or items[index + 1].parent is not notebook
        if not (isinstance(notebook, IPyNbFile) and is_last_cell):
            continue
        result.extend(group)
        if config.getoption("nb_run_twice"):
            result.extend(_second_run(notebook, group))
        result.append(BackendProbe.from_parent(notebook, name="backend probe"))
        group = []
    items[:] = result + group
