"""Right answers pass on any inputs: each ``*_passes_right_answers`` test runs twice, with the
checks' own inputs and with the inputs of the grader's independent run (a secret seed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.checks import _base

#: Secrets as the grader draws them (64 bits), fixed here so that a failure can be rerun.
SECRET = 0x9E3779B97F4A7C15


@pytest.fixture
def inputs(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "notebook inputs":
        yield request.param
        return
    judging = {"secret": SECRET, "outcomes": []}
    _base._JUDGING = judging
    try:
        yield request.param
    finally:
        _base._JUDGING = None
    assert judging["outcomes"], "the check recorded no result"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.function.__name__.endswith("_passes_right_answers"):
        metafunc.fixturenames.append("inputs")
        metafunc.parametrize("inputs", ["notebook inputs", "secret inputs"], indirect=True)
