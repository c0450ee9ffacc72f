"""The grader's sandbox (tools/sandbox.py), attacked directly: a Python in the sandbox tries
each thing a submission should not be able to do, and each must be refused or neutralised.

Every attack is bounded (a count and a few seconds); the network ones reach only this machine
(a listener on 127.0.0.1 and a Unix socket the test itself makes, outside the sandbox). Without
the means to start a sandbox (no user namespaces), these tests are skipped, saying so: that is
the machine, not the code (`python -m tools.grade` then refuses to grade, exit status 2).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tools import sandbox
from tools.project import NOTEBOOKS, OFFLINE_GUARD, REPO

pytestmark = pytest.mark.slow
SECRET = "KUH_TEST_SECRET"


@pytest.fixture(scope="module")
def can_start() -> None:
    why = sandbox.probe()
    if why is not None:
        pytest.skip(f"this machine cannot start the grader's sandbox: {why}")


def run_inside(
    tmp_path: Path, code: str, limits: sandbox.Limits | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh sandbox as the grader makes them: the collection's helpers and
    the offline guard readable, the grader's own environment not passed on."""
    box = sandbox.Sandbox.create(
        tmp_path / "box",
        read_only=[REPO / "helpers", OFFLINE_GUARD],
        environment={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "box" / "work")},
        limits=limits,
    )
    return subprocess.run(
        box.command([sys.executable, "-I", "-c", textwrap.dedent(code)]),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )


def lines(run: subprocess.CompletedProcess) -> list[str]:
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_without_a_sandbox_the_probe_says_how_to_enable_one(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    why = sandbox.probe()
    assert why is not None
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in why


def test_a_secret_in_the_environment_is_not_passed_on(can_start, tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET, "s3cret-value")
    run = run_inside(
        tmp_path,
        """
        import os
        print(sorted(os.environ))
        print(any(b"s3cret" in open(f"/proc/{p}/environ", "rb").read()
                  for p in os.listdir("/proc") if p.isdigit()))
        """,
    )
    names, found = lines(run)
    assert SECRET not in names
    assert found == "False"


def ways_through_tmp(tmp_path: Path) -> set[str]:
    """What the sandbox's own /tmp holds: the first folder of the way to each path bound from
    the host's /tmp (the work folder; the repository and its Python where they live there)."""
    bound = [tmp_path, REPO, Path(sys.prefix), Path(sys.base_prefix)]
    return {path.parts[2] for path in bound if path.is_relative_to("/tmp") and len(path.parts) > 2}


def test_files_outside_cannot_be_read(can_start, tmp_path):
    other = tmp_path / "submissions" / "bob.ipynb"
    other.parent.mkdir()
    other.write_text("bob's answers")
    targets = [NOTEBOOKS[2], other, REPO / "tools" / "grade.py", REPO / ".git", "/run", "/var"]
    run = run_inside(
        tmp_path,
        f"""
        import os
        for path in {[str(path) for path in targets]!r}:
            try:
                found = os.listdir(path) if os.path.isdir(path) else open(path).read()
                print(path, "READ", len(found))
            except OSError as error:
                print(path, "refused", type(error).__name__)
        print("tmp", sorted(os.listdir("/tmp")) == {sorted(ways_through_tmp(tmp_path))!r})
        home = {str(Path.home())!r}
        print("home", sorted(os.listdir(home)) if os.path.isdir(home) else [])
        """,
    )
    out = lines(run)
    assert [line.split()[1] for line in out[:-2]] == ["refused"] * len(targets)
    assert out[-2] == "tmp True"  # the host's /tmp is not there, only the way to work
    # Of the home folder, at most the way to the Python environment (pyenv's lives there).
    python = {
        Path(path).parts[len(Path.home().parts)]
        for path in (sys.prefix, sys.base_prefix)
        if Path(path).is_relative_to(Path.home())
    }
    assert set(eval(out[-1].split(" ", 1)[1])) <= python


def test_nothing_outside_the_work_folder_can_be_written(can_start, tmp_path):
    # The report is where the test can put it (under the host's /tmp): in the sandbox that path
    # is in its own, empty /tmp, so it may write there, but the host's file stays as it was.
    report = tmp_path / "report.json"
    report.write_text('{"passed": 0}')
    reference = REPO / "helpers" / "checks" / "__init__.py"
    before = reference.read_bytes()
    targets = [reference, REPO / "notebooks" / "new.ipynb", "/usr/x", "/x", "/dev/shm/../x", report]
    run = run_inside(
        tmp_path,
        f"""
        import ctypes, os
        for path in {[str(path) for path in targets]!r}:
            try:
                open(path, "w").write("3/3")
                print(path, "WROTE")
            except OSError as error:
                print(path, "refused", type(error).__name__)
        libc = ctypes.CDLL(None, use_errno=True)  # the mounts are locked: no way under them
        print("umount", libc.umount2(b"/tmp", 2), libc.umount2(b"{REPO / "helpers"}", 2))
        print("remount", libc.mount(None, b"{REPO / "helpers"}", None, 32 | 4096, None))
        open(os.environ["HOME"] + "/mine.txt", "w").write("fine")
        print("work", open(os.environ["HOME"] + "/mine.txt").read())
        """,
    )
    out = lines(run)
    assert [line.split()[1] for line in out[: len(targets) - 1]] == ["refused"] * (len(targets) - 1)
    assert out[len(targets) :] == ["umount -1 -1", "remount -1", "work fine"]
    assert report.read_text() == '{"passed": 0}'
    assert reference.read_bytes() == before
    assert not (REPO / "notebooks" / "new.ipynb").exists()


def test_sockets_of_this_machine_cannot_be_reached(can_start, tmp_path):
    path = tmp_path / "agent.sock"
    with (
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
    ):
        unix.bind(str(path))
        unix.listen(1)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(1)
        port = tcp.getsockname()[1]
        run = run_inside(
            tmp_path,
            f"""
            import socket
            for family, address in [(socket.AF_UNIX, {str(path)!r}),
                                    (socket.AF_UNIX, "\\0kuh-test-abstract"),
                                    (socket.AF_INET, ("127.0.0.1", {port}))]:
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    s.settimeout(2)
                    try:
                        s.connect(address)
                        print("CONNECTED")
                    except OSError as error:
                        print("refused", type(error).__name__)
            """,
        )
        unix.setblocking(False)
        tcp.setblocking(False)
        for listener in (unix, tcp):
            with pytest.raises(BlockingIOError):
                listener.accept()  # nobody came
    assert lines(run) == [
        "refused FileNotFoundError",
        "refused ConnectionRefusedError",
        "refused ConnectionRefusedError",
    ]


def test_a_detached_process_does_not_outlive_the_sandbox(can_start, tmp_path):
    marker = tmp_path / "box" / "work" / "later.txt"
    run = run_inside(
        tmp_path,
        f"""
        import os, subprocess, sys
        later = "import time; time.sleep(2); open({str(marker)!r}, 'w').write('3/3')"
        subprocess.Popen(
            [sys.executable, "-c", later],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        print("left it running")
        """,
    )
    assert lines(run) == ["left it running"]
    time.sleep(3)
    assert not marker.exists()
    assert not [
        pid for pid in os.listdir("/proc") if pid.isdigit() and str(marker) in _cmdline(pid)
    ]


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def test_a_fork_bomb_is_bounded(can_start, tmp_path):
    run = run_inside(
        tmp_path,
        """
        import os, time
        started = 0
        for _ in range(1500):
            try:
                if os.fork() == 0:
                    time.sleep(5)
                    os._exit(0)
                started += 1
            except OSError:
                break
        print(started)
        """,
        limits=sandbox.Limits(processes=64),
    )
    started = int(lines(run)[0])
    assert 10 < started < 400  # the rlimit (64), or pid_max (301) where the grader is root


@pytest.mark.parametrize(
    ("limits", "size"),
    [(sandbox.Limits(memory=1 << 30), 2 << 30), (sandbox.Limits(), sandbox.Limits().memory)],
    ids=["2-GiB-under-1-GiB", "over-the-default"],
)
def test_a_large_allocation_is_refused(can_start, tmp_path, limits, size):
    run = run_inside(
        tmp_path,
        f"""
        try:
            block = bytearray({size})
            print("ALLOCATED")
        except MemoryError:
            print("refused")
        """,
        limits=limits,
    )
    assert lines(run) == ["refused"]


def test_cpu_time_and_file_size_are_limited(can_start, tmp_path):
    limits = sandbox.Limits(cpu_seconds=1, file_size=1 << 20)
    run = run_inside(
        tmp_path,
        """
        import os
        try:
            open(os.environ["HOME"] + "/big", "wb").write(bytes(2 << 20))
        except OSError as error:
            print("refused", error.strerror, flush=True)
        while True:
            pass
        """,
        limits=limits,
        timeout=30,
    )
    assert run.stdout.splitlines() == ["refused File too large"]
    assert run.returncode != 0  # killed by SIGXCPU after its second of CPU time
