"""Time every stage of `make test` in a fresh clone: where the suite's minutes go.

    python -m benchmarks.test_suite                       # a fresh clone of HEAD
    python -m benchmarks.test_suite --label before --ref 955a2be --no-readme

It clones the repository (``--ref``, HEAD by default) into a temporary folder and runs there
what `make test` runs, stage by stage, timing each: first ``make install`` (it creates .venv;
pip's cache makes this faster than a first-ever install), then the recipe of the clone's own
`test` target, read from its Makefile. A recipe line that runs its targets one after the other
gives one stage per target; a line that runs them side by side (``-j``) is one stage.

Every stage must pass. The result is appended to ``benchmarks/results/test_suite.csv`` under its
label; ``benchmarks/results/test_suite.md`` (and the README, between its markers) gets a table
with one column per label. Run it on an otherwise idle machine: it takes as long as `make test`
plus the clone.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run_notebooks import publish_table
from tools.project import REPO

RESULTS = REPO / "benchmarks" / "results"
README_START = "<!-- test-suite-table:start -->"
README_END = "<!-- test-suite-table:end -->"
FIELDS = ("label", "ref", "notebooks", "stage", "seconds")


def stages_of(makefile: str, jobs: int) -> list[tuple[str, list[str]]]:
    """``(stage name, command)`` for `make install` and each stage of the `test` recipe."""
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    if recipe is None:
        raise ValueError("the Makefile has no `test` target with a recipe")
    stages = [("install", ["make", "--no-print-directory", "install"])]
    for line in recipe.group(1).splitlines():
        words = line.split()
        if not words or words[0] != "$(MAKE)":
            raise ValueError(f"expected `$(MAKE) ...` lines in the test recipe. Received: {line}")
        flags = [word.replace("$(JOBS)", str(jobs)) for word in words[1:] if word.startswith("-")]
        targets = [word for word in words[1:] if not word.startswith("-")]
        if any(flag.startswith("-j") for flag in flags):
            stages.append((" ".join(targets), ["make", *flags, *targets]))
        else:
            stages.extend((target, ["make", *flags, target]) for target in targets)
    return stages


def time_stages(clone: Path, jobs: int, log: Path) -> dict[str, float]:
    """Run every stage in ``clone``; seconds per stage. Raises if a stage fails."""
    seconds: dict[str, float] = {}
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        for stage, command in stages_of((clone / "Makefile").read_text(), jobs):
            start = time.perf_counter()
            completed = subprocess.run(
                command, cwd=clone, env=environment, stdout=output, stderr=subprocess.STDOUT
            )
            seconds[stage] = time.perf_counter() - start
            print(f"{stage}: {seconds[stage]:.0f} s (exit {completed.returncode})", flush=True)
            if completed.returncode != 0:
                raise RuntimeError(f"stage {stage} failed in {clone}; see {log}")
    return seconds


def read_results(path: Path) -> list[dict[str, str]]:
    """The rows of the CSV of earlier runs (none if there is no file yet)."""
    if not path.is_file():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


def markdown_table(rows: list[dict[str, str]]) -> str:
    """Minutes per stage, one column per label (the last run of each label)."""
    labels: dict[str, dict[str, str]] = {}
    stages: list[str] = []
    for row in rows:
        labels.setdefault(row["label"], {})[row["stage"]] = row["seconds"]
        labels[row["label"]]["notebooks"] = row["notebooks"]
        labels[row["label"]]["ref"] = row["ref"]
        if row["stage"] not in stages:
            stages.append(row["stage"])
    names = list(labels)
    lines = [
        f"`make test` stage by stage in a fresh clone, {os.cpu_count()} CPU cores, minutes.",
        "",
        "| stage | " + " | ".join(f"{name} ({labels[name]['ref']})" for name in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for stage in stages:
        cells = [
            f"{float(labels[name][stage]) / 60:.1f}" if stage in labels[name] else "-"
            for name in names
        ]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    totals = [sum(float(labels[name].get(stage, 0)) for stage in stages) / 60 for name in names]
    lines.append("| **total** | " + " | ".join(f"**{total:.1f}**" for total in totals) + " |")
    lines.append("| notebooks | " + " | ".join(labels[name]["notebooks"] for name in names) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after", help="name of this run's column")
    parser.add_argument("--ref", default="HEAD", help="the commit to clone")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="kuth-suite-") as folder:
        clone = Path(folder) / "clone"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "checkout", "-q", args.ref], cwd=clone, check=True)
        ref = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=clone,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        count = len(list((clone / "notebooks").glob("*.ipynb")))
        seconds = time_stages(clone, args.jobs, args.output / f"test_suite_{args.label}.log")

    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / "test_suite.csv"
    rows = [row for row in read_results(path) if row["label"] != args.label]
    rows += [
        {
            "label": args.label,
            "ref": ref,
            "notebooks": str(count),
            "stage": stage,
            "seconds": f"{value:.1f}",
        }
        for stage, value in seconds.items()
    ]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    table = markdown_table(rows)
    publish_table(
        table, args.output / "test_suite.md", not args.no_readme, README_START, README_END
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
