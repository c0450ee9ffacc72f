"""The Binder image: what mybinder.org would build from a clean copy of the repository.

`repo2docker --no-build` (the tool mybinder.org runs) picks a buildpack and prints the
Dockerfile it would build, without a container engine. The tests read that Dockerfile: the
image must come from binder/ (conda buildpack, Python 3.11, binder/environment.yml and
binder/postBuild), never from the root environment.yml or any requirements file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.project import REPO, REPOSITORY

# Every test here uses repo2docker's rendering: one Python process, so all are slow.
pytestmark = pytest.mark.slow

BINDER = REPO / "binder"
START_NOTEBOOK = "notebooks/00_start_here.ipynb"


def clean_copy(destination: Path) -> Path:
    """Copy the repository without what .gitignore excludes (.venv, caches) or .git."""
    patterns = [
        line.strip().rstrip("/")
        for line in (REPO / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    shutil.copytree(REPO, destination, ignore=shutil.ignore_patterns(".git", *patterns))
    return destination


@pytest.fixture(scope="module")
def repo2docker(tmp_path_factory) -> tuple[str, str]:
    """(Dockerfile, log) that repo2docker renders for a clean copy of the repository."""
    work = tmp_path_factory.mktemp("binder")
    copy = clean_copy(work / "repository")
    result = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--no-run", str(copy)],
        cwd=work,  # repo2docker looks for its own config file in the working directory
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        "repo2docker --no-build failed (is jupyter-repo2docker from requirements/test.txt "
        f"installed?):\n{result.stderr}"
    )
    assert "FROM " in result.stdout, f"repo2docker printed no Dockerfile:\n{result.stdout}"
    return result.stdout, result.stderr


def test_conda_buildpack_on_python_3_11(repo2docker):
    _, log = repo2docker
    assert "Building conda environment for python=3.11" in log, (
        f"repo2docker should pick the conda buildpack with Python 3.11 (binder/environment.yml); "
        f"its log:\n{log}"
    )


def test_image_uses_binder_files_only(repo2docker):
    dockerfile, _ = repo2docker
    conda_files = re.findall(r'env update -p \S+ --file "([^"]+)"', dockerfile)
    assert conda_files == ["binder/environment.yml"], (
        f"the image must install binder/environment.yml only, not {conda_files}"
    )
    # The environment file first (its layer is cached), then the whole repository ("").
    copied = re.findall(r"^COPY \S+ src/(\S*) ", dockerfile, re.MULTILINE)
    assert copied == ["binder/environment.yml", ""], f"unexpected copies from the repo: {copied}"
    assert "requirements" not in dockerfile, "a requirements file would install more than binder/"
    assert "setup.py" not in dockerfile


def test_image_runs_post_build_and_no_start_script(repo2docker):
    dockerfile, _ = repo2docker
    assert "RUN ./binder/postBuild" in dockerfile
    # binder/start is deliberately absent (see binder/environment.yml); if one is added, it
    # must be wired into the image, and must hand over to the server with `exec "$@"`.
    start = BINDER / "start"
    if start.exists():
        assert "binder/start" in dockerfile
        assert start.read_text().rstrip().endswith('exec "$@"')
    else:
        assert "binder/start" not in dockerfile


def test_post_build_matches_notebook_to_the_pinned_jupyterlab():
    """Binder launches `notebook` 7.N, which needs JupyterLab 4.N: keep the two in step."""
    lab_txt = (REPO / "requirements" / "lab.txt").read_text()
    lab_pin = re.search(r"^jupyterlab==4\.(\d+)\.", lab_txt, re.MULTILINE)
    notebook_pin = re.search(r"notebook==7\.(\d+)\.\d+", (BINDER / "postBuild").read_text())
    assert lab_pin, "requirements/lab.txt must pin jupyterlab==4.N.x"
    assert notebook_pin, "binder/postBuild must install notebook==7.N.x"
    assert notebook_pin[1] == lab_pin[1], (
        f"binder/postBuild installs notebook 7.{notebook_pin[1]}, which does not match "
        f"jupyterlab 4.{lab_pin[1]} from requirements/lab.txt: use notebook==7.{lab_pin[1]}.*"
    )


def test_readme_binder_badge_opens_notebook_00():
    github_path = REPOSITORY.removeprefix("https://github.com/")
    badge = (
        "[![Binder](https://mybinder.org/badge_logo.svg)]"
        f"(https://mybinder.org/v2/gh/{github_path}/main?urlpath=lab/tree/{START_NOTEBOOK})"
    )
    assert badge in (REPO / "README.md").read_text(), f"the README needs the Binder badge {badge}"
    assert (REPO / START_NOTEBOOK).is_file()
