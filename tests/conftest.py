"""Keeps the `slow` marker honest: the quick loop (`pytest -m "not slow"`) starts no process.

A test that is not marked ``slow`` (with its fixtures) may not start a Python process, a kernel,
a server or a `make` that runs anything: while it runs, ``subprocess.Popen`` refuses such a
command and says which marker is missing. Commands that start none (`make -n`, `git`, ...)
stay allowed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest


def starts_python(command: str | Sequence[str]) -> bool:
    """Whether ``command`` starts a Python interpreter (directly, or through a script's #!)."""
    program = command.split()[0] if isinstance(command, str) else str(command[0])
    found = shutil.which(program)
    if found is None:
        return False
    if Path(found).name.startswith("python"):
        return True
    with open(found, "rb") as handle:
        first_line = handle.readline(200)
    return first_line.startswith(b"#!") and b"python" in first_line


def starts_a_process(command: str | Sequence[str]) -> bool:
    """Whether ``command`` is one the quick loop must not run."""
    words = command.split() if isinstance(command, str) else [str(word) for word in command]
    if Path(words[0]).name == "make":
        return "-n" not in words and "--dry-run" not in words
    return starts_python(words)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _guard(item):
        return (yield)


class _guard:
    """While active, Popen refuses commands that start a process, for tests not marked slow."""

    def __init__(self, item: pytest.Item) -> None:
        self.active = item.get_closest_marker("slow") is None
        self.nodeid = item.nodeid
        self.original = subprocess.Popen.__init__

    def __enter__(self) -> None:
        if not self.active:
            return
        original, nodeid = self.original, self.nodeid

        def refuse_processes(popen, args, *rest, **kwargs):
            if starts_a_process(args):
                raise RuntimeError(
                    f"{nodeid} starts a process ({args!r}) but is not marked "
                    "@pytest.mark.slow: mark it, so that `pytest -m 'not slow'` stays quick"
                )
            return original(popen, args, *rest, **kwargs)

        subprocess.Popen.__init__ = refuse_processes

    def __exit__(self, *exc: object) -> None:
        subprocess.Popen.__init__ = self.original
