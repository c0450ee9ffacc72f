"""A sandbox for code the collection does not trust (a submission the grader runs).

    sandbox = Sandbox.create(read_only=[...], environment={...})
    subprocess.run(sandbox.command([python, "-c", "..."]), start_new_session=True)

runs a program in Linux namespaces of its own, started with ``unshare`` (util-linux) as an
ordinary user (a user namespace: no root, no setuid helper):

- **network**: a network namespace with loopback only: no other machine, no port of this one;
- **processes**: a PID namespace; the program is its first process, and when it ends or its
  launcher is killed every process it started is killed too (nothing lingers);
- **files**: a new root holding only what ``read_only`` names (read-only: the system's
  ``/usr``, the Python environment, the collection's ``helpers``), a fresh ``/tmp``, a small
  ``/dev``, its own ``/proc``, and one writable folder, ``work``, bound at the path it has
  outside. The home folders, ``/run`` (and the host's Unix sockets there and in ``/tmp``), the
  repository and anything else are not there at all. The mounts are locked (a second, nested
  user namespace), so the program cannot unmount them to see what is underneath;
- **environment**: exactly ``environment``, nothing inherited;
- **limits** (rlimits): address space, number of processes, CPU time, file size, no core
  files.

The file is standard library only: the launcher runs it as a script (``python -I -S
tools/sandbox.py --inside ...``) to set the sandbox up before it starts the program.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: What ``Sandbox.probe`` and the grader tell a user whose system cannot start a sandbox.
ENABLE_HELP = (
    "this system cannot start a sandbox (Linux namespaces through `unshare --user`, from "
    "util-linux). On Ubuntu 24.04, allow unprivileged user namespaces with `sudo sysctl -w "
    "kernel.apparmor_restrict_unprivileged_userns=0`; on Debian before 11, `sudo sysctl -w "
    "kernel.unprivileged_userns_clone=1`; in a container, run it with user namespaces allowed "
    "(e.g. Docker's `--security-opt seccomp=unconfined --security-opt apparmor=unconfined`)"
)

#: System paths bound read-only when they exist (``/bin`` and friends are symbolic links on
#: merged-/usr systems: those are recreated as links). Only the parts of ``/etc`` that programs
#: need to start: not ``/etc`` as a whole (``shadow``, keys, the machine's configuration).
SYSTEM = [
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/fonts",
    "/etc/mime.types",
    "/etc/ssl/certs",
]
DEVICES = ["null", "zero", "full", "random", "urandom"]

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


@dataclass
class Limits:
    """The rlimits of everything in the sandbox (bytes, processes, seconds)."""

    #: Address space of each process. TensorFlow reserves about 3 GB of address space for a
    #: small model, so this is well above what a notebook of the collection uses (1 GB).
    memory: int = 6 << 30
    #: Processes and threads (a thread counts as one) of the sandbox's user: TensorFlow starts
    #: a few threads per core. A grader running as root is exempt (the kernel does not count
    #: root's), so there the PID namespace's ``pid_max`` bounds them too (Linux 6.14 and later).
    processes: int = field(default_factory=lambda: max(1024, 48 * (os.cpu_count() or 1)))
    #: CPU seconds of each process (the wall-clock deadlines are the grader's).
    cpu_seconds: int = 1800
    #: The largest file a process may write.
    file_size: int = 512 << 20


@dataclass
class Sandbox:
    """One sandbox: its writable folder, what it can read, its environment and limits."""

    work: str
    root: str
    read_only: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    cwd: str = ""

    @classmethod
    def create(
        cls,
        folder: Path,
        read_only: list[str | Path] = (),
        environment: dict[str, str] | None = None,
        limits: Limits | None = None,
    ) -> Sandbox:
        """A sandbox whose writable folder is ``folder/work`` (``folder`` is the caller's, a
        fresh temporary folder), reading ``read_only`` besides the system and Python."""
        work, root = folder / "work", folder / "root"
        work.mkdir(parents=True, exist_ok=True)
        root.mkdir(parents=True, exist_ok=True)
        python = {sys.base_prefix, sys.prefix}
        paths = [*SYSTEM, *sorted(python), *map(str, read_only)]
        return cls(
            work=str(work),
            root=str(root),
            read_only=paths,
            environment=dict(environment or {}),
            limits=limits or Limits(),
            cwd=str(work),
        )

    def command(self, argv: list[str]) -> list[str]:
        """The command line that runs ``argv`` in this sandbox. Start it in a session of its
        own (``start_new_session=True``); kill it with :func:`kill`."""
        unshare = shutil.which("unshare") or "unshare"
        return [
            unshare,
            "--user",
            "--map-root-user",
            "--mount",
            "--net",
            "--ipc",
            "--uts",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--",
            sys.executable,
            "-I",
            "-S",
            str(Path(__file__).resolve()),
            "--inside",
            json.dumps(asdict(self)),
            "--",
            *argv,
        ]


def kill(process: subprocess.Popen | int) -> None:
    """Kill a sandbox's launcher and, with the first process of its PID namespace, every
    process in it."""
    pid = process if isinstance(process, int) else process.pid
    for child in children(pid):
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def probe(timeout: float = 60) -> str | None:
    """None if a sandbox starts here (a Python in it runs), else why not."""
    if sys.platform != "linux":
        return f"{ENABLE_HELP} (this is {sys.platform}, not Linux)"
    if shutil.which("unshare") is None:
        return f"{ENABLE_HELP} (no `unshare` on the PATH)"
    with tempfile.TemporaryDirectory(prefix="kuh-probe-") as folder:
        sandbox = Sandbox.create(Path(folder), environment={"PATH": "/usr/bin:/bin"})
        try:
            run = subprocess.run(
                sandbox.command([sys.executable, "-I", "-S", "-c", "print('ok')"]),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                start_new_session=True,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{ENABLE_HELP} ({error})"
    if run.returncode != 0 or run.stdout.strip() != "ok":
        said = (run.stderr.strip().splitlines() or ["no message"])[-1]
        return f"{ENABLE_HELP} (`unshare` said: {said})"
    return None


# --- inside: runs as the first process of the new namespaces, before the program -----------

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str = "") -> None:
    def encode(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    _check(
        _libc.mount(encode(source), encode(target), encode(kind), flags, encode(data or None)),
        f"mount {source} on {target}",
    )


def _locked_flags(path: str) -> int:
    """The flags of the mount at ``path`` that a user namespace may not clear."""
    flags = os.statvfs(path).f_flag
    wanted = {
        os.ST_NOSUID: MS_NOSUID,
        os.ST_NODEV: MS_NODEV,
        os.ST_NOEXEC: MS_NOEXEC,
        os.ST_NOATIME: MS_NOATIME,
        os.ST_NODIRATIME: MS_NODIRATIME,
        getattr(os, "ST_RELATIME", 4096): MS_RELATIME,
    }
    return sum(ms for st, ms in wanted.items() if flags & st)


def _place(root: str, path: str, directory: bool) -> str:
    target = root + path
    if directory:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "w").close()
    return target


def _bind(root: str, source: str, path: str, writable: bool = False) -> None:
    target = _place(root, path, os.path.isdir(source))
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | _locked_flags(target)
    _mount(None, target, None, flags | (0 if writable else MS_RDONLY))


def _write(path: str, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


def _bring_up_loopback() -> None:
    import fcntl
    import socket
    import struct

    get_flags, set_flags, up = 0x8913, 0x8914, 0x1  # SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe_socket:
        request = struct.pack("16sh14s", b"lo", 0, b"")
        flags = struct.unpack("16sh14s", fcntl.ioctl(probe_socket, get_flags, request))[1]
        fcntl.ioctl(probe_socket, set_flags, struct.pack("16sh14s", b"lo", flags | up, b""))


def _build_root(sandbox: dict) -> None:
    root = sandbox["root"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
    tmp = _place(root, "/tmp", True)
    _mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=512m")
    _place(root, "/dev", True)
    for device in DEVICES:
        if os.path.exists(f"/dev/{device}"):
            target = _place(root, f"/dev/{device}", False)
            _mount(f"/dev/{device}", target, None, MS_BIND)
    for name, target in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")]:
        os.symlink(target, f"{root}/dev/{name}")
    os.symlink("/proc/self/fd/1", f"{root}/dev/stdout")
    os.symlink("/proc/self/fd/2", f"{root}/dev/stderr")
    shm = _place(root, "/dev/shm", True)
    _mount("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=256m")
    _mount("/proc", _place(root, "/proc", True), None, MS_BIND | MS_REC)  # this PID namespace's
    for path in sandbox["read_only"]:
        if os.path.islink(path) and os.path.dirname(path) == "/":  # /bin -> usr/bin
            os.symlink(os.readlink(path), root + path)
        elif os.path.exists(path):
            real = os.path.realpath(path)
            if not os.path.ismount(root + real):
                _bind(root, real, real)
    _bind(root, sandbox["work"], sandbox["work"], writable=True)
    os.chdir(root)
    number = PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "unmount the old root")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _lock_mounts() -> None:
    """A nested user and mount namespace: every mount above is now locked (cannot be
    unmounted or made writable), whatever the program does with the capabilities it gets."""
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare a nested user namespace")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", "0 0 1")
    _write("/proc/self/gid_map", "0 0 1")


def _limit(limits: dict) -> None:
    processes = limits["processes"]
    with contextlib.suppress(OSError):  # per PID namespace since Linux 6.14; >= 301
        _write("/proc/sys/kernel/pid_max", str(max(processes, 301)))
    for name, value in [
        (resource.RLIMIT_AS, limits["memory"]),
        (resource.RLIMIT_NPROC, processes),
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_FSIZE, limits["file_size"]),
        (resource.RLIMIT_CORE, 0),
    ]:
        resource.setrlimit(name, (value, value))


def inside(sandbox: dict, argv: list[str]) -> None:
    """Set the sandbox up (we are the first process of its namespaces) and become ``argv``."""
    _bring_up_loopback()
    _build_root(sandbox)
    _limit(sandbox["limits"])  # pid_max needs the outer namespace's rights: before the lock
    _lock_mounts()
    # A change of user namespace clears the parent-death signal `unshare --kill-child` set.
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
    os.chdir(sandbox["cwd"] or sandbox["work"])
    os.execvpe(argv[0], argv, sandbox["environment"])


if __name__ == "__main__":
    if len(sys.argv) > 4 and sys.argv[1] == "--inside" and sys.argv[3] == "--":
        try:
            inside(json.loads(sys.argv[2]), sys.argv[4:])
        except OSError as error:
            print(f"sandbox: {error}", file=sys.stderr)
            sys.exit(125)
    sys.exit("usage: only the sandbox's launcher runs this (see Sandbox.command)")
