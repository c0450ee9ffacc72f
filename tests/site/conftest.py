"""Fixtures of the website tests (`make test-site`): the site, a local server and Chromium.

- ``site``: ``make site``'s build (``tools.website.build``), once per session. In ``make test``
  it runs after the JAX and PyTorch nbval runs, which leave their outputs for it; on its own it
  runs the notebooks whose outputs are missing (minutes).
- ``server``: a local HTTP server on 127.0.0.1 serving ``build/site/``.
- ``browser``: Debian's Chromium driven by Playwright, as in the JupyterLab tests.
- ``visit``: opens a page with every request to another host blocked, and returns what went
  wrong on the way: console errors, failed and blocked requests.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tools import website
from tools.browser import CHROMIUM_FLAGS, chromium_path

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:
    sync_playwright = None

#: Screenshots of the pages the tests open (git-ignored).
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site() -> Path:
    website.build()
    return website.SITE


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.skip("Python package `playwright` not found: run `make install`")
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "Chromium not found: install Debian's `chromium` package (apt-get install "
            "chromium), or set KUH_CHROMIUM to a Chromium or Chrome executable"
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def load_pictures(page: Page) -> list[str]:
    """Load every picture a reader sees scrolling through ``page`` (the tabbed figures'
    pictures are lazy: those in hidden tabs wait for their tab) and return the addresses of
    those that did not load."""
    shown = "[...document.images].filter(i => !i.closest('[role=tabpanel][hidden]'))"
    page.evaluate(f"{shown}.forEach(i => i.loading = 'eager')")
    page.wait_for_function(f"{shown}.every(i => i.complete)")
    return page.evaluate(
        f"{shown}.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )


@dataclass
class Visit:
    """A page opened from the site, and what went wrong while it loaded."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def load_pictures(self) -> list[str]:
        """:func:`load_pictures` of this page."""
        return load_pictures(self.page)

    def problems(self) -> list[str]:
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"failed request: {url}" for url in self.failed]
            + [f"request to another host: {url}" for url in self.blocked]
        )


@pytest.fixture
def visit(browser: Browser, server: str) -> Iterator[Callable[[str], Visit]]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(30_000)
    opened: list[tuple[str, Visit]] = []

    def open_page(path: str) -> Visit:
        page = context.new_page()
        seen = Visit(page)

        def route(request_route: Any) -> None:
            url = request_route.request.url
            if url.startswith(server) or url.startswith("data:"):
                request_route.continue_()
            else:
                seen.blocked.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and seen.console_errors.append(m.text))
        page.on("requestfailed", lambda r: r.url.startswith(server) and seen.failed.append(r.url))
        page.goto(server + path, wait_until="load")
        page.wait_for_load_state("networkidle")
        opened.append((path, seen))
        return seen

    yield open_page
    for path, seen in opened:
        name = path.replace("/", "_").replace("?", "_").removesuffix(".html")
        seen.page.screenshot(path=ARTIFACTS / f"{name}.png")
    context.close()
