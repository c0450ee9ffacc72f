"""The offline guard (`tests/offline/sitecustomize.py`) that every notebook run starts with.

`make nbval-<backend>` starts each notebook's kernel with `--nb-offline` (see conftest.py), which
puts `tests/offline` on the kernel's PYTHONPATH, and the probe after each notebook checks, in that
kernel, that a name lookup is refused. These tests check the guard itself: it refuses other hosts
before anything is sent, still lets loopback through (kernels talk to Jupyter over it), and is
not active in the test process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tools.project import offline_pythonpath

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


@pytest.mark.slow
def test_offline_guard_blocks_other_hosts_but_not_loopback():
    """The guard refuses before anything is sent, so this test itself makes no traffic."""
    result = subprocess.run(
        [sys.executable, "-c", GUARD_CHECK],
        env={**os.environ, "PYTHONPATH": offline_pythonpath()},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split() == ["NetworkBlocked"] * 3


def test_offline_guard_is_not_active_in_the_test_process():
    assert not hasattr(socket, "NetworkBlocked")
