"""What the browser tests do to JupyterLab 4, and what they read back from it.

Small helpers over a Playwright ``Page``: click a menu, wait for the kernel, read the cell
prompts, count rendered figures, move a slider. They know JupyterLab's DOM; the tests only
say what should happen. What JupyterLab cannot tell in its DOM (an error output renders
exactly like text on stderr, a warning for instance) is read from the notebook file that
the page itself saves.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DEFAULT_KERNEL = "Python 3 (ipykernel)"  # what JupyterLab proposes for a notebook without one
STATUS_BAR = "#jp-main-statusbar"
CODE_PROMPTS = ".jp-Notebook .jp-CodeCell .jp-InputPrompt"
# Top-level widget views (an explorer: its controls and its figure) in cell outputs.
WIDGET_VIEWS = ".jp-Notebook .jp-OutputArea-output > .jupyter-widgets"
# Figures that loaded, outside widget views (those are checked per explorer).
LOADED_FIGURES_JS = """() => Array.from(
    document.querySelectorAll('.jp-Notebook .jp-OutputArea-output img')
).filter(img => !img.closest('.jupyter-widgets') && img.complete && img.naturalWidth > 0)
 .length"""


@dataclass(frozen=True)
class Expected:
    """What a notebook's stored run shows, which a run in the browser must show too."""

    code_cells: int
    figures: int  # image/png outputs outside widget views
    explorers: int  # widget views (helpers.widgets.explore)
    kernel: str  # the kernel's display name, as the status bar shows it


def expected_from(path: Path) -> Expected:
    """Read the expected cells, figures, explorers and kernel from a stored notebook."""
    notebook = json.loads(path.read_text())
    cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    data = [output.get("data", {}) for cell in cells for output in cell.get("outputs", [])]
    return Expected(
        code_cells=len(cells),
        figures=sum("image/png" in bundle and WIDGET_VIEW not in bundle for bundle in data),
        explorers=sum(WIDGET_VIEW in bundle for bundle in data),
        kernel=notebook["metadata"].get("kernelspec", {}).get("display_name", DEFAULT_KERNEL),
    )


def error_outputs(path: Path) -> list[str]:
    """``cell N: Name: message`` for every error output of a saved notebook."""
    notebook = json.loads(path.read_text())
    return [
        f"cell {index}: {output['ename']}: {output['evalue']}"
        for index, cell in enumerate(notebook["cells"])
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def poll(check: Callable[[], bool], timeout_s: float, interval_s: float = 0.25) -> bool:
    """Call ``check`` until it returns True (then True) or ``timeout_s`` passes (False)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval_s)


def click_menu(page: Page, menu: str, item: str) -> None:
    """Click ``menu`` in the menu bar, then ``item`` in the menu that opens."""
    page.locator(".lm-MenuBar").get_by_role("menuitem", name=menu, exact=True).click()
    # By its label: an item's accessible name also holds its shortcut ("Save Notebook Ctrl+S").
    label = re.compile(rf"^{re.escape(item)}$")
    page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=label).click()


def status_bar(page: Page) -> str:
    """The status bar's text on one line, e.g. ``Python 3 (ipykernel) | Idle``."""
    return " ".join(page.locator(STATUS_BAR).inner_text().split())


def accept_kernel_dialog(page: Page) -> None:
    """If JupyterLab asks which kernel to start, accept the one it proposes."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if dialog.count():
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()


def kernel_is_idle(page: Page, kernel: str) -> bool:
    """Whether the status bar shows ``kernel`` and Idle (it says Idle before any kernel too)."""
    return f"{kernel} | Idle" in status_bar(page)


def prompts(page: Page) -> list[str]:
    """The input prompts of every code cell: ``[3]:``, ``[*]:`` (queued or running), ``[ ]:``."""
    return [" ".join(text.split()) for text in page.locator(CODE_PROMPTS).all_inner_texts()]


def run_all_cells(page: Page) -> None:
    """Show every cell's code, clear stored outputs, then Run → Run All Cells, by the menus.

    Collapsed cells (the exercise solutions) show no prompt, so their code is expanded
    first; clearing the outputs makes every figure counted afterwards a new one.
    """
    click_menu(page, "View", "Expand All Code")
    click_menu(page, "Edit", "Clear Outputs of All Cells")
    click_menu(page, "Run", "Run All Cells")


def wait_for_run(page: Page, kernel: str, timeout_s: float) -> bool:
    """Wait until the run has started, then until no cell is queued and the kernel is idle."""
    started = poll(lambda: any(prompt != "[ ]:" for prompt in prompts(page)), timeout_s=30)
    return started and poll(
        lambda: "[*]:" not in prompts(page) and kernel_is_idle(page, kernel), timeout_s
    )


def save_notebook(page: Page, path: Path, timeout_s: float = 30) -> bool:
    """File → Save Notebook, then wait until the file on disk has changed and is whole again
    (the server may be caught between emptying the file and writing it)."""
    before = path.stat().st_mtime_ns
    click_menu(page, "File", "Save Notebook")
    return poll(lambda: path.stat().st_mtime_ns != before and _is_json(path), timeout_s)


def _is_json(path: Path) -> bool:
    """Whether the file holds a whole JSON document."""
    try:
        json.loads(path.read_text())
    except ValueError:  # empty or half written
        return False
    return True


def loaded_figures(page: Page) -> int:
    """How many figure images outside widget views have loaded (natural width above 0)."""
    return page.evaluate(LOADED_FIGURES_JS)


def widget_views(page: Page) -> list[Locator]:
    """Every top-level widget view in the notebook's outputs."""
    return page.locator(WIDGET_VIEWS).all()


def explorer_state(explorer: Locator) -> dict[str, Any]:
    """What moving a control must change: slider values, readouts and the figure's image."""
    figure = explorer.locator(".widget-output img")
    return {
        # aria-valuetext: full precision (aria-valuenow is rounded to one decimal).
        "values": [slider.get_attribute("aria-valuetext") for slider in sliders(explorer)],
        "readouts": explorer.locator(".widget-readout").all_inner_texts(),
        "image": figure.first.get_attribute("src") if figure.count() else None,
    }


def sliders(explorer: Locator) -> list[Locator]:
    """The slider handles of an explorer (``role=slider``: int, float and log sliders)."""
    return explorer.locator("[role=slider]").all()


def slider_fraction(slider: Locator) -> float:
    """Where a slider's handle sits, from 0 (minimum) to 1 (maximum)."""
    low, high, now = (
        float(slider.get_attribute(name))
        for name in ("aria-valuemin", "aria-valuemax", "aria-valuenow")
    )
    return (now - low) / (high - low) if high > low else 0.0


def press_arrow(slider: Locator) -> None:
    """Focus a slider's handle and press an arrow key (left when it is at its maximum)."""
    slider.focus()
    slider.press("ArrowLeft" if slider_fraction(slider) >= 1.0 else "ArrowRight")


def drag_handle(slider: Locator) -> None:
    """Drag a slider's handle with the mouse to a quarter of its track from the far end."""
    mouse = slider.page.mouse
    handle = slider.bounding_box()
    track = slider.locator("xpath=ancestor::*[contains(@class, 'noUi-base')]").bounding_box()
    if handle is None or track is None:
        raise AssertionError("the slider is not visible on the page")
    target = 0.25 if slider_fraction(slider) > 0.5 else 0.75
    mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    mouse.down()
    mouse.move(track["x"] + target * track["width"], handle["y"] + handle["height"] / 2, steps=8)
    mouse.up()


def unchanged(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Which parts of an explorer's state did not change (empty when all of them did)."""
    return [key for key in before if before[key] == after[key]]
