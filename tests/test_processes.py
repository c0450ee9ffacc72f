"""Tests for :mod:`helpers.processes`: fresh processes on a chosen backend, and bad arguments.

The tests that start a process are ``slow``; the argument checks run before anything starts.
"""

from __future__ import annotations

import re

import pytest

from helpers.processes import run_fresh


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
