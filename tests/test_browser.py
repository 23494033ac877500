"""The built website in a real browser, as a reader sees it: on a 1,300 px screen in light and
dark mode and on a 390 px phone, with no network. The checks made on every page share one load of
it per screen and theme: the desktop in light mode from a local HTTP server (a reader of the
website), the others from ``file://`` (a reader of a downloaded copy). The tests that click or
type (toggles, solutions, interactive tables, search) and the screenshots load their own pages.

Checked on every page of the table of contents: no console errors, the page never scrolls
sideways, and a table wider than the text column scrolls inside its own box (so no column is
hidden without a scrollbar) with its caption inside the visible width. On every chapter, at both
widths: the Key findings box is on the first screen (1,300 × 900) or within 1.5 screens
(390 × 844); every figure's smallest text, as shown, is at least :data:`LEGIBLE_PX` CSS px (the
landing page's map too); a table either fits its box or scrolls in it with a visible cue (a hint
and a fade on the hidden side), and its first column stays in view while it scrolls. Then: code
toggles open, solutions start collapsed, interactive tables sort and filter offline, search shows
snippets offline. Screenshots go to ``_build/screenshots`` (copied by hand to ``docs/screenshots``).

The tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright, with no browser
download; they skip when Chromium is missing or the book has not been built.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import shutil
import threading
from pathlib import Path

import pytest

from ruralrev.book import params
from ruralrev.book.execute import read_notebook
from ruralrev.book.figure_data import MIME
from ruralrev.book.sphinx import extension
from ruralrev.core import paths

HTML = paths.ROOT / "_build" / "html"
SHOTS = paths.ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTHS = {"desktop": 1300, "phone": 390}
HEIGHTS = {"desktop": 900, "phone": 844}
#: The smallest text a figure may show, in CSS px (body text is 16 px; 9 px is the floor of legibility).
LEGIBLE_PX = 9.0
#: The Key findings box ends on the first screen on a desktop, within 1.5 screens on a phone.
FINDINGS_SCREENS = {"desktop": 1.0, "phone": 1.5}
ANALYTIC = ["book/executed/data", "book/executed/disparities", "book/executed/typology"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,         # end to end: the built book in a real browser
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


def _new_page(browser, width: int = 1300, dark: bool = False, offline: bool = True, height: int = 900):
    """A page whose console errors are collected; requests leaving the machine are refused."""
    context = browser.new_context(viewport={"width": width, "height": height})
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
    if page.url != "about:blank":           # a reused tab: a late error of the page before is not this page's
        page.goto("about:blank")
    page.errors.clear()
    page.remote.clear()
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # theme scripts, toggles and table enhancement run after load
    return page


def _open(browser, url: str, width: int = 1300, dark: bool = False, offline: bool = True):
    return _goto(_new_page(browser, width, dark, offline), url)


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


def _chapter_pages() -> list[str]:
    """The chapters' pages (``book/executed/NAME``), in book order."""
    return [c.output.relative_to(paths.ROOT).with_suffix("").as_posix() for c in params.load_plan()]


#: What the tests read from a page as a reader lands on it: the findings box (its bottom, measured
#: from the top of the page, and its title), each figure image's rendered width, the headings, the
#: "Run this page yourself" boxes, whether each figure's image loaded, and the first table's and
#: figure's caption numbers.
_AS_SHOWN = """() => {
  const box = document.querySelector('article div.admonition.key-findings');
  const r = box ? box.getBoundingClientRect() : null;
  const text = selector => { const el = document.querySelector(selector); return el ? el.innerText : null; };
  return {findings: box ? {bottom: r.bottom + window.scrollY,
                           title: box.querySelector('.admonition-title').innerText.trim()} : null,
          images: [...document.querySelectorAll('article img')]
            .map(img => [img.getAttribute('src').split('/').pop(), img.getBoundingClientRect().width]),
          h1: document.querySelectorAll('h1').length,
          run_boxes: [...document.querySelectorAll('.admonition')]
            .filter(a => a.textContent.replace(/\\s+/g, ' ').toLowerCase().includes('run this page yourself')).length,
          figures_loaded: [...document.querySelectorAll('figure img')].map(img => img.complete && img.naturalWidth > 0),
          table_number: text('table caption .caption-number'),
          figure_number: text('figcaption .caption-number')};
}"""


#: The screen and theme whose loads go through the local HTTP server (as a reader of the website);
#: the others open the files (as a reader of a downloaded copy).
OVER_HTTP = ("desktop", "light")


@pytest.fixture(scope="module")
def seen(browser, server):
    """What a reader sees of a page on a screen, read on one load of the page per screen and theme
    and shared by every test that reads it (loading a page is most of a browser test's time): the
    page's layout (:data:`_LAYOUT`), what :data:`_AS_SHOWN` reads, on a chapter in light mode its
    tables before and after scrolling them (:data:`_TABLES`), and the console errors and refused
    remote requests of the whole visit. One tab per screen and theme, at the screen's real size,
    reused from page to page (a context costs time). The :data:`OVER_HTTP` loads are served by the
    local server; the others are opened from ``file://``."""
    tabs, measured = {}, {}
    chapters = set(_chapter_pages())

    def measure(page_path: str, screen: str, mode: str = "light") -> dict:
        if (page_path, screen, mode) not in measured:
            if (screen, mode) not in tabs:
                tabs[screen, mode] = _new_page(browser, WIDTHS[screen], mode == "dark", height=HEIGHTS[screen])
            url = f"{server}/{page_path}.html" if (screen, mode) == OVER_HTTP else (HTML / f"{page_path}.html").as_uri()
            page = _goto(tabs[screen, mode], url)
            found = {"layout": page.evaluate(_LAYOUT), "shown": page.evaluate(_AS_SHOWN)}
            if page_path in chapters and mode == "light":
                try:
                    found["tables"] = _scrolled_tables(page)
                except Exception as error:   # noqa: BLE001 - the tables test reports it; the others still check
                    found["tables"] = error
            found["errors"], found["remote"] = list(page.errors), list(page.remote)
            measured[page_path, screen, mode] = found
        return measured[page_path, screen, mode]

    yield measure
    for page in tabs.values():
        page.context.close()


@pytest.mark.parametrize(("screen", "mode"), SCREENS)
@pytest.mark.parametrize("page_path", _pages() if (HTML / "index.html").is_file() else [])
def test_page_fits_the_screen_and_loads_cleanly(seen, page_path, screen, mode):
    found = seen(page_path, screen, mode)
    layout = found["layout"]
    assert layout["theme"] == mode
    assert layout["page"][0] <= layout["page"][1] + 1, f"page scrolls sideways: {layout['page']}"
    assert layout["bad"] == []
    assert found["errors"] == [] and found["remote"] == []


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("page_path", _chapter_pages() if (HTML / "index.html").is_file() else [])
def test_key_findings_come_first(seen, page_path, screen):
    """CONTRIBUTING: the findings box is on the first screen at 1,300 × 900 and ends within 1.5
    screens at 390 × 844 (measured from the top of the page, as a reader lands on it)."""
    box = seen(page_path, screen)["shown"]["findings"]
    assert box is not None, f"{page_path}: no Key findings box (div.admonition.key-findings)"
    assert box["title"] == "Key findings"
    limit = FINDINGS_SCREENS[screen] * HEIGHTS[screen]
    assert box["bottom"] <= limit, f"{page_path}: the Key findings box ends at {box['bottom']:.0f} px (limit {limit:.0f})"


def _png_facts(raw: bytes) -> tuple[int, float, dict]:
    from PIL import Image

    image = Image.open(io.BytesIO(raw))
    return image.size[0], float(image.info["dpi"][0]), image.info


def _page_figures(page_path: str) -> dict[str, dict]:
    """Every figure image a page shows, by file name: its label, smallest font (points), PNG dpi
    and natural width. Chapters: the executed notebook's images (the page names each image by the
    sha256 of its bytes) with the smallest font the runner recorded beside it; the landing page:
    the headline map, whose PNG carries its smallest font."""
    if page_path == "book/intro":
        raw = (paths.ROOT / "book" / "executed" / "figures" / "headline-map.png").read_bytes()
        width, dpi, info = _png_facts(raw)
        return {"headline-map.png": {"label": "fig-headline", "points": float(info["ruralrev:smallest-font-pt"]),
                                     "dpi": dpi, "natural": width}}
    found = {}
    for cell in read_notebook(paths.ROOT / f"{page_path}.ipynb")["cells"]:
        label = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name", "(no label)")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" not in data:
                continue
            raw = base64.b64decode(data["image/png"])
            width, dpi, _ = _png_facts(raw)
            layout = (data.get(MIME) or {}).get("layout") or {}
            found[f"{hashlib.sha256(raw).hexdigest()}.png"] = {"label": label, "points": layout.get("smallest_font_pt"),
                                                               "dpi": dpi, "natural": width}
    return found


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.parametrize("page_path", ["book/intro", *_chapter_pages()] if (HTML / "index.html").is_file() else [])
def test_figure_text_is_legible_as_shown(seen, page_path, screen):
    """The smallest text of every figure, as the page shows it: points → image pixels (the PNG's
    dpi) → CSS px (the rendered width over the image's natural width) ≥ LEGIBLE_PX."""
    figures = _page_figures(page_path)
    if not figures:
        pytest.skip(f"{page_path} has no figure")
    shown = dict(seen(page_path, screen)["shown"]["images"])
    small = []
    for name, figure in figures.items():
        assert name in shown, f"{page_path}: {figure['label']} is not on the page"
        assert figure["points"], f"{page_path}: {figure['label']} has no recorded font size (re-run the chapter)"
        css_px = figure["points"] / 72 * figure["dpi"] * shown[name] / figure["natural"]
        if css_px < LEGIBLE_PX:
            small.append(f"{figure['label']}: {figure['points']:g} pt shown at {css_px:.1f} px")
    assert small == []


_TABLES = """(scrolled) => [...document.querySelectorAll('article table')].map(table => {
  // the box that scrolls the table: its nearest ancestor that scrolls sideways (DataTables makes its own)
  let box = table.parentElement;
  while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
  const frame = box && box.parentElement.classList.contains('ruralrev-table-frame') ? box.parentElement : null;
  const visible = el => el && getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0;
  const out = {name: table.id || (table.caption ? table.caption.innerText.slice(0, 40) : 'table'),
               framed: !!frame, fits: !box || box.scrollWidth <= box.clientWidth + 1};
  if (!frame) return out;
  out.hint = frame.classList.contains('ruralrev-scrolls') && visible(frame.querySelector('.ruralrev-scroll-hint'));
  out.fade_right = getComputedStyle(frame, '::after').opacity === '1';
  out.fade_left = getComputedStyle(frame, '::before').opacity === '1';
  const first = table.tBodies[0].rows[0].cells[0].getBoundingClientRect(), b = box.getBoundingClientRect();
  out.first_in_view = first.left >= b.left - 1 && first.right <= b.right + 1;
  if (scrolled === 'end') box.scrollLeft = box.scrollWidth;
  if (scrolled === 'start') box.scrollLeft = 0;
  return out;
})"""


def _scrolled_tables(page) -> tuple[list[dict], list[dict]]:
    """:data:`_TABLES` of a loaded page as it lands, and again after every table scrolled to its end."""
    if page.locator("table.ruralrev-interactive").count():
        page.wait_for_selector("html[data-ruralrev-tables='ready']", timeout=15_000)
    page.wait_for_timeout(300)                    # the fades' transition
    tables = page.evaluate(_TABLES, "end")
    page.wait_for_timeout(400)                    # scroll events, then the transition
    return tables, page.evaluate(_TABLES, "start")


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.parametrize("page_path", _chapter_pages() if (HTML / "index.html").is_file() else [])
def test_wide_tables_scroll_in_their_box_with_a_cue(seen, page_path, screen):
    """Every table fits its box or scrolls in it with a visible cue (a hint above it, the hidden
    side fading into the page); scrolled to the far right, the right fade goes, the left one
    shows and the first column (the row names) is still in view."""
    found = seen(page_path, screen)["tables"]
    if isinstance(found, Exception):
        raise found
    tables, at_end = found
    assert tables
    assert [t["name"] for t in tables if not t["framed"]] == []
    wide = [(t, end) for t, end in zip(tables, at_end) if not t["fits"]]
    assert [t["name"] for t, _ in wide if not (t["hint"] and t["fade_right"] and not t["fade_left"])] == [], \
        "a wide table without its cue"
    assert [t["name"] for t in tables if t["fits"] and (t["hint"] or t["fade_right"])] == [], "a cue on a table that fits"
    assert [t["name"] for t, end in wide if end["fade_right"] or not end["fade_left"]] == []
    assert [t["name"] for t, end in wide if not end["first_in_view"]] == [], "the first column scrolled away"


@pytest.mark.parametrize("page_path", _pages() if (HTML / "index.html").is_file() else [])
def test_page_over_http_shows_its_parameters(seen, page_path):
    found = seen(page_path, *OVER_HTTP)
    assert found["shown"]["h1"] >= 1
    assert found["errors"] == []
    chapters = {c.output.relative_to(paths.ROOT).with_suffix("").as_posix() for c in params.load_plan()}
    if page_path in chapters:
        assert found["shown"]["run_boxes"] == 1


@pytest.mark.parametrize("page_path", ANALYTIC + ["book/executed/paper_001"])
def test_chapters_show_numbered_figures_and_tables(seen, page_path):
    shown = seen(page_path, "desktop")["shown"]
    assert len(shown["figures_loaded"]) >= 1 and all(shown["figures_loaded"])   # every figure image actually loaded
    assert (shown["table_number"] or "").startswith("Table")
    assert (shown["figure_number"] or "").startswith("Fig.")


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
