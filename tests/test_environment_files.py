"""One source of truth: the pip pins in requirements/*.txt, mirrored by the conda files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from tools.project import REPO, REQUIREMENTS, normalize, read_requirements


def read_conda(path: Path) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Return (conda specs, pip pins, other pip lines) of a conda environment file."""
    spec = yaml.safe_load(path.read_text())
    assert spec.get("channels") == ["conda-forge"], f"{path.name}: use the conda-forge channel only"
    conda: dict[str, str] = {}
    pip: dict[str, str] = {}
    other: list[str] = []
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            for line in entry["pip"]:
                if "==" in line:
                    name, version = line.split("==")
                    pip[normalize(name)] = version.strip()
                else:
                    other.append(line)
        else:
            name, _, version = entry.partition("=")
            conda[name] = version
    return conda, pip, other


@pytest.fixture(scope="module")
def pins() -> dict[str, dict[str, str]]:
    return {name: read_requirements(path) for name, path in REQUIREMENTS.items()}


def test_requirement_files_are_pinned_commented_and_disjoint(pins):
    seen: dict[str, str] = {}
    for file_name, file_pins in pins.items():
        assert file_pins, f"requirements/{file_name}.txt pins nothing"
        for package in file_pins:
            assert package not in seen, (
                f"{package} is pinned in both {seen.get(package)} and {file_name}"
            )
            seen[package] = file_name


def test_environment_yml_mirrors_every_pin(pins):
    conda, pip, other = read_conda(REPO / "environment.yml")
    expected = {**pins["lab"], **pins["backends"], **pins["test"]}
    assert pip == expected
    assert conda == {"python": "3.11", "pip": ""}
    assert other == ["-e ."], "environment.yml must install the helpers package (`-e .`)"


def test_binder_environment_mirrors_the_lab_pins(pins):
    conda, pip, other = read_conda(REPO / "binder" / "environment.yml")
    assert pip == pins["lab"]
    assert conda == {"python": "3.11", "pip": ""}
    assert other == []
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build


@pytest.mark.parametrize("path", ["environment.yml", "binder/environment.yml"])
def test_every_conda_dependency_says_why_it_is_there(path):
    lines = (REPO / path).read_text().splitlines()
    start = lines.index("dependencies:")
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if stripped.startswith("- ") and stripped != "- pip:":
            assert "#" in stripped, f"{path}: add a comment saying why {stripped!r} is needed"


def test_python_version_agrees_everywhere():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # No upper bound: Colab and Kaggle install the helpers into their own Python. The Makefile's
    # list of supported versions is tested in test_python_versions.py.
    assert project["requires-python"] == ">=3.11"
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in ci


def test_licences_are_there_and_named_in_the_readme():
    """Code under Apache-2.0 (as pyproject.toml declares), text and figures under CC BY 4.0."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    code = (REPO / "LICENSE").read_text()
    assert code.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in code
    assert "END OF TERMS AND CONDITIONS" in code
    content = (REPO / "LICENSE-CONTENT.md").read_text()
    assert "Creative Commons Attribution 4.0 International" in content
    assert "https://creativecommons.org/licenses/by/4.0/" in content
    readme = (REPO / "README.md").read_text()
    for name in ("[`LICENSE`](LICENSE)", "[`LICENSE-CONTENT.md`](LICENSE-CONTENT.md)"):
        assert name in readme
