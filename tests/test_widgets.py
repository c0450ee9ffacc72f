"""helpers.widgets: the explorer redraws when a control moves, and falls back to a picture."""

from __future__ import annotations

import base64

import IPython.display
import ipywidgets as widgets
import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from helpers import widgets as helper_widgets

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def draw_line(slope=1.0):
    figure, axis = plt.subplots(figsize=(2, 2))
    axis.plot([0, 1], [0, slope])
    axis.set_ylim(-2, 2)
    return figure


def shown_png(explorer) -> bytes:
    (output,) = explorer.figure.outputs
    return base64.b64decode(output["data"]["image/png"])


def test_figure_png_renders_and_closes_the_figure():
    figure = draw_line()
    png = helper_widgets.figure_png(figure)
    assert png.startswith(PNG_SIGNATURE)
    assert not plt.fignum_exists(figure.number)


def test_figure_png_is_drawn_at_twice_the_size_it_is_shown():
    figure = draw_line()
    width_inches = figure.get_figwidth()
    png = helper_widgets.figure_png(figure)
    metadata = helper_widgets.png_metadata(png)["image/png"]
    pixels = int.from_bytes(png[16:20], "big")
    assert pixels == pytest.approx(2 * metadata["width"], abs=1)
    # bbox_inches="tight" trims or widens the margins a little.
    assert pixels == pytest.approx(width_inches * 180, rel=0.25)
    explorer = helper_widgets.explore(draw_line, show=False, slope=widgets.FloatSlider(value=1))
    (output,) = explorer.figure.outputs
    assert output["metadata"] == helper_widgets.png_metadata(shown_png(explorer))


def test_png_metadata_wants_png_bytes():
    with pytest.raises(ValueError, match="Expected the bytes of a PNG picture"):
        helper_widgets.png_metadata(b"GIF89a" + bytes(30))


def test_figure_png_rejects_what_is_not_a_figure():
    with pytest.raises(TypeError, match=r"Expected a matplotlib Figure.*Received: None"):
        helper_widgets.figure_png(None)


def test_explorer_draws_at_the_starting_values_and_redraws_when_a_control_moves():
    slope = widgets.FloatSlider(value=0.5, min=-2, max=2)
    explorer = helper_widgets.explore(draw_line, show=False, slope=slope)
    first = shown_png(explorer)
    assert first.startswith(PNG_SIGNATURE)
    slope.value = -1.5
    second = shown_png(explorer)
    assert second.startswith(PNG_SIGNATURE)
    assert second != first
    assert list(explorer.children) == [slope, explorer.figure]


def test_displayed_bundle_holds_the_widget_and_a_picture_for_static_viewers(monkeypatch):
    displayed = []
    monkeypatch.setattr(
        IPython.display, "display", lambda *objects, **kwargs: displayed.append((objects, kwargs))
    )
    explorer = helper_widgets.explore(draw_line, slope=widgets.FloatSlider(value=1.0))
    ((bundle,), options) = displayed[0]
    assert len(displayed) == 1
    assert options == {"raw": True, "metadata": helper_widgets.png_metadata(shown_png(explorer))}
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == explorer.model_id
    assert base64.b64decode(bundle["image/png"]) == shown_png(explorer)
    assert bundle["text/plain"] == "<interactive figure: draw_line(slope)>"


def test_explore_rejects_bad_arguments():
    slider = widgets.FloatSlider()
    with pytest.raises(TypeError, match=r"`draw` must be a function.*Received: draw=3"):
        helper_widgets.explore(3, slope=slider)
    with pytest.raises(ValueError, match="at least one control"):
        helper_widgets.explore(draw_line)
    with pytest.raises(TypeError, match="Control 'slope' must be an ipywidgets value widget"):
        helper_widgets.explore(draw_line, slope=0.5)
    with pytest.raises(TypeError, match="Expected a matplotlib Figure"):
        helper_widgets.explore(lambda slope: None, slope=slider)
