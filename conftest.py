"""pytest set-up shared by the Python tests and the nbval notebook runs.

- Every per-user directory is pointed into a temporary folder before any test
  or kernel starts (see ``tests/harness.py``), so tests never write into ``~``.
- Under nbval, one extra test is appended to every notebook: after its last
  cell it asks the *same kernel* which Keras backend it really ran and which
  frameworks it imported. The kernel inherits ``KERAS_BACKEND`` from pytest;
  this checks that it was honoured rather than assuming it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
from pathlib import Path

import pytest

from tests.harness import isolate

ISOLATED = pytest.StashKey[Path]()  # the temporary folder that stands in for the user's home

PROBE = """\
import json as _json, sys as _sys
print(_json.dumps({
    "backend": _sys.modules["keras"].backend.backend() if "keras" in _sys.modules else None,
    "frameworks": [name for name in ("tensorflow", "jax", "torch") if name in _sys.modules],
}))
"""


def pytest_configure(config: pytest.Config) -> None:
    config.stash[ISOLATED] = isolate()


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(ISOLATED, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def requested_backend() -> str:
    """The backend this test run asks notebooks to use (what the kernel inherits)."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


class BackendProbe(pytest.Item):
    """Runs after a notebook's last cell, in its kernel, and checks the backend it used."""

    def runtest(self) -> None:
        kernel = self.parent.kernel
        if kernel is None or not kernel.is_alive():
            raise RuntimeError("the notebook's kernel is not running; an earlier cell killed it")
        msg_id = kernel.execute_cell_input(PROBE, allow_stdin=False)
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
        report = json.loads(text)
        asked = requested_backend()
        assert report["backend"] is not None, "the notebook never imported keras"
        assert report["backend"] == asked, (
            f"KERAS_BACKEND={asked} was asked for, but the kernel ran Keras on "
            f"{report['backend']!r}"
        )
        if asked != "tensorflow":
            assert "tensorflow" not in report["frameworks"], (
                f"a {asked} kernel imported TensorFlow (slow, and hundreds of MB): "
                f"loaded frameworks {report['frameworks']}"
            )

    def reportinfo(self):
        return self.path, None, f"{self.parent.name}::backend probe ({requested_backend()})"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items) -> None:
    if not (config.getoption("nbval", False) or config.getoption("nbval_lax", False)):
        return
    from nbval.plugin import IPyNbFile

    result = []
    for index, item in enumerate(items):
        result.append(item)
        notebook = item.parent
        is_last_cell = index + 1 == len(items) or items[index + 1].parent is not notebook
        if isinstance(notebook, IPyNbFile) and is_last_cell:
            result.append(BackendProbe.from_parent(notebook, name="backend probe"))
    items[:] = result
