"""Fixtures of the browser tests: one JupyterLab server and one Chromium for the session.

- ``lab``: JupyterLab (the one installed with this Python, so its kernel runs in the same
  environment) on a free 127.0.0.1 port with a token, serving a temporary copy of
  ``notebooks/``, with every per-user folder in a temporary folder (``tools/harness.py``),
  the inline matplotlib backend, the default Keras backend, and the pop-ups that could cover
  the page (news, update checks, notifications) turned off in its user settings.
- ``browser``: Debian's Chromium (``KUH_CHROMIUM`` overrides the path) driven by Playwright;
  Playwright's own browser downloads are never used.
- ``page``: a fresh page per test; after the test a screenshot of it goes to ``ARTIFACTS``
  (``...-failed.png`` when the test failed), then every kernel the test started is shut down.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.browser import CHROMIUM_FLAGS, chromium_path
from tools.harness import isolate
from tools.project import REPO, free_port, get_json, stop_server

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # the browser tests skip, with a message saying how to install it
    sync_playwright = None

#: Screenshots of failures, and of every notebook after its run (git-ignored).
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# JupyterLab user settings: nothing pops up over the notebook, every cell is in the DOM
# (no windowing), and nothing is saved behind the test's back.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
SCREENSHOTS = pytest.StashKey[int]()  # how many this session saved


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: where it listens, its token and the folder it serves."""

    url: str
    token: str
    root: Path
    log: Path

    def page_url(self, notebook: str) -> str:
        """Open ``notebook`` in a reset workspace (no tab of an earlier test comes back)."""
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API; return the decoded JSON answer (None if empty)."""
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Shut down every session (and so its kernel) that is running."""
        for session in self.api("GET", "sessions"):
            self.api("DELETE", f"sessions/{session['id']}")


def lab_environment(base: Path) -> dict[str, str]:
    """The server's (and so its kernels') environment, isolated into ``base``.

    :func:`tools.harness.isolate` points the per-user folders into ``base`` and sets the
    inline matplotlib backend (not Agg, which shows no figure); this process's own
    environment is left as it was. The notebooks run on the default backend.
    """
    saved = os.environ.copy()
    try:
        isolate(base)
        environment = os.environ.copy()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    environment["KERAS_BACKEND"] = "tensorflow"
    return environment


def write_lab_settings(config_dir: Path) -> None:
    """Write :data:`LAB_SETTINGS` as the JupyterLab user settings under ``config_dir``."""
    for plugin, settings in LAB_SETTINGS.items():
        path = config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


def wait_until_serving(process: subprocess.Popen, server: LabServer, timeout_s: float) -> None:
    """Wait until the server answers on its status API; fail with its log if it does not."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"JupyterLab exited early:\n{server.log.read_text()}"
        try:
            get_json(f"{server.url}/api/status?token={server.token}")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {timeout_s:.0f} s:\n{server.log.read_text()}")


def screenshot_name(item: pytest.Item) -> str:
    """A file name for a test's screenshot: its parameter's stem, e.g. ``00_start_here``."""
    parameter = re.search(r"\[(.+)\]$", item.name)
    name = Path(parameter.group(1)).stem if parameter else item.name
    return re.sub(r"[^\w.-]+", "_", name)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    shutil.copytree(REPO / "notebooks", root)  # the tests never touch the committed files
    environment = lab_environment(base / "home")
    write_lab_settings(Path(environment["JUPYTER_CONFIG_DIR"]))
    server = LabServer(
        url=f"http://127.0.0.1:{free_port()}",
        token=secrets.token_hex(16),
        root=root,
        log=base / "lab.log",
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={server.url.rsplit(':', 1)[1]}",
        f"--IdentityProvider.token={server.token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.extension_manager=readonly",  # never asks PyPI for extensions
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    with server.log.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so the server and its kernels can be stopped together
        )
    try:
        wait_until_serving(process, server, timeout_s=120)
        yield server
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.skip(
            "Python package `playwright` not found: run `make install` "
            "(it is pinned in requirements/test.txt) to run the browser tests"
        )
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "Chromium not found: install Debian's `chromium` package "
            "(apt-get install chromium) to run the browser tests, "
            "or set KUH_CHROMIUM to a Chromium or Chrome executable"
        )
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # screenshots of this run only
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep each phase's report on the item, so ``page`` knows whether the test failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def page(browser: Browser, lab: LabServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        call = request.node.stash.get(REPORTS, {}).get("call")
        failed = call is None or call.failed
        name = screenshot_name(request.node) + ("-failed" if failed else "")
        new_page.screenshot(path=ARTIFACTS / f"{name}.png")
        request.config.stash[SCREENSHOTS] = request.config.stash.get(SCREENSHOTS, 0) + 1
        context.close()
        lab.shut_down_kernels()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    saved = config.stash.get(SCREENSHOTS, 0)
    if saved:
        terminalreporter.write_line(f"browser tests: {saved} screenshots in {ARTIFACTS}")
