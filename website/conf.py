"""Sphinx configuration of the collection's website (`make site`; see tools/website.py).

The sources are generated into build/site-src/ by tools/website.py; this folder holds the
configuration and the site's own style sheet and script. Nothing is executed here (myst-nb shows
the stored outputs) and nothing is loaded from another host.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tools.project import REPOSITORY  # noqa: E402

project = "Keras Under the Hood"
author = "the Keras Under the Hood authors"
copyright = "the Keras Under the Hood authors; text CC BY 4.0, code Apache-2.0"

extensions = ["myst_nb", "sphinx-mathjax-offline"]
# downloads/ holds the notebooks offered for download, _tab_pictures/ the tabbed figures'
# pictures (tools/website.py): not pages.
exclude_patterns = ["_build", "**.ipynb_checkpoints", "downloads", "_tab_pictures"]
templates_path = [str(Path(__file__).parent / "_templates")]

# myst-nb shows the stored outputs and never runs a notebook.
nb_execution_mode = "off"
nb_merge_streams = True
# Headings get the ids JupyterLab gives them ("1.-The-collection"), so the notebooks' own links
# (`02_custom_activations.ipynb#What-safe_mode-refuses`) work on the site unchanged.
myst_heading_anchors = 4
myst_heading_slug_func = "tools.project.heading_anchor"
# deflist: each notebook's facts (run time, study time, ...) as a list of terms, not a table
# with an empty header row (tools/website.py rewrites the notebooks' facts table).
myst_enable_extensions = ["dollarmath", "amsmath", "deflist"]
# The pages link to one another as the repository's files do (`../CONTRIBUTING.md`).
myst_links_external_new_tab = True
suppress_warnings = ["myst.header"]

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = [str(Path(__file__).parent / "_static")]
html_css_files = ["backends.css", "site.css"]
html_js_files = ["backends.js", "navigation.js", "search.js"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
# The light theme unless the reader chose otherwise (an empty mode logs a console error).
html_context = {"default_mode": "light"}
# One search box: the one in the top bar (and Ctrl+K), not a second in the sidebar. The site's
# title is the theme's, in a landmark (_templates/sidebar-logo.html).
html_sidebars = {"**": ["sidebar-logo.html", "icon-links.html", "sbt-sidebar-nav.html"]}
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": True,
    # The page's source is the prepared copy, not the notebook: readers get that from GitHub.
    "use_download_button": False,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "show_toc_level": 2,
    # Off (the theme's default), so that pages need not load the search index: only the search
    # page does (tools/site_weight.py takes it off the others).
    "search_as_you_type": False,
    "navigation_with_keys": False,
}
