"""The browser the browser tests drive: Debian's Chromium, never one Playwright downloads.

Shared by the JupyterLab tests (``tests/ui/``) and the website tests (``tests/site/``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "chromium_path"]

CHROMIUM_FLAGS = [
    # No sandbox: root (and many CI containers) cannot use it. The others keep Chromium off
    # the network: it only talks to the local server under test.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium: ``KUH_CHROMIUM``, else ``chromium`` on the PATH or /usr/bin."""
    candidate = os.environ.get("KUH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).is_file() else None
