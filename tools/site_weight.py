"""What the built website loads, made light: ``make site`` runs :func:`slim` after Sphinx.

The theme (pydata-sphinx-theme 0.20) draws its icons twice over. Its style sheet carries Font
Awesome's web fonts and one ``--fa`` rule for each of Font Awesome's 1,970 icons, and every page
also loads ``fontawesome.js`` (1.6 MB: each icon again, as SVG), which swaps every
``<i class="fa-...">`` for an inline SVG. The fonts alone draw the same icons, so:

1. every page loses its ``fontawesome.js`` script tag, and the script goes;
2. the style sheet keeps the ``--fa`` rules of the icons some page or script names;
3. each Font Awesome font keeps only the glyphs of those icons and of the icons the theme's
   style sheets write as characters (admonitions, arrows).

Every page also loads Sphinx's search index and tools (110 KB) for the theme's search-as-you-type
box, which this site leaves off (``search_as_you_type``, the theme's default): they stay on the
search page only.

The result is checked: :func:`slim` fails if a page still loads the script or an icon a page
uses has no glyph left (``tests/test_site_weight.py``; the browser tests in ``tests/site`` check
each page's weight and that the icons show).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["css_icon_characters", "icon_characters", "slim", "used_icons"]

#: The theme's files this module edits, relative to the site.
SCRIPT = Path("_static/scripts/fontawesome.js")
STYLE = Path("_static/styles/pydata-sphinx-theme.css")
FONTS = Path("_static/vendor/fontawesome/webfonts")

_SCRIPT_TAG = re.compile(
    r'[ \t]*<script[^>]*src="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*>\s*</script>\n?'
)
#: The search tools the theme loads on every page for search-as-you-type.
_SEARCH_TAGS = re.compile(
    r'[ \t]*<script src="[^"]*'
    r'(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)"></script>\n?'
)
#: One icon's rule, e.g. ``.fa-bars,.fa-navicon{--fa:"\f0c9"}``.
_ICON_RULE = re.compile(r'(?<=[{}])((?:\.fa-[a-z0-9-]+,?)+)\{--fa:("[^"]*")\}')
_ICON_NAME = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*")
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}) ?")
#: Unicode's private use area, where icon fonts keep their glyphs.
_PRIVATE = re.compile("[\ue000-\uf8ff]")


def used_icons(site: Path) -> set[str]:
    """The ``fa-...`` class names that the site's pages and scripts mention."""
    names: set[str] = set()
    for path in [*site.rglob("*.html"), *site.rglob("*.js")]:
        if path.name != SCRIPT.name:
            names |= set(_ICON_NAME.findall(path.read_text(errors="replace")))
    return names


def _rule_names(selectors: str) -> set[str]:
    """``.fa-bars,.fa-navicon`` -> ``{"fa-bars", "fa-navicon"}``."""
    return {selector.removeprefix(".") for selector in selectors.split(",")}


def icon_characters(css: str, names: set[str]) -> set[int]:
    """The code points of the icons ``names`` in a Font Awesome style sheet."""
    points = set()
    for selectors, value in _ICON_RULE.findall(css):
        if names & _rule_names(selectors):
            points |= {int(digits, 16) for digits in _ESCAPE.findall(value)}
    return points


def css_icon_characters(site: Path) -> set[int]:
    """Icon characters the site's style sheets write literally (private use area)."""
    return {ord(c) for path in site.rglob("*.css") for c in _PRIVATE.findall(path.read_text())}


def _trim_rules(css: str, names: set[str]) -> str:
    def keep(match: re.Match[str]) -> str:
        return match.group(0) if names & _rule_names(match.group(1)) else ""

    return _ICON_RULE.sub(keep, css)


def _subset_font(path: Path, points: set[int]) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.notdef_outline = True
    font = TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=points)
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(path)


def slim(site: Path) -> dict[str, int]:
    """Drop ``fontawesome.js``, the unused icon rules and glyphs from the built ``site``.

    Returns the bytes saved per file. Raises ``ValueError`` if the theme's files are not where
    pydata-sphinx-theme 0.20 puts them, or if an icon a page uses would be left without a glyph.
    """
    for part in (SCRIPT, STYLE, FONTS):
        if not (site / part).exists():
            raise ValueError(
                f"{site / part} not found: the theme's files moved (pydata-sphinx-theme pin?); "
                "tools/site_weight.py needs updating"
            )
    saved: dict[str, int] = {}
    names = used_icons(site)
    for page in site.rglob("*.html"):
        text = page.read_text()
        slimmer = _SCRIPT_TAG.sub("", text)
        if page != site / "search.html":
            slimmer = _SEARCH_TAGS.sub("", slimmer)
        if "fontawesome.js" in slimmer:
            raise ValueError(
                f"{page}: fontawesome.js is loaded in a way tools/site_weight.py misses"
            )
        if slimmer != text:
            page.write_text(slimmer)
    for script in (site / SCRIPT, site / SCRIPT.with_name(SCRIPT.name + ".map")):
        if script.exists():
            saved[script.name] = script.stat().st_size
            script.unlink()
    style = site / STYLE
    css = style.read_text()
    points = icon_characters(css, names) | css_icon_characters(site)
    trimmed = _trim_rules(css, names)
    style.write_text(trimmed)
    saved[STYLE.name] = len(css.encode()) - len(trimmed.encode())
    for font in sorted((site / FONTS).glob("*.woff2")):
        before = font.stat().st_size
        _subset_font(font, points)
        saved[font.name] = before - font.stat().st_size
    return saved
