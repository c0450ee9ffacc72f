"""Interactive figures that also read well where no widget can run.

:func:`explore` shows a matplotlib figure with controls (sliders, dropdowns) that redraw it.
Where widgets cannot run (GitHub's notebook viewer, nbval, a static HTML export), the same
output shows a picture of the figure at the controls' starting values instead, so the
notebook never shows an empty box.

How: the figure is rendered to PNG and placed in an ``Output`` widget's state directly (not by
printing into it, which leaks into the cell's own output when no frontend is attached), and
the cell's output is one display bundle holding both the widget view and that PNG. Each
frontend shows the richest part it can render.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


#: Interactive figures are drawn at twice the resolution they are shown at (sharp on high-density
#: screens): 180 dots per inch, shown as 90.
_DPI = 180
_SHOWN_DPI = 90


def figure_png(figure: Any) -> bytes:
    """Render a matplotlib figure to PNG bytes at 180 DPI and close it (so it is not also shown
    inline). :func:`png_metadata` gives the size to show it at (that of 90 DPI).

    Raises:
        TypeError: if ``figure`` is not a ``matplotlib.figure.Figure``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if not isinstance(figure, Figure):
        raise TypeError(
            "Expected a matplotlib Figure (e.g. from plt.subplots()). "
            f"Received: {figure!r} of type {type(figure).__name__}"
        )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def png_metadata(png: bytes) -> dict[str, dict[str, int]]:
    """The display metadata that shows a :func:`figure_png` picture at half its pixel size.

    Raises:
        ValueError: if ``png`` is not PNG data.
    """
    if not isinstance(png, bytes) or png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("Expected the bytes of a PNG picture (from figure_png)")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    scale = _SHOWN_DPI / _DPI
    return {"image/png": {"width": round(width * scale), "height": round(height * scale)}}


def explore(draw: Callable[..., Any], *, show: bool = True, **controls: Any) -> Any:
    """Show ``draw(**values)`` with one control per keyword, redrawn whenever a control moves.

    Args:
        draw: a function taking one keyword argument per control and returning a
            matplotlib ``Figure``.
        show: display the explorer (set False to only build it, e.g. in tests).
        **controls: ipywidgets value widgets, e.g. ``alpha=widgets.FloatSlider(...)``.

    Returns:
        The ``ipywidgets.VBox`` holding the controls and the figure; its ``redraw()`` can be
        called by hand, and ``figure`` is its ``Output`` widget.

    Raises:
        TypeError: if ``draw`` is not callable, a control is not an ipywidgets value
            widget, or ``draw`` does not return a Figure.
        ValueError: if no control is given.

    Example::

        explore(draw_activation, alpha=widgets.FloatSlider(value=0.1, min=0, max=1))
    """
    import ipywidgets as widgets
    from IPython.display import display

    if not callable(draw):
        raise TypeError(
            f"`draw` must be a function returning a Figure. Received: draw={draw!r} "
            f"of type {type(draw).__name__}"
        )
    if not controls:
        raise ValueError("explore() needs at least one control, e.g. alpha=FloatSlider(...)")
    for name, control in controls.items():
        if not isinstance(control, widgets.ValueWidget):
            raise TypeError(
                f"Control {name!r} must be an ipywidgets value widget (a slider, dropdown, ...). "
                f"Received: {control!r} of type {type(control).__name__}"
            )

    figure = widgets.Output()

    def redraw(change: object = None) -> bytes:
        values = {name: control.value for name, control in controls.items()}
        png = figure_png(draw(**values))
        picture = {"image/png": base64.b64encode(png).decode("ascii")}
        metadata = png_metadata(png)
        figure.outputs = ({"output_type": "display_data", "data": picture, "metadata": metadata},)
        return png

    first_png = redraw()
    for control in controls.values():
        control.observe(redraw, names="value")
    explorer = widgets.VBox([*controls.values(), figure])
    explorer.redraw = redraw
    explorer.figure = figure
    if show:
        names = ", ".join(controls)
        display(
            {
                _WIDGET_VIEW: {
                    "model_id": explorer.model_id,
                    "version_major": 2,
                    "version_minor": 0,
                },
                "image/png": base64.b64encode(first_png).decode("ascii"),
                "text/plain": f"<interactive figure: {getattr(draw, '__name__', 'draw')}({names})>",
            },
            raw=True,
            metadata=png_metadata(first_png),
        )
    return explorer
