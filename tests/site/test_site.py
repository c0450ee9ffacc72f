"""The website (`make site`), read as a reader reads it: in headless Chromium, with every
request to another host blocked."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tools import website
from tools.project import NOTEBOOKS

# Every test builds the site, starts a server and a browser.
pytestmark = pytest.mark.slow

PAGES = ["index.html", "CONTRIBUTING.html", "INSTRUCTORS.html", "search.html"] + [
    f"notebooks/{path.stem}.html" for path in NOTEBOOKS
]

#: For each notebook, a code cell (found by a line of its code) whose output differs between
#: the backends, and a piece of each backend's output. These are what the notebooks teach:
#: if one changes, the notebook's prose needs a look too.
DIFFERING = {
    "00_start_here": (
        "print(type(y))",
        {
            "tensorflow": "<class 'tensorflow.python.framework.ops.EagerTensor'>",
            "jax": "<class 'jaxlib._jax.ArrayImpl'>",
            "torch": "<class 'torch.Tensor'>",
        },
    ),
    "01_backend_ops": (
        "dot_shape = ops.shape(ops.dot(batch_a, batch_b))",
        {
            "tensorflow": "on tensorflow: (5, 2, 5, 4)",
            "jax": "on jax: (5, 2, 5, 4)",
            "torch": "on torch: (5, 2, 4)",
        },
    ),
    "02_custom_activations": (
        "class FirstInputProbe",
        {
            "tensorflow": "fit(run_eagerly=False): the activation's first input: SymbolicTensor",
            "jax": "fit(run_eagerly=False): the activation's first input: DynamicJaxprTracer",
            "torch": "fit(run_eagerly=False): the activation's first input: Tensor on meta",
        },
    ),
    "03_gradient_manipulation": (
        "def clip_with_one_argument_grad(x):",
        {
            "tensorflow": "tensorflow: works: gradient [0.5 0.5]",
            "jax": "jax: works: gradient [0.5 0.5]",
            "torch": "got multiple values for argument 'upstream'",
        },
    ),
    "04_custom_optimizers": (
        "class CountingSGD",
        {
            "tensorflow": "tensorflow: 4 micro-steps, 2 updates, update_step ran 2 times",
            "jax": "jax: 4 micro-steps, 2 updates, update_step ran 4 times",
            "torch": "torch: 4 micro-steps, 2 updates, update_step ran 2 times",
        },
    ),
    "05_stateful_layers": (
        "class ReadTheLayer",
        {
            "tensorflow": "tensorflow reads [8, 16, 24, 32] during fit",
            "jax": "jax reads ['TypeError', 'TypeError', 'TypeError', 'TypeError'] during fit",
            "torch": "torch reads [8, 16, 24, 32] during fit",
        },
    ),
    "06_backend_agnostic": (
        "native, native_seconds = None, None",
        {"tensorflow": "tf.data:", "jax": "(no output)", "torch": "DataLoader:"},
    ),
    "07_scaling_out": (
        'print(f"{BACKEND} computes on:"',
        {
            "tensorflow": "keras.distribution.list_devices(): ['cpu:0']",
            "jax": "keras.distribution.list_devices(): ['cpu:0']",
            "torch": "keras.distribution.list_devices() fails: AttributeError",
        },
    ),
    "08_export_and_interop": (
        "signature = [keras.InputSpec(shape=(None, 4)",
        {
            "tensorflow": "CentredNumPy fails: NotImplementedError",
            "jax": "CentredNumPy fails: TracerArrayConversionError",
            "torch": "CentredNumPy exported: 0 input(s)",
        },
    ),
}


def test_every_notebook_and_page_is_built(site: Path):
    for page in PAGES:
        assert (site / page).is_file(), f"no page {page} in {site}"
    assert set(DIFFERING) == {path.stem for path in NOTEBOOKS}, (
        "name a cell that differs between backends for every notebook in DIFFERING"
    )


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_without_errors(visit, path: str):
    seen = visit(path)
    assert not seen.problems(), f"{path}:\n" + "\n".join(seen.problems())
    broken = seen.load_pictures()
    assert not broken, f"{path}: pictures that did not load: {[src[:80] for src in broken]}"


@pytest.mark.parametrize("path", [f"notebooks/{path.stem}.html" for path in NOTEBOOKS])
def test_notebook_page_reads_well(visit, path: str):
    page = visit(path).page
    code = "\n".join(page.locator(".cell_input").all_text_contents())
    assert "NBVAL_" not in code, f"{path} shows nbval's marker lines"
    assert "BEGIN SOLUTION" not in code, f"{path} shows nbgrader's marker lines"
    launch = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    name = Path(path).stem + ".ipynb"
    assert any(href.startswith("https://mybinder.org/") and name in href for href in launch)
    assert any(href.startswith("https://colab.research.google.com/") for href in launch)


@pytest.mark.parametrize("notebook", sorted(DIFFERING))
def test_backend_tabs_show_each_backends_output(visit, notebook: str):
    code, expected = DIFFERING[notebook]
    page = visit(f"notebooks/{notebook}.html").page
    cell = page.locator("div.cell").filter(has=page.locator(".cell_input", has_text=code)).first
    tabs = cell.locator(".kuh-backends [role=tab]")
    assert tabs.all_inner_texts() == ["TensorFlow", "JAX", "PyTorch"]
    for backend, piece in expected.items():
        cell.locator(f".kuh-backends [role=tab][data-backend={backend}]").click()
        panel = cell.locator(f".kuh-backends [role=tabpanel][data-backend={backend}]")
        assert panel.is_visible()
        assert piece in panel.inner_text(), f"{notebook}, {backend}: {panel.inner_text()!r}"
        others = cell.locator(".kuh-backends [role=tabpanel]:visible")
        assert others.count() == 1, "one backend's output at a time"


def test_formulas_read_as_text_without_mathjax(visit):
    """The few formulas are written in Unicode (√, ε, ², Σᵢ): readable in JupyterLab, on GitHub
    and here, without MathJax's 1.2 MB."""
    page = visit("notebooks/03_gradient_manipulation.html").page
    item = page.locator("li", has_text="He initialisation").first
    assert "√(2 / fan_in) = 0.25" in item.inner_text()
    assert not page.locator("mjx-container, script[src*=mathjax]").count()


def test_solutions_are_folded_and_open(visit):
    page = visit("notebooks/02_custom_activations.html").page
    solution = (
        page.locator("div.cell.tag_hide-input")
        .filter(has=page.locator(".cell_input pre", has_text="def mish"))
        .first
    )
    code = solution.locator(".cell_input pre")
    assert not code.is_visible(), "a solution shows before the reader asks for it"
    solution.locator("summary").first.click()
    assert code.is_visible()
    assert "def mish" in code.inner_text()


def test_under_the_hood_notes_and_check_cells_are_folded(visit):
    page = visit("notebooks/00_start_here.html").page
    note = page.locator("details", has=page.locator("summary", has_text="Under the hood")).first
    body = note.locator("li").first
    assert not body.is_visible(), "an Under the hood note shows before the reader opens it"
    note.locator("summary").first.click()
    assert body.is_visible()
    assert "KERAS_BACKEND" in note.inner_text()
    check = page.locator("div.cell.tag_check").first
    assert "tag_hide-input" in (check.get_attribute("class") or ""), "check cells are folded"
    assert not check.locator(".cell_input pre").is_visible()


def test_interactive_figures_say_so(visit):
    for notebook in ("02_custom_activations", "03_gradient_manipulation", "05_stateful_layers"):
        seen = visit(f"notebooks/{notebook}.html")
        assert not seen.load_pictures()
        page = seen.page
        note = page.locator(".kuh-interactive").first
        assert note.inner_text() == website.INTERACTIVE_NOTE
        picture = page.locator("div.cell", has=note).locator("img").first
        assert picture.evaluate("i => i.naturalWidth") > 0


def test_home_page_lists_every_notebook_and_links_work(visit):
    page = visit("index.html").page
    hrefs = page.eval_on_selector_all("main table a[href]", "links => links.map(a => a.href)")
    for path in NOTEBOOKS:
        assert any(href.endswith(f"notebooks/{path.stem}.html") for href in hrefs), path.name
    anchored = [href for href in hrefs if "#" in href and "/notebooks/" in href]
    assert anchored, "the error index links to sections of the notebooks"
    for href in anchored:
        page.goto(href)
        anchor = href.split("#", 1)[1]
        assert page.locator(f"[id={anchor!r}]").count() == 1, f"no section {anchor} on {href}"


def test_search_finds_a_word_from_notebook_04(visit):
    page = visit("search.html?q=accumulation").page
    results = page.locator("#search-results a")
    results.first.wait_for()
    hrefs = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(re.search(r"04_custom_optimizers", href) for href in hrefs), hrefs


def test_every_link_within_the_site_resolves(site: Path):
    """Every link from one page to another (or to a section of one) lands somewhere real."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        if "_static" in page.parts:
            continue
        text = page.read_text()
        for href in set(re.findall(r'<a [^>]*href="([^"]+)"', text)):
            if re.match(r"[a-z]+:", href) or href.startswith("_static"):
                continue
            target, _, anchor = html.unescape(href).partition("#")
            path = (page.parent / target).resolve() if target else page
            if not path.is_file():
                broken.append(f"{page.relative_to(site)}: {href} (no such page)")
            elif anchor and f'id="{html.escape(anchor)}"' not in path.read_text():
                broken.append(f"{page.relative_to(site)}: {href} (no such section)")
    assert not broken, "\n".join(broken)


# --- reading on a phone and choosing a backend (issue 32) ----------------------------------

PHONE = {"width": 390, "height": 844}


def open_in(browser, server: str, path: str, **options):
    """A page of the site in a context of its own (a phone's viewport, scripts off, ...)."""
    context = browser.new_context(**options)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(server + path, wait_until="load")
    return context, page


def test_the_menu_and_contents_buttons_open_their_drawers_on_a_phone(browser, server):
    context, page = open_in(browser, server, "notebooks/01_backend_ops.html", viewport=PHONE)
    try:
        page.locator(".primary-toggle:visible").first.click()
        drawer = page.locator("#pst-primary-sidebar-modal")
        drawer.wait_for(state="visible")
        assert drawer.evaluate("d => d.open")
        assert drawer.locator("a", has_text="Gradient manipulation").first.is_visible()
        page.keyboard.press("Escape")
        assert not drawer.evaluate("d => d.open")
        page.locator(".secondary-toggle:visible").first.click()
        contents = page.locator("#pst-secondary-sidebar-modal")
        contents.wait_for(state="visible")
        assert contents.evaluate("d => d.open")
    finally:
        context.close()


def test_the_menu_button_hides_the_sidebar_on_a_desktop(browser, server):
    viewport = {"width": 1366, "height": 900}
    context, page = open_in(browser, server, "notebooks/01_backend_ops.html", viewport=viewport)
    try:
        sidebar = page.locator("#pst-primary-sidebar")
        assert sidebar.is_visible()
        page.locator(".primary-toggle:visible").first.click()
        sidebar.wait_for(state="hidden")
        page.locator(".primary-toggle:visible").first.click()
        sidebar.wait_for(state="visible")
    finally:
        context.close()


def selected(page) -> list[str]:
    return page.eval_on_selector_all(
        ".kuh-backends [role=tab][aria-selected=true]", "tabs => tabs.map(t => t.dataset.backend)"
    )


def test_one_backend_choice_holds_for_every_tab_group_page_and_reload(visit):
    page = visit("notebooks/01_backend_ops.html").page
    groups = page.locator(".kuh-backends").count()
    assert groups > 1
    assert page.locator(".kuh-tabs-note").is_visible(), "the page says what the tabs are"
    assert set(selected(page)) == {"tensorflow"}
    page.locator(".kuh-backends").nth(1).locator("[role=tab][data-backend=jax]").click()
    assert selected(page) == ["jax"] * groups
    assert page.locator(".kuh-backends [role=tabpanel]:visible").count() == groups
    page.reload(wait_until="load")
    assert selected(page) == ["jax"] * groups
    other = visit("notebooks/06_backend_agnostic.html").page
    assert set(selected(other)) == {"jax"}


def test_backend_tabs_answer_the_keyboard(visit):
    page = visit("notebooks/01_backend_ops.html").page
    first = page.locator(".kuh-backends").first.locator("[role=tab]")
    first.nth(0).focus()
    for key, expected in [("End", "torch"), ("Home", "tensorflow"), ("ArrowLeft", "torch"),
                          ("ArrowRight", "tensorflow"), ("ArrowRight", "jax")]:  # fmt: skip
        page.keyboard.press(key)
        assert set(selected(page)) == {expected}, key
        focused = page.evaluate("document.activeElement.dataset.backend")
        assert focused == expected, key


def test_without_scripts_every_backend_shows_labelled_and_no_tab_bar(browser, server):
    path = "notebooks/01_backend_ops.html"
    context, page = open_in(browser, server, path, java_script_enabled=False)
    try:
        group = page.locator(".kuh-backends").first
        assert not group.locator("[role=tablist]").is_visible()
        assert group.locator("[role=tabpanel]:visible").count() == 3
        labels = group.locator(".kuh-label").all_inner_texts()
        assert labels == ["TensorFlow", "JAX", "PyTorch"]
    finally:
        context.close()


@pytest.mark.parametrize("path", [f"notebooks/{path.stem}.html" for path in NOTEBOOKS])
def test_no_notebook_page_is_wider_than_a_phone(browser, server, path: str):
    context, page = open_in(browser, server, path, viewport=PHONE)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide at {PHONE['width']} px"
    finally:
        context.close()
