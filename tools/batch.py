"""Grade a folder of submissions, side by side, into one gradebook per notebook.

    python -m tools.batch SUBMISSIONS/ --jobs 2 --backend tensorflow --out build/grade/batch

(what ``make grade SUBMISSIONS=dir/ JOBS=2`` runs). Every ``.ipynb`` under the folder is a
submission (not those in ``.ipynb_checkpoints``); whose it is, is the name of the folder it is
in right under ``SUBMISSIONS/`` (``alice/01_backend_ops.ipynb``: alice, as GitHub Classroom's
download names them), or its own name for a file right in it (``alice.ipynb``). Each is graded
by ``python -m tools.grade ... --student NAME`` in a process and a sandbox of its own, ``--jobs``
at a time; its report is ``<out>/<student>.<notebook>.<backend>.json`` and ``.md`` (with the
file's SHA-256, the grader's version and the time), what the grader printed in
``<out>/logs/``. Then

- ``<out>/gradebook.<notebook>.<backend>.csv``: a row per student (by name), a column per
  exercise (1 passed, 0 not), ``total`` and ``out_of``, then the file, its SHA-256, when and by
  which grader; a student whose file could not be graded has a row too, with ``status`` saying
  why and a total of 0;

``--shard I/N`` grades only the I-th of N equal shares of the folder (sorted by name), so that
N machines (a GitHub Actions matrix, a Slurm job array) share a class; gather their reports
into one folder and ``python -m tools.batch --gradebook FOLDER`` writes the gradebooks from
them. Exit status: 0 when every exercise of every submission passed, 1 when one did not, 2
when a submission could not be graded.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import grade
from tools.project import BACKENDS, NOTEBOOKS, REPO

#: The report a submission that could not be graded gets, instead of the grader's.
NOT_GRADED = "not-graded"


@dataclass(frozen=True)
class Submission:
    """One student's notebook in the folder."""

    student: str
    path: Path


def find(folder: Path) -> list[Submission]:
    """Every submission under ``folder``, sorted by student and path; ValueError for a name
    that cannot name a student's reports."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of submissions")
    found = []
    folder = folder.resolve()
    for path in sorted(folder.rglob("*.ipynb")):
        relative = path.relative_to(folder)
        if ".ipynb_checkpoints" in relative.parts:
            continue
        name = relative.parts[0] if len(relative.parts) > 1 else path.stem
        try:
            found.append(Submission(grade.student_name(name), path))
        except argparse.ArgumentTypeError as error:
            raise ValueError(f"{relative}: {error}") from None
    return found


def shard(items: list[Submission], spec: str) -> list[Submission]:
    """The ``I``-th of ``N`` shares of ``items`` for ``spec`` ``"I/N"`` (1 <= I <= N)."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise ValueError(f"--shard is I/N, two whole numbers such as 2/4, not {spec!r}") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard {spec}: I must be between 1 and N")
    return items[index - 1 :: count]


def not_graded(out: Path, item: Submission, problem: str) -> Path:
    """Write the report of a submission that could not be graded."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{item.student}.{item.path.stem}.{NOT_GRADED}.json"
    data = {
        "student": item.student,
        "submission": item.path.name,
        "status": NOT_GRADED,
        "problem": problem,
        "sha256": grade.sha256_of(item.path) if item.path.is_file() else "",
    }
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def plan(items: list[Submission], notebook: Path | None) -> tuple[list[tuple], list[tuple]]:
    """``(to grade, refused)``: each submission with the notebook it answers, or with why it
    cannot be graded (not a notebook, not one of the collection's, named like another one,
    a second file of the same student for the same notebook)."""
    seen: dict[tuple[str, Path], Submission] = {}
    ready, refused = [], []
    for item in items:
        try:
            reference = notebook or grade.identify(grade.read_notebook(item.path), NOTEBOOKS)
            if notebook is None:
                grade.check_name(item.path, reference, NOTEBOOKS)
        except grade.GradingError as error:
            refused.append((item, str(error)))
            continue
        earlier = seen.get((item.student, reference))
        if earlier is not None:
            refused.append((item, f"{item.student} handed in {reference.name} twice: keep one"))
            continue
        seen[(item.student, reference)] = item
        ready.append((item, reference))
    return ready, refused


def grade_one(
    item: Submission, reference: Path, out: Path, options: list[str]
) -> tuple[int, float]:
    """Grade one submission in a process of its own; its exit status and seconds."""
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "tools.grade",
        str(item.path),
        "--notebook",
        str(reference),
        "--student",
        item.student,
        "--out",
        str(out),
        *options,
    ]
    started = time.monotonic()
    with (logs / f"{item.student}.{reference.stem}.log").open("w") as log:
        status = subprocess.run(
            command, stdout=log, stderr=subprocess.STDOUT, check=False, cwd=REPO
        ).returncode
    return status, time.monotonic() - started


def _rows(reports: list[dict[str, Any]], refused: list[dict[str, Any]]) -> list[list[Any]]:
    exercises = reports[0]["exercises"]
    header = [
        "student",
        "status",
        *(f"{e['number']} {e['name']}" for e in exercises),
        "total",
        "out_of",
        "submission",
        "sha256",
        "graded_at",
        "grader",
    ]
    rows = [header]
    for report in sorted(reports, key=lambda r: r["student"] or r["submission"]):
        points = [int(e["status"] == "passed") for e in report["exercises"]]
        rows.append(
            [
                report["student"] or Path(report["submission"]).stem,
                "graded",
                *points,
                sum(points),
                len(points),
                report["submission"],
                report["sha256"],
                report["graded_at"],
                report["grader"],
            ]
        )
    for entry in sorted(refused, key=lambda r: r["student"]):
        zeros = [0] * len(exercises)
        status = f"not graded: {entry['problem']}"
        rows.append([entry["student"], status, *zeros, 0, len(exercises)])
        rows[-1] += [entry["submission"], entry["sha256"], "", ""]
    return rows


def gradebooks(out: Path) -> list[Path]:
    """Write ``gradebook.<notebook>.<backend>.csv`` for the reports in ``out``."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    refused = []
    for path in sorted(out.glob("*.json")):
        data = json.loads(path.read_text())
        if data.get("status") == NOT_GRADED:
            refused.append(data)
        elif "exercises" in data and "notebook" in data:
            groups[(Path(data["notebook"]).stem, data["backend"])].append(data)
    written = []
    for (notebook, backend), reports in sorted(groups.items()):
        path = out / f"gradebook.{notebook}.{backend}.csv"
        with path.open("w", newline="") as file:
            csv.writer(file).writerows(_rows(reports, refused))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.batch", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("submissions", type=Path, nargs="?", help="the folder of submissions")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at a time")
    parser.add_argument("--shard", help="I/N: grade only the I-th of N shares of the folder")
    parser.add_argument("--backend", choices=BACKENDS, default="tensorflow")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    parser.add_argument("--deadline", type=int, help="seconds per submission")
    parser.add_argument("--notebook", type=Path, help="the collection notebook they answer")
    parser.add_argument(
        "--out", type=Path, default=Path("build/grade/batch"), help="an empty report folder"
    )
    parser.add_argument("--gradebook", type=Path, help="only write the gradebooks of FOLDER")
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    if args.notebook is not None:
        args.notebook = args.notebook.resolve()
    if args.gradebook is not None:
        for path in gradebooks(args.gradebook):
            print(f"wrote {path}")
        return 0
    if args.submissions is None:
        parser.error("say which folder of submissions to grade")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, not {args.jobs}")
    why = grade.sandbox.probe()
    if why is not None:
        print(f"batch: {grade.SANDBOX_HELP.format(why=why)}", file=sys.stderr)
        return 2
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"--out {args.out} is not empty: give each batch a folder of its own")
    try:
        items = find(args.submissions)
        items = shard(items, args.shard) if args.shard else items
    except ValueError as error:
        parser.error(str(error))
    options = ["--backend", args.backend, "--timeout", str(args.timeout)]
    options += ["--deadline", str(args.deadline)] if args.deadline else []
    ready, refused = plan(items, args.notebook)
    for item, problem in refused:
        not_graded(args.out, item, problem)
        print(f"{item.student}: not graded: {problem}")
    statuses = [2] * len(refused)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(grade_one, item, reference, args.out, options): (item, reference)
            for item, reference in ready
        }
        for done, future in enumerate(as_completed(futures), start=1):
            (item, reference), (status, seconds) = futures[future], future.result()
            if status not in (0, 1):  # 2, or the grader itself crashed
                status = 2
                log = args.out / "logs" / f"{item.student}.{reference.stem}.log"
                said = (log.read_text().strip().splitlines() or ["no message"])[-1]
                not_graded(args.out, item, said.removeprefix("grade: "))
            statuses.append(status)
            verdict = {0: "all passed", 1: "graded", 2: "not graded"}.get(status, "?")
            print(f"[{done}/{len(ready)}] {item.student}: {verdict} ({seconds:.0f} s)")
    for path in gradebooks(args.out):
        print(f"wrote {path}")
    total = time.monotonic() - started
    print(f"graded {len(ready)} submissions in {total:.0f} s, {args.jobs} at a time")
    return max(statuses, default=0)


if __name__ == "__main__":
    sys.exit(main())
