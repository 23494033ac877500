"""The built website in a real browser, as a reader sees it: on a 1,300 px screen in light and
dark mode and on a 390 px phone, opened from ``file://`` (no server, no network).

Checked on every page of the table of contents: no console errors, the page never scrolls
sideways, and a table wider than the text column scrolls inside its own box (so no column is
hidden without a scrollbar) with its caption inside the visible width. Then: code toggles open,
solutions start collapsed, interactive tables sort and filter offline, search shows snippets
offline. Screenshots go to ``_build/screenshots`` (copied by hand to ``docs/screenshots``).

The tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright, with no browser
download; they skip when Chromium is missing or the book has not been built.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from ruralrev.book import params
from ruralrev.book.sphinx import extension
from ruralrev.core import paths

HTML = paths.ROOT / "_build" / "html"
SHOTS = paths.ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTHS = {"desktop": 1300, "phone": 390}
ANALYTIC = ["book/executed/data", "book/executed/disparities", "book/executed/typology"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (HTML / "index.html").is_file(),
                       reason=f"no built book at {HTML} (run `python3.11 tasks.py book` first)"),
]


def _pages() -> list[str]:
    return extension.toc_files(paths.ROOT / "_toc.yml")


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *args: None
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _new_page(browser, width: int = 1300, dark: bool = False, offline: bool = True):
    """A page whose console errors are collected; requests leaving the machine are refused."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.errors, page.remote = [], []
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    if offline:
        def route(request_route):
            url_ = request_route.request.url
            if url_.startswith(("file:", "blob:", "data:", "http://127.0.0.1")):
                request_route.continue_()
            else:
                page.remote.append(url_)
                request_route.abort()
        page.route("**/*", route)
    if dark:
        page.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    return page


def _goto(page, url: str):
    page.errors.clear()
    page.remote.clear()
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # theme scripts, toggles and table enhancement run after load
    return page


def _open(browser, url: str, width: int = 1300, dark: bool = False, offline: bool = True):
    return _goto(_new_page(browser, width, dark, offline), url)


@pytest.fixture(scope="module")
def tabs(browser):
    """One page per screen width and theme, reused from page to page (a context costs time)."""
    opened = {}

    def tab(width: int, dark: bool):
        if (width, dark) not in opened:
            opened[(width, dark)] = _new_page(browser, width, dark)
        return opened[(width, dark)]

    yield tab
    for page in opened.values():
        page.context.close()


_LAYOUT = """() => {
  const doc = document.scrollingElement;
  const out = {page: [doc.scrollWidth, doc.clientWidth], theme: document.documentElement.dataset.theme, bad: []};
  for (const table of document.querySelectorAll('article table')) {
    // the nearest ancestor that clips or scrolls horizontally
    let box = table.parentElement;
    while (box && !['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    const name = table.id || (table.caption ? table.caption.innerText.slice(0, 40) : 'table');
    if (!box) { if (table.getBoundingClientRect().right > doc.clientWidth + 1) out.bad.push(name + ': wider than the page'); continue; }
    const style = getComputedStyle(box).overflowX;
    if (box.scrollWidth > box.clientWidth + 1 && !(style === 'auto' || style === 'scroll'))
      out.bad.push(name + ': columns clipped without a scrollbar');
    if (box.getBoundingClientRect().right > doc.clientWidth + 1) out.bad.push(name + ': its scroll box overflows the page');
    if (table.caption) {
      const c = table.caption.getBoundingClientRect(), b = box.getBoundingClientRect();
      if (c.width > b.width + 1) out.bad.push(name + ': caption wider than the visible box');
    }
  }
  return out;
}"""


#: Screens and themes every page is opened in: both themes on the desktop, the phone in light mode
#: (the dark theme changes colours, not widths).
SCREENS = [("desktop", "light"), ("desktop", "dark"), ("phone", "light")]


@pytest.mark.parametrize(("screen", "mode"), SCREENS)
@pytest.mark.parametrize("page_path", _pages() if (HTML / "index.html").is_file() else [])
def test_page_fits_the_screen_and_loads_cleanly(tabs, page_path, screen, mode):
    page = _goto(tabs(WIDTHS[screen], mode == "dark"), (HTML / f"{page_path}.html").as_uri())
    layout = page.evaluate(_LAYOUT)
    assert layout["theme"] == mode
    assert layout["page"][0] <= layout["page"][1] + 1, f"page scrolls sideways: {layout['page']}"
    assert layout["bad"] == []
    assert page.errors == [] and page.remote == []


@pytest.mark.parametrize("page_path", _pages() if (HTML / "index.html").is_file() else [])
def test_page_over_http_shows_its_parameters(browser, server, page_path):
    page = _open(browser, f"{server}/{page_path}.html")
    assert page.locator("h1").count() >= 1
    assert page.errors == []
    chapters = {c.output.relative_to(paths.ROOT).with_suffix("").as_posix() for c in params.load_plan()}
    if page_path in chapters:
        assert page.locator(".admonition", has_text="Run this page yourself").count() == 1
    page.context.close()


@pytest.mark.parametrize("page_path", ANALYTIC + ["book/executed/paper_001"])
def test_chapters_show_numbered_figures_and_tables(browser, page_path):
    page = _open(browser, (HTML / f"{page_path}.html").as_uri())
    figures = page.locator("figure img")
    assert figures.count() >= 1
    for index in range(figures.count()):            # every figure image actually loaded
        assert figures.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    captions = page.locator("table caption .caption-number")
    assert captions.count() >= 1 and captions.first.inner_text().startswith("Table")
    assert page.locator("figcaption .caption-number").first.inner_text().startswith("Fig.")
    page.context.close()


def test_code_toggles_open(browser):
    page = _open(browser, (HTML / "book/executed/disparities.html").as_uri(), 390)
    toggle = page.locator("details.hide.above-input").first
    code = toggle.locator(".cell_input pre")
    assert not code.is_visible()
    toggle.locator("summary").click()
    assert code.is_visible() and "decomposition_series" in code.inner_text()
    page.context.close()


def test_solutions_start_collapsed_and_open_on_click(browser):
    page = _open(browser, (HTML / "book/executed/data.html").as_uri())
    solutions = page.locator("div.solution.dropdown")
    assert solutions.count() == page.locator("div.exercise").count() >= 1
    for index in range(solutions.count()):
        assert not solutions.nth(index).locator("section#solution-content").is_visible()
    first = solutions.first
    first.locator(".admonition-title").click()
    page.wait_for_timeout(200)
    assert first.locator("section#solution-content").is_visible()
    assert "ruralrev run data" in first.inner_text()
    page.context.close()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_interactive_tables_sort_and_filter_offline(browser, mode):
    page = _open(browser, (HTML / "book/executed/data.html").as_uri(), 390, dark=mode == "dark")
    page.wait_for_selector("html[data-ruralrev-tables='ready']", timeout=15_000)
    table = page.locator("table#tbl-data-dictionary")
    assert page.locator(".dt-container").count() == page.locator("table.ruralrev-interactive").count() >= 1
    box = page.locator(".dt-container", has=table)          # the dictionary's own search box
    rows = table.locator("tbody tr")
    total = rows.count()
    box.locator("input[type='search']").fill("irrigat")
    page.wait_for_timeout(200)
    assert 0 < rows.count() < total
    assert all("irrigat" in rows.nth(i).inner_text().lower() for i in range(rows.count()))
    box.locator("input[type='search']").fill("")
    table.locator("thead th").first.click()                 # sort by the first column
    page.wait_for_timeout(200)
    first_column = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert first_column == sorted(first_column) and rows.count() == total
    assert table.locator("caption .caption-number").inner_text().startswith("Table")   # still numbered
    assert page.errors == [] and page.remote == []
    page.context.close()


@pytest.mark.parametrize("base", ["server", "file"])
def test_search_shows_results_with_snippets(browser, server, base):
    root = server if base == "server" else HTML.as_uri()
    page = _open(browser, f"{root}/search.html?q=Theil")
    page.wait_for_selector("#search-results li p.context", timeout=20_000)
    results = page.locator("#search-results li a").evaluate_all("links => links.map(a => a.href)")
    assert any("disparities" in href for href in results)
    snippets = page.locator("#search-results li p.context").all_inner_texts()
    assert any("theil" in text.lower() for text in snippets)
    assert page.errors == []
    page.context.close()


def test_screenshots(browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots = [("landing", "book/intro", 1300, False), ("landing", "book/intro", 1300, True),
             ("disparities", "book/executed/disparities", 1300, False),
             ("disparities", "book/executed/disparities", 1300, True),
             ("typology-phone", "book/executed/typology", 390, True)]
    for name, page_path, width, dark in shots:
        page = _open(browser, (HTML / f"{page_path}.html").as_uri(), width, dark=dark)
        target = SHOTS / f"{name}-{'dark' if dark else 'light'}.png"
        if name == "typology-phone":
            page.locator("#tbl-typ-members").scroll_into_view_if_needed()
            page.wait_for_timeout(300)
        page.screenshot(path=str(target), full_page=False)
        assert target.stat().st_size > 20_000
        page.context.close()
