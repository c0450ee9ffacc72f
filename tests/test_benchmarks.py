"""The notebook benchmark's bookkeeping, and one small real run (`make bench` must work)."""

from __future__ import annotations

import csv
import time

import nbformat
import pytest

from benchmarks import run_notebooks as bench

RUNS = [
    bench.Run("00_start_here", "jax", "notebook", 0, 9.0, 400.0, 500.0),
    bench.Run("00_start_here", "jax", "notebook", 1, 11.0, 420.0, 520.0),
    bench.Run("00_start_here", "jax", "notebook", 2, 10.0, 410.0, 510.0),
    bench.Run("floor", "jax", "floor", 0, 4.0, 300.0),
    bench.Run("floor", "jax", "floor", 1, 5.0, 300.0),
    bench.Run("floor", "jax", "floor", 2, 6.0, 300.0),
    bench.Run("06_backend_agnostic", "jax", "notebook", 0, 45.0, 1200.0, 1500.0),
]


def test_summarize_takes_medians_per_notebook_and_backend():
    first, second = bench.summarize(RUNS)
    assert (first.notebook, first.wall_s, first.floor_s, first.peak_rss_mb) == (
        "00_start_here",
        10.0,
        5.0,
        410.0,
    )
    assert first.ratio == 2.0
    assert first.meets_targets
    # Notebooks 06 and 07 may take 60 s; the memory target is the same for all.
    assert second.time_target_s == 60.0
    assert not second.meets_targets


def test_markdown_table_has_one_row_per_notebook_and_backend():
    table = bench.markdown_table(bench.summarize(RUNS), repeats=3)
    rows = [line for line in table.splitlines() if line.startswith("| 0")]
    assert rows == [
        "| 00_start_here | jax | 10.0 | 5.0 | 2.0 | 410 | 510 | met |",
        "| 06_backend_agnostic | jax | 45.0 | 5.0 | 9.0 | 1200 | 1500 | **missed** |",
    ]
    assert table.startswith("Medians of 3 runs")


def test_memory_target_counts_the_subprocesses():
    light_kernel = bench.Summary("00_x", "jax", 10.0, 5.0, peak_rss_mb=600.0, peak_tree_mb=1100.0)
    assert not light_kernel.meets_targets
    assert bench.Summary("00_x", "jax", 10.0, 5.0, 600.0, 900.0).meets_targets


def test_tree_memory_adds_up_the_children(monkeypatch):
    class FakeProcess:
        def __init__(self, rss):
            self.rss = rss

        def memory_info(self):
            return self

        def children(self, recursive):
            assert recursive
            return [FakeProcess(2**20 * 300), FakeProcess(2**20 * 200)]

    import psutil

    monkeypatch.setattr(psutil, "Process", lambda pid: FakeProcess(2**20 * 500))
    with bench.TreeMemory(pid=1, interval=0.01) as tree:
        time.sleep(0.05)
    assert tree.peak_mb == 1000.0


def test_readme_block_is_replaced_between_the_markers():
    readme = f"intro\n{bench.README_START}\nold table\n{bench.README_END}\noutro\n"
    assert bench.replace_readme_block(readme, "new table\n") == (
        f"intro\n{bench.README_START}\nnew table\n{bench.README_END}\noutro\n"
    )
    with pytest.raises(ValueError, match="needs the markers"):
        bench.replace_readme_block("no markers here", "table")


def test_repeats_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--repeats", "0"])
    assert "--repeats must be at least 1. Received: 0" in capsys.readouterr().err


@pytest.mark.slow
def test_a_small_real_run_writes_csv_table_and_figure(tmp_path):
    # A two-cell notebook: this tests the benchmark, not a notebook (the nbval runs do that).
    notebook = tmp_path / "tiny.ipynb"
    cells = [nbformat.v4.new_code_cell(bench.FLOOR_SOURCE), nbformat.v4.new_code_cell("1 + 1")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    assert (
        bench.main(
            [
                "--repeats",
                "1",
                "--backends",
                "jax",
                "--output",
                str(tmp_path),
                "--no-readme",
                str(notebook),
            ]
        )
        == 0
    )
    with (tmp_path / "notebooks.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [(row["notebook"], row["kind"]) for row in rows] == [
        ("floor", "floor"),
        ("tiny", "notebook"),
    ]
    assert all(float(row["wall_s"]) > 0 and float(row["peak_rss_mb"]) > 50 for row in rows)
    assert all(float(row["peak_tree_mb"]) >= float(row["peak_rss_mb"]) for row in rows)
    assert "| tiny | jax |" in (tmp_path / "notebooks.md").read_text()
    assert (tmp_path / "notebooks.png").stat().st_size > 10_000


# --- the custom-ops micro-benchmark -------------------------------------------------------


def test_custom_ops_table_reports_ratios_and_flags_slow_ops():
    from benchmarks import custom_ops

    ratios = {"ratio_q1": 0.9, "ratio_q3": 1.1}
    results = {
        "jax": {
            "swish": {"swish": 0.002, "silu": 0.002, "ratio": 1.0, **ratios},
            "clip_gradient": {"clip_gradient": 0.003, "identity": 0.002, "ratio": 1.5, **ratios},
        }
    }
    rows = [line for line in custom_ops.markdown_table(results).splitlines() if "| jax" in line]
    assert rows == [
        "| jax | swish | silu | 2.00 | 2.00 | 1.00 | 0.90-1.10 |",
        "| jax | clip_gradient | identity | 3.00 | 2.00 | 1.50 (over 1.2) | 0.90-1.10 |",
    ]


@pytest.mark.parametrize(("custom", "built_in"), [("swish", "silu"), ("clip_gradient", "identity")])
def test_custom_ops_measure_pair_trains_both_models_on_this_backend(custom, built_in):
    from benchmarks import custom_ops

    result = custom_ops.measure_pair(custom, built_in, width=8, rounds=3, warmup=1)
    assert set(result) == {custom, built_in, "ratio", "ratio_q1", "ratio_q3"}
    assert 0 < result[custom] < 10
    assert 0 < result[built_in] < 10
    assert result["ratio_q1"] <= result["ratio"] <= result["ratio_q3"]


# --- the test-suite benchmark -------------------------------------------------------------


def test_suite_stages_follow_the_test_recipe_of_the_makefile():
    from benchmarks import test_suite

    makefile = "test: install-test\n\t$(MAKE) -q lint test-python\n\t$(MAKE) -j$(JOBS) a b\n"
    assert test_suite.stages_of(makefile, jobs=4) == [
        ("install", ["make", "--no-print-directory", "install"]),
        ("lint", ["make", "-q", "lint"]),
        ("test-python", ["make", "-q", "test-python"]),
        ("a b", ["make", "-j4", "a", "b"]),
    ]
    real = [name for name, _ in test_suite.stages_of((bench.REPO / "Makefile").read_text(), 2)]
    assert real[:3] == ["install", "lint", "test-python"]


@pytest.mark.parametrize(
    "makefile", ["lab:\n\techo\n", "test: install-test\n\tpytest tests\n"], ids=["none", "plain"]
)
def test_suite_stages_refuse_a_makefile_without_a_make_recipe(makefile):
    from benchmarks import test_suite

    with pytest.raises(ValueError, match="test"):
        test_suite.stages_of(makefile, jobs=2)


def test_suite_table_has_one_column_per_label_and_a_total():
    from benchmarks import test_suite

    rows = [
        {"label": "before", "ref": "aaa", "notebooks": "5", "stage": "lint", "seconds": "60"},
        {"label": "before", "ref": "aaa", "notebooks": "5", "stage": "old", "seconds": "120"},
        {"label": "after", "ref": "bbb", "notebooks": "7", "stage": "lint", "seconds": "30"},
    ]
    table = test_suite.markdown_table(rows)
    assert "| stage | before (aaa) | after (bbb) |" in table
    assert "| lint | 1.0 | 0.5 |" in table
    assert "| old | 2.0 | - |" in table
    assert "| **total** | **3.0** | **0.5** |" in table
    assert "| notebooks | 5 | 7 |" in table
