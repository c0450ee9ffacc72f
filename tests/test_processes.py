"""Tests for :mod:`helpers.processes`: fresh processes on a chosen backend, and bad arguments.

The tests that start a process are ``slow``; the argument checks run before anything starts.
"""

from __future__ import annotations

import re
import time

import pytest

from helpers.processes import run_fresh, run_script, run_workers


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"code": b"print(1)"}, TypeError, "Received: code=b'print(1)'", id="bytes"),
        pytest.param({"backend": "numpy"}, ValueError, "Received: backend='numpy'", id="backend"),
        pytest.param({"backend": "JAX"}, ValueError, "or None", id="case"),
        pytest.param({"env": {"A": 1}}, TypeError, "map strings to strings", id="env-value"),
        pytest.param(
            {"env": {"KERAS_BACKEND": "jax"}},
            ValueError,
            "backend=`, not through",
            id="env-backend",
        ),
        pytest.param({"args": "x"}, TypeError, "Received: args='x'", id="args-string"),
        pytest.param({"args": [1]}, TypeError, "sequence of strings", id="args-int"),
        pytest.param({"timeout": 0}, ValueError, "Received: timeout=0", id="timeout-zero"),
        pytest.param({"timeout": True}, ValueError, "positive number", id="timeout-bool"),
        pytest.param({"timeout": "5"}, ValueError, "Received: timeout='5'", id="timeout-str"),
    ],
)
def test_run_fresh_rejects_invalid_input(kwargs, error, match):
    arguments = {"code": "print(1)", "backend": "jax", **kwargs}
    with pytest.raises(error, match=re.escape(match)):
        run_fresh(**arguments)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_run_fresh_runs_on_the_chosen_backend_with_env_and_args(backend):
    code = "import os, sys, keras; print(keras.config.backend(), os.environ['EXTRA'], sys.argv[1:])"
    printed = run_fresh(code, backend=backend, env={"EXTRA": "yes"}, args=["a", "b"])
    assert printed == f"{backend} yes ['a', 'b']\n"


@pytest.mark.slow
def test_run_fresh_without_backend_leaves_keras_backend_unset(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")  # inherited unless run_fresh removes it
    printed = run_fresh("import os; print(os.environ.get('KERAS_BACKEND'))", backend=None)
    assert printed == "None\n"


@pytest.mark.slow
def test_run_fresh_failure_quotes_the_error_output():
    with pytest.raises(RuntimeError, match=r"exit status 3\)(.|\n)*the reason"):
        run_fresh("import sys; sys.stderr.write('the reason'); sys.exit(3)", backend="jax")


@pytest.mark.slow
def test_run_fresh_stops_a_process_that_runs_too_long():
    with pytest.raises(RuntimeError, match=re.escape("longer than 0.5 s")):
        run_fresh("import time; time.sleep(30)", backend="jax", timeout=0.5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"world_size": 0}, ValueError, "Received: world_size=0", id="zero"),
        pytest.param({"world_size": 9}, ValueError, "from 1 to 8", id="nine"),
        pytest.param({"world_size": True}, ValueError, "Received: world_size=True", id="bool"),
        pytest.param({"world_size": "2"}, ValueError, "Received: world_size='2'", id="str"),
        pytest.param({"env": {"RANK": "1"}}, ValueError, "sets RANK itself", id="rank"),
        pytest.param(
            {"env": {"MASTER_PORT": "1", "WORLD_SIZE": "3"}},
            ValueError,
            "sets MASTER_PORT, WORLD_SIZE itself",
            id="port-size",
        ),
        pytest.param({"backend": "numpy"}, ValueError, "Received: backend='numpy'", id="backend"),
        pytest.param({"code": None}, TypeError, "Received: code=None", id="code"),
        pytest.param({"timeout": -1}, ValueError, "Received: timeout=-1", id="timeout"),
    ],
)
def test_run_workers_rejects_invalid_input(kwargs, error, match):
    arguments = {"code": "print(1)", "world_size": 2, "backend": "torch", **kwargs}
    with pytest.raises(error, match=re.escape(match)):
        run_workers(**arguments)


@pytest.mark.slow
def test_run_workers_starts_the_ranks_of_one_group():
    code = (
        "import os; print(*(os.environ[name] for name in "
        "('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT', 'KERAS_BACKEND')))"
    )
    printed = [line.split() for line in run_workers(code, world_size=3, backend="jax")]
    assert [words[:5] for words in printed] == [
        [str(rank), str(rank), "3", "127.0.0.1", printed[0][4]] for rank in range(3)
    ]
    assert {words[5] for words in printed} == {"jax"}
    assert printed[0][4].isdigit()


@pytest.mark.slow
def test_run_workers_ranks_can_form_a_torch_process_group():
    code = """
import torch, torch.distributed as dist
dist.init_process_group("gloo")
value = torch.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(value)
print(dist.get_rank(), value.item())
dist.destroy_process_group()
"""
    assert run_workers(code, world_size=2, backend="torch", timeout=120) == ["0 3.0\n", "1 3.0\n"]


@pytest.mark.slow
def test_run_workers_reports_a_failed_rank_without_waiting_for_the_others():
    code = (
        "import os, sys, time\n"
        "if os.environ['RANK'] == '1':\n"
        "    sys.stderr.write('rank one broke'); sys.exit(4)\n"
        "time.sleep(60)  # as a rank waiting for the failed one would\n"
    )
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"Rank 1 of 2 (.|\n)*status 4(.|\n)*rank one broke"):
        run_workers(code, world_size=2, backend="jax", timeout=50)
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_run_workers_stops_ranks_that_run_too_long():
    with pytest.raises(RuntimeError, match=re.escape("ran longer than 0.5 s")):
        run_workers("import time; time.sleep(30)", world_size=2, backend="jax", timeout=0.5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"script": 3}, TypeError, "Received: script=3", id="not-a-path"),
        pytest.param({"script": "missing.py"}, FileNotFoundError, "%%writefile", id="missing"),
        pytest.param({"backend": "numpy"}, ValueError, "Received: backend='numpy'", id="backend"),
        pytest.param({"nproc_per_node": 0}, ValueError, "nproc_per_node=0", id="nproc-zero"),
        pytest.param({"nproc_per_node": True}, ValueError, "int from 1 to 8", id="nproc-bool"),
        pytest.param({"env": {"KERAS_BACKEND": "jax"}}, ValueError, "backend=`", id="env"),
        pytest.param({"args": "x"}, TypeError, "Received: args='x'", id="args-string"),
        pytest.param({"timeout": -1}, ValueError, "Received: timeout=-1", id="timeout"),
        pytest.param({"placeholders": {"$W": 1}}, TypeError, "map strings", id="placeholders"),
    ],
)
def test_run_script_rejects_invalid_input(kwargs, error, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "script.py").write_text("print(1)\n")
    arguments = {"script": "script.py", "backend": "jax", **kwargs}
    with pytest.raises(error, match=re.escape(match)):
        run_script(**arguments)


@pytest.mark.slow
def test_run_script_prints_the_command_and_returns_the_output(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "show.py").write_text(
        "import os, sys\nprint(os.environ['KERAS_BACKEND'], os.environ['EXTRA'], sys.argv[1:])\n"
    )
    printed = run_script("show.py", backend="jax", env={"EXTRA": "a b"}, args=["1"])
    assert printed == "jax a b ['1']\n"
    assert capsys.readouterr().out == "$ KERAS_BACKEND=jax EXTRA='a b' python show.py 1\n"
    run_script(
        "show.py", backend="jax", env={"EXTRA": str(tmp_path)}, placeholders={"$T": str(tmp_path)}
    )
    assert capsys.readouterr().out == "$ KERAS_BACKEND=jax EXTRA=$T python show.py\n"


@pytest.mark.slow
def test_run_script_failure_quotes_the_error_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fail.py").write_text("import sys\nsys.stderr.write('the reason')\nsys.exit(3)\n")
    with pytest.raises(RuntimeError, match=r"exit status 3\)(.|\n)*the reason"):
        run_script("fail.py", backend=None, echo=False)


@pytest.mark.slow
def test_run_script_stops_a_script_that_runs_too_long(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sleep.py").write_text("import time\ntime.sleep(30)\n")
    with pytest.raises(RuntimeError, match=r"longer than 0\.5 s"):
        run_script("sleep.py", backend=None, timeout=0.5, echo=False)


@pytest.mark.slow
def test_run_script_with_torchrun_starts_ranks_that_meet_on_the_loopback(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ranks.py").write_text(
        "import os\n"
        "import torch\n"
        "import torch.distributed as dist\n\n"
        'dist.init_process_group("gloo")\n'
        "total = torch.tensor([dist.get_rank() + 1.0])\n"
        "dist.all_reduce(total)\n"
        "line = f\"{os.environ['MASTER_ADDR']} {dist.get_rank()} {dist.get_world_size()} "
        '{total.item()}\\n"\n'
        "os.write(1, line.encode())  # one write: the ranks print at the same time\n"
        "dist.destroy_process_group()\n"
    )
    printed = run_script("ranks.py", backend="torch", nproc_per_node=2, timeout=120)
    assert sorted(printed.splitlines()) == ["127.0.0.1 0 2 3.0", "127.0.0.1 1 2 3.0"]
    assert capsys.readouterr().out == "$ KERAS_BACKEND=torch torchrun --nproc_per_node=2 ranks.py\n"
