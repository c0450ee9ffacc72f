"""tools/site_weight.py: the theme's icon script dropped, its icon rules and fonts cut down to
the icons the pages use (the theme's real files, no Sphinx, no browser)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydata_sphinx_theme
import pytest
from fontTools.ttLib import TTFont

from tools import site_weight

THEME = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
BARS, ROCKET, GITHUB = 0xF0C9, 0xF135, 0xF09B

PAGE = """<html><head>
  <script defer src="../_static/scripts/fontawesome.js?digest=90905a2f556bf617f1a9"></script>
  <script src="../_static/searchtools.js"></script>
  <script src="../_static/language_data.js"></script>
  <script src="../searchindex.js"></script>
</head><body><i class="fa-solid fa-bars"></i><i class="fa-brands fa-github"></i></body></html>
"""


def theme_site(folder: Path) -> Path:
    """A site holding the theme's real script, style sheet and fonts, and two pages."""
    for part in (site_weight.SCRIPT, site_weight.STYLE, site_weight.FONTS):
        target = folder / part
        target.parent.mkdir(parents=True, exist_ok=True)
        source = THEME / part.relative_to("_static")
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
    (folder / "notebooks").mkdir()
    (folder / "notebooks" / "page.html").write_text(PAGE)
    (folder / "search.html").write_text(PAGE.replace("../", ""))
    return folder


def cmap(font: Path) -> set[int]:
    return set(TTFont(font).getBestCmap())


def test_only_the_icons_the_pages_use_keep_their_rules_and_glyphs(tmp_path: Path):
    site = theme_site(tmp_path)
    css = (site / site_weight.STYLE).read_text()
    assert ".fa-rocket{" in css
    assert ".fa-bars," in css
    literal = site_weight.css_icon_characters(site)
    assert literal, "the theme's style sheet writes some icons as characters (admonitions)"
    fonts = site / site_weight.FONTS
    assert ROCKET in cmap(fonts / "fa-solid-900.woff2")

    saved = site_weight.slim(site)

    assert saved["fontawesome.js"] > 1_000_000
    assert not (site / site_weight.SCRIPT).exists()
    page = (site / "notebooks" / "page.html").read_text()
    assert "fontawesome.js" not in page
    assert "searchindex.js" not in page
    assert "searchtools.js" not in page
    search = (site / "search.html").read_text()
    assert "searchindex.js" in search, "the search page keeps the search index"
    assert "searchtools.js" in search, "the search page keeps the search tools"
    css = (site / site_weight.STYLE).read_text()
    assert ".fa-bars," in css
    assert ".fa-github{" in css
    assert ".fa-rocket{" not in css
    solid, brands = cmap(fonts / "fa-solid-900.woff2"), cmap(fonts / "fa-brands-400.woff2")
    assert BARS in solid
    assert ROCKET not in solid
    assert GITHUB in brands
    assert literal & solid, "the style sheet's own icons keep their glyphs"
    assert saved["fa-solid-900.woff2"] > 100_000


def test_a_theme_whose_files_moved_is_an_error(tmp_path: Path):
    site = theme_site(tmp_path)
    (site / site_weight.SCRIPT).unlink()
    with pytest.raises(ValueError, match="pydata-sphinx-theme pin"):
        site_weight.slim(site)


def test_a_page_loading_the_script_another_way_is_an_error(tmp_path: Path):
    site = theme_site(tmp_path)
    (site / "other.html").write_text('<script>load("_static/scripts/fontawesome.js")</script>')
    with pytest.raises(ValueError, match=r"fontawesome\.js is loaded in a way"):
        site_weight.slim(site)
