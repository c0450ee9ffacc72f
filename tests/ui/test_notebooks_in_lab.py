"""Every notebook, run by hand in a real JupyterLab: Run → Run All Cells, then look at it.

For each notebook in ``notebooks/`` (discovered, so a new one is covered the day it is
added): it runs top to bottom in a fresh kernel with no error, every code cell gets its
number, every figure of the stored run shows as a loaded image, and every interactive
explorer redraws its figure when a slider is moved with the keyboard and with the mouse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.ui import jupyterlab as lab_ui
from tools.project import NOTEBOOKS as ALL_NOTEBOOKS

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from tests.ui.conftest import LabServer

NOTEBOOKS = [path.name for path in ALL_NOTEBOOKS]
RUN_TIMEOUT_S = 480  # notebook 06 (fresh processes on every backend) takes about 2 min on 2 cores
REDRAW_TIMEOUT_S = 30


def open_notebook(page: Page, lab: LabServer, name: str, kernel: str) -> None:
    """Open a notebook and wait until its kernel exists and the status bar says Idle."""
    page.goto(lab.page_url(name))
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()

    def kernel_ready() -> bool:
        lab_ui.accept_kernel_dialog(page)
        sessions = lab.api("GET", "sessions")
        started = any(session["path"] == name for session in sessions)
        return started and lab_ui.kernel_is_idle(page, kernel)

    assert lab_ui.poll(kernel_ready, timeout_s=120), (
        f"no idle {kernel!r} kernel for {name}; status bar: {lab_ui.status_bar(page)!r}"
    )


def check_explorer(explorer: Locator) -> None:
    """Move every slider of an explorer by keyboard, then by mouse; its figure must redraw."""
    explorer.scroll_into_view_if_needed()
    sliders = lab_ui.sliders(explorer)
    assert sliders, "an explorer without a slider: teach tests/ui to move its controls"
    for slider in sliders:
        for how, move in (("keyboard", lab_ui.press_arrow), ("mouse", lab_ui.drag_handle)):
            before = lab_ui.explorer_state(explorer)
            assert before["image"], "the explorer shows no figure"
            move(slider)
            still = lab_ui.poll(
                lambda before=before: not lab_ui.unchanged(before, lab_ui.explorer_state(explorer)),
                timeout_s=REDRAW_TIMEOUT_S,
            )
            assert still, (
                f"moving {slider.get_attribute('aria-valuetext')!r} by {how} did not change: "
                f"{lab_ui.unchanged(before, lab_ui.explorer_state(explorer))}"
            )


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(page: Page, lab: LabServer, name: str) -> None:
    expected = lab_ui.expected_from(lab.root / name)
    open_notebook(page, lab, name, expected.kernel)

    lab_ui.run_all_cells(page)
    assert lab_ui.wait_for_run(page, expected.kernel, RUN_TIMEOUT_S), (
        f"Run All did not finish within {RUN_TIMEOUT_S} s: prompts {lab_ui.prompts(page)}"
    )
    assert lab_ui.save_notebook(page, lab.root / name), "File → Save Notebook saved nothing"
    errors = lab_ui.error_outputs(lab.root / name)
    assert not errors, f"cells raised errors: {errors}"
    numbered = [f"[{number}]:" for number in range(1, expected.code_cells + 1)]
    assert lab_ui.prompts(page) == numbered, "not every code cell ran, once, in order"

    assert lab_ui.poll(lambda: lab_ui.loaded_figures(page) >= expected.figures, 30), (
        f"{lab_ui.loaded_figures(page)} figures rendered as images, expected {expected.figures}"
    )
    explorers = lab_ui.widget_views(page)
    assert len(explorers) == expected.explorers, "not every interactive explorer is shown"
    for explorer in explorers:
        check_explorer(explorer)
    assert lab_ui.poll(lambda: lab_ui.kernel_is_idle(page, expected.kernel), 60), (
        f"the kernel did not return to idle: {lab_ui.status_bar(page)!r}"
    )
