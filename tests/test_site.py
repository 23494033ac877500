"""The built website, checked as a reader would: links, pages, figures, tables, search, console.

These tests read ``_build/html``; they skip with a reason when the book has not been built
(``python3.11 tasks.py book`` first; ``.ci/run`` builds the book before it runs the tests).
The browser tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright, with no
browser download; they skip when Chromium is not installed.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
import yaml

from ruralrev import paths, pipeline

HTML = paths.ROOT / "_build" / "html"
SHOTS = paths.ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ANALYTIC = ["book/executed/data", "book/executed/disparities", "book/executed/typology"]

pytestmark = pytest.mark.skipif(not (HTML / "index.html").is_file(),
                                reason=f"no built book at {HTML} (run `python3.11 tasks.py book` first)")


def _pages() -> list[str]:
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and not re.match(r"^(https?:|mailto:|data:|javascript:|#$)", value):
                self.links.append(value)


def test_every_toc_page_was_built():
    missing = [page for page in _pages() if not (HTML / f"{page}.html").is_file()]
    assert missing == []


def test_internal_links_and_anchors_resolve():
    """Offline link check: every relative href/src points at a file, every #anchor at an id."""
    parsed = {}
    for page in HTML.rglob("*.html"):
        if page.relative_to(HTML).parts[0] == "_static":
            continue  # theme templates, not pages
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        parsed[page] = parser
    broken = []
    for page, parser in parsed.items():
        for link in parser.links:
            target, anchor = urldefrag(link)
            target = target.split("?", 1)[0]
            path = (page.parent / unquote(target)).resolve() if target else page
            if target and not path.exists():
                broken.append(f"{page.relative_to(HTML)} -> {link}")
            elif anchor and path.suffix == ".html" and path in parsed and anchor not in parsed[path].ids:
                broken.append(f"{page.relative_to(HTML)} -> {link} (no such anchor)")
    assert broken == []


# ---- in a real browser ------------------------------------------------------------------------

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


def _open(browser, url: str, dark: bool = False):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    if dark:
        page.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    page.goto(url, wait_until="load")
    return page, errors


@pytest.mark.browser
@pytest.mark.parametrize("page_path", _pages() if (HTML / "index.html").is_file() else [])
def test_page_loads_without_console_errors(browser, server, page_path):
    page, errors = _open(browser, f"{server}/{page_path}.html")
    assert page.locator("h1").count() >= 1
    assert errors == []
    chapters = {c.output.relative_to(paths.ROOT).with_suffix("").as_posix() for c in pipeline.load_plan()}
    if page_path in chapters:
        box = page.locator(".admonition", has_text="Parameters of this page")
        assert box.count() == 1
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("page_path", ANALYTIC + ["book/executed/paper_001"])
def test_chapters_show_numbered_figures_and_tables(browser, server, page_path):
    page, _ = _open(browser, f"{server}/{page_path}.html")
    figures = page.locator("figure img")
    assert figures.count() >= 1
    for index in range(figures.count()):            # every figure image actually loaded
        assert figures.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    captions = page.locator("table caption .caption-number")
    assert captions.count() >= 1 and captions.first.inner_text().startswith("Table")
    assert page.locator("figcaption .caption-number").first.inner_text().startswith("Fig.")
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("base", ["server", "file"])
def test_search_finds_a_chapter(browser, server, base):
    root = server if base == "server" else HTML.as_uri()
    page, errors = _open(browser, f"{root}/search.html?q=Theil")
    page.wait_for_selector("#search-results li", timeout=20_000)
    results = page.locator("#search-results li a").evaluate_all("links => links.map(a => a.href)")
    assert any("disparities" in href for href in results)
    if base == "file":
        # Chromium blocks fetch() from file:// pages, so Sphinx cannot load result snippets;
        # the results themselves are listed (asserted above). Nothing else may fail.
        errors = [e for e in errors if "Access to fetch" not in e and "Failed to fetch" not in e
                  and "net::ERR_FAILED" not in e]
    assert errors == []
    page.close()


@pytest.mark.browser
def test_screenshots_light_and_dark(browser, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, page_path in [("landing", "book/intro"), ("disparities", "book/executed/disparities")]:
        for dark in (False, True):
            page, _ = _open(browser, f"{server}/{page_path}.html", dark=dark)
            mode = page.evaluate("document.documentElement.dataset.theme")
            assert mode == ("dark" if dark else "light")
            target = SHOTS / f"{name}-{'dark' if dark else 'light'}.png"
            page.screenshot(path=str(target), full_page=False)
            assert target.stat().st_size > 20_000
            page.close()


def test_reproducibility_page_covers_every_chapter_table_and_figure():
    html = (HTML / "book" / "executed" / "reproducibility.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    for chapter in pipeline.load_plan():
        assert f"ruralrev run {chapter.name}" in text
    for label in ("tbl-p001-table1", "tbl-disp-fe", "fig-typ-map", "tbl-p000-reading", "tbl-data-dictionary"):
        assert f'#{label}"' in html, label                      # a working cross-reference to it
    assert "Git commit" in text and "Data snapshot" in text and "statsmodels" in text
