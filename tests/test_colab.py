"""Google Colab and Kaggle: every notebook opens on Colab from its badge, and on both platforms
installs only what they lack.

Each notebook's setup cell opens with the same preamble: on Colab or Kaggle, and only when
`helpers` is not importable, it installs this repository's `helpers` package with `%pip`;
anywhere else it does nothing and prints nothing. Each platform is recognised by what it sets
itself: Colab's `google.colab` module, Kaggle's `KAGGLE_KERNEL_RUN_TYPE` environment variable.
The behavioural tests run that preamble (as IPython would transform it) in a fresh Python with
a faked platform and a recording `%pip`, so nothing is ever installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from tools.project import NOTEBOOKS, REPO, REPOSITORY

INSTALL_URL = f"git+{REPOSITORY}@main"
SETUP_LINE = 'os.environ.setdefault("KERAS_BACKEND", "tensorflow")'
COLAB_NOTEBOOK_URL = "https://colab.research.google.com/github/"
KAGGLE_NOTEBOOK_URL = "https://kaggle.com/kernels/welcome?src="

# Runs the preamble in a fresh interpreter (started with -S -E, so the installed `helpers` is
# out of reach) and records what it asked to install, through `%pip` or through subprocess.
DRIVER = textwrap.dedent(
    """
    import importlib.util, json, os, subprocess, sys, types

    code, scenario, result_path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    if scenario["platform"] == "colab":
        sys.modules["google.colab"] = types.ModuleType("google.colab")
    if scenario["platform"] == "kaggle":
        os.environ["KAGGLE_KERNEL_RUN_TYPE"] = "Interactive"
    if scenario["helpers_dir"]:
        sys.path.insert(0, scenario["helpers_dir"])
    requests = []

    class Shell:
        def run_line_magic(self, name, line):
            requests.append({"magic": name, "args": line.split()})

        def system(self, command):
            requests.append({"magic": "!", "args": command.split()})

    def record(args, *rest, **kwargs):
        requests.append({"subprocess": [str(arg) for arg in args]})
        return subprocess.CompletedProcess(args, 0, "", "")

    for name in ("run", "call", "check_call", "check_output", "Popen"):
        setattr(subprocess, name, record)
    os.system = lambda command: record(command.split())
    helpers_importable = importlib.util.find_spec("helpers") is not None
    exec(code, {"__name__": "__main__", "get_ipython": Shell})
    with open(result_path, "w") as result:
        json.dump({
            "requests": requests,
            "helpers_importable": helpers_importable,
            "backend": os.environ.get("KERAS_BACKEND"),
        }, result)
    """
)


def notebook_id(path: Path) -> str:
    return path.name


def setup_cell_source(path: Path) -> str:
    """The first code cell after the `## Setup` heading."""
    cells = nbformat.read(path, as_version=4).cells
    heading = next(
        index
        for index, cell in enumerate(cells)
        if cell.cell_type == "markdown" and cell.source.startswith("## Setup")
    )
    return next(cell.source for cell in cells[heading:] if cell.cell_type == "code")


def preamble(path: Path) -> str:
    """The setup cell up to and including the line that chooses the backend."""
    source = setup_cell_source(path)
    assert SETUP_LINE in source, f"{path.name}: the setup cell must contain {SETUP_LINE}"
    return source[: source.index(SETUP_LINE) + len(SETUP_LINE)]


def colab_badge(notebook_name: str) -> str:
    github_path = REPOSITORY.removeprefix("https://github.com/")
    return (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({COLAB_NOTEBOOK_URL}{github_path}/blob/main/notebooks/{notebook_name})"
    )


def kaggle_badge(notebook_name: str) -> str:
    return (
        "[![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)]"
        f"({KAGGLE_NOTEBOOK_URL}{REPOSITORY}/blob/main/notebooks/{notebook_name})"
    )


def test_the_repository_url_is_on_github():
    assert REPOSITORY.startswith("https://github.com/"), "Colab opens notebooks from GitHub"
    assert not REPOSITORY.endswith(("/", ".git")), f"write the bare repository URL: {REPOSITORY}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_header_has_the_colab_badge_of_this_notebook(path):
    header = nbformat.read(path, as_version=4).cells[0].source
    assert colab_badge(path.name) in header, (
        f"{path.name}: add its Colab badge to the header cell:\n{colab_badge(path.name)}"
    )
    assert header.count(COLAB_NOTEBOOK_URL) == 1, f"{path.name}: one Colab badge, its own"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_header_has_the_kaggle_badge_of_this_notebook_next_to_colabs(path):
    header = nbformat.read(path, as_version=4).cells[0].source
    badges = f"{colab_badge(path.name)} {kaggle_badge(path.name)}"
    assert badges in header, f"{path.name}: put its Kaggle badge after Colab's:\n{badges}"
    assert header.count(KAGGLE_NOTEBOOK_URL) == 1, f"{path.name}: one Kaggle badge, its own"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_readme_row_has_the_colab_badge_of_this_notebook(path):
    rows = [
        line
        for line in (REPO / "README.md").read_text().splitlines()
        if line.startswith("|") and f"](notebooks/{path.name})" in line
    ]
    assert len(rows) == 1, f"README: one row of the notebooks table must link {path.name}"
    assert colab_badge(path.name) in rows[0], (
        f"README: the row of {path.name} needs its Colab badge:\n{colab_badge(path.name)}"
    )
    assert rows[0].count(COLAB_NOTEBOOK_URL) == 1


def test_every_setup_cell_opens_with_the_same_preamble():
    preambles = {path.name: preamble(path) for path in NOTEBOOKS}
    reference = preamble(REPO / "notebooks" / "00_start_here.ipynb")
    different = [name for name, text in preambles.items() if text != reference]
    assert not different, (
        f"these setup cells must open exactly like 00_start_here's:\n{reference}\n\n"
        f"but differ: {different}"
    )
    assert reference.count(INSTALL_URL) == 1, f"the preamble must install {INSTALL_URL}"


def run_preamble(tmp_path: Path, *, platform: str, helpers_importable: bool) -> dict:
    """Run notebook 00's preamble as IPython would, in a fresh Python; return what it did."""
    code = TransformerManager().transform_cell(preamble(REPO / "notebooks" / "00_start_here.ipynb"))
    helpers_dir = ""
    if helpers_importable:
        fake = tmp_path / "site" / "helpers"
        fake.mkdir(parents=True)
        (fake / "__init__.py").write_text('"""A stand-in for the installed helpers."""\n')
        helpers_dir = str(fake.parent)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    result_path = tmp_path / "result.json"
    scenario = json.dumps({"platform": platform, "helpers_dir": helpers_dir})
    ours = ("KERAS_BACKEND", "KAGGLE_KERNEL_RUN_TYPE")  # the scenario decides these
    env = {key: value for key, value in os.environ.items() if key not in ours}
    completed = subprocess.run(
        [sys.executable, "-S", "-E", str(driver), code, scenario, str(result_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert (completed.stdout, completed.stderr) == ("", ""), "the preamble must print nothing"
    result = json.loads(result_path.read_text())
    assert result["helpers_importable"] is helpers_importable, "the scenario was not set up"
    assert result["backend"] == "tensorflow", "the preamble must still choose the backend"
    return result


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["colab", "kaggle"])
def test_hosted_without_helpers_installs_them_from_this_repository(tmp_path, platform):
    requests = run_preamble(tmp_path, platform=platform, helpers_importable=False)["requests"]
    assert len(requests) == 1, f"expected one install, got {requests}"
    (request,) = requests
    args = request.get("args") or request["subprocess"]
    if "subprocess" in request:  # [python, -m, pip, install, ...]
        assert args[:3] == [sys.executable, "-m", "pip"], args
        args = args[3:]
    else:
        assert request["magic"] == "pip", request
    assert args[0] == "install", args
    packages = [arg for arg in args[1:] if not arg.startswith("-")]
    assert packages == [INSTALL_URL], f"install exactly {INSTALL_URL}, got {args}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("platform", "helpers_importable"),
    [("colab", True), ("kaggle", True), ("local", True), ("local", False)],
    ids=["colab-with-helpers", "kaggle-with-helpers", "local", "local-without-helpers"],
)
def test_installs_nothing_elsewhere_or_when_helpers_are_there(
    tmp_path, platform, helpers_importable
):
    result = run_preamble(tmp_path, platform=platform, helpers_importable=helpers_importable)
    assert result["requests"] == [], f"nothing may be installed here: {result['requests']}"
