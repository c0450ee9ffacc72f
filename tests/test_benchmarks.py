"""The notebook benchmark's bookkeeping, and one small real run (`make bench` must work)."""

from __future__ import annotations

import csv

import pytest

from benchmarks import run_notebooks as bench

RUNS = [
    bench.Run("00_start_here", "jax", "notebook", 0, 9.0, 400.0),
    bench.Run("00_start_here", "jax", "notebook", 1, 11.0, 420.0),
    bench.Run("00_start_here", "jax", "notebook", 2, 10.0, 410.0),
    bench.Run("floor", "jax", "floor", 0, 4.0, 300.0),
    bench.Run("floor", "jax", "floor", 1, 5.0, 300.0),
    bench.Run("floor", "jax", "floor", 2, 6.0, 300.0),
    bench.Run("05_backend_agnostic", "jax", "notebook", 0, 45.0, 1200.0),
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
    # Notebooks 05 and 06 may take 60 s; the memory target is the same for all.
    assert second.time_target_s == 60.0
    assert not second.meets_targets


def test_markdown_table_has_one_row_per_notebook_and_backend():
    table = bench.markdown_table(bench.summarize(RUNS), repeats=3)
    rows = [line for line in table.splitlines() if line.startswith("| 0")]
    assert rows == [
        "| 00_start_here | jax | 10.0 | 5.0 | 2.0 | 410 | met |",
        "| 05_backend_agnostic | jax | 45.0 | 5.0 | 9.0 | 1200 | **missed** |",
    ]
    assert table.startswith("Medians of 3 runs")


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
    notebook = bench.REPO / "notebooks" / "00_start_here.ipynb"
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
        ("00_start_here", "notebook"),
    ]
    assert all(float(row["wall_s"]) > 0 and float(row["peak_rss_mb"]) > 50 for row in rows)
    assert "| 00_start_here | jax |" in (tmp_path / "notebooks.md").read_text()
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
