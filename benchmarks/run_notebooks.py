"""Benchmark every notebook under every backend: wall time, import floor, peak kernel memory.

    make bench                      # all notebooks x all backends, 3 repeats (about 5 minutes)
    python -m benchmarks.run_notebooks --repeats 1 --backends jax notebooks/00_start_here.ipynb

For each notebook and backend, each repeat starts a fresh kernel and measures

- **wall**: from asking for the kernel to the end of the last cell (what a learner waits for
  after *Restart Kernel and Run All*);
- **floor**: the same for a notebook that only chooses the backend and imports Keras: no
  notebook can be faster than that on this machine;
- **peak RSS**: the kernel process' high-water mark of resident memory (`VmHWM`), read at the
  end of the run;
- **peak with subprocesses**: the largest total resident memory of the kernel and every process
  it started (notebooks 00, 01 and 05 start fresh Python processes), sampled every 0.1 s.

It writes, under `benchmarks/results/`, every run as CSV (`notebooks.csv`), a Markdown table of
medians (`notebooks.md`, also copied into the README between its benchmark markers) and a
figure (`notebooks.png`). Targets (reported, never asserted in tests): <= 30 s per notebook
(<= 60 s for notebooks 06, 07 and 08) and <= 1.0 GB peak memory with subprocesses, on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tools.harness import isolate
from tools.project import BACKENDS, NOTEBOOKS, REPO

RESULTS = REPO / "benchmarks" / "results"
README_START = "<!-- benchmark-table:start -->"
README_END = "<!-- benchmark-table:end -->"
MEMORY_TARGET_MB = 1000.0
FLOOR_SOURCE = 'import os\nos.environ.setdefault("KERAS_BACKEND", "tensorflow")\nimport keras'


@dataclass(frozen=True)
class Run:
    """One measurement: a notebook (or the floor) run once in a fresh kernel."""

    notebook: str
    backend: str
    kind: str  # "notebook" or "floor"
    repeat: int
    wall_s: float
    peak_rss_mb: float
    peak_tree_mb: float = 0.0


@dataclass(frozen=True)
class Summary:
    """Medians over the repeats of one notebook under one backend."""

    notebook: str
    backend: str
    wall_s: float
    floor_s: float
    peak_rss_mb: float
    peak_tree_mb: float = 0.0

    @property
    def ratio(self) -> float:
        return self.wall_s / self.floor_s

    @property
    def time_target_s(self) -> float:
        return 60.0 if self.notebook[:2] in ("06", "07", "08") else 30.0

    @property
    def meets_targets(self) -> bool:
        memory = max(self.peak_rss_mb, self.peak_tree_mb)
        return self.wall_s <= self.time_target_s and memory <= MEMORY_TARGET_MB


def peak_rss_mb(pid: int) -> float:
    """The high-water mark of a live process' resident memory, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM line in /proc/{pid}/status")


class TreeMemory:
    """Samples the resident memory of a process and all its descendants; keeps the peak (MB)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        while not self._stop.is_set():
            total = 0
            try:
                for process in [root, *root.children(recursive=True)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:  # a child that just ended
                        pass
            except psutil.Error:  # the kernel itself ended
                return
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def run_once(path: Path | None, backend: str, timeout: int) -> tuple[float, float, float]:
    """Run a notebook (or the floor, when `path` is None) in a fresh kernel.

    Returns (wall s, kernel peak MB, peak MB of the kernel and its subprocesses together)."""
    import nbformat
    from nbclient import NotebookClient

    if path is None:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_SOURCE)])
        folder = REPO / "notebooks"
    else:
        notebook = nbformat.read(path, as_version=4)
        folder = path.parent
    os.environ["KERAS_BACKEND"] = backend
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    start = time.perf_counter()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        with TreeMemory(pid) as tree:
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
        wall = time.perf_counter() - start
        peak = peak_rss_mb(pid)
    return wall, peak, max(peak, tree.peak_mb)


def summarize(runs: list[Run]) -> list[Summary]:
    """Median wall time, floor and peak memory for each (notebook, backend)."""
    summaries = []
    keys = sorted({(run.notebook, run.backend) for run in runs if run.kind == "notebook"})
    for notebook, backend in keys:
        mine = [run for run in runs if run.notebook == notebook and run.backend == backend]
        floors = [run.wall_s for run in runs if run.kind == "floor" and run.backend == backend]
        summaries.append(
            Summary(
                notebook=notebook,
                backend=backend,
                wall_s=statistics.median(run.wall_s for run in mine if run.kind == "notebook"),
                floor_s=statistics.median(floors),
                peak_rss_mb=statistics.median(run.peak_rss_mb for run in mine),
                peak_tree_mb=statistics.median(run.peak_tree_mb for run in mine),
            )
        )
    return summaries


def markdown_table(summaries: list[Summary], repeats: int) -> str:
    """The README table: one row per notebook x backend."""
    lines = [
        f"Medians of {repeats} runs in a fresh kernel each, on {os.cpu_count()} CPU cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}.",
        "",
        "| notebook | backend | wall (s) | floor (s) | wall / floor | peak RSS (MB) "
        "| with subprocesses (MB) | targets |",
        "|---|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for summary in summaries:
        lines.append(
            f"| {summary.notebook} | {summary.backend} | {summary.wall_s:.1f} | "
            f"{summary.floor_s:.1f} | {summary.ratio:.1f} | {summary.peak_rss_mb:.0f} | "
            f"{summary.peak_tree_mb:.0f} | {'met' if summary.meets_targets else '**missed**'} |"
        )
    return "\n".join(lines) + "\n"


def replace_readme_block(
    readme: str, table: str, start_marker: str = README_START, end_marker: str = README_END
) -> str:
    """Put `table` between two markers of the README (by default the notebook table's)."""
    start, end = readme.find(start_marker), readme.find(end_marker)
    if start < 0 or end < start:
        raise ValueError(
            f"README.md needs the markers {start_marker} and {end_marker}, in that order"
        )
    return readme[: start + len(start_marker)] + "\n" + table + readme[end:]


def publish_table(
    table: str,
    path: Path,
    update_readme: bool,
    start_marker: str = README_START,
    end_marker: str = README_END,
) -> None:
    """Write a results table to ``path``, copy it into the README between its markers (unless
    ``update_readme`` is false), and print it."""
    path.write_text(table)
    if update_readme:
        readme = REPO / "README.md"
        readme.write_text(replace_readme_block(readme.read_text(), table, start_marker, end_marker))
    print("\n" + table)


def plot(summaries: list[Summary], path: Path) -> None:
    """Bars of wall time and peak memory per notebook, one colour per backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    notebooks = sorted({summary.notebook for summary in summaries})
    backends = [name for name in BACKENDS if any(s.backend == name for s in summaries)]
    width = 0.8 / len(backends)
    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(11, 3.8))
    for offset, backend in enumerate(backends):
        by_notebook = {s.notebook: s for s in summaries if s.backend == backend}
        positions = [index + offset * width for index in range(len(notebooks))]
        time_axis.bar(positions, [by_notebook[n].wall_s for n in notebooks], width, label=backend)
        time_axis.scatter(positions, [by_notebook[n].floor_s for n in notebooks], c="black", s=12)
        memory_axis.bar(positions, [by_notebook[n].peak_rss_mb for n in notebooks], width)
    ticks = [index + 0.4 - width / 2 for index in range(len(notebooks))]
    for axis, title, target in (
        (time_axis, "wall time (s); dots: import floor", 30.0),
        (memory_axis, "peak kernel RSS (MB)", MEMORY_TARGET_MB),
    ):
        axis.axhline(target, color="grey", linestyle="--", linewidth=1)
        axis.set_xticks(ticks, [name[:2] for name in notebooks])
        axis.set(title=title, xlabel="notebook")
    time_axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1. Received: {args.repeats}")
    paths = args.notebooks or NOTEBOOKS
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="kuth-bench-") as base:
        isolate(Path(base))
        for backend in args.backends:
            for repeat in range(args.repeats):
                for path in [None, *paths]:
                    name = "floor" if path is None else path.stem
                    wall, peak, tree = run_once(path, backend, args.timeout)
                    kind = "floor" if path is None else "notebook"
                    runs.append(
                        Run(
                            name,
                            backend,
                            kind,
                            repeat,
                            round(wall, 3),
                            round(peak, 1),
                            round(tree, 1),
                        )
                    )
                    print(
                        f"{backend:<10} {name:<28} run {repeat + 1}: {wall:6.1f} s {peak:7.0f} MB"
                        f" ({tree:.0f} MB with subprocesses)"
                    )

    args.output.mkdir(parents=True, exist_ok=True)
    with (args.output / "notebooks.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(asdict(runs[0])))
        writer.writeheader()
        writer.writerows(asdict(run) for run in runs)
    summaries = summarize(runs)
    table = markdown_table(summaries, args.repeats)
    plot(summaries, args.output / "notebooks.png")
    publish_table(table, args.output / "notebooks.md", not args.no_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
