"""The test harness itself: isolation from the user's home, and `make execute`'s entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import harness
from tools.project import REPO


def test_isolate_points_every_directory_into_the_given_folder(tmp_path, monkeypatch):
    for variable in harness.ISOLATED_DIRS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    assert harness.isolate(tmp_path) == tmp_path
    for variable, sub_folder in harness.ISOLATED_DIRS.items():
        assert os.environ[variable] == str(tmp_path / sub_folder)
        assert (tmp_path / sub_folder).is_dir()
    config = tmp_path / "ipython" / "profile_default" / "ipython_kernel_config.py"
    assert config.read_text() == "c.IPKernelApp.capture_fd_output = False\n"
    # Figures must render inline; MPLBACKEND=Agg in a user's environment would hide them.
    assert os.environ["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"


def test_this_session_is_isolated_from_home():
    """conftest.py isolated this run: nothing points into the user's home directory."""
    home = Path.home().resolve()
    for variable in harness.ISOLATED_DIRS:
        folder = Path(os.environ[variable]).resolve()
        assert home not in folder.parents, f"{variable}={folder} is inside {home}"


@pytest.mark.slow
def test_keras_writes_its_config_into_the_isolated_folder(tmp_path):
    """Keras writes keras.json on first import: under the tests it lands in KERAS_HOME."""
    keras_home = tmp_path / "keras"
    subprocess.run(
        [sys.executable, "-c", "import keras"],
        env={**os.environ, "KERAS_HOME": str(keras_home), "KERAS_BACKEND": "jax"},
        check=True,
        capture_output=True,
    )
    assert (keras_home / "keras.json").is_file()


@pytest.mark.slow
def test_helpers_import_from_any_working_directory(tmp_path):
    """Notebooks rely on the editable install, not on the current directory."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", "import helpers; print(helpers.__file__)"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert Path(result.stdout.strip()) == REPO / "helpers" / "__init__.py"


def test_execute_refuses_a_missing_notebook(capsys):
    with pytest.raises(SystemExit) as exit_info:
        harness.main(["execute", "notebooks/99_missing.ipynb"])
    assert exit_info.value.code == 2
    assert "no such notebook: notebooks/99_missing.ipynb" in capsys.readouterr().err


def test_coalesce_streams_merges_consecutive_text_of_the_same_stream():
    from nbformat.v4 import new_output

    outputs = [
        new_output("stream", name="stdout", text="a\n"),
        new_output("stream", name="stdout", text="b\n"),
        new_output("stream", name="stderr", text="warning\n"),
        new_output("display_data", data={"text/plain": "<Figure>"}),
        new_output("stream", name="stdout", text="c\n"),
        new_output("stream", name="stdout", text="d\n"),
    ]
    merged = harness.coalesce_streams(outputs)
    assert [(output.output_type, output.get("text")) for output in merged] == [
        ("stream", "a\nb\n"),
        ("stream", "warning\n"),
        ("display_data", None),
        ("stream", "c\nd\n"),
    ]
