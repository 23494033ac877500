"""The built website read as files: pages, links, chapter lists, alt text, swallowed text.

These tests read ``_build/html``; they skip with a reason when the book has not been built
(``python3.11 tasks.py book`` first; ``.ci/run`` builds the book before it runs the tests).
What needs a real browser is in ``test_browser.py``.
"""

from __future__ import annotations

import html
import json
import os
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urldefrag

import pytest
from sphinx_helpers import build_html

from ruralrev.book import params
from ruralrev.book.sphinx import extension
from ruralrev.core import paths
from ruralrev.present.tables import unescape_markdown

HTML = paths.ROOT / "_build" / "html"
built = pytest.mark.skipif(not (HTML / "index.html").is_file(),
                           reason=f"no built book at {HTML} (run `python3.11 tasks.py book` first)")


def _pages() -> list[str]:
    return extension.toc_files(paths.ROOT / "_toc.yml")


def _chapters_in_toc():
    """The executed chapters of the table of contents, in book order (generated pages excluded)."""
    by_docname = {c.output.relative_to(paths.ROOT).with_suffix("").as_posix(): c for c in params.load_plan()}
    return [by_docname[page] for page in _pages() if page in by_docname]


_STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def _text(page_html: str) -> str:
    """Visible text of a page, whitespace normalised, quotes straightened (Sphinx curls them)."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page_html, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    text = text.translate(_STRAIGHT)
    return re.sub(r"\s+", " ", text)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids, self.images = [], set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and not re.match(r"^(https?:|mailto:|data:|javascript:|#$)", value):
                self.links.append(value)


# ---- chapter lists ----------------------------------------------------------------------------

def test_readme_chapter_table_matches_the_table_of_contents():
    """One README row per chapter of ``_toc.yml``, in book order, named as the chapter's title."""
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| chapter | notebook |", 1)[1].split("\n\n", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:] if line.strip()]
    expected = [(extension.chapter_title(c.source), f"`{c.source.relative_to(paths.ROOT).as_posix()}`")
                for c in _chapters_in_toc()]
    assert [(row[0], row[1]) for row in rows] == expected


def test_every_chapter_has_an_instructors_block_and_a_guide_row():
    rows = extension.chapter_guide_rows()
    assert [row["name"] for row in rows] == [c.name for c in _chapters_in_toc()]
    for row in rows:
        assert row["level"] and row["prerequisites"] and row["exercises"], row["name"]
        assert set(row["lab"]) <= set(row["exercises"])


@built
def test_landing_and_instructors_pages_list_every_chapter():
    for page in ["book/intro.html", "book/instructors.html"]:
        parser = _Links()
        parser.feed((HTML / page).read_text(encoding="utf-8"))
        linked = {unquote(urldefrag(link)[0]) for link in parser.links}
        for chapter in _chapters_in_toc():
            target = os.path.relpath(chapter.output.with_suffix(".html"), (paths.ROOT / page).parent)
            assert target in linked, f"{page} does not link to {chapter.name}"


# ---- pages and links --------------------------------------------------------------------------

@built
def test_every_toc_page_was_built():
    missing = [page for page in _pages() if not (HTML / f"{page}.html").is_file()]
    assert missing == []


@built
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


@built
def test_every_figure_has_alt_text():
    missing = []
    for page in _pages():
        parser = _Links()
        parser.feed((HTML / f"{page}.html").read_text(encoding="utf-8"))
        for image in parser.images:
            alt = (image.get("alt") or "").strip()
            if "logo" in (image.get("class") or ""):
                continue
            if len(alt) < 30 or re.search(r"\.(png|svg|jpe?g)$", alt) or "_images/" in alt:
                missing.append(f"{page}: {image.get('src')} alt={alt[:40]!r}")
    assert missing == []


@built
def test_search_text_for_offline_snippets_covers_every_page():
    script = (HTML / "_static" / "ruralrev-search-text.js").read_text(encoding="utf-8")
    pages = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    for page in _pages():
        assert f"{page}.html" in pages, page
        assert pages[f"{page}.html"].startswith('<div role="main">') and len(pages[f"{page}.html"]) > 200
    assert "Theil" in pages["book/executed/disparities.html"]
    assert '<section id="how-unequal-and-between-whom">' in pages["book/executed/disparities.html"]



def test_search_text_reparses_only_pages_whose_html_changed(tmp_path, monkeypatch):
    out, cache = tmp_path / "html", tmp_path / "doctrees" / "ruralrev-page-text.json"
    (out / "_static").mkdir(parents=True)
    (out / "_static" / "skip.html").write_text("<article><p>static</p></article>")
    (out / "a.html").write_text("<article><p>alpha</p></article>")
    (out / "b.html").write_text("<article><p>beta</p></article>")
    first = extension._page_texts(out, cache)
    assert sorted(first) == ["a.html", "b.html"] and "alpha" in first["a.html"]
    parsed = []
    real = extension.page_text
    monkeypatch.setattr(extension, "page_text", lambda text: parsed.append(text) or real(text))
    assert extension._page_texts(out, cache) == first and parsed == []   # nothing changed: nothing parsed
    (out / "b.html").write_text("<article><p>beta, rewritten</p></article>")
    again = extension._page_texts(out, cache)
    assert len(parsed) == 1 and "rewritten" in again["b.html"] and again["a.html"] == first["a.html"]
    (out / "a.html").write_text("<article><p>gamma</p></article>")      # same size, new time
    os.utime(out / "a.html", ns=((out / "b.html").stat().st_mtime_ns + 10**9,) * 2)
    assert "gamma" in extension._page_texts(out, cache)["a.html"] and len(parsed) == 2
    cache.write_text("not json")                                       # a damaged cache is rebuilt
    assert extension._page_texts(out, cache)["b.html"] == again["b.html"]
    stored = json.loads(cache.read_text())
    stored["version"] = "an older extractor"                          # a changed extractor: all parsed again
    cache.write_text(json.dumps(stored))
    parsed.clear()
    extension._page_texts(out, cache)
    assert len(parsed) == 2


def test_run_times_are_rounded_and_rewritten_only_when_they_change(tmp_path):
    from dataclasses import replace

    plan = params.load_plan()[:2]
    chapters = []
    for chapter, seconds in zip(plan, (3.2, 41.5)):
        output = tmp_path / f"{chapter.name}.ipynb"
        output.write_text(json.dumps({"metadata": {"ruralrev": {"seconds": seconds}}}))
        chapters.append(replace(chapter, output=output))
    target = extension.write_run_times(chapters)
    assert json.loads(target.read_text()) == {plan[0].name: 5, plan[1].name: 45}
    before = target.stat().st_mtime_ns
    chapters[0].output.write_text(json.dumps({"metadata": {"ruralrev": {"seconds": 4.9}}}))   # still shown as 5 s
    assert extension.write_run_times(chapters).stat().st_mtime_ns == before
    chapters[0].output.write_text(json.dumps({"metadata": {"ruralrev": {"seconds": 5.1}}}))
    assert json.loads(extension.write_run_times(chapters).read_text())[plan[0].name] == 10


def test_csv_html_table_is_numbered_and_refuses_an_empty_file(tmp_path):
    """A one-page Sphinx project: the directive's table gets its number and anchor; an empty CSV
    is one error naming the file."""
    (tmp_path / "conf.py").write_text("extensions = ['myst_parser', 'ruralrev.book.sphinx.extension']\nnumfig = True\n")
    (tmp_path / "rows.csv").write_text("name,value\nx_<1>,2\n", encoding="utf-8")
    (tmp_path / "index.md").write_text("# Listing\n\nSee {numref}`tbl-rows`.\n\n```{csv-html-table} Rows (units).\n"
                                       ":name: tbl-rows\n:file: rows.csv\n:code-columns: name\n```\n", encoding="utf-8")
    out = tmp_path / "html"
    run = build_html(tmp_path, out, "-W")
    assert run.returncode == 0, run.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="tbl-rows"' in page and "Table 1" in page and "<code>x_&lt;1&gt;</code>" in page
    (tmp_path / "rows.csv").write_text("", encoding="utf-8")
    run = build_html(tmp_path, out, "-E")
    assert "rows.csv is empty" in run.stderr


def test_a_changed_title_reaches_every_pages_navigation_in_an_incremental_build(tmp_path):
    """Page b's "previous" link shows page a's title: after a's title changes, an incremental build
    rewrites b too (Sphinx alone would leave b with the old title)."""
    (tmp_path / "conf.py").write_text("extensions = ['myst_parser', 'ruralrev.book.sphinx.extension']\n")
    (tmp_path / "index.md").write_text("# Book\n\n```{toctree}\na\nb\n```\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("# First title of a\n\nText.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Page b\n\nText.\n", encoding="utf-8")
    out = tmp_path / "html"
    for title in ("First title of a", "Second title of a"):
        (tmp_path / "a.md").write_text(f"# {title}\n\nText.\n", encoding="utf-8")
        run = build_html(tmp_path, out, "-W")
        assert run.returncode == 0, run.stderr
        assert title in (out / "b.html").read_text(encoding="utf-8")
    assert "First title" not in (out / "b.html").read_text(encoding="utf-8")


def test_the_search_page_asks_for_this_builds_search_text(tmp_path):
    """search.html loads ruralrev-search-text.js with Sphinx's ?v= checksum of the file this build
    wrote, in a fresh build and after an incremental one that changed the text."""
    import re
    import zlib

    (tmp_path / "conf.py").write_text("extensions = ['myst_parser', 'ruralrev.book.sphinx.extension']\n"
                                      "html_theme = 'sphinx_book_theme'\n")   # the page text is its <article>
    out = tmp_path / "html"
    for text in ("First words.", "Other words."):
        (tmp_path / "index.md").write_text(f"# Book\n\n{text}\n", encoding="utf-8")
        run = build_html(tmp_path, out, "-W")
        assert run.returncode == 0, run.stderr
        script = (out / "_static" / "ruralrev-search-text.js").read_bytes()
        assert text.encode() in script
        asked = re.findall(r"ruralrev-search-text\.js\?v=(\w+)", (out / "search.html").read_text(encoding="utf-8"))
        assert asked == [f"{zlib.crc32(script):08x}"]


@built
def test_every_glued_number_is_listed_on_the_reproducibility_page():
    import csv

    page = _text((HTML / "book" / "executed" / "reproducibility.html").read_text(encoding="utf-8"))
    rows = list(csv.DictReader((paths.ROOT / "book" / "executed" / "glued-numbers.csv").open(encoding="utf-8")))
    assert len(rows) > 500
    shown = [" ".join([r["name"], r["cell"], *r["value"].split()]).translate(_STRAIGHT) for r in rows]
    missing = [text for text in shown if text not in page]
    assert missing == []

# ---- text the book writes ---------------------------------------------------------------------

_ROLE = re.compile(r"\{[\w:.-]+\}`")


def _markdown_tables(text: str):
    """(caption, cells, source) of every MyST table in a Markdown string, as the reader should see them."""
    for block in re.finditer(r"```\{table\} (?P<caption>[^\n]*)\n(?P<body>.*?)\n```(?:\s*\*Source:\* (?P<source>[^\n]*))?",
                             text, re.S):
        cells = []
        for line in block["body"].splitlines():
            if not line.startswith("|") or re.fullmatch(r"\|[\s:|-]+\|", line):
                continue
            cells += re.split(r"(?<!\\)\|", line.strip()[1:-1])
        strings = [block["caption"], *cells] + ([block["source"]] if block["source"] else [])
        yield [s.strip() for s in strings if s.strip()]


def _visible(markdown: str) -> str | None:
    """What a Markdown fragment should show (None when it holds a role that renders otherwise)."""
    if _ROLE.search(markdown):
        return None
    text = unescape_markdown(markdown.replace("`", "")).replace("\\|", "|")
    # quotes straightened as _text straightens the page's (a glued value may hold curly quotes)
    return re.sub(r"\s+", " ", text.translate(_STRAIGHT))


def _sources_of_tables():
    for chapter in _chapters_in_toc():
        notebook = json.loads(chapter.output.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                markdown = output.get("data", {}).get("text/markdown")
                if markdown:
                    yield chapter.output.relative_to(paths.ROOT).with_suffix(".html"), "".join(markdown)
    report = paths.ROOT / "book" / "executed" / "reproducibility.md"
    if report.is_file():
        yield report.relative_to(paths.ROOT).with_suffix(".html"), report.read_text(encoding="utf-8")


@built
def test_no_table_text_is_swallowed():
    """Every caption, cell and source line the book writes appears, as text, on its page —
    including literal ``<province>``, ``*``, ``_`` and ``|`` (nothing read as HTML or markup)."""
    swallowed, checked, angle = [], 0, 0
    pages = {}
    for page, markdown in _sources_of_tables():
        if page not in pages:
            pages[page] = _text((HTML / page).read_text(encoding="utf-8"))
        for strings in _markdown_tables(markdown):
            for string in strings:
                expected = _visible(string)
                if expected is None:
                    continue
                checked += 1
                angle += "<" in expected
                if expected not in pages[page]:
                    swallowed.append(f"{page}: {expected[:80]!r}")
    assert checked > 500 and angle >= 2     # the check saw the tables, including text with <…>
    assert swallowed == []


@built
def test_tables_print_missing_values_by_design():
    accidental = []
    for page in _pages():
        text = (HTML / f"{page}.html").read_text(encoding="utf-8")
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", text, re.S):
            value = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", cell))).strip()
            if value in {"nan", "NaN", "None", "<NA>", "NaT", "null"}:   # "none" is a word, "None" a bug
                accidental.append(f"{page}: {value}")
    assert accidental == []


def test_figures_never_miss_a_glyph():
    """Figures use English names (no CJK font needed): no executed chapter warned of a missing glyph."""
    warnings = []
    for chapter in _chapters_in_toc():
        if not chapter.output.is_file():
            continue
        for cell in json.loads(chapter.output.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                text = "".join(output.get("text", ""))
                if "missing from font" in text or "Glyph" in text:
                    warnings.append(f"{chapter.name}: {text[:100]}")
    assert warnings == []


@built
def test_reproducibility_page_covers_every_chapter_table_and_figure():
    page_html = (HTML / "book" / "executed" / "reproducibility.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page_html))
    for chapter in params.load_plan():
        assert f"ruralrev run {chapter.name}" in text
    for label in ("tbl-p001-table1", "tbl-disp-fe", "fig-typ-map", "tbl-p000-reading", "tbl-data-dictionary"):
        assert f'#{label}"' in page_html, label                      # a working cross-reference to it
    assert "Git commit" in text and "Data snapshot" in text and "statsmodels" in text


# ---- the student edition: tests/test_student.py ------------------------------------------------


@built
def test_no_page_loads_mathjax_from_the_network():
    """Pages with mathematics load MathJax from ``_static/mathjax``, never from a CDN."""
    for page in HTML.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "mathjax@" not in text, page
        if "MathJax.js" in text:
            assert (HTML / "_static" / "mathjax" / "MathJax.js").is_file()


def test_mathematics_renders_from_the_local_mathjax(tmp_path):
    """A one-page Sphinx project with MyST dollar maths, built with the book's extension."""
    (tmp_path / "conf.py").write_text(
        "extensions = ['myst_parser', 'ruralrev.book.sphinx.extension']\nmyst_enable_extensions = ['dollarmath']\n", encoding="utf-8")
    (tmp_path / "index.md").write_text("# Maths\n\nInline $y = s\\,x$ and\n\n$$\\bar y = \\sum_i w_i y_i$$\n",
                                       encoding="utf-8")
    out = tmp_path / "html"
    run = build_html(tmp_path, out)
    assert run.returncode == 0, run.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f'src="_static/{extension.MATHJAX_PATH}"' in page
    assert "MathJax.Hub.Config" in page and "cdn.jsdelivr" not in page
    config = json.loads(re.search(r"MathJax\.Hub\.Config\((.*?)\)</script>", page, re.S).group(1))
    assert "math" in config["tex2jax"]["processClass"].split("|")
    assert (out / "_static" / "mathjax" / "MathJax.js").is_file()
    assert (out / "_static" / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()


def test_csv_html_table_escapes_every_cell_and_aligns_numbers():
    from ruralrev.book.sphinx.csv_table import rows_html

    body = rows_html(["chapter", "name", "cell", "value"],
                     [["data", "n_<b>", "3", "1,234.5"], ["typology", "x|y", "12", "<province> & *"]],
                     code_columns=["name"])
    assert "<th>Chapter</th>" in body and '<th class="text-right">Cell</th>' in body
    assert "<td><code>n_&lt;b&gt;</code></td>" in body and "<td>&lt;province&gt; &amp; *</td>" in body
    assert '<td class="text-right">12</td>' in body and "<td>1,234.5</td>" in body   # a column of mixed cells stays left
    assert body.count("<tr>") == 3
