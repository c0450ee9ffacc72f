"""`make lab` really starts JupyterLab on notebooks/, bound to 127.0.0.1, and it answers."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
import urllib.request

import pytest

from tools.project import REPO, free_port, get_json, stop_server


@pytest.mark.slow
def test_make_lab_serves_the_notebooks(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    log_path = tmp_path / "lab.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "lab",
                f"LAB_PORT={port}",
                f"LAB_FLAGS=--no-browser --IdentityProvider.token={token}",
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so the whole process group can be stopped below
            env={**os.environ, "BACKENDS": "all"},
        )
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            assert process.poll() is None, f"make lab exited early:\n{log_path.read_text()}"
            found = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=\S+", log_path.read_text())
            url = found.group(0) if found else None
            time.sleep(0.5)
        assert url, f"make lab printed no URL within 120 s:\n{log_path.read_text()}"

        base = f"http://127.0.0.1:{port}"
        status = get_json(f"{base}/api/status?token={token}")
        assert "started" in status
        # The server's root is notebooks/: the start notebook is at its top level.
        listing = get_json(f"{base}/api/contents?token={token}")
        names = {entry["name"] for entry in listing["content"]}
        assert "00_start_here.ipynb" in names
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as response:
            assert response.status == 200
            assert b"JupyterLab" in response.read()
    finally:
        stop_server(process)
