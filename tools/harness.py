"""The notebook harness shared by the tests, the benchmarks and `make execute`.

Two jobs:

1. :func:`isolate` points every per-user directory that Keras, IPython,
   Jupyter and matplotlib write to into a temporary folder, and configures the
   test kernel, so running the tests never writes into the user's home.
2. ``python -m tools.harness execute NOTEBOOK...`` re-runs notebooks top to
   bottom in a fresh kernel and stores their outputs (what `make execute`
   does), under the same configuration nbval later checks them with.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from tools.project import REPO

#: The variables set by :func:`isolate`, and the sub-folder each one points to.
ISOLATED_DIRS: dict[str, str] = {
    "KERAS_HOME": "keras",  # keras.json is written on first import
    "IPYTHONDIR": "ipython",  # IPython profile, history database, kernel config below
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",  # kernel connection files
    "MPLCONFIGDIR": "matplotlib",  # font cache
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
}

# TensorFlow's C++ start-up messages are written straight to file descriptor 2.
# ipykernel normally captures that descriptor into whichever cell is running,
# so they land in cell outputs differently under nbclient and nbval. Leaving
# the descriptor alone makes stored and re-computed outputs comparable.
KERNEL_CONFIG = "c.IPKernelApp.capture_fd_output = False\n"


def isolate(base: Path | None = None) -> Path:
    """Point per-user directories into ``base`` (a new temporary folder by default).

    Sets the variables in :data:`ISOLATED_DIRS` in ``os.environ`` (kernels
    started afterwards inherit them) and writes the test kernel's IPython
    configuration. Returns the folder.
    """
    base = Path(base) if base is not None else Path(tempfile.mkdtemp(prefix="kuth-test-"))
    for variable, sub_folder in ISOLATED_DIRS.items():
        folder = base / sub_folder
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[variable] = str(folder)
    profile = base / ISOLATED_DIRS["IPYTHONDIR"] / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return base


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stdout (or stderr) outputs into one.

    How printed text is split into messages depends on timing; merging makes the stored
    notebook the same from one `make execute` to the next.
    """
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def execute(paths: list[Path], timeout: int) -> None:
    """Run each notebook top to bottom in a fresh kernel and store its outputs in place."""
    import nbformat
    from nbclient import NotebookClient

    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=timeout,
            record_timing=False,  # no timestamps: re-running gives a clean diff
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        print(
            f"executing {path.relative_to(REPO)} with KERAS_BACKEND={os.environ['KERAS_BACKEND']}"
        )
        client.execute()
        for cell in notebook.cells:
            cell.metadata.pop("execution", None)  # timestamps of an earlier run
            if cell.cell_type == "code":
                cell.outputs = coalesce_streams(cell.outputs)
        nbformat.write(notebook, path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("execute", help="re-run notebooks and store their outputs")
    run.add_argument("notebooks", nargs="+", type=Path)
    run.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)

    missing = [str(path) for path in args.notebooks if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    # Stored outputs are those of the default backend: strict nbval compares against them.
    os.environ["KERAS_BACKEND"] = "tensorflow"
    with tempfile.TemporaryDirectory(prefix="kuth-execute-") as base:
        isolate(Path(base))
        execute([path.resolve() for path in args.notebooks], args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
